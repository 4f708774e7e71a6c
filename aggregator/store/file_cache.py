"""Store: derived tables kept as files in the state folder, next to the SQLite store (I/O: disk).

For data that is expensive to build, the same for every process, and large enough that a
table in SQLite would cost more to read than to rebuild: the CC-CEDICT headwords and their raw
senses (118k; parsed in ~0.25 s CPU, read back from here, packed, in ~0.02 s). Each file holds
``(key, value)`` in :mod:`marshal` format (plain data only: no code runs when it is read,
unlike pickle); a file whose key differs, or that does not read back, is rebuilt and replaced
atomically. A folder we cannot write only costs the rebuild (logged once per process).

A table that depends on nothing of the store (the glossary) is also kept in a folder shared by
every store of the user (:func:`shared_dir`: ``$AGGREGATOR_CACHE_DIR``, else
``$XDG_CACHE_HOME/aggregator``, else ``~/.cache/aggregator``), so that a new store reads it
instead of building it; the store's own copy is written from it.
"""

from __future__ import annotations

import logging
import marshal
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Folder for the cache files, inside the folder that holds the store.
CACHE_DIR_NAME = "cache"


def cache_path(store_path: Path, name: str) -> Path:
    """Where the cache file ``name`` of the store at ``store_path`` lives."""
    return store_path.parent / CACHE_DIR_NAME / name


#: Environment variable naming the shared cache folder ("" for none: every new store builds).
SHARED_DIR_ENV = "AGGREGATOR_CACHE_DIR"


def shared_dir() -> Path | None:
    """The user's cache folder shared by all stores (see the module docstring), None when
    ``$AGGREGATOR_CACHE_DIR`` is empty or no home folder is known. Not created here."""
    named = os.environ.get(SHARED_DIR_ENV)
    if named is not None:
        return Path(named).expanduser() if named else None
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "aggregator"
    try:
        return Path.home() / ".cache" / "aggregator"
    except RuntimeError:  # no home folder known
        return None


def read(path: Path, key: str, kind: type[T]) -> T | None:
    """The value stored at ``path`` under ``key`` when it is a ``kind``, else None. Read from
    the file object, so its bytes are never all held beside the value (the glossary: 6.7 MB
    more at the peak of its load)."""
    try:
        with path.open("rb") as f:
            got = marshal.load(f)
    except OSError:
        return None
    except (EOFError, ValueError, TypeError):
        log.warning("cache file %s unreadable: rebuilding it", path)
        return None
    return _value(got, key, kind)


def read_with_bytes(path: Path, key: str, kind: type[T]) -> tuple[T, bytes] | None:
    """:func:`read`, with the file's bytes (to copy the file elsewhere without re-encoding)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        got = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        log.warning("cache file %s unreadable: rebuilding it", path)
        return None
    value = _value(got, key, kind)
    return None if value is None else (value, data)


def _value(got: object, key: str, kind: type[T]) -> T | None:
    """The value of a file's ``(key, value)`` when the key is ``key`` and it is a ``kind``."""
    if not (isinstance(got, tuple) and len(got) == 2 and got[0] == key):
        return None
    value = got[1]
    return value if isinstance(value, kind) else None


def write(path: Path, key: str, value: Any, *, quiet: bool = False) -> bool:
    """Store ``value`` under ``key`` (replacing the file atomically); False when we cannot
    (logged as a warning, or at debug level when ``quiet``)."""
    try:
        data = marshal.dumps((key, value))
    except ValueError as e:  # a value marshal cannot hold
        log.warning("cache file %s not written (%s): rebuilt by every process", path, e)
        return False
    return write_bytes(path, data, quiet=quiet)


def write_bytes(path: Path, data: bytes, *, quiet: bool = False) -> bool:
    """Replace the file at ``path`` by ``data`` atomically (a file :func:`write` made, or its
    copy read by :func:`read_with_bytes`); False when we cannot."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as e:
        (log.debug if quiet else log.warning)(
            "cache file %s not written (%s): rebuilt by every process", path, e
        )
        return False
    return True


def load_or_build(path: Path, key: str, kind: type[T], build: Callable[[], T]) -> T:
    """The value at ``path`` under ``key``; else ``build()``, kept there for the next process."""
    got = read(path, key, kind)
    if got is not None:
        return got
    value = build()
    write(path, key, value)
    return value
