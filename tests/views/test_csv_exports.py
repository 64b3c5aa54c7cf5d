"""Every CSV the portal serves is safe to open in a spreadsheet.

A value that a spreadsheet would run as a formula (an organization's name, a
practice's title, an indicator, an e-mail address) reaches each export; the
download holds it with a leading ' and is served as UTF-8 text/csv once.
"""

from __future__ import annotations

import csv
import io

import pytest

from kb.db import session
from kb.models import User
from kb.services.accounts import identity_for
from kb.services.editorial import flag_create
from kb.services.identity import SYSTEM
from kb.services.organizations import network_add_member, network_create
from kb.services.practices import practice_import
from tests.auth_helpers import post

EVIL_ORG = "=HYPERLINK(\"http://evil.example\";\"Click\")"
EVIL_TITLE = "@SUM(1+1)*cmd|' /C calc'!A0"
EVIL_INDICATOR = "+cmd|' /C notepad'!A0"
EVIL_EMAIL = "=2+5+cmd|'calc'!a0@t.example"

DOC = """\
---
slug: {slug}
title: '{title}'
summary: A practice with hostile names, to check the exports.
language: en
organization: '{org}'
country: GB
themes: [water]
stage: pilot
evidence: monitored
{extra}outcomes:
  - {{indicator: '{indicator}', unit: '-days', baseline: 10, result: 4, better: lower}}
---
## Challenge

Text.
"""


def _doc(slug, title, org, extra=""):
    return DOC.format(slug=slug, title=title, org=org.replace("'", "''"),
                      indicator=EVIL_INDICATOR.replace("'", "''"), extra=extra)


@pytest.fixture
def hostile(app, make_user):
    with app.app_context():
        practice_import(SYSTEM, _doc("evil-original", EVIL_TITLE.replace("'", "''"),
                                     EVIL_ORG))
        practice_import(SYSTEM, _doc("calm-adaptation", "A calm adaptation", "-Other Town",
                                     "adapted_from: evil-original\n"))
        # a second adaptation: "most adapted" lists practices adapted at least twice
        practice_import(SYSTEM, _doc("calm-adaptation-2", "Another calm adaptation",
                                     "Third Town", "adapted_from: evil-original\n"))
        network_create(SYSTEM, "Hostile names", "hostile-names")
        network_add_member(SYSTEM, "hostile-names", "hyperlink-http-evil-example-click")
    return app


def table(response):
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def cells(rows):
    return [c for row in rows for c in row]


def no_formula(rows):
    return not [c for c in cells(rows) if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_comparison_csv(hostile, client):
    rows = table(client.get("/practices/calm-adaptation/comparison.csv"))
    assert "'" + EVIL_INDICATOR in cells(rows) and "'-days" in cells(rows)
    assert "'-Other Town" in cells(rows) and "'" + EVIL_ORG in cells(rows)
    assert no_formula(r[:6] for r in rows)
    # a real negative number stays a number
    assert "-0.6" in cells(rows)


def test_most_adapted_csv(hostile, client):
    rows = table(client.get("/dashboard/most-adapted.csv"))
    assert "'" + EVIL_TITLE in cells(rows) and no_formula(rows)


def test_map_csv(hostile, client):
    rows = table(client.get("/dashboard/map.csv"))
    assert ["'" + EVIL_ORG, "'-Other Town", "evil-original", "calm-adaptation"] in rows
    assert no_formula(rows)


def test_network_contributions_csv(hostile, client):
    rows = table(client.get("/networks/hostile-names/dashboard/contributions.csv"))
    assert ["'" + EVIL_ORG, "1"] in rows and no_formula(rows)


def test_audit_csv(hostile, client, make_user):
    evil = make_user(EVIL_EMAIL)
    make_user("admin@kb.example", role="admin")
    with hostile.app_context():
        flag_create(identity_for(session().get(User, evil)), "evil-original", "-1 wrong")
    post(client, "/login", {"email": "admin@kb.example", "password": "correct horse battery"})
    rows = table(client.get("/admin/audit.csv"))
    assert "'" + EVIL_EMAIL in cells(rows) and no_formula(rows)


def test_practice_source_names_its_charset_once(client):
    response = client.get("/practices/riverton-flood-wardens.md")
    assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"
