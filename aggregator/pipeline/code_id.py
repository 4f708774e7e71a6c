"""Fingerprints of our own code, for caches of derived data kept in the store.

A stored result (an item's entity keys, an event's headlines and summaries) may be reused only
while the code that made it is unchanged. :func:`code_fingerprint` digests the source of the
given modules and of every ``aggregator`` module they import, transitively, so a change in any
of them (the alias table moving to its own module, say) invalidates the cache without anyone
remembering to bump a version. Reads the package's own source files once per process (I/O:
disk); with :func:`use_imports_cache` the imports found in each source are also kept in a
file, keyed by a digest of that source, so that a later process digests the same files
without parsing them again (~20 ``ast.parse`` calls were ~0.05 s CPU of every pass that
clusters or publishes).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

from aggregator.store import file_cache

#: Key of the imports cache file's content (bump when what :func:`_imports` returns changes).
IMPORTS_CACHE_KEY = "code-imports-1"
#: Entries kept in the imports cache file: past this, only the ones this process used.
IMPORTS_CACHE_MAX = 500

#: ``"module\0digest of its source"`` → the names that source imports (see :func:`_imports`).
_known: dict[str, tuple[str, ...]] = {}
_used: set[str] = set()
_cache_file: Path | None = None


def use_imports_cache(path: Path | None) -> None:
    """Keep the imports found in our sources in ``path`` (None: in this process only)."""
    global _cache_file
    if path == _cache_file:
        return
    _cache_file = path
    if path is not None:
        got = file_cache.read(path, IMPORTS_CACHE_KEY, dict) or {}
        _known.update((k, v) for k, v in got.items() if isinstance(v, tuple))


def _source(module: str) -> tuple[str, str] | None:
    """The module's file and source text, or None if ``module`` names no module."""
    mod = sys.modules.get(module)
    if mod is None:
        try:
            mod = importlib.import_module(module)
        except ImportError:
            return None
    path = getattr(mod, "__file__", None)
    return (module, Path(path).read_text(encoding="utf-8")) if path else None


def _statements(node: ast.AST) -> Iterator[ast.AST]:
    """Every statement under ``node``, nested ones included (function and class bodies,
    branches, handlers, match cases), without visiting expressions: an import is a statement,
    so this finds what :func:`ast.walk` finds at a fraction of the nodes (a cost each pass
    pays once, for the first stored view it checks)."""
    for _, value in ast.iter_fields(node):
        if isinstance(value, list):
            for child in value:
                if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):
                    yield child
                    yield from _statements(child)


def _imports(source: str, module: str) -> set[str]:
    """Names in ``module``'s own top-level package that ``source`` imports (absolute or
    relative); some may name objects rather than modules."""
    package = module.split(".")[0]
    out: set[str] = set()
    for node in _statements(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == package)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing module's package
                parts = module.split(".")[: -node.level]
                base = ".".join([*parts, base] if base else parts)
            if base.split(".")[0] != package:
                continue
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)  # may be modules, or not
    return out


def _imports_of(source: str, module: str) -> tuple[str, ...]:
    """:func:`_imports`, sorted, looked up by a digest of ``source`` before parsing it."""
    key = f"{module}\0{hashlib.sha256(source.encode('utf-8')).hexdigest()}"
    _used.add(key)
    got = _known.get(key)
    if got is None:
        got = _known[key] = tuple(sorted(_imports(source, module)))
    return got


def _sources_of(*roots: str) -> dict[str, str]:
    """``roots`` and every module of their own package they import, transitively: name →
    source text."""
    seen: dict[str, str] = {}
    todo = list(roots)
    before = len(_known)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        found = _source(name)
        if found is None:
            continue
        seen[name] = found[1]
        todo.extend(_imports_of(found[1], name))
    if len(_known) != before and _cache_file is not None:
        keep = _known if len(_known) <= IMPORTS_CACHE_MAX else {k: _known[k] for k in _used}
        file_cache.write(_cache_file, IMPORTS_CACHE_KEY, keep)
    return seen


def modules_of(*roots: str) -> list[str]:
    """``roots`` and every module of their own package they import, transitively, sorted."""
    return sorted(_sources_of(*roots))


@functools.cache
def code_fingerprint(*roots: str) -> str:
    """Digest of the sources of ``roots`` and of what they import from their package
    (cached per process: the code does not change under a running process)."""
    h = hashlib.sha256()
    sources = _sources_of(*roots)
    for name in sorted(sources):
        h.update(f"\0{name}\0".encode())
        h.update(sources[name].encode("utf-8"))
    return h.hexdigest()[:16]
