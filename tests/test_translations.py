"""The Finnish and Swedish catalogues are complete, well-formed, compiled, and used.

After changing a user-interface string, refresh the catalogues from the repository root:

    pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 -k lazy_gettext -k N_ \
        -o kb/translations/messages.pot .
    pybabel update -i kb/translations/messages.pot -d kb/translations
    (translate the new or fuzzy entries in kb/translations/*/LC_MESSAGES/messages.po)
    pybabel compile -d kb/translations
"""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from markupsafe import escape

from kb.config import REPO_ROOT

TRANSLATIONS = REPO_ROOT / "kb" / "translations"
POT = TRANSLATIONS / "messages.pot"
LOCALES = ("fi", "sv")
# the keywords the extract command above passes (ngettext: singular, plural)
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "N_": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0\- +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _read_po(path):
    with open(path, "rb") as f:
        return read_po(f)


def _messages(catalog):
    """The real entries of a catalogue (not the header), keyed by msgid."""
    return {m.id: m for m in catalog if m.id}


def _forms(value) -> tuple[str, ...]:
    """A msgid or msgstr as a tuple: one item, or one per plural form."""
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value,)


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@pytest.fixture(scope="module")
def template():
    return _messages(_read_po(POT))


@pytest.fixture(scope="module", params=LOCALES)
def catalog(request):
    return request.param, _read_po(TRANSLATIONS / request.param / "LC_MESSAGES" / "messages.po")


def test_template_is_up_to_date_with_the_code(template):
    """Every string marked in kb/ and templates/ is in messages.pot, and nothing else."""
    with open(REPO_ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(REPO_ROOT), method_map, options_map, keywords=KEYWORDS):
        if isinstance(message, tuple):
            message = message if len(message) > 1 else message[0]
        if message:
            found.add(message)
    assert found, "nothing was extracted: check babel.cfg"
    assert sorted(map(str, found - set(template))) == [], "new strings: re-extract messages.pot"
    assert sorted(map(str, set(template) - found)) == [], "stale strings: re-extract messages.pot"
    assert any("vocab.py" in loc for m in template.values() for loc, _ in m.locations)
    assert any(loc.startswith("templates/") for m in template.values() for loc, _ in m.locations)


def test_every_message_is_translated(template, catalog):
    locale, cat = catalog
    messages = _messages(cat)
    assert str(cat.locale) == locale
    assert cat.num_plurals == 2 and cat.plural_expr.replace(" ", "") == "(n!=1)"
    missing = [m for m in template if m not in messages]
    assert missing == [], f"{locale}: not in the catalogue (run pybabel update)"
    obsolete = [m for m in messages if m not in template]
    assert obsolete == [], f"{locale}: no longer in messages.pot"
    for msgid in template:
        msg = messages[msgid]
        forms = _forms(msg.string)
        assert len(forms) == (1 if isinstance(msgid, str) else cat.num_plurals), msgid
        assert all(form.strip() for form in forms), f"{locale}: untranslated {msgid!r}"


def test_no_entry_is_fuzzy(catalog):
    locale, cat = catalog
    assert not cat.fuzzy, f"{locale}: the catalogue header is marked fuzzy"
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]
    assert fuzzy == [], f"{locale}: fuzzy entries need review"


def test_placeholders_are_kept(catalog):
    locale, cat = catalog
    for msg in cat:
        if not msg.id:
            continue
        expected = set().union(*(_placeholders(s) for s in _forms(msg.id)))
        for form in _forms(msg.string):
            assert _placeholders(form) == expected, f"{locale}: {msg.id!r} -> {form!r}"


def test_compiled_catalogues_match_the_po_files(catalog):
    """The committed .mo files carry exactly what the .po files say (no build step)."""
    locale, cat = catalog
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo", "rb") as f:
        compiled = read_mo(f)
    # read_mo gives plural entries as lists, read_po as tuples
    source = {_forms(m.id): _forms(m.string) for m in cat if m.id and m.string and not m.fuzzy}
    built = {_forms(m.id): _forms(m.string) for m in compiled if m.id}
    stale = sorted(str(k) for k in source.keys() | built.keys() if source.get(k) != built.get(k))
    assert stale == [], f"{locale}: run pybabel compile -d kb/translations"
    assert compiled.plural_forms == cat.plural_forms


@pytest.mark.parametrize("locale", LOCALES)
def test_home_page_renders_in_the_chosen_language(make_app, locale):
    translations = {m.id: m.string for m in _read_po(
        TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po") if m.id}
    app = make_app(LANGUAGES=["en", "fi", "sv"])
    client = app.test_client()

    html = client.get(f"/?lang={locale}").get_data(as_text=True)

    assert f'<html lang="{locale}">' in html
    heading = "What works in other cities, with the numbers to show it"
    assert f'<h1 id="intro-title">{escape(translations[heading])}</h1>' in html
    assert heading not in html
    # a vocabulary label (translated through the |theme filter) and a plural form
    assert str(escape(translations["Flood preparedness"])) in html
    assert translations[("%(num)d practice", "%(num)d practices")][1] % {"num": 5} in html
    # the choice is remembered, and English stays the default for a new visitor
    assert client.get("/").get_data(as_text=True).count(f'<html lang="{locale}">') == 1
    assert '<html lang="en">' in app.test_client().get("/").get_data(as_text=True)
