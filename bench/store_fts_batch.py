"""CPU per new item of the store's item write (row, indexes, search index) with the search
index written per insert by its trigger (as before migration 14) and in one statement per
write transaction (``SearchBatch``) (bench; writes temporary stores only).

The items are bench/peer.py's pass-1 items (200 feeds × 20, WMT21 English and Chinese text),
stored the way ``poll --all`` stores them: one ``Store.group_unit`` per feed, the group
committed every ``--per-commit`` items (the peer pass commits ~57 groups of ~70 items). The
two ways alternate, ``--trials`` times each; medians printed. CPU = ``time.process_time``
of the insert loop (this process; nothing else runs in it).

Run: ``.venv/bin/python bench/store_fts_batch.py [--trials 5] [--per-commit 70]``
"""

from __future__ import annotations

import argparse
import hashlib
import html
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import peer  # noqa: E402  bench/peer.py, next to this file

from aggregator.config import StoreConfig  # noqa: E402
from aggregator.models import Item  # noqa: E402
from aggregator.normalize.item import fold_for_matching  # noqa: E402
from aggregator.store.core import Store, utc_iso  # noqa: E402


def items(feeds: int, per_feed: int) -> list[list[Item]]:
    now = datetime.now(UTC).replace(microsecond=0)
    out = []
    for n, feed in enumerate(peer.make_items(peer.sentence_pools(), feeds, per_feed, now)):
        lang = "en" if n % 2 == 0 else "zh"
        rows = []
        for k, it in enumerate(feed[:per_feed]):
            text = "\n\n".join(it.paras)
            rows.append(Item(
                feed_id=n + 1, guid=f"https://f{n}.example.com/{k}", url=None,
                canonical_url=f"https://f{n}.example.com/{k}", title=it.title,
                summary=it.paras[0], lang=lang,
                content_html="".join(f"<p>{html.escape(p)}</p>" for p in it.paras),
                content_text=text, published_at=utc_iso(it.published), fetched_at=utc_iso(now),
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
                match_text=fold_for_matching(text),
            ))  # fmt: skip
        out.append(rows)
    return out


def run(feeds: list[list[Item]], batch: bool, per_commit: int, tmp: Path) -> float:
    store = Store.open(tmp / f"{'batch' if batch else 'trigger'}-{time.monotonic_ns()}.db",
                       StoreConfig(commit_interval_ms=3_600_000))  # fmt: skip
    if not batch:
        store.search_batch = None  # the insert trigger indexes every row, as before
    now = datetime.now(UTC)
    with store.transaction():
        for n in range(len(feeds)):
            store.add_feed(f"https://f{n}.example.com/rss", now=now)
    done = 0
    t0 = time.process_time()
    for feed in feeds:
        with store.group_unit():
            for item in feed:
                store.insert_item(item)
        done += len(feed)
        if done % per_commit < len(feed):
            store.commit_group()
    store.commit_group()
    cpu = time.process_time() - t0
    store.conn.execute("INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)")
    store.close()
    return cpu / done * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--per-commit", type=int, default=70)
    ap.add_argument("--trials", type=int, default=5)
    args = ap.parse_args()
    feeds = items(args.feeds, args.items)
    ms: dict[str, list[float]] = {"trigger": [], "batch": []}
    with tempfile.TemporaryDirectory(prefix="fts-batch-") as d:
        for _ in range(args.trials):
            for way in ms:
                ms[way].append(run(feeds, way == "batch", args.per_commit, Path(d)))
    for way, v in ms.items():
        print(f"{way:8s} median {statistics.median(v):.4f} ms CPU per item "
              f"({', '.join(f'{x:.4f}' for x in v)})")  # fmt: skip
    a, b = statistics.median(ms["trigger"]), statistics.median(ms["batch"])
    print(f"batch / trigger: {b / a:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
