"""The JSON API, mirroring the pages under /api/v1/."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, current_app, jsonify, request, url_for

from kb.content.metrics import outcome_figures
from kb.services import exchange, pages
from kb.services import practices as svc
from kb.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited
from kb.services.tags import applying as tagging, reading as tag_reading
from kb.services.search import SORTS, practice_search, search_autocomplete
from kb.views.filters import search_limit_message
from kb.views.helpers import current_identity, expand_arg, list_args, page_arg
from kb.views.search_views import FACETS

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _card(card: svc.PracticeCard) -> dict:
    data = dataclasses.asdict(card)
    data["url"] = url_for("pages.practice_detail", slug=card.slug, _external=True)
    data["api_url"] = url_for("api.practice", slug=card.slug, _external=True)
    return data


@bp.errorhandler(NotFound)
@bp.errorhandler(404)
def _not_found(exc):
    return jsonify(error="not_found", message=str(getattr(exc, "description", exc))), 404


@bp.errorhandler(PermissionDenied)
def _forbidden(exc):
    return jsonify(error="forbidden", message=str(exc)), 403


@bp.get("/practices")
def practices():
    unknown = sorted(set(request.args) - set(svc.LIST_FILTERS) - {"page", "lang"})
    if unknown:
        hint = " (search text with /api/v1/search?q=...)" if "q" in unknown else ""
        return jsonify(error="bad_request", message=(
            f"/api/v1/practices does not take {', '.join(unknown)}; it takes "
            f"{', '.join(svc.LIST_FILTERS)} and page{hint}")), 400
    page = svc.practice_list(current_identity(), list_args(*svc.LIST_FILTERS),
                             page=page_arg(), per_page=current_app.config["PER_PAGE"])
    return jsonify(total=page.total, page=page.page, pages=page.pages,
                   per_page=page.per_page, items=[_card(c) for c in page.items])


@bp.get("/practices/<slug>")
def practice(slug: str):
    answer = pages.practice_with_tags_get(current_identity(), slug)
    detail = answer.detail
    meta = detail.doc.frontmatter()
    if not detail.show_email and isinstance(meta.get("contact"), dict):
        meta["contact"] = {k: v for k, v in meta["contact"].items() if k != "email"}
    return jsonify(
        slug=detail.card.slug,
        url=url_for("pages.practice_detail", slug=slug, _external=True),
        # the original title and summary, and the contributor's translations of them
        title=detail.card.title, summary=detail.card.summary, language=detail.card.language,
        translations=detail.card.translations,
        metadata=meta,
        # every outcome row with its change, relative change and verdict; the headline first
        outcomes=[outcome_figures(o) for o in detail.doc.outcomes],
        headline=detail.card.headline,
        evidence={"claimed": detail.card.evidence, "shown": detail.card.evidence_shown},
        example=detail.card.example,
        organization={"name": detail.card.organization,
                      "slug": detail.card.organization_slug},
        revision=detail.revision_number,
        updated_at=detail.updated_at,
        last_reviewed_at=detail.last_reviewed_at,
        html=str(detail.body_html),
        source_document=detail.document,
        source_url=url_for("pages.practice_source", slug=slug, _external=True),
        adapted_from=_card(detail.adapted_from) if detail.adapted_from else None,
        adapted_by=[_card(c) for c in detail.adapted_by],
        tags=_tags_with_provenance(answer.tags, detail),
    )


def _tags_with_provenance(tags, detail) -> dict:
    """The owner's tags (the owner's organization, as of the published revision), then
    the community's, each with the organizations that applied it and when."""
    owner = {"slug": detail.card.organization_slug, "name": detail.card.organization}

    def entry(t) -> dict:
        return {"key": t.key, "label": t.label, "scope": t.scope,
                "url": url_for("tags.tag_detail", tag=t.key, _external=True)}

    return {
        "owner": [{**entry(t), "applied": [{"organization": owner,
                                            "tagged_at": detail.updated_at}]}
                  for t in tags.owner],
        "community": [{**entry(t), "applied": [
            {"organization": {"slug": c.slug, "name": c.name}, "tagged_at": c.tagged_at}
            for c in t.cities]} for t in tags.community],
    }


