"""A/B of two code trees on one pass of the peer workload (bench; loopback only).

Runs ``aggregator poll --all`` (ours, through the CLI of ``--venv``) on bench/peer.py's workload
(200 feeds × 20 items of WMT21 text, ETag/304 origin on 127.0.0.1), with the package imported
from tree A or tree B (``PYTHONPATH`` put ahead of the venv's editable install), alternating
A, B, A, B … for ``--trials`` rounds; CPU = user + sys of the whole process tree (peer.py's
``run_child``), medians and the B/A ratio printed. Pass 1 ("new") is run once per tree to make
the store that the other passes copy. A tree is a folder holding ``aggregator/``, e.g. an
export of a commit: ``git archive COMMIT aggregator | tar -x -C /tmp/a``.

Run: ``.venv/bin/python bench/ab.py --a /tmp/a --b . --pass 304 --trials 5``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peer  # bench/peer.py, next to this file

ROOT = Path(__file__).resolve().parents[1]


def _run(ctx: peer.Ctx, tool: peer.Tool, p: peer.Pass, tree: Path, tdir: Path, n: int,
         ) -> dict[str, Any]:
    os.environ["PYTHONPATH"] = str(tree)
    try:
        return peer.run_pass(ctx, tool, p, n, tdir)
    finally:
        os.environ.pop("PYTHONPATH", None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--a", type=Path, required=True, help="tree A (holds aggregator/)")
    ap.add_argument("--b", type=Path, required=True, help="tree B (holds aggregator/)")
    ap.add_argument("--pass", dest="pass_", default="304", choices=[p.key for p in peer.PASSES])
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--backend", default="none", help="[cluster] backend ('' = the default)")
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--venv", type=Path, default=ROOT / ".venv")
    args = ap.parse_args(argv)
    trees = {"A": args.a.resolve(), "B": args.b.resolve()}
    for t in trees.values():
        if not (t / "aggregator" / "__init__.py").exists():
            sys.exit(f"{t} holds no aggregator/ package")
    peer.become_subreaper()
    now = datetime.now(UTC).replace(microsecond=0)
    origin, urls = peer.workload(args.feeds, args.items, now)
    tmp = Path(tempfile.mkdtemp(prefix="ab-bench-"))
    ctx = peer.Ctx(args.venv, origin, urls, tmp / "urls.txt", 1, peer.CHILD_TIMEOUT_S)
    tool = peer.Tool("ours", "ours", "ours", args.backend or None)
    target = next(p for p in peer.PASSES if p.key == args.pass_)
    for t in trees.values():  # as an install does (peer.compile_package)
        peer.compile_package(args.venv, str(t))
    subprocess.run([str(args.venv / "bin" / "aggregator"), "--help"], capture_output=True,
                   check=False, timeout=120)
    cpu: dict[str, list[float]] = {"A": [], "B": []}
    rss: dict[str, list[float]] = {"A": [], "B": []}
    try:
        if target is not peer.PASSES[0]:  # the store every later pass copies, once per tree
            for i, (key, tree) in enumerate(trees.items()):
                _run(ctx, tool, peer.PASSES[0], tree, tmp / key, -1 - i)
        for trial in range(1, args.trials + 1):
            for i, (key, tree) in enumerate(trees.items()):
                # The origin counts requests per label: one label per run.
                r = _run(ctx, tool, target, tree, tmp / key, 2 * trial + i)
                bad = peer.check(r, target, args.feeds, args.items)
                if bad:
                    sys.exit(f"{key} trial {trial}: {bad}")
                cpu[key].append(r["cpu_s"])
                rss[key].append(r["peak_rss_mb"])
                print(f"trial {trial} {key}: CPU {r['cpu_s']:.3f} s (user {r['user_s']:.2f}, sys "
                      f"{r['sys_s']:.2f})  peak {r['peak_rss_mb']} MB"
                      f"  {r.get('summary_line', '')}", flush=True)
                shutil.rmtree(tmp / key / tool.key / target.key)
    finally:
        origin.close()
        shutil.rmtree(tmp, ignore_errors=True)
    ma, mb = statistics.median(cpu["A"]), statistics.median(cpu["B"])
    print(f"pass {target.key}: median CPU A {ma:.3f} s  B {mb:.3f} s  B/A {mb / ma:.3f}"
          f"  (A {cpu['A']}, B {cpu['B']}); peak RSS median A "
          f"{statistics.median(rss['A'])} MB  B {statistics.median(rss['B'])} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
