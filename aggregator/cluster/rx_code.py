"""Cluster stage: a large regex's compiled form as plain data, so that a process can take it
from a file instead of compiling the pattern again (pure, no I/O: the file is the caller's,
installed with :func:`use_cache`; ``pipeline/model_caches.py`` keeps it in the store's cache
folder).

``re.compile`` parses a pattern and translates it to the engine's code (a list of integers)
in pure Python: for the ~56,000-character alias regex (``alias_rx.compile_grouped``) that is
~0.1 s of every process that extracts entities. :func:`compiled` hands the engine
(``_sre.compile``) the code kept from an earlier process instead; it is the code
``re.compile`` makes for the same pattern (``re._compiler.compile``'s own steps), so the
pattern object matches exactly as ``re.compile(pattern)``'s. The code is kept under a key
made of the pattern's digest and the interpreter's version and engine constants, and the
engine checks any code it is handed (``invalid SRE code``), so a stale or damaged file can only
cost the compile: :func:`compiled` then falls back to ``re.compile``.
"""

from __future__ import annotations

import _sre
import array
import hashlib
import re
import sys
from collections.abc import Callable

#: The compiled form kept: (flags, groups, group names by index, code as native-endian
#: unsigned integers of ``_sre.CODESIZE`` bytes).
Code = tuple[int, int, tuple[str | None, ...], bytes]
#: ``(key, build)`` → the code kept under ``key`` (made with ``build()`` when there is none).
Loader = Callable[[str, Callable[[], Code]], object]

_loader: Loader | None = None


def use_cache(loader: Loader | None) -> None:
    """Let :func:`compiled` take compiled code from ``loader`` (None: compile every time)."""
    global _loader
    _loader = loader


def key_of(pattern: str) -> str:
    """What the code of ``pattern`` is kept under: it is only valid for the same pattern on
    the same engine."""
    digest = hashlib.sha256(pattern.encode("utf-8", "surrogatepass")).hexdigest()
    return f"sre-{sys.version}-{_sre.MAGIC}-{_sre.CODESIZE}-{_sre.MAXREPEAT}-{digest}"


def code_of(pattern: str) -> Code:
    """``pattern`` compiled to the engine's code, as ``re._compiler.compile`` does it."""
    from re import _compiler, _parser  # type: ignore[attr-defined]

    parsed = _parser.parse(pattern, 0)
    code = _compiler._code(parsed, 0)
    state = parsed.state
    indexgroup: list[str | None] = [None] * state.groups
    for name, i in state.groupdict.items():
        indexgroup[i] = name
    typecode = _typecode()
    return (
        int(state.flags),
        state.groups - 1,
        tuple(indexgroup),
        array.array(typecode, [int(c) for c in code]).tobytes(),
    )


def _typecode() -> str:
    return next(t for t in "IL" if array.array(t).itemsize == _sre.CODESIZE)


def from_code(pattern: str, got: object) -> re.Pattern[str] | None:
    """The pattern object for ``pattern`` from its kept code, None when ``got`` is not code
    the engine accepts."""
    if not (isinstance(got, tuple) and len(got) == 4):
        return None
    flags, groups, indexgroup, raw = got
    if not (
        isinstance(flags, int)
        and isinstance(groups, int)
        and isinstance(indexgroup, tuple)
        and all(g is None or isinstance(g, str) for g in indexgroup)
        and isinstance(raw, bytes)
        and len(raw) % _sre.CODESIZE == 0
    ):
        return None
    code = array.array(_typecode())
    code.frombytes(raw)
    groupindex = {name: i for i, name in enumerate(indexgroup) if name is not None}
    try:
        rx = _sre.compile(pattern, flags, code.tolist(), groups, groupindex, indexgroup)
    except (RuntimeError, TypeError, ValueError, OverflowError):  # "invalid SRE code"
        return None
    return rx if isinstance(rx, re.Pattern) else None


def compiled(pattern: str) -> re.Pattern[str]:
    """``re.compile(pattern)`` (no flags), from the code kept by the installed cache when it
    holds the pattern's."""
    if _loader is not None:
        got = from_code(pattern, _loader(key_of(pattern), lambda: code_of(pattern)))
        if got is not None:
            return got
    return re.compile(pattern)
