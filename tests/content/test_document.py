"""The practice document: every validation rule and every bad input."""

from __future__ import annotations

import pytest

from kb.content import MAX_BYTES, parse_practice, parse_practice_bytes, serialize_practice
from kb.content.vocab import THEMES

VALID = """\
---
title: One-stop building permits
summary: Permits in 12 days instead of 45
language: en
organization: Example City
country: FI
themes: [permitting, digital-services]
stage: evaluated
evidence: monitored
---
## Challenge

Slow permits.
"""


def doc(**changes) -> str:
    """VALID with frontmatter lines replaced, added (value) or removed (None)."""
    lines = VALID.split("\n")
    end = lines.index("---", 1)
    meta = lines[1:end]
    for key, value in changes.items():
        meta = [m for m in meta if not m.startswith(f"{key}:")]
        if value is not None:
            meta.append(f"{key}: {value}")
    return "\n".join(["---", *meta, *lines[end:]])


def errors_of(text: str, filename: str = "one-stop-building-permits.md") -> dict[str, str]:
    result = parse_practice(text, filename)
    assert result.practice is None or not result.errors
    return {p.field: p.message for p in result.errors}


def test_valid_document_parses_with_slug_from_file_name():
    result = parse_practice(VALID, "one-stop-building-permits.md")
    assert result.errors == []
    p = result.practice
    assert p.slug == "one-stop-building-permits"
    assert p.themes == ["permitting", "digital-services"]
    assert p.visibility == "public"
    assert p.body.startswith("## Challenge")


def test_round_trip_is_stable():
    text = doc(
        population="255000", tags="[one-stop shop, e-permits]", started="2021-03",
        ended="'2023-12-31'", cost="{amount: 120000, currency: EUR, note: one-off}",
        outcomes="[{indicator: Median time, unit: days, baseline: 45, result: 12, "
                 "better: lower, period: 2021-2023, source: 'https://example.org/r.pdf'}]",
        transferability="{preconditions: [e-ID], core: [one desk], adaptable: [fees]}",
        contact="{name: A. Person, role: Head of permits, email: permits@example.org}",
        links="[{title: Report, url: 'https://example.org/r.pdf'}]",
        license="CC-BY-4.0", custom_field="kept")
    first = parse_practice(text, "one-stop-building-permits.md")
    assert first.errors == []
    again = serialize_practice(first.practice)
    second = parse_practice(again, "elsewhere.md")
    assert second.errors == []
    assert second.practice == first.practice
    assert serialize_practice(second.practice) == again
    assert second.practice.extra == {"custom_field": "kept"}


@pytest.mark.parametrize("field", ["title", "summary", "language", "organization",
                                   "country", "themes", "stage", "evidence"])
def test_required_fields(field):
    assert field in errors_of(doc(**{field: None}))


def test_every_error_is_reported_at_once():
    errors = errors_of(doc(title=None, language="english", country="fi",
                           themes="[flying-cars]", stage="done", evidence="strong"))
    assert set(errors) == {"title", "language", "country", "themes[0]", "stage", "evidence"}
    assert "capitals: FI" in errors["country"]


def test_lengths():
    assert "at most 160" in errors_of(doc(title="x" * 161))["title"]
    assert "at most 400" in errors_of(doc(summary="x" * 401))["summary"]
    assert errors_of(doc(title="x" * 160, summary="y" * 400)) == {}


@pytest.mark.parametrize("value,ok", [("en", True), ("fi", True), ("sv", True),
                                      ("EN", False), ("eng", False), ("xx", False)])
def test_language_is_iso_639_1(value, ok):
    assert ("language" not in errors_of(doc(language=value))) is ok


@pytest.mark.parametrize("value,ok", [("FI", True), ("SE", True), ("DE", True),
                                      ("XX", False), ("FIN", False), ("fi", False)])
def test_country_is_iso_3166_alpha2(value, ok):
    assert ("country" not in errors_of(doc(country=value))) is ok


def test_norway_needs_quotes_in_yaml():
    assert "country: 'NO'" in errors_of(doc(country="NO"))["country"]
    assert errors_of(doc(country="'NO'")) == {}


def test_themes_come_from_the_controlled_list():
    assert 20 <= len(THEMES) <= 30
    assert "themes" in errors_of(doc(themes="[]"))
    assert "themes" in errors_of(doc(themes="permitting"))
    assert errors_of(doc(themes="[water, flood-preparedness]")) == {}


@pytest.mark.parametrize("value,ok", [
    ("2021", True), ("2021-03", True), ("'2021-03-31'", True), ("2021-03-31", True),
    ("2021-13", False), ("'2021-02-30'", False), ("March 2021", False), ("21-03", False),
])
def test_dates(value, ok):
    assert ("started" not in errors_of(doc(started=value))) is ok


