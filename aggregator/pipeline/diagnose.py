"""Why feeds fail, in words a new user can act on (pure: error text and config in, text out).

Used by the per-poll summary line (``poll``, the daemon's tick), ``aggregator feeds check``
and the status notice on ``index.html`` when nothing has arrived. The error strings come
from :mod:`aggregator.fetch.client` (``refused: cannot resolve …``, ``HTTP 403``,
``connect timeout (15 s)`` …) and the parse stage.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

#: Host of the public RSSHub instance: it answers feed readers with 403 (or a captcha page).
PUBLIC_RSSHUB_HOST = "rsshub.app"
#: How to run RSSHub (its documented Docker image), said wherever a bridged feed fails.
RSSHUB_HOWTO = (
    "run your own RSSHub (e.g. `docker run -d --name rsshub -p 1200:1200 diygod/rsshub`, "
    "see https://docs.rsshub.app/deploy/) and set `[bridges] rsshub = "
    '"http://127.0.0.1:1200"` in config.toml'
)


def failure_reason(error: str) -> str:
    """A short, stable label for a fetch or parse error (the summary's keys)."""
    e = error.lower()
    if "cannot resolve" in e:
        return "cannot resolve host"
    if e.startswith("http "):
        parts = error.split()
        return f"HTTP {parts[1]}" if len(parts) > 1 else "HTTP error"
    if "timeout" in e or "deadline" in e:
        return "timeout"
    if e.startswith("refused"):
        return "address refused"
    if "connection failed" in e or "connect" in e:
        return "connection failed"
    if "exceeds" in e or "too large" in e:
        return "too large"
    if "redirect" in e:
        return "redirect problem"
    if "parse" in e or "not a feed" in e or "xml" in e:
        return "not a feed"
    if "backing off" in e or "retry-after" in e:
        return "backing off"
    return "other error"


@dataclass(frozen=True)
class PollCounts:
    """What one poll did, by outcome; ``failed`` maps a :func:`failure_reason` to a count."""

    ok: int = 0
    not_modified: int = 0
    failed: tuple[tuple[str, int], ...] = ()
    new_items: int = 0
    clustered: int = 0

    @property
    def failures(self) -> int:
        return sum(n for _r, n in self.failed)

    @property
    def total(self) -> int:
        return self.ok + self.not_modified + self.failures


def count_outcomes(
    outcomes: Iterable[tuple[str | None, int | None]], *, new_items: int, clustered: int
) -> PollCounts:
    """``outcomes``: (error, HTTP status) per polled feed."""
    ok = not_modified = 0
    reasons: Counter[str] = Counter()
    for error, status in outcomes:
        if error:
            reasons[failure_reason(error)] += 1
        elif status == 304:
            not_modified += 1
        else:
            ok += 1
    failed = tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
    return PollCounts(ok, not_modified, failed, new_items, clustered)


def summary_line(c: PollCounts) -> str:
    """One line per poll: ``polled 30 feeds: 0 ok, 0 not modified, 30 failed (cannot
    resolve host 30); 0 new items, 0 clustered``, plus a hint when every feed failed alike."""
    failed = f"{c.failures} failed"
    if c.failed:
        failed += " (" + ", ".join(f"{r} {n}" for r, n in c.failed) + ")"
    line = (
        f"polled {c.total} feeds: {c.ok} ok, {c.not_modified} not modified, {failed}; "
        f"{c.new_items} new items, {c.clustered} clustered"
    )
    if c.total and c.failures == c.total:
        line += " — every feed failed; " + (
            "is this machine offline?"
            if dict(c.failed).get("cannot resolve host") == c.total
            else "see `aggregator feeds check`"
        )
    return line


def advice(url: str, error: str, *, bridged: str | None, rsshub_base: str) -> str:
    """What to do about one failing feed."""
    reason = failure_reason(error)
    base_host = (urlsplit(rsshub_base).hostname or "").lower()
    if bridged == "rsshub":
        if base_host == PUBLIC_RSSHUB_HOST or base_host.endswith("." + PUBLIC_RSSHUB_HOST):
            return f"bridged through the public RSSHub, which refuses feed readers: {RSSHUB_HOWTO}"
        if reason in ("cannot resolve host", "connection failed", "timeout"):
            return f"no RSSHub answers at {rsshub_base}: start it, or {RSSHUB_HOWTO}"
        if reason.startswith("HTTP"):
            return (
                f"RSSHub at {rsshub_base} answered {reason}: the route may have changed "
                "(check https://docs.rsshub.app/ for the outlet) or RSSHub needs updating"
            )
    fixes = {
        "cannot resolve host": "the host name does not resolve: check this machine's network "
        "and DNS (offline?), then the URL",
        "connection failed": "the server did not accept a connection: retried with back-off; "
        "if it persists, check the URL",
        "timeout": "the server is slow or unreachable: retried with back-off "
        "([fetch] deadline_s sets the limit)",
        "address refused": "the URL resolves to a private or loopback address; if that is "
        "intended, list its range in [fetch] allowed_networks",
        "too large": "the document is over [fetch] max_bytes",
        "redirect problem": "the redirect chain is too long or leaves the allowed addresses",
        "not a feed": "the URL does not return a feed (an HTML page?): open it in a browser "
        "and find the outlet's RSS/Atom link",
        "backing off": "the server asked us to wait (Retry-After); it is retried later",
    }
    if reason in ("HTTP 404", "HTTP 410"):
        return "the feed is gone or moved: find its new URL on the outlet's site, then " \
            "`aggregator feeds remove` and `aggregator feeds add`"  # fmt: skip
    if reason in ("HTTP 401", "HTTP 403"):
        return (
            "the server refuses us: put a contact in [fetch] user_agent; some outlets block "
            "data-centre addresses or need a bridge (RSSHub)"
        )
    if reason.startswith("HTTP 5") or reason == "HTTP 429":
        return "the server is failing or rate-limiting: retried with back-off"
    return fixes.get(reason, f"unexpected error ({error}): see the log")


@dataclass(frozen=True)
class FeedState:
    """What the status notice needs of one subscribed, enabled feed."""

    title: str
    error: str | None
    fetched: bool
    succeeded: bool
    bridged: str | None


def nothing_arrived_notice(feeds: Iterable[FeedState], *, rsshub_base: str) -> list[str]:
    """Plain-text lines for the page when no event exists yet: why nothing arrived and what
    to do. Empty when there is nothing to explain (every feed works, or none was polled)."""
    feeds = list(feeds)
    if not feeds:
        return ["No subscriptions: add outlines to feeds.opml (or `aggregator feeds add URL`)."]
    if not any(f.fetched for f in feeds):
        return [f"No feed has been fetched yet ({len(feeds)} subscribed): the first poll is due."]
    failing = [f for f in feeds if f.error]
    if not failing:
        return ["Feeds are fetched, but no events have formed yet."]
    reasons = Counter(failure_reason(f.error or "") for f in failing)
    text = ", ".join(f"{r} {n}" for r, n in sorted(reasons.items(), key=lambda kv: -kv[1]))
    lines = [f"Nothing has arrived: {len(failing)} of {len(feeds)} feeds fail ({text})."]
    if reasons.get("cannot resolve host") == len(feeds):
        lines.append("No host name resolves: is this machine offline?")
    bridged = [f for f in failing if f.bridged == "rsshub"]
    if bridged:
        titles = sorted({f.title for f in bridged})
        names = ", ".join(titles[:6]) + (", …" if len(titles) > 6 else "")
        lines.append(
            f"{len(bridged)} bridged feeds ({names}) need an RSSHub: "
            + advice("", bridged[0].error or "", bridged="rsshub", rsshub_base=rsshub_base)
        )
    lines.append("Run `aggregator feeds check` for each failing feed and its fix.")
    return lines


def poll_summary(outcomes: Iterable[tuple[str | None, int | None]], *, new_items: int,
                 clustered: int) -> str:  # fmt: skip
    """:func:`summary_line` of one poll's (error, status) outcomes."""
    return summary_line(count_outcomes(outcomes, new_items=new_items, clustered=clustered))
