"""Same-language and cross-language lexical evidence (issue 13 items 2 and 3): CC-CEDICT glosses,
online document frequencies (bounded, persisted), keyword profiles, and their place in the
clusterer's score and decision rows."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import numpy as np

from aggregator.cluster import cedict, lexical
from aggregator.cluster.clusterer import ClusterInput, EventClusterer, ScoreWeights
from aggregator.cluster.embed import LexicalEmbedder
from aggregator.config import ClusterConfig, Config
from aggregator.pipeline.cluster_pass import EventBuilder
from aggregator.store import events as store_events
from aggregator.store.core import Store, utc_iso

NOW = datetime(2025, 3, 28, 12, 0, tzinfo=UTC)


def test_chinese_terms_meet_english_through_the_dictionary() -> None:
    en = lexical.terms("Federal Reserve raises interest rates", "Myanmar earthquake in Mandalay")
    zh = lexical.terms("美联储宣布加息", "缅甸曼德勒发生地震")
    hant = lexical.terms("美聯儲宣布加息", "緬甸曼德勒發生地震")  # Traditional folds first
    shared = set(en) & set(zh)
    assert {"federal", "reserve", "myanmar", "mandalay", "earthquake"} <= shared
    assert set(hant) == set(zh)
    # Stop words and one-character tokens carry no topic.
    assert not {"the", "in", "7"} & set(lexical.terms("The quake in 7 towns", ""))


def test_hand_table_only_holds_what_the_dictionary_lacks() -> None:
    entries = {simp for simp, _ in cedict._entries()}
    override = {"脱欧"}  # glossed "withdraw from the EU", never "Brexit"
    assert not (set(cedict.HAND_GLOSSES) - override) & entries
    assert lexical.terms("苏莱曼尼遇袭身亡", "")["soleimani"] == 2  # headline counts twice


def test_unknown_chinese_names_still_match_between_chinese_reports() -> None:
    a, b = lexical.terms("阿巴嘎嘎访华", ""), lexical.terms("阿巴嘎嘎抵京", "")
    assert set(a) & set(b)


def test_doc_freq_is_bounded_and_reports_forgotten_terms() -> None:
    df = lexical.DocFreq(max_terms=10)
    df.add({"common": 1})
    df.add({"common": 1})
    df.take_changes()
    for i in range(20):
        df.add({f"rare{i}": 1})
    assert len(df.df) <= 10 and df.df["common"] == 2 and df.n_docs == 22
    n, changed = df.take_changes()
    assert n == 22 and any(d == 0 for _, d in changed)
    assert df.idf("never-seen") > df.idf("common")


def test_profile_is_the_sum_of_member_vectors() -> None:
    df = lexical.DocFreq()
    docs = [lexical.terms(t, "") for t in ("Quake hits Myanmar", "Myanmar quake toll rises", "x")]
    for d in docs:
        df.add(d)
    vecs = [lexical.weigh(d, df) for d in docs]
    prof = lexical.Profile()
    for v in vecs[:2]:
        prof.add(v)
    sums: dict[str, float] = {}
    for v in vecs[:2]:
        for t, x in v.items():
            sums[t] = sums.get(t, 0.0) + x
    norm = math.sqrt(sum(x * x for x in sums.values()))
    q = vecs[1]
    want = sum(x * sums.get(t, 0.0) for t, x in q.items()) / norm
    assert math.isclose(prof.cosine(q), want, rel_tol=1e-9)
    assert math.isclose(prof.norm2, norm**2, rel_tol=1e-9)


def _unit(seed: int, base: np.ndarray | None = None, noise: float = 0.0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(16).astype(np.float32)
    if base is not None:
        v = base + noise * v
    return (v / np.linalg.norm(v)).astype(np.float32)


def test_lexical_weight_lets_shared_words_decide_between_close_vectors() -> None:
    """Two items with the same middling vector similarity: the one that shares the event's
    words joins when lexical evidence counts, neither does without it."""
    base = _unit(1)
    vec = _unit(2, base, 0.9)
    for lex, joins in ((0.0, False), (0.6, True)):
        # Shared entities (Iceland) and the disaster signature (a volcano in Iceland) off:
        # only the words decide.
        w = ScoreWeights(
            centre=False,
            cross_lingual_bonus=0.0,
            lex_same=lex,
            join_score=0.75,
            w_shared=0.0,
            w_signature=0.0,
        )
        cl = EventClusterer(ClusterConfig(), 16, weights=w)
        first = ClusterInput(
            1, "en", "Volcano erupts on Iceland's Reykjanes peninsula", "", NOW, base
        )
        cl.add_member(first, 10)
        same_words = ClusterInput(
            2, "en", "Reykjanes volcano erupts again in Iceland", "", NOW, vec
        )
        other = ClusterInput(3, "en", "Parliament passes budget bill", "", NOW, vec)
        a, b = cl.assign(same_words, NOW), cl.assign(other, NOW)
        assert (a.event_id == 10) is joins
        assert b.event_id is None
        assert a.features["lex"] > 0.3 > b.features["lex"]
        for key in ("lex_member", "lex_profile", "lex_weight", "cos_max", "time", "shared"):
            assert key in a.features


def test_doc_freq_is_persisted_and_decisions_record_every_feature(
    cfg: Config, store: Store, now: datetime
) -> None:
    fid = store.add_feed("http://example.org/f.xml", now=now)
    heads = [
        "Volcano erupts in Iceland",
        "Iceland volcano eruption forces evacuation",
        "Budget bill passes parliament",
        "冰岛火山喷发",
    ]
    with store.transaction():
        for k, h in enumerate(heads):
            at = utc_iso(now - timedelta(minutes=10 * (len(heads) - k)))
            store.conn.execute(
                "INSERT INTO items (feed_id, guid, title, summary, lang, fetched_at, updated_at,"
                " content_hash) VALUES (?, ?, ?, '', ?, ?, ?, ?)",
                (fid, f"g{k}", h, "zh" if k == 3 else "en", at, at, f"h{k}"),
            )
    builder = EventBuilder(cfg, store, LexicalEmbedder())
    assert builder.cluster_pending(now) == 4
    n, rows = store_events.load_doc_freq(store)
    assert builder.clusterer is not None
    assert n == 4 == builder.clusterer.df.n_docs
    assert dict(rows) == builder.clusterer.df.df and dict(rows)["iceland"] == 3
    again = EventBuilder(cfg, store, LexicalEmbedder())
    again._prepare(now)
    assert again.clusterer is not None and again.clusterer.df.df == builder.clusterer.df.df
    feats = [
        json.loads(r["features"])
        for r in store.rows("SELECT features FROM decisions WHERE stage = 'cluster' ORDER BY id")
    ]
    scored = [f for f in feats if f.get("candidates")]
    assert scored and all({"lex", "lex_member", "lex_profile", "cos_max"} <= set(f) for f in scored)


def test_every_chinese_run_is_glossed_not_only_the_first() -> None:
    # Regression: an unglossed last word of one run must not switch later runs to bigrams.
    got = lexical.terms("中国的，缅甸地震", "")  # 的 has no usable gloss
    assert {"myanmar", "earthquake"} <= set(got) and "缅甸" not in got


def test_weigh_with_memos_equals_the_formula_bit_for_bit() -> None:
    """weigh() reads idf and 1 + ln tf from per-state memos (issue 16: the window load weighs
    thousands of members against one table); the vectors are the formula's, to the last bit,
    in the same order, and follow every change of the document frequencies."""
    import random

    def reference(counts: dict[str, int], df: lexical.DocFreq) -> dict[str, float]:
        n1 = df.n_docs + 1
        w = {
            t: (1.0 + math.log(c)) * (math.log(n1 / (df.df.get(t, 0) + 1)) + 1.0)
            for t, c in counts.items()
        }
        if len(w) > lexical.MAX_TERMS:
            w = dict(sorted(w.items(), key=lambda kv: (-kv[1], kv[0]))[: lexical.MAX_TERMS])
        norm = math.sqrt(sum(v * v for v in w.values())) or 1.0
        return {t: v / norm for t, v in w.items()}

    rng = random.Random(16)
    vocab = [f"w{i}" for i in range(300)]
    df = lexical.DocFreq(max_terms=120)  # small: forgetting happens too
    df.load(5, [(t, rng.randint(1, 5)) for t in vocab[:50]])
    for _ in range(400):
        counts = {t: rng.choice((1, 1, 2, 3, 7)) for t in rng.sample(vocab, rng.randint(1, 90))}
        got, want = lexical.weigh(counts, df), reference(counts, df)
        assert list(got.items()) == list(want.items())
        if rng.random() < 0.5:
            df.add(counts)


def test_two_chinese_reports_compare_their_own_words_not_their_glosses() -> None:
    # Two different WMT21 stories of one day: their glosses share the vocabulary of the
    # epidemic ("new", "confirm", "case", "infection"…), their own words far less.
    a = lexical.terms("江苏新增境外输入无症状感染者1例", "")
    b = lexical.terms("日本新冠确诊病例累计超3万例", "")
    same = lexical.terms("日本新冠確診病例累計超過3萬例", "")  # the same story, Traditional
    df = lexical.DocFreq()
    for c in (a, b, same):
        df.add(c)
    assert lexical.NATIVE + "病例" in b  # a glossed word keeps its own form too
    gloss = lexical.cosine(lexical.weigh(a, df), lexical.weigh(b, df))
    native = lexical.cosine(lexical.weigh(a, df, native=True), lexical.weigh(b, df, native=True))
    assert native < gloss
    twin = lexical.cosine(lexical.weigh(b, df, native=True), lexical.weigh(same, df, native=True))
    assert twin > 0.5 > native
    # The shared English-word space has no native forms: Chinese meets English as before.
    assert not any(t.startswith(lexical.NATIVE) for t in lexical.weigh(b, df))
    assert all(
        t.startswith(lexical.NATIVE) or cedict_han(t) for t in lexical.weigh(b, df, native=True)
    )


def cedict_han(term: str) -> bool:
    return all("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in term)


def test_native_words_decide_between_chinese_reports_in_the_clusterer() -> None:
    cfg = ClusterConfig()
    v = np.ones(4, dtype=np.float32) / 2.0
    first = ClusterInput(1, "zh-Hans", "江苏新增境外输入无症状感染者1例", "", NOW, v)
    decoy = ClusterInput(2, "zh-Hans", "日本新冠确诊病例累计超3万例", "", NOW, v)
    feats = {}
    for native in (False, True):
        w = ScoreWeights(centre=False, lex_native=native)
        cl = EventClusterer(cfg, 4, weights=w)
        cl.add_member(first, 1)
        feats[native] = cl.assign(decoy, NOW).features
    assert feats[True]["lex"] < feats[False]["lex"]


def test_term_counts_of_another_terms_version_are_recomputed(
    cfg: Config, store: Store, now: datetime
) -> None:
    fid = store.add_feed("http://example.org/f.xml", now=now)
    with store.transaction():
        store.conn.execute(
            "INSERT INTO items (feed_id, guid, title, summary, lang, fetched_at, updated_at,"
            " content_hash) VALUES (?, 'g', '美联储宣布降息', '', 'zh', ?, ?, 'h')",
            (fid, utc_iso(now - timedelta(minutes=5)), utc_iso(now - timedelta(minutes=5))),
        )
    assert EventBuilder(cfg, store, LexicalEmbedder()).cluster_pending(now) == 1
    stored = store.rows("SELECT terms FROM item_terms")
    assert json.loads(stored[0]["terms"]) == lexical.terms("美联储宣布降息", "")
    with store.transaction():  # as a store written by version 1 of lexical.terms
        store.conn.execute("UPDATE item_terms SET terms = '{\"stale\": 1}'")
        store.conn.execute(
            "UPDATE store_settings SET value = '1' WHERE key = ?", (store_events.TERMS_SETTING,)
        )
    again = EventBuilder(cfg, store, LexicalEmbedder())
    again._prepare(now)
    stored = store.rows("SELECT terms FROM item_terms")
    assert json.loads(stored[0]["terms"]) == lexical.terms("美联储宣布降息", "")
    assert store_events.ensure_terms_version(store, lexical.TERMS_VERSION) == 0


def test_chinese_reports_in_other_words_meet_through_their_glosses_too() -> None:
    """Reports "央行…下调利率" and "中央银行…降息" share no word but share their glosses (central
    bank, cut, interest rate): combining native and gloss cosines joins them; a different
    story of the same day still stays apart. Native words alone leave the pair apart."""
    base = _unit(1)
    vec = _unit(2, base, 0.9)
    cos = float(base @ vec)
    first = ClusterInput(1, "zh-Hans", "央行宣布下调利率", "", NOW, base)
    same = ClusterInput(2, "zh-Hans", "中央银行决定降息", "", NOW, vec)
    decoy = ClusterInput(3, "zh-Hans", "日本新冠确诊病例累计超3万例", "", NOW, vec)
    got = {}
    for mix in (0.0, 0.5):
        w = ScoreWeights(centre=False, lex_zh_gloss=mix, join_score=cos)
        cl = EventClusterer(ClusterConfig(), 16, weights=w)
        cl.add_member(first, 10)
        got[mix] = (cl.assign(same, NOW), cl.assign(decoy, NOW))
    assert got[0.0][0].event_id is None
    assert got[0.5][0].event_id == 10
    assert got[0.5][1].event_id is None
    assert got[0.5][0].features["lex"] > got[0.0][0].features["lex"]
