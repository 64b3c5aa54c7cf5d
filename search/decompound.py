"""Compound splitting and lemmas for the compounding languages.

Finnish, Swedish, German, Dutch, Danish and Norwegian write compounds as one
word: "kellaritulvat" (basement floods), "översvämningsskydd" (flood
protection), "Hochwasserschutzmaßnahmen". A reader who types "tulva" or
"Hochwasser" expects the compounds too, so the analyzer indexes a compound's
parts beside the word itself (same position; the original token is kept).

Two splitters:

- Finnish with Voikko (Debian ``libvoikko1`` + ``voikko-fi``, Python binding
  ``libvoikko``): a morphological analysis gives the lemma ("kellaritulvat"
  -> "kellaritulva") and the parts ("kellari", "tulva"), derivations joined
  ("tulvavaroitusjärjestelmä" -> tulva, varoitus, järjestelmä).
- Every compounding language, and Finnish where Voikko is absent: a splitter
  over word frequencies (the ``wordfreq`` package, data inside the wheel): a
  word that is not itself common is split where both sides are common words,
  allowing the language's linking letters ("översvämning-s-skydd"), the most
  frequent split winning, recursively.

:func:`setup` names what runs; the index records it and rebuilds itself when
it changes (search.index).
"""

from __future__ import annotations

import logging
import os
import threading

log = logging.getLogger(__name__)

#: Languages whose words are split (ISO 639-1 field languages).
COMPOUNDING: tuple[str, ...] = ("fi", "sv", "de", "nl", "da", "no")

#: Linking elements between compound parts, per language.
_LINKS = {
    "sv": ("", "s", "a", "u", "o", "e"),
    "de": ("", "s", "es", "n", "en", "e", "er"),
    "nl": ("", "s", "en", "e"),
    "da": ("", "s", "e"),
    "no": ("", "s", "e"),
    "fi": ("",),
}
_WORDFREQ_LANG = {"no": "nb"}

#: A word at least this common (Zipf scale) is never split by frequency;
#: each part must be at least PART_ZIPF common and MIN_PART letters long.
WORD_ZIPF = 3.0
PART_ZIPF = 2.5
MIN_PART = 3
MIN_WORD = 7


class _Voikko:
    """Finnish lemmas and compound parts from Voikko, or None when absent."""

    def __init__(self):
        import libvoikko  # noqa: F401  (ImportError when the binding is absent)

        self._v = libvoikko.Voikko("fi")
        self._lock = threading.Lock()
        try:
            self.version = libvoikko.Voikko.getVersion()
        except Exception:  # older bindings
            self.version = "?"

    def analyse(self, word: str) -> tuple[str | None, list[str]]:
        """(lemma, parts) of a word; parts empty when it is not a compound."""
        with self._lock:
            analyses = self._v.analyze(word)
        if not analyses:
            return None, []
        a = analyses[0]
        lemma = (a.get("BASEFORM") or "").lower() or None
        bases = a.get("WORDBASES") or ""
        parts: list[str] = []
        surfaces: list[str] = []
        for seg in bases.split("+")[1:]:
            if "(" not in seg:
                continue
            surface, _, base = seg.partition("(")
            base = base.rstrip(")")
            if base.startswith("+") or not base:
                # a derivational suffix: joins the previous part ("varoit" + "us")
                if surfaces:
                    surfaces[-1] += surface
                    parts[-1] = surfaces[-1]
                continue
            surfaces.append(surface)
            parts.append(base.replace("=", ""))
        parts = [p.lower() for p in parts if len(p) >= 2]
        if len(parts) < 2:
            parts = []
        return lemma, parts


class _Frequencies:
    """Common words of a language from wordfreq's bundled lists (Zipf >= PART_ZIPF)."""

    def __init__(self, lang: str):
        import wordfreq

        code = _WORDFREQ_LANG.get(lang, lang)
        path = os.path.join(os.path.dirname(wordfreq.__file__), "data", f"large_{code}.msgpack.gz")
        if not os.path.exists(path):
            path = os.path.join(os.path.dirname(wordfreq.__file__), "data",
                                f"small_{code}.msgpack.gz")
        buckets = wordfreq.read_cBpack(path)
        # bucket i holds the words of frequency 10**(-i/100): Zipf = 9 - i/100
        self.zipf: dict[str, float] = {}
        for i, words in enumerate(buckets):
            z = 9 - i / 100
            if z < PART_ZIPF:
                break
            for w in words:
                self.zipf[w] = z


