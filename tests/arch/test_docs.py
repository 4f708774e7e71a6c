"""The README names every CLI command and every output file, so a user can find them
(config.toml naming every key with its default is tests/test_config.py's check)."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime
from pathlib import Path

from aggregator.cli import build_parser
from aggregator.config import load_config
from aggregator.publish import render_all

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


def commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    """Every command path of the CLI (``poll``, ``feeds list``, …)."""
    out = []
    for action in parser._actions:  # argparse keeps subparsers here and nowhere public
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                path = f"{prefix}{name}"
                out.append(path)
                out += commands(sub, path + " ")
    return out


def test_readme_names_every_command() -> None:
    cmds = commands(build_parser())
    assert len(cmds) > 15
    # "feeds list" may be written as `feeds list [--json]` or in a row `feeds … / add URL`.
    missing = [c for c in cmds if not re.search(rf"`{re.escape(c)}\b", README)
               and not re.search(rf"`{c.split()[0]}\b[^\n]*`{c.split()[-1]}\b", README)]
    assert missing == []


def test_readme_names_every_output_file() -> None:
    cfg = load_config(REPO / "config.toml", must_exist=True)
    names = sorted(render_all([], [], cfg.publish, datetime(2026, 1, 1, tzinfo=UTC)))
    assert "events.atom" in names
    missing = [n for n in names if f"`{n}`" not in README]
    assert missing == []
