"""The Whoosh schema, the declared facets and the ranking parameters.

Text is indexed once per document in the field set of its language
(``title_en``, ``summary_en``, ``body_en``, ``tags_en``; ``*_xx`` for a
language without a stemmer), stemmed with that language's stemmer; the body
field holds all of the text (title, summary, tags and body). Two
language-neutral fields hold the folded, unstemmed words: ``title_n`` (the
title, for autocomplete) and ``text_n`` (title, summary, tags, organization,
region; not the body, whose words the stemmed body fields already hold:
indexing it twice doubled the build time). A query
word is analysed with the stemmer of every language present in the index
and looked up in that language's fields, and folded in the neutral fields.

Stored: one ``data`` field (a dict with what a hit shows, plus the body for
the snippet) and the id. Facet values and sort keys are read from postings
and columns, never from stored fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from whoosh import fields

from .analysis import LANGUAGES, OTHER, analyzer_for

FIELD_LANGUAGES: tuple[str, ...] = LANGUAGES + (OTHER,)
TEXT_PARTS: tuple[str, ...] = ("title", "summary", "body", "tags")
NEUTRAL_FIELDS: tuple[str, ...] = ("title_n", "text_n")


@dataclass(frozen=True)
class Facet:
    """A filterable, countable property of a practice.

    name: the filter/facet name used by callers and URLs.
    field: the index field holding the values.
    doc_key: the key of the document dict the values come from.
    multi: several values per document (a list in the document).
    """

    name: str
    field: str
    doc_key: str
    multi: bool = False

    def values(self, doc: dict) -> list[str]:
        value = doc.get(self.doc_key)
        if value is None or value == "":
            return []
        if self.multi:
            return [str(v) for v in value if v not in (None, "")]
        if self.name == "started":
            return [str(value)[:4]]
        return [str(value)]


#: Every facet, in display order. Add a facet here (and a key to the
#: document dict) and it is indexed, filterable and counted.
FACETS: list[Facet] = [
    Facet("theme", "f_theme", "themes", multi=True),
    Facet("country", "f_country", "country"),
    Facet("language", "f_language", "language"),
    Facet("stage", "f_stage", "stage"),
    Facet("evidence", "f_evidence", "evidence"),
    Facet("organization", "f_organization", "organization_slug"),
    Facet("population", "f_population", "population_band"),
    Facet("started", "f_started", "started_year"),
    # "yes" for a practice adapted with an improvement in two or more cities
    # (kb.services.exchange, docs/exchange.md); absent otherwise
    Facet("replicated", "f_replicated", "replicated"),
    # normalised tags (owner's and public community tags, after moderators' merges and
    # synonyms); a network's private tags are in "f_ntag" as "network:tag", counted,
    # filtered and matched against the words typed for that network's members only
    # (SearchIndex.search)
    Facet("tag", "f_tag", "tag_keys", multi=True),
]
FACETS_BY_NAME: dict[str, Facet] = {f.name: f for f in FACETS}


@dataclass(frozen=True)
class Ranking:
    """BM25F parameters and per-field query weights.

    The ``body_*`` fields hold all of a document's text: title once,
    summary twice, tags three times, then the body. ``body`` is the base
    weight; the title field's BM25F weight is added on top for title words.
    Effectively: title and tags > summary > body. Every additional scored
    field costs time (about 5 ms per query at 10k documents each, measured),
    so summary and tags are weighted by repetition instead of separate
    scored fields (their fields stay in the index: set a weight to score
    them), and the neutral text field is searched only for words no stemmed
    field knows. SciFact nDCG@10: this set-up 0.690; title+summary+tags
    fields scored separately 0.690 but 45% slower; a separate title field
    weighted 1.0 without the all-text field 0.643. Tuned on judgments, not by
    intuition (docs/benchmarks.md): on SciFact a title weight of 0.1-0.2 on
    top of the all-text field gave nDCG@10 0.692, a separate title field
    weighted 1.0 gave 0.643, and the neutral title field lowered it.
    """

    k1: float = 1.2
    b: float = 0.75
    title: float = 0.2
    summary: float = 0.0     # written twice into the body field instead
    body: float = 1.0
    tags: float = 0.0        # written three times into the body field instead
    title_n: float = 0.0
    text_n: float = 0.1      # only for words no stemmed field knows
    title_b: float = 0.75
    summary_b: float = 0.75
    body_b: float = 0.75
    tags_b: float = 0.75

    def weight(self, part: str) -> float:
        return getattr(self, part)

    def b_for(self, field: str) -> float:
        part = field.rsplit("_", 1)[0]
        return getattr(self, f"{part}_b", self.b)


DEFAULT_RANKING = Ranking()


def text_field(lang: str, part: str) -> str:
    return f"{part}_{lang}"


def build_schema() -> fields.Schema:
    """The index schema. Built in code and passed when opening the index."""
    spec: dict[str, fields.FieldType] = {
        "id": fields.ID(stored=True, unique=True, sortable=True),
        "data": fields.STORED(),
        "visibility": fields.ID(),
        "networks": fields.KEYWORD(),
        "published": fields.NUMERIC(int, bits=64, signed=True, sortable=True),
        "adapted": fields.NUMERIC(int, bits=32, sortable=True),
        "title_sort": fields.ID(sortable=True),
        # Exact tags and organization names for autocomplete and field queries.
        "tag_exact": fields.KEYWORD(commas=True, lowercase=False),
        "org_n": fields.TEXT(analyzer=analyzer_for(None), phrase=True),
        "org_entry": fields.ID(),
        # "yes" on fictional examples, ranked after real practices (EXAMPLE_WEIGHT)
        "example": fields.ID(),
        "f_ntag": fields.KEYWORD(lowercase=False, scorable=False),
        # a network's private tags as the cities typed them ("network:tag", before the
        # network's renames and synonyms), matched against the words its members type
        "f_nword": fields.KEYWORD(lowercase=False, scorable=False),
    }
    for facet in FACETS:
        spec[facet.field] = fields.KEYWORD(lowercase=False, scorable=False)
    for lang in FIELD_LANGUAGES:
        analyzer = analyzer_for(lang)
        for part in TEXT_PARTS:
            spec[text_field(lang, part)] = fields.TEXT(analyzer=analyzer, phrase=True)
    neutral = analyzer_for(None)
    spec["title_n"] = fields.TEXT(analyzer=neutral, phrase=True)
    spec["text_n"] = fields.TEXT(analyzer=neutral, phrase=False)
    return fields.Schema(**spec)


SCHEMA = build_schema()
