"""Atom and RSS are written on lxml directly (publish/formats.py, session 7), element for
element the trees feedgen built before: the same bytes as the feedgen path that main
c3a256c used, kept here as the reference, for generated entries of every shape (with and
without link, summary, published time, authors, language, source; markup, CR, "]]>",
Chinese) and for a local-time ``now``."""

from __future__ import annotations

import html
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from feedgen.feed import FeedGenerator
from lxml import etree

from aggregator.publish.entries import FeedEntry, feed_updated, rfc3339, text
from aggregator.publish.formats import (
    GENERATOR_NAME,
    FeedMeta,
    render_atom,
    render_rss,
    rfc2822,
)

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_A = "{http://www.w3.org/2005/Atom}"


def _generator(meta: FeedMeta, entries: Sequence[FeedEntry], now: datetime, ext: str) -> Any:
    """main c3a256c's ``formats._generator``, verbatim."""
    fg = FeedGenerator()
    fg.id(meta.feed_id)
    fg.title(text(meta.title))
    fg.subtitle(text(meta.description))
    fg.author({"name": text(meta.author) or GENERATOR_NAME})
    fg.generator(GENERATOR_NAME)
    if meta.lang:
        fg.language(meta.lang)
    fg.link(href=meta.url(ext), rel="self")
    fg.link(href=meta.base_url, rel="alternate")
    fg.updated(feed_updated(entries, now))
    if ext == "rss":
        fg.load_extension("dc")
    for e in entries:
        fe = fg.add_entry(order="append")
        fe.guid(e.id, permalink=False)
        fe.title(e.title)
        fe.updated(e.updated)
        if e.published:
            fe.published(e.published)
        if e.link:
            fe.link(href=e.link, rel="alternate")
        for name in e.authors:
            fe.author({"name": name})
        if e.source_title and e.source_url:
            fe.source(url=e.source_url, title=e.source_title)
        if ext == "atom":
            fe.content(e.content_html or "<p></p>", type="html")
            if e.summary:
                fe.summary(e.summary, type="text")
        else:
            fe.description(e.content_html or f"<p>{html.escape(text(e.title))}</p>")
            fe.dc.dc_creator(", ".join(e.authors) or text(meta.author) or GENERATOR_NAME)
    return fg


def _feedgen_atom(meta: FeedMeta, entries: Sequence[FeedEntry], now: datetime) -> bytes:
    root = etree.fromstring(
        _generator(meta, entries, now, "atom").atom_str(pretty=False, encoding="UTF-8"),
        etree.XMLParser(remove_blank_text=True, resolve_entities=False),
    )
    for el, e in zip(root.iter(f"{_A}entry"), entries, strict=True):
        if e.lang:
            el.set(_XML_LANG, e.lang)
        src = el.find(f"{_A}source")
        if src is not None:
            if e.source_id:
                etree.SubElement(src, f"{_A}id").text = e.source_id
            etree.SubElement(src, f"{_A}updated").text = rfc3339(e.source_updated or e.updated)
    out: bytes = etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")
    return out


def _feedgen_rss(meta: FeedMeta, entries: Sequence[FeedEntry], now: datetime) -> bytes:
    out: bytes = _generator(meta, entries, now, "rss").rss_str(pretty=True, encoding="UTF-8")
    return out


_WORDS = ["news", "新闻", "<b>bold</b>", "a & b", "]]>", "line\r\nbreak", "tab\there", "«q»", "'\""]


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(1, n)))


def _entry(rng: random.Random, n: int) -> FeedEntry:
    zone = rng.choice([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))])
    updated = datetime(2026, 1 + n % 12, 1 + n % 28, n % 24, n % 60, 7, tzinfo=zone)
    maybe = rng.random
    return FeedEntry(
        id=f"tag:x.example,2026:event/{n}",
        title=_words(rng, 6),
        link=f"https://example.com/{n}?a=1&b=2" if maybe() < 0.8 else None,
        updated=updated,
        published=updated - timedelta(hours=n) if maybe() < 0.7 else None,
        content_html=f"<p>{_words(rng, 20)}</p>" if maybe() < 0.9 else "",
        summary=_words(rng, 10) if maybe() < 0.6 else "",
        authors=tuple(_words(rng, 3) for _ in range(rng.randrange(0, 3)))
        + (("",) if maybe() < 0.1 else ()),
        lang=rng.choice([None, "en", "zh-Hans"]),
        source_title=_words(rng, 3) if maybe() < 0.5 else None,
        source_url=f"https://feeds.example.com/{n}.xml" if maybe() < 0.6 else None,
        source_id=f"tag:x.example,2026:source/{n}" if maybe() < 0.5 else None,
        source_updated=updated + timedelta(minutes=5) if maybe() < 0.5 else None,
    )


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("lang", [None, "zh-Hans"])
def test_atom_and_rss_are_the_bytes_feedgen_wrote(seed: int, lang: str | None) -> None:
    rng = random.Random(seed)
    entries = [_entry(rng, n) for n in range(rng.randrange(0, 40))]
    meta = FeedMeta(
        name="events",
        feed_id="tag:x.example,2026:feed/events",
        title=f"Title {_words(rng, 3)}",
        description="One entry per news event, listing every report of it by language.",
        base_url="https://agg.example.org/",
        author=rng.choice(["Aggregator", "", "新闻 & more"]),
        lang=lang,
    )
    now = datetime(2026, 12, 7, 12, 30, 5, tzinfo=timezone(timedelta(hours=8)))
    assert render_atom(meta, entries, now) == _feedgen_atom(meta, entries, now)
    assert render_rss(meta, entries, now) == _feedgen_rss(meta, entries, now)


def test_rfc2822_is_the_c_locale_text_for_every_day_and_month() -> None:
    from feedgen.util import formatRFC2822

    for d in range(0, 366, 3):
        dt = datetime(2026, 1, 1, 23, 59, 1, tzinfo=timezone(timedelta(hours=5, minutes=30)))
        dt += timedelta(days=d)
        assert rfc2822(dt) == formatRFC2822(dt)
