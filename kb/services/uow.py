"""Unit of work: write, commit, then run the side effects.

Side effects (search indexing, the file mirror, mail delivery) are registered while the
work happens and run only after the database commit succeeded, so nothing
outside the database ever describes a change that was rolled back.
"""

from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy.orm import Session

from kb.db import session as current_session

log = logging.getLogger(__name__)


class UnitOfWork:
    def __init__(self, session: Session | None = None):
        self.session = session or current_session()
        self._effects: list[Callable[[], None]] = []

    def on_commit(self, effect: Callable[[], None]) -> None:
        if effect not in self._effects:
            self._effects.append(effect)

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.session.rollback()
            return
        self.session.commit()
        for effect in self._effects:
            try:
                effect()
            except Exception:  # an effect must not undo a committed change
                # each effect works from durable state (the change log, the mail
                # outbox), so what it missed is picked up by its next run
                log.exception("after-commit effect %r failed; the change is committed",
                              effect)
