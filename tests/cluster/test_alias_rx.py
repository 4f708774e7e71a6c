"""The Latin alias regex grouped by first character finds exactly what the flat alternation
finds (``cluster/alias_rx.py``): same spans, same order, on the fixtures and on texts made to
hit its edges (case rules, Unicode case equivalents, longest-first, word boundaries)."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

from aggregator.cluster import alias_rx, evidence, places
from aggregator.cluster.aliases import EXACT_CASE

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _alts() -> list[alias_rx.Alt]:
    """The table's Latin alternatives as evidence builds them (first spelling of each)."""
    seen: set[str] = set()
    out: list[alias_rx.Alt] = []
    for table in evidence._ALIASES.values():
        for aliases in table.values():
            for a in aliases:
                if re.search(r"[\u4e00-\u9fff]", a):
                    continue
                exact = a.isupper() or a in EXACT_CASE
                norm = a if exact else a.casefold()
                if norm not in seen:
                    seen.add(norm)
                    out.append((a, exact))
    for shadow in places.LATIN_SHADOWS:  # SHADOWED strings of region aliases, any case
        if shadow.casefold() not in seen:
            seen.add(shadow.casefold())
            out.append((shadow, False))
    return alias_rx.ordered(out)


def _spans(rx: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in rx.finditer(text)]


def _edge_texts(alts: list[alias_rx.Alt]) -> list[str]:
    """Each alias as written, upper, lower, swapped, with Unicode look-alikes of its first
    letter, glued to words, dots and digits, and two aliases run together."""
    looks = {"k": "\u212a", "s": "\u017f", "i": "\u0131", "I": "\u0130"}
    out = []
    for a, _ in alts:
        forms = {a, a.upper(), a.lower(), a.swapcase(), a.title()}
        for x, y in looks.items():
            forms |= {f.replace(x, y) for f in list(forms)}
        for f in forms:
            out += [f, f" {f} ", f".{f}", f"x{f}", f"{f}x", f"{f}.", f"{f}'s", f"1{f}", f"({f})"]
    words = [a for a, _ in alts[::7]]
    out += [" ".join(p) for p in itertools.permutations(words[:8], 3)]
    out += ["us fed up", "US Fed", "the U.S. and U.K.", "Xi Jinping met Xi", "BOE BoE boe"]
    return out


