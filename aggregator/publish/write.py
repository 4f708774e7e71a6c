"""Publish stage, output: rendered files → the output folder, each replaced atomically (disk I/O).

Readers (the HTTP server, a web server, a sync tool) see either the old or the new file, never a
half-written one: write a temp file in the same folder, fsync it, ``os.replace`` it over the old
one, then fsync the folder so the rename survives a crash.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

#: Permissions of published files: world-readable, they are public by design.
OUTPUT_FILE_MODE = 0o644


def _check_name(name: str) -> None:
    if not name or name in {".", ".."} or "/" in name or "\\" in name or "\x00" in name:
        raise ValueError(f"output name must be a plain file name: {name!r}")


def write_outputs(out_dir: Path, files: Mapping[str, bytes]) -> None:
    """Write every ``name → bytes`` into ``out_dir`` (created if missing), one atomic
    replace per file."""
    for name in files:
        _check_name(name)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, OUTPUT_FILE_MODE)
            os.replace(tmp, out_dir / name)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
    _fsync_dir(out_dir)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # not supported on this platform / file system
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
