"""Fetch stage, one HTTP response's mechanics: raw bytes + headers → body, Retry-After, lifetime.

Pure (no I/O, the caller passes ``now``). Split out of :mod:`.client`, which does the
network part. The bounded decoder exists because httpx's own decoder inflates a whole network
chunk before a caller can cap it: a 102 KB gzip body came back as 67 MB in one chunk, and a
3.5 KB ``Content-Encoding: gzip, gzip`` body hit MemoryError (reliability catalogue §0.4).

Exception hierarchy::

    ResponseError (Exception)
     ├── BodyTooLarge     decoded or raw body over the cap
     └── BadEncoding      unsupported or stacked Content-Encoding; corrupt gzip/deflate data
"""

from __future__ import annotations

import contextlib
import email.utils
import io
import zlib
from datetime import UTC, datetime

import httpx

from aggregator.config import MIB
from aggregator.errors import (
    ResponseError as ResponseError,  # re-exported: callers import it from here
)

#: Input handed to zlib per step, and most output taken per call: inflating proceeds in small
#: pieces, so the body buffer is the only thing that grows (a 64 KiB chunk of a zero bomb
#: would otherwise come back as one cap-sized bytes object, doubling peak memory; measured).
INFLATE_STEP_BYTES = 64 * 1024
INFLATE_OUT_STEP_BYTES = 256 * 1024


class BodyTooLarge(ResponseError):
    pass


class BadEncoding(ResponseError):
    pass


def size_text(n: int) -> str:
    """``15 MiB`` for whole MiB, else a byte count."""
    return f"{n / MIB:g} MiB" if n % MIB == 0 else f"{n} bytes"


class BoundedDecoder:
    """Content-Encoding decoder that never produces more than ``cap`` bytes.

    Accepts ``identity``, ``gzip`` (``x-gzip``) or ``deflate`` (zlib or raw), one layer only.
    ``zlib.decompressobj().decompress(data, max_length)`` stops inflating at the cap, so a
    100 MB gzip bomb costs about ``cap`` of memory, not 100 MB.
    """

    def __init__(self, content_encoding: str | None, cap: int) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1:
            raise BadEncoding(f"unsupported Content-Encoding: {content_encoding}")
        self.coding = codings[0] if codings else "identity"
        if self.coding == "x-gzip":
            self.coding = "gzip"
        if self.coding not in ("identity", "gzip", "deflate"):
            raise BadEncoding(f"unsupported Content-Encoding: {content_encoding}")
        self.cap = cap
        self.size = 0
        self._out = io.BytesIO()
        self._z: zlib._Decompress | None = None
        if self.coding == "gzip":
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.coding == "deflate":
            self._z = zlib.decompressobj(zlib.MAX_WBITS)
        self._first = True

    def _emit(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.cap:
            raise BodyTooLarge(f"body exceeds {size_text(self.cap)} decoded")
        self._out.write(data)

    def feed(self, chunk: bytes) -> None:
        if self._z is None:
            self._emit(chunk)
            return
        for i in range(0, len(chunk), INFLATE_STEP_BYTES):
            data = chunk[i : i + INFLATE_STEP_BYTES]
            while data:
                # One byte over the cap proves "too large".
                room = min(self.cap - self.size + 1, INFLATE_OUT_STEP_BYTES)
                try:
                    out = self._z.decompress(data, room)
                except zlib.error as exc:
                    if self.coding == "deflate" and self._first:
                        # Some servers send raw deflate without the zlib header (as httpx does).
                        self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                        self._first = False
                        continue
                    raise BadEncoding(f"invalid {self.coding} body: {exc}") from exc
                self._first = False
                self._emit(out)
                data = self._z.unconsumed_tail

    def finish(self) -> bytes:
        if self._z is not None:
            try:
                # Input is all consumed here, so at most zlib's window is still pending.
                self._emit(self._z.flush())
            except zlib.error as exc:
                raise BadEncoding(f"invalid {self.coding} body: {exc}") from exc
        return self._out.getvalue()


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now`` (delta-seconds or an HTTP date), ≥ 0."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def parse_cache_lifetime(headers: httpx.Headers, now: datetime) -> float | None:
    """Freshness lifetime in seconds from ``Cache-Control: max-age`` (preferred) or ``Expires``."""
    cc = headers.get("cache-control", "")
    for part in cc.split(","):
        name, _, arg = part.strip().partition("=")
        name = name.strip().lower()
        if name in ("no-cache", "no-store"):
            return 0.0
        if name == "max-age":
            with contextlib.suppress(ValueError):
                return max(0.0, float(int(arg.strip().strip('"'))))
    expires = headers.get("expires")
    if expires:
        try:
            exp = email.utils.parsedate_to_datetime(expires)
        except (TypeError, ValueError):
            return 0.0  # RFC 9111 §5.3: an invalid Expires means "already expired"
        base = now
        with contextlib.suppress(TypeError, ValueError):
            if headers.get("date"):
                base = email.utils.parsedate_to_datetime(headers["date"])
        if exp.tzinfo is None:
            exp = exp.replace(tzinfo=UTC)
        if base.tzinfo is None:
            base = base.replace(tzinfo=UTC)
        return max(0.0, (exp - base).total_seconds())
    return None
