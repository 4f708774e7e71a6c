"""The reader side of bench/peer.py: one update of every feed with lemon24/reader, as its own
process (peer.py measures this process's CPU and peak RSS).

    python bench/peer_reader.py DB URLS_FILE [--workers 1]

Opens (or creates) the reader database DB, adds every URL of URLS_FILE (one a line; already
present is fine), updates all of them once, ignoring reader's schedule (``scheduled=False``,
as our ``poll --all``), and prints one JSON line of counts. Kept apart from peer.py so that
this process imports reader and nothing of the benchmark.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from reader import make_reader


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("db")
    ap.add_argument("urls")
    ap.add_argument("--workers", type=int, default=1, help="reader's fetch threads")
    args = ap.parse_args(argv)
    urls = [u for u in Path(args.urls).read_text(encoding="utf-8").split() if u]
    reader = make_reader(args.db)
    for url in urls:
        reader.add_feed(url, exist_ok=True)
    counts = {"feeds": 0, "new": 0, "modified": 0, "unmodified": 0, "not_modified": 0,
              "errors": 0}
    for url, value in reader.update_feeds_iter(scheduled=False, workers=args.workers):
        counts["feeds"] += 1
        if value is None:
            counts["not_modified"] += 1
        elif isinstance(value, Exception):  # ParseError and the like
            counts["errors"] += 1
            print(f"{url}: {value!r}", file=sys.stderr)
        else:
            counts["new"] += value.new
            counts["modified"] += value.modified
            counts["unmodified"] += value.unmodified
    reader.close()
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
