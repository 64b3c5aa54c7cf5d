"""Template helpers: translated labels for codes, numbers, dates."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from urllib.parse import urlencode

from babel import Locale
from flask import Flask, current_app, request, url_for
from flask_babel import (force_locale, format_date, format_decimal, format_percent, get_locale,
                         gettext, lazy_gettext)

from kb.content.render import render_markdown, sanitize_snippet
from kb.geonames import fold
from kb.views.helpers import current_identity
from kb.content.vocab import (EVIDENCE, ORGANIZATION_KIND_LABELS, POPULATION_BANDS, STAGES,
                              THEMES)

BANDS = {key: label for key, label, _low, _high in POPULATION_BANDS}
STATES = {
    "draft": lazy_gettext("Draft"),
    "submitted": lazy_gettext("Waiting for review"),
    "changes_requested": lazy_gettext("Changes requested"),
    "published": lazy_gettext("Published"),
    "rejected": lazy_gettext("Not accepted"),
    "archived": lazy_gettext("Archived"),
    "superseded": lazy_gettext("Replaced by a later version"),
}


# the comments the portal itself writes on a revision (kb.services.practices import)
REVISION_COMMENTS = {
    "imported": lazy_gettext("Imported from a file"),
    "re-imported": lazy_gettext("Imported again from a changed file"),
}


def revision_comment(value: str | None) -> str:
    """A revision's comment: a person's words as written, the portal's own translated."""
    return str(REVISION_COMMENTS.get(value or "", value or ""))


def state_label(value: str) -> str:
    return str(STATES.get(value, value))


def _locale() -> Locale:
    return get_locale() or Locale("en")


def ui_locale_name() -> str:
    """The interface locale as templates write it in lang attributes."""
    return str(_locale())


def ui_language() -> str:
    """The interface language's code (en, fi, sv)."""
    return _locale().language


def theme_label(value: str) -> str:
    return gettext(THEMES[value]) if value in THEMES else value


def stage_label(value: str) -> str:
    return gettext(STAGES[value]) if value in STAGES else value


def evidence_label(value: str) -> str:
    return gettext(EVIDENCE[value]) if value in EVIDENCE else value


def kind_label(value: str | None) -> str:
    """An organization's kind (city, municipality ...), translated."""
    return gettext(ORGANIZATION_KIND_LABELS[value]) if value in ORGANIZATION_KIND_LABELS \
        else (value or "")


def band_label(value: str) -> str:
    return gettext(BANDS[value]) if value in BANDS else value


def country_name(code: str | None) -> str:
    if not code:
        return ""
    return _locale().territories.get(code, code)


def currency_name(code: str | None) -> str:
    if not code:
        return ""
    return _locale().currencies.get(code, code)


def language_name(code: str | None) -> str:
    if not code:
        return ""
    return _locale().languages.get(code, code)


PICKER_LABELS = {"theme": theme_label, "country": country_name, "language": language_name}


def picker_terms(kind: str, values) -> dict[str, str]:
    """Per value of a long picker (themes, countries, languages), what its filter box
    matches: the label in each interface language and the code, folded. A Swedish
    reader finds "Air quality" by typing "luft", a Finnish one Sweden by "ruotsi".
    The same for every reader, so it is computed once per list."""
    return _picker_terms(kind, tuple(values), tuple(current_app.config["LANGUAGES"]))


@functools.lru_cache(maxsize=64)
def _picker_terms(kind: str, values: tuple[str, ...], languages: tuple[str, ...]
                  ) -> dict[str, str]:
    label_of = PICKER_LABELS[kind]
    terms: dict[str, set[str]] = {v: {fold(v.replace("-", " "))} for v in values}
    for lang in languages:
        with force_locale(lang):
            for value in values:
                terms[value].add(fold(str(label_of(value))))
    return {v: " | ".join(sorted(t)) for v, t in terms.items()}


@dataclass(frozen=True)
class ReaderText:
    """A practice's title and summary as a reader sees them: in the interface
    language when the contributor translated them, with the original beside."""

    title: str
    summary: str
    language: str                  # the language of title and summary shown
    original_title: str
    original_summary: str
    original_language: str
    translated: bool               # the title and summary shown are a translation
    translation_available: bool    # a translation exists (shown or not)

    @property
    def label(self) -> str:
        return gettext("Translated from %(language)s by the contributor",
                       language=language_name(self.original_language))


