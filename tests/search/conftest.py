"""Fixtures for the search package: small multilingual practices and indexes."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from search import SearchIndex


def make_doc(id: int, **overrides) -> dict:
    """A complete practice document dict, as kb/ builds it."""
    doc = {
        "id": id, "slug": f"practice-{id}", "title": f"Practice {id}",
        "summary": "", "body": "", "language": "en",
        "organization": "City of Tampere", "organization_slug": "city-of-tampere",
        "country": "FI", "region": None, "population": 255_000,
        "population_band": "250k-1m", "themes": ["permitting"], "tags": [],
        "stage": "evaluated", "evidence": "monitored", "started_year": 2021,
        "published_at": datetime(2024, 1, 1, tzinfo=timezone.utc),
        "updated_at": datetime(2024, 1, 1, tzinfo=timezone.utc),
        "adaptations_count": 0, "adapted_from": None, "visibility": "public",
        "networks": [], "featured": False, "outcomes_count": 0,
    }
    doc.update(overrides)
    return doc


def practices() -> list[dict]:
    """Eight practices in English, Finnish, Swedish and German."""
    return [
        make_doc(1, slug="one-stop-building-permits", title="One-stop building permits",
                 summary="Permits in 12 days instead of 45.",
                 body="The city merged three permit desks into one. Building permits are "
                      "now decided in 12 days. Applicants upload drawings once.",
                 tags=["one-stop shop", "e-permits"], themes=["permitting", "digital-services"],
                 published_at=datetime(2023, 5, 1, tzinfo=timezone.utc), adaptations_count=3,
                 started_year=2019),
        make_doc(2, slug="tulvariskien-hallinta", title="Tulvariskien hallinta Porissa",
                 summary="Pori varautuu tulviin uusilla penkereillä.", language="fi",
                 body="Kaupunki rakensi penkereitä. Tulvien ennakointi parani ja "
                      "tulvavahingot vähenivät. Ahvenanmaalla ja Ålandissa seurattiin mallia.",
                 organization="City of Pori", organization_slug="city-of-pori",
                 themes=["flood-preparedness", "climate-adaptation"], tags=["tulvat", "penkereet"],
                 population=84_000, population_band="50k-250k",
                 published_at=datetime(2022, 3, 1, tzinfo=timezone.utc), adaptations_count=1,
                 started_year=2018),
        make_doc(3, slug="skyfall-goteborg", title="Skyfallsplan för Göteborg",
                 summary="Göteborg förbereder sig för översvämningar.", language="sv",
                 body="Staden kartlade översvämningar och skyfall. Nya parker tar hand om "
                      "dagvatten vid kraftiga regn.",
                 organization="Göteborgs Stad", organization_slug="goteborgs-stad", country="SE",
                 themes=["flood-preparedness", "water"], tags=["skyfall"],
                 population=600_000, population_band="250k-1m",
                 published_at=datetime(2024, 2, 1, tzinfo=timezone.utc), started_year=2020),
        make_doc(4, slug="bauantraege-digital", title="Digitale Bauanträge in Leipzig",
                 summary="Bauanträge werden online gestellt.", language="de",
                 body="Die Stadt digitalisierte die Baugenehmigungen. Anträge werden "
                      "schneller bearbeitet und Gebäude früher gebaut.",
                 organization="Stadt Leipzig", organization_slug="stadt-leipzig", country="DE",
                 themes=["permitting", "digital-services"], tags=["Bauantrag"],
                 population=600_000, population_band="250k-1m",
                 published_at=datetime(2021, 6, 1, tzinfo=timezone.utc), adaptations_count=5,
                 started_year=2020),
        make_doc(5, slug="joint-procurement-buses", title="Joint procurement of electric buses",
                 summary="Five towns bought buses together.",
                 body="Small towns pooled their demand. The joint tender lowered prices "
                      "for electric buses and charging.",
                 organization="Region of Skåne", organization_slug="region-skane", country="SE",
                 themes=["procurement", "mobility"], tags=["joint procurement"],
                 population=9_000, population_band="lt10k", stage="pilot", evidence="anecdotal",
                 published_at=datetime(2020, 1, 1, tzinfo=timezone.utc), started_year=2017),
        make_doc(6, slug="permit-feedback", title="Citizen feedback loop",
                 summary="Residents rate services after each visit.",
                 body="After a building permit decision applicants rate the service. The "
                      "permit office publishes the ratings monthly.",
                 organization="City of Tampere", organization_slug="city-of-tampere",
                 themes=["citizen-participation"], tags=["feedback"],
                 published_at=datetime(2024, 6, 1, tzinfo=timezone.utc), started_year=2022),
        make_doc(7, slug="tulvakartat", title="Tulvakartat asukkaille",
                 summary="Tulvariskit näkyvät kartalla.", language="fi",
                 body="Asukkaat näkevät tulvariskit kartalta. Tulvat ja tulvien "
                      "seuraukset selitetään selkokielellä.",
                 organization="City of Pori", organization_slug="city-of-pori",
                 themes=["flood-preparedness", "open-data"], tags=["tulvat", "kartat"],
                 population=84_000, population_band="50k-250k",
                 published_at=datetime(2023, 1, 1, tzinfo=timezone.utc), started_year=2021),
        make_doc(8, slug="network-secret", title="Members-only heat plan",
                 summary="Heat wave plan shared in the network.",
                 body="The zyxwquartz method cools schools during heat waves.",
                 organization="Secret City", organization_slug="secret-city", country="NL",
                 themes=["climate-adaptation"], tags=["zyxwquartz tag"],
                 visibility="network", networks=["eurocities"],
                 published_at=datetime(2024, 7, 1, tzinfo=timezone.utc), started_year=2023),
    ]


@pytest.fixture(scope="session")
def built_index(tmp_path_factory):
    """A read-only index of the eight practices, shared by query tests."""
    path = tmp_path_factory.mktemp("search-index")
    idx = SearchIndex(str(path))
    idx.rebuild(practices(), 8)
    yield idx
    idx.close()


@pytest.fixture
def index(tmp_path):
    """A fresh index of the eight practices, for tests that write."""
    idx = SearchIndex(str(tmp_path / "index"), lock_timeout=1.0)
    idx.rebuild(practices(), 8)
    yield idx
    idx.close()


@pytest.fixture
def slugs():
    def _slugs(results):
        hits = results.hits if hasattr(results, "hits") else results
        return [h.slug for h in hits]
    return _slugs
