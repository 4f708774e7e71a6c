"""Translation job: events whose view lacks one language → cached machine translations
(I/O: store, and the translation backend).

Runs after clustering and publishing, in the background (the daemon runs it in a worker
thread between polls; ``poll`` runs it after publishing): it never delays a poll. Each
missing headline/summary is looked up in ``translations`` by (text hash, source, target,
backend) first, so republishing makes no call; a failing or hanging backend only delays that
text (each call has ``translate.timeout_s``; after :data:`MAX_FAILURES_IN_A_ROW` failures the
pass stops and the rest wait for the next one). The next publish picks the translations up
and marks them (``machine_translated``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from aggregator.config import Config
from aggregator.publish.view import VIEW_LANGUAGES
from aggregator.store import reader
from aggregator.store.core import Store, utc_iso
from aggregator.translate import TranslateError, Translator, make_translator, text_key

log = logging.getLogger("aggregator.pipeline.translate_pass")

#: Consecutive failed calls after which a pass gives up (the backend is down).
MAX_FAILURES_IN_A_ROW = 3
#: Recent event views scanned for a missing language per pass.
SCAN_VIEWS = 1000


@dataclass
class TranslateStats:
    calls: int = 0
    translated: int = 0
    failed: int = 0


def _work(
    store: Store, backend: str
) -> Iterator[tuple[tuple[str, str, str], str]]:
    """``(cache key, source text)`` of every missing translation not cached yet."""
    seen: set[tuple[str, str, str]] = set()
    for _eid, texts, machine in reader.views_missing_language(store, SCAN_VIEWS):
        for target in VIEW_LANGUAGES:
            source = next(lang for lang in VIEW_LANGUAGES if lang != target)
            if texts.get(f"title_{source}") is None or f"titles.{source}" in machine:
                continue  # no member text in the source language: nothing to translate from
            for kind in ("title", "summary"):
                src = texts.get(f"{kind}_{source}")
                mine = f"{kind}s.{target}" in machine
                if not src or (texts.get(f"{kind}_{target}") and not mine):
                    continue
                key = text_key(src, source, target)
                if key in seen or reader.cached_translations(store.conn, [key], backend):
                    continue
                seen.add(key)
                yield key, src


async def translate_pending_async(
    cfg: Config, store: Store, now: datetime, translator: Translator | None = None
) -> TranslateStats:
    """Translate the missing-language headlines and summaries of recent events. The calls
    run in a worker thread (the store stays on the caller's thread), so the event loop, and
    with it polling and serving, goes on meanwhile."""
    stats = TranslateStats()
    if not cfg.translate.enabled:
        return stats
    tr = translator or make_translator(cfg.translate)
    failures = 0
    for key, src in list(_work(store, tr.name)):
        if stats.calls >= cfg.translate.max_per_pass:
            break
        stats.calls += 1
        try:
            out = await asyncio.to_thread(tr.translate, src, key[1], key[2])
        except TranslateError as exc:
            stats.failed += 1
            failures += 1
            log.warning("translate_failed backend=%s error=%s", tr.name, exc)
            if failures >= MAX_FAILURES_IN_A_ROW:
                break
            continue
        failures = 0
        stats.translated += 1
        reader.put_translation(store, key, tr.name, out, utc_iso(now))
    if stats.calls:
        log.info(
            "translate_pass backend=%s calls=%d translated=%d failed=%d",
            tr.name, stats.calls, stats.translated, stats.failed,
        )  # fmt: skip
    return stats


def translate_pending(
    cfg: Config, store: Store, now: datetime, translator: Translator | None = None
) -> TranslateStats:
    """:func:`translate_pending_async` for callers without an event loop."""
    return asyncio.run(translate_pending_async(cfg, store, now, translator))
