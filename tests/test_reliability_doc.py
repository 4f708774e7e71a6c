"""Keeps tests/RELIABILITY.md from going stale: every catalogue id has exactly one row, every
test the table names exists, every test whose name carries a catalogue id is listed in that
id's row, and every status is one of the four words."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
DOC = TESTS / "RELIABILITY.md"
CATALOGUE = TESTS.parents[1] / "shared" / "reliability-catalogue.md"

ID_RE = re.compile(r"\b(XML|NET|LOAD|OUT|ENC|DATE|ID|DB|SCH|PROC|SYS)-(\d{2})\b")
#: A catalogue id inside a test name: ``test_out_04_load_09_…`` carries OUT-04 and LOAD-09.
NAME_ID_RE = re.compile(r"(?:^|_)(xml|net|load|out|enc|date|id|db|sch|proc|sys)_(\d{2})(?=_|$)")
ROW_RE = re.compile(r"^\|\s*([A-Z]+-\d{2})\s*\|(.*)\|(.*)\|\s*$")
REF_RE = re.compile(r"((?:\w+/)?test_\w+\.py)::(test_\w+)")
STATUSES = ("tested", "partly tested", "not applicable", "xfail")


def table() -> dict[str, tuple[str, str]]:
    rows: dict[str, tuple[str, str]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = ROW_RE.match(line)
        if m:
            cid = m.group(1)
            assert cid not in rows, f"{cid} has two rows"
            rows[cid] = (m.group(2).strip(), m.group(3).strip())
    return rows


def test_functions() -> dict[str, set[str]]:
    """``path under tests/ → test function names`` for every test file (AST, no import)."""
    out: dict[str, set[str]] = {}
    for path in sorted(TESTS.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        out[path.relative_to(TESTS).as_posix()] = {
            n.name
            for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name.startswith("test_")
        }
    return out


# Not collected as a test (the helper above starts with test_ only by name).
test_functions.__test__ = False  # type: ignore[attr-defined]


def ids_in_name(name: str) -> set[str]:
    return {f"{a.upper()}-{b}" for a, b in NAME_ID_RE.findall(name.removeprefix("test"))}


def test_every_catalogue_id_has_a_row() -> None:
    if not CATALOGUE.exists():
        pytest.skip(f"catalogue not available: {CATALOGUE}")
    text = CATALOGUE.read_text(encoding="utf-8")
    ids = {f"{a}-{b}" for a, b in re.findall(r"^\|\s*([A-Z]+)-(\d{2})\s*\|", text, re.M)}
    assert len(ids) == 60, sorted(ids)
    rows = table()
    assert ids - rows.keys() == set(), "catalogue ids missing from RELIABILITY.md"
    assert rows.keys() - ids == set(), "rows for ids that are not in the catalogue"


def test_rows_have_known_ids_and_statuses() -> None:
    rows = table()
    assert rows, "no table rows found"
    for cid, (_tests, status) in rows.items():
        assert ID_RE.fullmatch(cid), cid
        assert status.startswith(STATUSES), f"{cid}: status {status!r}"
        if status.startswith(("partly tested", "not applicable", "xfail")):
            assert "—" in status, f"{cid}: say what part / why / which bug"


def test_every_named_test_exists() -> None:
    funcs = test_functions()
    missing = []
    for cid, (tests, status) in table().items():
        refs = REF_RE.findall(tests + " " + status)
        if not status.startswith("not applicable"):
            assert REF_RE.search(tests), f"{cid}: no test named"
        for file, name in refs:
            if name not in funcs.get(file, set()):
                missing.append(f"{cid}: {file}::{name}")
    assert not missing, missing


def test_every_id_carrying_test_is_listed_in_its_row() -> None:
    rows = table()
    unlisted = []
    for file, names in test_functions().items():
        for name in names:
            for cid in ids_in_name(name):
                if cid not in rows:
                    unlisted.append(f"{file}::{name} carries unknown id {cid}")
                elif f"{file}::{name}" not in rows[cid][0] + rows[cid][1]:
                    unlisted.append(f"{cid}: {file}::{name}")
    assert not unlisted, unlisted


def test_name_id_parser() -> None:
    assert ids_in_name("test_out_04_load_09_huge_title_is_capped") == {"OUT-04", "LOAD-09"}
    assert ids_in_name("test_xml_08_broken") == {"XML-08"}
    assert ids_in_name("test_id_02_one_guid") == {"ID-02"}
    assert ids_in_name("test_guids_that_change_every_fetch") == set()
    assert ids_in_name("test_load_1_x") == set()


ISSUE_ROW_RE = re.compile(r"^\|\s*(I\d+-\d{2})\s*\|(.*)\|(.*)\|\s*$")


def test_issue_rows_name_existing_tests() -> None:
    """Rows for issue items (``| I15-01 | tests | status |``): a known status, at least one
    test named, and every named test exists."""
    funcs = test_functions()
    rows = [
        m.groups()
        for line in DOC.read_text(encoding="utf-8").splitlines()
        if (m := ISSUE_ROW_RE.match(line))
    ]
    assert rows, "no issue rows found"
    missing = []
    for rid, tests, status in rows:
        status = status.strip()
        assert status.startswith(STATUSES), f"{rid}: status {status!r}"
        assert REF_RE.search(tests), f"{rid}: no test named"
        for file, name in REF_RE.findall(tests + " " + status):
            if name not in funcs.get(file, set()):
                missing.append(f"{rid}: {file}::{name}")
    assert not missing, missing
