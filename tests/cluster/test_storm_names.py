"""Storm names across languages (``cluster/storm_names.py`` wired in ``cluster/storms.py``):
an English wire story and Chinese reports, Simplified or Traditional, of one storm share one
``storm:`` key; a name the table lacks keeps its own key; common words and place aliases that
a transliteration holds give no storm key."""

from __future__ import annotations

import json
from pathlib import Path

from aggregator.cluster import evidence as entities
from aggregator.cluster import storm_names, storms
from aggregator.cluster.clusterer import evidence_for
from aggregator.cluster.embed import fold_chinese

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _storms(title: str, lead: str = "") -> set[str]:
    return {k for k in evidence_for(title, lead).title_keys if k.startswith("storm:")}


def test_a_chinese_report_and_the_english_wire_story_share_one_storm_key() -> None:
    """Yagi / 摩羯, Ragasa / 桦加沙 (樺加沙), Gaemi / 格美 (Mainland) and 凱米 (Taiwan)."""
    cases = {
        "storm:yagi": [
            "Typhoon Yagi kills at least 14 in northern Vietnam",
            "超强台风“摩羯”在海南文昌登陆",
            "颱風「摩羯」襲越南 死亡人數升至14人",
            "台风摩羯袭越南 死亡人数升至14人",
        ],
        "storm:ragasa": [
            "Super Typhoon Ragasa makes landfall in Guangdong",
            "台风“桦加沙”在广东阳江海陵岛登陆",
            "颱風樺加沙｜花蓮堰塞湖溢流 光復鄉淹水",
        ],
        "storm:gaemi": [
            "Typhoon Gaemi slams into Taiwan, schools and offices shut",
            "台风“格美”在福建莆田登陆",
            "強颱凱米登陸宜蘭 全台停班停課",
            "凱米颱風襲台 高雄多處淹水",
        ],
        "storm:kong-rey": [
            "Typhoon Kong-rey makes landfall in eastern Taiwan",
            "颱風康芮登陸台東成功鎮",
            "台风“康妮”在台湾台东登陆",
        ],
        "storm:milton": [
            "Hurricane Milton makes landfall in Florida",
            "飓风“米尔顿”登陆美国佛罗里达州",
        ],
    }
    for key, titles in cases.items():
        for title in titles:
            assert _storms(title) == {key}, title


def test_the_shared_key_makes_two_languages_one_occurrence() -> None:
    """The Chinese and the English report of one storm in two countries: one occurrence, and
    the country they disagree on is the storm's bystander."""
    en = evidence_for("Typhoon Yagi leaves 59 dead in Vietnam", "")
    zh = evidence_for("超强台风“摩羯”在中国海南文昌登陆", "")
    assert entities.same_disaster(en.title_keys, zh.title_keys)
    conflicts = entities.conflicts(en.title_keys, en.keys, zh.title_keys, zh.keys)
    assert entities.within_occurrence(conflicts, en.title_keys, zh.title_keys) == []


def test_a_name_introduced_in_the_lead_is_found_bare_in_the_headline() -> None:
    """台风“摩羯” in the lead: the headline's bare 摩羯 gives the English key."""
    keys = _storms("摩羯致越南北部洪水 死亡人数升至59人", "今年第11号台风“摩羯”登陆越南后，")
    assert keys == {"storm:yagi"}


def test_a_name_not_in_the_table_behaves_as_before() -> None:
    """山竹 (Mangkhut, 2018) is not listed: it keeps its own key, in either script."""
    assert "山竹" not in storms.ZH_TO_EN
    assert _storms("台风“山竹”重创广东") == {"storm:山竹"}
    assert _storms("颱風「山竹」重創廣東") == {"storm:山竹"}
    assert _storms("Typhoon Mangkhut pounds Hong Kong") == {"storm:mangkhut"}
    # Unlisted and unquoted: still nothing unless a bar, slash or space ends it.
    assert _storms("台风山竹重创广东") == set()


def test_words_and_places_inside_names_give_no_storm_key() -> None:
    """A listed name that is a common word counts only beside its kind (摩羯座 is Capricorn,
    海鸥 a gull); a bare English name counts only once an item introduced it; 樺加沙 holds
    加沙 (Gaza) and the storm's report is no report of Gaza."""
    assert _storms("摩羯座本周运势：事业稳中有升") == set()
    assert _storms("海鸥成群飞抵滇池 市民喂食") == set()
    assert _storms("Koinu the puppy wins Tokyo dog show") == set()
    assert _storms("Yagi Antenna Sales Rise") == set()
    ragasa = evidence_for("颱風樺加沙｜香港發出十號風球", "")
    assert "country:gaza" not in ragasa.keys
    assert _storms("以色列空袭加沙 多人死亡") == set()
    # "Yagi-hit": the part before the hyphen is the name; a listed hyphenated name is whole.
    assert _storms("Typhoon Yagi-hit provinces count losses") == {"storm:yagi"}


def test_the_table_is_simplified_and_unambiguous() -> None:
    """Every Chinese name is written as folding leaves it (Simplified: text is folded before
    matching) and, once a name is shared by two storms, it maps to neither."""
    from aggregator.cluster.embed import fold_chinese

    tables = (
        storm_names.WESTERN_NORTH_PACIFIC,
        storm_names.NORTH_ATLANTIC,
        storm_names.EASTERN_NORTH_PACIFIC,
        storm_names.NORTH_INDIAN,
    )
    owners: dict[str, set[str]] = {}
    for table in tables:
        for en, names in table.items():
            assert en == en.lower() and names
            for zh in names:
                assert fold_chinese(zh) == zh, zh
                owners.setdefault(zh, set()).add(en)
    assert {zh for zh, en in owners.items() if len(en) == 1} == set(storms.ZH_TO_EN)
    assert storms.ZH_TO_EN["凯米"] == storms.ZH_TO_EN["格美"] == "gaemi"


def test_the_chinese_scans_are_skipped_only_where_they_cannot_match() -> None:
    """``storms.find`` skips ``_ZH`` / ``_ZH_LISTED`` on text without 风, 台 or 旋: every kind
    those regexes need holds one, so a text without them has no match (checked on the
    fixtures' texts too, which do hold matches)."""
    kinds = storms._ZH_KIND.removeprefix("(?:").removesuffix(")").split("|")
    assert len(kinds) >= 7
    assert all(storms._may_name_zh(k) for k in [*kinds, "强台", "中台", "轻台"])
    texts = ["台风摩羯袭越南", "“摩羯”台风", "气旋“莫查”", "强台康芮登陆", "凯米台风袭台｜"]
    for line in (FIXTURES / "events" / "events.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        texts += [row["title"], row.get("lead", "")]
    found = 0
    for t in map(fold_chinese, texts):
        hits = [*storms._ZH_LISTED.finditer(t), *storms._ZH.finditer(t)]
        assert storms._may_name_zh(t) or not hits, t
        found += len(hits)
    assert found >= 5
