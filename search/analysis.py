"""Text analysis: per-language stemming and stop words, accent folding.

Every text field of the index is analysed by one :class:`LanguageAnalyzer`:
tokenize on word characters, lowercase, drop stop words of the language,
stem with the language's Snowball stemmer (PyStemmer, a C extension) and fold
accents ("Åland" -> "aland", "päätös" -> "paatos"), in one pass with a
per-analyzer cache of word -> term. The language-neutral fields use the same
class with ``language=None``: no stop words, no stemming, folding only.

In the compounding languages (search.decompound) a word's lemma and
compound parts are indexed beside it, at the same position, each stemmed and
folded like a word: "kellaritulvat" is indexed as itself, "kellari" and
"tulva"; the original token is kept.

Stemming happens before folding because the Snowball stemmers expect the
language's real letters; folding the stem afterwards makes the index and the
query meet when a user types without diacritics.

The analyzers are pickled by Whoosh into the index's table of contents; they
drop their stemmer and cache when pickled and rebuild them lazily. The index
is always opened with the schema from :mod:`search.schema`, so the pickled
copy is never used to read.
"""

from __future__ import annotations

import re
import unicodedata

import Stemmer
from whoosh.analysis import Analyzer, Token
from whoosh.lang import stopwords_for_language

from .decompound import COMPOUNDING, decompounder

#: ISO 639-1 code -> PyStemmer algorithm. Documents in any other language are
#: indexed without stemming (fields suffixed ``_xx``).
STEMMERS: dict[str, str] = {
    "en": "english",
    "fi": "finnish",
    "sv": "swedish",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "nl": "dutch",
    "pt": "portuguese",
    "da": "danish",
    "no": "norwegian",
    "nb": "norwegian",
    "nn": "norwegian",
}

#: Languages that get their own set of fields, plus "xx" for everything else.
LANGUAGES: tuple[str, ...] = ("en", "fi", "sv", "de", "fr", "es", "it", "nl", "pt", "da", "no")
OTHER = "xx"

_ALIASES = {"nb": "no", "nn": "no"}

WORD_RE = re.compile(r"\w+", re.UNICODE)

_SPECIAL_FOLDS = {
    "ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "œ": "oe", "Œ": "oe",
    "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ł": "l", "Ł": "l",
    "ı": "i", "ħ": "h", "ŀ": "l",
}


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x80, 0x2B0):
        ch = chr(code)
        if ch in _SPECIAL_FOLDS:
            table[code] = _SPECIAL_FOLDS[ch]
            continue
        decomposed = unicodedata.normalize("NFKD", ch)
        base = "".join(c for c in decomposed if not unicodedata.combining(c))
        if base and base != ch and base.isascii():
            table[code] = base
    return table


_FOLD_TABLE = _build_fold_table()


_TAG_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


def tag_words(tag: str) -> list[str]:
    """The words of a tag as stored in the index ("shortlist_2027": shortlist, 2027),
    case- and accent-folded."""
    return [fold(w.casefold()) for w in _TAG_WORD_RE.findall(tag)]


def private_tag_words(text: str) -> list[str]:
    """The words a query names a tag with ("shortlist 2027", "Shortlist-2027"); none for
    a query with field names (``title:...``) or operators, which searches as written."""
    if ":" in text or re.search(r"(^|\s)(AND|OR|NOT|ANDNOT|ANDMAYBE)(\s|$)|[()]", text):
        return []
    return tag_words(text)


def fold(text: str) -> str:
    """Lowercase-independent accent folding: "Åland" -> "Aland"."""
    if text.isascii():
        return text
    text = text.translate(_FOLD_TABLE)
    if text.isascii():
        return text
    # Rare characters outside Latin-1/Extended: decompose and drop marks.
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def field_language(language: str | None) -> str:
    """The field-set suffix for a document language ("en", ..., or "xx")."""
    lang = (language or "").lower()
    lang = _ALIASES.get(lang, lang)
    return lang if lang in LANGUAGES else OTHER


def stop_words(language: str) -> frozenset[str]:
    """Stop words of a language, lowercased, with and without accents."""
    if language not in STEMMERS:
        return frozenset()
    try:
        words = stopwords_for_language(language)
    except Exception:  # whoosh raises NoStopWords for unknown languages
        return frozenset()
    words = {w.lower() for w in words}
    return frozenset(words | {fold(w) for w in words})


