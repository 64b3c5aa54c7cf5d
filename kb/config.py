"""Every setting, declared once: name, default and a line of help.

Each is read from the environment as ``KB_<NAME>`` (``KB_DATABASE_URL``...),
can be passed to ``create_app(test_config)`` under its plain name, and is
listed in docs/configuration.md (a test keeps the two in step).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

REPO_ROOT = Path(__file__).resolve().parent.parent


def _bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def _list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", None,
            "SQLAlchemy database URL; default: a SQLite file kb.sqlite3 in the instance folder."),
    Setting("INSTANCE_PATH", None,
            "Folder for the database, the search index, the outbox and exports; "
            "default: ./instance beside the code."),
    Setting("INDEX_DIR", None,
            "Folder of this node's Whoosh search index; default: index/ in the instance folder."),
    Setting("SECRET_KEY", None,
            "Key that signs sessions and CSRF tokens; default: a random key created once and "
            "kept in the instance folder (set it explicitly when running several nodes)."),
    Setting("SEED_DIR", str(REPO_ROOT / "practices"),
            "Folder of practice documents imported by `kb init` and on first start."),
    Setting("AUTO_INIT", True,
            "Create the database and import the seed practices when the portal starts on an "
            "empty database.", _bool),
    Setting("EXPORT_DIR", None,
            "When set, the published public practices are mirrored there as <slug>.md after "
            "each change, following the change log: changed files are written, files of "
            "archived, unpublished and network-only practices removed (for keeping a "
            "network's KB in git)."),
    Setting("PER_PAGE", 20, "Practices per page in lists and search results.", int),
    Setting("SEARCH_LOCK_TIMEOUT", 10.0,
            "Seconds a writer waits for the search index lock before giving up.", float),
    Setting("LANGUAGES", ["en", "fi", "sv"],
            "User-interface languages offered, comma-separated; the first is the default.",
            _list),
    Setting("SITE_NAME", "Practice Exchange", "Name shown in the header and page titles."),
    Setting("LOG_LEVEL", "INFO", "Logging level of the application (DEBUG, INFO, WARNING)."),
    Setting("BASE_URL", "http://127.0.0.1:5000",
            "Public address of the portal, used in links sent by e-mail from the command line."),
    Setting("MAIL_FROM", "Practice Exchange <no-reply@localhost>", "Sender of outgoing e-mail."),
    Setting("SMTP_HOST", None,
            "SMTP server for outgoing e-mail; when unset, messages go to outbox/ in the "
            "instance folder and to the log."),
    Setting("SMTP_PORT", 587, "SMTP port.", int),
    Setting("SMTP_USERNAME", None, "SMTP user name, if the server needs one."),
    Setting("SMTP_PASSWORD", None, "SMTP password, if the server needs one."),
    Setting("SMTP_STARTTLS", True, "Use STARTTLS with the SMTP server.", _bool),
    Setting("SMTP_TIMEOUT", 10.0,
            "Seconds to wait for the SMTP server before an attempt counts as failed.", float),
    Setting("MAIL_MAX_ATTEMPTS", 5,
            "Delivery attempts per message before it is marked failed (`kb mail send ID` "
            "resends it).", int),
    Setting("RATELIMIT_STORAGE_URI", "memory://",
            "Where rate-limit counters live (Flask-Limiter storage URI). memory:// is correct "
            "for one process (kb serve); with several worker processes or nodes use a shared "
            "store such as redis://host:6379."),
    Setting("RATELIMIT_LOGIN", "10 per minute",
            "Sign-in attempts allowed per address and account."),
    Setting("RATELIMIT_SENSITIVE", "5 per hour",
            "Registrations and password-reset requests allowed per address."),
    Setting("LOGIN_MAX_FAILURES", 5,
            "Wrong passwords for one account from one network address after which that "
            "address may not try that account for LOGIN_LOCKOUT_MINUTES (the account stays "
            "open to its owner from elsewhere).", int),
    Setting("LOGIN_ADDRESS_MAX_FAILURES", 20,
            "Wrong passwords from one network address, for any accounts, after which that "
            "address may not sign in for LOGIN_LOCKOUT_MINUTES.", int),
    Setting("LOGIN_ACCOUNT_MAX_FAILURES", 20,
            "Wrong passwords for one account from all addresses together after which the "
            "account is under attack: the right password then only earns a one-time sign-in "
            "link sent to the account's e-mail address.", int),
    Setting("LOGIN_LOCKOUT_MINUTES", 15,
            "The window in which wrong passwords are counted, and how long a locked-out "
            "address stays locked out.", int),
    Setting("TRUSTED_PROXIES", 0,
            "Number of reverse proxies in front of the portal whose X-Forwarded-For and "
            "X-Forwarded-Proto headers are believed (client address for rate limits and "
            "sign-in lockouts, HTTPS). 0: forwarded headers are ignored.", int),
)


def load_settings(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Defaults overridden by KB_* environment variables."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(f"KB_{setting.name}")
        values[setting.name] = setting.parse(raw) if raw not in (None, "") else setting.default
    return values
