"""Tests for how serve.server ends responses and connections (issue 15, item 2): every byte of
the last response arrives before the close, slow readers are dropped, the request head is held
to RFC 9112 (Host) and RFC 9110 (a future If-Modified-Since). Real server on 127.0.0.1 with a
small send buffer, raw sockets with a small receive buffer as the slow client."""

from __future__ import annotations

import asyncio
import random
import socket
import time
from collections.abc import AsyncIterator
from email.utils import formatdate
from pathlib import Path

import pytest

from aggregator.config import ServerConfig
from aggregator.serve import server as server_mod
from aggregator.serve.server import FeedServer

#: The size issue 15 measured (events.atom of the attacked instance).
BODY_BYTES = 169_310
#: A slow link: the kernel keeps little in flight on either side.
SMALL_BUFFER_BYTES = 4096


def feed_body() -> bytes:
    rng = random.Random(15)  # incompressible-ish text, fixed seed
    text = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz <>/") for _ in range(BODY_BYTES - 13))
    return b"<feed>" + text.encode() + b"</feed>"


BODY = feed_body()


async def start_small_buffer_server(folder: Path, cfg: ServerConfig) -> FeedServer:
    """A started server publishing events.atom (BODY) from ``folder``, whose accepted
    sockets have a 4 KiB send buffer (they inherit the listener's sizes on Linux)."""
    (folder / "events.atom").write_bytes(BODY)
    srv = FeedServer(cfg, folder, lambda: {"ok": True}, lambda: "")
    await srv.start()
    for s in srv.sockets:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SMALL_BUFFER_BYTES)
    return srv


@pytest.fixture
async def slow_server(tmp_path: Path) -> AsyncIterator[FeedServer]:
    cfg = ServerConfig(port=0, idle_timeout_s=5.0, write_timeout_s=5.0)
    srv = await start_small_buffer_server(tmp_path, cfg)
    yield srv
    await srv.stop()


async def slow_client(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_BUFFER_BYTES)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    return sock


