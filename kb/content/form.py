"""The submission form and the practice document, both ways, without loss.

The form shows the fields a person edits (outcome rows as outcome-<n>-<key>,
translations as translation-<n>-<language|title|summary>).
`document_from_form` does not build a new document from the form: it edits the
document the form was opened on. A field the request carries replaces that
field's value; a field it does not carry (unknown keys, an outcome row's
`matches`, the contact's url and phone, anything a later form adds) is written
back as it was. A top-level field whose value did not change keeps its exact
text (flow style, quotes, comments), so saving unchanged gives back the same
bytes and changing one field changes only that field's lines.

Normalisation: a field that did change is written in the portal's style (lists
of plain values in brackets, mappings as indented blocks); a comment inside
that field's lines goes with it.

`form_field_for` maps each validation problem back to the input it concerns,
so errors appear next to their fields.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable, Mapping

import yaml

from kb.content.document import FIELD_ORDER, slugify

OUTCOME_KEYS = ("indicator", "unit", "baseline", "result", "better", "period", "source", "note")
# the hidden input that remembers which row of the opened document a form row edits
OUTCOME_REF = "ref"
LIST_FIELDS = {
    "transferability": ("preconditions", "core", "adaptable"),
    "adaptation": ("kept", "changed", "dropped"),
}
CONTACT_KEYS = ("name", "role", "email")
COST_KEYS = ("amount", "currency", "note")
# plain text fields: the form input has the document field's name
TEXT_FIELDS = ("title", "summary", "language", "organization", "country", "region", "stage",
               "evidence", "started", "ended", "adapted_from", "visibility", "license")


# values the format assumes when a document leaves the field out
DEFAULTS = {"visibility": "public"}


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and not value)


def _lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _number(value: str | None) -> Any:
    """A number when the text is one ("1 200", "12,5" too); the text otherwise, so the
    validator can say what is wrong with it."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return str(value).strip()


def _shown(value: Any) -> str:
    """A document value as a form input shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _same(old: Any, new: Any) -> bool:
    """Whether the form's value says the same as the document's (2021 and "2021" do)."""
    if old is None or new is None:
        return old is None and new is None
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new))
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(_same(old[k], new[k]) for k in old)
    if isinstance(old, (dict, list)) or isinstance(new, (dict, list)):
        return False
    if isinstance(new, (int, float)) and not isinstance(new, bool) and \
            isinstance(old, (int, float)) and not isinstance(old, bool):
        return old == new and type(old) is type(new)
    return _shown(old).strip() == _shown(new).strip()


def _keep(old: Any, new: Any) -> Any:
    """The document's own value when the form says the same, the form's otherwise."""
    return old if _same(old, new) else new


def outcome_rows(form: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The outcome rows the form carries, empty rows left out; each keeps its `ref`."""
    indexes = sorted({int(m.group(1)) for key in form
                      if (m := re.match(r"outcome-(\d+)-", key))})
    rows = []
    for i in indexes:
        row = {k: (form.get(f"outcome-{i}-{k}") or "").strip() for k in OUTCOME_KEYS}
        if not any(row.values()):
            continue  # an empty row left in the form
        row[OUTCOME_REF] = (form.get(f"outcome-{i}-{OUTCOME_REF}") or "").strip()
        rows.append(row)
    return rows


TRANSLATION_KEYS = ("language", "title", "summary")


def translation_rows(form: Mapping[str, Any]) -> list[dict[str, str]]:
    """The translation rows of the form, in order; empty rows and removed ones left out."""
    indexes = sorted({int(m.group(1)) for key in form
                      if (m := re.match(r"translation-(\d+)-", key))})
    rows = []
    for i in indexes:
        if form.get(f"translation-{i}-remove"):
            continue
        row = {k: (form.get(f"translation-{i}-{k}") or "").strip() for k in TRANSLATION_KEYS}
        if any(row.values()):
            rows.append(row)
    return rows


