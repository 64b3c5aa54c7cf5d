"""docs/permissions.md, cell by cell, against the running portal with a person in each role."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from kb.config import REPO_ROOT
from kb.db import session
from kb.models import JoinRequest, Network, Organization, User
from kb.services.accounts import identity_for
from kb.services.errors import PermissionDenied
from kb.services.identity import ANONYMOUS, SYSTEM
from kb.services.organizations import (network_add_member, network_create,
                                       network_set_moderator)
from kb.services.practices import practice_import
from kb.services.search import search_rebuild
from tests.auth_helpers import post

ROLES = ["anonymous", "reader", "owner", "other", "member", "org admin", "moderator",
         "global mod", "admin"]
RIVERTON = "riverton-fictional-example-town"
BERGDORF = "bergdorf-fiktive-beispielgemeinde"
HILLFORD = "hillford-fictional-example-town"


def documented_table() -> dict[str, dict[str, bool]]:
    text = (REPO_ROOT / "docs" / "permissions.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    header = next(line for line in text.splitlines() if line.startswith("| operation"))
    columns = [c.strip() for c in header.strip("|").split("|")][1:]
    assert columns == ROLES
    table = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        op = re.match(r"`([a-z-]+)`", cells[0]).group(1)
        table[op] = {role: cell == "yes" for role, cell in zip(ROLES, cells[1:])}
    return table


TABLE = documented_table()


def setup_roles(app, make_user):
    people = {
        "reader": make_user("reader@kb.example"),
        "owner": make_user("owner@kb.example", orgs={BERGDORF: "contributor"}),
        "other": make_user("other@kb.example", orgs={RIVERTON: "contributor"}),
        "member": make_user("member@kb.example", orgs={HILLFORD: "contributor"}),
        "org admin": make_user("orgadmin@kb.example", orgs={RIVERTON: "admin"}),
        "moderator": make_user("moderator@kb.example"),
        "global mod": make_user("globalmod@kb.example", role="global_moderator"),
        "admin": make_user("admin@kb.example", role="admin"),
    }
    with app.app_context():
        network_create(SYSTEM, "Alpine towns", "alpine-towns")
        network_add_member(SYSTEM, "alpine-towns", BERGDORF)
        network_add_member(SYSTEM, "alpine-towns", HILLFORD)
        network_set_moderator(SYSTEM, "alpine-towns", "moderator@kb.example")
    return people


def sign_in(app, role, people):
    client = app.test_client()
    if role != "anonymous":
        with app.app_context():
            email = session().get(User, people[role]).email
        assert post(client, "/login", {"email": email,
                                       "password": "correct horse battery"}).status_code == 302
    return client


def identity(app, role, people):
    with app.app_context():
        return ANONYMOUS if role == "anonymous" else identity_for(session().get(User,
                                                                          people[role]))


def consistent(name, results: dict[str, bool]) -> bool:
    values = set(results.values())
    assert len(values) == 1, f"{name}: some places show it and others do not: {results}"
    return values.pop()


def allowed_status(response) -> bool:
    if response.status_code in (200, 302) and "/login" not in response.headers.get("Location",
                                                                                   "/login"):
        return True
    if response.status_code == 200:
        return True
    assert response.status_code in (302, 403, 404), response.status_code
    return False


def check_read_public(c, **_):
    return consistent("read-public", {
        "page": c.get("/practices/riverton-flood-wardens").status_code == 200,
        "api": c.get("/api/v1/practices/riverton-flood-wardens").status_code == 200,
        "source": c.get("/practices/riverton-flood-wardens.md").status_code == 200,
    })


def check_read_network(c, **_):
    return consistent("read-network", {
        "page": c.get("/practices/netzwerk-intern").status_code == 200,
        "api": c.get("/api/v1/practices/netzwerk-intern").status_code == 200,
        "source": c.get("/practices/netzwerk-intern.md").status_code == 200,
    })


def check_find_network(c, **_):
    search = c.get("/api/v1/search?q=zebrafink").get_json()
    facets = c.get("/api/v1/search?q=").get_json()["facets"]["theme"]
    procurement = next((f["count"] for f in facets if f["value"] == "procurement"), 0)
    suggestions = c.get("/api/v1/autocomplete?q=Gemeinsame").get_json()
    return consistent("find-network", {
        "search": search["total"] == 1,
        "facet": procurement == 1,
        "autocomplete": any("Streusalz" in s["text"] for s in suggestions),
        "list": "Streusalz" in c.get("/practices?theme=procurement").get_data(as_text=True),
        "theme": "Streusalz" in c.get("/themes/procurement").get_data(as_text=True),
        "organization": c.get(f"/organizations/{BERGDORF}").status_code == 200,
        "network": "Streusalz" in c.get("/networks/alpine-towns").get_data(as_text=True),
        "home": "6 practices" in c.get("/").get_data(as_text=True),
        "api-list": c.get("/api/v1/practices").get_json()["total"] == 6,
    })


def check_see_email(c, **_):
    return "floods@riverton.example" in c.get("/practices/riverton-flood-wardens").get_data(
        as_text=True)


def check_join_org(c, app, **_):
    post(c, "/account/join", {"organization": "lakeside-fictional-example-town"}, token_from="/")
    with app.app_context():
        return bool(session().scalar(select(func.count()).select_from(JoinRequest)))


def check_manage_people(c, **_):
    return allowed_status(c.get(f"/organizations/{RIVERTON}/people"))


def check_admin_area(c, **_):
    return allowed_status(c.get("/admin/"))


def check_create_org(c, app, **_):
    post(c, "/admin/", {"action": "create_org", "name": "New Town", "kind": "city"},
         token_from="/")
    with app.app_context():
        return bool(session().scalar(select(Organization).where(Organization.slug == "new-town")))


def check_manage_networks(c, app, **_):
    post(c, "/admin/", {"action": "create_network", "name": "Baltic cities"}, token_from="/")
    with app.app_context():
        return bool(session().scalar(select(Network).where(Network.slug == "baltic-cities")))


def check_set_roles(c, app, **_):
    post(c, "/admin/", {"action": "set_role", "email": "reader@kb.example",
                        "role": "global_moderator"}, token_from="/")
    with app.app_context():
        return session().scalar(select(User.site_role).where(
            User.email == "reader@kb.example")) == "global_moderator"


def _service_allowed(app, call) -> bool:
    with app.app_context():
        try:
            call()
        except PermissionDenied:
            return False
    return True


def check_import(app, who, **_):
    from tests.conftest import FIXTURE_PRACTICES

    text = (FIXTURE_PRACTICES / "solby-medborgarbudget.md").read_text()
    return _service_allowed(app, lambda: practice_import(who, text, "solby-medborgarbudget.md"))


def check_reindex(app, who, **_):
    return _service_allowed(app, lambda: search_rebuild(who))


def check_status(app, who, **_):
    from kb.services.status import status_get

    return _service_allowed(app, lambda: status_get(who))


CHECKS = {
    "read-public": check_read_public, "read-network": check_read_network,
    "find-network": check_find_network, "see-email": check_see_email,
    "join-org": check_join_org, "manage-people": check_manage_people,
    "admin-area": check_admin_area, "create-org": check_create_org,
    "manage-networks": check_manage_networks, "set-roles": check_set_roles,
    "import": check_import, "reindex": check_reindex, "status": check_status,
}


def test_every_documented_operation_is_checked():
    assert set(TABLE) == set(CHECKS)


@pytest.mark.parametrize("role", ROLES)
def test_role_can_do_exactly_what_the_table_says(app, make_user, role):
    people = setup_roles(app, make_user)
    client = sign_in(app, role, people)
    who = identity(app, role, people)
    mismatches = []
    for op, check in CHECKS.items():
        got = check(c=client, app=app, who=who)
        if got != TABLE[op][role]:
            mismatches.append(f"{op}: documented {TABLE[op][role]}, got {got}")
    assert not mismatches, mismatches
