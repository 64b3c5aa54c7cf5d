"""Curating in the browser: the moderation queue, reviews, history and diffs, flags,
re-verification, the audit log and my notifications.

Thin views: parse the request, call one service, render. Who may do what is decided
by the services (PermissionDenied and NotFound become the 403 and 404 pages).
"""

from __future__ import annotations

import datetime as dt

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import login_required

from kb.content import ValidationFailed, parse_practice, render_markdown
from kb.services import editorial, notifications
from kb.services.errors import Conflict, InvalidInput
from kb.services.permissions import can
from kb.views.helpers import current_identity, page_arg

bp = Blueprint("moderation", __name__)

# action -> (service call, success message, where to go next)
REVIEW_ACTIONS = {
    "approve": (lambda i, slug, f: editorial.review_approve(i, slug, f.get("comment", "")),
                lazy_gettext("Approved and published."), "moderation.queue"),
    "request_changes": (lambda i, slug, f: editorial.review_request_changes(
        i, slug, f.get("comment", "")),
        lazy_gettext("Sent back to the author with your comment."), "moderation.queue"),
    "reject": (lambda i, slug, f: editorial.review_reject(i, slug, f.get("comment", "")),
               lazy_gettext("Not accepted; the author is told why."), "moderation.queue"),
    "feature": (lambda i, slug, f: editorial.practice_feature(i, slug, True),
                lazy_gettext("The practice is featured on the home page."), "moderation.review"),
    "unfeature": (lambda i, slug, f: editorial.practice_feature(i, slug, False),
                  lazy_gettext("The practice is no longer featured."), "moderation.review"),
    "archive": (lambda i, slug, f: editorial.practice_archive(i, slug, f.get("comment", "")),
                lazy_gettext("The practice is archived: it is no longer public."),
                "moderation.review"),
    "restore": (lambda i, slug, f: editorial.practice_restore(i, slug),
                lazy_gettext("The practice is published again."), "moderation.review"),
    "reverify": (lambda i, slug, f: editorial.practice_reverify(i, slug, f.get("comment", "")),
                 lazy_gettext("Marked as re-verified today."), "moderation.review"),
}


@bp.app_template_filter("when")
def when(value: dt.datetime | None) -> str:
    """Date and time, in the reader's language (stored times are UTC)."""
    if not value:
        return ""
    return format_datetime(value, format="medium")


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput({name: _("Enter a whole number.")}) from None
    if number < 0:
        raise InvalidInput({name: _("Enter a whole number.")})
    return number


# ------------------------------------------------------------------ the queue


@bp.get("/moderation")
@login_required
def queue():
    identity = current_identity()
    filters = {k: request.args.get(k, "").strip() for k in ("network", "theme", "language",
                                                             "age")}
    errors = {}
    try:
        min_age = _int_arg("age")
    except InvalidInput as exc:
        errors, min_age = exc.errors, None
    queue = editorial.moderation_queue(identity, network=filters["network"] or None,
                                       theme=filters["theme"] or None,
                                       language=filters["language"] or None,
                                       min_age_days=min_age, page=page_arg(),
                                       per_page=current_app.config["PER_PAGE"])
    return render_template("moderation/queue.html", queue=queue, filters=filters,
                           errors=errors, filtered=any(filters.values())), \
        400 if errors else 200


# ----------------------------------------------------------------- reviewing


@bp.route("/moderation/practices/<slug>", methods=["GET", "POST"])
@login_required
def review(slug: str):
    identity = current_identity()
    errors: dict[str, str] = {}
    form: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "")
        if action not in REVIEW_ACTIONS:
            abort(400)
        call, message, next_endpoint = REVIEW_ACTIONS[action]
        try:
            call(identity, slug, request.form)
        except InvalidInput as exc:
            # the field's id names the form it belongs to: three forms have a comment
            errors = {f"{action}-{name}": text for name, text in exc.errors.items()}
            form = {f"{action}-comment": request.form.get("comment", "")}
            status = 400
        except ValidationFailed as exc:
            errors = {"form": "; ".join(f"{p.field}: {p.message}" for p in exc.errors)}
            status = 400
        except Conflict as exc:
            errors = {"form": str(exc)}
            status = 409
        else:
            flash(str(message), "success")
            if next_endpoint == "moderation.review":
                return redirect(url_for(next_endpoint, slug=slug))
            return redirect(url_for(next_endpoint))
    review = editorial.review_get(identity, slug)
    parsed = parse_practice(review.revision.document, f"{slug}.md")
    doc = parsed.practice
    body_html = render_markdown(doc.body) if doc is not None else None
    return render_template("moderation/review.html", review=review, p=review.practice,
                           rev=review.revision, doc=doc, body_html=body_html,
                           problems=parsed.errors, errors=errors, form=form), status


# --------------------------------------------------------------- history


@bp.get("/practices/<slug>/history")
@login_required
def history(slug: str):
    identity = current_identity()
    entries = editorial.practice_history(identity, slug)
    practice = entries[0].revision.practice
    # only to decide whether to offer the button: the service checks again
    may_restore = can(identity, "practice.review", practice)
    return render_template("moderation/history.html", entries=entries, practice=practice,
                           slug=slug, may_restore=may_restore)


