"""The portal's pages: home, practices, themes, organizations."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request

from kb.content.vocab import THEMES
from kb.services import pages
from kb.services import practices as svc
from kb.views.helpers import current_identity, list_args, page_arg

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    page = pages.home_page_get(current_identity())
    return render_template("home.html", home=page.home, like=page.like_mine)


@bp.get("/practices")
def practice_list():
    filters = list_args(*svc.LIST_FILTERS)
    listing = pages.practice_list_page_get(current_identity(), filters, page=page_arg(),
                                           per_page=current_app.config["PER_PAGE"])
    return render_template("practices/list.html", page=listing.practices, filters=filters,
                           facets=listing.facets)


@bp.get("/practices/<slug>")
def practice_detail(slug: str):
    page = pages.practice_page_get(current_identity(), slug)
    return render_template("practices/detail.html", p=page.detail, similar=page.similar,
                           xp=page.panel, following=page.following, tags=page.tags,
                           show_original=request.args.get("original") == "1")


@bp.get("/practices/<slug>.md")
def practice_source(slug: str):
    detail = svc.practice_get(current_identity(), slug)
    return Response(detail.document, mimetype="text/markdown",
                    headers={"Content-Disposition": f'inline; filename="{slug}.md"'})


@bp.get("/themes")
def theme_index():
    return render_template("themes/index.html", counts=svc.theme_counts(current_identity()))


@bp.get("/themes/<theme>")
def theme_detail(theme: str):
    if theme not in THEMES:
        abort(404)
    page = svc.theme_get(current_identity(), theme, page=page_arg(),
                         per_page=current_app.config["PER_PAGE"])
    return render_template("themes/detail.html", theme=theme, page=page)


@bp.get("/organizations")
def organization_index():
    return render_template("organizations/index.html",
                           organizations=svc.organization_list(current_identity(),
                                                               page=page_arg()))


@bp.get("/organizations/<slug>")
def organization_detail(slug: str):
    org = svc.organization_get(current_identity(), slug, page=page_arg(),
                               per_page=current_app.config["PER_PAGE"])
    return render_template("organizations/detail.html", org=org)


@bp.get("/about")
def about():
    return render_template("about.html")
