"""Adapt, compare, learn: the services behind lineage, comparison, "cities like mine"."""

from __future__ import annotations

import ast
import inspect

import pytest
from sqlalchemy import select

from kb.content import ValidationFailed, parse_practice
from kb.db import session
from kb.mail import read_outbox
from kb.models import Notification, Organization, Practice, User
from kb.services import editorial as ed
from kb.services import exchange as ex
from kb.services.accounts import identity_for
from kb.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from kb.services.identity import ANONYMOUS, SYSTEM
from kb.services.practices import practice_import
from kb.services.uow import UnitOfWork

RIVERTON = "riverton-fictional-example-town"
SOLBY = "solby-fiktiv-exempelkommun"
JARVELA = "jarvela-kuvitteellinen-esimerkkikunta"


def doc(slug, organization, country="GB", population=None, adapted_from=None, outcomes=(),
        visibility="public", networks=()):
    lines = ["---", f"slug: {slug}", f"title: Practice {slug}",
             "summary: A constructed practice for the exchange tests.", "language: en",
             f"organization: {organization}", f"country: {country}"]
    if population:
        lines.append(f"population: {population}")
    lines += ["themes: [water]", "stage: pilot", "evidence: monitored"]
    if outcomes:
        lines.append("outcomes:")
        for indicator, unit, baseline, result, better in outcomes:
            row = f"  - {{indicator: '{indicator}', unit: '{unit}', result: {result}"
            if baseline is not None:
                row += f", baseline: {baseline}"
            if better:
                row += f", better: {better}"
            lines.append(row + "}")
    if adapted_from:
        lines.append(f"adapted_from: {adapted_from}")
    lines.append(f"visibility: {visibility}")
    if networks:
        lines.append(f"networks: [{', '.join(networks)}]")
    lines += ["---", "## Challenge", "", "Text.", ""]
    return "\n".join(lines)


def put(*args, **kwargs):
    practice_import(SYSTEM, doc(*args, **kwargs))


def who(user_id):
    return identity_for(session().get(User, user_id))


@pytest.fixture
def contributor(app, make_user):
    return make_user("ana@solby.example", orgs={SOLBY: "contributor"})


# ------------------------------------------------------------------ adapting


def test_adapting_prefills_a_draft_for_my_organization(app, contributor):
    with app.app_context():
        practice = ex.practice_adapt(who(contributor), "riverton-flood-wardens")
        assert practice.status == "draft"
        assert practice.adapted_from_slug == "riverton-flood-wardens"
        assert practice.organization.slug == SOLBY
        parsed = parse_practice(practice.current_revision.document).practice
        source = parse_practice(session().scalar(select(Practice).where(
            Practice.slug == "riverton-flood-wardens")).published_revision.document,
            "riverton-flood-wardens.md").practice
        assert parsed.adapted_from == "riverton-flood-wardens"
        assert (parsed.title, parsed.summary, parsed.themes, parsed.tags) == \
            (source.title, source.summary, source.themes, source.tags)
        assert (parsed.stage, parsed.evidence) == ("idea", "anecdotal")
        assert parsed.transferability == source.transferability
        assert parsed.organization.startswith("Solby") and parsed.country == "SE"
        # the source's indicators and units, without the source city's values
        assert parsed.outcomes == []
        assert "Households warned before flooding (%" in parsed.body
        assert "85" not in parsed.body.split("## Indicators to report")[1]
        assert parsed.contact is None  # never the source city's address


def test_adapting_asks_which_organization_when_i_act_for_several(app, make_user):
    user = make_user("two@orgs.example", orgs={SOLBY: "contributor", JARVELA: "admin"})
    with app.app_context():
        with pytest.raises(InvalidInput) as exc:
            ex.practice_adapt(who(user), "riverton-flood-wardens")
        assert "organization" in exc.value.errors
        practice = ex.practice_adapt(who(user), "riverton-flood-wardens", JARVELA)
        assert practice.organization.slug == JARVELA
        with pytest.raises(InvalidInput):
            ex.practice_adapt(who(user), "riverton-flood-wardens", RIVERTON)


def test_readers_cannot_adapt(app, make_user):
    reader = make_user("reader@kb.example")
    with app.app_context():
        with pytest.raises(PermissionDenied):
            ex.practice_adapt(who(reader), "riverton-flood-wardens")
        with pytest.raises(PermissionDenied):
            ex.practice_adapt(ANONYMOUS, "riverton-flood-wardens")


