"""Organization names matched to GeoNames places, offline."""

from __future__ import annotations

import pytest

from kb.geonames import candidates, match


@pytest.mark.parametrize("name, country, place", [
    ("Helsingin kaupunki", "FI", "Helsinki"),          # Finnish genitive
    ("Tampereen kaupunki ja Tampereen Raitiotie Oy", "FI", "Tampere"),
    ("Lahden kaupunki", "FI", "Lahti"),
    ("Göteborgs Stad", "SE", "Gothenburg"),            # Swedish genitive, English name
    ("Ville de Paris", "FR", "Paris"),
    ("Universitätsstadt Tübingen", "DE", "Tübingen"),
    ("City of Reykjavík with the Citizens Foundation", "IS", "Reykjavík"),
])
def test_names_of_city_organizations_find_their_city(name, country, place):
    found = match(name, country)
    assert found and found[0].name == place
    assert found[0].population > 5000 and -90 <= found[0].latitude <= 90


def test_the_match_stays_inside_the_country_and_fictional_towns_match_nothing():
    assert match("Helsingin kaupunki", "SE") == []
    assert match("Jokiranta (kuvitteellinen esimerkkikaupunki)", "FI") == []
    assert match("Riverton (fictional example town)", "GB") == []
    assert match("Helsingin kaupunki", None) == []


def test_generic_words_are_never_taken_for_a_place():
    words = candidates("City of Preston Council")
    assert "preston" in words and "city" not in words and "council" not in words
