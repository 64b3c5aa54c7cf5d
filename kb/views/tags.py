"""Tags: tag pages, the tag index, tagging a practice, suggestions, moderators' tools."""

from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import get_locale, gettext as _
from flask_login import login_required

from kb.services.errors import Conflict, InvalidInput, NotFound, RateLimited
from kb.services.tags import applying, moderating, reading
from kb.views.helpers import current_identity, page_arg

bp = Blueprint("tags", __name__)


def _language() -> str:
    return str(get_locale() or "en")


@bp.get("/tags")
def tag_index():
    return render_template("tags/index.html", index=reading.tags_index_get(current_identity()))


@bp.get("/tags/<path:tag>")
def tag_detail(tag: str):
    page = reading.tag_page_get(current_identity(), tag, page=page_arg(),
                                per_page=current_app.config["PER_PAGE"], language=_language())
    if page.key != tag and request.args.get("page") is None:
        return redirect(url_for("tags.tag_detail", tag=page.key), 301)
    return render_template("tags/detail.html", t=page)


@bp.post("/practices/<slug>/tags")
@login_required
def tag_add(slug: str):
    try:
        applying.practice_tag_add(current_identity(), slug, request.form.get("tag", ""),
                                  request.form.get("organization") or None,
                                  request.form.get("scope") or "public")
        flash(_("Tag added."), "success")
    except InvalidInput as exc:
        for message in exc.errors.values():
            flash(message, "error")
    except (Conflict, RateLimited) as exc:
        flash(str(exc), "error")
    return redirect(url_for("pages.practice_detail", slug=slug) + "#tags-title")


@bp.post("/practices/<slug>/tags/<int:application_id>/remove")
@login_required
def tag_remove(slug: str, application_id: int):
    applying.practice_tag_remove(current_identity(), application_id)
    flash(_("Tag removed."), "success")
    return redirect(url_for("pages.practice_detail", slug=slug) + "#tags-title")


@bp.post("/practices/<slug>/tags/report")
@login_required
def tag_report(slug: str):
    try:
        applying.practice_tag_report(current_identity(),
                                     int(request.form.get("application") or 0),
                                     request.form.get("reason", ""))
        flash(_("Thank you. The moderators will look at your report."), "success")
    except InvalidInput as exc:
        for message in exc.errors.values():
            flash(message, "error")
    return redirect(url_for("pages.practice_detail", slug=slug) + "#tags-title")


@bp.route("/moderation/tags", methods=["GET", "POST"])
@login_required
def moderate():
    identity = current_identity()
    scopes = moderating.tag_moderation_scopes(identity)
    if not scopes:
        abort(403)
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.form.get("action")
        source = request.form.get("source", "")
        target = request.form.get("target", "")
        scope = request.form.get("scope") or scopes[0][0]
        try:
            if action == "synonym":
                moderating.tag_synonym_set(identity, source, target, scope)
            elif action == "merge":
                moderating.tag_merge(identity, source, target, scope)
            else:
                moderating.tag_rename(identity, source, target, scope)
            flash(_("Tags updated: every page and search follow at once."), "success")
            return redirect(url_for("tags.moderate"))
        except InvalidInput as exc:
            errors = exc.errors
        except NotFound as exc:
            errors = {"source": str(exc)}
    return render_template("tags/moderate.html", errors=errors, form=request.form,
                           scopes=scopes), 400 if errors else 200
