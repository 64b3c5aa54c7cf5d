"""Every test here that builds an app runs on SQLite and on PostgreSQL."""

import pytest


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database(request):
    return request.param
