"""Tests for the cluster stage: evidence extraction, the online clusterer, the index, and a
small real-model evaluation with floors a little under the measured figures."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from aggregator.cluster import evidence as entities
from aggregator.cluster.clusterer import (
    GRAM_MAX_MEMBERS,
    RULE_JOIN,
    RULE_NEW,
    ClusterInput,
    ClusterMember,
    EventClusterer,
    LangMeans,
    ScoreWeights,
    default_weights,
    evidence_for,
    representative_title,
)
from aggregator.cluster.embed import UseEmbedder
from aggregator.cluster.index import VectorIndex
from aggregator.config import ClusterConfig, Config
from aggregator.store.core import Store, utc_iso

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2025, 3, 28, 12, 0, tzinfo=UTC)
DIM = 16


# -- evidence --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1,200 people", "1200人"),
        ("2.4万人", "24,000 people"),
        ("17.5亿立方米", "1.75 billion cubic metres"),
        ("一千二百人", "1200 people"),
        ("降至4.25%", "to 4.25 percent"),
        ("$550 billion", "5500亿美元"),
    ],
)
def test_numbers_normalise_across_languages(a: str, b: str) -> None:
    assert entities.numbers(a) & entities.numbers(b)


def test_numbers_skip_dates_years_and_small_integers() -> None:
    assert entities.numbers("新华社北京7月26日电 记者26日获悉，2020年第3号洪水，14时") == set()
    assert entities.numbers("Beijing, July 26: 2 dead in 2020") == set()
    assert entities.dates("7月26日") == entities.dates("July 26") == {"date:07-26"}
    assert entities.dates("26 July") == {"date:07-26"}


def test_long_digit_runs_are_identifiers_not_figures() -> None:
    # Two books' ISBNs would both read num:9.78e+12 at 3 significant digits (SemEval dev:
    # two Amazon listings of different books joined on it); a figure that large is written
    # with separators or a scale word, and those stay.
    a = entities.numbers("同胞：Soldatov、Andrei：9781541730168：Amazon.com")
    b = entities.numbers("红网：Soldatov、Andrei：9781610399579：Amazon.com")
    assert not a & b
    assert entities.numbers("Call 5551234567 now") == set()
    assert entities.numbers("10,000,000 people") == {"num:1e+07"}
    assert entities.numbers("1150000 people moved") == {"num:1.15e+06"}
    assert entities.numbers("1000万人") == {"num:1e+07"}


def test_names_bilingual_and_traditional() -> None:
    assert "central_bank:fed" in evidence_for("Fed cuts rates", "").keys
    assert "central_bank:fed" in evidence_for("美联储宣布降息", "").keys
    assert "central_bank:fed" in evidence_for("聯準會降息1碼", "").keys  # folded t2s
    assert "central_bank:ecb" in evidence_for("歐洲央行減息", "").keys
    assert "country:us" not in evidence_for("Tell us more", "").keys  # "us" is not the US
    assert "country:japan" not in evidence_for("中美日内瓦经贸会谈", "").keys


def test_conflicts_need_novelty_on_both_sides() -> None:
    fed = evidence_for("Fed holds rates", "")
    ecb = evidence_for("ECB cuts rates", "")
    # The banks' countries conflict too (session 11: a bank stands for its country).
    assert entities.conflicts(fed.title_keys, fed.keys, ecb.title_keys, ecb.keys) == [
        "country",
        "central_bank",
    ]
    quake_jp = evidence_for("Earthquake hits Japan", "")
    quake_mm = evidence_for("缅甸发生强烈地震", "")
    assert "country" in entities.conflicts(
        quake_mm.title_keys, quake_mm.keys, quake_jp.title_keys, quake_jp.keys
    )
    talks = evidence_for("US and China agree to cut tariffs in Geneva", "")
    bessent = evidence_for("Bessent says talks with China made progress", "")
    assert entities.conflicts(bessent.title_keys, bessent.keys, talks.title_keys, talks.keys) == []
    # Magnitudes differ by agency: small figures never conflict.
    a, b = evidence_for("花莲7.2级地震", ""), evidence_for("花莲7.3级地震", "")
    assert entities.conflicts(a.title_keys, a.keys, b.title_keys, b.keys) == []


def test_magnitudes_far_apart_conflict() -> None:
    """Two quakes of one week: magnitude-like headline figures more than 0.5 apart conflict
    (agencies differ by up to 0.4 on one quake; a follow-up without a magnitude never), more
    than 1.0 where one is 8 or more (a great quake's first estimate is revised up)."""

    def mag(x: str, y: str) -> list[str]:
        a, b = evidence_for(x, ""), evidence_for(y, "")
        return entities.conflicts(a.title_keys, a.keys, b.title_keys, b.keys)

    noto = "Major 7.5 earthquake hits central Japan, tsunami warning issued"
    kamchatka = "Magnitude 8.8 earthquake off Russia's Kamchatka triggers tsunami warnings"
    assert "mag" in mag(kamchatka, noto)
    assert "mag" in mag("汤加附近海域发生7.1级地震", "缅甸中部发生7.7级强烈地震")
    assert "mag" not in mag("日本能登半島規模7.6強震", noto)  # one quake, another agency
    assert "mag" in mag("Magnitude 7.0 quake strikes off Vanuatu", "缅甸中部发生7.7级强烈地震")
    assert "mag" not in mag("Magnitude 7.0 quake strikes off Vanuatu", "瓦努阿图发生7.0级地震")
    toll = "Myanmar earthquake death toll passes 1,600"
    assert "mag" not in mag(toll, "缅甸中部发生7.7级强烈地震")
    # A great quake's first figure is revised up by more than 0.5 within hours (Kamchatka
    # 2025: JMA 8.0, then 8.7 / 8.8): at 8 or more a conflict takes more than 1.0; its 7.4
    # foreshock still conflicts.
    first = "美日同步示警!堪察加發8.0強震 北海道至宮崎列縣嚴防海嘯來襲"
    assert "mag" not in mag(first, "俄羅斯外海規模8.7強震!日本發海嘯警報")
    assert "mag" not in mag(first, kamchatka)
    assert "mag" in mag("Magnitude 7.4 quake strikes off Kamchatka", kamchatka)
    # A side that states the other's figure is the same quake re-measured.
    a = evidence_for("Quake of magnitude 7.0 hits coast", "")
    b = evidence_for("Magnitude 7.8 quake", "first measured at 7.0")
    assert entities.conflicts(a.title_keys, a.keys, b.title_keys, b.keys) == []


def test_casualty_counts_are_follow_ups_not_conflicts() -> None:
    """A death-toll update disagrees with the first report's figures (tolls grow): its counts
    are ``toll:`` keys, which never conflict, and still match another report of that toll.
    Other headline figures keep conflicting."""

    def conflicts(x: str, y: str) -> list[str]:
        a, b = evidence_for(x, ""), evidence_for(y, "")
        return entities.conflicts(a.title_keys, a.keys, b.title_keys, b.keys)

    first = "花莲规模7.2强震 25年来最大 多处建物倒塌"
    for update in (
        "花莲强震已酿9死逾800伤 太鲁阁受困人数持续搜救",
        "Taiwan earthquake: death toll rises to 12, more than 800 injured",
    ):
        assert conflicts(update, first) == [], update
    assert conflicts("Flood kills 120 in Nigeria's north", "Nigeria: 40 hours of rain") == []
    assert "toll:1640" in evidence_for("缅甸强震遇难人数升至1644人", "").title_keys
    assert "toll:1640" in evidence_for("Myanmar quake: 1,644 people were killed", "").keys
    assert "toll:1600" in evidence_for("Myanmar earthquake death toll passes 1,600", "").keys
    # A rescue: the counts of trapped and rescued people move between reports too.
    rescue = "All 33 miners rescued in Chile"
    assert conflicts(rescue, "Chile mine collapse: 45 miners trapped") == []
    assert "num" in conflicts("Exports rose to 300 billion", "Exports fell to 250 billion")


def test_quakes_in_places_beyond_the_fixture_conflict() -> None:
    """Two quakes of one week with close magnitudes in countries the fixture never named:
    their countries disagree (English and Chinese alike); one quake's reports agree."""

    def conflicts(x: str, y: str) -> list[str]:
        a, b = evidence_for(x, ""), evidence_for(y, "")
        return entities.conflicts(a.title_keys, a.keys, b.title_keys, b.keys)

    vanuatu, chile = "Magnitude 7.3 quake strikes off Vanuatu", "智利北部发生7.1级地震"
    assert "country" in conflicts(vanuatu, chile)
    assert "country" in conflicts("秘鲁南部发生6.9级地震", "Strong 7.0 earthquake hits Greece")
    assert conflicts(vanuatu, "瓦努阿图附近海域发生7.3级地震") == []
    assert conflicts("7.1 earthquake hits northern Chile", chile) == []
    assert not evidence_for("沿海地区暴雨", "").title_keys & {"country:haiti"}


def test_a_follow_up_of_one_disaster_in_one_place_gets_the_signature_weight() -> None:
    """A death-toll report worded unlike the first report: naming the same disaster and place
    in its headline adds W_SIGNATURE; a toll report of another country's quake does not."""
    v = np.ones(8, dtype=np.float32) / np.sqrt(8.0)
    first = ClusterInput(1, "zh-Hans", "台湾花莲县海域发生7.3级地震", "", NOW, v)
    toll = ClusterInput(2, "zh-Hans", "花莲强震已酿9死逾800伤 太鲁阁受困人数持续搜救", "", NOW, v)
    decoy = ClusterInput(3, "zh-Hans", "缅甸强震遇难人数升至1644人", "", NOW, v)
    got = {}
    for sig in (0.0, ScoreWeights().w_signature):
        cl = EventClusterer(ClusterConfig(), 8, weights=ScoreWeights(centre=False, w_signature=sig))
        cl.add_member(first, 10)
        got[sig] = (cl.assign(toll, NOW), cl.assign(decoy, NOW))
    (t0, d0), (t1, d1) = got[0.0], got[ScoreWeights().w_signature]
    assert ScoreWeights().w_signature > 0
    assert t1.features["same_disaster"] and not d1.features["same_disaster"]
    assert t1.score - t0.score == pytest.approx(ScoreWeights().w_signature)
    assert d1.score == pytest.approx(d0.score)


def test_a_rescue_a_market_reaction_or_a_summit_day_gets_the_signature_weight() -> None:
    """Follow-ups named by what they add: a rescue in the quake's place (its headline names
    rescuers' country too: no country conflict then), a market reaction to the bank's rate
    move, a summit's declaration after its eve speech. Decoys get nothing: a rescue
    elsewhere, another bank's decision, another body's summit."""
    v = np.ones(8, dtype=np.float32) / np.sqrt(8.0)

    def delta(first: str, follow: str) -> tuple[float, dict[str, object]]:
        got = {}
        for sig in (0.0, ScoreWeights().w_signature):
            cl = EventClusterer(
                ClusterConfig(), 8, weights=ScoreWeights(centre=False, w_signature=sig)
            )
            cl.add_member(ClusterInput(1, "en", first, "", NOW, v), 10)
            got[sig] = cl.assign(ClusterInput(2, "zh-Hans", follow, "", NOW, v), NOW)
        d0, d1 = got[0.0], got[ScoreWeights().w_signature]
        return d1.score - d0.score, d1.features

    quake = "7.7-magnitude earthquake hits Myanmar, tremors felt in Thailand"
    gain, f = delta(quake, "特稿|挺进缅甸灾区 中国救援争分夺秒")
    assert f["same_disaster"] and f["conflicts"] == []
    # The signature's weight, and the country conflict (China vs Thailand) no longer counted.
    assert gain > ScoreWeights().w_signature
    gain, f = delta(quake, "中国国际救援队在缅甸曼德勒城区多地持续展开救援")
    assert f["same_disaster"] and gain > ScoreWeights().w_signature
    gain, f = delta(quake, "中国救援队抵达土耳其灾区")  # another country's disaster zone
    assert not f["same_disaster"] and gain == pytest.approx(0.0)
    fed = "Federal Reserve cuts key rate for first time this year"
    gain, f = delta(fed, "美股收盘涨跌互现 交易员解读鲍威尔降息后讲话")
    assert f["same_disaster"] and gain == pytest.approx(ScoreWeights().w_signature)
    gain, f = delta(fed, "英国央行维持利率4%不变")
    assert not f["same_disaster"] and "central_bank" in f["conflicts"]
    # One summit body in both headlines and a summit named: the summit's eve speech and its
    # declaration (a body meets once within a window); another body's summit gets nothing.
    sco = "China's Xi says SCO bears greater responsibility for keeping peace"
    gain, f = delta(sco, "上合峰会｜成员国签署发表「天津宣言」")
    assert f["same_disaster"] and gain == pytest.approx(ScoreWeights().w_signature)
    gain, f = delta(sco, "金砖国家峰会在里约开幕")
    assert not f["same_disaster"] and gain == pytest.approx(0.0)
    # Without one occurrence, a second country still conflicts.
    gain, f = delta("US and China agree to cut tariffs", "美俄就乌克兰问题举行会谈")
    assert not f["same_disaster"] and "country" in f["conflicts"]


def test_other_central_banks_are_not_the_fed() -> None:
    """Three central banks of one week are three events: 澳洲联储 (the RBA) and 新西兰联储 hold
    联储 but are not the Fed; each bank's English and Chinese names meet."""

    def keys(x: str) -> frozenset[str]:
        return evidence_for(x, "").title_keys

    def conflicts(x: str, y: str) -> list[str]:
        a, b = evidence_for(x, ""), evidence_for(y, "")
        return entities.conflicts(a.title_keys, a.keys, b.title_keys, b.keys)

    assert "central_bank:fed" not in keys("澳洲联储宣布加息25个基点")
    assert "central_bank" in conflicts("澳洲联储宣布加息", "美联储宣布降息")
    assert "central_bank" in conflicts("新西兰联储降息", "Fed cuts rates")
    assert "central_bank" in conflicts("加拿大央行降息", "英倫銀行減息")
    for zh, en in (
        ("澳洲联储宣布加息", "Reserve Bank of Australia raises rates"),
        ("加拿大央行降息", "Bank of Canada cuts rates"),
        ("英倫銀行減息", "Bank of England cuts rates"),
    ):
        assert keys(zh) & keys(en) & {k for k in keys(en) if k.startswith("central_bank:")}
        assert conflicts(zh, en) == []
    # One report naming two banks keeps both; a shared alias (中美) keeps both its keys.
    assert {"central_bank:fed", "central_bank:rba"} <= keys("澳洲联储加息 美联储按兵不动")
    assert {"country:us", "country:china"} <= keys("中美经贸会谈")


def test_north_korea_is_not_south_korea_and_summit_bodies_are_named() -> None:
    """"North Korean leader" named South Korea (its "Korean" matched alone), so a report on
    Kim and one on Seoul shared a country and one on Pyongyang conflicted with it. Summit
    bodies and the SCO's 2025 venue are keys in both languages (Traditional folded), so a
    Chinese paper's own summit report shares them with the English wire story; 上合 inside
    线上合作 ("online cooperation") is not the SCO."""

    def keys(x: str) -> frozenset[str]:
        return evidence_for(x, "").title_keys

    def conflicts(x: str, y: str) -> list[str]:
        a, b = evidence_for(x, ""), evidence_for(y, "")
        return entities.conflicts(a.title_keys, a.keys, b.title_keys, b.keys)

    assert keys("North Korean leader Kim Jong Un arrives in Beijing") >= {"country:north_korea"}
    assert "country:south_korea" not in keys("North Korean leader Kim Jong Un arrives")
    assert "country:north_korea" in keys("北韓領導人金正恩抵達北京")
    assert "country:south_korea" in keys("South Korean exports rise")
    assert "country" not in conflicts("North Korean troops in Kursk", "朝鲜向俄罗斯派兵")
    assert "country" in conflicts("North Korean missile launch", "South Korean election")
    wire = keys("Xi hosts Putin, Modi at SCO summit in Tianjin")
    own = keys("上合峰會｜成員國簽署發表「天津宣言」")
    assert {"org:sco", "city:tianjin", "topic:summit"} <= wire & own
    assert "org:sco" in keys("上海合作組織成員國元首理事會第二十五次會議在天津舉行")
    assert not keys("线上合作平台上线") & {"org:sco"}
    assert {"org:g20", "org:brics", "org:asean"} <= keys("G20、金砖国家与东盟领导人会晤")


def test_conflicts_between_matches_conflicts() -> None:
    """The scorer's precomputed form gives what :func:`entities.conflicts` gives."""
    heads = [
        "Fed holds rates",
        "ECB cuts rates",
        "Earthquake hits Japan, 1,200 dead",
        "缅甸发生强烈地震 1644人遇难",
        "US and China agree to cut tariffs in Geneva",
        "Bessent says talks with China in Stockholm made progress",
        "花莲7.2级地震",
        "Magnitude 8.8 earthquake off Kamchatka",
        "414,000 cases in Florida, 16 million worldwide",
    ]
    evs = [evidence_for(h, "Talks in London; the Fed and China") for h in heads]
    for a in evs:
        for b in evs:
            want = entities.conflicts(a.title_keys, a.keys, b.title_keys, b.keys)
            got = entities.conflicts_between(
                entities.conflict_candidates(a.title_keys),
                a.keys,
                entities.conflict_candidates(b.title_keys),
                b.keys,
            )
            assert got == want


# -- clusterer (pure logic, hand-made vectors) ----------------------------------------------
def unit(seed: int, base: np.ndarray | None = None, noise: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(DIM).astype(np.float32)
    if base is not None:
        v = base + noise * v
    return (v / np.linalg.norm(v)).astype(np.float32)


def item(
    i: int, vec: np.ndarray, title: str = "", lang: str = "en", at: datetime = NOW
) -> ClusterInput:
    return ClusterInput(i, lang, title or f"story {i}", "", at, vec)


def test_join_and_new_event_with_features() -> None:
    cl = EventClusterer(ClusterConfig(), DIM)
    a = unit(1)
    first = cl.assign(item(1, a), NOW)
    assert first.event_id is None and first.rule == RULE_NEW
    cl.add_member(item(1, a), 100)
    near = cl.assign(item(2, unit(2, a, 0.1)), NOW)
    assert near.event_id == 100 and near.rule == RULE_JOIN
    for key in ("cos_max", "cos_mean_topk", "time", "shared", "conflicts", "candidates"):
        assert key in near.features
    far = cl.assign(item(3, unit(3)), NOW)
    assert far.event_id is None and far.features.get("nearest_event_id") == 100


def test_conflict_keeps_fed_and_ecb_apart() -> None:
    cl = EventClusterer(ClusterConfig(), DIM)
    v = unit(5)
    cl.add_member(item(1, v, "Fed cuts rates by a quarter point"), 1)
    same_vec = unit(6, v, 0.25)
    assert cl.assign(item(2, same_vec, "美联储宣布降息25个基点", "zh"), NOW).event_id == 1
    ecb = cl.assign(item(3, same_vec, "ECB cuts rates by a quarter point"), NOW)
    assert ecb.event_id is None and ecb.features["conflicts"] == ["country", "central_bank"]


def test_lang_means_warm_up_and_horizon() -> None:
    means = LangMeans(DIM, prior_items=4.0, horizon_items=10.0)
    v = unit(30)
    assert not means.mean("en").any()  # unseen language: centring is a no-op
    np.testing.assert_allclose(means.centre(v, ["en"])[0], v, rtol=1e-6)
    means.update("en", v)
    np.testing.assert_allclose(means.mean("en"), v / 5.0, rtol=1e-6)  # one item of 5
    for _ in range(100):
        means.update("en", v)
    assert means.count("en") == 6.0  # capped by the horizon
    np.testing.assert_allclose(means.mean("en"), v, rtol=1e-3)
    prior = LangMeans(DIM, 4.0, 10.0, priors={"zh": v})
    prior.update("zh", -v)
    np.testing.assert_allclose(prior.mean("zh"), 0.6 * v, rtol=1e-5)
    rows = prior.centre(np.stack([v, v]), ["zh", "en"])
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, rtol=1e-5)


def test_centring_removes_a_shared_language_offset() -> None:
    # Every "zh" vector carries one big common component (as USE's do): raw cosines of
    # unrelated zh stories are high; after the running zh mean is learned they are not.
    offset = unit(40)
    members = [unit(41 + i, offset, 0.5) for i in range(30)]
    probe = item(99, unit(98, offset, 0.5), "a story", lang="zh")
    raw_cos = float(np.max(np.stack(members) @ probe.vector))
    assert raw_cos > 0.6
    # Lexical evidence off: every title here is the same placeholder, and centring is the subject.
    no_lex = {"lex_same": 0.0, "lex_cross": 0.0}
    for weights in (
        ScoreWeights(centre=False, cross_lingual_bonus=0.0, **no_lex),
        ScoreWeights(**no_lex),
    ):
        cl = EventClusterer(ClusterConfig(), DIM, weights=weights)
        for i, m in enumerate(members):
            cl.add_member(item(i, m, "a story", lang="zh"), i)
        joined = cl.assign(probe, NOW).event_id is not None
        assert joined is (not weights.centre)
    assert default_weights("lexical").centre is False


def test_time_window_and_prune() -> None:
    cl = EventClusterer(ClusterConfig(window_days=3.0), DIM)
    v = unit(7)
    cl.add_member(item(1, v, at=NOW - timedelta(days=5)), 1)
    late = cl.assign(item(2, v, at=NOW), NOW)
    assert late.event_id is None and late.features["candidates"] == 0
    cl.add_member(item(2, v, at=NOW), 2)
    assert cl.prune(NOW - timedelta(days=3)) == 1
    assert len(cl) == 1 and cl.event_count == 1
    assert cl.assign(item(3, v, at=NOW), NOW).event_id == 2


def test_add_existing_rebuilds_same_decisions() -> None:
    vecs = [unit(10 + i) for i in range(5)]
    members = [
        ClusterMember(i, 50 + i % 2, "en", v, NOW, evidence_for(f"t{i}", ""), f"t{i}")
        for i, v in enumerate(vecs)
    ]
    a, b = EventClusterer(ClusterConfig(), DIM), EventClusterer(ClusterConfig(), DIM)
    for m in members:
        a.add_existing(m)
        b.add_existing(m)
    probe = item(99, unit(11, vecs[1], 0.05))
    assert a.assign(probe, NOW) == b.assign(probe, NOW)
    assert a.assign(probe, NOW).event_id == 51


def test_representative_title_prefers_language_then_centrality() -> None:
    c = unit(20)
    ms = [
        ClusterMember(1, 1, "zh-Hans", unit(21, c, 0.1), NOW, evidence_for("", ""), "中文标题"),
        ClusterMember(2, 1, "en", unit(22, c, 0.8), NOW, evidence_for("", ""), "Outlier"),
        ClusterMember(3, 1, "en", unit(23, c, 0.1), NOW, evidence_for("", ""), "Central"),
        ClusterMember(4, 1, "zh-Hant", unit(24, c, 0.9), NOW, evidence_for("", ""), "繁體"),
    ]
    assert representative_title(ms, "en") == ("Central", "中文标题")
    assert representative_title(ms, "zh") == ("中文标题", "Central")
    assert representative_title(ms[:1], "en") == ("中文标题", None)
    assert representative_title([], "en") == ("", None)
    cl = EventClusterer(ClusterConfig(), DIM)
    for m in ms:
        cl.add_existing(m)
    assert cl.representative(1, "en") == ("Central", "中文标题")
    assert cl.representative(1, "zh") == ("中文标题", "Central")
    assert cl.representative(2, "en") == ("", None)


def test_representative_title_big_event_uses_linear_centrality() -> None:
    """Past GRAM_MAX_MEMBERS the centre is found without the Gram matrix, same answer."""
    c = unit(30)
    ms = [
        ClusterMember(
            i, 1, "en", unit(100 + i, c, 0.3 + (i % 7) * 0.2), NOW, evidence_for("", ""), f"t{i}"
        )
        for i in range(GRAM_MAX_MEMBERS + 20)
    ]
    vecs = np.stack([m.vector for m in ms])
    centrality = ((vecs @ vecs.T).sum(axis=1) - 1.0) / (len(ms) - 1)
    assert representative_title(ms, "en") == (ms[int(np.argmax(centrality))].title, None)


# -- index -----------------------------------------------------------------------------------
def test_ivf_recall_and_remove() -> None:
    rng = np.random.default_rng(0)
    dim, n = 64, 4000
    centres = rng.standard_normal((200, dim)).astype(np.float32)
    data = centres[rng.integers(0, 200, n)] + 0.3 * rng.standard_normal((n, dim))
    data = (data / np.linalg.norm(data, axis=1, keepdims=True)).astype(np.float32)
    exact, ivf = VectorIndex(dim, ivf_min_rows=10**9), VectorIndex(dim, ivf_min_rows=1000)
    for v in data:
        exact.add(v)
        ivf.add(v)
    assert ivf.is_ivf and not exact.is_ivf and len(ivf) == n
    queries = data[:200] + 0.05 * rng.standard_normal((200, dim)).astype(np.float32)
    hits = sum(int(exact.search(q, 1)[0][0] == ivf.search(q, 1)[0][0]) for q in queries)
    assert hits / len(queries) >= 0.97
    np.testing.assert_allclose(ivf.vectors([5, 7]), data[[5, 7]])
    ivf.remove(list(range(0, n, 2)))
    assert len(ivf) == n // 2
    rows, _ = ivf.search(data[1], 5)
    assert 1 in rows.tolist() and all(r % 2 == 1 for r in rows.tolist())
    odd = list(range(1, n, 2))
    np.testing.assert_array_equal(ivf.vectors(odd), data[odd])


def test_index_cells_grow_in_one_matrix() -> None:
    """Cells that outgrow their segment move to the tail; the matrix is repacked when full.
    Every row keeps its vector and search stays exact before the inverted file."""
    rng = np.random.default_rng(1)
    dim, n = 8, 3000
    data = rng.standard_normal((n, dim)).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    flat, ivf = VectorIndex(dim, ivf_min_rows=10**9), VectorIndex(dim, ivf_min_rows=500)
    for v in data:
        flat.add(v)
        ivf.add(v)
    assert ivf.is_ivf
    order = rng.permutation(n)
    for index in (flat, ivf):
        np.testing.assert_array_equal(index.vectors(order), data[order])
    rows, _ = flat.search(data[7], 10)
    want = np.argsort(-(data @ data[7]), kind="stable")[:10]
    assert set(rows.tolist()) == set(want.tolist()) and rows[0] == 7
    ivf.remove(list(range(0, n, 3)))
    for i in range(200):  # appends after a removal reuse the freed slots
        ivf.add(data[i])
    live = [r for r in range(n) if r % 3] + list(range(n, n + 200))
    want_vecs = np.concatenate([data[[r for r in range(n) if r % 3]], data[:200]])
    np.testing.assert_array_equal(ivf.vectors(live), want_vecs)
    assert len(ivf) == len(live)


# -- small real-model evaluation ---------------------------------------------------------------
def _wmt_dir() -> Path | None:
    for p in (
        Path("/work/shared/datasets/wmt21-zh-en-news"),
        ROOT.parent / "shared" / "datasets" / "wmt21-zh-en-news",
    ):
        if (p / "newstest2021.zh-en.docs.jsonl").exists():
            return p
    return None


@pytest.fixture(scope="module")
def bench_eval():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(ROOT / "bench"))
    import eval_cluster

    return eval_cluster


