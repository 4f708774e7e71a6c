"""Same-event check on real reports from many outlets (bench; reads a local file, no network).

``bench/realtext/sources.tsv`` lists 38 reports of seven occurrences of 2025 (the SCO summit
in Tianjin and the Beijing parade two days later; the Myanmar and Kamchatka earthquakes; the
Fed's, the Bank of England's and the Bank of Japan's rate decisions of one week), in English,
Simplified and Traditional Chinese, with each page's address, date and the occurrence it
reports. The texts are third-party pages that may not be copied into this repository: put
them in a local JSON-lines file, one object per report with ``key``, ``title`` and ``text``
(the headline and the first few hundred characters, as a feed summary carries them), and pass
it with ``--items``. See ``bench/realtext/README.md``.

Each variant streams the reports through the daemon's cluster stage (``EventBuilder``, one
poll per report at its own time, fresh store): ``real`` at their real times (shifted so the
newest is 2 h old), ``48h-N`` every report re-dated into the last 48 hours in a seeded random
interleaving of the occurrences (each occurrence's own order kept), as a held-out set "dated
within the window" is. Pairwise precision / recall / F1 against the occurrence labels, and
the events formed.

Run: ``.venv/bin/python bench/realtext_events.py --items /path/to/realtext.jsonl``; the held-out
set of session 7: ``--sources bench/realtext/heldout.tsv --items /path/to/realtext-heldout.jsonl``.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_cluster as ec  # bench/eval_cluster.py, next to this file

SOURCES = Path(__file__).resolve().parent / "realtext" / "sources.tsv"


def _when(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def load(items_path: Path, sources: Path = SOURCES, skip_missing: bool = False,
         ) -> list[dict[str, Any]]:
    """The set's rows with their texts; a key without a text stops the run, or with
    ``skip_missing`` is left out (named on stderr: figures are then over the rest only)."""
    texts = {}
    for line in items_path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            texts[row["key"]] = row
    out = []
    missing: list[str] = []
    with sources.open(encoding="utf-8") as f:
        for src in csv.DictReader(f, delimiter="\t"):
            row = texts.get(src["key"])
            if row is None:
                if skip_missing:
                    missing.append(src["key"])
                    continue
                raise SystemExit(f"{items_path}: no text for {src['key']} ({src['url']})")
            out.append({**src, "title": row["title"], "text": row["text"]})
    if missing:
        print(f"{items_path}: no text for {len(missing)} of {len(missing) + len(out)} reports, "
              f"left out: {' '.join(missing)}", file=sys.stderr)
    return out


def prf(events: dict[str, int], gold: dict[str, str]) -> tuple[float, float, float]:
    tp = fp = fn = 0
    for a, b in itertools.combinations(sorted(events), 2):
        same, truth = events[a] == events[b], gold[a] == gold[b]
        tp += same and truth
        fp += same and not truth
        fn += truth and not same
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def variants(rows: list[dict[str, Any]], now: datetime) -> dict[str, dict[str, datetime]]:
    newest = max(_when(r["published_utc"]) for r in rows)
    shift = now - timedelta(hours=2) - newest
    out = {"real": {r["key"]: _when(r["published_utc"]) + shift for r in rows}}
    for seed in (1, 2, 3):
        rng = random.Random(seed)
        hours = sorted((rng.uniform(2, 48) for _ in rows), reverse=True)
        by_event: dict[str, list[dict[str, Any]]] = {}
        for r in sorted(rows, key=lambda r: r["published_utc"]):
            by_event.setdefault(r["event"], []).append(r)
        slots = [r["event"] for r in rows]
        rng.shuffle(slots)
        seq = [by_event[e].pop(0) for e in slots]
        dated = zip(seq, hours, strict=True)
        out[f"48h-{seed}"] = {r["key"]: now - timedelta(hours=h) for r, h in dated}
    return out


def _weights(embedder: str, overrides: list[str]) -> Any:
    """The shipped ScoreWeights for ``embedder`` with ``FIELD=VALUE`` overrides (bool, float)."""
    import dataclasses

    from aggregator.cluster.weights import default_weights

    base = default_weights(embedder)
    kw: dict[str, Any] = {}
    for item in overrides:
        name, _, raw = item.partition("=")
        current = getattr(base, name)  # AttributeError names an unknown field
        if isinstance(current, bool):
            kw[name] = raw.lower() in ("1", "true", "yes")
        else:
            kw[name] = float(raw)
    return dataclasses.replace(base, **kw)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=Path, required=True, help="local JSON-lines texts")
    ap.add_argument("--backend", default="use", choices=("use", "none", "e5"))
    ap.add_argument("--out", type=Path, help="write the figures as JSON here")
    ap.add_argument("--skip-missing", action="store_true",
                    help="leave out reports without a text (a partial set: compare two codes "
                         "on the same subset only, never with a full set's figures)")
    ap.add_argument("--sources", type=Path, default=SOURCES,
                    help="labels TSV (default realtext/sources.tsv; held out: heldout.tsv)")
    ap.add_argument("--decisions", type=Path,
                    help="write each variant's cluster decisions (rule, features) as JSON")
    ap.add_argument("--weights", nargs="*", default=[], metavar="FIELD=VALUE",
                    help="override ScoreWeights fields, e.g. signature_merge=false "
                    "magnitude_days=0 merge_margin=0.1 (an ablation; default: shipped)")
    args = ap.parse_args()
    from aggregator.cluster.embed import make_embedder
    from aggregator.config import ClusterConfig

    rows = load(args.items, args.sources, args.skip_missing)
    gold = {r["key"]: r["event"] for r in rows}
    emb = make_embedder(ClusterConfig(backend=args.backend))
    weights = _weights(emb.name, args.weights)
    report: dict[str, Any] = {"reports": len(rows), "occurrences": len(set(gold.values()))}
    dumped: dict[str, Any] = {}
    for name, at in variants(rows, datetime.now(UTC)).items():
        stream = sorted(
            (
                ec.StreamItem(r["key"], "en" if r["lang"] == "en" else "zh", r["title"],
                              r["text"], at[r["key"]])
                for r in rows
            ),
            key=lambda it: it.at,
        )
        events, decisions = ec.daemon_events(stream, emb, 1, poll_at=None, weights=weights)
        dumped[name] = {"events": events, "decisions": decisions,
                        "at": {k: v.isoformat() for k, v in at.items()}}
        p, r_, f = prf(events, gold)
        groups: dict[int, list[str]] = {}
        for key in sorted(events):
            groups.setdefault(events[key], []).append(key)
        parts = sorted(groups.values())
        report[name] = {"p": round(p, 3), "r": round(r_, 3), "f1": round(f, 3), "events": parts}
        print(f"{name:7s} P {p:.3f} R {r_:.3f} F1 {f:.3f}  {len(parts)} events: {parts}")
    if args.out:
        args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    if args.decisions:
        args.decisions.write_text(json.dumps(dumped, indent=1, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
