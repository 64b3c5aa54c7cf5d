"""The `kb` command: init, import, check, export, search, reindex."""

from __future__ import annotations

import shutil

from click.testing import CliRunner
from sqlalchemy import func, select

from kb.cli import main
from kb.db import session
from kb.models import ChangeLog, MailOutbox, Practice, Revision, utcnow
from tests.conftest import BROKEN_PRACTICES, FIXTURE_PRACTICES


def count(model):
    return session().scalar(select(func.count()).select_from(model))


def test_init_is_safe_to_run_twice(make_app):
    app = make_app(AUTO_INIT=False)
    runner = app.test_cli_runner()
    first = runner.invoke(main, ["init"])
    assert first.exit_code == 0, first.output
    assert "6 created, 0 updated, 0 unchanged, 0 failed" in first.output
    second = runner.invoke(main, ["init"])
    assert second.exit_code == 0
    assert "0 created, 0 updated, 6 unchanged, 0 failed" in second.output
    with app.app_context():
        assert count(Practice) == 6
        assert count(Revision) == 6
        assert count(ChangeLog) == 6


def test_import_reports_each_broken_file_and_imports_the_good_ones(make_app):
    app = make_app(AUTO_INIT=False)
    result = app.test_cli_runner().invoke(main, ["import", str(BROKEN_PRACTICES)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    path = str(BROKEN_PRACTICES)
    assert f"{path}/bad-fields.md:3: language: 'english' is not an ISO 639-1 language code " \
           "(two lower-case letters such as en, fi, sv, de)" in lines
    assert any(l.startswith(f"{path}/bad-fields.md:4: country: ") for l in lines)
    assert any(l.startswith(f"{path}/bad-fields.md:5: themes[0]: 'flying-cars'") for l in lines)
    assert any(l.startswith(f"{path}/bad-fields.md:11: outcomes[0].result: must be a number")
               for l in lines)
    assert any(l.startswith(f"{path}/bad-fields.md:1: summary: is required") for l in lines)
    assert any(l.startswith(f"{path}/bad-yaml.md:") and "YAML syntax error" in l for l in lines)
    assert f"{path}/bom.md:1: document: the file starts with a byte order mark (BOM); " \
           "save it as UTF-8 without BOM" in lines
    assert any(l.startswith(f"{path}/no-frontmatter.md:1: frontmatter: ") for l in lines)
    assert "1 created, 0 updated, 0 unchanged, 4 failed" in result.output
    with app.app_context():
        assert session().scalars(select(Practice.slug)).all() == ["good-one"]


def test_import_is_idempotent_and_edits_make_one_new_revision(make_app, tmp_path):
    app = make_app(AUTO_INIT=False)
    folder = tmp_path / "kb"
    shutil.copytree(FIXTURE_PRACTICES, folder)
    runner = app.test_cli_runner()
    assert runner.invoke(main, ["import", str(folder)]).exit_code == 0
    again = runner.invoke(main, ["import", str(folder)])
    assert "0 created, 0 updated, 6 unchanged" in again.output
    target = folder / "riverton-flood-wardens.md"
    target.write_text(target.read_text().replace("knock on doors", "knock on every door"))
    edited = runner.invoke(main, ["import", str(folder)])
    assert "0 created, 1 updated, 5 unchanged" in edited.output
    with app.app_context():
        practice = session().scalar(select(Practice).where(
            Practice.slug == "riverton-flood-wardens"))
        assert [r.number for r in practice.revisions] == [1, 2]
        assert "every door" in practice.published_revision.document
        actions = session().scalars(select(ChangeLog.action).where(
            ChangeLog.practice_id == practice.id).order_by(ChangeLog.id)).all()
        assert actions == ["publish", "update"]


def test_export_then_import_into_a_fresh_instance_is_byte_identical(make_app, tmp_path):
    source = make_app()
    public_only = tmp_path / "public"
    source.test_cli_runner().invoke(main, ["export", str(public_only)])
    assert not (public_only / "netzwerk-intern.md").exists()
    assert len(list(public_only.glob("*.md"))) == 5
    out = tmp_path / "export"
    result = source.test_cli_runner().invoke(main, ["export", "--include-network", str(out)])
    assert result.exit_code == 0, result.output
    exported = sorted(p.name for p in out.glob("*.md"))
    assert exported == sorted(p.name for p in FIXTURE_PRACTICES.glob("*.md"))
    for path in out.glob("*.md"):
        assert path.read_bytes() == (FIXTURE_PRACTICES / path.name).read_bytes()
    fresh = make_app(AUTO_INIT=False)
    assert fresh.test_cli_runner().invoke(main, ["import", str(out)]).exit_code == 0
    out2 = tmp_path / "export2"
    fresh.test_cli_runner().invoke(main, ["export", "--include-network", str(out2)])
    for path in out.glob("*.md"):
        assert (out2 / path.name).read_bytes() == path.read_bytes()


def test_check_validates_without_importing(make_app):
    app = make_app(AUTO_INIT=False)
    result = CliRunner().invoke(main, ["check", str(BROKEN_PRACTICES)])
    assert result.exit_code == 1
    assert "1 valid, 4 invalid" in result.output
    ok = CliRunner().invoke(main, ["check", str(FIXTURE_PRACTICES)])
    assert ok.exit_code == 0, ok.output
    with app.app_context():
        from kb.bootstrap import database_ready
        assert not database_ready()


def test_check_and_import_warn_about_an_unsupported_evidence_claim(runner, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    text = (FIXTURE_PRACTICES / "riverton-flood-wardens.md").read_text(encoding="utf-8")
    (folder / "riverton-claims-more.md").write_text(
        text.replace("evidence: monitored", "evidence: evaluated"), encoding="utf-8")
    checked = CliRunner().invoke(main, ["check", str(folder)])
    assert checked.exit_code == 0, checked.output           # a warning, not an error
    assert "evidence" in checked.output and "shown as anecdotal" in checked.output
    imported = runner.invoke(main, ["import", str(folder)])
    assert imported.exit_code == 0, imported.output
    assert "shown as anecdotal" in imported.output


def test_bundled_practices_are_all_valid():
    from kb.config import REPO_ROOT

    result = CliRunner().invoke(main, ["check", str(REPO_ROOT / "practices")])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output, result.output


def test_search_prints_a_table(runner):
    result = runner.invoke(main, ["search", "flood", "--country", "GB"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "1 practice"
    assert "riverton-flood-wardens" in result.output
    assert "lakeside" not in result.output


def test_reindex_rebuilds_and_search_still_answers(runner):
    result = runner.invoke(main, ["reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 6 practices" in result.output
    assert "riverton-flood-wardens" in runner.invoke(main, ["search", "wardens"]).output


def test_vectors_move_between_nodes_through_a_file(make_app, tmp_path):
    from kb.services.search import FOLDER_VECTORS
    from tests.conftest import BUNDLED_PRACTICES

    # the vectors shipped with the bundled practices, read into a node's (empty) cache
    runner = make_app().test_cli_runner()
    shipped = BUNDLED_PRACTICES / FOLDER_VECTORS
    result = runner.invoke(main, ["vectors", "import", str(shipped)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("44 new vectors added")
    assert runner.invoke(main, ["vectors", "import", str(shipped)]).output.startswith("0 new")
    result = runner.invoke(main, ["vectors", "export", str(tmp_path / "out.npz")])
    assert result.exit_code == 0 and result.output.startswith("44 vectors written"), \
        result.output
    (tmp_path / "bad.npz").write_text("hello")
    result = runner.invoke(main, ["vectors", "import", str(tmp_path / "bad.npz")])
    assert result.exit_code == 1 and "bad.npz: not a vectors file" in result.output


def test_round_trip_keeps_an_archived_practice_archived(make_app, tmp_path):
    from kb.services.editorial import practice_archive
    from kb.services.identity import SYSTEM

    app = make_app()
    runner = app.test_cli_runner()
    folder = tmp_path / "kb"
    assert runner.invoke(main, ["export", str(folder)]).exit_code == 0
    slug = "riverton-flood-wardens"
    older = (folder / f"{slug}.md").read_text()
    with app.test_request_context():
        practice_archive(SYSTEM, slug, "replaced by a regional scheme")
    exported = runner.invoke(main, ["export", str(folder)])
    assert "4 practices in" in exported.output and "(0 written, 1 removed)" in exported.output
    assert not (folder / f"{slug}.md").exists()
    back = runner.invoke(main, ["import", str(folder)])
    assert back.exit_code == 0, back.output
    assert "0 created, 0 updated, 4 unchanged, 0 failed, 0 refused" in back.output
    # a copy from before the archive, edited meanwhile, does not bring it back
    (folder / f"{slug}.md").write_text(older.replace("knock on doors", "knock on every door"))
    refused = runner.invoke(main, ["import", str(folder)])
    assert refused.exit_code == 1
    assert f"{folder}/{slug}.md:1: slug: '{slug}' is archived; a moderator restores it in the " \
           "portal (the file was not imported)" in refused.output.splitlines()
    assert "0 created, 0 updated, 4 unchanged, 0 failed, 1 refused" in refused.output
    with app.app_context():
        practice = session().scalar(select(Practice).where(Practice.slug == slug))
        assert practice.status == "archived"
        assert "every door" not in practice.published_revision.document


def test_round_trip_never_makes_a_network_only_practice_public(make_app, tmp_path):
    from kb.services.identity import ANONYMOUS, SYSTEM
    from kb.services.practices import practice_import
    from kb.services.search import practice_search

    app = make_app()
    runner = app.test_cli_runner()
    folder = tmp_path / "kb"
    runner.invoke(main, ["export", str(folder)])
    slug = "riverton-flood-wardens"
    public = (folder / f"{slug}.md").read_text()
    with app.app_context():  # shared with one network only from now on
        practice_import(SYSTEM, public.replace(
            "license:", "visibility: network\nnetworks: [rivers]\nlicense:", 1), f"{slug}.md")
    assert "(0 written, 1 removed)" in runner.invoke(main, ["export", str(folder)]).output
    assert not (folder / f"{slug}.md").exists()
    # an old public copy, and a network-only practice edited to public, are both refused
    (folder / f"{slug}.md").write_text(public)
    backup = tmp_path / "backup"
    runner.invoke(main, ["export", "--include-network", str(backup)])
    opened = (backup / "netzwerk-intern.md").read_text().replace("visibility: network",
                                                                 "visibility: public")
    (folder / "netzwerk-intern.md").write_text(opened)
    result = runner.invoke(main, ["import", str(folder)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith(f"{folder}/netzwerk-intern.md:11: visibility: 'netzwerk-intern' "
                               "is shared with networks only; making it public needs a "
                               "moderator") for line in lines)
    assert any(line.startswith(f"{folder}/{slug}.md:1: visibility: '{slug}' is shared with "
                               "networks only") for line in lines)
    assert "2 refused" in result.output
    with app.app_context():
        assert session().scalars(select(Practice.visibility).where(
            Practice.slug.in_([slug, "netzwerk-intern"]))).all() == ["network", "network"]
        found = practice_search(ANONYMOUS, "zebrafink").total
        assert found == 0
def test_init_refuses_a_seed_folder_that_does_not_exist(make_app, tmp_path):
    app = make_app(AUTO_INIT=False, SEED_DIR=str(tmp_path / "nope"))
    result = app.test_cli_runner().invoke(main, ["init"])
    assert result.exit_code != 0
    assert "Ready" not in result.output
    assert f"KB_SEED_DIR='{tmp_path / 'nope'}': expected a folder of practice documents " \
           "(*.md), but it does not exist" in result.output


def test_import_of_a_folder_without_documents_is_an_error(make_app, tmp_path):
    app = make_app(AUTO_INIT=False)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("not a practice")
    result = app.test_cli_runner().invoke(main, ["import", str(tmp_path / "notes")])
    assert result.exit_code == 1
    assert "holds no practice documents (*.md files)" in result.output


def test_search_refuses_filter_values_that_import_refuses(runner):
    theme = runner.invoke(main, ["search", "--theme", "flying-cars"])
    assert theme.exit_code == 2
    assert "'flying-cars' is not a theme" in theme.output
    country = runner.invoke(main, ["search", "--country", "fi"])
    assert country.exit_code == 2
    assert "(write it in capitals: FI)" in country.output
    assert runner.invoke(main, ["search", "--country", "FI"]).exit_code == 0


def test_search_prints_whole_slugs_and_no_page_beyond_the_last(runner):
    table = runner.invoke(main, ["search", "wardens", "--country", "GB"])
    assert table.output.splitlines()[0] == "1 practice"
    assert "page" not in table.output.splitlines()[0]
    beyond = runner.invoke(main, ["search", "wardens", "--country", "GB", "--page", "99"])
    assert beyond.exit_code == 1
    assert "there is no page 99: 1 practice fill 1 page" in beyond.output
    long_slug = runner.invoke(main, ["search", "--format", "json"])
    import json

    slugs = [row["slug"] for row in json.loads(long_slug.output)["results"]]
    text = runner.invoke(main, ["search"]).output
    for slug in slugs:
        assert f"\n{slug} " in text or f"\n{slug}\n" in text, slug


def test_search_writes_csv_for_scripts(runner):
    import csv
    import io

    result = runner.invoke(main, ["search", "wardens", "--country", "GB", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["slug"] for r in rows] == ["riverton-flood-wardens"]
    assert rows[0]["country"] == "GB"


def test_commands_that_read_say_to_run_init_first(make_app):
    app = make_app(AUTO_INIT=False)
    result = app.test_cli_runner().invoke(main, ["search", "flood"])
    assert result.exit_code == 1
    assert "run `kb init` first" in result.output


def test_serve_says_address_in_use_before_claiming_to_serve(runner):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(main, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"address in use: another program already serves http://127.0.0.1:{port}/" \
        in result.output
    assert "Serving" not in result.output


def test_first_start_reports_each_imported_file_and_logs_it(make_app, caplog):
    from kb.bootstrap import ensure_ready

    app = make_app(AUTO_INIT=False)
    totals, steps = [], []
    with app.app_context(), caplog.at_level("INFO", logger="kb.bootstrap"):
        ensure_ready(on_total=totals.append, on_file=lambda: steps.append(1))
        assert count(Practice) == 6
    assert totals == [6] and len(steps) == 6
    assert f"first start: importing 6 practices from {FIXTURE_PRACTICES}" in caplog.text


def test_status_tells_what_is_missing_and_what_is_pending(make_app):
    app = make_app(AUTO_INIT=False)
    runner = app.test_cli_runner()
    empty = runner.invoke(main, ["status"])
    assert empty.exit_code == 1
    assert "no tables yet: run `kb init`" in empty.output
    assert runner.invoke(main, ["init"]).exit_code == 0
    with app.app_context():
        # a change another node committed, not yet applied to this node's index
        session().add(ChangeLog(practice_id=1, slug="riverton-flood-wardens", action="update"))
        # a message waiting for its next attempt, and one whose attempts ran out
        session().add_all([
            MailOutbox(recipient="a@city.example", subject="hi", body="hi", headers={},
                       attempts=1, next_attempt_at=utcnow()),
            MailOutbox(recipient="b@city.example", subject="hi", body="hi", headers={},
                       attempts=5, next_attempt_at=None, last_error="refused")])
        session().commit()
    result = runner.invoke(main, ["status"])
    assert result.exit_code == 1, result.output  # a failed message needs the operator
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    assert "schema up to date" in " ".join(lines)
    assert "practices 6 published" in lines
    assert "index documents 6" in lines
    assert "index applied change 6 of 7" in lines
    assert any(l.startswith("pending changes 1 ") for l in lines)
    assert "mail waiting 1" in lines
    assert any(l.startswith("! mail failed 1 (see `kb mail list --failed`") for l in lines)
    assert any(l.startswith("analyzers stemming and accent folding for en (english), "
                            "fi (finnish)") for l in lines)
    assert any(l.startswith("decompounding fi: ") and "sv: wordfreq" in l for l in lines)
    assert any(l.startswith("glossary ") and "concepts" in l for l in lines)


def test_status_is_for_operators_only(ctx):
    import pytest

    from kb.services.errors import PermissionDenied
    from kb.services.identity import ANONYMOUS
    from kb.services.status import status_get

    with pytest.raises(PermissionDenied):
        status_get(ANONYMOUS)


def test_lists_of_organizations_networks_and_users(runner):
    assert runner.invoke(main, ["network", "create", "river-towns", "River towns"]).exit_code == 0
    assert runner.invoke(main, ["network", "add-member", "river-towns",
                                "riverton-fictional-example-town"]).exit_code == 0
    assert runner.invoke(main, ["user", "create", "ann@example.org", "--name", "Ann",
                                "--password", "correct horse battery"]).exit_code == 0
    orgs = runner.invoke(main, ["org", "list"]).output
    assert any(l.split()[:1] == ["riverton-fictional-example-town"] and l.rstrip().endswith("GB")
               for l in orgs.splitlines())
    networks = runner.invoke(main, ["network", "list"]).output
    assert any(l.split()[0] == "river-towns" and
               l.rstrip().endswith("riverton-fictional-example-town")
               for l in networks.splitlines())
    users = runner.invoke(main, ["user", "list"]).output
    assert any(l.split()[:3] == ["ann@example.org", "Ann", "none"] for l in users.splitlines())


def test_archive_takes_a_practice_out_of_search_and_restore_puts_it_back(runner):
    result = runner.invoke(main, ["practice", "archive", "riverton-flood-wardens",
                                  "--comment", "outdated"])
    assert result.exit_code == 0, result.output
    assert "riverton-flood-wardens" not in runner.invoke(main, ["search", "wardens"]).output
    missing = runner.invoke(main, ["practice", "archive", "no-such-practice"])
    assert missing.exit_code == 1
    assert runner.invoke(main, ["practice", "restore", "riverton-flood-wardens"]).exit_code == 0
    assert "riverton-flood-wardens" in runner.invoke(main, ["search", "wardens"]).output