async def read_slowly(sock: socket.socket, *, pause_s: float = 0.3, limit_s: float = 8.0) -> bytes:
    """Wait ``pause_s`` (the server has written what fits and closes meanwhile), then read
    4 KiB at a time until EOF or a reset."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(pause_s)
    got = bytearray()
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            chunk = await asyncio.wait_for(loop.sock_recv(sock, 4096), deadline - time.monotonic())
        except (ConnectionError, TimeoutError):
            break
        if not chunk:
            break
        got += chunk
        await asyncio.sleep(0.001)
    return bytes(got)


def split(raw: bytes) -> tuple[str, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


@pytest.mark.parametrize(
    "request_head",
    [
        b"GET /events.atom HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        b"GET /events.atom HTTP/1.0\r\n\r\n",
    ],
    ids=["http11-connection-close", "http10"],
)
async def test_out_07_last_response_arrives_whole_on_a_slow_link(
    slow_server: FeedServer, request_head: bytes
) -> None:
    sock = await slow_client(slow_server.port)
    try:
        await asyncio.get_running_loop().sock_sendall(sock, request_head)
        head, body = split(await read_slowly(sock))
    finally:
        sock.close()
    assert head.startswith("HTTP/1.1 200") and "Connection: close" in head
    assert len(body) == BODY_BYTES and body == BODY


async def test_out_07_response_at_the_per_connection_cap_arrives_whole(
    slow_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cap = 3
    monkeypatch.setattr(server_mod, "MAX_REQUESTS_PER_CONNECTION", cap)
    sock = await slow_client(slow_server.port)
    loop = asyncio.get_running_loop()
    req = b"GET /events.atom HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    try:
        # A pipelining client: every request sent up front, one more than the cap.
        await loop.sock_sendall(sock, req * (cap + 1))
        raw = await read_slowly(sock)
    finally:
        sock.close()
    responses = []
    while raw:
        head, rest = split(raw)
        n = int(head.lower().split("content-length: ")[1].split("\r\n")[0])
        responses.append((head, rest[:n]))
        raw = rest[n:]
    assert len(responses) == cap
    assert all(body == BODY for _, body in responses), [len(b) for _, b in responses]
    assert "Connection: keep-alive" in responses[0][0]
    assert "Connection: close" in responses[-1][0]


async def test_out_07_reader_that_never_reads_is_dropped_by_the_write_timeout(
    tmp_path: Path,
) -> None:
    cfg = ServerConfig(port=0, idle_timeout_s=5.0, write_timeout_s=0.5)
    srv = await start_small_buffer_server(tmp_path, cfg)
    sock = await slow_client(srv.port)
    try:
        await asyncio.get_running_loop().sock_sendall(
            sock, b"GET /events.atom HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        t0 = time.monotonic()
        while not srv.open_connections and time.monotonic() - t0 < 1:
            await asyncio.sleep(0.01)  # accepted, request being answered
        assert srv.open_connections == 1
        while srv.open_connections and time.monotonic() - t0 < 5:
            await asyncio.sleep(0.05)
        assert srv.open_connections == 0
        assert 0.4 < time.monotonic() - t0 < 2.0
        assert srv.counters["write_timeouts"] == 1
    finally:
        sock.close()
        await srv.stop()


async def test_out_07_stalled_download_gives_way_to_a_new_request_at_the_cap(
    tmp_path: Path,
) -> None:
    cfg = ServerConfig(port=0, max_connections=5, idle_timeout_s=5.0, write_timeout_s=30.0)
    srv = await start_small_buffer_server(tmp_path, cfg)
    loop = asyncio.get_running_loop()
    stalled = [await slow_client(srv.port) for _ in range(cfg.max_connections)]
    try:
        for sock in stalled:
            await loop.sock_sendall(sock, b"GET /events.atom HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.sleep(server_mod.STALLED_EVICT_AFTER_S + 0.3)
        assert srv.open_connections == cfg.max_connections
        reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        raw = await asyncio.wait_for(reader.read(), 3)
        writer.close()
        assert raw.startswith(b"HTTP/1.1 200"), raw[:80]
        assert srv.counters["evicted"] >= 1
    finally:
        for sock in stalled:
            sock.close()
        await srv.stop()


async def exchange(port: int, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 3)  # until the server closes
    finally:
        writer.close()


@pytest.mark.parametrize(
    "raw",
    [
        b"GET /events.atom HTTP/1.1\r\n\r\n",
        b"GET /events.atom HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"GET /events.atom HTTP/1.0\r\nHost: a\r\nHOST: a\r\n\r\n",
    ],
    ids=["missing", "doubled", "doubled-http10"],
)
async def test_host_missing_or_doubled_is_400(slow_server: FeedServer, raw: bytes) -> None:
    # RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without Host and to
    # any request with more than one Host field. The connection ends after it.
    data = await exchange(slow_server.port, raw)
    assert data.startswith(b"HTTP/1.1 400 ") and b"Connection: close" in data


async def test_http10_without_host_is_served(slow_server: FeedServer) -> None:
    data = await exchange(slow_server.port, b"GET /events.atom HTTP/1.0\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200 ")


async def test_405_closes_the_connection_it_says_it_closes(slow_server: FeedServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", slow_server.port)
    try:
        writer.write(
            b"POST /events.atom HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        data = await asyncio.wait_for(reader.read(), 3)  # EOF: the server closed
    finally:
        writer.close()
    assert data.startswith(b"HTTP/1.1 405 ") and b"Connection: close" in data
    assert data.count(b"HTTP/1.1 ") == 1, "a second response after Connection: close"


async def test_future_if_modified_since_is_ignored(slow_server: FeedServer) -> None:
    # RFC 9110 §13.1.3: a date later than the server's clock is invalid; answer in full.
    future = formatdate(time.time() + 365 * 86400, usegmt=True)
    data = await exchange(
        slow_server.port,
        b"GET /events.atom HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        + f"If-Modified-Since: {future}\r\n\r\n".encode(),
    )
    head, body = split(data)
    assert head.startswith("HTTP/1.1 200") and body == BODY
    # a real, past If-Modified-Since still gives 304
    past = formatdate(time.time(), usegmt=True)
    data = await exchange(
        slow_server.port,
        b"GET /events.atom HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        + f"If-Modified-Since: {past}\r\n\r\n".encode(),
    )
    assert data.startswith(b"HTTP/1.1 304 ")


async def test_healthz_answered_during_a_reconnect_flood(tmp_path: Path) -> None:
    """Issue 15 item 2: with every slot held by slow readers and a flood of clients
    reconnecting at once (each holding its socket 0.3 s before it asks — younger than
    IDLE_EVICT_AFTER_S, so not evictable), the monitoring reserve is full most of the time.
    A /healthz probe then used to be reset unseen; now a connection with no slot nor
    reserve left is read for TRIAGE_S and a /healthz in it answered."""
    cfg = ServerConfig(port=0, max_connections=8, idle_timeout_s=5.0, write_timeout_s=10.0)
    srv = await start_small_buffer_server(tmp_path, cfg)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    get = b"GET /events.atom HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"

    async def slow_reader() -> None:  # takes 1 KiB every 0.1 s: never stalled
        sock = await slow_client(srv.port)
        try:
            await loop.sock_sendall(sock, get)
            while not stop.is_set() and await loop.sock_recv(sock, 1024):
                await asyncio.sleep(0.1)
        except OSError:
            pass
        finally:
            sock.close()

    async def flooder() -> None:  # reconnects at once after each refusal or answer
        while not stop.is_set():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
                try:
                    await asyncio.sleep(0.3)
                    writer.write(get)
                    await asyncio.wait_for(reader.read(1024), 1.0)
                finally:
                    writer.close()
            except (OSError, TimeoutError):
                await asyncio.sleep(0)

    async def probe() -> bytes:
        try:
            async with asyncio.timeout(2.0):
                reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
                try:
                    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    return await reader.read()
                finally:
                    writer.close()
        except (OSError, TimeoutError) as exc:
            return type(exc).__name__.encode()

    tasks = [asyncio.create_task(slow_reader()) for _ in range(cfg.max_connections)]
    await asyncio.sleep(0.3)
    tasks += [asyncio.create_task(flooder()) for _ in range(150)]
    try:
        await asyncio.sleep(1.0)  # the flood fills the reserve
        answers = []
        for _ in range(30):
            answers.append(await probe())
            await asyncio.sleep(0.05)
        assert srv.counters["rejected"] > 0  # the flood really was over slots + reserve
    finally:
        stop.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await srv.stop()
    failed = [a[:40] for a in answers if not a.startswith(b"HTTP/1.1 200")]
    assert not failed, f"{len(failed)} of 30 /healthz probes failed: {failed[:5]}"
