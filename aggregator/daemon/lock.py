"""One daemon per store: an exclusive ``flock`` on ``<db>.lock`` beside the database (I/O: disk).

``aggregator run`` holds it for its whole life; ``aggregator poll`` takes it for its pass. A
second ``run`` or a ``poll`` beside a running daemon is refused with :class:`StoreLocked`
(the CLI prints its message and exits 1): two pollers on one store made 44 events with no
items and 46 with a wrong count in 25 s (issue 15). The kernel drops a ``flock`` when its
holder dies, even by SIGKILL, so a crash never leaves a stale lock; the file descriptor is
close-on-exec and child processes are started with ``close_fds``, so no worker inherits it.
The holder's pid is written into the file for the message only (never trusted for locking).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from aggregator.errors import StoreError


class StoreLocked(StoreError):
    """Another process (a daemon, or a ``poll``) holds the store's lock."""


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


class StoreLock:
    """``with StoreLock(db_path, "run"): ...`` — raises :class:`StoreLocked` at once if held."""

    def __init__(self, db_path: Path, holder: str) -> None:
        self.path = lock_path(db_path)
        self.holder = holder
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:  # a read-only or full file system, a folder we may not write
            raise StoreError(
                f"cannot open the lock file {self.path}: {exc.strerror or exc}"
                " (the store's folder must be writable; is the file system read-only?)"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = _read_holder(fd)
            os.close(fd)
            raise StoreLocked(
                f"the store {self.path.with_suffix('')} is in use by {other}"
                f" (lock file {self.path})"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{self.holder} pid {os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the last descriptor drops the flock
            self._fd = None

    def __enter__(self) -> StoreLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    """``aggregator run (pid 123)`` from the lock file, or a generic phrase."""
    with contextlib.suppress(OSError, UnicodeDecodeError):
        text = os.pread(fd, 200, 0).decode().strip()
        kind, _, pid = text.partition(" pid ")
        if kind and pid.isdigit():
            return f"'aggregator {kind}' (pid {pid})"
    return "another aggregator process"
