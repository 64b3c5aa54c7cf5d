"""Log lines carry time, level, logger and the request id, as text or JSON (KB_LOG_FORMAT).

The tests read what the portal really writes to standard error.
"""

from __future__ import annotations

import json
import logging
import re

import pytest

from kb.config import ConfigError, load_settings

TEXT_LINE = re.compile(
    r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (INFO|WARNING|ERROR|DEBUG|CRITICAL) "
    r"(\S+) \[([^\]]+)\] (.*)$")


def lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line]


def test_a_text_line_per_request_names_its_request_id(make_app, capsys):
    app = make_app(LOG_FORMAT="text")
    capsys.readouterr()
    response = app.test_client().get("/practices/riverton-flood-wardens")
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    parsed = [TEXT_LINE.match(line) for line in lines(capsys)]
    assert all(parsed), parsed
    mine = [m for m in parsed if m.group(3) == "kb.request"]
    assert len(mine) == 1
    assert mine[0].group(2) == "INFO"
    assert mine[0].group(4) == request_id
    assert mine[0].group(5).startswith("GET /practices/riverton-flood-wardens 200 ")


def test_json_lines_have_time_level_logger_and_request_id(make_app, capsys):
    app = make_app(LOG_FORMAT="json")
    capsys.readouterr()
    client = app.test_client()
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/no-such-page").headers["X-Request-ID"]
    assert first != second
    records = [json.loads(line) for line in lines(capsys)]
    requests = [r for r in records if r["logger"] == "kb.request"]
    assert [(r["request_id"], r["message"].split()[:3]) for r in requests] == [
        (first, ["GET", "/healthz", "200"]), (second, ["GET", "/no-such-page", "404"])]
    for record in records:
        assert set(record) >= {"time", "level", "logger", "request_id", "message"}
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["time"])


def test_every_line_logged_during_a_request_carries_its_id(make_app, capsys):
    app = make_app(LOG_FORMAT="json")

    @app.get("/test-logs-something")
    def something():
        logging.getLogger("kb.services.example").warning("something happened")
        return "ok"

    capsys.readouterr()
    request_id = app.test_client().get("/test-logs-something").headers["X-Request-ID"]
    logging.getLogger("kb.services.example").warning("outside any request")
    records = [json.loads(line) for line in lines(capsys)]
    inside = [r for r in records if r["message"] == "something happened"]
    assert [(r["level"], r["logger"], r["request_id"]) for r in inside] == [
        ("WARNING", "kb.services.example", request_id)]
    outside = [r for r in records if r["message"] == "outside any request"]
    assert [r["request_id"] for r in outside] == ["-"]


def test_an_error_is_logged_with_its_traceback_and_request_id(make_app, capsys):
    app = make_app(LOG_FORMAT="json")

    @app.get("/test-logs-broken")
    def broken():
        raise RuntimeError("the disk is on fire")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    capsys.readouterr()
    response = app.test_client().get("/test-logs-broken")
    assert response.status_code == 500
    records = [json.loads(line) for line in lines(capsys)]
    errors = [r for r in records if r["level"] == "ERROR"]
    assert errors and errors[0]["request_id"] == response.headers["X-Request-ID"]
    assert "the disk is on fire" in errors[0]["exception"]


def test_a_request_id_from_a_trusted_proxy_is_kept(make_app, capsys):
    app = make_app(LOG_FORMAT="text", TRUSTED_PROXIES=1)
    capsys.readouterr()
    response = app.test_client().get("/healthz", headers={"X-Request-ID": "lb-7f3a-0001"})
    assert response.headers["X-Request-ID"] == "lb-7f3a-0001"
    assert "[lb-7f3a-0001] GET /healthz 200" in capsys.readouterr().err


@pytest.mark.parametrize("sent", ["lb-7f3a-0001", "spaces and [brackets]", "x" * 200])
def test_a_request_id_from_an_untrusted_client_or_a_strange_one_is_replaced(make_app, sent):
    trusted = make_app(TRUSTED_PROXIES=1) if sent != "lb-7f3a-0001" else make_app()
    got = trusted.test_client().get("/healthz", headers={"X-Request-ID": sent}) \
        .headers["X-Request-ID"]
    assert got != sent and re.fullmatch(r"[0-9a-f]{32}", got)


def test_a_token_in_a_path_is_not_written_to_the_log(make_app, capsys):
    app = make_app(LOG_FORMAT="text")
    capsys.readouterr()
    app.test_client().get("/password/reset/secret-token-123")
    err = capsys.readouterr().err
    assert "secret-token-123" not in err
    assert "GET /password/reset/<token>" in err


def test_the_log_format_is_checked_like_every_setting():
    assert load_settings({"KB_LOG_FORMAT": "JSON"})["LOG_FORMAT"] == "json"
    with pytest.raises(ConfigError) as caught:
        load_settings({"KB_LOG_FORMAT": "xml"})
    assert str(caught.value) == "KB_LOG_FORMAT='xml': expected text or json"
