"""In-process replay of the peer workload's pass-1 cluster stage (bench; loopback only).

``make DIR [--feeds N]``: builds bench/peer.py's workload (N feeds × 20 items of WMT21 text on
a local ETag origin), runs ``poll --all`` in this process with the cluster stage patched out,
and keeps that store (every item pending) in DIR/pre, with the pass's time in DIR/now.json.
SQLite's planner statistics that the CLI's close wrote (``PRAGMA optimize`` over items whose
``event_id`` are all NULL: it then scans ``items`` for every event) are deleted, as a real
pass 1 clusters before any statistics exist.

``run DIR TREE [DST]``: copies DIR/pre to DST, imports the package from TREE (a folder holding
``aggregator/``, e.g. ``git archive 3e75c18 aggregator | tar -x -C /tmp/base``), runs
``EventBuilder.cluster_pending`` at the stored time and prints the items clustered and the
stage's CPU seconds (``time.process_time``). With ``PROF=FILE`` in the environment the stage
runs under cProfile (process-time clock). With ``CALLGRIND=1``, under ``valgrind
--tool=callgrind --instr-atstart=no``, instrumentation is switched on around the stage only
(``callgrind_control -i on/off``), so the count is the stage's.

``compare A B``: the decision tables of two runs' stores (``items.event_id``, ``events``,
``decisions`` without ids and times, ``item_vectors``, ``lexical_df``, ``item_terms``,
``item_evidence.keys``) compared row by row; prints each table's row count and digest and
exits 1 if any differs.

Run: ``.venv/bin/python bench/cluster_replay.py make /tmp/rep --feeds 50``, then
``.venv/bin/python bench/cluster_replay.py run /tmp/rep /tmp/base /tmp/rep/run-a``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def make(out: Path, feeds: int) -> int:
    sys.path.insert(0, str(BENCH))
    sys.path.insert(0, str(BENCH.parent))
    import peer  # bench/peer.py, next to this file

    from aggregator import cli
    from aggregator.pipeline import cluster_child, cluster_pass

    origin, urls = peer.workload(feeds, 20, datetime.now(UTC))
    shutil.rmtree(out, ignore_errors=True)
    peer.write_ours_dir(out / "pre", urls, "none")

    async def no_clustering(self: object, now: datetime) -> int:
        return 0

    cluster_pass.EventBuilder.cluster_pending_async = no_clustering  # type: ignore[method-assign]
    cluster_child.worth_a_child = lambda store: False  # the stage would run in a child instead
    origin.version = "v1"
    try:
        rc = cli.main(["--config", str(out / "pre" / "config.toml"), "poll", "--all"])
    finally:
        origin.close()
    (out / "now.json").write_text(json.dumps(datetime.now(UTC).isoformat()))
    db = sqlite3.connect(out / "pre" / "store" / "aggregator.db")
    try:
        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            db.execute("DELETE FROM sqlite_stat1")
            db.commit()
    finally:
        db.close()
    return int(rc)


def run(out: Path, tree: Path, dst: Path) -> int:
    sys.path.insert(0, str(tree))
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(out / "pre", dst)
    import aggregator
    from aggregator.config import load_config
    from aggregator.pipeline.cluster_pass import EventBuilder
    from aggregator.store.core import Store

    assert str(aggregator.__file__).startswith(str(tree)), aggregator.__file__
    now = datetime.fromisoformat(json.loads((out / "now.json").read_text()))
    cfg = load_config(dst / "config.toml")
    store = Store.open(cfg.store_path, cfg.store)
    builder = EventBuilder(cfg, store)
    prof = None
    if os.environ.get("PROF"):
        import cProfile

        prof = cProfile.Profile(time.process_time)
        prof.enable()
    toggle = os.environ.get("CALLGRIND") == "1"
    if toggle:  # instrumentation on around the stage only (valgrind --instr-atstart=no)
        subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True)
    t0 = time.process_time()
    n = builder.cluster_pending(now)
    cpu = time.process_time() - t0
    if toggle:
        subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], check=True)
    if prof is not None:
        prof.disable()
        prof.dump_stats(os.environ["PROF"])
    store.close()
    print(json.dumps({"items": n, "cpu_s": round(cpu, 3)}))
    return 0


#: Table → query of a run's decisions (ids of decisions and their times differ run to run).
COMPARED = {
    "items": "SELECT id, event_id FROM items ORDER BY id",
    "events": "SELECT * FROM events ORDER BY id",
    "decisions": "SELECT * FROM decisions ORDER BY id",
    "item_vectors": "SELECT * FROM item_vectors ORDER BY 1",
    "lexical_df": "SELECT * FROM lexical_df ORDER BY 1",
    "item_terms": "SELECT * FROM item_terms ORDER BY 1",
    "item_evidence": "SELECT item_id, keys FROM item_evidence ORDER BY item_id",
}
_VOLATILE = {"id", "at", "created_at", "decided_at"}


def _rows(db: sqlite3.Connection, table: str, sql: str) -> list[tuple[object, ...]]:
    cur = db.execute(sql)
    if table != "decisions":
        return list(cur)
    keep = [i for i, d in enumerate(cur.description) if d[0] not in _VOLATILE]
    return [tuple(r[i] for i in keep) for r in cur]


def compare(a: Path, b: Path) -> int:
    import hashlib

    dbs = [sqlite3.connect(d / "store" / "aggregator.db") for d in (a, b)]
    bad = 0
    for table, sql in COMPARED.items():
        ra, rb = (_rows(db, table, sql) for db in dbs)
        same = ra == rb
        bad += not same
        digest = hashlib.sha256(repr(ra).encode()).hexdigest()[:16]
        first = next((i for i, (x, y) in enumerate(zip(ra, rb, strict=False)) if x != y), None)
        print(f"{table}: {len(ra)} / {len(rb)} rows, {'same' if same else 'DIFFER'} {digest}"
              + ("" if same else f" (first differing row {first})"))
    return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cmd", choices=["make", "run", "compare"])
    ap.add_argument("dir", type=Path)
    ap.add_argument("tree", type=Path, nargs="?", default=BENCH.parent)
    ap.add_argument("dst", type=Path, nargs="?")
    ap.add_argument("--feeds", type=int, default=200)
    args = ap.parse_args()
    if args.cmd == "make":
        return make(args.dir, args.feeds)
    if args.cmd == "compare":
        return compare(args.dir, args.tree)
    return run(args.dir, args.tree.resolve(), args.dst or args.dir / "run")


if __name__ == "__main__":
    raise SystemExit(main())
