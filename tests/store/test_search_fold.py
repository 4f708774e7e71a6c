"""Search folds Simplified and Traditional Chinese: `search 美国` finds 美國 and the reverse,
in the CLI (short terms via LIKE, long ones via the trigram index) and in the SQL functions
that Datasette's canned search uses."""

from __future__ import annotations

import sqlite3
import sys
from datetime import datetime
from pathlib import Path

from conftest import make_config, run_cli
from origin import Origin

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "publish"))
from readerworld import REPORTS, build_world

from aggregator.store.core import Store
from aggregator.store.search_fold import register_functions, script_variants

SIMPLIFIED = "美国与中亚五国领导人会晤 寻求稀土供应"
TRADITIONAL = "美國與中亞峰會聚焦稀土供應"


def test_variants_cover_both_scripts_and_regions() -> None:
    assert {"美国", "美國"} <= set(script_variants("美国"))
    assert {"美国", "美國"} <= set(script_variants("美國"))
    assert "台湾" in script_variants("台灣") and "台灣" in script_variants("台湾")
    assert script_variants("rare earth") == ("rare earth",)


def test_cli_search_folds_both_ways(
    tmp_path: Path, store: Store, origin: Origin, now: datetime
) -> None:
    cfg = make_config(tmp_path)
    build_world(cfg, store, origin, now, REPORTS)
    store.commit_group()
    (tmp_path / "config.toml").write_text('[store]\npath = "db/test.db"\n', encoding="utf-8")
    for q in ("美国", "美國", "美國與中亞", "美国与中亚"):
        proc = run_cli(tmp_path / "config.toml", "search", q, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert SIMPLIFIED in proc.stdout and TRADITIONAL in proc.stdout, (q, proc.stdout)
    # a term from only one story still finds only it
    proc = run_cli(tmp_path / "config.toml", "search", "聯儲", timeout=60)
    assert "美聯儲維持利率不變" in proc.stdout and SIMPLIFIED not in proc.stdout


def test_sql_functions_for_datasette(
    tmp_path: Path, store: Store, origin: Origin, now: datetime
) -> None:
    cfg = make_config(tmp_path)
    build_world(cfg, store, origin, now, REPORTS)
    store.commit_group()
    conn = sqlite3.connect(f"file:{cfg.store_path}?mode=ro", uri=True)
    register_functions(conn)
    long_hits = {
        r[0]
        for r in conn.execute(
            "SELECT title FROM items WHERE id IN (SELECT rowid FROM items_fts"
            " WHERE items_fts MATCH zh_fts(?))",
            ("美國與中亞",),
        )
    }
    assert long_hits == {SIMPLIFIED, TRADITIONAL}
    short = conn.execute(
        "SELECT count(*) FROM items WHERE title LIKE '%' || zh_variant(?, 0) || '%'"
        " OR title LIKE '%' || zh_variant(?, 1) || '%'",
        ("美国", "美国"),
    ).fetchone()[0]
    assert short == 2
    conn.close()
