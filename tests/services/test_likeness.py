"""Cities like mine: a city's other bodies are not "like" it; each match names its kind."""

from __future__ import annotations

from kb.services import exchange as ex
from kb.services.identity import ANONYMOUS, SYSTEM
from kb.services.organizations import org_create
from kb.services.places import org_place_confirm, org_place_suggest
from kb.services.practices import practice_import


def put(slug, organization, country="FI"):
    practice_import(SYSTEM, "\n".join([
        "---", f"slug: {slug}", f"title: Practice {slug}",
        "summary: A constructed practice for cities like mine.", "language: fi",
        f"organization: {organization}", f"country: {country}", "themes: [water]",
        "stage: pilot", "evidence: anecdotal", "---", "## Challenge", "", "Teksti.", ""]))


def city(name, slug, kind="city"):
    org_create(SYSTEM, name, kind, "FI")
    assert org_place_suggest(SYSTEM, slug) is not None
    org_place_confirm(SYSTEM, slug)


def test_the_other_bodies_of_my_city_are_not_cities_like_mine(app):
    with app.app_context():
        city("Helsingin kaupunki", "helsingin-kaupunki")
        city("Helsingin kaupunki, Palvelukeskus", "helsingin-kaupunki-palvelukeskus")
        city("Vantaan kaupunki", "vantaan-kaupunki")
        put("hki-own", "Helsingin kaupunki")
        put("hki-service", "Helsingin kaupunki, Palvelukeskus")
        put("vantaa-one", "Vantaan kaupunki")
        found = ex.cities_like_mine(ANONYMOUS, "helsingin-kaupunki")
        slugs = [r.card.slug for r in found.results]
        assert "hki-service" not in slugs and "hki-own" not in slugs
        vantaa = next(r for r in found.results if r.card.slug == "vantaa-one")
        # Helsinki (GeoNames: 658,864) and Vantaa (252,724) are both 250,000–1 million
        assert vantaa.reasons == ["same population band", "same country",
                                  "same kind of organization"]
        assert vantaa.kind == "city"


def test_each_match_names_its_organization_kind_in_the_readers_language(app):
    with app.app_context():
        city("Vantaan kaupunki", "vantaan-kaupunki")
        put("vantaa-one", "Vantaan kaupunki")
    page = app.test_client().get("/cities-like-mine?organization=jarvela-kuvitteellinen-"
                                 "esimerkkikunta", headers={"Accept-Language": "fi"})
    html = page.get_data(as_text=True)
    results = html[html.index('id="similar-title"'):html.index('id="scoring-title"')]
    assert "Vantaan kaupunki, Suomi <span class=\"muted\">(Kaupunki)</span>" in results


def test_the_ranking_is_kept_until_the_data_changes_and_speaks_the_readers_language(app):
    from flask_babel import force_locale

    with app.app_context():
        city("Helsingin kaupunki", "helsingin-kaupunki")
        city("Vantaan kaupunki", "vantaan-kaupunki")
        put("hki-own", "Helsingin kaupunki")
        put("vantaa-one", "Vantaan kaupunki")
        first = ex.cities_like_mine(ANONYMOUS, "helsingin-kaupunki")
        assert ex.cities_like_mine(ANONYMOUS, "helsingin-kaupunki").results is first.results
        put("vantaa-two", "Vantaan kaupunki")
        again = ex.cities_like_mine(ANONYMOUS, "helsingin-kaupunki")
        assert {"vantaa-one", "vantaa-two"} <= {r.card.slug for r in again.results}
        assert "vantaan-kaupunki" in {o.slug for o in again.organizations}
        with force_locale("fi"):
            finnish = ex.cities_like_mine(ANONYMOUS, "helsingin-kaupunki")
        reasons = next(r for r in finnish.results if r.card.slug == "vantaa-one").reasons
        assert "same country" not in reasons and len(reasons) == 3
