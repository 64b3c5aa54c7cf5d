"""An organization's admin, or a site admin, keeps its kind, population and place right."""

from __future__ import annotations

from kb.services.identity import SYSTEM
from kb.services.organizations import org_create
from tests.auth_helpers import post

PASSWORD = "correct horse battery"
URL = "/admin/organizations/vantaan-kaupunki"


def _signed_in(app, email):
    client = app.test_client()
    assert post(client, "/login", {"email": email, "password": PASSWORD}).status_code == 302
    return client


def _setup(app, make_user):
    with app.app_context():
        org_create(SYSTEM, "Vantaan kaupunki", "city", "FI")
    make_user("admin@vantaa.example", orgs={"vantaan-kaupunki": "admin"})
    make_user("member@vantaa.example", orgs={"vantaan-kaupunki": "contributor"})
    make_user("site@kb.example", role="admin")


def test_the_organizations_admin_looks_up_confirms_and_edits(app, make_user):
    _setup(app, make_user)
    client = _signed_in(app, "admin@vantaa.example")
    page = client.get(URL).get_data(as_text=True)
    assert 'href="https://www.geonames.org/"' in page
    assert page.count('name="csrf_token"') >= 2
    # without the CSRF token, nothing happens
    assert client.post(URL, data={"action": "suggest"}).status_code == 400
    suggested = post(client, URL, {"action": "suggest"}, follow_redirects=True)
    assert "Suggested: Vantaa, population" in suggested.get_data(as_text=True)
    post(client, URL, {"action": "confirm"})
    org_page = client.get("/organizations/vantaan-kaupunki").get_data(as_text=True)
    assert "GeoNames</a>)" in org_page and "Edit this organization" in org_page
    bad = post(client, URL, {"action": "save", "name": "Vantaan kaupunki", "kind": "city",
                             "country": "FI", "latitude": "north", "longitude": "25"})
    assert bad.status_code == 400 and 'id="f-latitude-error"' in bad.get_data(as_text=True)
    saved = post(client, URL, {"action": "save", "name": "Vantaan kaupunki",
                               "kind": "municipality", "country": "FI", "population": "",
                               "latitude": "60.29", "longitude": "25.04"})
    assert saved.status_code == 302
    org_page = client.get("/organizations/vantaan-kaupunki").get_data(as_text=True)
    assert "Municipality" in org_page and "unknown" in org_page and "60.2900, 25.0400" in org_page


def test_others_may_not_edit_and_site_admins_may(app, make_user):
    _setup(app, make_user)
    member = _signed_in(app, "member@vantaa.example")
    assert member.get(URL).status_code == 403
    assert post(member, URL, {"action": "suggest"}, token_from="/").status_code == 403
    assert "Edit this organization" not in member.get(
        "/organizations/vantaan-kaupunki").get_data(as_text=True)
    site = _signed_in(app, "site@kb.example")
    assert site.get(URL).status_code == 200
    index = site.get("/admin/").get_data(as_text=True)
    assert f'href="{URL}"' in index
    assert app.test_client().get(URL).status_code == 302   # anonymous: sign in first


def test_cities_like_mine_shows_the_kind_translated(app, make_user):
    client = app.test_client()
    page = client.get("/cities-like-mine?organization=riverton-fictional-example-town",
                      headers={"Accept-Language": "fi"}).get_data(as_text=True)
    context = page[page.index('class="context"'):page.index("</dl>", page.index('class="context"'))]
    assert "<dd>Muu organisaatio</dd>" in context and "Other" not in context


def test_an_unknown_population_never_makes_a_size_match(app):
    """Riverton is a fictional town: its example practice's illustrative population is not
    its organization's, so no practice is "the same size" as it."""
    page = app.test_client().get(
        "/cities-like-mine?organization=riverton-fictional-example-town").get_data(as_text=True)
    context = page[page.index('class="context"'):page.index("</dl>", page.index('class="context"'))]
    assert "<dt>Population band</dt><dd>unknown</dd>" in context
    results = page[page.index("Practices from similar contexts"):]
    assert "same country" in results or "neighbouring country" in results  # it does rank
    assert "population band" not in results.split("How the score is made")[0]
