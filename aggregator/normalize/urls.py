"""Normalize stage, URL part: a link as published → the canonical URL used as a dedup key (pure).

``canonical_url`` maps the many spellings of one article's address (tracking parameters, ``www.``
and mobile hosts, default ports, percent-encoding, dot-segments, parameter order, fragments) to one
string. It is a *key*, never shown or fetched: ``Item.url`` keeps the link as published.
w3lib does the mechanics (IDNA, percent-encoding, query sorting, dot-segments); the policy —
which parameters and host prefixes are noise — is ours and listed below with the reason for each.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, unquote_plus, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}

#: Host prefixes that name the same site as the bare domain. ``www`` is a DNS convention; ``m`` and
#: ``mobile`` are mobile editions that serve the same article under the same path (m.cnn.com,
#: mobile.twitter.com, m.guancha.cn). Folded only when the rest still has a dot, so ``www.com``
#: stays as it is. ``wap.`` is not folded: Chinese portals use it for different URL schemes.
FOLDED_HOST_PREFIXES = ("www.", "m.", "mobile.")

#: Query parameters that never select content: dropped from the key. Names compare lower-cased.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        # Ad-click ids: Google Ads (gclid, dclid = Display, gbraid/wbraid = iOS), Microsoft Ads,
        # Yandex, Facebook, Instagram share, Twitter/X.
        "gclid", "dclid", "gbraid", "wbraid", "gclsrc", "msclkid", "yclid", "fbclid", "igshid",
        "igsh", "twclid", "ttclid", "li_fat_id",
        # Mailchimp campaign/e-mail ids, HubSpot, Marketo, Vero, Olytics.
        "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "vero_id", "vero_conv",
        "oly_enc_id", "oly_anon_id",
        # Google Analytics cross-domain linker.
        "_ga", "_gl",
        # Webtrends (wt_mc, wt.mc_id), Adobe (s_cid, s_kwcid), AT Internet (xtor).
        "wt_mc", "wt.mc_id", "wt_zmc", "s_cid", "s_kwcid", "xtor",
        # Campaign ids of news sites: cmpid (Le Figaro, Fox), CMP (Guardian), ocid (MSN),
        # ncid (Yahoo), icid (internal campaigns), smid / smtyp (NYTimes share), sr_share (BBC),
        # mbid (Nature), ito (Le Monde), cmp.
        "cmpid", "cmp", "ocid", "ncid", "icid", "smid", "smtyp", "sr_share", "mbid", "ito",
        # Yahoo consent redirect leftovers.
        "guccounter", "guce_referrer", "guce_referrer_sig",
        # Alibaba/Taobao/Weibo page-position trackers.
        "spm", "scm",
        # Share sources: generic, bilibili, Toutiao, WeChat (from=singlemessage/timeline,
        # isappinstalled). ``from`` can select content on search pages, but feed entries link
        # articles, where it is always a share source (solidot, Sina, WeChat).
        "share", "share_source", "share_medium", "share_plat", "share_tag", "share_from",
        "share_token", "shareid", "vd_source", "tt_from", "from", "isappinstalled",
        "wxshare_count", "__twitter_impression", "__tn__",
        # Referrer markers: ref_src (Twitter), ref_url. ``ref`` itself: see REF_IS_CONTENT_HOSTS.
        "ref", "ref_src", "ref_url", "referrer",
        # LinkedIn.
        "trk", "trkcampaign",
        # Facebook share leftovers, affiliate click ids (courlan's list).
        "fb_ref", "fb_source", "fb_action_ids", "fb_action_types", "clickid",
    }
)  # fmt: skip

#: Parameter name prefixes that are tracking: Google/Matomo/Piwik campaigns (utm_*, mtm_*, pk_*),
#: AT Internet (BBC at_medium, at_campaign, at_custom1…), HubSpot (hsa_*).
TRACKING_PARAM_PREFIXES = ("utm_", "mtm_", "pk_", "at_", "hsa_")

#: Hosts where ``ref`` selects content (a git branch or tag), so it stays in the key.
REF_IS_CONTENT_HOSTS = frozenset({"github.com", "gitlab.com", "bitbucket.org", "codeberg.org"})

_CONTROL_CHARS = re.compile(r"[\t\r\n]")
_HOST_CHARS = re.compile(r"[^\x00-\x20/?#@:%\[\]\\]+")
_MULTI_SLASH = re.compile(r"/{2,}")
_SCHEME_FEW_SLASHES = re.compile(r"(https?):/?(?!/)", re.IGNORECASE)
#: Parts that w3lib's ``canonicalize_url`` returns unchanged (no percent sign, no character
#: it quotes, no ";" params, ASCII host, no userinfo, query pairs ``key=value`` only): for
#: these :func:`_plain_key` builds the key itself (the common feed link; ~10x cheaper).
_PLAIN_HOST = re.compile(r"[a-z0-9._-]+(?::[0-9]+)?")
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9/_.~-]*")
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9_.-]+=[A-Za-z0-9_.-]*(?:&[A-Za-z0-9_.-]+=[A-Za-z0-9_.-]*)*")


def _fold_host(host: str) -> str:
    # WHATWG percent-decodes the host ("%31%36%38.…" → "168.…") unless that yields a delimiter.
    decoded = unquote(host)
    if _HOST_CHARS.fullmatch(decoded):
        host = decoded
    host = host.lower().rstrip(".")
    for prefix in FOLDED_HOST_PREFIXES:
        rest = host[len(prefix) :]
        if host.startswith(prefix) and "." in rest and not rest.replace(".", "").isdigit():
            return rest
    return host


def _is_tracking(name: str, host: str) -> bool:
    key = unquote_plus(name).strip().lower()
    if key == "ref" and host in REF_IS_CONTENT_HOSTS:
        return False
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PARAM_PREFIXES)


def _filter_query(query: str, host: str) -> str:
    pairs = [p for p in query.split("&") if p]
    return "&".join(p for p in pairs if not _is_tracking(p.split("=", 1)[0], host))


def canonical_url(url: str, base: str | None = None) -> str | None:
    """The dedup key for ``url`` (resolved against ``base``), or None when it is not http(s)
    or cannot be parsed (never raises).

    >>> canonical_url("HTTPS://www.Example.com:443/a/../b?utm_source=rss&b=2&a=1#top")
    'https://example.com/b?a=1&b=2'
    """
    try:
        return _canonical_url(url, base)
    except (ValueError, UnicodeError):  # bad IPv6 literal, port, IDNA label
        return None


def _canonical_url(url: str, base: str | None) -> str | None:
    if not url:
        return None
    # WHATWG strips tab/CR/LF anywhere and C0/space at both ends; feeds wrap long links.
    url = _CONTROL_CHARS.sub("", url).strip(" \x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c")
    # Links escaped twice in feeds (WordPress writes "&#038;", some feeds "&amp;").
    url = url.replace("&amp;", "&").replace("&#038;", "&").replace("&#38;", "&")
    # WHATWG reads "\\" as "/" before the query in http(s) URLs (browsers follow such links).
    cut = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=len(url))
    url = url[:cut].replace("\\", "/") + url[cut:]
    # "http:example.com" / "http:/example.com": WHATWG reads a special scheme without "//" as
    # authority-first unless it is relative to a base of the same scheme; urlsplit sees a path.
    m = _SCHEME_FEW_SLASHES.match(url)
    if m and (not base or not base.lower().startswith(m.group(1).lower() + ":")):
        url = f"{m.group(1)}://{url[m.end() :]}"
    if base:
        url = urljoin(_CONTROL_CHARS.sub("", base).strip(), url)
    parts = urlsplit(url)
    port = parts.port
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not parts.hostname:
        return None
    host = _fold_host(parts.hostname)
    if not host:
        return None
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    # The key is spelled https (below), so 443 is always a default port, and 80 is one for
    # an http input: canonical_url(canonical_url(x)) == canonical_url(x).
    netloc = host if port in (None, DEFAULT_PORTS[scheme], 443) else f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    userinfo = userinfo.removesuffix(":")  # "user:@" = "user@" (WHATWG)
    if userinfo:  # keep user:pass, drop an empty "@"
        netloc = f"{userinfo}@{netloc}"
    query = _filter_query(parts.query, host)
    # A hashbang (#!/story/123) is the article's route on single-page sites: dropping it would
    # merge every article of the site into one key, so it is kept; other fragments are dropped.
    fragment = parts.fragment if parts.fragment.startswith("!") else ""
    # http and https of one host and path are the same article (sites redirect one to the
    # other; republishers and old feeds keep writing http://): one key, spelled https.
    plain = None if fragment else _plain_key(netloc, parts.path or "/", query)
    if plain is not None:
        return plain
    rebuilt = urlunsplit(("https", netloc, parts.path or "/", query, fragment))
    canon = canonicalize_url(rebuilt, keep_blank_values=True, keep_fragments=bool(fragment))
    # Collapse "//" in the path only (servers treat /a//b as /a/b; Safe Browsing and
    # url-normalize do the same); the query is left alone.
    c = urlsplit(canon)
    path = _MULTI_SLASH.sub("/", c.path) or "/"
    return urlunsplit((c.scheme, c.netloc, path, c.query, c.fragment))


def _plain_key(netloc: str, path: str, query: str) -> str | None:
    """The key w3lib would give ``https://netloc/path?query`` (then "//" collapsed in the
    path) when every part is plain (see ``_PLAIN_*``): the same host, path and pairs, the
    pairs sorted by (key, value); None when a part is not plain (w3lib decides)."""
    if (
        not _PLAIN_HOST.fullmatch(netloc)
        or not _PLAIN_PATH.fullmatch(path)
        or "/." in path  # a dot segment: w3lib resolves it
        or (query and not _PLAIN_QUERY.fullmatch(query))
    ):
        return None
    if "//" in path:
        path = _MULTI_SLASH.sub("/", path)
    if not query:
        return f"https://{netloc}{path}"
    if "&" in query:
        query = "&".join(f"{k}={v}" for k, v in sorted(p.split("=") for p in query.split("&")))
    return f"https://{netloc}{path}?{query}"
