"""A dropped document-frequency table is freed at once (issue 16 item 6): its idf memo holds
it by weak reference, so a one-shot pass's released clusterer does not wait, with its table,
for a full collection that may come only after the pass's peak."""

from __future__ import annotations

import gc
import weakref
from collections import Counter

from aggregator.cluster import lexical


def test_a_dropped_doc_freq_is_freed_without_a_collection() -> None:
    gc.collect()
    gc.disable()
    try:
        df = lexical.DocFreq()
        df.load(10, [("fed", 3), ("rate", 5)])
        counts = Counter({"fed": 2, "rate": 1, "hike": 1})
        for _ in range(3):  # the third weighing on one state goes through the idf memo
            got = lexical.weigh(counts, df)
        assert len(df.idf_memo) == 3
        assert got["fed"] == max(got.values())
        gone = weakref.ref(df)
        del df
        assert gone() is None
    finally:
        gc.enable()


def test_the_memo_gives_the_table_s_idf() -> None:
    df = lexical.DocFreq()
    df.load(100, [("fed", 3), ("rate", 50)])
    for term in ("fed", "rate", "absent"):
        assert df.idf_memo[term] == df.idf(term)
