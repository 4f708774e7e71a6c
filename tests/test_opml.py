"""OPML: bridged outlets rebuilt from [bridges] rsshub; round trip; hostile OPML refused."""

from __future__ import annotations

import pytest
from conftest import REPO

from aggregator.opml import OpmlDocument, Subscription, read_opml, write_opml

REQUIRED_OUTLETS = [
    "apnews",
    "foxbusiness",
    "huanqiu",
    "guancha",
    "zaker",
    "xhsxw",
    "people",
    "chinanews",
    "zhongwen",
    "rfi.fr/cn",
    "rss-chi-all",
    "zaobao",
]


def test_bundled_opml_covers_the_outlets_and_bridges_follow_config() -> None:
    subs = read_opml((REPO / "feeds.opml").read_bytes(), rsshub_base="https://hub.example.net/")
    urls = " ".join(s.url for s in subs)
    for outlet in REQUIRED_OUTLETS:
        assert outlet in urls, outlet
    bridged = [s for s in subs if s.bridge == "rsshub"]
    assert len(bridged) >= 10
    assert all(s.url.startswith("https://hub.example.net/") for s in bridged)
    assert not any("rsshub.app" in s.url for s in subs)
    ap = next(s for s in bridged if "ap-top-news" in s.url)
    assert ap.url == "https://hub.example.net/apnews/topics/ap-top-news"
    assert {s.category for s in subs} == {"English", "中文"}
    tz = {s.url.rsplit("/", 2)[-2]: s.timezone for s in subs if "chinanews" in s.url}
    assert set(tz.values()) == {"Asia/Shanghai"}


def test_round_trip_keeps_bridge_routes() -> None:
    subs = [
        Subscription(
            url="https://hub.example.net/guancha/headline",
            title="观察者网",
            lang="zh-CN",
            bridge="rsshub",
            bridge_route="/guancha/headline",
            timezone="Asia/Shanghai",
            category="中文",
        ),
        Subscription(url="https://example.org/rss.xml", title="Example & Co"),
    ]
    again = read_opml(write_opml(subs), rsshub_base="https://other.example/")
    assert again[0].url == "https://other.example/guancha/headline"
    assert again[0].timezone == "Asia/Shanghai" and again[0].category == "中文"
    assert again[1].title == "Example & Co"


def test_entity_tricks_in_opml_refused() -> None:
    bad = (
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<opml version="2.0"><body><outline xmlUrl="&x;"/></body></opml>'
    )
    with pytest.raises(ValueError, match="DTD entities"):
        read_opml(bad, rsshub_base="https://hub.example.net")


def test_not_opml() -> None:
    with pytest.raises(ValueError):
        read_opml(b"<rss/>", rsshub_base="https://hub.example.net")


def test_unknown_outline_attributes_survive_a_round_trip() -> None:
    doc = (
        b'<?xml version="1.0"?><opml version="2.0"><head/><body>'
        b'<outline text="AP" xmlUrl="https://h.example/ap" outlet="AP" country="US"'
        b' reviewed="2026-11"/></body></opml>'
    )
    (s,) = read_opml(doc, rsshub_base="https://hub.example.net")
    assert (s.outlet, s.country) == ("AP", "US")
    assert s.extra == (("reviewed", "2026-11"),)
    (again,) = read_opml(write_opml([s]), rsshub_base="https://hub.example.net")
    assert again.extra == s.extra and (again.outlet, again.country) == ("AP", "US")


def test_document_edits_keep_every_other_byte() -> None:
    original = (REPO / "feeds.opml").read_bytes()
    doc = OpmlDocument(original)
    assert doc.to_bytes() == original
    doc.add(Subscription(url="https://example.org/a.xml", title="A", category="English"))
    doc.add(Subscription(url="https://example.org/b.xml", title="B", category="New group"))
    doc.add(Subscription(url="https://example.org/c.xml", title="C"))
    text = doc.to_bytes().decode()
    assert text.count("<!--") == original.decode().count("<!--")
    subs = {s.url: s for s in read_opml(doc.to_bytes(), rsshub_base="https://x.example")}
    assert subs["https://example.org/a.xml"].category == "English"
    assert subs["https://example.org/b.xml"].category == "New group"
    assert subs["https://example.org/c.xml"].category is None
    for url in ("https://example.org/c.xml", "https://example.org/a.xml"):
        assert doc.remove(url, rsshub_base="https://x.example") is not None
    # A bridged outline is found by its URL under the configured base.
    gone = doc.remove("https://x.example/guancha/headline", rsshub_base="https://x.example")
    assert gone is not None and gone.bridge_route == "/guancha/headline"
    assert "guancha/headline" not in doc.to_bytes().decode()


def test_document_refuses_entities() -> None:
    bad = (
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x "y">]>'
        b'<opml version="2.0"><body><outline xmlUrl="&x;"/></body></opml>'
    )
    with pytest.raises(ValueError):
        OpmlDocument(bad)


def test_outlet_and_country_round_trip() -> None:
    from aggregator.opml import Subscription, read_opml, write_opml

    subs = [Subscription(url="https://a.example/f.xml", title="A", outlet="新华社", country="CN")]
    back = read_opml(write_opml(subs), rsshub_base="https://rsshub.app")
    assert back[0].outlet == "新华社" and back[0].country == "CN"
