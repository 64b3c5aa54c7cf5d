"""Organizations that know where they are: suggest, confirm, edit; each checked and audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kb.db import session
from kb.models import AuditEvent, Organization, User
from kb.services.accounts import identity_for
from kb.services.errors import InvalidInput, PermissionDenied
from kb.services.identity import SYSTEM
from kb.services.organizations import org_create
from kb.services.places import (org_details_update, org_place_confirm, org_place_suggest,
                                org_places_seed)

RIVERTON = "riverton-fictional-example-town"


@pytest.fixture
def vantaa(app, make_user):
    with app.app_context():
        org_create(SYSTEM, "Vantaan kaupunki", "city", "FI")
    admin = make_user("admin@vantaa.example", orgs={"vantaan-kaupunki": "admin"})
    member = make_user("member@vantaa.example", orgs={"vantaan-kaupunki": "contributor"})
    return admin, member


def _who(user_id):
    return identity_for(session().get(User, user_id))


def _events(action):
    return list(session().scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_organizations_admin_confirms_a_geonames_suggestion(app, vantaa):
    admin, member = vantaa
    with app.app_context():
        with pytest.raises(PermissionDenied):
            org_place_suggest(_who(member), "vantaan-kaupunki")
        found = org_place_suggest(_who(admin), "vantaan-kaupunki")
        assert found.name == "Vantaa"
        org = session().scalar(select(Organization).where(Organization.slug == "vantaan-kaupunki"))
        # a suggestion changes nothing yet
        assert org.population is None and org.place.suggested_population == found.population
        with pytest.raises(PermissionDenied):
            org_place_confirm(_who(member), "vantaan-kaupunki")
        org_place_confirm(_who(admin), "vantaan-kaupunki")
        org = session().scalar(select(Organization).where(Organization.slug == "vantaan-kaupunki"))
        assert org.population == found.population
        assert org.place.population_source == "geonames"
        assert (org.place.latitude, org.place.longitude) == (found.latitude, found.longitude)
        assert org.place.suggested_geonames_id is None
        assert [e.actor_id for e in _events("org.place_suggest")] == [admin]
        assert [e.detail["population"] for e in _events("org.place_confirm")] == \
            [found.population]


def test_confirming_without_a_suggestion_is_refused(app, vantaa):
    with app.app_context():
        with pytest.raises(InvalidInput):
            org_place_confirm(_who(vantaa[0]), "vantaan-kaupunki")


def test_details_are_edited_with_checked_coordinates_in_one_transaction(app, vantaa):
    admin, member = vantaa
    form = {"name": "Vantaan kaupunki", "kind": "city", "country": "FI", "region": "Uusimaa",
            "population": "250 000", "latitude": "60.29", "longitude": "25.04"}
    with app.app_context():
        with pytest.raises(PermissionDenied):
            org_details_update(_who(member), "vantaan-kaupunki", form)
        with pytest.raises(InvalidInput) as bad:
            org_details_update(_who(admin), "vantaan-kaupunki", {**form, "latitude": "91"})
        assert set(bad.value.errors) == {"latitude"}
        with pytest.raises(InvalidInput) as bad:
            org_details_update(_who(admin), "vantaan-kaupunki", {**form, "kind": "castle"})
        assert "kind" in bad.value.errors
        org = session().scalar(select(Organization).where(Organization.slug == "vantaan-kaupunki"))
        assert org.region is None and org.place is None   # nothing half-written
        org_details_update(_who(admin), "vantaan-kaupunki", form)
        org = session().scalar(select(Organization).where(Organization.slug == "vantaan-kaupunki"))
        assert (org.population, org.region) == (250000, "Uusimaa")
        assert (org.place.latitude, org.place.longitude) == (60.29, 25.04)
        assert org.place.population_source == "admin"
        assert len(_events("org.update")) == 1


def test_fictional_towns_keep_an_unknown_population(app):
    """The fixture practices are fictional examples: their illustrative population is
    not their organization's, and no GeoNames place matches them."""
    with app.app_context():
        org = session().scalar(select(Organization).where(Organization.slug == RIVERTON))
        assert org.population is None and org.place is None
        assert org_places_seed(SYSTEM) == 0


def test_the_first_start_confirms_places_of_bundled_cities_only(app):
    with app.app_context():
        org_create(SYSTEM, "Lahden kaupunki", "city", "FI")
        org_create(SYSTEM, "Turun yliopisto", "other", "FI")
        assert org_places_seed(SYSTEM) == 1
        by_slug = {o.slug: o for o in session().scalars(select(Organization))}
        assert by_slug["lahden-kaupunki"].population > 100000
        assert by_slug["lahden-kaupunki"].place.population_source == "geonames"
        # a university is not the city it is named after: a suggestion only
        university = by_slug["turun-yliopisto"]
        assert university.population is None and university.place.suggested_name == "Turku"
