"""A contributor adds, keeps and removes translations of the title and summary in the form."""

from __future__ import annotations

import re

from sqlalchemy import select

from kb.db import session
from kb.models import Practice
from tests.auth_helpers import post
from tests.views.test_editor import FORM, _hidden, signed_in

SLUG = "rain-gardens-on-school-yards"
FI = {"translation-0-language": "fi",
      "translation-0-title": "Sadepuutarhat koulujen pihoilla",
      "translation-0-summary": "Oppilaat rakentavat sadepuutarhoja, jotka pitävät kattovedet "
                               "poissa viemäreistä."}


def _current_document(app) -> str:
    with app.app_context():
        practice = session().scalar(select(Practice).where(Practice.slug == SLUG))
        return practice.current_revision.document


def test_a_translation_is_saved_into_the_document_and_shown_again(app, make_user):
    client = signed_in(app, make_user)
    saved = post(client, "/practices/new", {**FORM, **FI})
    assert saved.status_code == 302
    document = _current_document(app)
    assert "translations:\n  fi:\n    title: Sadepuutarhat koulujen pihoilla\n" in document
    edit = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert re.search(r'<select id="f-translation-0-language" name="translation-0-language"'
                     r'[^>]*>.*?<option value="fi" selected>', edit, re.S)
    assert 'value="Sadepuutarhat koulujen pihoilla"' in edit
    assert 'id="f-translation-1-language"' not in edit  # no empty row until asked for
    # saving the form unchanged keeps the translation as it was
    data = {**FORM, **FI, "base_revision_id": _hidden(edit, "base_revision_id"),
            "base_hash": _hidden(edit, "base_hash"), "slug": SLUG}
    assert post(client, f"/practices/{SLUG}/edit", data).status_code == 302
    assert _current_document(app) == document


def test_removing_a_translation(app, make_user):
    client = signed_in(app, make_user)
    saved = post(client, "/practices/new", {**FORM, **FI})
    edit = client.get(saved.headers["Location"]).get_data(as_text=True)
    data = {**FORM, **FI, "translation-0-remove": "1", "slug": SLUG,
            "base_revision_id": _hidden(edit, "base_revision_id"),
            "base_hash": _hidden(edit, "base_hash")}
    assert post(client, f"/practices/{SLUG}/edit", data).status_code == 302
    assert "translations" not in _current_document(app)


def test_translation_errors_appear_next_to_their_row(app, make_user):
    client = signed_in(app, make_user)
    bad = {**FORM, **FI, "translation-0-summary": "",
           "translation-1-language": "en", "translation-1-title": "Same language",
           "translation-1-summary": "The document itself is in English."}
    saved = post(client, "/practices/new", bad)
    assert saved.status_code == 302  # a draft keeps whatever is written; submit checks it
    edit = client.get(saved.headers["Location"]).get_data(as_text=True)
    response = post(client, saved.headers["Location"], {
        **bad, "action": "submit", "slug": SLUG,
        "base_revision_id": _hidden(edit, "base_revision_id"),
        "base_hash": _hidden(edit, "base_hash")})
    html = response.get_data(as_text=True)
    assert ('<p class="error" id="f-translation-0-summary-error">'
            'Translation 1: Summary: this is still missing.</p>') in html
    assert 'id="f-translation-1-language-error"' in html and "another language" in html
    assert 'value="Sadepuutarhat koulujen pihoilla"' in html  # nothing typed is lost


def test_two_rows_in_one_language_are_refused(app, make_user):
    client = signed_in(app, make_user)
    twice = {**FORM, **FI, "translation-1-language": "fi", "translation-1-title": "Toinen",
             "translation-1-summary": "Toinen tiivistelmä."}
    response = post(client, "/practices/new", twice)
    assert response.status_code == 400
    assert 'id="f-translation-1-language-error"' in response.get_data(as_text=True)


def test_add_a_translation_row(app, make_user):
    client = signed_in(app, make_user)
    response = post(client, "/practices/new", {**FORM, **FI, "action": "add_translation"})
    assert response.status_code == 200  # not saved yet
    html = response.get_data(as_text=True)
    assert 'value="Sadepuutarhat koulujen pihoilla"' in html
    assert 'id="f-translation-1-title"' in html and 'id="f-translation-2-title"' not in html


def test_a_new_form_has_no_translation_rows_until_one_is_added(app, make_user):
    client = signed_in(app, make_user)
    html = client.get("/practices/new").get_data(as_text=True)
    assert 'value="add_translation"' in html and 'id="f-translation-0-title"' not in html
    html = post(client, "/practices/new", {**FORM, "action": "add_translation"}
                ).get_data(as_text=True)
    assert 'id="f-translation-0-language"' in html and 'id="f-translation-1-language"' not in html


def test_changing_a_translation_in_a_saved_draft_updates_its_rows(app, make_user):
    client = signed_in(app, make_user)
    saved = post(client, "/practices/new", {**FORM, **FI})
    edit = client.get(saved.headers["Location"]).get_data(as_text=True)
    data = {**FORM, **FI, "translation-0-title": "Sadepuutarhat kaikille koulupihoille",
            "translation-1-language": "sv", "translation-1-title": "Regnträdgårdar",
            "translation-1-summary": "Elever bygger regnträdgårdar.", "slug": SLUG,
            "base_revision_id": _hidden(edit, "base_revision_id"),
            "base_hash": _hidden(edit, "base_hash")}
    assert post(client, f"/practices/{SLUG}/edit", data).status_code == 302
    with app.app_context():
        revision = session().scalar(select(Practice).where(Practice.slug == SLUG)
                                    ).current_revision
        assert revision.translations == {
            "fi": {"title": "Sadepuutarhat kaikille koulupihoille",
                   "summary": FI["translation-0-summary"]},
            "sv": {"title": "Regnträdgårdar", "summary": "Elever bygger regnträdgårdar."}}
