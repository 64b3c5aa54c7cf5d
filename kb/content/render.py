"""One Markdown path: Python-Markdown, then an nh3 allowlist.

Everything a user wrote reaches a page or the API only through
`render_markdown`, which returns Markup; templates never use |safe.

Rendering takes time in proportion to the text, also for text written to be
slow. Python-Markdown has a few places that are quadratic on such text; they
are replaced here (see `_PracticeMarkdown`):

- the text of a link, `[...]`, was found by scanning to the matching `]`
  from every `[`: thousands of unclosed `[` scanned the rest of the
  paragraph each time. The matching brackets of a paragraph are now found
  once, in one pass, when a scan gets long;
- the address of a link, `(...)`, is looked for at most `MAX_LINK_ADDRESS`
  characters after the `[text]`;
- a heading or rule takes its line off a block and puts the rest back; the
  processors that look for a heading, rule or quote anywhere in a block
  searched the whole rest again each time (and the table extension split it
  all into lines to look at the first two). They now remember where the
  first match of the block they last searched was, and a block that is the
  rest of it is not searched again up to there;
- Python's HTML parser looked for the end of every `<` up to the end of the
  text; a `<` without a `>` within `MAX_TAG` characters is text;
- blockquotes and lists nested thousands deep (`> - > - ...`) were parsed
  once per level; more than `MAX_NESTING` markers at the start of a line
  count as that many.

The body of a document is at most `kb.content.document.MAX_BODY_CHARS`
characters, and so is a preview.
"""

from __future__ import annotations

import html
import re
import threading

import markdown
import nh3
from markupsafe import Markup
from markdown import blockprocessors, inlinepatterns
from markdown.extensions import Extension
from markdown.extensions.tables import TableProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from xml.etree import ElementTree as etree

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


MAX_LINK_ADDRESS = 2000    # characters of a link's (address "title")
MAX_NESTING = 10            # quote and list markers at the start of one line
MAX_TAG = 2000              # characters from the < of an HTML tag to its >
_SHORT_SCAN = 200           # a link text found within this many characters is scanned for
_BRACKETS_RE = re.compile(r"[\[\]]")


class _BracketPairs:
    """Where the `]` matching each `[` of one text is (one pass, remembered for that text)."""

    def __init__(self):
        self.text: str | None = None
        self.closing: dict[int, int] = {}

    def closing_of(self, data: str, opening: int) -> int | None:
        if data is not self.text:
            stack: list[int] = []
            closing: dict[int, int] = {}
            for m in _BRACKETS_RE.finditer(data):
                if m.group() == "[":
                    stack.append(m.start())
                elif stack:
                    closing[stack.pop()] = m.start()
            self.text, self.closing = data, closing
        return self.closing.get(opening)


class _LinearLinkText:
    """getText of Python-Markdown's link processors, linear over a paragraph.

    A text found within a few characters is scanned for, as before; a longer
    scan (thousands of unclosed `[`) uses the paragraph's bracket pairs, found
    once and used for the rest of that paragraph's text. The result is the
    same: the text up to the `]` that closes the `[`.
    """

    md_pairs: _BracketPairs

    def getText(self, data: str, index: int):
        if index == 0 or data[index - 1] != "[":
            # a mixin: the link processor it is combined with has getText
            return super().getText(data, index)  # type: ignore[misc]
        if data is self.md_pairs.text:
            return self._paired(data, index)
        depth = 1
        end = min(len(data), index + _SHORT_SCAN)
        for pos in range(index, end):
            c = data[pos]
            if c == "[":
                depth += 1
            elif c == "]":
                depth -= 1
                if depth == 0:
                    return data[index:pos], pos + 1, True
        if end == len(data):
            return data[index:], len(data), False
        return self._paired(data, index)

    def _paired(self, data: str, index: int):
        closing = self.md_pairs.closing_of(data, index - 1)
        if closing is None:
            return data[index:], len(data), False
        return data[index:closing], closing + 1, True

    def getLink(self, data: str, index: int):
        # the address and title of a link are looked for within MAX_LINK_ADDRESS characters
        if len(data) - index > MAX_LINK_ADDRESS:
            if data.find(")", index, index + MAX_LINK_ADDRESS) < 0:
                return "", None, index, False
            data = data[:index + MAX_LINK_ADDRESS]
        return super().getLink(data, index)  # type: ignore[misc]  # see getText


def _linear(processor_class):
    return type(f"Linear{processor_class.__name__}", (_LinearLinkText, processor_class), {})


class _FirstRowsTable(TableProcessor):
    """The table processor, looking only at the lines its test needs.

    Python-Markdown's split the whole block into lines on every test, and a
    block loses one line per heading or rule in it: quadratic in the lines.
    """

    SEPARATOR_CHARS = frozenset("|:- ")

    def test(self, parent, block: str) -> bool:
        head = block.split("\n", 2)[:2]
        # a table's first line has a |, its second is the separator row: only | : - and spaces
        if len(head) < 2 or "|" not in head[0] or not set(head[1]) <= self.SEPARATOR_CHARS:
            return False
        return super().test(parent, block)


class _BoundedNesting(Preprocessor):
    """More than MAX_NESTING quote and list markers at the start of a line count as MAX_NESTING."""

    MARKER = r"[ ]{0,3}(?:>[ ]?|[-*+][ ]+|\d{1,9}[.)][ ]+)"
    RE = re.compile(r"^((?:%s){%d})(?:%s)+" % (MARKER, MAX_NESTING, MARKER))

    def run(self, lines):
        return [self.RE.sub(r"\1", line) for line in lines]


