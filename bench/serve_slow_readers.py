"""/healthz under slow readers (bench; loopback sockets, one server child process).

Starts the feed server (``[server]`` defaults: 100 connections) in a child process on
127.0.0.1 serving a 169,310-byte ``events.atom``, then keeps ``--readers`` clients (4 KiB
receive buffer) downloading it slowly (``--read-bytes`` every ``--read-interval-s``; a client
that finishes reconnects; one refused waits ``--retry-s``) while a prober asks ``/healthz``
every ``--probe-interval-s`` on a fresh connection with a ``--probe-timeout-s`` deadline.
Reports the probes' failure rate and latency. The server's send buffer is
``--server-sndbuf`` (4 KiB: a slow link, as in issue 15's truncation test; 0 keeps the
kernel's). ``--server-file`` runs another copy of ``aggregator/serve/server.py`` (e.g. the
one before issue 15: ``git show REV:aggregator/serve/server.py > f.py``).

    .venv/bin/python bench/serve_slow_readers.py --readers 300 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

BODY_BYTES = 169_310
SMALL_BUFFER_BYTES = 4096


def serve(publish_dir: str, port_file: str, server_file: str | None, sndbuf: int) -> None:
    """Child process: run the server until killed; write its port to ``port_file``."""
    from aggregator.config import ServerConfig

    if server_file:
        spec = importlib.util.spec_from_file_location("bench_server", server_file)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules["bench_server"] = mod  # dataclasses look their module up
        spec.loader.exec_module(mod)
    else:
        from aggregator.serve import server as mod

    async def main() -> None:
        srv = mod.FeedServer(ServerConfig(port=0), Path(publish_dir), lambda: {"ok": True}, str)
        await srv.start()
        if sndbuf:  # a slow link: accepted sockets inherit the listener's buffer size (Linux)
            for s in srv._server.sockets:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        Path(port_file).write_text(str(srv.port))
        await asyncio.Event().wait()

    asyncio.run(main())


async def slow_reader(port: int, stop: asyncio.Event, args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    req = b"GET /events.atom HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    while not stop.is_set():
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_BUFFER_BYTES)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, ("127.0.0.1", port))
            await loop.sock_sendall(sock, req)
            first = await loop.sock_recv(sock, args.read_bytes)
            if not first.startswith(b"HTTP/1.1 200"):
                raise ConnectionRefusedError  # a 503 or a reset: retry later, as a reader would
            while not stop.is_set():
                await asyncio.sleep(args.read_interval_s)
                if not await loop.sock_recv(sock, args.read_bytes):
                    break
        except OSError:
            await asyncio.sleep(args.retry_s)
        finally:
            sock.close()


FAILURES: Counter[str] = Counter()
PROBE = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


async def probe(port: int, timeout_s: float) -> float | None:
    t0 = time.monotonic()
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                writer.write(PROBE)
                data = await reader.read()
            finally:
                writer.close()
    except (OSError, TimeoutError) as exc:
        FAILURES[type(exc).__name__] += 1
        return None
    if not data.startswith(b"HTTP/1.1 200"):
        FAILURES[data[:12].decode("latin-1") or "empty reply"] += 1
        return None
    return time.monotonic() - t0


async def run(port: int, args: argparse.Namespace) -> dict[str, Any]:
    stop = asyncio.Event()
    readers = [asyncio.create_task(slow_reader(port, stop, args)) for _ in range(args.readers)]
    await asyncio.sleep(args.warmup_s)
    results: list[float | None] = []
    end = time.monotonic() + args.seconds
    pending: set[asyncio.Task[float | None]] = set()
    while time.monotonic() < end:
        t = asyncio.create_task(probe(port, args.probe_timeout_s))
        pending.add(t)
        t.add_done_callback(lambda d: (pending.discard(d), results.append(d.result())))
        await asyncio.sleep(args.probe_interval_s)
    if pending:
        await asyncio.wait(pending)
    stop.set()
    await asyncio.wait(readers, timeout=5)
    for r in readers:
        r.cancel()
    ok = sorted(x for x in results if x is not None)
    return {
        "readers": args.readers,
        "probes": len(results),
        "failed": len(results) - len(ok),
        "failure_rate": round((len(results) - len(ok)) / max(len(results), 1), 4),
        "latency_median_ms": round(statistics.median(ok) * 1000, 1) if ok else None,
        "latency_max_ms": round(ok[-1] * 1000, 1) if ok else None,
        "failures_by_kind": dict(FAILURES),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--readers", type=int, default=300)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--warmup-s", type=float, default=3.0)
    ap.add_argument("--read-bytes", type=int, default=1024)
    ap.add_argument("--read-interval-s", type=float, default=0.1)
    ap.add_argument("--probe-interval-s", type=float, default=0.1)
    ap.add_argument("--probe-timeout-s", type=float, default=2.0)
    ap.add_argument("--retry-s", type=float, default=1.0, help="a refused reader waits this long")
    ap.add_argument(
        "--server-sndbuf", type=int, default=SMALL_BUFFER_BYTES, help="0: kernel default"
    )
    ap.add_argument("--server-file", default=None)
    ap.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve[0], args.serve[1], args.server_file, args.server_sndbuf)
        return
    with tempfile.TemporaryDirectory() as tmp:
        rng = random.Random(15)
        body = "".join(rng.choice("abcdefghij <>/") for _ in range(BODY_BYTES))
        (Path(tmp) / "events.atom").write_text(body)
        port_file = Path(tmp) / "port"
        cmd = [sys.executable, __file__, "--serve", tmp, str(port_file)]
        cmd += ["--server-sndbuf", str(args.server_sndbuf)]
        if args.server_file:
            cmd += ["--server-file", args.server_file]
        child = subprocess.Popen(cmd)
        try:
            deadline = time.monotonic() + 20
            while not port_file.exists() or not port_file.read_text():
                if time.monotonic() > deadline or child.poll() is not None:
                    raise SystemExit("server did not start")
                time.sleep(0.05)
            out = asyncio.run(run(int(port_file.read_text()), args))
        finally:
            child.kill()
            child.wait()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
