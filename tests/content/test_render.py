"""Markdown rendering: useful HTML in, nothing executable out."""

from __future__ import annotations

import re

import pytest
from markupsafe import Markup

from kb.content import markdown_to_text, render_markdown
from kb.content.render import sanitize_snippet

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"javascript:alert(1)\">",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<form action=\"https://evil.example\"><input name=x></form>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"  javascript:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](data:text/html,<script>alert(1)</script>)",
    "![img](javascript:alert(1))",
    "![img](x\" onerror=\"alert(1))",
    "<p style=\"background:url(javascript:alert(1))\">styled</p>",
    "<div onclick=\"alert(1)\">click</div>",
    "<body onload=alert(1)>",
    "<object data=\"x.swf\"></object>",
    "<embed src=\"x.swf\">",
    "<link rel=stylesheet href=\"https://evil.example/x.css\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
    "<base href=\"https://evil.example/\">",
    "<style>body{display:none}</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=\"alert(1)\"></video>",
    "<input autofocus onfocus=alert(1)>",
    "<textarea>x</textarea><button formaction=javascript:alert(1)>go</button>",
    "<a href=\"https://ok.example\" onmouseover=\"alert(1)\">hover</a>",
    "<!--<script>alert(1)</script>-->",
    "```html\n<script>alert(1)</script>\n```",
    "<h2 id=\"main\">clobber the skip-link target</h2>",
    "<a href=\"https://ok.example\" target=\"_blank\" rel=\"opener\">x</a>",
]

FORBIDDEN = [
    re.compile(r"<\s*(script|iframe|form|input|button|textarea|object|embed|link|meta|base|"
               r"style|svg|math|video|source|details|body|img)\b", re.I),
    re.compile(r"\son\w+\s*=", re.I),
    re.compile(r"(href|src)\s*=\s*\"?\s*(javascript|data|vbscript):", re.I),
    re.compile(r"\sstyle\s*=", re.I),
]


def test_there_are_at_least_thirty_hostile_inputs():
    assert len(HOSTILE) >= 30


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_input_is_neutralized(payload):
    html = render_markdown(f"Before.\n\n{payload}\n\nAfter.")
    assert isinstance(html, Markup)
    for pattern in FORBIDDEN:
        assert not pattern.search(html), (pattern.pattern, html)
    assert "Before." in html


def test_code_blocks_show_html_as_text():
    html = render_markdown("```\n<script>alert(1)</script>\n```")
    assert "&lt;script&gt;" in html


def test_useful_markdown_survives():
    html = render_markdown(
        "# Title\n\n## Challenge\n\nSome **bold** and *em* and `code`.\n\n"
        "| A | B |\n|---|---|\n| 1 | 2 |\n\n- one\n- two\n\n"
        "[Report](https://example.org/r.pdf) and <mailto:a@example.org>\n")
    assert '<h2 id="s-title">Title</h2>' in html  # the page owns h1
    assert '<h2 id="s-challenge">Challenge</h2>' in html
    assert "<strong>bold</strong>" in html and "<em>em</em>" in html
    assert "<table>" in html and "<td>1</td>" in html
    assert "<li>one</li>" in html
    assert '<a href="https://example.org/r.pdf" rel="nofollow noopener">Report</a>' in html


def test_every_link_gets_nofollow_noopener():
    html = render_markdown("[a](https://a.example) <a href='https://b.example' rel='opener'>b</a>")
    assert html.count('rel="nofollow noopener"') == 2
    assert 'rel="opener"' not in html


def test_heading_ids_cannot_clobber_page_ids():
    html = render_markdown("## main\n\n<h2 id=\"main\">x</h2>")
    assert 'id="main"' not in html
    assert 'id="s-main"' in html


def test_plain_text_for_the_index():
    text = markdown_to_text("## Challenge\n\nSlow **permits** &amp; <script>x()</script> queues")
    assert "<" not in text and "permits & " in text and "Challenge" in text


def test_snippets_keep_only_mark():
    out = sanitize_snippet('a <mark>flood</mark> <img src=x onerror=alert(1)> &lt;b&gt;')
    assert out == 'a <mark>flood</mark>  &lt;b&gt;'


# -- text written to be slow renders in time proportional to its length --------------------

def calls_to_render(text: str) -> int:
    """The work of rendering, counted as Python function calls (not seconds)."""
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    render_markdown(text)
    profiler.disable()
    return sum(entry.callcount for entry in profiler.getstats())


@pytest.mark.parametrize("unit", [
    "[`",            # unclosed link texts with code spans (a 32 KB preview killed a worker)
    "[",             # unclosed link texts
    "![",            # unclosed image texts
    "# a\n",         # headings without blank lines between them
    "---\n",         # rules without blank lines
    "a\n=\n",        # underlined headings
    "> - ",          # quotes and lists nested ever deeper
])
def test_pathological_markdown_takes_work_in_proportion_to_its_length(unit):
    small = calls_to_render(unit * 300)
    large = calls_to_render(unit * 1200)
    assert large < 6 * small          # 4 times the text: about 4 times the work, not 16


def test_pathological_markdown_still_renders_what_it_says():
    assert str(render_markdown("[`" * 2000)).count("<code>[</code>") == 1000
    assert str(render_markdown("[a](https://example.org) " + "[" * 5000)).startswith(
        '<p><a href="https://example.org" rel="nofollow noopener">a</a> [[[')
    assert str(render_markdown("# a\n# a\n# b\n")).count("<h2") == 3
    assert str(render_markdown("a\n=\nb\n-\nc\n")) == "<h2 id=\"s-a\">a</h2>\n<h2 id=\"s-b\">b</h2>\n<p>c</p>"
    deep = str(render_markdown("> " * 5000 + "deep"))
    assert deep.count("<blockquote>") == 10 and "deep" in deep
    assert "&lt;http://a" in str(render_markdown("<http://a " * 3000))
    assert str(render_markdown("<em>kept</em> and <https://example.org>")).count("<a ") == 1



def test_one_converter_per_thread_renders_each_document_as_a_new_one_would():
    """The converter is reused from document to document: nothing of one document (heading
    ids, stashed HTML, remembered matches) reaches the next."""
    import random
    import threading
    from pathlib import Path

    from kb.content import render

    def fresh(body: str) -> str:
        out = []
        thread = threading.Thread(target=lambda: out.append(render._markdown().convert(body)))
        thread.start()
        thread.join()
        return out[0]

    bodies = [p.read_text(encoding="utf-8").split("\n---\n", 1)[1]
              for p in sorted((Path(__file__).parents[2] / "practices").glob("*.md"))]
    bodies += ["## Results\n\n## Results\n\n<div>stashed</div>", "## Results\n\n***\n\n> q"]
    random.Random(7).shuffle(bodies)
    for body in bodies + bodies[::-1]:
        assert render._markdown().convert(body) == fresh(body)
