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


def test_the_glossary_holds_the_table_packed() -> None:
    """The glossary a process keeps: ≤ 12 MB traced (the dict of interned keys and sense
    strings held ~29.5 MB; sorted headword strings in a frozenset beside the senses' blob,
    ~19 MB), its words and senses those of the dict."""
    packed = cedict.read_packed()
    glossary, held, _ = _traced(lambda: cedict.Glossary(packed))
    assert isinstance(glossary, cedict.Glossary)
    senses = cedict.read_senses()
    # the blob is shared with `packed`, read before: count it too
    assert held + len(glossary._senses.blob) <= 12_000_000, held
    assert len(glossary) == len(senses) and set(glossary) == set(senses)
    assert all(glossary.senses(w) == raw for w, raw in senses.items())
    for absent in ("", "美联储美联储", "a", "\U00020000", "中国\n美国"):
        assert glossary.senses(absent) is None and absent not in glossary


def test_a_dropped_glossary_is_freed_without_a_collection() -> None:
    """No reference cycle (the glosses memo called a bound method of the glossary): a
    one-shot pass releases it before publishing, and the next full collection may come
    only after the pass's peak."""
    packed = cedict.read_packed()

    def alive() -> int:  # the process may hold others (the cached glossary of other tests)
        return sum(1 for o in gc.get_objects() if type(o) is cedict.Glossary)

    gc.collect()
    gc.disable()
    try:
        before = alive()
        g = cedict.Glossary(packed)
        assert g.glosses["美联储"] and g.get("中国")  # the memo filled through the senses
        assert alive() == before + 1
        del g
        assert alive() == before
    finally:
        gc.enable()


def test_building_the_packed_table_holds_little_beyond_it() -> None:
    """A new store's first clustering pass builds the table: with the dict of 118k sense
    strings (:func:`cedict.read_senses`) then packed, that build peaked at ~40 MB traced for
    a ~7 MB table, the highest point of the cluster stage; built from the entries as they
    are read it peaks at ~21 MB, and gives the same bytes."""
    packed, held, peak = _traced(cedict.read_packed)
    assert cedict.is_packed(packed)
    assert 5_000_000 < held < 9_000_000, held
    assert peak <= 26_000_000, (peak, held)
    assert packed == cedict.pack(cedict.read_senses())
