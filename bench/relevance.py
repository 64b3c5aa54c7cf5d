"""Ranking quality of the portal's search, on judged query sets.

Two sets, each searched through ``search.SearchIndex`` exactly as the portal
does (same analyzers, fields, weights, BM25F parameters, default operator):

- SciFact (BEIR layout) from ``../shared/datasets/scifact`` relative to the
  repository root: title -> title, text -> body, language "en"; 300 test
  claims, graded qrels.
- The bundled practices (``practices/*.md``, parsed with python-frontmatter),
  with the queries of ``bench/data/practices_queries.tsv`` and the graded
  judgments (0-3) of ``bench/data/practices_qrels.tsv``.

Prints nDCG@10 (linear gain, as BEIR/pytrec_eval), MRR@10 and recall@20.

Usage:
    python bench/relevance.py                  # both sets, shipped settings
    python bench/relevance.py --set practices
    python bench/relevance.py --set scifact --tune   # grid over weights/BM25
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import os
import re
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from search import SearchIndex  # noqa: E402
from search.schema import DEFAULT_RANKING, Ranking  # noqa: E402

SCIFACT = os.path.join(ROOT, "..", "shared", "datasets", "scifact")
PRACTICES = os.path.join(ROOT, "practices")
DATA = os.path.join(ROOT, "bench", "data")
BANDS = [("lt10k", 0, 10_000), ("10k-50k", 10_000, 50_000), ("50k-250k", 50_000, 250_000),
         ("250k-1m", 250_000, 1_000_000), ("gt1m", 1_000_000, None)]


# ----------------------------------------------------------------------------- metrics


def ndcg_at(ranked: list[str], judged: dict[str, int], k: int = 10) -> float:
    dcg = sum(judged.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def mrr_at(ranked: list[str], judged: dict[str, int], k: int = 10) -> float:
    for i, d in enumerate(ranked[:k]):
        if judged.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def recall_at(ranked: list[str], judged: dict[str, int], k: int = 20) -> float:
    relevant = {d for d, g in judged.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranked[:k])) / len(relevant)


def evaluate(idx: SearchIndex, queries: dict[str, str], qrels: dict[str, dict[str, int]],
             key: str = "id") -> dict:
    """Mean nDCG@10, MRR@10, recall@20 over the judged queries."""
    totals = {"ndcg@10": 0.0, "mrr@10": 0.0, "recall@20": 0.0}
    per_query = {}
    n = 0
    for qid, text in queries.items():
        judged = qrels.get(qid)
        if not judged or not any(g > 0 for g in judged.values()):
            continue
        hits = idx.search(text, per_page=20, facets=False).hits
        ranked = [str(getattr(h, key)) for h in hits]
        scores = (ndcg_at(ranked, judged), mrr_at(ranked, judged), recall_at(ranked, judged))
        per_query[qid] = scores
        for name, value in zip(totals, scores):
            totals[name] += value
        n += 1
    return {**{k: v / n for k, v in totals.items()}, "queries": n, "per_query": per_query}


# ----------------------------------------------------------------------------- SciFact


def load_scifact(path: str = SCIFACT):
    docs = []
    base = datetime(2020, 1, 1, tzinfo=timezone.utc)
    with open(os.path.join(path, "corpus.jsonl"), encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            docs.append(_doc(int(row["_id"]), f"d{row['_id']}", row.get("title", ""), "",
                             row.get("text", ""), "en", published_at=base))
    queries = {}
    with open(os.path.join(path, "queries.jsonl"), encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            queries[str(row["_id"])] = row["text"]
    qrels: dict[str, dict[str, int]] = {}
    with open(os.path.join(path, "qrels", "test.tsv"), encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t")
        next(reader)
        for qid, docid, score in reader:
            qrels.setdefault(qid, {})[docid] = int(score)
    queries = {q: t for q, t in queries.items() if q in qrels}
    return docs, queries, qrels


def _doc(id, slug, title, summary, body, language, **extra):
    doc = {"id": id, "slug": slug, "title": title, "summary": summary, "body": body,
           "language": language, "organization": "", "organization_slug": "", "country": "",
           "region": None, "population": None, "population_band": None, "themes": [],
           "tags": [], "stage": "", "evidence": "", "started_year": None,
           "published_at": None, "updated_at": None, "adaptations_count": 0,
           "adapted_from": None, "visibility": "public", "networks": [], "featured": False,
           "outcomes_count": 0}
    doc.update(extra)
    return doc


# ----------------------------------------------------------------------------- practices


def _slugify(text: str) -> str:
    from search.analysis import fold
    return re.sub(r"[^a-z0-9]+", "-", fold(text.lower())).strip("-")


def markdown_to_text(md: str) -> str:
    text = re.sub(r"```.*?```", " ", md, flags=re.S)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^\s*\|?\s*:?-{3,}.*$", " ", text, flags=re.M)   # table rules
    text = re.sub(r"[#*_`>|]", " ", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def load_practices(path: str = PRACTICES) -> list[dict]:
    """The bundled practices as search documents (ids by file name order)."""
    import frontmatter
    docs = []
    for i, name in enumerate(sorted(n for n in os.listdir(path) if n.endswith(".md")), 1):
        with open(os.path.join(path, name), encoding="utf-8") as fh:
            post = frontmatter.load(fh)
        m = post.metadata
        pop = m.get("population")
        pop = int(pop) if isinstance(pop, (int, float)) else None
        band = None
        if pop is not None:
            band = next(k for k, lo, hi in BANDS if pop >= lo and (hi is None or pop < hi))
        started = m.get("started")
        started_year = int(str(started)[:4]) if started and str(started)[:4].isdigit() else None
        org = str(m.get("organization") or "")
        # like kb.services.search: the body, then the other prose of the
        # document (outcome indicators, transferability, adaptation)
        prose = [markdown_to_text(post.content)]
        prose += [str(o.get("indicator", "")) for o in (m.get("outcomes") or [])
                  if isinstance(o, dict)]
        for block in (m.get("transferability") or {}, m.get("adaptation") or {}):
            if isinstance(block, dict):
                for value in block.values():
                    prose += [str(v) for v in value] if isinstance(value, list) else [str(value)]
        docs.append(_doc(
            i, m.get("slug") or name[:-3], str(m.get("title") or ""),
            str(m.get("summary") or ""), "\n".join(prose),
            str(m.get("language") or "en"), organization=org, organization_slug=_slugify(org),
            country=str(m.get("country") or ""), region=m.get("region"), population=pop,
            population_band=band, themes=list(m.get("themes") or []),
            tags=[str(t) for t in (m.get("tags") or [])], stage=str(m.get("stage") or ""),
            evidence=str(m.get("evidence") or ""), started_year=started_year,
            published_at=datetime(2024, 1, 1, tzinfo=timezone.utc),
            adapted_from=m.get("adapted_from"),
            outcomes_count=len(m.get("outcomes") or []),
            translations={str(k): v for k, v in (m.get("translations") or {}).items()
                          if isinstance(v, dict)},
        ))
    return docs


def load_practice_judgments(path: str = DATA):
    queries = {}
    with open(os.path.join(path, "practices_queries.tsv"), encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if not row or row[0].startswith("#") or row[0] == "query-id":
                continue
            queries[row[0]] = row[-1]
    qrels: dict[str, dict[str, int]] = {}
    with open(os.path.join(path, "practices_qrels.tsv"), encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if not row or row[0].startswith("#") or row[0] == "query-id":
                continue
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return queries, qrels


def practices_ndcg(workdir: str | None = None, ranking: Ranking = DEFAULT_RANKING,
                   operator: str | None = None) -> dict:
    """Index the bundled practices and evaluate the judged set (used by the guard test)."""
    workdir = workdir or tempfile.mkdtemp(prefix="kb-rel-")
    docs = load_practices()
    queries, qrels = load_practice_judgments()
    kwargs = {"ranking": ranking}
    if operator:
        kwargs["operator"] = operator
    idx = SearchIndex(os.path.join(workdir, "practices"), **kwargs)
    idx.rebuild(docs, 1)
    result = evaluate(idx, queries, qrels, key="slug")
    idx.close()
    return result


# ----------------------------------------------------------------------------- main


def _print(name, r, elapsed=None):
    extra = f"  ({elapsed:.1f} s)" if elapsed is not None else ""
    print(f"{name:<12} nDCG@10 {r['ndcg@10']:.4f}  MRR@10 {r['mrr@10']:.4f}  "
          f"recall@20 {r['recall@20']:.4f}  queries {r['queries']}{extra}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", choices=("scifact", "practices", "both"), default="both")
    ap.add_argument("--operator", choices=("and", "or"), default=None,
                    help="override the package default (AND with OR fallback)")
    ap.add_argument("--tune", action="store_true", help="grid search (prints a table)")
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="kb-rel-")
    sets = ["scifact", "practices"] if args.set == "both" else [args.set]
    for name in sets:
        if name == "scifact":
            docs, queries, qrels = load_scifact()
            key = "id"
        else:
            docs = load_practices()
            queries, qrels = load_practice_judgments()
            key = "slug"
        path = os.path.join(workdir, name)
        t0 = time.perf_counter()
        builder = SearchIndex(path)
        if not builder.exists():
            builder.rebuild(docs, 1, total=len(docs))
        builder.close()
        build_s = time.perf_counter() - t0
        if args.tune:
            grid = {
                "k1": (0.9, 1.2), "b": (0.4, 0.75),
                "title": (0.5, 1.0), "title_n": (0.0, 0.3), "text_n": (0.0, 0.3),
            }
            rows = []
            for values in itertools.product(*grid.values()):
                params = dict(zip(grid, values))
                params.update(title_b=params["b"], summary_b=params["b"], body_b=params["b"],
                              tags_b=params["b"])
                ranking = replace(DEFAULT_RANKING, **params)
                for op in ("and", "or"):
                    idx = SearchIndex(path, ranking=ranking, operator=op)
                    r = evaluate(idx, queries, qrels, key)
                    idx.close()
                    rows.append((r["ndcg@10"], r["mrr@10"], r["recall@20"], op, params))
                    print(f"{name} {op:<3} nDCG@10 {r['ndcg@10']:.4f} MRR {r['mrr@10']:.4f} "
                          f"R@20 {r['recall@20']:.4f} "
                          + " ".join(f"{k}={v}" for k, v in params.items() if not k.endswith("_b")),
                          flush=True)
            rows.sort(key=lambda r: -r[0])
            print("best:", rows[0])
        else:
            kwargs = {"operator": args.operator} if args.operator else {}
            idx = SearchIndex(path, **kwargs)
            t0 = time.perf_counter()
            r = evaluate(idx, queries, qrels, key)
            _print(name, r, time.perf_counter() - t0)
            print(f"{'':<12} index build {build_s:.1f} s for {len(docs)} documents")
            idx.close()


if __name__ == "__main__":
    main()
