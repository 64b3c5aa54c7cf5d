"""Structural rules of the multilingual glossary (search/data/glossary.yaml).

docs/glossary.md describes the format; these tests are the rules a
maintainer relies on when adding or editing a concept.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

import search
from kb.content.vocab import THEMES

GLOSSARY = Path(search.__file__).parent / "data" / "glossary.yaml"
LANGUAGES = ("en", "fi", "sv", "de", "fr", "es", "it", "nl", "pt", "da", "no")
KEYS = {"id", "theme", "broader", "pref", "alt", "missing", "ambiguous"}
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@pytest.fixture(scope="module")
def concepts() -> list[dict]:
    with open(GLOSSARY, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert isinstance(data, list) and data, "the glossary is a list of concepts"
    for concept in data:
        assert isinstance(concept, dict), concept
        assert set(concept) <= KEYS, (concept.get("id"), set(concept) - KEYS)
    return data


@pytest.fixture(scope="module")
def by_id(concepts) -> dict[str, dict]:
    return {c["id"]: c for c in concepts}


def labels(concept: dict) -> dict[str, list[str]]:
    """Every label of a concept per language, preferred label first."""
    out: dict[str, list[str]] = defaultdict(list)
    for lang, label in (concept.get("pref") or {}).items():
        out[lang].append(label)
    for lang, alts in (concept.get("alt") or {}).items():
        out[lang].extend(alts)
    return out


def ancestors(concept_id: str, by_id: dict[str, dict]) -> list[str]:
    chain, seen = [], {concept_id}
    parent = by_id[concept_id].get("broader")
    while parent:
        assert parent not in seen, f"broader cycle through {parent}"
        chain.append(parent)
        seen.add(parent)
        parent = by_id[parent].get("broader")
    return chain


def test_ids_are_unique_kebab_case(concepts):
    ids = [c.get("id") for c in concepts]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, duplicates
    bad = [i for i in ids if not isinstance(i, str) or not KEBAB.match(i)]
    assert not bad, bad


def test_every_theme_has_exactly_one_concept(concepts):
    themes = [c["theme"] for c in concepts if "theme" in c]
    assert sorted(themes) == sorted(THEMES), (
        f"missing: {sorted(set(THEMES) - set(themes))}, "
        f"unknown or repeated: {sorted(t for t in themes if t not in THEMES or themes.count(t) > 1)}"
    )


def test_broader_points_to_a_known_concept_without_cycles(concepts, by_id):
    for concept in concepts:
        parent = concept.get("broader")
        if parent is not None:
            assert parent in by_id, (concept["id"], parent)
            assert parent != concept["id"], concept["id"]
        ancestors(concept["id"], by_id)  # raises on a cycle


def test_every_language_has_a_preferred_label_or_a_stated_reason(concepts):
    problems = []
    for concept in concepts:
        pref = concept.get("pref") or {}
        missing = concept.get("missing") or {}
        alt = concept.get("alt") or {}
        for lang in (*pref, *missing, *alt):
            if lang not in LANGUAGES:
                problems.append(f"{concept['id']}: unknown language {lang!r}")
        if "en" not in pref:
            problems.append(f"{concept['id']}: no English label")
        for lang in LANGUAGES:
            if lang in pref and lang in missing:
                problems.append(f"{concept['id']}: {lang} both labelled and missing")
            elif lang not in pref and lang not in missing:
                problems.append(f"{concept['id']}: no {lang} label and no reason")
            elif lang in missing and not str(missing[lang] or "").strip():
                problems.append(f"{concept['id']}: {lang} missing without a reason")
            if lang in missing and lang in alt:
                problems.append(f"{concept['id']}: {lang} alternatives without a preferred label")
    assert not problems, "\n".join(problems)


def test_labels_are_non_empty_strings_without_repeats(concepts):
    problems = []
    for concept in concepts:
        for lang, alts in (concept.get("alt") or {}).items():
            if not isinstance(alts, list):
                problems.append(f"{concept['id']}: alt {lang} is not a list")
        for lang, values in labels(concept).items():
            for value in values:
                if not isinstance(value, str) or not value.strip() or value != value.strip():
                    problems.append(f"{concept['id']}: bad {lang} label {value!r}")
            folded = [str(v).casefold() for v in values]
            repeats = sorted({v for v in folded if folded.count(v) > 1})
            if repeats:
                problems.append(f"{concept['id']}: {lang} label repeated {repeats}")
    assert not problems, "\n".join(problems)


def test_a_label_names_one_concept_per_language_unless_declared_ambiguous(concepts, by_id):
    """A label shared by two concepts in one language must be either a
    broader/narrower pair or listed under `ambiguous` in both."""
    owners: dict[tuple[str, str], list[str]] = defaultdict(list)
    for concept in concepts:
        for lang, values in labels(concept).items():
            for value in values:
                owners[(lang, value.casefold())].append(concept["id"])

    problems = []
    for (lang, label), ids in sorted(owners.items()):
        for i, first in enumerate(ids):
            for second in ids[i + 1:]:
                related = (second in ancestors(first, by_id)
                           or first in ancestors(second, by_id))
                declared = all(
                    label in {a.casefold() for a in by_id[c].get("ambiguous", [])}
                    for c in (first, second))
                if not related and not declared:
                    problems.append(f"{lang} {label!r}: {first} and {second}")
    assert not problems, "\n".join(problems)


def test_ambiguous_entries_are_labels_of_the_concept(concepts):
    problems = []
    for concept in concepts:
        own = {v.casefold() for values in labels(concept).values() for v in values}
        for label in concept.get("ambiguous", []):
            if label.casefold() not in own:
                problems.append(f"{concept['id']}: {label!r} is not one of its labels")
    assert not problems, "\n".join(problems)
