"""The bundled knowledge base keeps the promises the README makes about it."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from kb.content import parse_practice_bytes
from kb.config import REPO_ROOT

PRACTICES = sorted((REPO_ROOT / "practices").glob("*.md"))


@pytest.fixture(scope="module")
def docs():
    parsed = {}
    for path in PRACTICES:
        result = parse_practice_bytes(path.read_bytes(), path.name)
        assert result.errors == [], (path, result.errors)
        parsed[result.practice.slug] = result.practice
    return parsed


def test_size_and_coverage(docs):
    assert len(docs) >= 40
    themes = {t for d in docs.values() for t in d.themes}
    assert len(themes) >= 12
    assert len({d.country for d in docs.values()}) >= 10
    languages = Counter(d.language for d in docs.values())
    assert languages["fi"] >= 8 and languages["sv"] >= 4
    assert sum(n for lang, n in languages.items() if lang not in ("en", "fi", "sv")) >= 4
    assert sum(1 for d in docs.values() if d.outcomes) >= 30


def test_adaptations_point_to_bundled_practices_including_a_chain_of_three(docs):
    adaptations = {s: d.adapted_from for s, d in docs.items() if d.adapted_from}
    assert len(adaptations) >= 5
    for slug, source in adaptations.items():
        assert source in docs, f"{slug} adapts unknown {source}"
    chains = [s for s, src in adaptations.items() if src in adaptations]
    assert chains, "no adaptation of an adaptation"


def test_real_figures_name_their_source_and_examples_say_so(docs):
    for slug, d in docs.items():
        example = "example" in d.tags
        assert d.links or example, f"{slug} names no sources"
        for o in d.outcomes:
            if example:
                assert o.source is None, f"{slug}: an example must not cite a source for its figures"
                assert o.note, f"{slug}: example figures are marked as illustrative"
            else:
                assert o.source, f"{slug}: the figure for {o.indicator!r} names no source"
        if example:
            # "fictional", "ficticio", "fictive", "fiktiv", "fiktive", "kuvitteellinen"
            assert re.search(r"fict|fikt|kuvitteel", d.organization.lower()), slug


def test_every_claim_of_measured_evidence_is_shown_by_a_complete_outcome(docs):
    """monitored, evaluated or experimental needs one outcome row with baseline,
    result, direction, period and source (docs/practice-format.md); a practice
    whose sources publish no such figure claims anecdotal evidence."""
    from kb.content.metrics import MEASURED_LEVELS, is_complete, shown_evidence

    measured = 0
    for slug, d in docs.items():
        assert shown_evidence(d.evidence, d.outcomes) == d.evidence, (
            f"{slug} claims {d.evidence} but shows no complete outcome")
        if d.evidence in MEASURED_LEVELS:
            measured += 1
            assert any(is_complete(o) and o.source.startswith("http") for o in d.outcomes)
        if "example" in d.tags:
            # fictional figures cite no source, so they never support a measured claim
            assert d.evidence == "anecdotal", slug
    assert measured >= 10
    for path in PRACTICES:
        result = parse_practice_bytes(path.read_bytes(), path.name)
        assert not [w for w in result.warnings if w.field == "evidence"], path.name


def _figures(text: str) -> set[str]:
    """The numbers in a text, separators dropped (1 800, 1,800 and 1.800 are one figure)."""
    return {re.sub(r"[\s,.\u00a0]", "", n) for n in re.findall(
        r"\d{1,3}(?:[\s,.\u00a0]\d{3})+(?!\d)|\d+(?:[.,]\d+)?", text)}


def test_every_non_english_practice_reads_in_english_and_ten_english_ones_in_finnish_and_swedish(
        docs):
    for slug, d in docs.items():
        if d.language != "en":
            assert "en" in d.translations, f"{slug} has no English title and summary"
    both = [s for s, d in docs.items()
            if d.language == "en" and {"fi", "sv"} <= set(d.translations)]
    assert len(both) >= 10, both


def test_translations_add_no_figure_of_their_own(docs):
    for slug, d in docs.items():
        original = _figures(f"{d.title} {d.summary}")
        for lang, t in d.translations.items():
            extra = _figures(f"{t['title']} {t['summary']}") - original
            assert not extra, f"{slug}: the {lang} translation has figures the original lacks: {extra}"
