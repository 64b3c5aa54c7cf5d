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
    python bench/relevance.py --set scifact --dense --workdir DIR  # + dense alone, hybrid
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
             key: str = "id", **search_kwargs) -> dict:
    """Mean nDCG@10, MRR@10, recall@20 over the judged queries."""
    totals = {"ndcg@10": 0.0, "mrr@10": 0.0, "recall@20": 0.0}
    per_query = {}
    n = 0
    for qid, text in queries.items():
        judged = qrels.get(qid)
        if not judged or not any(g > 0 for g in judged.values()):
            continue
        hits = idx.search(text, per_page=20, facets=False, **search_kwargs).hits
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


def load_xlang_judgments(path: str = DATA):
    """The cross-language set: {qid: (language, text)}, graded qrels."""
    queries = {}
    with open(os.path.join(path, "xlang_queries.tsv"), encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if not row or row[0].startswith("#") or row[0] == "query-id":
                continue
            queries[row[0]] = (row[1], row[2])
    qrels: dict[str, dict[str, int]] = {}
    with open(os.path.join(path, "xlang_qrels.tsv"), encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if not row or row[0].startswith("#") or row[0] == "query-id":
                continue
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return queries, qrels


def evaluate_xlang(idx: SearchIndex, docs: list[dict], queries: dict, qrels: dict,
                   **search_kwargs) -> dict:
    """nDCG@10, recall@10 and recall@20 over all judged documents, and split into
    monolingual (relevant documents in the query's language) and cross-language
    (relevant documents in another language), one ranking per query."""
    lang_of = {d["slug"]: d["language"] for d in docs}
    sums: dict[str, dict[str, float]] = {}
    counts: dict[str, int] = {}
    for qid, (lang, text) in queries.items():
        judged = qrels.get(qid) or {}
        hits = idx.search(text, per_page=20, facets=False, **search_kwargs).hits
        ranked = [h.slug for h in hits]
        for part, sub in (("all", judged),
                          ("mono", {s: g for s, g in judged.items() if lang_of.get(s) == lang}),
                          ("cross", {s: g for s, g in judged.items() if lang_of.get(s) != lang})):
            if not any(g > 0 for g in sub.values()):
                continue
            # the other part's relevant documents are neither gain nor loss here
            other = {s for s, g in judged.items() if g > 0 and s not in sub}
            r = [s for s in ranked if s not in other]
            m = sums.setdefault(part, {"ndcg@10": 0.0, "recall@10": 0.0, "recall@20": 0.0})
            m["ndcg@10"] += ndcg_at(r, sub)
            m["recall@10"] += recall_at(r, sub, 10)
            m["recall@20"] += recall_at(r, sub, 20)
            counts[part] = counts.get(part, 0) + 1
    return {part: {**{k: v / counts[part] for k, v in m.items()}, "queries": counts[part]}
            for part, m in sums.items()}


def xlang_eval(workdir: str | None = None, dense: bool = False, **search_kwargs) -> dict:
    """Index the bundled practices and evaluate the cross-language set (guard test)."""
    workdir = workdir or tempfile.mkdtemp(prefix="kb-rel-")
    docs = load_practices()
    queries, qrels = load_xlang_judgments()
    idx = SearchIndex(os.path.join(workdir, "xlang"), dense=dense)
    idx.rebuild(docs, 1)
    result = evaluate_xlang(idx, docs, queries, qrels, **search_kwargs)
    idx.close()
    return result


class DenseOnly:
    """Dense nearest neighbours alone over an index built with dense=True (bench only)."""

    def __init__(self, idx: SearchIndex):
        self.idx = idx

    def search(self, text, per_page=20, **_kwargs):
        from types import SimpleNamespace

        import numpy as np

        from search.dense import embedder

        def run(view):
            matrix, docnums, _langs = self.idx._vectors(view)
            sims = matrix @ embedder().query(text)
            order = np.argsort(-sims)[:per_page]
            return [SimpleNamespace(slug=view.searcher.stored_fields(int(docnums[i]))["data"]
                                    ["slug"], id=int(view.ids[int(docnums[i])]))
                    for i in order]
        return SimpleNamespace(hits=self.idx._read(run))


#: the ranking variants compared on the judged sets (docs/benchmarks.md)
VARIANTS = ("today", "decompounding", "glossary", "dense", "hybrid")


def variant_setup(name: str, path: str):
    """(index or searcher, search kwargs) of a ranking variant, built over ``path``."""
    from search import decompound

    decompound.set_decompounder(
        decompound.Decompounder(False, False) if name == "today" else None)
    dense = name in ("dense", "hybrid")
    idx = SearchIndex(path, dense=dense)
    kwargs = {"expand": name in ("glossary", "hybrid")}
    return idx, kwargs


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
                   operator: str | None = None, dense: bool = False, **search_kwargs) -> dict:
    """Index the bundled practices and evaluate the judged set (used by the guard test)."""
    workdir = workdir or tempfile.mkdtemp(prefix="kb-rel-")
    docs = load_practices()
    queries, qrels = load_practice_judgments()
    kwargs = {"ranking": ranking, "dense": dense}
    if operator:
        kwargs["operator"] = operator
    idx = SearchIndex(os.path.join(workdir, "practices"), **kwargs)
    idx.rebuild(docs, 1)
    result = evaluate(idx, queries, qrels, key="slug", **search_kwargs)
    idx.close()
    return result


# ----------------------------------------------------------------------------- main


def _print(name, r, elapsed=None):
    extra = f"  ({elapsed:.1f} s)" if elapsed is not None else ""
    print(f"{name:<12} nDCG@10 {r['ndcg@10']:.4f}  MRR@10 {r['mrr@10']:.4f}  "
          f"recall@20 {r['recall@20']:.4f}  queries {r['queries']}{extra}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", choices=("scifact", "practices", "both", "xlang"), default="both",
                    help="xlang: the cross-language set and the bundled set for every "
                         "ranking variant (today, + decompounding, + glossary, dense, hybrid)")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--operator", choices=("and", "or"), default=None,
                    help="override the package default (AND with OR fallback)")
    ap.add_argument("--tune", action="store_true", help="grid search (prints a table)")
    ap.add_argument("--dense", action="store_true",
                    help="also dense alone and hybrid (dense + lexical, fused), as the portal "
                         "ranks with KB_SEARCH_DENSE on; embeds every document once (cached "
                         "in WORKDIR/<set>-dense, so a second run only searches)")
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="kb-rel-")
    if args.set == "xlang":
        return main_xlang(workdir, args.variants.split(","))
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
            print(f"{'':<12} index build {build_s:.1f} s for {len(docs)} documents", flush=True)
            idx.close()
            if args.dense:
                _dense_variants(name, path + "-dense", docs, queries, qrels, key, kwargs)


