"""Reader-view check on real feeds: serve the real-feed corpus (../shared/feeds) on 127.0.0.1,
poll every English and Chinese feed of it that parses cleanly (index.tsv: language en/zh,
bozo 0, ≥ 5 items), publish, and check what a reader sees (I/O: loopback HTTP, a temp store).

Reports: events, events with members in both languages and how many carry both headlines and
both summaries from members, events whose outlet count disagrees between the store
(events.outlet_count), the JSON feed, index.html and ``explain``, entries sharing an
``updated`` value, and entries whose ``published`` is later than ``updated``.

    .venv/bin/python bench/reader_view_check.py [--backend use|none]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import functools
import json
import re
import tempfile
import threading
from collections import Counter
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aggregator.config import from_dict
from aggregator.pipeline.audit import explain
from aggregator.pipeline.publish_pass import publish_outputs
from aggregator.pipeline.refresh import Pipeline
from aggregator.store.core import Store

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "feeds"
MIN_ITEMS = 5


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", default="use", choices=("use", "none"))
    args = ap.parse_args()
    with (CORPUS / "index.tsv").open(encoding="utf-8") as fh:
        rows = [
            r for r in csv.DictReader(fh, delimiter="\t")
            if r["language"] in ("en", "zh") and r["bozo"] == "0"
            and int(r["item_count"] or 0) >= MIN_ITEMS
        ]  # fmt: skip
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(CORPUS))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = from_dict(
            {"store": {"path": "db/check.db"}, "cluster": {"backend": args.backend},
             "fetch": {"allow_private_networks": True, "per_host_min_gap_s": 0.0}},
            base_dir=Path(tmp),
        )  # fmt: skip
        store = Store.open(cfg.store_path, cfg.store)
        feeds = [store.feed(store.add_feed(base + r["path"], now=now)) for r in rows]
        pipeline = Pipeline(cfg, store)
        try:
            report = asyncio.run(pipeline.poll(feeds, lambda: now))
        finally:
            pipeline.close()
        publish_outputs(cfg, store, now)
        doc = json.loads((cfg.publish_dir / "events.json").read_text("utf-8"))
        page = (cfg.publish_dir / "index.html").read_text("utf-8")
        items = doc["items"]
        multi = [
            it for it in items
            if {lang[:2] for lang in it["_aggregator"]["languages"]} >= {"en", "zh"}
        ]  # fmt: skip
        both = [
            it for it in multi
            if all(it["_aggregator"][k][lang] for k in ("titles", "summaries")
                   for lang in ("en", "zh"))
        ]  # fmt: skip
        disagree = 0
        for it in items:
            eid = it["_aggregator"]["event_id"]
            n = it["_aggregator"]["outlet_count"]
            stored = store.rows("SELECT outlet_count FROM events WHERE id = ?", (eid,))[0]
            member = store.rows("SELECT id FROM items WHERE event_id = ? LIMIT 1", (eid,))[0]
            m = re.search(rf'id="event-{eid}".*?<p class="meta">(\d+) outlet', page, re.S)
            shown = int(m.group(1)) if m else None
            said = f"— {n} outlets," in explain(store, member["id"]).render()
            if not (stored["outlet_count"] == n == shown or (shown is None and
                    stored["outlet_count"] == n)) or not said:  # fmt: skip
                disagree += 1
        stamps = Counter(it["date_modified"] for it in items)
        shared = sum(c for c in stamps.values() if c > 1)
        poll_time = now.isoformat().replace("+00:00", "Z")
        undated = sum(c for t, c in stamps.items() if c > 1 and t == poll_time)
        late = sum(1 for it in items if it.get("date_published", "") > it["date_modified"])
        store.close()
    server.shutdown()
    print(
        f"feeds={len(feeds)} new_items={report.new_items} errors={report.errors} "
        f"events_published={len(items)} multi_language={len(multi)} "
        f"multi_with_both_headlines_and_summaries={len(both)} "
        f"outlet_count_disagreements={disagree} entries_sharing_updated={shared} "
        f"(of which undated, at the poll time: {undated}) "
        f"published_after_updated={late}"
    )


if __name__ == "__main__":
    main()
