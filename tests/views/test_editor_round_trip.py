"""Saving through the web form loses nothing: every field the form does not show is kept.

A browser's form is emulated from the edit page's HTML (inputs, checked boxes, selected
options, text areas), posted back as it is, and the stored document compared with the file.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.auth_helpers import post

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "practices").glob("*.md"))
FIXTURES = sorted((ROOT / "tests" / "data" / "practices").glob("*.md"))


class FormReader(HTMLParser):
    """What a browser submits for the editor form when nobody touches it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str]] = []
        self.in_form = False
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.option: list | None = None
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "editor" in (a.get("class") or ""):
            self.in_form = True
        if not self.in_form:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("file", "submit"):
            if a.get("type") == "checkbox" and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self.select, self.options = a.get("name"), []
        elif tag == "option" and self.select:
            self.option = [a.get("value"), "selected" in a, ""]
            self.options.append(self.option)
        elif tag == "textarea":
            self.textarea, self.text = a["name"], ""

    def handle_data(self, data):
        if self.textarea:
            self.text += data
        elif self.option is not None:
            self.option[2] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select" and self.select:
            chosen = [o for o in self.options if o[1]] or self.options[:1]
            if chosen:
                value = chosen[0][0] if chosen[0][0] is not None else chosen[0][2]
                self.fields.append((self.select, value))
            self.select = None
        elif tag == "option":
            self.option = None
        elif tag == "textarea" and self.textarea:
            # a browser drops one newline right after <textarea>
            text = self.text[1:] if self.text.startswith("\n") else self.text
            self.fields.append((self.textarea, text.replace("\n", "\r\n")))
            self.textarea = None


def browser_form(html: str) -> dict[str, list[str]]:
    reader = FormReader()
    reader.feed(html)
    out: dict[str, list[str]] = {}
    for name, value in reader.fields:
        out.setdefault(name, []).append(value)
    return out


def stored_document(app, slug: str) -> str:
    from kb.db import session
    from kb.models import Practice

    with app.app_context():
        practice = session().scalar(select(Practice).where(Practice.slug == slug))
        return practice.current_revision.document


def save_through_form(app, client, slug, change=None):
    page = client.get(f"/practices/{slug}/edit")
    assert page.status_code == 200, slug
    data = browser_form(page.get_data(as_text=True))
    data.pop("csrf_token", None)
    if change:
        data.update(change)
    response = post(client, f"/practices/{slug}/edit", {**data, "action": "save"},
                    token_from=f"/practices/{slug}/edit")
    assert response.status_code == 302, (slug, response.get_data(as_text=True)[:3000])


@pytest.fixture
def admin_client(make_app, request):
    from kb.services.accounts import user_create
    from kb.services.identity import SYSTEM
    from kb.services.organizations import network_create

    app = make_app(SEED_DIR=str(request.param))
    with app.app_context():
        user_create(SYSTEM, "admin@kb.example", "Ada Admin", "correct horse battery", "admin")
        network_create(SYSTEM, "Alpine towns", "alpine-towns")  # named by a fixture
    client = app.test_client()
    post(client, "/login", {"email": "admin@kb.example", "password": "correct horse battery"})
    return app, client


@pytest.mark.parametrize("admin_client", [ROOT / "practices"], indirect=True)
def test_every_bundled_practice_saved_unchanged_is_byte_identical(admin_client):
    app, client = admin_client
    assert len(BUNDLED) >= 40
    changed = []
    for path in BUNDLED:
        slug = path.stem
        save_through_form(app, client, slug)
        if stored_document(app, slug) != path.read_text(encoding="utf-8"):
            changed.append(slug)
    assert changed == []


@pytest.mark.parametrize("admin_client", [ROOT / "tests" / "data" / "practices"],
                         indirect=True)
def test_every_fixture_saved_unchanged_is_byte_identical(admin_client):
    app, client = admin_client
    for path in FIXTURES:
        save_through_form(app, client, path.stem)
        assert stored_document(app, path.stem) == path.read_text(encoding="utf-8"), path.name


@pytest.mark.parametrize("admin_client", [ROOT / "tests" / "data" / "practices"],
                         indirect=True)
def test_changing_one_field_changes_only_that_field(admin_client):
    app, client = admin_client
    slug = "lakeside-flood-wardens"
    original = (ROOT / "tests" / "data" / "practices" / f"{slug}.md").read_text(encoding="utf-8")
    save_through_form(app, client, slug, {"summary": "Lake-level warnings by wardens."})
    stored = stored_document(app, slug)
    before, after = original.split("\n"), stored.split("\n")
    assert len(before) == len(after)
    differing = [(a, b) for a, b in zip(before, after) if a != b]
    assert differing == [(
        "summary: Lakeside adapted Riverton's volunteer wardens to lake-level warnings.",
        "summary: Lake-level warnings by wardens.")]


EVERYTHING = """---
title: Flood wardens on the river
summary: Volunteers warn their neighbours door to door.
language: en
organization: Riverton (fictional example town)
country: GB
themes: [flood-preparedness]
stage: pilot
evidence: anecdotal
outcomes:
  - indicator: Households warned
    unit: '%'
    result: 70
    matches: Households warned before flooding
    measured_by: volunteers
contact: {name: Rita River, email: rita@example.org, url: 'https://example.org/rita', phone: +44 1234 567}
funding: {programme: Interreg, grant: 12000}
# a comment the author keeps
translations:
  fi: {title: Tulvavahdit joella, summary: Vapaaehtoiset varoittavat naapureitaan., checked_by: Liisa}
---
## Challenge

Rain.
"""


@pytest.mark.parametrize("admin_client", [ROOT / "tests" / "data" / "practices"],
                         indirect=True)
def test_fields_the_form_does_not_show_survive_an_edit(admin_client):
    """matches on outcome rows, contact url and phone, unknown keys: kept through a change."""
    import io

    import yaml

    app, client = admin_client
    created = post(client, "/practices/new", {
        "action": "save", "organization": "Riverton (fictional example town)",
        "document": (io.BytesIO(EVERYTHING.encode()), "flood-wardens-on-the-river.md")})
    assert created.status_code == 302
    slug = "flood-wardens-on-the-river"
    save_through_form(app, client, slug)
    assert stored_document(app, slug) == EVERYTHING
    save_through_form(app, client, slug, {"title": "Wardens on the river",
                                          "outcome-0-result": "75"})
    stored = stored_document(app, slug)
    assert "# a comment the author keeps" in stored
    meta, original = (yaml.safe_load(t.split("---\n")[1]) for t in (stored, EVERYTHING))
    assert meta.pop("title") == "Wardens on the river"
    assert meta["outcomes"][0].pop("result") == 75
    original.pop("title"), original["outcomes"][0].pop("result")
    assert meta == original
