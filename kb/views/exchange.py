"""Adapt, compare, learn: adapting, comparison, cities like mine, dashboards, the map."""

from __future__ import annotations

from flask import (Blueprint, Response, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import login_required

from kb.extensions import limiter
from kb.services import exchange
from kb.services.errors import Conflict, InvalidInput
from kb.views.helpers import current_identity, safe_next

bp = Blueprint("exchange", __name__)


def _csv(text: str, name: str) -> Response:
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def _contact_limit() -> str:
    return current_app.config["RATELIMIT_SENSITIVE"]


def _contact_key() -> str:
    identity = current_identity()
    return f"contact|{identity.user_id or request.remote_addr}"


# ------------------------------------------------------------------ adapting


@bp.route("/practices/<slug>/adapt", methods=["GET", "POST"])
@login_required
def adapt(slug: str):
    identity = current_identity()
    if request.method == "GET":
        panel = exchange.practice_panel_get(identity, slug)
        return render_template("exchange/adapt.html", panel=panel, slug=slug, errors={})
    try:
        practice = exchange.practice_adapt(identity, slug, request.form.get("organization"))
    except InvalidInput as exc:
        panel = exchange.practice_panel_get(identity, slug)
        return render_template("exchange/adapt.html", panel=panel, slug=slug,
                               errors=exc.errors), 400
    except Conflict as exc:
        flash(str(exc), "error")
        return redirect(url_for("pages.practice_detail", slug=slug))
    flash(_("Your adaptation is a draft. Fill in what you kept, changed and dropped, and your "
            "local context, then submit it for review."), "success")
    return redirect(url_for("editor.edit", slug=practice.slug))


@bp.post("/practices/<slug>/indicators")
@login_required
def indicator_map(slug: str):
    try:
        exchange.indicator_mapping_save(current_identity(), slug,
                                        request.form.get("indicator", ""),
                                        request.form.get("target") or None)
        flash(_("Indicator mapping saved."), "success")
    except (InvalidInput, Conflict) as exc:
        flash(str(exc.errors.get("target") or exc.errors.get("indicator"))
              if isinstance(exc, InvalidInput) else str(exc), "error")
    return redirect(url_for("pages.practice_detail", slug=slug) + "#comparison-title")


@bp.get("/practices/<slug>/comparison.csv")
def comparison_csv(slug: str):
    return _csv(exchange.comparison_csv(current_identity(), slug), f"{slug}-comparison")


@bp.post("/practices/<slug>/contact")
@login_required
@limiter.limit(_contact_limit, key_func=_contact_key)
def contact(slug: str):
    try:
        exchange.practice_contact(current_identity(), slug, request.form.get("message", ""))
    except (InvalidInput, Conflict) as exc:
        flash(exc.errors.get("message", str(exc)) if isinstance(exc, InvalidInput)
              else str(exc), "error")
        return redirect(url_for("pages.practice_detail", slug=slug) + "#contact-title")
    flash(_("Your message was sent. The owner can answer you by e-mail."), "success")
    return redirect(url_for("pages.practice_detail", slug=slug))


@bp.post("/organizations/<slug>/follow")
@login_required
def organization_follow(slug: str):
    follow = request.form.get("follow", "1") == "1"
    exchange.organization_follow(current_identity(), slug, follow)
    flash(_("You follow this organization: you are notified when it publishes a practice.")
          if follow else _("You no longer follow this organization."), "success")
    return redirect(safe_next(request.form.get("next"),
                              url_for("pages.organization_detail", slug=slug)))


# ------------------------------------------------------------ cities like mine


@bp.get("/cities-like-mine")
def cities_like_mine():
    result = exchange.cities_like_mine(current_identity(),
                                       request.args.get("organization") or None)
    return render_template("exchange/cities_like_mine.html", result=result,
                           neighbours=exchange.NEIGHBOURS)


# ------------------------------------------------------------------ dashboards


@bp.get("/dashboard")
def dashboard():
    return render_template("exchange/dashboard.html",
                           dash=exchange.dashboard_get(current_identity()))


@bp.get("/dashboard/<chart>.csv")
def dashboard_csv(chart: str):
    return _csv(exchange.dashboard_get(current_identity()).chart(chart).csv(), chart)


@bp.get("/dashboard/map")
def adaptation_map():
    return render_template("exchange/map.html",
                           graph=exchange.adaptation_map_get(current_identity()))


@bp.get("/dashboard/map.csv")
def adaptation_map_csv():
    return _csv(exchange.adaptation_map_csv(current_identity()), "adaptations")


@bp.get("/networks/<slug>/dashboard")
def network_dashboard(slug: str):
    return render_template("exchange/network_dashboard.html",
                           dash=exchange.network_dashboard_get(current_identity(), slug))


@bp.get("/networks/<slug>/dashboard/<chart>.csv")
def network_dashboard_csv(slug: str, chart: str):
    dash = exchange.network_dashboard_get(current_identity(), slug)
    return _csv(dash.chart(chart).csv(), f"{slug}-{chart}")
