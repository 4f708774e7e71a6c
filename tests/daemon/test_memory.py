"""daemon.memory: glibc malloc settings of the long-running commands, checked in a fresh process
(the settings are process-wide) by the page faults that freeing and reallocating cost."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Allocates and frees a 900 KB block (under the 1 MiB mmap threshold, so it comes from the heap)
#: 200 times and prints the minor page faults that cost.
_CHURN = textwrap.dedent("""
    import resource, sys
    from aggregator.daemon import memory
    if sys.argv[1] == "tuned":
        assert memory.tune_malloc()
    else:  # what tune_malloc did before it set the trim threshold
        memory._libc().mallopt(memory.M_MMAP_THRESHOLD, memory.MMAP_THRESHOLD_BYTES)
    warm = [b"x" * 900_000 for _ in range(2)]
    del warm
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(200):
        block = b"x" * 900_000
        del block
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
""")


def _faults(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", _CHURN, mode], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=60)
    return int(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc settings")
def test_freed_heap_blocks_are_reused_without_faulting_pages_in_again() -> None:
    # With only the mmap threshold fixed, glibc's trim threshold stayed at 128 KiB: each free
    # gave the heap top back to the kernel and each allocation faulted it in again (the
    # model's per-layer products paid ~4 s of system time a 4,000-item poll for it).
    tuned, mmap_only = _faults("tuned"), _faults("mmap-only")
    assert tuned < 50, tuned
    assert mmap_only > 5 * max(tuned, 20), (tuned, mmap_only)
