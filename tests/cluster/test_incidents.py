"""Local incidents (``cluster/incidents.py``, session 12): a headline's shooting, stabbing,
explosion or bombing word makes its places exclusive as a disaster's are — two towns of one
county (``localities``) are two events — while a town and its county or city, one town in two
languages, and a follow-up naming only the wider region never conflict."""

from __future__ import annotations

import pytest

from aggregator.cluster import evidence as entities
from aggregator.cluster import incidents, places, regions
from aggregator.cluster.clusterer import evidence_for
from aggregator.cluster.embed import fold_chinese
from aggregator.cluster.evidence import Evidence

CULVER = "Man Shot And Wounded In Culver City Deputy-Involved Shooting"
COMPTON = "Two dead in separate shootings in Compton and Huntington Park"


def _ev(title: str, lead: str = "") -> Evidence:
    return evidence_for(fold_chinese(title), fold_chinese(lead))


def _conflicts(a: Evidence, b: Evidence) -> list[str]:
    return entities.conflicts(a.title_keys, a.keys, b.title_keys, b.keys)


@pytest.mark.parametrize(
    ("headline", "kinds"),
    [
        (CULVER, {"shooting"}),
        ("Gunman kills three at Texas church", {"shooting"}),
        ("Family of man stabbed in Hanukkah attack", {"stabbing"}),
        ("Gas explosion rips through apartment block", {"explosion"}),
        ("Car bomb kills 12 in Mogadishu", {"bombing"}),
        ("卡尔弗城发生枪击事件", {"shooting"}),
        ("男子持刀伤人", {"stabbing"}),
        ("化工厂發生爆炸", {"explosion"}),  # Traditional, folded
        # Figurative or not one place's incident: no key.
        ("Senator blasts critics over budget", set()),
        ("A shot at the title", set()),
        ("Cyber attack hits banks", set()),
        ("联盟人气爆炸式增长", set()),
        ("一条爆炸性新闻", set()),
    ],
)
def test_incident_words(headline: str, kinds: set[str]) -> None:
    got = {k for k in _ev(headline).title_keys if k.startswith(incidents.PREFIX)}
    assert got == {incidents.PREFIX + k for k in kinds}


def test_incident_keys_weigh_nothing() -> None:
    assert entities.key_weight("incident:shooting") == 0.0


def test_towns_lie_in_their_county() -> None:
    assert regions.PARENT["us_culver_city"] == "us_los_angeles"
    keys = _ev(CULVER).title_keys
    assert {"region:us_culver_city", "region:us_los_angeles", "region:us_california"} <= keys
    assert "stands:us" in keys


def test_shootings_in_two_towns_of_one_county_conflict() -> None:
    a, b = _ev(CULVER), _ev(COMPTON)
    assert places.KIND in _conflicts(a, b)
    assert places.KIND in _conflicts(b, a)
    # Two kinds of incident in two towns: still two places.
    assert places.KIND in _conflicts(_ev("Explosion in Pasadena"), a)
    # And in two states.
    detroit, texas = _ev("Gunfire in Detroit kills 1"), _ev("Texas church shooting")
    assert places.KIND in _conflicts(detroit, texas)


@pytest.mark.parametrize(
    "other",
    [
        "Los Angeles deputies investigate shooting",  # the town's county / city
        "California shooting suspect arrested",  # a follow-up naming the state only
        "Culver City shooting: deputy on leave",  # the same town
        "卡尔弗城发生枪击事件 一名男子受伤",  # the same town in Chinese
        "洛杉矶枪击案",  # the county in Chinese
        "Deputy-involved shooting leaves man wounded",  # no place
    ],
)
def test_one_place_or_its_wider_region_is_no_conflict(other: str) -> None:
    a, b = _ev(CULVER), _ev(other)
    assert places.KIND not in _conflicts(a, b)
    assert places.KIND not in _conflicts(b, a)


def test_chinese_town_names_are_the_same_keys() -> None:
    assert "region:us_compton" in _ev("康普顿发生枪击案两人死亡").title_keys
    assert places.KIND in _conflicts(_ev("康普顿发生枪击案两人死亡"), _ev(CULVER))


def test_no_conflict_where_one_side_names_the_others_town() -> None:
    # A follow-up naming both towns (the victim's home and the scene) is no other incident.
    follow = _ev("Compton man wounded in Culver City shooting")
    assert places.KIND not in _conflicts(follow, _ev(CULVER))


def test_towns_without_an_incident_do_not_conflict() -> None:
    a, b = _ev("Culver City council approves budget"), _ev("Compton mayor sworn in")
    assert places.KIND not in _conflicts(a, b)
