"""The deferred window path weighs a stored member from its counts split once into the
shared-space and native parts (``lexical.split`` via ``window_values.stored_parts``), not by
filtering every term per ``lexical.weigh`` call (issue 16, the 2-new peer pass). Its weights
must be ``weigh``'s exactly: the same floats, the same term order."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

from aggregator.cluster import lexical
from aggregator.pipeline.window_values import stored_parts, stored_terms

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _texts() -> list[tuple[str, str]]:
    """(title, lead) of real headlines and reports, English and Chinese, and runs of six
    (twelve Chinese) headlines as one text (more terms than ``MAX_TERMS``: the top-terms cut)."""
    rows = (FIXTURES / "headlines" / "headlines.tsv").read_text("utf-8").splitlines()[1:]
    cells = [r.split("\t") for r in rows if r.count("\t") >= 2]
    out = [(c[2], "") for c in cells]
    for zh in (False, True):  # runs within one language: Chinese runs fill the native part
        heads = [c[2] for c in cells if c[0].startswith("zh") == zh]
        n = 12 if zh else 6
        out += [(heads[i], " ".join(heads[i + 1 : i + n])) for i in range(0, len(heads) - n, 3)]
    for line in (FIXTURES / "events" / "events.jsonl").read_text("utf-8").splitlines():
        rec = json.loads(line)
        out.append((rec["title"], rec["lead"]))
    return out


def _picked(counts: Counter[str], native: bool) -> list[tuple[str, int]]:
    """The terms ``weigh`` picked before it went through ``split`` (the reference)."""
    han = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
    if native:
        return [(t, c) for t, c in counts.items() if t.startswith("=") or bool(han.match(t))]
    return [(t, c) for t, c in counts.items() if not t.startswith("=")]


def _stored(counts: Counter[str]) -> str:  # as store/events.save_terms writes them
    return json.dumps(counts, ensure_ascii=False, separators=(",", ":"))


def test_split_parts_weigh_exactly_as_weigh_on_real_texts() -> None:
    df = lexical.DocFreq()
    cut = {False: 0, True: 0}
    for k, (title, lead) in enumerate(_texts()):
        counts = lexical.terms(title, lead)
        raw = _stored(counts)
        assert stored_terms(raw) == counts
        shared, native = stored_parts(raw, True)
        assert native is not None
        plain, none = stored_parts(raw, False)
        assert plain == shared and none is None
        for nat, part in ((False, shared), (True, native)):
            assert part == _picked(counts, nat)
            want = lexical.weigh(counts, df, native=nat)
            got = lexical.weigh_chosen(part, df, intern=True)
            assert got == want and list(got) == list(want)  # same floats, same order
            assert all(sys.intern(t) is t for t in got)
            cut[nat] += len(part) > lexical.MAX_TERMS
        if k % 4 == 0:  # the frequencies move: both of weigh's paths are taken
            df.add(counts)
    assert cut[False] > 100 and cut[True] > 50  # the top-terms cut was exercised


def test_split_keeps_unglossed_han_words_in_both_parts_and_native_forms_in_one() -> None:
    pairs = [("storm", 2), ("=美联储", 1), ("federal", 1), ("徐汇", 3), ("x中", 1), ("", 1)]
    shared, native = lexical.split(pairs, True)
    assert shared == [("storm", 2), ("federal", 1), ("徐汇", 3), ("x中", 1), ("", 1)]
    assert native == [("=美联储", 1), ("徐汇", 3)]
    assert lexical.split(pairs, False) == (shared, None)
    assert native == _picked(Counter(dict(pairs)), True)
