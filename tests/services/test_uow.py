"""A unit of work is one transaction: services join the one they are given, nothing is
half-written, and an operation refused for a concurrency reason runs again from the start."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kb.db import session
from kb.models import AuditEvent, Follow, Practice, User
from kb.services import editorial as ed
from kb.services.accounts import identity_for
from kb.services.errors import Conflict
from kb.services.uow import UnitOfWork, unit_of_work
from tests.services.test_editorial import DOC, RIVERTON


@pytest.fixture
def author(app, make_user):
    user_id = make_user("author@kb.example", orgs={RIVERTON: "contributor"})
    make_user("globalmod@kb.example", role="global_moderator")
    return lambda: identity_for(session().get(User, user_id))


def test_services_in_one_unit_of_work_commit_together_or_not_at_all(ctx, author):
    with pytest.raises(RuntimeError):
        with UnitOfWork() as uow:
            ed.practice_draft_create(author(), DOC.replace("{word}", "alpha"), uow=uow)
            ed.practice_submit(author(), "rain-gardens", uow=uow)
            assert not uow.joined
            raise RuntimeError("the request failed after both services ran")
    assert session().scalar(select(Practice).where(Practice.slug == "rain-gardens")) is None
    assert session().scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.target_id == "rain-gardens")) == 0

    # the editor's save-and-submit button is one such unit of work
    ed.practice_draft_create(author(), DOC.replace("{word}", "alpha"))
    start = ed.practice_edit_start(author(), "rain-gardens")
    revision = ed.practice_save(author(), "rain-gardens", DOC.replace("{word}", "beta"),
                                start.base_revision_id, start.base_hash, submit=True).revision
    assert revision.state == "submitted" and "beta" in revision.document
    queue = ed.moderation_queue(identity_for(session().scalar(
        select(User).where(User.email == "globalmod@kb.example"))))
    assert [item.revision.id for item in queue.items] == [revision.id]


def test_a_refusal_by_a_concurrent_write_runs_the_operation_again(ctx, author):
    """Between our check and our insert another writer committed the same row: the
    database refuses the commit; the retry checks again and answers clearly."""
    ed.practice_draft_create(author(), DOC.replace("{word}", "alpha"))
    practice_id = session().scalar(select(Practice.id).where(Practice.slug == "rain-gardens"))
    user_id = author().user_id
    with UnitOfWork():  # the other writer
        session().add(Follow(user_id=user_id, practice_id=practice_id))
    attempts = []

    @unit_of_work
    def follow(*, uow):
        attempts.append(1)
        if len(attempts) > 1 and session().get(Follow, (user_id, practice_id)) is not None:
            raise Conflict("already followed")
        session().add(Follow(user_id=user_id, practice_id=practice_id))

    with pytest.raises(Conflict):
        follow()
    assert len(attempts) == 2
    assert session().scalar(select(func.count()).select_from(Follow)) == 1
