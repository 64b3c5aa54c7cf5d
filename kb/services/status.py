"""The state of an installation at a glance (`kb status`).

`status_get` returns a :class:`Status`: a list of sections, each a list of
labelled lines. A new line is one more function in ``SECTIONS`` returning
``StatusLine`` values; the command line prints whatever comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from kb.db import get_db, session
from kb.models import Base, ChangeLog, Practice, PracticeStatus
from kb.services.identity import Identity
from kb.services.permissions import require


@dataclass
class StatusLine:
    label: str
    value: str
    problem: bool = False  # something an operator should act on


@dataclass
class Status:
    sections: list[tuple[str, list[StatusLine]]] = field(default_factory=list)

    @property
    def problems(self) -> list[StatusLine]:
        return [line for _title, lines in self.sections for line in lines if line.problem]

    def value(self, label: str) -> str | None:
        """The value of the first line with this label (for scripts and tests)."""
        for _title, lines in self.sections:
            for line in lines:
                if line.label == label:
                    return line.value
        return None


def _database() -> list[StatusLine]:
    from kb import migrations

    url = make_url(current_app.config["DATABASE_URL"]).render_as_string(hide_password=True)
    lines = [StatusLine("database", url)]
    state = migrations.state(get_db().engine)
    if state.empty:
        lines.append(StatusLine("schema", "no tables yet: run `kb init`", True))
    elif not state.up_to_date:
        lines.append(StatusLine("schema", f"at {state.shown_current}, this release needs "
                                          f"{state.head}: run `kb db upgrade`", True))
    else:
        lines.append(StatusLine("schema", f"up to date ({state.head}, "
                                          f"{len(Base.metadata.tables)} tables)"))
    return lines


def _practices() -> list[StatusLine]:
    counts = dict(session().execute(
        select(Practice.status, func.count()).group_by(Practice.status)).all())
    order = (PracticeStatus.PUBLISHED, PracticeStatus.SUBMITTED,
             PracticeStatus.CHANGES_REQUESTED, PracticeStatus.DRAFT, PracticeStatus.ARCHIVED,
             PracticeStatus.REJECTED)
    parts = [f"{counts.get(s, 0)} {s.replace('_', ' ')}" for s in order if counts.get(s)]
    return [StatusLine("practices", ", ".join(parts) or "none (run `kb init` or `kb import`)",
                       not parts),
            StatusLine("waiting for review", str(counts.get(PracticeStatus.SUBMITTED, 0)))]


def _index() -> list[StatusLine]:
    from search.analysis import LANGUAGES, STEMMERS

    from kb.services.search import get_index

    index = get_index()
    lines = [StatusLine("index", current_app.config["INDEX_DIR"])]
    latest = session().scalar(select(func.max(ChangeLog.id))) or 0
    if not index.exists():
        lines.append(StatusLine("index documents", "no index yet (run `kb reindex`)", True))
        pending = session().scalar(select(func.count()).select_from(ChangeLog)) or 0
    else:
        applied = index.last_change_id()
        lines.append(StatusLine("index documents", str(len(index.doc_ids()))))
        lines.append(StatusLine("index applied change", f"{applied} of {latest}"))
        pending = session().scalar(select(func.count()).select_from(ChangeLog)
                                   .where(ChangeLog.id > applied)) or 0
    failures = index.failures() if index.exists() else []
    lines.append(StatusLine("failed documents", f"{len(failures)} (left out of search until a "
                            "new revision of each is indexed)" if failures else "0",
                            bool(failures)))
    for f in failures:
        lines.append(StatusLine(f"  {f.slug}", f"id {f.practice_id}, change {f.change_id}, "
                                f"{f.failed_at}: {f.error}", True))
    lines.append(StatusLine("pending changes",
                            f"{pending} (applied by the server's background applier, "
                            "or rebuilt by `kb reindex`)" if pending else "0"))
    from kb.services.derived import pending as derived_pending

    for name, count in derived_pending().items():
        if name != "search":  # the other derived views of this node (read model ...)
            lines.append(StatusLine(f"pending changes ({name})", str(count), count < 0))
    stemmed = ", ".join(f"{code} ({STEMMERS[code]})" for code in LANGUAGES)
    lines.append(StatusLine("analyzers", f"stemming and accent folding for {stemmed}; "
                                         "other languages: accent folding only"))
    lines += _analysis(index)
    return lines


def _analysis(index) -> list[StatusLine]:
    from search.decompound import decompounder, setup
    from search.glossary import glossary

    d = decompounder()
    running = setup()
    value = running["decompounding"]
    if d.voikko_error:
        value += " (Voikko not available: install libvoikko1 and voikko-fi for Finnish lemmas)"
    lines = [StatusLine("decompounding", value)]
    ranking = index.dense_status()
    lines.append(StatusLine("ranking", ranking, ranking.startswith("model not available")))
    if index.exists() and index.analysis() != running:
        lines.append(StatusLine("index analysis", "built with another set-up; it is rebuilt at "
                                "the next start, or run `kb reindex`", True))
    lines.append(StatusLine("glossary", f"{len(glossary())} concepts; query words are also "
                            "searched in the other languages"))
    return lines


def _outbox() -> list[StatusLine]:
    from kb.models import MailOutbox

    where = f"SMTP {current_app.config['SMTP_HOST']}" if current_app.config["SMTP_HOST"] \
        else "files in the outbox/ folder of the instance"
    waiting = session().scalar(select(func.count()).select_from(MailOutbox).where(
        MailOutbox.sent_at.is_(None), MailOutbox.next_attempt_at.is_not(None))) or 0
    failed = session().scalar(select(func.count()).select_from(MailOutbox).where(
        MailOutbox.sent_at.is_(None), MailOutbox.next_attempt_at.is_(None))) or 0
    return [StatusLine("mail delivery", where),
            StatusLine("mail waiting", str(waiting)),
            StatusLine("mail failed", f"{failed} (see `kb mail list --failed`, resend with "
                                      "`kb mail send ID`)" if failed else "0", bool(failed))]


SECTIONS: list[tuple[str, Callable[[], list[StatusLine]]]] = [
    ("Database", _database),
    ("Practices", _practices),
    ("Search", _index),
    ("Mail", _outbox),
]


def status_get(identity: Identity) -> Status:
    """Database, schema, practices, search index and mail of this installation."""
    require(identity, "kb.status")
    status = Status()
    for title, section in SECTIONS:
        lines = section()
        status.sections.append((title, lines))
        if title == "Database" and any(line.problem for line in lines):
            break  # without tables the other sections have nothing to read
    return status


@dataclass
class Readiness:
    """Whether this node can answer: database reachable, index present, and its backlog."""

    database: bool
    index: bool
    pending: dict[str, int]    # per derived view: change-log entries not applied yet
    updating: bool             # a backlog larger than KB_SEARCH_SYNC_CHANGES is being applied

    @property
    def ready(self) -> bool:
        return self.database and self.index


def readiness_get(identity: Identity) -> Readiness:
    """What /readyz reports; a large backlog starts the background applier."""
    require(identity, "kb.read")
    from kb.services.derived import pending, start_applier
    from kb.services.search import get_index
    from search import IndexUnavailable

    try:
        session().execute(select(1))
        database = True
    except Exception:
        session().rollback()
        database = False
    try:
        index = get_index().exists()
    except IndexUnavailable:
        index = False
    backlog = pending() if database else {}
    updating = any(n > current_app.config["SEARCH_SYNC_CHANGES"] for n in backlog.values())
    if updating:
        start_applier()
    return Readiness(database=database, index=index, pending=backlog, updating=updating)
