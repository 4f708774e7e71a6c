"""Evidence that tells occurrences apart and keeps follow-ups together (session 7, from the
real-text sets ``bench/realtext/heldout*.tsv``).

Stated dates (``cluster/datekeys.py``): two disasters of one kind whose reports state days
more than a week apart are two occurrences, however alike their wording; a follow-up that
repeats the day, a report within the week and stories without a disaster headline (full of
scheduled days) never conflict on dates. Follow-up figures (``cluster/tolls.py``, index
points and names) are no conflicting numbers."""

from __future__ import annotations

from aggregator.cluster import datekeys
from aggregator.cluster import evidence as entities
from aggregator.cluster.clusterer import evidence_for


def _conflicts(title_a: str, lead_a: str, title_b: str, lead_b: str) -> list[str]:
    a, b = evidence_for(title_a, lead_a), evidence_for(title_b, lead_b)
    return entities.conflicts(a.title_keys, a.keys, b.title_keys, b.keys)


CEBU = (
    "Strong earthquake rocks central Philippines",
    "A magnitude 6.9 earthquake struck off Cebu province late on Sept. 30, officials said.",
)
DAVAO = (
    "Strong earthquake rocks southern Philippines",
    "A magnitude 7.4 earthquake struck off Davao Oriental on Oct. 10, triggering a tsunami "
    "warning.",
)


def test_disasters_stated_on_days_far_apart_conflict() -> None:
    assert datekeys.DATE_KIND in _conflicts(*CEBU, *DAVAO)
    # Chinese dates read the same way ("9月30日" = "Sept. 30").
    zh = ("菲律宾中部发生强烈地震", "菲律宾宿务省外海9月30日晚间发生6.9级地震。")
    assert datekeys.DATE_KIND in _conflicts(*zh, *DAVAO)
    assert datekeys.DATE_KIND not in _conflicts(*zh, *CEBU)


def test_follow_ups_and_nearby_days_do_not_conflict() -> None:
    toll = (
        "Philippine quake death toll rises to 8",
        "The toll from the quakes that struck Davao Oriental on Oct. 10 rose to eight on "
        "Sunday, Oct. 12.",
    )
    assert datekeys.DATE_KIND not in _conflicts(*toll, *DAVAO)  # repeats the day
    later = ("Earthquake survivors wait for aid", "Relief arrived on Oct. 16 in Manay.")
    assert datekeys.DATE_KIND not in _conflicts(*later, *DAVAO)  # within the week
    undated = ("Earthquake rocks southern Philippines", "Buildings collapsed in Manay.")
    assert datekeys.DATE_KIND not in _conflicts(*undated, *CEBU)  # one side states none
    # Month-day keys carry no year: Dec 30 and Jan 2 are three days apart.
    dec = ("Earthquake hits Japan", "A strong quake struck on December 30.")
    jan = ("Japan earthquake toll rises", "By January 2 the toll had risen to 40.")
    assert datekeys.DATE_KIND not in _conflicts(*dec, *jan)


def test_scheduled_days_of_other_stories_never_conflict() -> None:
    """A rate decision's report names the next meeting or an effective day; without a
    disaster headline no date is a conflict candidate."""
    fed = ("Fed cuts rates by a quarter point", "The Fed cut rates on Oct. 29.")
    qt = (
        "Five takeaways from the Fed meeting",
        "The Fed will stop shrinking its balance sheet from December 1.",
    )
    assert _conflicts(*fed, *qt) == []
    assert datekeys.DATE_KIND not in entities.conflict_candidates(
        evidence_for(*qt).title_keys, evidence_for(*qt).keys
    )


def test_follow_up_figures_are_not_conflicting_numbers() -> None:
    """A toll named earlier in its clause ("Death toll in Tibet earthquake rises to 126") is a
    ``toll:`` key like "126 killed"; a market's move in index points and an index's name
    ("S&P 500") are no figures that tell two stories apart."""
    first = ("Tibet earthquake kills 53", "")
    update = ("Death toll in Tibet earthquake rises to 126, rescue work continues", "")
    assert "toll:126" in evidence_for(*update).title_keys
    assert "num" not in _conflicts(*update, *first)
    long_clause = (
        "The death toll from a powerful earthquake that struck China's remote Tibet region on "
        "Tuesday morning rose to at least 126",
        "",
    )
    assert "toll:126" in evidence_for(*long_clause).title_keys
    fed = ("Fed slashes rates, signals slower pace of cuts; Dow plunges more than 1,100 points", "")
    market = ("美股三大股指全线收跌，标普500指数下跌2.95%", "")
    assert "num:1100pt" in evidence_for(*fed).title_keys
    assert "num:500" not in evidence_for(*market).title_keys
    assert _conflicts(*market, *fed) == []
    # Other headline figures keep conflicting (414,000 Florida cases vs 16 million worldwide).
    assert "num" in _conflicts(
        "Florida reports 414,000 cases", "", "World passes 16 million cases", ""
    )


def test_a_named_storm_is_one_occurrence_across_the_countries_it_crosses() -> None:
    """ "Typhoon Yagi" / 台风“摩羯” are ``storm:`` keys; a name introduced in the lead is found
    where it stands alone in the headline; a storm's transliterated name holds no place alias
    (樺加沙 holds 加沙, Gaza); two reports of one storm in two countries do not conflict."""
    assert "storm:yagi" in evidence_for("Typhoon Yagi's death toll in Vietnam rises", "").keys
    ragasa = evidence_for(
        "14 dead in Taiwan as Ragasa lashes Hong Kong", "Typhoon Ragasa, the strongest storm"
    )
    assert "storm:ragasa" in ragasa.title_keys
    zh = evidence_for("颱風樺加沙｜花蓮2死12傷 堰塞湖潰堤", "")
    assert "storm:ragasa" in zh.title_keys  # 桦加沙 is listed (storm_names.py)
    assert "country:gaza" not in zh.keys
    assert "country:gaza" in evidence_for("以色列空袭加沙", "").keys
    # Title case: the word after "Typhoon" is not always a name.
    assert not any(
        k.startswith("storm:") for k in evidence_for("Strong Typhoon Makes Landfall", "").keys
    )
    # "台风来袭期间" names no storm (an unquoted name must end at a bar, slash or space).
    assert not any(k.startswith("storm:") for k in evidence_for("台风来袭期间，多地停课", "").keys)
    hainan = evidence_for("超强台风“摩羯”在中国海南文昌登陆", "")
    vietnam = evidence_for("台风“摩羯”已在越南造成254人死亡", "")
    assert entities.same_disaster(hainan.title_keys, vietnam.title_keys)
    conflicts = entities.conflicts(hainan.title_keys, hainan.keys, vietnam.title_keys, vietnam.keys)
    assert "country" in conflicts
    assert entities.within_occurrence(conflicts, hainan.title_keys, vietnam.title_keys) == []