def test_archived_or_unpublished_source_is_refused_clearly(app, contributor, make_user):
    mod = make_user("mod@kb.example", role="global_moderator")
    with app.app_context():
        ed.practice_archive(who(mod), "riverton-flood-wardens", "outdated")
        # to those who may no longer read it, an archived practice is not there at all
        with pytest.raises(NotFound):
            ex.practice_adapt(who(contributor), "riverton-flood-wardens")
        with pytest.raises(Conflict, match="not published"):
            ex.practice_adapt(SYSTEM, "riverton-flood-wardens", SOLBY)
        draft = ex.practice_adapt(who(contributor), "lakeside-flood-wardens")
        other = session().scalar(select(User).where(User.email == "mod@kb.example"))
        assert other is not None
        with pytest.raises(Conflict, match="not published"):
            ex.practice_adapt(who(contributor), draft.slug)


def test_a_practice_cannot_be_adapted_from_its_own_descendant(app, contributor):
    with app.app_context():
        # riverton <- lakeside <- hillford in the fixtures
        assert ex.lineage_cycle("riverton-flood-wardens", "hillford-flood-wardens")
        with pytest.raises(ValidationFailed) as exc:
            ex.lineage_check("riverton-flood-wardens", "hillford-flood-wardens")
        assert exc.value.errors[0].field == "adapted_from"
        assert ex.lineage_cycle("hillford-flood-wardens", "riverton-flood-wardens") is None
        ex.lineage_check("jarvela-sahkoinen-rakennuslupa", "riverton-flood-wardens")
        # a lineage that already loops (imported by slug) cannot be adapted
        put("loop-a", "Riverton (fictional example town)", adapted_from="loop-b")
        put("loop-b", "Riverton (fictional example town)", adapted_from="loop-a")
        with pytest.raises(Conflict, match="loops"):
            ex.practice_adapt(who(contributor), "loop-a")
        # and the pages still render a finite tree
        lineage = ex.lineage_get(ANONYMOUS, "loop-a")
        assert lineage.size == 2


def test_lineage_tree_marks_the_current_practice_and_handles_a_missing_source(app):
    with app.app_context():
        lineage = ex.lineage_get(ANONYMOUS, "lakeside-flood-wardens")
        assert lineage.root.card.slug == "riverton-flood-wardens"
        assert lineage.generations == 3 and lineage.size == 3
        child = lineage.root.children[0]
        assert child.current and child.card.slug == "lakeside-flood-wardens"
        assert child.children[0].card.slug == "hillford-flood-wardens"
        put("orphan", "Solby (fiktiv exempelkommun)", "SE", adapted_from="deleted-practice")
        orphan = ex.lineage_get(ANONYMOUS, "orphan")
        assert orphan.missing_source == "deleted-practice"
        assert orphan.root.card.slug == "orphan" and orphan.root.current


def test_archived_original_leaves_its_adaptations_a_readable_lineage(app, make_user):
    mod = make_user("mod@kb.example", role="global_moderator")
    with app.app_context():
        ed.practice_archive(who(mod), "riverton-flood-wardens", "outdated")
        lineage = ex.lineage_get(ANONYMOUS, "hillford-flood-wardens")
        assert lineage.root.card.slug == "lakeside-flood-wardens"
        assert lineage.missing_source == "riverton-flood-wardens"
        comparison = ex.comparison_get(ANONYMOUS, "hillford-flood-wardens")
        assert comparison.root_slug == "lakeside-flood-wardens"


# ------------------------------------------------------------- comparison

TOWN = "Eastbrook City (fictional example)"


def _lineage_for_comparison():
    put("orig", TOWN, outcomes=[("Response time", "minutes", 30, 12, "lower")])
    put("copy-1", "Westbrook City (fictional example)", adapted_from="orig",
        outcomes=[("  response   TIME ", "Minutes", 40, 20, "lower")])
    put("copy-2", "Northbrook City (fictional example)", adapted_from="orig",
        outcomes=[("Vasteaika", "minuuttia", 50, 25, "lower")])


