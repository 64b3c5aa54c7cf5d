"""Search speed: Whoosh (the portal's search package) vs SQLite FTS5, same corpus.

Generates a seeded synthetic multilingual corpus of N practices (body
lengths log-normal, 150-3500 words, median ~550; per-language vocabularies
of generated words with Zipf frequencies mixed with the language's real stop
words; titles, summaries, tags, organizations, facets like the real ones),
then measures for both engines in one run:

- build time (Whoosh: SearchIndex.rebuild; FTS5: inserts + commit),
- latency p50/p95/p99 of 1-, 2- and 3-word queries, each returning the total,
  facet counts for every facet and 10 hits with highlighted snippets,
- memory: VmRSS/VmHWM of a separate process that opens the index and runs
  the queries (what a portal worker pays).

Usage:
    python bench/search_speed.py --n 10000 [--queries 200] [--workdir DIR] [--keep]
    python bench/search_speed.py --n 10000 --engines whoosh --variant groupedby
    python bench/search_speed.py --n 10000 --engines whoosh,hybrid,fts5

Engine "hybrid" is the search package with dense retrieval on (BM25F and the
multilingual model's nearest neighbours, fused), as a portal worker runs it:
every query is embedded by the real model, in the measured time. The documents'
vectors are seeded random unit vectors put in the index's vector cache before
the build (the corpus is generated words, which the model would embed as
noise anyway, and embedding 100,000 passages takes hours on two cores): the
nearest-neighbour search costs the same for any vectors of that number. The
model's passage throughput is measured on a sample of the corpus and reported
beside; the build time of the hybrid index is a rebuild from the vector cache.

Variants (for the before/after table): "tuned" (default: the search package as
shipped), "groupedby" (facets counted by Whoosh's groupedby over a full
scored search, the straightforward set-up), "compound" (compound=True index).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

LANG_WEIGHTS = {"en": 40, "fi": 10, "sv": 10, "de": 10, "fr": 8, "es": 6, "it": 5, "nl": 4,
                "pt": 3, "da": 2, "no": 2}
COUNTRIES = {"en": ["GB", "IE", "MT"], "fi": ["FI"], "sv": ["SE", "FI"], "de": ["DE", "AT", "CH"],
             "fr": ["FR", "BE", "LU"], "es": ["ES"], "it": ["IT"], "nl": ["NL", "BE"],
             "pt": ["PT"], "da": ["DK"], "no": ["NO"]}
THEMES = ["air-quality", "circular-economy", "citizen-participation", "climate-adaptation",
          "culture", "digital-services", "economic-development", "education", "elderly-care",
          "employment", "energy", "flood-preparedness", "green-spaces", "health", "housing",
          "integration", "mobility", "open-data", "permitting", "procurement", "public-finance",
          "public-safety", "social-inclusion", "tourism", "waste-management", "water", "youth"]
STAGES = ["idea", "pilot", "implemented", "evaluated", "scaled", "discontinued"]
EVIDENCE = ["anecdotal", "monitored", "evaluated", "experimental"]
BANDS = [("lt10k", 0, 10_000), ("10k-50k", 10_000, 50_000), ("50k-250k", 50_000, 250_000),
         ("250k-1m", 250_000, 1_000_000), ("gt1m", 1_000_000, 10_000_000)]
SYLLABLES = {
    "en": ("ing tion ment er ed s ly al ive ness", "str pl tr c b d f g h l m n p r s t w"),
    "fi": ("nen inen ssa ssä lla llä sta stä ksi t en ien ja jä", "k t p s h l m n r v j"),
    "sv": ("ning ar er en et na ande lig het are", "sk st b d f g h k l m n r s t v"),
    "de": ("ung en er ern keit heit lich isch te", "sch st b d f g h k l m n r s t w z"),
    "fr": ("tion ment eur ique er é ées ance age", "b c d f g l m n p r s t v"),
    "es": ("ción miento ado ada ar os as idad", "b c d f g l m n p r s t v"),
    "it": ("zione mento ato ata are i e ità", "b c d f g l m n p r s t v"),
    "nl": ("ing en heid lijk er te st", "b d f g h k l m n p r s t v w"),
    "pt": ("ção mento ado ada ar os as idade", "b c d f g l m n p r s t v"),
    "da": ("ning er en et ene lig hed", "b d f g h k l m n r s t v"),
    "no": ("ing er en et ene lig het", "b d f g h k l m n r s t v"),
}
VOWELS = {"en": "aeiou", "fi": "aeiouyäö", "sv": "aeiouyåäö", "de": "aeiouäöü", "fr": "aeiouéè",
          "es": "aeiouáéó", "it": "aeiouà", "nl": "aeiou", "pt": "aeiouãõá", "da": "aeiouæøå",
          "no": "aeiouæøå"}


class Corpus:
    """A seeded synthetic multilingual corpus."""

    def __init__(self, n: int, seed: int = 42, vocab: int = 12000):
        self.n = n
        self.seed_value = seed
        self.rng = random.Random(seed)
        from whoosh.lang import stopwords_for_language
        self.langs = list(LANG_WEIGHTS)
        self.weights = [LANG_WEIGHTS[lang] for lang in self.langs]
        self.vocab = {}
        self.stops = {}
        for lang in self.langs:
            self.vocab[lang] = self._vocabulary(lang, vocab)
            self.stops[lang] = sorted(stopwords_for_language(lang))
        # Zipf cumulative weights over the vocabulary ranks
        self.cum = []
        total = 0.0
        for rank in range(1, vocab + 1):
            total += 1.0 / rank ** 1.05
            self.cum.append(total)
        self.orgs = [(f"org-{i}", f"Municipality {self._word('en')} {i}")
                     for i in range(max(20, n // 25))]
        self.tags = {lang: [" ".join(self._choice_words(lang, 2, head=3000))
                            for _ in range(400)] for lang in self.langs}

    def _vocabulary(self, lang, size):
        rng = random.Random(f"{lang}-vocab")
        suffixes, onsets = SYLLABLES[lang][0].split(), SYLLABLES[lang][1].split()
        vowels = VOWELS[lang]
        words = set()
        while len(words) < size:
            k = rng.choice((1, 2, 2, 3, 3, 4))
            w = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(k))
            if rng.random() < 0.6:
                w += rng.choice(suffixes)
            if len(w) >= 3:
                words.add(w)
        words = sorted(words)
        rng.shuffle(words)
        return words

    def _word(self, lang, head=None):
        cum = self.cum if head is None else self.cum[:head]
        i = min(len(cum) - 1, self._bisect(cum, self.rng.random() * cum[-1]))
        return self.vocab[lang][i]

    @staticmethod
    def _bisect(cum, x):
        lo, hi = 0, len(cum)
        while lo < hi:
            mid = (lo + hi) // 2
            if cum[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _choice_words(self, lang, k, head=None):
        return [self._word(lang, head) for _ in range(k)]

    def _text(self, lang, nwords):
        out = []
        rng = self.rng
        stops = self.stops[lang]
        for i in range(nwords):
            if rng.random() < 0.4:
                out.append(rng.choice(stops))
            else:
                out.append(self._word(lang))
            if i % 14 == 13:
                out[-1] += "."
        return " ".join(out)

    def docs(self):
        rng = self.rng
        base = datetime(2015, 1, 1, tzinfo=timezone.utc)
        for i in range(1, self.n + 1):
            lang = rng.choices(self.langs, self.weights)[0]
            nwords = int(min(3500, max(150, rng.lognormvariate(math.log(550), 0.6))))
            org_slug, org_name = rng.choice(self.orgs)
            pop = int(rng.lognormvariate(math.log(60000), 1.6))
            band = next(b for b, lo, hi in BANDS if lo <= pop < hi) if pop < 10_000_000 else "gt1m"
            started = rng.choice([None] + list(range(2005, 2025)))
            network = rng.random() < 0.05
            title = " ".join(self._choice_words(lang, rng.randint(4, 9), head=4000)).capitalize()
            yield {
                "id": i, "slug": f"practice-{i}", "title": title,
                "summary": self._text(lang, rng.randint(20, 45)),
                "body": self._text(lang, nwords), "language": lang,
                "organization": org_name, "organization_slug": org_slug,
                "country": rng.choice(COUNTRIES[lang]), "region": None,
                "population": pop, "population_band": band,
                "themes": rng.sample(THEMES, rng.choice((1, 1, 2, 2, 3))),
                "tags": rng.sample(self.tags[lang], rng.randint(1, 4)),
                "stage": rng.choice(STAGES), "evidence": rng.choice(EVIDENCE),
                "started_year": started,
                "published_at": base + timedelta(minutes=rng.randint(0, 5_000_000)),
                "updated_at": base, "adaptations_count": rng.choice((0, 0, 0, 1, 2, 5)),
                "adapted_from": None, "visibility": "network" if network else "public",
                "networks": ["eurocities"] if network else [], "featured": False,
                "outcomes_count": rng.randint(0, 5),
            }

    def queries(self, count, length, seed):
        """Queries of `length` words that occur together in one document.

        Words are drawn from the title and body of documents of this corpus
        (the first documents, regenerated with the same seed), skipping stop
        words and the 20 most frequent words of the language, so an AND of
        them matches at least that document, as a real user's query would.
        """
        rng = random.Random(f"{seed}-{length}")
        import itertools
        sample = Corpus(self.n, self.seed_value, len(self.vocab["en"]))
        docs = list(itertools.islice(sample.docs(), 3000))
        out = []
        while len(out) < count:
            d = rng.choice(docs)
            lang = d["language"]
            stops = set(self.stops[lang])
            common = set(self.vocab[lang][:20])
            words = [w.strip(".").lower() for w in (d["title"] + " " + d["body"]).split()]
            words = [w for w in words if w not in stops and w not in common]
            if len(words) < length:
                continue
            out.append(" ".join(rng.sample(words, length)))
        return out


def percentiles(values):
    values = sorted(values)

    def pct(p):
        k = max(0, min(len(values) - 1, int(math.ceil(p / 100 * len(values))) - 1))
        return values[k] * 1000

    return {"p50": pct(50), "p95": pct(95), "p99": pct(99), "mean": statistics.mean(values) * 1000}


def memory_status():
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS", "VmHWM")):
                k, v = line.split(":")
                out[k] = int(v.split()[0]) / 1024
    return out


# --------------------------------------------------------------------------- Whoosh


def fill_vector_cache(corpus, path, seed):
    """Seeded random unit vectors for every document, in the index's vector cache
    (what `kb vectors import` or earlier embedding would have left there)."""
    import numpy as np
    from search import dense
    os.makedirs(path, exist_ok=True)
    cache = dense.VectorCache(os.path.join(path, "vectors.sqlite3"))
    rng = np.random.default_rng(seed)
    batch: dict = {}
    for doc in corpus.docs():
        vec = rng.standard_normal(dense.DIM).astype(np.float32)
        batch[dense.text_hash(dense.passage_text(doc))] = vec / np.linalg.norm(vec)
        if len(batch) >= 2000:
            cache.put_many(batch)
            batch = {}
    cache.put_many(batch)
    return cache.count()


def embedding_speed(corpus, sample=32):
    """Passages per second of the model on one thread, over the corpus's first documents."""
    from search import dense
    model = dense.embedder()
    if not model.available:
        raise SystemExit(f"the embedding model cannot be loaded: {model.error}")
    texts = []
    for doc in corpus.docs():
        texts.append(dense.passage_text(doc))
        if len(texts) >= sample:
            break
    model.passages(texts[:2])                 # first call: engine set-up
    t0 = time.perf_counter()
    model.passages(texts)
    return {"passages": len(texts), "per_s": len(texts) / (time.perf_counter() - t0)}


