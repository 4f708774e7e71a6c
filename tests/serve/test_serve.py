"""Tests for serve.server against a real server on 127.0.0.1 (raw sockets as the client)."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from aggregator.config import ServerConfig
from aggregator.serve.server import (
    IDLE_EVICT_AFTER_S,
    MONITOR_RESERVE_CONNECTIONS,
    FeedServer,
    accepts_gzip,
)

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
FILES = {
    "events.atom": ("application/atom+xml; charset=utf-8", b"<feed>" + b"a" * 2000 + b"</feed>"),
    "events.rss": ("application/rss+xml; charset=utf-8", b"<rss/>"),
    "events.json": ("application/feed+json; charset=utf-8", b'{"version": 1}'),
    "items.atom": ("application/atom+xml; charset=utf-8", b"<feed/>"),
    "items.rss": ("application/rss+xml; charset=utf-8", b"<rss/>"),
    "items.json": ("application/feed+json; charset=utf-8", b"{}"),
    "index.html": ("text/html; charset=utf-8", "<h1>新闻</h1>".encode()),
}


@dataclass
class Resp:
    status: int
    headers: dict[str, str]
    body: bytes


class State:
    healthy = True


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[FeedServer]:
    pub = tmp_path / "public"
    pub.mkdir()
    for name, (_, body) in FILES.items():
        (pub / name).write_bytes(body)
    (tmp_path / "config.toml").write_text("secret = 1\n")
    State.healthy = True

    def health() -> dict[str, Any]:
        return {"ok": State.healthy, "feeds": 3}

    def metrics() -> str:
        return "# TYPE aggregator_feeds gauge\naggregator_feeds 3\n"

    srv = FeedServer(ServerConfig(port=0, idle_timeout_s=1.0), pub, health, metrics)
    await srv.start()
    yield srv
    await srv.stop()


async def read_response(reader: asyncio.StreamReader, method: str = "GET") -> Resp:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        if line:
            k, _, v = line.partition(":")
            headers[k.lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    body = b"" if method == "HEAD" or status == 304 else await reader.readexactly(n)
    return Resp(status, headers, body)


async def request(
    port: int, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> Resp:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        return await asyncio.wait_for(read_response(reader, method), 5)
    finally:
        writer.close()


def assert_security_headers(r: Resp) -> None:
    assert r.headers["content-security-policy"] == CSP
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


async def test_media_types_and_bodies(server: FeedServer) -> None:
    for name, (ctype, body) in FILES.items():
        r = await request(server.port, "/" + name)
        assert r.status == 200, name
        assert r.headers["content-type"] == ctype
        assert r.body == body
        assert r.headers["etag"].startswith('"')
        assert_security_headers(r)
    root = await request(server.port, "/?utm=x")
    assert root.body == FILES["index.html"][1]


async def test_etag_and_last_modified_give_304(server: FeedServer) -> None:
    r = await request(server.port, "/events.rss")
    etag, lm = r.headers["etag"], r.headers["last-modified"]
    r304 = await request(server.port, "/events.rss", headers={"If-None-Match": etag})
    assert r304.status == 304 and r304.body == b"" and r304.headers["etag"] == etag
    assert_security_headers(r304)
    assert (await request(server.port, "/events.rss", headers={"If-None-Match": '"x"'})).status
    assert (
        await request(server.port, "/events.rss", headers={"If-Modified-Since": lm})
    ).status == 304
    old = formatdate(time.time() - 86400 * 365, usegmt=True)
    assert (
        await request(server.port, "/events.rss", headers={"If-Modified-Since": old})
    ).status == 200
    # If-None-Match wins over If-Modified-Since
    both = {"If-None-Match": '"other"', "If-Modified-Since": lm}
    assert (await request(server.port, "/events.rss", headers=both)).status == 200


async def test_file_change_new_etag(server: FeedServer, tmp_path: Path) -> None:
    r1 = await request(server.port, "/items.json")
    f = tmp_path / "public" / "items.json"
    tmp = f.with_suffix(".tmp")
    tmp.write_bytes(b'{"changed": true}')
    os.replace(tmp, f)  # atomic publish, as publish does
    r2 = await request(server.port, "/items.json", headers={"If-None-Match": r1.headers["etag"]})
    assert r2.status == 200 and r2.body == b'{"changed": true}'
    assert r2.headers["etag"] != r1.headers["etag"]


async def test_gzip(server: FeedServer) -> None:
    r = await request(server.port, "/events.atom", headers={"Accept-Encoding": "gzip, br"})
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(r.body) == FILES["events.atom"][1]
    assert len(r.body) < len(FILES["events.atom"][1])
    again = await request(
        server.port,
        "/events.atom",
        headers={"Accept-Encoding": "gzip", "If-None-Match": r.headers["etag"]},
    )
    assert again.status == 304
    plain = await request(server.port, "/events.atom", headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in plain.headers and plain.body == FILES["events.atom"][1]
    assert accepts_gzip("*") and not accepts_gzip("br") and not accepts_gzip("")


async def test_head(server: FeedServer) -> None:
    r = await request(server.port, "/events.atom", method="HEAD")
    assert r.status == 200
    assert int(r.headers["content-length"]) == len(FILES["events.atom"][1])


async def test_other_methods_405(server: FeedServer) -> None:
    for method in ("POST", "PUT", "DELETE", "OPTIONS", "TRACE"):
        r = await request(server.port, "/events.atom", method=method)
        assert r.status == 405
        assert r.headers["allow"] == "GET, HEAD"
        assert_security_headers(r)


@pytest.mark.parametrize(
    "path",
    [
        "/../config.toml",
        "/%2e%2e/config.toml",
        "/%2e%2e/",
        "/public/events.atom",
        "//events.atom",
        "/events.atom/",
        "/EVENTS.ATOM",
        "/index.html%00",
        "/.",
        "/config.toml",
        "/<script>alert(1)</script>",
    ],
)
async def test_no_traversal_no_listing(server: FeedServer, path: str) -> None:
    r = await request(server.port, path)
    assert r.status == 404
    assert b"secret" not in r.body and b"script" not in r.body
    assert r.body == b"404 Not Found\n"
    assert_security_headers(r)


async def test_bad_requests(server: FeedServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /x\r\n\r\n")
    assert (await read_response(reader)).status == 400
    writer.close()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /events.rss HTTP/1.1\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n")
    assert (await read_response(reader)).status in (414, 431)
    writer.close()


async def test_healthz(server: FeedServer) -> None:
    r = await request(server.port, "/healthz")
    assert r.status == 200 and r.headers["content-type"].startswith("application/json")
    assert b'"feeds": 3' in r.body
    State.healthy = False
    assert (await request(server.port, "/healthz")).status == 503


async def test_metrics(server: FeedServer) -> None:
    r = await request(server.port, "/metrics")
    assert r.status == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert r.body.decode().splitlines() == ["# TYPE aggregator_feeds gauge", "aggregator_feeds 3"]


async def test_keep_alive(server: FeedServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    for _ in range(3):
        writer.write(b"GET /events.rss HTTP/1.1\r\nHost: x\r\n\r\n")
        r = await asyncio.wait_for(read_response(reader), 5)
        assert r.status == 200 and r.headers["connection"] == "keep-alive"
    writer.close()


async def test_binds_loopback_by_default(tmp_path: Path) -> None:  # OUT-06
    assert ServerConfig().host == "127.0.0.1"
    srv = FeedServer(ServerConfig(port=0), tmp_path, lambda: {"ok": True}, lambda: "")
    await srv.start()
    try:
        assert srv.addresses == [("127.0.0.1", srv.port)]
        # the kernel's view: every listening socket on our port is on 127.0.0.1
        assert listening_addresses(srv.port) == {"127.0.0.1"}
    finally:
        await srv.stop()


def listening_addresses(port: int) -> set[str]:
    """Local IPv4/IPv6 addresses in LISTEN state on ``port``, from /proc/net/tcp{,6}."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            pytest.skip("no /proc/net/tcp")
        for line in lines:
            fields = line.split()
            addr_hex, port_hex = fields[1].split(":")
            if int(port_hex, 16) != port or fields[3] != "0A":  # 0A = TCP_LISTEN
                continue
            raw = bytes.fromhex(addr_hex)
            if len(raw) == 4:
                found.add(str(ipaddress.IPv4Address(raw[::-1])))
            else:  # four little-endian 32-bit words
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                found.add(str(ipaddress.IPv6Address(words)))
    return found


