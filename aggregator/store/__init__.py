"""Store stage: every SQL statement, migrations, the search index and upkeep; returns typed records
(I/O: disk).
"""
