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


def bundled(name: str) -> Path:
    """A top-level folder of the source tree (``templates``, ``practices``).

    A wheel carries a copy of these folders inside the package (kb/bundled/, see setup.py);
    a source checkout or an editable install reads them where they are.
    """
    packaged = Path(__file__).resolve().parent / "bundled" / name
    return packaged if packaged.is_dir() else REPO_ROOT / name


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
            "When set, every published practice is mirrored there as <slug>.md after each "
            "change (for keeping a network's KB in git)."),
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
    Setting("RATELIMIT_STORAGE_URI", "memory://",
            "Where rate-limit counters live (Flask-Limiter storage URI). memory:// is correct "
            "for one process (kb serve); with several worker processes or nodes use a shared "
            "store such as redis://host:6379."),
    Setting("RATELIMIT_LOGIN", "10 per minute",
            "Sign-in attempts allowed per address and account."),
    Setting("RATELIMIT_SENSITIVE", "5 per hour",
            "Registrations and password-reset requests allowed per address."),
    Setting("LOGIN_MAX_FAILURES", 5,
            "Wrong passwords in a row after which an account is locked for a while.", int),
    Setting("LOGIN_LOCKOUT_MINUTES", 15, "How long a locked account stays locked.", int),
)


def load_settings(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Defaults overridden by KB_* environment variables."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(f"KB_{setting.name}")
        values[setting.name] = setting.parse(raw) if raw not in (None, "") else setting.default
    return values
