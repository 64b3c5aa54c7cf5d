"""docs/permissions.md, cell by cell, against the running portal with a person in each role.

The world (people, a network, a network-only practice with an edit under review,
a public practice with an edit under review) is built once for the module. A
check that changes something measures its own effect, and the world is put back
as it was, so that every role meets the same portal.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from kb import create_app
from kb.config import REPO_ROOT
from kb.db import session
from kb.models import (AuditEvent, Flag, Follow, JoinRequest, Network, Organization, Practice,
                       Revision, TagApplication, User)
from kb.services import editorial as ed
from kb.services.accounts import identity_for, user_create, user_set_role
from kb.services.errors import NotFound, PermissionDenied
from kb.services.identity import ANONYMOUS, SYSTEM
from kb.services.organizations import (membership_add, network_add_member, network_create,
                                       network_set_moderator)
from kb.services.practices import practice_import
from kb.services.search import search_rebuild
from kb.services.tags.applying import practice_tag_add, practice_tag_remove
from kb.services.tags.moderating import tag_rename, tag_synonym_set
from tests.auth_helpers import post
from tests.conftest import FIXTURE_PRACTICES

ROLES = ["anonymous", "reader", "owner", "other", "member", "org admin", "moderator",
         "global mod", "admin"]
RIVERTON = "riverton-fictional-example-town"
BERGDORF = "bergdorf-fiktive-beispielgemeinde"
HILLFORD = "hillford-fictional-example-town"
LAKESIDE = "lakeside-fictional-example-town"
HIDDEN = "netzwerk-intern"  # network-only, shared with alpine-towns, Bergdorf's
PUBLIC = "riverton-flood-wardens"
UNKNOWN = "no-such-practice-here"
PASSWORD = "correct horse battery"
PRIVATE_TAG = "shortlist-2027"  # alpine-towns' private tag on the public practice
PRIVATE_SYNONYM = "alpine-pick"  # another, which alpine-towns' moderator made its synonym

# role -> (e-mail, site role, organizations)
PEOPLE = {
    "reader": ("reader@kb.example", "none", {}),
    "owner": ("owner@kb.example", "none", {BERGDORF: "contributor"}),
    "other": ("other@kb.example", "none", {RIVERTON: "contributor"}),
    "member": ("member@kb.example", "none", {HILLFORD: "contributor"}),
    "org admin": ("orgadmin@kb.example", "none", {RIVERTON: "admin"}),
    "moderator": ("moderator@kb.example", "none", {}),
    "global mod": ("globalmod@kb.example", "global_moderator", {}),
    "admin": ("admin@kb.example", "admin", {}),
}
# where an adaptation goes: the role's own organization, or one for the site admin
ADAPT_FOR = {"owner": BERGDORF, "other": RIVERTON, "member": HILLFORD, "org admin": RIVERTON,
             "admin": LAKESIDE}
# a page that carries the session's CSRF token (when signed in) and shows any message left
# by an earlier request, and costs little to render
LIGHT = "/about"


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
        assert all(c in ("yes", "no") for c in cells[1:]), row
        table[op] = {role: cell == "yes" for role, cell in zip(ROLES, cells[1:])}
    return table


TABLE = documented_table()


# ------------------------------------------------------------------ the world


def _edit_and_submit(who, slug):
    state = ed.practice_edit_start(who, slug)
    text = state.document.rstrip("\n") + "\n\nA later addition.\n"
    ed.practice_draft_save(who, slug, text, state.base_revision_id, state.base_hash)
    ed.practice_submit(who, slug)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": True, "AUTO_INIT": True,
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("matrix") / "instance"),
        "SEED_DIR": str(FIXTURE_PRACTICES),
    })
    with app.app_context():
        for role, (email, site_role, orgs) in PEOPLE.items():
            user_create(SYSTEM, email, role, PASSWORD, site_role)
            for slug, member_role in orgs.items():
                membership_add(SYSTEM, slug, email, member_role)
        # Bergdorf's admin receives the messages sent through its practice's contact form
        user_create(SYSTEM, "bergdorf-admin@kb.example", "Bergdorf admin", PASSWORD)
        membership_add(SYSTEM, BERGDORF, "bergdorf-admin@kb.example", "admin")
        network_create(SYSTEM, "Alpine towns", "alpine-towns")
        network_add_member(SYSTEM, "alpine-towns", BERGDORF)
        network_add_member(SYSTEM, "alpine-towns", HILLFORD)
        network_set_moderator(SYSTEM, "alpine-towns", "moderator@kb.example")
        # community tags on the public practice: Lakeside's public one, and the
        # network's private one added by Bergdorf (a member of alpine-towns)
        user_create(SYSTEM, "lakeside@kb.example", "Lakeside contributor", PASSWORD)
        membership_add(SYSTEM, LAKESIDE, "lakeside@kb.example", "contributor")
        practice_tag_add(_lakeside(), PUBLIC, "lakeside-spot")
        practice_tag_add(_identity("owner"), PUBLIC, PRIVATE_TAG, scope="alpine-towns")
        # and another private one, which the network's moderator made a synonym of it
        practice_tag_add(_identity("owner"), PUBLIC, PRIVATE_SYNONYM, scope="alpine-towns")
        tag_synonym_set(_identity("moderator"), PRIVATE_SYNONYM, PRIVATE_TAG,
                        scope="alpine-towns")
        # each practice has its published revision 1 and an edit (revision 2) under review
        _edit_and_submit(_identity("owner"), HIDDEN)
        _edit_and_submit(_identity("other"), PUBLIC)
    yield app
    app.extensions["kb.search"].close()
    app.extensions["kb.db"].dispose()


def _lakeside():
    return identity_for(session().scalar(select(User).where(
        User.email == "lakeside@kb.example")))


def _identity(role):
    if role == "anonymous":
        return ANONYMOUS
    return identity_for(session().scalar(select(User).where(User.email == PEOPLE[role][0])))


@pytest.fixture(scope="module")
def clients(world):
    """One signed-in browser per role, kept for the module."""
    signed_in = {}

    def get(role):
        if role not in signed_in:
            client = world.test_client()
            if role != "anonymous":
                response = post(client, "/login", {"email": PEOPLE[role][0],
                                                   "password": PASSWORD})
                assert response.status_code == 302
            client.get("/")  # shows the "signed in" message once
            signed_in[role] = client
        return signed_in[role]

    return get


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


def scalar(app, query):
    with app.app_context():
        return session().scalar(query)


def count(app, model, *where) -> int:
    return scalar(app, select(func.count()).select_from(model).where(*where))


def under_review(app, slug) -> bool:
    """Whether the practice's current revision is the submission under review."""
    with app.app_context():
        practice = session().scalar(select(Practice).where(Practice.slug == slug))
        return practice.current_revision.state == "submitted"


