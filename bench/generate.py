"""Write N valid, clearly synthetic practice documents into a folder.

Every document says it is generated (title prefix "Synthetic", organization
"Synthetic town N", tag "synthetic", example.org links), is valid format v1,
and is reproducible from its seed. Three topic words per document come from a
list of 50 (each is in about 6 % of the documents: what the load benchmark
searches for); the body is made-up words with a Zipf distribution.

    python bench/generate.py OUT_DIR --count 10000 [--seed 1] [--towns 500]

Used by the import benchmark (docs/benchmarks.md), the load benchmark
(bench/load.sh) and the backlog tests.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

THEMES = ["air-quality", "circular-economy", "citizen-participation", "climate-adaptation",
          "culture", "digital-services", "economic-development", "education", "elderly-care",
          "employment", "energy", "flood-preparedness", "green-spaces", "health", "housing",
          "integration", "mobility", "open-data", "permitting", "procurement",
          "public-finance", "public-safety", "social-inclusion", "tourism",
          "waste-management", "water", "youth"]
STAGES = ["idea", "pilot", "implemented", "evaluated", "scaled"]
EVIDENCE = ["anecdotal", "monitored", "evaluated", "experimental"]
COUNTRIES = ["FI", "SE", "NO", "DK", "EE", "DE", "NL", "BE", "FR", "ES", "PT", "IT", "AT", "PL"]
# the words a synthetic practice is made of (and the load benchmark searches for)
NOUNS = ["permit", "flood", "bicycle", "library", "school", "heat", "waste", "compost", "bus",
         "housing", "budget", "volunteer", "sensor", "park", "river", "tram", "solar",
         "procurement", "youth", "clinic", "water", "storm", "tree", "market", "kiosk",
         "tenant", "data", "map", "noise", "parking", "ferry", "bridge", "garden", "energy",
         "recycling", "reuse", "repair", "kitchen", "transport", "elderly", "museum",
         "festival", "tourism", "jobs", "training", "apprentice", "migrant", "language",
         "broadband", "app"]
VERBS = ["faster", "shared", "digital", "joint", "local", "open", "mobile", "neighbourhood",
         "citizen-led", "low-cost", "green", "safe", "public", "weekly", "seasonal"]
LANGUAGES = ["en"] * 6 + ["fi", "sv", "de", "fr"]
# the rest of the text: 4,000 made-up words ("kalomi", "tesuvar" ...) drawn with a Zipf
# distribution, so that, as in real text, a few words are everywhere and most are rare
_SYLLABLES = ["ka", "lo", "mi", "te", "su", "var", "no", "ri", "pe", "dal", "to", "sen",
              "bu", "ga", "fi", "hor", "ne", "ju", "las", "mo"]
VOCABULARY = [a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES[:10]]
_ZIPF = list(__import__("itertools").accumulate(1 / (rank + 1)
                                                for rank in range(len(VOCABULARY))))


def document(i: int, rnd: random.Random, towns: int) -> str:
    town = rnd.randrange(towns)
    a, b, c = rnd.sample(NOUNS, 3)
    adj = rnd.choice(VERBS)
    themes = sorted(rnd.sample(THEMES, rnd.randint(1, 3)))
    baseline = rnd.randint(20, 200)
    result = max(1, baseline - rnd.randint(1, baseline - 1))
    body_words = " ".join(rnd.choices(VOCABULARY, cum_weights=_ZIPF, k=80))
    return f"""---
slug: synthetic-{i:06d}
title: Synthetic practice {i}, {adj} {a} and {b}
summary: Generated test document {i} about {adj} {a} services with {b} and {c}; not a real practice.
language: {rnd.choice(LANGUAGES)}
organization: Synthetic town {town}
country: '{rnd.choice(COUNTRIES)}'
population: {1000 * (town % 300 + 5)}
themes: [{", ".join(themes)}]
tags: [synthetic, {a}, {b}]
stage: {rnd.choice(STAGES)}
evidence: {rnd.choice(EVIDENCE)}
started: {rnd.randint(2010, 2024)}
outcomes:
  - indicator: Days to handle a {a} request
    unit: days
    baseline: {baseline}
    result: {result}
    period: {rnd.randint(2015, 2024)}
visibility: public
links: [{{title: Synthetic source {i}, url: "https://example.org/synthetic/{i}"}}]
license: CC-BY-4.0
---
## Challenge

Synthetic town {town} wanted {adj} {a} services. This document is generated for tests and
benchmarks; it describes no real place.

## Solution

The town combined {b} and {c}. {body_words}

## Results

Handling time fell from {baseline} to {result} days.
"""


def write_documents(folder: Path, count: int, seed: int = 1, towns: int = 500,
                    start: int = 0) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(seed)
    paths = []
    for i in range(start, start + count):
        path = folder / f"synthetic-{i:06d}.md"
        path.write_text(document(i, rnd, towns), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--towns", type=int, default=500)
    args = parser.parse_args()
    write_documents(args.out_dir, args.count, args.seed, args.towns)
    print(f"{args.count} documents in {args.out_dir}")


if __name__ == "__main__":
    main()
