"""Feed credentials (issue 15, item 3): ``http://user:pass@host/feed`` is fetched with Basic
auth from a local origin that requires it, and the password is in no log line, no command's
output, no published file and no byte of the database (what Datasette can read); it lives in
``<db>.credentials`` (mode 0600) only. Through the CLI as a child process, with ``-v`` so
that every DEBUG line is scanned too."""

from __future__ import annotations

import base64
import sqlite3
import stat
from pathlib import Path

from conftest import run_cli
from origin import Origin, Request, Response

from aggregator.config import Config
from aggregator.store.core import Store
from aggregator.store.credentials import credentials_path, split_credentials

USER = "reader"
PASSWORD = "S3cr3t-Pa55-71q"  # distinctive: any occurrence anywhere is a leak
FEED = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Members</title>'
    b"<link>http://example.org/</link><item><guid>m1</guid><link>http://example.org/m1</link>"
    b"<title>Members-only story</title><description>text</description></item>"
    b"</channel></rss>"
)


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        '[feeds]\nopml = "feeds.opml"\n[store]\npath = "db/aggregator.db"\n'
        '[publish]\ndir = "public"\n[cluster]\nbackend = "none"\n'
        "[fetch]\nallow_private_networks = true\nper_host_min_gap_s = 0.0\n",
        encoding="utf-8",
    )
    return path


def basic_auth_origin(origin: Origin) -> None:
    want = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    def handler(req: Request, _o: Origin) -> Response:
        if req.headers.get("authorization") != want:
            return Response(401, {"WWW-Authenticate": 'Basic realm="feeds"'}, b"no")
        return Response(200, {"Content-Type": "application/rss+xml"}, FEED)

    origin.route("/members.xml", handler)


def leaks_in_files(root: Path, skip: set[Path]) -> list[str]:
    """Files under ``root`` (outputs, database, WAL, OPML, logs) that hold the password."""
    found = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and p not in skip and PASSWORD.encode() in p.read_bytes():
            found.append(str(p.relative_to(root)))
    return found


def test_net_06_credentials_never_logged_stored_or_published(
    tmp_path: Path, origin: Origin
) -> None:
    basic_auth_origin(origin)
    url = origin.url("/members.xml").replace("http://", f"http://{USER}:{PASSWORD}@")
    config = write_config(tmp_path)
    outputs = [
        run_cli(config, "-v", "feeds", "add", url),
        run_cli(config, "-v", "poll", "--all"),
        run_cli(config, "-v", "feeds", "list"),
        run_cli(config, "-v", "feeds", "list", "--json"),
        run_cli(config, "-v", "feeds", "export"),
        run_cli(config, "-v", "events", "--json"),
        run_cli(config, "-v", "poll", url),  # a URL given on the command line
    ]
    for out in outputs:
        assert out.returncode == 0, out.stderr
        assert PASSWORD not in out.stdout + out.stderr, out.args
    # fetched with Basic auth: the item is stored, the feed has no error
    db = tmp_path / "db" / "aggregator.db"
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT url, subscribed_url, last_error FROM feeds").fetchall()
        titles = [r[0] for r in conn.execute("SELECT title FROM items")]
        dump = "\n".join(conn.iterdump())
    assert rows == [(origin.url("/members.xml"),) * 2 + (None,)]
    assert titles == ["Members-only story"]
    assert PASSWORD not in dump and USER + ":" not in dump
    creds = credentials_path(db)
    assert leaks_in_files(tmp_path, {creds}) == []
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    assert PASSWORD in creds.read_text(encoding="utf-8")
    assert any(r.headers.get("authorization") for r in origin.requests("/members.xml"))
    # removing the feed forgets its credentials
    assert run_cli(config, "feeds", "remove", url).returncode == 0
    assert PASSWORD not in creds.read_text(encoding="utf-8")


def test_credentials_in_an_old_store_move_out_of_the_database(cfg: Config) -> None:
    """A store written before (credentials inside ``feeds.url``) is cleaned when opened;
    the credentials are kept for their origin only."""
    url = f"http://{USER}:{PASSWORD}@feeds.example.org:8080/f.xml"
    Store.open(cfg.store_path, cfg.store).close()
    with sqlite3.connect(cfg.store_path) as conn:
        conn.execute(
            "INSERT INTO feeds (url, subscribed_url, added_at) VALUES (?, ?, '2026-01-01')",
            (url, url),
        )
    store = Store.open(cfg.store_path, cfg.store)
    try:
        (row,) = store.feeds()
        assert row["url"] == row["subscribed_url"] == "http://feeds.example.org:8080/f.xml"
        feed = store.feed(row["id"])
        assert feed.credentials is not None
        assert (feed.credentials.username, feed.credentials.password) == (USER, PASSWORD)
        assert PASSWORD not in repr(feed) + repr(feed.credentials)
        # a moved URL on another origin gets none
        store.db["feeds"].update(row["id"], {"url": "http://elsewhere.example.org/f.xml"})
        assert store.feed(row["id"]).credentials is None
    finally:
        store.close()
    with sqlite3.connect(cfg.store_path) as conn:
        assert PASSWORD not in "\n".join(conn.iterdump())


def test_split_credentials() -> None:
    assert split_credentials("http://h.example/f") == ("http://h.example/f", None)
    clean, c = split_credentials("https://u%40x:p%3Aw@h.example/f?q=1")
    assert clean == "https://h.example/f?q=1"
    assert c is not None and (c.username, c.password, c.origin) == (
        "u@x", "p:w", "https://h.example:443")  # fmt: skip
