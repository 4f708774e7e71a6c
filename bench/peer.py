"""Side-by-side benchmark of our daemon against lemon24/reader (``reader`` on PyPI: feedparser +
SQLite, the closest Python peer), issue 16 item 1.

Workload: ``--feeds`` RSS 2.0 feeds (200) of ``--items`` items (20), even-numbered feeds English,
odd ones Chinese, item text drawn from WMT21 news (English side for English feeds, Chinese side
for Chinese feeds; read at run time from /work/shared/datasets, never copied), served by an
HTTP/1.1 server in a thread of this process on 127.0.0.1 that sends an ETag and answers a
matching If-None-Match with 304. Every feed has its own URL on that one host.

Each pass is ONE whole fresh process per tool, on a copy of that tool's store as left by pass 1:

    1 new        every item new: empty store, first poll of every feed
    2 304        re-poll, the server answers 304 (If-None-Match matches)
    3 same200    the server ignores conditional headers: 200 with the same bytes and ETag
    4 lastbuild  only <lastBuildDate> changed: 200, new ETag
    5 new2       2 new items per feed on top (the 2 oldest drop off): 200, new ETag

Ours runs only through the CLI (``<venv>/bin/aggregator --config <tmp>/config.toml poll --all``;
no aggregator module is imported here, its module paths move) with a temp config: subscriptions
from an OPML file, ``[fetch] allow_private_networks = true`` and ``per_host_min_gap_s = 0`` (all
feeds share one host here), the store in the temp dir. Two variants: ``[cluster] backend =
"none"`` with dedupe on (all passes), and the default backend (the model; passes 1 and 5).
reader runs through bench/peer_reader.py: ``make_reader(db)``, ``add_feed`` for each URL,
``update_feeds_iter(scheduled=False, workers=1)`` (``--reader-workers``).

CPU = user + sys of the child from ``os.wait4`` (the child and the descendants it reaped), plus
the descendants it left behind: this process is the child subreaper, so e.g. our parse pool's
forkserver and worker, which outlive ``poll --all`` by a moment, are re-parented here and reaped
(without this, ~1 s of pass 1 would be missed); cross-checked against the ``RUSAGE_CHILDREN``
delta. Peak RSS = the largest ``ru_maxrss`` of those (the largest single process of the tree,
not a sum). Each command is started by a small launcher process (``LAUNCHER``: fork + exec,
then ``wait4``): a child this process spawned directly (``vfork`` + exec) inherits this
process's own high-water RSS in its ``ru_maxrss`` (Linux ``exec_mmap`` records the outgoing
mm's peak), so every tool used to "peak" at least at the benchmark's own ~55 MB (a
``/bin/true`` child "peaked" at 174 MB beside a 174 MB parent). Trials alternate
the tools pass by pass (ours, ours with the model, reader, ours, …); medians over ``--trials``
(3; ``--quick``: 1) and ratios ours/reader. The server logs every request with its status
and whether If-None-Match was sent; the per-pass counts are printed and checked so that the
comparison is provably like for like.

Run: ``.venv/bin/python bench/peer.py [--trials 3] [--quick]`` (needs ``pip install -e
'.[bench]'``; ``make bench`` does it). Writes ``bench/results/peer.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import html
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results" / "peer.json"
WMT = Path(os.environ.get("WMT21_DIR", ROOT.parent / "shared" / "datasets" / "wmt21-zh-en-news"))
#: (file, language) pairs of the WMT21 set: the English side and the Chinese side.
WMT_FILES = {
    "en": ("newstest2021.zh-en.ref.A.en", "newstest2021.en-zh.src.en"),
    "zh": ("newstest2021.zh-en.src.zh", "newstest2021.en-zh.ref.A.zh"),
}
#: New items per feed in pass 5.
NEW_PER_FEED = 2
#: Wall-clock limit of one child process, seconds (it is killed after that).
CHILD_TIMEOUT_S = 1200.0
#: How long a finished child's re-parented descendants may take to exit before being killed.
ORPHAN_WAIT_S = 30.0
PR_SET_CHILD_SUBREAPER = 36
SEED = 16


# -- workload ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pass:
    key: str
    label: str
    #: Document version served: v1 (pass 1), v1b (lastBuildDate moved), v2 (2 new items).
    version: str
    #: Does the server honour If-None-Match?
    conditional: bool
    #: Expected status of every request, and whether the client must send If-None-Match.
    status: int
    inm: bool
    #: Run with our default model too (new-item passes only)?
    model: bool


PASSES = (
    Pass("new", "1 every item new", "v1", True, 200, False, True),
    Pass("304", "2 every feed 304", "v1", True, 304, True, False),
    Pass("same200", "3 identical 200 body", "v1", False, 200, True, False),
    Pass("lastbuild", "4 only <lastBuildDate> changed", "v1b", True, 200, True, False),
    Pass("new2", "5 2 new items per feed", "v2", True, 200, True, True),
)


def sentence_pools() -> dict[str, list[str]]:
    pools: dict[str, list[str]] = {}
    for lang, files in WMT_FILES.items():
        lines: list[str] = []
        for name in files:
            path = WMT / name
            if not path.exists():
                sys.exit(f"missing {path}: set $WMT21_DIR")
            minimum = 20 if lang == "en" else 8
            lines += [s.strip() for s in path.read_text(encoding="utf-8").splitlines()
                      if len(s.strip()) > minimum]
        pools[lang] = lines
    return pools


@dataclass(frozen=True)
class Item:
    title: str
    paras: tuple[str, ...]
    published: datetime


def make_items(pools: dict[str, list[str]], feeds: int, per_feed: int,
               now: datetime) -> list[list[Item]]:
    """``per_feed + NEW_PER_FEED`` items per feed, oldest first: a title sentence and 2-4
    paragraphs of two random sentences each (as bench/pipeline.py), half-hour apart."""
    rng = random.Random(SEED)
    out = []
    total = per_feed + NEW_PER_FEED
    for n in range(feeds):
        lang = "en" if n % 2 == 0 else "zh"
        pool, sep = pools[lang], (" " if lang == "en" else "")
        items = []
        for k in range(total):
            title = rng.choice(pool)[: 110 if lang == "en" else 40]
            paras = tuple(sep.join(rng.sample(pool, 2)) for _ in range(rng.randint(2, 4)))
            items.append(Item(title, paras, now - timedelta(minutes=30 * (total - k))))
        out.append(items)
    return out


def make_doc(n: int, items: list[Item], ks: range, build: datetime) -> bytes:
    """RSS 2.0 document of feed ``n`` with items ``ks``, newest first."""
    lang = "en" if n % 2 == 0 else "zh"
    host = f"f{n}.example.com"
    parts = []
    for k in reversed(ks):
        it = items[k]
        body = "".join(f"<p>{html.escape(p)}</p>" for p in it.paras)
        parts.append(
            f"<item><title>{html.escape(it.title)}</title>"
            f"<link>https://{host}/news/{k}.html</link>"
            f'<guid isPermaLink="false">{host}-{k}</guid>'
            f"<pubDate>{format_datetime(it.published, usegmt=True)}</pubDate>"
            f"<dc:creator>Desk {k % 7}</dc:creator>"
            f"<category>{'国际' if lang == 'zh' else 'World'}</category>"
            f"<description>{html.escape(it.paras[0])}</description>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>")
    doc = ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"'
           ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
           ' xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
           f"<title>Bench feed {n}</title><link>https://{host}/</link>"
           f"<description>Peer benchmark feed {n}</description>"
           f"<language>{'zh-cn' if lang == 'zh' else 'en-us'}</language>"
           f"<lastBuildDate>{format_datetime(build, usegmt=True)}</lastBuildDate>"
           + "".join(parts) + "</channel></rss>")
    return doc.encode("utf-8")


def workload(feeds: int, per_feed: int, now: datetime) -> tuple[Origin, list[str]]:
    """This benchmark's feeds (WMT21 text, :func:`make_items`) served by a local ETag origin
    (:func:`make_versions`), and their URLs."""
    items = make_items(sentence_pools(), feeds, per_feed, now)
    origin = Origin(make_versions(items, per_feed, now))
    return origin, [origin.url(n) for n in range(feeds)]


def make_versions(items: list[list[Item]], per_feed: int,
                  now: datetime) -> dict[str, list[bytes]]:
    """v1: items 0..per_feed-1; v1b: the same with lastBuildDate an hour later; v2: two new
    items on top and the two oldest gone, lastBuildDate two hours later."""
    v: dict[str, list[bytes]] = {"v1": [], "v1b": [], "v2": []}
    for n, its in enumerate(items):
        v["v1"].append(make_doc(n, its, range(per_feed), now))
        v["v1b"].append(make_doc(n, its, range(per_feed), now + timedelta(hours=1)))
        v["v2"].append(make_doc(n, its, range(NEW_PER_FEED, per_feed + NEW_PER_FEED),
                                now + timedelta(hours=2)))
    return v


# -- origin --------------------------------------------------------------------------------------
class Origin:
    """The feeds over HTTP/1.1 (keep-alive) on 127.0.0.1, in threads of this process: its CPU is
    never a child's. Logs (run label, status, If-None-Match sent) for every request."""

    def __init__(self, versions: dict[str, list[bytes]]) -> None:
        self.docs = {ver: [(b, '"' + hashlib.sha1(b).hexdigest()[:16] + '"') for b in bodies]
                     for ver, bodies in versions.items()}
        self.version = "v1"
        self.conditional = True
        self.label = ""
        self.log: list[tuple[str, int, bool, str]] = []
        origin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, the body waits for the
            # client's delayed ACK (~40 ms a request: wall time only, but 10× longer runs).
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                inm = self.headers.get("If-None-Match")
                m = re.fullmatch(r"/feed/(\d+)\.xml", self.path)
                docs = origin.docs[origin.version]
                if m is None or int(m.group(1)) >= len(docs):
                    self._send(404, {}, b"not found\n", inm)
                    return
                body, etag = docs[int(m.group(1))]
                if origin.conditional and inm == etag:
                    self._send(304, {"ETag": etag}, b"", inm)
                else:
                    self._send(200, {"ETag": etag,
                                     "Content-Type": "application/rss+xml; charset=utf-8"},
                               body, inm)

            def _send(self, status: int, headers: dict[str, str], body: bytes,
                      inm: str | None) -> None:
                origin.log.append((origin.label, status, inm is not None,
                                   self.headers.get("User-Agent", "")))
                self.send_response(status)
                for k, val in headers.items():
                    self.send_header(k, val)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.port}/feed/{n}.xml"

    def counts(self, label: str) -> dict[str, Any]:
        rows = [r for r in self.log if r[0] == label]
        return {"requests": len(rows),
                "status": {str(s): c for s, c in sorted(Counter(r[1] for r in rows).items())},
                "if_none_match_sent": sum(r[2] for r in rows),
                "user_agents": sorted({r[3] for r in rows})}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- children ------------------------------------------------------------------------------------
