"""`kb backup` and `kb restore`: the whole installation, into a new one, row for row."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kb.cli import main
from kb.db import get_db, session
from kb.models import AuditEvent, Base, Flag, MailOutbox, Notification, Practice, User
from kb.services.accounts import identity_for, user_create, user_register
from kb.services.readmodel import read_model_rebuild
from kb.services.backup import DERIVED_TABLES, backed_up_tables
from kb.services.editorial import (flag_create, practice_archive, practice_draft_create,
                                   practice_follow, practice_submit)
from kb.services.errors import PermissionDenied
from kb.services.identity import ANONYMOUS, SYSTEM
from kb.services.organizations import (membership_add, network_add_member, network_create,
                                       network_set_moderator)
from kb.services.search import practice_search
from tests.auth_helpers import post

RIVERTON = "riverton-fictional-example-town"
BERGDORF = "bergdorf-fiktive-beispielgemeinde"
DRAFT = """---
title: Shared snow clearing
summary: Neighbouring towns share their snow ploughs and the rota that drives them.
language: en
organization: Riverton (fictional example town)
country: GB
themes: [procurement]
stage: pilot
evidence: anecdotal
---
## Challenge
Every town bought its own ploughs.
"""


def populate(app) -> None:
    """An installation used for a while: people, organizations, a network, a draft under
    review, a report, a follow, an archived practice, mail in the outbox."""
    with app.app_context():
        admin = user_create(SYSTEM, "admin@kb.example", "Admin", "correct horse battery",
                            "admin")
        author = user_create(SYSTEM, "author@kb.example", "Author", "correct horse battery")
        membership_add(SYSTEM, RIVERTON, "author@kb.example", "contributor")
        network_create(SYSTEM, "Alpine towns", "alpine-towns", "Towns in the Alps")
        network_add_member(SYSTEM, "alpine-towns", BERGDORF)
        network_set_moderator(SYSTEM, "alpine-towns", "admin@kb.example", True)
        who = identity_for(author)
        practice_draft_create(who, DRAFT, "shared-snow-clearing.md")
        practice_submit(who, "shared-snow-clearing")
        flag_create(who, "hillford-flood-wardens", "The outcome figures look too good.")
        practice_follow(who, "riverton-flood-wardens")
        practice_archive(identity_for(admin), "solby-medborgarbudget", "Ended in 2023")
        user_register(ANONYMOUS, "newcomer@kb.example", "Newcomer", "correct horse battery")


def table_rows(app) -> dict[str, list[tuple]]:
    """Every row of every backed-up table, in key order."""
    with app.app_context():
        with get_db().engine.connect() as connection:
            out = {}
            for table in backed_up_tables():
                order = list(table.primary_key.columns) or list(table.columns)
                out[table.name] = [tuple(row) for row in
                                   connection.execute(select(table).order_by(*order))]
            return out


def derived_rows(app) -> dict[str, list[tuple]]:
    with app.app_context():
        with get_db().engine.connect() as connection:
            return {name: sorted(tuple(r) for r in connection.execute(
                select(Base.metadata.tables[name]))) for name in DERIVED_TABLES}


def count(model) -> int:
    return session().scalar(select(func.count()).select_from(model))


@pytest.fixture
def backup(make_app, tmp_path):
    source = make_app()
    populate(source)
    path = tmp_path / "kb-backup.tar.gz"
    result = source.test_cli_runner().invoke(main, ["backup", str(path)])
    assert result.exit_code == 0, result.output
    return source, path, result


def test_a_backup_restores_into_a_new_installation_row_for_row(backup, make_app):
    source, path, made = backup
    before = table_rows(source)
    assert "rows of" in made.output and path.is_file()
    # what the brief promises is really in it
    for name in ("users", "organizations", "networks", "network_members", "memberships",
                 "practices", "revisions", "change_log", "audit_events", "flags",
                 "follows", "mail_outbox", "notifications"):
        assert before[name], name

    target = make_app(AUTO_INIT=False)
    result = target.test_cli_runner().invoke(main, ["restore", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Restored {sum(map(len, before.values()))} rows" in result.output

    after = table_rows(target)
    assert after.keys() == before.keys()
    for name in before:
        assert after[name] == before[name], name
    # the derived views are rebuilt, not copied: equal to the source's rebuilt from scratch
    with source.app_context():
        read_model_rebuild(SYSTEM)
    assert derived_rows(target) == derived_rows(source)
    # the mail outbox files came along
    sent = sorted(p.name for p in (Path(source.instance_path) / "outbox").glob("*"))
    assert sent
    assert sorted(p.name for p in (Path(target.instance_path) / "outbox").glob("*")) == sent


def test_search_pages_and_sign_in_work_after_a_restore(backup, make_app):
    _source, path, _made = backup
    target = make_app(AUTO_INIT=False)
    assert target.test_cli_runner().invoke(main, ["restore", str(path)]).exit_code == 0
    with target.app_context():
        found = practice_search(ANONYMOUS, "flood wardens")
        slugs = {h.slug for h in found.hits}
        assert "riverton-flood-wardens" in slugs
        assert "netzwerk-intern" not in {h.slug for h in practice_search(ANONYMOUS, "").hits}
        assert "solby-medborgarbudget" not in {h.slug for h in
                                               practice_search(ANONYMOUS, "").hits}
        # new rows take ids after the restored ones
        user = user_create(SYSTEM, "later@kb.example", "Later", "correct horse battery")
        assert user.id > max(u.id for u in session().scalars(select(User))
                             if u.email != "later@kb.example")
    client = target.test_client()
    assert client.get("/practices/riverton-flood-wardens").status_code == 200
    assert client.get("/practices/netzwerk-intern").status_code == 404
    assert client.get("/practices/hillford-flood-wardens").status_code == 200
    # the accounts came along: the admin signs in and sees the network-only practice
    post(client, "/login", {"email": "admin@kb.example", "password": "correct horse battery"})
    assert client.get("/practices/netzwerk-intern").status_code == 200


def test_restore_into_an_installation_with_data_is_refused_and_changes_nothing(backup):
    source, path, _made = backup
    before = table_rows(source)
    result = source.test_cli_runner().invoke(main, ["restore", str(path)])
    assert result.exit_code == 1
    assert "already holds data" in result.output
    assert "new, empty installation" in result.output
    assert table_rows(source) == before


def test_a_damaged_backup_writes_nothing(backup, make_app, tmp_path):
    """The last table's rows are cut short: the whole restore is rolled back."""
    _source, path, _made = backup
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(path, "r:gz") as src, tarfile.open(damaged, "w:gz") as out:
        members = src.getmembers()
        last_table = [m for m in members if m.name.startswith("tables/")
                      and m.size > 0][-1]
        for member in members:
            data = src.extractfile(member).read()
            if member.name == last_table.name:
                data = data.splitlines(keepends=True)[0]
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    target = make_app(AUTO_INIT=False)
    result = target.test_cli_runner().invoke(main, ["restore", str(damaged)])
    assert result.exit_code == 1
    assert "is damaged" in result.output
    rows = table_rows(target)
    assert not any(rows.values()), {k: len(v) for k, v in rows.items() if v}


