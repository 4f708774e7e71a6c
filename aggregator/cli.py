"""Command line: ``aggregator [--config PATH] COMMAND`` (I/O: terminal, files, network).

A thin layer over the library (the DESIGN.md CLI contract). Config comes from ``--config``,
else ``$AGGREGATOR_CONFIG``, else ``./config.toml``; a bad config exits with status 2 and a
message naming the key. Heavy modules are imported inside the commands that need them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from aggregator.config import Config, load_config, to_toml
from aggregator.errors import AggregatorError, ConfigError

if TYPE_CHECKING:
    from aggregator.store.core import Store

log = logging.getLogger("aggregator")

#: ``gc.set_threshold`` of a one-shot ``poll``: the default (700, 10, 10) ran ~420 collections,
#: 3 of them full, in a pass with 400 new items (peer workload pass 5: ~0.3 s of ~7 s CPU);
#: with this ~19 and none full (~0.09 s), peak RSS +6-7 MB (bench/ab.py). The daemon keeps
#: the default.
ONE_SHOT_GC_THRESHOLD = (10_000, 50, 100)


#: OpenBLAS's idle worker threads busy-wait 2**28 cycles (~0.1 s of CPU on this class of
#: machine) after they start and after every threaded product before they sleep: ~0.2 s of a
#: one-shot ``poll`` that clusters and publishes, ~10 % of what peer.py's pass 5 costs reader.
#: 2**4 cycles (OpenBLAS's minimum) lets them sleep at once. The thread count, and so every
#: product's bits, stay as they were (a different count changes ``a @ a.T``'s last bits).
BLAS_THREAD_TIMEOUT = ("OPENBLAS_THREAD_TIMEOUT", "4")


def _quiet_blas_threads() -> None:
    """Apply :data:`BLAS_THREAD_TIMEOUT` (unless the environment sets it) before numpy loads
    OpenBLAS, which reads it once; the processes we start inherit it."""
    name, value = BLAS_THREAD_TIMEOUT
    os.environ.setdefault(name, value)


def _now() -> datetime:
    return datetime.now(UTC)


def _open_store(cfg: Config) -> Store:
    from aggregator.store.core import Store

    return Store.open(cfg.store_path, cfg.store)


def sync_opml(cfg: Config, store: Store) -> int:
    """Make the store follow feeds.opml (pipeline/subscriptions.py); returns feeds added."""
    from aggregator.pipeline.subscriptions import sync_opml as sync

    return sync(cfg, store, _now()).added


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
    """One pass (:mod:`aggregator.pipeline.poll`) with a progress bar on a terminal and the
    summary line at the end. Returns the number of failed feeds."""
    from aggregator.pipeline.poll import poll_and_publish, select_feeds, summary

    feeds = select_feeds(cfg, store, _now(), all_feeds=all_feeds, urls=urls)
    bar = _progress(len(feeds), "polling") if show_progress else None
    if bar is not None:
        with bar:
            task = bar.add_task("poll", total=len(feeds))
            report = await poll_and_publish(
                cfg, store, feeds, _now, on_done=lambda _o: bar.advance(task)
            )
    else:
        report = await poll_and_publish(cfg, store, feeds, _now)
    print(summary(report))
    return report.errors


def cmd_poll(cfg: Config, args: argparse.Namespace) -> int:
    from aggregator.daemon.lock import StoreLock, StoreLocked
    from aggregator.daemon.memory import tune_malloc

    tune_malloc()
    # Refused (not queued) beside a running daemon: it polls the same feeds on its own
    # schedule, and two pollers on one store make wrong events (issue 15).
    lock = StoreLock(cfg.store_path, "poll")
    try:
        lock.acquire()
    except StoreLocked as exc:
        print(
            f"aggregator: poll refused: {exc}. The daemon polls on its own schedule;"
            " stop it to poll by hand.",
            file=sys.stderr,
        )
        return 1
    threshold = gc.get_threshold()
    gc.set_threshold(*ONE_SHOT_GC_THRESHOLD)  # one pass, then the process ends
    try:
        store = _open_store(cfg)
        try:
            sync_opml(cfg, store)
            asyncio.run(poll_once(cfg, store, all_feeds=args.all, urls=args.urls))
        finally:
            store.close()
    finally:
        gc.set_threshold(*threshold)  # as it was, for a caller that goes on (tests)
        lock.release()
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
    from aggregator.feeds_cli import run_feeds_command

    return run_feeds_command(cfg, args)


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


def cmd_topics(cfg: Config, args: argparse.Namespace) -> int:
    """The ``[[topics]]`` of the config with their events (as of the last publish)."""
    from aggregator.store.reader import topic_counts

    store = _open_store(cfg)
    try:
        counts = topic_counts(store)
    finally:
        store.close()
    print("slug\tevents\tlatest update\ttitle\tfeed")
    for t in cfg.topics:
        n, latest = counts.get(t.slug, (0, None))
        print(f"{t.slug}\t{n}\t{latest or '-'}\t{t.title}\ttopics/{t.slug}.atom")
    if not cfg.topics:
        print("no [[topics]] in the config (see the commented example in config.toml)")
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
    from aggregator.daemon.lock import StoreLock, StoreLocked
    from aggregator.daemon.loop import run
    from aggregator.daemon.memory import tune_malloc

    tune_malloc()

    lock = StoreLock(cfg.store_path, "run")
    try:
        lock.acquire()
    except StoreLocked as exc:
        print(f"aggregator: not starting a second daemon: {exc}", file=sys.stderr)
        return 1
    try:
        return run(cfg)
    finally:
        lock.release()


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
    """The store for explain/unmerge, closed afterwards; an AuditError (no such item, nothing
    to undo) reaches :func:`main`, which prints it and exits 1."""
    store = _open_store(cfg)
    try:
        yield store
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
    from aggregator.store import events as store_events

    store = _open_store(cfg)
    try:
        builder = EventBuilder(cfg, store)
        since = _now() - timedelta(hours=args.since_hours)
        total = store_events.originals_since(store, since)
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
    _add_service_commands(sub)
    _add_store_commands(sub)
    _add_browse_commands(sub)
    return p


def _add_service_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """run, serve, poll, publish, check-config, feeds, demo: running the service."""
    sp = sub.add_parser("run", help="the daemon: scheduled polling, publishing, HTTP server")
    sp.set_defaults(func=cmd_run)

    sp = sub.add_parser("serve", help="the HTTP server only (serves the output folder)")
    sp.set_defaults(func=cmd_serve)

    sp = sub.add_parser("poll", help="one pass over due feeds, then publish")
    sp.add_argument("--all", action="store_true", help="every enabled feed, ignoring schedule")
    sp.add_argument("urls", nargs="*", help="only these feed URLs (added if new)")
    sp.set_defaults(func=cmd_poll)

    sp = sub.add_parser("publish", help="write the output feeds from the store")
    sp.set_defaults(func=cmd_publish)

    sp = sub.add_parser("check-config", help="validate and print the effective config")
    sp.add_argument("-q", "--quiet", action="store_true", help="without help comments")
    sp.set_defaults(func=cmd_check_config)

    sp = sub.add_parser("feeds", help="manage subscriptions (feeds.opml is the list)")
    from aggregator.feeds_cli import add_feeds_arguments

    add_feeds_arguments(sp)
    sp.set_defaults(func=cmd_feeds)

    sp = sub.add_parser("demo", help="serve bundled sample feeds on 127.0.0.1 and run on them")
    sp.add_argument("--dir", default="demo-output", help="where the demo's store/output go")
    sp.add_argument(
        "--serve-seconds",
        type=float,
        default=0.0,
        help="keep serving the result this long (0: exit at once)",
    )
    sp.set_defaults(func=cmd_demo)


def _add_store_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """explain, unmerge, recluster, backup: looking into and repairing the store."""
    sp = sub.add_parser("backup", help="write a consistent copy of the database (VACUUM INTO)")
    sp.add_argument("dest", help="new file to write")
    sp.set_defaults(func=cmd_backup)

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


def _add_browse_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """events, topics, search, datasette: reading what the store holds."""
    sp = sub.add_parser("events", help="recent events with their members")
    sp.add_argument(
        "--since", dest="since_hours", type=float, default=72.0, help="hours back (default 72)"
    )
    sp.add_argument("--limit", type=int, default=50)
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_events)

    sp = sub.add_parser("topics", help="the [[topics]] of the config with their event counts")
    sp.set_defaults(func=cmd_topics)

    sp = sub.add_parser("search", help="full-text search (Chinese and English)")
    sp.add_argument("query", nargs="+")
    sp.add_argument("--limit", type=int, default=20)
    sp.set_defaults(func=cmd_search)

    sp = sub.add_parser("datasette", help="browse the live store in Datasette (read-only)")
    sp.add_argument("--port", type=int, default=8001)
    sp.add_argument("--host", default="127.0.0.1", help="bind address (default loopback)")
    sp.set_defaults(func=cmd_datasette)


def main(argv: Sequence[str] | None = None) -> int:
    _quiet_blas_threads()
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
        return _exit_status(exc)
    if not args.verbose:
        logging.getLogger().setLevel(cfg.log.level)
        # One INFO line per feed refresh is ours; the libraries' per-request and per-job
        # lines would drown it.
        for noisy in ("httpx", "httpcore", "apscheduler"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return int(args.func(cfg, args))
    except AggregatorError as exc:
        from aggregator.opml import OpmlError

        if isinstance(exc, OpmlError):  # the subscription list is config too: name the file
            exc = OpmlError(f"{cfg.opml_path}: {exc}")
        return _exit_status(exc)
    except KeyboardInterrupt:
        return 130


def _exit_status(exc: AggregatorError) -> int:
    """The one place errors become exit statuses: a one-line message, no traceback; 2 for a
    config error (as at start-up), 1 for every other refusal or failure."""
    print(f"aggregator: {'config error: ' if isinstance(exc, ConfigError) else ''}{exc}",
          file=sys.stderr)
    return 2 if isinstance(exc, ConfigError) else 1


if __name__ == "__main__":
    raise SystemExit(main())
