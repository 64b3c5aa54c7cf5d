"""Request helpers shared by the blueprints."""

from __future__ import annotations

from flask import request

from kb.services.identity import ANONYMOUS, Identity


def current_identity() -> Identity:
    """The identity of whoever made this request.

    Accounts arrive with sign-in; until someone signs in, every request reads
    as an anonymous member of the public.
    """
    return ANONYMOUS


def page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def list_args(*names: str) -> dict[str, list[str]]:
    return {n: request.args.getlist(n) for n in names if request.args.getlist(n)}
