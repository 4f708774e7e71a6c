"""Dedupe stage: exact keys and near-duplicate text (MinHash-LSH and its judge) (pure core, in-
memory index).
"""
