"""Fetch stage, small pure helpers on URLs and raw headers: an origin, a redacted URL for
logs, a header value as sent (no I/O)."""

from __future__ import annotations

import httpx


def raw_header(response: httpx.Response, name: bytes) -> str | None:
    """A header value as latin-1 text, so it can be sent back byte for byte."""
    for key, value in response.headers.raw:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def origin_of(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


def redact(url: str) -> str:
    """``url`` without user:password, for logs and results."""
    try:
        u = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        return url
    return str(u.copy_with(username=None, password=None)) if u.userinfo else url
