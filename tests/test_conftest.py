"""The shared fixtures: a first start on the fixture or bundled practices is imported once per
test run and copied into each app, and each copy behaves as a first start of its own."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import kb.services.practices
from kb import create_app
from kb.bootstrap import init_database
from kb.db import session
from kb.models import ChangeLog, Organization, Practice, Revision, User
from kb.services.accounts import user_create
from kb.services.identity import ANONYMOUS, SYSTEM
from kb.services.practices import practice_import
from kb.services.search import get_index, practice_search
from tests.conftest import BUNDLED_PRACTICES, FIXTURE_PRACTICES, InstanceTemplates

NEW_PRACTICE = """\
---
slug: quokka-counting-test
title: Quokka counting test
summary: A practice that exists in one test's copy only.
language: en
organization: Testville (fictional example town)
country: GB
themes: [public-safety]
stage: idea
evidence: anecdotal
---
## Challenge

Counting quokkas.
"""


@pytest.fixture
def imports(monkeypatch):
    """The seed folders imported from here on, one entry per import."""
    seen = []
    real = kb.services.practices.practices_import_dir

    def counting(identity, folder, *args, **kwargs):
        seen.append(str(folder))
        return real(identity, folder, *args, **kwargs)

    monkeypatch.setattr(kb.services.practices, "practices_import_dir", counting)
    return seen


@pytest.fixture
def instance_templates(tmp_path_factory):
    """Prepared first starts of this test only, so it sees the first import happen."""
    return InstanceTemplates(tmp_path_factory.mktemp("own-templates"))


def snapshot(app, queries=("flood", "permit", "water")):
    """What a reader can tell about a knowledge base, from the database and the index."""
    with app.app_context():
        s = session()
        return {
            "practices": sorted(s.execute(select(Practice.slug, Practice.status,
                                                 Practice.published_revision_id)).all()),
            "revisions": s.scalar(select(func.count()).select_from(Revision)),
            "organizations": sorted(s.scalars(select(Organization.slug))),
            "changes": s.scalar(select(func.max(ChangeLog.id))),
            "indexed_upto": get_index().last_change_id(),
            "search": {q: [h.slug for h in practice_search(ANONYMOUS, q).hits]
                       for q in queries},
        }


def test_apps_on_the_same_seeds_import_them_once(make_app, imports):
    for _ in range(3):
        make_app()
    for _ in range(2):
        make_app(SEED_DIR=str(BUNDLED_PRACTICES))
    assert imports == [str(FIXTURE_PRACTICES), str(BUNDLED_PRACTICES)]


def test_a_copy_is_the_same_knowledge_base_as_an_import(make_app, tmp_path, imports):
    make_app()  # prepares the fixture first start
    copied = make_app()
    imported = create_app({"INSTANCE_PATH": str(tmp_path / "imported"), "TESTING": True,
                           "SEED_DIR": str(FIXTURE_PRACTICES), "SECRET_KEY": "test",
                           "SEARCH_DENSE": False})   # as make_app's settings
    assert len(imports) == 2
    try:
        assert snapshot(copied) == snapshot(imported)
        assert snapshot(copied)["practices"]
    finally:
        imported.extensions["kb.search"].close()
        imported.extensions["kb.db"].dispose()


def test_an_existing_instance_is_opened_not_replaced(make_app, imports):
    app = make_app()
    with app.app_context():
        user_create(SYSTEM, "kept@here.example", "Kept", "correct horse battery", "none")
    again = make_app(INSTANCE_PATH=app.instance_path)
    with again.app_context():
        assert session().scalar(select(User).where(User.email == "kept@here.example"))
    assert len(imports) == 1


def test_each_app_gets_its_own_copy(make_app):
    changed = make_app()
    with changed.app_context():
        user_create(SYSTEM, "only@here.example", "Only", "correct horse battery", "none")
        practice_import(SYSTEM, NEW_PRACTICE, "quokka-counting-test.md")
        assert [h.slug for h in practice_search(ANONYMOUS, "quokkas").hits] == [
            "quokka-counting-test"]
    other = make_app()
    with other.app_context():
        assert session().scalar(select(User).where(User.email == "only@here.example")) is None
        assert session().scalar(select(Practice).where(
            Practice.slug == "quokka-counting-test")) is None
        assert practice_search(ANONYMOUS, "quokkas").hits == []


def test_a_first_start_that_writes_elsewhere_is_not_copied(make_app, tmp_path, imports):
    """Exported files live outside the instance folder: a copy would not carry them."""
    make_app()
    app = make_app(EXPORT_DIR=str(tmp_path / "export"))
    assert len(imports) == 2
    with app.app_context():
        slugs = set(session().scalars(select(Practice.slug).where(
            Practice.status == "published", Practice.visibility == "public")))
    assert {p.stem for p in (tmp_path / "export").glob("*.md")} == slugs


def test_changed_seeds_are_imported_again_and_no_first_start_imports_nothing(
        make_app, tmp_path, imports):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "quokka-counting-test.md").write_text(NEW_PRACTICE)
    make_app(SEED_DIR=str(seeds))
    (seeds / "quokka-counting-test.md").write_text(NEW_PRACTICE.replace("Counting", "Weighing"))
    app = make_app(SEED_DIR=str(seeds))
    empty = make_app(AUTO_INIT=False)
    assert imports == [str(seeds), str(seeds)]
    with app.app_context():
        assert [p.current_revision.document.endswith("Weighing quokkas.\n")
                for p in session().scalars(select(Practice))] == [True]
    with empty.app_context():
        init_database(seed=False)
        assert session().scalar(select(func.count()).select_from(Practice)) == 0


def test_a_password_is_hashed_once_and_still_checked(app, make_user, auth, monkeypatch):
    import hashlib

    hashes = []
    real = hashlib.scrypt

    def counting(*args, **kwargs):
        hashes.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    for name in ("ada", "bo", "cy"):
        make_user(f"{name}@kb.example", password="wombat stapler sunrise")
    assert len(hashes) == 1
    with app.app_context():
        assert session().scalar(select(User.password_hash).where(
            User.email == "ada@kb.example")).startswith("scrypt:")
    assert auth.login("bo@kb.example", "wombat stapler sunrise").status_code == 302
    auth.logout()
    assert auth.login("cy@kb.example", "wombat stapler sunrisE").status_code != 302
