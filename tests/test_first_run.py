"""A first run that explains itself (issue 15, item 11): one summary line per poll, `feeds
check` naming each failing feed and its fix, and index.html saying why it is empty.
Real CLI processes against a local origin; a closed loopback port stands in for a server
(or an RSSHub) that is not running. No test reaches the internet."""

from __future__ import annotations

import re
import socket
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from conftest import run_cli
from origin import Origin

from aggregator.demo import render_sample, sample_bytes
from aggregator.opml import Subscription, write_opml
from aggregator.pipeline.diagnose import PUBLIC_RSSHUB_HOST, advice, failure_reason
from aggregator.publish.notice import render_status_notice

CONFIG = (
    "[fetch]\nallow_private_networks = true\nper_host_min_gap_s = 0.0\ndeadline_s = 10.0\n"
    '[cluster]\nbackend = "none"\n'
)


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def setup(tmp_path: Path, subs: list[Subscription], rsshub: str | None = None) -> Path:
    (tmp_path / "feeds.opml").write_bytes(write_opml(subs))
    extra = f'[bridges]\nrsshub = "{rsshub}"\n' if rsshub else ""
    (tmp_path / "config.toml").write_text(CONFIG + extra, encoding="utf-8")
    return tmp_path / "config.toml"


def summary(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("polled ")]
    assert len(lines) == 1, proc.stdout
    return lines[0]


def test_one_summary_line_per_poll_counts_outcomes_by_reason(
    tmp_path: Path, origin: Origin
) -> None:
    origin.static("/ok.xml", sample_bytes("wire-en.xml"), etag='"v1"')
    origin.status("/gone.xml", 404)
    origin.static(
        "/page.html", b"<!DOCTYPE html><html><body>x</body></html>", content_type="text/html"
    )
    dead = f"http://127.0.0.1:{closed_port()}/feed.xml"
    subs = [
        Subscription(url=origin.url("/ok.xml"), title="OK"),
        Subscription(url=origin.url("/gone.xml"), title="Gone"),
        Subscription(url=origin.url("/page.html"), title="Page"),
        Subscription(url=dead, title="Dead"),
    ]
    config = setup(tmp_path, subs)
    first = summary(run_cli(config, "poll", "--all"))
    assert re.match(r"polled 4 feeds: 1 ok, 0 not modified, 3 failed \(", first), first
    for part in ("HTTP 404 1", "connection failed 1", "not a feed 1"):
        assert part in first, first
    assert re.search(r"; \d+ new items, \d+ clustered", first)
    second = summary(run_cli(config, "poll", "--all"))
    assert second.startswith("polled 4 feeds: 0 ok, 1 not modified, 3 failed"), second


def test_feeds_check_names_each_failing_feed_and_its_fix(tmp_path: Path, origin: Origin) -> None:
    origin.static("/ok.xml", render_sample(sample_bytes("wire-en.xml"), datetime.now(UTC)))
    origin.status("/gone.xml", 404)
    no_rsshub = f"http://127.0.0.1:{closed_port()}"
    subs = [
        Subscription(url=origin.url("/ok.xml"), title="Working Wire"),
        Subscription(url=origin.url("/gone.xml"), title="Moved Outlet"),
        Subscription(url="https://x/guancha/headline", title="观察者网", bridge="rsshub",
                     bridge_route="/guancha/headline"),
    ]  # fmt: skip
    proc = run_cli(setup(tmp_path, subs, rsshub=no_rsshub), "feeds", "check")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "FAIL Working Wire" not in out
    blocks = {b.split("\n", 1)[0]: b for b in out.split("FAIL ")[1:]}
    assert set(blocks) == {"Moved Outlet", "观察者网"}
    assert "HTTP 404" in blocks["Moved Outlet"] and "feeds add" in blocks["Moved Outlet"]
    rsshub = blocks["观察者网"]
    assert f"no RSSHub answers at {no_rsshub}" in rsshub
    assert "docker run" in rsshub and "[bridges] rsshub" in rsshub
    assert "1 of 3 feeds ok, 2 failing" in out
    # Nothing was stored by the check: no fetch rows, no errors, no back-off.
    import sqlite3

    db = sqlite3.connect(tmp_path / "db" / "aggregator.db")
    assert db.execute("SELECT COUNT(*) FROM fetches").fetchone()[0] == 0
    assert db.execute("SELECT MAX(error_count) FROM feeds").fetchone()[0] == 0


def test_public_rsshub_advice_says_how_to_run_one() -> None:
    fix = advice(
        "https://rsshub.app/apnews/topics/ap-top-news",
        "HTTP 403",
        bridged="rsshub",
        rsshub_base=f"https://{PUBLIC_RSSHUB_HOST}",
    )
    assert "refuses feed readers" in fix and "docker run" in fix and "[bridges] rsshub" in fix
    assert failure_reason("refused: cannot resolve rsshub.app: [Errno -3]") == "cannot resolve host"


def test_empty_page_says_what_is_wrong(tmp_path: Path) -> None:
    no_rsshub = f"http://127.0.0.1:{closed_port()}"
    subs = [
        Subscription(url=f"http://127.0.0.1:{closed_port()}/a.xml", title="A <b>"),
        Subscription(url="https://x/zaker/focusread", title="ZAKER", bridge="rsshub",
                     bridge_route="/zaker/focusread"),
    ]  # fmt: skip
    config = setup(tmp_path, subs, rsshub=no_rsshub)
    summary(run_cli(config, "poll", "--all"))
    page = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    assert "Why the page is empty" in page
    assert "Nothing has arrived: 2 of 2 feeds fail (connection failed 2)" in page
    assert "ZAKER" in page and "need an RSSHub" in page and "docker run" in page
    assert "aggregator feeds check" in page


def test_notice_is_escaped_and_absent_without_lines() -> None:
    assert render_status_notice([]) == ""
    html = render_status_notice(['<script>alert(1)</script> "x"'])
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_page_with_events_has_no_notice(tmp_path: Path, origin: Origin) -> None:
    origin.static("/ok.xml", render_sample(sample_bytes("wire-en.xml"), datetime.now(UTC)))
    config = setup(tmp_path, [Subscription(url=origin.url("/ok.xml"), title="OK")])
    summary(run_cli(config, "poll", "--all"))
    page = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    assert "Why the page is empty" not in page and "No events yet" not in page
