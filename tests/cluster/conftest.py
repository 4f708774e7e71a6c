"""Fixtures shared by the cluster stage's tests (the glossary cache in a store's folder)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aggregator.cluster import cedict
from aggregator.pipeline import model_caches
from aggregator.store import file_cache


@pytest.fixture
def glossary_cache_file(tmp_path: Path) -> Iterator[Path]:
    """A store path whose cache folder the glossary goes through (yields the glossary cache
    file's path); the process-wide glossary state is restored afterwards."""
    store_path = tmp_path / "db" / "aggregator.db"
    model_caches.use_glossary_cache(store_path)
    cedict.glossary.cache_clear()  # as in a new process
    yield file_cache.cache_path(store_path, model_caches.GLOSSARY_CACHE_FILE)
    model_caches._glossary_cache = None
    cedict.use_cache(None)
    cedict.glossary.cache_clear()
