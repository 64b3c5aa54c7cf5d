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
def test_every_json_endpoint_is_documented_and_linked_from_the_readme(make_app):
    text = (DOCS / "api.md").read_text()
    app = make_app(AUTO_INIT=False)
    rules = sorted((r.rule, sorted(r.methods - {"HEAD", "OPTIONS"}))
                   for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/"))
    assert rules
    for rule, methods in rules:
        for method in methods:
            assert f"`{method} {rule}" in text, (method, rule)
    assert "(docs/api.md)" in (REPO_ROOT / "README.md").read_text()


def test_the_readme_example_of_broken_documents_is_what_kb_check_prints(monkeypatch):
    from click.testing import CliRunner

    readme = (REPO_ROOT / "README.md").read_text()
    command = "$ .venv/bin/kb check tests/data/broken/"
    assert command in readme  # a check: following the example writes nothing
    shown = readme.split(command + "\n", 1)[1].split("\n$ ", 1)[0].splitlines()
    monkeypatch.chdir(REPO_ROOT)
    printed = CliRunner().invoke(main, ["check", "tests/data/broken/"]).output.splitlines()
    assert shown == printed
