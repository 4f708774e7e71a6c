"""Fingerprints of our own code, for caches of derived data kept in the store.

A stored result (an item's entity keys, an event's headlines and summaries) may be reused only
while the code that made it is unchanged. :func:`code_fingerprint` digests the source of the
given modules and of every ``aggregator`` module they import, transitively, so a change in any
of them (the alias table moving to its own module, say) invalidates the cache without anyone
remembering to bump a version. Reads the package's own source files once per process.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib
from collections.abc import Iterator
from pathlib import Path


def _source(module: str) -> tuple[str, str] | None:
    """The module's file and source text, or None if ``module`` names no module."""
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


def modules_of(*roots: str) -> list[str]:
    """``roots`` and every module of their own package they import, transitively, sorted."""
    seen: dict[str, str] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        found = _source(name)
        if found is None:
            continue
        seen[name] = found[1]
        todo.extend(_imports(found[1], name))
    return sorted(seen)


@functools.cache
def code_fingerprint(*roots: str) -> str:
    """Digest of the sources of ``roots`` and of what they import from their package
    (cached per process: the code does not change under a running process)."""
    h = hashlib.sha256()
    for name in modules_of(*roots):
        found = _source(name)
        assert found is not None
        h.update(f"\0{name}\0".encode())
        h.update(found[1].encode("utf-8"))
    return h.hexdigest()[:16]