def test_grouped_finds_what_the_flat_alternation_finds() -> None:
    alts = _alts()
    flat, grouped = alias_rx.compile_flat(alts), alias_rx.compile_grouped(alts)
    texts = _edge_texts(alts)
    for line in (FIXTURES / "events" / "events.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        texts += [row["title"], row.get("lead", "")]
    texts += (FIXTURES / "headlines" / "headlines.tsv").read_text("utf-8").splitlines()
    hits = 0
    for t in texts:
        want = _spans(flat, t)
        assert _spans(grouped, t) == want, t
        hits += len(want)
    assert hits > 5000  # the texts do exercise the aliases


def test_evidence_uses_the_grouped_regex() -> None:
    assert evidence.latin_re().pattern == alias_rx.compile_grouped(_alts()).pattern


def test_no_alias_starts_with_a_character_beyond_the_bmp() -> None:
    """compile_grouped scans only the Basic Multilingual Plane for case equivalents."""
    alts = _alts()
    firsts = {a[0] for a, _ in alts}
    cls = re.compile(f"(?i:[{''.join(re.escape(c) for c in sorted(firsts))}])")
    astral = "".join(map(chr, range(0x10000, 0x110000)))
    assert cls.search(astral) is None
    # …and the scan does find the non-ASCII case equivalents of the first letters.
    assert {"\u212a", "\u017f"} <= set(alias_rx._starters(alts))


def test_month_dates_match_as_with_the_flat_alternation() -> None:
    """evidence's month-day regex uses the grouped months: the same spans and groups as the
    flat any-case alternation it replaced."""
    # Case-sensitive first letters are what the engine skips fast: no global IGNORECASE.
    assert not evidence._EN_DATE_MD.flags & re.IGNORECASE
    months = sorted(evidence._MONTHS, key=len, reverse=True)
    flat = re.compile(rf"\b({'|'.join(months)})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", re.I)
    texts = [
        f"{pre}{m}{dot}{sp}{d}{suf}{post}"
        for m in [*months, *(m.upper() for m in months), *(m.title() for m in months)]
        for pre, post in (("", ""), ("on ", "."), ("x", " y"))
        for dot in ("", ".")
        for sp in (" ", "  ", "")
        for d in ("5", "26", "123")
        for suf in ("", "th", "TH", "St", "nd!", "rdx")
    ]
    texts += ["\u017fept 5", "Jul\u0131 4", "mar. 3rd, may 4 june 5th", "Sept. 30th and Sep 1"]
    for line in (FIXTURES / "events" / "events.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        texts += [row["title"], row.get("lead", "")]
    hits = 0
    for t in texts:
        want = [(m.span(), m.groups()) for m in flat.finditer(t)]
        assert [(m.span(), m.groups()) for m in evidence._EN_DATE_MD.finditer(t)] == want, t
        hits += len(want)
    assert hits > 1000


def test_a_month_spelt_with_a_unicode_look_alike_gives_no_date_and_no_error() -> None:
    """``ſept`` and ``aprıl`` match the any-case month regex (ſ ~ s, ı ~ i) but are no month
    names: untrusted feed text must not raise (a KeyError failed the cluster batch)."""
    ev = evidence.extract("Storm on \u017fept 5", "Rain from 4 \u017feptember to apr\u0131l 9.")
    assert not {k for k in ev.keys if k.startswith("date:")}
    assert "date:09-05" in evidence.extract("Storm on Sept 5").title_keys
    assert "date:04-09" in evidence.extract("x", "Rain from 4 September to april 9.").text_keys


def test_number_date_and_index_patterns_match_their_plain_forms() -> None:
    """evidence's number, date and index-name regexes begin with a character and assert the
    boundary after it (so ``re`` skips positions in C): the same spans and groups as the plain
    forms with the assertion first, on fixture texts and random runs of their edge cases."""
    import random

    months = "|".join(sorted(evidence._MONTHS, key=len, reverse=True))
    plain = {
        "_NUM": re.compile(
            r"(?<![A-Za-z0-9.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*"
            + evidence._NUM.pattern.split(r")\s*", 1)[1],
            re.I,
        ),
        "_EN_DATE_MD": re.compile(rf"\b({months})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", re.I),
        "_EN_DATE_DM": re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({months})\b", re.I),
        "_ZH_DATE": re.compile(r"(\d{1,2})月(\d{1,2})[日号]"),
        "_INDEX_NAME": re.compile(rf"(?:{'|'.join(evidence._INDEX_NAMES)})\s*-?\s*\d{{2,4}}", re.I),
    }
    pieces = [
        *("1", "12", "123", "1,234", "3.5", "2024", "Sept", "sept", "\u017fept", "May", "MAY"),
        *("mar.", "Dec", "5th", "21ST", " ", ".", ",", "a", "_", "x1", "月", "日", "号", "中"),
        *("%", " percent", " points", "\n", "-", "\u0663", "S&P ", "s&p", "NIKKEI", "标普"),
    ]
    rnd = random.Random(5)
    texts = ["".join(rnd.choices(pieces, k=rnd.randint(1, 10))) for _ in range(20000)]
    for line in (FIXTURES / "events" / "events.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        texts += [row["title"], row.get("lead", "")]
    for name, ref in plain.items():
        rx = getattr(evidence, name)
        hits = 0
        for t in texts:
            want = [
                (m.span(), *(m.span(i) for i in range(1, ref.groups + 1))) for m in ref.finditer(t)
            ]
            got = [
                (m.span(), *(m.span(i) for i in range(1, rx.groups + 1))) for m in rx.finditer(t)
            ]
            assert got == want, (name, t)
            hits += len(want)
        assert hits > 10, name
