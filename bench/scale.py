"""The scale run (issue 16, item 7; bench, loopback only): Event Registry's published load —
75,000 feeds polled every 15 minutes, most unchanged (304), 200,000 new articles a day, half
of them Chinese — on this machine, compressed in time.

Each *cycle* is one 15-minute polling interval run as fast as the machine goes: every feed is
made due, then the real daemon's :meth:`~aggregator.daemon.loop.Daemon.tick` runs until no feed
is due (due-feed query, fetch with the real guarded client, parse pool, normalise, dedupe,
store, cluster pass, publish when something changed — exactly the daemon's jobs). A feed has its
own host name (``f123.scale.test`` → 127.0.0.1 through the fetcher's resolver), so nothing is
reused across feeds, as with real sites; the origin (aiohttp, a child process, its CPU not
counted) listens on several ports so 75,000 connections a cycle never run out of loopback
ports. Per cycle, ``articles/day ÷ 96`` new articles appear, 2 per changed feed, in random
feeds (the rest answer 304); even feeds are English, odd ones Chinese, their text drawn from
WMT21 news (bench/peer.py's pools).

Reported per cycle: wall time, CPU (this process + parse workers), CPU share of one core
(CPU ÷ 900 s), the interval share (wall ÷ 900 s: above 1 the machine falls behind, backlog
grows), items still waiting for clustering at the end (backlog), store growth, peak memory
(largest RSS of this process plus its parse workers). The first cycle also pays for the
warm-up (first connection pool, the window, the forkserver) and is reported apart.
The cycle runs at the daemon's own pace: its poll job, which starts at most
``fetch.concurrency × 8`` feeds a tick and chains ticks while due feeds remain (pausing
``fetch.per_host_min_gap_s`` between them), started again ``daemon.tick_s`` after its last
start as the scheduler does; ``daemon_pace_feeds_per_15min`` is the measured result.

Run: ``.venv/bin/python bench/scale.py`` (75,000 feeds, 3 cycles: a few minutes);
quick: ``--feeds 5000 --cycles 2``. Writes ``bench/results/scale.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

HOST_SUFFIX = ".scale.test"
INTERVAL_S = 15 * 60
CYCLES_PER_DAY = 24 * 3600 // INTERVAL_S
#: New articles per changed feed per cycle.
NEW_PER_CHANGE = 2
#: Items a feed document carries (the newest).
ITEMS_PER_DOC = 10
#: Origin ports: 75k connections a cycle, each leaving a TIME_WAIT for 60 s, need more than
#: one port's ~28k ephemeral source ports.
ORIGIN_PORTS = 8
ORIGIN_MAX_S = 3600.0
SEED = 16


# --- workload (shared by the origin process and this one) ------------------------------------
def changed_at(n: int, gen: int, p_change: float) -> bool:
    """Does feed ``n`` publish new articles in cycle ``gen`` (gen ≥ 1)?"""
    return random.Random(n * 1_000_003 + gen).random() < p_change


def doc_for(n: int, gen: int, p_change: float, pools: dict[str, list[str]]) -> tuple[str, bytes]:
    """(ETag, RSS 2.0 body) of feed ``n`` as of cycle ``gen``: the items of the cycles it
    changed in (newest ITEMS_PER_DOC), ETag naming the last such cycle (0: never changed)."""
    gens = [g for g in range(1, gen + 1) if changed_at(n, g, p_change)]
    last = gens[-1] if gens else 0
    lang = "en" if n % 2 == 0 else "zh"
    pool, sep = pools[lang], (" " if lang == "en" else "")
    host = f"f{n}.example.com"
    base = datetime(2026, 12, 1, tzinfo=UTC)
    parts = []
    for g in reversed(gens):
        for k in reversed(range(NEW_PER_CHANGE)):
            if len(parts) >= ITEMS_PER_DOC:
                break
            rng = random.Random(f"{n}-{g}-{k}")
            title = rng.choice(pool)[: 110 if lang == "en" else 40]
            paras = [sep.join(rng.sample(pool, 2)) for _ in range(rng.randint(2, 4))]
            body = "".join(f"<p>{escape(p)}</p>" for p in paras)
            pub = base + timedelta(seconds=INTERVAL_S * g + 60 * k)
            parts.append(
                f"<item><title>{escape(title)}</title>"
                f"<link>https://{host}/news/{g}-{k}.html</link>"
                f'<guid isPermaLink="false">{host}-{g}-{k}</guid>'
                f"<pubDate>{format_datetime(pub, usegmt=True)}</pubDate>"
                f"<description>{escape(paras[0])}</description>"
                f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
            )
    doc = (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>Scale feed {n}</title><link>https://{host}/</link>"
        f"<description>Scale benchmark feed {n}</description>"
        f"<language>{'zh-cn' if lang == 'zh' else 'en-us'}</language>"
        + "".join(parts)
        + "</channel></rss>"
    )
    return f'"{n}-{last}"', doc.encode("utf-8")


def run_origin(p_change: float) -> None:
    """Serve every feed on ORIGIN_PORTS ports; print the ports, serve until the parent goes."""
    import peer
    from aiohttp import web

    pools = peer.sentence_pools()
    state = {"gen": 0}
    parent = os.getppid()

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path == "/_control":
            state["gen"] = int(request.query.get("gen", state["gen"]))
            return web.json_response({"gen": state["gen"]})
        host = (request.host or "").split(":", 1)[0]
        if not (host.startswith("f") and host.endswith(HOST_SUFFIX)):
            return web.Response(status=400)
        n = int(host[1 : -len(HOST_SUFFIX)])
        gen = state["gen"]
        gens = [g for g in range(1, gen + 1) if changed_at(n, g, p_change)]
        etag = f'"{n}-{gens[-1] if gens else 0}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        _, body = doc_for(n, gen, p_change, pools)
        return web.Response(
            status=200,
            body=body,
            headers={"ETag": etag, "Content-Type": "application/rss+xml; charset=utf-8"},
        )

    async def main() -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        ports = []
        for _ in range(ORIGIN_PORTS):
            site = web.TCPSite(runner, "127.0.0.1", 0, backlog=2048)
            await site.start()
            server = site._server
            assert server is not None
            ports.append(server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        print(" ".join(map(str, ports)), flush=True)
        end = time.monotonic() + ORIGIN_MAX_S
        while time.monotonic() < end and os.getppid() == parent:
            await asyncio.sleep(0.5)
        await runner.cleanup()

    asyncio.run(main())


# --- measuring ----------------------------------------------------------------------------------
def _resolver(host: str, port: int) -> list[str]:
    if host.endswith(HOST_SUFFIX):
        return ["127.0.0.1"]
    raise OSError(f"{host}: not a scale-benchmark host")


def _hwm_kb(pid: int) -> int:
    """Peak RSS (VmHWM) of a live process, KiB (0 when gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _store_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def _control(port: int, gen: int) -> None:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_control?gen={gen}", timeout=10) as r:
        r.read()


class Scale:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        from aggregator.config import from_dict
        from aggregator.daemon.loop import Daemon
        from aggregator.fetch import netguard
        from aggregator.pipeline.refresh import Pipeline
        from aggregator.store.core import Store

        self.args = args
        per_cycle = args.articles_per_day / CYCLES_PER_DAY
        self.p_change = per_cycle / NEW_PER_CHANGE / args.feeds
        self.origin = subprocess.Popen(
            [sys.executable, __file__, "--serve-origin", "--p-change", repr(self.p_change)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.origin.stdout is not None
        self.ports = [int(p) for p in self.origin.stdout.readline().split()]
        # The daemon's Fetcher takes the module-level resolver: point it at the bench's DNS.
        netguard.system_resolver = _resolver
        cluster = {"backend": args.backend} if args.backend else {}
        self.cfg = from_dict(
            {
                "store": {"path": str(workdir / "scale.db")},
                "publish": {"dir": str(workdir / "public")},
                "fetch": {"allow_private_networks": True},
                "cluster": cluster,
            },
            base_dir=workdir,
        )
        self.store = Store.open(self.cfg.store_path, self.cfg.store)
        t0 = time.monotonic()
        now = datetime.now(UTC)
        with self.store.transaction():
            for n in range(args.feeds):
                port = self.ports[n % len(self.ports)]
                fid = self.store.add_feed(f"http://f{n}{HOST_SUFFIX}:{port}/feed.xml", now=now)
                # Polled before: the validators of the document as of cycle 0.
                self.store._update_feed(fid, {"etag": f'"{n}-0"', "last_status": 304})
        self.seed_s = time.monotonic() - t0
        self.daemon = Daemon(self.cfg)
        self.daemon.store = self.store
        self.daemon.pipeline = Pipeline(self.cfg, self.store)
        self.feed_ids = [int(r["id"]) for r in self.store.feeds()]

    def close(self) -> None:
        if self.daemon.pipeline is not None:
            self.daemon.pipeline.close()
        self.store.close()
        self.origin.terminate()
        self.origin.wait(timeout=10)

    def make_all_due(self, at: datetime) -> None:
        with self.store.transaction():
            for fid in self.feed_ids:
                self.store._update_feed(fid, {"next_check_at": at.strftime("%Y-%m-%dT%H:%M:%SZ")})

    async def paced(self, status0: dict[str, int]) -> None:
        """Poll every due feed at the daemon's own pace: its poll job (which chains ticks
        back to back while due feeds remain, pausing ``per_host_min_gap_s`` between them),
        started again ``tick_s`` after the last start, as the scheduler does."""
        self.daemon.stopping = asyncio.Event()  # bound to this cycle's event loop
        while True:
            started = time.monotonic()
            before = self.daemon.ticks
            await self.daemon.tick_job()
            polled = sum(self.daemon.fetch_status.values()) - sum(status0.values())
            if self.daemon.ticks == before or polled >= self.args.feeds:
                return
            await asyncio.sleep(max(0.0, started + self.cfg.daemon.tick_s - time.monotonic()))

    def cycle(self, gen: int) -> dict[str, Any]:
        import poll

        from aggregator.store.upkeep import checkpoint

        _control(self.ports[0], gen)
        checkpoint(self.store)
        self.make_all_due(datetime.now(UTC) - timedelta(seconds=1))
        bytes0 = _store_bytes(self.cfg.store_path)
        items0 = self.store.counts().get("items", 0)
        status0 = dict(self.daemon.fetch_status)
        c0 = poll.Cpu.now(self.origin.pid)
        t0 = time.monotonic()
        assert self.daemon.pipeline is not None
        ticks0 = self.daemon.ticks
        asyncio.run(self.paced(status0))
        ticks = self.daemon.ticks - ticks0
        checkpoint(self.store)  # the daemon's WAL job, once per cycle
        wall = time.monotonic() - t0
        c1 = poll.Cpu.now(self.origin.pid)
        main_s, helpers_s = c1.since(c0)
        statuses = {
            k: v - status0.get(k, 0)
            for k, v in self.daemon.fetch_status.items()
            if v - status0.get(k, 0)
        }
        helpers_hwm = max((_hwm_kb(p) for p in c1.helpers), default=0)
        pending = self.daemon.pipeline.events.pending_count()
        items = self.store.counts().get("items", 0)
        cpu = main_s + helpers_s
        row = {
            "cycle": gen,
            "wall_s": round(wall, 1),
            "cpu_s": round(cpu, 1),
            "cpu_main_s": round(main_s, 1),
            "cpu_parse_workers_s": round(helpers_s, 1),
            "cpu_share_one_core": round(cpu / INTERVAL_S, 3),
            "interval_share": round(wall / INTERVAL_S, 3),
            "ticks": ticks,
            "statuses": statuses,
            "items_total": items,
            "new_items": items - items0,
            "cluster_backlog_items": pending,
            "store_growth_bytes": _store_bytes(self.cfg.store_path) - bytes0,
            "peak_rss_mb_main": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "peak_rss_mb_parse_worker": round(helpers_hwm / 1024),
        }
        print(
            f"cycle {gen}: wall {wall:6.1f} s  CPU {cpu:6.1f} s ({cpu / INTERVAL_S:.1%} of a core"
            f" per 15 min)  statuses {statuses}  items {items}  backlog {pending}"
            f"  store +{row['store_growth_bytes'] / 1e6:.1f} MB  RSS {row['peak_rss_mb_main']}"
            f" + {row['peak_rss_mb_parse_worker']} MB",
            flush=True,
        )
        return row


def summarize(rows: list[dict[str, Any]], args: argparse.Namespace, cfg: Any) -> dict[str, Any]:
    from aggregator.daemon.loop import FEEDS_PER_TICK_FACTOR

    steady = rows[1:] or rows
    cpu = statistics.median(r["cpu_s"] for r in steady)
    wall = statistics.median(r["wall_s"] for r in steady)
    new_per_cycle = statistics.median(r["new_items"] for r in steady)
    growth = statistics.median(r["store_growth_bytes"] for r in steady)
    share = cpu / INTERVAL_S
    peak = max(r["peak_rss_mb_main"] + r["peak_rss_mb_parse_worker"] for r in rows)
    return {
        "feeds": args.feeds,
        "articles_per_day": args.articles_per_day,
        "steady_cycle_cpu_s": round(cpu, 1),
        "steady_cycle_wall_s": round(wall, 1),
        "cpu_share_one_core": round(share, 3),
        "compression": round(INTERVAL_S / wall, 1),
        "new_items_per_cycle": new_per_cycle,
        "store_growth_mb_per_day": round(growth * CYCLES_PER_DAY / 1e6),
        "peak_rss_mb": peak,
        "max_cluster_backlog_items": max(r["cluster_backlog_items"] for r in rows),
        # The cycles run at the daemon's own pace (chained ticks, per-host pauses), so this
        # is what one machine polls per 15 minutes with these defaults, measured.
        "daemon_pace_feeds_per_15min": int(args.feeds * INTERVAL_S / wall),
        "feeds_per_tick": cfg.fetch.concurrency * FEEDS_PER_TICK_FACTOR,
        "per_host_min_gap_s": cfg.fetch.per_host_min_gap_s,  # kept across chained ticks
        "goal_under_one_core": share < 1.0,
        "goal_under_1_gb": peak < 1024,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--feeds", type=int, default=75_000)
    ap.add_argument("--articles-per-day", type=int, default=200_000)
    ap.add_argument("--cycles", type=int, default=3)
    ap.add_argument("--backend", default="none",
                    help="[cluster] backend ('' = the default model; 'none' by default)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.json")
    ap.add_argument("--serve-origin", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--p-change", type=float, default=0.0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve_origin:
        run_origin(args.p_change)
        return 0
    import logging

    # The daemon logs one INFO line per feed; formatted and discarded, as under journald.
    logging.basicConfig(level=logging.INFO, filename=os.devnull,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    started = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        s = Scale(args, Path(tmp))
        print(f"scale: {args.feeds} feeds (seeded in {s.seed_s:.0f} s), "
              f"{args.articles_per_day} articles/day → p(change) {s.p_change:.4f} per cycle",
              flush=True)
        cfg = s.cfg
        try:
            for gen in range(1, args.cycles + 1):
                rows.append(s.cycle(gen))
        finally:
            s.close()
    summary = summarize(rows, args, cfg)
    result = {
        "benchmark": "scale",
        "issue": "16, item 7",
        "command": " ".join(["bench/scale.py", *(argv if argv is not None else sys.argv[1:])]),
        "started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                    "load_avg_end": [round(x, 2) for x in os.getloadavg()]},
        "params": {"feeds": args.feeds, "articles_per_day": args.articles_per_day,
                   "cycles": args.cycles, "backend": args.backend or "default",
                   "new_per_changed_feed": NEW_PER_CHANGE, "interval_s": INTERVAL_S},
        "summary": summary,
        "cycles": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
