"""The house rules of DESIGN.md "Layout: one folder per stage", checked on the source (AST, no
import): SQL only in store/, pure stages touch neither store, fetch nor the clock, no import
cycle, one exception root, no module over 500 lines.

A rule that the code does not meet yet names its offenders here, exactly: the test fails when
an offender is fixed (shrink the list) as well as when a new one appears."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "aggregator"
PURE_STAGES = ("parse", "normalize", "dedupe", "cluster")
SQL_RE = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|WITH|REPLACE|BEGIN|VACUUM)\b"
)
MAX_LINES = 500

#: Modules that still write SQL outside store/ (none left: keep it so).
SQL_OUTSIDE_STORE_PENDING: set[str] = set()
#: Modules still over MAX_LINES (none: split by sub-stage when one grows).
LONG_PENDING: set[str] = set()
#: Pure-stage modules that still reach an I/O stage (none: the near-dup layer over the store
#: is pipeline/near_duplicates.py).
IMPURE_PENDING: list[str] = []
#: Import cycles still to break (none: the poll pass the CLI, demo and daemon share is in
#: pipeline/poll.py).
CYCLES_PENDING: list[list[str]] = []


def modules() -> Iterator[tuple[str, ast.Module, str]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        yield path.relative_to(PACKAGE).as_posix(), ast.parse(text), text


def module_name(rel: str) -> str:
    parts = rel[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["aggregator", *parts])


def type_only(tree: ast.Module) -> set[int]:
    """ids of the import nodes under ``if TYPE_CHECKING:`` (no import at run time)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            out |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return out


def imports(tree: ast.Module, name: str) -> set[str]:
    """Every aggregator module this one imports at run time, at any depth of the file."""
    out: set[str] = set()
    skip = type_only(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("aggregator")}
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                pkg = name.split(".")[: -node.level] if not name.endswith("__init__") else []
                base = ".".join([*pkg, node.module])
            if base.startswith("aggregator"):
                out.add(base)
                out |= {f"{base}.{a.name}" for a in node.names}
    return out


def is_sql(text: str) -> bool:
    """A string literal that is a SQL statement (not prose that starts with "Update")."""
    if not SQL_RE.match(text):
        return False
    head = text.lstrip()
    return " FROM " in text or "INTO" in text or head.startswith(("PRAGMA", "CREATE", "UPDATE "))


def test_sql_only_in_store() -> None:
    offenders = set()
    for rel, tree, _ in modules():
        if rel.startswith("store/"):
            continue
        for node in ast.walk(tree):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and is_sql(text):
                offenders.add(rel)
    assert offenders == SQL_OUTSIDE_STORE_PENDING


def test_pure_stages_touch_no_io_stage_and_no_clock() -> None:
    bad = []
    for rel, tree, text in modules():
        if not rel.startswith(PURE_STAGES):
            continue
        name = module_name(rel)
        for imp in imports(tree, name):
            if imp.startswith(("aggregator.store", "aggregator.fetch", "aggregator.pipeline",
                               "aggregator.daemon", "aggregator.serve", "aggregator.publish")):
                bad.append(f"{rel} imports {imp}")
        if any(isinstance(n, ast.Name) and n.id == "Store" for n in ast.walk(tree)):
            bad.append(f"{rel} works through a Store")
        for clock in ("datetime.now(", "datetime.utcnow(", "date.today(", "time.time("):
            if clock in text:
                bad.append(f"{rel} reads the clock ({clock})")
    assert sorted(set(bad)) == sorted(IMPURE_PENDING)


def test_no_import_cycle() -> None:
    graph: dict[str, set[str]] = {}
    names = {module_name(rel) for rel, _, _ in modules()}
    for rel, tree, _ in modules():
        name = module_name(rel)
        graph[name] = {i for i in imports(tree, name) if i in names and i != name}
    # A package's __init__ is imported with each of its modules: not an edge of its own.
    seen: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        seen[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if seen.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in seen:
                visit(nxt)
        stack.pop()
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            visit(node)
    assert cycles == CYCLES_PENDING


def test_one_exception_root() -> None:
    """Every public exception class derives from a class in aggregator.errors."""
    roots = {"AggregatorError", "ConfigError", "FetchError", "ResponseError", "NetGuardError",
             "ParseError", "StoreError", "AuditError", "BrowseError"}
    known = set(roots)
    pending: list[tuple[str, str, list[str]]] = []
    for rel, tree, _ in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = [b.id if isinstance(b, ast.Name) else ast.unparse(b) for b in node.bases]
                if any(b.endswith(("Error", "Exception")) for b in bases) or node.name.endswith(
                    "Error"
                ):
                    pending.append((rel, node.name, bases))
    changed = True
    while changed:
        changed = False
        for _rel, cls, bases in pending:
            if cls not in known and any(b.split(".")[-1] in known for b in bases):
                known.add(cls)
                changed = True
    loose = [f"{rel}:{cls}({', '.join(b)})" for rel, cls, b in pending
             if cls not in known and not cls.startswith("_")]
    assert loose == []


def test_no_module_over_500_lines() -> None:
    long = {rel for rel, _, text in modules() if text.count("\n") > MAX_LINES}
    assert long == LONG_PENDING


MAX_FUNCTION_LINES = 80


def test_no_function_over_80_lines() -> None:
    """A long function is a list of steps without names: split it (issue 12)."""
    long = [
        f"{rel}:{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for rel, tree, _ in modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []
