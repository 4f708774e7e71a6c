"""Command line: ``aggregator [--config PATH] COMMAND`` (I/O: terminal, files, network).

A thin layer over the library (the DESIGN.md CLI contract). Config comes from ``--config``,
else ``$AGGREGATOR_CONFIG``, else ``./config.toml``; a bad config exits with status 2 and a
message naming the key. Heavy modules are imported inside the commands that need them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from aggregator.config import Config, ConfigError, load_config, to_toml

if TYPE_CHECKING:
    from aggregator.opml import Subscription
    from aggregator.store.core import Store

log = logging.getLogger("aggregator")


def _now() -> datetime:
    return datetime.now(UTC)


def _open_store(cfg: Config) -> Store:
    from aggregator.store.core import Store

    return Store.open(cfg.store_path, cfg.store)


def sync_opml(cfg: Config, store: Store) -> int:
    """Add the OPML's subscriptions that the store does not have yet; returns how many."""
    from aggregator.opml import read_opml

    path = cfg.opml_path
    if not path.exists():
        log.warning("opml=%s missing: no subscriptions to sync", path)
        return 0
    subs = read_opml(path.read_bytes(), rsshub_base=cfg.bridges.rsshub)
    return add_subscriptions(store, subs)


def add_subscriptions(store: Store, subs: Sequence[Subscription]) -> int:
    """Add (or refresh) subscriptions in one transaction; returns how many are new."""
    before = len(store.feeds())
    with store.transaction():
        for s in subs:
            store.add_feed(
                s.url,
                now=_now(),
                title=s.title,
                site_url=s.site_url,
                lang=s.lang,
                timezone=s.timezone,
                bridged=s.bridge,
            )
    return len(store.feeds()) - before


def _progress(total: int, label: str):  # type: ignore[no-untyped-def]
    """A rich progress bar on a terminal, nothing otherwise."""
    if not sys.stdout.isatty() or total <= 1:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    p = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), transient=True)
    return p


async def poll_once(
    cfg: Config,
    store: Store,
    *,
    all_feeds: bool,
    urls: Sequence[str] = (),
    show_progress: bool = True,
) -> int:
    """One pass: fetch, process, cluster, publish. Returns the number of failed feeds."""
    from aggregator.pipeline.refresh import Pipeline

    now = _now()
    if urls:
        feeds = [f for f in (store.feed(r["id"]) for r in store.feeds()) if f.url in urls]
        missing = set(urls) - {f.url for f in feeds}
        for u in missing:
            fid = store.add_feed(u, now=now)
            feeds.append(store.feed(fid))
    elif all_feeds:
        feeds = [store.feed(r["id"]) for r in store.feeds(include_disabled=False)]
    else:
        feeds = store.due_feeds(now, per_host_cap=cfg.schedule.per_host_due_cap)
    pipeline = Pipeline(cfg, store)
    bar = _progress(len(feeds), "polling") if show_progress else None
    try:
        if bar is not None:
            with bar:
                task = bar.add_task("poll", total=len(feeds))
                report = await pipeline.poll(feeds, _now, on_done=lambda _o: bar.advance(task))
        else:
            report = await pipeline.poll(feeds, _now)
    finally:
        pipeline.close()
    stored = report.clustered + sum(
        o.new_items + o.updated_items + o.duplicates for o in report.outcomes
    )
    # A pass that stored nothing leaves the outputs as they are (same entries; rewriting them
    # cost ~0.1 s CPU and an fsync per file on every 304-only pass). `publish` forces it.
    if stored or not (cfg.publish_dir / "index.html").exists():
        from aggregator.pipeline.publish_pass import publish_outputs  # ~30 ms of imports

        publish_outputs(cfg, store, _now())
    print(
        f"polled {len(report.outcomes)} feeds: {report.new_items} new items, "
        f"{report.errors} feeds with errors, {report.clustered} items clustered"
    )
    return report.errors


def cmd_poll(cfg: Config, args: argparse.Namespace) -> int:
    store = _open_store(cfg)
    try:
        sync_opml(cfg, store)
        asyncio.run(poll_once(cfg, store, all_feeds=args.all, urls=args.urls))
    finally:
        store.close()
    return 0


def cmd_publish(cfg: Config, args: argparse.Namespace) -> int:
    from aggregator.pipeline.publish_pass import publish_outputs

    store = _open_store(cfg)
    try:
        written = publish_outputs(cfg, store, _now())
    finally:
        store.close()
    print(f"wrote {', '.join(sorted(written))} to {cfg.publish_dir}")
    return 0


