"""The JSON API: one date format, and no parameter silently ignored."""

from __future__ import annotations

import datetime as dt


def _iso(value: str) -> dt.datetime:
    assert value.endswith("Z"), value
    return dt.datetime.fromisoformat(value[:-1])


def test_every_date_is_iso_8601(client):
    listed = client.get("/api/v1/practices").get_json()["items"][0]
    found = client.get("/api/v1/search?q=wardens").get_json()["hits"][0]
    detail = client.get("/api/v1/practices/riverton-flood-wardens").get_json()
    dates = [listed["published_at"], found["published_at"], detail["updated_at"]]
    parsed = [_iso(value) for value in dates]
    assert all(abs(p - parsed[0]) < dt.timedelta(days=1) for p in parsed)


def test_practices_refuses_a_text_query_and_points_to_search(client):
    response = client.get("/api/v1/practices?q=flood")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "bad_request"
    assert "does not take q" in body["message"] and "/api/v1/search?q=" in body["message"]
    assert client.get("/api/v1/practices?theme=flood-preparedness&page=1").status_code == 200
