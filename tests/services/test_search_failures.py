"""One practice that cannot be indexed never takes search, pages or the server down."""

from __future__ import annotations

from sqlalchemy import select

from kb.cli import main
from kb.db import session
from kb.models import ChangeAction, ChangeLog, Practice, Revision
from kb.services.identity import ANONYMOUS, SYSTEM
from kb.services.practices import practice_import
from kb.services.search import get_index, practice_search, search_status

DOCUMENT = """\
---
title: Participatory budget for schools
summary: Pupils decide how a part of the school budget is spent.
language: en
organization: Frostby (fictional example town)
country: 'NO'
themes: [citizen-participation]
stage: pilot
evidence: anecdotal
transferability:
  core: [a vote of all pupils]
{extra}
---
## Challenge

Pupils had no say. Codeword {word}.
"""

NUMBERS_UNDER_AN_EXTRA_KEY = "  budget_years: [2024, 2025]\n  rounds: {first: 1, second: [2, 3]}"


def publish(word: str, extra: str = "") -> Practice:
    practice_import(SYSTEM, DOCUMENT.format(word=word, extra=extra), "school-budget.md")
    return session().scalar(select(Practice).where(Practice.slug == "school-budget"))


def test_numbers_under_an_extra_transferability_key_are_indexed(app, client, runner):
    with app.app_context():
        publish("quokkabudget", NUMBERS_UNDER_AN_EXTRA_KEY)
        assert [h.slug for h in practice_search(ANONYMOUS, "quokkabudget").hits] == [
            "school-budget"]
        assert search_status(SYSTEM).failures == []
    assert client.get("/practices/school-budget").status_code == 200
    assert client.get("/search?q=pupils").status_code == 200
    result = runner.invoke(main, ["reindex"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert practice_search(ANONYMOUS, "quokkabudget").total == 1


def break_stored_document(practice: Practice) -> None:
    """A published revision the current parser refuses (stored by an older, looser version),
    followed by a change the index must apply."""
    revision = session().get(Revision, practice.published_revision_id)
    revision.document = revision.document.replace("stage: pilot", "stage: &s pilot\nx: *s")
    session().add(ChangeLog(practice_id=practice.id, slug=practice.slug,
                            action=ChangeAction.UPDATE, revision_id=revision.id))
    session().commit()


def test_a_practice_that_cannot_be_indexed_is_reported_and_skipped(app, make_app, auth,
                                                                    make_user):
    with app.app_context():
        practice = publish("wombatbudget")
        others = practice_search(ANONYMOUS, "").total - 1
        break_stored_document(practice)
        latest = max(session().scalars(select(ChangeLog.id)))

        # search, autocomplete and pages keep answering; the practice is left out
        assert practice_search(ANONYMOUS, "wombatbudget").total == 0
        assert practice_search(ANONYMOUS, "").total == others
        assert get_index().last_change_id() == latest
        [failure] = search_status(SYSTEM).failures
        assert (failure.slug, failure.practice_id, failure.change_id) == (
            "school-budget", practice.id, latest)
        assert "no longer parses" in failure.error

    client = app.test_client()
    assert client.get("/search?q=flood").status_code == 200
    assert client.get("/search/suggest?q=fl").status_code == 200

    # the operator sees it in `kb status` and in the admin area
    status = app.test_cli_runner().invoke(main, ["status"])
    assert status.exit_code == 1, status.output  # marked as needing action
    shown = " ".join(status.output.split())
    assert "! failed documents 1" in shown
    assert "school-budget" in shown and "no longer parses" in shown
    make_user("admin@kb.example", role="admin")
    auth.login("admin@kb.example")
    page = auth.client.get("/admin/").get_data(as_text=True)
    assert 'id="index-failures"' in page and "school-budget" in page

    # the server starts again, and a rebuild skips the practice too
    again = make_app(INSTANCE_PATH=app.instance_path)
    reindex = again.test_cli_runner().invoke(main, ["reindex"])
    assert reindex.exit_code == 0, reindex.output
    assert "school-budget" in reindex.output
    with again.app_context():
        assert [f.slug for f in search_status(SYSTEM).failures] == ["school-budget"]
        # a later good revision is indexed and clears the record
        publish("capybarabudget")
        assert practice_search(ANONYMOUS, "capybarabudget").total == 1
        assert search_status(SYSTEM).failures == []


def test_the_portal_starts_when_the_index_cannot_be_caught_up(make_app, tmp_path, caplog):
    # an index folder whose pointer to the live generation cannot be read
    blocked = tmp_path / "index"
    (blocked / "CURRENT").mkdir(parents=True)
    app = make_app(INDEX_DIR=str(blocked))          # the first start imports and indexes
    # the log names the directory, and the portal serves its pages anyway
    assert f"search index {blocked} cannot be used" in caplog.text
    assert app.test_client().get("/about").status_code == 200
