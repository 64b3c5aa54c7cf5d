"""Page speed at scale: p50/p95 of every page type through the WSGI app.

Builds a realistic knowledge base of N published practices (organizations with
populations and countries, 20 networks with network-only practices, 10 % adaptations
in chains up to depth 6 with matched outcomes, submissions waiting for moderation),
then requests every page type through the portal's WSGI app (Flask's test client:
routing, sessions, services, templates; no network) and prints p50/p95 per page and
the worker's peak RSS.

The practices are inserted in bulk through the ORM (the same rows and parsed columns
an import writes, one valid document each) rather than through `kb import`, which does
one search-index commit per document; the search index is then built with the
product's own rebuild and the read model's lineage rows, dashboard facts and
replication entries with its own refresh. Stored
similar lists are computed for the visited practice only: each costs one
more-like-this search (about 0.2 s at 2,000 practices), which a full rebuild pays once
per published practice.

Usage (from the repository root, with the project's virtualenv):
    python bench/pages.py --n 10000 [--repeat 30] [--workdir DIR]
    python bench/pages.py --again --workdir DIR     (the same knowledge base, measured again)
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta

from sqlalchemy import select

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

THEMES = ["flood-preparedness", "citizen-participation", "digital-services", "energy",
          "climate-adaptation", "circular-economy", "air-quality", "education", "culture",
          "elderly-care"]
COUNTRIES = ["FI", "SE", "DE", "NL", "FR", "EE", "DK", "NO", "AT", "PL"]
KINDS = ["city", "municipality", "region", "agency", "association"]
STAGES = ["idea", "pilot", "implemented", "evaluated", "scaled"]
EVIDENCE = ["anecdotal", "monitored", "evaluated", "experimental"]
# tags: owner's and community tags drawn from these (Zipf-like: the first are the most used)
TAGS = ["floods", "housing first", "volunteers", "tulvat", "e-permits", "one-stop shop",
        "climate plan 2027", "towns under 20000", "youth", "procurement", "heat", "school"]

INDICATORS = [("Median permit processing time", "days", "lower"),
              ("Flooded basements per year", "count", "lower"),
              ("Residents reached", "people", "higher"),
              ("Waste recycled", "percent", "higher"), ("Energy used", "MWh", "lower")]
WORDS = ("city residents permit flood water service digital waste energy school street "
         "budget pilot network council district data citizens housing mobility bus "
         "climate heat green roof procurement platform feedback survey team").split()
# The practices' text is English-like: the topic words above are the most frequent, then a
# long tail of generated words with Zipf frequencies (as in real text, most words are in few
# practices), with stop words between them; bench/search_speed.py's corpus is made the same
# way. (Until 2026-11-27 the text was the 30 topic words alone, so every query matched
# nearly every practice.)
STOP_WORDS = ("the of and to in a for is on with by as at from that this are be was it an "
              "or which their has have").split()
VOCABULARY_SIZE = 12000
NETWORKS = 20


def _vocabulary() -> tuple[list[str], list[float]]:
    rng = random.Random("pages-vocabulary")
    onsets, vowels = "b c d f g h k l m n p r s t v w st tr pl br gr".split(), "aeiou"
    words, seen = list(WORDS), set(WORDS) | set(STOP_WORDS)
    while len(words) < VOCABULARY_SIZE:
        word = "".join(rng.choice(onsets) + rng.choice(vowels)
                       for _ in range(rng.choice((2, 2, 3, 3, 4))))
        if rng.random() < 0.5:
            word += rng.choice(("ing", "tion", "ment", "er", "ed", "s", "al", "ity"))
        if word not in seen:
            seen.add(word)
            words.append(word)
    cumulative, total = [], 0.0
    for rank in range(1, len(words) + 1):
        total += 1.0 / rank ** 1.05
        cumulative.append(total)
    return words, cumulative


VOCABULARY, _CUMULATIVE = _vocabulary()


def _text(rng, n):
    out = []
    for _ in range(n):
        if rng.random() < 0.4:
            out.append(rng.choice(STOP_WORDS))
        else:
            rank = bisect.bisect_left(_CUMULATIVE, rng.random() * _CUMULATIVE[-1])
            out.append(VOCABULARY[min(rank, len(VOCABULARY) - 1)])
    return " ".join(out)


def _queries(texts: list[str], count: int = 60, seed: int = 7) -> list[str]:
    """Two-word queries whose words occur together in one practice's text, skipping stop
    words and the 20 most frequent words, as an official's query would
    (bench/search_speed.py picks its queries the same way)."""
    rng = random.Random(seed)
    common = set(VOCABULARY[:20]) | set(STOP_WORDS)
    out: list[str] = []
    while len(out) < count:
        words = [w.strip(".").lower() for w in rng.choice(texts).split()]
        words = [w for w in words if w not in common]
        if len(set(words)) >= 2:
            out.append("+".join(rng.sample(sorted(set(words)), 2)))
    return out


def _document(spec) -> str:
    lines = ["---", f"slug: {spec['slug']}", f"title: {spec['title']}",
             f"summary: {spec['summary']}", "language: en",
             f"organization: {spec['organization']}", f"country: '{spec['country']}'",
             f"population: {spec['population']}",
             f"themes: [{', '.join(spec['themes'])}]", f"stage: {spec['stage']}",
             f"evidence: {spec['evidence']}"]
    if spec["outcomes"]:
        lines.append("outcomes:")
        for o in spec["outcomes"]:
            lines.append(f"  - {{indicator: '{o['indicator']}', unit: '{o['unit']}', "
                         f"baseline: {o['baseline']}, result: {o['result']}, "
                         f"better: {o['better']}}}")
    if spec["adapted_from"]:
        lines.append(f"adapted_from: {spec['adapted_from']}")
    lines.append(f"visibility: {spec['visibility']}")
    if spec["networks"]:
        lines.append(f"networks: [{', '.join(spec['networks'])}]")
    lines += ["---", "## Challenge", "", spec["body"], "", "## Solution", "", spec["body"], ""]
    return "\n".join(lines)


def build(n: int, seed: int = 7, organizations: int | None = None,
          submissions: int | None = None, batch: int = 2000) -> dict:
    """Insert a knowledge base of n published practices into the current app's database
    (inside an app context); returns what a benchmark needs to address its pages."""
    from kb.content.document import content_hash
    from kb.content.vocab import population_band
    from kb.db import session
    from kb.models import (Network, NetworkMember, Organization, Practice, PracticeNetwork,
                           PracticeTag, TagApplication,
                           PracticeStatus, PracticeTheme, Revision)
    from kb.services.readmodel.facts import facts_rebuild
    from kb.services.readmodel.lineage import lineage_refresh
    from kb.services.uow import UnitOfWork

    rng = random.Random(seed)
    tag_rng = random.Random(seed + 1)  # its own sequence: the rest stays as it was

    def some_tags(k: int) -> list[str]:
        return list(dict.fromkeys(TAGS[min(int(tag_rng.paretovariate(1.2)) - 1,
                                           len(TAGS) - 1)] for _ in range(k)))
    s = session()
    organizations = organizations or max(20, n // 20)
    submissions = n // 10 if submissions is None else submissions
    start = datetime(2019, 1, 1)
    with UnitOfWork():
        orgs = [Organization(slug=f"bench-org-{i}", name=f"Bench Town {i}",
                             kind=rng.choice(KINDS), country=rng.choice(COUNTRIES),
                             population=int(rng.lognormvariate(10.5, 1.3)))
                for i in range(organizations)]
        s.add_all(orgs)
        nets = [Network(slug=f"bench-net-{i}", name=f"Bench network {i}")
                for i in range(NETWORKS)]
        s.add_all(nets)
        s.flush()
        for i, org in enumerate(orgs):
            s.add(NetworkMember(network_id=nets[i % NETWORKS].id, organization_id=org.id))
    org_ids = [o.id for o in orgs]
    org_info = {o.id: (o.name, o.country, o.population) for o in orgs}
    depth: dict[str, int] = {}
    slugs: list[str] = []
    outcome_of: dict[str, list] = {}

    def spec_for(i: int, draft: bool = False) -> dict:
        slug = f"bench-practice-{i}" if not draft else f"bench-draft-{i}"
        org_id = rng.choice(org_ids)
        name, country, population = org_info[org_id]
        parent = None
        if not draft and slugs and rng.random() < 0.10:
            candidates = [c for c in rng.sample(slugs, min(8, len(slugs))) if depth[c] < 5]
            parent = candidates[0] if candidates else None
        outcomes = []
        if parent and outcome_of[parent]:
            base = rng.choice(outcome_of[parent])  # the same indicator: comparable
            outcomes.append({"indicator": base["indicator"], "unit": base["unit"],
                             "baseline": rng.randint(20, 90), "result": rng.randint(5, 95),
                             "better": base["better"]})
        for name_, unit, better in rng.sample(INDICATORS, rng.randint(0, 2)):
            outcomes.append({"indicator": name_, "unit": unit, "baseline": rng.randint(20, 90),
                             "result": rng.randint(5, 95), "better": better})
        private = rng.random() < 0.08
        return {"slug": slug, "org_id": org_id, "organization": name, "country": country,
                "population": population, "title": _text(rng, 6).capitalize(),
                "summary": _text(rng, 18).capitalize() + ".", "body": _text(rng, 120),
                "themes": rng.sample(THEMES, rng.randint(1, 3)), "stage": rng.choice(STAGES),
                "evidence": rng.choice(EVIDENCE), "outcomes": outcomes, "adapted_from": parent,
                "visibility": "network" if private else "public",
                "networks": [f"bench-net-{rng.randrange(NETWORKS)}"] if private else []}

    def insert(specs, state):
        practices = []
        for spec in specs:
            when = start + timedelta(hours=rng.randint(0, 24 * 365 * 6))
            published = state == PracticeStatus.PUBLISHED
            p = Practice(slug=spec["slug"], organization_id=spec["org_id"],
                         status=state if published else PracticeStatus.DRAFT,
                         visibility=spec["visibility"], adapted_from_slug=spec["adapted_from"],
                         created_at=when, updated_at=when,
                         published_at=when if published else None)
            practices.append(p)
        s.add_all(practices)
        s.flush()
        revisions = []
        for p, spec in zip(practices, specs):
            text = _document(spec)
            revisions.append(Revision(
                practice_id=p.id, number=1, document=text, content_hash=content_hash(text),
                state=state, created_at=p.created_at, updated_at=p.created_at,
                submitted_at=p.created_at, title=spec["title"], summary=spec["summary"],
                language="en", country=spec["country"], population=spec["population"],
                population_band=population_band(spec["population"]), stage=spec["stage"],
                evidence=spec["evidence"], themes=spec["themes"], tags=[],
                outcomes=spec["outcomes"], networks=spec["networks"],
                visibility=spec["visibility"], adapted_from=spec["adapted_from"]))
        s.add_all(revisions)
        s.flush()
        for p, rev, spec in zip(practices, revisions, specs):
            p.current_revision_id = rev.id
            if state == PracticeStatus.PUBLISHED:
                p.published_revision_id = rev.id
                s.add_all(PracticeTheme(practice_id=p.id, theme=t) for t in spec["themes"])
                s.add_all(PracticeNetwork(practice_id=p.id, network=net)
                          for net in spec["networks"])
                s.add_all(PracticeTag(practice_id=p.id, tag=t, label=t)
                          for t in some_tags(tag_rng.randint(0, 3)))
                for t in some_tags(tag_rng.randint(0, 2)):
                    org = tag_rng.choice(org_ids)
                    private = tag_rng.random() < 0.2
                    s.add(TagApplication(practice_id=p.id, tag=t, label=t, organization_id=org,
                                         scope=f"bench-net-{org_ids.index(org) % NETWORKS}"
                                         if private else "public"))

    texts: list[str] = []  # some practices' text, to draw search queries from
    for first in range(0, n, batch):
        specs = []
        for i in range(first, min(n, first + batch)):
            spec = spec_for(i)
            if len(texts) < 2000:
                texts.append(f"{spec['title']} {spec['body']}")
            depth[spec["slug"]] = depth.get(spec["adapted_from"], -1) + 1 \
                if spec["adapted_from"] else 0
            slugs.append(spec["slug"])
            outcome_of[spec["slug"]] = spec["outcomes"]
            specs.append(spec)
        with UnitOfWork():
            insert(specs, PracticeStatus.PUBLISHED)
    for first in range(0, submissions, batch):
        with UnitOfWork():
            insert([spec_for(i, draft=True) for i in range(first, min(submissions,
                                                                      first + batch))],
                   PracticeStatus.SUBMITTED)
    with UnitOfWork():
        lineage_refresh()
    with UnitOfWork():
        facts_rebuild()  # the dashboards' facts and replication entries
    deep = [sl for sl in slugs if depth[sl] >= 2]
    practice = deep[0] if deep else slugs[0]
    return {"practice": practice, "organization": "bench-org-1",
            "network": "bench-net-1", "theme": "flood-preparedness",
            "queries": _queries(texts)}


def page_addresses(kb: dict) -> dict[str, str | list[str]]:
    """One address per page type (or addresses taken in turn), on a knowledge base
    `build` made."""
    new_queries = kb.get("queries") or [f"{a}+{b}" for a in WORDS for b in WORDS if a < b]
    return {
        "home": "/", "search": "/search?q=flood+water", "practice": f"/practices/{kb['practice']}",
        "organization": f"/organizations/{kb['organization']}",
        "theme": f"/themes/{kb['theme']}", "network": f"/networks/{kb['network']}",
        "network dashboard": f"/networks/{kb['network']}/dashboard",
        "dashboard": "/dashboard", "map": "/dashboard/map",
        "cities like mine": f"/cities-like-mine?organization={kb['organization']}",
        "moderation queue": "/moderation", "my work": "/my-work",
        "moderation queue filtered": f"/moderation?theme={kb['theme']}&network={kb['network']}",
        "organizations": "/organizations", "networks": "/networks", "themes": "/themes",
        "practice list": f"/practices?theme={kb['theme']}",
        "API list": "/api/v1/practices", "API search": "/api/v1/search?q=flood+water",
        # a query not asked before on every request: the index's kept answers never help
        # (a knowledge base built before 2026-11-27 has no "queries": pairs of topic words)
        "search, new query": [f"/search?q={q}" for q in new_queries],
        "API search, new query": [f"/api/v1/search?q={q}" for q in reversed(new_queries)],
        "tag": "/tags/floods", "tags": "/tags", "API tag": "/api/v1/tags/housing%20first",
        "tag suggestions": "/api/v1/tags/suggestions?q=ho&lang=en",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--workdir")
    parser.add_argument("--again", action="store_true",
                        help="measure the knowledge base an earlier run left in --workdir")
    args = parser.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="kb-pages-")
    empty_seed = os.path.join(workdir, "seed")
    os.makedirs(empty_seed, exist_ok=True)
    with open(os.path.join(empty_seed, "README.md"), "w") as fh:
        fh.write("no practices\n")

    from kb.app import create_app
    from kb.services.accounts import user_create
    from kb.services.identity import SYSTEM
    from kb.db import session
    from kb.models import Practice
    from kb.services.readmodel.lineage import lineage_refresh
    from kb.services.readmodel.similar import similar_refresh
    from kb.services.search import get_index, search_rebuild_unchecked
    from kb.services.uow import UnitOfWork

    app = create_app({"INSTANCE_PATH": workdir, "SEED_DIR": empty_seed, "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "AUTO_INIT": True,
                      "RATELIMIT_ENABLED": False})
    t0 = time.perf_counter()
    remembered = os.path.join(workdir, "bench-pages.json")
    if args.again:
        with open(remembered, encoding="utf-8") as fh:
            kb = json.load(fh)
        print(f"measuring the knowledge base of {workdir} again", flush=True)
    else:
        with app.app_context():
            kb = build(args.n)
            built = time.perf_counter() - t0
            search_rebuild_unchecked()
            indexed = time.perf_counter() - t0 - built
            with UnitOfWork():
                lineage_refresh()
                visited = session().scalar(select(Practice.id).where(
                    Practice.slug == kb["practice"]))
                similar_refresh(get_index(), [visited])
            derived = time.perf_counter() - t0 - built - indexed
            user_create(SYSTEM, "admin@bench.example", "Admin", "correct horse battery",
                        "admin")
        with open(remembered, "w", encoding="utf-8") as fh:
            json.dump(kb, fh)
        print(f"built {args.n} practices in {built:.0f} s; index {indexed:.0f} s; "
              f"lineage rows and the visited practice's similar list {derived:.1f} s",
              flush=True)
    client = app.test_client()
    response = client.post("/login", data={"email": "admin@bench.example",
                                           "password": "correct horse battery"})
    assert response.status_code == 302, response.status_code
    print(f"{'page':<20} {'p50 ms':>8} {'p95 ms':>8}  status")
    for name, url in page_addresses(kb).items():
        times, status = [], None
        for i in range(args.repeat + 2):
            t = time.perf_counter()
            response = client.get(url if isinstance(url, str) else url[i % len(url)])
            if i >= 2:  # two warm-up requests
                times.append((time.perf_counter() - t) * 1000)
            status = response.status_code
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        print(f"{name:<20} {statistics.median(times):8.1f} {p95:8.1f}  {status}", flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the process: {rss:.0f} MB")


if __name__ == "__main__":
    main()