class LanguageAnalyzer(Analyzer):
    """Tokenize, lowercase, remove stop words, stem, fold accents: one pass.

    ``language=None`` gives the language-neutral analysis (fold only).
    Stop words are removed with positions renumbered, so a phrase query
    analysed the same way matches across them.
    """

    def __init__(self, language: str | None = None, minsize: int = 1):
        self.language = language if language in STEMMERS else None
        self.minsize = minsize
        self._setup()

    def _setup(self) -> None:
        self._stops = stop_words(self.language) if self.language else frozenset()
        self._stemmer = Stemmer.Stemmer(STEMMERS[self.language]) if self.language else None
        self._cache: dict[str, str | None] = {}
        self._extra_cache: dict[str, tuple[str, ...]] = {}
        self._compounds = self.language in COMPOUNDING

    def __getstate__(self):
        return {"language": self.language, "minsize": self.minsize}

    def __setstate__(self, state):
        self.language = state["language"]
        self.minsize = state["minsize"]
        self._setup()

    def __eq__(self, other):
        return (isinstance(other, LanguageAnalyzer) and other.language == self.language
                and other.minsize == self.minsize)

    def __hash__(self):
        return hash((self.language, self.minsize))

    def __repr__(self):
        return f"LanguageAnalyzer({self.language!r})"

    def term(self, word: str) -> str | None:
        """The indexed term for one word, or None when it is a stop word."""
        cache = self._cache
        try:
            return cache[word]
        except KeyError:
            pass
        low = word.lower()
        if len(low) < self.minsize or low in self._stops:
            result = None
        elif self._stemmer is not None:
            result = fold(self._stemmer.stemWord(low))
        else:
            result = fold(low)
        if len(cache) > 200_000:
            cache.clear()
        cache[word] = result
        return result

    def extra_terms(self, word: str) -> tuple[str, ...]:
        """Terms indexed beside a word's own: its lemma and compound parts, stemmed."""
        if not self._compounds:
            return ()
        cache = self._extra_cache
        try:
            return cache[word]
        except KeyError:
            pass
        low = word.lower()
        own = self.term(word)
        out: list[str] = []
        if own is not None and self.language is not None:
            for extra in decompounder().extra_words(self.language, low):
                t = self.term(extra)
                if t is not None and t != own and t not in out:
                    out.append(t)
        if len(cache) > 200_000:
            cache.clear()
        result = cache[word] = tuple(out)
        return result

    def terms(self, text: str) -> list[str]:
        """The non-stop terms of a text, in order."""
        out = []
        term = self.term
        for m in WORD_RE.finditer(text):
            t = term(m.group(0))
            if t is not None:
                out.append(t)
        return out

    def is_stop(self, word: str) -> bool:
        return word.lower() in self._stops

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        term = self.term
        if not tokenize:
            t.original = t.text = fold(value.lower())
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar = start_char
                t.endchar = start_char + len(value)
            yield t
            return
        pos = start_pos
        for match in WORD_RE.finditer(value):
            word = match.group(0)
            text = term(word)
            if text is None:
                if removestops:
                    continue
                t.stopped = True
                t.text = word.lower()
            else:
                t.stopped = False
                t.text = text
            t.boost = 1.0
            if keeporiginal:
                t.original = word
            if positions:
                t.pos = pos
            if chars:
                t.startchar = start_char + match.start()
                t.endchar = start_char + match.end()
            yield t
            if text is not None and self._compounds and len(word) >= 7:
                for extra in self.extra_terms(word):
                    t.text = extra      # same position and characters as the word
                    yield t
            pos += 1


_ANALYZERS: dict[str | None, LanguageAnalyzer] = {}


def analyzer_for(language: str | None) -> LanguageAnalyzer:
    """The shared analyzer of a field language ("en"... "xx") or None (neutral)."""
    key = None if language in (None, OTHER) else language
    try:
        return _ANALYZERS[key]
    except KeyError:
        a = _ANALYZERS[key] = LanguageAnalyzer(key)
        return a


def clear_caches() -> None:
    """Forget every analyzer's word cache (after the decompounder changed)."""
    for a in _ANALYZERS.values():
        a._setup()