@pytest.fixture(scope="module")
def use() -> UseEmbedder:
    return UseEmbedder(threads=1)


def test_event_fixture_floors(bench_eval, use: UseEmbedder) -> None:  # type: ignore[no-untyped-def]
    inputs, gold, langs = bench_eval.event_inputs(use, compress=False)
    res = bench_eval.eval_events(inputs, gold, langs, use.dim, ScoreWeights())
    # measured 2026-12-06 (centred + lexical scorer, Chinese-to-Chinese on native words, the
    # same-disaster-same-place term): pairwise P 1.000 R 1.000 F1 1.000, BCubed F1 1.000
    # (without the signature term 1.000 / 0.960 / 0.980, B3 0.989: the Hualien toll report
    # opened its own event; glosses for zh-zh: 0.900 / 0.947 / 0.973; centred only 1.000 /
    # 0.860 / 0.925; a dev-set figure: weights were tuned on it)
    assert res["pairwise"]["p"] >= 0.95
    assert res["pairwise"]["f1"] >= 0.99
    assert res["bcubed"]["f1"] >= 0.995


def test_wmt21_twin_floors(bench_eval, use: UseEmbedder) -> None:  # type: ignore[no-untyped-def]
    wmt = _wmt_dir()
    if wmt is None:
        pytest.skip("shared WMT21 data not present")
    bench_eval.WMT_DIR = wmt
    inputs, vz, ve = bench_eval.wmt_inputs(use)
    res = bench_eval.eval_wmt(inputs, vz, ve, use.dim, ScoreWeights())
    # measured 2026-12-06 (centred + lexical scorer, Chinese-to-Chinese on native words):
    # twin recall 0.991, pair precision 0.728 (lenient 0.891), P@1 0.991. Glosses for zh-zh:
    # 0.991 / 0.690 (0.819); centred only: 0.991 / 0.817 (0.969). Lexical evidence joins
    # same-topic reports of one week stamped at one instant (and same-event reports of
    # different chunks, which strict precision counts wrong: its ceiling for a clusterer that
    # joins those is 0.818); before centring 0.972 / 0.568 (0.697)
    assert res["p_at_1_zh_to_en"] >= 0.98
    assert res["twin_recall"] >= 0.97
    assert res["pair_precision"] >= 0.71
    assert res["pair_precision_lenient"] >= 0.87
    # Held-out half (chunks 54-107, never used to pick a setting): 1.000 / 0.931 (1.000)
    held = bench_eval.wmt_subset(inputs, vz, ve, bench_eval.HALF_B)
    res_b = bench_eval.eval_wmt(*held, use.dim, ScoreWeights(), first_doc=bench_eval.HALF_B.start)
    assert res_b["twin_recall"] >= 0.95
    assert res_b["pair_precision"] >= 0.90
    # Random arrival orders (5 seeds), all chunks: mean 0.978 / 0.750 (lenient 0.872);
    # glosses for zh-zh 0.976 / 0.732 (0.854)
    shuf = bench_eval.eval_wmt_shuffled(inputs, use.dim, ScoreWeights())
    assert shuf["twin_recall"] >= 0.96
    assert shuf["pair_precision"] >= 0.74
    assert shuf["pair_precision_lenient"] >= 0.86


