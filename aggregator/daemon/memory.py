"""Process memory settings for the long-running commands (``run``, ``poll``); glibc only.

``mallopt(M_MMAP_THRESHOLD, 1 MiB)``: every allocation of 1 MiB or more (response bodies,
the documents sent to the parse workers) gets its own mapping and goes back to the kernel
when freed. By default glibc raises that threshold after the first large free, so later
15 MiB bodies land in the heap and its high-water mark stays resident: a hostile poll
(bench/hostile_memory.py, 4 copies) peaked at 282 MB in the daemon with the default and
238 MB with this. ``M_ARENA_MAX`` 2: the threads that pickle documents for the workers do not
each get a 64 MiB arena. ``M_TRIM_THRESHOLD`` 32 MiB and ``M_TOP_PAD`` 1 MiB: setting the mmap
threshold switches glibc's dynamic thresholds off, which left the trim threshold at 128 KiB, so
every free at the top of the heap gave pages back that the next allocation faulted in again —
a 4,000-item first poll with the model spent 5.7 s of system time on it; with these 2.5 s,
CPU 69.8 → 66.8 s (medians of 3 alternated trials, `bench/ab.py --pass new --backend ''
--trials 3`, which prints user and sys; peak RSS 228.8 → 230.0 MB); clustering "none": no
change in CPU or peak RSS (`bench/ab.py --pass new --trials 3`). :func:`trim_malloc` still
returns everything free.

:func:`trim_malloc` hands the free pages inside malloc's arenas back to the kernel: memory a
finished stage freed stays resident otherwise (glibc returns only the top of its heap), and
the next stage's Python objects (pymalloc's own mappings) cannot reuse it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import sys

#: mallopt(3) parameters (glibc malloc.h).
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
MMAP_THRESHOLD_BYTES = 1024 * 1024
ARENA_MAX = 2
TRIM_THRESHOLD_BYTES = 32 * 1024 * 1024
TOP_PAD_BYTES = 1024 * 1024


def tune_malloc() -> bool:
    """Apply the settings above; False where there is no glibc (nothing changes)."""
    libc = _libc()
    if libc is None:
        return False
    with contextlib.suppress(OSError, AttributeError):
        ok = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
        ok = libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1 and ok
        ok = libc.mallopt(M_TOP_PAD, TOP_PAD_BYTES) == 1 and ok
        return bool(libc.mallopt(M_ARENA_MAX, ARENA_MAX) == 1 and ok)
    return False


def trim_malloc() -> bool:
    """``malloc_trim(0)``: give the free pages of every malloc arena back to the kernel.
    ~1 ms after a poll's refresh stage. False where there is no glibc (nothing happens)."""
    libc = _libc()
    if libc is None:
        return False
    with contextlib.suppress(OSError, AttributeError):
        libc.malloc_trim(0)
        return True
    return False


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library, looked up once per process (``find_library`` runs ``ldconfig``: ~10 ms
    CPU a call); None off Linux or when it cannot be loaded."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
