"""Topics across languages on a labelled fixture: an event is in a topic when any member's
title or lead matches a keyword after Simplified/Traditional and case folding. Precision and
recall must both be 1.0; topic feeds reuse the events' entry ids and are served."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

from conftest import run_cli, serve_outputs
from origin import Origin
from readerworld import Report, build_world

from aggregator.config import from_dict
from aggregator.pipeline.publish_pass import publish_outputs
from aggregator.store import reader
from aggregator.store.core import Store

H = timedelta(hours=1)
#: story label → in the rare-earths topic? (labelled by what the story is about)
LABELS = {
    "rare": True,  # English "rare earth" and Chinese 稀土
    "minerals": True,  # only a Traditional member says 關鍵礦產; the English one brings nothing
    "magnets": True,  # "Rare Earth" capitalised, plural in the lead
    "comet": False,  # "rarely" and "Earth" apart
    "quake": False,
    "toy": False,  # mentions rare earth, but in the excluded phrase
}
REPORTS = [
    Report("rare", "/ap-top.xml", "US courts Central Asia for rare earth supplies",
           "Washington wants supplies beyond China.", 9 * H),
    Report("rare", "/chinanews.xml", "美国寻求中国以外的稀土供应", "美方与中亚五国会晤。", 8 * H),
    Report("minerals", "/bbc.xml", "Kazakhstan signs mining deal with Washington",
           "The agreement covers lithium and tungsten deposits.", 7 * H),
    Report("minerals", "/zaobao.xml", "哈薩克與美國簽署礦業協議",
           "協議涵蓋鋰和鎢等關鍵礦產。", 6 * H),
    Report("magnets", "/ap-politics.xml", "Magnet makers scramble for supply",
           "Prices of Rare Earths used in magnets doubled this year.", 5 * H),
    Report("comet", "/bbc.xml", "Rarely seen comet passes close to Earth",
           "Astronomers said the comet will not return for 400 years.", 4 * H),
    Report("quake", "/chinanews.xml", "日本青森外海发生6.8级地震", "气象厅发布海啸警报。", 3 * H),
    Report("toy", "/ap-top.xml", "Recall of rare earth magnet toy sets",
           "Regulators recalled a rare earth magnet toy over swallowing risks.", 2 * H),
]
TOPIC = {
    "slug": "rare-earths",
    "title": "稀土 · Rare earths",
    "keywords": ["rare earth", "稀土", "critical minerals", "关键矿产"],
    "exclude": ["magnet toy"],
}


def test_topic_feed_has_exactly_the_labelled_events(
    tmp_path: Path, store: Store, origin: Origin, now: datetime
) -> None:
    cfg = from_dict(
        {
            "store": {"path": "db/test.db"},
            "fetch": {"allow_private_networks": True, "per_host_min_gap_s": 0.0},
            "cluster": {"backend": "none"},
            "topics": [TOPIC],
        },
        base_dir=tmp_path,
    )
    events = build_world(cfg, store, origin, now, REPORTS)
    publish_outputs(cfg, store, now)
    feed = json.loads((cfg.publish_dir / "topics" / "rare-earths.json").read_text("utf-8"))
    got = {it["_aggregator"]["event_id"] for it in feed["items"]}
    want = {events[s] for s, inside in LABELS.items() if inside}
    tp = len(got & want)
    precision, recall = tp / len(got), tp / len(want)
    assert (precision, recall) == (1.0, 1.0), (got, want)
    # same entry ids as events.*, in every format
    all_ids = {
        it["_aggregator"]["event_id"]: it["id"]
        for it in json.loads((cfg.publish_dir / "events.json").read_text("utf-8"))["items"]
    }
    assert {it["id"] for it in feed["items"]} == {all_ids[e] for e in want}
    for ext in ("atom", "rss"):
        body = (cfg.publish_dir / "topics" / f"rare-earths.{ext}").read_text("utf-8")
        assert all(all_ids[e] in body for e in want)
        assert not any(all_ids[events[s]] in body for s, inside in LABELS.items() if not inside)
    # stored for Datasette, with the member and keyword that matched
    assert set(reader.topic_event_ids(store, "rare-earths")) == want
    kw = store.rows(
        "SELECT keyword FROM topic_matches WHERE event_id = ?", (events["minerals"],)
    )[0]["keyword"]
    assert kw == "关键矿产"
    # a section on index.html, linking the feeds
    page = (cfg.publish_dir / "index.html").read_text("utf-8")
    assert 'id="topic-rare-earths"' in page and 'href="topics/rare-earths.atom"' in page
    # served over HTTP with the rest
    with serve_outputs(cfg) as port:
        for path in ("/topics/rare-earths.atom", "/digest.json"):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
                assert r.status == 200 and r.read()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/topics/../db/test.db",
                                   timeout=10)  # fmt: skip
            raise AssertionError("path outside the routes served")
        except urllib.error.HTTPError as exc:
            assert exc.code in (400, 404)


def test_cli_topics_lists_counts(
    tmp_path: Path, store: Store, origin: Origin, now: datetime
) -> None:
    cfg = from_dict(
        {"fetch": {"allow_private_networks": True, "per_host_min_gap_s": 0.0},
         "store": {"path": "db/test.db"}, "cluster": {"backend": "none"}, "topics": [TOPIC]},
        base_dir=tmp_path,
    )  # fmt: skip
    build_world(cfg, store, origin, now, REPORTS)
    publish_outputs(cfg, store, now)
    store.commit_group()
    (tmp_path / "config.toml").write_text(
        '[store]\npath = "db/test.db"\n[[topics]]\nslug = "rare-earths"\n'
        'title = "稀土 · Rare earths"\nkeywords = ["rare earth", "稀土"]\n'
        '[[topics]]\nslug = "chips"\ntitle = "Chips"\nkeywords = ["semiconductor"]\n',
        encoding="utf-8",
    )
    proc = run_cli(tmp_path / "config.toml", "topics", timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert any(ln.startswith("rare-earths") and "\t3\t" in ln for ln in lines), proc.stdout
    assert any(ln.startswith("chips") and "\t0\t" in ln for ln in lines), proc.stdout


def test_topic_config_errors_name_the_key(tmp_path: Path) -> None:
    import pytest

    from aggregator.config import ConfigError, load_config, to_toml

    cases = {
        '[[topics]]\nslug = "Rare Earths"\nkeywords = ["x"]\n': "topics[0].slug",
        '[[topics]]\nslug = "a"\nkeywords = []\n': "topics[0].keywords",
        '[[topics]]\nslug = "a"\nkeywords = ["x"]\ncolour = "red"\n': "topics[0].colour",
        '[[topics]]\nslug = "a"\nkeywords = ["x"]\n[[topics]]\nslug = "a"\nkeywords = ["y"]\n':
            "topics[1].slug",
        'topics = "rare"\n': "topics",
        '[translate]\nbackend = "google"\n': "translate.backend",
        '[publish]\ndigest_timezone = "Mars/Base"\n': "publish.digest_timezone",
    }  # fmt: skip
    for text, key in cases.items():
        p = tmp_path / "c.toml"
        p.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as exc:
            load_config(p)
        assert str(exc.value).startswith(key), (text, str(exc.value))
    p = tmp_path / "ok.toml"
    p.write_text('[[topics]]\nslug = "chips"\ntitle = "芯片"\nkeywords = ["chip", "芯片"]\n',
                 encoding="utf-8")  # fmt: skip
    cfg = load_config(p)
    assert cfg.topics[0].keywords == ("chip", "芯片") and cfg.topics[0].exclude == ()
    p.write_text(to_toml(cfg, with_help=False), encoding="utf-8")
    assert load_config(p).topics == cfg.topics  # check-config output reads back
