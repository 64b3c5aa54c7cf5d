"""One Markdown path: Python-Markdown, then an nh3 allowlist.

Everything a user wrote reaches a page or the API only through
`render_markdown`, which returns Markup; templates never use |safe.
"""

from __future__ import annotations

import html

import markdown
import nh3
from markupsafe import Markup
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align", "scope"},
    "ol": {"start"},
    "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"
HEADING_ID_PREFIX = "s-"


class _DemoteTitleHeadings(Treeprocessor):
    """A document's "# heading" becomes h2: the page's h1 is the practice title."""

    def run(self, root):
        for element in root.iter("h1"):
            element.tag = "h2"


class _PracticeMarkdown(Extension):
    def extendMarkdown(self, md):
        # before toc (priority 5) so anchors are made for the demoted headings
        md.treeprocessors.register(_DemoteTitleHeadings(md), "demote_h1", 6)


def _markdown() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=["tables", "fenced_code", "sane_lists", "toc", _PracticeMarkdown()],
        extension_configs={"toc": {"slugify": _heading_id, "permalink": False}},
        output_format="html",
    )


def _heading_id(value: str, separator: str) -> str:
    from markdown.extensions.toc import slugify_unicode

    # a prefix keeps heading anchors from clobbering the page's own element ids
    return HEADING_ID_PREFIX + (slugify_unicode(value, separator) or "section")


def _only_own_ids(_tag: str, attribute: str, value: str) -> str | None:
    # ids written as raw HTML could clobber the page's own ids (e.g. "main")
    if attribute == "id" and not value.startswith(HEADING_ID_PREFIX):
        return None
    return value


def sanitize_html(raw_html: str) -> str:
    return nh3.clean(
        raw_html,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
        attribute_filter=_only_own_ids,
    )


def render_markdown(text: str) -> Markup:
    """Markdown to sanitized HTML, marked safe only after the allowlist ran."""
    if not text:
        return Markup("")
    return Markup(sanitize_html(_markdown().convert(text)))


def markdown_to_text(text: str) -> str:
    """Plain text of a Markdown body, for the search index and excerpts."""
    cleaned = nh3.clean(_markdown().convert(text or ""), tags=set())
    return html.unescape(cleaned)


def sanitize_snippet(snippet_html: str) -> Markup:
    """A search snippet: escaped text whose only markup is <mark>."""
    return Markup(nh3.clean(snippet_html or "", tags={"mark"}, attributes={}))
