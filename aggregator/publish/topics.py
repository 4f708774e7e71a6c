"""Publish stage, topics: ``[[topics]]`` keywords → which events belong to each topic (pure).

An event is in a topic when any member's title or lead contains a keyword and no exclusion,
both sides folded the same way (:func:`aggregator.normalize.item.fold_for_matching`: NFKC,
case, Traditional → Simplified, punctuation → space). So a Chinese keyword brings in the
English reports of the same event, and 稀土 finds 稀土 and 稀土 alike. A keyword written in
Latin letters must start at a word boundary (``eu`` does not match ``neutral``) but may run on
(``rare earth`` matches ``rare earths``); Chinese keywords match anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aggregator.config import TopicConfig
from aggregator.models import EventMember
from aggregator.normalize.item import fold_for_matching


@dataclass(frozen=True)
class TopicMatcher:
    slug: str
    title: str
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    exclusions: tuple[re.Pattern[str], ...]

    def match(self, text: str) -> str | None:
        """The first keyword found in ``text`` (folded here), None if none or excluded."""
        folded = fold_for_matching(text)
        if any(x.search(folded) for x in self.exclusions):
            return None
        for kw, pat in self.patterns:
            if pat.search(folded):
                return kw
        return None


def _pattern(keyword: str) -> re.Pattern[str] | None:
    k = fold_for_matching(keyword)
    if not k:
        return None
    lead = r"(?<![a-z0-9])" if k[0].isascii() and k[0].isalnum() else ""
    return re.compile(lead + re.escape(k))


def matcher(topic: TopicConfig) -> TopicMatcher:
    pats = tuple((k, p) for k in topic.keywords if (p := _pattern(k)) is not None)
    excl = tuple(p for k in topic.exclude if (p := _pattern(k)) is not None)
    return TopicMatcher(slug=topic.slug, title=topic.title, patterns=pats, exclusions=excl)


def match_events(
    topic: TopicMatcher, events: Mapping[int, Sequence[EventMember]]
) -> dict[int, tuple[int, str]]:
    """event id → (first matching member's item id, keyword) for the events in the topic."""
    out: dict[int, tuple[int, str]] = {}
    for eid, members in events.items():
        for m in sorted(members, key=lambda m: m.item_id):
            kw = topic.match(f"{m.title}\n{m.lead}")
            if kw is not None:
                out[eid] = (m.item_id, kw)
                break
    return out
