"""Process memory settings for the long-running commands (``run``, ``poll``); glibc only.

``mallopt(M_MMAP_THRESHOLD, 1 MiB)``: every allocation of 1 MiB or more (response bodies,
the documents sent to the parse workers) gets its own mapping and goes back to the kernel
when freed. By default glibc raises that threshold after the first large free, so later
15 MiB bodies land in the heap and its high-water mark stays resident: a hostile poll
(bench/hostile_memory.py, 4 copies) peaked at 282 MB in the daemon with the default and
238 MB with this. ``M_ARENA_MAX`` 2: the threads that pickle documents for the workers do not
each get a 64 MiB arena.

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
MMAP_THRESHOLD_BYTES = 1024 * 1024
ARENA_MAX = 2


def tune_malloc() -> bool:
    """Apply the settings above; False where there is no glibc (nothing changes)."""
    libc = _libc()
    if libc is None:
        return False
    with contextlib.suppress(OSError, AttributeError):
        ok = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
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
