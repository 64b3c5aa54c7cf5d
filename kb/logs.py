"""Log lines with time, level, logger and request id, as text or JSON (KB_LOG_FORMAT).

Every request gets an id: the ``X-Request-ID`` header a trusted reverse proxy sent
(KB_TRUSTED_PROXIES above 0), or a new one. It is on every line logged while the request
runs and in the response's ``X-Request-ID`` header, so a user's report, the proxy's log
and the portal's log meet. Lines logged outside a request (start-up, the background
applier, the command line) carry ``-``. One line per request (``kb.request``) gives the
method, path (never the query string; a path holding a token as its pattern), status and
duration.

text: ``2026-03-18T09:12:44.123Z INFO kb.request [4f0c...] GET /search 200 12.3ms``
json: ``{"time": "...", "level": "INFO", "logger": "kb.request", "request_id": "4f0c...",
"message": "GET /search 200 12.3ms"}`` (plus ``exception`` with the traceback).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request

HEADER = "X-Request-ID"
# an id from a proxy is kept only when it is short and plain (it goes into every line)
_ACCEPTED = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")

request_log = logging.getLogger("kb.request")


def request_id() -> str:
    """The id of the request being served, or "-" outside a request."""
    if has_request_context():
        return g.get("request_id") or "-"
    return "-"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id()
        return True


def _time(record: logging.LogRecord) -> str:
    moment = dt.datetime.fromtimestamp(record.created, dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = (f"{_time(record)} {record.levelname} {record.name} "
                f"[{getattr(record, 'request_id', '-')}] {record.getMessage()}")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        elif record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {"time": _time(record), "level": record.levelname, "logger": record.name,
                "request_id": getattr(record, "request_id", "-"),
                "message": record.getMessage()}
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def formatter(kind: str) -> logging.Formatter:
    return JSONFormatter() if kind == "json" else TextFormatter()


class _StandardError(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (as logging's last resort does)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def _logged_path() -> str:
    """The path of the request, without its query; a path carrying a secret (a sign-in or
    reset token) is logged as its pattern, /login/link/<token>."""
    if request.url_rule is not None and "token" in (request.view_args or {}):
        return request.url_rule.rule
    return request.path


def configure_logging(level: str, kind: str) -> None:
    """The root logger writes every line in the chosen format to standard error.

    Safe to call for every application the process creates: one handler, updated.
    """
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _StandardError)), None)
    if handler is None:
        handler = _StandardError()
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    handler.setFormatter(formatter(kind))
    root.setLevel(level)
    # Alembic announces each of its plugins at INFO whenever a command checks the schema;
    # its migration steps ("Running upgrade ...") stay in the log
    logging.getLogger("alembic.runtime.plugins").setLevel(max(logging.WARNING,
                                                               root.level))


def init_app(app: Flask) -> None:
    """Give every request an id, return it in the response, log one line per request."""

    @app.before_request
    def _take_request_id():
        g.request_started = time.perf_counter()
        sent = request.headers.get(HEADER, "")
        trusted = app.config["TRUSTED_PROXIES"] > 0
        g.request_id = sent if trusted and _ACCEPTED.match(sent) else uuid.uuid4().hex

    @app.after_request
    def _give_request_id(response):
        if not g.get("request_id"):  # answered before the id was taken
            g.request_id = uuid.uuid4().hex
        response.headers[HEADER] = g.request_id
        started = g.get("request_started")
        took = f" {(time.perf_counter() - started) * 1000:.1f}ms" if started else ""
        request_log.info("%s %s %s%s", request.method, _logged_path(), response.status_code,
                         took)
        return response
