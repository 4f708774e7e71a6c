"""neardup: judge rules, the SQLite LSH index (persistence, prune) and a small labelled eval
(fixture: tests/fixtures/neardup/README.md; full run: bench/eval_dedup.py)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import numpy as np
import opencc
import pytest

from aggregator.dedupe import neardup, textsim
from aggregator.store import band_index

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import eval_dedup  # noqa: E402

EN = (
    "washington (ap) — the senate on tuesday passed a bill that would fund the government "
    "through december, averting a shutdown hours before the deadline. the measure now goes "
    "to the house, where leaders said they expected a vote later in the week. lawmakers "
    "from both parties said the stopgap was needed to give negotiators more time."
)
ZH_SUMMARY = "美国参议院周二通过一项临时拨款法案，避免政府在截止日期前数小时停摆。"
ZH = (
    "新华社北京11月21日电 国务院总理主持召开国务院常务会议，部署进一步扩大对外开放，稳定外贸"
    "外资基本盘；要求各地区各部门加大政策落实力度，支持中小微企业纾困发展，保障能源安全稳定供应。"
)


def rec(i: int, title: str, text: str, lang: str = "en") -> neardup.TextRecord:
    return neardup.make_record(i, lang, eval_dedup.fold(title), eval_dedup.fold(text))


def test_near_text_for_boilerplate_rewrite() -> None:
    old = rec(1, "Senate passes stopgap", EN)
    new = rec(2, "Senate passes stopgap bill", EN + " copyright 2021 the associated press.")
    m = neardup.judge(new, old)
    assert m is not None and m.rule == "near_text" and m.score >= 0.6


def test_containment_for_zh_digest_quoting_english_article() -> None:
    old = rec(1, "Senate passes stopgap", EN)
    new = rec(2, "参议院通过临时拨款", ZH_SUMMARY + ZH + "\n" + EN, "zh-Hans")
    m = neardup.judge(new, old)
    assert m is not None and m.rule == "containment", m
    assert m.features["containment_old_in_new"] == 1.0
    # And the other way round: the article arrives after the digest.
    m2 = neardup.judge(old, new)
    assert m2 is not None and m2.rule == "containment"


def test_traditional_repost_is_near_text() -> None:
    t = opencc.OpenCC("s2t").convert(ZH)
    m = neardup.judge(rec(2, "", t, "zh-Hant"), rec(1, "", ZH, "zh-Hans"))
    assert m is not None and m.rule == "near_text" and m.score == 1.0


def test_near_title_for_short_items_only() -> None:
    a = rec(1, "Apple unveils new MacBook Pro with M5 chip", "")
    b = rec(2, "Apple unveils new MacBook Pro with M5 chip - Reuters", "")
    c = rec(3, "Apple unveils new iPad with M5 chip", "")
    assert (m := neardup.judge(b, a)) is not None and m.rule == "near_title"
    assert neardup.judge(c, a) is None


def test_different_story_same_boilerplate_is_not_a_match() -> None:
    a = rec(1, "x", "来源：新华社 " + ZH + "（责任编辑：王晓东）", "zh-Hans")
    b = rec(2, "y", "来源：新华社 " + ZH_SUMMARY * 2 + "（责任编辑：王晓东）", "zh-Hans")
    assert neardup.judge(b, a) is None


def test_index_persists_across_connections_and_prunes(tmp_path: Path) -> None:
    db = tmp_path / "nd.db"
    conn = sqlite3.connect(db)
    index = band_index.NearDupIndex(conn)
    old = rec(1, "Senate passes stopgap", EN)
    index.add(1, textsim.sketch(old.shingles), "2026-11-14T00:00:00Z")
    index.add(2, textsim.sketch(rec(2, "", ZH, "zh-Hans").shingles), "2026-11-21T00:00:00+00:00")
    conn.commit()
    conn.close()

    conn = sqlite3.connect(db)
    index = band_index.NearDupIndex(conn)  # no rebuild: the table is already there
    digest = rec(3, "参议院通过临时拨款", ZH_SUMMARY + "\n" + EN, "zh-Hans")
    assert index.candidates(textsim.sketch(digest.shingles)) == [1]
    assert index.candidates(textsim.sketch(digest.shingles), exclude=[1]) == []
    assert index.prune("2026-11-15T00:00:00Z") > 0
    assert index.candidates(textsim.sketch(digest.shingles)) == []
    assert index.candidates(textsim.sketch(rec(4, "", ZH, "zh-Hans").shingles)) == [2]
    index.remove(2, textsim.sketch(rec(2, "", ZH, "zh-Hans").shingles))
    assert conn.execute("SELECT count(*) FROM minhash_bands").fetchone()[0] == 0


def test_band_keys_shared_between_full_and_lead_rows() -> None:
    sig = textsim.sketch(textsim.shingle(" ".join(f"w{i}" for i in range(300))))
    keys = neardup.band_keys(sig)
    assert len(keys) == neardup.LSH_BANDS + neardup.LEAD_BANDS
    # The lead row's bands hash like bands 0-9 of a whole-text row (short item meets lead).
    assert set(neardup.band_keys(sig[1:2], bands=neardup.LEAD_BANDS)) <= set(keys)
    with pytest.raises(ValueError):
        neardup.band_keys(sig[:, :10])


def test_small_labelled_eval_keeps_its_floors() -> None:
    """Fixture version of bench/eval_dedup.py (31 originals → 175 variants, 34 negatives).
    Measured 2026-11-22: recall 0.960, 0 false matches, 0 wrong matches; floors sit below."""
    docs = eval_dedup.load_fixture(ROOT / "tests/fixtures/neardup/originals.json")
    originals, cases = eval_dedup.build(docs)
    res = eval_dedup.evaluate(originals, cases)
    rows = res["rows"]
    assert isinstance(rows, dict)
    tp = sum(st["tp"] for (_, k), st in rows.items() if not k.startswith("neg"))
    pos = sum(st["n"] for (_, k), st in rows.items() if not k.startswith("neg"))
    wrong = sum(st["wrong"] for st in rows.values())
    fp = sum(st["fp_judge"] for st in rows.values())
    assert tp / pos >= 0.93
    assert fp == 0 and wrong <= 2
    for key in [
        ("zh", "s2t"),
        ("zh+en", "digest_of_other"),
        ("en", "boilerplate"),
        ("zh", "boilerplate"),
        ("en", "lead"),
    ]:
        assert rows[key]["tp"] == rows[key]["n"], key


def test_title_shingles_are_computed_only_when_judged() -> None:
    """A new item that meets no candidate is never judged: its title is not shingled (the
    record used to shingle it up front). When judged, the values are the eager ones."""
    title = "daily briefing markets rally"
    text = " ".join(f"word{i} of{i % 7} story{i % 11}" for i in range(60))
    rec = neardup.make_record(1, "en", title, text)
    assert "title_shingles" not in vars(rec)
    other = neardup.make_record(2, "en", "daily briefing markets fall", text)
    m = neardup.judge(rec, other)
    assert "title_shingles" in vars(rec) and "title_shingles" in vars(other)
    eager = textsim.shingle(
        title, neardup.TITLE_HAN_NGRAM_CHARS, neardup.TITLE_WORD_NGRAM_WORDS
    ).all
    assert rec.title_shingles.tolist() == eager.tolist()
    assert m is not None and m.rule == "near_text"
    assert m.features["title_jaccard"] == round(textsim.jaccard(eager, other.title_shingles), 4)


def test_overlap_equals_the_textsim_measures() -> None:
    """judge takes Jaccard and both containments from one intersection (neardup.overlap):
    exactly textsim.jaccard / containment, empty sets included."""
    rng = np.random.default_rng(11)
    sizes = (0, 1, 5, 30, 200)
    for n_a in sizes:
        for n_b in sizes:
            for shared in {0, min(n_a, n_b), min(n_a, n_b) // 2}:
                common = rng.integers(0, 2**63, size=shared, dtype=np.uint64)
                a = np.unique(np.concatenate(
                    [common, rng.integers(0, 2**63, size=n_a - shared, dtype=np.uint64)]))
                b = np.unique(np.concatenate(
                    [common, rng.integers(0, 2**63, size=n_b - shared, dtype=np.uint64)]))
                want = (textsim.jaccard(a, b), textsim.containment(b, a),
                        textsim.containment(a, b))
                assert neardup.overlap(a, b) == want
