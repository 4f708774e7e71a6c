"""The parse worker pool (aggregator.parse.pool) through real processes: ``aggregator poll
--all`` as a child process against a local origin, and the pool's workers as real children
whose budget, death and cleanup the tests watch (issue 15, items 1 and 6)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import time
from pathlib import Path

from conftest import make_config, run_cli
from origin import Origin

from aggregator.opml import Subscription, write_opml
from aggregator.parse.document import ParseError
from aggregator.parse.pool import ParsePool

#: Parse budget for these tests (seconds): short, so that the huge documents blow it.
SHORT_BUDGET_S = 2.0
#: Entries in a "huge but legal" Atom document: ~10 MB, under the 15 MiB byte cap, and
#: parsed by feedparser (the fast path takes RSS only) in well over SHORT_BUDGET_S here.
HUGE_ATOM_ENTRIES = 40_000
TINY_FEEDS = 10


def atom(n_entries: int, tag: str) -> bytes:
    entry = (
        "<entry><id>urn:{tag}:{i}</id><link href='http://example.org/{tag}/{i}'/>"
        "<title>Headline number {i} about something {tag}</title>"
        "<summary>Body text of item {i}, long enough to look like news.</summary>"
        "<updated>2026-11-19T10:00:00Z</updated></entry>"
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Feed {tag}</title><id>urn:{tag}</id><updated>2026-11-19T10:00:00Z</updated>"
        + "".join(entry.format(i=i, tag=tag) for i in range(n_entries))
        + "</feed>"
    ).encode()


def write_config(tmp_path: Path, urls: list[str], **parse: object) -> Path:
    (tmp_path / "feeds.opml").write_bytes(write_opml([Subscription(url=u) for u in urls]))
    sections: dict[str, dict[str, object]] = {
        "feeds": {"opml": "feeds.opml"},
        "store": {"path": "db/aggregator.db"},
        "publish": {"dir": "public"},
        "fetch": {"allow_private_networks": True, "per_host_min_gap_s": 0.0, "deadline_s": 20.0},
        "schedule": {"per_host_due_cap": 1000},
        "cluster": {"backend": "none"},
        "parse": dict(parse),
    }
    make_config(tmp_path, **sections)  # validates
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {json.dumps(v)}" for k, v in values.items())
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_huge_documents_never_fail_the_queued_tiny_ones(tmp_path: Path, origin: Origin) -> None:
    """Two huge-but-legal Atom documents reach the parser first (the tiny feeds answer 0.5 s
    later), then ten tiny feeds, in one ``poll --all`` with a 2 s budget: each tiny feed's
    budget starts when its own parse starts, so all ten succeed; only the huge ones fail,
    each with its own budget error (before: all ten tiny feeds failed with the budget)."""
    urls = []
    for k in range(2):
        origin.static(f"/huge{k}.atom", atom(HUGE_ATOM_ENTRIES, f"h{k}"),
                      content_type="application/atom+xml")  # fmt: skip
        urls.append(origin.url(f"/huge{k}.atom"))
    for k in range(TINY_FEEDS):
        origin.static(f"/tiny{k}.atom", atom(2, f"t{k}"), content_type="application/atom+xml",
                      delay_s=0.5)  # fmt: skip
        urls.append(origin.url(f"/tiny{k}.atom"))
    config = write_config(tmp_path, urls, timeout_s=SHORT_BUDGET_S)
    started = time.monotonic()
    out = run_cli(config, "poll", "--all", timeout=180)
    elapsed = time.monotonic() - started
    assert out.returncode == 0, out.stderr
    with sqlite3.connect(tmp_path / "db" / "aggregator.db") as db:
        rows = dict(db.execute("SELECT url, last_error FROM feeds").fetchall())
        items = dict(
            db.execute(
                "SELECT f.url, COUNT(i.id) FROM feeds f LEFT JOIN items i ON i.feed_id = f.id"
                " GROUP BY f.url"
            ).fetchall()
        )
    tiny = [u for u in urls if "/tiny" in u]
    assert {u: rows[u] for u in tiny} == {u: None for u in tiny}
    assert all(items[u] == 2 for u in tiny), items
    for u in urls[:2]:
        assert rows[u] is not None and "budget" in rows[u], rows[u]
    # Two budgets (in parallel on ≥ 2 cores, one after the other on 1) plus start-up.
    assert elapsed < 2 * SHORT_BUDGET_S + 60, elapsed


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_over_budget_kills_only_its_own_worker(tmp_path: Path) -> None:
    """A document over budget kills its own worker; the document parsed beside it (and one
    queued after) succeed, and the other worker is kept."""
    cfg = make_config(tmp_path, parse={"timeout_s": 1.0})
    huge = atom(HUGE_ATOM_ENTRIES, "h")
    small = atom(3, "s")
    pool = ParsePool(workers=2)

    async def scenario() -> tuple[list[object], list[int]]:
        # Start both workers first, so the budget race is about parsing only.
        await asyncio.gather(*(pool.parse(small, "http://x/", {}, cfg) for _ in range(2)))
        before = pool.pids()
        results = await asyncio.gather(
            pool.parse(huge, "http://x/huge", {}, cfg),
            pool.parse(small, "http://x/a", {}, cfg),
            pool.parse(small, "http://x/b", {}, cfg),
            return_exceptions=True,
        )
        return results, before

    try:
        results, before = asyncio.run(scenario())
        assert len(before) == 2
        assert isinstance(results[0], ParseError) and "budget" in str(results[0])
        assert [len(r.entries) for r in results[1:]] == [3, 3]  # type: ignore[union-attr]
        survivors = [p for p in before if alive(p)]
        assert len(survivors) == 1, (before, survivors)  # only the huge one's worker died
        # and the pool goes on with a fresh worker beside the kept one
        again = asyncio.run(pool.parse(small, "http://x/c", {}, cfg))
        assert len(again.entries) == 3
    finally:
        pool.close()
    assert not any(alive(p) for p in before)


POOL_CHILD = """
import asyncio, sys, time
from aggregator.config import from_dict
from aggregator.parse.pool import ParsePool
cfg = from_dict({}, base_dir=None)
pool = ParsePool(workers=2)
doc = b'<rss version="2.0"><channel><title>t</title><item><title>x</title></item></channel></rss>'
async def main():
    await asyncio.gather(*(pool.parse(doc, "http://x/", {}, cfg) for _ in range(2)))
asyncio.run(main())
print(" ".join(map(str, pool.pids())), flush=True)
time.sleep(60)
"""


def test_proc_03_workers_die_with_a_sigkilled_parent(tmp_path: Path) -> None:
    """A process holding a pool is killed with SIGKILL: its workers exit within seconds
    (PR_SET_PDEATHSIG); no other process of its is left (no forkserver, no tracker)."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-c", POOL_CHILD], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    try:
        assert proc.stdout is not None
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 2 and all(alive(p) for p in pids)
        children = descendants(proc.pid)
        assert set(children) == set(pids), children  # the workers and nothing else
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        end = time.monotonic() + 5
        while any(alive(p) for p in pids) and time.monotonic() < end:
            time.sleep(0.05)
        assert not [p for p in pids if alive(p)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    out: list[int] = []
    frontier = [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parents.items() if pp == p and alive(c)]
        out.extend(kids)
        frontier.extend(kids)
    return out