def test_ended_before_started_is_refused():
    assert "before started" in errors_of(doc(started="2022", ended="2021"))["ended"]


@pytest.mark.parametrize("slug,ok", [
    ("abc", True), ("a-b-c-1", True), ("ab", False), ("a" * 81, False), ("A-b", False),
    ("../etc", False), ("a/b", False), ("a--b", False), ("-ab", False), ("ab-", False),
    ("a b", False), ("ä-b-c", False),
])
def test_slugs(slug, ok):
    assert ("slug" not in errors_of(doc(slug=f"'{slug}'"))) is ok


def test_slug_from_a_bad_file_name_is_refused():
    assert "file name" in errors_of(VALID, "My Practice.md")["slug"]


def test_outcome_rows_need_numbers_where_numbers_are_expected():
    errors = errors_of(doc(outcomes="[{indicator: Time, unit: days, baseline: forty, "
                                    "result: '12'}, {unit: x}]"))
    assert "must be a number" in errors["outcomes[0].result"]
    assert "must be a number" in errors["outcomes[0].baseline"]
    assert errors["outcomes[1].indicator"] == "is required"
    assert "is required" in errors["outcomes[1].result"]


def test_outcome_change_and_direction():
    result = parse_practice(doc(outcomes="[{indicator: t, unit: d, baseline: 40, result: 10, "
                                         "better: lower}]"), "abc.md")
    outcome = result.practice.outcomes[0]
    assert outcome.change == -30
    assert outcome.relative_change == pytest.approx(-0.75)
    assert outcome.improved is True


def test_cost_contact_links_and_visibility():
    errors = errors_of(doc(cost="{amount: -1, currency: EURO}",
                           contact="{email: not-an-address}",
                           links="[{title: x, url: 'javascript:alert(1)'}]",
                           visibility="network"))
    assert set(errors) >= {"cost.amount", "cost.currency", "contact.email", "links[0].url",
                           "networks"}


def test_adaptation_fields():
    assert "adapted from itself" in errors_of(
        doc(adapted_from="one-stop-building-permits"))["adapted_from"]
    assert "adaptation" in errors_of(doc(adaptation="{kept: [a]}"))
    assert errors_of(doc(adapted_from="other-practice",
                         adaptation="{kept: [a], changed: [b], dropped: [c]}")) == {}


def test_unknown_keys_are_kept_and_warned():
    result = parse_practice(doc(pilot_partner="Somewhere", evidence="anecdotal"), "abc.md")
    assert result.errors == []
    assert [w.field for w in result.warnings] == ["pilot_partner"]
    assert result.practice.extra == {"pilot_partner": "Somewhere"}
    assert "pilot_partner: Somewhere" in serialize_practice(result.practice)


def test_duplicate_keys_are_an_error_naming_both_lines():
    text = VALID.replace("stage: evaluated", "stage: evaluated\nstage: pilot")
    problems = parse_practice(text, "abc.md").errors
    assert problems[0].field == "stage"
    assert "twice (lines 8 and 9)" in problems[0].message


def test_errors_name_the_line_of_the_field():
    text = doc(stage="finished")
    problem = parse_practice(text, "abc.md").errors[0]
    assert text.split("\n")[problem.line - 1].startswith("stage:")


def test_yaml_syntax_error_names_the_line():
    text = VALID.replace("stage: evaluated", "stage: [evaluated")
    problem = parse_practice(text, "abc.md").errors[0]
    assert problem.field == "frontmatter"
    assert "YAML syntax error" in problem.message
    assert problem.line == 9


@pytest.mark.parametrize("data,field,words", [
    (b"", "document", "empty"),
    (b"   \n\n", "document", "empty"),
    (b"\xef\xbb\xbf" + VALID.encode(), "document", "byte order mark"),
    (VALID.replace("\n", "\r\n").encode(), "document", "CRLF"),
    (VALID.replace("stage: evaluated", "stage:\tevaluated").encode(), "frontmatter", "tab"),
    (VALID.encode().replace(b"Slow", b"Sl\xffow"), "document", "not valid UTF-8"),
    (b"Just some text\n", "frontmatter", "no YAML frontmatter"),
    (b"---\ntitle: x\n", "frontmatter", "not closed"),
    (b"---\n- a list\n---\nbody\n", "frontmatter", "mapping"),
    (VALID.encode() + b"x" * MAX_BYTES, "document", "1 MiB"),
])
def test_bad_input_gets_a_clear_error_never_a_traceback(data, field, words):
    result = parse_practice_bytes(data, "abc.md")
    assert result.practice is None
    assert result.errors[0].field == field
    assert words in result.errors[0].message


def test_crlf_error_names_the_first_line():
    result = parse_practice_bytes(VALID.replace("\n", "\r\n").encode(), "abc.md")
    assert result.errors[0].line == 1


