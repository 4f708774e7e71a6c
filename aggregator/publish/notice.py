"""Publish stage, status notice: a short box on ``index.html`` saying why nothing has
arrived and what to do (pure render). The lines come from
:func:`aggregator.pipeline.diagnose.nothing_arrived_notice`; this module only escapes them
and places the box at the top of the page's ``<main>``, so the page template stays as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

NOTICE_CLASS = "status-notice"


def render_status_notice(lines: Sequence[str]) -> str:
    """The notice as an HTML fragment (empty for no lines); every line escaped."""
    if not lines:
        return ""
    body = "\n".join(f"<p>{escape(line)}</p>" for line in lines)
    return (
        f'<section class="{NOTICE_CLASS}" role="status" style="border:2px solid #b85;'
        f'padding:.5em 1em;margin:1em 0">\n<h2>Why the page is empty</h2>\n{body}\n</section>\n'
    )


def with_status_notice(page: bytes, lines: Sequence[str]) -> bytes:
    """``page`` with the notice first inside ``<main>`` (or right after ``<body>``)."""
    notice = render_status_notice(lines)
    if not notice:
        return page
    html = page.decode("utf-8")
    for marker in ("<main>", "<body>"):
        at = html.find(marker)
        if at >= 0:
            at += len(marker)
            return (html[:at] + "\n" + notice + html[at:]).encode("utf-8")
    return (notice + html).encode("utf-8")
