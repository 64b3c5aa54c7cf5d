"""What makes two tags the same tag: normalisation, pure Python.

"Housing  First", "housing first" and "HOUSING FIRST" are one tag; so are a
decomposed and a composed "ä" (Unicode NFC), "Straße" and "STRASSE" (case folding),
"#floods" and "floods", "flood_risk" and "flood risk". The key is what is stored and
compared; the label keeps the words as a person typed them, for display.
"""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 60
_SPACE = re.compile(r"[\s_]+")
# letters, digits, marks, and a few joiners inside words
_ALLOWED = re.compile(r"^[\w\- '’.&+]+$")


class BadTag(ValueError):
    """A tag that cannot be used; ``code`` says why: "empty", "long" or "characters"."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


def tag_label(text: str) -> str:
    """The tag as typed, cleaned: NFC, one space between words, no leading '#'."""
    text = unicodedata.normalize("NFC", str(text or ""))
    text = _SPACE.sub(" ", text).strip().lstrip("#").strip()
    return text


def tag_key(text: str) -> str:
    """The normalised tag: the label case-folded (Unicode), in NFC."""
    return unicodedata.normalize("NFC", tag_label(text).casefold())


def tag_check(text: str) -> tuple[str, str]:
    """(key, label) of a tag a person typed; BadTag says what is wrong with it."""
    label = tag_label(text)
    if not label:
        raise BadTag("empty", "write a tag")
    if len(label) > MAX_LENGTH:
        raise BadTag("long", f"at most {MAX_LENGTH} characters")
    if not _ALLOWED.match(label) or not any(c.isalnum() for c in label):
        raise BadTag("characters", "use letters, digits, spaces and hyphens")
    return tag_key(label), label


def keys_of(tags) -> dict[str, str]:
    """{key: label} of a document's tags, first spelling kept, unusable ones left out."""
    out: dict[str, str] = {}
    for tag in tags or ():
        try:
            key, label = tag_check(tag)
        except BadTag:
            continue
        out.setdefault(key, label)
    return out