def translation_duplicates(form: Mapping[str, Any]) -> list[int]:
    """The indexes (among translation_rows) of rows repeating an earlier row's language."""
    seen: set[str] = set()
    out = []
    for i, row in enumerate(translation_rows(form)):
        lang = row["language"].lower()
        if lang and lang in seen:
            out.append(i)
        seen.add(lang)
    return out


# ------------------------------------------------------------- the document


class _Dumper(yaml.SafeDumper):
    """The portal's style: lists of plain values in brackets, sequences indented."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _represent_list(dumper, data):
    flow = bool(data) and all(isinstance(v, (str, int, float, bool)) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def _dump_field(key: str, value: Any) -> str:
    return yaml.dump({key: value}, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100_000)


class _Opened:
    """The document a form was opened on: its data, each field's exact text, its body."""

    def __init__(self, text: str | None):
        self.data: dict[str, Any] = {}
        self.blocks: dict[str, str] = {}
        self.order: list[str] = []
        self.head = ""  # comment lines before the first field
        self.body: str | None = None
        if not text:
            return
        lines = text.split("\n")
        if not lines or lines[0].rstrip() != "---":
            return
        closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
        if closing is None:
            return
        fm = lines[1:closing]
        try:
            node = yaml.compose("\n".join(fm), Loader=yaml.SafeLoader)
            data = yaml.safe_load("\n".join(fm))
        except yaml.YAMLError:
            return
        if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
            return
        starts = [(str(k.value), k.start_mark.line) for k, _v in node.value]
        if len({k for k, _ in starts}) != len(starts):
            return  # a key twice: the validator says so; the form writes a fresh document
        self.head = "".join(line + "\n" for line in fm[:starts[0][1]]) if starts else ""
        for n, (key, start) in enumerate(starts):
            end = starts[n + 1][1] if n + 1 < len(starts) else len(fm)
            self.blocks[key] = "".join(line + "\n" for line in fm[start:end])
            self.order.append(key)
        self.data = data
        self.body = "\n".join(lines[closing + 1:])


