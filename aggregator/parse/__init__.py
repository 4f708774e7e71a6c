"""Parse stage: charset decoding, the entity guard, the lxml fast path and feedparser (pure)."""
