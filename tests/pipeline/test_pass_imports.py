"""What a ``poll --all`` process imports (issue 16): a pass in which every feed answers 304
loads no MinHash (numpy, rensa), no sqlite-utils, no feedparser, not httpx's command-line
tool (rich, click, pygments) and not the normalize stack (nh3, w3lib, language detection:
imported where a changed feed is stored); a pass with new items still builds its items and
does its near-duplicate work. Real CLI process, real store, real HTTP origin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from origin import Origin

from aggregator.opml import Subscription, write_opml

#: rich, click, pygments: httpx's command-line tool, which httpx imports when they are there.
#: The rest: what only a changed feed's entries need (pipeline.refresh imports them there).
HEAVY = ("numpy", "rensa", "sqlite_utils", "feedparser", "rich", "click", "pygments",
         "nh3", "w3lib", "aggregator.normalize.item", "aggregator.normalize.langid",
         "aggregator.normalize.idpolicy", "aggregator.dedupe.exact")  # fmt: skip

#: Runs the CLI in-process, then prints which of HEAVY it imported.
PROBE = (
    "import json, sys\n"
    "from aggregator.cli import main\n"
    "rc = main(sys.argv[1:])\n"
    f"print(json.dumps([rc, sorted(m for m in {HEAVY!r} if m in sys.modules)]))\n"
)


def _poll(config: Path) -> tuple[int, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, "--config", str(config), "poll", "--all"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.stdout.strip(), proc.stderr[-2000:]
    rc, loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    return int(rc), list(loaded)


def test_304_pass_imports_no_minhash_sqlite_utils_nor_feedparser(tmp_path: Path) -> None:
    items = "".join(
        f"<item><guid>g{i}</guid><link>http://example.org/{i}</link><title>Story {i} of the"
        f" day</title><description>Body {i}: what happened and where.</description></item>"
        for i in range(3))
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}' \
           "</channel></rss>"
    with Origin() as origin:
        origin.static("/f.xml", body.encode(), etag='"v1"')
        (tmp_path / "feeds.opml").write_bytes(
            write_opml([Subscription(url=origin.url("/f.xml"), title="F")]))
        config = tmp_path / "config.toml"
        config.write_text(
            '[feeds]\nopml = "feeds.opml"\n[store]\npath = "db/t.db"\n[publish]\ndir = "pub"\n'
            "[fetch]\nallow_private_networks = true\nper_host_min_gap_s = 0.0\n"
            '[dedupe]\nenabled = true\nnear_duplicates = true\n[cluster]\nbackend = "none"\n',
            encoding="utf-8")
        rc, first = _poll(config)
        assert rc == 0
        assert {"numpy", "rensa"} <= set(first)  # new items: near-duplicate sketches made
        assert {"nh3", "aggregator.normalize.item", "aggregator.dedupe.exact"} <= set(first)
        rc, second = _poll(config)
        assert rc == 0
        assert origin.requests("/f.xml")[-1].headers.get("if-none-match") == '"v1"'
    assert second == []