def _dense_variants(name: str, path: str, docs, queries, qrels, key: str, kwargs) -> None:
    """Dense alone and hybrid over an index built with the multilingual model."""
    t0 = time.perf_counter()
    idx = SearchIndex(path, dense=True, **kwargs)
    if not idx.exists() or idx.vectors_missing():   # new, or its vectors made otherwise
        idx.rebuild(docs, 1, total=len(docs), progress=lambda done: done % 500 or print(
            f"  embedded and indexed {done} of {len(docs)}", flush=True))
    build_s = time.perf_counter() - t0
    for label, target in (("dense", DenseOnly(idx)), ("hybrid", idx)):
        t0 = time.perf_counter()
        r = evaluate(target, queries, qrels, key)
        _print(f"{name} {label}", r, time.perf_counter() - t0)
    print(f"{'':<12} dense index build {build_s:.1f} s for {len(docs)} documents", flush=True)
    idx.close()


def main_xlang(workdir: str, variants: list[str]) -> None:
    docs = load_practices()
    xq, xrels = load_xlang_judgments()
    pq, prels = load_practice_judgments()
    print(f"{'variant':<14} {'part':<6} nDCG@10  R@10    R@20    queries")
    for name in variants:
        # the dense variants share one directory, so its vector cache is reused
        path = os.path.join(workdir, "dense" if name in ("dense", "hybrid") else name)
        t0 = time.perf_counter()
        idx, kwargs = variant_setup(name, path)
        idx.rebuild(docs, 1)
        build_s = time.perf_counter() - t0
        target = DenseOnly(idx) if name == "dense" else idx
        r = evaluate_xlang(target, docs, xq, xrels, **kwargs)
        for part in ("all", "mono", "cross"):
            m = r[part]
            print(f"{name:<14} {part:<6} {m['ndcg@10']:.4f}   {m['recall@10']:.4f}  "
                  f"{m['recall@20']:.4f}  {m['queries']}")
        p = evaluate(target, pq, prels, key="slug", **kwargs)
        print(f"{name:<14} bundled set (practices_queries): nDCG@10 {p['ndcg@10']:.4f}  "
              f"recall@20 {p['recall@20']:.4f}   (build {build_s:.1f} s)", flush=True)
        idx.close()


if __name__ == "__main__":
    main()