def test_empty_body_is_refused():
    text = VALID.split("## Challenge")[0]
    assert "body" in errors_of(text)


def test_problem_format_is_path_line_field_message():
    problem = parse_practice(doc(stage="x"), "abc.md").errors[0]
    assert problem.format("practices/abc.md").startswith(f"practices/abc.md:{problem.line}: stage: ")


# -- YAML that costs more than it says ----------------------------------------

ALIAS_BOMB = "\n".join(
    ["x0: &a0 [a, a, a, a, a, a, a, a, a, a]"]
    + [f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)])


@pytest.mark.parametrize("extra,line", [
    (ALIAS_BOMB, 11),                       # 10**9 values from ~600 bytes
    ("loop: &a [*a]", 10),                  # a list that contains itself
    ("tags: &t [one, two]\nextra_tags: *t", 11),
])
def test_yaml_aliases_are_refused_before_they_expand(extra, line):
    text = VALID.replace("evidence: monitored", "evidence: monitored\n" + extra)
    result = parse_practice(text, "abc.md")
    assert result.practice is None
    [problem] = result.errors
    assert problem.field == "frontmatter"
    assert "aliases" in problem.message
    assert problem.line == line


def test_deeply_nested_yaml_is_refused_with_a_clear_error():
    text = VALID.replace("evidence: monitored",
                         "evidence: monitored\ndeep: " + "[" * 5000 + "]" * 5000)
    [problem] = parse_practice(text, "abc.md").errors
    assert problem.field == "frontmatter"
    assert "nested more than" in problem.message
    assert problem.line == 10
    # ordinary depth (an outcome row's fields, a mapping under an unknown key) is fine
    ok = VALID.replace("evidence: monitored", "evidence: monitored\nextra: {a: {b: [1, 2]}}")
    assert parse_practice(ok, "abc.md").ok


def test_a_body_longer_than_the_limit_is_refused_naming_the_limit():
    from kb.content import MAX_BODY_CHARS

    long_body = VALID + "word " * (MAX_BODY_CHARS // 5)
    [problem] = parse_practice(long_body, "abc.md").errors
    assert problem.field == "body"
    assert f"at most {MAX_BODY_CHARS:,} are allowed" in problem.message
    assert parse_practice(VALID + "word " * (MAX_BODY_CHARS // 5 - 20), "abc.md").ok
@pytest.mark.parametrize("line,value,example", [
    ("title: Edge: with colon", "mapping values are not allowed here",
     "quote the value, e.g. title: 'Edge: with colon'"),
    ("summary: % of households warned", "found character '%' that cannot start any token",
     "quote the value, e.g. summary: '% of households warned'"),
])
def test_yaml_errors_say_to_quote_the_value(line, value, example):
    field = line.split(":")[0]
    text = "\n".join(row if not row.startswith(f"{field}:") else line
                     for row in VALID.split("\n"))
    problem = parse_practice(text, "abc.md").errors[0]
    assert problem.field == "frontmatter"
    assert value in problem.message and example in problem.message, problem.message
    assert text.split("\n")[problem.line - 1] == line


def test_an_unclosed_quote_is_reported_where_it_opens():
    text = VALID.replace("summary:", 'summary: "', 1)
    problem = parse_practice(text, "abc.md").errors[0]
    assert text.split("\n")[problem.line - 1].startswith('summary: "')
    assert 'a quoted value is not closed: add the closing " on the same line' in problem.message


def test_the_fast_yaml_loader_reads_every_bundled_document_as_the_careful_one_does():
    """Valid metadata is read by libyaml (faster imports); the result must be the same."""
    from pathlib import Path

    import yaml

    from kb.content import document

    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML without libyaml")
    root = Path(__file__).resolve().parents[2]
    files = sorted((root / "practices").glob("*.md")) + sorted(
        (root / "tests" / "data" / "practices").glob("*.md"))
    assert len(files) > 20
    for path in files:
        meta = path.read_text(encoding="utf-8").split("\n---\n", 1)[0][4:]
        fast = document._load_yaml_with_libyaml(meta, 2)
        loader = document._PracticeLoader(meta)
        try:
            node = loader.get_single_node()
            lines, duplicates = {}, []
            document._walk(node, "", lines, duplicates, 2)
            careful = (loader.construct_document(node), lines, duplicates)
        finally:
            loader.dispose()
        assert fast == careful, path.name


@pytest.mark.parametrize("meta", [
    "a: &x [1]\nb: *x\n",                              # an alias
    "a: " + "[" * 12 + "]" * 12 + "\n",                  # nested too deep
    "a: b: c\n",                                       # a syntax error
])
def test_metadata_to_refuse_is_left_to_the_careful_loader(meta):
    from kb.content import document

    assert document._load_yaml_with_libyaml(meta, 0) is None