@bp.get("/practices/<slug>/comparison")
def practice_comparison(slug: str):
    """The outcomes of a practice's lineage matched indicator by indicator, with relative
    change and, for counts and volumes where the population is known, per 1,000."""
    comparison = exchange.comparison_get(current_identity(), slug)
    return jsonify(slug=comparison.slug, original=comparison.root_slug,
                   practices=comparison.practices,
                   indicators=[{"key": g.key, "indicator": g.indicator, "unit": g.unit,
                                "cities": g.cities, "per_1000": g.per_1000,
                                "rows": [dataclasses.asdict(r) for r in g.rows]}
                               for g in comparison.groups])


def _tag(t) -> dict:
    data = dataclasses.asdict(t)
    data["url"] = url_for("tags.tag_detail", tag=t.key, _external=True)
    data["cities"] = [c["name"] for c in data["cities"]]
    data["organizations"] = [c.slug for c in t.cities]
    data["removable"] = [{"id": i, "organization": name} for i, name in t.removable]
    return data


@bp.errorhandler(InvalidInput)
def _invalid(exc):
    return jsonify(error="invalid", message=str(exc), fields=exc.errors), 400


@bp.errorhandler(Conflict)
def _conflict(exc):
    return jsonify(error="conflict", message=str(exc)), 409


@bp.errorhandler(RateLimited)
def _rate_limited(exc):
    return jsonify(error="rate_limited", message=str(exc)), 429


@bp.get("/practices/<slug>/tags")
def practice_tags(slug: str):
    """The owner's tags, then community tags with the cities that applied them."""
    tags = tag_reading.practice_tags_get(current_identity(), slug)
    return jsonify(owner=[_tag(t) for t in tags.owner],
                   community=[_tag(t) for t in tags.community])


@bp.post("/practices/<slug>/tags")
def practice_tag_add(slug: str):
    """Tag a practice: {"tag", "organization", "scope"} (the session's CSRF token in the
    X-CSRFToken header)."""
    data = request.get_json(silent=True) or request.form
    application = tagging.practice_tag_add(current_identity(), slug, data.get("tag", ""),
                                           data.get("organization") or None,
                                           data.get("scope") or "public")
    return jsonify(id=application.id, tag=application.tag, label=application.label,
                   scope=application.scope), 201


@bp.delete("/tags/applications/<int:application_id>")
def practice_tag_remove(application_id: int):
    tagging.practice_tag_remove(current_identity(), application_id)
    return "", 204


@bp.get("/tags/suggestions")
def tag_suggestions():
    """Tags to offer while typing: glossary labels in the language asked, tags in use."""
    return jsonify(tag_reading.tag_suggest(current_identity(), request.args.get("q", ""),
                                           request.args.get("lang") or "en"))


@bp.get("/tags/<path:tag>")
def tag(tag: str):
    page = tag_reading.tag_page_get(current_identity(), tag, page=page_arg(),
                                    per_page=current_app.config["PER_PAGE"])
    return jsonify(tag=page.key, label=page.label, concept=page.concept,
                   concept_labels=[{"language": lang, "label": text}
                                   for lang, text in page.concept_labels],
                   gathers=page.gathered, total=page.practices.total,
                   page=page.practices.page, pages=page.practices.pages,
                   items=[_card(c) for c in page.practices.items],
                   related=[dataclasses.asdict(r) for r in page.related],
                   cities=[{"name": n, "slug": s, "practices": c} for n, s, c in page.cities])


@bp.get("/search")
def search():
    sort = request.args.get("sort", "relevance")
    results = practice_search(current_identity(), request.args.get("q", ""),
                              list_args(*FACETS), sort=sort if sort in SORTS else "relevance",
                              page=page_arg(), organization=request.args.get("like") or None,
                              expand=expand_arg())
    # field by field: asdict would deep-copy every facet value (most of the answer's time)
    data = {f.name: getattr(results, f.name) for f in dataclasses.fields(results)}
    data["hits"] = [dataclasses.asdict(hit) for hit in results.hits]
    data["limits"] = [dataclasses.asdict(hit) for hit in results.limits]
    for hit in data["hits"]:
        hit["url"] = url_for("pages.practice_detail", slug=hit["slug"], _external=True)
    for item, hit in zip(data["limits"], results.limits):
        item["message"] = search_limit_message(hit)
    # pending: changes this node's index has not applied yet (a backlog being
    # applied in the background); updating: true while there are any
    data["updating"] = results.pending > 0
    return jsonify(data)


@bp.get("/autocomplete")
def autocomplete():
    return jsonify(search_autocomplete(current_identity(), request.args.get("q", "")))
