"""Outcome figures: relative change, the headline outcome and the evidence a practice shows.

Pure functions over outcome rows, given either as ``Outcome`` objects or as the
plain dicts stored in a revision's parsed ``outcomes`` column, so lists and
cards read them without parsing a document.

The rules (documented in docs/practice-format.md):

- Relative change is ``(result - baseline) / |baseline|``; it is undefined
  (None) without a baseline or with a zero baseline.
- A row is *complete* when it has a baseline, a result, a direction
  (``better: lower|higher``), a period and a source.
- The headline outcome is the first complete row; else the first row with a
  baseline, a result and a source; else the first row.
- A practice claiming ``monitored`` or a stronger level of evidence *shows*
  that level only with at least one complete row; otherwise it shows
  ``anecdotal`` and validation warns (a warning, never an error).
"""

from __future__ import annotations

from typing import Any

# levels that promise measured figures
MEASURED_LEVELS = ("monitored", "evaluated", "experimental")
COMPLETE_KEYS = ("baseline", "result", "better", "period", "source")
EXAMPLE_TAG = "example"


def _get(row: Any, key: str):
    return row.get(key) if isinstance(row, dict) else getattr(row, key, None)


def relative_change(baseline, result) -> float | None:
    """Change as a fraction of the baseline (0.25 = +25 %), None if undefined."""
    if baseline is None or result is None or baseline == 0:
        return None
    return (result - baseline) / abs(baseline)


def verdict(baseline, result, better: str | None) -> str | None:
    """"better", "worse" or "same" by the row's direction; None when unknown."""
    if baseline is None or result is None or better not in ("lower", "higher"):
        return None
    if result == baseline:
        return "same"
    return "better" if (result < baseline) == (better == "lower") else "worse"


def is_complete(row: Any) -> bool:
    return all(_get(row, k) not in (None, "") for k in COMPLETE_KEYS)


def headline(outcomes: list) -> dict | None:
    """The headline outcome of a practice as a plain dict, None without outcomes."""
    rows = list(outcomes or [])
    if not rows:
        return None
    chosen = next((r for r in rows if is_complete(r)), None)
    if chosen is None:
        chosen = next((r for r in rows if all(_get(r, k) is not None
                                              for k in ("baseline", "result", "source"))),
                      rows[0])
    return outcome_figures(chosen)


def outcome_figures(row: Any) -> dict:
    """One outcome row with its change, relative change, movement and verdict."""
    baseline, result, better = _get(row, "baseline"), _get(row, "result"), _get(row, "better")
    change = None if baseline is None else result - baseline
    movement = None
    if change is not None:
        movement = "up" if change > 0 else "down" if change < 0 else "same"
    return {
        "indicator": _get(row, "indicator"), "unit": _get(row, "unit"),
        "baseline": baseline, "result": result, "better": better,
        "period": _get(row, "period"), "source": _get(row, "source"),
        "change": change, "relative_change": relative_change(baseline, result),
        "movement": movement, "verdict": verdict(baseline, result, better),
    }


def shown_evidence(claimed: str, outcomes: list) -> str:
    """The evidence level a practice shows: its claim, or anecdotal when a
    measured claim has no complete outcome row."""
    if claimed in MEASURED_LEVELS and not any(is_complete(r) for r in outcomes or []):
        return "anecdotal"
    return claimed


def missing_for_claim(outcomes: list) -> list[str]:
    """What the most complete row lacks to support a measured claim (empty if one is complete)."""
    best: list[str] | None = None
    for row in outcomes or []:
        missing = [k for k in COMPLETE_KEYS if _get(row, k) in (None, "")]
        if best is None or len(missing) < len(best):
            best = missing
    return list(COMPLETE_KEYS) if best is None else best


def is_example(tags: list | None) -> bool:
    """Fictional examples carry the tag ``example``."""
    return any(str(t).strip().lower() == EXAMPLE_TAG for t in tags or [])
