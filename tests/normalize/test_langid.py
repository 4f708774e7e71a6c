"""Tests for normalize.langid on real headlines (tests/fixtures/headlines, see its README).

Measured 2026-11-22 with ``pytest tests/normalize/test_langid.py -s -m "slow or not slow"``
(834 headlines; the langdetect-alone columns come from the ``slow`` test):

| class | n | ours (no hint) | ours + feed hint | langdetect alone | langdetect → ko |
|---|---|---|---|---|---|
| zh-Hans | 321 | 99.4% | 100.0% | 54.2% | 19.0% |
| zh-Hant | 311 | 99.4% | 100.0% | 10.9% | 60.5% |
| en | 162 | 98.1% | 99.4% | 98.1% | 0% |
| ja | 25 | 100.0% | 100.0% | 92.0% | 0% |
| de | 15 | 86.7% | 93.3% | 86.7% | 0% |

The langdetect-as-Korean bug reproduces in direction, not in size (issue: 27% / 92%); our
Traditional set is OpenCC output, not native Traditional text. Floors sit a little under these.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from aggregator.normalize.langid import (
    _langdetect,
    chinese_variant,
    detect_language,
    normalize_tag,
)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "headlines" / "headlines.tsv"
#: Feed language a real feed of each class would declare (the hint).
FEED_HINT = {"zh-Hans": "zh-CN", "zh-Hant": "zh-TW", "en": "en-US", "ja": "ja", "de": "de"}
#: Accuracy floors per class, a little under the measured figures in the docstring.
FLOOR_NO_HINT = {"zh-Hans": 0.97, "zh-Hant": 0.97, "en": 0.95, "ja": 0.95, "de": 0.80}
FLOOR_WITH_HINT = {"zh-Hans": 0.99, "zh-Hant": 0.99, "en": 0.97, "ja": 0.95, "de": 0.85}


def _rows() -> list[dict[str, str]]:
    with FIXTURE.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def measured() -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {k: Counter() for k in ("n", "ours", "hint")}
    for r in _rows():
        label, text = r["label"], r["text"]
        out["n"][label] += 1
        out["ours"][label] += detect_language(text) == label
        out["hint"][label] += detect_language(text, FEED_HINT[label]) == label
    for label, n in out["n"].items():
        print(
            f"{label}: n={n} ours={out['ours'][label] / n:.1%} "
            f"ours+hint={out['hint'][label] / n:.1%}"
        )
    return out


def test_fixture_has_every_class() -> None:
    counts = Counter(r["label"] for r in _rows())
    assert counts["zh-Hans"] >= 300 and counts["zh-Hant"] >= 300 and counts["en"] >= 150
    assert counts["ja"] >= 20


@pytest.mark.parametrize("label", sorted(FLOOR_NO_HINT))
def test_accuracy_floor_per_class(measured: dict[str, Counter[str]], label: str) -> None:
    n = measured["n"][label]
    assert measured["ours"][label] / n >= FLOOR_NO_HINT[label]
    assert measured["hint"][label] / n >= FLOOR_WITH_HINT[label]


@pytest.mark.slow
def test_script_first_beats_langdetect_on_cjk(measured: dict[str, Counter[str]]) -> None:
    """langdetect alone on the same set (~10 s, so marked slow: ``pytest -m slow -s``)."""
    ld = _langdetect()
    alone: Counter[str] = Counter()
    as_ko: Counter[str] = Counter()
    for r in _rows():
        try:
            guess = normalize_tag(ld.detect(r["text"]))
        except ld.lang_detect_exception.LangDetectException:
            guess = "und"
        alone[r["label"]] += guess == r["label"]
        as_ko[r["label"]] += guess == "ko"
    for label, n in measured["n"].items():
        print(f"{label}: langdetect={alone[label] / n:.1%} langdetect->ko={as_ko[label] / n:.1%}")
    for label in ("zh-Hans", "zh-Hant", "ja"):
        assert measured["ours"][label] > alone[label]


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ("微软同意收购 GitHub，用户涌向 GitLab", None, "zh-Hans"),
        ("微軟同意收購 GitHub，用戶湧向 GitLab", None, "zh-Hant"),
        ("中国", None, "zh-Hans"),
        ("中國", None, "zh-Hant"),
        # Only characters shared by both scripts: the hint decides.
        ("中文", "zh-TW", "zh-Hant"),
        ("中文", "zh-CN", "zh-Hans"),
        ("中文", None, "zh-Hans"),
        ("アップル、新型iPadを発表", None, "ja"),
        ("日本の経済", None, "ja"),
        ("삼성전자 3분기 실적 발표", None, "ko"),
        ("한국 經濟", None, "ko"),
        ("Apple announces a new iPad with a faster chip", None, "en"),
        ("Apple Software Foundation bekommt ein neues Logo für die Entwickler", None, "de"),
        # English headline quoting a place name in Han: stays English.
        ("Shanghai (上海) port traffic rises for the third month in a row", None, "en"),
        # Chinese feed, Chinese prefix + English book title: the hint keeps it Chinese.
        ("读书笔记：Modern PHP - New Features and Good Practices", "zh-cn", "zh-Hans"),
        # Too short for langdetect: the hint, else und.
        ("OK", "en-GB", "en"),
        ("OK", None, "und"),
        ("", "fr", "fr"),
        ("", None, "und"),
        ("2026 11 05", None, "und"),
    ],
)
def test_detect_language_examples(text: str, hint: str | None, expected: str) -> None:
    assert detect_language(text, hint) == expected


def test_detect_language_is_repeatable() -> None:
    text = "Tales from the Web side: patterns and best practices"
    assert len({detect_language(text) for _ in range(5)}) == 1


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en-US", "en"),
        ("zh_CN", "zh-Hans"),
        ("zh-TW", "zh-Hant"),
        ("zh-Hant-HK", "zh-Hant"),
        ("zh", "zh-Hans"),
        ("ZH-hk", "zh-Hant"),
        ("", None),
        (None, None),
        ("x-klingon-123", None),
    ],
)
def test_normalize_tag(tag: str | None, expected: str | None) -> None:
    assert normalize_tag(tag) == expected


def test_chinese_variant_counts_changed_characters() -> None:
    # 3 Traditional-only characters against 1 Simplified-only: Traditional wins.
    assert chinese_variant("這個國際会議") == "zh-Hant"
    assert chinese_variant("这个国际會议") == "zh-Hans"


def test_changed_chars_counts_like_the_character_by_character_comparison() -> None:
    from aggregator.normalize.langid import _changed_chars, opencc_converter

    for text in ["", "美国宣布新关税", "美國宣佈新關稅", "乾隆深沈", "后台頭髮", "abc"]:
        for config in ("t2s", "s2t"):
            converted = opencc_converter(config).convert(text)
            assert len(converted) == len(text)
            assert _changed_chars(text, config) == sum(
                a != b for a, b in zip(text, converted, strict=True)
            )


def _variant_with_both_counts(han: str, hint: str | None) -> str:
    """The variant rule with both OpenCC counts always taken (the rule before the shortcut)."""
    from aggregator.normalize.langid import _changed_chars

    traditional, simplified = _changed_chars(han, "t2s"), _changed_chars(han, "s2t")
    if traditional != simplified:
        return "zh-Hant" if traditional > simplified else "zh-Hans"
    return "zh-Hant" if normalize_tag(hint) == "zh-Hant" else "zh-Hans"


def test_variant_shortcut_decides_as_both_counts_on_every_fixture_headline() -> None:
    from aggregator.normalize.langid import _HAN, _han_variant

    rows = [r for r in _rows() if r["label"].startswith("zh")]
    assert len(rows) > 600
    for r in rows:
        han = "".join(_HAN.findall(r["text"]))
        for hint in (None, "zh-CN", "zh-TW", "en"):
            assert _han_variant(han, hint) == _variant_with_both_counts(han, hint), r["text"]


def test_simplified_text_never_builds_the_s2t_converter() -> None:
    """s2t's phrase dictionaries are ~26 MB of RSS; Simplified text without a Traditional-only
    character is zh-Hans whatever s2t would count, so it must not build them."""
    from aggregator.normalize.langid import built_converters, release_converter

    release_converter("s2t")
    assert detect_language("国务院总理主持召开常务会议，部署稳经济措施", "zh-CN") == "zh-Hans"
    assert detect_language("国务院总理主持召开常务会议，部署稳经济措施") == "zh-Hans"
    assert "s2t" not in built_converters()
    assert detect_language("國務院總理主持召開常務會議", "zh-CN") == "zh-Hant"
    assert "s2t" in built_converters()  # Traditional text needs s2t
