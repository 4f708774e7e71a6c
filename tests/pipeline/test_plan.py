"""Decide, then do: the feed-refresh plan asserted on plain values, with no database
(aggregator.pipeline.plan)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aggregator.config import ParseConfig
from aggregator.models import FeedRecord, FetchResult, ParsedEntry, ParsedFeed
from aggregator.pipeline.plan import (
    KeptStored,
    NewEntry,
    PollFacts,
    Revision,
    Unchanged,
    build_entries,
    plan_entries,
    plan_feed_state,
)
from aggregator.schedule import ScheduleDecision
from aggregator.store.records import ExistingItem

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
FEED = FeedRecord(id=7, url="https://news.example.org/rss", lang="en")


def entry(guid: str, link: str, text: str) -> ParsedEntry:
    return ParsedEntry(guid=guid, link=link, title=f"Title {guid}", summary_html=text,
                       content_html=None, published=NOW - timedelta(hours=1))


def parsed(*entries: ParsedEntry, malformed: bool = False) -> ParsedFeed:
    return ParsedFeed(title="News", site_url="https://news.example.org/", lang="en",
                      entries=entries, malformed=malformed)


def built(*entries: ParsedEntry, malformed: bool = False) -> list:  # type: ignore[type-arg]
    return build_entries(parsed(*entries, malformed=malformed), FEED, now=NOW, feed_tz="UTC",
                         cfg=ParseConfig())


def stored(item_id: int, b: object, *, feed_id: int = 7, content_hash: str | None = None
           ) -> ExistingItem:
    item = b.item  # type: ignore[attr-defined]
    return ExistingItem(item_id, feed_id, item.guid, content_hash or item.content_hash, None, 3)


def test_a_repeated_guid_in_one_document_is_one_item() -> None:
    b = built(entry("a", "https://news.example.org/a", "one"),
              entry("a", "https://news.example.org/a2", "two"))
    assert [x.item.summary for x in b] == ["one"]


def test_new_unchanged_revised_and_malformed_entries() -> None:
    b = built(entry("n", "https://news.example.org/n", "new story"),
              entry("u", "https://news.example.org/u", "same text"),
              entry("r", "https://news.example.org/r", "edited text"))
    by_guid = {"u": stored(1, b[1]), "r": stored(2, b[2], content_hash="old-hash")}
    actions = plan_entries(b, feed_id=7, by_guid=by_guid, by_url={}, malformed=False)
    assert [type(a) for a in actions] == [NewEntry, Unchanged, Revision]
    assert isinstance(actions[2], Revision) and actions[2].old.id == 2
    # A malformed document may have lost text: it adds items, never overwrites (XML-08).
    actions = plan_entries(b, feed_id=7, by_guid=by_guid, by_url={}, malformed=True)
    assert [type(a) for a in actions] == [NewEntry, Unchanged, KeptStored]


def test_same_url_under_a_new_guid_is_the_stored_item_only_in_the_same_feed() -> None:
    b = built(entry("new-guid", "https://news.example.org/story?utm_source=x", "text"))
    url = b[0].item.canonical_url
    assert url is not None
    mine = stored(5, b[0], content_hash="older")
    actions = plan_entries(b, feed_id=7, by_guid={}, by_url={url: mine}, malformed=False)
    assert [type(a) for a in actions] == [Revision]
    theirs = stored(9, b[0], feed_id=8)
    actions = plan_entries(b, feed_id=7, by_guid={}, by_url={url: theirs}, malformed=False)
    assert [type(a) for a in actions] == [NewEntry]  # another feed's copy: dedupe decides


def test_same_url_twice_in_one_document_first_wins() -> None:
    b = built(entry("a", "https://news.example.org/s", "first"),
              entry("b", "https://news.example.org/s#top", "second"))
    actions = plan_entries(b, feed_id=7, by_guid={}, by_url={}, malformed=False)
    assert len(actions) == 1 and isinstance(actions[0], NewEntry)
    assert actions[0].item.summary == "first"


def decision(**kw: object) -> ScheduleDecision:
    base: dict[str, object] = {"next_check_at": NOW + timedelta(minutes=30), "interval_s": 1800,
                               "reason": "default"}
    base.update(kw)
    return ScheduleDecision(**base)  # type: ignore[arg-type]


def facts(result: FetchResult, **kw: object) -> PollFacts:
    base: dict[str, object] = {"result": result, "parsed": None, "body_hash": None,
                               "fingerprints": None, "error": None, "new_items": 0,
                               "redirect": (None, 0, None)}
    base.update(kw)
    return PollFacts(**base)  # type: ignore[arg-type]


def test_validators_move_only_with_a_successful_poll() -> None:
    ok = FetchResult("u", "u", 200, body=b"<rss/>", etag='"v2"')
    cols = plan_feed_state(FEED, facts(ok, parsed=parsed(), body_hash="h2",
                                       fingerprints=frozenset({"b", "a"}), new_items=2),
                           decision(), NOW).columns()
    assert cols["etag"] == '"v2"' and cols["last_body_hash"] == "h2"
    assert cols["entry_fingerprints"] == "a b"
    assert cols["last_new_item_at"] == cols["last_success_at"]
    failed = plan_feed_state(FEED, facts(ok, error="store failed"), decision(error_count=1),
                             NOW).columns()
    assert "etag" not in failed and "last_success_at" not in failed
    assert failed["last_error"] == "store failed" and failed["error_count"] == 1


def test_an_unparsed_body_keeps_its_fingerprints_and_a_held_redirect_moves_the_url() -> None:
    ok = FetchResult("u", "u", 200, body=b"<rss/>")
    cols = plan_feed_state(FEED, facts(ok, body_hash="h", redirect=(None, 0, "https://new/")),
                           decision(), NOW).columns()
    assert "entry_fingerprints" not in cols and cols["url"] == "https://new/"
    gone = plan_feed_state(FEED, facts(FetchResult("u", "u", 410), error="HTTP 410"),
                           decision(disable=True, disable_reason="HTTP 410 Gone"), NOW).columns()
    assert gone["disabled"] == 1 and gone["disabled_reason"] == "HTTP 410 Gone"
