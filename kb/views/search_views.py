"""The search page and its autocomplete endpoint."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask_babel import lazy_gettext

from kb.services.practices import organization_names
from kb.services.search import SORTS, practice_search, search_autocomplete
from kb.views.helpers import current_identity, expand_arg, list_args, page_arg

bp = Blueprint("search", __name__)

FACETS = ("theme", "country", "language", "stage", "evidence", "organization",
          "population", "started", "replicated", "tag")


@bp.get("/search")
def search_page():
    q = request.args.get("q", "").strip()
    sort = request.args.get("sort", "relevance")
    filters = list_args(*FACETS)
    results = practice_search(current_identity(), q, filters,
                              sort=sort if sort in SORTS else "relevance", page=page_arg(),
                              organization=request.args.get("like") or None,
                              expand=expand_arg())
    facets = facets_to_show(results.facets, request.args.get("more"))
    shown = {f["value"] for f in facets.get("organization", ([], 0))[0]}
    names = organization_names(current_identity(),
                               shown | set(filters.get("organization", [])))
    return render_template("search.html", q=q, sort=results.sort, filters=filters,
                           results=results, facets=facets, sorts=SORTS,
                           organization_names=names, expand=expand_arg(),
                           filterable=FILTERABLE)


FACET_TOP = 10  # values shown per facet; "More" (?more=<facet>) shows all of one facet
# long facets whose other values are in the page too, hidden until their filter box finds them
FILTERABLE = ("theme", "country")


def facets_to_show(facets: dict[str, list[dict]], more: str | None
                   ) -> dict[str, tuple[list[dict], int]]:
    """Per facet: the values to show (the most frequent and the selected ones) and
    how many more there are. A filterable facet lists its other values as well,
    marked `overflow`: hidden, until the facet's filter box (with JavaScript) finds them."""
    out = {}
    for name, values in facets.items():
        if not values:
            continue
        if name == more or len(values) <= FACET_TOP + 2:
            out[name] = (values, 0)
            continue
        shown = values[:FACET_TOP] + [f for f in values[FACET_TOP:] if f["selected"]]
        listed = shown
        if name in FILTERABLE:
            listed = [f if f in shown else dict(f, overflow=True) for f in values]
        out[name] = (listed, len(values) - len(shown))
    return out


SUGGESTION_KINDS = {"title": lazy_gettext("Practice"), "tag": lazy_gettext("Tag"),
                    "organization": lazy_gettext("Organization")}


@bp.get("/search/suggest")
def suggest():
    items = search_autocomplete(current_identity(), request.args.get("q", ""))
    for item in items:
        item["kind_label"] = str(SUGGESTION_KINDS.get(item["kind"], item["kind"]))
    return jsonify(items)
