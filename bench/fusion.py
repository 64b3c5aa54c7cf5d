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
dense list cut as the portal cuts it (within a margin of the best, at most K); at the
portal's depths (the lexical page plus FUSE_DEPTH, the first DENSE_K neighbours); and
with the claim's vector widened by the lexical list's first M documents (pseudo-relevance
feedback: the claim's vector plus B times the mean of theirs).

``--mix W`` (repeatable) also ranks at the portal's depths with each abstract's vector
mixed from the start it is embedded from and the whole abstract: the normalised sum of
(1 - W) x the shipped vector and W x the whole abstract's. The whole abstracts' vectors
are read from the dense index's vector cache; those missing there are embedded first
(about one abstract a second on one core: 90 minutes for a cache without any).

    python bench/fusion.py --workdir DIR [--mix 0.3 --mix 0.5 ...]
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
from search import dense as dense_mod  # noqa: E402
from search.dense import embedder  # noqa: E402
from search.reading import DENSE_K, FUSE_DEPTH  # noqa: E402

DEPTH = 100
METHODS = [("rrf", k) for k in (60, 20, 10, 5)] + \
          [(norm, a) for norm in ("minmax", "z") for a in (0.4, 0.5, 0.6, 0.7)]
CUTS = [(20, 0.05), (50, 0.1), (100, 0.1)]  # (at most K, within margin of the best)
FEEDBACK = [(0.3, 1), (0.5, 1), (0.3, 2), (0.5, 3), (0.5, 5)]  # (B, M)


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
    ap.add_argument("--mix", type=float, action="append", default=[],
                    help="weight of the whole abstract's vector in a mixed vector (0-1)")
    args = ap.parse_args()
    docs, queries, qrels = relevance.load_scifact()
    lexical_index = SearchIndex(os.path.join(args.workdir, "scifact"))
    dense_index = SearchIndex(os.path.join(args.workdir, "scifact-dense"), dense=True)
    if not (lexical_index.exists() and dense_index.exists()):
        sys.exit(f"no SciFact indexes in {args.workdir}: run bench/relevance.py --set "
                 f"scifact --dense --workdir {args.workdir} first")

    def vectors(view):
        matrix, docnums, _langs = dense_index._vectors(view)
        return matrix, np.array([int(view.ids[int(d)]) for d in docnums])

    matrix, ids = dense_index._read(vectors)
    row = {int(d): n for n, d in enumerate(ids)}

    def nearest(vector) -> list[tuple[int, float]]:
        sims = matrix @ vector
        return [(int(ids[i]), float(sims[i])) for i in np.argsort(-sims)[:DEPTH]]

    t0 = time.perf_counter()
    lists, claim_vectors = {}, {}
    for qid, text in queries.items():
        lexical = [(int(h.id), h.score) for h in lexical_index.search(
            text, per_page=DEPTH, facets=False).hits]
        claim_vectors[qid] = embedder().query(text)
        lists[qid] = (lexical, nearest(claim_vectors[qid]))
    print(f"{len(lists)} claims ranked both ways in {time.perf_counter() - t0:.0f} s")
    order = sorted(lists, key=int)
    halves = {"half 1": order[0::2], "half 2": order[1::2], "all": order}

    def table(title: str, cut=None, depths=None) -> None:
        print(f"\n{title}\n{'method':<12} " + " ".join(f"{h:>7}" for h in halves))
        for method, value in METHODS:
            scores = []
            for qids in halves.values():
                total = 0.0
                for q in qids:
                    lexical, dense = lists[q]
                    if cut:
                        k, margin = cut
                        dense = [(d, s) for d, s in dense if s >= dense[0][1] - margin][:k]
                    if depths:
                        lexical, dense = lexical[:depths[0]], dense[:depths[1]]
                    total += relevance.ndcg_at(fuse(lexical, dense, method, value), qrels[q])
                scores.append(total / len(qids))
            print(f"{method + ' ' + str(value):<12} " + " ".join(f"{v:7.4f}" for v in scores),
                  flush=True)

    lexical_only = sum(relevance.ndcg_at([str(d) for d, _s in lists[q][0]], qrels[q])
                       for q in order) / len(order)
    print(f"lexical alone: nDCG@10 {lexical_only:.4f}")
    table(f"dense top {DEPTH}")
    for cut in CUTS:
        table(f"dense list cut as the portal cuts it: at most {cut[0]}, within {cut[1]} "
              f"of the best", cut)
    depths = (10 + FUSE_DEPTH, DENSE_K)
    table(f"at the portal's depths: lexical top {depths[0]}, dense top {depths[1]}",
          depths=depths)
    plain = dict(lists)
    for weight, first in FEEDBACK:
        for q, (lexical, _dense) in plain.items():
            vector = claim_vectors[q]
            if lexical:
                vector = vector + weight * np.mean(
                    [matrix[row[d]] for d, _s in lexical[:first]], axis=0)
                vector = vector / np.linalg.norm(vector)
            lists[q] = (lexical, nearest(vector))
        dense_alone = sum(relevance.ndcg_at([str(d) for d, _s in lists[q][1]], qrels[q])
                          for q in order) / len(order)
        table(f"claim vector + {weight} x mean of the lexical top {first} (dense alone: "
              f"{dense_alone:.4f}), at the portal's depths", depths=depths)
    if not args.mix:
        return
    start_matrix = matrix
    whole = _whole_vectors(docs, ids, os.path.join(args.workdir, "scifact-dense"))
    for weight in args.mix:
        mixed = (1 - weight) * start_matrix + weight * whole
        matrix = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
        for q, (lexical, _dense) in plain.items():
            lists[q] = (lexical, nearest(claim_vectors[q]))
        dense_alone = sum(relevance.ndcg_at([str(d) for d, _s in lists[q][1]], qrels[q])
                          for q in order) / len(order)
        table(f"vectors mixed, whole abstract's weight {weight} (dense alone: "
              f"{dense_alone:.4f}), at the portal's depths", depths=depths)


def _whole_vectors(docs, ids, index_path: str) -> np.ndarray:
    """The whole abstracts' vectors (the model's window), in the order of ``ids``, from
    the index's vector cache; the missing ones are embedded and added to it."""
    by_id = {str(d["id"]): d for d in docs}
    kept = dense_mod.BODY_CHARS
    dense_mod.BODY_CHARS = 4000      # more than the model's 512 tokens
    try:
        chosen = [by_id[str(i)] for i in ids]
        cache = dense_mod.VectorCache(os.path.join(index_path, "vectors.sqlite3"))
        t0 = time.perf_counter()
        vectors = dense_mod.vectors_for(chosen, cache, embedder())
        print(f"\nwhole abstracts' vectors: {len(vectors)} in {time.perf_counter() - t0:.0f} s")
    finally:
        dense_mod.BODY_CHARS = kept
    return np.stack(vectors)


if __name__ == "__main__":
    main()
