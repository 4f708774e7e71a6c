"""Evaluation of the near-duplicate layer (bench, reads /work/shared at run time; writes nothing
unless ``--write-fixture``): real feed items + WMT21 zh-en docs → generated variants and hard
negatives → precision / recall per language and variant kind.

Run: ``.venv/bin/python bench/eval_dedup.py [--sweep] [--write-fixture tests/fixtures/neardup]``

Positives (variant of one original; the original must be found): boilerplate (wire prefix +
copyright / 来源 + 责任编辑 footer), byline, lead (truncated to its first ~35%), s2t
(Traditional rendering, folded back by the matcher's folding), retitle (new headline + one
sentence edited), edit (a sentence dropped, an update paragraph appended), digest (WMT only: a
Chinese summary over the full English article, and the reverse).
Negatives (must not match): another item of the same feed / next WMT doc, both dressed in the
same boilerplate; a lead of one item against another item of the same feed.

End to end: every original is indexed in a NearDupIndex (SQLite in memory); each variant is
queried, candidates are judged, and any match that is not its original counts as a false
match. Negative pairs are also judged directly.
"""

from __future__ import annotations

import argparse
import html
import io
import itertools
import json
import random
import re
import sqlite3
import sys
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import feedparser
import numpy as np
import opencc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from aggregator.dedupe import neardup, textsim
from aggregator.store import band_index

SHARED = Path("/work/shared")
FEEDS_EN = [
    "feedjira/TechCrunch.xml",
    "feed2exec/breaking_news.xml",
    "cotox-rssutil/engadget_en-us.rss",
    "rssant/parser/well/http-www-manrepeller-com-feed.xml",
    "rss-parser/feedburner.atom",
    "rss-parser/content-encoded.rss",
    "rss-parser/many-links.rss",
    "rss-parser/reddit.rss",
]
FEEDS_ZH = [
    "cotox-rssutil/solidot.rss",
    "rssant/parser/well/coolshell-cn-feed.xml",
    "rssant/parser/well/dapenti_blog_iframe.xml",
    "rssant/parser/well/diygod-me-atom.xml",
    "rssant/parser/well/http-www-gushequ-com-feed.xml",
    "rssant/parser/well/https-cangku-moe-feed.xml",
    "rssant/parser/well/kilerd-me-rss.xml",
    "rssant/parser/well/typlog_audio.xml",
    "rssant/parser/well/www-ruangyifeng-com-blog-atom.xml",
]
WMT_DOCS = SHARED / "datasets/wmt21-zh-en-news/newstest2021.zh-en.docs.jsonl"
#: Bodies are capped (long blog posts would dominate the timings, not the quality).
MAX_BODY_CHARS = 6000
MIN_BODY_CHARS = {"en": 300, "zh": 120}

_T2S = opencc.OpenCC("t2s")
_S2T = opencc.OpenCC("s2t")


def fold(text: str) -> str:
    """The matcher's folding: aggregator.normalize.item.fold_for_matching when present."""
    try:
        from aggregator.normalize.item import fold_for_matching

        return str(fold_for_matching(text))
    except ImportError:
        t = unicodedata.normalize("NFKC", text).casefold()
        return " ".join(_T2S.convert(t).split())


def strip_html(s: str) -> str:
    s = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", s)
    s = re.sub(r"(?s)<[^>]+>", " ", s)
    return " ".join(html.unescape(s).split())


@dataclass
class Doc:
    key: str  # source/feed#index
    lang: str  # en | zh
    source: str
    title: str
    body: str
    pair: str | None = None  # WMT: the other language's full text


def load_fixture(path: Path) -> list[Doc]:
    """Originals written by ``--write-fixture`` (the CI test's small version)."""
    return [Doc(**d) for d in json.loads(path.read_text(encoding="utf-8"))]


def load_docs() -> list[Doc]:
    docs: list[Doc] = []
    for lang, feeds in (("en", FEEDS_EN), ("zh", FEEDS_ZH)):
        for f in feeds:
            d = feedparser.parse(io.BytesIO((SHARED / "feeds" / f).read_bytes()))
            for i, e in enumerate(d.entries):
                raw = (e.get("content") or [{}])[0].get("value") or e.get("summary", "")
                body = strip_html(raw)[:MAX_BODY_CHARS]
                if len(body) >= MIN_BODY_CHARS[lang]:
                    docs.append(Doc(f"{f}#{i}", lang, f, strip_html(e.get("title", "")), body))
    for line in WMT_DOCS.read_text(encoding="utf-8").splitlines():
        w = json.loads(line)
        zh_lines, en_lines = w["zh_text"].split("\n"), w["en_text"].split("\n")
        zt = zh_lines[0] if w["zh_title"] else ""
        et = en_lines[0] if w["en_title"] else ""
        zb = "\n".join(zh_lines[1:] if zt else zh_lines)
        eb = "\n".join(en_lines[1:] if et else en_lines)
        n = w["doc_index"]
        docs.append(Doc(f"wmt-zh#{n}", "zh", "wmt-zh", zt, zb, pair=w["en_text"]))
        docs.append(Doc(f"wmt-en#{n}", "en", "wmt-en", et, eb, pair=w["zh_text"]))
    return docs


