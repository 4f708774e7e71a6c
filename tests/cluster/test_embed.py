"""Tests for cluster.embed: the protocol, the lexical fallback, and one real USE check."""

from __future__ import annotations

import numpy as np
import pytest

from aggregator.cluster.embed import (
    MAX_EMBED_CHARS_ZH,
    Embedder,
    LexicalEmbedder,
    UseEmbedder,
    embedding_text,
    fold_chinese,
    make_embedder,
)
from aggregator.config import ClusterConfig


def test_make_embedder_backends() -> None:
    assert isinstance(make_embedder(ClusterConfig(backend="use", threads=2)), UseEmbedder)
    assert make_embedder(ClusterConfig(backend="use", threads=2)).threads == 2  # type: ignore[attr-defined]
    assert isinstance(make_embedder(ClusterConfig(backend="none")), LexicalEmbedder)
    for backend in ("use", "none", "e5"):
        assert isinstance(make_embedder(ClusterConfig(backend=backend)), Embedder)


def test_embedding_text_folds_and_caps() -> None:
    text = embedding_text("聯準會降息1碼", "美國聯準會18日宣布降息" * 30)
    assert text.startswith("联准会降息1码")
    assert len(text) <= MAX_EMBED_CHARS_ZH
    # A lead that repeats the title does not embed the title twice.
    assert (
        embedding_text("Fed cuts rates", "Fed cuts rates\nThe Federal Reserve…").count(
            "Fed cuts rates"
        )
        == 1
    )
    assert fold_chinese("Plain English") == "Plain English"


def test_lexical_embedder_is_normalised_and_stable() -> None:
    a, b = LexicalEmbedder(), LexicalEmbedder()
    texts = [
        "Fed cuts rates by a quarter point",
        "Fed cuts interest rates by quarter point",
        "Earthquake strikes central Myanmar",
        "美联储宣布降息25个基点",
        "美聯準會宣布降息25個基點",
        "",
    ]
    va, vb = a.embed(texts), b.embed(texts)
    assert va.dtype == np.float32 and va.shape == (6, a.dim)
    np.testing.assert_array_equal(va, vb)  # stable hashing, not Python's salted hash()
    norms = np.linalg.norm(va[:5], axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=1e-5)
    assert va[0] @ va[1] > 0.4 > va[0] @ va[2]
    assert va[3] @ va[4] > 0.5  # Traditional folded to Simplified


@pytest.fixture(scope="session")
def use() -> UseEmbedder:
    return UseEmbedder(threads=1)


def test_use_cross_lingual(use: UseEmbedder) -> None:
    v = use.embed(
        [
            "Fed cuts interest rates by half a point",
            "美联储宣布降息50个基点",
            "缅甸中部发生7.7级强烈地震",
        ]
    )
    assert v.shape == (3, 512) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    assert use.embed([]).shape == (0, 512)
