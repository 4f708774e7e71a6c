"""Schedule stage: when to poll a feed next (pure; no clock reads, no I/O).

``(now, ScheduleConfig, PollOutcome, FeedHistory, rng)`` → :class:`ScheduleDecision`.
The daemon stores ``next_check_at`` (and the new error state) in the ``feeds`` row; the store
selects due feeds from it. Rules, in the order they apply:

1. **410 Gone** → disable at once (``disable=True``, reason ``gone``).
2. **Failure** (``error`` set, no status, or a status outside 2xx/304):
   - the streak grows: ``error_count = history.error_count + 1``; ``first_error_at`` is kept
     from history, or set to ``now`` when this is the first failure;
   - disable when ``now - first_error_at >= cfg.disable_after_s``;
   - **Retry-After** (429/503, ``retry_after_s``) overrides the backoff: it is clamped to
     ``[min_interval_s, max_backoff_s]`` (a Retry-After *shorter* than ``min_interval_s`` is
     raised to it) and returned in ``host_retry_after_s`` so the caller applies it to the
     whole host;
   - otherwise exponential backoff: ``min_interval_s × 2**history.error_count`` (so the first
     failure waits ``min_interval_s``, the second twice that, …), capped at ``max_backoff_s``.
3. **Success** (2xx or 304) resets the error state, then:
   - adaptive interval: ``ADAPTIVE_GAP_FRACTION`` × the mean gap between the feed's recent
     entries, measured up to ``now`` (so a feed that went quiet slows down, see
     :func:`estimate_gap_s`); without entry
     times, ``posts_per_day``; without either, the last interval grown by ``QUIET_GROWTH``
     when nothing new came, else ``default_interval_s``; bounded by
     ``[min_interval_s, max_interval_s]``;
   - then the largest of that and the publisher's hints: Cache-Control max-age/Expires,
     RSS ``<ttl>``, ``sy:updatePeriod``/``sy:updateFrequency`` — each hint capped at
     ``max_interval_s`` (a hint never makes us poll *more* often than the adaptive rate).
4. **Jitter**: the interval is multiplied by ``1 + U(-j, +j)`` (``j = cfg.jitter_fraction``,
   drawn once from ``rng``), then clamped again (Retry-After only jitters upwards: it is a
   minimum).
5. **skipHours/skipDays** (RSS 2.0; hours and days are in GMT): the check time moves forward
   to the start of the first allowed hour. If no allowed hour exists within
   ``max_backoff_s`` of ``now`` (e.g. every hour skipped), the hints are ignored and the
   reason says ``skip hints ignored``.

Invariants (property-tested in ``tests/test_schedule.py``): ``next_check_at > now``;
``next_check_at - now >= min_interval_s``; ``<= max(max_backoff_s, max_interval_s,
min_interval_s)``; never inside a skipped hour/day unless the reason says so; non-decreasing
in ``error_count`` for the same failure and the same random draw.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aggregator.config import ScheduleConfig
from aggregator.models import FetchResult, ParsedFeed

#: Poll at about half the mean gap between entries: a new entry waits ~¼ gap on average,
#: and a feed posting every 20 min is read every 10 min (Miniflux's entry-frequency
#: scheduler uses the same idea with a weekly count).
ADAPTIVE_GAP_FRACTION = 0.5
#: Entries used for the rate estimate: the newest N. 20 is a typical feed's window, so the
#: estimate follows the feed's current pace rather than its history.
RATE_SAMPLE_ENTRIES = 20
#: A feed silent for S seconds is assumed to have a gap of at least S × this: it keeps
#: polling a quiet night's news feed every ~¼ of the silence, and a dead feed at the maximum.
SILENCE_WEIGHT = 0.5
#: Entry times older than this are ignored for the rate (seconds; 30 days).
RATE_WINDOW_S = 30 * 24 * 3600
#: Without a rate estimate, a poll with nothing new grows the last interval by this factor.
QUIET_GROWTH = 1.5
#: Exponent cap for the backoff so ``2**n`` stays a small float (2**40 s ≫ any cap).
MAX_BACKOFF_EXPONENT = 40
#: Hours scanned for an allowed skipHours/skipDays slot (one week plus one hour).
SKIP_SCAN_HOURS = 7 * 24 + 1
SECONDS_PER_DAY = 86_400
#: ``sy:updatePeriod`` lengths (RSS 1.0 Syndication module).
SY_PERIOD_S: dict[str, int] = {
    "hourly": 3600,
    "daily": SECONDS_PER_DAY,
    "weekly": 7 * SECONDS_PER_DAY,
    "monthly": 30 * SECONDS_PER_DAY,
    "yearly": 365 * SECONDS_PER_DAY,
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
HTTP_GONE = 410
HTTP_NOT_MODIFIED = 304


@dataclass(frozen=True)
class PollOutcome:
    """What the last poll of a feed said, as far as scheduling cares."""

    status: int | None = 200
    not_modified: bool = False
    #: Error text (network error, HTTP error, parse failure); ``None`` when the poll worked.
    error: str | None = None
    new_items: int = 0
    #: Retry-After in seconds (429/503).
    retry_after_s: float | None = None
    #: Cache-Control max-age / Expires lifetime in seconds.
    cache_lifetime_s: float | None = None
    ttl_minutes: int | None = None
    sy_update_period: str | None = None
    sy_update_frequency: int | None = None
    #: RSS skipHours (0–23, GMT) and skipDays (``Monday`` … ``Sunday``).
    skip_hours: tuple[int, ...] = ()
    skip_days: tuple[str, ...] = ()
    #: 410 Gone (also implied by ``status == 410``).
    gone: bool = False

    @property
    def failed(self) -> bool:
        if self.error is not None or self.status is None:
            return True
        return not (
            self.not_modified or self.status == HTTP_NOT_MODIFIED or 200 <= self.status < 300
        )

    @property
    def is_gone(self) -> bool:
        return self.gone or self.status == HTTP_GONE

    @classmethod
    def from_fetch(
        cls,
        fetch: FetchResult,
        parsed: ParsedFeed | None = None,
        *,
        new_items: int = 0,
        parse_error: str | None = None,
    ) -> PollOutcome:
        """Build an outcome from the fetch result and (when parsed) the document's hints."""
        error = fetch.error or parse_error
        if error is None and fetch.status is not None and not fetch.ok and not fetch.not_modified:
            error = f"HTTP {fetch.status}"
        p = parsed
        return cls(
            status=fetch.status,
            not_modified=fetch.not_modified,
            error=error,
            new_items=new_items,
            retry_after_s=fetch.retry_after_s,
            cache_lifetime_s=fetch.cache_lifetime_s,
            ttl_minutes=p.ttl_minutes if p else None,
            sy_update_period=p.sy_update_period if p else None,
            sy_update_frequency=p.sy_update_frequency if p else None,
            skip_hours=p.skip_hours if p else (),
            skip_days=p.skip_days if p else (),
            gone=fetch.status == HTTP_GONE,
        )


