"""The glossary's senses read from a plain file in the store's cache folder, not held in the
process (issue 16: ~5 MB of the cluster stage's peak): the same senses for every headword,
written once, checked against the table, and a file that does not match is not used."""

from __future__ import annotations

from pathlib import Path

from aggregator.cluster import cedict
from aggregator.pipeline import model_caches


def _senses_files(glossary_cache_file: Path) -> list[Path]:
    return sorted(glossary_cache_file.parent.glob(f"{model_caches.SENSES_FILE_PREFIX}*.bin"))


def test_every_headword_has_the_senses_of_the_bytes_held(glossary_cache_file: Path) -> None:
    held = cedict.Glossary(cedict.read_packed())
    g = cedict.glossary()
    assert isinstance(g._senses.blob, model_caches.SensesFile)
    (path,) = _senses_files(glossary_cache_file)
    assert path.read_bytes() == held._senses.blob
    words = list(held)
    assert len(words) == len(g) > 100_000
    assert all(g.senses(w) == held.senses(w) for w in words)
    assert g.as_dict() == held.as_dict()
    cedict.glossary.cache_clear()  # a new process reads the same file, writes nothing
    mtime = path.stat().st_mtime_ns
    again = cedict.glossary()
    assert isinstance(again._senses.blob, model_caches.SensesFile)
    assert path.stat().st_mtime_ns == mtime and _senses_files(glossary_cache_file) == [path]
    path.unlink()  # deleting the cache meanwhile changes nothing for the open glossary
    assert again.senses("美联储") == held.senses("美联储")


def test_a_file_that_does_not_match_is_not_read(glossary_cache_file: Path) -> None:
    cedict.glossary()
    (path,) = _senses_files(glossary_cache_file)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    cedict.glossary.cache_clear()
    g = cedict.glossary()
    assert isinstance(g._senses.blob, bytes)
    assert g.senses("美联储") == cedict.Glossary(cedict.read_packed()).senses("美联储")


def test_a_senses_file_of_another_key_is_removed(glossary_cache_file: Path) -> None:
    glossary_cache_file.parent.mkdir(parents=True)
    stale = glossary_cache_file.parent / f"{model_caches.SENSES_FILE_PREFIX}0000000000000000.bin"
    stale.write_bytes(b"old")
    cedict.glossary()
    files = _senses_files(glossary_cache_file)
    assert len(files) == 1 and files[0] != stale
