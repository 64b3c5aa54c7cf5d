"""Ranking quality on the bundled practices must not silently get worse.

The recorded value lives in docs/benchmarks.md (one source of truth): the
line ``Bundled practices nDCG@10 (recorded): 0.xxxx``. This test indexes the
practices in practices/, runs the judged queries of bench/data/ and fails if
nDCG@10 drops more than 0.02 below the recorded value. After an intended
change (new practices, new judgments, better ranking), re-run
``python bench/relevance.py --set practices`` and update the document.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import relevance  # noqa: E402

RECORDED_RE = re.compile(r"Bundled practices nDCG@10 \(recorded\):\s*\**\s*([0-9.]+)")


def recorded_ndcg() -> float:
    with open(os.path.join(ROOT, "docs", "benchmarks.md"), encoding="utf-8") as fh:
        match = RECORDED_RE.search(fh.read())
    assert match, "docs/benchmarks.md must state 'Bundled practices nDCG@10 (recorded): X'"
    return float(match.group(1))


def test_bundled_practices_ndcg_does_not_drop(tmp_path):
    result = relevance.practices_ndcg(str(tmp_path))
    assert result["queries"] >= 30
    recorded = recorded_ndcg()
    assert result["ndcg@10"] >= recorded - 0.02, (
        f"nDCG@10 on the bundled practices fell to {result['ndcg@10']:.4f} "
        f"(recorded {recorded:.4f})")


XLANG_RE = re.compile(r"Cross-language set nDCG@10 \(recorded\):\s*\**\s*([0-9.]+)")
XLANG_RECALL_RE = re.compile(r"Cross-language set recall@10 \(recorded\):\s*\**\s*([0-9.]+)")


def _recorded(pattern, name):
    with open(os.path.join(ROOT, "docs", "benchmarks.md"), encoding="utf-8") as fh:
        match = pattern.search(fh.read())
    assert match, f"docs/benchmarks.md must state '{name} (recorded): X'"
    return float(match.group(1))


def test_cross_language_ranking_does_not_drop(tmp_path):
    """The lexical side (decompounding and glossary, without the dense model,
    which would embed every practice here) on the cross-language set."""
    result = relevance.xlang_eval(str(tmp_path))
    assert result["all"]["queries"] >= 90
    ndcg = _recorded(XLANG_RE, "Cross-language set nDCG@10")
    recall = _recorded(XLANG_RECALL_RE, "Cross-language set recall@10")
    assert result["all"]["ndcg@10"] >= ndcg - 0.02, result["all"]
    assert result["all"]["recall@10"] >= recall - 0.03, result["all"]
    # monolingual ranking never falls below the words-only ranking it replaced
    assert result["mono"]["ndcg@10"] >= 0.8013 - 0.01, result["mono"]
