"""Publish job: each member's summary terms kept between publishes (I/O: a SQLite cache file in
the store's cache folder, ``<store folder>/cache/view-terms.sqlite``).

When a report joins an event, the event's reader view is recomputed (``publish/view.py``), and
its summary folds the title and lead of every member again, though only the new one changed:
in the peer workload's "2 new per feed" pass, 1,624 of the 2,024 members of the 265 changed
events were folded in the previous publish. :func:`~aggregator.publish.view.member_terms` is a
function of a member's title, lead and view language only, so its result is kept here under a
digest of those and of the view code's fingerprint (``pipeline/code_id.py``): equal key →
equal terms, and a change of the view code (or of what it imports) misses every entry.

It is a cache, never the source of a decision: a missing, unreadable, locked or damaged file
costs the computation (the same terms), nothing else; the file is safe to delete. At most
:data:`MAX_ENTRIES` entries are kept, the oldest written going first (~2.3 KB each: the peer
workload's 4,000 members made a 9.3 MB file).
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Sequence
from pathlib import Path

from aggregator.models import EventMember
from aggregator.publish.view import MemberTerms, lang_key, member_terms
from aggregator.store import file_cache
from aggregator.store.blob_cache import BlobCache

#: The cache file, in the store's cache folder.
CACHE_FILE = "view-terms.sqlite"
#: Entries kept, at most (~46 MB; the members of a publish's candidate events, 400 of them
#: plus the stale ones, are a few thousand).
MAX_ENTRIES = 20_000
#: Computed entries held before they are written (one transaction): a first publish of the
#: peer workload computed 4,000 (6.5 MB of bytes held to the end, under the publish's peak;
#: ``bench/pass_memory.py --publish-marks``).
FLUSH_BYTES = 1 << 20


def _valid(v: object) -> bool:
    """A :data:`MemberTerms` shape (a damaged entry is computed anew)."""
    return (
        isinstance(v, tuple)
        and len(v) == 2
        and isinstance(v[0], tuple)
        and isinstance(v[1], tuple)
        and all(isinstance(c, tuple) and len(c) == 2 for c in v[1])
    )


class TermsCache:
    """:func:`member_terms` of members, read from and added to one cache file."""

    def __init__(self, path: Path, code: str) -> None:
        self.blobs = BlobCache(path)
        self.code = code
        self.pending: dict[bytes, bytes] = {}
        self._pending_bytes = 0

    def key(self, m: EventMember, lang: str) -> bytes:
        doc = "\0".join((self.code, lang, m.title, m.lead))
        return hashlib.sha256(doc.encode("utf-8", "surrogatepass")).digest()[:16]

    def _read(self, keys: list[bytes]) -> dict[bytes, MemberTerms]:
        found: dict[bytes, MemberTerms] = {}
        for k, data in self.blobs.get_many(keys).items():
            try:
                v = marshal.loads(data)
            except (EOFError, ValueError, TypeError):
                continue
            if _valid(v):
                found[k] = v
        return found

    def prepared(self, members: Sequence[EventMember]) -> dict[int, MemberTerms]:
        """``item id → member_terms(m, its view language)`` of every member in a view
        language: kept ones read, the others computed (and written once
        :data:`FLUSH_BYTES` of them are pending, or at :meth:`close`)."""
        todo: list[tuple[EventMember, str, bytes]] = []
        for m in members:
            lang = lang_key(m.lang)
            if lang is not None:
                todo.append((m, lang, self.key(m, lang)))
        found = self._read([k for _, _, k in todo])
        out: dict[int, MemberTerms] = {}
        for m, lang, k in todo:
            got = found.get(k)
            if got is None:
                got = member_terms(m, lang)
                data = self.pending[k] = marshal.dumps(got)
                self._pending_bytes += len(data)
            out[m.item_id] = got
        if self._pending_bytes >= FLUSH_BYTES:
            self._flush()
        return out

    def _flush(self) -> None:
        """Keep the computed entries (one transaction), the newest :data:`MAX_ENTRIES`."""
        try:
            self.blobs.put_many(self.pending, MAX_ENTRIES)
        finally:
            self.pending, self._pending_bytes = {}, 0

    def close(self) -> None:
        """Keep what is still pending, close the file."""
        try:
            self._flush()
        finally:
            self.blobs.close()


def open_cache(store_path: Path, code: str) -> TermsCache:
    """The cache of the store at ``store_path``, for view code ``code`` (its fingerprint)."""
    return TermsCache(file_cache.cache_path(store_path, CACHE_FILE), code)
