"""Session 12's rules, diagnosed on the development set heldout11 (Xi with Putin and Xi with
Modi on the sidelines of the BRICS summit in Kazan, the summit's declaration; Typhoons Trami
and Kong-rey a week apart): a meeting beside a summit is neither the summit nor another
meeting (``sidelines``), and two named storms are two events (``conflicts.STORM_KIND``). The
headlines below are written for the tests, most about other summits and storms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aggregator.cluster import evidence, sidelines
from aggregator.cluster.clusterer import ClusterInput, EventClusterer
from aggregator.cluster.embed import UseEmbedder, embedding_text, fold_chinese
from aggregator.cluster.weights import default_weights
from aggregator.config import ClusterConfig


def ev(title: str, lead: str = "") -> evidence.Evidence:
    return evidence.extract(fold_chinese(title), fold_chinese(lead))


def conflicts(a: str, b: str, lead_a: str = "", lead_b: str = "") -> list[str]:
    ea, eb = ev(a, lead_a), ev(b, lead_b)
    return evidence.conflicts(ea.title_keys, ea.keys, eb.title_keys, eb.keys)


@pytest.mark.parametrize(
    ("title", "word"),
    [
        ("Xi, Putin hold talks on sidelines of SCO summit", True),
        ("Modi meets Xi in Kazan", True),
        ("Biden and Xi shake hands at APEC", True),
        ("Erdogan, Putin discuss grain deal", True),
        ("习近平会见土耳其总统埃尔多安", True),
        ("習近平同普京舉行會晤", True),
        ("习近平喀山晤普京", True),
        # A summit's own name is no meeting word.
        ("金砖国家领导人第十六次会晤在喀山举行", False),
        ("上海合作组织成员国元首理事会会晤 发表阿斯塔纳宣言", False),
        ("BRICS leaders' meeting adopts declaration", False),
        ("G20 meeting opens in Rio", False),
        ("SCO summit adopts Astana declaration", False),
        ("Xi and Trump at APEC summit", False),
    ],
)
def test_meeting_words(title: str, word: bool) -> None:
    assert (sidelines.KEY in sidelines.keys(fold_chinese(title))) is word


XI_PUTIN = "Xi, Putin hold talks on sidelines of SCO summit in Astana"
XI_ERDOGAN = "Xi meets Erdogan on the sidelines of SCO summit"
DECLARATION = "SCO summit adopts Astana declaration"


def test_two_meetings_beside_one_summit_are_two_meetings() -> None:
    # Session 10 never asked a summit headline's people ("everyone meets everyone"); a
    # headline that reports a meeting is asked, summit or not.
    assert evidence.MEETING_KIND in conflicts(XI_PUTIN, XI_ERDOGAN)
    assert evidence.MEETING_KIND in conflicts("习近平会见土耳其总统埃尔多安", XI_PUTIN)
    # One meeting in two languages, or one more party named: no conflict.
    assert conflicts(XI_PUTIN, "习近平同普京举行会晤") == []
    assert evidence.MEETING_KIND not in conflicts(XI_PUTIN, "Xi meets Putin and Erdogan")


def test_summit_headlines_without_a_meeting_word_stay_unasked() -> None:
    # Session 10's case: no meeting word on either side.
    apec = "Lee Jae-myung welcomes Xi at APEC venue"
    assert evidence.MEETING_KIND not in conflicts("Xi and Trump at APEC summit", apec)
    # But a summit headline's two leaders are asked against a meeting's report.
    assert evidence.MEETING_KIND in conflicts("Putin and Xi at SCO summit", XI_ERDOGAN)


def test_a_meeting_is_not_the_summit() -> None:
    assert sidelines.KIND in conflicts(XI_PUTIN, DECLARATION)
    assert sidelines.KIND in conflicts("习近平会见土耳其总统埃尔多安", "上合组织峰会在阿斯塔纳举行")
    assert sidelines.KIND in conflicts(XI_ERDOGAN, "Putin: SCO summit declaration is a milestone")
    # A summit headline naming two leaders without a meeting word is neither story's.
    assert conflicts("Putin and Xi at SCO summit", DECLARATION) == []
    assert sidelines.KIND not in conflicts("Putin and Xi at SCO summit", XI_PUTIN)
    # Two reports of the summit, or of the meeting: no conflict.
    assert conflicts(DECLARATION, "上合组织峰会在阿斯塔纳举行") == []


def test_an_event_holding_both_kinds_conflicts_with_neither() -> None:
    meeting = sidelines.candidates(ev(XI_PUTIN).title_keys, evidence.SUMMITS)
    summit = sidelines.candidates(ev(DECLARATION).title_keys, evidence.SUMMITS)
    assert meeting and summit and sidelines.conflict(meeting, summit)
    assert not sidelines.conflict(meeting, meeting | summit)
    assert not sidelines.conflict(frozenset(), summit)


def test_no_summit_signature_for_a_meeting_beside_it() -> None:
    def keys(t: str) -> frozenset[str]:
        return ev(t).title_keys

    # Two reports of one summit: its signature.
    assert evidence.same_disaster(keys(DECLARATION), keys("SCO summit opens in Astana"))
    # A meeting on its sidelines is not the summit; two reports of the meeting share its
    # two people instead.
    assert not evidence.same_disaster(keys(XI_PUTIN), keys(DECLARATION))
    assert not evidence.same_disaster(keys(XI_ERDOGAN), keys(XI_PUTIN))
    assert evidence.same_meeting(keys(XI_PUTIN), keys("Putin, Xi meet at SCO summit"))


def test_two_named_storms_are_two_events() -> None:
    trami = "Typhoon Trami death toll rises to 110"
    kong_rey = "Typhoon Kong-rey makes landfall"
    assert evidence.STORM_KIND in conflicts(trami, kong_rey)
    assert evidence.STORM_KIND in conflicts("台风“潭美”已致125人死亡", "超强台风“康妮”登陆台东")
    # One storm in two languages (康芮 / Kong-rey), or a headline naming both: no conflict.
    assert conflicts("強颱康芮登陸", kong_rey) == []
    assert evidence.STORM_KIND not in conflicts("Kong-rey follows Trami", kong_rey)
    # The other storm named in a lead: no conflict either.
    lead = "Typhoon Kong-rey entered the area as Trami left."
    assert evidence.STORM_KIND not in conflicts(trami, kong_rey, lead_a=lead)
    # A local name (PAGASA's Kristine for Trami) is no basin name: never a storm conflict.
    assert evidence.STORM_KIND not in conflicts("Storm Kristine toll rises to 81", trami)


NOW = datetime(2024, 7, 3, 8, 0, tzinfo=UTC)


def test_two_meetings_and_the_summit_are_three_events_with_the_real_model(
    shipped_use: UseEmbedder,
) -> None:
    """With the shipped model and weights: a leader's two meetings beside one summit and the
    summit's declaration stay three events; a second report of each joins its own."""
    use = shipped_use
    stream = [
        (XI_PUTIN, "Chinese President Xi Jinping met Russian President Vladimir Putin in Astana "
         "on the sidelines of the Shanghai Cooperation Organisation summit."),
        (XI_ERDOGAN, "Chinese President Xi Jinping met Turkish President Recep Tayyip Erdogan "
         "in Astana on the sidelines of the Shanghai Cooperation Organisation summit."),
        (DECLARATION, "Leaders of the Shanghai Cooperation Organisation adopted the Astana "
         "declaration at the end of their summit, attended by Xi Jinping and Vladimir Putin."),
        ("习近平同俄罗斯总统普京会晤", "国家主席习近平在阿斯塔纳同俄罗斯总统普京举行会晤。"),
        ("习近平会见土耳其总统埃尔多安", "国家主席习近平在阿斯塔纳会见土耳其总统埃尔多安。"),
    ]
    vecs = use.embed([embedding_text(fold_chinese(t), fold_chinese(lead)) for t, lead in stream])
    cl = EventClusterer(ClusterConfig(), use.dim, weights=default_weights(use.name))
    events = []
    for i, ((title, lead), vec) in enumerate(zip(stream, vecs, strict=True)):
        lang = "zh" if i >= 3 else "en"
        item = ClusterInput(
            i + 1, lang, fold_chinese(title), fold_chinese(lead), NOW + timedelta(hours=i), vec
        )
        out = cl.assign(item, NOW)
        eid = out.event_id if out.event_id is not None else 100 + i
        cl.add_member(item, eid)
        events.append(eid)
    assert len(set(events[:3])) == 3
    assert events[3] == events[0] and events[4] == events[1]