@dataclass(frozen=True)
class FeedHistory:
    """The feed's state before this poll (from the store)."""

    #: Publish times of recent entries (any order; naive values are read as UTC).
    entry_times: tuple[datetime, ...] = ()
    #: Alternative posting-rate estimate, used when ``entry_times`` has fewer than 2 usable.
    posts_per_day: float | None = None
    #: Consecutive failures before this poll.
    error_count: int = 0
    #: Start of the current failure streak (``None`` when the last poll worked).
    first_error_at: datetime | None = None
    #: Interval chosen last time, seconds.
    last_interval_s: float | None = None


@dataclass(frozen=True)
class ScheduleDecision:
    """When to poll next, why, and the feed's new error state (to store)."""

    next_check_at: datetime
    interval_s: float
    reason: str
    disable: bool = False
    disable_reason: str | None = None
    #: New error state for the ``feeds`` row.
    error_count: int = 0
    first_error_at: datetime | None = None
    #: Set when the server sent Retry-After: the caller holds off the whole host this long.
    host_retry_after_s: float | None = None


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _clamp(x: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, x))


def _ceiling_s(cfg: ScheduleConfig) -> float:
    """The longest wait ever returned."""
    return float(max(cfg.max_backoff_s, cfg.max_interval_s, cfg.min_interval_s))