def test_a_file_that_is_no_backup_is_refused_with_its_name(make_app, tmp_path):
    other = tmp_path / "notes.tar.gz"
    other.write_bytes(gzip.compress(b"not a tar archive"))
    target = make_app(AUTO_INIT=False)
    result = target.test_cli_runner().invoke(main, ["restore", str(other)])
    assert result.exit_code == 1
    assert f"{other} is not a backup of the practice exchange" in result.output


def test_a_backup_from_a_newer_version_is_refused(backup, make_app, tmp_path):
    _source, path, _made = backup
    newer = tmp_path / "newer.tar.gz"
    with tarfile.open(path, "r:gz") as src, tarfile.open(newer, "w:gz") as out:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                manifest["columns"]["users"].append("favourite_colour")
                manifest["product_version"] = "9.0.0"
                data = json.dumps(manifest).encode()
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    target = make_app(AUTO_INIT=False)
    result = target.test_cli_runner().invoke(main, ["restore", str(newer)])
    assert result.exit_code == 1
    assert "made by version 9.0.0" in result.output
    assert "users.favourite_colour" in result.output


def test_the_manifest_says_what_the_backup_holds(backup):
    source, path, _made = backup
    with tarfile.open(path, "r:gz") as archive:
        names = archive.getnames()
        manifest = json.loads(archive.extractfile("manifest.json").read())
    assert names[0] == "manifest.json"
    assert manifest["format"] == "practice-exchange-backup"
    assert manifest["format_version"] == 1
    assert manifest["product_version"]
    assert manifest["created_at"]
    assert len(manifest["schema_fingerprint"]) == 16
    with source.app_context():
        assert manifest["tables"]["practices"] == count(Practice)
        assert manifest["tables"]["audit_events"] == count(AuditEvent)
        assert manifest["tables"]["flags"] == count(Flag) == 1
        assert manifest["tables"]["mail_outbox"] == count(MailOutbox)
        assert manifest["tables"]["notifications"] == count(Notification)
    assert not DERIVED_TABLES & set(manifest["tables"])
    assert all(name.startswith("outbox/") for name in manifest["files"])


def test_only_site_admins_back_up(make_app, tmp_path):
    from kb.services.backup import instance_backup

    app = make_app()
    with app.app_context():
        with pytest.raises(PermissionDenied):
            instance_backup(ANONYMOUS, tmp_path / "b.tar.gz")
    assert not (tmp_path / "b.tar.gz").exists()


def test_kb_export_no_longer_calls_itself_a_backup(make_app):
    app = make_app(AUTO_INIT=False)
    shown = app.test_cli_runner().invoke(main, ["export", "--help"]).output
    assert "full backup" not in shown
    assert "kb backup" in " ".join(shown.split())