def _body_text(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n").strip("\n")


def document_from_form(form: Mapping[str, Any], getlist: Callable | None = None,
                       base: str | None = None) -> str:
    """The document the form describes: `base` (the opened document) edited by the form.

    Only the fields present in the request change; everything else of `base` is kept.
    """
    getlist = getlist or (lambda key: form.get(key) or [])
    opened = _Opened(base)
    old = opened.data
    meta: dict[str, Any] = dict(old)

    def text(key):
        value = form.get(key)
        return value.strip() or None if isinstance(value, str) else None

    def put(key: str, value: Any) -> None:
        if key not in old and DEFAULTS.get(key) == value:
            return  # the format's default, which the document left implicit
        if _empty(value):
            if not (key in old and _empty(old[key])):  # `networks: []` stays as written
                meta.pop(key, None)
        else:
            meta[key] = _keep(old.get(key), value)

    for key in TEXT_FIELDS:
        if key in form:
            value = text(key)
            if key == "country" and value:
                value = value.upper()
            put(key, value)
    if not opened.blocks:
        # a new practice takes its address from its title
        put("slug", text("slug") or (slugify(meta["title"]) if meta.get("title") else None))
    elif "slug" in form and "slug" in old:
        # an address the document does not write comes from its file name, and stays so
        put("slug", text("slug"))
    if "population" in form:
        put("population", _number(form.get("population")))
    if "themes" in form:
        # boxes arrive in the form's order: the document's own order is kept
        chosen = [t for t in getlist("themes") if t]
        before = [t for t in old.get("themes") or [] if t in chosen] \
            if isinstance(old.get("themes"), list) else []
        put("themes", before + [t for t in chosen if t not in before])
    if "networks" in form:
        put("networks", [n for n in getlist("networks") if n])
    if "tags" in form:
        put("tags", [t.strip() for t in (form.get("tags") or "").split(",") if t.strip()])
    if any(f"cost_{k}" in form for k in COST_KEYS):
        put("cost", _sub_mapping(old.get("cost"), {
            "amount": _number(form.get("cost_amount")), "currency": text("cost_currency"),
            "note": text("cost_note")}))
    if "contact_name" in form or "contact_email" in form:
        put("contact", _sub_mapping(old.get("contact"),
                                    {k: text(f"contact_{k}") for k in CONTACT_KEYS}))
    for name, keys in LIST_FIELDS.items():
        if not any(f"{name}_{k}" in form for k in keys):
            continue
        values: dict[str, Any] = {k: _lines(form.get(f"{name}_{k}")) for k in keys}
        if name == "adaptation":
            values["context"] = text("adaptation_context")
        put(name, _sub_mapping(old.get(name), values))
    if "outcomes" in form or any(k.startswith("outcome-") for k in form):
        put("outcomes", _outcomes(old.get("outcomes"), outcome_rows(form)))
    if "links" in form:
        put("links", _links(old.get("links"), form.get("links")))
    if "translations" in form or any(k.startswith("translation-") for k in form):
        put("translations", _translations(old.get("translations"), translation_rows(form)))

    body = _body_text(form.get("body") or "") if "body" in form else None
    if opened.body is not None and (body is None or _body_text(opened.body) == body):
        body_text = opened.body
    else:
        body_text = (body or "") + "\n"
    return f"---\n{_frontmatter(opened, meta)}---\n{body_text}"


def _sub_mapping(old: Any, values: dict[str, Any]) -> dict[str, Any]:
    """A mapping field (cost, contact ...): the form's keys edited, the others kept."""
    out = dict(old) if isinstance(old, dict) else {}
    for key, value in values.items():
        if _empty(value):
            if not (key in out and _empty(out[key])):
                out.pop(key, None)
        else:
            out[key] = _keep(out.get(key), value)
    return out


def _outcomes(old: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    old_rows = old if isinstance(old, list) else []
    out = []
    for row in rows:
        ref = row.get(OUTCOME_REF, "")
        base = old_rows[int(ref)] if ref.isdigit() and int(ref) < len(old_rows) else None
        values = {k: (_number(row[k]) if k in ("baseline", "result") else row[k] or None)
                  for k in OUTCOME_KEYS}
        out.append(_sub_mapping(base if isinstance(base, dict) else None, values))
    return out


def _translations(old: Any, rows: list[dict[str, str]]) -> dict[str, Any]:
    """Each language's title and summary edited; whatever else a translation holds kept."""
    old_items = old if isinstance(old, dict) else {}
    out: dict[str, Any] = {}
    for row in rows:
        lang = row["language"].lower()
        if lang in out:
            continue  # a language twice: the first row counts (the form says so)
        base = old_items.get(lang)
        out[lang] = _sub_mapping(base if isinstance(base, dict) else None,
                                 {"title": row["title"] or None,
                                  "summary": row["summary"] or None})
    return out


def _links(old: Any, value: str | None) -> list[dict[str, Any]]:
    old_links = [link for link in old if isinstance(link, dict)] if isinstance(old, list) else []
    out = []
    for line in _lines(value):
        title, _sep, url = line.rpartition("|")
        link = {"title": (title or url).strip(), "url": url.strip()}
        same = next((o for o in old_links if _same(o.get("title"), link["title"])
                     and _same(o.get("url"), link["url"])), None)
        out.append(same if same is not None else link)
    return out


def _frontmatter(opened: _Opened, meta: dict[str, Any]) -> str:
    """Unchanged fields keep their text; changed ones are written anew; new ones go
    where the format lists them."""
    old = opened.data
    order = [k for k in opened.order if k in meta]
    for key in meta:
        if key in order:
            continue
        if key in FIELD_ORDER:
            rank = FIELD_ORDER.index(key)
            at = next((i for i, k in enumerate(order)
                       if k in FIELD_ORDER and FIELD_ORDER.index(k) > rank), len(order))
            order.insert(at, key)
        else:
            order.append(key)
    parts = [opened.head]
    for key in order:
        if key in opened.blocks and key in old and old[key] is meta[key]:
            block = opened.blocks[key]
        elif key in opened.blocks and key in old and _same(old[key], meta[key]) \
                and _exactly(old[key], meta[key]):
            block = opened.blocks[key]
        else:
            block = _dump_field(key, meta[key])
        parts.append(block)
    return "".join(parts)


def _exactly(a: Any, b: Any) -> bool:
    """Equal including types (a form never turns 12 into 12.0 behind the text's back)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_exactly(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_exactly(x, y) for x, y in zip(a, b))
    return a == b


# ------------------------------------------------------------------ the form


def form_from_document(text: str, slug: str | None = None) -> dict[str, Any]:
    """The form fields that show a document for editing (a half-written draft too)."""
    opened = _Opened(text)
    data = opened.data

    def s(value):
        return _shown(value)

    def items(value) -> list:
        return value if isinstance(value, list) else ([] if value in (None, "") else [value])

    def mapping(value) -> dict:
        return value if isinstance(value, dict) else {}

    form: dict[str, Any] = {key: s(data.get(key)) for key in TEXT_FIELDS}
    form["slug"] = s(data.get("slug")) or (slug or "")
    form["visibility"] = form["visibility"] or "public"
    form["population"] = s(data.get("population"))
    form["themes"] = [s(t) for t in items(data.get("themes"))]
    form["networks"] = [s(n) for n in items(data.get("networks"))]
    form["tags"] = ", ".join(s(t) for t in items(data.get("tags")))
    form["body"] = _body_text(opened.body) if opened.body is not None else ""
    form["links"] = "\n".join(
        f"{s(link.get('title'))} | {s(link.get('url'))}" if isinstance(link, dict) else s(link)
        for link in items(data.get("links")))
    cost = mapping(data.get("cost"))
    for key in COST_KEYS:
        form[f"cost_{key}"] = s(cost.get(key))
    for i, row in enumerate(items(data.get("outcomes"))):
        row = mapping(row)
        for key in OUTCOME_KEYS:
            form[f"outcome-{i}-{key}"] = s(row.get(key))
        form[f"outcome-{i}-{OUTCOME_REF}"] = str(i)
    for name, keys in LIST_FIELDS.items():
        block = mapping(data.get(name))
        for key in keys:
            form[f"{name}_{key}"] = "\n".join(s(v) for v in items(block.get(key)))
    form["adaptation_context"] = s(mapping(data.get("adaptation")).get("context"))
    contact = mapping(data.get("contact"))
    for key in CONTACT_KEYS:
        form[f"contact_{key}"] = s(contact.get(key))
    for i, (lang, item) in enumerate(mapping(data.get("translations")).items()):
        item = mapping(item)
        form[f"translation-{i}-language"] = s(lang)
        form[f"translation-{i}-title"] = s(item.get("title"))
        form[f"translation-{i}-summary"] = s(item.get("summary"))
    return form


def form_field_for(problem_field: str, form: Mapping[str, Any] | None = None) -> str:
    """The form input a validation problem belongs to (translation rows need the form)."""
    m = re.match(r"translations\.([^.]*)(?:\.(\w+))?$", problem_field)
    if m and form is not None:
        for i, row in enumerate(translation_rows(form)):
            if row["language"].lower() == m.group(1):
                key = m.group(2) if m.group(2) in ("title", "summary") else "language"
                return f"translation-{i}-{key}"
    m = re.match(r"outcomes\[(\d+)\]\.(\w+)", problem_field)
    if m:
        return f"outcome-{m.group(1)}-{m.group(2)}"
    m = re.match(r"(cost|contact|transferability|adaptation)\.(\w+)", problem_field)
    if m:
        return f"{m.group(1)}_{m.group(2)}"
    base = re.sub(r"\[\d+\].*$", "", problem_field).split(".")[0]
    if base in ("document", "frontmatter"):
        return "form"
    return base
