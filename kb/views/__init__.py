"""Thin blueprints: parse the request, call one service, render."""

from __future__ import annotations

from flask import Flask


def register_views(app: Flask) -> None:
    from kb.views import (admin, api, auth, editor, errors, exchange, filters, fragments,
                          health, moderation, networks, pages, search_views, security,
                          static_files, tags)

    filters.init_app(app)
    fragments.init_app(app)
    security.init_app(app)
    static_files.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(networks.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(editor.bp)
    app.register_blueprint(moderation.bp)
    app.register_blueprint(exchange.bp)
    app.register_blueprint(search_views.bp)
    app.register_blueprint(tags.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    errors.init_app(app)
