"""Store-stage ablations: what each store setting costs per new item (bench; disk I/O).

Fills a store once with ``pipeline.prefill`` (or copies ``--prefilled``), then for each
variant copies it, applies the variant (a config override or SQL on the copy), and times
``Pipeline._store_entries`` over ``--docs`` generated documents with group commits, as the
daemon writes (``stage store``), or the re-delivery of pages whose header alone changed
(``stage redelivery``). CPU time of this process (``time.process_time``).

Usage:
    .venv/bin/python bench/store_ablation.py --prefill 200000 --docs 100
    .venv/bin/python bench/store_ablation.py --prefilled /var/tmp/1m.db --variants default \\
        index_without_times
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pipeline as bp

from aggregator.parse.fast import parse_feed_fast
from aggregator.pipeline.refresh import Pipeline
from aggregator.store.core import Store

#: name → (store config overrides, SQL run on the copy, near-duplicates on, stage)
VARIANTS: dict[str, tuple[dict[str, Any], list[str], bool, str]] = {
    "default": ({}, [], True, "store"),
    "no_neardup": ({}, [], False, "store"),
    "no_fts": ({}, ["DROP TRIGGER items_fts_ai"], True, "store"),
    "fts_full_text": ({"search": "full"}, [], True, "store"),
    "fts_automerge_16": ({}, ["INSERT INTO items_fts(items_fts, rank) VALUES ('automerge', 16)"],
                         True, "store"),
    "commit_per_feed": ({"commit_interval_ms": 0}, [], True, "store"),
    "cache_2mib": ({"cache_mb": 2}, [], True, "store"),
    "redelivery": ({}, [], True, "redelivery"),
    "index_without_times": ({}, ["DROP INDEX items_feed_recent",
                                 "CREATE INDEX items_feed_recent ON items(feed_id, id)"],
                            True, "redelivery"),
}
RESULTS = Path(__file__).resolve().parent / "results" / "store_ablation.json"


def run_variant(base: Path, tmp: Path, name: str, docs: int, seed: int) -> dict[str, Any]:
    overrides, sql, near, stage = VARIANTS[name]
    work = tmp / name
    work.mkdir()
    cfg = bp.make_config(work, near=near, store=overrides)
    shutil.copy(base, cfg.store_path)
    store = Store.open(cfg.store_path, cfg.store)  # a changed search layout rebuilds here
    for q in sql:
        store.conn.execute(q)
    rng = random.Random(seed)
    text = bp.Text()
    pipe = Pipeline(cfg, store)
    warm = bp.make_docs(text, rng, 2, 100_000)
    pipe.parser = bp.InProcessParser(parse_feed_fast)  # type: ignore[assignment]
    bp.run_process(pipe, bp.add_bench_feeds(store, warm), warm)
    batch = bp.make_docs(text, rng, docs, 100_010)
    feeds = bp.add_bench_feeds(store, batch)
    gc.collect()
    if stage == "store":
        r = bp.bench_store(pipe, feeds, batch)
    else:
        bp.run_process(pipe, feeds, batch)
        changed = [dataclasses.replace(d, body=d.body.replace(b"<ttl>30</ttl>", b"<ttl>31</ttl>"))
                   for d in batch]
        again = {d.feed_no: store.feed(feeds[d.feed_no].id) for d in batch}
        gc.collect()
        r, _ = bp.timed_delivery(pipe, store, again, changed, sum(d.items for d in batch))
    pipe.close()
    store.close()
    shutil.rmtree(work, ignore_errors=True)
    return {"variant": name, "stage": stage, **r}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prefill", type=int, default=200_000)
    ap.add_argument("--prefilled", type=Path, default=None)
    ap.add_argument("--docs", type=int, default=100, help="documents of 20 items per variant")
    ap.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-ablation-"))
    try:
        base = args.prefilled
        if base is None:
            cfg = bp.make_config(tmp)
            store = Store.open(cfg.store_path, cfg.store)
            bp.prefill(store, bp.Text(), args.prefill, random.Random(1))
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            store.close()
            base = cfg.store_path
        rows = []
        for name in args.variants:
            rows.append(run_variant(base, tmp, name, args.docs, args.seed))
            r = rows[-1]
            print(f"{name:22s} {r['stage']:10s} {r['ms_per_item']:8.4f} ms/item "
                  f"{r['items_per_cpu_s']:10.0f} items/CPU-s", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                    "rows": rows}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
