"""The export folder: published practices as <slug>.md files, kept equal to the database.

`sync_directory` makes a folder match the published practices in one pass
(`kb export`, and the mirror's first run): it writes the files whose text
changed and removes the files of practices that are archived, unpublished,
deleted or (unless network-only ones are included) network-only.
`mirror_catch_up` keeps KB_EXPORT_DIR in step after each commit: it follows the
change log from the last change it applied, remembered in the instance folder,
so a change touches only its own files and one missed (a crash after the
commit) is applied by the next run.

Only files named after a practice the database knows (now, or in its change
log) are ever removed: other files in the folder (a README, notes) stay.
"""

from __future__ import annotations

import fcntl
import json
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, TypeGuard

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from kb.db import session
from kb.models import ChangeLog, Practice, PracticeStatus
from kb.services.errors import NotFound

log = logging.getLogger(__name__)

# the most change-log rows one run applies; the rest follow with the next run
BATCH = 1000
LOCK_TIMEOUT = 10.0


@dataclass
class ExportResult:
    exported: list[str] = field(default_factory=list)  # every practice now in the folder
    written: list[str] = field(default_factory=list)  # files created or rewritten
    removed: list[str] = field(default_factory=list)


def _exportable(practice: Practice | None,
                include_network: bool = False) -> TypeGuard[Practice]:
    return practice is not None and practice.status == PracticeStatus.PUBLISHED \
        and practice.published_revision is not None \
        and (include_network or practice.visibility == "public")


def _write_if_changed(target: Path, text: str) -> bool:
    data = text.encode("utf-8")
    try:
        if target.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    return True


def _remove(target: Path) -> bool:
    try:
        target.unlink()
        return True
    except FileNotFoundError:
        return False


def _known_slugs() -> set[str]:
    s = session()
    return set(s.scalars(select(Practice.slug))) | set(
        s.scalars(select(ChangeLog.slug).distinct()))


def sync_directory(directory: Path, include_network: bool = False,
                   on_file: Callable[[str], None] | None = None,
                   on_total: Callable[[int], None] | None = None) -> ExportResult:
    """Make `directory` hold exactly the published (public) practices, byte for byte."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    query = select(Practice).where(Practice.status == PracticeStatus.PUBLISHED)
    if not include_network:
        query = query.where(Practice.visibility == "public")
    if on_total:
        on_total(session().scalar(select(func.count()).select_from(query.subquery())) or 0)
    result = ExportResult()
    for practice in session().scalars(
            query.options(joinedload(Practice.published_revision)).order_by(Practice.slug)):
        published = practice.published_revision
        if published is None:
            raise NotFound(f"no published revision of {practice.slug}")
        if _write_if_changed(directory / f"{practice.slug}.md", published.document):
            result.written.append(practice.slug)
        result.exported.append(practice.slug)
        if on_file:
            on_file(practice.slug)
    keep = set(result.exported)
    known = _known_slugs()
    for path in sorted(directory.glob("*.md")):
        if path.stem in known and path.stem not in keep and _remove(path):
            result.removed.append(path.stem)
    return result


# ------------------------------------------------------------ the live mirror


def _state_path() -> Path:
    return Path(current_app.instance_path) / "export-mirror.json"


@contextmanager
def _locked(timeout: float) -> Iterator[bool]:
    """One mirror writer per instance; waits at most `timeout` seconds."""
    path = Path(current_app.instance_path) / ".export-mirror.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.05)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_state(directory: Path) -> int | None:
    try:
        state = json.loads(_state_path().read_text())
    except (FileNotFoundError, ValueError):
        return None
    if state.get("directory") != str(directory) or not isinstance(state.get("change_id"), int):
        return None
    return state["change_id"]


def _write_state(directory: Path, change_id: int) -> None:
    path = _state_path()
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps({"directory": str(directory), "change_id": change_id}))
    tmp.replace(path)


def mirror_catch_up(directory: Path) -> ExportResult | None:
    """Apply the changes the export folder has not seen; None when another run holds it."""
    directory = Path(directory).resolve()
    with _locked(LOCK_TIMEOUT) as acquired:
        if not acquired:
            log.warning("export mirror %s is busy; this change is written by its next run",
                        directory)
            return None
        s = session()
        latest = s.scalar(select(func.max(ChangeLog.id))) or 0
        position = _read_state(directory)
        if position is None or position > latest or not directory.is_dir():
            result = sync_directory(directory)
            _write_state(directory, latest)
            log.info("export mirror %s synchronized: %d written, %d removed", directory,
                     len(result.written), len(result.removed))
            return result
        rows = s.execute(select(ChangeLog.id, ChangeLog.practice_id, ChangeLog.slug)
                         .where(ChangeLog.id > position).order_by(ChangeLog.id)
                         .limit(BATCH)).all()
        result = ExportResult()
        if not rows:
            return result
        slugs: dict[int, set[str]] = {}
        for row in rows:
            slugs.setdefault(row.practice_id, set()).add(row.slug)
        practices = {p.id: p for p in s.scalars(
            select(Practice).where(Practice.id.in_(slugs))
            .options(joinedload(Practice.published_revision))).unique()}
        write: dict[str, str] = {}
        remove: set[str] = set()
        for practice_id, logged in slugs.items():
            practice = practices.get(practice_id)
            remove |= logged
            if _exportable(practice) and practice.published_revision is not None:
                write[practice.slug] = practice.published_revision.document
            elif practice is not None:
                remove.add(practice.slug)
        for slug in sorted(remove - set(write)):
            if _remove(directory / f"{slug}.md"):
                result.removed.append(slug)
        for slug, text in sorted(write.items()):
            if _write_if_changed(directory / f"{slug}.md", text):
                result.written.append(slug)
            result.exported.append(slug)
        _write_state(directory, rows[-1].id)
        if rows[-1].id < latest:
            log.info("export mirror %s: %d more changes follow with its next run", directory,
                     latest - rows[-1].id)
        return result
