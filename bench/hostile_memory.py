"""Peak memory of a hostile poll (issue 15, item 8): ``aggregator poll --all`` as a child
process against a local origin serving entity blow-ups, gzip bombs and bodies just under the
15 MiB cap, with the process tree's memory sampled from ``/proc`` (I/O: processes, loopback).

Per process: its peak RSS (``VmHWM``, exact, read until it exits). In total: the highest sum
of ``VmRSS`` over the tree across samples (every ``SAMPLE_S``; a spike shorter than that
can be missed, so the per-process peaks are the firmer numbers). Compare with the unit's
``MemoryHigh=384M`` / ``MemoryMax=512M`` (systemd/aggregator.service), which count every
process of the service together.

    python bench/hostile_memory.py [--copies 4] [--backend none|use] [--out FILE]

``--copies`` is how many of each large hostile feed are served (all fetched at once, up to
``fetch.concurrency``). Run it on a checkout with ``PYTHONPATH=<checkout>`` to measure
another version. Bounded: the poll is killed after ``--timeout-s``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from origin import MIB, Origin, gzip_bomb  # noqa: E402  (the tests' loopback origin)

SAMPLE_S = 0.02
CAP_BYTES = 15 * MIB


def billion_laughs() -> bytes:
    ents = ['<!ENTITY l0 "ha">'] + [
        f'<!ENTITY l{i} "{"".join(f"&l{i - 1};" for _ in range(10))}">' for i in range(1, 10)
    ]
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [{"".join(ents)}]><rss version="2.0"><channel>'
        "<title>&l9;</title><item><title>&l9;</title></item></channel></rss>"
    ).encode()


def sized_feed(kind: str, target: int, tag: str) -> bytes:
    """A well-formed feed of about ``target`` bytes: many RSS items, many Atom entries, or
    one RSS item whose description is ~all of it (escaped markup)."""
    if kind == "one-item":
        unit = "&lt;p&gt;word&lt;/p&gt;"
        text = unit * ((target - 400) // len(unit))
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Big</title>'
            f"<item><guid>{tag}</guid><title>One</title><description>{text}</description>"
            "</item></channel></rss>"
        ).encode()
    if kind == "rss":
        one = (
            "<item><guid>{tag}-{i}</guid><link>http://example.org/{tag}/{i}</link>"
            "<title>Headline number {i} about something</title>"
            "<description>Body text of item {i}, long enough to look like news.</description>"
            "</item>"
        )
        head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>R</title>'
        tail = "</channel></rss>"
    else:
        one = (
            "<entry><id>urn:{tag}:{i}</id><link href='http://example.org/{tag}/{i}'/>"
            "<title>Headline number {i} about something</title>"
            "<summary>Body text of item {i}, long enough to look like news.</summary>"
            "<updated>2026-11-19T10:00:00Z</updated></entry>"
        )
        head = (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            "<title>A</title><id>urn:a</id><updated>2026-11-19T10:00:00Z</updated>"
        )
        tail = "</feed>"
    n = (target - len(head) - len(tail)) // len(one.format(tag=tag, i=10**6))
    return (head + "".join(one.format(tag=tag, i=i) for i in range(n)) + tail).encode()


def serve_hostile(origin: Origin, copies: int, cache: Path) -> list[str]:
    paths = []
    origin.static("/laughs.xml", billion_laughs())
    paths.append("/laughs.xml")
    bomb = gzip_bomb(cache)
    under = CAP_BYTES - 64 * 1024
    for k in range(copies):
        origin.encoded(f"/bomb{k}.xml", bomb, "gzip")
        origin.static(f"/rss{k}.xml", sized_feed("rss", under, f"r{k}"))
        origin.static(f"/atom{k}.xml", sized_feed("atom", under, f"a{k}"),
                      content_type="application/atom+xml")  # fmt: skip
        origin.static(f"/one{k}.xml", sized_feed("one-item", under, f"o{k}"))
        paths += [f"/bomb{k}.xml", f"/rss{k}.xml", f"/atom{k}.xml", f"/one{k}.xml"]
    origin.encoded("/bomb2.xml", gzip_bomb(cache, layers=2), "gzip, gzip")
    paths.append("/bomb2.xml")
    for k in range(10):
        origin.static(f"/tiny{k}.xml", sized_feed("rss", 2000, f"t{k}"))
        paths.append(f"/tiny{k}.xml")
    return paths


def tree(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for e in Path("/proc").iterdir():
        if e.name.isdigit():
            try:
                parents[int(e.name)] = int((e / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    out, frontier = [pid], [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parents.items() if pp == p]
        out += kids
        frontier += kids
    return out


def status_kb(pid: int) -> dict[str, int]:
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, val = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(val.split()[0])
    except (OSError, ValueError):
        pass
    return out


def sample(pid: int, stop: threading.Event, result: dict[str, object]) -> None:
    peaks: dict[int, int] = {}
    names: dict[int, str] = {}
    total_peak = 0
    try:
        root_cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        root_cmd = b""
    while not stop.is_set():
        total = 0
        for p in tree(pid):
            if p != pid:
                # A child between fork and exec shares the parent's memory and shows the
                # parent's RSS: it is not a process of its own yet.
                try:
                    if Path(f"/proc/{p}/cmdline").read_bytes() == root_cmd:
                        continue
                except OSError:
                    continue
            st = status_kb(p)
            if not st:
                continue
            total += st.get("VmRSS", 0)
            peaks[p] = max(peaks.get(p, 0), st.get("VmHWM", 0))
            if p not in names:
                try:
                    cmd = Path(f"/proc/{p}/cmdline").read_bytes().split(b"\0")
                    names[p] = " ".join(c.decode(errors="replace") for c in cmd[1:4])[:80]
                except OSError:
                    names[p] = "?"
        total_peak = max(total_peak, total)
        time.sleep(SAMPLE_S)
    result["per_process_peak_mb"] = {
        f"{p} {names.get(p, '?')}": round(kb / 1024, 1) for p, kb in sorted(peaks.items())
    }
    result["max_process_peak_mb"] = round(max(peaks.values(), default=0) / 1024, 1)
    result["total_peak_mb"] = round(total_peak / 1024, 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--copies", type=int, default=4)
    ap.add_argument("--backend", default="none", choices=("none", "use"))
    ap.add_argument("--timeout-s", type=float, default=600)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hostile-mem") as d, Origin() as origin:
        tmp = Path(d)
        paths = serve_hostile(origin, args.copies, tmp / "cache")
        (tmp / "feeds.opml").write_text(
            '<?xml version="1.0"?><opml version="2.0"><head/><body>'
            + "".join(f'<outline type="rss" xmlUrl="{origin.url(p)}"/>' for p in paths)
            + "</body></opml>"
        )
        (tmp / "config.toml").write_text(
            '[feeds]\nopml = "feeds.opml"\n[store]\npath = "db/a.db"\n[publish]\ndir = "pub"\n'
            f'[cluster]\nbackend = "{args.backend}"\n'
            "[fetch]\nallow_private_networks = true\nper_host_min_gap_s = 0.0\n"
            "per_host_concurrency = 64\ndeadline_s = 120.0\n"
            "[schedule]\nper_host_due_cap = 1000\n"
        )
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "aggregator.cli", "--config", str(tmp / "config.toml"),
             "poll", "--all"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        stop = threading.Event()
        result: dict[str, object] = {}
        t = threading.Thread(target=sample, args=(proc.pid, stop, result))
        t.start()
        try:
            out, err = proc.communicate(timeout=args.timeout_s)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            stop.set()
            t.join()
        result.update(
            command=" ".join(sys.argv),
            feeds=len(paths),
            returncode=proc.returncode,
            elapsed_s=round(time.monotonic() - started, 1),
            summary=out.strip().splitlines()[-1:] if out else [],
            errors=[ln.split(" error=", 1)[1] for ln in err.splitlines() if " error=" in ln
                    and not ln.endswith("error=None")][:40],
        )  # fmt: skip
    text = json.dumps(result, indent=1, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
