"""Store stage, search: full-text search that folds Simplified and Traditional Chinese
(I/O: disk, reads ``items_fts`` / ``items_search``).

``search 美国`` must find 美國 and the reverse. Each query term is expanded into its script
variants (:func:`script_variants`: as written, Simplified, Traditional, Taiwan and Hong Kong
standard, all by OpenCC), and an item matches a term when it contains any variant. The index
keeps the text as published: the variants cover both directions (an item in either script
is found from a query in either), and the regional variants cover the characters regions
write differently (台灣/臺灣, 裡/裏), so no index over a million items needs rebuilding.
Terms of ≥ 3 characters use the trigram index; a query of only 1–2 character terms
(稀土, 利率) falls back to a bounded ``LIKE`` scan of recent items.

The same expansion is registered as SQLite functions for Datasette's canned search
(:func:`register_functions`, loaded by the plugin in ``aggregator/serve/datasette_plugins``).
"""

from __future__ import annotations

import re
import sqlite3
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aggregator.store.core import Store

#: Queries shorter than this many characters cannot use the trigram index.
FTS_TRIGRAM_MIN_CHARS = 3
#: Rows scanned by the LIKE fallback for short (1–2 character) queries.
SEARCH_FALLBACK_SCAN_LIMIT = 200_000
#: OpenCC conversions a term is expanded with (t2s: Traditional → Simplified; s2t, s2tw, s2hk:
#: Simplified → Traditional in general, Taiwan and Hong Kong standard).
VARIANT_CONFIGS = ("t2s", "s2t", "s2tw", "s2hk")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=1024)
def script_variants(term: str) -> tuple[str, ...]:
    """The term and its Simplified/Traditional forms, without repeats, in a fixed order."""
    out = [term]
    if _HAN.search(term):
        from aggregator.normalize.langid import opencc_converter

        for config in VARIANT_CONFIGS:
            v = opencc_converter(config).convert(term)
            if v not in out:
                out.append(v)
    return tuple(out)


def fts_expression(query: str) -> str:
    """FTS5 MATCH text for a whole query taken as one phrase: its variants OR-ed."""
    q = query.strip()
    return " OR ".join('"' + v.replace('"', '""') + '"' for v in script_variants(q)) if q else ""


def variant(query: str, i: int) -> str | None:
    """The ``i``-th variant of the query (None past the last): for ``LIKE`` in plain SQL."""
    vs = script_variants(query.strip())
    return vs[i] if 0 <= i < len(vs) else None


def register_functions(conn: sqlite3.Connection) -> None:
    """``zh_fts(q)`` and ``zh_variant(q, i)`` for SQL (Datasette's canned search)."""
    conn.create_function("zh_fts", 1, lambda q: fts_expression(str(q or "")), deterministic=True)
    conn.create_function(
        "zh_variant", 2, lambda q, i: variant(str(q or ""), int(i)), deterministic=True
    )


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_items(store: Store, query: str, limit: int = 50) -> list[dict[str, Any]]:
    """Items matching every term of ``query`` (each in any of its script variants), newest
    first."""
    terms = [t for t in re.split(r"\s+", query.strip()) if t]
    if not terms:
        return []
    long_terms = [t for t in terms if len(t) >= FTS_TRIGRAM_MIN_CHARS]
    short_terms = [t for t in terms if len(t) < FTS_TRIGRAM_MIN_CHARS]
    params: list[Any] = []
    where = []
    if long_terms:
        match = " AND ".join(f"({fts_expression(t)})" for t in long_terms)
        where.append("i.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)")
        params.append(match)
    for t in short_terms:
        # Same text as the index covers (items_search.body), so a search finds the same
        # items whatever the length of its terms.
        ors = []
        for v in script_variants(t):
            ors.append("s.title LIKE ? ESCAPE '\\' OR s.body LIKE ? ESCAPE '\\'")
            params += [_like(v), _like(v)]
        where.append(
            "EXISTS (SELECT 1 FROM items_search s WHERE s.id = i.id AND (" + " OR ".join(ors) + "))"
        )
    scope = ""
    if short_terms and not long_terms:
        scope = (
            f" AND i.id > (SELECT COALESCE(MAX(id), 0) FROM items) - {SEARCH_FALLBACK_SCAN_LIMIT}"
        )
    sql = (
        "SELECT i.id, i.title, i.url, i.lang, i.published_at, i.feed_id FROM items i WHERE "
        + " AND ".join(where)
        + scope
        + " ORDER BY i.id DESC LIMIT ?"
    )
    return store.rows(sql, (*params, limit))
