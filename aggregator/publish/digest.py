"""Publish stage, daily digest: events → one entry per calendar day (pure).

A day is a calendar day in ``[publish] digest_timezone`` (default Asia/Shanghai, the readers'
day); an event belongs to the day its story began (its earliest report). The entry lists that
day's events by number of outlets (most first, then earliest), each with both headlines. Its
id is ``tag:…:digest/2026-11-20``, stable for the day; its ``updated`` is the latest update of
the events it lists, so it moves only when one of them changes.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aggregator.config import PublishConfig
from aggregator.models import Event
from aggregator.publish.entries import (
    MAX_TITLE_CHARS,
    FeedEntry,
    _mark,
    esc,
    event_link,
    outlet_count,
    parse_time,
    safe_link,
    tag_uri,
    text,
    view_texts,
)


def _story_start(e: Event) -> datetime | None:
    return parse_time(e.view.published_at if e.view else e.first_seen_at)


def _updated(e: Event) -> datetime | None:
    return parse_time(e.view.updated_at if e.view else e.updated_at)


def days(events: Sequence[Event], cfg: PublishConfig) -> dict[date, list[Event]]:
    """Events by local calendar day of their story's start."""
    zone = ZoneInfo(cfg.digest_timezone)
    out: dict[date, list[Event]] = defaultdict(list)
    for e in events:
        start = _story_start(e)
        if start is not None:
            out[start.astimezone(zone).date()].append(e)
    return out


def _line(e: Event) -> str:
    heads = []
    for lang, title, _s, machine, _sm in view_texts(e):
        attr = f' lang="{esc(lang)}"' if lang else ""
        heads.append(f"<span{attr}>{esc(text(title, MAX_TITLE_CHARS))}</span>{_mark(machine)}")
    link = safe_link(event_link(e))
    body = " / ".join(heads) or "(untitled)"
    if link:
        body = f'<a href="{html.escape(link, quote=True)}" rel="noopener noreferrer">{body}</a>'
    k = outlet_count(e)
    return f"<li>{body} <small>({k} outlet{'s' if k != 1 else ''})</small></li>"


def digest_entries(events: Sequence[Event], cfg: PublishConfig, now: datetime) -> list[FeedEntry]:
    """One entry per day with events, newest day first, at most ``cfg.digest_days``."""
    out = []
    for day, evs in sorted(days(events, cfg).items(), reverse=True)[: cfg.digest_days]:
        evs = sorted(evs, key=lambda e: (-outlet_count(e), _story_start(e) or now, e.id))
        updated = max((_updated(e) or now for e in evs), default=now)
        n = len(evs)
        title = f"{day.isoformat()} · {n} event{'s' if n != 1 else ''}"
        body = "<ol>\n" + "\n".join(_line(e) for e in evs) + "\n</ol>"
        out.append(
            FeedEntry(
                id=tag_uri(cfg, "digest", day.isoformat()),
                title=title,
                link=None,
                updated=updated,
                published=min((_story_start(e) or updated for e in evs), default=updated),
                content_html=body,
                summary=f"{n} events ({cfg.digest_timezone}), by number of outlets.",
                lang=cfg.preferred_language,
                extension={
                    "day": day.isoformat(),
                    "timezone": cfg.digest_timezone,
                    "events": [
                        {"id": tag_uri(cfg, "event", e.id), "outlet_count": outlet_count(e)}
                        for e in evs
                    ],
                },
            )
        )
    return out
