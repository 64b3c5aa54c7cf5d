"""The application factory: nothing happens at import time."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import tempfile
import threading
from pathlib import Path
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from jinja2.bccache import Bucket, BytecodeCache

from kb import db as kb_db
from kb.config import ConfigError, bundled, load_settings, unknown_settings
from kb.extensions import babel, compress, csrf, limiter, login_manager

log = logging.getLogger(__name__)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    settings = load_settings()
    if test_config:
        settings.update({k: v for k, v in test_config.items() if k in settings})
    instance = Path(settings["INSTANCE_PATH"] or Path.cwd() / "instance").resolve()
    _check_folders(settings, instance)
    app = Flask(
        __name__,
        instance_path=str(instance),
        template_folder=str(bundled("templates")),
        static_folder="static",
    )
    app.json = _JSONProvider(app)
    # templates compiled once per process, whatever the number of apps or Jinja environments
    app.jinja_options = {**app.jinja_options, "bytecode_cache": COMPILED_TEMPLATES}
    app.config.update(settings)
    app.config.update(
        DATABASE_URL=settings["DATABASE_URL"] or f"sqlite:///{instance / 'kb.sqlite3'}",
        INDEX_DIR=settings["INDEX_DIR"] or str(instance / "index"),
        SECRET_KEY=settings["SECRET_KEY"] or _instance_secret(instance),
        BABEL_DEFAULT_LOCALE=settings["LANGUAGES"][0],
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings["BASE_URL"].startswith("https://"),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings["BASE_URL"].startswith("https://"),
        RATELIMIT_HEADERS_ENABLED=True,
        JSON_SORT_KEYS=False,
    )
    if test_config:
        app.config.update(test_config)
    from kb import logs

    logs.configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    logs.init_app(app)  # first, so every request has its id before anything else runs
    if app.config["TRUSTED_PROXIES"] > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]  # the client address and scheme, never the host
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way
            app.wsgi_app, x_for=hops, x_proto=hops)
    warn_if_rate_limits_are_per_process(app.config["RATELIMIT_STORAGE_URI"],
                                        _workers_from_environment())
    for problem in unknown_settings():
        logging.getLogger(__name__).warning("%s", problem)

    kb_db.init_app(app, app.config["DATABASE_URL"], embedded=not settings["DATABASE_URL"])
    _check_database(app, settings)
    csrf.init_app(app)
    compress.init_app(app)  # gzip/brotli for HTML, CSS, JS, JSON
    babel.init_app(app, locale_selector=_select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"

    from kb.views.helpers import load_session_user

    login_manager.user_loader(load_session_user)

    from search import SearchIndex

    app.extensions["kb.search"] = SearchIndex(
        app.config["INDEX_DIR"], lock_timeout=app.config["SEARCH_LOCK_TIMEOUT"],
        dense=app.config["SEARCH_DENSE"])

    import kb.services.exchange  # noqa: F401  (listens to kb.services.events)
    from kb.views import register_views

    register_views(app)

    if app.config["AUTO_INIT"]:
        from kb.bootstrap import ensure_ready
        from kb.migrations import SchemaOutOfDate

        with app.app_context():
            try:
                ensure_ready()
            except SchemaOutOfDate as exc:  # this node refuses to serve an older schema
                log.error("%s", exc)
                raise
    return app


class _CompiledTemplates(BytecodeCache):
    """Compiled templates kept in this process, keyed by name and source checksum (Jinja
    checks the checksum, so an edited template is compiled again). Every app the process
    creates (a test run creates hundreds) shares them instead of compiling each page's
    templates anew: about 0.2 s of CPU for the home page alone."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            self._code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = _CompiledTemplates()


def warn_if_rate_limits_are_per_process(storage_uri: str, workers: int,
                                        logger: logging.Logger | None = None) -> bool:
    """Warn when several processes serve the portal but each keeps its own rate-limit counters.

    Called by create_app (worker count from WEB_CONCURRENCY) and by the `when_ready` hook in
    gunicorn.conf.py (the worker count gunicorn really starts).
    """
    if workers <= 1 or not storage_uri.startswith("memory://"):
        return False
    (logger or log).warning(
        "KB_RATELIMIT_STORAGE_URI is %s while %d worker processes serve the portal: each "
        "process counts attempts on its own, so rate limits allow %d times as many. Use a "
        "shared store such as redis://host:6379.", storage_uri, workers, workers)
    return True


def release_for_fork(app: Flask, in_child: bool) -> None:
    """Close the database connections and index readers the start-up opened.

    Called by gunicorn (kb/serving.py) when the application was created in the master
    process: in the master before it forks workers (``in_child=False``), and in each new
    worker (``in_child=True``), where connections inherited from the master are dropped
    without closing them under the master's feet. Each worker then opens its own.
    """
    db = app.extensions["kb.db"]
    db.session.remove()
    db.engine.dispose(close=not in_child)
    index = app.extensions["kb.search"]
    if in_child:
        index.after_fork()
    else:
        index.close()


def _workers_from_environment() -> int:
    try:
        return int(os.environ.get("WEB_CONCURRENCY") or 1)
    except ValueError:
        return 1
class _JSONProvider(DefaultJSONProvider):
    """Dates in the JSON API are ISO 8601 (UTC, with Z), never HTTP dates."""

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, dt.datetime):
            from kb.models import iso_utc

            return iso_utc(o)
        if isinstance(o, dt.date):
            return o.isoformat()
        return DefaultJSONProvider.default(o)


def _check_folders(settings: dict[str, Any], instance: Path) -> None:
    """The folders the portal writes to: a clear ConfigError instead of a traceback later."""
    shown = settings["INSTANCE_PATH"] or str(instance)
    if instance.exists() and not instance.is_dir():
        raise ConfigError("INSTANCE_PATH", shown, "a folder, but it is a file")
    try:
        instance.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=instance):
            pass
    except OSError as exc:
        raise ConfigError("INSTANCE_PATH", shown,
                          f"a folder the portal can write to ({exc.strerror})") from None
    for name in ("INDEX_DIR", "EXPORT_DIR", "SEED_DIR"):
        value = settings[name]
        if value and Path(value).exists() and not Path(value).is_dir():
            raise ConfigError(name, value, "a folder, but it is a file")


def _check_database(app: Flask, settings: dict[str, Any]) -> None:
    """Open the database once at start, so an unusable path or an unreachable server is
    named in one line."""
    from sqlalchemy.exc import SQLAlchemyError

    url = app.config["DATABASE_URL"]
    try:
        with app.extensions["kb.db"].engine.connect():
            pass
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        if not url.startswith("sqlite"):
            shown = app.extensions["kb.db"].location
            raise ConfigError("DATABASE_URL", shown,
                              f"a database server the portal can reach ({reason})") from None
        if settings["DATABASE_URL"]:
            raise ConfigError("DATABASE_URL", url,
                              f"a database file the portal can open and write ({reason})"
                              ) from None
        raise ConfigError("INSTANCE_PATH", app.instance_path,
                          f"a folder where the portal can open kb.sqlite3 ({reason})") from None


def _select_locale() -> str | None:
    from flask import current_app, has_request_context

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # the command line and background work
        return languages[0]
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def _instance_secret(instance: Path) -> str:
    path = instance / "secret_key"
    if not path.exists():
        tmp = instance / f".secret_key.{secrets.token_hex(4)}"
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        try:
            path.hardlink_to(tmp)  # first writer wins, even with several workers starting
        except FileExistsError:
            pass
        tmp.unlink()
    return path.read_text().strip()
