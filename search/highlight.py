"""Safe HTML snippets: an excerpt of the body around the matched words.

Every character of the excerpt is HTML-escaped; the only markup produced is
``<mark>`` around matched words, so the snippet can be inserted into a page
as-is. Only the hits of the page being shown are highlighted.

Speed: instead of analysing every word of a body of thousands of words, a
regular expression (run in C over a lowercased, accent-folded copy of the
body with the same character offsets) finds the words that start like one of
the query's terms; only those are analysed to confirm the match.
"""

from __future__ import annotations

import re
from html import escape

from .analysis import _FOLD_TABLE, analyzer_for, fold

WINDOW_CHARS = 220
LEAD_CHARS = 40
MAX_SCAN_CHARS = 100_000

# Same-length folding for locating candidates (offsets stay valid).
_WORD_START = re.compile(r"(?<!\w)\w")
_FOLD_1TO1 = {k: v[0] for k, v in _FOLD_TABLE.items() if v}


class HighlightTerms:
    """The terms of one query, as the highlighter of one language needs them."""

    def __init__(self, terms: set[str], neutral: set[str], prefixes: list[str]):
        self.terms = terms
        self.neutral = neutral
        self.prefixes = [p for p in prefixes if p]
        heads = sorted({t[:3] for t in terms | neutral if t} | {p[:3] for p in self.prefixes},
                       key=len, reverse=True)
        self.pattern = (re.compile(r"(?<!\w)(?:" + "|".join(re.escape(h) for h in heads) + r")\w*")
                        if heads else None)


def snippet(body: str, lang: str, ht: HighlightTerms) -> str:
    """An escaped excerpt of ``body`` with matches in ``<mark>``; "" if none."""
    if not body or ht.pattern is None:
        return ""
    text = body[:MAX_SCAN_CHARS]
    low = text.lower()
    if len(low) != len(text):      # a rare character changed length when lowercased
        low = "".join(c.lower()[0] for c in text)
    folded = low.translate(_FOLD_1TO1)
    term = analyzer_for(lang).term
    matched: list[tuple[int, int, str]] = []
    for m in ht.pattern.finditer(folded):
        start, end = m.span()
        word = text[start:end]
        t = term(word)
        if t is not None and t in ht.terms:
            matched.append((start, end, t))
            continue
        f = fold(word.lower())
        if f in ht.neutral or any(f.startswith(p) for p in ht.prefixes):
            matched.append((start, end, f))
    if not matched:
        return ""
    # The window with the most distinct matched terms, then the most matches; a window
    # never crosses a line: headings, list items and the document's other prose (outcome
    # indicators, adaptation notes) are lines of their own and are not glued together.
    best: tuple[tuple, int, int] | None = None
    j = 0
    for i in range(len(matched)):
        line_end = _line_end(text, matched[i][1])
        limit = min(matched[i][0] + WINDOW_CHARS - LEAD_CHARS, line_end)
        if j < i:
            j = i
        while j < len(matched) and matched[j][1] <= limit:
            j += 1
        inside = matched[i:max(j, i + 1)]
        # prose (a line of some length) before a heading or a short list item
        score = (len({k for _, _, k in inside}),
                 line_end - _line_start(text, matched[i][0]) >= 40, len(inside),
                 -matched[i][0])
        if best is None or score > best[0]:
            best = (score, i, max(j, i + 1))
    if best is None:  # not reached: matched is not empty
        return ""
    _, i, j = best
    first = matched[i][0]
    line_start, line_end = _line_start(text, first), _line_end(text, first)
    start = max(line_start, first - LEAD_CHARS)
    sentence = _sentence_start(text, line_start, first)
    at_sentence = first - sentence <= WINDOW_CHARS - LEAD_CHARS
    if at_sentence:
        start = sentence
    elif start > line_start:
        # begin at a word start
        word_start = _WORD_START.search(text, start)
        start = word_start.start() if word_start and word_start.start() <= first else first
    end = min(line_end, start + WINDOW_CHARS)
    end = max(end, matched[i][1])
    if end < line_end:
        # end at a sentence end when one is near, else at a word end
        stop = max(text.rfind(". ", matched[i][1], end), text.rfind("? ", matched[i][1], end),
                   text.rfind("! ", matched[i][1], end))
        cut = text.rfind(" ", matched[i][1], end)
        if stop > 0 and stop + 1 - start >= WINDOW_CHARS // 2:
            end = stop + 1
        elif cut > 0:
            end = cut
    out: list[str] = ["… "] if start > line_start and not at_sentence else []
    pos = start
    for s, e, _k in matched[i:]:
        if s < start:
            continue
        if e > end:
            break
        out.append(escape(text[pos:s]))
        out.append("<mark>")
        out.append(escape(text[s:e]))
        out.append("</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    if end < line_end and text[end - 1:end] not in (".", "!", "?"):
        out.append(" …")
    return " ".join("".join(out).split())


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end


_SENTENCE_END = re.compile(r"[.!?]\s+(?=\S)")


def _sentence_start(text: str, line_start: int, first: int) -> int:
    """The start of the sentence holding position ``first`` (within its line)."""
    if line_start == first:
        return line_start
    starts = [m.end() for m in _SENTENCE_END.finditer(text, line_start, first)]
    return starts[-1] if starts else line_start
