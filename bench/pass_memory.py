"""Where a ``poll --all`` pass holds its memory: VmRSS / VmHWM at the pass's stage boundaries
(bench; loopback only).

Builds bench/peer.py's workload (200 feeds × 20 items of WMT21 text on a local ETag origin,
in threads of this process), then runs ``aggregator --config … poll --all`` in a child
process (``--child`` mode of this script: the package imported from ``--tree`` if given,
else the venv's) with probes wrapped around the stages, and prints, per mark, the child's
resident set now (VmRSS) and its high-water mark so far (VmHWM), in MB:

    imported       the CLI and the poll pass's modules imported, before the store opens
    feeds N        after N feeds were processed (fetch, parse, store), every ``--every``
    refreshed      every feed done (Pipeline._poll returned)
    released       after the one-shot release of the refresh stage's memory
    cluster start  window loaded   before and after the cluster stage loads its window
    batch N        after N batches of 64 items were clustered, every ``--every``/2 + 1
    clustered      after clustering (and the release of the cluster stage's memory)
    published      poll_and_publish returned (outputs written)

The mark whose VmHWM first reaches the final one is where the peak is. Beside RSS: malloc's
bytes in use, free inside its arenas and in mmapped chunks (``mallinfo2``; pymalloc's arenas
are mmapped directly, outside these), and SQLite's allocations now and at most so far
(``sqlite3_memory_used`` / ``_highwater`` of the libsqlite3 the interpreter uses).

Options: ``--tracemalloc N`` traces Python allocations and prints the N largest allocation
sites (by line) at the marks from ``refreshed`` on (slower, and RSS under tracemalloc
includes its own overhead); ``--smaps N`` prints the N mappings with the most resident memory
(``[heap]``, anonymous, each shared library) at those marks; ``--trim-at MARK`` (an
experiment) calls ``malloc_trim(0)`` right after MARK and marks again; ``--collect-at MARK``
runs ``gc.collect()`` there, prints the kinds of objects it found unreachable (what a
reference cycle kept alive) and marks again; ``--warm-glossary``
builds the store's glossary cache before pass 1 (as pass 5 finds it). The store of a pass
other than ``new`` is made by pass 1 run plainly first, as bench/ab.py does.

Run: ``.venv/bin/python bench/pass_memory.py --pass new [--tree /tmp/a] [--tracemalloc 25]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


WARM_GLOSSARY = """import sys
from pathlib import Path
from aggregator.cluster import cedict
from aggregator.pipeline.model_caches import use_glossary_cache
use_glossary_cache(Path(sys.argv[1]))
cedict.glossary()
"""


def _status() -> dict[str, float]:
    out = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(rest.split()[0]) / 1024
    return out


def _smaps(top: int) -> list[tuple[str, float]]:
    """Resident MB per mapping name (a file, ``[heap]``, or ``[anon]``), largest first."""
    sizes: dict[str, int] = {}
    name = "[anon]"
    with open("/proc/self/smaps", encoding="utf-8", errors="replace") as f:
        for line in f:
            head = line.split(maxsplit=5)
            if len(head) >= 5 and "-" in head[0] and ":" in head[3]:
                name = head[5].strip() if len(head) == 6 else "[anon]"
            elif head and head[0] == "Rss:":
                sizes[name] = sizes.get(name, 0) + int(head[1])
    ranked = sorted(sizes.items(), key=lambda kv: -kv[1])
    return [(k, round(v / 1024, 1)) for k, v in ranked[:top]]


def _child(
    config: str,
    every: int,
    top: int,
    maps: int,
    trim_at: list[str],
    collect_at: list[str],
    publish_marks: bool = False,
) -> int:
    """Runs in the child: wrap the stages, then the CLI's ``poll --all``."""
    import ctypes
    import tracemalloc

    if top:
        tracemalloc.start()
    marks: list[dict[str, Any]] = []
    libc = ctypes.CDLL(None)

    class MallInfo2(ctypes.Structure):
        _fields_ = [
            (n, ctypes.c_size_t)
            for n in (
                "arena",
                "ordblks",
                "smblks",
                "hblks",
                "hblkhd",
                "usmblks",
                "fsmblks",
                "uordblks",
                "fordblks",
                "keepcost",
            )
        ]

    libc.mallinfo2.restype = MallInfo2
    try:  # the library _sqlite3 is linked to: its own allocation counters
        lite: Any = ctypes.CDLL("libsqlite3.so.0")
        lite.sqlite3_memory_used.restype = ctypes.c_int64
        lite.sqlite3_memory_highwater.restype = ctypes.c_int64
    except OSError:
        lite = None

    def mark(name: str, sites: bool = False) -> None:
        rec: dict[str, Any] = {"mark": name, **_status()}
        mi = libc.mallinfo2()  # malloc's view: in use / free in its arenas, mmapped chunks
        rec["malloc_used_mb"], rec["malloc_free_mb"], rec["malloc_mmap_mb"] = (
            mi.uordblks / 2**20,
            mi.fordblks / 2**20,
            mi.hblkhd / 2**20,
        )
        if lite is not None:
            rec["sqlite_mb"] = lite.sqlite3_memory_used() / 2**20
            rec["sqlite_hw_mb"] = lite.sqlite3_memory_highwater(0) / 2**20
        if top:
            cur, peak = tracemalloc.get_traced_memory()
            rec["traced_mb"], rec["traced_peak_mb"] = cur / 2**20, peak / 2**20
            if sites:
                snap = tracemalloc.take_snapshot()
                rec["sites"] = [
                    (str(s.traceback[0]), round(s.size / 2**20, 2), s.count)
                    for s in snap.statistics("lineno")[:top]
                ]
        if maps and (sites or name == "imported"):
            rec["maps"] = _smaps(maps)
        marks.append(rec)
        print("MARK " + json.dumps(rec), file=sys.stderr, flush=True)
        if name in collect_at:
            import gc

            gc.set_debug(gc.DEBUG_SAVEALL)  # keep what it finds, to name it
            found = gc.collect()
            gc.set_debug(0)
            kinds: dict[str, int] = {}
            for obj in gc.garbage:
                kind = f"{type(obj).__module__}.{type(obj).__qualname__}"
                kinds[kind] = kinds.get(kind, 0) + 1
            gc.garbage.clear()
            gc.collect()  # SAVEALL kept the cycles whole: now free them
            print(
                f"MARKNOTE gc.collect() at {name}: {found} unreachable: "
                + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1])),
                file=sys.stderr,
            )
            mark(f"{name}+gc", sites)
        if name in trim_at:
            libc.malloc_trim(0)
            mark(f"{name}+trim")

    from aggregator import cli
    from aggregator.pipeline import poll, refresh

    mark("imported")
    done = [0]
    orig_process = refresh.Pipeline.process
    orig_poll = refresh.Pipeline._poll
    orig_release = refresh.Pipeline._release_refresh_memory
    orig_pp = poll.poll_and_publish
    orig_pipeline_poll = refresh.Pipeline.poll

    async def process(self: Any, *a: Any, **k: Any) -> Any:
        out = await orig_process(self, *a, **k)
        done[0] += 1
        if done[0] % every == 0:
            mark(f"feeds {done[0]}")
        return out

    async def _poll(self: Any, *a: Any, **k: Any) -> None:
        await orig_poll(self, *a, **k)
        mark("refreshed", True)

    def release(self: Any, **k: Any) -> None:
        orig_release(self, **k)
        mark("released", True)

    async def pipeline_poll(self: Any, *a: Any, **k: Any) -> Any:
        out = await orig_pipeline_poll(self, *a, **k)
        mark("clustered", True)
        if publish_marks:
            _probe_publish()
        return out

    def _probe_publish() -> None:
        """Marks inside publish_outputs: imported here, where poll_and_publish imports it."""
        from aggregator import publish as publish_pkg
        from aggregator.pipeline import publish_pass as pp_mod

        mark("publish imported")
        last = [0.0]

        def step(name: str, fn: Any) -> Any:
            def wrapped(*a: Any, **k: Any) -> Any:
                out = fn(*a, **k)
                mark(name)
                return out

            return wrapped

        for attr, name in (("assemble", "assembled"), ("load_items", "items loaded"),
                           ("_topic_events", "topics"), ("_digest_events", "digest")):
            setattr(pp_mod, attr, step(name, getattr(pp_mod, attr)))
        staged = publish_pkg.StagedOutputs
        orig_add = staged.add

        def add(self: Any, name: str, data: Any) -> Any:
            hwm = _status()["VmHWM"]
            if hwm - last[0] >= 0.5:
                last[0] = hwm
                mark(f"file {name}"[:14])
            return orig_add(self, name, data)

        staged.add = add

    async def pp(*a: Any, **k: Any) -> Any:
        out = await orig_pp(*a, **k)
        mark("published", True)
        return out

    orig_events = refresh.Pipeline.events
    batches = [0]

    def events(self: Any) -> Any:
        builder = orig_events.fget(self)  # type: ignore[attr-defined]
        cls = type(builder)
        if getattr(cls, "_probed", False):
            return builder
        cls._probed = True  # wrapped on the class: no reference from the instance to itself
        commit, prepare = cls._commit_batch, cls._prepare

        def _prepare(*a: Any, **k: Any) -> Any:
            mark("cluster start")
            out = prepare(*a, **k)
            mark("window loaded", True)
            return out

        def _commit_batch(*a: Any, **k: Any) -> Any:
            out = commit(*a, **k)
            batches[0] += 1
            if batches[0] % (every // 2 + 1) == 0:
                mark(f"batch {batches[0]}", True)
            return out

        cls._prepare, cls._commit_batch = _prepare, _commit_batch
        return builder

    refresh.Pipeline.events = property(events)  # type: ignore[method-assign,assignment]
    refresh.Pipeline.process = process  # type: ignore[method-assign]
    refresh.Pipeline._poll = _poll  # type: ignore[method-assign]
    refresh.Pipeline._release_refresh_memory = release  # type: ignore[method-assign]
    refresh.Pipeline.poll = pipeline_poll  # type: ignore[method-assign]
    poll.poll_and_publish = pp
    return cli.main(["--config", config, "poll", "--all"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--pass",
        dest="pass_",
        default="new",
        choices=["new", "304", "same200", "lastbuild", "new2"],
    )
    ap.add_argument("--tree", type=Path, help="folder holding aggregator/ (default: the venv's)")
    ap.add_argument("--backend", default="none", help="[cluster] backend ('' = the default)")
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=20)
    ap.add_argument("--every", type=int, default=50, help="a mark every N feeds")
    ap.add_argument(
        "--tracemalloc",
        type=int,
        default=0,
        metavar="N",
        help="trace allocations; print the N largest sites at the late marks",
    )
    ap.add_argument(
        "--smaps",
        type=int,
        default=0,
        metavar="N",
        help="print the N largest mappings by resident size (/proc/self/smaps)",
    )
    ap.add_argument(
        "--warm-glossary",
        action="store_true",
        help="pass new: build the store's glossary cache before the pass",
    )
    ap.add_argument(
        "--trim-at",
        action="append",
        default=[],
        metavar="MARK",
        help="experiment: malloc_trim(0) right after MARK (repeatable)",
    )
    ap.add_argument(
        "--collect-at",
        action="append",
        default=[],
        metavar="MARK",
        help="experiment: gc.collect() right after MARK (repeatable)",
    )
    ap.add_argument("--venv", type=Path, default=ROOT / ".venv")
    ap.add_argument(
        "--publish-marks",
        action="store_true",
        help="marks inside publish_outputs (assembled, items loaded, topics, digest, files)",
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return _child(
            args.child,
            args.every,
            args.tracemalloc,
            args.smaps,
            args.trim_at,
            args.collect_at,
            args.publish_marks,
        )

    sys.path.insert(0, str(HERE))
    import peer  # bench/peer.py

    peer.become_subreaper()
    now = datetime.now(UTC).replace(microsecond=0)
    origin, urls = peer.workload(args.feeds, args.items, now)
    tmp = Path(tempfile.mkdtemp(prefix="pass-memory-"))
    tree = str(args.tree.resolve()) if args.tree else None
    if tree:
        os.environ["PYTHONPATH"] = tree
    peer.compile_package(args.venv, tree)
    ctx = peer.Ctx(args.venv, origin, urls, tmp / "urls.txt", 1, peer.CHILD_TIMEOUT_S)
    tool = peer.Tool("ours", "ours", "ours", args.backend or None)
    target = next(p for p in peer.PASSES if p.key == args.pass_)
    try:
        if target is not peer.PASSES[0]:
            peer.run_pass(ctx, tool, peer.PASSES[0], 0, tmp)
            shutil.copytree(tmp / "ours" / "new", tmp / "ours" / target.key)
        else:
            peer.write_ours_dir(tmp / "ours" / "new", urls, tool.backend)
            if args.warm_glossary:  # as pass 5 finds it: the store's glossary cache built
                (tmp / "ours" / "new" / "store").mkdir()
                subprocess.run(
                    [
                        str(args.venv / "bin" / "python"),
                        "-P",
                        "-c",
                        WARM_GLOSSARY,
                        str(tmp / "ours" / "new" / "store" / "aggregator.db"),
                    ],
                    check=True,
                    env=peer.child_env(),
                )
        d = tmp / "ours" / target.key
        origin.version, origin.conditional, origin.label = (
            target.version,
            target.conditional,
            "probe",
        )
        cmd = [
            str(args.venv / "bin" / "python"),
            "-P",
            str(Path(__file__).resolve()),
            "--child",
            str(d / "config.toml"),
            "--every",
            str(args.every),
            "--tracemalloc",
            str(args.tracemalloc),
            "--smaps",
            str(args.smaps),
            *(x for m in args.trim_at for x in ("--trim-at", m)),
            *(x for m in args.collect_at for x in ("--collect-at", m)),
            *(["--publish-marks"] if args.publish_marks else []),
        ]
        res = peer.run_child(cmd, d, tmp / "probe", peer.CHILD_TIMEOUT_S)
        err = (tmp / "probe.err").read_text(encoding="utf-8", errors="replace")
        if res["exit"] != 0:
            sys.exit(f"child failed ({res['exit']}):\n{err[-3000:]}")
        print(
            f"pass {target.key}, tree {tree or 'venv'}: {origin.counts('probe')['status']}, "
            f"{res['stdout_tail'].strip().splitlines()[-1]}"
        )
        print(
            f"{'mark':<14} {'VmRSS':>7} {'VmHWM':>7} {'m.used':>7} {'m.free':>7} {'m.mmap':>7}"
            f" {'sqlite':>7} {'sq.peak':>7}"
            + (f" {'traced':>7} {'tr.peak':>7}" if args.tracemalloc else "")
        )
        for line in err.splitlines():
            if line.startswith("MARKNOTE "):
                print("      " + line[9:])
            if " cluster_child" in line:  # the cluster stage's child process (its own peak)
                print("      " + line.split(" ", 3)[-1])
            if not line.startswith("MARK "):
                continue
            m = json.loads(line[5:])
            print(
                f"{m['mark']:<14} {m['VmRSS']:7.1f} {m['VmHWM']:7.1f}"
                f" {m['malloc_used_mb']:7.1f} {m['malloc_free_mb']:7.1f}"
                f" {m['malloc_mmap_mb']:7.1f}"
                f" {m.get('sqlite_mb', 0):7.1f} {m.get('sqlite_hw_mb', 0):7.1f}"
                + (f" {m['traced_mb']:7.1f} {m['traced_peak_mb']:7.1f}" if args.tracemalloc else "")
            )
            for site, mb, count in m.get("sites", []):
                print(f"      {mb:7.2f} MB {count:8d}  {site}")
            for name, mb in m.get("maps", []):
                print(f"      {mb:7.1f} MB resident  {name}")
        print(
            f"process tree peak RSS (peer.run_child): {res['peak_rss_mb']} MB, CPU {res['cpu_s']} s"
        )
    finally:
        origin.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
