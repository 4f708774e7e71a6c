"""Store stage, clustering side: stored item vectors read back by item id (I/O: disk).

The clustering window's load selects whether each member has a vector, not its bytes
(``events.window_members(…, vector_blobs=False)``), and reads the bytes here a few hundred
members at a time, in window order, as it puts them in the index.
"""

from __future__ import annotations

from collections.abc import Sequence

from aggregator.store.core import Store
from aggregator.store.limits import chunks

_SQL = "SELECT item_id, vector FROM item_vectors WHERE model = ? AND item_id IN ({})"


def stored(store: Store, model: str, item_ids: Sequence[int]) -> dict[int, bytes]:
    """Item id → its stored vector (float32 bytes) made by embedder ``model``, for those of
    ``item_ids`` that have one (≤ 500 ids a statement)."""
    out: dict[int, bytes] = {}
    for chunk in chunks(item_ids):
        marks = ",".join("?" * len(chunk))
        out.update(store.conn.execute(_SQL.format(marks), (model, *chunk)).fetchall())
    return out
