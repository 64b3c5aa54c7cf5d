"""Shared fixtures in the style of Flask's tutorial: app, client, runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb import create_app

DATA = Path(__file__).parent / "data"
FIXTURE_PRACTICES = DATA / "practices"
BROKEN_PRACTICES = DATA / "broken"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def make_app(tmp_path):
    """Build an app on a fresh instance folder; seeds default to the test fixtures."""
    apps = []

    def factory(**config):
        settings = {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / f"instance{len(apps)}"),
            "SEED_DIR": str(FIXTURE_PRACTICES),
            "SECRET_KEY": "test",
            "WTF_CSRF_ENABLED": True,
            "AUTO_INIT": True,
        }
        settings.update(config)
        app = create_app(settings)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.extensions["search_index_close"] = app.extensions["kb.search"].close()
        app.extensions["kb.db"].dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def auth(app, client):
    from tests.auth_helpers import AuthActions

    return AuthActions(app, client)


@pytest.fixture
def make_user(app):
    """Create a confirmed account, optionally acting for organizations (slug -> role)."""
    from kb.services.accounts import user_create
    from kb.services.identity import SYSTEM
    from kb.services.organizations import membership_add

    def factory(email, password="correct horse battery", role="none", orgs=None, name=None):
        with app.app_context():
            user = user_create(SYSTEM, email, name or email.split("@")[0], password, role)
            for slug, member_role in (orgs or {}).items():
                membership_add(SYSTEM, slug, email, member_role)
            return user.id

    return factory
