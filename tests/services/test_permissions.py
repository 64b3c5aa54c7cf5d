"""Every service checks permission itself, before it touches anything.

The guard walks the whole kb.services package, so a module or sub-package added later is
checked without anyone listing it here. A public function is either a service (it takes the
acting `identity` first and reaches `require()` before any write) or a helper named in
HELPERS below with the reason it needs no check of its own.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import textwrap
from pathlib import Path

import pytest

import kb.services
from kb.services import practices, search
from kb.services.errors import PermissionDenied
from kb.services.identity import ANONYMOUS, Identity
from kb.services.permissions import require

# Public functions that are not user operations. Each entry is reviewed: the reason says why
# the function needs no permission check of its own (its callers check, or it only computes).
HELPERS = {
    # the permission machinery itself
    "kb.services.permissions.can": "the permission decision itself",
    "kb.services.permissions.require": "the permission check itself",
    "kb.services.permissions.rule": "registers a rule at import time",
    "kb.services.permissions.sees_network": "a predicate used by the rules",
    # who is acting: runs before any identity exists
    "kb.services.accounts.identity_for": "builds the identity the checks are made against",
    "kb.services.accounts.user_for_session": "resolves the session cookie into the user "
                                             "that identity_for turns into an identity",
    "kb.services.accounts.normalize_email": "pure: lower-cases and trims an address",
    # bookkeeping inside a service's unit of work, after that service's check
    "kb.services.accounts.audit": "adds an audit row inside the caller's unit of work",
    "kb.services.notifications.notify": "adds notifications inside the caller's unit of work",
    "kb.services.effects.after_practice_change": "registers after-commit effects on the "
                                                 "caller's unit of work",
    "kb.services.practices.publish_revision": "the publication step shared by import and "
                                              "approval, inside their unit of work",
    "kb.services.exchange.following.notify_adaptation_published": "notifications inside the "
                                                                  "approving service's unit "
                                                                  "of work",
    "kb.services.events.first_published": "runs the listeners inside the publishing "
                                          "service's unit of work",
    "kb.services.events.on_first_publish": "registers a listener at import time",
    # backups: what the models say a backup holds, and reading a backup file's manifest
    "kb.services.backup.backed_up_tables": "pure: the tables of the models a backup holds",
    "kb.services.backup.schema_columns": "pure: the columns of those tables",
    "kb.services.backup.schema_fingerprint": "pure: a hash of those columns",
    "kb.services.backup.backup_manifest": "reads a file the operator names; touches no "
                                          "database",
    # keeping this node's search index usable: no user operation, nothing a user sees
    "kb.services.search.search_repair": "rebuilds this node's derived index from the "
                                        "database when it is missing or damaged",
    "kb.services.search.search_repair_soon": "asks the background applier to check the "
                                             "node's index after a search found it damaged",
    "kb.services.search.search_repair_requested": "reads whether such a check was asked for",
    "kb.services.search.search_background_wanted": "reads whether the node's index needs "
                                                   "work besides its backlog",
    "kb.services.search.search_vectors_of_folder": "adds the vectors shipped with a folder "
                                                   "to this node's cache, inside a checked "
                                                   "import",
    # pure computations on objects a checked service already loaded
    "kb.services.editorial.diff_revisions": "pure: compares two revision documents",
    "kb.services.editorial.working_revision": "pure: picks a loaded practice's working "
                                              "revision",
    "kb.services.practices.is_stale": "pure: compares a loaded practice's dates",
    "kb.services.practices.cards_in_order": "loads the cards of practices a checked "
                                            "service chose, in its order",
    "kb.services.exchange.adapting.adaptation_document": "pure: drafts the Markdown of an "
                                                         "adaptation",
    "kb.services.replication_rules.indicator_key": "pure: normalizes an indicator name",
    "kb.services.replication_rules.norm": "pure: normalizes an indicator name or unit",
    "kb.services.exchange.common.outcomes_of": "pure: a loaded practice's outcome rows",
    "kb.services.exchange.common.published_of": "pure: a loaded practice's published "
                                                "revision, or unknown",
    "kb.services.replication_rules.children_map": "pure: groups loaded practices by original",
    "kb.services.replication_rules.descendants": "pure: walks a children map",
    "kb.services.exchange.common.family": "pure: a loaded practice's lineage among the "
                                          "practices a checked service loaded",
    "kb.services.replication_rules.resolve_key": "pure: follows indicator mappings",
    "kb.services.replication_rules.indicator_mappings": "reads the mappings of practices a "
                                                      "checked service loaded",
    "kb.services.exchange.common.practice_by_slug": "loads the practice a checked service "
                                                    "then checks permission on",
    "kb.services.exchange.common.visible_published": "the practices the identity may see "
                                                     "(visible_to), for checked services",
    "kb.services.exchange.lineage.lineage_of": "computes the lineage of a practice a "
                                               "checked service loaded",
    "kb.services.exchange.comparison.comparison_of": "computes the comparison of a practice "
                                                     "a checked service loaded",
    "kb.services.exchange.comparison.replication_of": "computes the replication of a "
                                                      "practice a checked service loaded",
    "kb.services.replication_rules.replications": "pure: replications among loaded "
                                                    "practices",
    "kb.services.exchange.likeness.context_of": "pure: a loaded organization's profile",
    "kb.services.exchange.likeness.first_organization": "the identity's own first "
                                                        "organization, for checked services",
    "kb.services.exchange.likeness.like_mine_scores": "pure: scores organizations against "
                                                      "mine",
    "kb.services.exchange.likeness.similarity": "pure: compares two organizations' profiles",
    "kb.services.exchange.comparison.replicated_for_index": "computes a loaded practice's "
                                                            "replication for its search "
                                                            "document",
    "kb.services.lineage_rules.lineage_check": "validation step of the import and approval "
                                               "services: refuses a lineage cycle",
    "kb.services.lineage_rules.lineage_cycle": "validation step: finds a lineage cycle",
    "kb.services.accounts.email_link": "pure: an absolute link for an e-mail",
    "kb.services.practices.visible_practices": "the query of published practices filtered "
                                               "by visible_to, for checked services",
    "kb.services.practices.load_for_cards": "pure: adds eager loading to a query",
    "kb.services.practices.parsed_document": "pure: parses a stored document (kept for the "
                                             "most recently used ones)",
    "kb.services.search.search_doc": "pure: turns a loaded practice into a search document",
    # the derived search view, kept up to date from the change log
    "kb.services.search.get_index": "returns this node's index object",
    "kb.services.search.search_catch_up": "applies committed changes to the index after "
                                          "commit and in the background; no user input",
    "kb.services.search.search_start": "at start: logs the analysis and ranking, rebuilds "
                                       "an index built with another analysis; no user input",
    "kb.services.search.search_rebuild_unchecked": "the work of search_rebuild once "
                                                   "checked, and of first start",
    "kb.services.search.search_pending": "counts the change-log entries the index lacks",
    "kb.services.search.search_apply_batch": "one bounded batch of the background applier; "
                                             "no user input",
    "kb.services.search.search_refresh": "the bounded check a checked search makes first",
    "kb.services.search.search_apply_own": "applies a committed unit of work's own changes "
                                           "after commit; no user input",
    "kb.services.search.search_apply_bulk": "the index's catch-up after a checked bulk "
                                            "import; no user input",
    "kb.services.search.on_vectors_added": "registers a derived view's callback at import",
    # every derived view, and the background applier that follows the change log
    "kb.services.derived.register_view": "adds a derived view at import of its module",
    "kb.services.derived.views": "lists the registered derived views",
    "kb.services.derived.pending": "counts each derived view's backlog on this node",
    "kb.services.derived.apply_after_commit": "the after-commit effect of a checked service",
    "kb.services.derived.catch_up_round": "one bounded batch per view; no user input",
    "kb.services.derived.catch_up_all": "applies the backlog for the CLI and at start",
    "kb.services.derived.catch_up_after_bulk": "each view's catch-up after a checked bulk "
                                               "import",
    "kb.services.derived.start_applier": "starts this process's background applier thread",
    "kb.services.derived.applier_running": "tells whether that thread runs",
    "kb.services.effects.watch_changes": "the unit of work collects its change-log ids",
    "kb.services.effects.forget_changes": "the unit of work rolled back: none committed",
    "kb.services.effects.derived_views_deferred": "a checked bulk import defers the "
                                                  "derived views to its end",
    # the read model, derived from the change log like the index
    "kb.services.readmodel.catchup.read_model_catch_up": "applies committed changes to the "
                                                         "read model; no user input",
    "kb.services.readmodel.catchup.read_model_pending": "counts the change-log entries the "
                                                        "read model lacks",
    "kb.services.readmodel.catchup.read_model_refresh": "the bounded check a checked page "
                                                        "service makes first",
    "kb.services.readmodel.catchup.read_model_apply_own": "applies a committed unit of "
                                                          "work's own changes after commit",
    "kb.services.readmodel.catchup.similar_after_vectors": "called by the background "
                                                           "applier once the index has "
                                                           "vectors; no user input",
    "kb.services.readmodel.catchup.read_model_rebuild_unchecked": "the work of "
                                                                  "read_model_rebuild once "
                                                                  "checked",
    "kb.services.readmodel.lineage.lineage_rows": "pure: families from parent links",
    "kb.services.readmodel.lineage.published_parents": "reads the parent links of the "
                                                       "published practices for a catch-up",
    "kb.services.readmodel.lineage.lineage_refresh": "the lineage part of a catch-up",
    "kb.services.readmodel.lineage.family_members": "a family's practices filtered by "
                                                    "visible_to, for checked services",
    "kb.services.readmodel.lineage.linked_families": "the families linked to one practice, "
                                                     "filtered by visible_to, for checked "
                                                     "services",
    "kb.services.replication_rules.descendant_chains": "pure: walks a children map",
    "kb.services.replication_rules.published_outcomes": "pure: a loaded practice's outcome "
                                                         "rows",
    "kb.services.replication_rules.practice_is_example": "pure: a loaded practice's tag",
    "kb.services.replication_rules.replication_entries": "pure: improving adaptations among "
                                                          "loaded practices",
    "kb.services.exchange.comparison.per_1000_applies": "pure: whether a unit counts things "
                                                        "or measures a volume",
    "kb.services.exchange.comparison.per_1000": "pure: a value per 1,000 inhabitants",
    "kb.services.readmodel.facts.facts_refresh": "the dashboard-facts part of a catch-up",
    "kb.services.readmodel.facts.replication_refresh": "the replication part of a catch-up",
    "kb.services.readmodel.facts.facts_rebuild": "the facts part of the read model's rebuild",
    "kb.services.readmodel.similar.similar_refresh": "the similar part of a catch-up",
    "kb.services.readmodel.similar.similar_find": "the searches of the similar part",
    "kb.services.readmodel.similar.similar_store": "the writes of the similar part",
    "kb.services.readmodel.catchup.read_model_after_bulk": "the read model's catch-up after "
                                                           "a checked bulk import",
    "kb.services.readmodel.similar.similar_cards": "stored similar practices filtered by "
                                                   "visible_to, for checked services",
    "kb.services.exchange.common.family_pool": "a family's visible practices, for checked "
                                               "services",
    # more of the permission machinery: the one visibility rule, as SQL and as a predicate
    "kb.services.permissions.visible_to": "the SQL condition of who may see a practice",
    "kb.services.permissions.organization_known_to": "the SQL condition of which "
                                                     "organizations a viewer may know of",
    "kb.services.permissions.knows": "a predicate used by the rules",
    "kb.services.permissions.curating_networks": "the networks whose moderators a rule "
                                                 "lets review a practice",
    "kb.services.permissions.curating_networks_of": "the same, for many practices at once",
    "kb.services.permissions.reviews": "the rule of practice.review on known networks",
    "kb.services.permissions.network_only": "a predicate used by the rules",
    "kb.services.permissions.tag_visible_to": "the SQL condition of which community tags "
                                              "a viewer may see",
    "kb.services.permissions.tag_scope_visible": "the same rule for one tag's scope",
    # community tags: internals of the checked tag services
    "kb.services.tags.common.concept_of": "pure: the glossary concept a tag names",
    "kb.services.tags.common.resolve": "follows moderators' merges and synonyms of a tag",
    "kb.services.tags.common.resolve_many": "the same for many tags",
    "kb.services.tags.common.group_of": "the tags that lead to a tag",
    "kb.services.tags.common.resolve_scoped": "resolve_many for tags of several scopes",
    "kb.services.tags.common.network_aliases": "the aliases of the networks whose private "
                                               "tags the identity sees (its own networks)",
    "kb.services.tags.common.index_fields": "the tags of a practice for its search "
                                            "document (public ones, and private ones "
                                            "filtered inside the index)",
    "kb.services.tags.applying.practice_for_tags": "loads the practice a checked tag "
                                                   "service then checks permission on",
    "kb.services.tags.applying.practice_for_tags_by_id": "the same, by id",
    "kb.services.tags.applying.log_tag_change": "adds the change-log entry inside the "
                                                "checked service's unit of work",
    "kb.services.tags.applying.bad_tag_message": "pure: says what is wrong with a tag",
    "kb.services.permissions.reviewable_by": "the rule of practice.review as one SQL "
                                             "condition, for the moderation queue",
    "kb.services.permissions.curated_by": "an SQL condition: a network curates a practice",
    "kb.services.permissions.shared_with_any": "an SQL condition: shared with networks",
    "kb.services.permissions.of_member_of_any": "an SQL condition: of a member organization",
    "kb.services.permissions.json_list_has": "an SQL condition on a JSON list column",
    # the unit of work itself
    "kb.services.uow.unit_of_work": "the decorator that runs a service in its unit of work",
    "kb.services.uow.is_transient": "pure: classifies a database error for a retry",
    "kb.services.uow.in_unit_of_work": "pure: tells whether a unit of work is open",
    "kb.services.permissions.visibility_key": "pure: names the scope of visible_to",
    "kb.services.aggregates.kept": "keeps the answer of a service's own computation, "
                                   "which checked permission and applied visible_to",
    "kb.services.aggregates.latest_change_id": "the change log's position: a number only",
    "kb.services.aggregates.kept_by": "keeps the answer of a service's own computation, "
                                      "which checked permission and applied visible_to",
    "kb.services.aggregates.data_version": "where the data stands: numbers and a scope name",
    # pure formatting
    "kb.services.csvfile.csv_cell": "pure: neutralizes one CSV cell",
    "kb.services.csvfile.csv_text": "pure: writes rows a checked service returned as CSV",
    # mail: queued inside a checked service's unit of work, delivered after its commit
    "kb.services.mail.queue_mail": "adds an outbox row inside the caller's unit of work",
    "kb.services.mail.mail_deliver": "the after-commit delivery of rows already queued; "
                                     "`kb mail send` checks mail.manage before calling it",
    "kb.services.mail.mail_status": "pure: names a loaded outbox row's state",
    # the export mirror, a derived view kept from the change log after commit
    "kb.services.mirror.mirror_catch_up": "applies committed changes to the export folder "
                                          "after commit; no user input",
    "kb.services.mirror.sync_directory": "the work of practices_export once checked",
    # sign-in bookkeeping: runs while an identity is being established
    "kb.services.sessions.session_open": "opens the session of a sign-in that "
                                         "user_authenticate has just allowed",
    "kb.services.sessions.session_is_open": "resolves a session cookie before any identity "
                                            "exists",
    "kb.services.sessions.session_close": "ends the caller's own session (sign-out)",
    "kb.services.sessions.sessions_close_all": "ends every session inside the password "
                                               "change, reset or deletion that checked",
    "kb.services.throttle.keys_for": "pure: the counter keys of a sign-in attempt",
    "kb.services.throttle.locked_seconds": "reads the sign-in counters before any identity "
                                           "exists",
    "kb.services.throttle.record_failure": "counts a failed sign-in inside user_authenticate",
    "kb.services.throttle.record_success": "clears counters inside user_authenticate",
    "kb.services.throttle.under_attack": "reads the sign-in counters inside "
                                         "user_authenticate",
}

# Calls that change something; none may come before the permission check.
WRITES = {"UnitOfWork", "add", "add_all", "delete", "merge", "commit", "flush", "audit",
          "notify", "publish_revision", "after_practice_change", "write_text", "apply"}


def module_names(package: str, folders) -> list[str]:
    """Every module below a package's folders, sub-packages included (with or without an
    __init__.py, which pkgutil.walk_packages would skip)."""
    names = set()
    for folder in map(Path, folders):
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            names.add(".".join((package,) + parts))
    return sorted(names)


def service_modules():
    """kb.services and every module and package below it."""
    for name in module_names("kb.services", kb.services.__path__):
        yield importlib.import_module(name)


def public_functions():
    for module in service_modules():
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_"):
                # a service run in its unit of work (@unit_of_work) is read as written
                yield f"{module.__name__}.{name}", inspect.unwrap(fn)


def service_functions():
    return [(name, fn) for name, fn in public_functions() if name not in HELPERS]


def _tree(fn) -> ast.AST:
    return ast.parse(textwrap.dedent(inspect.getsource(fn)))


def _calls_in_order(fn) -> list[ast.Call]:
    calls = [n for n in ast.walk(_tree(fn)) if isinstance(n, ast.Call)]
    return sorted(calls, key=lambda n: (n.lineno, n.col_offset))


def _callee(fn, call: ast.Call):
    """The object a call refers to, looked up in the function's module, or None."""
    names = []
    node = call.func
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    target = fn.__globals__.get(node.id)
    for attr in reversed(names):
        try:
            target = getattr(target, attr, None)
        except RuntimeError:  # an attribute of current_app or request: not a service
            return None
    return inspect.unwrap(target) if inspect.isfunction(target) else target


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