def build_whoosh(corpus, path, variant, procs, hybrid=False):
    from search import SearchIndex
    idx = SearchIndex(path, writer_procs=procs or None, dense=hybrid)
    if variant == "compound":
        import search.index as si
        # compound=True: patch the writer keyword for this process only
        orig_writer = si.windex.FileIndex.writer

        def writer(self, procs=1, **kw):
            kw["compound"] = True
            return orig_writer(self, procs=procs, **kw)
        si.windex.FileIndex.writer = writer
    docs = list(corpus.docs())        # generated before the clock starts
    t0 = time.perf_counter()
    idx.rebuild(docs, 1, total=len(docs))
    elapsed = time.perf_counter() - t0
    idx.close()
    size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(path) for f in fs)
    out = {"build_s": elapsed, "index_mb": size / 2**20}
    if hybrid:
        out["dense"] = idx.dense_status()
        if not out["dense"].startswith("hybrid"):
            raise SystemExit(f"the hybrid index has no vectors: {out['dense']}")
    return out


def query_whoosh(path, queries, variant, operator="or", hybrid=False):
    """Runs in a fresh process: open, warm up, measure."""
    from search import FACETS, SearchIndex
    before = memory_status()
    idx = SearchIndex(path, operator=operator, dense=hybrid)
    t0 = time.perf_counter()
    idx.search("", per_page=10)          # open + per-searcher caches
    open_s = time.perf_counter() - t0
    after_open = memory_status()
    results = {}
    if variant == "groupedby":
        from whoosh import sorting
        from search import Viewer
        view = idx._current_view()
        facets = [sorting.FieldFacet(f.field, allow_overlap=f.multi) for f in FACETS]

        def run(q):
            built = view.builder(idx.ranking).build(q, operator)
            r = view.searcher.search(built.query, limit=10, groupedby=facets,
                                     filter=set(view.visible(Viewer())))
            counts = {f.field: {k: len(v) for k, v in r.groups(f.field).items()} for f in FACETS}
            hl = {}
            hits = [idx._hit(view, h.docnum, h.score, built, hl) for h in r]
            return len(r), counts, hits
    else:
        def run(q):
            r = idx.search(q, per_page=10, facets=True)
            return r.total, r.facets, r.hits
    if hybrid:
        from search import dense
        if not dense.embedder().available:
            raise SystemExit(f"the embedding model cannot be loaded: {dense.embedder().error}")
    for length, qs in queries.items():
        for q in qs[:5]:
            run(q)                       # warm-up
        if hybrid:
            dense.embedder()._queries.clear()   # every measured query is embedded
        times, totals = [], []
        for q in qs:
            t = time.perf_counter()
            total, _facets, _hits = run(q)
            times.append(time.perf_counter() - t)
            totals.append(total)
        results[length] = {**percentiles(times), "mean_total": statistics.mean(totals)}
    end = memory_status()
    return {"open_s": open_s, "queries": results, "mem_before": before,
            "mem_after_open": after_open, "mem_end": end}


