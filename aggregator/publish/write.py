"""Publish stage, output: rendered files → the output folder, each replaced atomically (disk I/O).

Readers (the HTTP server, a web server, a sync tool) see either the old or the new file, never a
half-written one: write a temp file in the same folder, fsync it, ``os.replace`` it over the old
one, then fsync the folder so the rename survives a crash. Every file of a publish is written
and synced before the first one is put in place (:class:`StagedOutputs`), so a write that
fails midway (a full disk) leaves the old set, not a mix.
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
    with StagedOutputs(out_dir) as staged:
        for name, data in files.items():
            staged.add(name, data)


class StagedOutputs:
    """Outputs written one at a time to temp files beside their targets, then all put in
    place by :meth:`commit` (one ``os.replace`` per file, as :func:`write_outputs` does).
    The caller can drop each file's bytes once added, so a publish holds one rendered file
    at a time instead of all of them (issue 15 item 8). Leaving the block with an
    exception (or without :meth:`commit`) removes the temp files and replaces nothing."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self._staged: list[tuple[str, str]] = []  # (temp path, name)
        self._folders: set[Path] = set()
        #: Every name added, in order.
        self.names: list[str] = []

    def __enter__(self) -> StagedOutputs:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None and self._staged:
            self.commit()
        self._discard()

    def add(self, name: str, data: bytes) -> None:
        """Write ``data`` to a synced temp file that :meth:`commit` renames to ``name``."""
        _check_name(name)
        folder = (self.out_dir / name).parent
        if folder not in self._folders:
            folder.mkdir(parents=True, exist_ok=True)
            self._folders.add(folder)
        base = name.rsplit("/", 1)[-1]
        fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=folder)
        self._staged.append((tmp, name))
        self.names.append(name)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, OUTPUT_FILE_MODE)

    def commit(self) -> None:
        """Replace every target with its temp file, in the order added; sync the folders."""
        staged, self._staged = self._staged, []
        try:
            while staged:
                tmp, name = staged[0]
                os.replace(tmp, self.out_dir / name)
                staged.pop(0)
        finally:
            self._staged = staged  # any not replaced are removed by __exit__
        for folder in self._folders:
            _fsync_dir(folder)

    def _discard(self) -> None:
        for tmp, _ in self._staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        self._staged = []


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