_CHECKED: dict = {}


def checks_permission(fn) -> bool:
    """fn calls require(), or a kb.services function that does, before any write."""
    if fn not in _CHECKED:
        _CHECKED[fn] = False  # a function calling itself back does not check by that call
        _CHECKED[fn] = first_check(fn) is not None
    return _CHECKED[fn]


def first_check(fn) -> ast.Call | None:
    """The first call in fn that reaches require(), if no write comes before it."""
    for call in _calls_in_order(fn):
        callee = _callee(fn, call)
        if callee is require:
            return call
        if (inspect.isfunction(callee) and callee is not fn
                and callee.__module__.startswith("kb.services.")
                and callee.__module__ != "kb.services.permissions"
                and checks_permission(callee)):
            return call
        if _called_name(call) in WRITES:
            return None
    return None


@pytest.mark.parametrize("name,fn", service_functions())
def test_every_service_checks_permission_before_any_write(name, fn):
    params = list(inspect.signature(fn).parameters)
    assert params and params[0] == "identity", (
        f"{name} is public but takes no identity: make it a service (identity first, "
        f"require() before any work), make it private, or add it to HELPERS with a reason")
    assert first_check(fn) is not None, (
        f"{name} never calls require(), or writes before it does")


def test_the_walk_finds_modules_added_later(tmp_path):
    for name in ("a.py", "pkg/__init__.py", "pkg/b.py", "plain/c.py", "plain/deeper/d.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert module_names("kb.services", [tmp_path]) == [
        "kb.services.a", "kb.services.pkg", "kb.services.pkg.b", "kb.services.plain.c",
        "kb.services.plain.deeper.d"]


