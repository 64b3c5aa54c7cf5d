"""Thin blueprints: parse the request, call one service, render."""

from __future__ import annotations

from flask import Flask


def register_views(app: Flask) -> None:
    from kb.views import api, errors, filters, pages, search_views

    filters.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(search_views.bp)
    app.register_blueprint(api.bp)
    errors.init_app(app)
