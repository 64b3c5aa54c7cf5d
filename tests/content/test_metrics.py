"""Outcome figures: relative change, direction, the headline outcome, evidence shown."""

from __future__ import annotations

import pytest

from kb.content import parse_practice
from kb.content.metrics import headline, is_example, outcome_figures, relative_change, \
    shown_evidence
from tests.content.test_document import doc


@pytest.mark.parametrize("baseline, result, expected", [
    (45, 12, -33 / 45),        # fell
    (12, 45, 33 / 12),         # rose
    (10, 10, 0.0),             # unchanged
    (-20, -10, 0.5),           # a negative baseline: rising towards zero is +50 %
    (-10, -20, -1.0),          # and falling further away is -100 %
    (-4, 2, 1.5),              # crossing zero upwards stays positive
    (0, 35, None),             # a zero baseline has no relative change
    (None, 35, None),          # nor does a missing one
])
def test_relative_change_sign_follows_the_movement(baseline, result, expected):
    change = relative_change(baseline, result)
    if expected is None:
        assert change is None
    else:
        assert change == pytest.approx(expected)


@pytest.mark.parametrize("baseline, result, better, movement, verdict", [
    (45, 12, "lower", "down", "better"),     # processing time down: better
    (45, 60, "lower", "up", "worse"),        # lower is better, and it rose
    (46, 61, "higher", "up", "better"),
    (46, 30, "higher", "down", "worse"),
    (-20, -10, "lower", "up", "worse"),      # negative values keep the rule
    (0, 35, "higher", "up", "better"),       # zero baseline: no percentage, still a verdict
    (10, 10, "lower", "same", "same"),
    (10, 12, None, "up", None),              # no direction: no verdict
    (None, 12, "lower", None, None),         # no baseline: nothing to compare
])
def test_direction_and_verdict(baseline, result, better, movement, verdict):
    row = {"indicator": "x", "unit": "u", "baseline": baseline, "result": result,
           "better": better}
    figures = outcome_figures(row)
    assert figures["movement"] == movement
    assert figures["verdict"] == verdict


def test_headline_is_the_first_complete_row_else_first_sourced_else_first():
    bare = {"indicator": "Visitors", "unit": "people", "result": 1800}
    sourced = {"indicator": "Entries", "unit": "cars", "baseline": 10, "result": 5,
               "source": "https://example.org/a"}
    complete = {"indicator": "Days", "unit": "days", "baseline": 45, "result": 12,
                "better": "lower", "period": "2021-2023", "source": "https://example.org/b"}
    assert headline([bare, sourced, complete])["indicator"] == "Days"
    assert headline([bare, sourced])["indicator"] == "Entries"
    assert headline([bare])["indicator"] == "Visitors"
    assert headline([]) is None
    top = headline([complete])
    assert top["relative_change"] == pytest.approx(-33 / 45)
    assert top["verdict"] == "better" and top["period"] == "2021-2023"


OUTCOMES = """outcomes:
  - indicator: Median permit processing time
    unit: days
    baseline: 45
    result: 12
{extra}
"""


@pytest.mark.parametrize("extra, warned", [
    ("    better: lower\n    period: 2021-2023\n    source: https://example.org/r.pdf", False),
    ("    better: lower\n    period: 2021-2023", True),          # no source
    ("    period: 2021-2023\n    source: https://example.org/r.pdf", True),  # no direction
])
def test_a_measured_claim_needs_a_complete_outcome_and_is_warned_not_refused(extra, warned):
    text = doc(evidence="monitored").replace(
        "---\n## Challenge", OUTCOMES.format(extra=extra) + "---\n## Challenge")
    result = parse_practice(text, "one-stop-building-permits.md")
    assert result.ok
    warnings = [w for w in result.warnings if w.field == "evidence"]
    assert bool(warnings) == warned
    assert shown_evidence("monitored", result.practice.outcomes) == \
        ("anecdotal" if warned else "monitored")
    if warned:
        assert "shown as anecdotal" in warnings[0].message


def test_anecdotal_claims_need_no_figures():
    result = parse_practice(doc(evidence="anecdotal"), "one-stop-building-permits.md")
    assert result.ok and not [w for w in result.warnings if w.field == "evidence"]
    assert shown_evidence("evaluated", []) == "anecdotal"


def test_examples_are_recognised_by_their_tag():
    assert is_example(["Example", "rain gardens"])
    assert not is_example(["examples of good practice"]) and not is_example(None)