def test_the_guard_covers_every_service_module():
    with_services = {name.rsplit(".", 1)[0] for name, _ in service_functions()}
    assert with_services >= {f"kb.services.{module}" for module in (
        "accounts", "editorial", "exchange.adapting", "exchange.comparison",
        "exchange.contact", "exchange.dashboards", "exchange.adaptation_map",
        "exchange.following", "exchange.likeness", "exchange.lineage", "exchange.panel",
        "notifications", "organizations", "practices", "search")}


def test_every_helper_on_the_list_exists():
    """A renamed or removed helper leaves no stale exemption behind."""
    assert set(HELPERS) <= {name for name, _ in public_functions()}
    assert all(reason.strip() for reason in HELPERS.values())


@pytest.mark.parametrize("source,checked", [
    ("def thing_get(identity, slug):\n    require(identity, 'kb.read')\n", True),
    ("def _check(identity):\n    require(identity, 'kb.read')\n"
     "def thing_get(identity, slug):\n    _check(identity)\n", True),
    ("def thing_get(identity, slug):\n    return slug\n", False),
    ("def thing_save(identity, s):\n    s.add(1)\n    require(identity, 'kb.read')\n", False),
])
def test_the_guard_tells_checked_from_unchecked(source, checked, tmp_path):
    """The guard itself, on a throwaway module in the kb.services namespace."""
    path = tmp_path / "example.py"
    path.write_text("from kb.services.permissions import require\n" + source)
    spec = importlib.util.spec_from_file_location("kb.services.example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fn = next(v for k, v in vars(module).items() if k.startswith("thing_"))
    assert (first_check(fn) is not None) is checked


@pytest.mark.parametrize("call", [
    lambda: practices.practice_import(ANONYMOUS, "---\n---\n", "x.md"),
    lambda: practices.practices_import_dir(Identity(user_id=3), "."),
    lambda: practices.practices_export(Identity(user_id=3), "/nonexistent"),
    lambda: search.search_rebuild(ANONYMOUS),
])
def test_operators_only_operations_are_refused_before_any_work(ctx, call):
    with pytest.raises(PermissionDenied):
        call()