def test_semeval_floors(bench_eval, use: UseEmbedder) -> None:  # type: ignore[no-untyped-def]
    """SemEval-2022 Task 8 same-story pairs through the daemon's cluster stage (one poll)."""
    import semeval  # bench/, on the path through bench_eval

    if not (semeval.SEMEVAL_DIR / "pairs.jsonl").exists():
        pytest.skip("shared SemEval data not present")
    fig = bench_eval.run_semeval(use, 1, datetime(2026, 12, 6, 12, 0, tzinfo=UTC))["aggregator"]
    # measured 2026-12-06 with leads read without page boilerplate (story_lead): dev en-en
    # 0.900, pooled 0.909; held-out test en-en 0.836, zh-zh 0.923, zh-en 0.875, pooled 0.867.
    # Before it (leads as served): dev en-en 0.881, pooled 0.899; test zh-en 0.848, pooled
    # 0.860 (a paywall notice was the lead of one of two snowmobile-crash reports).
    assert fig["dev"]["en-en"]["f1"] >= 0.89
    assert fig["dev"]["pooled"]["f1"] >= 0.90
    assert fig["test"]["zh-en"]["f1"] >= 0.87
    assert fig["test"]["pooled"]["f1"] >= 0.865


# -- event builder: pending items read in pages --------------------------------------------------
def test_pending_pages_skip_items_changed_between_batches(
    cfg: Config, store: Store, now: datetime
) -> None:
    """Pending items are read a page at a time and handed out a batch at a time, oldest first;
    one assigned or marked duplicate after its page was read is skipped, not clustered twice."""
    from aggregator.cluster.embed import LexicalEmbedder
    from aggregator.pipeline.cluster_pass import CLUSTER_BATCH_ITEMS, LEAD_CHARS, EventBuilder

    fid = store.add_feed("http://example.org/f.xml", now=now)
    n = 2 * CLUSTER_BATCH_ITEMS + 5
    with store.transaction():
        for k in range(n):
            at = utc_iso(now - timedelta(minutes=n - k))
            store.conn.execute(
                "INSERT INTO items (feed_id, guid, title, summary, lang, fetched_at, updated_at,"
                " content_hash) VALUES (?, ?, ?, ?, 'en', ?, ?, ?)",
                (fid, f"g{k}", f"Story {k} on topic {k % 5}", "lead words " * 100, at, at, f"h{k}"),
            )
    ids = [r["id"] for r in store.rows("SELECT id FROM items ORDER BY fetched_at, id")]
    builder = EventBuilder(cfg, store, LexicalEmbedder())
    builder._prepare(now)
    first = builder._next_batch(now)
    assert first is not None and [r["id"] for r in first] == ids[:CLUSTER_BATCH_ITEMS]
    assert all(len(r["summary"]) == LEAD_CHARS for r in first)
    dup = ids[CLUSTER_BATCH_ITEMS + 1]
    store.set_duplicate_of(dup, ids[0])  # happens between two batches
    second = builder._next_batch(now)
    assert second is not None
    assert [r["id"] for r in second] == [
        i for i in ids[CLUSTER_BATCH_ITEMS : 2 * CLUSTER_BATCH_ITEMS] if i != dup
    ]
    assert builder.cluster_pending(now) == n - 1
    left = store.rows("SELECT COUNT(*) AS n FROM items WHERE event_id IS NULL")[0]["n"]
    assert left == 0
    decided = store.rows(
        "SELECT COUNT(DISTINCT item_id) AS n FROM decisions WHERE item_id = ?", (dup,)
    )[0]["n"]
    assert decided == 0
