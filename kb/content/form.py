"""The submission form and the practice document, both ways.

The form has one input per structured field (outcome rows as
outcome-<n>-<key>, translations as translation-<n>-<language|title|summary>); `document_from_form` writes the document the validator
then judges, and `form_field_for` maps each validation problem back to the
input it concerns, so errors appear next to their fields.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import yaml

from kb.content.document import FIELD_ORDER, Practice, slugify

OUTCOME_KEYS = ("indicator", "unit", "baseline", "result", "better", "period", "source", "note")
LIST_FIELDS = {
    "transferability": ("preconditions", "core", "adaptable"),
    "adaptation": ("kept", "changed", "dropped"),
}


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


def outcome_rows(form: Mapping[str, Any]) -> list[dict[str, Any]]:
    indexes = sorted({int(m.group(1)) for key in form
                      if (m := re.match(r"outcome-(\d+)-", key))})
    rows = []
    for i in indexes:
        row = {k: (form.get(f"outcome-{i}-{k}") or "").strip() for k in OUTCOME_KEYS}
        if not any(row.values()):
            continue  # an empty row left in the form
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


def document_from_form(form: Mapping[str, Any], getlist=None) -> str:
    """Build the document text from the submitted form fields."""
    getlist = getlist or (lambda key: form.get(key) or [])

    def text(key):
        value = (form.get(key) or "").strip()
        return value or None

    meta: dict[str, Any] = {}
    meta["title"] = text("title")
    # a new practice takes its address from its title
    meta["slug"] = text("slug") or (slugify(meta["title"]) if meta["title"] else None)
    meta["summary"] = text("summary")
    meta["language"] = text("language")
    meta["organization"] = text("organization")
    meta["country"] = (text("country") or "").upper() or None
    meta["region"] = text("region")
    meta["population"] = _number(form.get("population"))
    meta["themes"] = [t for t in getlist("themes") if t] or None
    meta["tags"] = [t.strip() for t in (form.get("tags") or "").split(",") if t.strip()] or None
    meta["stage"] = text("stage")
    meta["evidence"] = text("evidence")
    meta["started"] = text("started")
    meta["ended"] = text("ended")
    if any(text(f"cost_{k}") for k in ("amount", "currency", "note")):
        meta["cost"] = {k: v for k, v in (("amount", _number(form.get("cost_amount"))),
                                          ("currency", text("cost_currency")),
                                          ("note", text("cost_note"))) if v is not None}
    outcomes = []
    for row in outcome_rows(form):
        clean: dict[str, Any] = {}
        for key in OUTCOME_KEYS:
            value = row[key]
            if key in ("baseline", "result"):
                value = _number(value)
            if value not in (None, ""):
                clean[key] = value
        outcomes.append(clean)
    meta["outcomes"] = outcomes or None
    for name, keys in LIST_FIELDS.items():
        block = {k: _lines(form.get(f"{name}_{k}")) for k in keys}
        block = {k: v for k, v in block.items() if v}
        if name == "adaptation" and text("adaptation_context"):
            block["context"] = text("adaptation_context")
        meta[name] = block or None
    contact = {k: text(f"contact_{k}") for k in ("name", "role", "email")}
    meta["contact"] = {k: v for k, v in contact.items() if v} or None
    meta["adapted_from"] = text("adapted_from")
    meta["visibility"] = text("visibility") or "public"
    meta["networks"] = [n for n in getlist("networks") if n] or None
    links = []
    for line in _lines(form.get("links")):
        title, _sep, url = line.rpartition("|")
        links.append({"title": (title or url).strip(), "url": url.strip()})
    meta["links"] = links or None
    meta["license"] = text("license")
    translations: dict[str, dict[str, str]] = {}
    for row in translation_rows(form):
        translations.setdefault(row["language"].lower(), {
            k: row[k] for k in ("title", "summary") if row[k]})
    meta["translations"] = translations or None
    ordered = {k: meta[k] for k in FIELD_ORDER if meta.get(k) not in (None, [], {})}
    body = (form.get("body") or "").replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    dumped = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True,
                            default_flow_style=False, width=100_000)
    return f"---\n{dumped}---\n{body}\n"


def form_from_practice(p: Practice) -> dict[str, Any]:
    """The form fields that show a practice for editing."""
    form: dict[str, Any] = {
        "slug": p.slug, "title": p.title, "summary": p.summary, "language": p.language,
        "organization": p.organization, "country": p.country, "region": p.region or "",
        "population": "" if p.population is None else str(p.population),
        "themes": list(p.themes), "tags": ", ".join(p.tags), "stage": p.stage,
        "evidence": p.evidence, "started": p.started or "", "ended": p.ended or "",
        "adapted_from": p.adapted_from or "", "visibility": p.visibility,
        "networks": list(p.networks), "license": p.license or "", "body": p.body,
        "links": "\n".join(f"{l['title']} | {l['url']}" for l in p.links),
    }
    cost = p.cost or {}
    for key in ("amount", "currency", "note"):
        form[f"cost_{key}"] = "" if cost.get(key) is None else str(cost.get(key))
    for i, o in enumerate(p.outcomes):
        for key in OUTCOME_KEYS:
            value = getattr(o, key)
            form[f"outcome-{i}-{key}"] = "" if value is None else str(value)
    for name, keys in LIST_FIELDS.items():
        block = getattr(p, name) or {}
        for key in keys:
            form[f"{name}_{key}"] = "\n".join(block.get(key, []))
    form["adaptation_context"] = (p.adaptation or {}).get("context", "")
    for key in ("name", "role", "email"):
        form[f"contact_{key}"] = (p.contact or {}).get(key, "")
    for i, (lang, item) in enumerate(p.translations.items()):
        form[f"translation-{i}-language"] = lang
        form[f"translation-{i}-title"] = item.get("title", "")
        form[f"translation-{i}-summary"] = item.get("summary", "")
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
