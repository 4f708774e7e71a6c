"""Benchmark of the item pipeline (bench; loopback only; writes a throw-away SQLite file):
per-stage and end-to-end items per CPU-second, re-delivery, clustering, daemon RSS and cold start.

Feed documents are generated at run time from real text (WMT21 zh-en news sentences in
/work/shared/datasets, override with $WMT21_DIR): RSS 2.0 with content:encoded, dc:creator,
categories; half Chinese, a third of those GB18030 bytes declared ``gb2312``. The store is
pre-filled with ``--prefill`` synthetic items (en + zh text, events, near-dup band rows) through
plain SQL in one transaction, so lookups and FTS inserts run against an index of that size.

Stages (CPU time of this process, ``time.process_time``):
  parse          aggregator.parse.document.parse_feed (feedparser) vs aggregator.parse.fast (lxml)
  normalize      aggregator.normalize.item.normalize_entry
  store          Pipeline._store_entries in one transaction per document (normalise → exact and
                 near dedup → insert, FTS trigger); ablations without near-dup and without FTS
  end_to_end     Pipeline.process on a 200 FetchResult (parse in-process, not in the worker
                 pool, so its CPU is counted) → items per CPU-second; also with the fast path
  redelivery     the same documents again, one byte changed: every item known, none revised
  cluster        EventBuilder.cluster_pending, backend none and use (threads=1)
  daemon_rss     ``aggregator run`` with ``--daemon-feeds`` feeds (none due), after start + tick
  cold_start     wall time of ``aggregator --help`` and ``check-config``; time to first tick

Run: ``.venv/bin/python bench/pipeline.py`` (quick: 20k pre-filled items, ~2 min) or
``--prefill 1000000 --docs 200 --daemon-feeds 10000`` (full). ``--profile`` writes a
cProfile (CPU time) profile of the end-to-end loop to bench/results/pipeline_profile.txt.
Writes bench/results/pipeline.json (``--out``) and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import dataclasses
import gc
import hashlib
import html
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aggregator.config import Config, from_dict  # noqa: E402
from aggregator.models import FeedRecord, FetchResult, ParsedFeed  # noqa: E402
from aggregator.normalize.item import normalize_entry  # noqa: E402
from aggregator.parse.document import ParseError, parse_feed  # noqa: E402
from aggregator.parse.fast import parse_feed_fast, parse_rss_fast  # noqa: E402
from aggregator.pipeline.refresh import FeedOutcome, Pipeline  # noqa: E402
from aggregator.store.core import Store, utc_iso  # noqa: E402
from aggregator.store.search_index import statements as search_statements  # noqa: E402

SHARED = ROOT.parent / "shared"
WMT = Path(os.environ.get("WMT21_DIR", SHARED / "datasets" / "wmt21-zh-en-news"))
FEEDS = SHARED / "feeds"
RESULTS = ROOT / "bench" / "results" / "pipeline.json"
AGGREGATOR = ROOT / ".venv" / "bin" / "aggregator"
NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)

#: Goals from the "Performance at scale" issue.
GOAL_E2E_ITEMS_PER_CPU_S = 2000
GOAL_REDELIVERY_ITEMS_PER_S = 100_000
GOAL_CLUSTER_MS_PER_ITEM = 5.0
GOAL_RSS_MB_NO_MODEL = 300
GOAL_RSS_MB_MODEL = 800
GOAL_COLD_START_S = 5.0
#: Band rows per pre-filled item (24 whole-text bands, as neardup.LSH_BANDS).
PREFILL_BANDS = 24
#: Items per generated document: a typical news feed page.
ITEMS_PER_DOC = 20
#: The insert trigger of the default search layout (dropped and restored by the ablation).
_FTS_TRIGGER = next(s for s in search_statements("lead") if "items_fts_ai" in s) + ";"
#: Raw item spans for the pre-parse skip prototype (re-delivery).
_ITEM_SPAN = re.compile(rb"<item[\s>].*?</item>", re.S)
#: Longest wait for the daemon to start and finish a tick, seconds (bounded loop).
DAEMON_MAX_WAIT_S = 120.0


# -- text ----------------------------------------------------------------------------------------
class Text:
    """Sentence pools from the WMT21 zh-en news documents (real text, read at run time)."""

    def __init__(self) -> None:
        path = WMT / "newstest2021.zh-en.docs.jsonl"
        if not path.exists():
            sys.exit(f"missing {path}: set $WMT21_DIR")
        self.en: list[str] = []
        self.zh: list[str] = []
        for line in path.read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            self.en += [s.strip() for s in d["en_text"].split("\n") if len(s.strip()) > 20]
            self.zh += [s.strip() for s in d["zh_text"].split("\n") if len(s.strip()) > 8]

    def item(self, rng: random.Random, lang: str) -> tuple[str, list[str]]:
        """A title and 2-4 paragraphs of two random sentences each (~6 sentences, as the
        3-8 single-sentence paragraphs before). With one sentence per paragraph, two items
        of a ~2,000-sentence pool shared their lead paragraph far more often than real news
        does: 5.3 near-duplicate candidates to verify per new item at 25k items, where
        bench/dedup_index.py measures 1.3."""
        pool = self.zh if lang == "zh" else self.en
        sep = "" if lang == "zh" else " "
        title = rng.choice(pool)[: 40 if lang == "zh" else 110]
        return title, [sep.join(rng.sample(pool, 2)) for _ in range(rng.randint(2, 4))]


def _pubdate(rng: random.Random) -> str:
    return format_datetime(NOW - timedelta(minutes=rng.randint(1, 600)), usegmt=True)


def make_doc(text: Text, rng: random.Random, feed_no: int, start: int, n: int,
             lang: str, gb18030: bool) -> bytes:
    """One RSS 2.0 document of ``n`` items numbered from ``start`` (unique GUIDs and links)."""
    host = f"f{feed_no}.bench.test"
    items = []
    for k in range(start, start + n):
        title, paras = text.item(rng, lang)
        body = "".join(f"<p>{html.escape(p)}</p>" for p in paras)
        lead = html.escape(paras[0])
        items.append(
            f"<item><title>{html.escape(title)}</title>"
            f"<link>https://{host}/news/{k}.html?utm_source=rss</link>"
            f'<guid isPermaLink="false">{host}-{k}</guid>'
            f"<pubDate>{_pubdate(rng)}</pubDate><dc:creator>Desk {k % 7}</dc:creator>"
            f"<category>{'国际' if lang == 'zh' else 'World'}</category>"
            f"<description>{lead}</description>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
        )
    enc = "gb2312" if gb18030 else "utf-8"
    doc = (
        f'<?xml version="1.0" encoding="{enc}"?>\n<rss version="2.0"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>Bench feed {feed_no}</title><link>https://{host}/</link>"
        f"<language>{'zh-cn' if lang == 'zh' else 'en-us'}</language><ttl>30</ttl>"
        f"<lastBuildDate>{format_datetime(NOW, usegmt=True)}</lastBuildDate>"
        + "".join(items) + "</channel></rss>"
    )
    return doc.encode("gb18030" if gb18030 else "utf-8")


@dataclasses.dataclass
class Doc:
    feed_no: int
    lang: str
    body: bytes
    items: int


def make_docs(text: Text, rng: random.Random, count: int, first_feed: int) -> list[Doc]:
    docs = []
    for i in range(count):
        lang = "zh" if i % 2 else "en"
        gb = lang == "zh" and i % 3 == 1
        no = first_feed + i
        docs.append(Doc(no, lang, make_doc(text, rng, no, 0, ITEMS_PER_DOC, lang, gb),
                        ITEMS_PER_DOC))
    return docs


# -- store ---------------------------------------------------------------------------------------
def make_config(tmp: Path, *, backend: str = "none", near: bool = True,
                port: int = 0, store: dict[str, Any] | None = None) -> Config:
    return from_dict(
        {
            "feeds": {"opml": "feeds.opml"},
            "store": {"path": "bench.db", **(store or {})},
            "publish": {"dir": "public"},
            "fetch": {"allow_private_networks": True},
            "dedupe": {"near_duplicates": near},
            "cluster": {"backend": backend, "threads": 1},
            "server": {"port": port},
            "log": {"level": "WARNING"},
        },
        base_dir=tmp,
    )


#: Rows between WAL truncations during the prefill.
PREFILL_CHECKPOINT_ROWS = 100_000


def prefill(store: Store, text: Text, n: int, rng: random.Random, *, feeds: int = 500,
            near: bool = True) -> float:
    """Insert ``n`` synthetic items (+ events, + band rows) in batches; returns wall s.
    Events are older than the cluster window, so the clusterer does not load them."""
    from aggregator.store.band_index import NearDupIndex

    if near:
        NearDupIndex(store.conn)  # creates the band table
    t0 = time.perf_counter()
    conn = store.conn
    old = NOW - timedelta(days=5)
    with store.transaction():
        conn.executemany(
            "INSERT INTO feeds (url, subscribed_url, title, next_check_at, added_at)"
            " VALUES (?, ?, ?, ?, ?)",
            # Loopback, closed port, and not due before 2099: the daemon run fetches nothing.
            [(f"http://127.0.0.1:9/prefill/{i}.xml", f"http://127.0.0.1:9/prefill/{i}.xml",
              f"P{i}", "2099-01-01T00:00:00Z", utc_iso(old)) for i in range(feeds)],
        )
    first_feed = conn.execute("SELECT MIN(id) FROM feeds WHERE url LIKE '%/prefill/%'"
                              ).fetchone()[0]
    batch: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    bands: list[tuple[int, int, int]] = []
    item_id = int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM items").fetchone()[0])
    event_id = int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0])
    flushed = 0

    def flush() -> None:
        # One transaction per batch, and the WAL truncated every PREFILL_CHECKPOINT_ROWS:
        # a single 1M-item transaction grew the WAL past 4 GB and would not finish.
        nonlocal flushed
        with store.transaction():
            conn.executemany(
                "INSERT INTO events (id, title, first_seen_at, updated_at, item_count,"
                " languages, sources) VALUES (?, ?, ?, ?, 3, ?, '[]')", events)
            conn.executemany(
                "INSERT INTO items (id, feed_id, guid, url, canonical_url, title, summary,"
                " content_html, content_text, lang, published_at, fetched_at, updated_at,"
                " content_hash, match_text, event_id) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
            if bands:
                conn.executemany("INSERT OR IGNORE INTO minhash_bands VALUES (?, ?, ?)", bands)
        flushed += len(batch)
        if flushed % PREFILL_CHECKPOINT_ROWS < len(batch):
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        batch.clear()
        events.clear()
        bands.clear()

    for k in range(n):
        item_id += 1
        lang = "zh" if k % 2 else "en"
        title, paras = text.item(rng, lang)
        body = "\n".join(paras)
        at = utc_iso(old - timedelta(seconds=k))
        if k % 3 == 0:
            event_id += 1
            events.append((event_id, title, at, at, lang))
        url = f"https://p{k % feeds}.prefill.test/a/{k}"
        batch.append((
            item_id, first_feed + k % feeds, f"pre-{k}", url, url, title, paras[0],
            "<p>" + "</p><p>".join(paras) + "</p>", body, lang, at, at, at,
            f"{rng.getrandbits(128):032x}{k:032x}", body[:1000].lower(), event_id,
        ))
        if near:
            at_s = int((old - timedelta(seconds=k)).timestamp())
            bands += [(rng.getrandbits(63), item_id, at_s) for _ in range(PREFILL_BANDS)]
        if len(batch) >= 5000:
            flush()
    flush()
    return time.perf_counter() - t0


def add_bench_feeds(store: Store, docs: list[Doc]) -> dict[int, FeedRecord]:
    out = {}
    with store.transaction():
        for d in docs:
            fid = store.add_feed(f"https://f{d.feed_no}.bench.test/rss", now=NOW,
                                 lang=None, timezone="Asia/Shanghai" if d.lang == "zh" else None)
            out[d.feed_no] = store.feed(fid)
    return out


# -- timing helpers ------------------------------------------------------------------------------
def cpu() -> float:
    return time.process_time()


def rate(items: int, seconds: float) -> dict[str, float]:
    return {
        "items": items,
        "cpu_s": round(seconds, 4),
        "items_per_cpu_s": round(items / seconds, 1) if seconds > 0 else float("inf"),
        "ms_per_item": round(1000 * seconds / items, 4) if items else 0.0,
    }


class InProcessParser:
    """Stands in for Pipeline.parser (a worker process) so the parse CPU is counted here."""

    def __init__(self, fn: Callable[..., ParsedFeed]) -> None:
        self.fn = fn

    async def parse(self, body: bytes, url: str, headers: dict[str, str], cfg: Config
                    ) -> ParsedFeed:
        return self.fn(body, url=url, headers=headers, cfg=cfg.parse)

    def close(self) -> None:
        pass


def fetch_result(feed: FeedRecord, body: bytes) -> FetchResult:
    return FetchResult(feed_url=feed.url, final_url=feed.url, status=200,
                       headers={"content-type": "application/rss+xml"}, body=body,
                       elapsed_ms=1.0)


def run_process(pipe: Pipeline, feeds: dict[int, FeedRecord], docs: list[Doc]
                ) -> list[FeedOutcome]:
    async def go() -> list[FeedOutcome]:
        # As in the daemon's poll: feeds share group commits (store.commit_interval_ms).
        with pipe.grouped_writes():
            return [await pipe.process(feeds[d.feed_no],
                                       fetch_result(feeds[d.feed_no], d.body), NOW)
                    for d in docs]

    return asyncio.run(go())


# -- stages --------------------------------------------------------------------------------------
def bench_parse(docs: list[Doc]) -> dict[str, Any]:
    n = sum(d.items for d in docs)
    t = cpu()
    ref = [parse_feed(d.body, url=f"https://f{d.feed_no}.bench.test/rss") for d in docs]
    fp = cpu() - t
    t = cpu()
    fast = [parse_rss_fast(d.body, url=f"https://f{d.feed_no}.bench.test/rss") for d in docs]
    fx = cpu() - t
    return {
        "feedparser": rate(n, fp),
        "fastparse": rate(n, fx),
        "fast_taken": sum(f is not None for f in fast),
        "fast_equal": sum(f == r for f, r in zip(fast, ref, strict=True)),
        "docs": len(docs),
        "speedup": round(fp / fx, 2) if fx else None,
    }


def bench_corpus_parse() -> dict[str, Any]:
    """Share of the shared feed corpus the fast path takes, and speed on what it takes."""
    index = FEEDS / "index.tsv"
    if not index.exists():
        return {"skipped": "no corpus"}
    with index.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    taken: list[bytes] = []
    real_rss = real_taken = 0
    for r in rows:
        body = (FEEDS / r["path"]).read_bytes()
        try:
            ok = parse_rss_fast(body, url="http://127.0.0.1/" + r["path"]) is not None
        except ParseError:
            ok = False
        real = r["format"] == "rss20" and not r["path"].startswith(("feedparser-tests/",
                                                                    "gofeed/"))
        real_rss += real
        real_taken += real and ok
        if ok:
            taken.append(body)
    items = 0
    t = cpu()
    for b in taken:
        items += len(parse_feed(b, url="http://127.0.0.1/x").entries)
    fp = cpu() - t
    t = cpu()
    for b in taken:
        parse_rss_fast(b, url="http://127.0.0.1/x")
    fx = cpu() - t
    return {
        "documents": len(rows),
        "fast_taken": len(taken),
        "fast_share": round(len(taken) / len(rows), 3),
        "rss20_outside_synthetic_suites": real_rss,
        "rss20_outside_synthetic_suites_taken": real_taken,
        "feedparser": rate(items, fp),
        "fastparse": rate(items, fx),
        "speedup": round(fp / fx, 2) if fx else None,
    }


def bench_normalize(parsed: list[tuple[FeedRecord, ParsedFeed]], cfg: Config) -> dict[str, Any]:
    n = 0
    t = cpu()
    for feed, pf in parsed:
        tz = feed.timezone or "UTC"
        for e in pf.entries:
            normalize_entry(e, feed, now=NOW, feed_lang=pf.lang, feed_tz=tz, cfg=cfg.parse)
            n += 1
    return rate(n, cpu() - t)


def bench_store(pipe: Pipeline, feeds: dict[int, FeedRecord], docs: list[Doc]) -> dict[str, Any]:
    parsed = [(feeds[d.feed_no], parse_feed(d.body, url=feeds[d.feed_no].url)) for d in docs]
    outs = []
    near = pipe.near
    probes0, verified0 = (near.probes, near.verified) if near else (0, 0)
    t = cpu()
    with pipe.grouped_writes():
        for feed, pf in parsed:
            out = FeedOutcome(feed.id, feed.url, 200)
            with pipe.store.group_unit():
                pipe._store_entries(feed, pf, NOW, out)
            outs.append(out)
    r = rate(sum(o.new_items for o in outs), cpu() - t)
    r["duplicates"] = sum(o.duplicates for o in outs)
    if near and near.probes > probes0:
        # Generated items reuse a ~2k-sentence pool, so unrelated items overlap more than
        # real news: this many stray candidates get verified per new item.
        r["near_candidates_verified_per_item"] = round(
            (near.verified - verified0) / (near.probes - probes0), 2)
    return r


def bench_e2e(pipe: Pipeline, feeds: dict[int, FeedRecord], docs: list[Doc],
              parser: Callable[..., ParsedFeed]) -> dict[str, Any]:
    pipe.parser = InProcessParser(parser)  # type: ignore[assignment]
    t = cpu()
    outs = run_process(pipe, feeds, docs)
    dt = cpu() - t
    errors = [o.error for o in outs if o.error]
    r = rate(sum(o.new_items for o in outs), dt)
    r["errors"] = len(errors)
    r["duplicates"] = sum(o.duplicates for o in outs)
    return r


def profile_e2e(pipe: Pipeline, feeds: dict[int, FeedRecord], docs: list[Doc], out: Path
                ) -> list[dict[str, Any]]:
    """cProfile on CPU time (not wall: the machine may be shared) of the end-to-end loop;
    writes the full listing to ``out`` and returns the top functions by own CPU time."""
    import cProfile
    import io
    import pstats

    pipe.parser = InProcessParser(parse_feed)  # type: ignore[assignment]
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    run_process(pipe, feeds, docs)
    prof.disable()
    buf = io.StringIO()
    st = pstats.Stats(prof, stream=buf)
    st.sort_stats("cumulative").print_stats(45)
    st.sort_stats("tottime").print_stats(30)
    out.write_text(buf.getvalue(), encoding="utf-8")
    total = sum(v[2] for v in st.stats.values())  # type: ignore[attr-defined]
    rows = sorted(st.stats.items(), key=lambda kv: -kv[1][2])[:15]  # type: ignore[attr-defined]
    return [{"function": f"{Path(k[0]).name}:{k[1]}({k[2]})", "own_cpu_s": round(v[2], 3),
             "share": round(v[2] / total, 3)} for k, v in rows]


def timed_delivery(pipe: Pipeline, store: Store, feeds: dict[int, FeedRecord],
                   docs: list[Doc], entries: int) -> tuple[dict[str, Any], float]:
    """Process ``docs`` (their feeds already hold the previous version) with the fast
    parser, as the daemon's worker does; the rate per entry delivered, and the CPU s."""
    fts_before = store.conn.execute("SELECT COUNT(*) FROM items_fts_docsize").fetchone()[0]
    pipe.parser = InProcessParser(parse_feed_fast)  # type: ignore[assignment]
    t = cpu()
    outs = run_process(pipe, feeds, docs)
    dt = cpu() - t
    r = rate(entries, dt)
    r["new_items"] = sum(o.new_items for o in outs)
    r["updated_items"] = sum(o.updated_items for o in outs)
    r["fts_rows_added"] = (store.conn.execute("SELECT COUNT(*) FROM items_fts_docsize")
                           .fetchone()[0] - fts_before)
    return r, dt


