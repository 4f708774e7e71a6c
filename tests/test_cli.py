"""The CLI contract (DESIGN.md): subscriptions management, check-config, events, search."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import run_cli

from aggregator.opml import Subscription, read_opml, write_opml


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(tmp_path / "config.toml", *args)


def setup(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[bridges]\nrsshub = "https://hub.example.net"\n', encoding="utf-8"
    )
    (tmp_path / "feeds.opml").write_bytes(
        write_opml(
            [
                Subscription(
                    url="https://hub.example.net/guancha/headline",
                    title="观察者网",
                    bridge="rsshub",
                    bridge_route="/guancha/headline",
                ),
                Subscription(url="https://example.org/a.xml", title="A"),
            ]
        )
    )


def test_feeds_commands_keep_store_and_opml_in_step(tmp_path: Path) -> None:
    setup(tmp_path)
    listed = json.loads(run(tmp_path, "feeds", "list", "--json").stdout)
    assert [f["url"] for f in listed] == [
        "https://hub.example.net/guancha/headline",
        "https://example.org/a.xml",
    ]
    assert listed[0]["bridged"] == "rsshub"
    assert (
        run(tmp_path, "feeds", "add", "https://example.org/b.xml", "--title", "B").returncode == 0
    )
    opml = read_opml((tmp_path / "feeds.opml").read_bytes(), rsshub_base="https://x")
    assert [s.url for s in opml][-1] == "https://example.org/b.xml"
    assert opml[0].bridge_route == "/guancha/headline"  # bridge kept on rewrite
    assert run(tmp_path, "feeds", "remove", "https://example.org/a.xml").returncode == 0
    assert run(tmp_path, "feeds", "remove", "https://nope.example/").returncode == 1
    urls = [
        s.url for s in read_opml((tmp_path / "feeds.opml").read_bytes(), rsshub_base="https://x")
    ]
    assert "https://example.org/a.xml" not in urls
    assert run(tmp_path, "feeds", "disable", "https://example.org/b.xml").returncode == 0
    rows = {f["url"]: f for f in json.loads(run(tmp_path, "feeds", "list", "--json").stdout)}
    assert rows["https://example.org/b.xml"]["disabled"] == 1
    assert run(tmp_path, "feeds", "enable", "https://example.org/b.xml").returncode == 0
    exported = run(tmp_path, "feeds", "export").stdout.encode()
    assert {s.url for s in read_opml(exported, rsshub_base="https://x")} >= {
        "https://example.org/b.xml"
    }
    other = tmp_path / "other.opml"
    other.write_bytes(write_opml([Subscription(url="https://example.com/c.xml")]))
    assert "imported 1" in run(tmp_path, "feeds", "import", str(other)).stdout


def test_check_config_prints_every_section(tmp_path: Path) -> None:
    setup(tmp_path)
    out = run(tmp_path, "check-config").stdout
    for section in (
        "[feeds]",
        "[store]",
        "[publish]",
        "[fetch]",
        "[schedule]",
        "[cluster]",
        "[bridges]",
        "[server]",
        "[daemon]",
    ):
        assert section in out
    assert 'rsshub = "https://hub.example.net"' in out


def test_check_config_says_when_clustering_is_lexical(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[cluster]\nbackend = "none"\n', encoding="utf-8")
    assert "cross-lingual clustering is off" in run(tmp_path, "check-config", "-q").stdout


def test_events_and_search_on_an_empty_store(tmp_path: Path) -> None:
    setup(tmp_path)
    assert json.loads(run(tmp_path, "events", "--json").stdout) == []
    assert run(tmp_path, "search", "稀土").returncode == 0
