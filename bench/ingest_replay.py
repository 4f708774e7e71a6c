"""In-process replay of the peer workload's ingest path: parsed documents → refresh
(build items, exact + near-duplicate dedupe, item rows, band rows, FTS) → store (bench;
writes temporary stores only).

bench/peer.py's documents (200 feeds × 20 items of WMT21 text) are parsed up front with the
parse worker's own function (``parse_feed_fast``), outside the timed part; then
``Pipeline.process`` runs on each feed's 200 answer, as ``poll --all`` does, with the parse
step handed the pre-parsed document (no worker process, no HTTP) and one group commit
every ``--feeds-per-commit`` feeds (``poll --all`` commits by time, ~3.5 feeds a group on the
peer pass). Pass ``new`` (every item new, empty store) and, on the store it leaves, pass
``new2`` (2 new items per feed; each document is cut to its new entries first, as
``Pipeline._parse`` does with ``splice_known_entries``). ``--stage parse`` times (and
instruments) the parse of the documents instead of the ingest loop. CPU =
``time.process_time`` of the timed loop; the clock
(``now``) is fixed, so the stored rows of two runs can be compared (``--dump``).

The package is imported from ``--tree`` (a folder holding ``aggregator/``; default: this
checkout), so two commits can be compared in one way, and the script can run under
``valgrind --tool=callgrind`` (``--only new`` and ``--repeat 1`` keep it short).

Run: ``.venv/bin/python bench/ingest_replay.py [--tree /tmp/base] [--repeat 5] [--only new]
[--dump /tmp/rows.json] [--stage parse]``
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _setup(tree: Path) -> None:
    sys.path.insert(0, str(tree))
    sys.path.insert(1, str(HERE))


NOW = datetime(2026, 12, 7, 8, 0, 0, tzinfo=UTC)
FEEDS, PER_FEED = 200, 20


def documents() -> dict[str, list[bytes]]:
    import peer  # bench/peer.py

    items = peer.make_items(peer.sentence_pools(), FEEDS, PER_FEED, NOW)
    return peer.make_versions(items, PER_FEED, NOW)


def run_pass(
    tmp: Path, docs: list[bytes], now: datetime, per_commit: int, db: Path | None,
    instrument: bool = True,
) -> tuple[float, Path]:
    """One pass over ``docs``; returns (CPU seconds of the timed part, store path).
    ``instrument``: callgrind counts its timed part (``--callgrind``)."""
    from aggregator.config import load_config
    from aggregator.models import FetchResult
    from aggregator.parse.document import Limits
    from aggregator.parse.fast import parse_feed_fast
    from aggregator.parse.splice import splice_known_entries
    from aggregator.pipeline.refresh import Pipeline
    from aggregator.store.core import Store

    cfg_dir = tmp / "cfg"
    if not cfg_dir.exists():
        import peer

        peer.write_ours_dir(cfg_dir, [f"http://127.0.0.1:1/feed/{n}" for n in range(FEEDS)],
                            "none")  # fmt: skip
    cfg = load_config(cfg_dir / "config.toml")
    path = db or tmp / f"store-{time.monotonic_ns()}.db"
    store = Store.open(path, cfg.store)
    if db is None:
        with store.transaction():
            for n in range(FEEDS):
                store.add_feed(f"http://127.0.0.1:1/feed/{n}", now=now)
    feeds = {f.url: f for f in (store.feed(r["id"]) for r in store.feeds())}
    limits = Limits(cfg.parse.max_entries_per_feed, cfg.parse.max_field_chars,
                    cfg.parse.max_title_chars, cfg.parse.timeout_s)  # fmt: skip
    parsed: dict[str, Any] = {}
    # As Pipeline._parse does: the entries seen unchanged at the last parse are cut first
    # (pass new2 parses each feed's 2 new entries, not all 20).
    bodies = []
    for n, body in enumerate(docs):
        url = f"http://127.0.0.1:1/feed/{n}"
        known = set((feeds[url].entry_fingerprints or "").split())
        bodies.append((url, splice_known_entries(body, known)[0] if known else body))
    _instrument(instrument and STAGE == "parse")
    t0 = time.process_time()
    for url, body in bodies:
        parsed[url] = parse_feed_fast(body, url=url, headers={}, cfg=limits)
    parse_cpu = time.process_time() - t0
    _instrument(False if instrument and STAGE == "parse" else None)

    class Replay(Pipeline):
        async def _parse(self, result: FetchResult, known: set[str]) -> Any:
            return parsed[result.feed_url]

    pipe = Replay(cfg, store, one_shot=True)
    if COUNT_SQL is not None:
        store.conn.set_trace_callback(lambda sql: COUNT_SQL.update([_kind(sql)]))
    results = [
        FetchResult(
            feed_url=url, final_url=url, status=200, body=docs[n], etag=f'"{n}-{len(docs[n])}"'
        )
        for n, url in enumerate(parsed)
    ]

    async def loop() -> None:
        pipe._grouped = True
        for n, res in enumerate(results):
            await pipe.process(feeds[res.feed_url], res, now)
            if (n + 1) % per_commit == 0:
                store.commit_group()
        store.commit_group()
        pipe._grouped = False

    _instrument(instrument and STAGE == "store")
    t0 = time.process_time()
    asyncio.run(loop())
    cpu = time.process_time() - t0
    _instrument(False if instrument and STAGE == "store" else None)
    pipe.close()
    store.close()
    return (parse_cpu if STAGE == "parse" else cpu), path


#: Set by ``--callgrind``: switch callgrind's instrumentation on for the timed loops only
#: (run under ``valgrind --tool=callgrind --instr-atstart=no``).
CALLGRIND = False


#: Set by ``--stage``: what the timed (and instrumented) part is, "store" (the ingest loop,
#: documents parsed beforehand) or "parse" (the parse of the documents only; pass new2 then
#: runs on the store a whole pass new left).
STAGE = "store"

#: Set by ``--count-sql``: statements run in the timed loops, by kind.
COUNT_SQL: Counter[str] | None = None


def _kind(sql: str) -> str:
    words = sql.split()
    if words[:1] == ["SELECT"] and "FROM" in words:
        return "SELECT … FROM " + words[words.index("FROM") + 1]
    return " ".join(words[:3])


def _instrument(on: bool | None) -> None:
    """Switch callgrind's instrumentation on (True) or off (False); None: leave it."""
    if CALLGRIND and on is not None:
        import os
        import subprocess

        # Not subprocess.run: valgrind reads the command while this process runs, not while
        # it waits for the child.
        ctl = subprocess.Popen(["callgrind_control", "-i", "on" if on else "off",
                                str(os.getpid())], stdout=subprocess.DEVNULL)  # fmt: skip
        while ctl.poll() is None:
            time.sleep(0.001)


