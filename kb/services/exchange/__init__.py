"""Adapt, compare, learn: the exchange between cities.

One module per job:

- common: what the others share (indicator keys, the visible practices, lineage walks);
- lineage: the tree of adaptations a practice belongs to;
- adapting: starting an adaptation of another city's practice;
- comparison: outcomes compared along a lineage, indicator mappings, the "replicated" mark;
- likeness: cities like mine;
- dashboards: the knowledge base's and each network's dashboards;
- adaptation_map: the map of adaptations between organizations;
- following: following organizations and notifying followers of a first publication;
- contact: writing to the owner of a practice;
- panel: everything the exchange adds to a practice page.

docs/exchange.md explains the rules for officials: the "replicated" mark and the
"cities like mine" score.
"""

from kb.services.exchange.adaptation_map import (AdaptationMap, MapArc, MapEdge, MapNode,
                                                 adaptation_map_csv, adaptation_map_get)
from kb.services.exchange.adapting import (adapt_organizations, adaptation_document,
                                           practice_adapt)
from kb.services.exchange.common import MAX_DEPTH, indicator_key
from kb.services.exchange.comparison import (REPLICATED_MIN_CITIES, Comparison, ComparisonGroup,
                                             ComparisonRow, MappingChoice, Replication,
                                             comparison_csv, comparison_get,
                                             indicator_mapping_save, replicated_for_index,
                                             replicated_slugs, replication_get)
from kb.services.exchange.contact import CONTACT_MAX, practice_contact
from kb.services.exchange.dashboards import (Chart, Dashboard, Edge, NetworkDashboard,
                                             dashboard_get, network_dashboard_get)
from kb.services.exchange.following import (is_following_organization,
                                            notify_adaptation_published, organization_follow)
from kb.services.exchange.likeness import (NEIGHBOURS, SCORE_NEIGHBOUR_BAND,
                                           SCORE_NEIGHBOUR_COUNTRY, SCORE_SAME_BAND,
                                           SCORE_SAME_COUNTRY, SCORE_SAME_KIND, CitiesLikeMine,
                                           Context, LikeMine, cities_like_mine,
                                           first_organization, like_mine_scores, similarity)
from kb.services.exchange.lineage import (Lineage, LineageNode, lineage_check, lineage_cycle,
                                          lineage_get)
from kb.services.exchange.panel import PracticePanel, practice_panel_get

__all__ = [
    "AdaptationMap", "MapArc", "MapEdge", "MapNode", "adaptation_map_csv", "adaptation_map_get",
    "adapt_organizations", "adaptation_document", "practice_adapt", "MAX_DEPTH",
    "indicator_key", "REPLICATED_MIN_CITIES", "Comparison", "ComparisonGroup", "ComparisonRow",
    "MappingChoice", "Replication", "comparison_csv", "comparison_get",
    "indicator_mapping_save", "replicated_for_index", "replicated_slugs", "replication_get",
    "CONTACT_MAX", "practice_contact", "Chart", "Dashboard", "Edge", "NetworkDashboard",
    "dashboard_get", "network_dashboard_get", "is_following_organization",
    "notify_adaptation_published", "organization_follow", "NEIGHBOURS", "SCORE_NEIGHBOUR_BAND",
    "SCORE_NEIGHBOUR_COUNTRY", "SCORE_SAME_BAND", "SCORE_SAME_COUNTRY", "SCORE_SAME_KIND",
    "CitiesLikeMine", "Context", "LikeMine", "cities_like_mine", "first_organization",
    "like_mine_scores", "similarity", "Lineage", "LineageNode", "lineage_check",
    "lineage_cycle", "lineage_get", "PracticePanel", "practice_panel_get",
]