def estimate_gap_s(now: datetime, history: FeedHistory) -> float | None:
    """Mean gap between recent entries up to ``now`` in seconds, or ``None`` when unknown.

    Uses the newest ``RATE_SAMPLE_ENTRIES`` entries within ``RATE_WINDOW_S``; the span runs
    from the oldest of them to ``now`` (future dates are clamped to ``now``), and the gap is at
    least ``SILENCE_WEIGHT`` × the time since the newest entry, so a feed that stopped posting
    slows down.
    """
    now = _utc(now)
    cutoff = now - timedelta(seconds=RATE_WINDOW_S)
    times = sorted({min(_utc(t), now) for t in history.entry_times if _utc(t) >= cutoff})
    times = times[-RATE_SAMPLE_ENTRIES:]
    if len(times) >= 2:
        mean = max((now - times[0]).total_seconds(), 1.0) / len(times)
        silence = (now - times[-1]).total_seconds()
        return max(mean, silence * SILENCE_WEIGHT)
    if history.posts_per_day is not None and history.posts_per_day > 0:
        return SECONDS_PER_DAY / history.posts_per_day
    return None


def hint_interval_s(outcome: PollOutcome) -> tuple[float, str] | None:
    """The longest publisher hint (seconds, name), uncapped; ``None`` when there is none."""
    hints: list[tuple[float, str]] = []
    if outcome.cache_lifetime_s is not None and outcome.cache_lifetime_s > 0:
        hints.append((float(outcome.cache_lifetime_s), "cache_lifetime"))
    if outcome.ttl_minutes is not None and outcome.ttl_minutes > 0:
        hints.append((outcome.ttl_minutes * 60.0, "ttl"))
    if outcome.sy_update_period:
        period = SY_PERIOD_S.get(outcome.sy_update_period.strip().lower())
        freq = outcome.sy_update_frequency or 1
        if period is not None and freq > 0:
            hints.append((period / freq, "sy_update"))
    return max(hints) if hints else None


def _skip_sets(outcome: PollOutcome) -> tuple[frozenset[int], frozenset[int]]:
    # Some feeds write 1–24 instead of 0–23; 24 means midnight.
    hours = frozenset(h % 24 for h in outcome.skip_hours if 0 <= h <= 24)
    days = frozenset(
        WEEKDAYS.index(d.strip().lower())
        for d in outcome.skip_days
        if d.strip().lower() in WEEKDAYS
    )
    return hours, days


def is_skipped(t: datetime, skip_hours: Sequence[int], skip_days: Sequence[str]) -> bool:
    """True when ``t`` (read in UTC) falls in a skipped hour or day."""
    hours, days = _skip_sets(PollOutcome(skip_hours=tuple(skip_hours), skip_days=tuple(skip_days)))
    u = _utc(t)
    return u.hour in hours or u.weekday() in days


def first_allowed(t: datetime, hours: frozenset[int], days: frozenset[int]) -> datetime | None:
    """The first instant ≥ ``t`` outside the skipped hours/days, or ``None`` if none in a week."""
    cur = _utc(t)
    for _ in range(SKIP_SCAN_HOURS):
        if cur.hour not in hours and cur.weekday() not in days:
            return cur
        cur = cur.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return None


@dataclass(frozen=True)
class _Interval:
    """One step's answer: seconds to wait, why, and what a failure adds."""

    seconds: float
    reason: str
    error_count: int = 0
    first_error_at: datetime | None = None
    disable_reason: str | None = None
    host_retry_after_s: float | None = None


def _gone(now: datetime, ceiling: float, history: FeedHistory) -> ScheduleDecision:
    """410 Gone: disable the feed; it is looked at again only at the ceiling."""
    return ScheduleDecision(
        next_check_at=now + timedelta(seconds=ceiling),
        interval_s=ceiling,
        reason="gone",
        disable=True,
        disable_reason=f"HTTP {HTTP_GONE} Gone",
        error_count=history.error_count + 1,
        first_error_at=_utc(history.first_error_at) if history.first_error_at else now,
    )