def test_indicators_match_by_name_and_unit_ignoring_case_and_spaces(app):
    with app.app_context():
        _lineage_for_comparison()
        comparison = ex.comparison_get(ANONYMOUS, "orig")
        groups = {g.key: g for g in comparison.groups}
        shared = groups[ex.indicator_key("Response time", "minutes")]
        assert [r.slug for r in shared.rows] == ["orig", "copy-1"]
        assert shared.rows[0].relative_change == pytest.approx(-0.6)
        assert shared.rows[1].improved is True
        assert groups[ex.indicator_key("Vasteaika", "minuuttia")].cities == 1
        assert [g.key for g in comparison.shared] == [shared.key]
        assert "orig,Eastbrook" in ex.comparison_csv(ANONYMOUS, "orig")


def test_the_author_maps_a_differently_named_indicator(app, make_user):
    _author = make_user("north@kb.example")
    with app.app_context():
        _lineage_for_comparison()
    from kb.services.organizations import membership_add

    with app.app_context():
        membership_add(SYSTEM, "northbrook-city-fictional-example", "north@kb.example",
                       "contributor")
        author = who(_author)
        own = ex.indicator_key("Vasteaika", "minuuttia")
        target = ex.indicator_key("Response time", "minutes")
        with pytest.raises(PermissionDenied):
            ex.indicator_mapping_save(ANONYMOUS, "copy-2", own, target)
        with pytest.raises(PermissionDenied):
            ex.indicator_mapping_save(author, "copy-1", ex.indicator_key(
                "response time", "minutes"), target)
        with pytest.raises(InvalidInput):
            ex.indicator_mapping_save(author, "copy-2", own, "made up|x")
        mine = ex.comparison_get(author, "copy-2")
        assert mine.can_map and mine.mapping[0].key == own
        assert target in [k for k, _label in mine.mapping[0].targets]
        ex.indicator_mapping_save(author, "copy-2", own, target)
        comparison = ex.comparison_get(ANONYMOUS, "orig")
        shared = comparison.shared[0]
        assert [r.slug for r in shared.rows] == ["orig", "copy-1", "copy-2"]
        assert shared.rows[2].mapped and shared.indicator == "Response time"
        ex.indicator_mapping_save(author, "copy-2", own, None)
        assert len(ex.comparison_get(ANONYMOUS, "orig").shared[0].rows) == 2


# ------------------------------------------------------------- replicated


def test_replicated_needs_two_improving_cities(app):
    with app.app_context():
        put("orig", TOWN, outcomes=[("Response time", "minutes", 30, 12, "lower")])
        put("copy-1", "Westbrook City (fictional example)", adapted_from="orig",
            outcomes=[("Response time", "minutes", 40, 20, "lower")])
        one = ex.replication_get(ANONYMOUS, "orig")
        assert not one.replicated and one.improving_cities == ["Westbrook City (fictional example)"]
        # a second city whose result got worse does not count
        put("copy-2", "Northbrook City (fictional example)", adapted_from="orig",
            outcomes=[("Response time", "minutes", 20, 25, "lower")])
        assert not ex.replication_get(ANONYMOUS, "orig").replicated
        # an improvement on an indicator the original does not report does not count
        put("copy-3", "Southbrook City (fictional example)", adapted_from="orig",
            outcomes=[("Volunteers", "count", 2, 10, "higher")])
        assert not ex.replication_get(ANONYMOUS, "orig").replicated
        # a second improving city (here an adaptation of an adaptation) makes it replicated
        put("copy-4", "Eastmere City (fictional example)", adapted_from="copy-1",
            outcomes=[("Response time", "minutes", 60, 30, "lower")])
        two = ex.replication_get(ANONYMOUS, "orig")
        assert two.replicated and len(two.improving_cities) == 2
        assert "orig" in ex.replicated_slugs(ANONYMOUS)
        assert "copy-1" not in ex.replicated_slugs(ANONYMOUS)


def test_adaptations_by_the_same_organization_do_not_replicate(app):
    with app.app_context():
        put("orig", TOWN, outcomes=[("Response time", "minutes", 30, 12, "lower")])
        put("again", TOWN, adapted_from="orig",
            outcomes=[("Response time", "minutes", 30, 12, "lower")])
        put("copy-1", "Westbrook City (fictional example)", adapted_from="orig",
            outcomes=[("Response time", "minutes", 40, 20, "lower")])
        assert not ex.replication_get(ANONYMOUS, "orig").replicated


# ------------------------------------------------------------ cities like mine


