"""Practice document dicts -> the fields of the search index (one Whoosh document each)."""

from __future__ import annotations

from datetime import datetime, timezone

from .analysis import field_language, fold
from .results import IndexFailure
from .schema import FACETS, text_field

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _timestamp(value) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return int((value - _EPOCH).total_seconds())
    return int(value)


def _clean(value) -> str:
    return "" if value is None else str(value)


def document_fields(doc: dict) -> dict:
    """The Whoosh fields of one practice document dict."""
    lang = field_language(doc.get("language"))
    title = _clean(doc.get("title"))
    summary = _clean(doc.get("summary"))
    body = _clean(doc.get("body"))
    tags = [str(t).replace(",", " ").strip() for t in (doc.get("tags") or []) if t]
    organization = _clean(doc.get("organization"))
    region = _clean(doc.get("region"))
    data = {
        "id": int(doc["id"]), "slug": doc.get("slug") or "", "title": title,
        "summary": summary, "language": doc.get("language") or "",
        "organization": organization, "organization_slug": doc.get("organization_slug") or "",
        "country": doc.get("country") or "", "themes": list(doc.get("themes") or []),
        "stage": doc.get("stage") or "", "evidence": doc.get("evidence") or "",
        "population": doc.get("population"), "published_at": doc.get("published_at"),
        "adaptations_count": int(doc.get("adaptations_count") or 0), "body": body,
        "headline": doc.get("headline"), "evidence_shown": doc.get("evidence_shown") or "",
        "example": bool(doc.get("example")),
        "card_tags": list(doc.get("card_tags") or []),
    }
    translations = _translations(doc.get("translations"))
    if translations:
        data["translations"] = translations
    f = {
        "id": str(int(doc["id"])),
        "data": data,
        "visibility": doc.get("visibility") or "public",
        "published": _timestamp(doc.get("published_at")),
        "adapted": int(doc.get("adaptations_count") or 0),
        "title_sort": fold(title.lower()).strip()[:80],
        text_field(lang, "title"): title,
        text_field(lang, "summary"): summary,
        # The body field holds all the text (one BM25 field over everything
        # scored best on SciFact) with the tags three times and the summary
        # twice (their weight, at no query cost); the title field adds its
        # BM25F weight on top. See search.schema.Ranking and docs/benchmarks.md.
        text_field(lang, "body"): "\n".join([title] + [summary] * 2 + ["\n".join(tags)] * 3
                                             + [body]),
        "title_n": title,
        "text_n": "\n".join([title, summary, "\n".join(tags), organization, region]),
    }
    # a translation is indexed with its own language's analyzer, weighted like the
    # original's title and summary (title field, and title + summary twice in the body field)
    for tlang, item in translations.items():
        flang = field_language(tlang)
        for part, text in (("title", item["title"]), ("summary", item["summary"]),
                           ("body", "\n".join([item["title"]] + [item["summary"]] * 2))):
            name = text_field(flang, part)
            f[name] = f"{f[name]}\n{text}" if name in f else text
        f["text_n"] = "\n".join([str(f["text_n"]), item["title"], item["summary"]])
    if tags:
        f[text_field(lang, "tags")] = "\n".join(tags)
        f["tag_exact"] = ",".join(tags)
    if organization:
        f["org_n"] = organization
        f["org_entry"] = f"{doc.get('organization_slug') or ''}\x1f{organization}"
    if doc.get("example"):
        f["example"] = "yes"
    networks = [str(n) for n in (doc.get("networks") or []) if n]
    if networks:
        f["networks"] = " ".join(networks)
    ntags = [str(t).replace(" ", "_") for t in (doc.get("network_tags") or []) if t]
    if ntags:
        f["f_ntag"] = " ".join(ntags)
    nwords = [str(t).replace(" ", "_") for t in (doc.get("network_tag_words") or []) if t]
    if nwords:
        f["f_nword"] = " ".join(nwords)
    for facet in FACETS:
        values = [v.replace(" ", "_") for v in facet.values(doc)]
        if values:
            f[facet.field] = " ".join(values)
    return f


def _translations(value) -> dict:
    """{language: {"title", "summary"}} of a document dict's translations, cleaned."""
    out = {}
    for lang, item in (value or {}).items():
        if isinstance(item, dict) and (item.get("title") or item.get("summary")):
            out[str(lang)] = {"title": _clean(item.get("title")),
                              "summary": _clean(item.get("summary"))}
    return out


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def fields_or_failure(practice_id, doc: dict):
    """(fields, None), or (None, IndexFailure) when the document's fields cannot be made."""
    try:
        return document_fields(doc), None
    except Exception as exc:  # one bad document must not stop the others
        return None, IndexFailure(practice_id=int(practice_id or 0),
                                  slug=str(doc.get("slug") or ""),
                                  error=f"{type(exc).__name__}: {exc}"[:500])