async def test_idle_timeout_closes_slowloris(server: FeedServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    t0 = time.monotonic()
    writer.write(b"GET /events.rss HTTP/1.1\r\n")
    for _ in range(30):  # trickle a header byte every 0.1 s; the head deadline (1 s) ends it
        try:
            writer.write(b"X")
            await writer.drain()
        except ConnectionError:
            break
        if reader.at_eof():
            break
        await asyncio.sleep(0.1)
    data = await asyncio.wait_for(reader.read(), 3)
    assert data == b""
    assert time.monotonic() - t0 < 2.5
    writer.close()


async def test_500_idle_connections_do_not_block_a_request(tmp_path: Path) -> None:  # OUT-07
    (tmp_path / "events.rss").write_bytes(b"<rss/>")
    cfg = ServerConfig(port=0, max_connections=100, idle_timeout_s=15.0)
    srv = FeedServer(cfg, tmp_path, lambda: {"ok": True}, lambda: "")
    await srv.start()
    idle: list[asyncio.StreamWriter] = []
    try:
        for _ in range(500):
            _, w = await asyncio.open_connection("127.0.0.1", srv.port)
            w.write(b"GET /events.rss HTTP/1.1\r\n")  # never finishes its head
            idle.append(w)
        await asyncio.sleep(IDLE_EVICT_AFTER_S + 0.2)  # old enough to be evicted
        # the monitoring reserve (/healthz, /metrics only) may hold a few more
        assert srv.open_connections <= cfg.max_connections + MONITOR_RESERVE_CONNECTIONS
        t0 = time.monotonic()
        r = await request(srv.port, "/events.rss")
        elapsed = time.monotonic() - t0
        assert r.status == 200 and r.body == b"<rss/>"
        assert elapsed < 1.0, elapsed
        # every connection over the slots was dropped: evicted (idle ≥ IDLE_EVICT_AFTER_S) or
        # refused at connect (younger than that)
        dropped = srv.counters["evicted"] + srv.counters["rejected"]
        assert dropped >= 500 - cfg.max_connections - MONITOR_RESERVE_CONNECTIONS
    finally:
        for w in idle:
            w.close()
        await srv.stop()
