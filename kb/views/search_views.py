"""The search page and its autocomplete endpoint."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from kb.services.search import SORTS, practice_search, search_autocomplete
from kb.views.helpers import current_identity, list_args, page_arg

bp = Blueprint("search", __name__)

FACETS = ("theme", "country", "language", "stage", "evidence", "organization",
          "population", "started")


@bp.get("/search")
def search_page():
    q = request.args.get("q", "").strip()
    sort = request.args.get("sort", "relevance")
    filters = list_args(*FACETS)
    results = practice_search(current_identity(), q, filters,
                              sort=sort if sort in SORTS else "relevance", page=page_arg())
    return render_template("search.html", q=q, sort=results.sort, filters=filters,
                           results=results, sorts=SORTS)


@bp.get("/search/suggest")
def suggest():
    return jsonify(search_autocomplete(current_identity(), request.args.get("q", "")))
