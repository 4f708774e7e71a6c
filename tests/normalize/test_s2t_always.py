"""The characters OpenCC's s2t changes wherever they stand (normalize/s2t_always.py): derived
again from the installed dictionaries, a lower bound of s2t's count on real text, and the
variant decided without building s2t when that bound settles it (issue 16: s2t's
dictionaries were 26 MB of the poll pass's refresh-stage peak)."""

from __future__ import annotations

import csv
import json
import random
import subprocess
from pathlib import Path

import pytest

from aggregator.normalize import s2t_always
from aggregator.normalize.langid import (
    _HAN,
    _changed_chars,
    _han_variant,
    built_converters,
    detect_language,
    normalize_tag,
    release_converter,
)

FIXTURES = Path(__file__).parents[1] / "fixtures"


def _dump(name: str, tmp_path: Path) -> list[tuple[str, list[str]]]:
    """One of OpenCC's dictionaries as ``(key, values)``, dumped by the wheel's own tool."""
    folder = Path(str(s2t_always.share_dir()))
    tool = folder.parents[1] / "bin" / "opencc_dict"
    out = tmp_path / f"{name}.txt"
    subprocess.run(
        [str(tool), "-i", str(folder / f"{name}.ocd2"), "-o", str(out), "-f", "ocd2", "-t", "text"],
        check=True,
        capture_output=True,
    )
    entries = []
    for line in out.read_text(encoding="utf-8").splitlines():
        if line:
            key, _, values = line.partition("\t")
            entries.append((key, values.split(" ")))
    return entries


def test_the_table_is_derived_from_the_installed_dictionaries(tmp_path: Path) -> None:
    config = json.loads((s2t_always.share_dir() / "s2t.json").read_text(encoding="utf-8"))
    assert {d["file"] for d in _dict_files(config)} == set(s2t_always.S2T_FILES[1:])
    derived = s2t_always.derive(
        _dump("STCharacters", tmp_path),
        _dump("STPhrases", tmp_path) + _dump("STPhrases_GeneratedFromRegionalPhrases", tmp_path),
        _dump("CJK_Compatibility_Ideographs", tmp_path),
    )
    assert len(derived) > 3000
    assert derived == frozenset(s2t_always.ALWAYS_TEXT)
    assert len(s2t_always.ALWAYS_TEXT) == len(derived)  # each character once
    assert s2t_always.dict_sha256() == s2t_always.DICT_SHA256
    assert s2t_always.always_changed() == derived


def _dict_files(node: object) -> list[dict[str, str]]:
    """Every ``{"type": "ocd2", "file": …}`` in an OpenCC config."""
    if isinstance(node, dict):
        found = [node] if "file" in node else []
        return found + [f for v in node.values() for f in _dict_files(v)]
    if isinstance(node, list):
        return [f for v in node for f in _dict_files(v)]
    return []


def test_derive_keeps_only_characters_changed_in_every_entry() -> None:
    chars = [("后", ["後", "后"]), ("发", ["發", "髮"]), ("们", ["們"]), ("国", ["國"])]
    phrases = [("皇后", ["皇后"]), ("国王", ["国王"]), ("我们", ["我們"])]
    assert s2t_always.derive(chars, phrases, [("\uf900", ["豈"])]) == {"发", "们"}
    # a value longer than its key: the conversion would not line up with the text
    assert s2t_always.derive(chars, [*phrases, ("们", ["們們"])], []) == frozenset()


def _texts() -> list[str]:
    """Chinese headlines of the fixtures, event titles and leads, and Simplified text with
    one to three Traditional-only characters mixed in (what the shortcut is for)."""
    with (FIXTURES / "headlines" / "headlines.tsv").open(encoding="utf-8") as f:
        heads = [r["text"] for r in csv.DictReader(f, delimiter="\t")]
    events = [
        json.loads(line) for line in (FIXTURES / "events" / "events.jsonl").read_text().splitlines()
    ]
    texts = heads + [f"{e['title']}\n{e.get('lead', '')}" for e in events]
    rng = random.Random(7)
    simplified = [t for t in texts if _han_of(t) and _changed_chars(_han_of(t), "t2s") == 0]
    stray = "國這個說會後發乾臺裡麵們"
    for t in simplified[:300]:
        chars = list(t)
        for _ in range(rng.randint(1, 3)):
            chars.insert(rng.randrange(len(chars) + 1), rng.choice(stray))
        texts.append("".join(chars))
    return texts


def _han_of(text: str) -> str:
    return "".join(_HAN.findall(text))


def _variant_with_both_counts(han: str, hint: str | None) -> str:
    traditional, simplified = _changed_chars(han, "t2s"), _changed_chars(han, "s2t")
    if traditional != simplified:
        return "zh-Hant" if traditional > simplified else "zh-Hans"
    return "zh-Hant" if normalize_tag(hint) == "zh-Hant" else "zh-Hans"


def test_s2t_changes_at_least_the_table_s_characters_and_the_variant_is_unchanged() -> None:
    table = s2t_always.always_changed()
    decided = 0
    for text in _texts():
        han = _han_of(text)
        if not han:
            continue
        bound = sum(c in table for c in han)
        assert _changed_chars(han, "s2t") >= bound, text
        decided += 0 < _changed_chars(han, "t2s") < bound
        for hint in (None, "zh-CN", "zh-TW"):
            assert _han_variant(han, hint) == _variant_with_both_counts(han, hint), text
    assert decided >= 200  # most stray-character texts are decided by the table (234 of 300)


@pytest.mark.parametrize("hint", [None, "zh-CN", "zh-TW"])
def test_a_stray_traditional_character_does_not_build_s2t(hint: str | None) -> None:
    release_converter("s2t")
    assert detect_language("国务院總理主持召开常务会议，部署稳经济措施", hint) == "zh-Hans"
    assert "s2t" not in built_converters()
    # Mostly Traditional text still needs both counts
    assert detect_language("國務院總理主持召開常務會議", hint) == "zh-Hant"
    assert "s2t" in built_converters()


def test_releasing_s2t_drops_the_set() -> None:
    """A one-shot pass releases s2t after refreshing (pipeline/refresh.py); the set of
    characters (~0.4 MB) goes with it and is built again when next needed."""
    assert detect_language("国务院總理主持召开常务会议", "zh-CN") == "zh-Hans"
    assert s2t_always.always_changed.cache_info().currsize == 1
    release_converter("s2t")
    assert s2t_always.always_changed.cache_info().currsize == 0
    assert detect_language("国务院總理主持召开常务会议", "zh-CN") == "zh-Hans"
