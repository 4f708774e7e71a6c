"""``code_id._statements`` finds every import :func:`ast.walk` finds (guard: the fingerprints,
and with them every stored view and entity key, stay what they were)."""

from __future__ import annotations

import ast
from pathlib import Path

import aggregator
from aggregator.pipeline import code_id

NESTED = '''
import aggregator.a
def f():
    import aggregator.b
    class C:
        def g(self):
            from aggregator import c
    try:
        pass
    except ImportError:
        from aggregator.d import x
    else:
        import aggregator.e
    finally:
        import aggregator.f
    match 1:
        case 1:
            import aggregator.g
    with open("x"):
        if True:
            pass
        elif False:
            import aggregator.h
        while True:
            for _ in ():
                pass
            else:
                from .i import y
'''


def _walked(source: str) -> list[ast.AST]:
    return [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Import | ast.ImportFrom)]


def _stated(source: str) -> list[ast.AST]:
    tree = ast.parse(source)
    return [n for n in code_id._statements(tree) if isinstance(n, ast.Import | ast.ImportFrom)]


def test_statements_find_every_nested_import() -> None:
    assert len(_stated(NESTED)) == len(_walked(NESTED)) == 9
    assert code_id._imports(NESTED, "aggregator.pkg.mod") >= {
        "aggregator.a", "aggregator.b", "aggregator.c", "aggregator.d", "aggregator.e",
        "aggregator.f", "aggregator.g", "aggregator.h", "aggregator.pkg.i",
    }  # fmt: skip


def test_statements_find_what_walk_finds_in_every_module_of_the_package() -> None:
    root = Path(aggregator.__file__).parent
    files = sorted(root.rglob("*.py"))
    assert len(files) > 50
    for path in files:
        source = path.read_text(encoding="utf-8")
        walked = sorted(ast.dump(n) for n in _walked(source))
        assert sorted(ast.dump(n) for n in _stated(source)) == walked, path
