"""Adapting a practice: the draft an adaptation of another city's practice starts from."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from kb.content.document import serialize_practice, slugify
from kb.db import session
from kb.models import Organization, Practice, PracticeStatus
from kb.services.editorial import practice_draft_create
from kb.services.errors import Conflict, InvalidInput, NotFound
from kb.services.exchange.common import practice_by_slug, published_of
from kb.services.identity import Identity
from kb.services.lineage_rules import lineage_cycle
from kb.services.permissions import knows, require
from kb.services.practices import parsed_document

def _adaptation_slug(org: Organization, source: Practice) -> str:
    base = slugify(f"{org.slug}-{source.slug}", max_len=74)
    slug, n = base, 2
    while session().scalar(select(Practice.id).where(Practice.slug == slug)):
        slug, n = f"{base}-{n}", n + 1
    return slug


def adaptation_document(source: Practice, org: Organization, slug: str) -> str:
    """The draft an adaptation starts from: the source's text and structure, my
    organization's context, no measured values of the source city."""
    src = parsed_document(published_of(source).document, source.slug)
    body = src.body.rstrip("\n")
    if src.outcomes:
        direction = {"higher": _("higher is better"), "lower": _("lower is better")}
        lines = "\n".join(f"- {o.indicator} ({o.unit}; "
                          f"{direction.get(o.better or '', _('direction not stated'))})"
                          for o in src.outcomes)
        body += "\n\n## " + _("Indicators to report") + "\n\n" + _(
            "The original practice measured these indicators. Report your own baseline and "
            "result for them under \"Measured outcomes\", with the same indicator name and "
            "unit, so that the results can be compared:") + "\n\n" + lines
    doc = src.__class__(
        slug=slug, title=src.title, summary=src.summary, language=src.language,
        organization=org.name, country=(org.country or src.country).upper(),
        themes=list(src.themes), stage="idea", evidence="anecdotal", body=body + "\n",
        region=org.region, population=org.population, tags=list(src.tags),
        transferability=src.transferability, adapted_from=source.slug,
        visibility="public", license=src.license,
    )
    return serialize_practice(doc)


def adapt_organizations(identity: Identity) -> list[Organization]:
    """The organizations I can adapt a practice for (those I act for)."""
    require(identity, "kb.read")
    if not identity.organizations:
        return []
    return list(session().scalars(select(Organization).where(
        Organization.id.in_(identity.organizations)).order_by(Organization.name)))


def practice_adapt(identity: Identity, slug: str, organization: str | None = None) -> Practice:
    """Start an adaptation of a published practice as a draft of my organization."""
    require(identity, "practice.create")
    source = practice_by_slug(slug)
    if not knows(identity, source):
        raise NotFound(_("No such practice."))
    if source.status != PracticeStatus.PUBLISHED or source.published_revision is None:
        raise Conflict(_("This practice is not published (it may have been archived), so it "
                         "cannot be adapted."))
    require(identity, "practice.adapt", source)
    if lineage_cycle(source.slug, source.adapted_from_slug):
        raise Conflict(_("The lineage of this practice loops back on itself; ask a moderator "
                         "to correct it before adapting it."))
    orgs = {o.slug: o for o in session().scalars(select(Organization).where(
        Organization.id.in_(identity.organizations)))} if identity.organizations else {}
    if organization:
        org = orgs.get(organization)
        if org is None and identity.is_site_admin:
            org = session().scalar(select(Organization).where(Organization.slug == organization))
        if org is None:
            raise InvalidInput({"organization": _("Choose an organization you act for.")})
    elif len(orgs) == 1:
        org = next(iter(orgs.values()))
    else:
        raise InvalidInput({"organization": _("Choose the organization this adaptation is for.")})
    if org.id == source.organization_id:
        raise Conflict(_("This practice is already your organization's: edit it instead of "
                         "adapting it."))
    text = adaptation_document(source, org, _adaptation_slug(org, source))
    return practice_draft_create(identity, text)
