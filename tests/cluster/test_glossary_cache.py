"""The CC-CEDICT glossary kept in the store's cache folder (issue 16 item 2): a process reads
the table back instead of parsing the dictionary, gets exactly what a fresh build gives, and
rebuilds when what the table depends on changes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aggregator.cluster import cedict, lexical
from aggregator.pipeline import model_caches
from aggregator.store import file_cache


def _key() -> str:
    return model_caches.glossary_cache_key(cedict.glossary_key())


def test_cached_glossary_is_the_fresh_build(glossary_cache_file: Path) -> None:
    fresh = cedict.build_glossary()
    assert not glossary_cache_file.exists()
    first = cedict.glossary()  # reads the dictionary and keeps its senses
    assert first.as_dict() == fresh
    assert glossary_cache_file.exists()
    assert file_cache.read(glossary_cache_file, _key(), tuple) == cedict.read_packed()
    cedict.glossary.cache_clear()  # as a new process would
    again = cedict.glossary()
    assert again.as_dict() == fresh and again is not first
    # Lookups through the read-back table are the same, segmenting included.
    text = "美联储宣布加息，缅甸曼德勒发生强烈地震，英国脱欧谈判陷入僵局"
    cedict.use_cache(None)
    cedict.glossary.cache_clear()
    uncached = lexical.terms(text, text)
    model_caches._glossary_cache = None
    model_caches.use_glossary_cache(glossary_cache_file.parent.parent / "aggregator.db")
    cedict.glossary.cache_clear()
    assert lexical.terms(text, text) == uncached


def test_a_process_reads_the_table_from_the_file(glossary_cache_file: Path) -> None:
    """What is stored under the current key is what the glossary becomes (no rebuild)."""
    marker = cedict.pack({"美联储": "marker/sense"})
    assert file_cache.write(glossary_cache_file, _key(), marker)
    assert cedict.glossary().as_dict() == {"美联储": ("marker", "sense")}


def test_rebuilt_when_the_builder_input_changes(
    glossary_cache_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cedict.glossary()
    old_key = _key()
    monkeypatch.setitem(cedict.HAND_GLOSSES, "测试新词", ("testword",))
    assert _key() != old_key
    cedict.glossary.cache_clear()
    assert cedict.glossary()["测试新词"] == ("testword",)
    assert file_cache.read(glossary_cache_file, _key(), tuple) is not None
    assert file_cache.read(glossary_cache_file, old_key, tuple) is None  # replaced


def test_a_corrupt_or_foreign_file_is_rebuilt(glossary_cache_file: Path) -> None:
    glossary_cache_file.parent.mkdir(parents=True)
    glossary_cache_file.write_bytes(b"\x00garbage")
    assert cedict.glossary()["美联储"] == cedict.build_glossary()["美联储"]
    assert file_cache.read(glossary_cache_file, _key(), tuple) is not None
    cedict.glossary.cache_clear()
    file_cache.write(glossary_cache_file, _key(), ["not", "a", "table"])
    assert "美联储" in cedict.glossary()
    cedict.glossary.cache_clear()
    text, blob, ends = cedict.read_packed()
    file_cache.write(glossary_cache_file, _key(), (text, blob[:-1], ends))  # inconsistent: rebuilt
    assert cedict.glossary()["美联储"] == cedict.build_glossary()["美联储"]
    assert file_cache.read(glossary_cache_file, _key(), tuple) == cedict.read_packed()


def test_an_unwritable_folder_only_costs_the_rebuild(glossary_cache_file: Path) -> None:
    # A plain file where the cache folder should be: no write succeeds, even as root.
    glossary_cache_file.parent.parent.mkdir(parents=True)
    glossary_cache_file.parent.write_bytes(b"")
    assert "美联储" in cedict.glossary()
    assert not glossary_cache_file.exists()


def test_fresh_process_loads_the_cache_fast(glossary_cache_file: Path) -> None:
    """The point of it: a new process gets the glossary for a fraction of the parse's CPU."""
    cedict.glossary()
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from aggregator.cluster import cedict\n"
        "from aggregator.pipeline import model_caches\n"
        "t = time.process_time(); cedict.read_packed(); build = time.process_time() - t\n"
        "model_caches.use_glossary_cache(Path(sys.argv[1]))\n"
        "t = time.process_time(); g = cedict.glossary(); load = time.process_time() - t\n"
        "print(build, load, len(g))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(glossary_cache_file.parent.parent / "aggregator.db")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    build, load = float(out[0]), float(out[1])
    assert int(out[2]) > 100_000
    assert load < build / 2, (build, load)


def test_a_second_store_keeps_the_table_the_process_holds(
    glossary_cache_file: Path, tmp_path: Path
) -> None:
    """Installing the cache of another store (tests, several stores in one process) must not
    drop the table: it is the same table, and rebuilding it costs ~0.8 s."""
    first = cedict.glossary()
    model_caches.use_glossary_cache(tmp_path / "other" / "aggregator.db")
    assert cedict.glossary() is first
