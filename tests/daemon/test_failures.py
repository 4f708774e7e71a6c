"""The daemon's failure log: one line per failure, repeats counted and reported on a timer."""

from __future__ import annotations

import errno
import logging
import sqlite3

import pytest

from aggregator.daemon.failures import FailureLog, environment_cause


def full_disk() -> sqlite3.OperationalError:
    """A real SQLITE_FULL from SQLite, not a hand-made exception."""
    db = sqlite3.connect(":memory:")
    db.execute("PRAGMA max_page_count = 2")
    db.execute("CREATE TABLE t (x BLOB)")
    try:
        db.execute("INSERT INTO t VALUES (zeroblob(100000))")
    except sqlite3.OperationalError as exc:
        return exc
    raise AssertionError("max_page_count did not refuse the write")


def test_disk_refusals_are_named_other_errors_are_not() -> None:
    assert environment_cause(full_disk()) == "store write failed (disk full)"
    assert environment_cause(OSError(errno.ENOSPC, "No space left")) == "disk full"
    assert environment_cause(ValueError("bug")) is None
    assert environment_cause(sqlite3.OperationalError("no such table: x")) is None


def test_a_repeating_failure_is_one_line_then_a_count(caplog: pytest.LogCaptureFixture) -> None:
    clock = [0.0]
    flog = FailureLog(logging.getLogger("t.failures"), every_s=60.0, clock=lambda: clock[0])
    caplog.set_level(logging.INFO, "t.failures")
    for _ in range(30):  # a tick a second for 30 s
        flog.failed("poll_tick", full_disk())
        clock[0] += 1.0
    assert len(caplog.records) == 1 and caplog.records[0].exc_info is None
    assert "job=poll_tick failed: store write failed (disk full)" in caplog.messages[0]
    for _ in range(40):  # past every_s: one line with the count
        flog.failed("poll_tick", full_disk())
        clock[0] += 1.0
    assert len(caplog.records) == 2
    assert "still failing" in caplog.messages[1] and "(60 more failures" in caplog.messages[1]
    assert flog.failures("poll_tick") == 70
    flog.succeeded("poll_tick")
    assert "works again after 70 failed run(s)" in caplog.messages[2]
    assert flog.failures("poll_tick") == 0
    flog.succeeded("poll_tick")  # no streak: nothing to say
    assert len(caplog.records) == 3


def test_a_bug_keeps_its_traceback_once(caplog: pytest.LogCaptureFixture) -> None:
    flog = FailureLog(logging.getLogger("t.failures2"), every_s=60.0, clock=lambda: 0.0)
    caplog.set_level(logging.INFO, "t.failures2")
    for _ in range(5):
        try:
            raise KeyError("feed 7")
        except KeyError as exc:
            flog.failed("publish", exc)
    assert len(caplog.records) == 1 and caplog.records[0].exc_info is not None
    flog.failed("publish", full_disk())  # a new cause is a new line
    assert len(caplog.records) == 2 and "disk full" in caplog.messages[1]
