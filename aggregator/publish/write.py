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


#: The one sub-folder outputs may go in (``topics/<slug>.atom``).
SUBFOLDERS = ("topics",)


def _check_name(name: str) -> None:
    parts = name.split("/")
    if len(parts) == 2 and parts[0] in SUBFOLDERS:
        parts = parts[1:]
    plain = parts[0] if len(parts) == 1 else ""
    if not plain or plain in {".", ".."} or "\\" in plain or "\x00" in plain:
        raise ValueError(f"output name must be a plain file name: {name!r}")


def write_outputs(out_dir: Path, files: Mapping[str, bytes]) -> None:
    """Write every ``name → bytes`` into ``out_dir`` (created if missing), one atomic
    replace per file."""
    for name in files:
        _check_name(name)
    out_dir.mkdir(parents=True, exist_ok=True)
    folders = {out_dir}
    for name, data in files.items():
        folder = (out_dir / name).parent
        if folder not in folders:
            folder.mkdir(exist_ok=True)
            folders.add(folder)
        base = name.rsplit("/", 1)[-1]
        fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=folder)
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
    for folder in folders:
        _fsync_dir(folder)


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
