"""One visibility rule: every service that lists, counts or aggregates practices reaches it.

The rule is one SQL condition, kb.services.permissions.visible_to (and, inside the search
index, the viewer's networks). Every service function is listed below, either as a reader
of many practices, which must reach the rule through its own code or the services it
calls, or with the reason it needs none. A service added later fails until it is listed.
The editor's tag suggestions, once filtered elsewhere, are covered by
tests/views/test_hidden_practices.py::test_editor_suggests_tags_of_the_networks_i_belong_to_only.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest

from kb.services import permissions
from tests.services.test_permissions import _callee, service_functions

# Services that return practices, or counts and aggregates over practices.
READERS = {
    "kb.services.practices.practice_list", "kb.services.practices.practice_facets",
    "kb.services.practices.home_get", "kb.services.practices.organization_get",
    "kb.services.practices.theme_get", "kb.services.practices.organization_list",
    "kb.services.practices.organization_names", "kb.services.practices.theme_counts",
    "kb.services.practices.organizations_with_practices",
    "kb.services.practices.tag_suggestions",
    "kb.services.exchange.adaptation_map.adaptation_map_csv",
    "kb.services.exchange.adaptation_map.adaptation_map_get",
    "kb.services.exchange.comparison.comparison_csv",
    "kb.services.exchange.comparison.comparison_get",
    "kb.services.exchange.comparison.replicated_slugs",
    "kb.services.exchange.comparison.replication_get",
    "kb.services.exchange.dashboards.dashboard_get",
    "kb.services.exchange.dashboards.network_dashboard_get",
    "kb.services.exchange.likeness.cities_like_mine",
    "kb.services.exchange.lineage.lineage_get",
    "kb.services.exchange.panel.practice_panel_get",
    "kb.services.organizations.network_get",
    "kb.services.pages.home_page_get", "kb.services.pages.practice_page_get",
    "kb.services.pages.practice_list_page_get",
    "kb.services.search.practice_search", "kb.services.search.practice_similar",
    "kb.services.search.practice_similar_to_document",
    "kb.services.search.search_autocomplete",
    "kb.services.tags.reading.practice_tags_get", "kb.services.tags.reading.card_tags",
    "kb.services.tags.reading.tag_page_get", "kb.services.tags.reading.tags_index_get",
    "kb.services.tags.reading.tag_suggest", "kb.services.pages.practice_with_tags_get",
}

# Services that read no list or count of practices, with the reason (reviewed).
OTHERS = {
    "kb.services.practices.practice_get": "one practice, checked with practice.view",
    "kb.services.tags.moderating.tag_merge": "writes: a moderator merges tags",
    "kb.services.tags.applying.practice_tag_report": "writes: a report on one practice",
    "kb.services.tags.moderating.tag_rename": "writes: a moderator renames a tag",
    "kb.services.tags.moderating.tag_moderation_scopes": "the tags a moderator curates: "
                                                         "networks, not practices",
    "kb.services.practices.practice_import": "writes: an operator's import",
    "kb.services.practices.practices_import_dir": "writes: an operator's import",
    "kb.services.practices.practices_export": "an operator's export of every practice",
    "kb.services.editorial.practices_stale": "moderators' list of their own curation work",
    "kb.services.editorial.moderation_queue": "moderators' queue: submissions, by the SQL "
                                              "form of practice.review (reviewable_by)",
    "kb.services.editorial.my_work": "the reader's own drafts and submissions",
    "kb.services.editorial.review_get": "one practice under review, by practice.review",
    "kb.services.editorial.practice_history": "one practice, by practice.history",
    "kb.services.editorial.revisions_diff": "one practice, by practice.history",
    "kb.services.editorial.practice_edit_start": "one practice, by practice.edit",
    "kb.services.editorial.member_organizations": "the reader's own organizations",
    "kb.services.editorial.is_following": "one practice the reader follows or not",
    "kb.services.editorial.flags_open": "moderators' flags",
    "kb.services.editorial.audit_list": "the audit log, for site admins",
    "kb.services.editorial.audit_csv": "the audit log, for site admins",
    "kb.services.exchange.adapting.adapt_organizations": "the reader's own organizations",
    "kb.services.exchange.following.is_following_organization": "one organization",
    "kb.services.organizations.networks_list": "networks, not practices",
    "kb.services.organizations.network_index_get": "networks and their member counts, "
                                                   "not practices",
    "kb.services.organizations.organizations_all": "organizations for site admins",
    "kb.services.organizations.org_people": "members of an organization, for its admins",
    "kb.services.search.search_status": "the index's state, for operators",
    "kb.services.search.search_rebuild": "an operator's rebuild",
    "kb.services.search.search_vectors_export": "an operator's copy of the vector cache",
    "kb.services.search.search_vectors_import": "an operator's copy of the vector cache",
    "kb.services.backup.instance_backup": "every row of every table, for site admins and "
                                          "the operator (a backup of the installation)",
    "kb.services.status.status_get": "the installation's state, for operators",
    "kb.services.status.readiness_get": "whether this node is ready, for load balancers",
    "kb.services.notifications.notifications_list": "the reader's own notifications",
    "kb.services.notifications.notification_settings_get": "the reader's own settings",
    "kb.services.accounts.users_list": "accounts, for site admins",
    "kb.services.accounts.user_get": "one account",
    "kb.services.mail.mail_list": "the outbox, for operators",
    "kb.services.readmodel.catchup.read_model_rebuild": "an operator's rebuild",
    "kb.services.places.org_places_seed": "writes: an operator's first start",
    "kb.services.places.org_settings_get": "one organization, for its admins",
    "kb.services.places.org_place_suggest": "a place for one organization, for its admins",
    "kb.services.readmodel.catchup.read_model_status": "the read model's state, for "
                                                       "operators",
}

# What "reaches the rule" means: the SQL condition, or the search index asked with the
# viewer (the index filters inside the search by the viewer's networks).
RULE = {"visible_to", "tag_visible_to", "visible_practices", "_visible_practices", "visible_published",
        "organization_known_to", "_viewer_for"}

_SEEN: dict = {}


def reaches_rule(fn) -> bool:
    if fn in _SEEN:
        return _SEEN[fn]
    _SEEN[fn] = False
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    found = False
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        name = call.func.id if isinstance(call.func, ast.Name) else \
            getattr(call.func, "attr", None)
        if name in RULE:
            found = True
            break
        callee = _callee(fn, call)
        if (inspect.isfunction(callee) and callee.__module__.startswith("kb.services.")
                and callee is not fn and reaches_rule(callee)):
            found = True
            break
    _SEEN[fn] = found
    return found


SERVICES = dict(service_functions())


def test_every_service_is_classified():
    unlisted = set(SERVICES) - READERS - set(OTHERS)
    readers_or_readonly = {n for n in unlisted if not any(
        v in n.rsplit(".", 1)[1] for v in ("create", "save", "delete", "set", "add", "remove",
                                           "submit", "approve", "reject", "request", "restore",
                                           "archive", "feature", "follow", "reverify", "adapt",
                                           "contact", "accept", "decide", "invite", "update",
                                           "authenticate", "register", "reset", "resend",
                                           "verify", "sign", "send", "mark", "change",
                                           "resolve", "confirm"))}
    assert readers_or_readonly == set(), "classify these as READERS or OTHERS"
    assert READERS <= set(SERVICES) and set(OTHERS) <= set(SERVICES)


@pytest.mark.parametrize("name", sorted(READERS))
def test_every_reader_of_practices_uses_the_one_rule(name):
    assert reaches_rule(SERVICES[name]), f"{name} does not filter with visible_to"


def test_the_rule_is_found_where_it_is_and_not_where_it_is_not():
    assert reaches_rule(permissions.organization_known_to)
    assert not reaches_rule(permissions.can)
