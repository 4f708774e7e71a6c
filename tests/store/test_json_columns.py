"""The store's JSON columns: the reused encoders write what ``json.dumps`` writes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aggregator.store.core import _json_list
from aggregator.store.events import _json

VALUES: list[Any] = [
    [],
    ["world", "中文", 'a"quote"', "line\nbreak", "\ud800", "😀"],
    [{"url": "https://example.org/a.mp3", "type": "audio/mpeg", "length": 1234}],
    [{"url": "https://example.org/b", "type": None, "length": None}],
    {"fed": 2, "=美联储": 1, "rate": 3},
    [["ap", "fed"], []],
    [1.5, -0.0, 10**20],
]


@pytest.mark.parametrize("value", VALUES)
def test_json_list_is_json_dumps(value: Any) -> None:
    if isinstance(value, list):
        assert _json_list(value) == json.dumps(value, ensure_ascii=False)


@pytest.mark.parametrize("value", VALUES)
def test_compact_json_is_json_dumps(value: Any) -> None:
    assert _json(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))
