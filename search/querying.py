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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from whoosh import analysis, fields, qparser, query

from .analysis import WORD_RE, analyzer_for, fold
from .schema import DEFAULT_RANKING, FACETS_BY_NAME, Ranking, TEXT_PARTS, text_field

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


@dataclass
class Built:
    """A rewritten query and what the highlighter and speller need."""

    query: query.Query | None
    words: list[str] = field(default_factory=list)        # plain words typed
    prefixes: list[str] = field(default_factory=list)     # folded prefixes
    phrases: list[list[str]] = field(default_factory=list)


class QueryBuilder:
    """Rewrites parsed user queries for the languages present in an index."""

    def __init__(self, languages: list[str], ranking: Ranking = DEFAULT_RANKING,
                 exists=None):
        self.languages = list(languages)
        self.ranking = ranking
        self.neutral = analyzer_for(None)
        # exists(field, term) -> bool prunes terms absent from the index, so
        # Whoosh does not iterate dozens of empty matchers per word.
        self.exists = exists or (lambda fieldname, text: True)
        self.implicit_or = False

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
            for part in parts:
                leaf = self._leaf(text_field(lang, part), terms, self._weight(part, parts))
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
        if not subs:
            return (query.NullQuery if analysed else None), stopped_somewhere
        q = subs[0] if len(subs) == 1 else query.Or(subs)
        return q, stopped_somewhere

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
                    subs.append(query.Prefix(text_field(lang, part), p,
                                             boost=self._weight(part, parts)))
        if "title" in parts:
            subs.append(query.Prefix("title_n", p, boost=self.ranking.title_n or 0.1))
        return query.Or(subs)

    # -- tree ---------------------------------------------------------------

    def build(self, text: str, operator: str = "and") -> Built:
        """Parse and rewrite; raises on parser failure (caller degrades)."""
        parser = _OR_PARSER if operator == "or" else _AND_PARSER
        tree = parser.parse(text)
        # Top-level ORs made by the default operator (not typed by the user)
        # keep NOT and field:value constraints as restrictions.
        self.implicit_or = operator == "or"
        built = Built(None)
        q, _opt = self._rewrite(tree, built)
        built.query = q
        return built

    def build_words(self, words: list[str], operator: str = "and") -> Built:
        built = Built(None)
        subs = []
        optional = []
        for w in words:
            built.words.append(w)
            q, opt = self.word(w)
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
            parts = TEXT_QUERY_FIELDS.get(node.fieldname, TEXT_PARTS)
            if len(node.text) < 2:
                return self._term(node.fieldname, node.text, built)
            built.prefixes.append(fold(node.text.lower()))
            return self.prefix(node.text, parts), False
        if isinstance(node, query.Wildcard):
            text = node.text
            if text.endswith("*") and "*" not in text[:-1] and "?" not in text and len(text) > 2:
                built.prefixes.append(fold(text[:-1].lower()))
                return self.prefix(text[:-1]), False
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
            required, optional, excluded, constraints = [], [], [], []
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
            return self.word(text, parts, neutral=True)
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
        return self.word(text)


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
