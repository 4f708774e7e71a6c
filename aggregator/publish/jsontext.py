"""Publish stage, JSON text: ``json.dumps(obj, ensure_ascii=False, indent=1)``, byte for byte,
without the standard library's pure-Python indenting encoder (pure, no I/O).

On Python 3.11 ``json.dumps`` with ``indent`` cannot use the C encoder and walks the document
through nested generators (a few chained calls per value); the JSON Feed documents of a
publish hold tens of thousands of values. :func:`dumps_indent1` writes the same text with one
recursive function and the C string escaper. Anything it does not handle exactly as ``json``
does (a non-``str`` key, a non-finite float, another type, a cycle) falls back to
``json.dumps``, so the output (or the error) is always the standard library's.
"""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring  # the C escaper json uses with ensure_ascii=False
from typing import Any

__all__ = ["dumps_indent1", "dumps_indent1_utf8"]


#: Arrays whose line indent is at most this deep (a feed's ``items``) have each element's
#: pieces joined into one string as soon as it is written: a feed's pieces (~50 bytes of
#: object each, tens of thousands of them) were all alive until the final join, ~5 MB over
#: the peer workload's events.json of 1.8 MB (``bench/pass_memory.py --publish-marks``).
#: The text is the same: the same pieces joined in the same order.
JOIN_DEPTH = 2


class _Unsupported(Exception):
    """A value this writer leaves to ``json.dumps``."""


def dumps_indent1(obj: Any) -> str:
    """``json.dumps(obj, ensure_ascii=False, indent=1)``."""
    out: list[str] = []
    try:
        _write(obj, "\n", out)
    except (_Unsupported, RecursionError):
        return json.dumps(obj, ensure_ascii=False, indent=1)
    return "".join(out)


def dumps_indent1_utf8(obj: Any, end: str = "") -> bytes:
    """``(dumps_indent1(obj) + end).encode("utf-8")``, without the whole text as one string
    beside its encoding: each piece is encoded and dropped in turn (a document with Chinese
    text is 2 bytes a character as a string, ~3.5 MB for the peer workload's events.json)."""
    out: list[str] = []
    try:
        _write(obj, "\n", out)
    except (_Unsupported, RecursionError):
        return (json.dumps(obj, ensure_ascii=False, indent=1) + end).encode("utf-8")
    out.append(end)
    out.reverse()
    encoded: list[bytes] = []
    while out:
        encoded.append(out.pop().encode("utf-8"))
    return b"".join(encoded)


def _write(o: Any, nl: str, out: list[str]) -> None:
    """Append ``o``'s text; ``nl`` is a newline and the indent of the line ``o`` is on.
    Type checks in ``json.encoder._make_iterencode``'s order (bool before int)."""
    if isinstance(o, str):
        out.append(encode_basestring(o))
    elif o is None:
        out.append("null")
    elif o is True:
        out.append("true")
    elif o is False:
        out.append("false")
    elif isinstance(o, int):
        out.append(int.__repr__(o))
    elif isinstance(o, float):
        if not math.isfinite(o):
            raise _Unsupported
        out.append(float.__repr__(o))
    elif isinstance(o, (list, tuple)):
        if not o:
            out.append("[]")
            return
        inner = nl + " "
        sep = "[" + inner
        shallow = len(nl) <= JOIN_DEPTH
        for v in o:
            start = len(out)
            out.append(sep)
            _write(v, inner, out)
            if shallow:  # the element's pieces as one string: see JOIN_DEPTH
                out[start:] = ["".join(out[start:])]
            sep = "," + inner
        out.append(nl + "]")
    elif isinstance(o, dict):
        if not o:
            out.append("{}")
            return
        inner = nl + " "
        sep = "{" + inner
        for k, v in o.items():
            if not isinstance(k, str):
                raise _Unsupported
            out.append(sep)
            out.append(encode_basestring(k))
            out.append(": ")
            _write(v, inner, out)
            sep = "," + inner
        out.append(nl + "}")
    else:
        raise _Unsupported
