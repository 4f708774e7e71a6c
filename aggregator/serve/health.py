"""Serve stage: what ``/healthz`` answers — ok or not, and why (pure).

The daemon gathers the inputs (the store's refused writes and feed outcomes, its start time,
whether a poll is stuck) and this module judges them, so every rule is tested without a
clock or a disk. Not ok when (issue 15 found /healthz "ok" through each of these):

- the disk refuses the store's writes (full, read-only, I/O error) — until a commit succeeds;
- no feed has been fetched successfully since the daemon started, once ``grace_s`` has passed
  (a first poll of many feeds takes a while; offline from the start is not ok);
- every enabled feed is failing;
- a poll has made no progress for too long (stuck).
The reasons are listed in the body under ``"reasons"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aggregator.store.status import FeedHealth, WriteFailure


@dataclass(frozen=True)
class HealthInputs:
    feeds: FeedHealth
    write_failure: WriteFailure | None
    started_at: datetime
    now: datetime
    #: seconds after start before "no successful poll yet" counts against health
    grace_s: float
    tick_stuck: bool


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def assess(h: HealthInputs) -> dict[str, Any]:
    """The /healthz body: ``ok`` (bool), ``reasons`` (list of str) and the facts behind them."""
    reasons: list[str] = []
    out: dict[str, Any] = {
        "last_successful_poll_at": h.feeds.last_success_at,
        "feeds_enabled": h.feeds.enabled,
        "feeds_failing": h.feeds.failing,
        "tick_stuck": h.tick_stuck,
        "store_writable": h.write_failure is None,
    }
    last = _parse(h.feeds.last_success_at) if h.feeds.last_success_at else None
    if last is not None:
        out["last_successful_poll_age_s"] = round((h.now - last).total_seconds())
    if h.write_failure is not None:
        w = h.write_failure
        reasons.append(f"store writes failing ({w.kind}) since {w.at.isoformat()}: {w.error}")
    if h.tick_stuck:
        reasons.append("poll stuck: no feed finished for too long")
    up_s = (h.now - h.started_at).total_seconds()
    since_start = last is not None and last >= h.started_at.replace(microsecond=0)
    if h.feeds.enabled and not since_start and up_s > h.grace_s:
        reasons.append(f"no feed fetched successfully since start {round(up_s)} s ago")
    if h.feeds.enabled and h.feeds.failing == h.feeds.enabled:
        reasons.append(f"every feed is failing ({h.feeds.failing} of {h.feeds.enabled})")
    out["ok"] = not reasons
    out["reasons"] = reasons
    return out
