"""Codes are chosen, never typed: the editor's pickers for language, country, region and
themes, named in the interface language, working without JavaScript."""

from __future__ import annotations

import html as htmllib
import re

import pytest

from tests.auth_helpers import post
from tests.views.test_editor import FORM, signed_in


def _select(html: str, name: str) -> str:
    m = re.search(rf'<select id="f-{re.escape(name)}" name="{re.escape(name)}".*?</select>',
                  html, re.S)
    assert m, f"no select for {name}"
    return m.group(0)


def _terms(fragment: str, value: str) -> str:
    m = re.search(rf'value="{re.escape(value)}" data-terms="([^"]*)"|'
                  rf'data-terms="([^"]*)"><input type="checkbox" id="theme-{re.escape(value)}"',
                  fragment)
    assert m, f"no filter terms for {value}"
    return htmllib.unescape(m.group(1) or m.group(2))


@pytest.mark.parametrize("lang, finland, sweden", [("en", "Finland", "Sweden"),
                                                   ("fi", "Suomi", "Ruotsi"),
                                                   ("sv", "Finland", "Sverige")])
def test_the_country_is_chosen_from_names_in_the_interface_language(app, make_user, lang,
                                                                    finland, sweden):
    client = signed_in(app, make_user)
    client.set_cookie("lang", lang)
    countries = _select(client.get("/practices/new").get_data(as_text=True), "country")
    assert f'<option value="FI" data-terms' in countries
    assert re.search(rf'<option value="FI" [^>]*>{finland}</option>', countries)
    assert re.search(rf'<option value="SE" [^>]*>{sweden}</option>', countries)
    # whichever language the reader uses, the filter box finds a country by any of its names
    assert {"finland", "suomi"} <= set(_terms(countries, "FI").replace("|", " ").split())
    assert "ruotsi" in _terms(countries, "SE") and "sverige" in _terms(countries, "SE")


def test_themes_are_labelled_boxes_found_by_their_name_in_any_language(app, make_user):
    client = signed_in(app, make_user)
    client.set_cookie("lang", "sv")
    html = client.get("/practices/new").get_data(as_text=True)
    assert '<label for="theme-air-quality">Luftkvalitet</label>' in html
    terms = _terms(html, "air-quality")
    assert "air quality" in terms and "ilmanlaatu" in terms and "luftkvalitet" in terms
    # the filter box is there for JavaScript to show, labelled in the reader's language
    assert re.search(r'<div class="picker-filter" data-picker-filter="theme-choices" hidden>\s*'
                     r'<label for="theme-choices-filter">Hitta ett tema</label>', html)


def test_the_region_picker_offers_the_regions_of_the_chosen_country(app, make_user):
    client = signed_in(app, make_user)
    client.set_cookie("lang", "sv")
    form = dict(FORM, country="FI", region="", action="add_row")
    html = post(client, "/practices/new", form).get_data(as_text=True)
    assert re.search(r'<input id="f-region" name="region" type="text" value="" '
                     r'list=region-choices', html)
    regions = re.search(r'<datalist id="region-choices">(.*?)</datalist>', html).group(1)
    # the document keeps the region's own name; the reader sees it in Swedish
    assert '<option value="Uusimaa" label="Nyland"></option>' in regions
    assert '<option value="Pirkanmaa" label="Birkaland"></option>' in regions
    assert "Bayern" not in regions


def test_the_region_list_follows_another_country(app, make_user):
    client = signed_in(app, make_user)
    client.set_cookie("lang", "fi")
    regions = client.get("/editor/regions?country=SE").get_json()
    assert {"value": "Skåne län", "label": "Skåne län"} in regions
    assert all("[" not in r["value"] for r in regions)  # no "[SE-12]" notes
    assert client.get("/editor/regions?country=XX").get_json() == []
    assert client.get("/editor/regions?country=../../etc").get_json() == []


def test_a_region_typed_by_hand_is_kept(app, make_user):
    client = signed_in(app, make_user)
    saved = post(client, "/practices/new", dict(FORM, country="FI", region="Helsinki region"))
    assert saved.status_code == 302
    html = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert 'value="Helsinki region"' in html


def test_a_translation_language_is_chosen_not_typed(app, make_user):
    client = signed_in(app, make_user)
    client.set_cookie("lang", "fi")
    html = post(client, "/practices/new", dict(FORM, action="add_translation",
                                               **{"translation-0-language": "sv",
                                                  "translation-0-title": "Regnträdgårdar"})
                ).get_data(as_text=True)
    languages = _select(html, "translation-0-language")
    assert re.search(r'<option value="sv" selected>ruotsi \(sv\)</option>', languages)
    assert '<select id="f-translation-1-language" name="translation-1-language"' in html


def test_the_regions_are_named_cleanly():
    from kb.content.regions import regions

    spain = {r.value for r in regions("ES", "en")}
    assert "Catalunya" in spain and "Comunidad Foral de Navarra" in spain
    assert {r.label for r in regions("FI", "fi")} >= {"Uusimaa", "Pirkanmaa"}
    assert regions(None) == () and regions("ZZ") == ()


def test_the_currency_is_chosen_by_its_name(app, make_user):
    client = signed_in(app, make_user)
    client.set_cookie("lang", "fi")
    saved = post(client, "/practices/new", dict(FORM, cost_amount="1000", cost_currency="SEK"))
    assert saved.status_code == 302
    currencies = _select(client.get(saved.headers["Location"]).get_data(as_text=True),
                         "cost_currency")
    assert '<option value="SEK" selected>Ruotsin kruunu (SEK)</option>' in currencies
    assert '<option value="EUR" >euro (EUR)</option>' in currencies
