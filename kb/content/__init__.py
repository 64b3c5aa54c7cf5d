"""The practice document: parsing, validation, serialization and rendering.

Pure Python: nothing in this package imports Flask or the database.
"""

from kb.content.document import (
    MAX_BODY_CHARS,
    MAX_BYTES,
    Practice,
    Problem,
    ValidationFailed,
    parse_practice,
    parse_practice_bytes,
    serialize_practice,
)
from kb.content.render import render_markdown, markdown_to_text

__all__ = [
    "MAX_BODY_CHARS",
    "MAX_BYTES",
    "Practice",
    "Problem",
    "ValidationFailed",
    "parse_practice",
    "parse_practice_bytes",
    "serialize_practice",
    "render_markdown",
    "markdown_to_text",
]
