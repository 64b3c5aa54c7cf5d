"""The documentation keeps up with the code: settings, commands, fields, set-up commands."""

from __future__ import annotations

import re

from kb.cli import main
from kb.config import REPO_ROOT, SETTINGS
from kb.content.document import FIELD_ORDER
from kb.content.vocab import THEMES

DOCS = REPO_ROOT / "docs"


def test_every_setting_is_documented():
    text = (DOCS / "configuration.md").read_text()
    for setting in SETTINGS:
        assert f"`KB_{setting.name}`" in text, setting.name


def test_every_cli_command_is_documented():
    text = (DOCS / "cli.md").read_text()
    for name in main.commands:
        assert f"`kb {name}" in text, name


def test_every_field_and_theme_is_documented():
    text = (DOCS / "practice-format.md").read_text()
    for field in FIELD_ORDER:
        assert f"`{field}`" in text, field
    for theme in THEMES:
        assert f"`{theme}`" in text, theme


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second():
    readme = (REPO_ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
    serve, test = blocks[0], blocks[1]
    assert "kb serve" in serve and "pip install -e ." in serve
    assert "pytest" in test
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert test in ci


def test_search_limits_are_documented_with_their_values():
    import dataclasses

    from search import QueryLimits

    text = (DOCS / "configuration.md").read_text()
    for limit in dataclasses.fields(QueryLimits):
        assert f"| `{limit.name}` | {limit.default} |" in text, limit.name