def put_under_review(app, slug) -> None:
    with app.app_context():
        if not under_review(app, slug):
            ed.practice_submit(SYSTEM, slug)


def sent_back(app, slug) -> None:
    with app.app_context():
        ed.review_request_changes(SYSTEM, slug, "Back to the author for this check.")


def _service_allowed(app, call) -> bool:
    with app.app_context():
        try:
            call()
        except (PermissionDenied, NotFound):
            return False
    return True


# ------------------------------------------------------------- reading, finding


def check_read_public(c, **_):
    return consistent("read-public", {
        "page": c.get(f"/practices/{PUBLIC}").status_code == 200,
        "api": c.get(f"/api/v1/practices/{PUBLIC}").status_code == 200,
        "source": c.get(f"/practices/{PUBLIC}.md").status_code == 200,
    })


def check_read_network(c, **_):
    return consistent("read-network", {
        "page": c.get(f"/practices/{HIDDEN}").status_code == 200,
        "api": c.get(f"/api/v1/practices/{HIDDEN}").status_code == 200,
        "source": c.get(f"/practices/{HIDDEN}.md").status_code == 200,
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
    return "floods@riverton.example" in c.get(f"/practices/{PUBLIC}").get_data(as_text=True)


# ------------------------------------------------------------------ editorial


def check_edit(c, **_):
    return allowed_status(c.get(f"/practices/{HIDDEN}/edit"))


def check_submit(app, who, **_):
    sent_back(app, HIDDEN)
    allowed = _service_allowed(app, lambda: ed.practice_submit(who, HIDDEN))
    assert allowed == under_review(app, HIDDEN)
    put_under_review(app, HIDDEN)
    return allowed


def _decide(c, app, slug) -> bool:
    post(c, f"/moderation/practices/{slug}",
         {"action": "request_changes", "comment": "Please add the source."}, token_from=LIGHT)
    decided = not under_review(app, slug)
    put_under_review(app, slug)
    return decided


def check_review(c, app, **_):
    return _decide(c, app, HIDDEN)


def check_review_public(c, app, **_):
    return _decide(c, app, PUBLIC)


def check_history(c, **_):
    return consistent("history", {
        "history": allowed_status(c.get(f"/practices/{HIDDEN}/history")),
        "submission": allowed_status(c.get(f"/moderation/practices/{HIDDEN}")),
    })


def check_diff(c, **_):
    return allowed_status(c.get(f"/practices/{HIDDEN}/diff?a=1&b=2"))


def check_restore(c, app, **_):
    before = count(app, Revision)
    post(c, f"/practices/{HIDDEN}/revisions/1/restore", {}, token_from=LIGHT)
    # a restored revision is a new submission: the practice stays under review
    assert under_review(app, HIDDEN)
    return count(app, Revision) == before + 1


def check_flag(c, app, **_):
    before = count(app, Flag)
    post(c, f"/practices/{HIDDEN}/flag", {"reason": "The figures look old."}, token_from=LIGHT)
    return count(app, Flag) == before + 1


def check_adapt(c, app, role, **_):
    before = count(app, Practice)
    post(c, f"/practices/{HIDDEN}/adapt", {"organization": ADAPT_FOR.get(role, "")},
         token_from=LIGHT)
    return count(app, Practice) == before + 1


def check_compare(c, **_):
    return allowed_status(c.get(f"/practices/{HIDDEN}/comparison.csv"))


def check_contact(c, app, **_):
    before = count(app, AuditEvent, AuditEvent.action == "practice.contact")
    post(c, f"/practices/{HIDDEN}/contact", {"message": "How much salt do you buy?"},
         token_from=LIGHT)
    return count(app, AuditEvent, AuditEvent.action == "practice.contact") == before + 1


def check_follow(c, app, **_):
    before = count(app, Follow)
    post(c, f"/practices/{HIDDEN}/follow", {"follow": "1"}, token_from=LIGHT)
    return count(app, Follow) == before + 1


# ------------------------------------------------------------------ tags

# the organization each role tags for (the site admin names one, Bergdorf, in the network)
TAG_FOR = {"owner": BERGDORF, "other": RIVERTON, "member": HILLFORD, "org admin": RIVERTON,
           "admin": BERGDORF}


def _tag_added(c, app, role, tag, scope) -> bool:
    before = count(app, TagApplication, TagApplication.tag == tag)
    post(c, f"/practices/{PUBLIC}/tags", {"tag": tag, "organization": TAG_FOR.get(role, ""),
                                          "scope": scope}, token_from=LIGHT)
    added = count(app, TagApplication, TagApplication.tag == tag) == before + 1
    with app.app_context():
        for app_id in session().scalars(select(TagApplication.id).where(
                TagApplication.tag == tag)):
            practice_tag_remove(SYSTEM, app_id)
    return added


def check_tag(c, app, role, **_):
    return _tag_added(c, app, role, f"tagged-by-{role.replace(' ', '-')}", "public")


def check_tag_network(c, app, role, **_):
    return _tag_added(c, app, role, f"private-{role.replace(' ', '-')}", "alpine-towns")


def check_see_network_tags(c, **_):
    facets = c.get("/api/v1/search?q=").get_json()["facets"].get("tag", [])
    return consistent("see-network-tags", {
        "page": PRIVATE_TAG in c.get(f"/practices/{PUBLIC}").get_data(as_text=True),
        "api": PRIVATE_TAG in c.get(f"/api/v1/practices/{PUBLIC}/tags").get_data(as_text=True),
        "practice-api": PRIVATE_TAG in c.get(f"/api/v1/practices/{PUBLIC}").get_data(
            as_text=True),
        "tag-page": c.get(f"/tags/{PRIVATE_TAG}").status_code == 200,
        "tag-api": c.get(f"/api/v1/tags/{PRIVATE_TAG}").status_code == 200,
        "tag-index": PRIVATE_TAG in c.get("/tags").get_data(as_text=True),
        "facet": any(f["value"] == PRIVATE_TAG for f in facets),
        "filter": c.get(f"/api/v1/search?tag={PRIVATE_TAG}").get_json()["total"] == 1,
        "suggestions": PRIVATE_TAG in c.get(
            "/api/v1/tags/suggestions?q=shortlist").get_json(),
        "related": PRIVATE_TAG in c.get("/tags/volunteers").get_data(as_text=True),
        # the network's synonym leads to the tag it names
        "synonym": c.get(f"/tags/{PRIVATE_SYNONYM}").status_code == 301,
    })


def check_moderate_tags(c, app, **_):
    """Remove another city's public tag (Lakeside's: no role acts for Lakeside)."""
    with app.app_context():
        app_id = session().scalar(select(TagApplication.id).where(
            TagApplication.tag == "lakeside-spot"))
    post(c, f"/practices/{PUBLIC}/tags/{app_id}/remove", {}, token_from=LIGHT)
    removed = not count(app, TagApplication, TagApplication.tag == "lakeside-spot")
    if removed:
        with app.app_context():
            practice_tag_add(_lakeside(), PUBLIC, "lakeside-spot")
    return removed


def check_moderate_network_tags(c, app, **_):
    """Rename the network's private tag from /moderation/tags (then back)."""
    renamed = "shortlist-renamed"
    post(c, "/moderation/tags", {"action": "rename", "source": PRIVATE_TAG,
                                 "target": renamed, "scope": "alpine-towns"}, token_from=LIGHT)
    done = bool(count(app, TagApplication, TagApplication.tag == renamed))
    if done:
        with app.app_context():
            tag_rename(SYSTEM, renamed, PRIVATE_TAG, scope="alpine-towns")
    return done


# ---------------------------------------------------- people and operators


def check_join_org(c, app, role, **_):
    asked = JoinRequest.user_id == scalar(app, select(User.id).where(
        User.email == PEOPLE.get(role, ("",))[0]))
    post(c, "/account/join", {"organization": LAKESIDE}, token_from=LIGHT)
    return bool(count(app, JoinRequest, asked))


def check_manage_people(c, **_):
    return allowed_status(c.get(f"/organizations/{RIVERTON}/people"))


def check_admin_area(c, **_):
    return allowed_status(c.get("/admin/"))


def check_create_org(c, app, role, **_):
    name = f"New Town {role}"
    post(c, "/admin/", {"action": "create_org", "name": name, "kind": "city"},
         token_from=LIGHT)
    return bool(count(app, Organization, Organization.name == name))


def check_manage_networks(c, app, role, **_):
    name = f"Baltic cities {role}"
    post(c, "/admin/", {"action": "create_network", "name": name}, token_from=LIGHT)
    return bool(count(app, Network, Network.name == name))


def check_set_roles(c, app, **_):
    post(c, "/admin/", {"action": "set_role", "email": "reader@kb.example",
                        "role": "global_moderator"}, token_from=LIGHT)
    changed = scalar(app, select(User.site_role).where(
        User.email == "reader@kb.example")) == "global_moderator"
    with app.app_context():
        user_set_role(SYSTEM, "reader@kb.example", "none")
    return changed


def check_import(app, who, **_):
    text = (FIXTURE_PRACTICES / "solby-medborgarbudget.md").read_text()
    return _service_allowed(app, lambda: practice_import(who, text, "solby-medborgarbudget.md"))


def check_reindex(app, who, **_):
    return _service_allowed(app, lambda: search_rebuild(who))


def check_backup(app, who, **_):
    import tempfile
    from pathlib import Path

    from kb.services.backup import instance_backup

    with tempfile.TemporaryDirectory() as folder:
        return _service_allowed(app, lambda: instance_backup(who, Path(folder) / "b.tar.gz"))


def check_status(app, who, **_):
    from kb.services.status import status_get

    return _service_allowed(app, lambda: status_get(who))


CHECKS = {
    "read-public": check_read_public, "read-network": check_read_network,
    "find-network": check_find_network, "see-email": check_see_email,
    "edit": check_edit, "submit": check_submit, "review": check_review,
    "review-public": check_review_public, "history": check_history, "diff": check_diff,
    "restore": check_restore, "flag": check_flag, "adapt": check_adapt,
    "compare": check_compare, "contact": check_contact, "follow": check_follow,
    "tag": check_tag, "tag-network": check_tag_network,
    "see-network-tags": check_see_network_tags, "moderate-tags": check_moderate_tags,
    "moderate-network-tags": check_moderate_network_tags,
    "join-org": check_join_org, "manage-people": check_manage_people,
    "admin-area": check_admin_area, "create-org": check_create_org,
    "manage-networks": check_manage_networks, "set-roles": check_set_roles,
    "import": check_import, "reindex": check_reindex, "status": check_status,
    "backup": check_backup,
}


def test_every_documented_operation_is_checked():
    assert set(TABLE) == set(CHECKS)


@pytest.mark.parametrize("role", ROLES)
def test_role_can_do_exactly_what_the_table_says(world, clients, role):
    client = clients(role)
    with world.app_context():
        who = _identity(role)
    mismatches = []
    for op, check in CHECKS.items():
        got = check(c=client, app=world, who=who, role=role)
        if got != TABLE[op][role]:
            mismatches.append(f"{op}: documented {TABLE[op][role]}, got {got}")
    assert not mismatches, mismatches


# ------------------------------------------------------- hidden is unknown


ADDRESSES = [
    ("get", "/practices/{slug}"), ("get", "/practices/{slug}.md"),
    ("get", "/api/v1/practices/{slug}"), ("get", "/practices/{slug}/edit"),
    ("post", "/practices/{slug}/edit"), ("get", "/practices/{slug}/history"),
    ("get", "/practices/{slug}/diff?a=1&b=2"), ("get", "/moderation/practices/{slug}"),
    ("post", "/moderation/practices/{slug}"), ("post", "/practices/{slug}/revisions/1/restore"),
    ("post", "/practices/{slug}/flag"), ("get", "/practices/{slug}/adapt"),
    ("post", "/practices/{slug}/adapt"), ("get", "/practices/{slug}/comparison.csv"),
    ("post", "/practices/{slug}/contact"), ("post", "/practices/{slug}/follow"),
    ("post", "/practices/{slug}/indicators"),
]
FORM = {"action": "request_changes", "comment": "x", "reason": "x", "message": "x",
        "follow": "1", "organization": RIVERTON, "indicator": "x"}


def _page(response) -> str:
    """The page, but for the CSRF token (it carries the time it was made)."""
    return CSRF_VALUE.sub('name="csrf_token" value=""', response.get_data(as_text=True))


CSRF_VALUE = re.compile(r'name="csrf_token" value="[^"]*"')


def _ask(client, method, address, slug):
    client.get(LIGHT)  # shows any message left by an earlier request
    url = address.format(slug=slug)
    if method == "get":
        return client.get(url)
    return post(client, url, FORM, token_from=LIGHT)


@pytest.mark.parametrize("role", [r for r in ROLES if not TABLE["read-network"][r]])
def test_a_hidden_practice_answers_like_an_unknown_address(world, clients, role):
    client = clients(role)
    different = []
    for method, address in ADDRESSES:
        hidden = _ask(client, method, address, HIDDEN)
        unknown = _ask(client, method, address, UNKNOWN)
        same = hidden.status_code == unknown.status_code and \
            _page(hidden).replace(HIDDEN, UNKNOWN) == _page(unknown)
        if not same:
            different.append(f"{method} {address}: {hidden.status_code} "
                             f"vs {unknown.status_code}")
    assert not different, different
