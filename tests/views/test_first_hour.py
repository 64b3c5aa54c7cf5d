"""What a new user sees on the pages in the first hour: truthful lineage and review dates."""

from __future__ import annotations

import shutil

from click.testing import CliRunner

from kb.cli import main
from tests.conftest import FIXTURE_PRACTICES


def _orphan_folder(tmp_path):
    """The fixtures plus an adaptation of a practice that no knowledge base here holds."""
    folder = tmp_path / "seeds"
    shutil.copytree(FIXTURE_PRACTICES, folder)
    text = (folder / "lakeside-flood-wardens.md").read_text()
    (folder / "lakeside-flood-wardens.md").write_text(
        text.replace("adapted_from: riverton-flood-wardens", "adapted_from: atlantis-wardens"))
    return folder


def test_an_adaptation_of_an_unknown_original_is_flagged_at_check(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no knowledge base here: only the documents given count
    folder = _orphan_folder(tmp_path)
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert result.exit_code == 0, result.output  # a warning, not an error
    assert f"{folder}/lakeside-flood-wardens.md:13: warning: adapted_from: 'atlantis-wardens' " \
           "is not in this knowledge base" in result.output
    assert not (tmp_path / "instance").exists()


def test_an_adaptation_of_an_unknown_original_is_flagged_at_import(make_app, tmp_path):
    folder = _orphan_folder(tmp_path)
    app = make_app(AUTO_INIT=False)
    result = app.test_cli_runner().invoke(main, ["import", str(folder)])
    assert result.exit_code == 0, result.output
    assert "lakeside-flood-wardens.md:13: warning: adapted_from: 'atlantis-wardens' is not " \
           "in this knowledge base" in result.output
    # an original imported in the same folder (even after its adaptation) is no warning
    assert result.output.count("warning: adapted_from") == 1


def test_the_page_says_the_original_is_not_in_this_knowledge_base(make_app, tmp_path):
    client = make_app(SEED_DIR=str(_orphan_folder(tmp_path))).test_client()
    html = client.get("/practices/lakeside-flood-wardens").get_data(as_text=True)
    assert "Adapted from atlantis-wardens: the original is not in this knowledge base." in html
    assert "no longer published" not in html


def test_an_archived_original_is_still_called_no_longer_published(make_app):
    from kb.services.editorial import practice_archive
    from kb.services.identity import SYSTEM

    app = make_app()
    with app.app_context():
        practice_archive(SYSTEM, "riverton-flood-wardens", "outdated")
    html = app.test_client().get("/practices/lakeside-flood-wardens").get_data(as_text=True)
    assert "Adapted from a practice that is no longer published (riverton-flood-wardens)." \
        in html


def test_an_imported_practice_is_not_shown_as_reviewed(client):
    html = client.get("/practices/riverton-flood-wardens").get_data(as_text=True)
    assert "Last reviewed</dt><dd>Not yet (imported on " in html
    api = client.get("/api/v1/practices/riverton-flood-wardens").get_json()
    assert api["last_reviewed_at"] is None


def test_search_snippets_are_a_sentence_not_glued_fields(client):
    hits = {h["slug"]: h["snippet"] for h in
            client.get("/api/v1/search?q=flood").get_json()["hits"]}
    # the body's sentence around the match, without the next heading ("Solution") glued on
    assert hits["riverton-flood-wardens"] == \
        "Its river <mark>floods</mark> the low streets every few winters."
    # an adaptation note is shown alone, not run together with the other notes
    assert hits["hillford-flood-wardens"] == "flash-<mark>flood</mark> sirens"
    html = client.get("/search?q=flood").get_data(as_text=True)
    assert "winters. Solution" not in html


def test_every_organization_link_on_a_network_page_opens(app, client):
    import re

    from kb.services.identity import SYSTEM
    from kb.services.organizations import network_add_member, network_create, org_create

    with app.app_context():
        network_create(SYSTEM, "River towns", "river-towns")
        org_create(SYSTEM, "Empty Town", "city", "FI", None, None)
        for org in ("riverton-fictional-example-town", "bergdorf-fiktive-beispielgemeinde",
                    "empty-town"):
            network_add_member(SYSTEM, "river-towns", org)
    html = client.get("/networks/river-towns").get_data(as_text=True)
    links = re.findall(r'href="(/organizations/[^"?]+)"', html)
    assert "/organizations/riverton-fictional-example-town" in links
    for link in links:
        assert client.get(link).status_code == 200, link
    # members without a practice the visitor may see are named, not linked
    assert "Empty Town" in html and "/organizations/empty-town" not in links
    assert "/organizations/bergdorf-fiktive-beispielgemeinde" not in links
