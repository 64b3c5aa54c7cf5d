"""Every service checks permission itself, before it touches anything."""

from __future__ import annotations

import ast
import inspect

import pytest

from kb.services import practices, search, status
from kb.services.errors import PermissionDenied
from kb.services.identity import ANONYMOUS, Identity

MODULES = [practices, search, status]


def service_functions():
    for module in MODULES:
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_"):
                params = list(inspect.signature(fn).parameters)
                if params and params[0] == "identity":
                    yield f"{module.__name__}.{name}", fn


def calls(fn, name):
    tree = ast.parse(inspect.getsource(fn))
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and getattr(n.func, "id", None) == name]


@pytest.mark.parametrize("name,fn", list(service_functions()))
def test_every_service_checks_permission(name, fn):
    assert calls(fn, "require"), f"{name} never calls require()"


def test_there_are_services_to_check():
    assert len(list(service_functions())) >= 10


@pytest.mark.parametrize("call", [
    lambda: practices.practice_import(ANONYMOUS, "---\n---\n", "x.md"),
    lambda: practices.practices_import_dir(Identity(user_id=3), "."),
    lambda: practices.practices_export(Identity(user_id=3), "/nonexistent"),
    lambda: search.search_rebuild(ANONYMOUS),
])
def test_operators_only_operations_are_refused_before_any_work(ctx, call):
    with pytest.raises(PermissionDenied):
        call()
