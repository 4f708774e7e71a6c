"""Cluster stage: towns, suburbs and districts inside the gazetteer's cities and counties, for
telling two local incidents of one metro area apart (pure data, no I/O; session 12).

Written as ``regions``' text blocks (``slug<parent: alias|alias``; the region id is the
block's prefix + ``_`` + slug), parsed and merged into ``regions.REGIONS`` / ``PARENT`` there
(``regions`` is at the 500-line limit, so these and its block parser live here). Each place
names its parent, so a report of "Compton" and one of "Los Angeles County" share the parent's
key and never conflict (``places.regions_conflict`` reads ancestors), while a shooting in
Culver City and one in Compton do (``incidents``).

Sources: Wikipedia's list of the incorporated cities of Los Angeles County (the cities most in
its news); Chinese names in the Xinhua forms where they exist. Left out, or English only,
where a name is something else: "Long Beach" / 长滩 (长滩岛 is Boracay), "Glendale" (also
Arizona's), "Hollywood" / 好莱坞 (the film industry), "Torrance" / 托伦斯 (a surname).
"""

from __future__ import annotations

# fmt: off
LOCAL_BLOCKS: tuple[tuple[str, str, str], ...] = (
    ("us", "us", """
culver_city<los_angeles: Culver City|卡尔弗城; compton<los_angeles: Compton|康普顿
huntington_park<los_angeles: Huntington Park|亨廷顿公园; long_beach<los_angeles: Long Beach
pasadena<los_angeles: Pasadena|帕萨迪纳
santa_monica<los_angeles: Santa Monica|圣莫尼卡|圣塔莫尼卡
inglewood<los_angeles: Inglewood|英格尔伍德; torrance<los_angeles: Torrance
monterey_park<los_angeles: Monterey Park|蒙特利公园
beverly_hills<los_angeles: Beverly Hills|比佛利山|贝弗利山
"""),
)
# fmt: on


def entries(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """``head: a|b; head: c`` → [(head, (a, b)), (head, (c,))]."""
    out = []
    for entry in text.replace("\n", ";").split(";"):
        head, _, names = entry.partition(":")
        if head.strip():
            out.append((head.strip(), tuple(a.strip() for a in names.split("|") if a.strip())))
    return out