def dump(db: Path) -> dict[str, Any]:
    """Every item's columns, decisions, band rows and FTS rows, keyed by (feed URL, GUID)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    key = {r[0]: f"{r[1]}#{r[2]}" for r in con.execute(
        "SELECT i.id, f.url, i.guid FROM items i JOIN feeds f ON f.id = i.feed_id")}  # fmt: skip
    cols = [r[1] for r in con.execute("PRAGMA table_info(items)")]
    out: dict[str, Any] = {"items": {}, "decisions": [], "bands": [], "fts": None}
    for r in con.execute("SELECT * FROM items ORDER BY id"):
        row = dict(zip(cols, r, strict=True))
        for c in ("id", "duplicate_of", "event_id"):
            row[c] = key.get(row[c]) if row[c] is not None else None
        out["items"][key[r[0]]] = row
    for r in con.execute("SELECT item_id, stage, rule, target_item_id, score, features, at"
                         " FROM decisions ORDER BY id"):  # fmt: skip
        feats = json.loads(r[5])
        if "matched_item" in feats:
            feats["matched_item"] = key.get(feats["matched_item"])
        out["decisions"].append([key[r[0]], r[1], r[2], key.get(r[3]), r[4], feats, r[6]])
    out["bands"] = sorted([k, key[i], t] for k, i, t in con.execute(
        "SELECT band_key, item_id, at_s FROM minhash_bands"))  # fmt: skip
    h = hashlib.sha256()
    for r in con.execute("SELECT id, title, body FROM items_search ORDER BY id"):
        h.update(repr((key[r[0]], r[1], r[2])).encode())
    hits = con.execute("SELECT count(*) FROM items_fts WHERE items_fts MATCH 'the'").fetchone()
    out["fts"] = [h.hexdigest(), hits[0]]
    con.close()
    con = sqlite3.connect(db)  # the check writes nothing but needs a writable handle
    con.execute("INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)")
    con.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", type=Path, default=ROOT)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--only", choices=("new", "new2"))
    ap.add_argument("--feeds-per-commit", type=int, default=4)
    ap.add_argument("--dump", type=Path, help="write the stores' rows (JSON) here")
    ap.add_argument(
        "--callgrind",
        action="store_true",
        help="instrument the timed loops only (callgrind --instr-atstart=no)",
    )
    ap.add_argument("--count-sql", action="store_true", help="count the statements run")
    ap.add_argument("--stage", choices=("store", "parse"), default="store",
                    help="time the ingest loop (default) or the documents' parse")  # fmt: skip
    args = ap.parse_args()
    global CALLGRIND, COUNT_SQL, STAGE
    STAGE = args.stage
    CALLGRIND = args.callgrind
    COUNT_SQL = Counter() if args.count_sql else None
    _setup(args.tree.resolve())
    import aggregator

    print(f"aggregator from {Path(aggregator.__file__).parent}")
    versions = documents()
    times: dict[str, list[float]] = {"new": [], "new2": []}
    dumps: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ingest-replay-") as d:
        tmp = Path(d)
        for _ in range(args.repeat):
            cpu, db = run_pass(tmp, versions["v1"], NOW, args.feeds_per_commit, None,
                               instrument=args.only != "new2")  # fmt: skip
            times["new"].append(cpu)
            if args.only != "new":
                if args.only == "new2":
                    times["new"].pop()
                from datetime import timedelta

                cpu2, _ = run_pass(tmp, versions["v2"], NOW + timedelta(hours=2),
                                   args.feeds_per_commit, db)  # fmt: skip
                times["new2"].append(cpu2)
            if args.dump and not dumps:
                dumps = dump(db)
    for name, v in times.items():
        if v:
            n = FEEDS * (PER_FEED if name == "new" else 2)
            print(f"{name:5s} median {statistics.median(v):.3f} s CPU = "
                  f"{statistics.median(v) / n * 1000:.4f} ms/new item  "
                  f"({', '.join(f'{x:.3f}' for x in v)})")  # fmt: skip
    if COUNT_SQL is not None:
        for kind, n in COUNT_SQL.most_common():
            print(f"{n:8d}  {kind}")
    if args.dump:
        args.dump.write_text(json.dumps(dumps, sort_keys=True, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
