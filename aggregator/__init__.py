"""aggregator: news aggregation daemon."""