def cmd_check_config(cfg: Config, args: argparse.Namespace) -> int:
    print(to_toml(cfg, with_help=not args.quiet), end="")
    if cfg.cluster.backend == "none":
        print(
            "# note: cluster.backend = none: events group same-language items only "
            "(lexical); cross-lingual clustering is off."
        )
    return 0


def cmd_feeds(cfg: Config, args: argparse.Namespace) -> int:
    from aggregator.opml import Subscription, read_opml, write_opml

    store = _open_store(cfg)
    try:
        if args.feeds_cmd == "list":
            sync_opml(cfg, store)
            rows = store.feeds()
            if args.json:
                print(json.dumps(rows, ensure_ascii=False, indent=1))
                return 0
            from rich.console import Console
            from rich.table import Table

            t = Table(
                "id", "title", "status", "next check", "errors", "last error", show_lines=False
            )
            for r in rows:
                state = "disabled" if r["disabled"] else str(r["last_status"] or "new")
                t.add_row(
                    str(r["id"]),
                    (r["title"] or r["url"])[:40],
                    state,
                    (r["next_check_at"] or "")[:16],
                    str(r["error_count"]),
                    (r["last_error"] or r["disabled_reason"] or "")[:50],
                )
            Console().print(t)
        elif args.feeds_cmd == "add":
            fid = store.add_feed(args.url, now=_now(), title=args.title, lang=args.lang)
            _rewrite_opml(cfg, store)
            print(f"added feed {fid}: {args.url}")
        elif args.feeds_cmd == "remove":
            if not store.remove_feed(args.feed):
                print(f"no such feed: {args.feed}", file=sys.stderr)
                return 1
            _rewrite_opml(cfg, store)
            print(f"removed {args.feed}")
        elif args.feeds_cmd in ("enable", "disable"):
            if not store.set_feed_enabled(args.feed, args.feeds_cmd == "enable", now=_now()):
                print(f"no such feed: {args.feed}", file=sys.stderr)
                return 1
            print(f"{args.feeds_cmd}d {args.feed}")
        elif args.feeds_cmd == "import":
            subs = read_opml(Path(args.file).read_bytes(), rsshub_base=cfg.bridges.rsshub)
            add_subscriptions(store, subs)
            _rewrite_opml(cfg, store)
            print(f"imported {len(subs)} subscriptions")
        elif args.feeds_cmd == "export":
            subs = [
                Subscription(
                    url=r["url"],
                    title=r["title"],
                    site_url=r["site_url"],
                    lang=r["lang"],
                    timezone=r["timezone"],
                    bridge=r["bridged"],
                )
                for r in store.feeds()
            ]
            sys.stdout.buffer.write(write_opml(subs))
    finally:
        store.close()
    return 0


def _rewrite_opml(cfg: Config, store: Store) -> None:
    """Keep feeds.opml the subscription list: write the store's feeds back, keeping bridge
    routes from the existing file."""
    from aggregator.opml import Subscription, read_opml, write_opml

    old: dict[str, Subscription] = {}
    if cfg.opml_path.exists():
        old = {
            s.url: s for s in read_opml(cfg.opml_path.read_bytes(), rsshub_base=cfg.bridges.rsshub)
        }
    subs = []
    for r in store.feeds():
        prev = old.get(r["subscribed_url"]) or old.get(r["url"])
        subs.append(
            prev
            or Subscription(
                url=r["subscribed_url"],
                title=r["title"],
                site_url=r["site_url"],
                lang=r["lang"],
                timezone=r["timezone"],
            )
        )
    tmp = cfg.opml_path.with_suffix(".opml.tmp")
    tmp.write_bytes(write_opml(subs))
    os.replace(tmp, cfg.opml_path)


def cmd_events(cfg: Config, args: argparse.Namespace) -> int:
    from aggregator.pipeline.publish_pass import dumps, event_json, load_events

    store = _open_store(cfg)
    try:
        since = _now() - timedelta(hours=args.since_hours)
        events = load_events(store, limit=args.limit, since=since)
    finally:
        store.close()
    if args.json:
        print(dumps([event_json(e) for e in events]))
        return 0
    for e in events:
        print(
            f"[{e.id}] {e.title}  ({len(e.members)} items; {', '.join(e.languages)}; "
            f"updated {e.updated_at})"
        )
        if e.alt_title:
            print(f"      {e.alt_title}")
        for m in e.members:
            print(f"    - {m.source} [{m.lang}] {m.title}  {m.url or ''}")
    return 0


