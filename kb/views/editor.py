"""Writing practices: the submission form, live preview, upload, my work."""

from __future__ import annotations

import pycountry
from flask import (Blueprint, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import format_decimal, gettext as _
from flask_login import login_required

from kb.content import MAX_BODY_CHARS, ValidationFailed, render_markdown
from kb.content.form import (TRANSLATION_KEYS, document_from_form, form_from_document,
                             outcome_rows, translation_duplicates, translation_rows)
from kb.content.document import parse_draft
from kb.content.regions import regions
from kb.content.vocab import EVIDENCE, STAGES, THEMES
from kb.services import editorial
from kb.services.errors import Conflict
from kb.services.practices import tag_suggestions
from kb.services.search import practice_similar_to_document
from kb.views.filters import country_name, currency_name, language_name, ui_language
from kb.views.helpers import current_identity, page_arg
from kb.views.problems import errors_by_field

bp = Blueprint("editor", __name__)


def _errors_by_field(exc: ValidationFailed, form: dict | None = None,
                    filename: str | None = None) -> dict[str, str]:
    return errors_by_field(exc, filename, form)


def _form_data() -> dict:
    """The submitted form as a plain dict, lists kept for multi-value fields."""
    data: dict = request.form.to_dict()
    data["themes"] = request.form.getlist("themes")
    data["networks"] = request.form.getlist("networks")
    return data


def _document(base: str | None = None) -> str:
    """The document the form describes: the opened one (`base`) edited by the request."""
    return document_from_form(request.form, getlist=request.form.getlist, base=base)


def _uploaded_document() -> tuple[str, str] | None:
    """The text and file name of an uploaded .md file; BOM and CRLF are forgiven here."""
    upload = request.files.get("document")
    if not upload or not upload.filename:
        return None
    raw = upload.read(1024 * 1024 + 1)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        from kb.content.document import Problem

        raise ValidationFailed([Problem("document", _("the file is not UTF-8 text"))])
    from werkzeug.utils import secure_filename

    return text, secure_filename(upload.filename)


def _translation_errors(form: dict) -> dict[str, str]:
    """Rows that repeat a language: the document can hold one translation per language."""
    return {f"translation-{i}-language": _("This language already has a translation above.")
            for i in translation_duplicates(form)}


def _render_form(form: dict, errors: dict, status: int = 200, **extra):
    identity = current_identity()
    rows = max(len(outcome_rows(form)) + 1, 2)
    # a row per translation given, and an empty one when the contributor asked to add one
    translations = len(translation_rows(form)) + (request.form.get("action") == "add_translation")
    return render_template(
        "editor/form.html", form=form, errors=errors, outcome_count=rows,
        translation_count=translations,
        organizations=editorial.member_organizations(identity), themes=THEMES,
        tag_suggestions=tag_suggestions(identity), country_choices=_countries(),
        language_choices=_languages(), region_choices=_regions(form.get("country")),
        currency_choices=_currencies(),
        stages=STAGES, evidence_levels=EVIDENCE, **extra), status


def _countries() -> list[tuple[str, str]]:
    """Every country, by its name in the reader's language."""
    names = ((c.alpha_2, country_name(c.alpha_2)) for c in pycountry.countries)
    return sorted(names, key=lambda item: item[1].casefold())


def _languages() -> list[tuple[str, str]]:
    """Every language with a two-letter code, by its name in the reader's language."""
    names = ((lang.alpha_2, language_name(lang.alpha_2)) for lang in pycountry.languages
             if getattr(lang, "alpha_2", None))
    return sorted(names, key=lambda item: item[1].casefold())


def _currencies() -> list[tuple[str, str]]:
    """Every ISO 4217 currency, by its name in the reader's language."""
    names = ((c.alpha_3, currency_name(c.alpha_3)) for c in pycountry.currencies)
    return sorted(names, key=lambda item: item[1].casefold())


def _regions(country: str | None):
    """The regions of the chosen country, named in the reader's language."""
    return regions(country, ui_language())


@bp.get("/editor/regions")
@login_required
def region_choices():
    """The region picker's choices for another country, chosen in the open form."""
    return jsonify([{"value": r.value, "label": r.label}
                    for r in _regions(request.args.get("country"))])


def _form_with_rows(form: dict) -> dict:
    """Re-number the outcome rows so removed rows leave no gaps."""
    rows = outcome_rows(form)
    clean = {k: v for k, v in form.items()
             if not k.startswith(("outcome-", "translation-"))}
    for i, row in enumerate(rows):
        for key, value in row.items():
            clean[f"outcome-{i}-{key}"] = value
    for i, row in enumerate(translation_rows(form)):
        for key in TRANSLATION_KEYS:
            clean[f"translation-{i}-{key}"] = row[key]
    return clean


@bp.route("/practices/new", methods=["GET", "POST"])
@login_required
def new():
    identity = current_identity()
    if request.method == "GET":
        orgs = editorial.member_organizations(identity)
        form = {"license": "CC-BY-4.0", "visibility": "public", "language": "en",
                "themes": [], "networks": []}
        if len(orgs) == 1:
            org = orgs[0]
            form.update(organization=org.name, country=org.country or "",
                        region=org.region or "",
                        population="" if org.population is None else str(org.population))
        return _render_form(form, {})
    form = _form_data()
    if request.form.get("action") in ("add_row", "add_translation"):
        return _render_form(_form_with_rows(form), {},
                            extra_row=request.form.get("action") == "add_row")
    if _translation_errors(form):
        return _render_form(_form_with_rows(form), _translation_errors(form), 400)
    upload = None
    try:
        upload = _uploaded_document()
        if upload:
            practice = editorial.practice_draft_create(identity, *upload)
        else:
            # a draft keeps whatever is written so far; what is missing is asked on submit
            practice = editorial.practice_draft_create(identity, _document(), incomplete=True)
    except ValidationFailed as exc:
        return _render_form(_form_with_rows(form),
                            _errors_by_field(exc, form, upload[1] if upload else None), 400)
    flash(_("Draft saved. Check the possible duplicates below, then submit it for review."),
          "success")
    return redirect(url_for("editor.edit", slug=practice.slug))


@bp.route("/practices/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    identity = current_identity()
    state = editorial.practice_edit_start(identity, slug)
    working = state.working
    if request.method == "GET":
        form = form_from_document(state.document, slug)
        # what the checker says of the document as stored (a half-written draft too)
        warnings = parse_draft(state.document, f"{slug}.md").warnings
        form.update(base_revision_id=state.base_revision_id, base_hash=state.base_hash)
        similar = [h for h in practice_similar_to_document(identity, state.document, slug)
                   if h.slug != slug]
        return _render_form(form, {}, practice=state.practice, working=working,
                            similar=similar, warnings=warnings)
    form = _form_data()
    action = request.form.get("action", "save")
    if action in ("add_row", "add_translation"):
        return _render_form(_form_with_rows(form), {}, practice=state.practice,
                            working=working, extra_row=action == "add_row")
    if _translation_errors(form):
        return _render_form(_form_with_rows(form), _translation_errors(form), 400,
                            practice=state.practice, working=working)
    text = _document(base=state.document)
    try:
        saved = editorial.practice_save(identity, slug, text,
                                        int(request.form.get("base_revision_id") or 0),
                                        request.form.get("base_hash", ""),
                                        submit=action == "submit")
    except ValidationFailed as exc:
        return _render_form(_form_with_rows(form), _errors_by_field(exc, form), 400,
                            practice=state.practice, working=working)
    except editorial.StaleEdit as exc:
        form = _form_with_rows(form)
        # saving again after reading the diff is a deliberate choice over the current version
        form.update(base_revision_id=exc.current.id, base_hash=exc.current.content_hash)
        return _render_form(form, {"form": str(exc)}, 409,
                            practice=state.practice, working=working, conflict=exc)
    except Conflict as exc:
        return _render_form(_form_with_rows(form), {"form": str(exc)}, 409,
                            practice=state.practice, working=working)
    if action == "submit" and not saved.submitted:
        # saved as a draft; the checklist says what it needs before review
        form = _form_with_rows(form)
        form.update(base_revision_id=saved.revision.id, base_hash=saved.revision.content_hash)
        return _render_form(form, errors_by_field(saved.problems, None, form), 200,
                            practice=state.practice, working=saved.revision, incomplete=True)
    if action == "submit":
        flash(_("Submitted for review. You will be notified of the moderators' decision."),
              "success")
        return redirect(url_for("editor.my_work"))
    flash(_("Draft saved."), "success")
    return redirect(url_for("editor.edit", slug=slug))


@bp.post("/practices/preview")
@login_required
def preview():
    """The body rendered by the same sanitizing pipeline as the published page."""
    body = request.form.get("body", "")
    if len(body) > MAX_BODY_CHARS:
        return jsonify(error=_("The text is %(length)s characters long; at most %(limit)s are "
                               "allowed.", length=format_decimal(len(body)),
                               limit=format_decimal(MAX_BODY_CHARS))), 413
    return jsonify(html=str(render_markdown(body)))


@bp.get("/my-work")
@login_required
def my_work():
    return render_template("editor/my_work.html",
                           work=editorial.my_work(current_identity(), page=page_arg(),
                                                 per_page=current_app.config["PER_PAGE"]),
                           max_upload=current_app.config.get("MAX_CONTENT_LENGTH"))