# --------------------------------------------------------------------------- FTS5


def build_fts(corpus, path):
    if os.path.exists(path):
        os.remove(path)
    con = sqlite3.connect(path)
    con.executescript("""
        PRAGMA journal_mode=WAL;
        CREATE VIRTUAL TABLE fts USING fts5(title, summary, body, tags,
            tokenize = 'unicode61 remove_diacritics 2');
        CREATE TABLE meta (id INTEGER PRIMARY KEY, slug TEXT, language TEXT, organization TEXT,
            country TEXT, stage TEXT, evidence TEXT, visibility TEXT, published INTEGER);
        CREATE TABLE facet (doc INTEGER, name TEXT, value TEXT);
    """)
    from search.schema import FACETS
    docs = list(corpus.docs())        # generated before the clock starts
    t0 = time.perf_counter()
    with con:
        for d in docs:
            con.execute("INSERT INTO fts(rowid, title, summary, body, tags) VALUES (?,?,?,?,?)",
                        (d["id"], d["title"], d["summary"], d["body"], "\n".join(d["tags"])))
            con.execute("INSERT INTO meta VALUES (?,?,?,?,?,?,?,?,?)",
                        (d["id"], d["slug"], d["language"], d["organization"], d["country"],
                         d["stage"], d["evidence"], d["visibility"],
                         int(d["published_at"].timestamp())))
            for f in FACETS:
                for v in f.values(d):
                    con.execute("INSERT INTO facet VALUES (?,?,?)", (d["id"], f.name, v))
    con.execute("CREATE INDEX facet_doc ON facet(doc)")
    con.execute("INSERT INTO fts(fts) VALUES ('optimize')")
    con.commit()
    elapsed = time.perf_counter() - t0
    con.close()
    return {"build_s": elapsed, "index_mb": os.path.getsize(path) / 2**20}


