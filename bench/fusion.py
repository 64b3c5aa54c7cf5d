"""How to fuse the lexical and the dense ranking: SciFact nDCG@10 per fusion method.

Reads the two SciFact indexes `bench/relevance.py --set scifact --dense --workdir DIR`
leaves in DIR (`scifact`: lexical, as shipped; `scifact-dense`: with the multilingual
model's vectors), takes for each of the 300 test claims the lexical top 100 (BM25F
scores) and the dense top 100 (cosine similarities), and fuses them:

- rrf K: reciprocal-rank fusion with constant K (the portal ranks with K = 60);
- minmax A / z A: A x lexical score + (1 - A) x dense score, each normalised over its
  list (min-max, or z-score); a document missing from a list scores 0 there.

The claims are split by id into two halves (even and odd positions), so a setting chosen
on one half can be checked on the other; "all" is every claim. Then the same with the
dense list cut as the portal cuts it (within a margin of the best, at most K).

    python bench/fusion.py --workdir DIR
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

import relevance  # noqa: E402
from search import SearchIndex  # noqa: E402
from search.dense import embedder  # noqa: E402

DEPTH = 100
METHODS = [("rrf", k) for k in (60, 20, 10, 5)] + \
          [(norm, a) for norm in ("minmax", "z") for a in (0.4, 0.5, 0.6, 0.7)]
CUTS = [(20, 0.05), (50, 0.1), (100, 0.1)]  # (at most K, within margin of the best)


def _normalised(pairs: list[tuple[int, float]], how: str) -> dict[int, float]:
    if not pairs:
        return {}
    values = np.array([s for _d, s in pairs], dtype=float)
    if how == "z":
        mean, spread = values.mean(), values.std() or 1.0
        return {d: (s - mean) / spread for d, s in pairs}
    low, high = values.min(), values.max()
    return {d: (s - low) / (high - low) if high > low else 1.0 for d, s in pairs}


def fuse(lexical, dense, method: str, value: float) -> list[str]:
    scores: dict[int, float] = {}
    if method == "rrf":
        for ranked in (lexical, dense):
            for rank, (d, _s) in enumerate(ranked):
                scores[d] = scores.get(d, 0.0) + 1.0 / (value + rank + 1)
    else:
        a, b = _normalised(lexical, method), _normalised(dense, method)
        scores = {d: value * a.get(d, 0.0) + (1 - value) * b.get(d, 0.0)
                  for d in set(a) | set(b)}
    return [str(d) for d, _s in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    _docs, queries, qrels = relevance.load_scifact()
    lexical_index = SearchIndex(os.path.join(args.workdir, "scifact"))
    dense_index = SearchIndex(os.path.join(args.workdir, "scifact-dense"), dense=True)
    if not (lexical_index.exists() and dense_index.exists()):
        sys.exit(f"no SciFact indexes in {args.workdir}: run bench/relevance.py --set "
                 f"scifact --dense --workdir {args.workdir} first")

    def vectors(view):
        matrix, docnums, _langs = dense_index._vectors(view)
        return matrix, np.array([int(view.ids[int(d)]) for d in docnums])

    matrix, ids = dense_index._read(vectors)
    t0 = time.perf_counter()
    lists = {}
    for qid, text in queries.items():
        lexical = [(int(h.id), h.score) for h in lexical_index.search(
            text, per_page=DEPTH, facets=False).hits]
        sims = matrix @ embedder().query(text)
        dense = [(int(ids[i]), float(sims[i])) for i in np.argsort(-sims)[:DEPTH]]
        lists[qid] = (lexical, dense)
    print(f"{len(lists)} claims ranked both ways in {time.perf_counter() - t0:.0f} s")
    order = sorted(lists, key=int)
    halves = {"half 1": order[0::2], "half 2": order[1::2], "all": order}

    def table(title: str, cut=None) -> None:
        print(f"\n{title}\n{'method':<12} " + " ".join(f"{h:>7}" for h in halves))
        for method, value in METHODS:
            row = []
            for qids in halves.values():
                total = 0.0
                for q in qids:
                    lexical, dense = lists[q]
                    if cut:
                        k, margin = cut
                        dense = [(d, s) for d, s in dense if s >= dense[0][1] - margin][:k]
                    total += relevance.ndcg_at(fuse(lexical, dense, method, value), qrels[q])
                row.append(total / len(qids))
            print(f"{method + ' ' + str(value):<12} " + " ".join(f"{v:7.4f}" for v in row),
                  flush=True)

    lexical_only = sum(relevance.ndcg_at([str(d) for d, _s in lists[q][0]], qrels[q])
                       for q in order) / len(order)
    print(f"lexical alone: nDCG@10 {lexical_only:.4f}")
    table(f"dense top {DEPTH}")
    for cut in CUTS:
        table(f"dense list cut as the portal cuts it: at most {cut[0]}, within {cut[1]} "
              f"of the best", cut)


if __name__ == "__main__":
    main()