class FrequencySplitter:
    """Split a rare word into common words, allowing linking letters."""

    def __init__(self, lang: str, words: _Frequencies):
        self.lang = lang
        self.links = _LINKS.get(lang, ("",))
        self.words = words.zipf

    def _best(self, word: str, depth: int = 0):
        """(left, right, score) of the best two-part split, or (None, None, 0).

        Each side is a common word (Zipf >= PART_ZIPF); the left side may
        instead split again (depth-limited, scored half a point lower). The
        score is the Zipf frequency of the rarer side, so "bürger|haushalt"
        wins over "bürgerhau|halt".
        """
        best: tuple[str | None, str | None] = (None, None)
        best_score = 0.0
        zipf = self.words
        n = len(word)
        for i in range(MIN_PART, n - MIN_PART + 1):
            right = word[i:]
            zr = zipf.get(right)
            if zr is None:
                continue
            head = word[:i]
            for link in self.links:
                if link and not head.endswith(link):
                    continue
                left = head[:len(head) - len(link)] if link else head
                if len(left) < MIN_PART:
                    continue
                zl = zipf.get(left)
                if zl is None:
                    if depth >= 1 or len(left) < 2 * MIN_PART:
                        continue
                    zl = self._best(left, depth + 1)[2] - 0.5
                    if zl <= 0:
                        continue
                score = min(zl, zr)
                if score > best_score:
                    best, best_score = (left, right), score
        return best[0], best[1], best_score

    def split(self, word: str, depth: int = 0) -> list[str]:
        """The parts of a compound (outermost first), empty when not split."""
        word = word.casefold()
        if (len(word) < MIN_WORD or depth > 2
                or self.words.get(word, 0.0) >= WORD_ZIPF):
            return []
        left, right, _score = self._best(word)
        if left is None:
            return []
        out = [left, right]
        for part in (left, right):
            out += [p for p in self.split(part, depth + 1) if p not in out]
        return out


class Decompounder:
    """Parts (and lemmas) of words of every compounding language, cached per word."""

    def __init__(self, use_voikko: bool = True, use_frequencies: bool = True):
        self._voikko = None
        self.wordfreq_error = None
        self.voikko_error = None
        if use_voikko:
            try:
                self._voikko = _Voikko()
            except Exception as exc:  # binding or Debian library/dictionary missing
                self.voikko_error = f"{type(exc).__name__}: {exc}"
        self._freq: dict[str, FrequencySplitter | None] = {}
        self._lock = threading.Lock()
        self.wordfreq_version = None
        if not use_frequencies:
            return
        try:
            import wordfreq
            self.wordfreq_version = getattr(wordfreq, "__version__", None) or _version("wordfreq")
        except Exception as exc:
            self.wordfreq_error = f"{type(exc).__name__}: {exc}"

    def _splitter(self, lang: str) -> FrequencySplitter | None:
        try:
            return self._freq[lang]
        except KeyError:
            pass
        with self._lock:
            if lang not in self._freq:
                splitter = None
                if self.wordfreq_version:
                    try:
                        splitter = FrequencySplitter(lang, _Frequencies(lang))
                    except Exception as exc:
                        log.warning("no word frequencies for %s (%s): compounds not split",
                                    lang, exc)
                self._freq[lang] = splitter
            return self._freq[lang]

    def extra_words(self, lang: str, word: str) -> list[str]:
        """Words indexed beside ``word`` (lowercase): its lemma and compound parts."""
        if lang not in COMPOUNDING or len(word) < MIN_WORD or not word.isalpha():
            return []
        if lang == "fi" and self._voikko is not None:
            lemma, parts = self._voikko.analyse(word)
            out = parts[:]
            if lemma and lemma != word and lemma not in out:
                out.append(lemma)
            return out
        splitter = self._splitter(lang)
        return splitter.split(word) if splitter else []

    def describe(self) -> dict[str, str]:
        """What splits each compounding language, for the log, status and index state."""
        out = {}
        for lang in COMPOUNDING:
            if lang == "fi" and self._voikko is not None:
                out[lang] = f"voikko {self._voikko.version}"
            elif self.wordfreq_version:
                out[lang] = f"wordfreq {self.wordfreq_version} splitter"
            else:
                out[lang] = "none"
        return out


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


_DECOMPOUNDER: Decompounder | None = None
_INIT_LOCK = threading.Lock()


def decompounder() -> Decompounder:
    """The process-wide decompounder (Voikko where it is installed)."""
    global _DECOMPOUNDER
    if _DECOMPOUNDER is None:
        with _INIT_LOCK:
            if _DECOMPOUNDER is None:
                _DECOMPOUNDER = Decompounder()
    return _DECOMPOUNDER


def set_decompounder(value: Decompounder | None) -> None:
    """Replace the process-wide decompounder (tests: the fallback path)."""
    global _DECOMPOUNDER
    from .analysis import clear_caches

    _DECOMPOUNDER = value
    clear_caches()


def setup() -> dict[str, str]:
    """The analysis set-up an index is built with (recorded in its state).

    ``version`` counts changes of what a document holds that an index built before cannot
    answer: "2" added the tag facets (owner's and community tags, a network's private tags).
    """
    return {"decompounding": ", ".join(f"{k}: {v}" for k, v in decompounder().describe().items()),
            "version": "2"}
