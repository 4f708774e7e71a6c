"""Fetch stage: the HTTP client, the private-address guard and the response rules (I/O: network)."""
