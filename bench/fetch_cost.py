"""CPU per conditional request: our ``Fetcher`` against a plain aiohttp client (bench; loopback).

The origin is bench/peer.py's (HTTP/1.1 keep-alive, ETag/304) in a child process, so the CPU
measured here (``time.process_time`` of this process) is the client's alone. Each round sends
``--feeds`` conditional GETs (every one answered 304) through one open client, as a daemon pass
does; ``--rounds`` rounds per trial, clients alternated trial by trial, medians of ms/request.
``--host-per-feed`` gives every feed its own host name (``fN.bench.test`` → 127.0.0.1 through the
resolver): no connection is reused across feeds, as with real feeds on many sites.

Run: ``.venv/bin/python bench/fetch_cost.py [--feeds 200 --rounds 5 --trials 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ORIGIN_CODE = """
import sys, time
sys.path.insert(0, {bench!r})
import peer
versions = {{"v1": [b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
                    b'</channel></rss>'] * {feeds}}}
o = peer.Origin(versions)
print(o.port, flush=True)
sys.stdin.read()  # until the parent closes our stdin
"""


def _resolver(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


def _urls(port: int, feeds: int, host_per_feed: bool) -> list[str]:
    return [
        f"http://f{n}.bench.test:{port}/feed/{n}.xml" if host_per_feed
        else f"http://127.0.0.1:{port}/feed/{n}.xml"
        for n in range(feeds)
    ]


async def _ours(urls: list[str], etags: list[str], rounds: int) -> None:
    from aggregator.config import from_dict
    from aggregator.fetch.client import Fetcher
    from aggregator.models import FeedRecord

    cfg = from_dict({"fetch": {"allow_private_networks": True, "per_host_min_gap_s": 0.0}},
                    base_dir=ROOT).fetch
    feeds = [FeedRecord(id=n, url=u, etag=etags[n]) for n, u in enumerate(urls)]
    async with Fetcher(cfg, resolver=_resolver) as f:
        for _ in range(rounds):
            res = await asyncio.gather(*(f.fetch(x) for x in feeds))
            assert all(r.not_modified for r in res), [r.error for r in res if r.error][:3]


async def _aiohttp(urls: list[str], etags: list[str], rounds: int) -> None:
    import aiohttp
    from aiohttp.abc import AbstractResolver, ResolveResult

    class Res(AbstractResolver):
        async def resolve(self, host: str, port: int = 0,
                          family: int = socket.AF_INET) -> list[ResolveResult]:
            return [{"hostname": host, "host": "127.0.0.1", "port": port,
                     "family": socket.AF_INET, "proto": 0, "flags": socket.AI_NUMERICHOST}]

        async def close(self) -> None:
            pass

    conn = aiohttp.TCPConnector(limit=32, limit_per_host=2, resolver=Res(), use_dns_cache=False)
    async with aiohttp.ClientSession(connector=conn) as s:
        async def one(u: str, etag: str) -> int:
            h = {"User-Agent": "bench", "Accept-Encoding": "gzip, deflate", "If-None-Match": etag}
            async with s.get(u, headers=h, allow_redirects=False) as r:
                await r.read()
                return r.status

        for _ in range(rounds):
            st = await asyncio.gather(*(one(u, e) for u, e in zip(urls, etags, strict=True)))
            assert set(st) == {304}, set(st)


CLIENTS: dict[str, Callable[[list[str], list[str], int], Coroutine[Any, Any, None]]] = {
    "ours": _ours,
    "aiohttp": _aiohttp,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--host-per-feed", action="store_true")
    args = ap.parse_args(argv)
    code = ORIGIN_CODE.format(bench=str(ROOT / "bench"), feeds=args.feeds)
    origin = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert origin.stdout is not None
        port = int(origin.stdout.readline())
        import hashlib

        body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
                b"</channel></rss>")
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        urls = _urls(port, args.feeds, args.host_per_feed)
        etags = [etag] * len(urls)
        for run in CLIENTS.values():  # warm-up: imports, first connections
            asyncio.run(run(urls, etags, 1))
        ms: dict[str, list[float]] = {k: [] for k in CLIENTS}
        for _ in range(args.trials):
            for name, run in CLIENTS.items():
                c0 = time.process_time()
                asyncio.run(run(urls, etags, args.rounds))
                ms[name].append((time.process_time() - c0) * 1000 / (args.feeds * args.rounds))
    finally:
        if origin.stdin is not None:
            origin.stdin.close()
        origin.wait(timeout=10)
    med = {k: statistics.median(v) for k, v in ms.items()}
    for k, v in ms.items():
        print(f"{k:<8} {med[k]:.3f} ms CPU/request  (trials {[round(x, 3) for x in v]})")
    print(f"ours/aiohttp {med['ours'] / med['aiohttp']:.2f}  "
          f"({args.feeds} feeds x {args.rounds} rounds, host per feed: {args.host_per_feed})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
