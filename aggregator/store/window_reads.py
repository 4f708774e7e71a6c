"""Store stage, clustering side: what the clustering window's load reads (I/O: disk).

:func:`window` reads the document frequencies and the window's members with SQLite's text
decoded by :mod:`sqlite3` itself; :func:`stored_vectors` reads the members' vectors back by
item id, a few hundred at a time, as the load puts them in the index (the members' query
selects only whether each has one: ``events.window_members(…, vector_blobs=False)``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import TypeVar

from aggregator.store import events as store_events
from aggregator.store.core import Store
from aggregator.store.limits import chunks

T = TypeVar("T")
#: A window's document frequencies' rows: ``[(term, df)…]``.
DocFreq = list[tuple[str, int]]

_VECTORS = "SELECT item_id, vector FROM item_vectors WHERE model = ? AND item_id IN ({})"


def window(
    store: Store, since: str, extractor: str, model: str, df: Callable[[int, DocFreq], object]
) -> list[store_events.WindowMember]:
    """``df(*events.load_doc_freq(store))``, then ``events.window_members`` (terms and
    vectors not read: ``terms_text``, ``vector_blobs`` off), both through
    :func:`utf8_reads` (the frequencies' rows are handed over, and freed, before the
    members are read)."""

    def read() -> list[store_events.WindowMember]:
        df(*store_events.load_doc_freq(store))
        return store_events.window_members(
            store, since, extractor, model, terms_text=False, vector_blobs=False
        )

    return utf8_reads(store, read)


def utf8_reads(store: Store, read: Callable[[], T]) -> T:
    """``read()`` (reads of ``store``) with SQLite's text decoded by sqlite3 in C, not by
    the store's replacing decoder (a Python call per text value: ~49,000 in a 4,000-member
    window load, ~6 % of its instructions). Where a text is not UTF-8, sqlite3 refuses it;
    ``read()`` then runs again with the store's decoder, so the values are always those the
    store's decoder gives."""
    conn = store.conn
    own = conn.text_factory
    conn.text_factory = str
    try:
        return read()
    except sqlite3.OperationalError as exc:
        if "decode" not in str(exc):
            raise
    finally:
        conn.text_factory = own
    return read()


def stored_vectors(store: Store, model: str, item_ids: Sequence[int]) -> dict[int, bytes]:
    """Item id → its stored vector (float32 bytes) made by embedder ``model``, for those of
    ``item_ids`` that have one (≤ 500 ids a statement)."""
    out: dict[int, bytes] = {}
    for chunk in chunks(item_ids):
        marks = ",".join("?" * len(chunk))
        out.update(store.conn.execute(_VECTORS.format(marks), (model, *chunk)).fetchall())
    return out
