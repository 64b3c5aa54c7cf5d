"""Validation problems as the editor's form tells them: in the reader's language, naming
the field by the label the form shows, without the file format's words.

The document validator (kb.content) speaks of fields and YAML because files are what it
reads; an uploaded file keeps those messages (`path:line: field: message`). A problem in
the form is recognised by its kind and told anew here.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _, lazy_gettext

from kb.content import ValidationFailed
from kb.content.form import form_field_for
from kb.views.filters import evidence_label

# the form's labels, as templates/editor/form.html shows them
LABELS = {
    "title": lazy_gettext("Title"), "summary": lazy_gettext("Summary"), "language": lazy_gettext("Language of the text"),
    "organization": lazy_gettext("Organization"), "country": lazy_gettext("Country"), "region": lazy_gettext("Region"),
    "population": lazy_gettext("Population"), "themes": lazy_gettext("Themes"), "tags": lazy_gettext("Tags"),
    "stage": lazy_gettext("Stage"), "evidence": lazy_gettext("Evidence"), "started": lazy_gettext("Started"),
    "ended": lazy_gettext("Ended"), "cost_amount": lazy_gettext("Amount"), "cost_currency": lazy_gettext("Currency"),
    "cost_note": lazy_gettext("Note"), "transferability_preconditions": lazy_gettext("Preconditions"),
    "transferability_core": lazy_gettext("Core elements to keep"),
    "transferability_adaptable": lazy_gettext("What can be adapted"),
    "adapted_from": lazy_gettext("Adapted from"), "adaptation": lazy_gettext("Adaptation"),
    "adaptation_kept": lazy_gettext("What you kept"),
    "adaptation_changed": lazy_gettext("What you changed, and why"),
    "adaptation_dropped": lazy_gettext("What you dropped"), "adaptation_context": lazy_gettext("Your local context"),
    "contact_name": lazy_gettext("Contact name"), "contact_role": lazy_gettext("Contact role"),
    "contact_email": lazy_gettext("Contact e-mail"), "visibility": lazy_gettext("Who may read it"),
    "networks": lazy_gettext("Networks (addresses, one per box)"), "links": lazy_gettext("Sources and links"),
    "license": lazy_gettext("License"), "body": lazy_gettext("Text (Markdown)"), "slug": lazy_gettext("Address"),
    "translations": lazy_gettext("Translations"),
}
# document fields the form shows as a group of inputs, named by the group's heading
DOCUMENT_LABELS = {
    "outcomes": lazy_gettext("Measured outcomes"), "cost": lazy_gettext("Cost"),
    "contact": lazy_gettext("Contact and sharing"),
    "transferability": lazy_gettext("Transferability"),
}
OUTCOME_LABELS = {
    "indicator": lazy_gettext("Indicator"), "unit": lazy_gettext("Unit"), "baseline": lazy_gettext("Baseline"),
    "result": lazy_gettext("Result"), "period": lazy_gettext("Period"), "source": lazy_gettext("Source (web address)"),
    "note": lazy_gettext("Note"), "better": lazy_gettext("An improvement is"), "matches": lazy_gettext("Indicator"),
}


TRANSLATION_LABELS = {
    "language": lazy_gettext("Language"), "title": lazy_gettext("Title"),
    "summary": lazy_gettext("Summary"),
}


def label(form_field: str) -> str:
    m = re.match(r"translation-(\d+)-(\w+)$", form_field)
    if m:
        return _("Translation %(n)d: %(label)s", n=int(m.group(1)) + 1,
                 label=TRANSLATION_LABELS.get(m.group(2), m.group(2)))
    m = re.match(r"outcome-(\d+)-(\w+)$", form_field)
    if m:
        return _("Outcome %(n)d: %(label)s", n=int(m.group(1)) + 1,
                 label=OUTCOME_LABELS.get(m.group(2), m.group(2)))
    return str(LABELS.get(form_field, form_field))


# (what the validator's message says, what the form says instead)
_KINDS = (
    (r"^(?:is required|at least one theme is required|the practice has no text)",
     lambda f: _("%(field)s: this is still missing.", field=f)),
    (r"^is (\d+) characters long; at most (\d+)",
     lambda f, n, m: _("%(field)s: %(length)s characters; at most %(limit)s are allowed.",
                       field=f, length=n, limit=m)),
    (r"^the text after the frontmatter is ([\d,]+) characters long; at most ([\d,]+)",
     lambda f, n, m: _("%(field)s: %(length)s characters; at most %(limit)s are allowed.",
                       field=f, length=n, limit=m)),
    (r"^is longer than (\d+) characters",
     lambda f, m: _("%(field)s: an entry is longer than %(limit)s characters.",
                    field=f, limit=m)),
    (r"^must be a whole number|^cannot be negative",
     lambda f: _("%(field)s: write a whole number, such as 42000.", field=f)),
    (r"^must be a number",
     lambda f: _("%(field)s: write a number, such as 12 or 12.5.", field=f)),
    (r"is not a date|^must be a date|^year \d+ is out of range|^month \d+ does not exist"
     r"|^day \d+ does not exist",
     lambda f: _("%(field)s: write a date as YYYY, YYYY-MM or YYYY-MM-DD, such as 2023-04.",
                 field=f)),
    (r"is before started",
     lambda f: _("%(field)s: the end is before the start.", field=f)),
    (r"is not a web address",
     lambda f: _("%(field)s: write a web address that starts with https://.", field=f)),
    (r"is not an e-mail address",
     lambda f: _("%(field)s: write an e-mail address, such as name@example.org.", field=f)),
    (r"is not an ISO 639-1 language code",
     lambda f: _("%(field)s: choose a language from the list.", field=f)),
    (r"is not an ISO 3166-1|reads NO \(Norway\)",
     lambda f: _("%(field)s: choose a country from the list.", field=f)),
    (r"is not an ISO 4217 currency code",
     lambda f: _("%(field)s: write a currency code, such as EUR or SEK.", field=f)),
    (r"is not a theme|is not one of",
     lambda f: _("%(field)s: choose one of the options.", field=f)),
    (r"is not a network slug",
     lambda f: _("%(field)s: write a network's address, such as nordic-cities.", field=f)),
    (r"must name at least one network",
     lambda f: _("%(field)s: name at least one network, or let everyone read it.", field=f)),
    (r"cannot be adapted from itself|is not the slug of a practice",
     lambda f: _("%(field)s: name another practice's address.", field=f)),
    (r"a translation must be in another language",
     lambda f: _("%(field)s: choose another language than the text's own.", field=f)),
    (r"^must be non-empty text",
     lambda f: _("%(field)s: an entry is empty.", field=f)),
)


def field_label(document_field: str) -> str:
    """A document field (title, outcomes[0].unit, cost.amount ...) as the form names it;
    a field the form does not show keeps its own name."""
    field = form_field_for(document_field)
    if field in LABELS or re.match(r"(translation|outcome)-\d+-", field):
        return label(field)
    base = re.sub(r"\[\d+\].*$", "", document_field).split(".")[0]
    return str(DOCUMENT_LABELS.get(base) or LABELS.get(base) or document_field)


# (what the validator's warning says, what the form says instead)
_WARNINGS = (
    (r"^claims '(\w+)' but no outcome has",
     lambda f, level: _("%(field)s: “%(level)s” needs at least one measured outcome with a "
                        "baseline, a result, the direction of improvement, a period and a "
                        "source; until then the practice is shown as anecdotal.",
                        field=f, level=evidence_label(level))),
    (r"^unknown (?:field|key), kept as is",
     lambda f: _("%(field)s: the form does not show this field; it is kept as it is.",
                 field=f)),
    (r"^unknown key in an? (?:outcome row|link); it is not stored",
     lambda f: _("%(field)s: the form does not show this field, and it is not stored.",
                 field=f)),
    (r"is listed twice",
     lambda f: _("%(field)s: the same choice is listed twice.", field=f)),
    (r"is not in this knowledge base",
     lambda f: _("%(field)s: the original practice is not in this knowledge base; the page "
                 "will say so.", field=f)),
)


def problem_message(problem) -> str:
    """A problem (error or warning) of a stored document, told in the reader's language and
    naming the field as the form does, for the editor's warnings and the review page."""
    name = field_label(problem.field)
    kinds = _WARNINGS if problem.severity == "warning" else ()
    for pattern, say in kinds:
        m = re.search(pattern, problem.message)
        if m:
            return say(name, *m.groups())
    form_field = form_field_for(problem.field)
    if problem.severity != "warning" and form_field != "form":
        return form_message(form_field, problem.message)
    return _("%(field)s: %(message)s", field=name, message=problem.message)


def form_message(form_field: str, message: str) -> str:
    """One problem as the form tells it."""
    name = label(form_field)
    for pattern, say in _KINDS:
        m = re.search(pattern, message)
        if m:
            return say(name, *m.groups())
    # the services' own messages are translated where they are made
    return _("%(field)s: %(message)s", field=name, message=message)


def errors_by_field(problems, filename: str | None = None, form=None) -> dict[str, str]:
    """Form input -> message; an uploaded file's problems keep their file form."""
    if isinstance(problems, ValidationFailed):
        problems = problems.errors
    errors: dict[str, str] = {}
    for problem in problems:
        if filename:
            key, message = "form", problem.format(filename)
        else:
            key = form_field_for(problem.field, form)
            message = (f"{problem.field}: {problem.message}" if key == "form"
                       else form_message(key, problem.message))
        errors[key] = f"{errors[key]} {message}" if key in errors else message
    return errors
