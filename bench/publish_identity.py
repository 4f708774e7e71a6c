"""Byte identity and in-process CPU of ``publish_outputs`` for two code trees (bench; no network).

Takes a workload folder (config.toml + store + public), e.g. the pass-5 store that
``bench/profile_pass.py --out DIR`` leaves in ``DIR/new2``. For each tree (a folder holding
``aggregator/``, e.g. ``git archive COMMIT aggregator | tar -x -C /tmp/a``), in a child process
with ``PYTHONPATH=<tree>``: copies the folder, runs ``publish_outputs`` on the copy with one
fixed ``now`` ``--repeats`` times (the first publish on the copy, then re-publishes of the same
store), and times each with ``time.process_time``. Then compares every output file of the two
trees byte for byte (first publish and last publish), and prints per-tree medians and B/A.

The one output field that carries the current time is index.html's "Updated <time>" line
(``now``); it is identical here because both trees get the same ``now``. Trees alternate
A, B, A, B for ``--trials`` rounds.

Run: ``.venv/bin/python bench/publish_identity.py --a /tmp/a --b . --workload DIR/new2``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = r"""
import json, shutil, sys, time
from datetime import datetime
from pathlib import Path
from aggregator.config import load_config
from aggregator.pipeline.publish_pass import publish_outputs
from aggregator.store.core import Store

work, repeats, now, keep = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
cfg = load_config(work / "config.toml", must_exist=True)
store = Store.open(cfg.store_path, cfg.store)
at = datetime.fromisoformat(now)
times = []
for n in range(repeats):
    t0 = time.process_time()
    publish_outputs(cfg, store, at)
    times.append(time.process_time() - t0)
    if n == 0:
        shutil.copytree(cfg.publish_dir, keep / "first")
shutil.copytree(cfg.publish_dir, keep / "last")
print(json.dumps(times))
"""


def _files(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def _run(tree: Path, workload: Path, repeats: int, now: str, tmp: Path) -> list[float]:
    work, keep = tmp / "work", tmp / "out"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(workload, work)
    shutil.rmtree(work / "public", ignore_errors=True)
    keep.mkdir(parents=True)
    env = dict(os.environ, PYTHONPATH=str(tree.resolve()))
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(work), str(repeats), now, str(keep)],
        env=env, check=True, capture_output=True, text=True, cwd=work,
    )  # fmt: skip
    times: list[float] = json.loads(out.stdout.strip().splitlines()[-1])
    return times


def _compare(a: Path, b: Path) -> list[str]:
    fa, fb = _files(a), _files(b)
    bad = sorted(set(fa) ^ set(fb))
    bad += [n for n in sorted(set(fa) & set(fb)) if fa[n] != fb[n]]
    return bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--a", type=Path, required=True)
    ap.add_argument("--b", type=Path, required=True)
    ap.add_argument("--workload", type=Path, required=True)
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--now", default="2030-01-01T12:00:00+00:00")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="publish-identity-"))
    first: dict[str, list[float]] = {"A": [], "B": []}
    again: dict[str, list[float]] = {"A": [], "B": []}
    ok = True
    try:
        for trial in range(args.trials):
            for name, tree in (("A", args.a), ("B", args.b)):
                t = _run(tree, args.workload, args.repeats, args.now, root / name)
                first[name].append(t[0])
                again[name] += t[1:]
            for kind in ("first", "last"):
                bad = _compare(root / "A" / "out" / kind, root / "B" / "out" / kind)
                n = len(_files(root / "A" / "out" / kind))
                print(f"trial {trial + 1} {kind} publish: {n} files, differing: {bad or 'none'}")
                ok = ok and not bad
        for label, d in (("first publish", first), ("re-publish", again)):
            if not d["A"]:  # --repeats 1: no re-publish
                continue
            ma, mb = statistics.median(d["A"]), statistics.median(d["B"])
            print(f"{label}: A {ma:.3f} s  B {mb:.3f} s  B/A {mb / ma:.3f}  (n={len(d['A'])})")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("byte-identical" if ok else "OUTPUTS DIFFER")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
