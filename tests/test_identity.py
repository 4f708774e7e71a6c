"""How we identify ourselves to feed servers and readers: the User-Agent and the feed
generator name the software without a made-up project URL (issue 15); the operator adds a
contact through ``[fetch] user_agent``."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from aggregator.config import FetchConfig, PublishConfig
from aggregator.publish import render_all

ROOT = Path(__file__).resolve().parent.parent
URL = re.compile(r"https?://", re.I)


def test_default_user_agent_names_the_software_without_an_invented_url() -> None:
    ua = FetchConfig().user_agent
    assert ua.startswith("aggregator/")
    assert not URL.search(ua), ua


def test_config_toml_user_agent_matches_the_default_and_says_how_to_add_a_contact() -> None:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    assert tomllib.loads(text)["fetch"]["user_agent"] == FetchConfig().user_agent
    comment = text.split("user_agent =")[0].rsplit("\n\n", 1)[-1]
    assert "contact" in comment.lower()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "user_agent" in readme and "contact" in readme


def test_published_feeds_carry_a_generator_without_a_project_url() -> None:
    files = render_all([], [], PublishConfig(), datetime(2026, 1, 1, tzinfo=UTC))
    atom = files["events.atom"].decode()
    rss = files["events.rss"].decode()
    gen_atom = re.search(r"<generator[^>]*>[^<]*</generator>", atom)
    gen_rss = re.search(r"<generator>[^<]*</generator>", rss)
    assert gen_atom and gen_rss
    for g in (gen_atom.group(0), gen_rss.group(0)):
        assert "aggregator" in g
        assert not URL.search(g), g
    for body in files.values():
        assert b"github.com/aggregator" not in body
