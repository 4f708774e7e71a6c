"""Browse stage: open the live store in Datasette, read-only (I/O: files, a child process).

config → a ``datasette serve`` command line (:func:`datasette_args`) → exec (:func:`run_datasette`).

How Datasette 0.65 opens a database it is given as a plain file (``datasette/database.py``):
every read connection is ``file:…?mode=ro`` (``&nolock=1`` only with ``--nolock``), and a write
connection exists only for write canned queries or plugins, which we never configure. A
``mode=ro`` connection on a WAL database still needs the ``-wal`` and ``-shm`` files: when the
daemon is stopped, SQLite has deleted them, and the first reader creates them (measured here,
SQLite 3.40). So the reader needs write access to the DB *folder*, and whatever it creates must
stay usable by the daemon. The one supported layout (db/README.md, catalogue DB-06 and design
finding 8): Datasette runs as the same Unix user as the daemon. We refuse the two unsafe
shortcuts: ``--nolock`` (reads without locks: torn pages while the daemon checkpoints) and
``-i``/``--immutable`` (Datasette then trusts the file never changes: stale counts, cached
pages and the WAL ignored). Each query is cut off after :data:`SQL_TIME_LIMIT_MS`, which bounds
how long a reader pins the WAL (DB-03, design finding 7); the guard plugin
(``datasette_plugins/aggregator_guard.py``) makes that limit hold — no value over
:data:`MAX_VALUE_BYTES`, SQLite's heap and the process's address space capped — and answers
only requests whose ``Host`` is ours (DNS rebinding, issue 15).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from aggregator.config import Config
from aggregator.errors import BrowseError as BrowseError  # re-exported: callers import it from here

log = logging.getLogger("aggregator.serve.datasette")

#: Longest a Datasette query may run. It also bounds how long one reader holds a WAL snapshot
#: (the writer is never blocked, but checkpoints cannot pass a pinned snapshot: DB-03). The
#: search query's LIKE fallback scans at most 200,000 items; Datasette's default is 1000 ms.
SQL_TIME_LIMIT_MS = 3000
#: Rows a query or table page returns at most (Datasette default 1000); latest_events returns
#: one row per member of 50 events.
MAX_RETURNED_ROWS = 2000
#: Facet counts are a nicety: give up on them quickly on a large items table.
FACET_TIME_LIMIT_MS = 200
#: Default port of ``aggregator datasette`` (Datasette's own default; ours serves on 8080).
DEFAULT_PORT = 8001
#: Name under which db/metadata.yml describes the database; replaced by the real file stem.
TEMPLATE_DB_NAME = "aggregator"
#: Metadata inside the package (for wheel installs), then the repository copy (checkouts).
PACKAGE_METADATA = "datasette_metadata.yml"
REPO_METADATA = Path(__file__).resolve().parents[2] / "db" / "metadata.yml"
#: The plugin that caps each query's memory and checks Host (issue 15, item 4); Datasette
#: loads every ``*.py`` of this folder (``--plugins-dir``), which also holds zh_fts()/zh_variant()
#: for the canned search that folds Simplified and Traditional Chinese.
PLUGINS_DIR = Path(__file__).resolve().parent / "datasette_plugins"
GUARD_PLUGIN = "aggregator_guard"
#: Longest string or blob a query may make or read (SQLITE_LIMIT_LENGTH). Stored values stay
#: below it: sanitised HTML is capped at 512 Ki characters (≤ 1.5 MB UTF-8). With it, no
#: single function call (replace, printf, zeroblob) can run past the time limit.
MAX_VALUE_BYTES = 4 * 1024 * 1024
#: Longest LIKE/GLOB pattern (SQLITE_LIMIT_LIKE_PATTERN_LENGTH; SQLite's default is 50,000).
MAX_LIKE_PATTERN_BYTES = 1000
#: SQLite's heap in the Datasette process (PRAGMA hard_heap_limit): over it a query fails
#: with "out of memory". Page caches (2 MB per connection) and sorts fit easily.
SQLITE_HEAP_LIMIT_BYTES = 256 * 1024 * 1024
#: Address space Datasette may add after start-up (RLIMIT_AS backstop for Python objects).
ADDRESS_SPACE_HEADROOM_BYTES = 1024 * 1024 * 1024
#: Datasette options that must never be used on the live database (DB-06).
UNSAFE_OPTIONS = frozenset({"--nolock", "-i", "--immutable", "--inspect-file"})
#: Options this module sets itself; passing them again would override the safe values.
OWN_OPTIONS = frozenset(
    {"-h", "--host", "-p", "--port", "-m", "--metadata", "--uds", "--plugins-dir", "--memory"}
)
#: SQLite file header: bytes 18 and 19 are 2 for a WAL database (sqlite.org/fileformat2.html).
SQLITE_HEADER_WAL_VERSION = 2
SQLITE_HEADER_BYTES = 100


def metadata_template() -> dict[str, Any]:
    """The Datasette metadata as shipped: package data first, else the repository's
    ``db/metadata.yml``."""
    try:
        import yaml  # PyYAML comes with Datasette
    except ImportError as exc:
        raise BrowseError(
            "Datasette is not installed: pip install 'aggregator[datasette]'"
        ) from exc
    text: str | None = None
    packaged = resources.files("aggregator.serve").joinpath(PACKAGE_METADATA)
    if packaged.is_file():
        text = packaged.read_text(encoding="utf-8")
    elif REPO_METADATA.is_file():
        text = REPO_METADATA.read_text(encoding="utf-8")
    if text is None:
        raise BrowseError(
            f"Datasette metadata not found (aggregator/serve/{PACKAGE_METADATA} or {REPO_METADATA})"
        )
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or TEMPLATE_DB_NAME not in data.get("databases", {}):
        raise BrowseError(f"Datasette metadata has no databases.{TEMPLATE_DB_NAME} entry")
    return data


def render_metadata(template: dict[str, Any], db_name: str) -> dict[str, Any]:
    """The template with its database entry re-keyed to ``db_name`` (pure). Datasette names a
    database after its file stem, and ``[store] path`` may be any file."""
    out = dict(template)
    out["databases"] = {db_name: template["databases"][TEMPLATE_DB_NAME]}
    return out


def metadata_path(cfg: Config) -> Path:
    """Where the rendered metadata is written: next to the database."""
    db = cfg.store_path
    return db.with_name(db.stem + ".datasette.json")


def guard_settings(host: str) -> dict[str, Any]:
    """The guard plugin's settings (pure): the caps, and the host names we answer to."""
    return {
        "hosts": sorted({host, "localhost"}),
        "max_value_bytes": MAX_VALUE_BYTES,
        "max_like_pattern_bytes": MAX_LIKE_PATTERN_BYTES,
        "sqlite_heap_limit_bytes": SQLITE_HEAP_LIMIT_BYTES,
        "address_space_headroom_bytes": ADDRESS_SPACE_HEADROOM_BYTES,
    }


