"""Region evidence (``cluster/places.py`` wired into ``evidence``): reports of one disaster named
by a sub-national place share ``region:`` keys across languages, with the region's ancestors;
the region's country takes part in country conflicts (a ``stands:`` key) and makes a region
headline and a country headline one disaster's place; SHADOWED strings and the cross-country
traps of the gazetteer name no region (nor a wrong country); two disaster headlines naming
different regions of one country conflict, a city and its province do not."""

from __future__ import annotations

import pytest

from aggregator.cluster import evidence as entities
from aggregator.cluster import places
from aggregator.cluster.clusterer import evidence_for
from aggregator.cluster.embed import fold_chinese
from aggregator.cluster.evidence import Evidence


def _ev(title: str, lead: str = "") -> Evidence:
    return evidence_for(fold_chinese(title), fold_chinese(lead))


def _regions(title: str) -> set[str]:
    return {k for k in _ev(title).title_keys if k.startswith(places.PREFIX)}


def _conflicts(a: Evidence, b: Evidence) -> list[str]:
    return entities.conflicts(a.title_keys, a.keys, b.title_keys, b.keys)


@pytest.mark.parametrize(
    ("headline", "regions", "country"),
    [
        ("Cebu quake toll rises to 72", {"ph_cebu", "ph_visayas"}, "philippines"),
        ("Wayanad landslides", {"in_wayanad", "in_kerala"}, "india"),
        ("梅州暴雨", {"cn_meizhou", "cn_guangdong"}, "china"),
        ("Mangaf fire", {"kw_mangaf"}, "kuwait"),
        ("花蓮地震", {"tw_hualien"}, "taiwan"),  # Traditional, folded
        ("菲律賓宿霧省外海發生規模6.9的地震", {"ph_cebu", "ph_visayas"}, "philippines"),
        ("菲律賓民答那峨東納卯省近海強震", {"ph_mindanao", "ph_davao"}, "philippines"),
        ("Jenin raid leaves 12 dead", {"ps_jenin", "ps_west_bank"}, "gaza"),  # palestine → gaza
    ],
)
def test_a_region_brings_its_ancestors_and_its_country(
    headline: str, regions: set[str], country: str
) -> None:
    keys = _ev(headline).title_keys
    assert _regions(headline) == {places.PREFIX + r for r in regions}
    assert f"{entities.STANDS}{country}" in keys


def test_reports_in_two_languages_share_the_region_and_the_disaster() -> None:
    en = _ev("Cebu quake toll rises to 72")
    zh = _ev("宿務地震死亡人數增至72人")  # no country named: the region implies it
    assert {"region:ph_cebu", "stands:philippines", "topic:earthquake"} <= en.title_keys
    assert {"region:ph_cebu", "stands:philippines", "topic:earthquake"} <= zh.title_keys
    assert entities.same_disaster(en.title_keys, zh.title_keys)
    assert _conflicts(en, zh) == []


def test_a_region_headline_and_a_country_headline_do_not_conflict() -> None:
    """The region's country is implied for conflicts only (``stands:``, weight 0): no
    ``country:`` key, so no shared place either (session 10: making it one cost WMT21
    shuffled pair precision 0.750 → 0.733)."""
    region, country = _ev("Cebu quake toll rises to 72"), _ev("菲律宾地震死亡人数升至72人")
    assert "country:philippines" not in region.title_keys
    assert entities.key_weight("stands:philippines") == 0.0
    assert entities.key_weight("region:ph_cebu") == 0.0
    assert _conflicts(region, country) == []
    assert _conflicts(country, region) == []
    # Another country's disaster: the region's country conflicts with it.
    assert "country" in _conflicts(region, _ev("Japan earthquake toll rises"))
    assert "country" in _conflicts(region, _ev("Kahramanmaras quake toll rises"))
    assert not entities.same_disaster(region.title_keys, _ev("Japan earthquake").title_keys)


def test_a_city_and_its_province_meet_without_conflict() -> None:
    city = _ev("梅州暴雨致多人失联")
    province = _ev("Guangdong floods: rainstorms lash the province")
    assert "region:cn_guangdong" in city.title_keys & province.title_keys
    assert entities.same_disaster(city.title_keys, province.title_keys)
    assert _conflicts(city, province) == []
    assert _conflicts(province, city) == []


