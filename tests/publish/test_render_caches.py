"""Equivalence guards for the publish renderers' per-process caches (session 6, publish-6).

The caches (short cleaned texts, member times, each event's member list HTML) must never make
a rendering differ from an uncached one: a changed member renders anew, a list and a tuple of
the same members render alike, and a long text is cleaned as before. These pass before the
caches by design (they guard the equivalence, not a behaviour change).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from test_publish import make_events

from aggregator.config import PublishConfig
from aggregator.models import Event
from aggregator.publish import render_all
from aggregator.publish.entries import SHORT_TEXT_CHARS, members_html, safe_link, text
from aggregator.sanitize import safe_url

NOW = datetime.fromisoformat("2026-11-22T02:00:00+00:00")


def test_a_changed_member_renders_anew() -> None:
    event = make_events()[0]
    first = members_html(event, "en")
    m0 = dataclasses.replace(event.members[0], title="A new headline for this report")
    changed = dataclasses.replace(event, members=(m0, *event.members[1:]))
    again = members_html(changed, "en")
    assert "A new headline for this report" in again
    assert again != first
    assert members_html(event, "en") == first  # the old list, again


def test_a_list_and_a_tuple_of_the_same_members_render_alike() -> None:
    event = make_events()[0]
    as_list = Event(**{**event.__dict__, "members": list(event.members)})
    assert members_html(as_list, "en") == members_html(event, "en")
    assert members_html(event, "en", "h5") != members_html(event, "en")


def test_texts_long_and_short_clean_alike() -> None:
    short = " a\x00b \t c "
    long = short + "x" * SHORT_TEXT_CHARS
    assert text(short) == "ab c" == text(short)
    assert text(long) == "ab c " + "x" * SHORT_TEXT_CHARS
    assert text("abcdef", 4) == "abc…" and text("abcdef") == "abcdef"


def test_publishing_twice_renders_the_same_bytes() -> None:
    cfg = PublishConfig()
    events = make_events()
    first = render_all(events, [], cfg, NOW)
    assert render_all(make_events(), [], cfg, NOW) == first


def test_safe_link_is_safe_url_for_short_and_long_links() -> None:
    long = "https://example.com/" + "a" * SHORT_TEXT_CHARS
    links = [
        None,
        "",
        "https://example.com/x?a=1&b=2",
        " javascript:alert(1)",
        "/relative",
        "HTTPS://Example.com/%20x",
        "java&#x09;script:x",
        long,
        long.replace("https", "ftp"),
    ]
    for url in links * 2:  # the second round from the cache
        assert safe_link(url) == safe_url(url)
