"""The export mirror holds exactly the published public practices; imports respect moderation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kb.content import ValidationFailed
from kb.db import session
from kb.models import Practice, Revision
from kb.services import editorial as ed
from kb.services.identity import SYSTEM
from kb.services.practices import practice_import
from tests.conftest import FIXTURE_PRACTICES

RIVERTON = "riverton-flood-wardens"
NETWORK_ONLY = "netzwerk-intern"
PUBLIC = sorted(p.stem for p in FIXTURE_PRACTICES.glob("*.md") if p.stem != NETWORK_ONLY)


def md_files(folder):
    return sorted(p.stem for p in folder.glob("*.md"))


def practice(slug):
    return session().scalar(select(Practice).where(Practice.slug == slug))


def revisions(slug):
    return session().scalars(select(Revision.number).join(Practice, Revision.practice_id
                                                          == Practice.id)
                             .where(Practice.slug == slug)
                             .order_by(Revision.number)).all()


def fixture_text(slug):
    return (FIXTURE_PRACTICES / f"{slug}.md").read_text()


def narrowed(slug):
    """The document of a public fixture, shared with one network only."""
    return fixture_text(slug).replace("license:", "visibility: network\nnetworks: [rivers]\n"
                                      "license:", 1)


@pytest.fixture
def mirror(tmp_path):
    return tmp_path / "mirror"


@pytest.fixture
def mirrored_app(make_app, mirror):
    return make_app(EXPORT_DIR=str(mirror))


def test_the_mirror_starts_with_the_public_practices(mirrored_app, mirror):
    assert md_files(mirror) == PUBLIC
    for slug in PUBLIC:
        assert (mirror / f"{slug}.md").read_bytes() == (FIXTURE_PRACTICES / f"{slug}.md"
                                                        ).read_bytes()


def test_archiving_removes_the_file_and_restoring_brings_it_back(mirrored_app, mirror):
    (mirror / "README.md").write_text("Our practices\n")
    with mirrored_app.test_request_context():
        ed.practice_archive(SYSTEM, RIVERTON, "out of date")
        assert RIVERTON not in md_files(mirror)
        ed.practice_restore(SYSTEM, RIVERTON)
        assert (mirror / f"{RIVERTON}.md").read_text() == fixture_text(RIVERTON)
    # a file the knowledge base knows nothing about is left alone
    assert (mirror / "README.md").read_text() == "Our practices\n"


def test_a_practice_that_becomes_network_only_leaves_the_mirror(mirrored_app, mirror):
    with mirrored_app.app_context():
        assert practice_import(SYSTEM, narrowed(RIVERTON), f"{RIVERTON}.md").action == "updated"
        assert practice(RIVERTON).visibility == "network"
    assert md_files(mirror) == [s for s in PUBLIC if s != RIVERTON]


def test_a_change_whose_mirror_run_was_missed_is_written_by_the_next_run(mirrored_app, mirror):
    with mirrored_app.test_request_context():
        mirrored_app.config["EXPORT_DIR"] = None  # the process died after the commit
        ed.practice_archive(SYSTEM, RIVERTON)
        assert RIVERTON in md_files(mirror)
        mirrored_app.config["EXPORT_DIR"] = str(mirror)
        edited = fixture_text("solby-medborgarbudget").replace("\n## ", "\nMer text.\n\n## ", 1)
        practice_import(SYSTEM, edited, "solby-medborgarbudget.md")
    assert RIVERTON not in md_files(mirror)
    assert (mirror / "solby-medborgarbudget.md").read_text() == edited


def test_an_import_never_publishes_over_an_archived_practice(app):
    with app.test_request_context():
        ed.practice_archive(SYSTEM, RIVERTON)
        before = revisions(RIVERTON)
        # its own document again: nothing to do, it stays archived
        assert practice_import(SYSTEM, fixture_text(RIVERTON), f"{RIVERTON}.md").action \
            == "unchanged"
        edited = fixture_text(RIVERTON).replace("knock on doors", "knock on every door")
        with pytest.raises(ValidationFailed) as refused:
            practice_import(SYSTEM, edited, f"{RIVERTON}.md")
        [problem] = refused.value.errors
        assert problem.field == "slug" and "is archived" in problem.message
        assert practice(RIVERTON).status == "archived"
        assert revisions(RIVERTON) == before


def test_the_archived_document_stays_unchanged_while_an_older_one_is_under_review(app):
    with app.test_request_context():
        edited = fixture_text(RIVERTON).replace("knock on doors", "knock on every door")
        practice_import(SYSTEM, edited, f"{RIVERTON}.md")
        ed.practice_archive(SYSTEM, RIVERTON)
        ed.revision_restore(SYSTEM, RIVERTON, 1)  # the first version, submitted again
        assert practice_import(SYSTEM, edited, f"{RIVERTON}.md").action == "unchanged"
        assert practice(RIVERTON).status == "archived"
        assert revisions(RIVERTON) == [1, 2, 3]


def test_an_import_never_widens_who_sees_a_practice(app):
    with app.app_context():
        network_only = practice(NETWORK_ONLY)
        before = revisions(NETWORK_ONLY)
        public = fixture_text(NETWORK_ONLY).replace("visibility: network", "visibility: public")
        with pytest.raises(ValidationFailed) as refused:
            practice_import(SYSTEM, public, f"{NETWORK_ONLY}.md")
        [problem] = refused.value.errors
        assert (problem.field, problem.line) == ("visibility", 11)
        assert "needs a moderator" in problem.message
        wider = fixture_text(NETWORK_ONLY).replace("[alpine-towns]", "[alpine-towns, lakes]")
        with pytest.raises(ValidationFailed) as refused:
            practice_import(SYSTEM, wider, f"{NETWORK_ONLY}.md")
        assert refused.value.errors[0].field == "networks"
        assert "lakes" in refused.value.errors[0].message
        session().refresh(network_only)
        assert network_only.visibility == "network"
        assert revisions(NETWORK_ONLY) == before
        # narrowing needs no moderator
        assert practice_import(SYSTEM, narrowed(RIVERTON), f"{RIVERTON}.md").action == "updated"


def test_a_busy_mirror_never_blocks_for_long_and_loses_nothing(mirrored_app, mirror,
                                                               monkeypatch, caplog):
    import fcntl
    from pathlib import Path

    from kb.services import mirror as mirror_module

    monkeypatch.setattr(mirror_module, "LOCK_TIMEOUT", 0.1)
    lock = Path(mirrored_app.instance_path) / ".export-mirror.lock"
    with mirrored_app.test_request_context():
        with open(lock, "w") as held:  # another process is writing the mirror
            fcntl.flock(held, fcntl.LOCK_EX)
            ed.practice_archive(SYSTEM, RIVERTON)
            fcntl.flock(held, fcntl.LOCK_UN)
        assert RIVERTON in md_files(mirror)
        assert "is busy; this change is written by its next run" in caplog.text
        ed.practice_archive(SYSTEM, "solby-medborgarbudget")
    assert RIVERTON not in md_files(mirror)
    assert "solby-medborgarbudget" not in md_files(mirror)
