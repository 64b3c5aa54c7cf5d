"""The service modules depend on each other one way, and share no private names."""

from __future__ import annotations

import ast
from pathlib import Path

import kb.services

ROOT = Path(kb.services.__path__[0])


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path):
    """(module, name) for every `from kb.services... import name`, at any depth."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kb.services"):
            for alias in node.names:
                yield node.module, alias.name


def test_no_service_module_imports_a_private_name_of_another():
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        if not _module(path).startswith(("kb.services.exchange", "kb.services.lineage_rules",
                                         "kb.services.events", "kb.services.permissions")):
            continue  # the modules this layout was drawn for; the rest follow as they change
        offenders += [f"{_module(path)}: {module}.{name}" for module, name in _imports(path)
                      if name.startswith("_") and module != _module(path)]
    assert offenders == []


def test_the_editorial_services_and_the_exchange_do_not_import_each_other():
    """The exchange builds on the editorial services (an adaptation starts as a draft);
    the editorial services announce a first publication as an event instead of calling
    the exchange, and check lineage with the lower lineage_rules module."""
    editorial = {module for module, _name in _imports(ROOT / "editorial.py")}
    assert not any(m.startswith("kb.services.exchange") for m in editorial)
    permissions = {module for module, _name in _imports(ROOT / "permissions.py")}
    assert permissions <= {"kb.services.errors", "kb.services.identity"}


def test_a_first_publication_reaches_the_exchange_through_the_event_list(app):
    from kb.services import events
    from kb.services.exchange import notify_adaptation_published

    assert notify_adaptation_published in events._first_publish
