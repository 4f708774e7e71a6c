"""Normalize stage, language part: headline/summary text → a BCP-47-ish tag (pure).

Script decides first, because langdetect alone labels most Chinese headlines as Korean
(DESIGN.md "Known traps"; measured on tests/fixtures/headlines: see tests/normalize/test_langid.py):
any kana → ``ja``; any hangul → ``ko``; enough Han → Chinese, split into ``zh-Hans`` and
``zh-Hant`` by counting the characters OpenCC would change in each direction. Other text goes
to langdetect (fixed seed, so results repeat); short or ambiguous text falls back to ``hint``
(the feed's declared language). Result is ``und`` when nothing is known.
"""

from __future__ import annotations

import operator
import re
from functools import lru_cache
from typing import Any

from aggregator.normalize import s2t_always
from aggregator.normalize.s2t_always import always_changed

#: Han characters needed before text is called Chinese; one stray 中 in an English headline
#: is not enough. Two covers the shortest real headlines in the fixture ("VLC 发布 ARM64 …").
HAN_MIN_CHARS = 2
#: A Han character carries about one word, a Latin word about 4 letters: text is Chinese when
#: Han characters ≥ Latin letters / 4. Solidot's "Mozilla 邀请用户测试 DNS over HTTPS" (6 Han,
#: 21 Latin) stays Chinese; an English headline quoting "上海" (2 Han, 40+ letters) does not.
LATIN_LETTERS_PER_HAN = 4
#: Below this many letters langdetect is a coin toss (its profiles are 1-3 letter n-grams);
#: the feed's hint wins. Shortest English headline in the fixture is 14 letters.
LANGDETECT_MIN_LETTERS = 12
#: langdetect's top probability needed to overrule the hint. 0.90: on the fixture's English
#: headlines the top guess was right whenever its probability was above 0.9.
LANGDETECT_MIN_PROB = 0.90
#: With no hint, the top guess is taken down to this probability, else ``und``. On the fixture's
#: 177 en/de headlines, 11 had a top guess in 0.57-0.86 and 8 of those were right (169 of the
#: 171 above 0.9): a guess beats ``und``.
LANGDETECT_NO_HINT_MIN_PROB = 0.50

UNDETERMINED = "und"

#: Declared languages written in Latin script: for these a feed's hint is taken as is.
LATIN_SCRIPT_HINTS = frozenset(
    [
        "en",
        "de",
        "fr",
        "es",
        "it",
        "pt",
        "nl",
        "sv",
        "da",
        "no",
        "nb",
        "nn",
        "fi",
        "pl",
        "cs",
        "sk",
        "sl",
        "hr",
        "ro",
        "hu",
        "tr",
        "id",
        "ms",
        "vi",
        "ca",
        "eu",
        "gl",
        "et",
        "lv",
        "lt",
        "sq",
        "tl",
        "sw",
        "af",
        "is",
        "ga",
        "cy",
    ]
)

