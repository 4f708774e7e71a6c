"""Typed records the store hands out and takes in (no I/O: plain data).

Callers outside store/ never see a row tuple or a column dict: reads return these records and
writes take them, so a column rename is a change in store/ only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class ExistingItem:
    """A stored item as the refresh job needs it to recognise an entry again."""

    id: int
    feed_id: int
    guid: str
    content_hash: str
    duplicate_of: int | None
    event_id: int | None


@dataclass(frozen=True)
class Validators:
    """What tells the next poll that nothing changed; written only with the entries they
    describe (DB-02)."""

    etag: str | None
    last_modified: str | None
    body_hash: str | None
    #: Entry-segment fingerprints of the document parsed in this poll; None when the document
    #: was not parsed (same body, or only its channel header changed): leave them as stored.
    entry_fingerprints: str | None
    parsed: bool


@dataclass(frozen=True)
class FeedSuccessState:
    """The part of a feed's row that only a successful poll writes. ``None`` in ``title``,
    ``site_url`` and ``lang`` means "leave as stored"."""

    last_success_at: str
    validators: Validators | None
    last_new_item_at: str | None
    title: str | None
    site_url: str | None
    lang: str | None
    redirect_url: str | None
    redirect_count: int
    #: A permanent redirect that held long enough: the feed's URL moves here.
    moved_to: str | None


@dataclass(frozen=True)
class FeedPollState:
    """A feed's row after one poll (:meth:`Store.save_poll_state`)."""

    last_fetched_at: str
    last_status: int | None
    next_check_at: str
    interval_s: int
    schedule_reason: str
    error_count: int
    first_error_at: str | None
    last_error: str | None
    success: FeedSuccessState | None
    #: Set when the schedule gives up on the feed (410 Gone, failing too long).
    disabled_reason: str | None

    def columns(self) -> dict[str, object]:
        """Column → value for ``UPDATE feeds``: only what this poll decides."""
        cols: dict[str, object] = {
            "last_fetched_at": self.last_fetched_at,
            "last_status": self.last_status,
            "next_check_at": self.next_check_at,
            "interval_s": self.interval_s,
            "schedule_reason": self.schedule_reason,
            "error_count": self.error_count,
            "first_error_at": self.first_error_at,
            "last_error": self.last_error,
        }
        s = self.success
        if s is not None:
            cols["last_success_at"] = s.last_success_at
            v = s.validators
            if v is not None:
                cols.update(etag=v.etag, last_modified=v.last_modified, last_body_hash=v.body_hash)
                if v.parsed:
                    cols["entry_fingerprints"] = v.entry_fingerprints
            if s.last_new_item_at is not None:
                cols["last_new_item_at"] = s.last_new_item_at
            for name in ("title", "site_url", "lang"):
                if getattr(s, name) is not None:
                    cols[name] = getattr(s, name)
            cols.update(redirect_url=s.redirect_url, redirect_count=s.redirect_count)
            if s.moved_to is not None:
                cols["url"] = s.moved_to
        if self.disabled_reason is not None:
            cols.update(disabled=1, disabled_reason=self.disabled_reason)
        return cols


def utc_iso(dt: datetime) -> str:
    """``2026-11-22T01:02:03Z`` for an aware or naive-UTC datetime."""
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))
