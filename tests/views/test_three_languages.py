"""Dates in the reader's language, and each page's other languages announced to browsers."""

from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize("lang, period", [("en", "April 2019"), ("fi", "huhtikuu 2019"),
                                          ("sv", "april 2019")])
def test_the_practice_period_is_a_date_in_the_readers_language(client, lang, period):
    html = client.get(f"/practices/riverton-flood-wardens?lang={lang}").get_data(as_text=True)
    assert re.search(rf"<dd>{period}</dd>", html), period
    assert "<dd>2019-04</dd>" not in html


def test_every_page_names_its_other_languages(client):
    html = client.get("/practices/riverton-flood-wardens").get_data(as_text=True)
    alternates = dict(re.findall(r'<link rel="alternate" hreflang="(\w+)" href="([^"]+)">', html))
    assert set(alternates) == {"en", "fi", "sv"}
    assert alternates["fi"] == "http://localhost/practices/riverton-flood-wardens?lang=fi"
