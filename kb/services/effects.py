"""After-commit effects of a practice change: search and the file mirror.

They are module-level functions so a unit of work that changes several
practices runs each effect once.
"""

from __future__ import annotations

import logging

from flask import current_app

log = logging.getLogger(__name__)


def after_practice_change(uow) -> None:
    uow.on_commit(_catch_up_search)
    uow.on_commit(_catch_up_read_model)  # after the index: similar lists read it
    if current_app.config.get("EXPORT_DIR"):
        uow.on_commit(_mirror_files)


def _catch_up_search() -> None:
    from kb.services.search import search_catch_up

    search_catch_up()


def _catch_up_read_model() -> None:
    from kb.services.readmodel import read_model_catch_up

    read_model_catch_up()


def _mirror_files() -> None:
    from kb.services.mirror import mirror_catch_up

    mirror_catch_up(current_app.config["EXPORT_DIR"])