_KANA = re.compile(r"[\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9d]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_NOT_HAN = re.compile(r"[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_URL = re.compile(r"https?://\S+")

#: Region/script subtags of Chinese hints that mean Traditional characters.
_HANT_HINTS = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


#: OpenCC converters built so far, by config (see :func:`opencc_converter`).
_CONVERTERS: dict[str, Any] = {}


def opencc_converter(config: str) -> Any:
    """One OpenCC converter per config (``t2s``, ``s2t``), built on first use: building one
    reads OpenCC's dictionaries (~10 ms; s2t's phrase dictionaries are 26 MB of RSS, t2s's
    4 MB). Shared with :mod:`aggregator.normalize.item`."""
    conv = _CONVERTERS.get(config)
    if conv is None:
        import opencc

        conv = _CONVERTERS.setdefault(config, opencc.OpenCC(config))
    return conv


def release_converter(config: str) -> None:
    """Forget a built converter, so its dictionaries' memory can be reused; the next call
    of :func:`opencc_converter` for it builds it again. Releasing ``s2t`` drops the set of
    characters that spares building it too (:func:`s2t_always.release`)."""
    _CONVERTERS.pop(config, None)
    if config == "s2t":
        s2t_always.release()


def built_converters() -> frozenset[str]:
    """The configs whose converter is built now."""
    return frozenset(_CONVERTERS)


@lru_cache(maxsize=1)
def _langdetect() -> Any:
    from langdetect import DetectorFactory

    DetectorFactory.seed = 0  # langdetect is random by default; a fixed seed makes it repeat
    import langdetect

    return langdetect


def normalize_tag(tag: str | None) -> str | None:
    """Map a feed's ``lang``/``xml:lang`` (``en-US``, ``zh_CN``, ``ZH-tw``) to our tags."""
    if not tag or not tag.strip():
        return None
    t = tag.strip().replace("_", "-").lower()
    if t.startswith("zh") or t in ("cn", "chinese"):
        return "zh-Hant" if t.startswith(_HANT_HINTS) else "zh-Hans"
    primary = t.split("-", 1)[0]
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None


def _changed_chars(text: str, config: str) -> int:
    """How many characters of ``text`` OpenCC's ``config`` conversion changes."""
    converted = opencc_converter(config).convert(text)
    if converted == text:
        return 0
    if len(converted) == len(text):  # t2s/s2t keep length for almost all phrases
        return sum(map(operator.ne, text, converted))  # C loop: 5x the generator's speed
    return sum(opencc_converter(config).convert(ch) != ch for ch in text)


def chinese_variant(text: str, hint: str | None = None) -> str:
    """``zh-Hant`` when ``text`` has more Traditional-only than Simplified-only characters,
    ``zh-Hans`` when fewer; a tie (only shared characters) follows a Traditional hint."""
    return _han_variant("".join(_HAN.findall(text)), hint)


def _han_variant(han: str, hint: str | None) -> str:
    """:func:`chinese_variant` of the text's Han characters ``han``, joined."""
    traditional = _changed_chars(han, "t2s")
    if traditional == 0 and normalize_tag(hint) != "zh-Hant":
        # No Traditional-only character: zh-Hans whatever s2t counts (more Simplified-only
        # characters, or a tie without a Traditional hint). Most Chinese text ends here, and
        # never builds the s2t converter: its phrase dictionaries are 26 MB of the poll
        # process's RSS (measured on bench/peer.py's workload).
        return "zh-Hans"
    if traditional < sum(map(always_changed().__contains__, han)):
        # s2t would change more characters than t2s did (at least these, wherever they
        # stand: normalize/s2t_always.py): Simplified, whatever the hint, without building
        # s2t for the Simplified texts that carry a stray Traditional-only character.
        return "zh-Hans"
    simplified = _changed_chars(han, "s2t")
    if traditional != simplified:
        return "zh-Hant" if traditional > simplified else "zh-Hans"
    return "zh-Hant" if normalize_tag(hint) == "zh-Hant" else "zh-Hans"


def _by_langdetect(text: str, hint: str | None) -> str:
    if hint in LATIN_SCRIPT_HINTS:
        # The feed declares a Latin-script language and the text is Latin script (CJK was
        # decided above): trust the publisher. langdetect costs ~7 ms a call — 61% of the
        # poll loop's CPU in bench/poll.py — and with a hint it was right on 161 of the
        # fixture's 162 English headlines, the one miss being langdetect overruling the
        # correct hint (tests/normalize/test_langid.py: 99.4% before this rule, 100% after).
        return hint
    letters = sum(ch.isalpha() for ch in text)
    if letters < LANGDETECT_MIN_LETTERS:
        return hint or UNDETERMINED
    ld = _langdetect()
    try:
        guesses = ld.detect_langs(text)
    except ld.lang_detect_exception.LangDetectException:  # no usable features
        return hint or UNDETERMINED
    top = guesses[0]
    if top.prob < (LANGDETECT_MIN_PROB if hint else LANGDETECT_NO_HINT_MIN_PROB):
        return hint or UNDETERMINED
    return normalize_tag(str(top.lang)) or UNDETERMINED


def detect_language(text: str, hint: str | None = None) -> str:
    """Language of ``text``: ``zh-Hans``, ``zh-Hant``, ``ja``, ``ko``, ``en``, ``de``, … or ``und``.

    ``hint`` is the feed's declared language, used when the text is too short or ambiguous.
    """
    norm_hint = normalize_tag(hint)
    text = _URL.sub(" ", text or "")
    if text.isascii():  # no kana, hangul or Han: the four scans below would find nothing
        return _by_langdetect(text, norm_hint)
    if _KANA.search(text):
        return "ja"
    if _HANGUL.search(text):
        return "ko"
    # The Han characters joined, as "".join(_HAN.findall(text)) without a string per character.
    han_text = _NOT_HAN.sub("", text)
    han = len(han_text)
    # A Chinese feed's "读书笔记：Modern PHP - New Features…" is Chinese despite the English.
    zh_hint = norm_hint is not None and norm_hint.startswith("zh")
    # The Latin letters are counted only when they decide: never for text without Han.
    if han >= HAN_MIN_CHARS and (
        zh_hint or han * LATIN_LETTERS_PER_HAN >= len(_LATIN.findall(text))
    ):
        return _han_variant(han_text, norm_hint)
    if han and not _LATIN.search(text):  # a lone Han character and nothing else
        return _han_variant(han_text, norm_hint)
    return _by_langdetect(text, norm_hint)
