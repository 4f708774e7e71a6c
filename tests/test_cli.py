"""The CLI contract (DESIGN.md): subscriptions management, check-config, events, search."""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import REPO, run_cli
from origin import Origin

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


# -- feeds.opml is the source of truth (issue 15, item 10) ----------------------------------
def bundled_setup(tmp_path: Path, base: str) -> bytes:
    (tmp_path / "config.toml").write_text(f'[bridges]\nrsshub = "{base}"\n', encoding="utf-8")
    original = (REPO / "feeds.opml").read_bytes()
    (tmp_path / "feeds.opml").write_bytes(original)
    return original


def test_changing_the_bridge_base_rewrites_bridged_feeds_in_place(tmp_path: Path) -> None:
    bundled_setup(tmp_path, "https://rsshub.app")
    first = json.loads(run(tmp_path, "feeds", "list", "--json").stdout)
    bundled_setup(tmp_path, "http://127.0.0.1:1200")
    second = json.loads(run(tmp_path, "feeds", "list", "--json").stdout)
    assert len(second) == len(first)
    assert not [f["url"] for f in second if "rsshub.app" in f["url"]]
    assert sorted(f["id"] for f in second) == sorted(f["id"] for f in first)


def test_feeds_add_and_remove_edit_the_opml_in_place(tmp_path: Path) -> None:
    original = bundled_setup(tmp_path, "https://hub.example.net")
    add = run(tmp_path, "feeds", "add", "https://example.org/new.xml", "--title", "New")
    assert add.returncode == 0, add.stderr
    edited = (tmp_path / "feeds.opml").read_text(encoding="utf-8")
    assert "<!-- Feed URLs and their evidence" in edited  # comments and header kept
    assert "<docs>http://opml.org/spec2.opml</docs>" in edited
    assert 'xmlUrl="https://rsshub.app/apnews/topics/ap-top-news"' in edited  # not rebuilt
    assert "https://example.org/new.xml" in edited
    assert run(tmp_path, "feeds", "remove", "https://example.org/new.xml").returncode == 0
    assert (tmp_path / "feeds.opml").read_bytes() == original


def test_removing_an_outline_unsubscribes_and_keeps_items(tmp_path: Path, origin: Origin) -> None:
    from aggregator.demo import SAMPLE_FILES, render_sample, sample_bytes

    names = list(SAMPLE_FILES)[:2]
    for n in names:
        origin.static(f"/{n}", render_sample(sample_bytes(n), datetime.now(UTC)))
    subs = [Subscription(url=origin.url(f"/{n}"), title=n) for n in names]
    (tmp_path / "feeds.opml").write_bytes(write_opml(subs))
    (tmp_path / "config.toml").write_text(
        "[fetch]\nallow_private_networks = true\nper_host_min_gap_s = 0.0\n"
        '[cluster]\nbackend = "none"\n',
        encoding="utf-8",
    )
    assert run(tmp_path, "poll", "--all").returncode == 0
    db = tmp_path / "db" / "aggregator.db"
    items = sqlite3.connect(db).execute("SELECT COUNT(*) FROM items").fetchone()[0]
    assert items > 0
    (tmp_path / "feeds.opml").write_bytes(write_opml(subs[:1]))  # the user deletes an outline
    assert run(tmp_path, "poll", "--all").returncode == 0
    listed = json.loads(run(tmp_path, "feeds", "list", "--json").stdout)
    assert [f["url"] for f in listed] == [subs[0].url]
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM items").fetchone()[0] == items
    assert con.execute("SELECT disabled FROM feeds WHERE url = ?", (subs[1].url,)).fetchone()[
        0
    ] == 1


def test_export_keeps_categories_and_bridges(tmp_path: Path) -> None:
    bundled_setup(tmp_path, "https://hub.example.net")
    exported = run(tmp_path, "feeds", "export").stdout.encode()
    again = read_opml(exported, rsshub_base="https://other.example")
    original = read_opml((REPO / "feeds.opml").read_bytes(), rsshub_base="https://other.example")
    assert [(s.url, s.category, s.bridge_route) for s in again] == [
        (s.url, s.category, s.bridge_route) for s in original
    ]
    # the outlets the file names come back too (issue 14: AP Top News and AP Politics are AP)
    assert [(s.outlet, s.country) for s in again] == [(s.outlet, s.country) for s in original]
    assert any(s.outlet for s in original)


def test_demo_twice_gives_the_same_events(tmp_path: Path) -> None:
    def events() -> list[tuple[str, int]]:  # (title, members)
        proc = subprocess.run(
            [sys.executable, "-m", "aggregator.cli", "demo", "--dir", str(tmp_path / "d")],
            capture_output=True,
            text=True,
            timeout=180,
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr
        db = sqlite3.connect(tmp_path / "d" / "demo.db")
        # Members as the demo lists them (load_events): each event's items, duplicates too.
        return sorted(
            db.execute(
                "SELECT e.title, COUNT(i.id) FROM events e JOIN items i ON i.event_id = e.id"
                " GROUP BY e.id"
            ).fetchall()
        )

    first = events()
    assert first
    assert events() == first


def test_a_broken_feeds_opml_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    bundled_setup(tmp_path, "https://hub.example.net")
    (tmp_path / "feeds.opml").write_bytes(b"<opml><body><outline xmlUrl='x'></body>")
    proc = run(tmp_path, "feeds", "list")
    assert proc.returncode == 2
    assert "feeds.opml: not a usable OPML file" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_poll_pass_collects_garbage_less_often_then_restores_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aggregator import cli

    (tmp_path / "config.toml").write_text(
        '[feeds]\nopml = "feeds.opml"\n[store]\npath = "db/t.db"\n[publish]\ndir = "pub"\n',
        encoding="utf-8",
    )
    (tmp_path / "feeds.opml").write_bytes(write_opml([]))
    seen: list[tuple[int, ...]] = []

    async def fake_poll_once(*_a: object, **_k: object) -> int:
        seen.append(gc.get_threshold())
        return 0

    monkeypatch.setattr(cli, "poll_once", fake_poll_once)
    before = gc.get_threshold()
    assert cli.main(["--config", str(tmp_path / "config.toml"), "poll", "--all"]) == 0
    assert seen == [cli.ONE_SHOT_GC_THRESHOLD]  # ~420 -> ~19 collections in a new2 pass
    assert gc.get_threshold() == before


#: Prints OpenBLAS's idle-thread timeout as the CLI leaves it, and whether numpy was loaded
#: before (it reads the variable once, when it loads OpenBLAS).
_BLAS_PROBE = (
    "import json, os, sys\n"
    "from aggregator.cli import main\n"
    "before = 'numpy' in sys.modules\n"
    "try:\n"
    "    main(['--help'])\n"
    "except SystemExit:\n"
    "    pass\n"
    "print(json.dumps([before, os.environ.get('OPENBLAS_THREAD_TIMEOUT')]))\n"
)


@pytest.mark.parametrize("given", [None, "20"])
def test_blas_idle_threads_sleep_unless_the_environment_says(given: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    if given is not None:
        env["OPENBLAS_THREAD_TIMEOUT"] = given
    proc = subprocess.run([sys.executable, "-c", _BLAS_PROBE], capture_output=True, text=True,
                          env=env, timeout=60, check=True)
    before, value = json.loads(proc.stdout.strip().splitlines()[-1])
    assert before is False  # set before numpy (OpenBLAS) is loaded
    assert value == (given or "4")
