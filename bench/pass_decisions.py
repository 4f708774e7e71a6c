"""Same decisions from two code trees on the peer workload (bench; loopback only).

Runs ``aggregator poll --all`` (bench/peer.py's workload: 200 feeds × 20 items of WMT21 text,
``[cluster] backend = "none"``, dedupe with near-duplicates on) with the package of tree A and
of tree B: pass 1 (every item new) on an empty store, then pass 5 (2 new items per feed) on a
copy of it. Then compares, keyed by (feed URL, GUID) since item ids follow the order feeds
finish in, every item's stored columns (language, hashes, texts, duplicate_of) and every
dedupe decision (rule, score, features, the matched item). Prints the differences (none
expected from a change that must not change a decision) and exits 1 if there are any.

Run: ``.venv/bin/python bench/pass_decisions.py --a /tmp/a --b .``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import peer  # noqa: E402  (bench/peer.py, next to this file)

ITEM_COLUMNS = (
    "lang", "title", "summary", "content_text", "content_hash", "match_text", "canonical_url",
    "published_at",
)  # fmt: skip


def snapshot(db: Path) -> dict[str, Any]:
    """Items, dedupe decisions, events and cluster decisions of a store, keyed by (feed URL,
    GUID)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    try:
        key = {
            r["id"]: f"{r['url']}#{r['guid']}"
            for r in con.execute("SELECT i.id, i.guid, f.url FROM items i JOIN feeds f"
                                 " ON f.id = i.feed_id")
        }  # fmt: skip
        items = {}
        for r in con.execute(f"SELECT id, duplicate_of, {', '.join(ITEM_COLUMNS)} FROM items"):
            row = {c: r[c] for c in ITEM_COLUMNS}
            row["duplicate_of"] = key.get(r["duplicate_of"])
            items[key[r["id"]]] = row
        decisions: dict[str, list[Any]] = {}
        for r in con.execute("SELECT item_id, rule, target_item_id, score, features"
                             " FROM decisions WHERE stage = 'dedupe' ORDER BY id"):  # fmt: skip
            feats = json.loads(r["features"])
            if "matched_item" in feats:
                feats["matched_item"] = key.get(feats["matched_item"])
            decisions.setdefault(key[r["item_id"]], []).append(
                [r["rule"], key.get(r["target_item_id"]), r["score"], feats]
            )
        # The cluster stage (it may run in a child process, pipeline/cluster_child.py): each
        # item's event as the set of its members' keys, and its cluster decisions.
        members: dict[int, list[str]] = {}
        for r in con.execute("SELECT id, event_id FROM items WHERE event_id IS NOT NULL"):
            members.setdefault(r["event_id"], []).append(key[r["id"]])
        partition = {k: sorted(ks) for ks in members.values() for k in ks}
        clustered: dict[str, list[Any]] = {}
        for r in con.execute("SELECT item_id, rule, target_item_id, score"
                             " FROM decisions WHERE stage = 'cluster' ORDER BY id"):  # fmt: skip
            clustered.setdefault(key[r["item_id"]], []).append(
                [r["rule"], key.get(r["target_item_id"]), r["score"]]
            )
        return {"items": items, "dedupe_decisions": decisions, "event_members": partition,
                "cluster_decisions": clustered}  # fmt: skip
    finally:
        con.close()


def diff(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    out = []
    for part in a:
        ka, kb = set(a[part]), set(b[part])
        out += [f"{part}: only in A: {k}" for k in sorted(ka - kb)[:5]]
        out += [f"{part}: only in B: {k}" for k in sorted(kb - ka)[:5]]
        out += [f"{part}: {k}: A {a[part][k]!r} B {b[part][k]!r}"[:400]
                for k in sorted(ka & kb) if a[part][k] != b[part][k]][:10]  # fmt: skip
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--a", type=Path, required=True, help="tree A (holds aggregator/)")
    ap.add_argument("--b", type=Path, required=True, help="tree B (holds aggregator/)")
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--venv", type=Path, default=ROOT / ".venv")
    args = ap.parse_args()
    peer.become_subreaper()
    now = datetime.now(UTC).replace(microsecond=0)
    origin, urls = peer.workload(args.feeds, args.items, now)
    tmp = Path(tempfile.mkdtemp(prefix="pass-decisions-"))
    ctx = peer.Ctx(args.venv, origin, urls, tmp / "urls.txt", 1, peer.CHILD_TIMEOUT_S)
    tool = peer.Tool("ours", "ours", "ours", "none")
    snaps: dict[str, dict[str, Any]] = {}
    bad = []
    try:
        for t, (name, tree) in enumerate((("A", args.a.resolve()), ("B", args.b.resolve()))):
            os.environ["PYTHONPATH"] = str(tree)
            try:
                for n, p in enumerate((peer.PASSES[0], peer.PASSES[4])):
                    # one origin label (request counts) per run: trial 1-2 A, 3-4 B
                    r = peer.run_pass(ctx, tool, p, 2 * t + n + 1, tmp / name)
                    bad += [f"{name} {p.key}: {x}" for x in peer.check(r, p, args.feeds,
                                                                       args.items)]  # fmt: skip
                    db = tmp / name / "ours" / p.key / "store" / "aggregator.db"
                    snaps[f"{name}-{p.key}"] = snapshot(db)
            finally:
                os.environ.pop("PYTHONPATH", None)
    finally:
        origin.close()
        shutil.rmtree(tmp, ignore_errors=True)
    for key in ("new", "new2"):
        a, b = snaps[f"A-{key}"], snaps[f"B-{key}"]
        d = diff(a, b)
        n_dup = sum(1 for v in a["items"].values() if v["duplicate_of"])
        print(f"pass {key}: {len(a['items'])} items, {n_dup} duplicates, "
              f"{sum(len(v) for v in a['dedupe_decisions'].values())} dedupe decisions in A; "
              f"{len(d)} differences B vs A")  # fmt: skip
        bad += d
    for line in bad:
        print(line)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