def test_cities_like_mine_ranks_by_band_country_neighbours_and_kind(app):
    with app.app_context():
        put("mine", "Alphaby City (fictional example)", "FI", 30_000)
        put("same-band-same-country", "Betaby City (fictional example)", "FI", 40_000)
        put("same-band-neighbour", "Gammaby City (fictional example)", "SE", 20_000)
        put("next-band-same-country", "Deltaby City (fictional example)", "FI", 80_000)
        put("far-band-far-country", "Epsilonby Agency (fictional example)", "PT", 2_000_000)
        put("same-band-far-region", "Zetaby Region (fictional example)", "PT", 45_000)
        result = ex.cities_like_mine(ANONYMOUS, "alphaby-city-fictional-example")
        constructed = {"same-band-same-country", "same-band-neighbour", "next-band-same-country",
                       "far-band-far-country", "same-band-far-region", "mine"}
        ranked = [r.card.slug for r in result.results if r.card.slug in constructed]
        assert ranked[:4] == ["same-band-same-country", "same-band-neighbour",
                              "next-band-same-country", "same-band-far-region"]
        assert "far-band-far-country" not in ranked  # nothing in common
        assert "mine" not in ranked
        top = result.results[0]
        assert top.score == 3 + 2 + 1
        assert "same population band" in top.reasons
        assert ex.NEIGHBOURS["FI"] >= {"SE", "EE", "NO"}
        assert all(a in ex.NEIGHBOURS[b] for a, bs in ex.NEIGHBOURS.items() for b in bs)


def test_cities_like_mine_uses_my_first_organization(app, contributor):
    with app.app_context():
        result = ex.cities_like_mine(who(contributor))
        assert result.organization.slug == SOLBY
        assert result.results and result.results[0].card.organization != result.organization.name
        assert ex.cities_like_mine(ANONYMOUS).organization is None


# ------------------------------------------------------------------ dashboards


# tests/services/test_dashboards.py: the dashboards


def test_adaptation_map_has_organizations_and_arrows(app):
    with app.app_context():
        graph = ex.adaptation_map_get(ANONYMOUS)
        assert {(e.source, e.target) for e in graph.edges} == {
            (RIVERTON, "lakeside-fictional-example-town"),
            ("lakeside-fictional-example-town", "hillford-fictional-example-town")}
        assert all(0 <= n.x <= graph.width and 0 <= n.y <= graph.height for n in graph.nodes)
        assert "bergdorf-fiktive-beispielgemeinde" not in {n.slug for n in graph.nodes}


# ------------------------------------------------------------------ following


def test_followers_hear_of_a_new_adaptation_and_an_organization_publishing(app, make_user):
    fan = make_user("fan@kb.example")
    with app.app_context():
        ed.practice_follow(who(fan), "riverton-flood-wardens")
        ex.organization_follow(who(fan), "lakeside-fictional-example-town")
        practice = session().scalar(select(Practice).where(
            Practice.slug == "lakeside-flood-wardens"))
        with UnitOfWork() as uow:
            ex.notify_adaptation_published(uow, practice)
        notes = [n.message for n in session().scalars(select(Notification).where(
            Notification.user_id == fan))]
        assert any("published" in m for m in notes)
        ex.organization_follow(who(fan), "lakeside-fictional-example-town", follow=False)
        with UnitOfWork() as uow:
            ex.notify_adaptation_published(uow, practice)
        notes = [n.message for n in session().scalars(select(Notification).where(
            Notification.user_id == fan))]
        assert any("New adaptation of Volunteer flood wardens" in m for m in notes)
        with pytest.raises(PermissionDenied):
            ex.organization_follow(ANONYMOUS, RIVERTON)


def test_contact_the_owner_sends_mail_with_reply_to_and_no_address_shown(app, make_user):
    sender = make_user("asker@kb.example")
    admin = make_user("boss@solby.example", orgs={SOLBY: "admin"})
    assert admin
    with app.app_context():
        with pytest.raises(PermissionDenied):
            ex.practice_contact(ANONYMOUS, "riverton-flood-wardens", "Hello")
        with pytest.raises(InvalidInput):
            ex.practice_contact(who(sender), "riverton-flood-wardens", "  ")
        assert ex.practice_contact(who(sender), "riverton-flood-wardens", "How many?") == 1
        mail = read_outbox("floods@riverton.example")[-1]
        assert mail["Reply-To"] == "asker@kb.example"
        assert "How many?" in mail.get_content()
        # no contact e-mail: the organization's admins
        assert ex.practice_contact(who(sender), "solby-medborgarbudget", "Hej") == 1
        assert read_outbox("boss@solby.example")[-1]["Reply-To"] == "asker@kb.example"


# ------------------------------------------------------------------ permission


