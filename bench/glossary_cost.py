"""CPU of loading the CC-CEDICT glossary into a NEW store, with and without the user's shared
cache folder (bench; I/O: temporary folders, child processes).

Each measurement is a fresh child process (the glossary is loaded once per process):
``model_caches.use_glossary_cache(<new store>)`` then ``cedict.glossary()``, timed with
``time.process_time``. Per round: ``built`` (no shared folder: ``AGGREGATOR_CACHE_DIR=``, as
every new store did before session 11), ``first`` (an empty shared folder: built, then kept in
both places) and ``copied`` (a second new store beside a filled shared folder). Medians over
``--rounds``.

Run: ``.venv/bin/python bench/glossary_cost.py [--rounds 5]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import sys, time
from pathlib import Path
t0 = time.process_time()
from aggregator.cluster import cedict
from aggregator.pipeline import model_caches
model_caches.use_glossary_cache(Path(sys.argv[1]))
cedict.glossary()
print(time.process_time() - t0)
"""


def _one(store: Path, shared: str) -> float:
    env = {**os.environ, "AGGREGATOR_CACHE_DIR": shared}
    out = subprocess.run([sys.executable, "-c", CHILD, str(store)], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True, timeout=300)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    got: dict[str, list[float]] = {"built": [], "first": [], "copied": []}
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            t = Path(tmp)
            got["built"].append(_one(t / "a" / "store.db", ""))
            got["first"].append(_one(t / "b" / "store.db", str(t / "shared")))
            got["copied"].append(_one(t / "c" / "store.db", str(t / "shared")))
    for k, v in got.items():
        each = ", ".join(f"{x:.3f}" for x in v)
        print(f"{k:7s} median {statistics.median(v):.3f} s CPU  ({each})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