def bench_redelivery(pipe: Pipeline, store: Store, docs: list[Doc]) -> dict[str, Any]:
    """Same documents, one byte changed (so the body hash differs): all items known."""
    feeds = {d.feed_no: store.feed(store.add_feed(f"https://f{d.feed_no}.bench.test/rss",
                                                  now=NOW)) for d in docs}
    changed = [dataclasses.replace(d, body=d.body.replace(b"<ttl>30</ttl>", b"<ttl>31</ttl>"))
               for d in docs]
    total_before = store.conn.total_changes
    n = sum(d.items for d in docs)
    r, _ = timed_delivery(pipe, store, feeds, changed, n)
    r["row_changes"] = store.conn.total_changes - total_before
    # Where the time goes on the known-item path: parse, then normalise (before the GUID
    # lookup), then one indexed SELECT per document.
    parsed = [(feeds[d.feed_no], parse_feed(d.body, url=feeds[d.feed_no].url)) for d in changed]
    t = cpu()
    for feed, pf in parsed:
        store.existing_by_guid(feed.id, [e.guid or "" for e in pf.entries])
    r["guid_lookup_only"] = rate(n, cpu() - t)
    r["normalize_part"] = bench_normalize(parsed, pipe.cfg)
    # What the pipeline runs on a known item: identity fields only (build_item).
    from aggregator.normalize import item as normalize

    build = getattr(normalize, "build_item", None)
    if build is not None:
        t = cpu()
        for feed, pf in parsed:
            for e in pf.entries:
                build(e, feed, now=NOW, feed_tz=feed.timezone or "UTC", cfg=pipe.cfg.parse)
        r["build_item_part"] = rate(n, cpu() - t)
    # Prototype of a pre-parse skip: hash each raw <item>…</item> byte span and look the set
    # up against the spans stored at the last fetch; only unknown spans would be parsed.
    known = {hashlib.blake2b(m.group(0), digest_size=16).digest()
             for d in changed for m in _ITEM_SPAN.finditer(d.body)}
    t = cpu()
    hits = 0
    for d in changed:
        for m in _ITEM_SPAN.finditer(d.body):
            hits += hashlib.blake2b(m.group(0), digest_size=16).digest() in known
    r["span_hash_prescan"] = rate(hits, cpu() - t)
    t = cpu()
    for d in changed:
        parse_feed(d.body, url="https://x.test/rss")
    r["parse_part"] = rate(n, cpu() - t)
    return r