def query_fts(path, queries, operator="or"):
    before = memory_status()
    con = sqlite3.connect(path)
    con.execute("PRAGMA query_only=1")
    after_open = memory_status()

    def run(q):
        joiner = " OR " if operator == "or" else " AND "
        match = joiner.join('"%s"' % w.replace('"', "") for w in q.split())
        total = con.execute(
            "SELECT count(*) FROM fts JOIN meta ON meta.id = fts.rowid "
            "WHERE fts MATCH ? AND meta.visibility = 'public'", (match,)).fetchone()[0]
        counts = con.execute(
            "SELECT facet.name, facet.value, count(*) FROM facet WHERE facet.doc IN ("
            " SELECT fts.rowid FROM fts JOIN meta ON meta.id = fts.rowid"
            " WHERE fts MATCH ? AND meta.visibility = 'public') GROUP BY 1, 2",
            (match,)).fetchall()
        hits = con.execute(
            "SELECT fts.rowid, meta.slug, snippet(fts, 2, '<mark>', '</mark>', '…', 30), "
            "bm25(fts, 1.0, 1.0, 1.0, 1.0) AS score FROM fts JOIN meta ON meta.id = fts.rowid "
            "WHERE fts MATCH ? AND meta.visibility = 'public' ORDER BY score LIMIT 10",
            (match,)).fetchall()
        return total, counts, hits

    results = {}
    for length, qs in queries.items():
        for q in qs[:5]:
            run(q)
        times, totals = [], []
        for q in qs:
            t = time.perf_counter()
            total, _c, _h = run(q)
            times.append(time.perf_counter() - t)
            totals.append(total)
        results[length] = {**percentiles(times), "mean_total": statistics.mean(totals)}
    return {"queries": results, "mem_before": before, "mem_after_open": after_open,
            "mem_end": memory_status()}


