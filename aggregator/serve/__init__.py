"""Serve stage: the HTTP server for the outputs, /healthz and /metrics, and the Datasette launcher
(I/O: network).
"""
