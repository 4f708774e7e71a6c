"""``aggregator feeds …``: the subscription commands (I/O: terminal, feeds.opml, the store,
and the network for ``check``).

``feeds.opml`` is the subscription list: ``add``/``remove``/``import`` edit it in place (its
header, comments and unknown attributes stay) and then the store follows it
(:mod:`aggregator.pipeline.subscriptions`). Unsubscribing keeps a feed's items.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from aggregator.config import Config
from aggregator.store.credentials import redact_url, split_credentials

if TYPE_CHECKING:
    from aggregator.store.core import Store


def add_feeds_arguments(sp: argparse.ArgumentParser) -> None:
    fs = sp.add_subparsers(dest="feeds_cmd", required=True)
    f = fs.add_parser("list", help="subscriptions with schedule and errors")
    f.add_argument("--json", action="store_true")
    f.add_argument("--all", action="store_true", help="unsubscribed feeds too")
    f = fs.add_parser("add", help="subscribe to a feed URL (added to feeds.opml)")
    f.add_argument("url")
    f.add_argument("--title")
    f.add_argument("--lang")
    f.add_argument("--category", help="the outline group in feeds.opml (e.g. English)")
    f = fs.add_parser("remove", help="unsubscribe (outline removed from feeds.opml; items kept)")
    f.add_argument("feed", help="feed URL or id")
    f.add_argument("--purge", action="store_true", help="also delete the feed's items")
    for name, helptext in (
        ("enable", "re-enable a disabled feed"),
        ("disable", "stop polling a feed, keep its items"),
    ):
        f = fs.add_parser(name, help=helptext)
        f.add_argument("feed", help="feed URL or id")
    f = fs.add_parser("import", help="add the subscriptions of an OPML file to feeds.opml")
    f.add_argument("file")
    fs.add_parser("export", help="write the subscriptions as OPML to stdout")
    fs.add_parser("check", help="fetch every feed now and say what is wrong with each failing one")


def _now() -> datetime:
    return datetime.now(UTC)


def run_feeds_command(cfg: Config, args: argparse.Namespace) -> int:
    from aggregator.pipeline.subscriptions import sync_opml
    from aggregator.store.core import Store

    store = Store.open(cfg.store_path, cfg.store)
    try:
        if args.feeds_cmd not in ("add", "remove", "import"):
            sync_opml(cfg, store, _now())
        handler = {
            "list": _list,
            "add": _add,
            "remove": _remove,
            "enable": _enable,
            "disable": _enable,
            "import": _import,
            "export": _export,
            "check": _check,
        }[args.feeds_cmd]
        return handler(cfg, store, args)
    finally:
        store.close()


def _list(cfg: Config, store: Store, args: argparse.Namespace) -> int:
    from aggregator.store.outlets import outlet_names

    rows = [r for r in store.feeds() if args.all or r["unsubscribed_at"] is None]
    outlets = outlet_names(store.conn)
    if args.json:
        for r in rows:
            r["outlet"] = outlets.get(r["outlet_id"])
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    from rich.console import Console
    from rich.table import Table

    t = Table("id", "title", "outlet", "status", "next check", "errors", "last error",
              show_lines=False)
    for r in rows:
        if r["unsubscribed_at"]:
            state = "unsubscribed"
        else:
            state = "disabled" if r["disabled"] else str(r["last_status"] or "new")
        t.add_row(
            str(r["id"]),
            (r["title"] or r["url"])[:40],
            outlets.get(r["outlet_id"], "")[:24],
            state,
            (r["next_check_at"] or "")[:16],
            str(r["error_count"]),
            (r["last_error"] or r["disabled_reason"] or "")[:50],
        )
    Console().print(t)
    return 0


def _add(cfg: Config, store: Store, args: argparse.Namespace) -> int:
    from aggregator.opml import Subscription
    from aggregator.pipeline.subscriptions import add_to_opml, sync_opml

    # A password never goes into feeds.opml (a file people share and commit): the outline
    # gets the URL without it, the store's credential file keeps it (issue 15 item 3).
    clean, creds = split_credentials(args.url)
    sub = Subscription(url=clean, title=args.title, lang=args.lang, category=args.category)
    added = add_to_opml(cfg, [sub])
    sync_opml(cfg, store, _now())
    row = next((r for r in store.feeds() if clean in (r["url"], r["subscribed_url"])), None)
    fid = row["id"] if row else "?"
    if row is not None and creds is not None:
        store.credentials.set(int(str(row["id"])), creds)
    print(f"{'added' if added else 'already subscribed:'} feed {fid}: {redact_url(args.url)}")
    return 0


def _find(store: Store, feed: str) -> dict[str, object] | None:
    """A feed by id or URL (stored URLs carry no ``user:pass@``, so neither does the match)."""
    feed = redact_url(feed)
    return next(
        (r for r in store.feeds() if feed in (str(r["id"]), r["url"], r["subscribed_url"])),
        None,
    )


def _remove(cfg: Config, store: Store, args: argparse.Namespace) -> int:
    from aggregator.pipeline.subscriptions import remove_from_opml, sync_opml

    row = _find(store, args.feed)
    shown = redact_url(args.feed)
    url = str(row["subscribed_url"]) if row else shown
    gone = remove_from_opml(cfg, url)
    if gone is None and row is None:
        print(f"no such feed: {shown}", file=sys.stderr)
        return 1
    sync_opml(cfg, store, _now())
    if row is not None and gone is None and row["unsubscribed_at"] is None:
        # Not in feeds.opml at all (added by `poll URL`): unsubscribe it directly.
        from aggregator.store.subscriptions import unsubscribe

        with store.transaction():
            unsubscribe(store, int(str(row["id"])), _now())
    if row is not None:
        # An unsubscribed feed is not fetched again: its password is forgotten at once.
        store.credentials.remove([int(str(row["id"]))])
    if args.purge and row is not None:
        store.remove_feed(str(row["id"]))
        print(f"removed {shown} and its items")
    else:
        print(f"removed {shown} (unsubscribed; its items are kept)")
    return 0


def _enable(cfg: Config, store: Store, args: argparse.Namespace) -> int:
    if not store.set_feed_enabled(args.feed, args.feeds_cmd == "enable", now=_now()):
        print(f"no such feed: {args.feed}", file=sys.stderr)
        return 1
    print(f"{args.feeds_cmd}d {args.feed}")
    return 0


def _import(cfg: Config, store: Store, args: argparse.Namespace) -> int:
    from aggregator.opml import read_opml
    from aggregator.pipeline.subscriptions import add_to_opml, sync_opml

    subs = read_opml(Path(args.file).read_bytes(), rsshub_base=cfg.bridges.rsshub)
    added = add_to_opml(cfg, subs)
    sync_opml(cfg, store, _now())
    print(f"imported {len(subs)} subscriptions ({len(added)} new in {cfg.opml_path.name})")
    return 0


def _export(cfg: Config, store: Store, args: argparse.Namespace) -> int:
    from aggregator.opml import write_opml
    from aggregator.pipeline.subscriptions import export_subscriptions

    sys.stdout.buffer.write(write_opml(export_subscriptions(store)))
    return 0


def _check(cfg: Config, store: Store, args: argparse.Namespace) -> int:
    """Exit status 0 when every enabled feed answers with a feed, else 1."""
    from aggregator.pipeline.feed_check import FeedCheck, check_feeds
    from aggregator.store.subscriptions import subscribed_feeds

    feeds = [f for f in subscribed_feeds(store, include_unsubscribed=False) if not f.disabled]
    if not feeds:
        print(f"no subscriptions: add outlines to {cfg.opml_path} or `aggregator feeds add URL`")
        return 1
    results = asyncio.run(check_feeds(cfg, feeds))
    failing = [r for r in results if not r.ok]
    # Feeds with the same fix (18 bridged feeds behind one missing RSSHub) share one "fix:"
    # line after the last of them, so the advice is not repeated 18 times.
    by_fix: dict[str, list[FeedCheck]] = {}
    for r in failing:
        by_fix.setdefault(r.fix or "", []).append(r)
    for fix, group in by_fix.items():
        for r in group:
            print(f"FAIL {r.feed.title or r.feed.url}\n     {r.feed.url}\n     error: {r.error}")
        print(f"     fix{f' (these {len(group)})' if len(group) > 1 else ''}: {fix}")
    print(
        f"{len(results) - len(failing)} of {len(results)} feeds ok, {len(failing)} failing"
        + (f" ({sum(r.entries for r in results)} entries seen)" if results else "")
    )
    return 1 if failing else 0
