"""Dedupe stage: which MinHash the stored near-duplicate band keys come from (pure).

Kept apart from :mod:`aggregator.dedupe.textsim` (numpy, rensa) so that opening a pipeline
can check the store's band keys without importing either: a ``poll`` pass in which every
feed answers 304 never computes a sketch (issue 16, ``python -X importtime``).
"""

from __future__ import annotations

#: MinHash permutations. 96 = 24 bands × 4 rows (see neardup.LSH_BANDS); the Jaccard
#: estimate's standard error at J=0.6 is sqrt(0.24/96) ≈ 0.05.
NUM_PERM = 96
#: rensa's seed for :func:`aggregator.dedupe.textsim.sketch`.
SKETCH_SEED = 20261122
#: The MinHash that :func:`aggregator.dedupe.textsim.sketch` computes, recorded with the
#: stored band keys (``store_settings``): band keys from another sketch cannot meet these, so
#: a store whose keys came from another one is re-indexed at start
#: (:class:`aggregator.pipeline.near_duplicates.NearDuplicates`). rensa's ``RMinHash`` over
#: our 64-bit shingle hashes, seed fixed, version pinned in pyproject.toml (its permutations
#: are its own: a new version may hash differently).
SKETCH_ID = f"rensa-0.5.0:rminhash:{NUM_PERM}:{SKETCH_SEED}"
