"""Friendly error pages (and JSON errors under /api/)."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import OperationalError

from kb.db import get_db
from kb.services.errors import NotFound, PermissionDenied
from search import IndexDamaged, IndexUnavailable

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    @app.errorhandler(404)
    @app.errorhandler(NotFound)
    def not_found(exc):
        if _wants_json():
            return jsonify(error="not_found", message="Nothing is published at this address."), 404
        return render_template("errors/404.html"), 404

    @app.errorhandler(403)
    @app.errorhandler(PermissionDenied)
    def forbidden(exc):
        if _wants_json():
            return jsonify(error="forbidden", message=str(exc)), 403
        return render_template("errors/403.html"), 403

    @app.errorhandler(429)
    def too_many(exc):
        if _wants_json():
            return jsonify(error="rate_limited", message=str(exc.description)), 429
        return render_template("errors/429.html"), 429

    def unavailable():
        """The data cannot be read or saved now; the log says which and where."""
        if _wants_json():
            response = jsonify(error="unavailable", message="The service is temporarily "
                               "unavailable; please try again in a few minutes.")
            response.status_code = 503
        else:
            response = app.make_response((render_template("errors/503.html"), 503))
        response.headers["Retry-After"] = "60"
        return response

    @app.errorhandler(IndexUnavailable)
    def index_unavailable(exc):
        log.error("search index %s cannot be used (%s) on %s", exc.path, exc.reason,
                  request.path)
        if isinstance(exc, IndexDamaged):  # the background applier rebuilds it
            from kb.services.search import search_repair_soon

            search_repair_soon()
        return unavailable()

    @app.errorhandler(OperationalError)
    def database_error(exc):
        db = get_db()
        if not db.unavailable(exc):
            return server_error(exc)
        log.error("database %s cannot be used (%s) on %s", db.location, exc.orig, request.path)
        return unavailable()

    @app.errorhandler(500)
    def server_error(exc):
        log.exception("unhandled error on %s", request.path)
        if _wants_json():
            return jsonify(error="server_error", message="Something went wrong on our side."), 500
        return render_template("errors/500.html"), 500
