"""Store: derived tables kept as files in the state folder, next to the SQLite store (I/O: disk).

For data that is expensive to build, the same for every process, and large enough that a
table in SQLite would cost more to read than to rebuild: the CC-CEDICT headwords and their raw
senses (118k; parsed in ~0.25 s CPU, read back from here, packed, in ~0.02 s). Each file holds
``(key, value)`` in :mod:`marshal` format (plain data only: no code runs when it is read,
unlike pickle); a file whose key differs, or that does not read back, is rebuilt and replaced
atomically. A folder we cannot write only costs the rebuild (logged once per process).
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


def read(path: Path, key: str, kind: type[T]) -> T | None:
    """The value stored at ``path`` under ``key`` when it is a ``kind``, else None."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        got = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        log.warning("cache file %s unreadable: rebuilding it", path)
        return None
    if not (isinstance(got, tuple) and len(got) == 2 and got[0] == key):
        return None
    value = got[1]
    return value if isinstance(value, kind) else None


def write(path: Path, key: str, value: Any) -> bool:
    """Store ``value`` under ``key`` (replacing the file atomically); False when we cannot."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(marshal.dumps((key, value)))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except (OSError, ValueError) as e:  # ValueError: a value marshal cannot hold
        log.warning("cache file %s not written (%s): rebuilt by every process", path, e)
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
