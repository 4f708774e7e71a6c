"""The JSON Feed writer (publish/jsontext.py) writes exactly what ``json.dumps(...,
ensure_ascii=False, indent=1)`` writes: fuzzed documents, the fallbacks, and a rendered feed."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from aggregator.publish.formats import FeedMeta, render_json
from aggregator.publish.jsontext import dumps_indent1, dumps_indent1_utf8

_CHARS = "aZ 9\"\\/\n\t\r\x00\x1f\x7f\u2028\u2029é中文\U0001f600<>&'"


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(_CHARS) for _ in range(rng.randrange(0, 12)))


def _value(rng: random.Random, depth: int) -> Any:
    kind = rng.randrange(10 if depth < 4 else 7)
    if kind == 0:
        return _text(rng)
    if kind == 1:
        return rng.choice([None, True, False])
    if kind == 2:
        return rng.randrange(-(10**20), 10**20)
    if kind == 3:
        return rng.choice([0.0, -0.0, 1e-300, 1.5, 1e22, rng.random() * 1e6, -rng.random()])
    if kind in (4, 5, 6):
        return _text(rng)
    if kind == 7:
        return [_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    if kind == 8:
        return tuple(_value(rng, depth + 1) for _ in range(rng.randrange(0, 3)))
    return {_text(rng): _value(rng, depth + 1) for _ in range(rng.randrange(0, 4))}


def test_fuzzed_documents_are_written_as_json_dumps_writes_them() -> None:
    rng = random.Random(16)
    for _ in range(3000):
        doc = _value(rng, 0)
        want = json.dumps(doc, ensure_ascii=False, indent=1)
        assert dumps_indent1(doc) == want
        assert dumps_indent1_utf8(doc, "\n") == (want + "\n").encode("utf-8")


@pytest.mark.parametrize(
    "doc",
    [
        {1: "int key", "a": [1]},  # json turns the key into a string
        {"x": float("nan")},
        [float("inf"), {"y": -float("inf")}],
        {None: 1, True: 2},
    ],
)
def test_what_it_leaves_to_json_dumps_comes_out_the_same(doc: Any) -> None:
    want = json.dumps(doc, ensure_ascii=False, indent=1)
    assert dumps_indent1(doc) == want
    assert dumps_indent1_utf8(doc, "\n") == (want + "\n").encode("utf-8")


def test_unserialisable_and_cyclic_documents_fail_as_json_dumps_fails() -> None:
    with pytest.raises(TypeError):
        dumps_indent1({"a": object()})
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    with pytest.raises(ValueError):
        dumps_indent1(cyclic)


def test_rendered_json_feed_is_the_standard_librarys_text() -> None:
    from aggregator.publish.entries import FeedEntry

    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    entries = [
        FeedEntry(
            id=f"tag:x,2026:event/{n}",
            title=f"标题 {n} \"quoted\"",
            link=f"https://example.com/{n}?a=1&b=2",
            content_html="<p>body</p>\n<p lang=\"zh\">正文</p>",
            summary="sum",
            published=now,
            updated=now,
            authors=("A", "B"),
            lang="zh-Hans",
            extension={"members": [{"id": n, "score": 0.5, "dup": None}], "n": n},
        )
        for n in range(5)
    ]
    meta = FeedMeta(
        name="events", feed_id="tag:x,2026:feed/events", title="T", description="D",
        base_url="https://example.com/", author="T", lang="en",
    )
    out = render_json(meta, entries, now)
    doc = json.loads(out)
    assert len(doc["items"]) == 5
    assert out == (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def test_a_feed_shaped_document_joined_item_by_item_is_the_same_text() -> None:
    """Items of a shallow array are joined as they are written (JOIN_DEPTH): the same text,
    and a value left to ``json.dumps`` in a late item still falls back for the whole."""
    items = [{"id": str(i), "title": f"第{i}号 «news» \u2028", "tags": [i, [i, {"x": [1.5]}]]}
             for i in range(300)]  # fmt: skip
    doc: dict[str, Any] = {"version": "1.1", "items": items, "_x": [[["deep"]]]}
    want = json.dumps(doc, ensure_ascii=False, indent=1)
    assert dumps_indent1(doc) == want
    assert dumps_indent1_utf8(doc) == want.encode("utf-8")
    items[-1]["n"] = float("nan")  # json.dumps writes NaN; this writer leaves it to json
    assert dumps_indent1(doc) == json.dumps(doc, ensure_ascii=False, indent=1)
    assert dumps_indent1_utf8(doc) == json.dumps(doc, ensure_ascii=False, indent=1).encode()
