"""Normalize stage: the punctuation table of :func:`~aggregator.normalize.item.fold_for_matching`
(pure: no I/O) — which Basic Multilingual Plane code points fold to a space (Unicode category
P*, except the kept characters) and which are dropped (category Cf: ZWSP, BOM, soft hyphen).

Classifying all 65,536 code points with :func:`unicodedata.category` cost ~140M instructions
(~40 ms) in every process that folds a text (each ``poll`` that stores an item or publishes).
The classes are data of the Unicode version, so they are shipped here as spans, generated from
:data:`UNIDATA_VERSION`'s database; :func:`spans` returns them only when the running
interpreter's ``unicodedata`` is that version and the kept characters are the ones they were
made with, and computes them otherwise (a newer Python costs the old ~40 ms, never a different
table). ``tests/normalize/test_punct_table.py`` checks the shipped spans against
:func:`computed_spans`; to regenerate them for a new Unicode version, print
``computed_spans("%")`` and update :data:`UNIDATA_VERSION`.
"""

from __future__ import annotations

import unicodedata

#: ``unicodedata.unidata_version`` the shipped spans were generated from (Python 3.11).
UNIDATA_VERSION = "14.0.0"
#: The kept punctuation the shipped spans were generated with (``item._KEEP_PUNCT``).
SHIPPED_KEEP = "%"
#: Kind of a span: its code points fold to a space, or are dropped.
SPACED, DROPPED = 1, 0
#: ``(first, last, kind)`` spans of code points, ascending, each as long as it can be.
SHIPPED_SPANS: tuple[tuple[int, int, int], ...] = (
    (0x0021, 0x0023, 1), (0x0026, 0x002A, 1), (0x002C, 0x002F, 1), (0x003A, 0x003B, 1),
    (0x003F, 0x0040, 1), (0x005B, 0x005D, 1), (0x005F, 0x005F, 1), (0x007B, 0x007B, 1),
    (0x007D, 0x007D, 1), (0x00A1, 0x00A1, 1), (0x00A7, 0x00A7, 1), (0x00AB, 0x00AB, 1),
    (0x00AD, 0x00AD, 0), (0x00B6, 0x00B7, 1), (0x00BB, 0x00BB, 1), (0x00BF, 0x00BF, 1),
    (0x037E, 0x037E, 1), (0x0387, 0x0387, 1), (0x055A, 0x055F, 1), (0x0589, 0x058A, 1),
    (0x05BE, 0x05BE, 1), (0x05C0, 0x05C0, 1), (0x05C3, 0x05C3, 1), (0x05C6, 0x05C6, 1),
    (0x05F3, 0x05F4, 1), (0x0600, 0x0605, 0), (0x0609, 0x060A, 1), (0x060C, 0x060D, 1),
    (0x061B, 0x061B, 1), (0x061C, 0x061C, 0), (0x061D, 0x061F, 1), (0x066A, 0x066D, 1),
    (0x06D4, 0x06D4, 1), (0x06DD, 0x06DD, 0), (0x0700, 0x070D, 1), (0x070F, 0x070F, 0),
    (0x07F7, 0x07F9, 1), (0x0830, 0x083E, 1), (0x085E, 0x085E, 1), (0x0890, 0x0891, 0),
    (0x08E2, 0x08E2, 0), (0x0964, 0x0965, 1), (0x0970, 0x0970, 1), (0x09FD, 0x09FD, 1),
    (0x0A76, 0x0A76, 1), (0x0AF0, 0x0AF0, 1), (0x0C77, 0x0C77, 1), (0x0C84, 0x0C84, 1),
    (0x0DF4, 0x0DF4, 1), (0x0E4F, 0x0E4F, 1), (0x0E5A, 0x0E5B, 1), (0x0F04, 0x0F12, 1),
    (0x0F14, 0x0F14, 1), (0x0F3A, 0x0F3D, 1), (0x0F85, 0x0F85, 1), (0x0FD0, 0x0FD4, 1),
    (0x0FD9, 0x0FDA, 1), (0x104A, 0x104F, 1), (0x10FB, 0x10FB, 1), (0x1360, 0x1368, 1),
    (0x1400, 0x1400, 1), (0x166E, 0x166E, 1), (0x169B, 0x169C, 1), (0x16EB, 0x16ED, 1),
    (0x1735, 0x1736, 1), (0x17D4, 0x17D6, 1), (0x17D8, 0x17DA, 1), (0x1800, 0x180A, 1),
    (0x180E, 0x180E, 0), (0x1944, 0x1945, 1), (0x1A1E, 0x1A1F, 1), (0x1AA0, 0x1AA6, 1),
    (0x1AA8, 0x1AAD, 1), (0x1B5A, 0x1B60, 1), (0x1B7D, 0x1B7E, 1), (0x1BFC, 0x1BFF, 1),
    (0x1C3B, 0x1C3F, 1), (0x1C7E, 0x1C7F, 1), (0x1CC0, 0x1CC7, 1), (0x1CD3, 0x1CD3, 1),
    (0x200B, 0x200F, 0), (0x2010, 0x2027, 1), (0x202A, 0x202E, 0), (0x2030, 0x2043, 1),
    (0x2045, 0x2051, 1), (0x2053, 0x205E, 1), (0x2060, 0x2064, 0), (0x2066, 0x206F, 0),
    (0x207D, 0x207E, 1), (0x208D, 0x208E, 1), (0x2308, 0x230B, 1), (0x2329, 0x232A, 1),
    (0x2768, 0x2775, 1), (0x27C5, 0x27C6, 1), (0x27E6, 0x27EF, 1), (0x2983, 0x2998, 1),
    (0x29D8, 0x29DB, 1), (0x29FC, 0x29FD, 1), (0x2CF9, 0x2CFC, 1), (0x2CFE, 0x2CFF, 1),
    (0x2D70, 0x2D70, 1), (0x2E00, 0x2E2E, 1), (0x2E30, 0x2E4F, 1), (0x2E52, 0x2E5D, 1),
    (0x3001, 0x3003, 1), (0x3008, 0x3011, 1), (0x3014, 0x301F, 1), (0x3030, 0x3030, 1),
    (0x303D, 0x303D, 1), (0x30A0, 0x30A0, 1), (0x30FB, 0x30FB, 1), (0xA4FE, 0xA4FF, 1),
    (0xA60D, 0xA60F, 1), (0xA673, 0xA673, 1), (0xA67E, 0xA67E, 1), (0xA6F2, 0xA6F7, 1),
    (0xA874, 0xA877, 1), (0xA8CE, 0xA8CF, 1), (0xA8F8, 0xA8FA, 1), (0xA8FC, 0xA8FC, 1),
    (0xA92E, 0xA92F, 1), (0xA95F, 0xA95F, 1), (0xA9C1, 0xA9CD, 1), (0xA9DE, 0xA9DF, 1),
    (0xAA5C, 0xAA5F, 1), (0xAADE, 0xAADF, 1), (0xAAF0, 0xAAF1, 1), (0xABEB, 0xABEB, 1),
    (0xFD3E, 0xFD3F, 1), (0xFE10, 0xFE19, 1), (0xFE30, 0xFE52, 1), (0xFE54, 0xFE61, 1),
    (0xFE63, 0xFE63, 1), (0xFE68, 0xFE68, 1), (0xFE6A, 0xFE6B, 1), (0xFEFF, 0xFEFF, 0),
    (0xFF01, 0xFF03, 1), (0xFF05, 0xFF0A, 1), (0xFF0C, 0xFF0F, 1), (0xFF1A, 0xFF1B, 1),
    (0xFF1F, 0xFF20, 1), (0xFF3B, 0xFF3D, 1), (0xFF3F, 0xFF3F, 1), (0xFF5B, 0xFF5B, 1),
    (0xFF5D, 0xFF5D, 1), (0xFF5F, 0xFF65, 1), (0xFFF9, 0xFFFB, 0),
)  # fmt: skip


