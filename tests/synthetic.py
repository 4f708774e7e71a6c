"""Synthetic news-like text for tests and the soak benchmark (pure): a fixed vocabulary and
a seeded word sampler, so generated feeds are deterministic and realistic enough in length."""

from __future__ import annotations

import random

VOCAB = [
    "harbour",
    "workers",
    "vote",
    "contract",
    "budget",
    "senate",
    "drought",
    "wheat",
    "prices",
    "rail",
    "strike",
    "vaccine",
    "trial",
    "museum",
    "reopens",
    "glacier",
    "melt",
    "election",
    "recount",
    "bridge",
    "collapse",
    "satellite",
    "launch",
    "tariff",
    "talks",
    "chip",
    "factory",
    "flood",
    "warning",
    "wildfire",
    "smoke",
    "bank",
    "merger",
    "orchestra",
    "tour",
    "marathon",
    "record",
    "volcano",
    "ash",
    "airline",
    "refund",
    "coral",
    "bleaching",
    "subway",
    "extension",
    "library",
    "fire",
    "privacy",
    "ruling",
    "pipeline",
    "leak",
    "festival",
    "cancelled",
    "mining",
    "permit",
    "storm",
    "surge",
]


def words(seed: int, n: int) -> str:
    """``n`` distinct vocabulary words, the same for the same seed."""
    return " ".join(random.Random(seed).sample(VOCAB, n))
