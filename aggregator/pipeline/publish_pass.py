"""Publish job: store rows → :class:`Event` / :class:`PublishedItem` read models → rendered
files → the output folder (I/O: reads and writes the store, writes files atomically).

Events list every member, duplicates included (a duplicate is one more outlet carrying the
story); the item feed lists originals only, each with its duplicates' sources.

Each published event carries its reader view (:mod:`aggregator.publish.view`): story dates,
headline and summary in English and Chinese from its members, a cached machine translation
for a language no member covers (``[translate]``, filled in the background by
:mod:`aggregator.pipeline.translate_pass`), and its outlets. The view is stored in
``event_views`` so ``updated`` moves only when it changes, and for Datasette. Topic matches
go to ``topic_matches``; topic feeds and the daily digest are rendered from the same events.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from itertools import chain
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from aggregator.config import Config
from aggregator.models import Event, EventMember, EventView, OutletRef
from aggregator.pipeline import view_terms
from aggregator.pipeline.code_id import code_fingerprint
from aggregator.publish import (
    PublishedItem,
    StagedOutputs,
    render_stream,
    stream_topic_feeds,
)
from aggregator.publish.notice import with_status_notice
from aggregator.publish.topics import match_events, matcher
from aggregator.publish.view import (
    VIEW_LANGUAGES,
    bilingual,
    latest_change,
    members_key,
    next_updated,
    signature,
    story_published,
)
from aggregator.store import reader
from aggregator.store.core import Store, parse_iso, utc_iso
from aggregator.translate import text_key

__all__ = ["dumps", "event_json", "load_events", "load_items", "publish_outputs"]

#: Events considered per publish: the most recently changed, this many times max_entries
#: (an old story joined by a late member may sort below newer ones by its story date).
CANDIDATE_FACTOR = 2
#: Events whose view is missing or older than the event, (re)computed per publish beyond the
#: most recent ones: a first poll of thousands of events gets its views over a few publishes.
STALE_PER_PUBLISH = 2000
#: The module whose code (with what it imports) makes an event's headlines and summaries:
#: part of every view's key, so a change of that code recomputes the stored views.
VIEW_CODE = "aggregator.publish.view"
#: Events of the digest's days considered, at most.
DIGEST_MAX_EVENTS = 3000
#: Events assembled at a time: their members' stored vectors (2 KB each with the lexical
#: embedder) are read per chunk, not for every candidate at once (~9 MB on a first poll of
#: 4,000 items, ``bench/pass_memory.py``).
ASSEMBLE_CHUNK = 250


def _vectors(
    store: Store,
    members: Sequence[EventMember],
    loaded: dict[int, tuple[str, np.ndarray]] | None = None,
) -> dict[int, np.ndarray]:
    """Stored vectors of one embedder only (the most common), so cosines compare alike.
    ``loaded``: the stored vectors of (at least) these members, read beforehand in one query
    (:func:`assemble`); without it they are read here."""
    if loaded is None:
        got = reader.item_vectors(store, (m.item_id for m in members))
    else:
        # ascending ids, the order SQLite returns an ``IN`` over the key (ties of ``best``)
        ids = sorted({m.item_id for m in members})
        got = {i: loaded[i] for i in ids if i in loaded}
    if not got:
        return {}
    models: dict[str, int] = defaultdict(int)
    for model, _ in got.values():
        models[model] += 1
    best = max(models, key=lambda k: models[k])
    return {i: v for i, (model, v) in got.items() if model == best}


def _translate(
    store: Store, cfg: Config, titles: dict[str, str | None], summaries: dict[str, str | None]
) -> list[str]:
    """Fill a missing language from the translation cache; returns the keys filled."""
    if not cfg.translate.enabled:
        return []
    filled: list[str] = []
    for target in VIEW_LANGUAGES:
        source = next((lang for lang in VIEW_LANGUAGES if lang != target), None)
        if titles.get(target) or source is None or not titles.get(source):
            continue
        for name, texts in (("titles", titles), ("summaries", summaries)):
            src = texts.get(source)
            if not src:
                continue
            key = text_key(src, source, target)
            hit = reader.cached_translations(store.conn, [key], cfg.translate.backend)
            if key in hit:
                texts[target] = hit[key]
                filled.append(f"{name}.{target}")
    return filled


def _texts(
    store: Store,
    cfg: Config,
    ms: Sequence[EventMember],
    prev: reader.StoredView | None,
    loaded: dict[int, tuple[str, np.ndarray]] | None = None,
    terms: view_terms.TermsCache | None = None,
) -> tuple[dict[str, str | None], dict[str, str | None], list[str], str]:
    """``(titles, summaries, machine-filled keys, members key)``: the stored texts when the
    members' key is the stored one (no translation configured, nothing machine-filled, and
    the stored signature checks out), else computed (:func:`bilingual`, :func:`_translate`;
    the members' summary terms through ``terms``, kept between publishes)."""
    vectors = _vectors(store, ms, loaded)
    key = members_key(ms, vectors, code_fingerprint(VIEW_CODE))
    if (
        prev is not None
        and prev.members_key == key
        and not cfg.translate.enabled
        and not prev.machine_translated
    ):
        titles = {lang: prev.titles.get(lang) for lang in VIEW_LANGUAGES}
        summaries = {lang: prev.summaries.get(lang) for lang in VIEW_LANGUAGES}
        if signature(ms, titles, summaries) == prev.signature:
            return titles, summaries, [], key
    titles, summaries = bilingual(ms, vectors, terms.prepared(ms) if terms else None)
    return titles, summaries, _translate(store, cfg, titles, summaries), key


def assemble(
    store: Store, cfg: Config, rows: Sequence[reader.EventRow], now: datetime, *, persist: bool
) -> list[Event]:
    """Events with their members and reader view; with ``persist``, changed views are saved
    (and their ``updated`` moves), else stored dates are reused as they are."""
    langs = reader.outlet_languages(store)
    out: list[Event] = []
    changed: list[reader.ViewRow] = []
    terms = view_terms.open_cache(store.path, code_fingerprint(VIEW_CODE)) if persist else None
    try:
        for at in range(0, len(rows), ASSEMBLE_CHUNK):
            chunk = rows[at : at + ASSEMBLE_CHUNK]
            keep = changed if persist else None
            out += _assemble_chunk(store, cfg, chunk, now, langs, keep, terms)
    finally:
        if terms is not None:
            terms.close()
    if changed:
        reader.save_views(store, changed)
    return out


def _assemble_chunk(
    store: Store,
    cfg: Config,
    rows: Sequence[reader.EventRow],
    now: datetime,
    langs: dict[str, tuple[str, ...]],
    changed: list[reader.ViewRow] | None,
    terms: view_terms.TermsCache | None = None,
) -> list[Event]:
    """:func:`assemble` of some rows; the views to save go to ``changed`` (None: not saved)."""
    ids = [r.id for r in rows]
    members, stored = reader.event_members(store, ids), reader.stored_views(store, ids)
    loaded = reader.item_vectors(store, (m.item_id for v in members.values() for m in v))
    out: list[Event] = []
    for r in rows:
        ms = tuple(members.get(r.id, ()))
        if not ms:
            continue
        prev = stored.get(r.id)
        titles, summaries, machine, key = _texts(store, cfg, ms, prev, loaded, terms)
        sig = signature(ms, titles, summaries)
        published = story_published(ms) or now
        latest = latest_change(ms) or now
        updated = next_updated(
            latest,
            parse_iso(prev.updated_at) if prev else None,
            changed=prev is None or prev.signature != sig,
        )
        outlets = _outlets(ms, langs)
        view = EventView(
            titles=titles,
            summaries=summaries,
            machine_translated=tuple(machine),
            outlets=outlets,
            published_at=utc_iso(published),
            updated_at=utc_iso(updated),
        )
        stale = (
            prev is None
            or prev.signature != sig
            or prev.event_updated_at != r.updated_at
            or prev.members_key != key
        )
        if changed is not None and stale:
            changed.append(
                reader.ViewRow(
                    event_id=r.id,
                    signature=sig,
                    published_at=view.published_at,
                    updated_at=view.updated_at,
                    titles=titles,
                    summaries=summaries,
                    machine_translated=machine,
                    outlets=[o.__dict__ for o in outlets],
                    item_count=len(ms),
                    event_updated_at=r.updated_at,
                    members_key=key,
                )
            )
        pref = cfg.publish.preferred_language.split("-")[0].lower()
        other = next((lang for lang in VIEW_LANGUAGES if lang != pref), None)
        # The entry title is a member's own headline (preferred language first); machine text
        # only ever appears beside it, marked.
        order = [lang for lang in (pref, other) if lang and titles.get(lang)]
        real = [lang for lang in order if f"titles.{lang}" not in machine] or order
        title = titles.get(real[0]) if real else None
        alt = next((titles[lang] for lang in order if real and lang != real[0]), None)
        out.append(
            Event(
                id=r.id,
                title=title or r.title,
                first_seen_at=r.first_seen_at,
                updated_at=view.updated_at,
                members=ms,
                summary=summaries.get(pref) or summaries.get(other or "") or "",
                alt_title=alt,
                view=view,
            )
        )
    return out


def _outlets(ms: Sequence[EventMember], langs: dict[str, tuple[str, ...]]) -> tuple[OutletRef, ...]:
    first: dict[str, EventMember] = {}
    for m in sorted(ms, key=lambda m: (m.published_at or m.fetched_at, m.item_id)):
        first.setdefault(m.outlet or m.source, m)
    return tuple(
        OutletRef(name=name, country=m.country, languages=langs.get(name, ()))
        for name, m in first.items()
    )


def load_events(
    store: Store, *, limit: int, since: datetime | None = None, cfg: Config | None = None
) -> list[Event]:
    """The most recently updated events with their members and view, newest first
    (read-only: the stored view dates are used, nothing is written)."""
    rows = reader.recent_events(store, limit=limit, since=utc_iso(since) if since else None)
    events = assemble(store, cfg or Config(), rows, datetime.now().astimezone(), persist=False)
    return sorted(events, key=lambda e: (e.updated_at, e.id), reverse=True)


def _source(row: dict[str, Any]) -> str:
    return str(row.get("feed_title") or urlsplit(row.get("feed_url") or "").hostname or "?")


def load_items(store: Store, *, limit: int) -> list[PublishedItem]:
    """Unique items, newest first, each with the sources of its duplicates."""
    rows = reader.recent_originals(store, limit)
    dups: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    for d in reader.duplicates_with_feeds(store, [r["id"] for r in rows]):
        dups[d["duplicate_of"]].append((_source(d), d["url"]))
    return [
        PublishedItem(
            id=r["id"],
            title=r["title"],
            url=r["url"],
            summary=r["summary"],
            content_html=r["content_html"],
            lang=r["lang"],
            published_at=r["published_at"],
            fetched_at=r["fetched_at"],
            source_title=_source(r),
            source_url=r["feed_site"] or r["feed_url"],
            author=r["author"],
            duplicates=tuple(dups.get(r["id"], ())),
            event_id=r["event_id"],
            feed_id=r["feed_id"],
        )
        for r in rows
    ]


def publish_outputs(cfg: Config, store: Store, now: datetime) -> list[str]:
    """Render every output from the store and replace the files atomically."""
    limit = cfg.publish.max_entries
    rows = reader.recent_events(store, limit=limit * CANDIDATE_FACTOR)
    seen = {r.id for r in rows}
    rows += [r for r in reader.stale_events(store, limit=STALE_PER_PUBLISH) if r.id not in seen]
    events = assemble(store, cfg, rows, now, persist=True)
    events.sort(key=lambda e: (e.updated_at, e.id), reverse=True)
    items = load_items(store, limit=limit)
    topics = _topic_events(cfg, store, events, now)
    digest = _digest_events(cfg, store, events, now)
    # Each file is written out (to a temp file) as soon as it is rendered and dropped, and
    # all of them replace the old ones at the end: one rendered file in memory at a time.
    files = chain(
        render_stream(events[:limit], items, cfg.publish, now, topics, digest),
        stream_topic_feeds(topics, cfg.publish, now),
    )
    with StagedOutputs(cfg.publish_dir) as out:
        for name, data in files:
            if name == "index.html" and not events:
                data = with_status_notice(data, status_lines(cfg, store))
            out.add(name, data)
            del data
    return sorted(out.names)


def status_lines(cfg: Config, store: Store) -> list[str]:
    """Why the page is empty, from the subscribed, enabled feeds' last results."""
    from aggregator.pipeline.diagnose import FeedState, nothing_arrived_notice
    from aggregator.store.subscriptions import subscribed_feeds

    states = [
        FeedState(
            title=f.title or f.url,
            error=f.last_error,
            fetched=f.last_fetched_at is not None,
            succeeded=f.last_success_at is not None,
            bridged=f.bridged,
        )
        for f in subscribed_feeds(store, include_unsubscribed=False)
        if not f.disabled
    ]
    return nothing_arrived_notice(states, rsshub_base=cfg.bridges.rsshub)


def _topic_events(
    cfg: Config, store: Store, events: list[Event], now: datetime
) -> list[tuple[str, str, list[Event]]]:
    """Per topic: match the candidate events, store the matches, and return the topic's
    events (stored matches included), newest update first."""
    if not cfg.topics:
        reader.drop_topics_except(store, [])
        return []
    reader.drop_topics_except(store, [t.slug for t in cfg.topics])
    by_id = {e.id: e for e in events}
    out = []
    for t in cfg.topics:
        found = match_events(matcher(t), {e.id: e.members for e in events})
        reader.update_topic_matches(store, t.slug, list(by_id), found, utc_iso(now))
        ids = reader.topic_event_ids(store, t.slug, cfg.publish.max_entries)
        missing = [i for i in ids if i not in by_id]
        extra = assemble(store, cfg, reader.events_by_id(store, missing), now, persist=True)
        evs = [by_id[i] for i in ids if i in by_id] + extra
        evs.sort(key=lambda e: (e.updated_at, e.id), reverse=True)
        out.append((t.slug, t.title, evs[: cfg.publish.max_entries]))
    return out


def _digest_events(cfg: Config, store: Store, events: list[Event], now: datetime) -> list[Event]:
    """Events whose story began within the digest's days (plus one day of margin)."""
    from datetime import timedelta

    since = utc_iso(now - timedelta(days=cfg.publish.digest_days + 1))
    ids = reader.view_ids_published_since(store, since, DIGEST_MAX_EVENTS)
    have = {e.id for e in events}
    # Events outside this publish's candidates have not changed since their view was stored:
    # the digest reads those views as they are (no members loaded, nothing recomputed).
    extra = [
        Event(
            id=v.event_id, title=v.title, first_seen_at=v.first_seen_at,
            updated_at=v.updated_at, members=(), link=v.link,
            view=EventView(
                titles=v.titles, summaries=v.summaries,
                machine_translated=v.machine_translated,
                outlets=tuple(
                    OutletRef(name=str(o.get("name")), country=o.get("country"),
                              languages=tuple(o.get("languages") or ()))
                    for o in v.outlets
                ),
                published_at=v.published_at, updated_at=v.updated_at,
            ),
        )
        for v in reader.stored_event_views(store, [i for i in ids if i not in have])
    ]  # fmt: skip
    return [e for e in events if e.view and e.view.published_at >= since] + extra


def event_json(e: Event) -> dict[str, Any]:
    v = e.view
    return {
        "id": e.id,
        "title": e.title,
        "alt_title": e.alt_title,
        "titles": dict(v.titles) if v else None,
        "summaries": dict(v.summaries) if v else None,
        "machine_translated": list(v.machine_translated) if v else [],
        "published_at": v.published_at if v else e.first_seen_at,
        "first_seen_at": e.first_seen_at,
        "updated_at": e.updated_at,
        "languages": list(e.languages),
        "outlets": [o.__dict__ for o in v.outlets] if v else list(e.sources),
        "outlet_count": len(e.sources),
        "sources": list(e.sources),
        "members": [m.__dict__ for m in e.members],
    }


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1)
