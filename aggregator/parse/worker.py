"""Parse stage, the worker process: ``python -m aggregator.parse.worker PARENT_PID [MEM_BYTES]``.

The one process that runs feedparser/lxml on untrusted documents (I/O: its stdin/stdout pipes
to :mod:`aggregator.parse.pool`, nothing else). It dies with its parent: ``PR_SET_PDEATHSIG``
makes the kernel send SIGKILL the moment the parent dies (even by SIGKILL), and EOF on stdin
ends it when idle on systems without prctl. ``MEM_BYTES`` caps its address space
(``RLIMIT_AS``): a document that would need more ends in MemoryError inside this process only.

Protocol (both ways: 8-byte big-endian length, then a pickle)::

    worker → parent   b"R" once, after the imports (the parent starts no budget before it)
    parent → worker   (body, url, headers, (max_entries, max_field, max_title, timeout_s))
    worker → parent   ("ok", ParsedFeed) | ("error", message)
"""

from __future__ import annotations

import contextlib
import os
import pickle
import resource
import signal
import struct
import sys
from typing import Any, BinaryIO

#: prctl(2) option: signal delivered to this process when its parent dies (linux/prctl.h).
PR_SET_PDEATHSIG = 1
HEADER = struct.Struct(">Q")
#: /proc/self/oom_score_adj of a worker: the OOM killer's first choice (1000 is the most).
OOM_SCORE_ADJ = 1000
READY = b"R"


def die_with_parent(parent_pid: int) -> None:
    """Ask the kernel for SIGKILL when the parent dies; exit now if it is already gone
    (it may have died between our fork and this call)."""
    if sys.platform.startswith("linux"):
        import ctypes  # here: only Linux has prctl

        with contextlib.suppress(OSError, AttributeError):
            libc_prctl(ctypes).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(0)


def libc_prctl(ctypes: Any) -> Any:
    """A handle whose ``prctl`` is libc's: the process's own symbols (libc is loaded in every
    CPython on Linux), else the library ``ctypes.util`` finds. ``ctypes.util`` imports
    subprocess, shutil and tempfile: ~17 ms of CPU per worker start when not needed."""
    own = ctypes.CDLL(None, use_errno=True)
    if hasattr(own, "prctl"):
        return own
    import ctypes.util

    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def cap_memory(limit_bytes: int) -> None:
    """Cap the address space: allocation beyond it raises MemoryError here, not an OOM kill
    of the service (the unit's MemoryMax covers all its processes together)."""
    if limit_bytes <= 0:
        return
    with contextlib.suppress(ValueError, OSError):
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit_bytes = min(limit_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, hard))


def prefer_oom_kill() -> None:
    """Ask the kernel to pick this process first when the service's cgroup runs out of
    memory (``MemoryMax``): a parser dies, the daemon lives (raising the score needs no
    privilege)."""
    with (
        contextlib.suppress(OSError),
        open("/proc/self/oom_score_adj", "w", encoding="ascii") as f,
    ):
        f.write(str(OOM_SCORE_ADJ))


def read_message(stream: BinaryIO) -> bytes | None:
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        return None
    (size,) = HEADER.unpack(head)
    data = stream.read(size)
    return data if len(data) == size else None


def write_message(stream: BinaryIO, data: bytes) -> None:
    stream.write(HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def serve(inp: BinaryIO, out: BinaryIO) -> None:
    # Not aggregator.config: the limits come with each document (parse.document.Limits).
    from aggregator.parse.document import Limits, ParseError
    from aggregator.parse.fast import parse_feed_fast

    write_message(out, READY)
    while True:
        data = read_message(inp)
        if data is None:
            return  # parent closed the pipe (or died): done
        reply: tuple[str, object]
        try:
            body, url, headers, cfg_tuple = pickle.loads(data)
            del data
            # The lxml fast path takes well-formed plain RSS 2.0 (most news feeds) and gives
            # the same records as feedparser (test_fastparse.py); anything else → feedparser.
            parsed = parse_feed_fast(body, url=url, headers=headers, cfg=Limits(*cfg_tuple))
            del body
            reply = ("ok", parsed)
        except ParseError as exc:
            reply = ("error", str(exc))
        except MemoryError:
            reply = ("error", "parse exceeded the parser's memory cap")
        except RecursionError:
            reply = ("error", "document nested too deeply")
        try:
            payload = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            payload = pickle.dumps(("error", "parse exceeded the parser's memory cap"))
        del reply
        write_message(out, payload)


def main(argv: list[str]) -> int:
    parent = int(argv[1])
    die_with_parent(parent)
    # Ctrl-C reaches the whole process group; the parent decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cap_memory(int(argv[2]) if len(argv) > 2 else 0)
    prefer_oom_kill()
    # The protocol owns fd 1; anything a library prints goes to stderr instead.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    serve(sys.stdin.buffer, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