def write_metadata(cfg: Config, host: str = "127.0.0.1") -> Path:
    """Render the metadata for this database (and the guard plugin's settings for ``host``)
    and write it atomically next to it."""
    path = metadata_path(cfg)
    data = render_metadata(metadata_template(), cfg.store_path.stem)
    data["plugins"] = {**data.get("plugins", {}), GUARD_PLUGIN: guard_settings(host)}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)
    return path


def check_live_db(db: Path) -> None:
    """Refuse a layout that breaks the daemon or the reader (DB-06, PROC-04).

    The database must exist and be in WAL mode (a ``mode=ro`` reader on a rollback-journal
    database would block the writer's commits). It, its ``-wal``/``-shm`` and its folder must
    belong to the user running Datasette: a reader as another user either fails once the
    daemon stops (it cannot create ``-wal``/``-shm``) or creates them owned by itself, and
    then the daemon cannot restart (design finding 8).
    """
    if not db.is_file():
        raise BrowseError(f"no database at {db}: run `aggregator poll` (or the daemon) first")
    with db.open("rb") as f:
        header = f.read(SQLITE_HEADER_BYTES)
    if len(header) < SQLITE_HEADER_BYTES or not header.startswith(b"SQLite format 3\x00"):
        raise BrowseError(f"{db} is not an SQLite database")
    if header[18] != SQLITE_HEADER_WAL_VERSION or header[19] != SQLITE_HEADER_WAL_VERSION:
        raise BrowseError(
            f"{db} is not in WAL mode; open it once with aggregator (it sets journal_mode=WAL) "
            "so Datasette can read while the daemon writes"
        )
    uid = os.geteuid()
    for p in (db.parent, db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        try:
            owner = p.stat().st_uid
        except FileNotFoundError:
            continue
        if owner != uid:
            raise BrowseError(
                f"{p} belongs to uid {owner}, but Datasette would run as uid {uid}: run it as "
                "the daemon's user (see db/README.md, 'Supported layout')"
            )
    if not os.access(db.parent, os.W_OK | os.X_OK):
        raise BrowseError(
            f"{db.parent} is not writable: a read-only SQLite reader of a WAL database must be "
            "able to create the -wal and -shm files when the daemon is stopped"
        )


def datasette_args(
    cfg: Config,
    *,
    port: int = DEFAULT_PORT,
    host: str = "127.0.0.1",
    extra: tuple[str, ...] | list[str] = (),
) -> list[str]:
    """The ``datasette serve`` command (argv, ``sys.executable`` first) for the live store.

    Writes the rendered metadata next to the database. ``extra`` is passed through after
    our options; the unsafe ones (:data:`UNSAFE_OPTIONS`) and our own are refused.
    """
    for a in extra:
        opt = a.split("=", 1)[0]
        if opt in UNSAFE_OPTIONS:
            raise BrowseError(
                f"{opt} is refused on the live database (DB-06): Datasette opens it read-only "
                "with locking; for a frozen copy use `aggregator backup` and open that file"
            )
        if opt in OWN_OPTIONS:
            raise BrowseError(f"{opt} is set by aggregator; use its own option instead")
    if not _is_loopback(host):
        log.warning("datasette_host=%s is not loopback: the store is exposed (OUT-06)", host)
    db = cfg.store_path
    meta = write_metadata(cfg, host)
    return [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        str(db),
        "--host",
        host,
        "--port",
        str(port),
        "--metadata",
        str(meta),
        "--plugins-dir",
        str(PLUGINS_DIR),
        "--setting",
        "sql_time_limit_ms",
        str(SQL_TIME_LIMIT_MS),
        "--setting",
        "max_returned_rows",
        str(MAX_RETURNED_ROWS),
        "--setting",
        "facet_time_limit_ms",
        str(FACET_TIME_LIMIT_MS),
        # A raw copy of a live WAL database can miss recent commits (DB-07); Datasette already
        # refuses downloads of mutable files, this keeps it so if that ever changes.
        "--setting",
        "allow_download",
        "off",
        *extra,
    ]


def run_datasette(
    cfg: Config,
    *,
    port: int = DEFAULT_PORT,
    host: str = "127.0.0.1",
    extra: tuple[str, ...] | list[str] = (),
) -> int:
    """Check the layout, then replace this process with Datasette (signals reach it directly
    under systemd). Returns only on error: 2 with a message on stderr."""
    try:
        import datasette  # noqa: F401
    except ImportError:
        print("Datasette is not installed: pip install 'aggregator[datasette]'", file=sys.stderr)
        return 2
    try:
        check_live_db(cfg.store_path)
        args = datasette_args(cfg, port=port, host=host, extra=extra)
    except BrowseError as exc:
        print(f"aggregator datasette: {exc}", file=sys.stderr)
        return 2
    log.info("datasette db=%s url=http://%s:%d/", cfg.store_path, host, port)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(args[0], args)
    return 0  # pragma: no cover - execv does not return


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
