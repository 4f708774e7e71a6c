"""The complete country table (``cluster/countries.py``) as evidence keys: new countries in
English, Simplified and Traditional headlines, the ambiguity traps, and the old ids kept."""

from __future__ import annotations

import re

import pytest

from aggregator.cluster import evidence
from aggregator.cluster.aliases import ALIASES
from aggregator.cluster.embed import fold_chinese

#: The country ids of the table before ``countries`` (session 8): decision rows store them,
#: so none may disappear or be renamed.
# fmt: off
OLD_IDS = (
    "us", "china", "taiwan", "tonga", "japan", "russia", "ukraine", "myanmar", "thailand",
    "turkey", "syria", "morocco", "afghanistan", "nepal", "mexico", "canada", "uk", "eu",
    "germany", "france", "india", "brazil", "south_korea", "north_korea", "israel", "iran", "gaza",
    "philippines", "indonesia", "switzerland", "sweden", "kazakhstan", "central_asia", "vietnam",
    "australia", "hong_kong", "chile", "peru", "ecuador", "argentina", "colombia", "venezuela",
    "italy", "greece", "spain", "portugal", "netherlands", "norway", "iceland", "new_zealand",
    "vanuatu", "papua_new_guinea", "pakistan", "bangladesh", "sri_lanka", "malaysia", "singapore",
    "egypt", "saudi_arabia", "south_africa", "nigeria", "kenya", "ethiopia", "libya", "iraq",
    "lebanon", "yemen", "cuba",
)
# fmt: on


