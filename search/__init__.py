"""Full-text search over practices: a derived, multilingual Whoosh index.

Fed with plain document dicts, answers with plain dataclasses. Imports
nothing from ``kb``. See :class:`SearchIndex` for the interface.
"""

from .documents import document_fields
from .index import SearchIndex
from .reading import SORTS
from .results import (Hit, IndexBusy, IndexDamaged, IndexFailure, IndexUnavailable,
                      SearchResults, Viewer)
from .querying import LimitHit, QueryLimits, query_size
from .schema import FACETS, Facet, Ranking

__all__ = ["SearchIndex", "Viewer", "IndexBusy", "IndexDamaged", "IndexFailure",
           "IndexUnavailable",
           "SearchResults", "Hit", "FACETS", "Facet", "Ranking", "SORTS", "document_fields",
           "LimitHit", "QueryLimits", "query_size"]
