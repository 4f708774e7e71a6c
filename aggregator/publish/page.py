"""Publish stage, HTML page: events and items → self-contained ``index.html`` bytes (pure).

One page, inline CSS, no script, no external resource (no content images either: the page shows
plain-text summaries). Every value is escaped; links pass :func:`safe_url`. Fonts fall back to
CJK families so Chinese headlines render on Linux, macOS and Windows.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime

from aggregator.config import PublishConfig
from aggregator.models import Event
from aggregator.publish.entries import (
    MAX_TITLE_CHARS,
    PublishedItem,
    _mark,
    display_time,
    esc,
    event_link,
    item_time,
    language_name,
    members_html,
    outlet_count,
    parse_time,
    rfc3339,
    safe_link,
    text,
    view_texts,
)

#: ``(slug, title, events)`` of a topic (same shape as :data:`aggregator.publish.TopicEvents`).
TopicEvents = tuple[str, str, Sequence[Event]]

#: Events and items shown on the page (the feeds carry ``publish.max_entries``).
PAGE_MAX_EVENTS = 100
PAGE_MAX_ITEMS = 100
#: Events listed under each topic on the page.
PAGE_TOPIC_EVENTS = 10
#: Plain-text summary shown under an item, in characters.
PAGE_SUMMARY_CHARS = 300

#: Backs up the server's CSP header when the file is opened from disk (OUT-05);
#: ``frame-ancestors`` only works as a header.
PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
    "form-action 'none'; base-uri 'none'"
)

_CSS = """
:root { color-scheme: light dark; --fg: #1d1d1f; --muted: #5f6368; --bg: #fdfdfc;
  --card: #ffffff; --line: #e3e3e0; --accent: #0b57d0; }
@media (prefers-color-scheme: dark) { :root { --fg: #e8e8e6; --muted: #a0a4a8; --bg: #161617;
  --card: #1f1f21; --line: #333336; --accent: #8ab4f8; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); line-height: 1.55;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue",
  Arial, "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "PingFang SC",
  "Hiragino Sans GB", "Microsoft YaHei", sans-serif; }
:lang(zh) { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
  "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", system-ui, sans-serif; }
header, main, footer { max-width: 60rem; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 1.5rem; border-bottom: 1px solid var(--line); }
h1 { margin: 0 0 .25rem; font-size: 1.75rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; padding-bottom: .25rem;
  border-bottom: 2px solid var(--accent); display: inline-block; }
a { color: var(--accent); text-decoration: none; overflow-wrap: anywhere; }
a:hover { text-decoration: underline; }
.meta, time, .feeds { color: var(--muted); font-size: .875rem; }
.feeds a { margin-right: .5rem; }
article { background: var(--card); border: 1px solid var(--line); border-radius: .5rem;
  padding: .9rem 1.1rem; margin: 0 0 .9rem; }
article h3 { margin: 0; font-size: 1.1rem; line-height: 1.4; overflow-wrap: anywhere; }
.alt-title { margin: .15rem 0 0; font-size: 1rem; color: var(--muted); }
h4.lang { margin: .7rem 0 .2rem; font-size: .8rem; text-transform: uppercase;
  letter-spacing: .04em; color: var(--muted); }
ul.members { margin: 0; padding-left: 1.1rem; }
ul.members li { margin: .15rem 0; overflow-wrap: anywhere; }
.source { font-weight: 600; }
.summary { margin: .35rem 0 0; overflow-wrap: anywhere; }
.badge { display: inline-block; font-size: .75rem; border: 1px solid var(--line);
  border-radius: 1rem; padding: 0 .5rem; margin-left: .25rem; color: var(--muted); }
.machine { color: var(--muted); font-weight: normal; font-size: .75rem; }
section.topic { background: var(--card); border: 1px solid var(--line); border-radius: .5rem;
  padding: .6rem 1.1rem; margin: 0 0 .9rem; }
section.topic h3 { margin: 0; font-size: 1.05rem; }
ul.topic-events { margin: .3rem 0 0; padding-left: 1.1rem; }
footer { color: var(--muted); font-size: .8rem; padding: 2rem 1.25rem; }
"""


def _link(url: str | None, label: str) -> str:
    safe = safe_link(url)
    if not safe:
        return label
    return f'<a href="{html.escape(safe, quote=True)}" rel="noopener noreferrer">{label}</a>'


def _time(dt: datetime | None) -> str:
    return f'<time datetime="{rfc3339(dt)}">{display_time(dt)}</time>' if dt else ""


def _event_html(event: Event, cfg: PublishConfig, anchor: str = "event") -> str:
    texts = view_texts(event)
    parts = [f'<article class="event" id="{anchor}-{int(event.id)}">']
    link = event_link(event)
    for i, (lang, title, summary, t_machine, s_machine) in enumerate(texts):
        attr = f' lang="{esc(lang)}"' if lang else ""
        head = esc(text(title, MAX_TITLE_CHARS)) or "(untitled)"
        if i == 0:
            parts.append(f"<h3{attr}>{_link(link, head)}{_mark(t_machine)}</h3>")
        else:
            parts.append(f'<p class="alt-title"{attr}>{head}{_mark(t_machine)}</p>')
        if summary:
            parts.append(
                f'<p class="summary"{attr}>{esc(text(summary, PAGE_SUMMARY_CHARS))}'
                f"{_mark(s_machine)}</p>"
            )
    if not texts:
        parts.append(f"<h3>{_link(link, '(untitled)')}</h3>")
    n, k = len(event.members), outlet_count(event)
    langs = ", ".join(language_name(c) for c in sorted({text(m.lang) for m in event.members}))
    when = parse_time(event.view.published_at if event.view else event.first_seen_at)
    parts.append(
        f'<p class="meta">{k} outlet{"s" if k != 1 else ""} · {n} report{"s" if n != 1 else ""}'
        f" · {esc(langs)} · {_time(when)} · updated {_time(parse_time(event.updated_at))}</p>"
    )
    parts.append(members_html(event, cfg.preferred_language))
    parts.append("</article>")
    return "\n".join(parts)


def _topics_html(topics: Sequence[TopicEvents], cfg: PublishConfig) -> str:
    """A section per topic: its feeds and its newest events (headlines only)."""
    out = []
    for slug, title, events in topics:
        feeds = " ".join(
            f'<a href="topics/{esc(slug)}.{ext}">{label}</a>'
            for ext, label in (("atom", "Atom"), ("rss", "RSS"), ("json", "JSON"))
        )
        n = len(events)
        rows = []
        for e in events[:PAGE_TOPIC_EVENTS]:
            heads = " / ".join(
                f"<span{f' lang={chr(34)}{esc(lang)}{chr(34)}' if lang else ''}>"
                f"{esc(text(t, MAX_TITLE_CHARS))}</span>{_mark(m)}"
                for lang, t, _s, m, _sm in view_texts(e)
            )
            k = outlet_count(e)
            rows.append(
                f'<li><a href="#event-{int(e.id)}">{heads or "(untitled)"}</a> '
                f'<span class="meta">{k} outlet{"s" if k != 1 else ""}</span></li>'
            )
        body = (
            '<ul class="topic-events">' + "".join(rows) + "</ul>"
            if rows
            else "<p>No events yet.</p>"
        )
        out.append(
            f'<section class="topic" id="topic-{esc(slug)}"><h3>{esc(title or slug)} '
            f'<span class="badge">{n} event{"s" if n != 1 else ""}</span></h3>'
            f'<p class="feeds">{feeds}</p>{body}</section>'
        )
    return "\n".join(out)


def _item_html(item: PublishedItem) -> str:
    lang = esc(item.lang)
    title = esc(text(item.title, MAX_TITLE_CHARS)) or "(untitled)"
    parts = [f'<article class="item" id="item-{int(item.id)}" lang="{lang}">']
    parts.append(f"<h3>{_link(item.url, title)}</h3>")
    meta = []
    if text(item.source_title):
        meta.append(f'<span class="source">{_link(item.source_url, esc(item.source_title))}</span>')
    if item.author and text(item.author) != text(item.source_title):
        meta.append(esc(item.author))
    meta.append(_time(item_time(item)))
    meta.append(esc(language_name(item.lang)))
    line = " · ".join(m for m in meta if m)
    if item.duplicate_count:
        others = ", ".join(esc(src) for src, _ in item.duplicates[:5])
        line += f' <span class="badge" title="{others}">+{item.duplicate_count} duplicate'
        line += f"{'s' if item.duplicate_count != 1 else ''}</span>"
    if item.event_id is not None:
        line += f' <a class="badge" href="#event-{int(item.event_id)}">event</a>'
    if line:
        parts.append(f'<p class="meta">{line}</p>')
    if item.summary:
        parts.append(f'<p class="summary">{esc(text(item.summary, PAGE_SUMMARY_CHARS))}</p>')
    parts.append("</article>")
    return "\n".join(parts)


def render_page(
    events: Sequence[Event],
    items: Sequence[PublishedItem],
    cfg: PublishConfig,
    now: datetime,
    topics: Sequence[TopicEvents] = (),
) -> bytes:
    """The whole page: header with feed links, topics, events (newest update first), then
    items."""
    evs = sorted(events, key=lambda e: (parse_time(e.updated_at) or now, e.id), reverse=True)
    evs = evs[:PAGE_MAX_EVENTS]
    its = sorted(items, key=lambda i: (item_time(i) or now, i.id), reverse=True)
    its = its[:PAGE_MAX_ITEMS]
    title = esc(cfg.title) or "Aggregator"
    feeds = " ".join(
        f'<a href="{name}">{label}</a>'
        for name, label in (
            ("events.atom", "Events Atom"),
            ("events.rss", "RSS"),
            ("events.json", "JSON"),
            ("items.atom", "Items Atom"),
            ("items.rss", "RSS"),
            ("items.json", "JSON"),
            ("digest.atom", "Daily digest Atom"),
            ("digest.rss", "RSS"),
            ("digest.json", "JSON"),
        )
    )
    alternates = "\n".join(
        f'<link rel="alternate" type="{mime}" href="{name}" title="{title} {label}">'
        for name, mime, label in (
            ("events.atom", "application/atom+xml", "events"),
            ("events.rss", "application/rss+xml", "events"),
            ("events.json", "application/feed+json", "events"),
            ("items.atom", "application/atom+xml", "items"),
        )
    )
    body_events = "\n".join(_event_html(e, cfg) for e in evs) or "<p>No events yet.</p>"
    body_items = "\n".join(_item_html(i) for i in its) or "<p>No items yet.</p>"
    topics_html = (
        f'<section id="topics">\n<h2>Topics</h2>\n{_topics_html(topics, cfg)}\n</section>'
        if topics
        else ""
    )
    doc = f"""<!DOCTYPE html>
<html lang="{esc(cfg.preferred_language) or "en"}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{PAGE_CSP}">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
{alternates}
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>{title}</h1>
<p class="feeds">Updated {_time(now)} · {feeds}</p>
</header>
<main>
{topics_html}
<section id="events">
<h2>Events</h2>
{body_events}
</section>
<section id="items">
<h2>Latest items</h2>
{body_items}
</section>
</main>
<footer>{len(evs)} events · {len(its)} items · generated by aggregator</footer>
</body>
</html>
"""
    return doc.encode("utf-8")