# --------------------------------------------------------------------------- driver


def child(args):
    queries = json.loads(open(args.queries_file).read())
    if args.child in ("whoosh", "hybrid"):
        out = query_whoosh(args.path, queries, args.variant, args.operator,
                           hybrid=args.child == "hybrid")
    else:
        out = query_fts(args.path, queries, args.operator)
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--queries", type=int, default=200, help="queries per length")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--engines", default="whoosh,fts5",
                    help="any of whoosh, hybrid (dense retrieval on), fts5")
    ap.add_argument("--variant", default="tuned", choices=("tuned", "groupedby", "compound"))
    ap.add_argument("--operator", choices=("or", "and"), default="or",
                    help="how query words combine, for both engines (portal default: or)")
    ap.add_argument("--procs", type=int, default=0, help="Whoosh writer processes (0: the package default)")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--reuse", action="store_true", help="reuse an index built before in workdir")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--json", default=None, help="write the results to this file")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--path", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--queries-file", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args)

    workdir = args.workdir or tempfile.mkdtemp(prefix="kb-speed-")
    os.makedirs(workdir, exist_ok=True)
    corpus = Corpus(args.n, args.seed)
    queries = {str(k): corpus.queries(args.queries, k, args.seed) for k in (1, 2, 3)}
    qfile = os.path.join(workdir, "queries.json")
    with open(qfile, "w") as fh:
        json.dump(queries, fh)
    report = {"n": args.n, "variant": args.variant, "queries_per_length": args.queries,
              "operator": args.operator,
              "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                          "sqlite": sqlite3.sqlite_version}}
    engines = args.engines.split(",")
    if "hybrid" in engines and "whoosh" in engines:
        # one index serves both: the hybrid index is the lexical one plus vectors, and
        # the lexical engine opens it with dense retrieval off (one build, not two)
        engines = ["hybrid"] + [e for e in engines if e != "hybrid"]
    for engine in engines:
        path = os.path.join(workdir, f"{engine}-{args.variant}-{args.n}")
        if engine == "whoosh" and "hybrid" in engines:
            path = os.path.join(workdir, f"hybrid-{args.variant}-{args.n}")
        elif engine in ("whoosh", "hybrid"):
            hybrid = engine == "hybrid"
            if hybrid:
                report["embedding"] = embedding_speed(Corpus(args.n, args.seed))
                print("embedding", report["embedding"], flush=True)
            if not (args.reuse and os.path.exists(path)):
                shutil.rmtree(path, ignore_errors=True)
                if hybrid:
                    fill_vector_cache(Corpus(args.n, args.seed), path, args.seed)
                report[f"{engine}_build"] = build_whoosh(Corpus(args.n, args.seed), path,
                                                         args.variant, args.procs, hybrid)
                print(f"{engine} build", report[f"{engine}_build"], flush=True)
        else:
            path += ".sqlite"
            if not (args.reuse and os.path.exists(path)):
                report["fts5_build"] = build_fts(Corpus(args.n, args.seed), path)
                print("fts5 build", report["fts5_build"], flush=True)
        cmd = [sys.executable, os.path.abspath(__file__), "--child", engine, "--path", path,
               "--queries-file", qfile, "--variant", args.variant, "--operator", args.operator]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode:
            print(proc.stderr, file=sys.stderr)
            raise SystemExit(f"{engine} query process failed")
        report[engine] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(engine, json.dumps(report[engine]["queries"]), flush=True)
    print_report(report)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=2)
    if not args.keep and not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


def print_report(r):
    print(f"\nN = {r['n']}  variant = {r['variant']}  operator = {r.get('operator')}  "
          f"({r['queries_per_length']} queries per length)")
    if "embedding" in r:
        e = r["embedding"]
        print(f"embedding model: {e['per_s']:.1f} passages/s on one thread "
              f"({e['passages']} passages of the corpus)")
    for engine in ("whoosh", "hybrid", "fts5"):
        if engine not in r:
            continue
        b = r.get(f"{engine}_build", {})
        if b:
            print(f"{engine}: build {b['build_s']:.1f} s, index {b['index_mb']:.0f} MB")
        for length, q in r[engine]["queries"].items():
            print(f"  {engine} {length}-word: p50 {q['p50']:.1f} ms  p95 {q['p95']:.1f} ms  "
                  f"p99 {q['p99']:.1f} ms  (mean total {q['mean_total']:.0f})")
        m = r[engine]["mem_end"]
        print(f"  {engine} worker memory: RSS {m['VmRSS']:.0f} MB, peak {m['VmHWM']:.0f} MB "
              f"(python baseline {r[engine]['mem_before']['VmRSS']:.0f} MB)")


if __name__ == "__main__":
    main()