_ITEM_BYTES = re.compile(rb"<item>.*?</item>", re.S)


def bench_mixed(pipe: Pipeline, store: Store, text: Text, rng: random.Random,
                docs: list[Doc]) -> dict[str, Any]:
    """The common re-delivery: each page gains 2 new items at the top and drops its 2
    oldest (18 of 20 entries known). Entries seen at the last parse are cut before parsing
    (parse.splice_known_entries), so the 18 cost a fingerprint each, not a parse."""
    shifted = []
    for d in docs:
        fresh = make_doc(text, rng, d.feed_no, 10_000, 2, d.lang, b'encoding="gb2312"' in d.body)
        new_items = b"".join(m.group(0) for m in _ITEM_BYTES.finditer(fresh))
        spans = list(_ITEM_BYTES.finditer(d.body))
        keep = spans[: len(spans) - 2]
        body = (d.body[: spans[0].start()] + new_items
                + b"".join(m.group(0) for m in keep) + d.body[spans[-1].end():])
        shifted.append(dataclasses.replace(d, body=body))
    feeds = {d.feed_no: store.feed(store.add_feed(f"https://f{d.feed_no}.bench.test/rss",
                                                  now=NOW)) for d in docs}
    n = sum(d.items for d in docs)
    r, dt = timed_delivery(pipe, store, feeds, shifted, n)
    r["ms_per_document"] = round(1000 * dt / len(docs), 3)
    r["known_items"] = n - r["new_items"]
    return r


