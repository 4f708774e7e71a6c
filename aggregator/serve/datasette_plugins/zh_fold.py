"""Datasette plugin (loaded with ``--plugins-dir`` by :mod:`aggregator.serve.datasette`):
registers ``zh_fts(q)`` and ``zh_variant(q, i)`` on every connection, so the canned
``search`` query finds 美國 from 美国 and the reverse (pure; no I/O of its own)."""

from __future__ import annotations

import sqlite3

from datasette import hookimpl

from aggregator.store.search_fold import register_functions


@hookimpl  # type: ignore[untyped-decorator]
def prepare_connection(conn: sqlite3.Connection) -> None:
    register_functions(conn)
