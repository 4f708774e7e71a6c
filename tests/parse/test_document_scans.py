"""The parse stage's whole-document preparation (parse.document.xml_utf8) against the
patterns it stands for: the forbidden characters removed by ``_INVALID_XML_CHARS``, then the
declaration rewritten by ``_XML_DECL_TEXT``, then UTF-8 (differential, random documents; pure)."""

from __future__ import annotations

import random

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


def _reference(text: str) -> tuple[str, bytes]:
    out = d._XML_DECL_TEXT.sub(r"\1\2utf-8\2", d._INVALID_XML_CHARS.sub("", text), count=1)
    return out, out.encode("utf-8")


def _both(text: str) -> None:
    try:
        want: tuple[str, bytes] | str = _reference(text)
    except UnicodeEncodeError as exc:
        want = str(exc)
    try:
        got: tuple[str, bytes] | str = d.xml_utf8(text)
    except UnicodeEncodeError as exc:
        got = str(exc)
    assert got == want, repr(text)


def test_xml_utf8_is_the_patterns() -> None:
    decls = ['<?xml version="1.0" encoding="UTF-8"?>', "<?xml encoding='gb2312'?>", "\x01<?xml "
             'encoding="x\x02y"?>', " <?xml version='1.0' encoding=\"utf-8\"?>", ""]  # fmt: skip
    rng = random.Random(3)
    for text in _docs(1, 4000):
        _both(rng.choice(decls) + text)
    for c in range(0x110000):
        ch = chr(c)
        _both(f'<?xml version="1.0" encoding="utf-8"?>a{ch}稀{ch}')


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