def computed_spans(keep: str) -> list[tuple[int, int, int]]:
    """The spans from the running ``unicodedata``: category P* but ``keep`` → spaced,
    category Cf → dropped, BMP only."""
    out: list[list[int]] = []
    for cp in range(0x10000):
        cat = unicodedata.category(chr(cp))
        if cat.startswith("P") and chr(cp) not in keep:
            kind = SPACED
        elif cat == "Cf":
            kind = DROPPED
        else:
            continue
        if out and out[-1][1] == cp - 1 and out[-1][2] == kind:
            out[-1][1] = cp
        else:
            out.append([cp, cp, kind])
    return [(a, b, k) for a, b, k in out]


def spans(keep: str) -> tuple[tuple[int, int, int], ...] | list[tuple[int, int, int]]:
    """The shipped spans when they hold for this interpreter and ``keep``, else computed."""
    if unicodedata.unidata_version == UNIDATA_VERSION and keep == SHIPPED_KEEP:
        return SHIPPED_SPANS
    return computed_spans(keep)


def table(keep: str) -> dict[int, str | None]:
    """``str.translate`` table of :func:`spans`, in code-point order: spaced → " ",
    dropped → None (deleted)."""
    out: dict[int, str | None] = {}
    for first, last, kind in spans(keep):
        value = " " if kind == SPACED else None
        for cp in range(first, last + 1):
            out[cp] = value
    return out
