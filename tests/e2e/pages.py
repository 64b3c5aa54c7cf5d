"""Every page type of the portal, for the browser checks (width, accessibility, HTML).

`prepare_pages(app)` adds what some pages need (a network, a submission under review, a
flag) and returns (label, path, signed_in) for one page of each type.
"""

from __future__ import annotations

ADMIN = "admin@kb.example"
PASSWORD = "correct horse battery"


HALF_WRITTEN = """---
slug: half-written-draft
title: A half-written draft
organization: Riverton (fictional example town)
---
"""


def prepare_pages(app) -> list[tuple[str, str, bool]]:
    from kb.services import editorial
    from kb.services.accounts import identity_for, user_create
    from kb.services.identity import SYSTEM
    from kb.services.organizations import network_add_member, network_create

    with app.app_context():
        admin = user_create(SYSTEM, ADMIN, "Ada Admin", PASSWORD, "admin")
        network_create(SYSTEM, "Alpine towns", "alpine-towns")
        network_add_member(SYSTEM, "alpine-towns", "riverton-fictional-example-town")
        me = identity_for(admin)
        state = editorial.practice_edit_start(me, "lakeside-flood-wardens")
        editorial.practice_save(me, "lakeside-flood-wardens",
                                state.document.replace("lake town", "lakeside town"),
                                state.base_revision_id, state.base_hash, submit=True)
        editorial.flag_create(me, "hillford-flood-wardens", "The figures look out of date.")
        editorial.practice_draft_create(me, HALF_WRITTEN, incomplete=True)
        # community tags, public and private to the network, on a public practice
        from kb.services.organizations import membership_add
        from kb.services.tags.applying import practice_tag_add

        tagger = user_create(SYSTEM, "tagger@kb.example", "Tia Tagger", PASSWORD)
        membership_add(SYSTEM, "riverton-fictional-example-town", "tagger@kb.example",
                       "contributor")
        practice_tag_add(identity_for(tagger), "riverton-flood-wardens", "housing first")
        practice_tag_add(identity_for(tagger), "riverton-flood-wardens", "shortlist-2027",
                         scope="alpine-towns")
    slug = "riverton-flood-wardens"
    return [
        ("home", "/", False),
        ("about", "/about", False),
        ("search", "/search?q=flood", False),
        ("search, no result", "/search?q=zzzqqq", False),
        ("practice list", "/practices", False),
        ("practice", f"/practices/{slug}", False),
        ("adaptation", "/practices/lakeside-flood-wardens", False),
        ("themes", "/themes", False),
        ("theme", "/themes/flood-preparedness", False),
        ("organizations", "/organizations", False),
        ("organization", "/organizations/riverton-fictional-example-town", False),
        ("networks", "/networks", False),
        ("network", "/networks/alpine-towns", False),
        ("network dashboard", "/networks/alpine-towns/dashboard", False),
        ("dashboard", "/dashboard", False),
        ("map", "/dashboard/map", False),
        ("cities like mine", "/cities-like-mine", False),
        ("sign in", "/login", False),
        ("register", "/register", False),
        ("forgotten password", "/password/forgot", False),
        ("not found", "/practices/no-such-practice", False),
        ("tags", "/tags", False),
        ("tag", "/tags/housing%20first", False),
        ("account", "/account", True),
        ("my work", "/my-work", True),
        ("new practice", "/practices/new", True),
        ("edit practice", f"/practices/{slug}/edit", True),
        ("adapt", f"/practices/{slug}/adapt", True),
        ("history", f"/practices/{slug}/history", True),
        ("notifications", "/notifications", True),
        ("moderation queue", "/moderation", True),
        ("review", "/moderation/practices/lakeside-flood-wardens", True),
        ("flags", "/moderation/flags", True),
        ("stale", "/moderation/stale", True),
        ("moderate tags", "/moderation/tags", True),
        ("audit", "/admin/audit", True),
        ("people", "/organizations/riverton-fictional-example-town/people", True),
        ("draft after a refused submission", "/practices/half-written-draft/edit#submit", True),
    ]


def open_page(page, base, path):
    """Go to a page and return its response; `#submit` at the end: and press the editor's
    submit button there."""
    if path.endswith("#submit"):
        page.goto(base + path[:-len("#submit")])
        with page.expect_navigation() as navigation:
            page.locator("button[name=action][value=submit]").click()
        return navigation.value
    return page.goto(base + path)


def sign_in(page, base, email=ADMIN, password=PASSWORD):
    from tests.e2e.conftest import sign_in as sign_in_as

    sign_in_as(page, base, email, password)
