"""The parse stage's whole-document scans (parse.document) against the patterns they stand
for: ``strip_invalid_xml`` is ``_INVALID_XML_CHARS.sub("", text)``, ``_search_at`` is the
pattern's ``search`` (differential, random documents; pure)."""

from __future__ import annotations

import random
import re

from aggregator.parse import document as d

#: Pieces of the random documents: the patterns' own text in several cases, look-alikes
#: ("ſ" and "K" match "s" and "k" under re.I, "İ"/"ı" match "i"), every forbidden character
#: and its neighbours, a lone surrogate, CJK and markup.
PIECES = [
    "<skipHours><hour>3</hour><hour>27</hour></skipHours>", "<SKIPHOURS><hour>1</hour>",
    "</skipHours>", "<ſkipHours>", "<skipDays><day>monday</day></skipDays>", "</SKIPDAYS>",
    "<sKipDays>", "<ſKIPDAYS><day>sunday</day></ſkipdays>", "<!ENTITY x 'y'>", "<!entİty",
    "<!DOCTYPE rss [", "<!doctype rss>", "<!DOCTYPE rss SYSTEM 'x'>", "<![CDATA[<p>a</p>]]>",
    "<!-- c -->", "<!", "<", "<s", "<S", "<span>", "<source url='x'>", "<strong>", "稀土",
    "价格", "text ", "\t", "\n", "\r", "\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1f",
    "\x20", "\x7f", "\x85", "\ufffe", "\uffff", "\ufffd", "\ud800", "😀", "é",
]  # fmt: skip


def _docs(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 30))) for _ in range(n)]


def _same(a: re.Match[str] | None, b: re.Match[str] | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.span() == b.span() and a.groups() == b.groups()


def test_strip_invalid_xml_is_the_pattern() -> None:
    for text in _docs(1, 4000):
        assert d.strip_invalid_xml(text) == d._INVALID_XML_CHARS.sub("", text), repr(text)
    for c in range(0x110000):
        ch = chr(c)
        text = f"a{ch}稀{ch}"
        assert d.strip_invalid_xml(text) == d._INVALID_XML_CHARS.sub("", text), hex(c)


def test_search_at_leads_is_the_search() -> None:
    scans = [(d._SKIP_HOURS, d._SKIP_LEADS), (d._SKIP_DAYS, d._SKIP_LEADS),
             (d._ENTITY_DECL, d._DECL_LEADS), (d._INTERNAL_SUBSET, d._DECL_LEADS)]  # fmt: skip
    found = 0
    for text in _docs(2, 4000):
        for pattern, leads in scans:
            want = pattern.search(text)
            found += want is not None
            assert _same(d._search_at(pattern, text, leads), want), (pattern.pattern, text)
    assert found > 1000
    # every character that can start a match's second position under re.I is a lead's
    for pattern, leads in scans:
        second = pattern.pattern[1]
        cased = {chr(c) for c in range(0x110000) if re.fullmatch(second, chr(c), re.I)}
        assert {"<" + c for c in cased} <= set(leads), pattern.pattern


def test_skip_hints_and_safety_read_real_documents() -> None:
    rss = (
        "<rss><channel><skipHours><hour>5</hour><hour>29</hour></skipHours>"
        "<skipDays><day>saturday</day></skipDays><item><description><![CDATA[<span>a</span>"
        "]]></description></item></channel></rss>"
    )
    assert d.skip_hints(rss) == ((5,), ("Saturday",))
    d.check_xml_safety(rss)
    for bad in ["<!DOCTYPE x [<!ENTITY a 'b'>]><rss/>", "<!doctype x [ ]><rss/>"]:
        try:
            d.check_xml_safety(bad)
        except d.ParseError:
            continue
        raise AssertionError(bad)