_SENT_RE = re.compile(r"(?<=[.!?。！？])\s*")


def sentences(text: str) -> list[str]:
    return [s for s in _SENT_RE.split(text) if s.strip()]


BOILER = {
    "en": (
        "WASHINGTON (AP) — ",
        "\nCopyright 2021 The Associated Press. All rights reserved. "
        "This material may not be published, broadcast, rewritten or redistributed.",
    ),
    "zh": ("来源：新华社 ", "\n（责任编辑：王晓东）本网站所刊载信息，不代表本站观点。"),
}
BYLINE = {
    "en": "By Jennifer Peltz and Michael Sisak, Associated Press. ",
    "zh": "新华社记者 张晓明 李华 报道 ",
}
UPDATE = {
    "en": "Update: The company did not respond to a request for comment by press time.",
    "zh": "更新：截至发稿时，相关部门尚未回应记者的置评请求。",
}
RETITLE = {"en": "What we know so far: ", "zh": "快讯｜"}


def variants(d: Doc, rng: random.Random) -> list[tuple[str, str, str]]:
    """(kind, title, body) variants of one original."""
    out: list[tuple[str, str, str]] = []
    pre, post = BOILER[d.lang]
    out.append(("boilerplate", d.title, pre + d.body + post))
    out.append(("byline", d.title, BYLINE[d.lang] + d.body))
    cut = max(int(len(d.body) * 0.35), MIN_BODY_CHARS[d.lang] // 2)
    out.append(("lead", d.title, d.body[:cut]))
    sents = sentences(d.body)
    if len(sents) >= 3:
        i = rng.randrange(len(sents))
        edited = [*sents[:i], sents[i][: len(sents[i]) // 2], *sents[i + 1 :]]
        out.append(("retitle", RETITLE[d.lang] + d.title[: len(d.title) // 2], " ".join(edited)))
        j = rng.randrange(len(sents))
        out.append(("edit", d.title, " ".join(sents[:j] + sents[j + 1 :]) + " " + UPDATE[d.lang]))
    if d.lang == "zh":
        out.append(("s2t", _S2T.convert(d.title), _S2T.convert(d.body)))
    if d.pair is not None:
        summary = " ".join(sentences(d.body)[:2])[:200]
        if d.lang == "zh":
            # Digest in Chinese quoting the English article in full: matches the en original.
            out.append(("digest_of_other", d.title, summary + "\n" + d.pair))
    return out


@dataclass
class Case:
    kind: str
    lang: str
    new: neardup.TextRecord
    target: int | None  # item id of the original (None for negatives)
    other: neardup.TextRecord | None = None  # negatives: the record it must not match


def build(docs: list[Doc], seed: int = 7) -> tuple[list[neardup.TextRecord], list[Case]]:
    rng = random.Random(seed)
    originals = [
        neardup.make_record(i, d.lang, fold(d.title), fold(d.title + "\n" + d.body))
        for i, d in enumerate(docs)
    ]
    by_key = {d.key: i for i, d in enumerate(docs)}
    cases: list[Case] = []
    nid = len(docs)
    for i, d in enumerate(docs):
        for kind, title, body in variants(d, rng):
            target = i
            lang = d.lang
            if kind == "digest_of_other":
                if d.key.replace("wmt-zh", "wmt-en") not in by_key:
                    continue
                target = by_key[d.key.replace("wmt-zh", "wmt-en")]
                lang = "zh+en"
            rec = neardup.make_record(nid, d.lang, fold(title), fold(title + "\n" + body))
            nid += 1
            cases.append(Case(kind, lang, rec, target))
    # Hard negatives: next item of the same source, both in the same boilerplate; and the
    # lead of one item against the next item of the same source.
    by_src: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        by_src[d.source].append(i)
    for idxs in by_src.values():
        for a, b in itertools.pairwise(idxs):
            da, db = docs[a], docs[b]
            pre, post = BOILER[da.lang]
            ra = neardup.make_record(
                nid, da.lang, fold(da.title), fold(da.title + "\n" + pre + da.body + post)
            )
            rb = neardup.make_record(
                nid + 1, db.lang, fold(db.title), fold(db.title + "\n" + pre + db.body + post)
            )
            cut = max(int(len(da.body) * 0.35), MIN_BODY_CHARS[da.lang] // 2)
            rl = neardup.make_record(
                nid + 2, da.lang, fold(da.title), fold(da.title + "\n" + da.body[:cut])
            )
            nid += 3
            cases.append(Case("neg_same_source", da.lang, ra, None, rb))
            cases.append(Case("neg_lead_other", da.lang, rl, None, originals[b]))
    return originals, cases


#: The production sketch (rensa) and the numpy one it replaced (issue 16 item 3).
SKETCHES = {"rensa": textsim.sketch, "numpy": textsim.sketch_numpy}


def evaluate(
    originals: list[neardup.TextRecord],
    cases: list[Case],
    lsh: tuple[int, int, int] | None = None,
    sketch_name: str = "rensa",
) -> dict[str, object]:
    sketch = SKETCHES[sketch_name]
    conn = sqlite3.connect(":memory:")
    b, rw, lb = lsh or (neardup.LSH_BANDS, neardup.LSH_ROWS_PER_BAND, neardup.LEAD_BANDS)
    index = band_index.NearDupIndex(conn, bands=b, rows=rw, lead_bands=lb)
    t0 = time.perf_counter()
    for r in originals:
        index.add(r.item_id, sketch(r.shingles), "2021-06-01T00:00:00Z")
    t_add = (time.perf_counter() - t0) / len(originals)
    rows: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    t_query = 0.0
    n_query = 0
    stray = 0
    for c in cases:
        st = rows[(c.lang, c.kind)]
        st["n"] += 1
        if c.target is None:
            assert c.other is not None
            st["fp_judge"] += judge_ok(c.new, c.other)
            continue
        st["judge"] += judge_ok(c.new, originals[c.target])
        t1 = time.perf_counter()
        cands = index.candidates(sketch(c.new.shingles))
        matched = {o for o in cands if neardup.judge(c.new, originals[o]) is not None}
        t_query += time.perf_counter() - t1
        n_query += 1
        st["cand"] += c.target in cands
        st["tp"] += c.target in matched
        st["wrong"] += len(matched - {c.target})
        stray += len(set(cands) - matched)
    t2 = time.process_time()
    for _ in range(3):
        for r in originals:
            sketch(r.shingles)
    sketch_ms = (time.process_time() - t2) / (3 * len(originals)) * 1e3
    return {
        "rows": rows,
        "sketch": sketch_name,
        "sketch_ms": sketch_ms,
        "add_ms": t_add * 1e3,
        "query_ms": t_query / max(n_query, 1) * 1e3,
        "stray": stray / max(n_query, 1),
        "keys": rows_per_item(index),
    }


def rows_per_item(index: band_index.NearDupIndex) -> float:
    n = index.conn.execute("SELECT count(*), count(DISTINCT item_id) FROM minhash_bands")
    rows, items = n.fetchone()
    return float(rows) / max(int(items), 1)


def judge_ok(a: neardup.TextRecord, b: neardup.TextRecord) -> int:
    return int(neardup.judge(a, b) is not None)


def report(res: dict[str, object]) -> None:
    rows = res["rows"]
    assert isinstance(rows, dict)
    print(
        f"{'lang':6} {'kind':16} {'n':>5} {'lsh_rec':>8} {'judge_rec':>9} {'e2e_rec':>8}"
        f" {'wrong':>6} {'fp':>4}"
    )
    tp = wrong = fp = pos = neg = 0
    for (lang, kind), st in sorted(rows.items()):
        n = st["n"]
        if kind.startswith("neg"):
            neg += n
            fp += st["fp_judge"]
            print(f"{lang:6} {kind:16} {n:5} {'':8} {'':9} {'':8} {'':6} {st['fp_judge']:4}")
            continue
        pos += n
        tp += st["tp"]
        wrong += st["wrong"]
        print(
            f"{lang:6} {kind:16} {n:5} {st['cand'] / n:8.3f} {st['judge'] / n:9.3f}"
            f" {st['tp'] / n:8.3f} {st['wrong']:6}"
        )
    prec = tp / max(tp + wrong + fp, 1)
    print(
        f"\npositives {pos}: recall {tp / max(pos, 1):.3f}; negative pairs {neg}: "
        f"false matches {fp}; wrong matches in e2e queries {wrong}; precision {prec:.3f}"
    )
    print(
        f"stray candidates (rejected by judge) per query {res['stray']:.2f}; "
        f"band rows/item {res['keys']:.1f}"
    )
    print(
        f"index add {res['add_ms']:.3f} ms/item, query+judge {res['query_ms']:.3f} ms/item "
        "(in-memory SQLite, excluding shingling)"
    )
    print(f"sketch ({res['sketch']}): {res['sketch_ms']:.4f} ms CPU/item")


def sweep(docs: list[Doc], cases: list[Case], originals: list[neardup.TextRecord]) -> None:
    """Jaccard / containment quantiles per kind for n-gram choices (threshold evidence)."""
    texts = {r.item_id: r.text_folded for r in originals}
    for c in cases:
        texts[c.new.item_id] = c.new.text_folded
        if c.other is not None:
            texts[c.other.item_id] = c.other.text_folded
    for han_n, word_n in ((2, 2), (3, 2), (3, 3), (4, 3)):
        cache: dict[int, np.ndarray] = {}

        def sh(
            i: int, han_n: int = han_n, word_n: int = word_n, cache: dict[int, np.ndarray] = cache
        ) -> np.ndarray:
            if i not in cache:
                cache[i] = textsim.shingle(texts[i], han_n, word_n).all
            return cache[i]

        print(f"\nhan_n={han_n} word_n={word_n}: quantiles 5%/50%/95% of Jaccard | max-containment")
        groups: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
        for c in cases:
            other = c.other.item_id if c.other is not None else c.target
            assert other is not None
            a, b = sh(c.new.item_id), sh(other)
            small_in = textsim.containment(a, b) if a.size <= b.size else textsim.containment(b, a)
            groups[(c.lang, c.kind)].append((textsim.jaccard(a, b), small_in))
        for (lang, kind), v in sorted(groups.items()):
            arr = np.array(v)
            qj = np.quantile(arr[:, 0], [0.05, 0.5, 0.95])
            qc = np.quantile(arr[:, 1], [0.05, 0.5, 0.95])
            print(
                f"  {lang:6} {kind:16} J {qj[0]:.2f}/{qj[1]:.2f}/{qj[2]:.2f}"
                f" | C {qc[0]:.2f}/{qc[1]:.2f}/{qc[2]:.2f}"
            )


def write_fixture(docs: list[Doc], out: Path, per_source: int = 2) -> None:
    """A small subset of originals for the CI test (tests/dedupe/test_neardup.py)."""
    picked: list[dict[str, str | None]] = []
    count: dict[str, int] = defaultdict(int)
    small = {d.key for d in docs if len(d.body) < 2000 and len(d.pair or "") < 3000}
    wmt_ok = [k for k in small if k.startswith("wmt-zh") and k.replace("zh", "en") in small]
    wmt_keep = {
        k2
        for k in sorted(wmt_ok, key=lambda k: int(k.split("#")[1]))[: per_source * 2]
        for k2 in (k, k.replace("zh", "en"))
    }
    for d in docs:
        n = per_source * 2 if d.source.startswith("wmt") else per_source
        if d.source.startswith("wmt") and d.key not in wmt_keep:
            continue
        if count[d.source] < n and d.key in small:
            count[d.source] += 1
            picked.append(
                {
                    "key": d.key,
                    "lang": d.lang,
                    "source": d.source,
                    "title": d.title,
                    "body": d.body,
                    "pair": d.pair,
                }
            )
    out.mkdir(parents=True, exist_ok=True)
    (out / "originals.json").write_text(
        json.dumps(picked, ensure_ascii=False, indent=0), encoding="utf-8"
    )
    print(f"wrote {len(picked)} originals to {out / 'originals.json'}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sweep", action="store_true", help="print n-gram/threshold evidence")
    ap.add_argument("--lsh", help="bands,rows,lead_bands to evaluate (default: neardup's)")
    ap.add_argument("--write-fixture", type=Path, help="write a small originals fixture here")
    ap.add_argument("--sketch", choices=sorted(SKETCHES), default="rensa",
                    help="MinHash: rensa (production) or numpy (the one before, to compare)")
    args = ap.parse_args(argv)
    docs = load_docs()
    if args.write_fixture:
        write_fixture(docs, args.write_fixture)
        return
    print(
        f"originals: {sum(d.lang == 'en' for d in docs)} en, {sum(d.lang == 'zh' for d in docs)}"
        " zh (feeds + WMT21 docs)"
    )
    originals, cases = build(docs)
    if args.sweep:
        sweep(docs, cases, originals)
    lsh = tuple(int(x) for x in args.lsh.split(",")) if args.lsh else None
    report(evaluate(originals, cases, lsh, args.sketch))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
