"""Tests for aggregator.schedule: fixed examples plus hypothesis properties (pure, fixed now)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.config import ScheduleConfig
from aggregator.models import FetchResult, ParsedFeed
from aggregator.schedule import (
    FeedHistory,
    PollOutcome,
    ScheduleDecision,
    first_allowed,
    is_skipped,
    next_check,
)

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)  # a Sunday
CFG = ScheduleConfig(jitter_fraction=0.0)
OK = PollOutcome(status=200)
ERR = PollOutcome(status=None, error="connect timeout")


def decide(
    outcome: PollOutcome = OK,
    history: FeedHistory | None = None,
    cfg: ScheduleConfig = CFG,
    now: datetime = NOW,
    seed: int = 1,
) -> ScheduleDecision:
    return next_check(
        now, cfg=cfg, outcome=outcome, history=history or FeedHistory(), rng=random.Random(seed)
    )


def every(minutes: float, n: int, end: datetime = NOW) -> tuple[datetime, ...]:
    return tuple(end - timedelta(minutes=minutes * i) for i in range(n))


def test_default_interval_without_history() -> None:
    d = decide()
    assert d.interval_s == CFG.default_interval_s
    assert d.reason == "default"
    assert not d.disable and d.error_count == 0


def test_adaptive_half_mean_gap() -> None:
    # one entry every 2 h → poll about every hour
    d = decide(history=FeedHistory(entry_times=every(120, 10)))
    assert 3000 <= d.interval_s <= 3700
    assert d.reason.startswith("adaptive")


def test_adaptive_bounded_by_min_and_max() -> None:
    fast = decide(history=FeedHistory(entry_times=every(1, 20)))
    assert fast.interval_s == CFG.min_interval_s
    slow = decide(history=FeedHistory(entry_times=every(60 * 24 * 3, 5)))
    assert slow.interval_s == CFG.max_interval_s


def test_quiet_feed_slows_down() -> None:
    # it posted every 10 min, but the newest entry is 5 days old
    times = every(10, 20, end=NOW - timedelta(days=5))
    assert decide(history=FeedHistory(entry_times=times)).interval_s == CFG.max_interval_s


def test_posts_per_day_estimate() -> None:
    d = decide(history=FeedHistory(posts_per_day=24))
    assert d.interval_s == 1800


def test_hints_raise_interval_capped_at_max() -> None:
    hist = FeedHistory(entry_times=every(5, 20))
    assert decide(PollOutcome(ttl_minutes=60), hist).interval_s == 3600
    assert decide(PollOutcome(cache_lifetime_s=7200), hist).interval_s == 7200
    sy = PollOutcome(sy_update_period="daily", sy_update_frequency=8)
    assert decide(sy, hist).interval_s == 3 * 3600
    weekly = PollOutcome(sy_update_period="weekly")
    assert decide(weekly, hist).interval_s == CFG.max_interval_s
    # a hint shorter than the adaptive interval does not speed polling up
    slowish = FeedHistory(entry_times=every(240, 10))
    assert decide(PollOutcome(ttl_minutes=1), slowish).interval_s > 60


def test_skip_hours_moves_forward_in_utc() -> None:
    # now 02:00 UTC + 30 min default → 02:30, which is skipped with hours 2..5 → 06:00
    d = decide(PollOutcome(skip_hours=(2, 3, 4, 5)))
    assert d.next_check_at == datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
    assert "skipHours" in d.reason


def test_skip_days() -> None:
    d = decide(PollOutcome(skip_days=("Sunday",)))
    assert d.next_check_at == datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


def test_all_hours_skipped_is_ignored() -> None:
    d = decide(PollOutcome(skip_hours=tuple(range(24))))
    assert d.interval_s == CFG.default_interval_s
    assert "ignored" in d.reason


def test_error_backoff_exponential_and_capped() -> None:
    waits = [decide(ERR, FeedHistory(error_count=n)).interval_s for n in range(10)]
    assert waits[:4] == [600, 1200, 2400, 4800]
    assert waits[-1] == CFG.max_backoff_s
    d = decide(ERR, FeedHistory(error_count=2, first_error_at=NOW - timedelta(hours=1)))
    assert d.error_count == 3
    assert d.first_error_at == NOW - timedelta(hours=1)


def test_first_error_starts_streak() -> None:
    d = decide(ERR)
    assert d.error_count == 1 and d.first_error_at == NOW


def test_success_resets_errors() -> None:
    d = decide(OK, FeedHistory(error_count=5, first_error_at=NOW - timedelta(days=1)))
    assert d.error_count == 0 and d.first_error_at is None


def test_http_error_status_is_failure() -> None:
    assert PollOutcome(status=500).failed
    assert PollOutcome(status=304, not_modified=True).failed is False
    assert decide(PollOutcome(status=404)).error_count == 1


def test_disable_after_long_streak() -> None:
    start = NOW - timedelta(seconds=CFG.disable_after_s)
    d = decide(ERR, FeedHistory(error_count=30, first_error_at=start))
    assert d.disable and d.disable_reason and "connect timeout" in d.disable_reason
    shorter = decide(ERR, FeedHistory(error_count=30, first_error_at=start + timedelta(hours=1)))
    assert not shorter.disable


def test_gone_disables_at_once() -> None:
    d = decide(PollOutcome(status=410))
    assert d.disable and d.reason == "gone"


def test_retry_after_overrides_and_is_reported_for_host() -> None:
    d = decide(PollOutcome(status=429, error="HTTP 429", retry_after_s=7200), FeedHistory())
    assert d.interval_s == 7200 and d.host_retry_after_s == 7200
    short = decide(PollOutcome(status=503, error="HTTP 503", retry_after_s=5))
    assert short.interval_s == CFG.min_interval_s  # raised to the minimum
    huge = decide(PollOutcome(status=503, error="HTTP 503", retry_after_s=10**9))
    assert huge.interval_s == CFG.max_backoff_s


def test_jitter_spreads_within_fraction() -> None:
    cfg = ScheduleConfig(jitter_fraction=0.1)
    waits = {decide(cfg=cfg, seed=s).interval_s for s in range(50)}
    assert len(waits) > 10
    assert all(1620 <= w <= 1980 for w in waits)


def test_from_fetch() -> None:
    fr = FetchResult(feed_url="u", final_url="u", status=503, retry_after_s=60.0)
    o = PollOutcome.from_fetch(fr)
    assert o.failed and o.error == "HTTP 503" and o.retry_after_s == 60.0
    parsed = ParsedFeed(
        title=None, site_url=None, lang=None, entries=(), ttl_minutes=15, skip_hours=(1,)
    )
    ok = PollOutcome.from_fetch(FetchResult("u", "u", 200, body=b"x"), parsed, new_items=3)
    assert not ok.failed and ok.ttl_minutes == 15 and ok.skip_hours == (1,)
    assert PollOutcome.from_fetch(FetchResult("u", "u", 410)).is_gone


def test_naive_times_read_as_utc() -> None:
    d = decide(now=NOW.replace(tzinfo=None))
    assert d.next_check_at.tzinfo is not None
    assert is_skipped(datetime(2026, 1, 1, 3), [3], [])
    assert first_allowed(NOW, frozenset(range(24)), frozenset()) is None


# ---------------------------------------------------------------- properties

DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@st.composite
def configs(draw: st.DrawFn) -> ScheduleConfig:
    lo = draw(st.integers(1, 3600))
    hi = draw(st.integers(lo, 48 * 3600))
    backoff = draw(st.integers(1, 7 * 24 * 3600))
    return ScheduleConfig(
        min_interval_s=lo,
        max_interval_s=hi,
        default_interval_s=draw(st.integers(1, 48 * 3600)),
        jitter_fraction=draw(st.floats(0, 1.5)),
        max_backoff_s=backoff,
        disable_after_s=draw(st.integers(1, 30 * 24 * 3600)),
    )


outcomes = st.builds(
    PollOutcome,
    status=st.sampled_from([None, 200, 304, 404, 410, 429, 500, 503]),
    not_modified=st.booleans(),
    error=st.one_of(st.none(), st.just("boom")),
    new_items=st.integers(0, 50),
    retry_after_s=st.one_of(st.none(), st.floats(-10, 10**8)),
    cache_lifetime_s=st.one_of(st.none(), st.floats(-10, 10**8)),
    ttl_minutes=st.one_of(st.none(), st.integers(-5, 10**6)),
    sy_update_period=st.one_of(st.none(), st.sampled_from(["hourly", "daily", "weekly", "x"])),
    sy_update_frequency=st.one_of(st.none(), st.integers(-1, 100)),
    skip_hours=st.lists(st.integers(0, 24), max_size=24).map(tuple),
    skip_days=st.lists(st.sampled_from(DAY_NAMES), max_size=7).map(tuple),
    gone=st.booleans(),
)

nows = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def histories(draw: st.DrawFn, now: datetime) -> FeedHistory:
    offsets = draw(st.lists(st.floats(-3600, 90 * 24 * 3600), max_size=30))
    first_err = draw(st.one_of(st.none(), st.floats(0, 60 * 24 * 3600)))
    return FeedHistory(
        entry_times=tuple(now - timedelta(seconds=o) for o in offsets),
        posts_per_day=draw(st.one_of(st.none(), st.floats(0, 10_000))),
        error_count=draw(st.integers(0, 1000)),
        first_error_at=None if first_err is None else now - timedelta(seconds=first_err),
        last_interval_s=draw(st.one_of(st.none(), st.floats(1, 10**7))),
    )


@settings(max_examples=200, deadline=None)
@given(data=st.data(), cfg=configs(), outcome=outcomes, now=nows, seed=st.integers(0, 2**32))
def test_properties(
    data: st.DataObject, cfg: ScheduleConfig, outcome: PollOutcome, now: datetime, seed: int
) -> None:
    history = data.draw(histories(now))
    d = next_check(now, cfg=cfg, outcome=outcome, history=history, rng=random.Random(seed))
    wait = (d.next_check_at - now).total_seconds()
    ceiling = max(cfg.max_backoff_s, cfg.max_interval_s, cfg.min_interval_s)
    assert d.next_check_at > now  # never in the past
    assert wait >= cfg.min_interval_s  # never below the minimum (Retry-After raised to it)
    assert wait <= ceiling  # never above the longest wait
    assert abs(wait - d.interval_s) < 1e-6
    if not outcome.failed and not outcome.is_gone:
        assert d.error_count == 0
    if "ignored" not in d.reason and not outcome.is_gone:
        assert not is_skipped(d.next_check_at, outcome.skip_hours, outcome.skip_days)
    if outcome.is_gone:
        assert d.disable


@settings(max_examples=150, deadline=None)
@given(
    cfg=configs(),
    now=nows,
    seed=st.integers(0, 2**32),
    n=st.integers(0, 60),
    skip_hours=st.lists(st.integers(0, 23), max_size=23).map(tuple),
)
def test_monotone_in_error_count(
    cfg: ScheduleConfig, now: datetime, seed: int, n: int, skip_hours: tuple[int, ...]
) -> None:
    outcome = PollOutcome(status=500, error="HTTP 500", skip_hours=skip_hours)
    waits = [
        next_check(
            now,
            cfg=cfg,
            outcome=outcome,
            history=FeedHistory(error_count=k),
            rng=random.Random(seed),
        ).interval_s
        for k in (n, n + 1)
    ]
    assert waits[0] <= waits[1]
