"""The read model: what pages read that depends on many practices, derived like the index.

It follows the change log like the search index, as a derived view of
kb.services.derived (the background applier, after the index), can be rebuilt from scratch
at any time (`kb reindex`), and equals a from-scratch computation after every
catch-up. Visibility is applied when a page reads it, with the one SQL condition
(kb.services.permissions.visible_to), so nothing hidden is counted or shown.

- lineage: each published practice's family (root), parent and depth; a page reads one
  family in one query instead of every practice;
- similar: the practices most like each published revision, found by the search index
  once, when the revision is published, never at page-view time;
- facts: what the dashboards count of each published practice and each outcome row, and
  the improving adaptations below each practice ("replicated"), with the chain leading
  to each, so the dashboards aggregate in SQL over what the reader may see.
"""

from kb.services.derived import DerivedView, register_view
from kb.services.readmodel.catchup import (ReadModelStatus, read_model_after_bulk,
                                           read_model_apply_own,
                                           read_model_catch_up, read_model_pending,
                                           read_model_rebuild, read_model_refresh,
                                           read_model_status, similar_after_vectors)
from kb.services.search import on_vectors_added
from kb.services.readmodel.lineage import family_members, lineage_rows
from kb.services.readmodel.similar import similar_cards

# followed by the background applier after the search index (similar lists read it)
register_view(DerivedView("read_model", pending=read_model_pending,
                          apply=lambda limit: read_model_catch_up(limit),
                          after_commit=read_model_apply_own,
                          after_bulk=read_model_after_bulk))
on_vectors_added(similar_after_vectors)

__all__ = ["ReadModelStatus", "read_model_catch_up", "read_model_rebuild",
           "read_model_status", "family_members", "lineage_rows", "similar_cards"]
