"""The search page and its autocomplete endpoint."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask_babel import lazy_gettext

from kb.services.practices import organization_names
from kb.services.search import SORTS, practice_search, search_autocomplete
from kb.views.helpers import current_identity, expand_arg, list_args, page_arg

bp = Blueprint("search", __name__)

FACETS = ("theme", "country", "language", "stage", "evidence", "organization",
          "population", "started", "replicated")


@bp.get("/search")
def search_page():
    q = request.args.get("q", "").strip()
    sort = request.args.get("sort", "relevance")
    filters = list_args(*FACETS)
    results = practice_search(current_identity(), q, filters,
                              sort=sort if sort in SORTS else "relevance", page=page_arg(),
                              organization=request.args.get("like") or None,
                              expand=expand_arg())
    shown = {f["value"] for f in results.facets.get("organization", [])}
    names = organization_names(current_identity(),
                               shown | set(filters.get("organization", [])))
    return render_template("search.html", q=q, sort=results.sort, filters=filters,
                           results=results, sorts=SORTS, organization_names=names,
                           expand=expand_arg())


SUGGESTION_KINDS = {"title": lazy_gettext("Practice"), "tag": lazy_gettext("Tag"),
                    "organization": lazy_gettext("Organization")}


@bp.get("/search/suggest")
def suggest():
    items = search_autocomplete(current_identity(), request.args.get("q", ""))
    for item in items:
        item["kind_label"] = str(SUGGESTION_KINDS.get(item["kind"], item["kind"]))
    return jsonify(items)
