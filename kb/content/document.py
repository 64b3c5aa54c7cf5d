"""Parse, validate and serialize practice documents (format v1).

A practice document is a UTF-8 Markdown file with YAML frontmatter. Parsing
never raises for bad input: it returns every problem at once, each naming the
field and, where the YAML tells, the line in the file.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, NamedTuple, TypeGuard

import frontmatter
import pycountry
import yaml

from kb.content.metrics import MEASURED_LEVELS, is_complete, missing_for_claim
from kb.content.vocab import EVIDENCE, STAGES, THEMES, VISIBILITY

MAX_BYTES = 1024 * 1024
# The Markdown body: rendering takes time in proportion to it (kb.content.render)
MAX_BODY_CHARS = 60_000
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)

# The metadata is a few levels deep (outcomes -> row -> value); deeper nesting is refused
# before it is built, as are YAML aliases (one alias can stand for millions of values).
MAX_YAML_DEPTH = 10

TITLE_MAX = 160
SUMMARY_MAX = 400
SHORT_TEXT_MAX = 200

# The order in which fields are written back; unknown keys follow, as found.
FIELD_ORDER = (
    "slug", "title", "summary", "language", "organization", "country", "region",
    "population", "themes", "tags", "stage", "evidence", "started", "ended", "cost",
    "outcomes", "transferability", "contact", "adapted_from", "adaptation",
    "visibility", "networks", "links", "license", "translations",
)
KNOWN_FIELDS = frozenset(FIELD_ORDER)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document, named by field (and line when known)."""

    field: str
    message: str
    line: int | None = None
    severity: str = "error"

    def format(self, path: str) -> str:
        return f"{path}:{self.line or 1}: {self.field}: {self.message}"


