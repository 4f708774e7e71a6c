"""Cluster stage: embedder, vector index, headline evidence and the online clusterer (pure core)."""
