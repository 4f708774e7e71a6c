"""Normalize stage: canonical URLs, language, identity policy, building an Item (pure)."""
