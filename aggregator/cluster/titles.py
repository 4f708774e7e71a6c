"""Cluster stage: an event's headline: the most central member headline, preferred language
first (pure, no I/O)."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from aggregator.cluster.clusterer import ClusterMember
    from aggregator.cluster.index import VectorIndex

FloatVector = npt.NDArray[np.float32]


@functools.lru_cache(maxsize=1024)
def base_lang(lang: str) -> str:
    """``zh-Hant`` → ``zh``: Traditional and Simplified count as one language for scoring."""
    return (lang or "und").split("-")[0].split("_")[0].lower()


#: Events up to this size rank their headlines from the Gram matrix, as always; bigger ones use
#: the linear form in :func:`central_order` (an event of 700 members: 0.4 MB of work instead
#: of 250M multiply-adds per retitle).
GRAM_MAX_MEMBERS = 64


def central_order(vecs: FloatVector | npt.NDArray[np.float64]) -> list[int]:
    """Member indices, most central first (mean cosine to the other members, stable).

    Small events: row sums of the float32 Gram matrix. Above GRAM_MAX_MEMBERS, Σ_j v_i·v_j =
    v_i·(Σ_j v_j), one matrix-vector product in float64. The two agree except on near-ties at
    float32 noise (in a two-member event both members tie exactly in real arithmetic and the
    rounding of ‖v‖² picks one), so small events keep the Gram form and their titles.
    """
    n = len(vecs)
    if n <= GRAM_MAX_MEMBERS:
        centrality = ((vecs @ vecs.T).sum(axis=1) - 1.0) / max(1, n - 1)
    else:
        v64 = np.asarray(vecs, dtype=np.float64)
        centrality = v64 @ v64.sum(axis=0)
    order: list[int] = np.argsort(-centrality, kind="stable").tolist()
    return order


def central_order_of(index: VectorIndex, rows: list[int]) -> list[int]:
    """:func:`central_order` of the members at ``rows`` of ``index``: ``[0]`` for one member
    (no gather); a large event's vectors gathered as float64 (``VectorIndex.vectors64``: the
    values it casts them to, without a float32 copy beside them)."""
    n = len(rows)
    if n == 1:
        return [0]
    return central_order(index.vectors64(rows) if n > GRAM_MAX_MEMBERS else index.vectors(rows))


def central_slack(n: int, dim: int) -> float:
    """Bound on how far :func:`_blocked_centrality` may lie from :func:`central_order`'s linear
    form (``v64 @ v64.sum(axis=0)``: the same sums, other BLAS calls, so other last bits) for
    ``n`` unit rows of ``dim`` dimensions. Either lies within u·n·(dim + n·√dim) of the exact
    sum (u = 2⁻⁵³: the row sum's rounding, ≤ n·u·Σ_i|v_ij| per component, carried through a
    unit row, plus the dot product's, ≤ dim·u·‖s‖ ≤ dim·u·n); twice that, with a margin of 4."""
    return 8.0 * 2.0**-53 * n * (dim + n * math.sqrt(dim))


def _blocked_centrality(index: VectorIndex, rows: list[int]) -> npt.NDArray[np.float64]:
    """Each member's Σ_j v_i·v_j (float64), :data:`~aggregator.cluster.index.GATHER_ROWS`
    members gathered at a time: no n × dim float64 copy of a large event (2.7 MB at 659
    members) at once. Within :func:`central_slack` of the linear form."""
    from aggregator.cluster.index import GATHER_ROWS

    total = np.zeros(index.dim)
    for a in range(0, len(rows), GATHER_ROWS):
        total += index.vectors64(rows[a : a + GATHER_ROWS]).sum(axis=0)
    out = np.empty(len(rows))
    for a in range(0, len(rows), GATHER_ROWS):
        out[a : a + GATHER_ROWS] = index.vectors64(rows[a : a + GATHER_ROWS]) @ total
    return out


def _certain_best(
    centrality: npt.NDArray[np.float64], among: npt.NDArray[np.bool_] | None, slack: float
) -> int | None:
    """The member (of those ``among`` marks; None: all) that the exact centrality ranks first
    (the highest, the earliest of equals), when ``centrality`` (each within ``slack`` of the
    exact value) settles it: no other such member lies within 2·slack of the best; else
    None."""
    vals = centrality if among is None else np.where(among, centrality, -np.inf)
    best = int(np.argmax(vals))
    if np.count_nonzero(vals >= vals[best] - 2.0 * slack) != 1:
        return None
    return best


def representative_of(
    index: VectorIndex,
    rows: list[int],
    langs: Sequence[str],
    titles: Sequence[str],
    preferred_language: str,
) -> tuple[str, str | None]:
    """:func:`pick_titles` of :func:`central_order_of` for the members at ``rows`` of
    ``index``. A large event's two picks come from :func:`_blocked_centrality` whenever it
    settles them (each pick ahead of its runner-up by more than the slack: the linear form,
    within the slack, ranks it first too); else, and for small events, from the full order.
    """
    n = len(rows)
    if n > GRAM_MAX_MEMBERS:
        picks = _blocked_picks(index, rows, langs, preferred_language)
        if picks is not None:
            main_idx, alt_idx = picks
            return titles[main_idx], (titles[alt_idx] if alt_idx is not None else None)
    return pick_titles(central_order_of(index, rows), langs, titles, preferred_language)


def _blocked_picks(
    index: VectorIndex, rows: list[int], langs: Sequence[str], preferred_language: str
) -> tuple[int, int | None] | None:
    """:func:`pick_titles`' two indices from :func:`_blocked_centrality`, or None when it does
    not settle them. Language masks are built only for an event of several languages."""
    cent = _blocked_centrality(index, rows)
    if not np.isfinite(cent).all():
        return None
    slack = central_slack(len(rows), index.dim)
    base_of = {x: base_lang(x) for x in set(langs)}
    if len(set(base_of.values())) == 1:  # one language: the most central member, no alt
        main_idx = _certain_best(cent, None, slack)
        return None if main_idx is None else (main_idx, None)
    arr = np.asarray(langs)
    pref = base_lang(preferred_language)
    pref_langs = [x for x, b in base_of.items() if b == pref]
    main_idx = _certain_best(cent, np.isin(arr, pref_langs) if pref_langs else None, slack)
    if main_idx is None:
        return None
    main_base = base_of[langs[main_idx]]
    other = np.isin(arr, [x for x, b in base_of.items() if b != main_base])
    alt_idx = _certain_best(cent, other, slack)
    return None if alt_idx is None else (main_idx, alt_idx)


def pick_titles(
    order: Sequence[int], langs: Sequence[str], titles: Sequence[str], preferred_language: str
) -> tuple[str, str | None]:
    pref = base_lang(preferred_language)
    main_idx = next((i for i in order if base_lang(langs[i]) == pref), order[0])
    main_lang = base_lang(langs[main_idx])
    alt_idx = next((i for i in order if base_lang(langs[i]) != main_lang), None)
    alt = titles[alt_idx] if alt_idx is not None else None
    return titles[main_idx], alt


def representative_title(
    members: Sequence[ClusterMember], preferred_language: str
) -> tuple[str, str | None]:
    """``(title, alt_title)``: the most central headline in the preferred language if any
    member has it, else the most central overall; ``alt_title`` is the most central headline
    in another language (None when the event is monolingual)."""
    if not members:
        return "", None
    vecs = np.stack([np.asarray(m.vector, dtype=np.float32) for m in members])
    return pick_titles(
        central_order(vecs),
        [m.lang for m in members],
        [m.title for m in members],
        preferred_language,
    )
