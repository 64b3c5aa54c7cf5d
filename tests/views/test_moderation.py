"""Curating through the browser's eyes: the queue, reviews, history and diffs, flags,
re-verification, the audit log and notifications, each driven by a person in a role."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from kb.db import session
from kb.mail import read_outbox
from kb.models import Flag, Notification, Practice, Revision, User
from kb.services.accounts import identity_for
from kb.services.editorial import (practice_draft_create, practice_draft_save,
                                   practice_edit_start, practice_submit)
from kb.services.identity import SYSTEM
from kb.services.organizations import (network_add_member, network_create,
                                       network_set_moderator)
from tests.auth_helpers import post

RIVERTON = "riverton-fictional-example-town"
BERGDORF = "bergdorf-fiktive-beispielgemeinde"
PASSWORD = "correct horse battery"

RAIN_GARDENS = """\
---
slug: riverton-rain-gardens
title: Rain gardens on every school yard
summary: Schools dig rain gardens that hold storm water back from the low streets.
language: en
organization: Riverton (fictional example town)
country: GB
themes: [{theme}]
stage: pilot
evidence: anecdotal
outcomes:
  - indicator: Storm water held back
    unit: m3
    baseline: 0
    result: 120
    better: higher
license: CC-BY-4.0
---
## Challenge

Heavy rain overwhelms the drains; the word for it here is cloudburstquagga.

## Solution

