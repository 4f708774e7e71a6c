"""The CC-CEDICT glossary kept in the user's shared cache folder (issue 16): a new store copies
the table from there instead of building it (~0.5 s of CPU), gets exactly what a build gives,
and falls back to the build when the shared copy is missing, foreign, corrupt or unwritable."""

from __future__ import annotations

import marshal
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aggregator.cluster import cedict
from aggregator.pipeline import model_caches
from aggregator.store import file_cache


def _shared_file(folder: Path) -> Path:
    full = model_caches.glossary_cache_key(cedict.glossary_key())
    skey = model_caches.shared_glossary_key(full)
    assert skey is not None  # the dictionary is installed in the test venv
    files = sorted(folder.glob(f"{model_caches.SHARED_GLOSSARY_PREFIX}*.marshal"))
    assert len(files) == 1, files
    return files[0]


def _new_store(tmp_path: Path, name: str) -> Path:
    """A new store's glossary cache file, installed as a new process would."""
    store = tmp_path / name / "aggregator.db"
    model_caches.use_glossary_cache(store)
    cedict.glossary.cache_clear()
    return file_cache.cache_path(store, model_caches.GLOSSARY_CACHE_FILE)


@pytest.fixture
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "user-cache"
    monkeypatch.setenv(file_cache.SHARED_DIR_ENV, str(folder))
    yield folder
    model_caches._glossary_cache = None
    cedict.use_cache(None)
    cedict.glossary.cache_clear()


def test_a_new_store_copies_the_shared_table_without_building(
    shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = cedict.build_glossary()
    first = _new_store(tmp_path, "one")
    assert cedict.glossary().as_dict() == fresh  # built: kept in the store and the shared folder
    kept = _shared_file(shared)
    assert kept.read_bytes() == first.read_bytes()

    def no_build() -> cedict.Packed:
        raise AssertionError("built although the shared folder holds the table")

    monkeypatch.setattr(cedict, "read_packed", no_build)
    second = _new_store(tmp_path, "two")
    assert cedict.glossary().as_dict() == fresh
    assert second.read_bytes() == kept.read_bytes()  # the store's own copy, byte for byte


def test_a_foreign_or_corrupt_shared_file_is_not_used(shared: Path, tmp_path: Path) -> None:
    _new_store(tmp_path, "one")
    cedict.glossary()
    kept = _shared_file(shared)
    full = model_caches.glossary_cache_key(cedict.glossary_key())
    # The right key but an inconsistent table; then another key; then garbage.
    text, blob, ends = cedict.read_packed()
    bad: list[bytes] = [
        marshal.dumps((full, (text, blob[:-1], ends))),
        marshal.dumps((full + "-other", cedict.pack({"美联储": "marker"}))),
        b"\x00garbage",
    ]
    for n, data in enumerate(bad):
        kept.write_bytes(data)
        store_file = _new_store(tmp_path, f"s{n}")
        assert cedict.glossary()["美联储"] == cedict.build_glossary()["美联储"]
        assert file_cache.read(store_file, full, tuple) == cedict.read_packed()
        assert kept.read_bytes() == store_file.read_bytes()  # rebuilt and replaced


def test_no_shared_folder_when_the_variable_is_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(file_cache.SHARED_DIR_ENV, "")
    assert file_cache.shared_dir() is None
    monkeypatch.delenv(file_cache.SHARED_DIR_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert file_cache.shared_dir() == tmp_path / "xdg" / "aggregator"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # the XDG spec: absolute only
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert file_cache.shared_dir() == tmp_path / "home" / ".cache" / "aggregator"


def test_an_unwritable_shared_folder_only_costs_the_build(shared: Path, tmp_path: Path) -> None:
    shared.parent.mkdir(parents=True, exist_ok=True)
    shared.write_bytes(b"")  # a plain file where the folder should be
    store_file = _new_store(tmp_path, "one")
    assert cedict.glossary()["美联储"] == cedict.build_glossary()["美联储"]
    assert store_file.exists() and shared.read_bytes() == b""


def test_old_tables_of_other_keys_are_pruned(shared: Path, tmp_path: Path) -> None:
    shared.mkdir(parents=True)
    prefix = model_caches.SHARED_GLOSSARY_PREFIX
    stale, recent = shared / f"{prefix}0000000000000000.marshal", shared / f"{prefix}1.marshal"
    stale.write_bytes(b"old")
    recent.write_bytes(b"another install's")
    old = time.time() - model_caches.SHARED_STALE_S - 60
    os.utime(stale, (old, old))
    _new_store(tmp_path, "one")
    cedict.glossary()
    assert not stale.exists() and recent.exists()
    assert _shared_file_count(shared) == 2


def _shared_file_count(folder: Path) -> int:
    return len(list(folder.glob(f"{model_caches.SHARED_GLOSSARY_PREFIX}*.marshal")))
