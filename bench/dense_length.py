"""How much of a document the dense side should read: SciFact abstracts embedded from
their start (as the portal embeds a practice: title, summary and the first BODY_CHARS
characters of the body) or whole.

Embedding all 5,183 abstracts whole takes about 90 minutes on one core, so this compares
the two on a sub-corpus: every abstract judged relevant to a test claim, plus OTHERS more
drawn at random (seed 7). Each claim is ranked within the sub-corpus by

- the lexical ranking (the claim's lexical top 100 over the whole corpus, from the index
  `bench/relevance.py --set scifact --dense --workdir DIR` leaves, kept if in the
  sub-corpus),
- dense alone (cosine similarity),
- the hybrid as the portal fuses it (reciprocal rank, K = 60, the lexical page plus
  FUSE_DEPTH and the first DENSE_K neighbours).

The sub-corpus is easier than the whole one (fewer distractors), so only the difference
between the two text lengths means anything.

    python bench/relevance.py --set scifact --dense --workdir /tmp/scifact   # first
    python bench/dense_length.py --workdir /tmp/scifact

The vectors join the SciFact run's vector cache (WORKDIR/scifact-dense/vectors.sqlite3,
by text hash, as the portal keeps them): a second run only ranks.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

import relevance  # noqa: E402
from search import SearchIndex  # noqa: E402
from search import dense  # noqa: E402
from search.reading import DENSE_K, FUSE_DEPTH  # noqa: E402

#: the portal's cut, and more than any SciFact abstract (the model reads 512 tokens)
LENGTHS = {"start": dense.BODY_CHARS, "whole": 100_000}


def sub_corpus(docs, qrels, others: int) -> list[dict]:
    judged = {d for q in qrels.values() for d in q}
    by_id = {str(d["id"]): d for d in docs}
    rest = sorted(set(by_id) - judged)
    random.Random(7).shuffle(rest)
    return [by_id[i] for i in sorted(judged & set(by_id)) + rest[:others]]


def vectors(cache: dense.VectorCache, name: str, chars: int, docs: list[dict]) -> np.ndarray:
    """The documents' vectors with the body cut at ``chars``, from the vector cache of the
    SciFact run where the same text was embedded before (the portal's cache, by text hash)."""
    model = dense.embedder()
    saved = dense.BODY_CHARS
    dense.BODY_CHARS = chars
    try:
        out = []
        t0 = time.time()
        for i in range(0, len(docs), 64):
            out += dense.vectors_for(docs[i:i + 64], cache, model)
            done = min(i + 64, len(docs))
            left = (len(docs) - done) / (done / (time.time() - t0))
            print(f"\r{name}: {done}/{len(docs)} documents, about {left / 60:.0f} min left ",
                  end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
    finally:
        dense.BODY_CHARS = saved
    return np.vstack(out)


def rrf(lists, k: int = 60) -> list[int]:
    scores: dict[int, float] = {}
    for ranked in lists:
        for rank, d in enumerate(ranked):
            scores[d] = scores.get(d, 0.0) + 1.0 / (k + rank + 1)
    return [d for d, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", required=True,
                    help="the work folder of bench/relevance.py --set scifact --dense")
    ap.add_argument("--others", type=int, default=1000,
                    help="abstracts not judged relevant added to the sub-corpus")
    args = ap.parse_args()
    lexical_path = os.path.join(args.workdir, "scifact")
    if not os.path.isdir(lexical_path):
        raise SystemExit(f"no SciFact index in {args.workdir}: run bench/relevance.py first")
    docs, queries, qrels = relevance.load_scifact()
    subset = sub_corpus(docs, qrels, args.others)
    ids = [int(d["id"]) for d in subset]
    inside = set(ids)
    claims = sorted(queries, key=int)
    print(f"sub-corpus: {len(subset)} abstracts ({len(subset) - args.others} judged "
          f"relevant), {len(claims)} claims")

    lex_index = SearchIndex(lexical_path)
    lexical = {q: [int(h.id) for h in lex_index.search(queries[q], per_page=100,
                                                        facets=False).hits
                   if int(h.id) in inside] for q in claims}
    lex_index.close()
    claim_vectors = {q: dense.embedder().query(queries[q]) for q in claims}

    def ndcg(ranked: dict) -> float:
        return float(np.mean([relevance.ndcg_at([str(d) for d in ranked[q]], qrels[q])
                              for q in claims]))

    print(f"{'text embedded':<34} {'dense nDCG@10':>14} {'hybrid nDCG@10':>15}")
    print(f"{'(lexical alone)':<34} {ndcg(lexical):>14.4f}")
    cache = dense.VectorCache(os.path.join(args.workdir, "scifact-dense", "vectors.sqlite3"))
    for name, chars in LENGTHS.items():
        matrix = vectors(cache, name, chars, subset)
        ranked = {}
        for q in claims:
            sims = matrix @ claim_vectors[q]
            order = np.argsort(-sims, kind="stable")[:100]
            ranked[q] = [ids[i] for i in order]
        hybrid = {q: rrf([lexical[q][:10 + FUSE_DEPTH], ranked[q][:DENSE_K]]) for q in claims}
        label = (f"{name} (body {chars} chars)" if chars < LENGTHS["whole"]
                 else f"{name} (title + abstract)")
        print(f"{label:<34} {ndcg(ranked):>14.4f} {ndcg(hybrid):>15.4f}")


if __name__ == "__main__":
    main()
