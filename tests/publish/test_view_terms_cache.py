"""Members' summary terms kept between publishes (pipeline/view_terms.py): the same views and
bytes with the cache as without it, nothing folded again for a kept member, and a missing,
damaged or foreign cache costs only the computation."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import make_config
from origin import Origin
from readerworld import build_world

from aggregator.config import Config
from aggregator.models import EventMember
from aggregator.pipeline import view_terms
from aggregator.pipeline.publish_pass import publish_outputs
from aggregator.publish import view
from aggregator.store import file_cache
from aggregator.store.core import Store

EN = (
    "A strong earthquake struck the coast on Monday. At least 12 people died, officials said. "
    "Rescue teams searched collapsed buildings through the night in the port city of 1,200,000."
)
ZH = "周一，一场强烈地震袭击了沿海地区。官员说，至少有12人死亡！救援队整夜在倒塌的建筑物中搜寻。"
ZH_HANT = "週一，一場強烈地震襲擊了沿海地區。官員說，至少有12人死亡；救援隊整夜搜尋。"


def _member(i: int, **kw: Any) -> EventMember:
    base = EventMember(
        item_id=i,
        feed_id=i,
        source=f"s{i}",
        title=f"Quake kills 12 on coast {i}",
        url=f"https://e.x/{i}",
        lang="en",
        published_at=f"2026-12-06T10:{i:02d}:00Z",
        fetched_at="2026-12-06T11:00:00Z",
        outlet=f"Outlet {i}",
        lead=EN,
    )
    return dataclasses.replace(base, **kw)


def _members() -> list[EventMember]:
    return [
        _member(1),
        _member(2, lead=EN.replace("Monday", "Tuesday") + " More to follow."),
        _member(3, lead="Breaking. " + EN[:120]),
        _member(4, lang="zh-Hans", title="沿海发生强烈地震", lead=ZH),
        _member(5, lang="zh-Hant", title="沿海發生強烈地震", lead=ZH_HANT),
        _member(6, lang="zh-Hans", title="地震致12人死亡", lead=ZH[::-1]),
        _member(7, lang="fr", title="Séisme", lead="Un séisme a frappé la côte."),
        _member(8, lead=""),
    ]


def test_prepared_terms_give_the_computed_views() -> None:
    ms = _members()
    prepared = {
        m.item_id: view.member_terms(m, lang) for m in ms if (lang := view.lang_key(m.lang))
    }
    assert view.bilingual(ms, None, prepared) == view.bilingual(ms)
    for lang in view.VIEW_LANGUAGES:
        for script in (None, "zh-Hans", "zh-Hant", "en"):
            want = view.extractive_summary(ms, lang, script)
            assert view.extractive_summary(ms, lang, script, prepared) == want


def test_kept_terms_are_read_back_not_computed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ms = _members()
    path = tmp_path / "cache" / view_terms.CACHE_FILE
    first = view_terms.TermsCache(path, "code-1")
    computed = first.prepared(ms)
    first.close()
    assert set(computed) == {1, 2, 3, 4, 5, 6, 8}  # every member in a view language

    calls: list[int] = []
    real = view_terms.member_terms

    def counted(m: EventMember, lang: str) -> view.MemberTerms:
        calls.append(m.item_id)
        return real(m, lang)

    monkeypatch.setattr(view_terms, "member_terms", counted)
    again = view_terms.TermsCache(path, "code-1")
    assert again.prepared(ms) == computed
    assert calls == []
    # a changed lead, or other view code, is another key: computed anew
    changed = dataclasses.replace(ms[0], lead=EN + " Updated.")
    assert again.prepared([changed])[1] == real(changed, "en")
    assert calls == [1]
    again.close()
    other = view_terms.TermsCache(path, "code-2")
    other.prepared(ms[:2])
    assert calls == [1, 1, 2]
    other.close()


def test_a_damaged_or_unwritable_cache_costs_only_the_computation(tmp_path: Path) -> None:
    ms = _members()
    want = {m.item_id: view.member_terms(m, lang) for m in ms if (lang := view.lang_key(m.lang))}
    path = tmp_path / "cache" / view_terms.CACHE_FILE
    path.parent.mkdir()
    path.write_bytes(b"not a database" * 100)
    damaged = view_terms.TermsCache(path, "c")
    assert damaged.prepared(ms) == want
    damaged.close()
    path.unlink()
    ok = view_terms.TermsCache(path, "c")
    ok.prepared(ms)
    ok.close()
    with sqlite3.connect(path) as conn:  # an entry that does not read back as terms
        conn.execute("UPDATE entries SET data = X'00'")
    conn.close()
    bad = view_terms.TermsCache(path, "c")
    assert bad.prepared(ms) == want
    bad.close()
    blocked = tmp_path / "file"
    blocked.write_text("x")
    nowhere = view_terms.TermsCache(blocked / "cache" / view_terms.CACHE_FILE, "c")
    assert nowhere.blobs.conn is None
    assert nowhere.prepared(ms) == want
    nowhere.close()


def test_the_oldest_entries_go_past_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(view_terms, "MAX_ENTRIES", 3)
    path = tmp_path / view_terms.CACHE_FILE
    for i in range(1, 6):
        c = view_terms.TermsCache(path, "c")
        c.prepared([_member(i, lead=f"Lead number {i} of the story, long enough to count.")])
        c.close()
    c = view_terms.TermsCache(path, "c")
    assert c.blobs.count() == 3
    assert set(c.prepared([_member(i) for i in (3, 4, 5)])) == {3, 4, 5}
    c.close()


def _files(cfg: Config) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(cfg.publish_dir.iterdir()) if p.is_file()}


def test_publishing_with_kept_terms_writes_the_same_bytes(
    tmp_path: Path, store: Store, origin: Origin, now: datetime
) -> None:
    cfg = make_config(tmp_path)
    build_world(cfg, store, origin, now)
    later = now + timedelta(minutes=5)
    cache = file_cache.cache_path(store.path, view_terms.CACHE_FILE)
    publish_outputs(cfg, store, later)  # every view computed, every member's terms kept
    assert cache.exists()
    fresh = _files(cfg)
    store.conn.execute("UPDATE event_views SET members_key = 'stale'")
    store.conn.commit()
    publish_outputs(cfg, store, later)  # every view recomputed from kept terms
    assert _files(cfg) == fresh


def test_computed_terms_are_written_once_a_mebibyte_is_pending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A publish holds at most ~FLUSH_BYTES of computed entries (the peer workload's first
    publish held 6.5 MB of them to its end): past it they are written, and read back the
    same; below it they wait for close."""
    ms = _members()
    path = tmp_path / "cache" / view_terms.CACHE_FILE
    want = {m.item_id: view.member_terms(m, lang) for m in ms if (lang := view.lang_key(m.lang))}
    monkeypatch.setattr(view_terms, "FLUSH_BYTES", 1)
    cache = view_terms.TermsCache(path, "c")
    assert cache.prepared(ms[:3]) == {i: want[i] for i in (1, 2, 3)}
    assert cache.pending == {}  # written at once
    assert cache.blobs.count() == 3
    monkeypatch.setattr(view_terms, "FLUSH_BYTES", 1 << 30)
    assert cache.prepared(ms[3:]) == {i: want[i] for i in (4, 5, 6, 8)}
    assert len(cache.pending) == 4 and cache.blobs.count() == 3  # held until close
    cache.close()
    again = view_terms.TermsCache(path, "c")
    assert again.prepared(ms) == want and again.pending == {}  # all read back
    again.close()
