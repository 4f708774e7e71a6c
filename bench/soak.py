"""Soak test: the real daemon (``aggregator run`` subprocess) against ~1,000 local feeds for
minutes, with hostile feeds and a long-running read-only reader (catalogue LOAD-*, NET-08,
DB-03, PROC-*). Not part of the test suite: ``make soak`` (or ``python bench/soak.py``).

Setup (everything on 127.0.0.1, every loop bounded by ``--minutes``):

- an origin in a separate process (``soak.py --origin``): a small asyncio HTTP/1.1 server with
  keep-alive and ETags. Normal feeds gain one item every ``ITEM_PERIOD_S`` (window of
  ``WINDOW_ITEMS``); hostile ones are gzip bombs, slow drips, redirect loops, flapping 500s
  and feeds whose GUIDs change on every fetch. It records every GUID it served.
- the daemon with short intervals (``schedule.min_interval_s`` 30 s, max 60 s, tick 5 s),
  per-host limits lifted (all feeds share one host), ``cluster.backend = "none"`` unless
  ``--model``.
- a reader that holds a ``mode=ro`` read transaction for ``READER_HOLD_S`` at a time.

Every ``SAMPLE_S`` it samples the daemon's RSS (main process and its children, from
``/proc/<pid>/status``), the WAL size and how many feeds are overdue. At the end the origin
freezes its feeds, the daemon gets one more full interval to catch up, then SIGTERM;
``PRAGMA integrity_check``, items per feed vs GUIDs served, errors per hostile feed and the
RSS trend (mean of the first third vs the last third) go to ``bench/results/soak.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "tests"))
from synthetic import words  # noqa: E402  (shared with tests/daemon/test_daemon.py)

#: A normal feed gains one item this often (seconds) and shows its latest WINDOW_ITEMS.
ITEM_PERIOD_S = 20.0
WINDOW_ITEMS = 40
#: Items every normal feed already has at start.
INITIAL_ITEMS = 10
#: Sampling period for RSS, WAL and overdue feeds.
SAMPLE_S = 10.0
#: The long reader holds its read transaction this long, then rests REST_S.
READER_HOLD_S = 60.0
READER_REST_S = 5.0
#: Short schedule so every feed is polled many times during the run.
MIN_INTERVAL_S = 30
MAX_INTERVAL_S = 60
TICK_S = 5
FETCH_DEADLINE_S = 10.0
#: A feed is "overdue" when its next_check_at is this far in the past.
OVERDUE_SLACK_S = 3 * TICK_S + FETCH_DEADLINE_S
#: Samples before this (seconds) are warm-up and left out of the RSS trend.
WARMUP_S = 60.0
#: Hostile kinds; each takes HOSTILE_FRACTION of the feeds.
HOSTILE_KINDS = ("bomb", "drip", "loop", "flap", "churn")
HOSTILE_FRACTION = 0.02
BOMB_DECODED_BYTES = 100 * 1024 * 1024
DRIP_MAX_S = 60.0


def kind_of(n: int, total: int) -> str:
    per = max(1, int(total * HOSTILE_FRACTION))
    idx = n // per
    return HOSTILE_KINDS[idx] if idx < len(HOSTILE_KINDS) else "normal"


def headline(seed: int, k: int) -> str:
    return words(seed * 100_003 + k, 7)


# --------------------------------------------------------------------------------- origin
class OriginState:
    def __init__(self, total: int) -> None:
        self.total = total
        self.t0 = time.time()
        self.frozen_at: float | None = None
        self.requests = 0
        self.per_feed_requests: dict[int, int] = defaultdict(int)
        self.served: dict[int, set[str]] = defaultdict(set)
        self.bomb = gzip.compress(bytes(BOMB_DECODED_BYTES), 6)

    def now(self) -> float:
        return self.frozen_at if self.frozen_at is not None else time.time()

    def feed_body(self, n: int, churn: int | None = None) -> bytes:
        kmax = INITIAL_ITEMS + int((self.now() - self.t0) / ITEM_PERIOD_S)
        ks = range(max(0, kmax - WINDOW_ITEMS), kmax)
        items = []
        for k in ks:
            guid = f"f{n}-i{k}" if churn is None else f"f{n}-i{k}-fetch{churn}"
            pub = time.strftime(
                "%a, %d %b %Y %H:%M:%S GMT", time.gmtime(self.t0 + (k - INITIAL_ITEMS) * 20)
            )
            items.append(
                f'<item><guid isPermaLink="false">{guid}</guid>'
                f"<link>http://news{n}.example.org/story/{k}</link>"
                f"<title>{headline(n, k)} {n}-{k}</title>"
                f"<description>{headline(n + 7, k)} {headline(n + 11, k)}</description>"
                f"<pubDate>{pub}</pubDate></item>"
            )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Soak feed {n}</title><link>http://news{n}.example.org/</link>"
            + "".join(reversed(items))
            + "</channel></rss>"
        ).encode()


def _resp(status: int, headers: dict[str, str], body: bytes = b"") -> bytes:
    reason = {200: "OK", 302: "Found", 304: "Not Modified", 404: "Not Found", 500: "Error"}
    h = {"Content-Length": str(len(body)), **headers}
    head = f"HTTP/1.1 {status} {reason.get(status, 'X')}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in h.items()
    )
    return head.encode() + b"\r\n" + body


async def handle(state: OriginState, reader: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    try:
        for _ in range(10_000):  # keep-alive requests per connection, bounded
            raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=30)
            lines = raw.decode("latin-1").split("\r\n")
            _method, path, _ = lines[0].split(" ", 2)
            hdrs = {
                k.strip().lower(): v.strip()
                for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)
            }
            state.requests += 1
            if path == "/_freeze":
                state.frozen_at = time.time()
                w.write(_resp(200, {}, b"frozen"))
            elif path == "/_served":
                data = {str(k): sorted(v) for k, v in state.served.items()}
                w.write(_resp(200, {"Content-Type": "application/json"}, json.dumps(data).encode()))
            elif path.startswith("/f/"):
                n = int(path.split("/")[2].split(".")[0])
                await serve_feed(state, n, path, hdrs, w)
            else:
                w.write(_resp(404, {}, b"not found"))
            await w.drain()
            if hdrs.get("connection", "").lower() == "close":
                break
    except (asyncio.IncompleteReadError, ConnectionError, TimeoutError, ValueError):
        pass
    finally:
        w.close()


async def serve_feed(
    state: OriginState, n: int, path: str, hdrs: dict[str, str], w: asyncio.StreamWriter
) -> None:
    kind = kind_of(n, state.total)
    state.per_feed_requests[n] += 1
    count = state.per_feed_requests[n]
    ct = {"Content-Type": "application/rss+xml"}
    if kind == "bomb":
        w.write(_resp(200, {**ct, "Content-Encoding": "gzip"}, state.bomb))
        return
    if kind == "loop":
        other = path[:-1] + ("b" if path.endswith("a") else "a")
        w.write(_resp(302, {"Location": other if path.endswith(("a", "b")) else path + "a"}))
        return
    if kind == "drip":
        w.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        end = time.monotonic() + DRIP_MAX_S
        while time.monotonic() < end:
            w.write(b"1\r\n<\r\n")
            await w.drain()
            await asyncio.sleep(0.5)
        w.write(b"0\r\n\r\n")
        return
    if kind == "flap" and count % 2 == 1:
        w.write(_resp(500, {}, b"flapping"))
        return
    body = state.feed_body(n, churn=count if kind == "churn" else None)
    etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
    if hdrs.get("if-none-match") == etag:
        w.write(_resp(304, {"ETag": etag}))
        return
    import re

    state.served[n].update(re.findall(r'<guid isPermaLink="false">([^<]+)</guid>', body.decode()))
    w.write(_resp(200, {**ct, "ETag": etag}, body))


def run_origin(port_file: Path, total: int, max_s: float) -> None:
    state = OriginState(total)

    async def main() -> None:
        server = await asyncio.start_server(
            lambda r, w: handle(state, r, w), "127.0.0.1", 0, backlog=1024
        )
        port_file.write_text(str(server.sockets[0].getsockname()[1]))
        async with server:
            await asyncio.sleep(max_s)  # bounded: the parent normally kills us first

    asyncio.run(main())


# --------------------------------------------------------------------------------- driver
def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            out.extend(int(x) for x in text)
    except OSError:
        pass
    nested = [c for p in out for c in children(p)]
    return out + nested


def http_get(port: int, path: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
        return bytes(r.read())


def long_reader(db: Path, stop: threading.Event, log: list[dict[str, Any]]) -> None:
    """Hold a read transaction on a ``mode=ro`` connection for READER_HOLD_S at a time."""
    while not stop.is_set() and not db.exists():
        stop.wait(1)
    while not stop.is_set():
        try:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
            con.execute("BEGIN")
            n = con.execute("SELECT COUNT(*) FROM items").fetchone()[0]
            started = time.monotonic()
            stop.wait(READER_HOLD_S)
            n2 = con.execute("SELECT COUNT(*) FROM items").fetchone()[0]
            con.execute("COMMIT")
            con.close()
            log.append(
                {
                    "held_s": round(time.monotonic() - started, 1),
                    "items": n,
                    "snapshot_stable": n == n2,
                }
            )
        except sqlite3.Error as exc:
            log.append({"error": str(exc)})
        stop.wait(READER_REST_S)


def mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--model", action="store_true", help="cluster with the default model")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument(
        "--window-days",
        type=float,
        default=3.0,
        help="cluster.window_days: the clusterer holds this window's items in"
        " memory, so set it below the run's length to see whether memory levels off"
        " (e.g. 0.003 ≈ 4 min)",
    )
    ap.add_argument("--out", type=Path, default=RESULTS / "soak.json")
    ap.add_argument("--origin", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--port-file", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    run_s = args.minutes * 60
    if args.origin:
        run_origin(args.port_file, args.feeds, run_s + 600)
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="aggregator-soak-"))
    port_file = tmp / "origin.port"
    origin = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--origin",
            "--feeds",
            str(args.feeds),
            "--minutes",
            str(args.minutes),
            "--port-file",
            str(port_file),
        ]
    )
    daemon: subprocess.Popen[bytes] | None = None
    stop = threading.Event()
    try:
        for _ in range(600):
            if port_file.exists() and port_file.read_text():
                break
            time.sleep(0.1)
        port = int(port_file.read_text())
        urls = {}
        lines = []
        for n in range(args.feeds):
            kind = kind_of(n, args.feeds)
            url = f"http://127.0.0.1:{port}/f/{n}.xml" + ("a" if kind == "loop" else "")
            urls[url] = (n, kind)
            lines.append(f'<outline type="rss" text="f{n}" xmlUrl="{url}"/>')
        (tmp / "feeds.opml").write_text(
            '<?xml version="1.0"?><opml version="2.0"><head><title>soak</title></head><body>'
            + "".join(lines)
            + "</body></opml>"
        )
        (tmp / "config.toml").write_text(
            f"""[feeds]