# computations for a practice that the calling service already loaded and checked
_UNCHECKED_OF = {"lineage_of", "comparison_of", "replication_of", "visible_published",
                 "family_pool", "first_organization"}


def _service_functions():
    """The public functions of every module of the exchange package that take an identity."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(ex.__path__):
        module = importlib.import_module(f"{ex.__name__}.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if (fn.__module__ == module.__name__ and not name.startswith("_")
                    and name not in _UNCHECKED_OF):
                params = list(inspect.signature(fn).parameters)
                if params and params[0] == "identity":
                    yield f"{info.name}.{name}", fn


def test_the_exchange_services_are_found():
    assert {"panel.practice_panel_get", "dashboards.dashboard_get",
            "likeness.cities_like_mine"} <= {name for name, _fn in _service_functions()}


@pytest.mark.parametrize("name,fn", list(_service_functions()))
def test_every_exchange_service_checks_permission_first(name, fn):
    tree = ast.parse(inspect.getsource(fn).lstrip())
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and getattr(n.func, "id", None) == "require"]
    assert calls, f"{name} never calls require()"


def test_organizations_exist_for_the_fixtures(app):
    with app.app_context():
        assert session().scalar(select(Organization).where(Organization.slug == SOLBY))


def test_the_documented_neighbour_table_is_the_one_used():
    import re

    from kb.config import REPO_ROOT

    text = (REPO_ROOT / "docs" / "exchange.md").read_text()
    documented = {m.group(1): {c.strip() for c in m.group(2).split(",")}
                  for m in re.finditer(r"^\| ([A-Z]{2}) [^|]+\| ([A-Z, ]+) \|$", text, re.M)}
    assert len(documented) >= 19
    for country, neighbours in documented.items():
        assert neighbours == set(ex.NEIGHBOURS[country]), country
    assert f"| Same population band | {ex.SCORE_SAME_BAND:g} |" in text
    assert f"| Same country | {ex.SCORE_SAME_COUNTRY:g} |" in text


def test_replicated_is_a_search_facet_and_sort(app):
    from kb.services.search import SORTS, practice_search

    with app.app_context():
        put("orig", TOWN, outcomes=[("Response time", "minutes", 30, 12, "lower")])
        put("copy-1", "Westbrook City (fictional example)", adapted_from="orig",
            outcomes=[("Response time", "minutes", 40, 20, "lower")])
        assert practice_search(ANONYMOUS, "", {"replicated": ["yes"]}).total == 0
        put("copy-2", "Northbrook City (fictional example)", adapted_from="orig",
            outcomes=[("response time", "Minutes", 50, 25, "lower")])
        found = practice_search(ANONYMOUS, "", {"replicated": ["yes"]})
        assert [h.slug for h in found.hits] == ["orig"]
        assert "replicated" in SORTS
        ranked = practice_search(ANONYMOUS, "", sort="replicated")
        assert ranked.hits[0].slug == "orig"
        counts = {f["value"]: f["count"] for f in found.facets["replicated"]}
        assert counts == {"yes": 1}


def test_cities_like_mine_ranks_in_the_database_as_the_score_says(app):
    """The ranking done in SQL equals scoring every visible practice with `similarity`."""
    import datetime as dt

    from kb.content.vocab import population_band
    from kb.services.exchange.common import visible_published

    with app.app_context():
        put("like-a", "Westbrook City (fictional example)", country="SE", population=30000)
        put("like-b", "Northbrook City (fictional example)", country="DK", population=300000)
        orgs = {p.organization for p in visible_published(ANONYMOUS)}
        assert len(orgs) >= 4
        for org in orgs:
            mine = ex.likeness.context_of(org)
            expected = []
            for p in visible_published(ANONYMOUS):
                if p.organization_id == org.id:
                    continue
                rev = p.published_revision
                score, reasons = ex.similarity(mine, ex.Context(
                    rev.country, rev.population_band or population_band(
                        p.organization.population), p.organization.kind))
                if score > 0:
                    expected.append((score, p.published_at, p.slug, reasons))
            expected.sort(key=lambda r: (-r[0], -(r[1] or dt.datetime.min).timestamp(), r[2]))
            found = ex.cities_like_mine(ANONYMOUS, org.slug, limit=50)
            assert [(r.score, r.card.slug, r.reasons) for r in found.results] == \
                [(s, slug, reasons) for s, _when, slug, reasons in expected[:50]], org.slug
