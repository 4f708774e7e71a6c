"""cProfile of our side of the peer workload's passes (bench; loopback only).

Builds bench/peer.py's workload (200 feeds × 20 items of WMT21 text on a local ETag origin),
runs ``aggregator poll --all`` under cProfile for pass 1 (every item new) and then, on a copy
of that store, pass 5 (2 new items per feed), and prints the top functions by cumulative time
of each. The profiles are kept for ``python -m pstats``. Profiled times run ~1.5× the plain
CPU times of ``bench/peer.py``; use them for shares, not ratios. Parse workers are separate
processes and not in the profile.

Run: ``.venv/bin/python bench/profile_pass.py [--backend use] [--top 40] [--out /tmp/prof]``
"""

from __future__ import annotations

import argparse
import pstats
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peer  # bench/peer.py, next to this file


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", default="none", help="[cluster] backend ('' = the default)")
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--out", type=Path, default=Path("/tmp/aggregator-profile"))
    args = ap.parse_args()
    now = datetime.now(UTC)
    origin, urls = peer.workload(args.feeds, args.items, now)
    shutil.rmtree(args.out, ignore_errors=True)
    try:
        peer.write_ours_dir(args.out / "new", urls, args.backend or None)
        for name, version in (("new", "v1"), ("new2", "v2")):
            if name == "new2":
                shutil.copytree(args.out / "new", args.out / name)
            origin.version = version
            prof = args.out / f"{name}.prof"
            subprocess.run(
                [sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "aggregator.cli",
                 "--config", str(args.out / name / "config.toml"), "poll", "--all"],
                check=True, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            print(f"===== pass {name} ({prof})")
            pstats.Stats(str(prof)).sort_stats("cumulative").print_stats(args.top)
    finally:
        origin.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
