"""Benchmark of polling (bench; loopback only): N simulated feeds, each on its own host name
(``f123.bench.test`` → 127.0.0.1 through the fetcher's resolver, so per-host limits act as in
real life), served by one aiohttp origin in a separate process with an emulated latency. The
real path runs: a Store on a temp SQLite file, ``Pipeline.poll`` (fetch → body-hash skip /
parse → store) for a first full pass, then a steady-state pass where most feeds are unchanged,
then the same steady state split by response kind to get CPU per request for 304 and 200.
Peer: a plain aiohttp client doing the same conditional GETs (no parse, no store) against the
same origin, and the bare ``Fetcher`` (httpx, no store) on the same requests.

Run: ``.venv/bin/python bench/poll.py --feeds 10000 --latency-ms 200`` (quick: ``--feeds 500``).
Writes ``bench/results/poll.json`` (``--out``) and prints a table. Every loop is bounded: the
origin exits after ``--max-s`` or when this process goes away.

Feed mix (by ``n % 100``; ``unchanged`` = no new item between passes)::

    0-49  ETag + Last-Modified, unchanged      → 304 once validators are stored
    50-59 Last-Modified only, unchanged        → 304
    60-74 no validators, byte-identical body   → 200, body-hash skip
    75-79 no validators, lastBuildDate = now   → 200, body differs each time (a real pattern)
    80-91 ETag + Last-Modified, new items every generation → 200, parse
    92-93 no validators, new items every generation        → 200, parse
    94-96 404        97-98 500        99 connection refused (closed port): fast failures
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HOST_SUFFIX = ".bench.test"
#: Items per simulated feed (real news feeds carry 10-50; more makes the first pass slower).
ITEMS_PER_FEED = 10
#: New items a changing feed publishes per generation (one generation per pass).
NEW_ITEMS_PER_GEN = 2
#: Targets from the issue "Polling that sites welcome".
GOAL_NO_PARSE_SHARE = 0.90
GOAL_PASS_S = 120.0
GOAL_CPU_SHARE = 0.05
GOAL_FEEDS = 10_000
POLL_EVERY_S = 15 * 60
#: Hard cap on the origin's life (seconds) whatever happens to the benchmark.
ORIGIN_MAX_S = 3600.0
CLK_TCK = os.sysconf("SC_CLK_TCK")

UNCHANGED = ("etag", "lastmod", "static", "dynamic")
CHANGED = ("changed_etag", "changed_noval")
FAILING = ("http404", "http500", "refused")


def kind(n: int) -> str:
    """The behaviour of feed ``n`` (see the module docstring)."""
    r = n % 100
    for upper, name in (
        (50, "etag"),
        (60, "lastmod"),
        (75, "static"),
        (80, "dynamic"),
        (92, "changed_etag"),
        (94, "changed_noval"),
        (97, "http404"),
        (99, "http500"),
    ):
        if r < upper:
            return name
    return "refused"


# --- origin (separate process) --------------------------------------------------------------
BASE_TIME = datetime(2026, 11, 1, tzinfo=UTC)
_TEXT = (
    "market talks minister trade rare earth export rules court ruling storm coast power grid "
    "vote council budget energy prices shares bank rate central inflation report city police "
    "flood rescue team season final league record growth quarter data survey plan"
)
WORDS = tuple(_TEXT.split(" "))


def feed_body(n: int, gen: int, items: int, build_date: datetime | None = None) -> bytes:
    """RSS 2.0 for feed ``n`` at generation ``gen``: items ``gen*NEW .. gen*NEW+items-1``."""
    rng = random.Random(n)
    first = gen * NEW_ITEMS_PER_GEN
    parts = []
    for i in range(first + items - 1, first - 1, -1):
        r = random.Random(n * 100_003 + i)
        title = " ".join(r.choice(WORDS) for _ in range(8)).capitalize()
        desc = " ".join(r.choice(WORDS) for _ in range(60))
        pub = format_datetime(BASE_TIME + timedelta(hours=i), usegmt=True)
        parts.append(
            f'<item><guid isPermaLink="false">f{n}-{i}</guid>'
            f"<link>https://f{n}{HOST_SUFFIX}/story/{i}</link><title>{title} {n}-{i}</title>"
            f"<description>{desc}.</description><pubDate>{pub}</pubDate></item>"
        )
    build = format_datetime(build_date or BASE_TIME + timedelta(hours=first), usegmt=True)
    title = f"Feed {n} " + rng.choice(WORDS)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://f{n}{HOST_SUFFIX}/</link>"
        f"<description>Simulated feed</description><lastBuildDate>{build}</lastBuildDate>"
        + "".join(parts)
        + "</channel></rss>"
    ).encode()


def run_origin(latency_s: float, items: int, max_s: float) -> None:
    """Serve every simulated feed from one aiohttp server; print the port, then serve."""
    from aiohttp import web

    state = {"gen": 0}
    cache: dict[tuple[int, int], bytes] = {}
    stats: Counter[str] = Counter()
    parent = os.getppid()

    def validators(n: int, gen: int) -> tuple[str, str]:
        return f'"f{n}-g{gen}"', format_datetime(BASE_TIME + timedelta(hours=gen), usegmt=True)

    async def handle(request: web.Request) -> web.StreamResponse:
        host = (request.host or "").split(":", 1)[0]
        if request.path == "/_control":
            if "gen" in request.query:
                state["gen"] = int(request.query["gen"])
            if "reset" in request.query:
                stats.clear()
            return web.json_response({"gen": state["gen"], "stats": dict(stats)})
        if not (host.startswith("f") and host.endswith(HOST_SUFFIX)):
            return web.Response(status=400)
        n = int(host[1 : -len(HOST_SUFFIX)])
        k = kind(n)
        await asyncio.sleep(latency_s)
        if k == "http404":
            stats["404"] += 1
            return web.Response(status=404, text="not found")
        if k == "http500":
            stats["500"] += 1
            return web.Response(status=500, text="error")
        gen = state["gen"] if k in CHANGED else 0
        key = (n, gen)
        body = cache.get(key)
        if body is None:
            body = cache[key] = feed_body(n, gen, items)
        headers = {"Content-Type": "application/rss+xml; charset=utf-8"}
        etag, lm = validators(n, gen)
        if k in ("etag", "changed_etag"):
            headers["ETag"] = etag
            headers["Last-Modified"] = lm
        elif k == "lastmod":
            headers["Last-Modified"] = lm
        inm = request.headers.get("If-None-Match")
        ims = request.headers.get("If-Modified-Since")
        if ("ETag" in headers and inm == etag) or (
            inm is None and "Last-Modified" in headers and ims == lm
        ):
            stats["304"] += 1
            return web.Response(status=304, headers=headers)
        if k == "dynamic":
            body = feed_body(n, gen, items, build_date=datetime.now(UTC))
        stats["200"] += 1
        return web.Response(status=200, body=body, headers=headers)

    async def main() -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(port, flush=True)
        end = time.monotonic() + max_s
        while time.monotonic() < end and os.getppid() == parent:
            await asyncio.sleep(0.5)
        await runner.cleanup()

    asyncio.run(main())


class OriginProcess:
    """The origin in a child process (so its CPU is not counted as ours)."""

    def __init__(self, latency_s: float, items: int) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve-origin",
                "--latency-ms",
                str(latency_s * 1000),
                "--items",
                str(items),
                "--max-s",
                str(ORIGIN_MAX_S),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def control(self, **query: object) -> dict[str, Any]:
        q = "&".join(f"{k}={v}" for k, v in query.items())
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(
                f"GET /_control?{q} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
            )
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        return dict(json.loads(data.split(b"\r\n\r\n", 1)[1]))

    def cpu_s(self) -> float:
        return proc_cpu_s(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


# --- CPU accounting -----------------------------------------------------------------------
def proc_cpu_s(pid: int) -> float:
    """utime + stime of one live process, seconds (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def descendants(root: int, exclude: int) -> list[int]:
    """Live descendant pids of ``root`` (the parse worker and its forkserver), minus one."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d.name))
    out: list[int] = []
    todo = [c for c in children.get(root, []) if c != exclude]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


@dataclass
class Cpu:
    """CPU seconds: this process (all threads) + its helper processes (parse workers)."""

    main_s: float
    helpers: dict[int, float]

    @classmethod
    def now(cls, origin_pid: int) -> Cpu:
        pids = descendants(os.getpid(), origin_pid)
        return cls(time.process_time(), {p: proc_cpu_s(p) for p in pids})

    def since(self, before: Cpu) -> tuple[float, float]:
        """(main, helpers) seconds spent since ``before`` (helpers that died are lost)."""
        helpers = sum(v - before.helpers.get(p, 0.0) for p, v in self.helpers.items())
        return self.main_s - before.main_s, helpers


# --- phases -----------------------------------------------------------------------------
def bench_resolver(host: str, port: int) -> list[str]:
    """DNS for the benchmark: every ``*.bench.test`` name is 127.0.0.1."""
    if host.endswith(HOST_SUFFIX):
        return ["127.0.0.1"]
    raise OSError(f"{host}: not a benchmark host")


def feed_urls(count: int, port: int, dead_port: int) -> list[str]:
    return [
        f"http://f{n}{HOST_SUFFIX}:{dead_port if kind(n) == 'refused' else port}/feed.xml"
        for n in range(count)
    ]


def closed_port() -> int:
    """A loopback port with nothing listening (connection refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def feed_no(url: str) -> int:
    host = url.split("//", 1)[1].split(":", 1)[0]
    return int(host[1 : -len(HOST_SUFFIX)])


@dataclass
class PhaseResult:
    name: str
    requests: int
    wall_s: float
    cpu_main_s: float
    cpu_parse_s: float
    statuses: dict[str, int]
    parsed: int = 0
    new_items: int = 0
    unchanged: int = 0
    unchanged_parsed: int = 0
    origin_cpu_s: float = 0.0
    #: 1-minute load average before/after (other jobs on the machine inflate wall times).
    load_before: float = 0.0
    load_after: float = 0.0
    #: Client-side error texts (digits folded) and how often: timeouts here mean trouble.
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * (self.cpu_main_s + self.cpu_parse_s) / max(self.requests, 1)

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["cpu_ms_per_request"] = round(self.cpu_ms_per_request, 3)
        d["cpu_main_ms_per_request"] = round(1000 * self.cpu_main_s / max(self.requests, 1), 3)
        d["fetches_per_min"] = round(60 * self.requests / self.wall_s, 1) if self.wall_s else 0
        for k in ("wall_s", "cpu_main_s", "cpu_parse_s", "origin_cpu_s"):
            d[k] = round(d[k], 3)
        return d


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        from aggregator.config import from_dict
        from aggregator.fetch.client import netguard
        from aggregator.pipeline.refresh import Pipeline
        from aggregator.store.core import Store

        self.args = args
        # Pipeline.poll builds its own Fetcher with the system resolver and has no seam for
        # another: point the module-level default at the benchmark's DNS.
        netguard.system_resolver = bench_resolver
        self.cfg = from_dict(
            {
                "store": {"path": str(workdir / "poll.db")},
                "fetch": {"allow_private_networks": True},
                "cluster": {"backend": "none"},
            },
            base_dir=workdir,
        )
        self.origin = OriginProcess(args.latency_ms / 1000, args.items)
        self.store = Store.open(self.cfg.store_path, self.cfg.store)
        self.pipeline = Pipeline(self.cfg, self.store, rng=random.Random(1))
        now = datetime.now(UTC)
        urls = feed_urls(args.feeds, self.origin.port, closed_port())
        with self.store.transaction():
            for u in urls:
                self.store.add_feed(u, now=now)

    def close(self) -> None:
        self.pipeline.close()
        self.store.close()
        self.origin.stop()

    def feeds(self, kinds: Sequence[str] | None = None) -> list[Any]:
        from aggregator.store.core import feed_record

        recs = [feed_record(r) for r in self.store.feeds()]
        return [f for f in recs if kinds is None or kind(feed_no(f.url)) in kinds]

    def _measure(self, name: str, n: int, run: Callable[[], dict[str, Any]]) -> PhaseResult:
        self.origin.control(reset=1)
        load0 = os.getloadavg()[0]
        o0 = self.origin.cpu_s()
        c0 = Cpu.now(self.origin.proc.pid)
        t0 = time.monotonic()
        extra = run()
        wall = time.monotonic() - t0
        main_s, parse_s = Cpu.now(self.origin.proc.pid).since(c0)
        stats = self.origin.control()["stats"]
        res = PhaseResult(name, n, wall, main_s, parse_s, stats, **extra)
        res.origin_cpu_s = self.origin.cpu_s() - o0
        res.load_before, res.load_after = load0, os.getloadavg()[0]
        print(
            f"  {name:<24} {n:>6} req {wall:7.1f} s  cpu {res.cpu_ms_per_request:6.2f} ms/req"
            f"  statuses {stats}",
            flush=True,
        )
        return res

    def poll(self, name: str, kinds: Sequence[str] | None = None) -> PhaseResult:
        feeds = self.feeds(kinds)

        def run() -> dict[str, Any]:
            report = asyncio.run(self.pipeline.poll(feeds, lambda: datetime.now(UTC)))
            unchanged = [o for o in report.outcomes if kind(feed_no(o.url)) in UNCHANGED]
            return {
                "parsed": sum(o.parsed for o in report.outcomes),
                "new_items": report.new_items,
                "unchanged": len(unchanged),
                "unchanged_parsed": sum(o.parsed for o in unchanged),
                "errors": dict(
                    Counter(re.sub(r"\d+", "N", o.error)[:60] for o in report.outcomes if o.error)
                ),
            }

        return self._measure(name, len(feeds), run)

    def fetch_only(self, name: str) -> PhaseResult:
        """The real ``Fetcher`` (httpx + guard) on the same conditional GETs, no store."""
        from aggregator.fetch.client import Fetcher

        feeds = self.feeds()

        async def go() -> None:
            async with Fetcher(self.cfg.fetch, resolver=bench_resolver) as f:
                await asyncio.gather(*(f.fetch(feed) for feed in feeds))

        return self._measure(name, len(feeds), lambda: asyncio.run(go()) or {})

    def aiohttp_peer(self, name: str) -> PhaseResult:
        """A plain aiohttp client: same requests, same concurrency, read body, nothing else."""
        import aiohttp
        from aiohttp.abc import AbstractResolver, ResolveResult

        class Res(AbstractResolver):
            async def resolve(
                self, host: str, port: int = 0, family: int = socket.AF_INET
            ) -> list[ResolveResult]:
                return [
                    {
                        "hostname": host,
                        "host": a,
                        "port": port,
                        "family": socket.AF_INET,
                        "proto": 0,
                        "flags": socket.AI_NUMERICHOST,
                    }
                    for a in bench_resolver(host, port)
                ]

            async def close(self) -> None:
                pass

        feeds = self.feeds()
        fc = self.cfg.fetch

        async def go() -> None:
            conn = aiohttp.TCPConnector(
                limit=fc.concurrency,
                limit_per_host=fc.per_host_concurrency,
                resolver=Res(),
                use_dns_cache=False,
            )
            timeout = aiohttp.ClientTimeout(total=fc.deadline_s)
            async with aiohttp.ClientSession(connector=conn, timeout=timeout) as s:

                async def one(feed: Any) -> None:
                    h = {"User-Agent": fc.user_agent, "Accept-Encoding": "gzip, deflate"}
                    if feed.etag:
                        h["If-None-Match"] = feed.etag
                    if feed.last_modified:
                        h["If-Modified-Since"] = feed.last_modified
                    try:
                        async with s.get(feed.url, headers=h, allow_redirects=False) as r:
                            await r.read()
                    except (aiohttp.ClientError, TimeoutError):
                        pass

                await asyncio.gather(*(one(f) for f in feeds))

        return self._measure(name, len(feeds), lambda: asyncio.run(go()) or {})


def summarize(
    phases: list[dict[str, Any]], params: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, bool]]:
    """Headline figures and goals from the phase dicts (also used by ``--resummarize``)."""
    by = {p["name"]: p for p in phases}
    steady = by["pass2_steady_state"]
    first = by["pass1_first_poll"]
    ms = {name: p["cpu_ms_per_request"] for name, p in by.items()}
    # Projection: GOAL_FEEDS feeds every POLL_EVERY_S at the steady-state CPU per request.
    share = ms["pass2_steady_state"] * GOAL_FEEDS / 1000 / POLL_EVERY_S
    no_parse = 1 - steady["unchanged_parsed"] / max(steady["unchanged"], 1)
    # Wall time on an idle machine cannot beat the latency bound nor the main thread's CPU.
    latency_bound_s = steady["requests"] * params["latency_ms"] / 1000 / params["fetch_concurrency"]
    summary: dict[str, Any] = {
        "fetches_per_min_steady": round(60 * steady["requests"] / steady["wall_s"], 1),
        "full_pass_s_first": first["wall_s"],
        "full_pass_s_steady": steady["wall_s"],
        "steady_pass_floor_s": round(max(latency_bound_s, steady["cpu_main_s"]), 1),
        # The same floor for GOAL_FEEDS feeds: the event-loop thread's CPU or the latency bound.
        f"projected_steady_pass_s_{GOAL_FEEDS}_feeds": round(
            GOAL_FEEDS
            * max(
                params["latency_ms"] / 1000 / params["fetch_concurrency"],
                steady["cpu_main_s"] / steady["requests"],
            ),
            1,
        ),
        f"projected_first_pass_s_{GOAL_FEEDS}_feeds": round(
            GOAL_FEEDS * first["cpu_main_s"] / first["requests"], 1
        ),
        "cpu_ms_per_request_steady": ms["pass2_steady_state"],
        "cpu_ms_per_request_first": ms["pass1_first_poll"],
        "cpu_ms_per_304": ms["pass3_304"],
        "cpu_ms_per_200_same_body": ms["pass3_200_same_body"],
        "cpu_ms_per_200_dynamic_body": ms["pass3_200_dynamic_body"],
        "cpu_ms_per_200_new_items": ms["pass3_200_new_items"],
        "cpu_ms_per_failure": ms["pass3_failing"],
        "no_parse_share_unchanged": round(no_parse, 4),
        f"cpu_share_one_core_{GOAL_FEEDS}_feeds_every_15min": round(share, 4),
    }
    if "peer_aiohttp" in by:
        aio = ms["peer_aiohttp"]
        summary["peer_aiohttp_cpu_ms_per_request"] = aio
        summary["peer_fetcher_httpx_cpu_ms_per_request"] = ms["peer_fetcher_httpx"]
        summary["ratio_pipeline_steady_to_aiohttp"] = round(ms["pass2_steady_state"] / aio, 2)
        summary["ratio_pipeline_304_to_aiohttp"] = round(ms["pass3_304"] / aio, 2)
        summary["ratio_fetcher_to_aiohttp"] = round(ms["peer_fetcher_httpx"] / aio, 2)
    goals = {
        "no_parse_share_unchanged>=0.90": no_parse >= GOAL_NO_PARSE_SHARE,
        "full_pass_s_steady<=120 (this run)": steady["wall_s"] <= GOAL_PASS_S,
        f"projected_steady_pass_s_{GOAL_FEEDS}_feeds<=120": summary[
            f"projected_steady_pass_s_{GOAL_FEEDS}_feeds"
        ]
        <= GOAL_PASS_S,
        f"projected_first_pass_s_{GOAL_FEEDS}_feeds<=120": summary[
            f"projected_first_pass_s_{GOAL_FEEDS}_feeds"
        ]
        <= GOAL_PASS_S,
        "cpu_share<=0.05": share <= GOAL_CPU_SHARE,
    }
    return summary, goals


def report(result: dict[str, Any]) -> None:
    """Print the phase table, the summary and the goals."""
    head = f"{'phase':<24}{'req':>7}{'wall s':>8}{'fetch/min':>10}{'ms/req':>8}{'main':>7}"
    head += f"{'parse':>7}{'parsed':>7}{'new':>7}{'origin':>7}{'load':>6}"
    print()
    print(head)
    print("-" * len(head))
    for r in result["phases"]:
        n = max(r["requests"], 1)
        print(
            f"{r['name']:<24}{r['requests']:>7}{r['wall_s']:>8.1f}{r['fetches_per_min']:>10.0f}"
            f"{r['cpu_ms_per_request']:>8.2f}{r['cpu_main_ms_per_request']:>7.2f}"
            f"{1000 * r['cpu_parse_s'] / n:>7.2f}{r['parsed']:>7}{r['new_items']:>7}"
            f"{1000 * r['origin_cpu_s'] / n:>7.2f}{r.get('load_after', 0):>6.1f}"
        )
    print("(ms/req = main + parse-worker CPU per request; origin = the server's CPU, not ours)")
    print()
    for k, v in result["summary"].items():
        print(f"{k:<44} {v}")
    for k, ok in result["goals_met"].items():
        print(f"goal {k:<39} {'met' if ok else 'NOT met'}")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--feeds", type=int, default=10_000)
    ap.add_argument("--latency-ms", type=float, default=200.0)
    ap.add_argument("--items", type=int, default=ITEMS_PER_FEED, help="items per feed")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "poll.json")
    ap.add_argument("--no-peer", action="store_true", help="skip the aiohttp / Fetcher peers")
    ap.add_argument("--log-file", type=Path, help="pipeline INFO log (default: discarded)")
    ap.add_argument(
        "--resummarize", type=Path, help="recompute summary and goals of a results JSON"
    )
    ap.add_argument("--serve-origin", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--max-s", type=float, default=ORIGIN_MAX_S, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve_origin:
        run_origin(args.latency_ms / 1000, args.items, args.max_s)
        return 0
    if args.resummarize:
        data = json.loads(args.resummarize.read_text(encoding="utf-8"))
        data["summary"], data["goals_met"] = summarize(data["phases"], data["params"])
        args.resummarize.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        report(data)
        return 0

    # The daemon logs one INFO line per feed; by default it is formatted and discarded here
    # (to /dev/null), so its CPU is counted as it would be under journald.
    logging.basicConfig(
        level=logging.INFO,
        filename=str(args.log_file or os.devnull),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    print(f"poll benchmark: {args.feeds} feeds, {args.latency_ms:g} ms latency", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-poll-") as tmp:
        b = Bench(args, Path(tmp))
        try:
            rows = [b.poll("pass1_first_poll")]
            b.origin.control(gen=1)
            rows.append(b.poll("pass2_steady_state"))
            b.origin.control(gen=2)
            # The same steady state split by kind, for CPU per response type.
            rows.append(b.poll("pass3_304", ("etag", "lastmod")))
            rows.append(b.poll("pass3_200_same_body", ("static",)))
            rows.append(b.poll("pass3_200_dynamic_body", ("dynamic",)))
            rows.append(b.poll("pass3_200_new_items", CHANGED))
            rows.append(b.poll("pass3_failing", FAILING))
            if not args.no_peer:
                b.origin.control(gen=3)  # changed feeds: a 200 again for every peer
                rows.append(b.fetch_only("peer_fetcher_httpx"))
                rows.append(b.aiohttp_peer("peer_aiohttp"))
            db_bytes = b.cfg.store_path.stat().st_size
            fetch_cfg = b.cfg.fetch
        finally:
            b.close()

    import aiohttp
    import httpx

    params = {
        "feeds": args.feeds,
        "latency_ms": args.latency_ms,
        "items_per_feed": args.items,
        "fetch_concurrency": fetch_cfg.concurrency,
        "per_host_concurrency": fetch_cfg.per_host_concurrency,
        "db_bytes_after": db_bytes,
    }
    phases = [r.as_dict() for r in rows]
    summary, goals = summarize(phases, params)
    result = {
        "benchmark": "poll",
        "command": "python bench/poll.py " + " ".join(sys.argv[1:]),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "httpx": httpx.__version__,
            "aiohttp": aiohttp.__version__,
        },
        "params": params,
        "mix": dict(Counter(kind(n) for n in range(args.feeds))),
        "summary": summary,
        "goals_met": goals,
        "phases": phases,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    report(result)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
