"""The search page and its autocomplete endpoint."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_babel import lazy_gettext

from kb.services.practices import organization_names
from kb.services.search import SORTS, practice_search, search_autocomplete
from kb.views.helpers import current_identity, expand_arg, list_args, page_arg

bp = Blueprint("search", __name__)

FACETS = ("theme", "country", "language", "stage", "evidence", "organization",
          "population", "started", "replicated", "tag")


def _search(identity):
    """The search the page's address asks for: its words, filters, sort and page."""
    q = request.args.get("q", "").strip()
    sort = request.args.get("sort", "relevance")
    filters = list_args(*FACETS)
    results = practice_search(identity, q, filters,
                              sort=sort if sort in SORTS else "relevance", page=page_arg(),
                              organization=request.args.get("like") or None,
                              expand=expand_arg())
    return q, filters, results


@bp.get("/search")
def search_page():
    identity = current_identity()
    q, filters, results = _search(identity)
    facets = facets_to_show(results.facets, request.args.get("more"))
    shown = {f["value"] for f in facets.get("organization", ([], 0))[0]}
    names = organization_names(identity, shown | set(filters.get("organization", [])))
    args: dict[str, Any] = request.args.to_dict(flat=False)
    sources = {name: url_for("search.facet_values", name=name, **args)
               for name, (_values, hidden) in facets.items() if name in FILTERABLE and hidden}
    return render_template("search.html", q=q, sort=results.sort, filters=filters,
                           results=results, facets=facets, sorts=SORTS,
                           organization_names=names, expand=expand_arg(),
                           filterable=FILTERABLE, facet_sources=sources)


@bp.get("/search/facet/<name>")
def facet_values(name: str):
    """Every value of a long facet (themes, countries) for the search the query string
    describes, as the page's checkboxes: the filter box fetches them when a reader starts
    typing in it, so the page itself carries only the most frequent values."""
    if name not in FILTERABLE:
        abort(404)
    _q, _filters, results = _search(current_identity())
    values = facets_to_show({name: results.facets.get(name, [])}, None, all_of=name)
    listed = values.get(name, ([], 0))[0]
    return render_template("search_facet_values.html", name=name, values=listed,
                           organization_names={})


FACET_TOP = 10  # values shown per facet; "More" (?more=<facet>) shows all of one facet
# long facets with a filter box, which fetches their other values when used
FILTERABLE = ("theme", "country")


def facets_to_show(facets: dict[str, list[dict]], more: str | None, all_of: str | None = None
                   ) -> dict[str, tuple[list[dict], int]]:
    """Per facet: the values to show (the most frequent and the selected ones) and
    how many more there are. The facet named by `more` shows all its values; the one
    named by `all_of` lists the others as well, marked `overflow` (hidden until a filter
    box finds them)."""
    out = {}
    for name, values in facets.items():
        if not values:
            continue
        if name == more or len(values) <= FACET_TOP + 2:
            out[name] = (values, 0)
            continue
        shown = values[:FACET_TOP] + [f for f in values[FACET_TOP:] if f["selected"]]
        listed = shown
        if name == all_of:
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
