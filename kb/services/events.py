"""A small list of events services announce, so that others react without importing them.

The editorial services announce that a practice was published for the first time;
the exchange listens (it tells followers). The listener registers when its module is
imported, which create_app does for every listening service package.
"""

from __future__ import annotations

from typing import Callable

_first_publish: list[Callable] = []


def on_first_publish(listener: Callable) -> Callable:
    """Register `listener(uow, practice)`: runs inside the unit of work that first
    publishes a practice (its effects, such as notifications, commit with it)."""
    if listener not in _first_publish:
        _first_publish.append(listener)
    return listener


def first_published(uow, practice) -> None:
    for listener in list(_first_publish):
        listener(uow, practice)
