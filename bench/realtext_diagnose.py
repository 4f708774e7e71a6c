"""Why the clusterer joined or split real reports (bench; diagnosis only, reads a local file).

Runs the same streams as ``realtext_events.py`` (same sources/items files, same variants)
and, as each report arrives, also scores it against *every* open event in the window — not
only the candidates the index proposed — recording each score with its features (cosines,
lexical, shared keys, time, signature, conflicts). Recording is done by wrapping
``EventClusterer.assign`` in this process only; the decisions themselves are the daemon's
(the wrapped call returns the original result unchanged; each variant's P/R/F1 is printed
to compare with ``realtext_events``'s — they were equal on the held-out set). Then, for
every wrongly joined and every missed pair, it prints the decision that joined or
separated them: for a wrong merge, the join that first put the two occurrences in one event
(the "bridge"); for a missed pair, the later report's score against the event holding the
earlier one at that moment.

Run: ``.venv/bin/python bench/realtext_diagnose.py --sources bench/realtext/heldout.tsv
--items /tmp/realtext-heldout.jsonl --out /tmp/diag.json``
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_cluster as ec  # bench/eval_cluster.py, next to this file
import realtext_events as rt  # bench/realtext_events.py

_SHORT = (
    "score",
    "cos_max_adj",
    "cos_mean_topk",
    "lex",
    "lex_weight",
    "dt_days",
    "shared_weight",
    "same_disaster",
    "conflicts",
    "shared",
)


def _probe(log: list[dict[str, Any]], keys: list[str]) -> Any:
    """Wrap EventClusterer.assign: before each decision, score the item against every open
    event of the window one by one (each a fresh ``_score`` call; it may materialise deferred
    lexical vectors, a cache, but leaves events and members as they were)."""
    from aggregator.cluster import clusterer as cl

    orig = cl.EventClusterer.assign

    def assign(self: Any, item: Any, now: datetime) -> Any:
        t = item.at.timestamp()
        lo, hi = t - self.window_s, t + self.window_s
        from aggregator.cluster.records import evidence_for
        from aggregator.cluster.state import ItemKeys
        from aggregator.cluster.titles import base_lang

        evidence = item.evidence or evidence_for(item.title, item.lead)
        import numpy as np

        q = np.asarray(item.vector, dtype=np.float32).reshape(self.dim)
        lang = base_lang(item.lang)
        qc = self.means.centre(q, [lang])[0] if self.w.centre else q
        lexv = self._item_lex(item)
        every = {}
        members: dict[int, list[str]] = {}
        for row, held in self._members.items():  # compact records: (item_id, lang, at, ...)
            members.setdefault(self._row_event[row], []).append(keys[held[0] - 1])
        for eid, ev in self._events.items():
            if ev.updated < lo or ev.first > hi:
                continue
            with self.blas_limited():
                s, _e, feats, _c = self._score(qc, lang, t, ItemKeys(evidence), lexv, [eid])
            every[str(eid)] = {
                "score": round(s, 4),
                "members": sorted(members.get(eid, [])),
                **{k: feats.get(k) for k in _SHORT[1:]},
            }
        out = orig(self, item, now)
        log.append(
            {
                "key": keys[item.item_id - 1],
                "rule": out.rule,
                "event": out.event_id,
                "score": round(out.score, 4),
                "every": every,
            }
        )
        return out

    cl.EventClusterer.assign = assign  # type: ignore[method-assign]
    return orig


def diagnose(events: dict[str, int], gold: dict[str, str], log: list[dict[str, Any]]) -> list[str]:
    """One line per wrongly joined occurrence pair (its bridge) and per missed report pair."""
    order = [e["key"] for e in log]
    pos = {k: i for i, k in enumerate(order)}
    lines = []
    bridged: set[tuple[str, str]] = set()
    for entry in log:  # a join that put a report next to another occurrence's reports
        if entry["rule"] != "join_event":
            continue
        joined = entry["every"].get(str(entry["event"]), {})
        other = sorted({gold[m] for m in joined.get("members", [])} - {gold[entry["key"]]})
        for occ in other:
            pair = tuple(sorted((gold[entry["key"]], occ)))
            if pair in bridged:
                continue
            bridged.add(pair)  # type: ignore[arg-type]
            lines.append(
                f"WRONG JOIN {entry['key']} ({gold[entry['key']]}) -> event with "
                f"{joined['members']}: " + _fmt(joined)
            )
    for a in order:
        for b in order:
            if pos[a] >= pos[b] or gold[a] != gold[b] or events[a] == events[b]:
                continue
            entry = log[pos[b]]
            holder = [e for e, v in entry["every"].items() if a in v["members"]]
            v = entry["every"].get(holder[0]) if holder else None
            why = _fmt(v) if v else "event of the earlier report not open/scored"
            lines.append(
                f"MISSED {a}~{b}: {b} ({entry['rule']} {entry['score']}) vs event of {a}: {why}"
            )
    return lines


def _fmt(v: dict[str, Any]) -> str:
    return " ".join(f"{k}={v.get(k)}" for k in _SHORT)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=Path, required=True)
    ap.add_argument("--sources", type=Path, default=rt.SOURCES)
    ap.add_argument("--variant", action="append", help="real, 48h-1, 48h-2, 48h-3 (default all)")
    ap.add_argument("--out", type=Path, help="write every variant's probe log as JSON here")
    ap.add_argument("--skip-missing", action="store_true",
                    help="leave out reports with no text (as realtext_events.py --skip-missing)")
    args = ap.parse_args()
    from aggregator.cluster.embed import make_embedder
    from aggregator.config import ClusterConfig

    rows = rt.load(args.items, args.sources, args.skip_missing)
    gold = {r["key"]: r["event"] for r in rows}
    emb = make_embedder(ClusterConfig(backend="use"))
    dump = {}
    for name, at in rt.variants(rows, datetime.now(UTC)).items():
        if args.variant and name not in args.variant:
            continue
        stream = sorted(
            (
                ec.StreamItem(
                    r["key"],
                    "en" if r["lang"] == "en" else "zh",
                    r["title"],
                    r["text"],
                    at[r["key"]],
                )
                for r in rows
            ),
            key=lambda it: it.at,
        )
        log: list[dict[str, Any]] = []
        orig = _probe(log, [it.key for it in stream])
        try:
            events, _ = ec.daemon_events(stream, emb, 1, poll_at=None)
        finally:
            from aggregator.cluster import clusterer as cl

            cl.EventClusterer.assign = orig  # type: ignore[method-assign]
        p, r_, f = rt.prf(events, gold)
        print(f"== {name}: P {p:.3f} R {r_:.3f} F1 {f:.3f}")
        for line in diagnose(events, gold, log):
            print(line)
        dump[name] = log
    if args.out:
        args.out.write_text(json.dumps(dump, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