class _RememberedSearch:
    """For a block processor whose test searches the whole block for a line.

    A heading or rule takes its line off the block and puts the rest back, so
    the next block is the rest of the one searched before: where that search
    found nothing, the rest is not searched again.
    """

    SEARCH: re.Pattern

    def first_match(self, block: str):
        last = getattr(self, "_last", None)
        if last is not None and len(block) <= len(last[0]) and last[0].endswith(block):
            offset = len(last[0]) - len(block)
            start = last[1]
            if start is None:
                return None
            if start >= offset:
                return self.SEARCH.search(block, start - offset)
        m = self.SEARCH.search(block)
        self._last = (block, None if m is None else m.start())
        return m


class _HashHeaders(_RememberedSearch, blockprocessors.HashHeaderProcessor):
    SEARCH = blockprocessors.HashHeaderProcessor.RE

    def test(self, parent, block):
        return self.first_match(block) is not None


class _Rules(_RememberedSearch, blockprocessors.HRProcessor):
    SEARCH = blockprocessors.HRProcessor.SEARCH_RE

    def test(self, parent, block):
        m = self.first_match(block)
        if m is not None:
            self.match = m
        return m is not None


class _Quotes(_RememberedSearch, blockprocessors.BlockQuoteProcessor):
    SEARCH = blockprocessors.BlockQuoteProcessor.RE

    def test(self, parent, block):
        return self.first_match(block) is not None and not _nearing_recursion_limit()


class _SetextHeaders(blockprocessors.SetextHeaderProcessor):
    """Python-Markdown's, splitting off only the two lines it uses (not every line)."""

    def run(self, parent, blocks):
        lines = blocks.pop(0).split("\n", 2)
        h = etree.SubElement(parent, "h1" if lines[1].startswith("=") else "h2")
        h.text = lines[0].strip()
        if len(lines) > 2:
            blocks.insert(0, lines[2])


class _UnclosedTags(Preprocessor):
    """A `<` with no `>` within MAX_TAG characters is text (written as &lt;).

    Python's HTML parser, which finds raw HTML blocks, looks for the end of
    every such `<` up to the end of the text: quadratic in their number.
    """

    RE = re.compile(r"<(?=[A-Za-z/!?])")

    def run(self, lines):
        text = "\n".join(lines)
        out, last, next_gt = [], 0, -1
        for m in self.RE.finditer(text):
            i = m.start()
            if next_gt < i:
                next_gt = text.find(">", i)
            if next_gt < 0 or next_gt - i > MAX_TAG:
                out.append(text[last:i])
                out.append("&lt;")
                last = i + 1
        if not out:
            return lines
        out.append(text[last:])
        return "".join(out).split("\n")


def _nearing_recursion_limit() -> bool:
    from markdown import util

    return util.nearing_recursion_limit()


class _PracticeMarkdown(Extension):
    def extendMarkdown(self, md):
        # before toc (priority 5) so anchors are made for the demoted headings
        md.treeprocessors.register(_DemoteTitleHeadings(md), "demote_h1", 6)
        pairs = _BracketPairs()
        # the link processors Python-Markdown registers, with its names and priorities
        ip = inlinepatterns
        for name, cls, pattern, priority in (
                ("reference", ip.ReferenceInlineProcessor, ip.REFERENCE_RE, 170),
                ("link", ip.LinkInlineProcessor, ip.LINK_RE, 160),
                ("image_link", ip.ImageInlineProcessor, ip.IMAGE_LINK_RE, 150),
                ("image_reference", ip.ImageReferenceInlineProcessor, ip.IMAGE_REFERENCE_RE, 140),
                ("short_reference", ip.ShortReferenceInlineProcessor, ip.REFERENCE_RE, 130),
                ("short_image_ref", ip.ShortImageReferenceInlineProcessor,
                 ip.IMAGE_REFERENCE_RE, 125)):
            processor = _linear(cls)(pattern, md)
            processor.md_pairs = pairs
            md.inlinePatterns.register(processor, name, priority)
        table = md.parser.blockprocessors["table"]      # the tables extension's, priority 75
        md.parser.blockprocessors.register(_FirstRowsTable(md.parser, table.config), "table", 75)
        # Python-Markdown's block processors with their names and priorities
        for block_cls, name, priority in ((_HashHeaders, "hashheader", 70),
                                          (_SetextHeaders, "setextheader", 60),
                                          (_Rules, "hr", 50), (_Quotes, "quote", 20)):
            md.parser.blockprocessors.register(block_cls(md.parser), name, priority)
        md.preprocessors.register(_BoundedNesting(md), "bounded_nesting", 5)
        # after fenced code blocks are set aside (25), before raw HTML is looked for (20)
        md.preprocessors.register(_UnclosedTags(md), "unclosed_tags", 22)


_converters = threading.local()


def _markdown() -> markdown.Markdown:
    """This thread's converter, reset for a new document (building one costs more than
    converting a practice's body: about 1.3 ms, once per document in an import)."""
    md = getattr(_converters, "md", None)
    if md is None:
        md = _converters.md = markdown.Markdown(
            extensions=["tables", "fenced_code", "sane_lists", "toc", _PracticeMarkdown()],
            extension_configs={"toc": {"slugify": _heading_id, "permalink": False}},
            output_format="html",
        )
    return md.reset()


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
