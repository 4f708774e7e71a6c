"""Where one ``poll --all`` process's CPU goes, stage by stage (bench; loopback only).

bench/peer.py's workload (200 feeds × 20 items of WMT21 text on a local ETag origin,
``[cluster] backend = "none"``): pass 1 (every item new) once on an empty store, then
``--trials`` runs of ``--pass`` (new2: 2 new items per feed; or new) on fresh copies of it,
each ``aggregator poll --all`` run in-process by a small driver with ``PYTHONPATH=<tree>``
that adds ``time.process_time`` (user + sys of the poll process, all its threads; not its
children's, printed apart from their rusage: the cluster child, which a pass of ≥ 1,000 new
items clusters in, and the parse worker) around the stages: the imports, the store loop
(``Pipeline._store_entries``) and feed state, the cluster stage's window load
(``EventBuilder._prepare``) and batches, publishing, closing the store; "rest" is everything
else (fetching, the parse pool's calls, the event loop, logging). The driver applies the
tree's own ``cli._quiet_blas_threads`` (when it has one) before numpy loads, as ``cli.main``
would. Plain CPU on a shared machine: use medians, and instruction counts for small changes.

Run: ``.venv/bin/python bench/pass_stages.py [--tree .] [--pass new2] [--trials 3]``
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import peer  # noqa: E402  (bench/peer.py, next to this file)

#: The in-process poll with stage accounting; prints ``STAGE <seconds> <name>`` lines.
DRIVER = r"""
import collections, functools, os, resource, sys, time
t0 = time.process_time()
import aggregator.cli as cli
getattr(cli, "_quiet_blas_threads", lambda: None)()
from aggregator.pipeline import cluster_pass, publish_pass, refresh
from aggregator.store import core
acc = collections.Counter()
acc["imports"] = time.process_time() - t0
busy = [False]
def wrap(owner, name, label):
    f = getattr(owner, name)
    @functools.wraps(f)
    def timed(*a, **k):
        if busy[0]:
            return f(*a, **k)
        busy[0] = True
        t = time.process_time()
        try:
            return f(*a, **k)
        finally:
            acc[label] += time.process_time() - t
            busy[0] = False
    setattr(owner, name, timed)
wrap(cli, "_open_store", "open store")
wrap(cli, "sync_opml", "subscriptions")
wrap(refresh.Pipeline, "_store_entries", "store loop")
wrap(refresh.Pipeline, "_update_feed_state", "feed state")
wrap(cluster_pass.EventBuilder, "_prepare", "cluster window load")
wrap(cluster_pass.EventBuilder, "_commit_batch", "cluster batches")
wrap(publish_pass, "publish_outputs", "publish")
wrap(core.Store, "close", "store close")
from aggregator.pipeline import cluster_child
kid = collections.Counter()
_in_child = cluster_child.cluster_in_child
async def in_child(*a, **k):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        return await _in_child(*a, **k)
    finally:
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        kid["cluster child (reaped)"] += r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
cluster_child.cluster_in_child = in_child
sys.argv = ["aggregator", *sys.argv[1:]]
try:
    rc = cli.main()
finally:
    total = time.process_time()
    acc["rest"] = total - t0 - sum(acc.values())
    acc["total (poll process)"] = total
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    acc.update(kid)
    acc["parse worker (reaped)"] = kids.ru_utime + kids.ru_stime - sum(kid.values())
    for name, s in acc.items():
        print(f"STAGE {s:.4f} {name}", file=sys.stderr)
sys.exit(rc)
"""


def run(venv: Path, tree: Path, work: Path) -> dict[str, float]:
    env = peer.child_env()
    env["PYTHONPATH"] = str(tree)
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-c", DRIVER, "--config", str(work / "config.toml"),
         "poll", "--all"],
        cwd=work, env=env, capture_output=True, text=True, timeout=peer.CHILD_TIMEOUT_S,
        check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        sys.exit(f"poll failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    out: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        if line.startswith("STAGE "):
            _, secs, name = line.split(" ", 2)
            out[name] = float(secs)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tree", type=Path, default=ROOT, help="holds aggregator/ (default: .)")
    ap.add_argument("--pass", dest="pass_", default="new2", choices=("new", "new2"))
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--venv", type=Path, default=ROOT / ".venv")
    args = ap.parse_args()
    tree = args.tree.resolve()
    peer.compile_package(args.venv, str(tree))
    origin, urls = peer.workload(args.feeds, args.items, datetime.now(UTC).replace(microsecond=0))
    tmp = Path(tempfile.mkdtemp(prefix="pass-stages-"))
    runs: list[dict[str, float]] = []
    try:
        first = tmp / "new"
        peer.write_ours_dir(first, urls, "none")
        origin.version = "v1"
        env = {**os.environ, "PYTHONPATH": str(tree)}
        if args.pass_ == "new2":
            subprocess.run([str(args.venv / "bin" / "aggregator"), "--config",
                            str(first / "config.toml"), "poll", "--all"],
                           cwd=first, env=env, capture_output=True, check=True)  # fmt: skip
            origin.version = "v2"
        for trial in range(args.trials):
            work = tmp / f"t{trial}"
            shutil.copytree(first, work)
            runs.append(run(args.venv, tree, work))
            shutil.rmtree(work)
    finally:
        origin.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"pass {args.pass_}, tree {tree}, {args.trials} trials: CPU seconds, median (runs)")
    for name in runs[0]:
        vals = [r.get(name, 0.0) for r in runs]
        each = ", ".join(f"{v:.3f}" for v in vals)
        print(f"  {statistics.median(vals):7.3f}  {name:32s} ({each})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
