"""Routes for one occurrence named the same way in two reports (issue 13, session 8), whatever
their language or wording: the meeting route (headlines naming the same two people within a
day: the summit case — a Chinese paper's own account of a summit scores a low cosine against
the English wire story of it) and the magnitude route (one disaster in one place with one
magnitude within a day). Other meetings (one shared person, another venue, days later) and
other quakes (another magnitude, another country, days later) are not routed.

Headlines and leads here are written for these tests (no third-party text)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np

from aggregator.cluster import evidence as entities
from aggregator.cluster.clusterer import ClusterInput, EventClusterer, ScoreWeights, evidence_for
from aggregator.cluster.embed import UseEmbedder, embedding_text
from aggregator.cluster.weights import default_weights
from aggregator.config import ClusterConfig

NOW = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
DIM = 16
WIRE = (
    "Biden and Xi agree to restart military talks after four-hour meeting",
    "U.S. President Joe Biden and Chinese President Xi Jinping met near San Francisco on "
    "Wednesday and agreed to resume military communications and to curb fentanyl exports.",
)
OWN = (
    "习近平同拜登举行中美元首会晤",
    "国家主席习近平当地时间15日在旧金山同美国总统拜登举行会晤，两国元首就事关中美关系的"
    "战略性、全局性、方向性问题以及事关世界和平和发展的重大问题坦诚深入交换了意见。",
)


def _keys(title: str, lead: str = "") -> frozenset[str]:
    return evidence_for(title, lead).title_keys


def test_same_meeting_needs_two_shared_people_in_both_headlines() -> None:
    assert entities.same_meeting(_keys(*WIRE), _keys(*OWN))
    assert entities.same_meeting(_keys("習近平與拜登會晤三小時"), _keys(*WIRE))  # Traditional
    # One shared person is another meeting ("Xi meets Putin").
    assert not entities.same_meeting(_keys("Xi meets Putin in Moscow"), _keys(*WIRE))
    # People named only in a lead do not count: headlines name the story.
    assert not entities.same_meeting(_keys("Talks end after four hours", WIRE[1]), _keys(*WIRE))


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def _apart() -> tuple[np.ndarray, np.ndarray]:
    """Two vectors at cosine 0.3: far below the join bar on the embedding alone."""
    rng = np.random.default_rng(5)
    a, b = _unit(rng.standard_normal(DIM)), _unit(rng.standard_normal(DIM))
    return a, _unit(b - (b @ a) * a + 0.32 * a)


W = ScoreWeights(centre=False, cross_lingual_bonus=0.0, lex_same=0.0, lex_cross=0.0)


def _assign(
    title: str, lead: str, *, at: datetime = NOW, w: ScoreWeights = W, first: tuple[str, str] = WIRE
) -> dict[str, object]:
    a, b = _apart()
    cl = EventClusterer(ClusterConfig(), DIM, weights=w)
    cl.add_member(ClusterInput(1, "en", first[0], first[1], NOW, a), 1)
    got = cl.assign(ClusterInput(2, "zh", title, lead, at, b), at)
    return {"event": got.event_id, **got.features}


def test_a_report_of_the_same_meeting_joins_however_it_is_worded() -> None:
    got = _assign(*OWN, at=NOW + timedelta(hours=20))
    assert got["event"] == 1 and got["meeting_route"] is True and got["same_meeting"] is True
    assert got["same_disaster"] is False
    # Without the route the same pair scores below the bar: it is the route that joins.
    off = _assign(*OWN, w=dataclasses.replace(W, meeting_days=0))
    assert off["event"] is None and off["meeting_route"] is False


def test_other_meetings_are_not_routed() -> None:
    # Days later: their next meeting, or an anniversary piece.
    later = _assign(*OWN, at=NOW + timedelta(days=2, hours=1))
    assert later["event"] is None and later["meeting_route"] is False
    # One shared person: another meeting of the same leader the same day.
    putin = _assign("习近平同普京举行会谈", "国家主席习近平在莫斯科同俄罗斯总统普京举行会谈。")
    assert putin["event"] is None
    # Another venue (a country in each headline that the other lacks): another meeting.
    lima = ("Biden and Xi meet in Peru", "The two leaders met in Lima on Saturday.")
    bali = ("习近平同拜登在印度尼西亚会晤", "两国元首在巴厘岛举行会晤。")
    venue = _assign(*bali, first=lima)
    assert venue["conflicts"] and venue["event"] is None and venue["meeting_route"] is False


def test_own_chinese_account_of_a_meeting_joins_the_wire_story_with_the_real_model(
    shipped_use: UseEmbedder,
) -> None:
    """With the shipped model and weights: the Chinese paper's own report joins the English
    wire story; a Chinese report of another meeting of one of them the same day does not."""
    use = shipped_use
    texts = [WIRE, OWN, ("习近平会见法国总统马克龙", "国家主席习近平在北京会见法国总统马克龙。")]
    vecs = use.embed([embedding_text(t, lead) for t, lead in texts])
    cl = EventClusterer(ClusterConfig(), use.dim, weights=default_weights(use.name))
    cl.add_member(ClusterInput(1, "en", *WIRE, NOW, vecs[0]), 1)
    own = cl.assign(ClusterInput(2, "zh", *OWN, NOW + timedelta(hours=3), vecs[1]), NOW)
    assert own.event_id == 1 and own.features["meeting_route"] is True
    other = cl.assign(ClusterInput(3, "zh", *texts[2], NOW + timedelta(hours=4), vecs[2]), NOW)
    assert other.event_id is None


# -- the magnitude route: one disaster in one place, one magnitude, within a day ----------------
QUAKE_EN = (
    "Magnitude 7.2 earthquake strikes off Taiwan's east coast",
    "A strong earthquake of magnitude 7.2 struck off Hualien on Wednesday morning.",
)


def test_one_quake_with_one_magnitude_joins_however_it_is_worded() -> None:
    zh = (
        "台湾花莲县海域发生7.2级地震",
        "据台湾气象部门，花莲县海域今晨发生7.2级地震，多栋建筑受损。",
    )
    got = _assign(*zh, at=NOW + timedelta(hours=5), first=QUAKE_EN)
    assert got["event"] == 1 and got["magnitude_route"] is True and got["same_disaster"] is True
    off = _assign(*zh, w=dataclasses.replace(W, magnitude_days=0), first=QUAKE_EN)
    assert off["event"] is None and off["magnitude_route"] is False


def test_other_quakes_are_not_routed_by_magnitude() -> None:
    # Another magnitude in the same place: another quake (or an aftershock).
    other = ("台湾花莲县海域发生6.1级地震", "花莲县海域发生6.1级地震。")
    got = _assign(*other, at=NOW + timedelta(hours=5), first=QUAKE_EN)
    assert got["magnitude_route"] is False and got["event"] is None
    # The same magnitude in another country: conflicting places.
    japan = ("日本石川县发生7.2级地震", "日本石川县今天发生7.2级地震。")
    got = _assign(*japan, at=NOW + timedelta(hours=5), first=QUAKE_EN)
    assert got["magnitude_route"] is False and got["event"] is None
    # Two days later: not within the day.
    later = ("台湾花莲县海域发生7.2级地震", "花莲县海域发生7.2级地震。")
    got = _assign(*later, at=NOW + timedelta(days=2, hours=2), first=QUAKE_EN)
    assert got["magnitude_route"] is False


def test_foreign_ministers_and_landslides_are_named_in_both_languages() -> None:
    """Session 8's alias additions: a foreign ministers' meeting and a landslide are named the
    same way in English and Chinese (Simplified and Traditional)."""
    en = _keys("Blinken meets Wang Yi in Vientiane")
    assert entities.same_meeting(en, _keys("王毅同布林肯举行会谈"))
    assert entities.same_meeting(en, _keys("王毅與布林肯會談"))
    slide = _keys("Landslides kill dozens in southern India")
    assert entities.same_disaster(slide, _keys("印度南部发生山体滑坡"))
    assert entities.same_disaster(slide, _keys("印度南部土石流釀災"))
    # A landslide and an earthquake in one country are two disasters.
    assert not entities.same_disaster(slide, _keys("India earthquake kills 10"))
    # A slump (滑坡) and eruptions of protest are no disasters.
    assert not entities.same_disaster(_keys("中国汽车销量滑坡"), _keys("中国房价滑坡"))
    assert "topic:volcano" not in _keys("Protests erupt in Chile")
    assert "topic:volcano" in _keys("Volcano erupts in Iceland")


# -- the figure route (session 9): one occurrence, one amount or toll, within a day -------------
SUMMIT_EN = (
    "G7 leaders back $50 billion loan for Ukraine at summit",
    "Group of Seven leaders meeting in Italy agreed on Thursday to a $50 billion loan for "
    "Ukraine backed by frozen Russian assets.",
)
SUMMIT_ZH = (
    "七国集团峰会在意大利开幕",
    "峰会讨论动用被冻结的俄罗斯资产的收益向乌克兰提供500亿美元贷款。",
)


def test_one_summit_stating_one_amount_joins_however_it_is_worded() -> None:
    got = _assign(*SUMMIT_ZH, at=NOW + timedelta(hours=6), first=SUMMIT_EN)
    assert got["event"] == 1 and got["figure_route"] is True and got["same_disaster"] is True
    assert "num:5e+10" in got["shared"]  # type: ignore[operator]
    off = _assign(*SUMMIT_ZH, w=dataclasses.replace(W, figure_days=0), first=SUMMIT_EN)
    assert off["event"] is None and off["figure_route"] is False


def test_other_occurrences_are_not_routed_by_a_figure() -> None:
    # The same body's summit without a shared figure: no route (the score decides).
    bare = ("七国集团峰会在意大利开幕", "与会领导人讨论了人工智能和气候变化问题。")
    got = _assign(*bare, at=NOW + timedelta(hours=6), first=SUMMIT_EN)
    assert got["figure_route"] is False and got["event"] is None
    # Another body's summit stating the same amount: not one occurrence.
    other = ("二十国集团峰会开幕", "峰会讨论向发展中国家提供500亿美元贷款。")
    got = _assign(*other, at=NOW + timedelta(hours=6), first=SUMMIT_EN)
    assert got["figure_route"] is False and got["event"] is None
    # Two days later: not within the day.
    got = _assign(*SUMMIT_ZH, at=NOW + timedelta(days=2, hours=1), first=SUMMIT_EN)
    assert got["figure_route"] is False


def test_fires_crashes_and_their_tolls_are_named_in_both_languages() -> None:
    """Session 9's words: a building fire and an air crash are disasters of one place; "49
    people die", "夺41命" are tolls (never a figure conflict between a toll and its update)."""
    en = _keys("49 people die in Kuwait apartment building fire")
    zh = _keys("科威特恶火夺41命")
    assert "topic:fire" in en and "toll:49" in en and "topic:fire" in zh and "toll:41" in zh
    assert "topic:fire" in _keys("Death toll in Kuwait building blaze climbs to 49")
    assert "topic:crash" in _keys("马拉维副总统一行10人坠机全部遇难")
    assert "topic:crash" in _keys("Plane crash in Malawi kills vice president")
    # Criticism and gunfire are no fires; a market crash is no air crash.
    assert "topic:fire" not in _keys("Minister under fire over housing plan")
    assert "topic:fire" not in _keys("Police open fire on protesters")
    assert "topic:crash" not in _keys("Stock market crash wipes out gains")


