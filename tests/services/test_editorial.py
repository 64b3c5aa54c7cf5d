"""Every transition of the editorial state machine, allowed and forbidden."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kb.content import ValidationFailed
from kb.db import session
from kb.models import AuditEvent, ChangeLog, Notification, Practice, User
from kb.services import editorial as ed
from kb.services.accounts import identity_for
from kb.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from kb.services.identity import ANONYMOUS, SYSTEM
from kb.services.organizations import network_add_member, network_create, network_set_moderator
from kb.services.practices import is_stale
from kb.services.search import practice_search

RIVERTON = "riverton-fictional-example-town"
SOLBY = "solby-fiktiv-exempelkommun"

DOC = """\
---
slug: rain-gardens
title: Rain gardens on school yards
summary: Pupils and caretakers build rain gardens that take roof water off the sewers.
language: en
organization: Riverton (fictional example town)
country: GB
themes: [climate-adaptation, water]
stage: pilot
evidence: monitored
outcomes:
  - {indicator: Roof water kept out of sewers, unit: '%', baseline: 0, result: 60, better: higher, note: illustrative figure}
  - {indicator: Schools taking part, unit: count, result: 4, note: illustrative figure}
---
## Challenge

Combined sewers overflow in summer storms. Codeword {word}.
"""


@pytest.fixture
def people(app, make_user):
    ids = {
        "author": make_user("author@kb.example", orgs={RIVERTON: "contributor"}),
        "colleague": make_user("colleague@kb.example", orgs={RIVERTON: "contributor"}),
        "outsider": make_user("outsider@kb.example", orgs={SOLBY: "contributor"}),
        "reader": make_user("reader@kb.example"),
        "netmod": make_user("netmod@kb.example"),
        "othermod": make_user("othermod@kb.example"),
        "globalmod": make_user("globalmod@kb.example", role="global_moderator"),
    }
    with app.app_context():
        network_create(SYSTEM, "Rivers", "rivers")
        network_add_member(SYSTEM, "rivers", RIVERTON)
        network_create(SYSTEM, "Lakes", "lakes")
        network_set_moderator(SYSTEM, "rivers", "netmod@kb.example")
        network_set_moderator(SYSTEM, "lakes", "othermod@kb.example")
    return ids


@pytest.fixture
def who(app, people):
    def get(name):
        if name == "anonymous":
            return ANONYMOUS
        return identity_for(session().get(User, people[name]))
    return get


def draft(who, word="alpha"):
    return ed.practice_draft_create(who("author"), DOC.replace("{word}", word))


def submitted(who, word="alpha"):
    draft(who, word)
    ed.practice_submit(who("author"), "rain-gardens")


def state(slug="rain-gardens"):
    practice = session().scalar(select(Practice).where(Practice.slug == slug))
    session().refresh(practice)
    return practice.status, practice.current_revision.state


def test_contributor_writes_a_draft_that_nobody_else_finds(ctx, who):
    draft(who)
    assert state() == ("draft", "draft")
    assert practice_search(ANONYMOUS, "alpha").total == 0
    with pytest.raises(NotFound):
        from kb.services.practices import practice_get
        practice_get(ANONYMOUS, "rain-gardens")


@pytest.mark.parametrize("name", ["anonymous", "reader", "outsider"])
def test_only_members_of_the_organization_write_for_it(ctx, who, name):
    with pytest.raises((PermissionDenied, ValidationFailed)):
        ed.practice_draft_create(who(name), DOC.replace("{word}", "x"))


def test_draft_validation_errors_name_fields(ctx, who):
    with pytest.raises(ValidationFailed) as failed:
        ed.practice_draft_create(who("author"), DOC.replace("stage: pilot", "stage: soon"))
    assert "stage" in failed.value.by_field()


def test_submit_then_approve_publishes_and_indexes(ctx, who):
    submitted(who)
    assert state() == ("submitted", "submitted")
    assert practice_search(ANONYMOUS, "alpha").total == 0
    ed.review_approve(who("netmod"), "rain-gardens", "Thanks")
    assert state() == ("published", "published")
    assert practice_search(ANONYMOUS, "alpha").total == 1
    actions = session().scalars(select(ChangeLog.action).where(
        ChangeLog.slug == "rain-gardens")).all()
    assert actions == ["publish"]


@pytest.mark.parametrize("name, refusal", [
    ("author", PermissionDenied), ("colleague", PermissionDenied),
    # a submission is hidden from those who may not edit or review it
    ("reader", NotFound), ("othermod", NotFound), ("anonymous", NotFound)])
def test_reviewing_is_for_moderators_of_the_practice_networks(ctx, who, name, refusal):
    submitted(who)
    for review in (lambda i: ed.review_approve(i, "rain-gardens"),
                   lambda i: ed.review_request_changes(i, "rain-gardens", "x"),
                   lambda i: ed.review_reject(i, "rain-gardens", "x")):
        with pytest.raises(refusal):
            review(who(name))
    assert state() == ("submitted", "submitted")


def test_global_moderator_reviews_everything(ctx, who):
    submitted(who)
    ed.review_approve(who("globalmod"), "rain-gardens")
    assert state()[0] == "published"


def test_request_changes_needs_a_comment_and_returns_the_draft(ctx, who, people):
    submitted(who)
    with pytest.raises(InvalidInput) as missing:
        ed.review_request_changes(who("netmod"), "rain-gardens", "  ")
    assert "comment" in missing.value.errors
    ed.review_request_changes(who("netmod"), "rain-gardens", "Add the source of the 60 %")
    assert state() == ("changes_requested", "changes_requested")
    note = session().scalars(select(Notification.message).where(
        Notification.user_id == people["author"])).all()
    assert any("Add the source of the 60 %" in n for n in note)
    # the author edits and resubmits
    edit = ed.practice_edit_start(who("author"), "rain-gardens")
    ed.practice_draft_save(who("author"), "rain-gardens", edit.document.replace(
        "illustrative figure}", "illustrative figure, source: 'https://example.org/r'}", 1),
        edit.base_revision_id, edit.base_hash)
    ed.practice_submit(who("author"), "rain-gardens")
    assert state() == ("submitted", "submitted")


def test_reject_needs_a_reason(ctx, who):
    submitted(who)
    with pytest.raises(InvalidInput):
        ed.review_reject(who("netmod"), "rain-gardens", "")
    ed.review_reject(who("netmod"), "rain-gardens", "Duplicate of an existing practice")
    assert state() == ("rejected", "rejected")


@pytest.mark.parametrize("transition", ["approve", "request_changes", "reject"])
def test_review_only_from_submitted(ctx, who, transition):
    draft(who)
    call = {"approve": lambda: ed.review_approve(who("netmod"), "rain-gardens"),
            "request_changes": lambda: ed.review_request_changes(who("netmod"), "rain-gardens",
                                                                 "x"),
            "reject": lambda: ed.review_reject(who("netmod"), "rain-gardens", "x")}[transition]
    with pytest.raises(Conflict):
        call()


def test_submit_only_a_draft(ctx, who):
    submitted(who)
    with pytest.raises(Conflict):
        ed.practice_submit(who("author"), "rain-gardens")


def test_editing_a_published_practice_keeps_it_live_until_approved(ctx, who):
    submitted(who)
    ed.review_approve(who("netmod"), "rain-gardens")
    edit = ed.practice_edit_start(who("colleague"), "rain-gardens")
    ed.practice_draft_save(who("colleague"), "rain-gardens",
                           edit.document.replace("alpha", "beta"), edit.base_revision_id,
                           edit.base_hash)
    ed.practice_submit(who("colleague"), "rain-gardens")
    assert state() == ("published", "submitted")
    assert practice_search(ANONYMOUS, "alpha").total == 1
    assert practice_search(ANONYMOUS, "beta").total == 0
    review = ed.review_get(who("netmod"), "rain-gardens")
    assert any(op == "added" and "beta" in line for op, line in review.diff.body)
    ed.review_approve(who("netmod"), "rain-gardens")
    assert practice_search(ANONYMOUS, "alpha").total == 0
    assert practice_search(ANONYMOUS, "beta").total == 1


def test_two_editors_from_the_same_revision_the_second_is_refused(ctx, who):
    submitted(who)
    ed.review_approve(who("netmod"), "rain-gardens")
    first = ed.practice_edit_start(who("author"), "rain-gardens")
    second = ed.practice_edit_start(who("colleague"), "rain-gardens")
    assert first.base_revision_id == second.base_revision_id
    ed.practice_draft_save(who("author"), "rain-gardens",
                           first.document.replace("alpha", "author-text"),
                           first.base_revision_id, first.base_hash)
    colleague_text = second.document.replace("alpha", "colleague-text")
    with pytest.raises(ed.StaleEdit) as stale:
        ed.practice_draft_save(who("colleague"), "rain-gardens", colleague_text,
                               second.base_revision_id, second.base_hash)
    # nothing is lost: the first edit is stored, the second is handed back with a diff
    current = ed.practice_edit_start(who("author"), "rain-gardens")
    assert "author-text" in current.document
    assert any(op == "added" and "colleague-text" in line for op, line in stale.value.diff)
    # the same person saving twice from an old page is refused too
    with pytest.raises(ed.StaleEdit):
        ed.practice_draft_save(who("author"), "rain-gardens", first.document,
                               first.base_revision_id, first.base_hash)


def test_feature_archive_restore(ctx, who):
    submitted(who)
    with pytest.raises(Conflict):
        ed.practice_feature(who("netmod"), "rain-gardens")
    ed.review_approve(who("netmod"), "rain-gardens")
    with pytest.raises(PermissionDenied):
        ed.practice_feature(who("author"), "rain-gardens")
    ed.practice_feature(who("netmod"), "rain-gardens")
    assert session().scalar(select(Practice.featured).where(Practice.slug == "rain-gardens"))
    with pytest.raises(PermissionDenied):
        ed.practice_archive(who("othermod"), "rain-gardens")
    ed.practice_archive(who("netmod"), "rain-gardens")
    assert state()[0] == "archived"
    assert practice_search(ANONYMOUS, "alpha").total == 0
    with pytest.raises(Conflict):
        ed.practice_archive(who("netmod"), "rain-gardens")
    ed.practice_restore(who("netmod"), "rain-gardens")
    assert state()[0] == "published"
    assert practice_search(ANONYMOUS, "alpha").total == 1


def test_history_diff_and_restore_an_old_revision(ctx, who):
    submitted(who)
    ed.review_approve(who("netmod"), "rain-gardens")
    edit = ed.practice_edit_start(who("author"), "rain-gardens")
    ed.practice_draft_save(who("author"), "rain-gardens",
                           edit.document.replace("stage: pilot", "stage: implemented"),
                           edit.base_revision_id, edit.base_hash)
    ed.practice_submit(who("author"), "rain-gardens")
    ed.review_approve(who("netmod"), "rain-gardens")
    history = ed.practice_history(who("author"), "rain-gardens")
    assert [h.revision.number for h in history] == [2, 1]
    assert history[0].author == "author" and history[0].reviewer == "netmod"
    diff = ed.revisions_diff(who("netmod"), "rain-gardens", 1, 2)
    assert [(f.field, f.old, f.new) for f in diff.fields] == [("stage", "pilot", "implemented")]
    with pytest.raises(PermissionDenied):
        ed.practice_history(who("reader"), "rain-gardens")
    restored = ed.revision_restore(who("netmod"), "rain-gardens", 1)
    assert restored.state == "submitted" and "stage: pilot" in restored.document
    assert state() == ("published", "submitted")


def test_flags(ctx, who):
    submitted(who)
    ed.review_approve(who("netmod"), "rain-gardens")
    with pytest.raises(PermissionDenied):
        ed.flag_create(ANONYMOUS, "rain-gardens", "wrong")
    with pytest.raises(InvalidInput):
        ed.flag_create(who("reader"), "rain-gardens", " ")
    flag = ed.flag_create(who("reader"), "rain-gardens", "The 60 % has no source")
    assert [f.id for f in ed.flags_open(who("netmod"))] == [flag.id]
    assert ed.flags_open(who("othermod")) == []
    with pytest.raises(PermissionDenied):
        ed.flag_resolve(who("othermod"), flag.id, "done")
    ed.flag_resolve(who("netmod"), flag.id, "Asked the author for the source")
    assert ed.flags_open(who("netmod")) == []


def test_freshness(ctx, who):
    import datetime as dt

    submitted(who)
    ed.review_approve(who("netmod"), "rain-gardens")
    practice = session().scalar(select(Practice).where(Practice.slug == "rain-gardens"))
    assert not is_stale(practice)
    practice.last_reviewed_at = practice.last_reviewed_at - dt.timedelta(days=25 * 31)
    session().commit()
    assert is_stale(practice)
    assert "rain-gardens" in [p.slug for p in ed.practices_stale(who("netmod"))]
    ed.practice_reverify(who("netmod"), "rain-gardens", "Figures checked")
    assert "rain-gardens" not in [p.slug for p in ed.practices_stale(who("netmod"))]


def test_every_transition_is_audited(ctx, who):
    submitted(who)
    ed.review_request_changes(who("netmod"), "rain-gardens", "More detail")
    ed.practice_submit(who("author"), "rain-gardens")
    ed.review_approve(who("netmod"), "rain-gardens")
    actions = session().scalars(select(AuditEvent.action).where(
        AuditEvent.target_id == "rain-gardens").order_by(AuditEvent.id)).all()
    assert actions == ["practice.draft", "practice.submit", "practice.request_changes",
                       "practice.submit", "practice.approve"]
    csv_text = ed.audit_csv(SYSTEM, action="practice.")
    assert csv_text.splitlines()[0] == "id,time_utc,actor,action,target_type,target,detail"
    assert "author@kb.example,practice.submit" in csv_text
    with pytest.raises(PermissionDenied):
        ed.audit_list(who("netmod"))


def test_notification_kinds_can_be_turned_off(ctx, who, people):
    from kb.services.notifications import notification_settings_save

    notification_settings_save(who("netmod"), set())
    submitted(who)
    kinds = session().scalars(select(Notification.kind).where(
        Notification.user_id == people["netmod"])).all()
    assert kinds == []
    globalmod_kinds = session().scalars(select(Notification.kind).where(
        Notification.user_id == people["globalmod"])).all()
    assert globalmod_kinds == ["new_submission"]


# ------------------------------------------------- network-only practices


NETWORK_ONLY = "evidence: monitored\nvisibility: network\nnetworks: [rivers]"


def network_only_submitted(who):
    ed.practice_draft_create(who("author"), DOC.replace("{word}", "secret").replace(
        "evidence: monitored", NETWORK_ONLY))
    ed.practice_submit(who("author"), "rain-gardens")


def test_a_network_only_submission_is_private_to_its_network_even_for_global_moderators(
        ctx, who, people):
    network_only_submitted(who)
    notified = set(session().scalars(select(Notification.user_id).where(
        Notification.kind == "new_submission")))
    assert people["netmod"] in notified and people["globalmod"] not in notified
    assert ed.moderation_queue(who("globalmod")).items == []
    for hidden in (lambda i: ed.review_get(i, "rain-gardens"),
                   lambda i: ed.practice_history(i, "rain-gardens"),
                   lambda i: ed.revisions_diff(i, "rain-gardens", 1, 1),
                   lambda i: ed.review_approve(i, "rain-gardens"),
                   lambda i: ed.revision_restore(i, "rain-gardens", 1)):
        with pytest.raises(NotFound):
            hidden(who("globalmod"))
    assert [i.practice.slug for i in ed.moderation_queue(who("netmod")).items] == ["rain-gardens"]
    ed.review_approve(who("netmod"), "rain-gardens")
    flag = ed.flag_create(who("author"), "rain-gardens", "The figure is old")
    assert ed.flags_open(who("globalmod")) == []
    assert [f.id for f in ed.flags_open(who("netmod"))] == [flag.id]
    with pytest.raises(NotFound):
        ed.flag_resolve(who("globalmod"), flag.id, "done")
    # a practice of the network that is public stays the global moderators' to curate
    public = ed.practice_edit_start(who("author"), "rain-gardens")
    ed.practice_draft_save(who("author"), "rain-gardens", public.document.replace(
        "visibility: network", "visibility: public"), public.base_revision_id,
        public.base_hash)
    ed.practice_submit(who("author"), "rain-gardens")
    with pytest.raises(NotFound):  # the live version is still network-only
        ed.review_get(who("globalmod"), "rain-gardens")
    ed.review_approve(who("netmod"), "rain-gardens")
    assert ed.review_get(who("globalmod"), "rain-gardens").practice.slug == "rain-gardens"


def test_an_address_taken_by_a_hidden_practice_is_answered_as_free(ctx, who):
    draft(who)  # Riverton's draft at rain-gardens: hidden from Solby
    solby = DOC.replace("{word}", "beta").replace(
        "Riverton (fictional example town)", "Solby (fiktiv exempelkommun)")
    practice = ed.practice_draft_create(who("outsider"), solby)
    assert practice.slug == "rain-gardens-2"
    assert "slug: rain-gardens-2\n" in practice.current_revision.document
    uploaded = ed.practice_draft_create(who("outsider"), solby.replace(
        "slug: rain-gardens\n", ""), "rain-gardens.md")
    assert uploaded.slug == "rain-gardens-3"
    assert uploaded.current_revision.document.startswith("---\nslug: rain-gardens-3\n")
    # a colleague who may see the draft is told the address is taken
    with pytest.raises(ValidationFailed) as taken:
        ed.practice_draft_create(who("colleague"), DOC.replace("{word}", "gamma"))
    assert "another practice already has the address" in taken.value.by_field()["slug"][0]


def test_a_half_written_draft_is_kept_but_never_reaches_moderators(ctx, who):
    half = "---\ntitle: Rain gardens\norganization: Riverton (fictional example town)\n---\n"
    practice = ed.practice_draft_create(who("author"), half, incomplete=True)
    assert practice.slug == "rain-gardens" and practice.status == "draft"
    assert practice.current_revision.document == half.replace("---\n", "---\nslug: rain-gardens\n", 1)
    with pytest.raises(ValidationFailed) as refused:
        ed.practice_submit(who("author"), "rain-gardens")
    assert {"summary", "language", "country", "themes", "stage", "evidence", "body"} <= set(
        refused.value.by_field())
    assert ed.moderation_queue(who("globalmod")).items == []
    # the strict path (file import, API) still refuses it outright
    with pytest.raises(ValidationFailed):
        ed.practice_draft_create(who("author"), half.replace("Rain", "Snow"))