def _failure_interval(
    now: datetime, cfg: ScheduleConfig, outcome: PollOutcome, history: FeedHistory, jitter: float
) -> _Interval:
    """After a failed poll: Retry-After when given, else exponential back-off; disable after
    ``disable_after_s`` of continuous failure."""
    lo = float(cfg.min_interval_s)
    error_count = history.error_count + 1
    first_error_at = _utc(history.first_error_at) if history.first_error_at else now
    streak_s = (now - first_error_at).total_seconds()
    disable_reason = None
    if streak_s >= cfg.disable_after_s:
        disable_reason = (
            f"failing for {streak_s / 3600:.0f} h ({error_count} errors): {outcome.error}"
        )
    hi = max(float(cfg.max_backoff_s), lo)
    if outcome.retry_after_s is not None:
        base = _clamp(outcome.retry_after_s, lo, hi)
        # Retry-After is a minimum: jitter only later.
        return _Interval(
            _clamp(base * (1 + abs(jitter)), lo, hi),
            f"retry_after {outcome.retry_after_s:.0f}s",
            error_count, first_error_at, disable_reason, host_retry_after_s=base,
        )
    exp = min(max(history.error_count, 0), MAX_BACKOFF_EXPONENT)
    return _Interval(
        _clamp(lo * 2.0**exp * (1 + jitter), lo, hi),
        f"backoff errors={error_count}",
        error_count, first_error_at, disable_reason,
    )


def _success_interval(
    now: datetime, cfg: ScheduleConfig, outcome: PollOutcome, history: FeedHistory, jitter: float
) -> _Interval:
    """After a successful poll: the feed's own publishing gap, else quiet growth, else the
    default; raised (never lowered) by the feed's ttl/updatePeriod hints."""
    lo = float(cfg.min_interval_s)
    hi = float(max(cfg.max_interval_s, cfg.min_interval_s))
    gap = estimate_gap_s(now, history)
    if gap is not None:
        base, reason = gap * ADAPTIVE_GAP_FRACTION, f"adaptive gap={gap:.0f}s"
    elif outcome.new_items == 0 and history.last_interval_s:
        base, reason = history.last_interval_s * QUIET_GROWTH, "quiet growth"
    else:
        base, reason = float(cfg.default_interval_s), "default"
    base = _clamp(base, lo, hi)
    hint = hint_interval_s(outcome)
    if hint is not None and min(hint[0], hi) > base:
        base = min(hint[0], hi)
        reason = f"{hint[1]} {hint[0]:.0f}s"
    return _Interval(_clamp(base * (1 + jitter), lo, hi), reason)


def _apply_skip_hints(
    now: datetime, at: datetime, reason: str, outcome: PollOutcome, ceiling: float
) -> tuple[datetime, str]:
    """Move ``at`` past the feed's skipHours/skipDays, unless that waits past the ceiling."""
    hours, days = _skip_sets(outcome)
    if not (hours or days):
        return at, reason
    allowed = first_allowed(at, hours, days)
    if allowed is None or (allowed - now).total_seconds() > ceiling:
        return at, reason + "; skip hints ignored"
    if allowed != at:
        reason += "; moved past skipHours/skipDays"
    return allowed, reason


def next_check(
    now: datetime,
    *,
    cfg: ScheduleConfig,
    outcome: PollOutcome,
    history: FeedHistory,
    rng: random.Random,
) -> ScheduleDecision:
    """Decide when to poll the feed next; see the module docstring for the rules."""
    now = _utc(now)
    ceiling = _ceiling_s(cfg)
    jitter = rng.uniform(-cfg.jitter_fraction, cfg.jitter_fraction)
    if outcome.is_gone:
        return _gone(now, ceiling, history)
    step = (_failure_interval if outcome.failed else _success_interval)(
        now, cfg, outcome, history, jitter
    )
    at, reason = _apply_skip_hints(
        now, now + timedelta(seconds=step.seconds), step.reason, outcome, ceiling
    )
    return ScheduleDecision(
        next_check_at=at,
        interval_s=(at - now).total_seconds(),
        reason=reason,
        disable=step.disable_reason is not None,
        disable_reason=step.disable_reason,
        error_count=step.error_count,
        first_error_at=step.first_error_at,
        host_retry_after_s=step.host_retry_after_s,
    )
