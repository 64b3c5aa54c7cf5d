"""Every page type in Finnish and Swedish: no English left in the interface.

The pages are those the browser checks open (tests/e2e/pages.py), signed in as a site
admin where a page needs it, plus the editor after a refused submission. What a page
shows in its interface is read outside the elements marked with another language
(practice text, names, a contributor's words stay in their own language and carry their
`lang`). The check fails on

- a string that has a translation in the catalogue but was shown in English, and
- the English this portal once showed untranslated (KNOWN_ENGLISH): validator wording,
  codes shown as words, ISO months on charts.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po

from kb.config import REPO_ROOT
from tests.auth_helpers import post
from tests.e2e.pages import ADMIN, PASSWORD, prepare_pages

# English this portal has shown to Finnish and Swedish readers (each a regular expression)
KNOWN_ENGLISH = [
    r"\bis required\b", r"\bclaims '", r"\bafter the frontmatter\b", r"\bslug\b",
    r"\bunknown (?:field|key)", r"\bkept as is\b", r"\bwas (?:approved|declined|rejected)\b",
    r"\bis not an? \w+",
    # an English text in the editor, not marked as such
    r"^## Challenge\b", r"^(?:Challenge|Solution|Results)$",
    r"^(?:re-)?imported$",  # the comment an import writes on a revision
]
# codes shown as if they were words (the audit log shows what it recorded, codes included,
# so that an admin can filter by them)
CODES = [
    r"^(?:contributor|admin|city|municipality|region|agency|association)$",
    r"^(?:title|summary|evidence|themes|outcomes|language|country|stage)$",
    r"^\d{4}-\d{2}$",  # a month on a chart, as ISO writes it
]
RECORDED = {"audit"}
ATTRIBUTES = ("aria-label", "placeholder", "title", "alt", "data-text", "data-chosen",
              "data-autosave-saved", "data-table-label")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class InterfaceText(HTMLParser):
    """The text (and labelling attributes) of a page outside other-language elements."""

    def __init__(self, language: str):
        super().__init__()
        self.language = language
        self.stack: list[tuple[str, str | None]] = []
        self.skip = 0
        self.texts: list[str] = []

    def _language(self) -> str:
        return next((lang for _tag, lang in reversed(self.stack) if lang), self.language)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self.skip += 1
        if (attrs.get("lang") or self._language()) == self.language:
            self.texts += [attrs[a] for a in ATTRIBUTES if attrs.get(a)]
        if tag not in VOID:
            self.stack.append((tag, attrs.get("lang")))

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1
        if tag in VOID:
            return
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self.skip and self._language() == self.language:
            self.texts.append(text)


def interface_text(html: str, language: str) -> list[str]:
    parser = InterfaceText(language)
    parser.feed(html)
    return parser.texts


def translated_msgids(language: str) -> set[str]:
    """English interface strings that the catalogue translates (whole strings, without
    placeholders, long enough not to be a name)."""
    path = REPO_ROOT / "kb" / "translations" / language / "LC_MESSAGES" / "messages.po"
    with open(path, "rb") as f:
        catalog = read_po(f)
    return {m.id for m in catalog if isinstance(m.id, str) and m.string and m.string != m.id
            and "%" not in m.id and len(m.id) > 3 and " " in m.id}


@pytest.fixture(scope="module")
def portal(tmp_path_factory, instance_templates):
    from kb import create_app
    from tests.conftest import FIXTURE_PRACTICES

    settings = {"TESTING": True, "SECRET_KEY": "test", "AUTO_INIT": True,
                "INSTANCE_PATH": str(tmp_path_factory.mktemp("every-page") / "instance"),
                "SEED_DIR": str(FIXTURE_PRACTICES)}
    instance_templates.prepare(settings)
    app = create_app(settings)
    pages = prepare_pages(app)
    yield app, pages
    app.extensions["kb.search"].close()
    app.extensions["kb.db"].dispose()


def _rendered(app, pages, language):
    signed_in, anonymous = app.test_client(), app.test_client()
    assert post(signed_in, "/login", {"email": ADMIN, "password": PASSWORD}).status_code == 302
    for client in (signed_in, anonymous):
        client.set_cookie("lang", language)
    for label, path, needs_sign_in in pages:
        client = signed_in if needs_sign_in else anonymous
        if path.endswith("#submit"):  # the editor after a refused submission
            path = path[:-len("#submit")]
            form = client.get(path).get_data(as_text=True)
            hidden = dict(re.findall(r'name="(base_revision_id|base_hash|slug)" value="([^"]*)"',
                                     form))
            response = post(client, path, {**hidden, "title": "A half-written draft",
                                           "organization": "Riverton (fictional example town)",
                                           "action": "submit"})
        else:
            response = client.get(path)
        assert response.status_code in (200, 404), (label, response.status_code)
        yield label, response.get_data(as_text=True)


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_no_page_type_shows_english_in_finnish_or_swedish(portal, language):
    app, pages = portal
    msgids = translated_msgids(language)
    found = {}
    for label, html in _rendered(app, pages, language):
        assert f'<html lang="{language}"' in html, label
        for text in interface_text(html, language):
            patterns = KNOWN_ENGLISH + ([] if label in RECORDED else CODES)
            bad = [p for p in patterns if re.search(p, text)]
            if text in msgids or bad:
                found.setdefault(label, []).append(text)
    assert not found, "\n".join(f"{label}: {texts}" for label, texts in found.items())


# ---------------------------------------------------- what the sweep above found


def test_the_invitation_e_mail_names_the_role_in_the_senders_language(app, make_user):
    from kb.mail import read_outbox

    make_user("boss@riverton.example", orgs={"riverton-fictional-example-town": "admin"})
    boss = app.test_client()
    post(boss, "/login", {"email": "boss@riverton.example", "password": PASSWORD})
    boss.set_cookie("lang", "fi")
    post(boss, "/organizations/riverton-fictional-example-town/people",
         {"action": "invite", "email": "ana@city.example", "role": "contributor"})
    with app.app_context():
        body = read_outbox("ana@city.example")[-1].get_content()
    assert "(rooli: sisällöntuottaja)" in body and "contributor" not in body


@pytest.mark.parametrize("language, told", [
    ("fi", "Näyttö: ”Seurattu” edellyttää vähintään yhtä mitattua tulosta"),
    ("sv", "Evidens: ”Uppföljd” kräver minst ett mätt resultat")])
def test_the_editors_warnings_are_told_in_the_readers_language(portal, language, told):
    app, _pages = portal
    client = app.test_client()
    post(client, "/login", {"email": ADMIN, "password": PASSWORD})
    client.set_cookie("lang", language)
    html = client.get("/practices/riverton-flood-wardens/edit").get_data(as_text=True)
    warnings = re.search(r'<div class="notice warnings".*?</div>', html, re.S).group(0)
    assert told in warnings and "claims" not in warnings and "<code>" not in warnings


def test_review_names_changed_fields_by_their_labels(portal):
    app, _pages = portal
    client = app.test_client()
    post(client, "/login", {"email": ADMIN, "password": PASSWORD})
    client.set_cookie("lang", "sv")
    html = client.get("/moderation/practices/lakeside-flood-wardens").get_data(as_text=True)
    fields = re.search(r'<table class="data diff-fields">.*?</table>', html, re.S).group(0)
    assert '<th scope="row">Titel</th>' in fields  # the title changed, not "title"
    assert "<code>" not in fields


def test_a_chart_by_month_names_the_months(portal):
    from sqlalchemy import select

    from kb.db import session
    from kb.models import PracticeFact

    app, _pages = portal
    with app.app_context():  # published over three months: enough for the activity chart
        facts = session().scalars(select(PracticeFact).order_by(PracticeFact.practice_id))
        kept = {}
        for i, fact in enumerate(facts):
            kept[fact.practice_id] = (fact.published_month, fact.example)
            fact.published_month, fact.example = f"2026-0{1 + i % 3}", False
        session().commit()
    # the facts were rewritten behind the services' back: drop the dashboards kept before
    app.extensions.pop("kb.aggregates", None)
    try:
        html = app.test_client().get("/dashboard?lang=fi").get_data(as_text=True)
    finally:
        with app.app_context():
            for fact in session().scalars(select(PracticeFact)):
                fact.published_month, fact.example = kept[fact.practice_id]
            session().commit()
        app.extensions.pop("kb.aggregates", None)
    months = re.findall(r'<th scope="row">([^<]*\d{4})</th>', html)
    assert months and all(re.fullmatch(r"[a-zä]+ \d{4}", m) for m in months), months
