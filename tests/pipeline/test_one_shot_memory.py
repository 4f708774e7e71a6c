"""A one-shot ``poll`` drops the cluster stage's memory before it publishes (issue 16 item 6:
``poll --all`` ≤ 100 MB peak without the model): the window (the event builder and its
clusterer) and the CC-CEDICT glossary (~25 MB) with the word → terms memo built on it.
Publishing then reuses that memory instead of adding to the peak."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from conftest import make_config, poll_one_feed

from aggregator.cluster import cedict, lexical
from aggregator.cluster.clusterer import EventClusterer
from aggregator.pipeline import publish_pass


def test_one_shot_poll_publishes_without_the_window_or_the_glossary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = "".join(
        f"<item><guid>g{i}</guid><link>http://example.org/{i}</link>"
        f"<title>国务院总理主持召开常务会议第{i}次研究部署</title>"
        f"<description>会议部署稳经济一揽子政策措施，第{i}项。</description></item>"
        for i in range(3))  # fmt: skip
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}' \
           "</channel></rss>"
    seen: dict[str, object] = {}
    real = publish_pass.publish_outputs

    def observed(*args: object, **kwargs: object) -> object:
        gc.collect()  # what is still referenced when publishing starts
        seen["clusterers"] = sum(isinstance(o, EventClusterer) for o in gc.get_objects())
        seen["glossary"] = cedict.glossary.cache_info().currsize
        seen["memo"] = lexical._word_terms
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(publish_pass, "publish_outputs", observed)
    report, rows = poll_one_feed(
        make_config(tmp_path), body.encode(), "zh",
        "SELECT COUNT(DISTINCT event_id) AS n FROM items")  # fmt: skip
    events = rows[0]["n"]
    assert report.new_items == 3 and report.clustered >= 1 and events >= 1  # near copies
    assert seen == {"clusterers": 0, "glossary": 0, "memo": None}
    # the next pass reads the glossary again and glosses as before
    assert lexical.terms("国务院总理", "")["premier"] == 2


def test_one_shot_poll_trims_malloc_once_the_refresh_stage_is_released(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages the refresh stage freed (near-duplicate records, the s2t converter) go back
    to the kernel before clustering: the cluster stage's objects live in pymalloc's own
    mappings and could not reuse most of them (bench/pass_memory.py). Fails before: no
    trim."""
    from aggregator.daemon import memory
    from aggregator.normalize import langid
    from aggregator.pipeline.refresh import Pipeline

    calls: list[tuple[object, frozenset[str]]] = []
    current: list[Pipeline] = []
    real_trim = memory.trim_malloc
    real_release = Pipeline._release_refresh_memory

    def trim() -> bool:
        calls.append((current[0]._near if current else "?", langid.built_converters()))
        return real_trim()

    def release(self: Pipeline, *, trim: bool) -> None:
        current.append(self)
        real_release(self, trim=trim)

    monkeypatch.setattr(memory, "trim_malloc", trim)
    monkeypatch.setattr(Pipeline, "_release_refresh_memory", release)
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        b"<item><guid>a</guid><title>Quake toll rises</title>"
        b"<description>Rescue teams searched collapsed buildings.</description></item>"
        b"</channel></rss>"
    )
    report, _ = poll_one_feed(make_config(tmp_path), body, "en", "SELECT 1 AS x")
    assert report.new_items == 1
    assert len(calls) == 1
    near, converters = calls[0]
    assert near is None and "s2t" not in converters  # trimmed after the release