opml = "feeds.opml"
[store]
path = "db/soak.db"
[publish]
dir = "public"
[fetch]
allow_private_networks = true
per_host_min_gap_s = 0.0
per_host_concurrency = 32
concurrency = 32
deadline_s = {FETCH_DEADLINE_S}
[schedule]
min_interval_s = {MIN_INTERVAL_S}
default_interval_s = {MIN_INTERVAL_S}
max_interval_s = {MAX_INTERVAL_S}
max_backoff_s = {MAX_INTERVAL_S * 4}
per_host_due_cap = {args.feeds * 2}
[cluster]
backend = "{"use" if args.model else "none"}"
window_days = {args.window_days}
[server]
port = 0
[daemon]
tick_s = {TICK_S}
publish_interval_s = 60
checkpoint_interval_s = 30
[log]
level = "WARNING"
"""
        )
        db = tmp / "db" / "soak.db"
        wal = tmp / "db" / "soak.db-wal"
        env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
        env["HTTP_PROXY"] = env["ALL_PROXY"] = "http://127.0.0.1:9"  # must be ignored (NET-06)
        started = time.monotonic()
        daemon = subprocess.Popen(
            [sys.executable, "-m", "aggregator.cli", "--config", str(tmp / "config.toml"), "run"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp / "daemon.log", "wb"),  # noqa: SIM115
        )
        reader_log: list[dict[str, Any]] = []
        reader = threading.Thread(target=long_reader, args=(db, stop, reader_log), daemon=True)
        reader.start()
        samples: list[dict[str, Any]] = []
        freeze_at = run_s
        catchup_s = MAX_INTERVAL_S + FETCH_DEADLINE_S + 2 * TICK_S
        frozen = False
        while time.monotonic() - started < run_s + catchup_s:
            if daemon.poll() is not None:
                break
            t = time.monotonic() - started
            if not frozen and t >= freeze_at:
                http_get(port, "/_freeze")
                frozen = True
            kids = children(daemon.pid)
            sample: dict[str, Any] = {
                "t_s": round(t, 1),
                "rss_main_kib": rss_kib(daemon.pid),
                "rss_total_kib": rss_kib(daemon.pid) + sum(rss_kib(k) for k in kids),
                "wal_bytes": wal.stat().st_size if wal.exists() else 0,
            }
            if db.exists():
                try:
                    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
                    now_iso = time.strftime(
                        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - OVERDUE_SLACK_S)
                    )
                    sample["overdue_feeds"] = con.execute(
                        "SELECT COUNT(*) FROM feeds WHERE disabled = 0 AND next_check_at < ?",
                        (now_iso,),
                    ).fetchone()[0]
                    sample["fetches"] = con.execute("SELECT COUNT(*) FROM fetches").fetchone()[0]
                    sample["items"] = con.execute("SELECT COUNT(*) FROM items").fetchone()[0]
                    con.close()
                except sqlite3.Error as exc:
                    sample["sample_error"] = str(exc)
            samples.append(sample)
            print(json.dumps(sample), flush=True)
            time.sleep(SAMPLE_S)
        daemon_alive = daemon.poll() is None
        stop.set()
        reader.join(timeout=READER_HOLD_S + 15)
        daemon.send_signal(signal.SIGTERM)
        try:
            rc = daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            rc = daemon.wait(timeout=10)
        served = json.loads(http_get(port, "/_served"))
        result = summarise(db, urls, served, samples, reader_log, rc, daemon_alive, args, run_s)
        result["temp_dir"] = str(tmp) if args.keep else None
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=2))
        return 0 if result["ok"] else 1
    finally:
        stop.set()
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
        origin.terminate()
        try:
            origin.wait(timeout=10)
        except subprocess.TimeoutExpired:
            origin.kill()
        if not args.keep:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)


def summarise(
    db: Path,
    urls: dict[str, tuple[int, str]],
    served: dict[str, list[str]],
    samples: list[dict[str, Any]],
    reader_log: list[dict[str, Any]],
    rc: int,
    daemon_alive: bool,
    args: argparse.Namespace,
    run_s: float,
) -> dict[str, Any]:
    con = sqlite3.connect(db)
    integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    feeds = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT url, id, error_count, last_error, disabled, subscribed_url FROM feeds"
        )
    }
    by_sub = {r[4] or url: (r[0], r[1], r[2], r[3]) for url, r in feeds.items()}
    fetch_counts = dict(con.execute("SELECT feed_id, COUNT(*) FROM fetches GROUP BY feed_id"))
    err_counts = dict(
        con.execute(
            "SELECT feed_id, COUNT(*) FROM fetches WHERE error IS NOT NULL GROUP BY feed_id"
        )
    )
    lost_total = 0
    lost_feeds: dict[str, int] = {}
    hostile: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"feeds": 0, "fetches": 0, "errors": 0, "sample_errors": set(), "disabled": 0}
    )
    normal_fetches: list[int] = []
    churn_items: list[int] = []
    for url, (n, kind) in urls.items():
        if url not in by_sub:
            lost_feeds[url] = -1
            continue
        fid, _errs, last_error, disabled = by_sub[url]
        stored = {r[0] for r in con.execute("SELECT guid FROM items WHERE feed_id = ?", (fid,))}
        if kind == "normal":
            normal_fetches.append(fetch_counts.get(fid, 0))
            missing = set(served.get(str(n), [])) - stored
            if missing:
                lost_feeds[url] = len(missing)
                lost_total += len(missing)
        else:
            h = hostile[kind]
            h["feeds"] += 1
            h["fetches"] += fetch_counts.get(fid, 0)
            h["errors"] += err_counts.get(fid, 0)
            h["disabled"] += int(bool(disabled))
            if last_error:
                h["sample_errors"].add(str(last_error)[:80])
            if kind == "churn":
                churn_items.append(len(stored))
    for h in hostile.values():
        h["sample_errors"] = sorted(h["sample_errors"])[:3]
    n_items = con.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    con.close()
    # RSS trend after warm-up (imports, first full poll round): first vs last third.
    steady = [s for s in samples if s["t_s"] >= WARMUP_S] or samples
    third = max(1, len(steady) // 3)
    first = [s["rss_total_kib"] for s in steady[:third]]
    last = [s["rss_total_kib"] for s in steady[-third:]]
    growth = (mean(last) - mean(first)) / mean(first) if mean(first) else 0.0
    # Expected polls of a normal feed: one per interval, between MIN and MAX_INTERVAL_S.
    dur = samples[-1]["t_s"] if samples else 0.0
    result: dict[str, Any] = {
        "minutes": args.minutes,
        "feeds": args.feeds,
        "model": args.model,
        "daemon_alive_until_stop": daemon_alive,
        "daemon_exit_code": rc,
        "integrity_check": integrity,
        "items_stored": n_items,
        "items_lost": lost_total,
        "feeds_with_lost_items": dict(list(lost_feeds.items())[:10]),
        "normal_polls_per_feed": {
            "min": min(normal_fetches, default=0),
            "mean": round(mean([float(x) for x in normal_fetches]), 1),
            "expected_range": [int(dur // MAX_INTERVAL_S), int(dur // MIN_INTERVAL_S) + 1],
        },
        "overdue_feeds_max": max((s.get("overdue_feeds", 0) for s in samples), default=0),
        "hostile": dict(hostile),
        "churn_items_per_feed_max": max(churn_items, default=0),
        "rss_total_kib_first_third": round(mean(first)),
        "rss_total_kib_last_third": round(mean(last)),
        "rss_growth_fraction": round(growth, 3),
        "rss_main_kib_max": max((s["rss_main_kib"] for s in samples), default=0),
        "wal_bytes_max": max((s["wal_bytes"] for s in samples), default=0),
        "wal_bytes_last": samples[-1]["wal_bytes"] if samples else 0,
        "reader_transactions": reader_log,
        "samples": samples,
    }
    result["ok"] = bool(
        integrity == "ok"
        and lost_total == 0
        and daemon_alive
        and rc == 0
        and growth < 0.25
        and result["normal_polls_per_feed"]["min"]
        >= result["normal_polls_per_feed"]["expected_range"][0] - 2
    )
    return result


if __name__ == "__main__":
    sys.exit(main())
