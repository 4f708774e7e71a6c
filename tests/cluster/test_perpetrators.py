"""Two incidents of one kind in one country a day apart (``cluster/perpetrators.py``, session
13): the perpetrator's age and a report's "second shooting" tell them apart, while follow-ups
of one incident (agencies' 13 vs 14 for one boy, the arrest, a report without an age) still
join; and Cyclone Mocha's names and rising toll (``storms``, ``storm_names``, ``tolls``).
Headlines and leads are written for these tests (after the dev set's shapes), not copied."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aggregator.cluster import evidence as entities
from aggregator.cluster import perpetrators, storms
from aggregator.cluster.clusterer import ClusterInput, EventClusterer, evidence_for
from aggregator.cluster.embed import UseEmbedder, embedding_text, fold_chinese
from aggregator.cluster.evidence import Evidence
from aggregator.cluster.weights import default_weights
from aggregator.config import ClusterConfig

SCHOOL = (
    "Teenage boy opens fire at school in Serbian capital, killing eight children",
    "A 14-year-old student opened fire at a primary school in Belgrade on Wednesday, "
    "killing eight children and a guard, police said. The boy was arrested.",
)
SCHOOL_ZH = (
    "塞尔维亚首都学校枪击案 13岁男学生开枪致9死",
    "塞尔维亚首都贝尔格莱德一所小学3日发生枪击事件,一名13岁男学生开枪,造成8名学生和1名保安死亡。",
)
VILLAGE = (
    "Gunman kills eight in villages near Belgrade",
    "A 21-year-old man opened fire from a car in two villages south of Belgrade on Thursday "
    "night, killing eight people and wounding 13, police said. The suspect fled.",
)
SECOND = (
    "Serbia mass shooting: 8 dead, 13 wounded",
    "A second mass shooting has killed eight people in Serbia, one day after a 13-year-old "
    "student shot and killed nine people at a school in Belgrade.",
)
ARREST_ZH = (
    "塞尔维亚枪击案嫌疑人落网",
    "贝尔格莱德郊区村庄枪击案嫌疑人5日在克拉古耶瓦茨被捕,该名21岁男子涉嫌杀害8人。",
)


def _ev(title: str, lead: str = "") -> Evidence:
    return evidence_for(fold_chinese(title), fold_chinese(lead))


def _conflicts(a: tuple[str, str], b: tuple[str, str]) -> list[str]:
    x, y = _ev(*a), _ev(*b)
    return entities.conflicts(x.title_keys, x.keys, y.title_keys, y.keys)


@pytest.mark.parametrize(
    ("text", "ages"),
    [
        ("A 14-year-old student opened fire", {14}),
        ("the 21-year-old suspect fled", {21}),
        ("The suspect, a seventh grade student (aged around 13), was arrested", {13}),
        ("一名13岁男学生开枪", {13}),
        ("14岁枪手被捕", {14}),
        ("嫌疑人为21岁", {21}),
        ("20岁的凶嫌搭乘计程车逃逸", {20}),
        # A victim's age, or an age beside no word for a perpetrator: none.
        ("a 9-year-old girl was among the dead", set()),
        ("the 100-year-old bridge collapsed", set()),
        ("3岁女童获救", set()),
    ],
)
def test_perpetrator_ages(text: str, ages: set[int]) -> None:
    assert perpetrators.ages(fold_chinese(text)) == ages


@pytest.mark.parametrize(
    ("text", "again"),
    [
        ("A second mass shooting has killed eight people", True),
        ("It was the 2nd attack in 2 days in the country.", True),
        ("Another shooting rocks the city", True),
        ("塞尔维亚第二次大规模枪击事件造成八人死亡", True),
        ("当地又一起枪击案", True),
        ("Police arrest suspect in mass shooting", False),
        ("The second day of mourning began", False),
        ("第二次会谈在北京举行", False),
    ],
)
def test_repeat_markers(text: str, again: bool) -> None:
    keys = perpetrators.keys(fold_chinese(text), "")
    assert (perpetrators.AGAIN in keys) is again


def test_keys_only_under_an_incident_headline_and_weightless() -> None:
    assert {"age:14", "incident:shooting"} <= _ev(*SCHOOL).title_keys
    # The age is no figure of the story: no num key for it.
    assert "num:14" not in _ev(*SCHOOL).keys
    assert "num:13" not in _ev(*SCHOOL_ZH).keys
    # Without an incident word, no age key (and the figure stays a figure).
    plain = _ev("Student, 14, wins maths prize", "A 14-year-old student won the prize.")
    assert not any(k.startswith(("age:", "again:")) for k in plain.keys)
    assert entities.key_weight("age:14") == 0.0
    assert entities.key_weight(perpetrators.AGAIN) == 0.0


def test_two_perpetrators_two_incidents() -> None:
    assert perpetrators.AGE_KIND in _conflicts(SCHOOL, VILLAGE)
    assert perpetrators.AGE_KIND in _conflicts(SCHOOL_ZH, ARREST_ZH)
    # One boy, 13 or 14 as agencies say: one incident.
    assert _conflicts(SCHOOL, SCHOOL_ZH) == []
    # One side names no age (the arrest without it): no conflict.
    assert _conflicts(SCHOOL, ("Serbia school shooting suspect held", "Police held the boy.")) == []


def test_a_repeat_is_not_the_incident_it_recalls() -> None:
    # "A second shooting … after a 13-year-old": not a report of the 13-year-old's shooting.
    assert perpetrators.AGAIN_KIND in _conflicts(SECOND, SCHOOL)
    assert perpetrators.AGAIN_KIND in _conflicts(SCHOOL_ZH, SECOND)
    # Nor are its own ages the repeat's perpetrator: the 21-year-old's reports join it.
    assert _conflicts(SECOND, VILLAGE) == []
    assert _conflicts(ARREST_ZH, SECOND) == []


def test_event_candidates_keep_both_kinds() -> None:
    # An event holding a repeat's report and its own follow-up: the school's report conflicts
    # with it twice (another perpetrator, and the repeat recalls the school's).
    ev_second, ev_village, ev_school = _ev(*SECOND), _ev(*VILLAGE), _ev(*SCHOOL)
    cands: dict[str, set[str]] = {}
    for e in (ev_second, ev_village):
        for kind, ks in entities.conflict_candidates(e.title_keys, e.keys).items():
            cands.setdefault(kind, set()).update(ks)
    got = entities.conflicts_between(
        entities.conflict_candidates(ev_school.title_keys, ev_school.keys),
        ev_school.keys,
        cands,
        ev_second.keys | ev_village.keys,
    )
    assert {perpetrators.AGE_KIND, perpetrators.AGAIN_KIND} <= set(got)


def test_mocha_in_both_languages() -> None:
    assert "storm:mocha" in _ev("Tropical Cyclone “Mocha” makes landfall in Myanmar").title_keys
    assert "storm:mocha" in _ev("Cyclone Mocha makes landfall in Rakhine State").title_keys
    assert "storm:mocha" in _ev("超级气旋风暴“穆查”登陆缅甸若开邦").title_keys
    assert "storm:mocha" in _ev("热带气旋“穆查”致缅甸5人死亡").title_keys
    assert "storm:mocha" in _ev("緬甸熱帶氣旋穆查 死亡人數增至最少145人").title_keys
    assert storms.listed("storm:mocha")
    # 摩卡 (a coffee) is no storm without the storm's kind beside it.
    assert not any(k.startswith("storm:") for k in _ev("摩卡咖啡涨价").keys)


def test_a_rising_toll_never_conflicts() -> None:
    a = _ev("More than 450 fatalities in Myanmar after landfall of Tropical Cyclone “Mocha”")
    b = _ev("緬甸熱帶氣旋穆查 死亡人數增至最少145人")
    assert "toll:450" in a.title_keys and "toll:145" in b.title_keys
    assert entities.conflicts(a.title_keys, a.keys, b.title_keys, b.keys) == []


NOW = datetime(2023, 5, 5, 12, 0, tzinfo=UTC)


def test_two_shootings_a_day_apart_with_the_real_model(shipped_use: UseEmbedder) -> None:
    """With the shipped model and weights: the school shooting's reports, then the second
    shooting's (its "second" report first): two events, each report in its own."""
    use = shipped_use
    stream = [SCHOOL, SCHOOL_ZH, SECOND, VILLAGE, ARREST_ZH]
    langs = ["en", "zh", "en", "en", "zh"]
    vecs = use.embed([embedding_text(fold_chinese(t), fold_chinese(lead)) for t, lead in stream])
    cl = EventClusterer(ClusterConfig(), use.dim, weights=default_weights(use.name))
    events = []
    for i, ((title, lead), vec) in enumerate(zip(stream, vecs, strict=True)):
        at = NOW + timedelta(hours=3 * i)
        item = ClusterInput(i + 1, langs[i], fold_chinese(title), fold_chinese(lead), at, vec)
        out = cl.assign(item, at)
        eid = out.event_id if out.event_id is not None else 100 + i
        cl.add_member(item, eid)
        events.append(eid)
    assert events[2] not in events[:2]
    assert events[3] not in events[:2] and events[4] not in events[:2]
