"""The admin area: accounts, organizations, networks and memberships."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from kb.services import accounts, organizations, places
from kb.services.search import search_status
from kb.services.errors import InvalidInput, NotFound
from kb.views.helpers import current_identity

bp = Blueprint("admin", __name__, url_prefix="/admin")

ACTIONS = {
    "set_role": lambda i, f: accounts.user_set_role(i, f["email"], f["role"]),
    "create_org": lambda i, f: organizations.org_create(
        i, f.get("name", ""), f.get("kind", "city"), f.get("country"), f.get("region"),
        f.get("population"), f.get("website"), f.get("description", "")),
    "add_member": lambda i, f: organizations.membership_add(
        i, f["organization"], f["email"], f.get("role", "contributor")),
    "create_network": lambda i, f: organizations.network_create(
        i, f.get("name", ""), f.get("slug") or None, f.get("description", "")),
    "network_add_member": lambda i, f: organizations.network_add_member(
        i, f["network"], f["organization"]),
    "network_remove_member": lambda i, f: organizations.network_remove_member(
        i, f["network"], f["organization"]),
    "network_moderator": lambda i, f: organizations.network_set_moderator(
        i, f["network"], f["email"], f.get("moderator", "1") == "1"),
}


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    identity = current_identity()
    errors = {}
    if request.method == "POST":
        action = ACTIONS.get(request.form.get("action", ""))
        if action is None:
            abort(400)
        try:
            action(identity, request.form)
        except InvalidInput as exc:
            errors = exc.errors
        except NotFound as exc:
            errors = {"form": str(exc)}
        except KeyError as exc:
            errors = {str(exc.args[0]): _("This field is required.")}
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.index"))
    users = accounts.users_list(identity)
    return render_template("admin/index.html", users=users, errors=errors,
                           organizations=organizations.organizations_all(identity),
                           networks=organizations.networks_list(identity),
                           search=search_status(identity)), \
        400 if errors else 200


@bp.route("/organizations/<slug>", methods=["GET", "POST"])
@login_required
def organization(slug: str):
    """An organization's details and place: for its admins and the site admins."""
    identity = current_identity()
    errors: dict = {}
    if request.method == "POST":
        action = request.form.get("action", "save")
        try:
            if action == "suggest":
                found = places.org_place_suggest(identity, slug)
                flash(_("GeoNames suggests %(place)s: check it and confirm.", place=found.name)
                      if found else _("No GeoNames place matches this name in this country."),
                      "success" if found else "error")
            elif action == "confirm":
                places.org_place_confirm(identity, slug)
                flash(_("The GeoNames place is confirmed."), "success")
            elif action == "save":
                places.org_details_update(identity, slug, request.form)
                flash(_("Saved."), "success")
            else:
                abort(400)
        except InvalidInput as exc:
            errors = exc.errors
        else:
            return redirect(url_for("admin.organization", slug=slug))
    settings = places.org_settings_get(identity, slug)
    return render_template("admin/organization.html", s=settings, org=settings.organization,
                           place=settings.place, errors=errors,
                           form=request.form if errors else None), 400 if errors else 200
