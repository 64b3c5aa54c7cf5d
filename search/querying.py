"""From what a user typed to a Whoosh query over the multilingual fields.

The user's text is parsed by Whoosh's query parser with a small parsing
schema (whitespace words, lowercased) that knows the field names users may
write (``title:``, ``tag:``, ``theme:``, ``country:``, ``organization:``,
``language:``, ``stage:``, ``evidence:``, ``started:``). The parsed tree is then
rewritten: every word becomes an OR over the stemmed fields of each language
present in the index (the word analysed with that language's stemmer) plus
the folded language-neutral fields, each with its field weight.

A word that is a stop word in one of the present languages is optional
inside an AND (it would otherwise exclude every document of that language,
where it was never indexed). A text the parser cannot make sense of
(unbalanced quotes or parentheses, a dangling operator, or any parser error)
is searched as plain words and reported as degraded.

The work of one query is bounded (:class:`QueryLimits`): its length, its
number of words, its number of prefix searches (``perm*``) and their
minimum length, the number of index words one prefix stands for, and the
number of unknown words "did you mean" corrects. A limit that is hit is
reported with the results (:class:`LimitHit`), so the user learns what was
left out instead of waiting for a search that never ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from whoosh import analysis, fields, qparser, query

from .analysis import WORD_RE, analyzer_for, fold
from .schema import DEFAULT_RANKING, FACETS_BY_NAME, Ranking, TEXT_PARTS, text_field

#: weight of a glossary label relative to the typed word
EXPANSION_WEIGHT = 0.6

#: weight of a compound's parts and lemma relative to the typed word
COMPOUND_PART_WEIGHT = 0.5

_PARSE_ANALYZER = analysis.SpaceSeparatedTokenizer() | analysis.LowercaseFilter()

#: user-facing field name -> meaning
TEXT_QUERY_FIELDS = {"text": TEXT_PARTS, "title": ("title",), "tag": ("tags",),
                     "tags": ("tags",), "summary": ("summary",), "body": ("body",)}
KEYWORD_QUERY_FIELDS = ("theme", "country", "language", "stage", "evidence", "started",
                        "population")

_OPERATORS_RE = re.compile(r"(^|\s)(AND|OR|NOT|ANDNOT|ANDMAYBE)(\s|$)|[()]")
_DANGLING_RE = re.compile(r"(^\s*(AND|OR|ANDNOT|ANDMAYBE)\b)|(\b(AND|OR|NOT|ANDNOT|ANDMAYBE)\s*$)")


def _parse_schema() -> fields.Schema:
    spec = {name: fields.TEXT(analyzer=_PARSE_ANALYZER) for name in TEXT_QUERY_FIELDS}
    spec["organization"] = fields.TEXT(analyzer=_PARSE_ANALYZER)
    for name in KEYWORD_QUERY_FIELDS:
        spec[name] = fields.ID()
    return fields.Schema(**spec)


_PARSE_SCHEMA = _parse_schema()


def _parser(group) -> qparser.QueryParser:
    p = qparser.QueryParser("text", _PARSE_SCHEMA, plugins=[], group=group)
    for plugin in (qparser.WhitespacePlugin(), qparser.FieldsPlugin(), qparser.WildcardPlugin(),
                   qparser.PhrasePlugin(), qparser.GroupPlugin(), qparser.OperatorsPlugin()):
        p.add_plugin(plugin)
    return p


_AND_PARSER = _parser(qparser.AndGroup)
_OR_PARSER = _parser(qparser.OrGroup)


def has_operators(text: str) -> bool:
    return bool(_OPERATORS_RE.search(text))


def looks_broken(text: str) -> bool:
    """Syntax the parser would silently misread: search it as plain words."""
    if text.count('"') % 2:
        return True
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return True
    if depth:
        return True
    if _DANGLING_RE.search(text):
        return True
    # "field:" with nothing after it
    if re.search(r"\b\w+:(\s|$)", text):
        return True
    return False


def plain_words(text: str) -> list[str]:
    return WORD_RE.findall(text)


@dataclass(frozen=True)
class QueryLimits:
    """How much work one search may do (docs/configuration.md, "Search limits")."""

    max_chars: int = 500        # a longer query is cut at the last whole word
    max_words: int = 32         # words (and field:value terms) after these are ignored
    max_prefixes: int = 4       # prefix searches (perm*) after these are searched as words
    min_prefix: int = 3         # shorter prefixes (pe*) are searched as words
    prefix_words: int = 20      # a prefix stands for its most common words, per field
    prefix_scan: int = 2000     # index words looked at per prefix and field
    max_corrections: int = 3    # unknown words "did you mean" looks up
    time_limit: float = 5.0     # seconds of scoring before the best found so far are shown


DEFAULT_LIMITS = QueryLimits()


@dataclass(frozen=True)
class LimitHit:
    """A limit a query reached: what was found and what is allowed.

    ``kind`` is one of "chars", "words", "prefixes", "prefix_length",
    "prefix_words", "corrections", "time"; ``text`` names the prefix for
    "prefix_words".
    """

    kind: str
    found: int
    limit: int
    text: str = ""


def bound_text(text: str, limits: QueryLimits = DEFAULT_LIMITS) -> tuple[str, list[LimitHit]]:
    """The query text cut to the length and word limits, with the limits it hit."""
    hits: list[LimitHit] = []
    if len(text) > limits.max_chars:
        hits.append(LimitHit("chars", len(text), limits.max_chars))
        cut = text[:limits.max_chars]
        if not text[limits.max_chars].isspace() and " " in cut:
            cut = cut.rsplit(" ", 1)[0]
        text = cut
    words = text.split()
    if len(words) > limits.max_words:
        hits.append(LimitHit("words", len(words), limits.max_words))
        text = " ".join(words[:limits.max_words])
    return text, hits


class LimitedPrefix(query.Prefix):
    """A prefix search over a chosen, bounded list of index words.

    Scores like Whoosh's Prefix (a constant per matching document), but never
    expands to more than the words chosen when the query was built.
    """

    def __init__(self, fieldname, text, words, boost=1.0):
        super().__init__(fieldname, text, boost=boost)
        self.words = list(words)

    def _btexts(self, ixreader):
        return [w.encode("utf-8") for w in self.words]

    def __eq__(self, other):
        return super().__eq__(other) and self.words == other.words

    def __hash__(self):
        return super().__hash__() ^ hash(tuple(self.words))


def query_size(q) -> int:
    """How many index words a rewritten query reads (its work, before documents)."""
    if q is None or q is query.NullQuery:
        return 0
    if isinstance(q, LimitedPrefix):
        return len(q.words)
    if isinstance(q, query.Term):
        return 1
    if isinstance(q, query.Phrase):
        return len(q.words)
    if hasattr(q, "children"):
        return sum(query_size(c) for c in q.children())
    return 1


@dataclass
class Built:
    """A rewritten query and what the highlighter and speller need."""

    query: query.Query | None
    words: list[str] = field(default_factory=list)        # plain words typed
    prefixes: list[str] = field(default_factory=list)     # folded prefixes
    phrases: list[list[str]] = field(default_factory=list)
    expansions: dict = field(default_factory=dict)        # word -> glossary labels
    expanded: list[str] = field(default_factory=list)     # labels found ("also searched")
    typed_query: Any = None    # the query without the expansions (for highlighting)
    # each plain word's (query, optional) in the default fields, as built
    word_queries: dict = field(default_factory=dict)


class QueryBuilder:
    """Rewrites parsed user queries for the languages present in an index."""

    def __init__(self, languages: list[str], ranking: Ranking = DEFAULT_RANKING,
                 exists=None, expand=None, limits: QueryLimits = DEFAULT_LIMITS):
        self.languages = list(languages)
        self.ranking = ranking
        self.neutral = analyzer_for(None)
        # exists(field, term) -> bool prunes terms absent from the index, so
        # Whoosh does not iterate dozens of empty matchers per word.
        self.exists = exists or (lambda fieldname, text: True)
        # expand(field, prefix, keep, scan) -> (the `keep` most common words
        # starting with prefix, how many there are, counted up to `scan`)
        self.expand = expand
        self.limits = limits
        self.implicit_or = False
        self.hits: list[LimitHit] = []
        self._prefixes = 0
        self._short_prefixes = 0
        self._cut_prefixes: dict[str, int] = {}
        # glossary expansion (search.glossary): typed word -> labels, and the
        # labels that were found in the index ("also searched")
        self.expansions: dict = {}
        self.expanded: list[str] = []
        self._label_cache: dict = {}

    def _weight(self, part, parts):
        """A field's weight; a field the user named (title:, tag:) is always searched."""
        w = self.ranking.weight(part)
        return w if (w or parts == TEXT_PARTS) else 1.0

    def _leaf(self, fieldname, terms, boost):
        if not boost:
            return None          # a field weighted 0 is not searched
        exists = self.exists
        if len(terms) == 1:
            if exists(fieldname, terms[0]):
                return query.Term(fieldname, terms[0], boost=boost)
            return None
        if all(exists(fieldname, t) for t in terms):
            return query.Phrase(fieldname, terms, boost=boost)
        return None

    # -- leaves -------------------------------------------------------------

    def word(self, word: str, parts=TEXT_PARTS, neutral: bool = True):
        """(query, optional) for one typed word.

        query is None when the word has no letters or digits, NullQuery when
        it is in no document; optional is True when it is a stop word in one
        of the present languages.
        """
        subs: list[query.Query] = []
        stopped_somewhere = False
        analysed = False
        r = self.ranking
        for lang in self.languages:
            terms = analyzer_for(lang).terms(word)
            if not terms:
                if WORD_RE.search(word):
                    stopped_somewhere = True
                continue
            analysed = True
            extras = analyzer_for(lang).extra_terms(word) if len(terms) == 1 else ()
            for part in parts:
                weight = self._weight(part, parts)
                leaf = self._leaf(text_field(lang, part), terms, weight)
                if leaf is not None:
                    subs.append(leaf)
                # a compound also finds its parts and lemma ("kellaritulvat":
                # kellari, tulva), weighted below the word itself
                for extra in extras:
                    leaf = self._leaf(text_field(lang, part), [extra],
                                      weight * COMPOUND_PART_WEIGHT)
                    if leaf is not None:
                        subs.append(leaf)
        nterms = self.neutral.terms(word)
        if neutral and nterms:
            analysed = True
            if "title" in parts and r.title_n:
                leaf = self._leaf("title_n", nterms, r.title_n)
                if leaf is not None:
                    subs.append(leaf)
            # The neutral text field is a fallback: only when no stemmed
            # field knows the word (each extra scored field costs ~5 ms per
            # query at 10k documents, and the stemmed all-text field already
            # holds every word of the document's language).
            if parts == TEXT_PARTS and r.text_n and not subs:
                if all(self.exists("text_n", t) for t in nterms):
                    if len(nterms) == 1:
                        subs.append(query.Term("text_n", nterms[0], boost=r.text_n))
                    else:
                        subs.append(query.And([query.Term("text_n", t) for t in nterms],
                                              boost=r.text_n))
        q = None
        if subs:
            q = subs[0] if len(subs) == 1 else query.Or(subs)
        labels = self.expansions.get(word.lower()) if parts == TEXT_PARTS else None
        if labels:
            alternatives = [self._label(label) for label in labels]
            alternatives = [a for a in alternatives if a is not None]
            if alternatives:
                # the word and its translations are one group, scored by the best
                q = query.DisjunctionMax(([q] if q is not None else []) + alternatives)
        if q is None:
            return (query.NullQuery if analysed else None), stopped_somewhere
        return q, stopped_somewhere

    def _label(self, label):
        """The query for a glossary label, in its own language's fields, or None."""
        try:
            return self._label_cache[label]
        except KeyError:
            pass
        subs = []
        for part in TEXT_PARTS:
            weight = self._weight(part, TEXT_PARTS) * EXPANSION_WEIGHT
            if not weight:
                continue
            fieldname = text_field(label.language, part)
            if not all(self.exists(fieldname, t) for t in label.terms):
                continue
            if len(label.terms) == 1:
                subs.append(query.Term(fieldname, label.terms[0], boost=weight))
            else:
                subs.append(query.And([query.Term(fieldname, t) for t in label.terms],
                                      boost=weight))
        q = None
        if subs:
            q = subs[0] if len(subs) == 1 else query.Or(subs)
            if label.text not in self.expanded:
                self.expanded.append(label.text)
        self._label_cache[label] = q
        return q

    def phrase(self, words: list[str], parts=TEXT_PARTS):
        subs: list[query.Query] = []
        text = " ".join(words)
        r = self.ranking
        for lang in self.languages:
            terms = analyzer_for(lang).terms(text)
            if not terms:
                continue
            for part in parts:
                leaf = self._leaf(text_field(lang, part), terms, self._weight(part, parts))
                if leaf is not None:
                    subs.append(leaf)
        nterms = self.neutral.terms(text)
        if nterms and "title" in parts and r.title_n:
            leaf = self._leaf("title_n", nterms, r.title_n)
            if leaf is not None:
                subs.append(leaf)
        if not subs:
            return query.NullQuery
        return subs[0] if len(subs) == 1 else query.Or(subs)

    def prefix(self, text: str, parts=TEXT_PARTS):
        p = fold(text.lower())
        if not WORD_RE.fullmatch(p):
            words = plain_words(p)
            if not words:
                return None
            p = words[-1]
        subs: list[query.Query] = []
        for lang in self.languages:
            for part in parts:
                if self._weight(part, parts):
                    subs.append(self._prefix_leaf(text_field(lang, part), p,
                                                  self._weight(part, parts)))
        if "title" in parts:
            subs.append(self._prefix_leaf("title_n", p, self.ranking.title_n or 0.1))
        subs = [q for q in subs if q is not None]
        if not subs:
            return query.NullQuery
        return query.Or(subs)

    def _prefix_leaf(self, fieldname: str, p: str, boost: float):
        if self.expand is None:
            return query.Prefix(fieldname, p, boost=boost)
        words, total = self.expand(fieldname, p, self.limits.prefix_words,
                                   self.limits.prefix_scan)
        if total > len(words):
            self._cut_prefixes[p] = max(total, self._cut_prefixes.get(p, 0))
        if not words:
            return None
        return LimitedPrefix(fieldname, p, words, boost=boost)

    def _prefix_node(self, fieldname: str, text: str, built: Built):
        """A typed prefix, within the limits; else the word itself."""
        p = fold(text.lower())
        if len(p) < self.limits.min_prefix:
            self._short_prefixes += 1
            return self._term(fieldname, text, built)
        self._prefixes += 1
        if self._prefixes > self.limits.max_prefixes:
            return self._term(fieldname, text, built)
        built.prefixes.append(p)
        return self.prefix(text, TEXT_QUERY_FIELDS.get(fieldname, TEXT_PARTS)), False

    def _limit_hits(self) -> list[LimitHit]:
        lim = self.limits
        hits = []
        if self._short_prefixes:
            hits.append(LimitHit("prefix_length", self._short_prefixes, lim.min_prefix))
        if self._prefixes > lim.max_prefixes:
            hits.append(LimitHit("prefixes", self._prefixes, lim.max_prefixes))
        for p, total in self._cut_prefixes.items():
            hits.append(LimitHit("prefix_words", total, lim.prefix_words, p + "*"))
        return hits

    # -- tree ---------------------------------------------------------------

    def build(self, text: str, operator: str = "and") -> Built:
        """Parse and rewrite; raises on parser failure (caller degrades)."""
        parser = _OR_PARSER if operator == "or" else _AND_PARSER
        tree = parser.parse(text)
        # Top-level ORs made by the default operator (not typed by the user)
        # keep NOT and field:value constraints as restrictions.
        self.implicit_or = operator == "or"
        built = Built(None, expansions=self.expansions)
        q, _opt = self._rewrite(tree, built)
        built.query = q
        built.expanded = self.expanded
        self.hits = self._limit_hits()
        return built

    def build_words(self, words: list[str], operator: str = "and") -> Built:
        built = Built(None, expansions=self.expansions, expanded=self.expanded)
        subs: list = []
        optional: list = []
        for w in words:
            built.words.append(w)
            q, opt = built.word_queries.setdefault(w, self.word(w))
            if q is None:
                continue
            (optional if opt else subs).append(q)
        built.query = self._combine(subs, optional, operator)
        return built

    def _combine(self, required, optional, operator):
        if operator == "or":
            allq = required + optional
            if not allq:
                return None
            return allq[0] if len(allq) == 1 else query.Or(allq)
        if not required:
            required, optional = optional, []
        if not required:
            return None
        base = required[0] if len(required) == 1 else query.And(required)
        if optional:
            maybe = optional[0] if len(optional) == 1 else query.Or(optional)
            return query.AndMaybe(base, maybe)
        return base

    def _rewrite(self, node, built: Built):
        """Return (query or None, optional flag)."""
        if isinstance(node, query.Term):
            return self._term(node.fieldname, node.text, built)
        if isinstance(node, query.Phrase):
            parts = TEXT_QUERY_FIELDS.get(node.fieldname)
            words = [w for w in node.words]
            built.phrases.append(words)
            if parts is None:
                return self._term(node.fieldname, " ".join(words), built)
            return self.phrase(words, parts), False
        if isinstance(node, query.Prefix):
            if len(node.text) < 2:
                return self._term(node.fieldname, node.text, built)
            return self._prefix_node(node.fieldname, node.text, built)
        if isinstance(node, query.Wildcard):
            text = node.text
            if text.endswith("*") and "*" not in text[:-1] and "?" not in text and len(text) > 2:
                return self._prefix_node(node.fieldname, text[:-1], built)
            return self._term(node.fieldname, text.replace("*", " ").replace("?", " "), built)
        if isinstance(node, query.Not):
            inner, _ = self._rewrite(node.query, Built(None))
            if inner is None:
                return None, False
            return query.Not(inner), False
        if isinstance(node, query.AndNot):
            pos, _ = self._rewrite(node.a, built)
            neg, _ = self._rewrite(node.b, Built(None))
            if pos is None:
                return (query.Not(neg) if neg is not None else None), False
            if neg is None:
                return pos, False
            return query.AndNot(pos, neg), False
        if isinstance(node, query.AndMaybe):
            a, _ = self._rewrite(node.a, built)
            b, _ = self._rewrite(node.b, built)
            if a is None:
                return b, False
            if b is None:
                return a, False
            return query.AndMaybe(a, b), False
        if isinstance(node, query.Require):
            a, _ = self._rewrite(node.a, built)
            b, _ = self._rewrite(node.b, built)
            if a is None or b is None:
                return (a or b), False
            return query.Require(a, b), False
        if isinstance(node, (query.And, query.Or)):
            required: list = []
            optional: list = []
            excluded: list = []
            constraints: list = []
            op = "or" if isinstance(node, query.Or) else "and"
            explicit_or = op == "or" and not self.implicit_or
            for sub in node.subqueries:
                if op == "or" and isinstance(sub, query.Not) and not explicit_or:
                    # "a b NOT c" with OR between words still means: not c
                    q, _ = self._rewrite(sub.query, Built(None))
                    if q is not None:
                        excluded.append(q)
                    continue
                q, opt = self._rewrite(sub, built)
                if q is None:
                    continue
                if op == "or" and not explicit_or and isinstance(q, query.ConstantScoreQuery):
                    constraints.append(q)     # theme:x, country:y ... always restrict
                    continue
                (optional if opt else required).append(q)
            combined = self._combine(required, optional, op)
            if constraints:
                combined = query.And(([combined] if combined is not None else []) + constraints)
            if excluded:
                neg = excluded[0] if len(excluded) == 1 else query.Or(excluded)
                return (query.Not(neg) if combined is None
                        else query.AndNot(combined, neg)), False
            return combined, False
        if isinstance(node, query.Every):
            return None, False
        if isinstance(node, query.NullQuery.__class__) or node is query.NullQuery:
            return None, False
        raise ValueError(f"unsupported query node {node!r}")

    def _term(self, fieldname: str, text: str, built: Built):
        if fieldname in TEXT_QUERY_FIELDS:
            parts = TEXT_QUERY_FIELDS[fieldname]
            built.words.append(text)
            found = self.word(text, parts, neutral=True)
            if parts == TEXT_PARTS:
                built.word_queries.setdefault(text, found)
            return found
        if fieldname == "organization":
            nterms = self.neutral.terms(text)
            subs = [query.Term(FACETS_BY_NAME["organization"].field, text.lower())]
            if nterms:
                subs.append(query.Term("org_n", nterms[0]) if len(nterms) == 1
                            else query.Phrase("org_n", nterms))
            return query.ConstantScoreQuery(query.Or(subs), 0.0), False
        facet = FACETS_BY_NAME.get(fieldname)
        if facet is not None:
            value = text.strip()
            if facet.name == "country":
                value = value.upper()
            elif facet.name != "organization":
                value = value.lower()
            return query.ConstantScoreQuery(query.Term(facet.field, value), 0.0), False
        built.words.append(text)
        found = self.word(text)
        built.word_queries.setdefault(text, found)
        return found


def query_terms(q) -> list[tuple[str, str]]:
    """(field, text) pairs of the positive terms of a rewritten query."""
    out: list[tuple[str, str]] = []

    def walk(node):
        if isinstance(node, query.Not):
            return
        if isinstance(node, query.AndNot):
            walk(node.a)
            return
        if isinstance(node, query.Term):
            out.append((node.fieldname, node.text))
        elif isinstance(node, query.Phrase):
            out.extend((node.fieldname, w) for w in node.words)
        elif node is not None and hasattr(node, "children"):
            for child in node.children():
                walk(child)

    walk(q)
    return out
