"""The shipped punctuation spans (normalize/punct_table.py) are the table the Unicode database
gives: equal to computing it, for this interpreter and for other kept characters."""

from __future__ import annotations

import itertools
import unicodedata

import pytest

from aggregator.normalize import item, punct_table


def _classified(keep: str) -> dict[int, str | None]:
    """The table as item._punct_table built it before the spans were shipped."""
    table: dict[int, str | None] = {}
    for cp in range(0x10000):
        cat = unicodedata.category(chr(cp))
        if cat.startswith("P") and chr(cp) not in keep:
            table[cp] = " "
        elif cat == "Cf":
            table[cp] = None
    return table


def test_fold_table_equals_classifying_every_code_point() -> None:
    got = item._punct_table()
    want = _classified("%")
    assert got == want
    assert list(got) == list(want)  # the same order too
    assert got[ord(",")] == " " and got[0x200B] is None and ord("%") not in got


def test_shipped_spans_are_the_running_unicode_databases() -> None:
    if unicodedata.unidata_version != punct_table.UNIDATA_VERSION:
        # another Python: the spans are computed, never the shipped ones
        assert punct_table.spans("%") is not punct_table.SHIPPED_SPANS
        pytest.skip(f"spans shipped for Unicode {punct_table.UNIDATA_VERSION}")
    assert punct_table.spans("%") is punct_table.SHIPPED_SPANS
    assert list(punct_table.SHIPPED_SPANS) == punct_table.computed_spans("%")


def test_spans_are_ascending_disjoint_and_maximal() -> None:
    s = punct_table.SHIPPED_SPANS
    assert all(a <= b for a, b, _ in s)
    for (_, b1, k1), (a2, _, k2) in itertools.pairwise(s):
        assert a2 > b1 and (a2 > b1 + 1 or k1 != k2)


@pytest.mark.parametrize("keep", ["", "%#", "。"])
def test_other_kept_characters_compute_their_own_table(keep: str) -> None:
    assert punct_table.spans(keep) is not punct_table.SHIPPED_SPANS
    assert punct_table.table(keep) == _classified(keep)
