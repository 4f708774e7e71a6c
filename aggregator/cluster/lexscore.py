"""Cluster stage: the lexical feature of a candidate event, and the bound that lets the scorer
skip it (pure, no I/O).

:func:`lexical` is the item's TF-IDF cosine to an event's nearest members and to its keyword
profile (~2.6 cosines per candidate, ~5 µs each). The score is linear in it with a weight
λ ≥ 0, and every float operation of the score is monotone in each operand, so the score
computed with :data:`LEX_UPPER` in place of the feature is an upper bound of the real one. A
candidate whose bound is below both the best score so far and the merge bar can neither win
(the best is replaced only by a strictly higher score) nor be merged: the scorer then skips
its cosines (``EventClusterer._score_event``); on the peer workload 4 candidates in 5.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aggregator.cluster import lexical
from aggregator.cluster.state import EventState, ItemLex
from aggregator.cluster.weights import ScoreWeights

#: Above any cosine of two unit term vectors: ≤ 1 up to rounding (~1e-13 here).
LEX_UPPER = 1.001


def upper(g: float) -> float:
    """Above any lexical feature with the Chinese gloss blend ``g`` (``(1-g)·a + g·b``)."""
    return LEX_UPPER * max(1.0, abs(1 - g) + abs(g))


def _zh(
    nat: lexical.AnyVector,
    vec: lexical.AnyVector,
    nat_of: Mapping[int, lexical.Packed],
    lex: Mapping[int, lexical.Packed],
    row: int,
    g: float,
) -> float:
    """A Chinese pair's lexical cosine: native words, blended with glosses by ``g``."""
    native = lexical.cosine(nat, nat_of[row])
    return (1 - g) * native + g * lexical.cosine(vec, lex[row]) if g else native


def lexical_feature(
    lex: Mapping[int, lexical.Packed],
    nat_of: Mapping[int, lexical.Packed],
    ev: EventState,
    nearest: Sequence[int],
    lexv: ItemLex,
    g: float,
) -> tuple[float, float]:
    """The item's TF-IDF cosine to the event's nearest members (best) and to its keyword
    profile. Two Chinese reports compare their words' own forms (``native``), others the
    shared English-word space. ``lex``/``nat_of``: row → packed member vectors."""
    nat = lexv.native
    lex_member = max(
        (
            _zh(nat, lexv.vector, nat_of, lex, r, g)
            if nat is not None and r in nat_of
            else lexical.cosine(lexv.vector, lex[r])
            for r in nearest
        ),
        default=0.0,
    )
    if nat is not None and ev.native.norm2 > 0:
        lex_profile = ev.native.cosine(nat)
        if g:
            lex_profile = (1 - g) * lex_profile + g * ev.profile.cosine(lexv.vector)
    else:
        lex_profile = ev.profile.cosine(lexv.vector)
    return lex_member, lex_profile


def linear(
    w: ScoreWeights,
    lex: float,
    cos_max: float,
    cos_mean: float,
    lam: float,
    time_f: float,
    shared_w: float,
    sig: bool,
    n_conflicts: int,
    n_num: int,
) -> float:
    """A candidate's linear score (see ``weights``): ``lex`` enters as λ·(lex − lex_pivot);
    ``n_conflicts`` counts the conflicts other than figures (``n_num``)."""
    return float(
        w.w_max * cos_max
        + w.w_mean * cos_mean
        + lam * (lex - w.lex_pivot)
        + w.w_time * (time_f - 1.0)
        + w.w_shared * shared_w
        + w.w_signature * sig
        - w.w_conflict * n_conflicts
        - w.w_num_conflict * n_num
    )