@bp.get("/practices/<slug>/diff")
@login_required
def diff(slug: str):
    try:
        a, b = _int_arg("a"), _int_arg("b")
    except InvalidInput:
        abort(400)
    if a is None or b is None:
        return redirect(url_for("moderation.history", slug=slug))
    result = editorial.revisions_diff(current_identity(), slug, a, b)
    return render_template("moderation/diff.html", diff=result, slug=slug, a=a, b=b)


@bp.post("/practices/<slug>/revisions/<int:number>/restore")
@login_required
def restore_revision(slug: str, number: int):
    try:
        revision = editorial.revision_restore(current_identity(), slug, number)
    except (Conflict, ValidationFailed) as exc:
        flash(str(exc), "error")
        return redirect(url_for("moderation.history", slug=slug))
    flash(_("Revision %(old)d is back as revision %(new)d, waiting for review.", old=number,
            new=revision.number), "success")
    return redirect(url_for("moderation.review", slug=slug))


# ------------------------------------------------------------------ flags


@bp.route("/moderation/flags", methods=["GET", "POST"])
@login_required
def flags():
    identity = current_identity()
    errors: dict[str, str] = {}
    form: dict[str, str] = {}
    if request.method == "POST":
        try:
            flag_id = int(request.form.get("flag_id", ""))
        except ValueError:
            abort(400)
        try:
            editorial.flag_resolve(identity, flag_id, request.form.get("resolution", ""))
        except InvalidInput as exc:
            errors = {f"{name}-{flag_id}": text for name, text in exc.errors.items()}
            form = {f"resolution-{flag_id}": request.form.get("resolution", "")}
        else:
            flash(_("The report is resolved."), "success")
            return redirect(url_for("moderation.flags"))
    return render_template("moderation/flags.html", flags=editorial.flags_open(identity),
                           errors=errors, form=form), 400 if errors else 200


@bp.post("/practices/<slug>/flag")
@login_required
def flag(slug: str):
    try:
        editorial.flag_create(current_identity(), slug, request.form.get("reason", ""))
    except InvalidInput as exc:
        return render_template("moderation/flag.html", slug=slug, errors=exc.errors,
                               reason=request.form.get("reason", "")), 400
    flash(_("Thank you. The moderators will look at your report."), "success")
    return redirect(url_for("pages.practice_detail", slug=slug))


@bp.post("/practices/<slug>/follow")
@login_required
def follow(slug: str):
    following = request.form.get("follow", "1") == "1"
    editorial.practice_follow(current_identity(), slug, following)
    flash(_("You will be notified when this practice changes.") if following
          else _("You no longer follow this practice."), "success")
    return redirect(url_for("pages.practice_detail", slug=slug))


# --------------------------------------------------------------- freshness


@bp.route("/moderation/stale", methods=["GET", "POST"])
@login_required
def stale():
    identity = current_identity()
    if request.method == "POST":
        slug = request.form.get("slug", "")
        if not slug:
            abort(400)
        editorial.practice_reverify(identity, slug, request.form.get("comment", ""))
        flash(_("Marked as re-verified today."), "success")
        return redirect(url_for("moderation.stale"))
    return render_template("moderation/stale.html",
                           practices=editorial.practices_stale(identity),
                           months=editorial.STALE_MONTHS)


# ---------------------------------------------------------------- audit log


def _audit_filters() -> dict[str, str]:
    return {k: request.args.get(k, "").strip() for k in ("action", "target")}


@bp.get("/admin/audit")
@login_required
def audit():
    filters = _audit_filters()
    events = editorial.audit_list(current_identity(), filters["action"] or None,
                                  filters["target"] or None)
    return render_template("moderation/audit.html", events=events, filters=filters)


@bp.get("/admin/audit.csv")
@login_required
def audit_csv():
    filters = _audit_filters()
    text = editorial.audit_csv(current_identity(), filters["action"] or None,
                               filters["target"] or None)
    filename = f"audit-{dt.datetime.now(dt.timezone.utc):%Y%m%d-%H%M%S}.csv"
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# ------------------------------------------------------------ notifications


@bp.route("/notifications", methods=["GET", "POST"], endpoint="notifications")
@login_required
def my_notifications():
    identity = current_identity()
    if request.method == "POST":
        action = request.form.get("action")
        if action == "mark_read":
            notifications.notifications_mark_read(identity)
            flash(_("All notifications are marked as read."), "success")
        elif action == "settings":
            notifications.notification_settings_save(identity,
                                                     set(request.form.getlist("kinds")))
            flash(_("Your notification settings are saved."), "success")
        else:
            abort(400)
        return redirect(url_for("moderation.notifications"))
    return render_template("moderation/notifications.html",
                           items=notifications.notifications_list(identity),
                           settings=notifications.notification_settings_get(identity),
                           kinds=notifications.KINDS)
