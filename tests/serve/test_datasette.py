"""Datasette on the live store (aggregator/browse.py, db/metadata.yml): a real ``datasette
serve`` subprocess on 127.0.0.1 reads the database while a writer thread keeps committing
through :class:`Store`. Covers the canned queries (including 2-character Chinese search),
OUT-06 (loopback only), DB-06 (same-user layout: reader first, daemon restart; unsafe flags
refused) and DB-03 (a long reader pins the WAL; ``maintenance.checkpoint`` shrinks it after).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import make_config

from aggregator.config import Config
from aggregator.models import Decision, Item
from aggregator.serve import datasette as browse
from aggregator.store import upkeep as maintenance
from aggregator.store.core import Store, utc_iso

pytest.importorskip("datasette")

#: Datasette's start-up on this machine takes ~1.5 s; give it room on a loaded CI box.
DATASETTE_START_TIMEOUT_S = 30.0
#: How long the writer thread keeps committing while we query Datasette.
WRITER_RUN_S = 3.0
#: Pause between two writer commits (≈ 100 commits/s, far above the daemon's real rate).
WRITER_GAP_S = 0.01
#: Slowest acceptable writer commit while Datasette reads (busy_timeout is 10 s).
WRITER_MAX_COMMIT_S = 1.0
HTTP_TIMEOUT_S = 10.0
#: A feed whose newest item is this old is "stale" under the default stale_days = 3.
STALE_AGE_DAYS = 10
NOW = datetime.now(UTC).replace(microsecond=0)


# -- data ------------------------------------------------------------------------------------
def make_item(feed_id: int, guid: str, title: str, lang: str, text: str, at: datetime) -> Item:
    return Item(
        feed_id=feed_id,
        guid=guid,
        url=f"https://example.org/{guid}",
        canonical_url=f"https://example.org/{guid}",
        title=title,
        summary=text[:200],
        content_html=f"<p>{text}</p>",
        content_text=text,
        lang=lang,
        published_at=utc_iso(at),
        fetched_at=utc_iso(at),
        content_hash=f"h-{guid}",
    )


@dataclass
class Seeded:
    feeds: dict[str, int] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)


def seed(store: Store) -> Seeded:
    """Five feeds (healthy, frozen, failing, disabled, empty), English and Chinese items,
    one cross-lingual event, a same-language event and a cross-feed duplicate."""
    s = Seeded()
    recent = NOW - timedelta(hours=2)
    old = NOW - timedelta(days=STALE_AGE_DAYS)
    with store.transaction():
        for key, title, lang in (
            ("ap", "AP News", "en"),
            ("xinhua", "新华网", "zh-Hans"),
            ("fox", "Fox Business", "en"),
            ("broken", "Broken Feed", "en"),
            ("off", "Disabled Feed", "en"),
        ):
            s.feeds[key] = store.add_feed(
                f"https://{key}.example.org/rss", now=NOW, title=title, lang=lang
            )
        feeds = store.db["feeds"]
        feeds.update(s.feeds["broken"], {"error_count": 3, "last_status": 503,
                                         "last_error": "HTTP 503"})
        feeds.update(s.feeds["off"], {"disabled": 1, "disabled_reason": "HTTP 410 Gone"})
        feeds.update(s.feeds["xinhua"], {"last_status": 200, "last_success_at": utc_iso(NOW)})
        rows = (
            (
                "ap1",
                "ap",
                "China curbs rare earth exports",
                "en",
                "Beijing limits rare earth.",
                recent,
            ),
            ("xh1", "xinhua", "中国限制稀土出口", "zh-Hans", "商务部宣布稀土出口管制措施。", old),
            ("fox1", "fox", "Fed cuts interest rates again", "en", "The Fed cut rates.", recent),
            ("ap2", "ap", "Fed lowers rates by a quarter point", "en", "Rates fall.", recent),
            ("xh2", "xinhua", "央行下调贷款利率", "zh-Hans", "人民银行下调利率。", old),
        )
        for guid, feed, title, lang, text, at in rows:
            s.items[guid] = store.insert_item(make_item(s.feeds[feed], guid, title, lang, text, at))
        # A cross-feed copy of ap1, marked as its duplicate.
        dup = make_item(
            s.feeds["fox"],
            "fox-dup",
            "China curbs rare earth exports",
            "en",
            "Beijing limits rare earth.",
            recent,
        )
        dup.duplicate_of = s.items["ap1"]
        s.items["dup"] = store.insert_item(dup)
        at = utc_iso(recent)
        store.add_decision(
            Decision(
                item_id=s.items["dup"],
                stage="dedupe",
                rule="content_hash",
                target_item_id=s.items["ap1"],
                score=1.0,
                at=at,
            )
        )
        for name, members in (
            ("rare", ["ap1", "xh1", "dup"]),
            ("rates", ["fox1", "ap2"]),
            ("loan", ["xh2"]),
        ):
            first = members[0]
            title = next(r[2] for r in rows if r[0] == first)
            eid = store.create_event(title=title, at=at, representative_item_id=s.items[first])
            s.events[name] = eid
            for m in members:
                store.set_item_event(s.items[m], eid)
                rule = "new_event" if m == first else "join_event"
                if m != "dup":
                    store.add_decision(
                        Decision(
                            item_id=s.items[m],
                            stage="cluster",
                            rule=rule,
                            target_event_id=eid,
                            score=None if m == first else 0.81,
                            at=at,
                        )
                    )
            store.refresh_event(eid, updated_at=at)
    return s


# -- Datasette process -------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Datasette:
    def __init__(self, cfg: Config, tmp: Path) -> None:
        self.port = free_port()
        self.args = browse.datasette_args(cfg, port=self.port)
        self.log = (tmp / "datasette.log").open("wb")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        self.db = cfg.store_path.stem
        deadline = time.monotonic() + DATASETTE_START_TIMEOUT_S
        while True:
            try:
                self.get("/-/versions.json")
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        "datasette did not start: " + (tmp / "datasette.log").read_text()
                    ) from None
                time.sleep(0.1)

    def get(self, path: str, **params: str) -> Any:
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S) as r:
            assert r.status == 200
            return json.loads(r.read())

    def query(self, name: str, **params: str) -> list[dict[str, Any]]:
        rows = self.get(f"/{self.db}/{name}.json", _shape="array", **params)
        assert isinstance(rows, list)
        return rows

    def count_items(self) -> int:
        """Arbitrary read-only SQL through the JSON API."""
        rows = self.get(f"/{self.db}.json", sql="select count(*) as n from items", _shape="array")
        return int(rows[0]["n"])

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@dataclass
class Live:
    cfg: Config
    seeded: Seeded
    ds: Datasette
    wal_before_start: bool


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("datasette")
    cfg = make_config(tmp)
    store = Store.open(cfg.store_path, cfg.store)
    seeded = seed(store)
    store.close()  # the daemon is stopped: SQLite removes -wal and -shm
    wal_before = Path(f"{cfg.store_path}-wal").exists()
    ds = Datasette(cfg, tmp)
    try:
        yield Live(cfg, seeded, ds, wal_before)
    finally:
        ds.stop()


# -- writer thread -----------------------------------------------------------------------------
@dataclass
class WriterStats:
    commits: int = 0
    busy_errors: int = 0
    other_errors: list[str] = field(default_factory=list)
    max_commit_s: float = 0.0


def writer(cfg: Config, feed_id: int, stop: threading.Event, stats: WriterStats) -> None:
    """The daemon's role: open the store (a restart, while Datasette holds the files it
    created) and commit one item per transaction until told to stop."""
    store = Store.open(cfg.store_path, cfg.store)
    try:
        n = 0
        while not stop.is_set():
            n += 1
            item = make_item(
                feed_id, f"w{n}", f"Writer item {n} 稀土 update", "en", "more text " * 50, NOW
            )
            t0 = time.perf_counter()
            try:
                with store.transaction():
                    store.insert_item(item)
                stats.commits += 1
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    stats.busy_errors += 1
                else:
                    stats.other_errors.append(str(exc))
            stats.max_commit_s = max(stats.max_commit_s, time.perf_counter() - t0)
            time.sleep(WRITER_GAP_S)
    finally:
        store.close()


# -- tests -------------------------------------------------------------------------------------
def test_args_are_safe_for_a_live_db(live: Live) -> None:
    args = live.ds.args
    assert not {"--nolock", "-i", "--immutable", "--inspect-file"} & set(args)
    assert args[args.index("--host") + 1] == "127.0.0.1"
    assert args[args.index("sql_time_limit_ms") + 1] == str(browse.SQL_TIME_LIMIT_MS)
    assert args[args.index("max_returned_rows") + 1] == str(browse.MAX_RETURNED_ROWS)
    meta = json.loads(Path(args[args.index("--metadata") + 1]).read_text(encoding="utf-8"))
    assert list(meta["databases"]) == ["test"]  # re-keyed to the DB file's stem
    for bad in ("--nolock", "-i", "--immutable", "--host=0.0.0.0"):
        with pytest.raises(browse.BrowseError):
            browse.datasette_args(live.cfg, extra=[bad])


def test_check_live_db_refuses_missing_and_rollback_journal(tmp_path: Path) -> None:
    with pytest.raises(browse.BrowseError, match="no database"):
        browse.check_live_db(tmp_path / "none.db")
    db = tmp_path / "rollback.db"
    sqlite3.connect(db).execute("CREATE TABLE t (a)").connection.close()
    with pytest.raises(browse.BrowseError, match="not in WAL mode"):
        browse.check_live_db(db)


def test_reads_while_writer_commits(live: Live) -> None:
    """A real writer keeps committing for a few seconds while Datasette serves the table
    pages and every canned query; the writer is never blocked, Datasette always answers."""
    ds, s = live.ds, live.seeded
    # DB-06: Datasette started while the daemon was stopped (no -wal yet) and created the
    # files itself; the writer below then starts against them, as after a daemon restart.
    assert not live.wal_before_start
    stats = WriterStats()
    stop = threading.Event()
    t = threading.Thread(target=writer, args=(live.cfg, s.feeds["fox"], stop, stats))
    t.start()
    answered = 0
    seen_counts = []
    try:
        deadline = time.monotonic() + WRITER_RUN_S
        while time.monotonic() < deadline:
            rows = ds.get(f"/{ds.db}/items.json", _shape="array", _size="5")
            assert len(rows) == 5
            seen_counts.append(ds.count_items())
            assert ds.query("latest_events")
            assert ds.query("feed_health")
            assert ds.query("merge_audit")
            assert ds.query("search", q="稀土")
            answered += 5
    finally:
        stop.set()
        t.join(timeout=15)
    assert not t.is_alive()
    assert stats.busy_errors == 0 and not stats.other_errors, stats
    assert stats.commits >= WRITER_RUN_S / WRITER_GAP_S / 10, stats
    assert stats.max_commit_s < WRITER_MAX_COMMIT_S, stats
    assert answered >= 10
    assert seen_counts[-1] > seen_counts[0], "Datasette must see the writer's commits"
    # The daemon stopped again (writer closed); Datasette still reads.
    assert ds.count_items() == len(s.items) + stats.commits


def test_table_metadata(live: Live) -> None:
    ds = live.ds
    tables = {t["name"]: t for t in ds.get(f"/{ds.db}.json")["tables"]}
    for name in ("feeds", "items", "events", "decisions", "fetches", "unmerges"):
        assert not tables[name]["hidden"], name
    for name in ("items_fts", "items_fts_data", "items_fts_idx", "items_fts_config"):
        assert tables[name]["hidden"], name
    # The table search box uses items_fts (trigram): a ≥ 3-character Chinese substring.
    rows = ds.get(f"/{ds.db}/items.json", _search="稀土出口", _shape="array")
    assert {r["guid"] for r in rows} == {"xh1"}
    # Default sort: newest fetched first.
    fetched = [r["fetched_at"] for r in ds.get(f"/{ds.db}/items.json", _shape="array")]
    assert len(fetched) > 1 and fetched == sorted(fetched, reverse=True)
    # Labels: feed titles are shown for items.feed_id.
    rows = ds.get(f"/{ds.db}/items.json", _labels="on", _shape="array", guid="xh1")
    assert rows[0]["feed_id"]["label"] == "新华网"


def test_latest_events_one_row_per_member(live: Live) -> None:
    s = live.seeded
    rows = live.ds.query("latest_events")
    rare = [r for r in rows if r["event_id"] == s.events["rare"]]
    assert {(r["source"], r["lang"], r["item_title"]) for r in rare} == {
        ("AP News", "en", "China curbs rare earth exports"),
        ("新华网", "zh-Hans", "中国限制稀土出口"),
    }  # the duplicate is not a member
    assert all(r["event_title"] == "China curbs rare earth exports" and r["url"] for r in rare)
    assert len(live.ds.query("latest_events", event_count="1")) >= 1


def test_cross_lingual_events(live: Live) -> None:
    rows = live.ds.query("cross_lingual_events")
    assert [r["event_id"] for r in rows] == [live.seeded.events["rare"]]
    assert "中国限制稀土出口" in rows[0]["members"]


def test_feed_health_flags_frozen_and_failing(live: Live) -> None:
    s = live.seeded
    health = {r["feed_id"]: r for r in live.ds.query("feed_health")}
    assert health[s.feeds["xinhua"]]["health"] == "stale"
    assert health[s.feeds["xinhua"]]["newest_item_age_days"] >= STALE_AGE_DAYS - 0.1
    assert health[s.feeds["broken"]]["health"] == "failing"
    assert health[s.feeds["broken"]]["last_error"] == "HTTP 503"
    assert health[s.feeds["off"]]["health"] == "disabled"
    assert health[s.feeds["off"]]["disabled_reason"] == "HTTP 410 Gone"
    assert health[s.feeds["ap"]]["health"] == "ok"
    # A larger threshold makes the frozen feed ok again.
    health = {r["feed_id"]: r for r in live.ds.query("feed_health", stale_days="30")}
    assert health[s.feeds["xinhua"]]["health"] == "ok"
    # Worst first.
    order = [r["health"] for r in live.ds.query("feed_health")]
    assert order.index("failing") < order.index("stale") < order.index("ok")


def test_merge_audit_shows_both_sides(live: Live) -> None:
    s = live.seeded
    rows = live.ds.query("merge_audit", stage="dedupe")
    dup = next(r for r in rows if r["item_id"] == s.items["dup"])
    assert (dup["rule"], dup["score"], dup["item_source"], dup["target_source"]) == (
        "content_hash",
        1.0,
        "Fox Business",
        "AP News",
    )
    assert dup["target_title"] == dup["item_title"] == "China curbs rare earth exports"
    joins = live.ds.query("merge_audit", stage="cluster")
    xh = next(r for r in joins if r["item_id"] == s.items["xh1"])
    assert (xh["rule"], xh["score"], xh["target_title"]) == (
        "join_event",
        0.81,
        "China curbs rare earth exports",
    )
    assert all(r["rule"] != "new_event" for r in joins)
    assert live.ds.query("merge_audit", rule="new_event")


def test_search_two_and_more_characters(live: Live) -> None:
    s = live.seeded
    q = live.ds.query
    guid_of = {v: k for k, v in s.items.items()}

    def hits(term: str) -> set[str]:
        return {guid_of[r["id"]] for r in q("search", q=term, limit="2000") if r["id"] in guid_of}

    assert hits("利率") == {"xh2"}  # 2 characters: LIKE fallback
    assert hits("稀土") == {"xh1"}
    assert hits("稀土出口") == {"xh1"}  # 4 characters: items_fts (trigram)
    assert hits("rare earth") == {"ap1", "dup"}
    assert hits("RATES") == {"fox1", "ap2"}  # trigram is case-insensitive
    assert q("search", q="") == []
    assert hits("%") == set() and hits("_") == set()  # LIKE wildcards are escaped


def test_listens_on_loopback_only(live: Live) -> None:
    """OUT-06: every listening socket of the Datasette process is on 127.0.0.1."""
    pid = live.ds.proc.pid
    fd_dir = Path(f"/proc/{pid}/fd")
    if not fd_dir.exists():
        pytest.skip("needs /proc")
    inodes = set()
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] == "0A" and cols[9] in inodes:  # 0A = LISTEN
                listening.append(cols[1])
    assert listening == [f"0100007F:{live.ds.port:04X}"]


def test_long_reader_pins_wal_then_checkpoint_shrinks_it(tmp_path: Path) -> None:
    """DB-03, bounded: a Datasette-like reader (``mode=ro``) holds one read transaction while
    the writer commits ~4 MB; the writer is never blocked and the WAL grows. Once the reader
    leaves, one ``maintenance.checkpoint`` brings the WAL back to zero."""
    cfg = make_config(tmp_path)
    store = Store.open(cfg.store_path, cfg.store)
    feed = store.add_feed("https://example.org/rss", now=NOW)
    reader = sqlite3.connect(f"file:{cfg.store_path}?mode=ro", uri=True, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM items").fetchone()  # snapshot taken
        text = "稀土 rare earth " * 1500  # ~25 KB per item, x2 with the FTS index
        slowest = 0.0
        for n in range(80):
            t0 = time.perf_counter()
            with store.transaction():
                store.insert_item(make_item(feed, f"g{n}", f"item {n}", "en", text, NOW))
            slowest = max(slowest, time.perf_counter() - t0)
            if n % 20 == 19:
                maintenance.checkpoint(store)  # PASSIVE cannot pass the reader's snapshot
        pinned = maintenance.wal_size(store)
        assert pinned > 2_000_000, pinned
        assert slowest < WRITER_MAX_COMMIT_S
        assert reader.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0  # old snapshot
        reader.execute("COMMIT")
    finally:
        reader.close()
    busy, frames, done = maintenance.checkpoint(store)
    assert busy == 0 and frames == done == 0  # TRUNCATE ran
    assert maintenance.wal_size(store) == 0
    store.close()


def test_run_datasette_refuses_a_missing_db(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert browse.run_datasette(make_config(tmp_path)) == 2
    assert "no database" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the file to another user")
def test_check_live_db_refuses_another_users_db(tmp_path: Path) -> None:
    """DB-06: Datasette as another user than the DB's owner is refused before it can create
    -wal/-shm files that would stop the daemon from restarting (design finding 8)."""
    cfg = make_config(tmp_path)
    Store.open(cfg.store_path, cfg.store).close()
    browse.check_live_db(cfg.store_path)  # same user: the supported layout
    os.chown(cfg.store_path, 65534, 65534)
    with pytest.raises(browse.BrowseError, match="belongs to uid 65534"):
        browse.check_live_db(cfg.store_path)


def test_search_folds_simplified_and_traditional(live: Live) -> None:
    """The canned search finds Simplified items from a Traditional query (both paths: LIKE
    for 1–2 characters, the trigram index for 3+), and the metadata says which box finds
    two-character words."""
    s = live.seeded
    guid_of = {v: k for k, v in s.items.items()}

    def hits(term: str) -> set[str]:
        rows = live.ds.query("search", q=term, limit="2000")
        return {guid_of[r["id"]] for r in rows if r["id"] in guid_of}

    assert hits("中國") == hits("中国") == {"xh1"}  # 2 characters
    assert hits("貸款利率") == {"xh2"}  # 4 characters, Traditional query, Simplified item
    meta = live.ds.get("/-/metadata.json")
    canned = meta["databases"][live.ds.db]["queries"]["search"]
    assert "two-character" in canned["title"] and "稀土" in canned["description"]
    assert "canned query" in meta["databases"][live.ds.db]["tables"]["items"]["description"]