def reader_text(item, original: bool = False) -> ReaderText:
    """Title and summary of a practice card or search hit in the reader's language.

    A translation in the interface language is shown when the contributor gave
    one and the reader did not ask for the original.
    """
    lang = _locale().language
    item_lang = getattr(item, "language", "") or ""
    found = (getattr(item, "translations", None) or {}).get(lang) \
        if lang != item_lang else None
    if found and not original:
        return ReaderText(found["title"], found["summary"], lang, item.title, item.summary,
                          item_lang, True, True)
    return ReaderText(item.title, item.summary, item_lang, item.title, item.summary,
                      item_lang, False, bool(found))


def number(value) -> str:
    if value is None:
        return ""
    return format_decimal(value)


def percent(value) -> str:
    if value is None:
        return ""
    return format_percent(value, format="+#,##0%;-#,##0%")


def date(value) -> str:
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return format_date(value, format="medium")


def _current_url(args: dict) -> str:
    if request.endpoint is None:  # an error page for an address no route matched
        return request.path + ("?" + urlencode(args, doseq=True) if args else "")
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def url_with(**changes) -> str:
    """The current URL with some query arguments replaced (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value if isinstance(value, list) else [value]
    return _current_url(args)


def url_toggle(name: str, value: str) -> str:
    """The current URL with one filter value added or removed, back on page 1."""
    args = request.args.to_dict(flat=False)
    values = args.get(name, [])
    values = [v for v in values if v != value] if value in values else values + [value]
    args[name] = values
    args.pop("page", None)
    return _current_url(args)


SEARCH_LIMITS = {
    "chars": lazy_gettext("Your query has %(found)s characters; only the first %(limit)s "
                          "were searched."),
    "words": lazy_gettext("Your query has %(found)s words; only the first %(limit)s were "
                          "searched."),
    "prefixes": lazy_gettext("Your query has %(found)s prefix searches (word*); at most "
                             "%(limit)s are searched as prefixes, the others as words."),
    "prefix_length": lazy_gettext("A prefix search needs at least %(limit)s letters before "
                                  "the *; %(found)s shorter ones were searched as words."),
    "prefix_words": lazy_gettext("%(prefix)s matches %(found)s words; the %(limit)s most "
                                 "common were searched."),
    "corrections": lazy_gettext("%(found)s words were not found; spelling suggestions were "
                                "looked up for the first %(limit)s."),
    "time": lazy_gettext("The search took longer than %(limit)s seconds; the best results "
                         "found until then are shown."),
}


def search_limit_message(hit) -> str:
    """What a search limit the query reached (search.LimitHit) means for the user."""
    message = SEARCH_LIMITS.get(hit.kind)
    if message is None:
        return ""
    return str(message) % {"found": number(hit.found), "limit": number(hit.limit),
                           "prefix": hit.text}


def partial_date(value: str | None) -> str:
    """A document's date (YYYY, YYYY-MM or YYYY-MM-DD) as the reader's language writes it."""
    if not value:
        return ""
    from babel.dates import format_skeleton

    parts = str(value).split("-")
    try:
        if len(parts) == 1:
            return str(int(parts[0]))
        if len(parts) == 2:
            return format_skeleton("yMMMM", dt.date(int(parts[0]), int(parts[1]), 1),
                                   locale=get_locale())
        return format_date(dt.date(int(parts[0]), int(parts[1]), int(parts[2])), "long")
    except ValueError:
        return str(value)


def unique_id(prefix: str) -> str:
    """An element id not used before in this response (the same card may show twice)."""
    from flask import g

    g.kb_ids = getattr(g, "kb_ids", 0) + 1
    return f"{prefix}-{g.kb_ids}"


def init_app(app: Flask) -> None:
    from kb.views.problems import field_label, problem_message  # they use the labels above

    app.jinja_env.filters.update(
        field_label=field_label, problem=problem_message,
        theme=theme_label, stage=stage_label, evidence=evidence_label, band=band_label,
        country=country_name, language=language_name, number=number, percent=percent,
        date=date, snippet=sanitize_snippet, state=state_label, markdown=render_markdown,
        search_limit=search_limit_message, partial_date=partial_date, kind=kind_label,
        revision_comment=revision_comment,
    )

    @app.context_processor
    def _helpers():
        return {
            "THEMES": THEMES, "STAGES": STAGES, "EVIDENCE": EVIDENCE, "BANDS": BANDS,
            "url_with": url_with, "url_toggle": url_toggle, "reader_text": reader_text,
            "picker_terms": picker_terms,
            "current_locale": ui_locale_name(),
            "languages": app.config["LANGUAGES"],
            "site_name": app.config["SITE_NAME"],
            "identity": current_identity(),
            "unique_id": unique_id,
        }

    @app.after_request
    def _remember_language(response):
        chosen = request.args.get("lang")
        if chosen and chosen in app.config["LANGUAGES"]:
            response.set_cookie("lang", chosen, max_age=365 * 24 * 3600, samesite="Lax")
        return response
