"""The code fingerprints that key the store's caches of derived data (entity keys, views)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from aggregator.pipeline import code_id


@pytest.fixture
def package(tmp_path: Path) -> Iterator[Path]:
    """A throwaway package ``fppkg`` on sys.path: a imports b (relative), b imports c
    (absolute, from-import of a name), d is imported by no one."""
    root = tmp_path / "fppkg"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "a.py").write_text("from . import b\nimport json\n")
    (root / "b.py").write_text("from fppkg.c import VALUE\n")
    (root / "c.py").write_text("VALUE = 1\n")
    (root / "d.py").write_text("OTHER = 1\n")
    sys.path.insert(0, str(tmp_path))
    yield root
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m == "fppkg" or m.startswith("fppkg.")]:
        del sys.modules[name]
    code_id.code_fingerprint.cache_clear()


def test_the_fingerprint_follows_imports_and_changes_with_any_of_them(package: Path) -> None:
    assert code_id.modules_of("fppkg.a") == ["fppkg", "fppkg.a", "fppkg.b", "fppkg.c"]
    before = code_id.code_fingerprint("fppkg.a")
    (package / "d.py").write_text("OTHER = 2\n")  # not imported: no change
    code_id.code_fingerprint.cache_clear()
    assert code_id.code_fingerprint("fppkg.a") == before
    (package / "c.py").write_text("VALUE = 2\n")  # two imports away: a new fingerprint
    code_id.code_fingerprint.cache_clear()
    assert code_id.code_fingerprint("fppkg.a") != before


def test_the_real_caches_cover_the_modules_that_shape_them() -> None:
    # The alias table moved out of cluster/evidence.py this session: a hand-kept list of
    # extractor modules missed it, and stored keys of the old extractor stayed in use.
    keys = code_id.modules_of("aggregator.cluster.records")
    assert {"aggregator.cluster.evidence", "aggregator.cluster.aliases"} <= set(keys)
    views = code_id.modules_of("aggregator.publish.view")
    assert "aggregator.normalize.item" in views  # the folding the headlines use


def test_a_later_process_reuses_the_imports_found_without_parsing_again(
    package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache" / "code-imports.marshal"
    monkeypatch.setattr(code_id, "_known", {})
    monkeypatch.setattr(code_id, "_cache_file", None)
    code_id.use_imports_cache(cache)
    before = code_id.code_fingerprint("fppkg.a")
    assert cache.exists()
    # A new process: nothing known in memory, the file read back; no source is parsed.
    monkeypatch.setattr(code_id, "_known", {})
    monkeypatch.setattr(code_id, "_cache_file", None)
    code_id.code_fingerprint.cache_clear()
    code_id.use_imports_cache(cache)

    def no_parse(*_a: object, **_k: object) -> None:
        raise AssertionError("parsed a source whose imports were kept")

    with monkeypatch.context() as m:
        m.setattr(code_id.ast, "parse", no_parse)
        assert code_id.code_fingerprint("fppkg.a") == before
    # A source that changed is parsed again: its new import is followed.
    (package / "c.py").write_text("from fppkg import d\nVALUE = 1\n")
    code_id.code_fingerprint.cache_clear()
    assert code_id.modules_of("fppkg.a") == ["fppkg", "fppkg.a", "fppkg.b", "fppkg.c", "fppkg.d"]
    assert code_id.code_fingerprint("fppkg.a") != before