def test_a_leader_stands_for_his_country_in_a_conflict_only() -> None:
    """Session 9: "Li Qiang meets Luxon" names New Zealand as "… in Wellington" would, so the
    premier's meeting with Australia's prime minister the same week conflicts with it; the
    person's country weighs nothing when shared and makes no disaster's place."""
    nz = evidence_for("PM Luxon welcomes Chinese Premier Li Qiang", "")
    au = evidence_for("澳洲总理与中国总理李强举行会晤", "")
    # Session 11: "澳洲总理" is a party of the meeting too (``roles``): two meetings of Li Qiang,
    # told apart by the headlines whatever the leads say; the country conflict is asked here.
    meeting = [entities.MEETING_KIND]
    assert entities.conflicts(nz.title_keys, nz.keys, au.title_keys, au.keys) == [
        "country",
        *meeting,
    ]
    # Named in the other report's lead, directly or through the person: no country conflict.
    au_nz = evidence_for("澳洲总理与中国总理李强举行会晤", "李强此前访问了新西兰。")
    assert entities.conflicts(nz.title_keys, nz.keys, au_nz.title_keys, au_nz.keys) == meeting
    au_lux = evidence_for("澳洲总理与中国总理李强举行会晤", "李强此前会见了卢克松。")
    assert entities.conflicts(nz.title_keys, nz.keys, au_lux.title_keys, au_lux.keys) == meeting
    # The same two people: no conflict, and their countries add no weight to what is shared.
    again = evidence_for("李强同新西兰总理拉克森举行会谈", "")
    assert entities.conflicts(nz.title_keys, nz.keys, again.title_keys, again.keys) == []
    assert entities.key_weight("stands:china") == 0.0
    assert not entities.same_disaster(
        _keys("Trump visits flood zone"), _keys("Biden tours flooded towns after floods")
    )


