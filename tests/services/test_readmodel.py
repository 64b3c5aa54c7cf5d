"""The read model equals a from-scratch computation after every change.

A seeded random sequence of publications, edits, re-parentings, network sharing,
archiving, restoring and adaptations runs through the services; after each step the
lineage rows kept from the change log equal a rebuild from scratch, and the lineage,
comparison and replication each reader sees through the read model equal what the
computation over every visible practice gives.
"""

from __future__ import annotations

import dataclasses
import random

import pytest
from sqlalchemy import select

from kb.content import ValidationFailed
from kb.db import session
from kb.models import LineageEntry, Practice, PracticeStatus, SimilarEntry
from kb.services import editorial as ed
from kb.services.errors import ServiceError
from kb.services.exchange import comparison, lineage
from kb.services.exchange.common import practice_by_slug, visible_published
from kb.services.identity import ANONYMOUS, SYSTEM, Identity
from kb.services.organizations import network_create
from kb.services.practices import practice_import
from kb.services.readmodel import lineage_rows, read_model_catch_up
from kb.services.readmodel.catchup import read_model_rebuild_unchecked
from kb.services.readmodel.lineage import published_parents
from tests.services.test_exchange import doc

ORGS = ["Northbrook City (fictional example)", "Westbrook City (fictional example)",
        "Eastbrook Town (fictional example)", "Southbrook Region (fictional example)"]
INDICATORS = [("Response time", "minutes"), ("Flooded basements", "count"),
              ("Permit time", "days")]
READERS = [ANONYMOUS, Identity(user_id=90, networks=frozenset({"alpha"})),
           Identity(user_id=91, networks=frozenset({"beta"})), SYSTEM]


def stored_rows() -> dict:
    return {r.slug: (r.parent_slug, r.root_slug, r.depth)
            for r in session().scalars(select(LineageEntry))}


def stored_similar() -> list:
    """Similar lists are stored per published revision: a rebuild refreshes them all."""
    return sorted(session().execute(select(SimilarEntry.practice_id, SimilarEntry.position,
                                           SimilarEntry.similar_id)).all())


def scratch_rows() -> dict:
    return lineage_rows({slug: parent for slug, (_id, parent) in published_parents().items()})


def as_data(value):
    return dataclasses.asdict(value)


def assert_pages_equal_the_full_computation():
    published = list(session().scalars(select(Practice.slug).where(
        Practice.status == PracticeStatus.PUBLISHED)))
    for reader in READERS:
        everything = visible_published(reader)
        seen = {p.slug for p in everything}
        for slug in published:
            if slug not in seen:
                continue
            practice = practice_by_slug(slug)
            assert as_data(lineage.lineage_get(reader, slug)) == as_data(
                lineage.lineage_of(reader, practice, everything)), (reader, slug)
            assert as_data(comparison.comparison_get(reader, slug)) == as_data(
                comparison.comparison_of(reader, practice, everything)), (reader, slug)
            assert as_data(comparison.replication_get(reader, slug)) == as_data(
                comparison.replication_of(reader, practice, everything)), (reader, slug)


class World:
    def __init__(self, rng: random.Random):
        self.rng, self.slugs, self.docs = rng, [], {}

    def write(self, slug, **fields):
        spec = {"organization": self.rng.choice(ORGS), "adapted_from": None,
                "outcomes": (), "visibility": "public", "networks": ()}
        spec.update(self.docs.get(slug, {}))
        spec.update(fields)
        try:
            practice_import(SYSTEM, doc(slug, spec["organization"],
                                        adapted_from=spec["adapted_from"],
                                        outcomes=spec["outcomes"],
                                        visibility=spec["visibility"],
                                        networks=spec["networks"]))
        except ValidationFailed:
            return  # refused (a loop, or an archived practice): nothing changed
        self.docs[slug] = spec
        if slug not in self.slugs:
            self.slugs.append(slug)

    def outcomes(self):
        return [(name, unit, self.rng.randint(10, 50), self.rng.randint(1, 60),
                 self.rng.choice(["lower", "higher", None]))
                for name, unit in self.rng.sample(INDICATORS, self.rng.randint(0, 2))]

    def step(self, n: int) -> str:
        rng = self.rng
        ops = ["publish"] if not self.slugs else ["publish", "adapt"] if len(self.slugs) < 3 else [
            "publish", "adapt", "adapt", "edit", "reparent", "share", "archive", "restore"]
        op = rng.choice(ops)
        if op == "publish":
            self.write(f"rm-practice-{n}", outcomes=self.outcomes())
        elif op == "adapt":
            self.write(f"rm-practice-{n}", adapted_from=rng.choice(self.slugs),
                       outcomes=self.outcomes())
        elif op == "edit":
            self.write(rng.choice(self.slugs), outcomes=self.outcomes())
        elif op == "reparent":
            slug = rng.choice(self.slugs)
            self.write(slug, adapted_from=rng.choice([None] + self.slugs))
        elif op == "share":
            slug = rng.choice(self.slugs)
            private = rng.random() < 0.6
            self.write(slug, visibility="network" if private else "public",
                       networks=[rng.choice(["alpha", "beta"])] if private else [])
        else:
            slug = rng.choice(self.slugs)
            try:
                (ed.practice_archive if op == "archive" else ed.practice_restore)(SYSTEM, slug)
            except ServiceError:
                pass  # not in a state that allows it
        return op


@pytest.mark.parametrize("seed", [11, 2027])
def test_incremental_read_model_equals_rebuild_and_the_full_computation(app, seed):
    with app.app_context():
        network_create(SYSTEM, "Alpha", "alpha")
        network_create(SYSTEM, "Beta", "beta")
        world, done = World(random.Random(seed)), []
        for n in range(22):
            done.append(world.step(n))
            read_model_catch_up()
            assert stored_rows() == scratch_rows(), done
            assert_pages_equal_the_full_computation()
        assert {"adapt", "reparent", "share", "archive"} <= set(done)
        assert any(r[2] >= 2 for r in stored_rows().values())  # chains, not only pairs
        kept = stored_rows()
        read_model_rebuild_unchecked()
        assert stored_rows() == kept
        similar = stored_similar()
        assert similar
        read_model_rebuild_unchecked()  # idempotent
        assert (stored_rows(), stored_similar()) == (kept, similar)


def test_a_network_only_practice_stays_out_of_the_family_others_read(app):
    with app.app_context():
        network_create(SYSTEM, "Alpha", "alpha")
        practice_import(SYSTEM, doc("rm-origin", ORGS[0]))
        practice_import(SYSTEM, doc("rm-private", ORGS[1], adapted_from="rm-origin",
                                    visibility="network", networks=["alpha"]))
        read_model_catch_up()
        assert stored_rows()["rm-private"] == ("rm-origin", "rm-origin", 1)
        assert lineage.lineage_get(ANONYMOUS, "rm-origin").size == 1
        assert lineage.lineage_get(READERS[1], "rm-origin").size == 2
