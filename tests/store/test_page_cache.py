"""The store's page cache is bounded by ``[store] cache_mb`` (default 8 MiB): a pass that reads
a large store does not keep every page it read in the process (issue 16 item 6: peak RSS).
Real SQLite file, real process, RSS read from /proc."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from conftest import FIXED_NOW

from aggregator.config import Config, StoreConfig
from aggregator.pipeline.poll import poll_and_publish
from aggregator.store.core import ONE_SHOT_CACHE_MIB, Store

#: 3,000 rows of 16 KiB: a ~48 MB table, six times the default cache.
ROWS, ROW_BYTES = 3000, 16384

PROBE = """
import sqlite3, sys
from pathlib import Path
from aggregator.config import StoreConfig
from aggregator.store.core import Store

def rss_kb():
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS"))

path = Path(sys.argv[1])
with sqlite3.connect(path) as c:
    c.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, b BLOB)")
    rows = [(int(sys.argv[2]),)] * int(sys.argv[3])
    c.executemany("INSERT INTO big (b) VALUES (randomblob(?))", rows)
store = Store.open(path, StoreConfig())
before = rss_kb()
# hex(b) reads every byte (length(b) alone is taken from the record header).
total = store.conn.execute("SELECT sum(length(hex(b))) / 2 FROM big").fetchone()[0]
print(total, rss_kb() - before)
store.close()
"""


def test_reading_a_large_store_keeps_at_most_the_configured_cache(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "big.db"), str(ROW_BYTES), str(ROWS)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    total, grew_kb = map(int, proc.stdout.split())
    assert total == ROWS * ROW_BYTES
    # The pages read stay cached up to cache_mb (plus SQLite's per-page headers), not the
    # whole 48 MB read (53 MB stayed with the old default of 64 MiB).
    assert grew_kb < 2 * StoreConfig().cache_mb * 1024, grew_kb
    assert grew_kb < total / 1024 / 3, grew_kb


def test_a_poll_pass_reads_through_a_smaller_cache(cfg: Config, store: Store) -> None:
    """``poll`` (one pass, most pages read once) caps the cache at ONE_SHOT_CACHE_MIB; a
    smaller ``cache_mb`` stays the bound."""
    assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == -cfg.store.cache_mb * 1024
    asyncio.run(poll_and_publish(cfg, store, [], lambda: FIXED_NOW))
    assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == -ONE_SHOT_CACHE_MIB * 1024
    small = Store.open(cfg.store_path, StoreConfig(cache_mb=1))
    try:
        small.limit_page_cache(ONE_SHOT_CACHE_MIB)
        assert small.conn.execute("PRAGMA cache_size").fetchone()[0] == -1024
    finally:
        small.close()