def test_one_storm_named_in_both_languages_joins_within_its_week() -> None:
    """Session 9: the storm route — headlines naming one storm (摩羯 is Yagi through
    ``storm_names``) join within ``storm_days``, wherever the storm went; another storm, or
    the same name weeks later, does not."""
    yagi = ("Typhoon Yagi makes landfall in Hainan", "Super Typhoon Yagi hit Hainan on Friday.")
    zh = ("台风摩羯在越南造成重大伤亡", "台风摩羯登陆越南北部，造成严重破坏。")
    got = _assign(*zh, at=NOW + timedelta(days=2, hours=12), first=yagi)
    assert got["event"] == 1 and got["storm_route"] is True
    off = _assign(
        *zh,
        at=NOW + timedelta(days=2, hours=12),
        w=dataclasses.replace(W, storm_days=0),
        first=yagi,
    )
    assert off["event"] is None and off["storm_route"] is False
    other = ("台风贝碧嘉登陆上海", "台风贝碧嘉在上海浦东登陆。")
    got = _assign(*other, at=NOW + timedelta(days=2), first=yagi)
    assert got["storm_route"] is False and got["event"] is None
    got = _assign(*zh, at=NOW + timedelta(days=30), first=yagi)
    assert got["event"] is None and not got.get("storm_route")


def test_short_central_bank_names_and_outlet_bylines() -> None:
    """Session 9: Hong Kong / Taiwan short names of central banks name the bank (a BoE report
    headed 英央行 must conflict with the Fed's); an outlet's name in a byline names no place."""
    boe = evidence_for("英央行維持利率不變 符預期", "")
    fed = evidence_for("Fed leaves interest rates unchanged again", "")
    assert "central_bank:boe" in boe.title_keys
    # Session 11: each bank stands for its country too (``aliases.BANK_COUNTRY``).
    assert entities.conflicts(boe.title_keys, boe.keys, fed.title_keys, fed.keys) == [
        "country",
        "central_bank",
    ]
    assert "org:cop" in _keys("COP28 ends with a deal on fossil fuels")
    byline = _keys("Coalition strikes targets in Yemen | Kuwait News Agency")
    assert "country:kuwait" not in byline and "country:yemen" in byline
    assert entities.key_weight("outlet:kuna") == 0.0