def cmd_search(cfg: Config, args: argparse.Namespace) -> int:
    store = _open_store(cfg)
    try:
        for r in store.search(" ".join(args.query), limit=args.limit):
            print(f"{r['id']}\t{r['lang']}\t{r['published_at'] or ''}\t{r['title']}\t{r['url']}")
    finally:
        store.close()
    return 0


def cmd_run(cfg: Config, args: argparse.Namespace) -> int:
    from aggregator.daemon.loop import run

    return run(cfg)


def cmd_serve(cfg: Config, args: argparse.Namespace) -> int:
    from aggregator.serve.server import FeedServer

    async def main() -> None:
        import signal

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        server = FeedServer(
            cfg.server, cfg.publish_dir, health=lambda: {"ok": True}, metrics=lambda: ""
        )
        await server.start()
        print(f"serving {cfg.publish_dir} on http://{cfg.server.host}:{server.port}/")
        await stop.wait()
        await server.stop()

    asyncio.run(main())
    return 0


def cmd_backup(cfg: Config, args: argparse.Namespace) -> int:
    from aggregator.store.upkeep import backup

    store = _open_store(cfg)
    try:
        dest = backup(store, Path(args.dest))
    except FileExistsError as exc:
        print(f"aggregator: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"backup written to {dest}")
    return 0


@contextlib.contextmanager
def _audit_session(cfg: Config) -> Iterator[Store]:
    """The store for explain/unmerge; an AuditError (no such item, nothing to undo) becomes
    a one-line message and exit status 1."""
    from aggregator.pipeline.audit import AuditError

    store = _open_store(cfg)
    try:
        yield store
    except AuditError as exc:
        print(f"aggregator: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    finally:
        store.close()


def cmd_explain(cfg: Config, args: argparse.Namespace) -> int:
    from aggregator.pipeline.audit import explain

    with _audit_session(cfg) as store:
        print(explain(store, args.item).render())
    return 0


def cmd_unmerge(cfg: Config, args: argparse.Namespace) -> int:
    from aggregator.pipeline.audit import unmerge
    from aggregator.pipeline.cluster_pass import EventBuilder
    from aggregator.pipeline.publish_pass import publish_outputs

    with _audit_session(cfg) as store:
        print(unmerge(store, args.item, _now()))
        EventBuilder(cfg, store).cluster_pending(_now())
        publish_outputs(cfg, store, _now())
    return 0


def cmd_recluster(cfg: Config, args: argparse.Namespace) -> int:
    from aggregator.pipeline.cluster_pass import EventBuilder
    from aggregator.pipeline.publish_pass import publish_outputs

    store = _open_store(cfg)
    try:
        builder = EventBuilder(cfg, store)
        since = _now() - timedelta(hours=args.since_hours)
        total = store.rows(
            "SELECT COUNT(*) AS n FROM items WHERE duplicate_of IS NULL AND"
            " COALESCE(published_at, fetched_at) >= ?",
            (since.strftime("%Y-%m-%dT%H:%M:%SZ"),),
        )[0]["n"]
        bar = _progress(total, "reclustering")
        if bar is not None:
            with bar:
                task = bar.add_task("recluster", total=total)
                n = builder.recluster(since, _now(), progress=lambda k: bar.advance(task, k))
        else:
            n = builder.recluster(since, _now())
        publish_outputs(cfg, store, _now())
    finally:
        store.close()
    print(f"reclustered {n} items since {since:%Y-%m-%d %H:%M} UTC")
    return 0


def cmd_datasette(cfg: Config, args: argparse.Namespace) -> int:
    from aggregator.serve.datasette import run_datasette

    return run_datasette(cfg, port=args.port, host=args.host)


def cmd_demo(cfg: Config, args: argparse.Namespace) -> int:
    from aggregator.demo import run_demo

    return run_demo(Path(args.dir), serve_seconds=args.serve_seconds)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="aggregator",
        description="Self-hosted news aggregator: one entry per event, English and Chinese.",
    )
    p.add_argument("--config", help="config file (default: $AGGREGATOR_CONFIG or ./config.toml)")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True)

    sp = sub.add_parser("run", help="the daemon: scheduled polling, publishing, HTTP server")
    sp.set_defaults(func=cmd_run)

    sp = sub.add_parser("serve", help="the HTTP server only (serves the output folder)")
    sp.set_defaults(func=cmd_serve)

    sp = sub.add_parser("backup", help="write a consistent copy of the database (VACUUM INTO)")
    sp.add_argument("dest", help="new file to write")
    sp.set_defaults(func=cmd_backup)

    sp = sub.add_parser("poll", help="one pass over due feeds, then publish")
    sp.add_argument("--all", action="store_true", help="every enabled feed, ignoring schedule")
    sp.add_argument("urls", nargs="*", help="only these feed URLs (added if new)")
    sp.set_defaults(func=cmd_poll)

    sp = sub.add_parser("publish", help="write the output feeds from the store")
    sp.set_defaults(func=cmd_publish)

    sp = sub.add_parser("check-config", help="validate and print the effective config")
    sp.add_argument("-q", "--quiet", action="store_true", help="without help comments")
    sp.set_defaults(func=cmd_check_config)

    sp = sub.add_parser("feeds", help="manage subscriptions")
    fs = sp.add_subparsers(dest="feeds_cmd", required=True)
    f = fs.add_parser("list", help="subscriptions with schedule and errors")
    f.add_argument("--json", action="store_true")
    f = fs.add_parser("add", help="subscribe to a feed URL")
    f.add_argument("url")
    f.add_argument("--title")
    f.add_argument("--lang")
    for name, helptext in (
        ("remove", "unsubscribe (deletes its items)"),
        ("enable", "re-enable a disabled feed"),
        ("disable", "stop polling a feed, keep its items"),
    ):
        f = fs.add_parser(name, help=helptext)
        f.add_argument("feed", help="feed URL or id")
    f = fs.add_parser("import", help="add the subscriptions of an OPML file")
    f.add_argument("file")
    fs.add_parser("export", help="write the subscriptions as OPML to stdout")
    sp.set_defaults(func=cmd_feeds)

    sp = sub.add_parser("events", help="recent events with their members")
    sp.add_argument(
        "--since", dest="since_hours", type=float, default=72.0, help="hours back (default 72)"
    )
    sp.add_argument("--limit", type=int, default=50)
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_events)

    sp = sub.add_parser("explain", help="why an item is or is not a duplicate / in its event")
    sp.add_argument("item", type=int, help="item id")
    sp.set_defaults(func=cmd_explain)

    sp = sub.add_parser("unmerge", help="undo a wrong duplicate or event merge (remembered)")
    sp.add_argument("item", type=int, help="item id")
    sp.set_defaults(func=cmd_unmerge)

    sp = sub.add_parser("recluster", help="re-run event clustering over recent items")
    sp.add_argument(
        "--since", dest="since_hours", type=float, default=72.0, help="hours back (default 72)"
    )
    sp.set_defaults(func=cmd_recluster)

    sp = sub.add_parser("search", help="full-text search (Chinese and English)")
    sp.add_argument("query", nargs="+")
    sp.add_argument("--limit", type=int, default=20)
    sp.set_defaults(func=cmd_search)

    sp = sub.add_parser("datasette", help="browse the live store in Datasette (read-only)")
    sp.add_argument("--port", type=int, default=8001)
    sp.add_argument("--host", default="127.0.0.1", help="bind address (default loopback)")
    sp.set_defaults(func=cmd_datasette)

    sp = sub.add_parser("demo", help="serve bundled sample feeds on 127.0.0.1 and run on them")
    sp.add_argument("--dir", default="demo-output", help="where the demo's store/output go")
    sp.add_argument(
        "--serve-seconds",
        type=float,
        default=0.0,
        help="keep serving the result this long (0: exit at once)",
    )
    sp.set_defaults(func=cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    path = args.config or os.environ.get("AGGREGATOR_CONFIG")
    try:
        cfg = load_config(path or "config.toml", must_exist=path is not None)
    except ConfigError as exc:
        print(f"aggregator: config error: {exc}", file=sys.stderr)
        return 2
    if not args.verbose:
        logging.getLogger().setLevel(cfg.log.level)
        # One INFO line per feed refresh is ours; the libraries' per-request and per-job
        # lines would drown it.
        for noisy in ("httpx", "httpcore", "apscheduler"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    from aggregator.store.core import StoreError

    try:
        return int(args.func(cfg, args))
    except StoreError as exc:
        print(f"aggregator: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
