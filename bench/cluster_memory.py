"""Memory of the clusterer's window per member (bench; pure CPU/RAM, no I/O).

Adds N synthetic members (512-dim unit vectors, realistic headlines and evidence) to an
``EventClusterer`` and reports traced Python memory per member (tracemalloc). The daemon
keeps every item of ``cluster.window_days`` this way, so this figure times the items in the
window is the clusterer's share of RSS.

    .venv/bin/python bench/cluster_memory.py --members 20000
"""

from __future__ import annotations

import argparse
import tracemalloc
from datetime import UTC, datetime, timedelta

import numpy as np

from aggregator.cluster.clusterer import ClusterMember, EventClusterer, evidence_for
from aggregator.config import ClusterConfig

DIM = 512


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=20_000)
    n = ap.parse_args().members
    rng = np.random.default_rng(0)
    now = datetime(2026, 11, 20, tzinfo=UTC)
    tracemalloc.start()
    clusterer = EventClusterer(ClusterConfig(), DIM)
    for i in range(n):
        v = rng.standard_normal(DIM).astype(np.float32)
        v /= np.linalg.norm(v)
        title = f"Magnitude {i % 9}.{i % 7} earthquake hits region {i} as officials respond"
        clusterer.add_existing(
            ClusterMember(
                i, i // 3, "en", v, now - timedelta(minutes=i), evidence_for(title, ""), title
            )
        )
    current, _peak = tracemalloc.get_traced_memory()
    print(f"{current / n / 1024:.2f} KiB per member (traced), members={len(clusterer)}")


if __name__ == "__main__":
    main()
