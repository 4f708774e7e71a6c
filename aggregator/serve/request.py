"""Serve stage: reading an HTTP/1.1 request head and the header rules (I/O: reads a stream).

``read_request`` turns bytes from a client into a :class:`Request` or raises
:class:`BadRequest` with the status to answer; the rest are pure checks on header values
(RFC 9110/9112). Split from :mod:`aggregator.serve.server` to keep each file small.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from aggregator.errors import AggregatorError

#: Request line plus headers, bytes. 8 KiB is what nginx/Apache accept per line by default.
MAX_HEAD_BYTES = 8 * 1024
MAX_HEADER_FIELDS = 100


class BadRequest(AggregatorError):
    """The request head is refused with ``status``; the connection ends after the answer."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    version: str
    #: Lower-cased names; repeated fields joined with ", ".
    headers: Mapping[str, str]

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def keep_alive(self) -> bool:
        conn = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in conn
        return "close" not in conn

    @property
    def has_body(self) -> bool:
        return "transfer-encoding" in self.headers or self.headers.get(
            "content-length", "0"
        ).strip() not in ("", "0")


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """Read one request head; ``None`` on a clean EOF before any byte."""
    total = 0
    line = b"\r\n"
    while line in (b"\r\n", b"\n"):  # RFC 9112 §2.2: ignore empty lines before a request
        try:
            line = await reader.readline()
        except ValueError as exc:  # longer than the stream limit
            raise BadRequest(414) from exc
        if not line:
            return None
        total += len(line)
        if total > MAX_HEAD_BYTES:
            raise BadRequest(414)
    parts = line.decode("latin-1").rstrip("\r\n").split(" ")
    if len(parts) != 3 or not parts[0].isalpha() or not parts[1]:
        raise BadRequest(400)
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise BadRequest(505 if version.startswith("HTTP/") else 400)
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADER_FIELDS + 1):
        try:
            line = await reader.readline()
        except ValueError as exc:
            raise BadRequest(431) from exc
        total += len(line)
        if total > MAX_HEAD_BYTES:
            raise BadRequest(431)
        if not line.endswith(b"\n"):
            raise asyncio.IncompleteReadError(line, None)
        if line in (b"\r\n", b"\n"):
            return Request(method, target, version, headers)
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest(400)
        key, value = name.lower(), value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    raise BadRequest(431)


def accepts_gzip(accept_encoding: str) -> bool:
    """True when ``Accept-Encoding`` allows gzip (explicitly or via ``*``) with q > 0."""
    allowed: dict[str, bool] = {}
    for part in accept_encoding.split(","):
        coding, _, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            k, _, v = p.strip().partition("=")
            if k.lower() == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        allowed[coding.strip().lower()] = q > 0
    return allowed.get("gzip", allowed.get("x-gzip", allowed.get("*", False)))


def etag_matches(if_none_match: str, etags: tuple[str, ...]) -> bool:
    if if_none_match.strip() == "*":
        return True
    sent = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return any(e in sent for e in etags)


def check_host(req: Request) -> None:
    """RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host and for any request with more
    than one Host field (repeated fields arrive joined with ", ", which no host contains)."""
    host = req.headers.get("host")
    if (host is None and req.version == "HTTP/1.1") or (host is not None and "," in host):
        raise BadRequest(400)