{solution}
"""


def rain_gardens(theme="flood-preparedness", solution="Pupils plant and tend the gardens.",
                 slug="riverton-rain-gardens", language="en"):
    text = RAIN_GARDENS.format(theme=theme, solution=solution)
    return text.replace("slug: riverton-rain-gardens", f"slug: {slug}").replace(
        "language: en", f"language: {language}")


@pytest.fixture
def people(app, make_user):
    """A contributor of Riverton, moderators in several roles, a reader and an admin."""
    ids = {
        "author": make_user("author@riverton.example", orgs={RIVERTON: "contributor"},
                            name="Rita Author"),
        "global": make_user("global@kb.example", role="global_moderator", name="Gloria Mod"),
        "river": make_user("river@kb.example", name="River Mod"),
        "alpine": make_user("alpine@kb.example", name="Alpine Mod"),
        "reader": make_user("reader@kb.example", name="Rea Reader"),
        "admin": make_user("admin@kb.example", role="admin", name="Ada Admin"),
    }
    with app.app_context():
        network_create(SYSTEM, "River towns", "river-towns")
        network_add_member(SYSTEM, "river-towns", RIVERTON)
        network_set_moderator(SYSTEM, "river-towns", "river@kb.example")
        network_create(SYSTEM, "Alpine towns", "alpine-towns")
        network_add_member(SYSTEM, "alpine-towns", BERGDORF)
        network_set_moderator(SYSTEM, "alpine-towns", "alpine@kb.example")
    return ids


def who(app, user_id):
    return identity_for(session().get(User, user_id))


def signed_in(app, people, role):
    client = app.test_client()
    with app.app_context():
        email = session().get(User, people[role]).email
    response = post(client, "/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def submit(app, people, text=None, filename=None):
    """The author writes a draft and submits it, through the services."""
    with app.app_context():
        author = who(app, people["author"])
        practice = practice_draft_create(author, text or rain_gardens())
        practice_submit(author, practice.slug)
        return practice.slug


def submit_edit(app, people, slug="riverton-flood-wardens", summary=None, extra_line=None):
    """The author edits a published practice and submits the edit for review."""
    with app.app_context():
        author = who(app, people["author"])
        state = practice_edit_start(author, slug)
        text = state.document
        if summary:
            text = text.replace(text.split("summary: ", 1)[1].split("\n", 1)[0], summary, 1)
        if extra_line:
            text = text.rstrip("\n") + "\n\n" + extra_line + "\n"
        practice_draft_save(author, slug, text, state.base_revision_id, state.base_hash)
        practice_submit(author, slug)


def search_slugs(client, q):
    return [h["slug"] for h in client.get(f"/api/v1/search?q={q}").get_json()["hits"]]


def html(response):
    return response.get_data(as_text=True)


# ------------------------------------------------------------------ the queue


def test_queue_lists_a_submission_only_for_those_who_may_review_it(app, people):
    submit(app, people)
    for role in ("global", "river"):
        page = signed_in(app, people, role).get("/moderation")
        assert page.status_code == 200, role
        body = html(page)
        assert "Rain gardens on every school yard" in body, role
        assert 'href="/moderation/practices/riverton-rain-gardens"' in body
        assert 'lang="en"' in body and "Riverton (fictional example town)" in body
        assert "new" in body and "river-towns" in body
    other = signed_in(app, people, "alpine").get("/moderation")
    assert other.status_code == 200
    assert "Rain gardens" not in html(other)
    assert "Nothing is waiting for review" in html(other)
    # a submission is hidden from moderators who may not review it: no such page
    assert signed_in(app, people, "alpine").get(
        "/moderation/practices/riverton-rain-gardens").status_code == 404
    for role in ("author", "reader"):
        assert signed_in(app, people, role).get("/moderation").status_code == 403, role
    anonymous = app.test_client().get("/moderation")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_queue_links_to_flags_stale_list_and_audit_log_for_admins_only(app, people):
    moderator = html(signed_in(app, people, "global").get("/moderation"))
    assert "/moderation/flags" in moderator and "/moderation/stale" in moderator
    assert "/admin/audit" not in moderator
    assert "/admin/audit" in html(signed_in(app, people, "admin").get("/moderation"))


def test_queue_filters_by_network_theme_language_and_age(app, people):
    submit(app, people)
    submit(app, people, rain_gardens(theme="permitting", slug="riverton-fast-permits",
                                     language="fi"))
    client = signed_in(app, people, "global")

    def titles(query):
        response = client.get(f"/moderation?{query}")
        assert response.status_code == 200
        body = html(response)
        return {slug for slug in ("riverton-rain-gardens", "riverton-fast-permits")
                if f"/moderation/practices/{slug}\"" in body}

    assert titles("") == {"riverton-rain-gardens", "riverton-fast-permits"}
    assert titles("theme=permitting") == {"riverton-fast-permits"}
    assert titles("language=en") == {"riverton-rain-gardens"}
    assert titles("network=river-towns") == {"riverton-rain-gardens", "riverton-fast-permits"}
    assert titles("network=alpine-towns") == set()
    assert titles("age=0") == {"riverton-rain-gardens", "riverton-fast-permits"}
    assert titles("age=3") == set()
    assert "No submission matches these filters" in html(client.get("/moderation?age=3"))
    # the filters stay in the form
    assert 'value="permitting" selected' in html(client.get("/moderation?theme=permitting"))
    # a week-old submission passes the age filter
    with app.app_context():
        rev = session().scalar(select(Revision).where(Revision.state == "submitted",
                                                      Revision.language == "fi"))
        rev.submitted_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) \
            - dt.timedelta(days=8)
        session().commit()
    assert titles("age=7") == {"riverton-fast-permits"}
    bad = client.get("/moderation?age=soon")
    assert bad.status_code == 400 and 'id="f-age-error"' in html(bad)


def test_queue_offers_a_moderator_their_networks_and_pages_a_long_queue(app, people):
    for n in range(3):
        submit(app, people, rain_gardens(slug=f"riverton-rain-gardens-{n}"))
    river = html(signed_in(app, people, "river").get("/moderation"))
    assert '<option value="river-towns"' in river and "alpine-towns" not in river
    client = signed_in(app, people, "global")
    both = html(client.get("/moderation"))
    assert '<option value="river-towns"' in both and '<option value="alpine-towns"' in both
    app.config["PER_PAGE"] = 2
    first = html(client.get("/moderation"))
    second = html(client.get("/moderation?page=2"))
    assert "3 submissions waiting for review" in first and 'rel="next"' in first
    shown = [s for s in (f"riverton-rain-gardens-{n}" for n in range(3))
             if f'/moderation/practices/{s}"' in first]
    assert len(shown) == 2
    assert [s for s in (f"riverton-rain-gardens-{n}" for n in range(3))
            if f'/moderation/practices/{s}"' in second] == [
        s for s in (f"riverton-rain-gardens-{n}" for n in range(3)) if s not in shown]


# --------------------------------------------------------------- reviewing


def test_review_page_shows_preview_metadata_outcomes_and_actions(app, people):
    submit(app, people)
    page = signed_in(app, people, "river").get("/moderation/practices/riverton-rain-gardens")
    assert page.status_code == 200
    body = html(page)
    assert "<h2 id=\"challenge\"" in body or "Challenge</h2>" in body
    assert "cloudburstquagga" in body
    assert "Storm water held back" in body and '<th scope="row"' in body
    assert "Pilot" in body or "pilot" in body
    for action in ("approve", "request_changes", "reject"):
        assert f'name="action" value="{action}"' in body
    assert body.count('name="csrf_token"') >= 3
    # a new practice has nothing to feature or archive yet
    assert 'value="archive"' not in body


def test_review_checklist_says_whether_the_outcomes_support_the_evidence_claim(app, people):
    claimed = rain_gardens().replace("evidence: anecdotal", "evidence: monitored")
    slug = submit(app, people, claimed)
    body = html(signed_in(app, people, "river").get(f"/moderation/practices/{slug}"))
    checklist = body[body.index('id="checklist-title"'):body.index("</section>",
                                                                   body.index("checklist"))]
    assert "claims monitored" in checklist and "shown as anecdotal" in checklist
    assert "missing: period, source" in checklist
    complete = claimed.replace("    better: higher\n", "    better: higher\n    period: 2023\n"
                               "    source: https://example.org/riverton\n")
    slug = submit(app, people, complete.replace("slug: riverton-rain-gardens",
                                                "slug: riverton-rain-gardens-two"))
    body = html(signed_in(app, people, "river").get(f"/moderation/practices/{slug}"))
    assert "the outcomes support the claimed level (monitored)" in body


def test_approve_publishes_and_search_finds_it(app, people):
    slug = submit(app, people)
    anonymous = app.test_client()
    assert anonymous.get(f"/practices/{slug}").status_code == 404
    assert slug not in search_slugs(anonymous, "cloudburstquagga")
    moderator = signed_in(app, people, "river")
    response = post(moderator, f"/moderation/practices/{slug}",
                    {"action": "approve", "comment": "Clear and well measured."})
    assert response.status_code == 302
    assert response.headers["Location"] == "/moderation"
    assert "Approved and published." in html(moderator.get("/moderation"))
    page = anonymous.get(f"/practices/{slug}")
    assert page.status_code == 200 and "Rain gardens on every school yard" in html(page)
    assert search_slugs(anonymous, "cloudburstquagga") == [slug]
    with app.app_context():
        assert [m["Subject"] for m in read_outbox("author@riverton.example")] == [
            "Published: Rain gardens on every school yard"]


def test_request_changes_needs_a_comment_and_tells_the_author(app, people):
    slug = submit(app, people)
    moderator = signed_in(app, people, "global")
    url = f"/moderation/practices/{slug}"
    refused = post(moderator, url, {"action": "request_changes", "comment": "  "})
    assert refused.status_code == 400
    body = html(refused)
    assert 'id="f-request_changes-comment-error"' in body
    assert "the author deserves a reason" in body
    assert 'aria-describedby="f-request_changes-comment-help f-request_changes-comment-error"' \
        in body
    assert 'id="f-approve-comment-error"' not in body
    with app.app_context():
        assert session().scalar(select(Practice.status).where(Practice.slug == slug)) \
            == "submitted"

    done = post(moderator, url, {"action": "request_changes",
                                 "comment": "Add the cost of the gardens, please."})
    assert done.status_code == 302
    author = signed_in(app, people, "author")
    inbox = html(author.get("/notifications"))
    assert "Add the cost of the gardens, please." in inbox
    assert "unread" in inbox
    with app.app_context():
        subjects = [m["Subject"] for m in read_outbox("author@riverton.example")]
    assert any("Add the cost of the gardens, please." in s for s in subjects)
    # it left the queue
    assert slug not in html(moderator.get("/moderation"))
    # the history shows the comment and who wrote it
    history = html(author.get(f"/practices/{slug}/history"))
    assert "Add the cost of the gardens, please." in history and "Gloria Mod" in history


def test_reject_needs_a_reason(app, people):
    slug = submit(app, people)
    moderator = signed_in(app, people, "global")
    url = f"/moderation/practices/{slug}"
    refused = post(moderator, url, {"action": "reject"})
    assert refused.status_code == 400 and 'id="f-reject-comment-error"' in html(refused)
    done = post(moderator, url, {"action": "reject", "comment": "This is an advertisement."})
    assert done.status_code == 302
    with app.app_context():
        assert session().scalar(select(Practice.status).where(Practice.slug == slug)) \
            == "rejected"
    # a second decision on the same version is a conflict, shown as a message
    again = post(moderator, url, {"action": "approve"})
    assert again.status_code == 409
    assert 'role="alert"' in html(again)


def test_unknown_action_is_a_bad_request(app, people):
    slug = submit(app, people)
    moderator = signed_in(app, people, "global")
    assert post(moderator, f"/moderation/practices/{slug}",
                {"action": "delete"}).status_code == 400


def test_feature_archive_and_restore(app, people):
    slug = "riverton-flood-wardens"
    moderator = signed_in(app, people, "river")
    anonymous = app.test_client()
    url = f"/moderation/practices/{slug}"
    assert slug in search_slugs(anonymous, "wardens")

    assert post(moderator, url, {"action": "feature"}).status_code == 302
    with app.app_context():
        assert session().scalar(select(Practice.featured).where(Practice.slug == slug))
    assert 'value="unfeature"' in html(moderator.get(url))
    assert post(moderator, url, {"action": "unfeature"}).status_code == 302

    archived = post(moderator, url, {"action": "archive"})
    assert archived.status_code == 302 and archived.headers["Location"] == url
    assert anonymous.get(f"/practices/{slug}").status_code == 404
    assert slug not in search_slugs(anonymous, "wardens")
    page = html(moderator.get(url))
    assert 'value="restore"' in page and 'value="archive"' not in page

    assert post(moderator, url, {"action": "restore"}).status_code == 302
    assert anonymous.get(f"/practices/{slug}").status_code == 200
    assert slug in search_slugs(anonymous, "wardens")
    # featuring an archived practice is refused with a message, not a crash
    post(moderator, url, {"action": "archive"})
    conflict = post(moderator, url, {"action": "feature"})
    assert conflict.status_code == 409 and "Only a published practice" in html(conflict)


def test_reverify_from_the_stale_list(app, people):
    slug = "riverton-flood-wardens"
    with app.app_context():
        practice = session().scalar(select(Practice).where(Practice.slug == slug))
        practice.last_reviewed_at = dt.datetime(2020, 1, 15)
        session().commit()
    moderator = signed_in(app, people, "river")
    stale = html(moderator.get("/moderation/stale"))
    assert "Volunteer flood wardens" in stale and "2020" in stale
    assert post(moderator, "/moderation/stale", {"slug": slug}).status_code == 302
    assert "Volunteer flood wardens" not in html(moderator.get("/moderation/stale"))
    assert signed_in(app, people, "author").get("/moderation/stale").status_code == 403


# --------------------------------------------------------------- edits and history


def test_an_edit_shows_its_diff_against_the_live_revision(app, people):
    submit_edit(app, people, summary="Wardens knock on doors before the water comes.",
                extra_line="Wardens now also carry sandbags.")
    page = html(signed_in(app, people, "river").get(
        "/moderation/practices/riverton-flood-wardens"))
    assert "edit of a published practice" in page
    assert "Changes against the published version" in page
    assert '<th scope="row">Summary</th>' in page
    assert "Wardens knock on doors before the water comes." in page
    assert "<ins>" in page and "Wardens now also carry sandbags." in page
    assert 'class="visually-hidden" lang="en">added: </span>Wardens now also carry sandbags.' \
        in page
    queue = html(signed_in(app, people, "river").get("/moderation"))
    assert "edit of a published practice" in queue


def test_history_lists_revisions_and_the_diff_page_compares_two(app, people):
    slug = "riverton-flood-wardens"
    submit_edit(app, people, summary="Wardens knock on doors before the water comes.",
                extra_line="Wardens now also carry sandbags.")
    moderator = signed_in(app, people, "global")
    post(moderator, f"/moderation/practices/{slug}", {"action": "approve",
                                                      "comment": "Good update."})
    history = moderator.get(f"/practices/{slug}/history")
    assert history.status_code == 200
    body = html(history)
    assert '<th scope="row">2</th>' in body and '<th scope="row">1</th>' in body
    assert "Rita Author" in body and "Gloria Mod" in body and "Good update." in body
    assert "system" in body  # the imported first revision has no person behind it
    assert 'action="/practices/riverton-flood-wardens/diff"' in body
    assert 'action="/practices/riverton-flood-wardens/revisions/1/restore"' in body

    diff = moderator.get(f"/practices/{slug}/diff?a=1&b=2")
    assert diff.status_code == 200
    body = html(diff)
    assert '<th scope="row">Summary</th>' in body
    assert "Trained residents warn their streets" in body  # old value
    assert "Wardens knock on doors before the water comes." in body  # new value
    assert '<li class="diff-added">' in body and "Wardens now also carry sandbags." in body
    assert "added: </span>Wardens now also carry sandbags." in body
    assert moderator.get(f"/practices/{slug}/diff?a=1&b=9").status_code == 404
    assert moderator.get(f"/practices/{slug}/diff?a=x&b=2").status_code == 400

    # the author may read the history but is not offered (nor allowed) a restore
    author = signed_in(app, people, "author")
    own = html(author.get(f"/practices/{slug}/history"))
    assert "Restore this revision" not in own
    assert post(author, f"/practices/{slug}/revisions/1/restore", {},
                token_from=f"/practices/{slug}/history").status_code == 403
    # a reader of another organization may not see it at all
    assert signed_in(app, people, "reader").get(f"/practices/{slug}/history").status_code \
        == 403


def test_restoring_an_old_revision_makes_a_new_submission(app, people):
    slug = "riverton-flood-wardens"
    submit_edit(app, people, summary="Wardens knock on doors before the water comes.")
    moderator = signed_in(app, people, "global")
    post(moderator, f"/moderation/practices/{slug}", {"action": "approve"})
    restored = post(moderator, f"/practices/{slug}/revisions/1/restore", {},
                    token_from=f"/practices/{slug}/history")
    assert restored.status_code == 302
    assert restored.headers["Location"] == f"/moderation/practices/{slug}"
    with app.app_context():
        rev = session().scalar(select(Revision).join(Practice, Revision.practice_id == Practice.id)
                               .where(Practice.slug == slug, Revision.number == 3))
        assert rev.state == "submitted"
        assert "Trained residents warn their streets" in rev.document
    assert f"/moderation/practices/{slug}\"" in html(moderator.get("/moderation"))
    history = html(moderator.get(f"/practices/{slug}/history"))
    assert '<th scope="row">3</th>' in history and "restored from revision 1" in history


# ------------------------------------------------------------------ flags and following


def test_a_reader_reports_a_practice_and_a_moderator_resolves_it(app, people):
    slug = "riverton-flood-wardens"
    reader = signed_in(app, people, "reader")
    page = html(reader.get(f"/practices/{slug}"))
    assert f'action="/practices/{slug}/flag"' in page  # the partial is on the public page
    empty = post(reader, f"/practices/{slug}/flag", {"reason": ""}, token_from="/")
    assert empty.status_code == 400 and 'id="f-reason-error"' in html(empty)
    sent = post(reader, f"/practices/{slug}/flag",
                {"reason": "The damage figure looks out of date."}, token_from="/")
    assert sent.status_code == 302 and sent.headers["Location"] == f"/practices/{slug}"

    moderator = signed_in(app, people, "river")
    flags = html(moderator.get("/moderation/flags"))
    assert "The damage figure looks out of date." in flags and "Volunteer flood wardens" in flags
    assert "Rea Reader" in flags
    with app.app_context():
        flag_id = session().scalar(select(Flag.id))
    refused = post(moderator, "/moderation/flags", {"flag_id": flag_id, "resolution": ""})
    assert refused.status_code == 400 and f'id="f-resolution-{flag_id}-error"' in html(refused)
    done = post(moderator, "/moderation/flags",
                {"flag_id": flag_id, "resolution": "Asked Riverton for new figures."})
    assert done.status_code == 302
    after = html(moderator.get("/moderation/flags"))
    assert "The damage figure looks out of date." not in after and "No open reports" in after
    # a moderator of another network does not see Riverton's reports
    post(reader, f"/practices/{slug}/flag", {"reason": "Broken link."}, token_from="/")
    assert "Broken link." not in html(signed_in(app, people, "alpine").get("/moderation/flags"))
    assert signed_in(app, people, "author").get("/moderation/flags").status_code == 403


def test_the_flag_and_follow_partials_post_to_their_endpoints(app, people):
    from flask import render_template_string

    from kb.services.identity import Identity

    with app.test_request_context("/practices/riverton-flood-wardens"):
        rendered = render_template_string(
            '{% include "moderation/_flag_form.html" %}'
            '{% include "moderation/_follow_form.html" %}',
            slug="riverton-flood-wardens", practice_id=1, following=True,
            identity=Identity(user_id=1))
    assert '<details class="flag-form">' in rendered
    assert 'action="/practices/riverton-flood-wardens/flag"' in rendered
    assert 'action="/practices/riverton-flood-wardens/follow"' in rendered
    assert 'name="follow" value="0"' in rendered and 'name="csrf_token"' in rendered


def test_followers_hear_about_an_approved_edit(app, people):
    slug = "riverton-flood-wardens"
    reader = signed_in(app, people, "reader")
    assert post(reader, f"/practices/{slug}/follow", {"follow": "1"},
                token_from="/").status_code == 302
    submit_edit(app, people, summary="Wardens knock on doors before the water comes.")
    post(signed_in(app, people, "global"), f"/moderation/practices/{slug}",
         {"action": "approve"})
    assert "Updated: Volunteer flood wardens" in html(reader.get("/notifications"))
    post(reader, f"/practices/{slug}/follow", {"follow": "0"}, token_from="/")
    with app.app_context():
        from kb.models import Follow

        assert session().scalar(select(Follow)) is None


# ------------------------------------------------------------------ notifications


def test_turning_a_kind_off_stops_those_notifications(app, people):
    author = signed_in(app, people, "author")
    page = html(author.get("/notifications"))
    for kind in ("submission_state", "new_submission", "followed_practice"):
        assert f'id="f-kind-{kind}"' in page and f'for="f-kind-{kind}"' in page
    saved = post(author, "/notifications", {"action": "settings",
                                            "kinds": ["new_submission", "followed_practice"]})
    assert saved.status_code == 302
    page = html(author.get("/notifications"))
    assert 'value="submission_state" checked' not in page
    assert 'value="new_submission" checked' in page

    slug = submit(app, people)
    post(signed_in(app, people, "global"), f"/moderation/practices/{slug}",
         {"action": "request_changes", "comment": "Please add the cost."})
    with app.app_context():
        kinds = list(session().scalars(select(Notification.kind).where(
            Notification.user_id == people["author"])))
        assert "submission_state" not in kinds
        assert read_outbox("author@riverton.example") == []
    assert "Please add the cost." not in html(author.get("/notifications"))

    # the moderators were told about the new submission, and can mark it read
    moderator = signed_in(app, people, "river")
    inbox = html(moderator.get("/notifications"))
    assert "New submission to review: Rain gardens on every school yard" in inbox
    assert "1 unread notification" in inbox
    assert post(moderator, "/notifications", {"action": "mark_read"}).status_code == 302
    assert "0 unread notifications" in html(moderator.get("/notifications"))


def test_notifications_need_an_account(client):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# ------------------------------------------------------------------ the audit log


def test_the_audit_log_lists_transitions_and_downloads_as_csv(app, people):
    slug = submit(app, people)
    post(signed_in(app, people, "global"), f"/moderation/practices/{slug}",
         {"action": "approve", "comment": "Fine."})
    admin = signed_in(app, people, "admin")
    page = admin.get("/admin/audit")
    assert page.status_code == 200
    body = html(page)
    for action in ("practice.draft", "practice.submit", "practice.approve"):
        assert f"<code>{action}</code>" in body
    assert '<th scope="col">' in body
    only = html(admin.get("/admin/audit?action=practice.approve"))
    assert "<code>practice.approve</code>" in only and "<code>practice.submit</code>" not in only
    assert "/admin/audit.csv?action=practice.approve" in only

    download = admin.get("/admin/audit.csv?target=" + slug)
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and 'filename="audit-' in disposition
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[0] == ["id", "time_utc", "actor", "action", "target_type", "target", "detail"]
    assert [r[3] for r in rows[1:]] == ["practice.approve", "practice.submit", "practice.draft"]
    assert rows[1][2] == "global@kb.example" and rows[1][5] == slug


@pytest.mark.parametrize("role", ["global", "river", "author", "reader"])
def test_only_site_admins_see_the_audit_log(app, people, role):
    client = signed_in(app, people, role)
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit.csv").status_code == 403


# ------------------------------------------------------------------ safety


def test_hostile_markdown_never_reaches_the_review_page(app, people):
    hostile = ("<script>alert('owned')</script>\n\n"
               "<img src=x onerror=\"alert('img')\">\n\n"
               "[click me](javascript:alert('link'))\n\n"
               "<a href=\"#\" onclick=\"alert('a')\">plain</a>")
    slug = submit(app, people, rain_gardens(solution=hostile))
    page = signed_in(app, people, "river").get(f"/moderation/practices/{slug}")
    assert page.status_code == 200
    body = html(page).lower()
    assert "<script>alert" not in body
    assert "onerror" not in body and "onclick" not in body
    assert "javascript:" not in body
    assert "cloudburstquagga" in body


def test_review_page_shows_the_translations_to_be_published(app, people):
    text = rain_gardens().replace("license: CC-BY-4.0", "license: CC-BY-4.0\ntranslations:\n"
                                  "  fi: {title: Sadepuutarhat kouluille, summary: Koulut "
                                  "kaivavat sadepuutarhoja.}")
    submit(app, people, text)
    body = html(signed_in(app, people, "river").get("/moderation/practices/riverton-rain-gardens"))
    assert "<dt>Translation into Finnish</dt>" in body
    assert '<dd lang="fi"><span class="original-title">Sadepuutarhat kouluille</span>: Koulut ' \
           'kaivavat sadepuutarhoja.</dd>' in body