class ValidationFailed(Exception):
    """A document was refused; carries every problem at once."""

    def __init__(self, errors: list[Problem], warnings: list[Problem] | None = None):
        self.errors = list(errors)
        self.warnings = list(warnings or [])
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in self.errors))

    def by_field(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for p in self.errors:
            out.setdefault(p.field, []).append(p.message)
        return out


@dataclass(kw_only=True)
class Outcome:
    indicator: str
    unit: str
    baseline: float | int | None = None
    result: float | int
    better: str | None = None
    period: str | None = None
    source: str | None = None
    note: str | None = None
    # on an adaptation: the original's indicator (same unit) this row measures
    matches: str | None = None

    @property
    def change(self) -> float | int | None:
        if self.baseline is None:
            return None
        return self.result - self.baseline

    @property
    def relative_change(self) -> float | None:
        """Change as a fraction of the baseline (0.25 = +25 %), None if undefined."""
        if self.baseline in (None, 0):
            return None
        return (self.result - self.baseline) / abs(self.baseline)

    @property
    def improved(self) -> bool | None:
        """True when the change goes the way `better` says, None if unknown."""
        if self.baseline is None or self.better is None or self.result == self.baseline:
            return None
        return (self.result < self.baseline) == (self.better == "lower")


@dataclass
class Practice:
    slug: str
    title: str
    summary: str
    language: str
    organization: str
    country: str
    themes: list[str]
    stage: str
    evidence: str
    body: str
    region: str | None = None
    population: int | None = None
    tags: list[str] = field(default_factory=list)
    started: str | None = None
    ended: str | None = None
    cost: dict[str, Any] | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    transferability: dict[str, list[str]] | None = None
    contact: dict[str, str] | None = None
    adapted_from: str | None = None
    adaptation: dict[str, Any] | None = None
    visibility: str = "public"
    networks: list[str] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    license: str | None = None
    # {language: {"title": ..., "summary": ...}}: the title and summary in other languages
    translations: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def started_year(self) -> int | None:
        return int(self.started[:4]) if self.started else None

    def frontmatter(self) -> dict[str, Any]:
        """The metadata as an ordered mapping, empty values left out."""
        out: dict[str, Any] = {}
        for name in FIELD_ORDER:
            value = getattr(self, name)
            if name == "outcomes":
                value = [
                    {k: v for k, v in dataclasses.asdict(o).items() if v is not None}
                    for o in value
                ]
            if value in (None, [], {}, ""):
                continue
            out[name] = value
        out.update(self.extra)
        return out


class ParseResult(NamedTuple):
    practice: Practice | None
    errors: list[Problem]
    warnings: list[Problem]

    @property
    def ok(self) -> bool:
        return self.practice is not None and not self.errors


def slugify(text: str, max_len: int = 80) -> str:
    """An address made of a name: lower-case ASCII words joined by hyphens."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:max_len].rstrip("-") or "practice"


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- entry points


def parse_practice_bytes(data: bytes, filename: str | None = None) -> ParseResult:
    """Parse raw file bytes: checks size and encoding before the text."""
    if len(data) > MAX_BYTES:
        return ParseResult(None, [Problem(
            "document",
            f"the file is {len(data):,} bytes; a practice document may be at most "
            f"{MAX_BYTES:,} bytes (1 MiB)")], [])
    if data.startswith(b"\xef\xbb\xbf"):
        return ParseResult(None, [_bom_problem()], [])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return ParseResult(None, [Problem(
            "document",
            f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}); save it as UTF-8", line)], [])
    return parse_practice(text, filename)


def parse_practice(text: str, filename: str | None = None) -> ParseResult:
    """Parse and validate a document's text.

    Returns the practice (None when there are errors) with every error and
    warning found. Never raises for bad input.
    """
    errors: list[Problem] = []
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        return ParseResult(None, [Problem(
            "document", f"the document is larger than {MAX_BYTES:,} bytes (1 MiB)")], [])
    if not text.strip():
        return ParseResult(None, [Problem("document", "the file is empty")], [])
    if text.startswith("\ufeff"):
        return ParseResult(None, [_bom_problem()], [])
    if "\r" in text:
        line = text[: text.index("\r")].count("\n") + 1
        return ParseResult(None, [Problem(
            "document",
            "the file uses Windows (CRLF) or old Mac (CR) line ends; save it with "
            "LF line ends", line)], [])
    first_line = text.split("\n", 1)[0].rstrip()
    if first_line != "---":
        return ParseResult(None, [Problem(
            "frontmatter",
            "the file has no YAML frontmatter: its first line must be '---', followed "
            "by the metadata and another '---' line", 1)], [])
    lines = text.split("\n")
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if closing is None:
        return ParseResult(None, [Problem(
            "frontmatter", "the frontmatter is not closed: add a line '---' after the "
            "metadata", 1)], [])
    for i in range(1, closing):
        if "\t" in lines[i]:
            errors.append(Problem(
                "frontmatter", "a tab character in the YAML; indent with spaces", i + 1))
    if errors:
        return ParseResult(None, errors, [])

    fm_text, body = frontmatter.YAMLHandler().split(text)
    # python-frontmatter keeps the newline after the opening ---: YAML line 0 is file line 1
    try:
        data, lines_by_path, duplicates = _load_yaml(fm_text, line_offset=1)
    except _Refused as exc:
        return ParseResult(None, [Problem(
            "frontmatter", exc.problem or "",
            exc.problem_mark.line + 1 if exc.problem_mark else None)], [])
    except yaml.YAMLError as exc:
        line, message = _yaml_error(exc, fm_text)
        return ParseResult(None, [Problem("frontmatter", message, line)], [])
    for path, first, second in duplicates:
        errors.append(Problem(
            path, f"this key appears twice (lines {first} and {second}); keep one", second))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return ParseResult(None, [Problem(
            "frontmatter", "the frontmatter must be a mapping of 'field: value' lines", 2)], [])
    v = _Validator(lines_by_path)
    practice = v.practice(data, body, filename)
    errors.extend(v.errors)
    if errors:
        return ParseResult(None, errors, v.warnings)
    return ParseResult(practice, [], v.warnings)


def parse_draft(text: str, filename: str | None = None) -> ParseResult:
    """Parse a draft, which may be half-written.

    A valid document gives its practice as `parse_practice` does. Otherwise, as long as
    its metadata can be read at all, the practice holds what is usable (anything else
    empty) so the draft can be stored and listed, and the errors say what is missing
    before it can be submitted. Only an unreadable document gives no practice.
    """
    result = parse_practice(text, filename)
    if result.practice is not None or not text.startswith("---\n") or "\r" in text:
        return result
    try:
        fm_text, body = frontmatter.YAMLHandler().split(text)
        data, _lines_by_path, _duplicates = _load_yaml(fm_text, line_offset=1)
    except (ValueError, yaml.YAMLError):
        return result
    data = {} if data is None else data
    if not isinstance(data, dict):
        return result
    quiet = _Validator({})

    def text_of(key: str, limit: int) -> str:
        value = data.get(key)
        return value.strip()[:limit] if isinstance(value, str) else ""

    def valid(check, *args):
        before = len(quiet.errors)
        value = check(*args)
        return value if len(quiet.errors) == before else None

    slug = valid(quiet.slug, data, filename)
    started = valid(quiet.date, data.get("started"), "started")
    themes = [t for t in data.get("themes") or [] if isinstance(t, str) and t in THEMES] \
        if isinstance(data.get("themes"), list) else []
    tags = [t.strip()[:60] for t in data.get("tags") or [] if isinstance(t, str) and t.strip()] \
        if isinstance(data.get("tags"), list) else []
    networks = [n for n in data.get("networks") or [] if isinstance(n, str) and SLUG_RE.match(n)] \
        if isinstance(data.get("networks"), list) else []
    practice = Practice(
        slug=slug, title=text_of("title", TITLE_MAX), summary=text_of("summary", SUMMARY_MAX),
        language=valid(quiet.language, data.get("language")) or "",
        organization=text_of("organization", SHORT_TEXT_MAX),
        country=valid(quiet.country, data.get("country")) or "",
        region=text_of("region", SHORT_TEXT_MAX) or None,
        population=valid(quiet.population, data.get("population")),
        themes=list(dict.fromkeys(themes)), tags=tags,
        stage=str(data["stage"]) if data.get("stage") in STAGES else "",
        evidence=str(data["evidence"]) if data.get("evidence") in EVIDENCE else "",
        started=started, ended=valid(quiet.date, data.get("ended"), "ended"),
        adapted_from=valid(quiet.adapted_from, data.get("adapted_from"), slug),
        visibility=str(data["visibility"]) if data.get("visibility") in VISIBILITY
        else "public",
        networks=networks, body=body.strip("\n") + "\n" if body.strip() else "",
    )
    return ParseResult(practice, result.errors, result.warnings)


def unknown_original(text: str, slug: str) -> Problem:
    """The warning for an adaptation whose original is not in the knowledge base."""
    line = next((i + 1 for i, row in enumerate(text.split("\n"))
                 if row.startswith("adapted_from:")), None)
    return Problem("adapted_from", f"'{slug}' is not in this knowledge base (nor among the "
                   "documents given); the page will say the original is not in this "
                   "knowledge base", line, "warning")


def value_problem(field: str, value: str) -> str | None:
    """What a document would be told about this one value of a filterable field, or None.

    Lets a search filter refuse exactly the values an import refuses (theme, country,
    language, stage, evidence).
    """
    checker = _Validator({})
    if field == "theme":
        checker.themes([value])
    elif field == "stage":
        checker.choice(value, "stage", STAGES, required=True)
    elif field == "evidence":
        checker.choice(value, "evidence", EVIDENCE, required=True)
    else:
        getattr(checker, field)(value)
    return checker.errors[0].message if checker.errors else None


def serialize_practice(practice: Practice) -> str:
    """Write a practice back as a document; parse(serialize(p)) == p."""
    meta = practice.frontmatter()
    dumped = yaml.safe_dump(
        meta, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100_000
    )
    body = practice.body
    if body and not body.endswith("\n"):
        body += "\n"
    return f"---\n{dumped}---\n{body}" if body else f"---\n{dumped}---\n"


# ------------------------------------------------------------------- internals


def _yaml_error(exc: yaml.YAMLError, fm_text: str) -> tuple[int, str]:
    """The line and message of a YAML error, with the usual fix: quote the value."""
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None) or ""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    opened = getattr(exc, "context_mark", None)
    rows = fm_text.split("\n")
    if "quoted scalar" in context and opened is not None:
        # reported where the quote opens, not where the parser gave up
        quote = rows[opened.line][opened.column] if opened.line < len(rows) and \
            opened.column < len(rows[opened.line]) else '"'
        return opened.line + 1, (f"YAML syntax error: a quoted value is not closed: add the "
                                 f"closing {quote} on the same line")
    line = mark.line + 1 if mark is not None else 1
    text = rows[mark.line] if mark is not None and mark.line < len(rows) else ""
    key, sep, value = text.strip().partition(": ")
    key = key.lstrip("- ")
    example = ""
    if sep and value and not value.startswith(("'", '"')):
        quoted = "'" + value.replace("'", "''") + "'"
        example = f", e.g. {key}: {quoted}"
    if problem.startswith("mapping values are not allowed"):
        hint = f"a value that contains ': ' must be in quotes: quote the value{example}"
    elif "cannot start any token" in problem:
        hint = ("a value that starts with a character such as % @ ` must be in quotes: "
                f"quote the value{example}")
    else:
        hint = ("if a value contains ': ' or starts with a special character, quote the "
                "value")
    return line, f"YAML syntax error: {problem} ({hint})"


def _bom_problem() -> Problem:
    return Problem(
        "document",
        "the file starts with a byte order mark (BOM); save it as UTF-8 without BOM", 1)


class _Refused(yaml.MarkedYAMLError):
    """Valid YAML a practice document may not use (aliases, deep nesting)."""


class _PracticeLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and nesting deeper than MAX_YAML_DEPTH.

    Both are checked while composing, before any value is built: an alias
    bomb of a few hundred bytes would otherwise expand to millions of values
    (and a recursive alias never ends), and thousands of nested brackets
    would exhaust Python's stack.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise _Refused(problem="YAML aliases (*name) are not allowed in a practice "
                           "document; write the value out in full",
                           problem_mark=self.peek_event().start_mark)
        if self._depth >= MAX_YAML_DEPTH:
            raise _Refused(problem=f"the metadata is nested more than {MAX_YAML_DEPTH} "
                           "levels deep", problem_mark=self.peek_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _load_yaml(text: str, line_offset: int):
    """Load YAML safely, returning data, a path -> line map and duplicate keys."""
    fast = _load_yaml_with_libyaml(text, line_offset)
    if fast is not None:
        return fast
    loader = _PracticeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, []
        lines: dict[str, int] = {}
        duplicates: list[tuple[str, int, int]] = []
        _walk(node, "", lines, duplicates, line_offset)
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    return data, lines, duplicates


def _load_yaml_with_libyaml(text: str, line_offset: int):
    """The same load through libyaml's C parser (several times faster), or None.

    Only for metadata with nothing to refuse: the events are read first, and
    an alias, deep nesting or any error leaves the text to the pure-Python
    loader above, which refuses or reports it with its own messages. None
    too when PyYAML was built without libyaml.
    """
    if not getattr(yaml, "__with_libyaml__", False):
        return None
    try:
        depth = 0
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.AliasEvent):
                return None
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth >= MAX_YAML_DEPTH - 1:
                    return None
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
        loader = yaml.CSafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            lines: dict[str, int] = {}
            duplicates: list[tuple[str, int, int]] = []
            _walk(node, "", lines, duplicates, line_offset)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except Exception:  # the pure-Python loader reports it
        return None
    return data, lines, duplicates


def _walk(node, path, lines, duplicates, offset):
    if path:
        lines.setdefault(path, node.start_mark.line + offset)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            line = key_node.start_mark.line + offset
            if key in seen:
                duplicates.append((child, seen[key], line))
            seen.setdefault(key, line)
            lines.setdefault(child, line)
            _walk(value_node, child, lines, duplicates, offset)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, f"{path}[{i}]", lines, duplicates, offset)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Validator:
    """Collects every problem of one document; methods return clean values."""

    def __init__(self, lines: dict[str, int]):
        self.lines = lines
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(Problem(path, message, self._line(path)))

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(Problem(path, message, self._line(path), "warning"))

    def _line(self, path: str) -> int:
        """The line of a field, or of its nearest parent the YAML mentions."""
        while path:
            if path in self.lines:
                return self.lines[path]
            parent = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", path)
            if parent == path:
                break
            path = parent
        return 1

    # -- scalar helpers ------------------------------------------------------

    def text(self, data: dict, key: str, path: str, *, required=False, max_len=None):
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(path, "is required")
            return None
        if not isinstance(value, str):
            self.error(path, f"must be text, not {_kind(value)}"
                       + (" (put it in quotes)" if _is_number(value) or
                          isinstance(value, (bool, dt.date)) else ""))
            return None
        value = value.strip()
        if max_len and len(value) > max_len:
            self.error(path, f"is {len(value)} characters long; at most {max_len} allowed")
        return value

    def text_list(self, value: Any, path: str, *, max_len=SHORT_TEXT_MAX) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, f"must be a list, such as [first, second], not {_kind(value)}")
            return []
        out = []
        for i, item in enumerate(value):
            if _is_number(item):
                item = str(item)
            if not isinstance(item, str) or not item.strip():
                self.error(f"{path}[{i}]", "must be non-empty text")
                continue
            if len(item) > max_len:
                self.error(f"{path}[{i}]", f"is longer than {max_len} characters")
            out.append(item.strip())
        return out

    def date(self, value: Any, path: str) -> str | None:
        if value is None or value == "":
            return None
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return value.isoformat()
        if _is_number(value) and isinstance(value, int):
            value = str(value)
        if not isinstance(value, str):
            self.error(path, f"must be a date as YYYY, YYYY-MM or YYYY-MM-DD, not {_kind(value)}")
            return None
        m = DATE_RE.match(value.strip())
        if not m:
            self.error(path, f"'{value}' is not a date as YYYY, YYYY-MM or YYYY-MM-DD")
            return None
        year, month, day = m.group(1), m.group(2), m.group(3)
        if not 1800 <= int(year) <= 2200:
            self.error(path, f"year {year} is out of range")
            return None
        if month and not 1 <= int(month) <= 12:
            self.error(path, f"month {month} does not exist")
            return None
        if day and not 1 <= int(day) <= calendar.monthrange(int(year), int(month))[1]:
            self.error(path, f"day {day} does not exist in {year}-{month}")
            return None
        return value.strip()

    def url(self, value: Any, path: str) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str) or not URL_RE.match(value.strip()):
            self.error(path, f"'{value}' is not a web address starting with http:// or https://")
            return None
        return value.strip()

    def mapping(self, data: dict, key: str, path: str, allowed: tuple[str, ...]):
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.error(path, f"must be a mapping with the keys {', '.join(allowed)}, "
                       f"not {_kind(value)}")
            return None
        for k in value:
            if k not in allowed:
                self.warn(f"{path}.{k}", f"unknown key, kept as is (known: {', '.join(allowed)})")
        return value

    # -- the document --------------------------------------------------------

    def practice(self, data: dict, body: str, filename: str | None) -> Practice | None:
        for key in data:
            if not isinstance(key, str):
                self.error(str(key), "field names must be text")
        extra = {k: v for k, v in data.items() if isinstance(k, str) and k not in KNOWN_FIELDS}
        for key in extra:
            self.warn(key, "unknown field, kept as is")

        slug = self.slug(data, filename)
        title = self.text(data, "title", "title", required=True, max_len=TITLE_MAX)
        summary = self.text(data, "summary", "summary", required=True, max_len=SUMMARY_MAX)
        language = self.language(data.get("language"))
        organization = self.text(data, "organization", "organization", required=True,
                                 max_len=SHORT_TEXT_MAX)
        country = self.country(data.get("country"))
        region = self.text(data, "region", "region", max_len=SHORT_TEXT_MAX)
        population = self.population(data.get("population"))
        themes = self.themes(data.get("themes"))
        tags = self.text_list(data.get("tags"), "tags", max_len=60)
        stage = self.choice(data.get("stage"), "stage", STAGES, required=True)
        evidence = self.choice(data.get("evidence"), "evidence", EVIDENCE, required=True)
        started = self.date(data.get("started"), "started")
        ended = self.date(data.get("ended"), "ended")
        if started and ended and ended < started[: len(ended)]:
            self.error("ended", f"{ended} is before started ({started})")
        cost = self.cost(data)
        outcomes = self.outcomes(data.get("outcomes"))
        transferability = self.list_mapping(
            data, "transferability", ("preconditions", "core", "adaptable"))
        contact = self.contact(data)
        adapted_from = self.adapted_from(data.get("adapted_from"), slug)
        adaptation = self.adaptation(data, adapted_from)
        visibility = self.choice(data.get("visibility"), "visibility", VISIBILITY) or "public"
        networks = self.networks(data.get("networks"), visibility)
        links = self.links(data.get("links"))
        license_ = self.text(data, "license", "license", max_len=100)
        translations = self.translations(data.get("translations"), language)
        if not body.strip():
            self.errors.append(Problem(
                "body", "the practice has no text after the frontmatter", None))
        elif len(body) > MAX_BODY_CHARS:
            self.errors.append(Problem(
                "body", f"the text after the frontmatter is {len(body):,} characters long; "
                f"at most {MAX_BODY_CHARS:,} are allowed", None))
        if self.errors or slug is None or language is None or country is None \
                or stage is None or evidence is None:  # each of these is an error when missing
            return None
        # only on a valid document: a row refused above must not read as a missing figure
        if evidence in MEASURED_LEVELS and not any(is_complete(o) for o in outcomes):
            what = (f"the most complete lacks {', '.join(missing_for_claim(outcomes))}"
                    if outcomes else "there are no outcome rows")
            self.warn("evidence", f"claims '{evidence}' but no outcome has a baseline, result, "
                      f"direction (better), period and source ({what}); it is shown as "
                      "anecdotal until one does")
        return Practice(
            slug=slug, title=title, summary=summary, language=language,
            organization=organization, country=country, region=region,
            population=population, themes=themes, tags=tags, stage=stage,
            evidence=evidence, started=started, ended=ended, cost=cost,
            outcomes=outcomes, transferability=transferability, contact=contact,
            adapted_from=adapted_from, adaptation=adaptation, visibility=visibility,
            networks=networks, links=links, license=license_,
            translations=translations, extra=extra,
            body=body.strip("\n") + "\n" if body.strip() else "",
        )

    def slug(self, data: dict, filename: str | None) -> str | None:
        value = data.get("slug")
        source = "slug"
        if value is None or value == "":
            if not filename:
                self.error("slug", "is required when the document has no file name")
                return None
            value = PurePath(filename).name
            if value.endswith(".md"):
                value = value[:-3]
            source = "file name"
        if not isinstance(value, str):
            self.error("slug", f"must be text, not {_kind(value)}")
            return None
        if not 3 <= len(value) <= 80:
            self.error("slug", f"the {source} '{value}' must be 3 to 80 characters long")
            return None
        if not SLUG_RE.match(value):
            self.error("slug", f"the {source} '{value}' may hold only lower-case letters a-z, "
                       "digits and single hyphens between them")
            return None
        return value

    def language(self, value: Any) -> str | None:
        if value is None or value == "":
            self.error("language", "is required (an ISO 639-1 code such as en, fi or sv)")
            return None
        if not isinstance(value, str) or len(value) != 2 or not value.islower() \
                or pycountry.languages.get(alpha_2=value) is None:
            self.error("language", f"'{value}' is not an ISO 639-1 language code "
                       "(two lower-case letters such as en, fi, sv, de)")
            return None
        return value

    def country(self, value: Any) -> str | None:
        if isinstance(value, bool):
            self.error("country", "YAML reads NO (Norway) and similar codes as true/false: "
                       "put the code in quotes, e.g. country: 'NO'")
            return None
        if value is None or value == "":
            self.error("country", "is required (an ISO 3166-1 alpha-2 code such as FI or DE)")
            return None
        if not isinstance(value, str) or len(value) != 2 or not value.isupper() \
                or pycountry.countries.get(alpha_2=value) is None:
            hint = ""
            if isinstance(value, str) and value.upper() != value and \
                    pycountry.countries.get(alpha_2=value.upper()):
                hint = f" (write it in capitals: {value.upper()})"
            self.error("country", f"'{value}' is not an ISO 3166-1 alpha-2 country code{hint}")
            return None
        return value

    def population(self, value: Any) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error("population", f"must be a whole number without separators, not {_kind(value)}")
            return None
        if value < 0:
            self.error("population", "cannot be negative")
            return None
        return value

    def themes(self, value: Any) -> list[str]:
        if value is None or value == []:
            self.error("themes", "at least one theme is required, such as [permitting]")
            return []
        if not isinstance(value, list):
            self.error("themes", f"must be a list, such as [permitting, water], not {_kind(value)}")
            return []
        out = []
        for i, theme in enumerate(value):
            if theme not in THEMES:
                self.error(f"themes[{i}]", f"'{theme}' is not a theme; see the list in "
                           "docs/practice-format.md")
            elif theme in out:
                self.warn(f"themes[{i}]", f"'{theme}' is listed twice")
            else:
                out.append(theme)
        return out

    def choice(self, value: Any, path: str, allowed: dict, required=False) -> str | None:
        if value is None or value == "":
            if required:
                self.error(path, f"is required: one of {', '.join(allowed)}")
            return None
        if value not in allowed:
            self.error(path, f"'{value}' is not one of {', '.join(allowed)}")
            return None
        return value

    def cost(self, data: dict) -> dict | None:
        value = self.mapping(data, "cost", "cost", ("amount", "currency", "note"))
        if value is None:
            return None
        out: dict[str, Any] = {}
        amount = value.get("amount")
        if not _is_number(amount) or amount < 0:
            self.error("cost.amount", "must be a number of zero or more")
        else:
            out["amount"] = amount
        currency = value.get("currency")
        if not isinstance(currency, str) or pycountry.currencies.get(alpha_3=currency) is None:
            self.error("cost.currency", f"'{currency}' is not an ISO 4217 currency code such as EUR")
        else:
            out["currency"] = currency
        note = value.get("note")
        if note is not None:
            if not isinstance(note, str):
                self.error("cost.note", "must be text")
            else:
                out["note"] = note
        for k, v in value.items():
            if k not in out and k not in ("amount", "currency", "note"):
                out[k] = v
        return out

    def outcomes(self, value: Any) -> list[Outcome]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error("outcomes", f"must be a list of indicator rows, not {_kind(value)}")
            return []
        out = []
        allowed = ("indicator", "unit", "baseline", "result", "better", "period",
                   "source", "note", "matches")
        for i, row in enumerate(value):
            path = f"outcomes[{i}]"
            if not isinstance(row, dict):
                self.error(path, "must be a mapping with indicator, unit, result ...")
                continue
            for k in row:
                if k not in allowed:
                    self.warn(f"{path}.{k}", "unknown key in an outcome row; it is not stored")
            indicator = self.text(row, "indicator", f"{path}.indicator", required=True,
                                  max_len=SHORT_TEXT_MAX)
            unit = self.text(row, "unit", f"{path}.unit", required=True, max_len=40)
            result = row.get("result")
            if result is None:
                self.error(f"{path}.result", "is required: the measured value")
            elif not _is_number(result):
                self.error(f"{path}.result", f"must be a number, not {_kind(result)} "
                           f"('{result}')")
            baseline = row.get("baseline")
            if baseline is not None and not _is_number(baseline):
                self.error(f"{path}.baseline", f"must be a number, not {_kind(baseline)} "
                           f"('{baseline}')")
            better = self.choice(row.get("better"), f"{path}.better",
                                 {"lower": 1, "higher": 1})
            period = row.get("period")
            if period is not None and not isinstance(period, str):
                period = str(period)
            source = self.url(row.get("source"), f"{path}.source")
            note = self.text(row, "note", f"{path}.note", max_len=400)
            matches = self.text(row, "matches", f"{path}.matches", max_len=SHORT_TEXT_MAX)
            if indicator and unit and _is_number(result) and \
                    (baseline is None or _is_number(baseline)):
                out.append(Outcome(indicator=indicator, unit=unit, result=result,
                                   baseline=baseline, better=better, period=period,
                                   source=source, note=note, matches=matches))
        return out

    def list_mapping(self, data: dict, key: str, keys: tuple[str, ...]):
        value = self.mapping(data, key, key, keys)
        if value is None:
            return None
        out = {}
        for k in keys:
            items = self.text_list(value.get(k), f"{key}.{k}", max_len=400)
            if items:
                out[k] = items
        for k, v in value.items():
            if k not in keys:
                out[k] = v
        return out or None

    def contact(self, data: dict) -> dict | None:
        allowed = ("name", "role", "email", "url", "phone")
        value = self.mapping(data, "contact", "contact", allowed)
        if value is None:
            return None
        out = {}
        for k, v in value.items():
            if v is None or v == "":
                continue
            if not isinstance(v, str):
                self.error(f"contact.{k}", "must be text")
                continue
            out[k] = v.strip()
        if "email" in out and not EMAIL_RE.match(out["email"]):
            self.error("contact.email", f"'{out['email']}' is not an e-mail address")
        if "url" in out:
            self.url(out["url"], "contact.url")
        return out or None

    def adapted_from(self, value: Any, slug: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str) or not SLUG_RE.match(value) or not 3 <= len(value) <= 80:
            self.error("adapted_from", f"'{value}' is not the slug of a practice")
            return None
        if value == slug:
            self.error("adapted_from", "a practice cannot be adapted from itself")
            return None
        return value

    def adaptation(self, data: dict, adapted_from: str | None) -> dict | None:
        keys = ("kept", "changed", "dropped", "context")
        value = self.mapping(data, "adaptation", "adaptation", keys)
        if value is None:
            return None
        if not adapted_from and "adapted_from" not in data:
            self.error("adaptation", "is only for adaptations: set adapted_from to the "
                       "slug of the original practice")
        out: dict[str, Any] = {}
        for k in ("kept", "changed", "dropped"):
            items = self.text_list(value.get(k), f"adaptation.{k}", max_len=400)
            if items:
                out[k] = items
        context = value.get("context")
        if context is not None:
            if not isinstance(context, str):
                self.error("adaptation.context", "must be text")
            elif context.strip():
                out["context"] = context.strip()
        for k, v in value.items():
            if k not in keys:
                out[k] = v
        return out or None

    def networks(self, value: Any, visibility: str | None) -> list[str]:
        items = self.text_list(value, "networks", max_len=80)
        for i, item in enumerate(items):
            if not SLUG_RE.match(item):
                self.error(f"networks[{i}]", f"'{item}' is not a network slug")
        if visibility == "network" and not items:
            self.error("networks", "a practice with visibility: network must name at least "
                       "one network")
        return items

    def links(self, value: Any) -> list[dict[str, str]]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error("links", f"must be a list of {{title, url}} entries, not {_kind(value)}")
            return []
        out = []
        for i, item in enumerate(value):
            path = f"links[{i}]"
            if not isinstance(item, dict):
                self.error(path, "must be a mapping with title and url")
                continue
            title = self.text(item, "title", f"{path}.title", required=True, max_len=300)
            url = self.url(item.get("url"), f"{path}.url")
            if item.get("url") in (None, ""):
                self.error(f"{path}.url", "is required")
            for k in item:
                if k not in ("title", "url"):
                    self.warn(f"{path}.{k}", "unknown key in a link; it is not stored")
            if title and url:
                out.append({"title": title, "url": url})
        return out


    def translations(self, value: Any, language: str | None) -> dict[str, dict[str, Any]]:
        """The title and summary in other languages: {en: {title, summary}, ...}."""
        if value is None or value == {}:
            return {}
        if not isinstance(value, dict):
            self.error("translations", "must be a mapping of language codes to {title, summary}, "
                       f"such as en: {{title: ..., summary: ...}}, not {_kind(value)}")
            return {}
        out: dict[str, dict[str, Any]] = {}
        for lang, item in value.items():
            path = f"translations.{lang}"
            if isinstance(lang, bool):
                self.error(path, "YAML reads no (Norwegian) and similar codes as true/false: "
                           "put the code in quotes, e.g. 'no': {title: ..., summary: ...}")
                continue
            if lang == "" or lang is None:
                self.error(path, "a language code is required (an ISO 639-1 code such as "
                           "en, fi or sv)")
                continue
            if not isinstance(lang, str) or len(lang) != 2 or not lang.islower() \
                    or pycountry.languages.get(alpha_2=lang) is None:
                self.error(path, f"'{lang}' is not an ISO 639-1 language code "
                           "(two lower-case letters such as en, fi, sv, de)")
                continue
            if lang == language:
                self.error(path, f"the document itself is in '{lang}': a translation must "
                           "be in another language")
                continue
            if not isinstance(item, dict):
                self.error(path, f"must be a mapping with title and summary, not {_kind(item)}")
                continue
            for k in item:
                if k not in ("title", "summary"):
                    self.warn(f"{path}.{k}", "unknown key, kept as is (known: title, summary)")
            title = self.text(item, "title", f"{path}.title", required=True, max_len=TITLE_MAX)
            summary = self.text(item, "summary", f"{path}.summary", required=True,
                                max_len=SUMMARY_MAX)
            if title and summary:
                entry: dict[str, Any] = {"title": title, "summary": summary}
                entry.update({k: v for k, v in item.items() if k not in ("title", "summary")})
                out[lang] = entry
        return out


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, dt.date):
        return "a date"
    return type(value).__name__
