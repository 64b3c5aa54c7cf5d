"""Every test here that builds an app runs on SQLite and on PostgreSQL."""

import pytest

# Long runs whose database work is the same as in shorter tests: on PostgreSQL they run
# with `-m slow` only, so the default run stays within its time (docs/database.md).
SLOW_ON_POSTGRESQL = {
    "test_incremental_read_model_equals_rebuild_and_the_full_computation[postgresql-2027]",
    "test_a_node_with_a_large_backlog_answers_and_converges[postgresql]",
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database(request):
    return request.param


def pytest_collection_modifyitems(items):
    for item in items:
        if item.name in SLOW_ON_POSTGRESQL:
            item.add_marker(pytest.mark.slow)
