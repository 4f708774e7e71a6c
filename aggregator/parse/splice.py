"""Parse stage, entry segments of a raw document: fingerprints and splicing (pure; CPU only).

A re-delivered page mostly repeats entries seen at the last parse. :func:`entry_fingerprints`
fingerprints each ``<item>``/``<entry>`` segment of the raw bytes, so the pipeline can skip a
document whose entries were all seen, and :func:`splice_known_entries` cuts the seen ones out
before parsing. Nothing is cut where a look-alike tag sits inside CDATA or a comment.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import re

_ENTRY_START = re.compile(rb"<(?:item|entry)[\s>/]", re.I)
#: Bytes of each entry-segment fingerprint: 8 bytes make a collision between two segments of
#: one feed negligible (~1e-17 for 500 entries) and keep the stored set small.
ENTRY_FINGERPRINT_BYTES = 8


def entry_fingerprints(body: bytes, limit: int | None = None) -> frozenset[str] | None:
    """Fingerprints of a raw document's entry segments — from each ``<item``/``<entry`` start
    to the next one, the last to the end — so every byte after the channel header is covered
    (blank space at a segment's end excepted: indentation is not content).
    A document whose segments were all seen at the last parse has no new or changed entry
    even if its channel header changed (``<lastBuildDate>`` on every request): the pipeline
    skips parsing it. None when the document has no such elements (JSON Feed, not a feed).

    ``limit``: only the first ``limit`` segments — the entries past ``max_entries_per_feed``
    are never parsed, so their fingerprints tell nothing; a hostile 15 MiB document has
    ~68,000 entries, whose fingerprint set (~6.5 MB) the daemon held per feed until the end
    of the poll and stored (issue 15, item 8)."""
    starts = [m.start() for m in itertools.islice(_ENTRY_START.finditer(body), limit)]
    if not starts:
        return None
    bounds = [*starts, len(body)]
    if limit is not None and len(starts) == limit:
        nxt = _ENTRY_START.search(body, starts[-1] + 1)
        bounds[-1] = nxt.start() if nxt is not None else len(body)
    return frozenset(_fingerprint(body[a:b]) for a, b in itertools.pairwise(bounds))


#: One whole entry element and the blank space after it (a segment that may be cut out).
_WHOLE_ENTRY = re.compile(rb"<(item|entry)[\s>/].*</\1\s*>\s*", re.I | re.S)
_ENTRY_END = re.compile(rb"</(?:item|entry)\s*>", re.I)
#: Text where markup is not markup: a look-alike entry tag in here is not an entry.
_OPAQUE = re.compile(rb"<!\[CDATA\[.*?\]\]>|<!--.*?-->", re.S)


def _start_inside_opaque(body: bytes, starts: list[int]) -> bool:
    if b"<![CDATA[" not in body and b"<!--" not in body:
        return False
    for m in _OPAQUE.finditer(body):
        i = bisect.bisect_left(starts, m.start())
        if i < len(starts) and starts[i] < m.end():
            return True
    return False


def _fingerprint(segment: bytes) -> str:
    """Fingerprint of an entry segment, blank space at its end left out (it is indentation
    before the next entry, or before the trailer when the entry is the last one)."""
    return hashlib.blake2b(
        segment.rstrip(b" \t\r\n"), digest_size=ENTRY_FINGERPRINT_BYTES
    ).hexdigest()


def splice_known_entries(body: bytes, known: frozenset[str] | set[str]) -> tuple[bytes, int]:
    """``body`` without the entry elements whose segments (see :func:`entry_fingerprints`)
    were all seen at the last parse, and how many were cut. A feed that adds two items to a
    page of twenty is then parsed (and normalised, and looked up) for two, not twenty.

    Only a segment that is exactly one ``<item>``/``<entry>`` element plus blank space is cut
    (the last one: up to its end tag), so the rest stays well-formed. A look-alike start tag
    inside CDATA or a comment means the segments are not entries: nothing is cut. If a cut
    still leaves a malformed document, the caller parses the whole body instead."""
    starts = [m.start() for m in _ENTRY_START.finditer(body)]
    if not starts or not known or _start_inside_opaque(body, starts):
        return body, 0
    bounds = [*starts, len(body)]
    pieces: list[bytes] = []
    pos = cut = 0
    last = len(starts) - 1
    for i, (a, b) in enumerate(itertools.pairwise(bounds)):
        segment = body[a:b]
        if i == last:
            # The last segment runs to the end of the document. Its entry was a middle
            # segment last time if the page has since dropped its oldest entry.
            ends = list(_ENTRY_END.finditer(segment))
            if not ends:
                continue
            element = segment[: ends[-1].end()]
            if _fingerprint(element) not in known and _fingerprint(segment) not in known:
                continue
            segment = element
        elif _fingerprint(segment) not in known:
            continue
        if _WHOLE_ENTRY.fullmatch(segment) is None:
            continue
        pieces.append(body[pos:a])
        pos = a + len(segment)
        cut += 1
    if not cut:
        return body, 0
    pieces.append(body[pos:])
    return b"".join(pieces), cut


def cap_entries(body: bytes, max_entries: int) -> bytes:
    """``body`` without the entry elements after the first ``max_entries`` (pure). The
    parsers keep only those anyway (``parse.max_entries_per_feed``); cutting the rest before
    parsing bounds the parser's time and memory by the entries kept, not by the document
    (40k entries in 10 MB of Atom took feedparser ~200 MB and over 20 s). Only whole
    elements are cut, the document's trailer is kept; anything unusual (no XML, a look-alike
    tag in CDATA or a comment, no end tag) leaves the body as it is."""
    if max_entries <= 0 or body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"<":
        return body
    starts = [m.start() for m in _ENTRY_START.finditer(body)]
    if len(starts) <= max_entries or _start_inside_opaque(body, starts):
        return body
    kept_end = None
    for m in _ENTRY_END.finditer(body, starts[max_entries - 1], starts[max_entries]):
        kept_end = m.end()
    last_end = None
    for m in _ENTRY_END.finditer(body, starts[-1]):
        last_end = m.end()
    if kept_end is None or last_end is None:
        return body
    return body[:kept_end] + body[last_end:]
