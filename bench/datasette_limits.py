"""One hostile query through Datasette as ``aggregator datasette`` launches it (bench; a child
process, loopback HTTP, a throw-away store).

The query builds a huge string inside one SQLite function call (``zeroblob`` then
``replace``), where Datasette's time limit (a progress handler between VM steps) cannot
interrupt it (issue 15: 6.6 s and 2.3 GB against a 3 s limit). Reports the wall time of the
request, its HTTP status and the Datasette process's peak RSS (``VmHWM``).

    .venv/bin/python bench/datasette_limits.py --blob-mb 60
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from aggregator.config import from_dict
from aggregator.serve.datasette import datasette_args
from aggregator.store.core import Store


def rows_query(rows: int) -> str:
    """Many values each under the value cap: memory held by Python, not SQLite."""
    return (
        "with recursive c(x) as (select 1 union all select x + 1 from c limit"
        f" {rows}) select zeroblob(4000000) as b from c"
    )


def query(blob_mb: int) -> str:
    # hex: 2 × blob_mb MB of "0"; then ×2 and ×4: a 16 × blob_mb MB string, in two calls.
    return (
        f"select length(replace(replace(hex(zeroblob({blob_mb * 1_000_000})), '0', 'aa'),"
        " 'a', 'aaaa')) as n"
    )


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--blob-mb", type=int, default=60)
    ap.add_argument("--rows", type=int, default=0, help="run rows_query(rows) instead")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = from_dict({"store": {"path": "db/a.db"}}, base_dir=Path(tmp))
        Store.open(cfg.store_path, cfg.store).close()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        proc = subprocess.Popen(
            datasette_args(cfg, port=port), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(base + "/-/versions.json", timeout=5).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise SystemExit("datasette did not start") from None
                    time.sleep(0.1)
            rss_before = peak_rss_mb(proc.pid)
            url = f"{base}/a.json?" + urllib.parse.urlencode(
                {"sql": rows_query(args.rows) if args.rows else query(args.blob_mb)}
            )
            t0 = time.monotonic()
            try:
                with urllib.request.urlopen(url, timeout=120) as r:
                    status, body = r.status, r.read()
            except urllib.error.HTTPError as exc:
                status, body = exc.code, exc.read()
            elapsed = time.monotonic() - t0
            out = {
                "blob_mb": args.blob_mb,
                "status": status,
                "seconds": round(elapsed, 2),
                "peak_rss_mb_before": round(rss_before),
                "peak_rss_mb": round(peak_rss_mb(proc.pid)),
                "answer": body[:200].decode("utf-8", "replace"),
            }
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