def countries(title: str) -> set[str]:
    """The country ids a headline names, as the pipeline extracts them (folded first)."""
    keys = evidence.extract(fold_chinese(title)).keys
    return {k.split(":", 1)[1] for k in keys if k.startswith("country:")}


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        # The held-out reports that fell through the old table's gaps.
        ("49 people die in Kuwaiti apartment building fire", {"kuwait"}),
        ("科威特南部公寓大火致49人死亡", {"kuwait"}),
        ("科威特公寓惡火奪41命", {"kuwait"}),
        ("Malawi vice president's plane found, no survivors", {"malawi"}),
        ("马拉维副总统一行10人坠机全部遇难", {"malawi"}),
        ("非洲國家馬拉維副總統等10人所乘軍機墜毀", {"malawi"}),
        ("馬拉威副總統座機墜毀", {"malawi"}),  # Taiwan's name
        # Other new countries, English / Simplified / Traditional (Taiwan or Hong Kong names).
        ("Magnitude 6.8 quake strikes off Vanuatu and Fiji", {"vanuatu", "fiji"}),
        ("Sudan's army retakes Khartoum", {"sudan"}),
        ("苏丹武装部队收复喀土穆", {"sudan"}),
        ("Floods kill dozens in South Sudan", {"south_sudan"}),
        ("南苏丹洪灾致数十人死亡", {"south_sudan"}),
        ("索馬利亞海盜劫持貨輪", {"somalia"}),
        ("Coup attempt in Guinea-Bissau", {"guinea_bissau"}),
        ("几内亚比绍发生未遂政变", {"guinea_bissau"}),
        ("Côte d'Ivoire holds presidential election", {"ivory_coast"}),
        ("Ivory Coast votes", {"ivory_coast"}),
        ("科特迪瓦举行总统选举", {"ivory_coast"}),
        ("象牙海岸總統大選", {"ivory_coast"}),
        ("Eswatini king", {"eswatini"}),
        ("斯威士兰国王", {"eswatini"}),
        ("埃斯瓦蒂尼国王", {"eswatini"}),
        ("史瓦帝尼國王", {"eswatini"}),
        ("M23 rebels enter Goma in eastern DR Congo", {"dr_congo"}),
        ("刚果（金）东部冲突", {"dr_congo"}),
        ("剛果民主共和國伊波拉疫情", {"dr_congo"}),
        ("Republic of Congo holds vote", {"congo_republic"}),
        ("刚果（布）举行大选", {"congo_republic"}),
        ("Czechia and Slovakia", {"czechia", "slovakia"}),
        ("Czech Republic", {"czechia"}),
        ("捷克总统", {"czechia"}),
        ("North Macedonia nightclub fire kills 59", {"north_macedonia"}),
        ("北马其顿夜店火灾", {"north_macedonia"}),
        ("Niger junta", {"niger"}),
        ("尼日尔军政府", {"niger"}),
        ("Nigeria floods", {"nigeria"}),
        ("Dominican Republic nightclub roof collapse", {"dominican_republic"}),
        ("多米尼加夜总会屋顶坍塌", {"dominican_republic"}),
        ("多明尼加夜店屋頂倒塌", {"dominican_republic"}),
        ("Hurricane Maria devastates Dominica", {"dominica"}),
        ("Mauritius and Mauritania", {"mauritius", "mauritania"}),
        ("毛里求斯与毛里塔尼亚", {"mauritius", "mauritania"}),
        ("模里西斯與茅利塔尼亞", {"mauritius", "mauritania"}),
        ("Georgian protesters rally in Tbilisi", {"georgia"}),
        ("格鲁吉亚议会选举", {"georgia"}),
        ("Jordanian king meets Trump", {"jordan"}),
        ("约旦国王", {"jordan"}),
        ("Chadian army", {"chad"}),
        ("乍得军队", {"chad"}),
        ("Mali junta", {"mali"}),
        ("马里发生袭击", {"mali"}),
        ("Oman mediates Iran-US talks in Muscat", {"oman", "iran", "us"}),
        ("阿曼斡旋", {"oman"}),
        ("肯亞抗議", {"kenya"}),
        ("紐西蘭地震", {"new_zealand"}),
        ("沙烏地阿拉伯王儲", {"saudi_arabia"}),
        ("寮國水壩潰堤", {"laos"}),
        ("汶萊蘇丹", {"brunei"}),
        ("卡達斡旋加薩停火", {"qatar", "gaza"}),
        ("Palestinians killed in West Bank raid", {"gaza"}),
        ("Pope leads Mass in Vatican", {"vatican"}),
        ("Trump wants Greenland", {"greenland"}),
        ("格陵兰岛", {"greenland"}),
        ("Hurricane hits Puerto Rico", {"puerto_rico"}),
        ("Kosovo election", {"kosovo"}),
        ("Typhoon hits Guam", {"guam"}),
        ("澳門特區政府", {"macau"}),
    ],
)
def test_new_countries_are_keyed(title: str, expected: set[str]) -> None:
    assert countries(title) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        # 马里 (Mali) inside longer names of other places.
        ("Maryland bridge collapse", set()),
        ("美国马里兰州大桥坍塌", {"us"}),
        ("马里兰州", {"us"}),
        ("索马里海盗", {"somalia"}),
        ("索马里兰", {"somaliland"}),
        ("马里乌波尔", {"ukraine"}),
        ("马里亚纳群岛", {"northern_mariana_islands"}),
        ("苏里南首都帕拉马里博", {"suriname"}),
        # Names and common words left out or restricted.
        ("Michael Jordan's sneakers", set()),
        ("Jim Jordan subpoenas", set()),
        ("Chad Daybell trial", set()),
        ("Georgia runoff election", set()),
        ("佐治亚州选举", set()),
        ("Macedonia wildfires", set()),
        ("多米尼克·拉布辞职", set()),  # Dominic Raab, not Dominica
        ("沿海地区暴雨", set()),  # 海地 (Haiti) inside 沿海地区
        ("上海地产集团", set()),
        ("中非合作论坛", set()),  # China-Africa, not the Central African Republic
        ("辽宁黑山县", set()),  # 黑山 (Montenegro)
        ("蒙古族", set()),
        ("塔吉克族", set()),
        ("内蒙古", set()),
        ("Inner Mongolia floods", {"china"}),
        ("People's Republic of China", {"china"}),
        ("New Jersey", set()),
        # Longer names of another country win.
        ("Papua New Guinea landslide", {"papua_new_guinea"}),
        ("巴布亚新几内亚山体滑坡", {"papua_new_guinea"}),
        ("Equatorial Guinea", {"equatorial_guinea"}),
        ("赤道几内亚", {"equatorial_guinea"}),
        ("几内亚比绍", {"guinea_bissau"}),
        ("New Guinea", {"papua_new_guinea"}),
        ("Nigeria's Niger Delta", {"nigeria"}),
        ("尼日利亚", {"nigeria"}),
        ("南苏丹", {"south_sudan"}),
        ("文莱苏丹", {"brunei"}),
        ("Democratic Republic of the Congo", {"dr_congo"}),
        ("刚果民主共和国", {"dr_congo"}),
        ("刚果共和国", {"congo_republic"}),
        ("Dominican Republic", {"dominican_republic"}),
        ("印度尼西亚", {"indonesia"}),
        ("白俄罗斯", {"belarus"}),
        ("罗马尼亚", {"romania"}),
        ("Northern Ireland", {"uk"}),
        ("北爱尔兰", {"uk"}),
        ("纽芬兰", {"canada"}),
        ("巴林右旗", {"china"}),
        ("约旦河西岸", {"gaza"}),
        ("美属萨摩亚", {"american_samoa"}),
        ("American Samoa", {"american_samoa"}),
        ("法属圭亚那", {"france"}),
        ("North Korean troops", {"north_korea"}),
        ("South Korean", {"south_korea"}),
        ("朝鲜和韩国", {"north_korea", "south_korea"}),
        ("Burma", {"myanmar"}),
    ],
)
def test_ambiguity_traps_give_no_wrong_country(title: str, expected: set[str]) -> None:
    assert countries(title) == expected


def test_every_old_id_is_kept() -> None:
    assert set(OLD_IDS) <= set(ALIASES["country"])


def test_every_country_alias_yields_its_id() -> None:
    """Alone, every alias of the merged table (the old table's and the new ones) names its own
    id; the old table's aliases all stay (the merge only appends)."""
    han = re.compile(r"[\u4e00-\u9fff]")
    missing = []
    for cid, aliases in ALIASES["country"].items():
        assert len(set(aliases)) == len(aliases), cid
        for alias in aliases:
            text = alias if han.search(alias) else f"News from {alias} today"
            if f"country:{cid}" not in evidence.names(text):
                missing.append((cid, alias))
    assert missing == []


def test_country_table_covers_the_un_members() -> None:
    """193 UN member states (plus the table's non-members and territories)."""
    non_members = {
        "eu", "central_asia", "taiwan", "hong_kong", "macau", "gaza", "kosovo", "vatican",
        "greenland", "puerto_rico", "somaliland", "western_sahara", "american_samoa", "guam",
        "northern_mariana_islands", "new_caledonia", "french_polynesia", "bermuda",
        "cayman_islands", "gibraltar", "falklands",
    }  # fmt: skip
    members = set(ALIASES["country"]) - non_members
    assert len(members) == 193