def bench_cluster(store: Store, cfg: Config) -> dict[str, Any]:
    from aggregator.pipeline.cluster_pass import EventBuilder

    pending = store.conn.execute(
        "SELECT COUNT(*) FROM items WHERE event_id IS NULL AND duplicate_of IS NULL").fetchone()[0]
    builder = EventBuilder(cfg, store)
    t = cpu()
    w = time.perf_counter()
    done = builder.cluster_pending(NOW)
    dt, wall = cpu() - t, time.perf_counter() - w
    r = rate(done, dt)
    r["wall_s"] = round(wall, 3)
    r["pending"] = pending
    r["backend"] = cfg.cluster.backend
    return r


# -- daemon --------------------------------------------------------------------------------------
def _rss_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in kB of ``pid`` plus its children (the parse worker, if any)."""
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    rss = hwm = 0
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        m = re.search(r"VmRSS:\s+(\d+)", status)
        h = re.search(r"VmHWM:\s+(\d+)", status)
        rss += int(m.group(1)) if m else 0
        hwm += int(h.group(1)) if h else 0
    return rss, hwm


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:  # loopback only
            return str(r.read().decode("utf-8", "replace"))
    except OSError:
        return None


def write_daemon_config(tmp: Path, backend: str, port: int) -> Path:
    p = tmp / f"config-{backend}.toml"
    p.write_text(
        '[feeds]\nopml = "feeds.opml"\n[store]\npath = "bench.db"\n[publish]\ndir = "public"\n'
        "[fetch]\nallow_private_networks = true\n"
        f'[cluster]\nbackend = "{backend}"\nthreads = 1\n'
        f'[server]\nhost = "127.0.0.1"\nport = {port}\n[daemon]\ntick_s = 2\n'
        '[log]\nlevel = "WARNING"\n',
        encoding="utf-8",
    )
    return p


def build_daemon_store(tmp: Path, text: Text, n_feeds: int, items: int, pending: int) -> None:
    """``n_feeds`` subscriptions (in the OPML too; none due), ``items`` old items with events,
    and ``pending`` fresh items without an event (clustered at start: loads the model)."""
    from aggregator.opml import Subscription, write_opml

    rng = random.Random(7)
    cfg = make_config(tmp)
    store = Store.open(cfg.store_path, cfg.store)
    # FTS rows do not change the daemon's memory much and cost most of the fill time: the
    # pre-filled items skip the trigger (it is restored for anything inserted later).
    store.conn.execute("DROP TRIGGER items_fts_ai")
    prefill(store, text, items, rng, feeds=n_feeds)
    store.conn.executescript(_FTS_TRIGGER)
    # The whole subscription list is in the OPML, as a real 10k-feed install would have it.
    urls = [r[0] for r in store.conn.execute("SELECT url FROM feeds ORDER BY id")]
    (tmp / "feeds.opml").write_bytes(write_opml(Subscription(u) for u in urls))
    with store.transaction():
        fid = int(store.conn.execute("SELECT MIN(id) FROM feeds").fetchone()[0])
        for k in range(pending):
            lang = "zh" if k % 2 else "en"
            title, paras = text.item(rng, lang)
            store.conn.execute(
                "INSERT INTO items (feed_id, guid, title, summary, content_text, lang,"
                " published_at, fetched_at, updated_at, content_hash) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (fid, f"pending-{k}", title, paras[0], "\n".join(paras), lang,
                 utc_iso(datetime.now(UTC)), utc_iso(datetime.now(UTC)),
                 utc_iso(datetime.now(UTC)), f"pending-{k}"),
            )
    store.close()


def bench_daemon(tmp_root: Path, text: Text, n_feeds: int, backend: str) -> dict[str, Any]:
    """Start ``aggregator run``; sample RSS until the first tick has run, then SIGTERM."""
    tmp = tmp_root / f"daemon-{backend}"
    tmp.mkdir()
    build_daemon_store(tmp, text, n_feeds, items=n_feeds * 2, pending=64)
    port = _free_port()
    cfg = write_daemon_config(tmp, backend, port)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(AGGREGATOR), "--config", str(cfg), "run"], cwd=tmp, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ready_s = first_tick_s = None
    peak = hwm = 0
    deadline = t0 + DAEMON_MAX_WAIT_S
    try:
        while time.perf_counter() < deadline and proc.poll() is None:
            rss, h = _rss_kb(proc.pid)
            peak, hwm = max(peak, rss), max(hwm, h)
            if ready_s is None and _get(f"http://127.0.0.1:{port}/healthz") is not None:
                ready_s = time.perf_counter() - t0
            if ready_s is not None and first_tick_s is None:
                m = _get(f"http://127.0.0.1:{port}/metrics") or ""
                ticks = re.search(r"^aggregator_poll_seconds_count\s+(\d+)", m, re.M)
                if ticks and int(ticks.group(1)) >= 1:
                    first_tick_s = time.perf_counter() - t0
            if first_tick_s is not None and time.perf_counter() - t0 > first_tick_s + 3:
                break
            time.sleep(0.2)
        rss_idle, _ = _rss_kb(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    return {
        "backend": backend,
        "feeds": n_feeds,
        "rss_mb_after_tick": round(rss_idle / 1024, 1),
        "rss_mb_peak_sampled": round(peak / 1024, 1),
        "hwm_mb": round(hwm / 1024, 1),
        "ready_s": round(ready_s, 2) if ready_s else None,
        "first_tick_s": round(first_tick_s, 2) if first_tick_s else None,
        "exit": proc.returncode,
        "stderr_tail": err.decode("utf-8", "replace")[-400:] if first_tick_s is None else "",
    }


def bench_cold_start(tmp_root: Path, repeats: int) -> dict[str, Any]:
    tmp = tmp_root / "cold"
    tmp.mkdir()
    cfg = write_daemon_config(tmp, "none", 8080)
    out: dict[str, Any] = {}
    for name, cmd in (("help", [str(AGGREGATOR), "--help"]),
                      ("check_config", [str(AGGREGATOR), "--config", str(cfg), "check-config"])):
        times = []
        for _ in range(repeats + 1):  # first run warms the page cache, not counted
            t = time.perf_counter()
            subprocess.run(cmd, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=False, timeout=60)
            times.append(time.perf_counter() - t)
        times = sorted(times[1:])
        out[name] = {"median_s": round(times[len(times) // 2], 3), "min_s": round(times[0], 3),
                     "max_s": round(times[-1], 3), "runs": repeats}
    # Heaviest imports of the CLI (python -X importtime, cumulative µs of top-level modules).
    r = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-X", "importtime", "-c",
                        "import aggregator.cli"], capture_output=True, text=True, timeout=60,
                       check=False)
    rows = []
    for line in r.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if m and len(m.group(2)) <= 2:
            rows.append((int(m.group(1)), m.group(3)))
    out["cli_import_top_ms"] = {k: round(v / 1000, 1) for v, k in sorted(rows)[-8:][::-1]}
    return out


# -- main ----------------------------------------------------------------------------------------
def table(res: dict[str, Any]) -> str:
    lines = ["| measure | value | goal |", "|---|---|---|"]

    def add(name: str, value: str, goal: str = "") -> None:
        lines.append(f"| {name} | {value} | {goal} |")

    s = res["stages"]
    p = s["parse"]
    add("parse, feedparser (items/CPU-s)", f"{p['feedparser']['items_per_cpu_s']:.0f}")
    add("parse, fastparse (items/CPU-s)",
        f"{p['fastparse']['items_per_cpu_s']:.0f} (x{p['speedup']}, took {p['fast_taken']}/"
        f"{p['docs']} docs, equal {p['fast_equal']})")
    c = res.get("corpus_parse", {})
    if "fast_share" in c:
        add("corpus docs taken by fastparse",
            f"{c['fast_taken']}/{c['documents']}; real RSS 2.0 "
            f"{c['rss20_outside_synthetic_suites_taken']}/{c['rss20_outside_synthetic_suites']};"
            f" x{c['speedup']} on those")
    add("normalize (items/CPU-s)", f"{s['normalize']['items_per_cpu_s']:.0f}")
    for k in ("store", "store_no_neardup", "store_no_fts"):
        if k in s:
            add(f"{k} incl. normalize (items/CPU-s)", f"{s[k]['items_per_cpu_s']:.0f}")
    for k in ("end_to_end", "end_to_end_fastparse"):
        if k in s:
            add(f"{k} (items/CPU-s)", f"{s[k]['items_per_cpu_s']:.0f}",
                f"≥ {GOAL_E2E_ITEMS_PER_CPU_S}")
    r = s.get("redelivery")
    if r:
        add("re-delivery (items/CPU-s)",
            f"{r['items_per_cpu_s']:.0f} (revised {r['updated_items']}, FTS rows +"
            f"{r['fts_rows_added']}; GUID lookup alone "
            f"{r['guid_lookup_only']['items_per_cpu_s']:.0f})",
            f"≥ {GOAL_REDELIVERY_ITEMS_PER_S}")
    m = s.get("redelivery_mixed")
    if m:
        add("re-delivery, 2 new of 20 per page (entries/CPU-s)",
            f"{m['items_per_cpu_s']:.0f} ({m['ms_per_document']} ms per page; new "
            f"{m['new_items']}, FTS rows +{m['fts_rows_added']})")
    for k in ("cluster_none", "cluster_use"):
        if k in s:
            add(f"{k} (ms/item)", f"{s[k]['ms_per_item']:.2f} ({s[k]['items']} items)",
                f"≤ {GOAL_CLUSTER_MS_PER_ITEM} at 100k window")
    for d in res.get("daemon", []):
        goal = GOAL_RSS_MB_MODEL if d["backend"] == "use" else GOAL_RSS_MB_NO_MODEL
        add(f"daemon RSS, {d['feeds']} feeds, backend {d['backend']} (MB)",
            f"{d['rss_mb_after_tick']} (HWM {d['hwm_mb']}); ready {d['ready_s']} s, first tick "
            f"{d['first_tick_s']} s", f"≤ {goal}")
    cs = res.get("cold_start")
    if cs:
        add("`aggregator --help` (s, median)", f"{cs['help']['median_s']}",
            f"≤ {GOAL_COLD_START_S}")
        add("`aggregator check-config` (s, median)", f"{cs['check_config']['median_s']}",
            f"≤ {GOAL_COLD_START_S}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prefill", type=int, default=20_000, help="items in the store first")
    ap.add_argument("--docs", type=int, default=40, help=f"documents per stage ({ITEMS_PER_DOC}"
                    " items each)")
    ap.add_argument("--daemon-feeds", type=int, default=2000, help="feeds for the RSS run "
                    "(full: 10000)")
    ap.add_argument("--repeats", type=int, default=5, help="cold-start repeats")
    ap.add_argument("--skip", nargs="*", default=[], choices=["corpus", "use", "daemon", "cold"])
    ap.add_argument("--profile", action="store_true",
                    help="cProfile (CPU time) one more end-to-end loop: pipeline_profile.txt")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--prefilled", type=Path, default=None,
                    help="copy this store (made by an earlier --keep-prefill run) instead of"
                         " pre-filling; --prefill is then its item count")
    ap.add_argument("--keep-prefill", type=Path, default=None,
                    help="after pre-filling, save a copy of the store here for --prefilled")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    rng = random.Random(args.seed)
    text = Text()
    res: dict[str, Any] = {
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "started_at": utc_iso(datetime.now(UTC)),
        "cpu_count": os.cpu_count(),
        "load_avg_1m": os.getloadavg()[0],
        "note": "CPU time of this process (time.process_time); the machine may be shared.",
    }
    stages: dict[str, Any] = {}
    res["stages"] = stages
    tmp_root = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    try:
        cfg = make_config(tmp_root)
        store = Store.open(cfg.store_path, cfg.store)
        if args.prefilled:
            # A store filled earlier by prefill() (same function, same config), copied.
            store.close()
            for suffix in ("", "-wal", "-shm"):
                Path(str(cfg.store_path) + suffix).unlink(missing_ok=True)
            t0 = time.perf_counter()
            shutil.copy(args.prefilled, cfg.store_path)
            store = Store.open(cfg.store_path, cfg.store)  # migrates it if it is older
            res["prefill_wall_s"] = round(time.perf_counter() - t0, 2)
            args.prefill = int(store.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0])
        else:
            res["prefill_wall_s"] = round(prefill(store, text, args.prefill, rng), 2)
        res["prefill_items"] = args.prefill
        if args.keep_prefill and not args.prefilled:
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.copy(cfg.store_path, args.keep_prefill)
        print(f"prefilled {args.prefill} items in {res['prefill_wall_s']} s", file=sys.stderr)
        next_feed = 0

        def docs(count: int) -> list[Doc]:
            nonlocal next_feed
            out = make_docs(text, rng, count, next_feed)
            next_feed += count
            return out

        # Warm-up: first calls load langdetect profiles, OpenCC, the punctuation table, etc.
        warm = docs(2)
        wf = add_bench_feeds(store, warm)
        warm_pipe = Pipeline(cfg, store)
        warm_pipe.parser = InProcessParser(parse_feed_fast)  # type: ignore[assignment]
        run_process(warm_pipe, wf, warm)
        bench_parse(warm)

        d_parse = docs(args.docs)
        stages["parse"] = bench_parse(d_parse)
        if "corpus" not in args.skip:
            res["corpus_parse"] = bench_corpus_parse()
        feeds = add_bench_feeds(store, d_parse)
        parsed = [(feeds[d.feed_no], parse_feed(d.body, url=feeds[d.feed_no].url))
                  for d in d_parse]
        stages["normalize"] = bench_normalize(parsed, cfg)

        pipe = Pipeline(cfg, store)
        for name, pcfg, drop_fts in (("store", cfg, False),
                                     ("store_no_neardup", make_config(tmp_root, near=False),
                                      False),
                                     ("store_no_fts", cfg, True)):
            dd = docs(args.docs)
            fs = add_bench_feeds(store, dd)
            p = pipe if pcfg is cfg else Pipeline(pcfg, store)
            if drop_fts:
                store.conn.execute("DROP TRIGGER items_fts_ai")
            gc.collect()
            stages[name] = bench_store(p, fs, dd)
            if drop_fts:
                store.conn.executescript(_FTS_TRIGGER)
        e2e_docs = docs(args.docs)
        fs = add_bench_feeds(store, e2e_docs)
        gc.collect()
        stages["end_to_end"] = bench_e2e(pipe, fs, e2e_docs, parse_feed)
        dd = docs(args.docs)
        fs = add_bench_feeds(store, dd)
        stages["end_to_end_fastparse"] = bench_e2e(pipe, fs, dd, parse_feed_fast)
        if args.profile:
            dd = docs(args.docs)
            fs = add_bench_feeds(store, dd)
            res["profile_top_own_cpu"] = profile_e2e(
                pipe, fs, dd, args.out.parent / "pipeline_profile.txt")
        gc.collect()
        stages["redelivery"] = bench_redelivery(pipe, store, e2e_docs)
        gc.collect()
        stages["redelivery_mixed"] = bench_mixed(pipe, store, text, rng, e2e_docs)

        # Clustering: the new unique items of the runs above are pending.
        stages["cluster_none"] = bench_cluster(store, cfg)
        if "use" not in args.skip:
            store.conn.execute("UPDATE items SET event_id = NULL WHERE fetched_at >= ?",
                               (utc_iso(NOW),))
            stages["cluster_use"] = bench_cluster(store, make_config(tmp_root, backend="use"))
        pipe.close()
        store.close()

        if "daemon" not in args.skip:
            res["daemon"] = [bench_daemon(tmp_root, text, args.daemon_feeds, b)
                             for b in ("none", "use")]
        if "cold" not in args.skip:
            res["cold_start"] = bench_cold_start(tmp_root, args.repeats)
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    res["finished_at"] = utc_iso(datetime.now(UTC))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table(res))
    print(f"\nwrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