def test_different_regions_of_one_country_conflict_for_disasters() -> None:
    cebu = _ev("Cebu quake toll rises to 72")
    davao = _ev("Davao Oriental quakes death toll increases to 8")
    assert places.KIND in _conflicts(cebu, davao)
    assert places.KIND in _conflicts(davao, cebu)
    # Two cities of one province are two places too (a fire is in one of them).
    assert places.KIND in _conflicts(_ev("深圳大火致5死"), _ev("广州工厂火灾"))


def test_no_region_conflict_where_one_side_names_the_others_region() -> None:
    # The event's lead names Cebu: one quake felt in two places, not two stories.
    davao = _ev("Davao Oriental quake", "The quake was also felt in Cebu and Bohol.")
    assert places.KIND not in _conflicts(_ev("Cebu quake toll rises to 72"), davao)


def test_no_region_conflict_without_a_disaster_headline() -> None:
    a, b = _ev("Biden arrives in San Francisco"), _ev("Biden speaks in Los Angeles")
    assert "region:us_san_francisco" in a.title_keys
    assert places.KIND not in _conflicts(a, b)


def test_regions_of_two_countries_conflict_as_countries_not_regions() -> None:
    a, b = _ev("Cebu quake toll rises"), _ev("Hualien earthquake kills 9")
    got = _conflicts(a, b)
    assert "country" in got
    assert places.KIND not in got


def test_a_shared_storm_lifts_the_region_conflict() -> None:
    a, b = _ev("Typhoon Yagi slams Hainan"), _ev("台风摩羯登陆广东湛江")
    got = _conflicts(a, b)
    assert places.KIND in got
    assert entities.same_disaster(a.title_keys, b.title_keys)
    assert places.KIND not in entities.within_occurrence(got, a.title_keys, b.title_keys)


@pytest.mark.parametrize(
    "text",
    [
        "黄河南岸大堤加固",  # 河南
        "辽宁舰编队训练",
        "上海合作组织峰会",
        "马德里会谈",  # 德里
        "索马里兰宣布",  # 马里兰 (Maryland)
        "Mississippi River flooding",
        "Carrier Liaoning sails",
        "Prince of Wales visits",
        "Shanghai Cooperation summit opens",
        "Quake hits Papua New Guinea",
    ],
)
def test_shadowed_strings_name_no_region(text: str) -> None:
    assert _regions(text) == set()


def test_shadow_strings_keep_the_keys_of_other_kinds() -> None:
    assert "central_bank:boe" in _ev("Bank of England holds rates").title_keys
    assert "country:us" not in _ev("索马里兰宣布").title_keys
    assert "org:sco" in _ev("上海合作组织峰会").title_keys


@pytest.mark.parametrize(
    ("text", "country", "not_country"),
    [
        ("New Mexico wildfire spreads", "us", "mexico"),
        ("新墨西哥州山火蔓延", "us", "mexico"),
        ("British Columbia wildfires", "canada", "uk"),
        ("不列颠哥伦比亚省山火", "canada", "colombia"),
        ("纽芬兰暴风雪", "canada", "finland"),
        ("特兰加纳邦暴雨", "india", "ghana"),
        ("马里乌波尔遭炮击", "ukraine", "mali"),
    ],
)
def test_cross_country_traps(text: str, country: str, not_country: str) -> None:
    keys = _ev(text).title_keys
    assert f"{entities.STANDS}{country}" in keys
    assert f"country:{not_country}" not in keys
    assert f"{entities.STANDS}{not_country}" not in keys


def test_a_name_of_two_regions_keeps_the_one_its_country_names() -> None:
    both = _ev("Punjab floods displace thousands").title_keys
    assert {"region:in_punjab", "region:pk_punjab"} <= both
    assert not {"stands:india", "stands:pakistan"} & both  # neither is implied
    pk = _ev("Pakistan: Punjab floods displace thousands").title_keys
    assert "region:pk_punjab" in pk
    assert "region:in_punjab" not in pk


def test_han_first_character_index_finds_every_alias() -> None:
    """The scan by first character finds the same aliases as the whole list."""
    texts = ["梅州暴雨", "江西安徽多地暴雨", "美国加州山火", "中美经贸会谈在日内瓦举行"]
    for text in [*texts, "澳洲联储加息"]:
        whole = {hit for hit in entities._HAN_ALIASES if hit[0] in text}
        indexed = {
            hit for c in set(text) for hit in entities._HAN_BY_FIRST.get(c, ()) if hit[0] in text
        }
        assert indexed == whole, text
        assert whole, text
