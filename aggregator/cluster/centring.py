"""Cluster stage: running per-language mean vectors for centring (pure, no I/O).

Every USE vector of one language shares a common component; subtracting the language's running
mean (an exponential average over recent items, counted in items of the stream — the same in a
live run and a backfill of the same items) lifts cross-language twins above same-language
non-twins. See ``clusterer.CENTRE``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

FloatVector = npt.NDArray[np.float32]


class LangMeans:
    """Running mean vector per base language (online, no I/O). ``mean(lang)`` of a language
    never seen is zero, so centring is a no-op for it."""

    def __init__(
        self,
        dim: int,
        prior_items: float,
        horizon_items: float,
        priors: Mapping[str, FloatVector] | None = None,
    ) -> None:
        self.dim = dim
        self.prior_items = prior_items
        self.horizon_items = max(horizon_items, 1.0)
        self._mean: dict[str, FloatVector] = {
            k: np.array(v, dtype=np.float32).reshape(dim) for k, v in (priors or {}).items()
        }
        self._weight: dict[str, float] = {}
        self._zero: FloatVector = np.zeros(dim, dtype=np.float32)

    def mean(self, lang: str) -> FloatVector:
        return self._mean.get(lang, self._zero)

    def count(self, lang: str) -> float:
        """Items folded into ``lang``'s mean (prior weight excluded, capped by the horizon)."""
        return self._weight.get(lang, self.prior_items) - self.prior_items

    def update(self, lang: str, vector: FloatVector) -> None:
        m = self._mean.get(lang)
        if m is None:
            m = self._mean[lang] = np.zeros(self.dim, dtype=np.float32)
        w = min(self._weight.get(lang, self.prior_items) + 1.0, self.horizon_items)
        self._weight[lang] = w
        m += (np.asarray(vector, dtype=np.float32).reshape(self.dim) - m) / w

    def centre(self, vectors: FloatVector, langs: Sequence[str]) -> FloatVector:
        """Rows minus their language's mean, re-normalised to unit length."""
        out = np.array(vectors, dtype=np.float32, ndmin=2, copy=True)
        present = set(langs)
        if len(present) == 1:
            m = self._mean.get(langs[0])
            if m is not None:
                out -= m
        else:
            codes = np.array(langs)
            for lang in present:
                m = self._mean.get(lang)
                if m is not None:
                    out[codes == lang] -= m
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        res: FloatVector = (out / norms).astype(np.float32, copy=False)
        return res
