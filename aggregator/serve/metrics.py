"""Serve stage: the ``/metrics`` page in Prometheus text format 0.0.4 (I/O: reads the store).

The counts come from :func:`aggregator.store.status.store_counts` (SQL stays in store/);
this module only renders them with the daemon's own counters.
"""

from __future__ import annotations

from datetime import datetime

from aggregator.store.core import Store, utc_iso
from aggregator.store.status import store_counts
from aggregator.store.upkeep import wal_size


def prometheus_metrics(
    store: Store,
    now: datetime,
    *,
    fetch_status: dict[str, int],
    ticks: int,
    tick_seconds_total: float,
    last_tick_s: float,
) -> str:
    """The ``/metrics`` page in Prometheus text format 0.0.4."""
    c = store_counts(store, utc_iso(now))
    lines = [
        "# HELP aggregator_feeds Subscriptions by state.",
        "# TYPE aggregator_feeds gauge",
        f'aggregator_feeds{{state="total"}} {c.feeds_total}',
        f'aggregator_feeds{{state="disabled"}} {c.feeds_disabled}',
        f'aggregator_feeds{{state="failing"}} {c.feeds_failing}',
        f'aggregator_feeds{{state="due"}} {c.feeds_due}',
        "# HELP aggregator_items Stored items.",
        "# TYPE aggregator_items gauge",
        f"aggregator_items {c.items}",
        "# HELP aggregator_duplicates Items marked as duplicates of another item.",
        "# TYPE aggregator_duplicates gauge",
        f"aggregator_duplicates {c.duplicates}",
        "# HELP aggregator_events Stored events.",
        "# TYPE aggregator_events gauge",
        f"aggregator_events {c.events}",
        "# HELP aggregator_fetches_total Fetches since start, by HTTP status.",
        "# TYPE aggregator_fetches_total counter",
    ]
    for status, n in sorted(fetch_status.items()):
        lines.append(f'aggregator_fetches_total{{status="{status}"}} {n}')
    failing = 1 if store.write_failure is not None else 0
    lines += [
        "# HELP aggregator_poll_seconds Poll tick durations since start.",
        "# TYPE aggregator_poll_seconds summary",
        f"aggregator_poll_seconds_sum {tick_seconds_total:.3f}",
        f"aggregator_poll_seconds_count {ticks}",
        "# HELP aggregator_last_poll_seconds Duration of the last poll tick.",
        "# TYPE aggregator_last_poll_seconds gauge",
        f"aggregator_last_poll_seconds {last_tick_s:.3f}",
        "# HELP aggregator_wal_bytes Size of the SQLite write-ahead log.",
        "# TYPE aggregator_wal_bytes gauge",
        f"aggregator_wal_bytes {wal_size(store)}",
        "# HELP aggregator_store_write_failing 1 while the disk refuses the store's writes.",
        "# TYPE aggregator_store_write_failing gauge",
        f"aggregator_store_write_failing {failing}",
    ]
    return "\n".join(lines) + "\n"
