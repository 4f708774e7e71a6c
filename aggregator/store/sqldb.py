"""Store stage: the two things the store used from ``sqlite_utils.Database`` (I/O: disk).

:meth:`Database.execute` (a write outside a transaction commits at once) and
:meth:`Database.atomic` (``BEGIN`` … ``COMMIT``, nested blocks as savepoints), with the same
semantics as sqlite-utils 4, and ``PRAGMA recursive_triggers = on`` as its constructor set.
Why not sqlite-utils itself: importing it imports numpy (for its column-type map) and its
plugin manager, ~70 ms of a 0.7 s ``poll --all`` in which every feed answered 304 (issue 16,
``python -X importtime``). ``db[name]`` still hands out a sqlite-utils ``Table`` (imported on
that first use) for scripts and tests that edit a row by hand.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
import weakref
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import sqlite_utils

#: Statements that manage a transaction themselves: :meth:`Database.execute` never commits
#: after them (sqlite-utils' ``_TRANSACTION_CONTROL_KEYWORDS``).
_TRANSACTION_CONTROL = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"})


def _first_keyword(sql: str) -> str:
    """The statement's first word, upper case, after space, ``;``, a BOM and comments."""
    i, n = 0, len(sql)
    while i < n:
        if sql[i].isspace() or sql[i] in (";", "\ufeff"):
            i += 1
        elif sql.startswith("--", i):
            nl = sql.find("\n", i)
            i = n if nl < 0 else nl + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            break
    j = i
    while j < n and (sql[j].isalnum() or sql[j] == "_"):
        j += 1
    return sql[i:j].upper()


class HeldWrites(Protocol):
    """Rows a writer holds back to the end of the transaction it wrote them in (the band rows
    of ``band_index``), registered with :meth:`Database.hold`."""

    def flush(self) -> None:
        """Write the held rows (called right before the transaction's ``COMMIT``)."""

    def rolled_back(self) -> None:
        """A rollback (of a savepoint or the whole transaction) happened: drop the held rows
        it undid (called right after it)."""


class Database:
    """A connection with sqlite-utils' ``execute`` and ``atomic`` (see the module docstring)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._utils: sqlite_utils.Database | None = None
        #: Writers holding rows back to a commit (weakly: an owner keeps its writer alive
        #: at least until its transaction ends).
        self._held: weakref.WeakSet[HeldWrites] = weakref.WeakSet()
        self.execute("PRAGMA recursive_triggers=on;")

    def hold(self, writer: HeldWrites) -> None:
        """Have ``writer``'s held rows flushed before every ``COMMIT`` (:meth:`atomic`'s and
        the store's) and told of every rollback."""
        self._held.add(writer)

    def flush_held(self) -> None:
        """Right before a ``COMMIT``: every held row is written inside the transaction."""
        for w in list(self._held):
            w.flush()

    def rolled_back(self) -> None:
        """Right after a rollback: writers drop the held rows it undid."""
        for w in list(self._held):
            w.rolled_back()

    def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None,
                ) -> sqlite3.Cursor:
        """Run one statement; a write that opened a transaction is committed at once."""
        was_in_transaction = self.conn.in_transaction
        try:
            cursor = (self.conn.execute(sql) if parameters is None
                      else self.conn.execute(sql, parameters))
        except Exception:
            if not was_in_transaction and self.conn.in_transaction:
                # The failed statement opened an implicit transaction nothing would commit.
                self.conn.execute("ROLLBACK")
            raise
        if (not was_in_transaction and self.conn.in_transaction
                and cursor.description is None
                and _first_keyword(sql) not in _TRANSACTION_CONTROL):
            self.conn.execute("COMMIT")
        return cursor

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Database]:
        """One transaction; nested in an open one, a savepoint."""
        if self.conn.in_transaction:
            savepoint = f"sqlite_utils_{secrets.token_hex(16)}"
            self.conn.execute(f"SAVEPOINT {savepoint};")
            try:
                yield self
            except BaseException:
                # A RAISE(ROLLBACK) trigger can destroy the whole transaction, savepoints
                # included: cleaning up then would mask the original error.
                if self.conn.in_transaction:
                    self.conn.execute(f"ROLLBACK TO SAVEPOINT {savepoint};")
                    self.conn.execute(f"RELEASE SAVEPOINT {savepoint};")
                self.rolled_back()
                raise
            else:
                self.conn.execute(f"RELEASE SAVEPOINT {savepoint};")
            return
        self.conn.execute("BEGIN")
        try:
            yield self
        except BaseException:
            self._rollback()  # nothing to do if the error already ended the transaction
            raise
        else:
            try:
                self.flush_held()
                self.conn.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self.rolled_back()

    def __getitem__(self, table_name: str) -> Any:
        """A sqlite-utils ``Table`` or ``View`` on this connection (imports sqlite-utils)."""
        if self._utils is None:
            import sqlite_utils

            self._utils = sqlite_utils.Database(self.conn)
        return self._utils[table_name]
