"""Daemon: how a failing job is logged — one line per failure, repeats counted (I/O: logging).

A job that fails the same way on every run (a full disk fails every tick, once a second in
tests and once a minute by default) used to write a traceback each time: 109 tracebacks in
40 s hid everything else in the journal (issue 15). Now:

- a failure the machine causes (the disk refuses a write: SQLite FULL/IOERR/READONLY/…, or
  an ``OSError`` such as ENOSPC/EROFS/EDQUOT/EIO) is one line naming the job and the cause,
  never a traceback: it is not a bug, and /healthz already says why it is not ok;
- any other failure logs its traceback the first time, since that may be a bug;
- the same failure again (same job, same cause) is counted, not logged, and a line with the
  count is written at most every :data:`REPEAT_REPORT_S`;
- the job's next success says it works again and how many runs failed meanwhile.
"""

from __future__ import annotations

import errno
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from aggregator.store.status import write_failure_kind

#: A failure that keeps repeating is reported again (with its count) this often, seconds.
REPEAT_REPORT_S = 300.0

#: ``OSError`` numbers that mean the machine, not the code, refused the work.
ENVIRONMENT_ERRNOS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only filesystem",
    errno.EIO: "I/O error",
    errno.EACCES: "permission denied",
}


def environment_cause(exc: BaseException) -> str | None:
    """``"disk full"`` etc. when ``exc`` is the disk refusing work, else None."""
    kind = write_failure_kind(exc)
    if kind is not None:
        return f"store write failed ({kind})"
    if isinstance(exc, OSError) and exc.errno in ENVIRONMENT_ERRNOS:
        return f"{ENVIRONMENT_ERRNOS[exc.errno]}"
    return None


@dataclass
class _Streak:
    cause: str
    first_at: float
    failures: int
    reported_at: float
    reported_failures: int


class FailureLog:
    """Per job: the current run of identical failures, and when it was last reported."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        every_s: float = REPEAT_REPORT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log = logger
        self.every_s = every_s
        self.clock = clock
        self._streaks: dict[str, _Streak] = {}

    def failed(self, job: str, exc: BaseException) -> None:
        """Log this failure of ``job`` unless it repeats the one logged just before."""
        now = self.clock()
        env = environment_cause(exc)
        cause = env if env is not None else f"{type(exc).__name__}: {exc}"
        streak = self._streaks.get(job)
        if streak is not None and streak.cause == cause:
            streak.failures += 1
            if now - streak.reported_at >= self.every_s:
                self.log.error(
                    "job=%s still failing: %s (%d more failures in the last %.0f s, %d since"
                    " the first %.0f s ago)",
                    job, cause, streak.failures - streak.reported_failures,
                    now - streak.reported_at, streak.failures, now - streak.first_at,
                )  # fmt: skip
                streak.reported_at, streak.reported_failures = now, streak.failures
            return
        self._streaks[job] = _Streak(cause, now, 1, now, 1)
        if env is not None:
            self.log.error(
                "job=%s failed: %s: %s (repeats are counted and reported every %.0f s)",
                job, env, exc, self.every_s,
            )  # fmt: skip
        else:
            self.log.exception(
                "job=%s failed (repeats are counted and reported every %.0f s)",
                job, self.every_s, exc_info=exc,
            )  # fmt: skip

    def succeeded(self, job: str) -> None:
        """``job`` ran to the end: close its streak of failures, if any."""
        streak = self._streaks.pop(job, None)
        if streak is not None:
            self.log.warning(
                "job=%s works again after %d failed run(s) over %.0f s (%s)",
                job, streak.failures, self.clock() - streak.first_at, streak.cause,
            )  # fmt: skip

    def failures(self, job: str) -> int:
        """Failed runs of ``job`` in its current streak (0: its last run succeeded)."""
        streak = self._streaks.get(job)
        return 0 if streak is None else streak.failures
