"""Everything the exchange adds to a practice page, in one result."""

from __future__ import annotations

from dataclasses import dataclass

from kb.models import Organization
from kb.services.exchange.adapting import adapt_organizations
from kb.services.exchange.common import family_pool, practice_by_slug
from kb.services.exchange.comparison import Comparison, Replication, comparison_of, replication_of
from kb.services.exchange.following import is_following_organization
from kb.services.exchange.lineage import Lineage, lineage_of
from kb.services.identity import Identity
from kb.services.permissions import can, require


@dataclass
class PracticePanel:
    lineage: Lineage
    comparison: Comparison
    replication: Replication
    organizations: list[Organization]
    can_adapt: bool
    can_contact: bool
    following_organization: bool


def practice_panel_get(identity: Identity, slug: str) -> PracticePanel:
    """Everything the exchange adds to a practice page, for one viewer."""
    require(identity, "kb.read")
    practice = practice_by_slug(slug)
    require(identity, "practice.view", practice)
    orgs = [o for o in adapt_organizations(identity) if o.id != practice.organization_id]
    visible = family_pool(identity, practice)
    return PracticePanel(
        lineage=lineage_of(identity, practice, visible),
        comparison=comparison_of(identity, practice, visible),
        replication=replication_of(identity, practice, visible), organizations=orgs,
        can_adapt=bool(orgs) and can(identity, "practice.adapt", practice),
        can_contact=can(identity, "practice.contact", practice),
        following_organization=is_following_organization(identity, practice.organization_id))
