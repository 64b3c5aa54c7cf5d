"""Query translation through the portal's multilingual glossary.

``search/data/glossary.yaml`` (docs/glossary.md) holds the portal's concepts
with their labels in eleven languages. A query word that is (part of) a label
of a concept, in any language, is expanded into the concept's labels in the
other languages: "flood warning" also searches "tulvavaroitus" and
"översvämningsvarning".

Labels are matched the way the index analyses text: each label is analysed
with its own language's analyzer (stop words, stemming, folding), and the
query's words with the same analyzer, so "floods" meets "flood" and
"tulvien" meets "tulva". The longest label wins ("participatory budgeting"
before "budgeting").

The expansion is grouped per source word: :meth:`Glossary.expand` returns,
for each typed word that belongs to a matched label, the labels it stands
for; the query builder turns each word into one group (the word or any of its
translations, scored by the best of them), so a word's translations count
as one word, as structured dictionary queries do. The number of concepts and
labels per query is capped (:data:`MAX_CONCEPTS`, :data:`MAX_LABELS`) so
long queries stay fast.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import yaml

from .analysis import LANGUAGES, WORD_RE, analyzer_for

GLOSSARY_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "glossary.yaml")

#: at most this many concepts are expanded per query, this many labels each,
#: and a label longer than MAX_SPAN words is never matched
MAX_CONCEPTS = 4
MAX_LABELS = 24
MAX_SPAN = 4


@dataclass(frozen=True)
class Label:
    language: str
    text: str
    terms: tuple[str, ...]


class Glossary:
    """Concepts and their labels, indexed by analysed label per language."""

    def __init__(self, concepts: list[dict]):
        self.ids: list[str] = []
        self.labels: list[list[Label]] = []
        # language -> analysed label terms -> concept numbers
        self._table: dict[str, dict[tuple[str, ...], set[int]]] = {lang: {} for lang in LANGUAGES}
        for concept in concepts:
            n = len(self.ids)
            self.ids.append(str(concept["id"]))
            labels: list[Label] = []
            seen: set[tuple[str, tuple[str, ...]]] = set()
            pref = concept.get("pref") or {}
            alt = concept.get("alt") or {}
            ordered = [(lang, pref[lang]) for lang in LANGUAGES if pref.get(lang)]
            ordered += [(lang, text) for lang in LANGUAGES for text in (alt.get(lang) or ())]
            for lang, text in ordered:
                terms = tuple(analyzer_for(lang).terms(str(text)))
                if not terms or len(terms) > MAX_SPAN or (lang, terms) in seen:
                    continue
                seen.add((lang, terms))
                labels.append(Label(lang, str(text), terms))
                self._table[lang].setdefault(terms, set()).add(n)
            self.labels.append(labels)

    @classmethod
    def load(cls, path: str = GLOSSARY_PATH) -> "Glossary":
        with open(path, encoding="utf-8") as fh:
            # libyaml's loader where PyYAML has it: the glossary is ours, and it loads in
            # a tenth of the time (every process loads it once)
            return cls(yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
                       or [])

    def __len__(self) -> int:
        return len(self.ids)

    def _match(self, words: list[str]) -> tuple[set[int], set[str]]:
        """(concepts, languages) of the labels the words form."""
        text = " ".join(words)
        found: set[int] = set()
        languages: set[str] = set()
        for lang, table in self._table.items():
            terms = tuple(analyzer_for(lang).terms(text))
            if len(terms) != len(words):      # a stop word inside: not this label
                continue
            if len(terms) == 1 and len(words[0]) < 3:
                continue
            hit = table.get(terms)
            if hit:
                found |= hit
                languages.add(lang)
        return found, languages

    def concept_of(self, text: str) -> str | None:
        """The id of the concept one of whose labels, in any language, is exactly this
        text (as the index analyses it: "tulvat" and "floods" are labels of "flood");
        None when no label is. With several, the first by id."""
        words = [w.lower() for w in WORD_RE.findall(text or "")]
        if not words or len(words) > MAX_SPAN:
            return None
        found, _languages = self._match(words)
        return self.ids[min(found, key=lambda c: self.ids[c])] if found else None

    def concept_labels(self, concept_id: str) -> list[Label]:
        """Every label of a concept: preferred ones first, in the glossary's order."""
        try:
            return list(self.labels[self.ids.index(concept_id)])
        except ValueError:
            return []

    def labels_starting(self, prefix: str, language: str, limit: int = 10) -> list[str]:
        """Labels in one language with a word starting with ``prefix`` (case-insensitive),
        labels that start with it first, then alphabetically."""
        p = (prefix or "").strip().casefold()
        if not p:
            return []
        found: dict[str, bool] = {}
        for labels in self.labels:
            for label in labels:
                text = label.text.casefold()
                if label.language != language:
                    continue
                if text.startswith(p):
                    found.setdefault(label.text, True)
                elif any(w.startswith(p) for w in text.split()):
                    found.setdefault(label.text, False)
        ordered = sorted(found, key=lambda t: (not found[t], t.casefold()))
        return ordered[:limit]

    def expand(self, words: list[str],
               languages: list[str] | None = None) -> dict[str, list[Label]]:
        """{typed word (lowercase): labels it also stands for}, capped.

        ``languages``: only labels in these languages are returned (the ones
        present in the index). The labels the typed words themselves form are
        left out; the concept's synonyms in the typed language are kept
        (measured: they help monolingual ranking, docs/benchmarks.md).
        """
        words = [w.lower() for w in words if WORD_RE.search(w)]
        out: dict[str, list[Label]] = {}
        concepts = 0
        i = 0
        while i < len(words) and concepts < MAX_CONCEPTS:
            for n in range(min(MAX_SPAN, len(words) - i), 0, -1):
                span = words[i:i + n]
                hit, _languages = self._match(span)
                if hit:
                    break
            else:
                i += 1
                continue
            typed = {(lang, tuple(analyzer_for(lang).terms(" ".join(span))))
                     for lang in LANGUAGES}
            labels: list[Label] = []
            for c in sorted(hit, key=lambda c: self.ids[c])[:MAX_CONCEPTS - concepts]:
                concepts += 1
                for label in self.labels[c]:
                    if languages is not None and label.language not in languages:
                        continue
                    if (label.language, label.terms) in typed or label in labels:
                        continue
                    labels.append(label)
            labels = labels[:MAX_LABELS]
            if labels:
                for w in span:
                    out.setdefault(w, [])
                    out[w] += [lb for lb in labels if lb not in out[w]]
            i += n
        return out


_GLOSSARY: Glossary | None = None
_LOCK = threading.Lock()


def glossary() -> Glossary:
    """The bundled glossary, loaded once per process."""
    global _GLOSSARY
    if _GLOSSARY is None:
        with _LOCK:
            if _GLOSSARY is None:
                _GLOSSARY = Glossary.load()
    return _GLOSSARY
