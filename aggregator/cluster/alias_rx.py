"""Cluster stage: the one regex that finds Latin aliases in a text, grouped by first character
(pure, no I/O).

The alias table gives ~290 Latin alternatives tried longest first at every word start. Python's
``re`` tries them one by one there: ~0.1 ms per item, the largest cost of entity extraction. A
branch that starts with a plain literal is skipped by the engine after one character compare, so
:func:`compile_grouped` builds ``PREFIX(?:c1(?:rest…)|c2(?:rest…)|…)SUFFIX``: one branch per
character ``c`` that can start an alias, holding the rest of every alternative whose first
character matches ``c`` (under its own case rule), in the original order. At any position only
the branch of the character found there can match, and it tries the same alternatives in the
same order as the flat alternation, backtracking the same way when the suffix fails: the matches
are those of :func:`compile_flat`, which is kept as the reference (``tests/cluster``).

The alias regex goes one level further (``depth=2``): inside a branch, the rests are grouped
by their own first character the same way (when none is empty), so at a word start only the
few alternatives sharing the text's first two characters are tried, not every alternative of
the first (2,738M → 1,215M instructions for the peer workload's 8,000 headlines and leads).
Starting characters whose rests are the same share one branch (``[Ss]…``), which keeps the
pattern no longer than the one-level form was.

Building and compiling the pattern is paid once per process that clusters (~0.1 s at first),
so it is kept cheap: consecutive any-case alternatives of a branch share one ``(?i:…)`` group
(``(?i:a|b)`` tries ``a`` then ``b`` exactly as ``(?i:a)|(?i:b)`` does, backtracking included,
with a third fewer characters for ``re``'s pure-Python parser), and each distinct first
character's case rule is tried once against the starting characters, not once per alias.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Sequence

#: An alternative: the alias text and whether it matches only as written (else any case).
Alt = tuple[str, bool]

#: A Latin alias stands alone: no letter, digit, "_" or "." (U.S.) glued before it, and no
#: letter, digit or "_" after it. Han, kana and hangul are word characters to ``\w`` but not
#: to this boundary: Chinese copy writes acronyms flush against its text ("APEC會場",
#: "Fed宣布降息", "ECB維持利率"), which must still name APEC, the Fed and the ECB.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_PREFIX = rf"(?<![^\W{_CJK}])(?<!\.)"
_SUFFIX = rf"(?![^\W{_CJK}])"


def _pattern(text: str, exact: bool) -> str:
    return re.escape(text) if exact else f"(?i:{re.escape(text)})"


def ordered(alts: Iterable[Alt]) -> list[Alt]:
    """The alternatives in the order the flat alternation tries them: longest pattern first,
    ties in table order."""
    return sorted(alts, key=lambda alt: len(_pattern(*alt)), reverse=True)


def compile_flat(alts: Sequence[Alt]) -> re.Pattern[str]:
    """The plain alternation of ``alts`` (already :func:`ordered`), the reference semantics."""
    return re.compile(f"{_PREFIX}(?:{'|'.join(_pattern(a, e) for a, e in alts)}){_SUFFIX}")


def _starters(alts: Sequence[Alt]) -> list[str]:
    """Every character that some alternative's first character matches, in code point order.

    Case-insensitive letters also match a few non-ASCII characters (``K`` KELVIN SIGN for k,
    ``ſ`` for s, ``ı``/``İ`` for i); those are found by scanning the Basic Multilingual Plane
    with one class of the first characters (a test checks the planes above hold none)."""
    return _matching({a[0] for a, _ in alts}, _bmp())


def _matching(chars: set[str], universe: str) -> list[str]:
    """Every character of ``universe`` that one of ``chars`` matches in any case, and
    ``chars``, in code point order."""
    cls = re.compile(f"(?i:[{''.join(re.escape(c) for c in sorted(chars))}])")
    return sorted(set(cls.findall(universe)) | chars)


@functools.cache
def _bmp() -> str:
    """Every code point of the Basic Multilingual Plane, in order (surrogates included), built
    with C-level byte copies: ~7 ms less per process than 65,536 ``chr`` calls."""
    units = bytearray(4 * 0x10000)  # UTF-32-LE code units; the top two bytes stay 0
    units[0::4] = bytes(range(256)) * 256
    units[1::4] = b"".join(bytes([high]) * 256 for high in range(256))
    return units.decode("utf-32-le", "surrogatepass")


def _alternation(rests: Sequence[Alt]) -> str:
    """``rests`` as alternatives in their order, each run of consecutive any-case ones inside
    one ``(?i:…)``: the same alternatives tried in the same order as ``|``-joined
    :func:`_pattern` s (a group adds no alternative and no backtracking point of its own)."""
    runs = []
    for exact, run in itertools.groupby(rests, key=lambda alt: alt[1]):
        body = "|".join(re.escape(text) for text, _ in run)
        runs.append(body if exact else f"(?i:{body})")
    return "|".join(runs)


def grouped(alts: Sequence[Alt], after_first: str = "", depth: int = 1) -> str:
    """``(?:c1(?:rest…)|c2(?:rest…)|…)``: the alternation of ``alts`` (in their order) grouped
    by first character. At any position it matches what the flat alternation matches, with
    the same backtracking order, whatever follows it in a pattern. ``after_first``: an
    assertion put after each branch's first character (``c1AFTER(?:rest…)``). ``depth`` 2:
    a branch's rests (all non-empty) are grouped again by their own first character, by the
    same argument one character further on."""
    return _grouped(alts, after_first, depth, None, merge=depth > 1)


def _grouped(
    alts: Sequence[Alt], after_first: str, depth: int, universe: str | None, merge: bool
) -> str:
    if universe is None:
        starters = _starters(alts)
        if depth > 1:  # the characters any rest may start with, found in one scan
            later = {a[i] for a, _ in alts for i in range(1, min(depth, len(a)))}
            universe = "".join(_matching(later, _bmp()))
    else:
        starters = _matching({a[0] for a, _ in alts}, universe)
    # Each alternative goes to the branch of every starting character its first character
    # matches under its case rule (one single-character search per distinct first character
    # and rule), in the order of ``alts``.
    matched: dict[Alt, list[str]] = {}
    rests: dict[str, list[Alt]] = {c: [] for c in starters}
    for a, e in alts:
        found = matched.get((a[0], e))
        if found is None:
            found = matched[a[0], e] = re.findall(_pattern(a[0], e), "".join(starters))
        for c in found:
            rests[c].append((a[1:], e))
    # With ``merge``, starting characters with the same rests share one branch (``[Ss]``): at
    # a position only one of them is found, and what follows is tried the same way. Not for a
    # pattern that begins with the group: ``re`` builds its set of the characters a match may
    # start with (and skips the others in C) only from branches that begin with one character.
    heads: dict[tuple[Alt, ...] | str, list[str]] = {}
    for c in starters:
        if rests[c]:
            heads.setdefault(tuple(rests[c]) if merge else c, []).append(c)
    branches = []
    for chars in heads.values():
        rest = rests[chars[0]]
        head = re.escape(chars[0]) if len(chars) == 1 else f"[{''.join(map(re.escape, chars))}]"
        if depth > 1 and len(rest) > 1 and all(text for text, _ in rest):
            inner = _grouped(rest, "", depth - 1, universe, merge=True)
        else:
            inner = f"(?:{_alternation(rest)})"
        branches.append(f"{head}{after_first}{inner}")
    return f"(?:{'|'.join(branches)})"


def compile_grouped(alts: Sequence[Alt]) -> re.Pattern[str]:
    """The alternation of ``alts`` (already :func:`ordered`) grouped by first character and
    then by second; it finds exactly what :func:`compile_flat` finds (see the module
    docstring)."""
    return re.compile(pattern_grouped(alts))


def pattern_grouped(alts: Sequence[Alt]) -> str:
    """:func:`compile_grouped`'s pattern, not compiled."""
    return f"{_PREFIX}{grouped(alts, depth=2)}{_SUFFIX}"
