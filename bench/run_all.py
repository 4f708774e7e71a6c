"""Run every benchmark (``make bench``): quick sizes by default (a few minutes), ``--full`` for
the sizes the goals are stated at. Each benchmark runs as its own subprocess, bounded in time;
one that is missing is skipped, one that fails is reported and the others still run.

Collects their JSON into bench/results/summary.json (quick runs: bench/results/quick/, so they
never overwrite full-size results) and prints a Markdown table to paste into bench/README.md.
Each run's output is kept beside it as <name>.log.

Run: ``.venv/bin/python bench/run_all.py [--full] [--only pipeline poll peer] [--timeout-s 900]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
PYTHON = ROOT / ".venv" / "bin" / "python"
#: Per-benchmark wall-clock limit, seconds (quick / full).
QUICK_TIMEOUT_S = 900
FULL_TIMEOUT_S = 4 * 3600


@dataclass(frozen=True)
class Bench:
    name: str
    script: str
    quick: list[str]
    full: list[str]
    #: Headline figures from the benchmark's JSON: list of (label, value).
    headline: Callable[[dict[str, Any]], list[tuple[str, str]]] = field(
        default=lambda d: _leaves(d))


def _leaves(d: Any, prefix: str = "", limit: int = 6) -> list[tuple[str, str]]:
    """First scalar leaves of a JSON document (for benchmarks without a headline function)."""
    out: list[tuple[str, str]] = []

    def walk(x: Any, p: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, f"{p}.{k}" if p else str(k))
        elif isinstance(x, list):
            for i, v in enumerate(x[:3]):
                walk(v, f"{p}[{i}]")
        else:
            out.append((p, str(x)))

    walk(d, prefix)
    return out


def _pipeline(d: dict[str, Any]) -> list[tuple[str, str]]:
    s = d.get("stages", {})
    out = []

    def ipc(k: str) -> str:
        return f"{s[k]['items_per_cpu_s']:.0f} items/CPU-s" if k in s else "n/a"

    if "parse" in s:
        p = s["parse"]
        out.append(("parse feedparser / fastparse",
                    f"{p['feedparser']['items_per_cpu_s']:.0f} / "
                    f"{p['fastparse']['items_per_cpu_s']:.0f} items/CPU-s"))
    for k in ("normalize", "store", "end_to_end", "end_to_end_fastparse", "redelivery"):
        out.append((k, ipc(k)))
    for k in ("cluster_none", "cluster_use"):
        if k in s:
            out.append((k, f"{s[k]['ms_per_item']:.2f} ms/item"))
    for dm in d.get("daemon", []):
        out.append((f"daemon RSS ({dm['backend']}, {dm['feeds']} feeds)",
                    f"{dm['rss_mb_after_tick']} MB, first tick {dm['first_tick_s']} s"))
    cs = d.get("cold_start")
    if cs:
        out.append(("--help / check-config",
                    f"{cs['help']['median_s']} / {cs['check_config']['median_s']} s"))
    return out


def _poll(d: dict[str, Any]) -> list[tuple[str, str]]:
    summary = d.get("summary") or {}
    keys = ("fetches_per_min_steady", "cpu_ms_per_request_steady", "cpu_ms_per_304",
            "cpu_ms_per_200_new_items", "full_pass_s_steady")
    out = [(k, str(summary[k])) for k in keys if k in summary]
    return out or _leaves(d)


def _cluster_speed(d: dict[str, Any]) -> list[tuple[str, str]]:
    out = [(f"{s['rows']} rows in window", f"{s['ms_per_item']} ms/item")
           for s in d.get("sizes", [])]
    out += [(f"USE embed, {e['threads']} thread(s)", f"{e['texts_per_s']} texts/s")
            for e in d.get("embed", [])]
    return out or _leaves(d)


def _peer(d: dict[str, Any]) -> list[tuple[str, str]]:
    passes = d.get("medians", {}).get("passes", {})
    labels = d.get("workload", {}).get("passes", {})
    out = []
    for key, m in passes.items():
        o, r, om = m.get("ours"), m.get("reader"), m.get("ours_model")
        if not (o and r):
            continue
        value = f"{o['ratio_cpu']:.2f}× ({o['cpu_s']:.2f} vs {r['cpu_s']:.2f} CPU-s)"
        if om:
            value += f"; default model {om['ratio_cpu']:.2f}×"
        out.append((f"ours/reader CPU, {labels.get(key, key)}", value))
    pk = d.get("medians", {}).get("peak_rss_mb_max_over_passes", {})
    if pk.get("ours") and pk.get("reader"):
        out.append(("peak RSS ours / reader / ours+model",
                    f"{pk['ours']:.0f} / {pk['reader']:.0f} / {pk.get('ours_model') or 0:.0f} MB"))
    lfl = d.get("like_for_like", {})
    out.append(("like for like (requests, statuses, new items)",
                "yes" if lfl.get("ok") else f"NO: {lfl.get('problems', [])[:2]}"))
    return out or _leaves(d)


def _scale(d: dict[str, Any]) -> list[tuple[str, str]]:
    s = d.get("summary") or {}
    if not s:
        return _leaves(d)
    return [
        (f"{s['feeds']} feeds / 15 min, {s['articles_per_day']} articles/day: CPU",
         f"{s['cpu_share_one_core']:.1%} of one core ({s['steady_cycle_cpu_s']} s a cycle)"),
        ("peak RSS (main + parse worker)", f"{s['peak_rss_mb']} MB"),
        ("cluster backlog, store growth",
         f"{s['max_cluster_backlog_items']} items, {s['store_growth_mb_per_day']} MB/day"),
        ("daemon tick capacity (feeds / 15 min)", str(s["daemon_tick_capacity_feeds_per_15min"])),
    ]


BENCHES = [
    Bench("poll", "poll.py", ["--feeds", "1000"], ["--feeds", "10000"], _poll),
    Bench("pipeline", "pipeline.py", [],
          ["--prefill", "1000000", "--docs", "200", "--daemon-feeds", "10000"], _pipeline),
    Bench("dedup_index", "dedup_index.py", ["--items", "20000", "--queries", "500"],
          ["--items", "1000000"]),
    Bench("cluster_speed", "cluster_speed.py", ["--sizes", "10000", "--queries", "100"],
          ["--sizes", "10000", "100000", "--embed"], _cluster_speed),
    # Ours vs lemon24/reader (issue 16): quick = one trial, full = three; same workload.
    Bench("peer", "peer.py", ["--quick"], ["--trials", "3"], _peer),
    # Event Registry's load compressed in time (issue 16 item 7): quick = 5,000 feeds.
    Bench("scale", "scale.py", ["--feeds", "5000", "--cycles", "2"], ["--cycles", "3"], _scale),
]


def _flags(help_text: str) -> set[str]:
    return set(re.findall(r"(--[a-z][a-z0-9-]*)", help_text))


def _filter_args(args: list[str], known: set[str]) -> list[str]:
    """Drop options the script does not (or no longer) take, with their values."""
    out: list[str] = []
    keep = True
    for a in args:
        if a.startswith("--"):
            keep = a in known
        if keep:
            out.append(a)
    return out


def run_one(b: Bench, full: bool, timeout_s: float, out_dir: Path) -> dict[str, Any]:
    script = BENCH / b.script
    if not script.exists():
        return {"status": "skipped", "reason": f"{b.script} not present"}
    try:
        helped = subprocess.run([str(PYTHON), str(script), "--help"], capture_output=True,
                                text=True, timeout=60, cwd=ROOT, check=False)
    except subprocess.TimeoutExpired:
        return {"status": "skipped", "reason": "--help timed out"}
    if helped.returncode != 0:
        return {"status": "skipped", "reason": f"--help failed: {helped.stderr[-300:]}"}
    known = _flags(helped.stdout)
    out_json = out_dir / f"{b.name}.json"
    args = _filter_args(b.full if full else b.quick, known)
    if "--out" in known:
        args += ["--out", str(out_json)]
    cmd = [str(PYTHON), str(script), *args]
    log = out_dir / f"{b.name}.log"
    started = time.time()
    t0 = time.perf_counter()
    with log.open("w", encoding="utf-8") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        try:
            proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT,
                                  timeout=timeout_s, check=False)
            code: int | str = proc.returncode
        except subprocess.TimeoutExpired:
            code = "timeout"
    wall = round(time.perf_counter() - t0, 1)
    res: dict[str, Any] = {
        "status": "ok" if code == 0 else "failed",
        "exit": code,
        "wall_s": wall,
        "command": " ".join(os.path.relpath(c, ROOT) if c.startswith("/") else c for c in cmd),
        "log": os.path.relpath(log, ROOT),
    }
    if out_json.exists() and out_json.stat().st_mtime >= started:
        res["json"] = os.path.relpath(out_json, ROOT)
        res["data"] = json.loads(out_json.read_text(encoding="utf-8"))
    else:  # no JSON: keep the printed table
        res["stdout_tail"] = log.read_text(encoding="utf-8", errors="replace")[-2000:]
    return res


def markdown(summary: dict[str, Any]) -> str:
    mode = "full" if summary["full"] else "quick"
    lines = [f"Benchmarks ({mode} sizes, {summary['finished_at']}, {summary['cpu_count']} cores,"
             f" load {summary['load_avg_1m']:.1f}; CPU figures are CPU time):", "",
             "| benchmark | figure | value |", "|---|---|---|"]
    for b in BENCHES:
        r = summary["benchmarks"].get(b.name)
        if r is None:
            continue
        if r["status"] != "ok":
            lines.append(f"| {b.name} | {r['status']} | {r.get('reason', r.get('exit', ''))} |")
            continue
        if "data" in r:
            figures = b.headline(r["data"])
        else:  # a benchmark that only prints: its last lines
            tail = [ln.strip() for ln in r.get("stdout_tail", "").splitlines() if ln.strip()]
            figures = [("output", ln.replace("|", "/")) for ln in tail[-4:]]
        for i, (label, value) in enumerate(figures):
            name = f"{b.name} ({r['wall_s']:.0f} s)" if i == 0 else ""
            lines.append(f"| {name} | {label} | {value} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--full", action="store_true", help="the sizes the goals are stated at")
    ap.add_argument("--only", nargs="*", choices=[b.name for b in BENCHES])
    ap.add_argument("--timeout-s", type=float, default=None,
                    help=f"per benchmark (default {QUICK_TIMEOUT_S} quick, {FULL_TIMEOUT_S} full)")
    args = ap.parse_args(argv)
    timeout = args.timeout_s or (FULL_TIMEOUT_S if args.full else QUICK_TIMEOUT_S)
    # Quick runs go to results/quick/ so they never overwrite the full-size results that are
    # committed (bench/results/<name>.json).
    out_dir = RESULTS if args.full else RESULTS / "quick"
    out_dir.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {
        "full": args.full,
        "started_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu_count": os.cpu_count(),
        "load_avg_1m": os.getloadavg()[0],
        "benchmarks": {},
    }
    failed = 0
    for b in BENCHES:
        if args.only and b.name not in args.only:
            continue
        print(f"== {b.name}", file=sys.stderr, flush=True)
        r = run_one(b, args.full, timeout, out_dir)
        summary["benchmarks"][b.name] = r
        failed += r["status"] == "failed"
        print(f"   {r['status']} {r.get('wall_s', '')} {r.get('reason', '')}", file=sys.stderr)
    summary["finished_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    (out_dir / "summary.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(markdown(summary))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
