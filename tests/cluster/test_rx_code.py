"""A regex from its kept compiled code (``cluster/rx_code.py``) is the pattern object
``re.compile`` makes: the same code (``==`` on patterns compares it), groups and names; code
that is not the engine's is refused and the pattern compiled instead."""

from __future__ import annotations

import functools
import marshal
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from aggregator.cluster import evidence, rx_code
from aggregator.store import file_cache

PATTERNS = (
    r"plain",
    r"(?i:Ab|c)d(?P<name>e+)(f)?",
    r"(?<![^\W\u3040-\u30ff])(?<!\.)(?:[Ss](?:a|b)|K(?i:elvin))(?![^\W])",
    r"\b(\d{1,2})\s*(?:日|号)\b|[零〇一二两]+[万亿]?",
    r"(?x) a \  b  # verbose",
    r"(?s).*?(?=x)|\Z",
)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_kept_code_makes_the_same_pattern(pattern: str) -> None:
    got = rx_code.from_code(pattern, rx_code.code_of(pattern))
    want = re.compile(pattern)
    assert got is not None
    assert got == want  # pattern text, flags and code
    assert (got.flags, got.groups, got.groupindex) == (want.flags, want.groups, want.groupindex)
    text = "Sa Kelvin 12日 一万 xab\nade eef"
    assert [m.span() for m in got.finditer(text)] == [m.span() for m in want.finditer(text)]


def test_the_alias_regex_is_the_compiled_pattern(tmp_path: Path) -> None:
    pattern = evidence._LATIN_PATTERN
    path = tmp_path / "rx.marshal"
    builds: list[str] = []

    def load(key: str, build: Callable[[], rx_code.Code]) -> object:
        def counted() -> rx_code.Code:
            builds.append(key)
            return build()

        return file_cache.load_or_build(path, key, tuple, counted)

    rx_code.use_cache(load)
    try:
        first, second = rx_code.compiled(pattern), rx_code.compiled(pattern)
    finally:
        rx_code.use_cache(None)
    assert len(builds) == 1 and path.exists()  # the second came from the file
    assert first == second == re.compile(pattern) == evidence.latin_re()


@pytest.mark.parametrize(
    "kept",
    [
        None,
        ("x",),
        (32, 0, (None,), b"\x00\x00\x00"),  # not whole code units
        (32, 0, (None,), b"\xff\xff\xff\xff" * 8),  # not the engine's code
        (32, 0, (None,), b""),
    ],
)
def test_code_that_is_not_the_engines_is_refused(kept: object) -> None:
    assert rx_code.from_code("ab", kept) is None
    rx_code.use_cache(lambda key, build: kept)
    try:
        got = rx_code.compiled("a(b)")
    finally:
        rx_code.use_cache(None)
    assert got == re.compile("a(b)")


def test_the_key_names_the_pattern_and_the_engine() -> None:
    assert rx_code.key_of("a") != rx_code.key_of("b")
    assert str(re._constants.MAGIC) in rx_code.key_of("a")  # type: ignore[attr-defined]


def test_a_new_store_copies_the_code_from_the_shared_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The alias regex's code is kept in the user's shared folder too: a second store copies
    it from there without compiling; a shared file under another key or unreadable is not
    used (the code is built and the store's file written)."""
    from aggregator.pipeline import model_caches

    shared = tmp_path / "user-cache"
    monkeypatch.setenv(file_cache.SHARED_DIR_ENV, str(shared))
    pattern = evidence._LATIN_PATTERN
    key = rx_code.key_of(pattern)
    builds: list[str] = []
    real = rx_code.code_of

    def counted(p: str) -> rx_code.Code:
        builds.append(p)
        return real(p)

    monkeypatch.setattr(rx_code, "code_of", counted)

    def compiled_for(store: str) -> tuple[re.Pattern[str], Path]:
        # As model_caches.use_model_caches installs it for a store.
        db = tmp_path / store / "aggregator.db"
        path = file_cache.cache_path(db, model_caches.ALIAS_REGEX_CACHE_FILE)
        rx_code.use_cache(functools.partial(model_caches._alias_regex_code, path))
        try:
            return rx_code.compiled(pattern), path
        finally:
            rx_code.use_cache(None)

    first, first_file = compiled_for("one")
    assert len(builds) == 1
    (kept,) = shared.glob(f"{model_caches.SHARED_ALIAS_REGEX_PREFIX}*.marshal")
    assert kept.read_bytes() == first_file.read_bytes()
    second, second_file = compiled_for("two")
    assert len(builds) == 1  # copied, not compiled
    assert second_file.read_bytes() == kept.read_bytes()
    assert first == second == re.compile(pattern)
    for n, data in enumerate([marshal.dumps((key + "-other", ("x",))), b"\x00garbage"]):
        kept.write_bytes(data)
        got, store_file = compiled_for(f"s{n}")
        assert got == re.compile(pattern)
        assert len(builds) == 2 + n
        assert file_cache.read(store_file, key, tuple) is not None