def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("AGGREGATOR_STATE_DIR", "AGGREGATOR_CONFIG")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def compile_package(venv: Path, pythonpath: str | None = None) -> str:
    """Byte-compile our package where the CLI will import it from, as an install does (pip
    compiles reader and every other dependency into ``__pycache__``). Our editable checkout
    has no ``.pyc`` files while ``$PYTHONDONTWRITEBYTECODE`` is set (as on the project's
    machine), so every timed run compiled all ~100 modules from source: 0.06 s of a 0.55 s
    304 pass (bench/ab.py, compiled vs not, ×5). Returns the folder compiled."""
    env = child_env()
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    py = str(venv / "bin" / "python")
    where = subprocess.run(
        # -P: not the current folder first (a checkout there would shadow PYTHONPATH)
        [py, "-P", "-c", "import aggregator, os; print(os.path.dirname(aggregator.__file__))"],
        capture_output=True, text=True, check=True, timeout=120, env=env).stdout.strip()
    subprocess.run([py, "-m", "compileall", "-q", where], check=True, timeout=300, env=env,
                   stdout=subprocess.DEVNULL)
    return where


def become_subreaper() -> bool:
    """Make this process the child subreaper (Linux ``PR_SET_CHILD_SUBREAPER``): a descendant
    that outlives its parent (e.g. a forkserver the child never waited for) is re-parented
    here instead of to init, so reap_orphans() can count its CPU."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _my_children() -> list[int]:
    me, pids = os.getpid(), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == me:
            pids.append(int(stat.parent.name))
    return pids


def reap_orphans(wait_s: float) -> dict[str, Any]:
    """Wait for (and account) the finished child's descendants that were re-parented to this
    process; after ``wait_s`` the ones still alive are killed (SIGKILL, by pid)."""
    out: dict[str, Any] = {"pids": 0, "user_s": 0.0, "sys_s": 0.0, "maxrss_kb": 0, "killed": 0}
    deadline = time.monotonic() + wait_s
    while True:
        try:
            pid, _, ru = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:  # no children left
            return out
        if pid:
            out["pids"] += 1
            out["user_s"] += ru.ru_utime
            out["sys_s"] += ru.ru_stime
            out["maxrss_kb"] = max(out["maxrss_kb"], ru.ru_maxrss)
            continue
        if time.monotonic() > deadline:
            for child in _my_children():
                os.kill(child, signal.SIGKILL)
                out["killed"] += 1
            deadline = time.monotonic() + wait_s
        time.sleep(0.01)


#: Runs ``argv[2:]`` from this small process (fork + exec, so the command's peak RSS starts
#: from ~9 MB, not from the benchmark's own), exits with its status and writes its
#: ``wait4`` rusage (user s, sys s, max RSS KiB: the command and the descendants it reaped)
#: to ``argv[1]``.
LAUNCHER = """import json, os, sys
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    json.dump([ru.ru_utime, ru.ru_stime, ru.ru_maxrss], f)
sys.exit(os.waitstatus_to_exitcode(status) & 255)
"""


@dataclass(frozen=True)
class CmdUsage:
    ru_utime: float
    ru_stime: float
    ru_maxrss: int


def run_child(cmd: list[str], cwd: Path, logs: Path, timeout_s: float) -> dict[str, Any]:
    """Run ``cmd`` to completion; its CPU (user + sys) and peak RSS from ``os.wait4``: the child
    with the descendants it reaped, plus those re-parented here and reaped by reap_orphans()."""
    out, err = logs.with_suffix(".out"), logs.with_suffix(".err")
    ru_file = logs.with_suffix(".rusage")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with out.open("wb") as fo, err.open("wb") as fe:
        launcher = [sys.executable, "-S", "-c", LAUNCHER, str(ru_file), *cmd]
        proc = subprocess.Popen(launcher, cwd=cwd, stdout=fo, stderr=fe, env=child_env())
        # os.kill, not proc.kill: Popen.kill polls, and could reap the child (and its rusage).
        timer = threading.Timer(timeout_s, os.kill, (proc.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, _launcher_ru = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    orphans = reap_orphans(ORPHAN_WAIT_S)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:  # the command's own rusage, as its launcher's wait4 saw it
        ru = CmdUsage(*json.loads(ru_file.read_text(encoding="ascii")))
    except (OSError, ValueError, TypeError):
        ru = CmdUsage(0.0, 0.0, 0)
    user, sys_ = ru.ru_utime + orphans["user_s"], ru.ru_stime + orphans["sys_s"]
    delta = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "exit": proc.returncode,
        "cpu_s": round(user + sys_, 3),
        "user_s": round(user, 3),
        "sys_s": round(sys_, 3),
        "cpu_s_rusage_children_delta": round(delta, 3),
        "orphans": {**orphans, "user_s": round(orphans["user_s"], 3),
                    "sys_s": round(orphans["sys_s"], 3)},
        "peak_rss_mb": round(max(ru.ru_maxrss, orphans["maxrss_kb"]) / 1024, 1),
        "wall_s": round(wall, 2),
        "stdout_tail": out.read_text(encoding="utf-8", errors="replace")[-500:],
        "stderr_tail": err.read_text(encoding="utf-8", errors="replace")[-1500:],
    }


def count_rows(db: Path, table: str) -> int | None:
    """Rows of ``table`` after the run, read-only (a sanity check, not timed)."""
    if not db.exists():
        return None
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return None


@dataclass(frozen=True)
class Tool:
    key: str
    label: str
    #: "ours" or "reader"
    kind: str
    #: [cluster] backend for ours; None = the default (the model).
    backend: str | None = None


TOOLS = (
    Tool("ours", "ours (dedupe on, clustering none)", "ours", "none"),
    Tool("ours_model", "ours (default model)", "ours", None),
    Tool("reader", "reader", "reader"),
)


def write_ours_dir(d: Path, urls: list[str], backend: str | None) -> None:
    d.mkdir(parents=True)
    outlines = "\n".join(
        f'    <outline text="Bench feed {n}" title="Bench feed {n}" type="rss" '
        f'xmlUrl="{html.escape(u)}" language="{"en" if n % 2 == 0 else "zh"}"/>'
        for n, u in enumerate(urls))
    (d / "feeds.opml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n'
        "  <head><title>peer bench</title></head>\n  <body>\n" + outlines
        + "\n  </body>\n</opml>\n", encoding="utf-8")
    cluster = f'\n[cluster]\nbackend = "{backend}"\n' if backend else ""
    (d / "config.toml").write_text(
        '[feeds]\nopml = "feeds.opml"\n\n'
        '[store]\npath = "store/aggregator.db"\n\n'
        '[publish]\ndir = "public"\n\n'
        "[fetch]\nallow_private_networks = true\n"
        "# Every bench feed is on 127.0.0.1: without this the per-host gap (1 s) makes a pass\n"
        "# last 200 s of waiting (wall time only; no CPU).\n"
        "per_host_min_gap_s = 0.0\n\n"
        "[dedupe]\nenabled = true\nnear_duplicates = true\n" + cluster, encoding="utf-8")


@dataclass
class Ctx:
    venv: Path
    origin: Origin
    urls: list[str]
    urls_file: Path
    reader_workers: int
    timeout_s: float


def run_pass(ctx: Ctx, tool: Tool, p: Pass, trial: int, tdir: Path) -> dict[str, Any]:
    d = tdir / tool.key / p.key
    first = tdir / tool.key / PASSES[0].key
    if p is PASSES[0]:
        if tool.kind == "ours":
            write_ours_dir(d, ctx.urls, tool.backend)
        else:
            d.mkdir(parents=True)
    else:  # every later pass starts from a copy of the store pass 1 left
        shutil.copytree(first, d)
    logs = tdir / "logs"
    logs.mkdir(exist_ok=True)
    if tool.kind == "ours":
        cmd = [str(ctx.venv / "bin" / "aggregator"), "--config", str(d / "config.toml"),
               "poll", "--all"]
        db, table = d / "store" / "aggregator.db", "items"
    else:
        cmd = [str(ctx.venv / "bin" / "python"), str(BENCH / "peer_reader.py"),
               str(d / "reader.sqlite"), str(ctx.urls_file),
               "--workers", str(ctx.reader_workers)]
        db, table = d / "reader.sqlite", "entries"
    label = f"t{trial}/{tool.key}/{p.key}"
    ctx.origin.version, ctx.origin.conditional, ctx.origin.label = (
        p.version, p.conditional, label)
    res = run_child(cmd, d, logs / label.replace("/", "-"), ctx.timeout_s)
    ctx.origin.label = ""
    res.update(trial=trial, tool=tool.key, pass_=p.key, http=ctx.origin.counts(label),
               store_rows=count_rows(db, table))
    last = (res["stdout_tail"].strip().splitlines() or [""])[-1]
    res["new_items"] = None
    if tool.kind == "reader":
        try:
            res["reader_counts"] = json.loads(last)
            res["new_items"] = res["reader_counts"]["new"]
        except (ValueError, KeyError):
            res["reader_counts"] = None
    else:  # "polled 200 feeds: 4000 new items, 0 feeds with errors, …"
        res["summary_line"] = last
        m = re.search(r"(\d+) new items", last)
        res["new_items"] = int(m.group(1)) if m else None
    if res["exit"] != 0:
        sys.exit(f"{label} failed (exit {res['exit']}): {' '.join(cmd)}\n{res['stderr_tail']}")
    return res


def check(res: dict[str, Any], p: Pass, feeds: int, per_feed: int) -> list[str]:
    """Like for like: every feed requested once, with the expected status and validators, and
    the expected number of new items reported by the tool."""
    h = res["http"]
    problems = []
    want = {"new": feeds * per_feed, "new2": feeds * NEW_PER_FEED}.get(p.key, 0)
    if res["new_items"] != want:
        problems.append(f"{res['new_items']} new items reported, expected {want}")
    if h["requests"] != feeds:
        problems.append(f"{h['requests']} requests, expected {feeds}")
    if h["status"] != {str(p.status): feeds}:
        problems.append(f"statuses {h['status']}, expected {{{p.status}: {feeds}}}")
    if h["if_none_match_sent"] != (feeds if p.inm else 0):
        problems.append(f"If-None-Match sent {h['if_none_match_sent']} times, expected "
                        f"{feeds if p.inm else 0}")
    return problems


# -- report --------------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        kb = int(Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1])
        mem_gib = round(kb / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return {"cpu_count": os.cpu_count(), "cpu_model": model, "mem_gib": mem_gib,
            "platform": platform.platform(), "python": platform.python_version(),
            "load_avg_start": [round(x, 2) for x in os.getloadavg()]}


def versions(venv: Path) -> dict[str, Any]:
    code = ("import importlib.metadata as m, json; print(json.dumps({p: m.version(p) for p in "
            "('aggregator', 'reader', 'feedparser', 'requests', 'httpx', 'lxml')}))")
    try:
        out = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True,
                             text=True, timeout=60, check=True).stdout
    except subprocess.CalledProcessError as e:
        sys.exit(f"reader is not installed in {venv}: run `make bench` or "
                 f"`{venv}/bin/pip install -e '.[bench]'`\n{e.stderr[-500:]}")
    v: dict[str, Any] = json.loads(out)
    git = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True, check=False).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "aggregator"],
                           capture_output=True, text=True, check=False).stdout.strip()
    v["git_commit"] = git + ("+dirty aggregator/" if dirty else "")
    return v


def summarize(runs: list[dict[str, Any]], feeds: int, per_feed: int) -> dict[str, Any]:
    items = {"new": feeds * per_feed, "304": 0, "same200": feeds * per_feed,
             "lastbuild": feeds * per_feed, "new2": feeds * NEW_PER_FEED}
    med: dict[str, Any] = {}
    for p in PASSES:
        med[p.key] = {}
        for t in TOOLS:
            rs = [r for r in runs if r["pass_"] == p.key and r["tool"] == t.key]
            if not rs:
                continue
            cpu = statistics.median(r["cpu_s"] for r in rs)
            med[p.key][t.key] = {
                "cpu_s": round(cpu, 3),
                "cpu_s_trials": [r["cpu_s"] for r in rs],
                "peak_rss_mb": round(statistics.median(r["peak_rss_mb"] for r in rs), 1),
                "wall_s": round(statistics.median(r["wall_s"] for r in rs), 2),
                "items": items[p.key],
                "items_per_cpu_s": round(items[p.key] / cpu) if items[p.key] else None,
                "ms_per_feed": round(cpu * 1000 / feeds, 2),
            }
        rd = med[p.key].get("reader")
        for key in ("ours", "ours_model"):
            if rd and key in med[p.key]:
                m = med[p.key][key]
                m["ratio_cpu"] = round(m["cpu_s"] / rd["cpu_s"], 2)
                m["ratio_peak_rss"] = round(m["peak_rss_mb"] / rd["peak_rss_mb"], 2)
                per_trial = [o["cpu_s"] / r["cpu_s"] for o, r in zip(
                    [x for x in runs if x["pass_"] == p.key and x["tool"] == key],
                    [x for x in runs if x["pass_"] == p.key and x["tool"] == "reader"],
                    strict=True)]
                m["ratio_cpu_per_trial"] = [round(x, 2) for x in per_trial]
    peak = {t.key: max((med[p][t.key]["peak_rss_mb"] for p in med if t.key in med[p]),
                       default=None) for t in TOOLS}
    return {"passes": med, "peak_rss_mb_max_over_passes": peak}


def table(summary: dict[str, Any]) -> str:
    med = summary["passes"]
    lines = [
        "| pass | ours CPU-s | reader CPU-s | ours/reader | items/CPU-s ours / reader "
        "| peak RSS MB ours / reader | ours+model CPU-s | model/reader | model peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in PASSES:
        m = med[p.key]
        o, r, om = m.get("ours"), m.get("reader"), m.get("ours_model")
        if not (o and r):
            continue
        ipc = (f"{o['items_per_cpu_s']:,} / {r['items_per_cpu_s']:,}"
               if o["items_per_cpu_s"] else "—")
        model = (f"{om['cpu_s']:.2f} | **{om['ratio_cpu']:.2f}×** | {om['peak_rss_mb']:.0f}"
                 if om else " | | ")
        lines.append(f"| {p.label} | {o['cpu_s']:.2f} | {r['cpu_s']:.2f} | "
                     f"**{o['ratio_cpu']:.2f}×** | {ipc} | "
                     f"{o['peak_rss_mb']:.0f} / {r['peak_rss_mb']:.0f} | {model} |")
    pk = summary["peak_rss_mb_max_over_passes"]
    if pk.get("ours") and pk.get("reader"):
        model = (f"{pk['ours_model']:.0f} ({pk['ours_model'] / pk['reader']:.2f}×)"
                 if pk.get("ours_model") else "")
        lines.append(f"| peak RSS, max over passes (MB) | | | "
                     f"**{pk['ours'] / pk['reader']:.2f}×** | | "
                     f"{pk['ours']:.0f} / {pk['reader']:.0f} | | | {model} |")
    return "\n".join(lines)


def http_table(runs: list[dict[str, Any]]) -> str:
    lines = ["| trial | pass | tool | requests | statuses | If-None-Match sent | new items "
             "| store rows |", "|---:|---|---|---:|---|---:|---:|---:|"]
    for r in runs:
        h = r["http"]
        st = ", ".join(f"{k}×{v}" for k, v in h["status"].items())
        lines.append(f"| {r['trial']} | {r['pass_']} | {r['tool']} | {h['requests']} | {st} | "
                     f"{h['if_none_match_sent']} | {r['new_items']} | {r['store_rows']} |")
    return "\n".join(lines)


# -- main ----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=3, help="alternated trials (default 3)")
    ap.add_argument("--quick", action="store_true", help="one trial (make bench's quick run)")
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=20, help="items per feed")
    ap.add_argument("--reader-workers", type=int, default=1,
                    help="reader's update_feeds workers (threads); default 1")
    ap.add_argument("--no-model", action="store_true",
                    help="skip the runs of ours with the default model")
    ap.add_argument("--venv", type=Path, default=ROOT / ".venv")
    ap.add_argument("--timeout-s", type=float, default=CHILD_TIMEOUT_S,
                    help="wall-clock limit per child process")
    ap.add_argument("--keep", action="store_true", help="keep the temp dirs (stores, logs)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    trials = 1 if args.quick else args.trials
    if not (args.venv / "bin" / "aggregator").exists():
        sys.exit(f"{args.venv}/bin/aggregator missing: run `make bench` first")
    ver = versions(args.venv)
    subreaper = become_subreaper()
    started = datetime.now(UTC)
    mach = machine()
    now = started.replace(microsecond=0)
    origin, urls = workload(args.feeds, args.items, now)
    tmp = Path(tempfile.mkdtemp(prefix="peer-bench-"))
    urls_file = tmp / "urls.txt"
    urls_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    ctx = Ctx(args.venv, origin, urls, urls_file, args.reader_workers, args.timeout_s)
    tools = [t for t in TOOLS if not (args.no_model and t.key == "ours_model")]
    compiled = compile_package(args.venv)
    # Untimed warm-up: both programs' files into the page cache.
    for cmd in ([str(args.venv / "bin" / "aggregator"), "--help"],
                [str(args.venv / "bin" / "python"), "-c", "import reader, feedparser"]):
        subprocess.run(cmd, capture_output=True, check=False, timeout=120)
    runs: list[dict[str, Any]] = []
    problems: list[str] = []
    try:
        for trial in range(1, trials + 1):
            tdir = tmp / f"trial{trial}"
            for p in PASSES:
                for t in tools:
                    if t.key == "ours_model" and not p.model:
                        continue
                    print(f"trial {trial}/{trials}  pass {p.key:<9}  {t.key:<10}",
                          end="  ", file=sys.stderr, flush=True)
                    r = run_pass(ctx, t, p, trial, tdir)
                    runs.append(r)
                    bad = check(r, p, args.feeds, args.items)
                    problems += [f"t{trial}/{t.key}/{p.key}: {b}" for b in bad]
                    print(f"CPU {r['cpu_s']:7.2f} s  peak {r['peak_rss_mb']:6.1f} MB  "
                          f"wall {r['wall_s']:6.1f} s  http {r['http']['status']}  "
                          f"new {r['new_items']}  rows {r['store_rows']}"
                          + ("  MISMATCH" if bad else ""),
                          file=sys.stderr, flush=True)
            if not args.keep:
                shutil.rmtree(tdir)
    finally:
        origin.close()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}", file=sys.stderr)
    summary = summarize(runs, args.feeds, args.items)
    for r in runs:  # keep the JSON small: tails only where something went wrong
        if r["exit"] != 0:
            continue
        r.pop("stdout_tail", None)
        r["stderr_tail"] = r["stderr_tail"][-300:]
    result = {
        "benchmark": "peer",
        "issue": "16, item 1",
        "started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": " ".join(["bench/peer.py", *(argv if argv is not None else sys.argv[1:])]),
        "machine": {**mach, "load_avg_end": [round(x, 2) for x in os.getloadavg()]},
        "versions": ver,
        "workload": {
            "feeds": args.feeds, "items_per_feed": args.items, "new_per_feed_pass5": NEW_PER_FEED,
            "languages": "even feeds en (WMT21 English side), odd feeds zh (Chinese side), utf-8",
            "origin": "http.server HTTP/1.1 keep-alive thread on 127.0.0.1, ETag + 304, "
                      "no compression",
            "passes": {p.key: p.label for p in PASSES},
        },
        "settings": {
            "trials": trials, "order": "per pass: " + ", ".join(t.key for t in tools),
            "reader_workers": args.reader_workers,
            "reader_call": "update_feeds_iter(scheduled=False, workers=N)",
            "ours_call": "aggregator --config CONFIG poll --all",
            "ours_config": "[fetch] allow_private_networks = true, per_host_min_gap_s = 0; "
                           "[dedupe] on + near-dup; [cluster] backend none / default",
            "cpu": "user+sys of the child from os.wait4 (incl. descendants it reaped) + "
                   "descendants re-parented to this process (child subreaper: "
                   f"{subreaper})",
            "peak_rss": "ru_maxrss of that rusage: the largest process of the tree",
            "bytecode": f"{compiled} byte-compiled before timing, as an install does for "
                        "reader and every dependency",
        },
        "like_for_like": {"ok": not problems, "problems": problems},
        "medians": summary,
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    print(f"\nRequests seen by the origin, per run (like for like: "
          f"{'yes' if not problems else 'NO'}):\n")
    print(http_table(runs))
    print(f"\nPeer benchmark, {args.feeds} feeds × {args.items} items, {trials} trial(s), "
          f"medians; CPU = user+sys of the whole process; reader workers="
          f"{args.reader_workers}; {mach['cpu_count']} cores, load "
          f"{mach['load_avg_start'][0]:.1f}; {ver['git_commit']}:\n")
    print(table(summary))
    if problems:
        print("\nNOT like for like:\n  " + "\n  ".join(problems))
    print(f"\nwrote {args.out}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
