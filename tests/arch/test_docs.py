"""The README names every CLI command and every output file, so a user can find them; the
reference config (config.toml) names every key (tests/test_config.py checks its values)."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime
from pathlib import Path

from aggregator.cli import build_parser
from aggregator.config import iter_settings, load_config
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


def test_config_toml_names_every_key() -> None:
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    cfg = load_config(REPO / "config.toml", must_exist=True)
    keys = [key for key, _value, _default, _help in iter_settings(cfg)]
    assert len(keys) > 20
    sections = set(re.findall(r"^\s*#?\s*\[([a-z_.]+)\]", text, re.M))
    missing = [k for k in keys if k.rsplit(".", 1)[0] not in sections
               or not re.search(rf"^\s*#?\s*{re.escape(k.rsplit('.', 1)[-1])}\s*=", text, re.M)]
    assert missing == []
