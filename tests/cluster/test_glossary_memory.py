"""Memory of the CC-CEDICT senses table (issue 16 item 6: ``poll --all`` ≤ 100 MB peak
without the model). Building it on a fresh store was the peak of the peer benchmark's pass 1:
the whole dictionary text and the list of its lines were held beside the table (~84 MB
traced for a ~30 MB table)."""

from __future__ import annotations

import gc
import tracemalloc

from aggregator.cluster import cedict


def _traced(fn: object) -> tuple[object, int, int]:
    """``fn()``, the bytes it left allocated and the peak it allocated on the way."""
    assert callable(fn)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        got = fn()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return got, held - base, peak - base


def test_reading_the_dictionary_holds_little_beyond_the_table() -> None:
    senses, held, peak = _traced(cedict.read_senses)
    assert isinstance(senses, dict) and len(senses) > 100_000
    assert held > 10_000_000  # the table itself (strings interned earlier count less)
    assert peak <= held * 1.15 + 1_000_000, (peak, held)
