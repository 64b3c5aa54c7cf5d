"""Public network pages."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from kb.services import organizations
from kb.views.helpers import current_identity, page_arg

bp = Blueprint("networks", __name__)


@bp.get("/networks")
def network_index():
    return render_template("networks/index.html",
                           networks=organizations.network_index_get(current_identity()))


@bp.get("/networks/<slug>")
def network_detail(slug: str):
    detail = organizations.network_get(current_identity(), slug, page=page_arg(),
                                       per_page=current_app.config["PER_PAGE"])
    return render_template("networks/detail.html", n=detail)
