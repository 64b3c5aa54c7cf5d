"""Community tags: cities tag practices, with provenance, across languages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kb.db import session
from kb.models import AuditEvent, ChangeLog, Notification, TagApplication, User
from kb.services.accounts import identity_for
from kb.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited
from kb.services.identity import ANONYMOUS, SYSTEM
from kb.services.notifications import notification_settings_save
from kb.services.organizations import network_add_member, network_create, network_set_moderator
from kb.services.search import practice_search
from kb.services.tags.applying import practice_tag_add, practice_tag_remove
from kb.services.tags.moderating import tag_merge, tag_rename, tag_synonym_set
from kb.services.tags.reading import (practice_tags_get, tag_page_get, tag_suggest,
                                      tags_index_get)

RIVERTON = "riverton-fictional-example-town"
HILLFORD = "hillford-fictional-example-town"
LAKESIDE = "lakeside-fictional-example-town"
SOLBY = "solby-fiktiv-exempelkommun"
BERGDORF = "bergdorf-fiktive-beispielgemeinde"
JARVELA = "jarvela-kuvitteellinen-esimerkkikunta"
PUBLIC = "riverton-flood-wardens"        # Riverton's, public
SWEDISH = "solby-medborgarbudget"       # Solby's, public, in Swedish
HIDDEN = "netzwerk-intern"              # Bergdorf's, network-only (alpine-towns)


@pytest.fixture
def people(ctx, make_user):
    """Contributors of three cities, a reader, moderators; Bergdorf and Hillford in a
    network with its moderator."""
    ids = {
        "riverton": make_user("ana@riverton.example", orgs={RIVERTON: "contributor"}),
        "hillford": make_user("hugo@hillford.example", orgs={HILLFORD: "contributor"}),
        "lakeside": make_user("lea@lakeside.example", orgs={LAKESIDE: "contributor"}),
        "bergdorf": make_user("bea@bergdorf.example", orgs={BERGDORF: "contributor"}),
        "jarvela": make_user("jussi@jarvela.example", orgs={JARVELA: "contributor"}),
        "two": make_user("tove@two.example", orgs={HILLFORD: "contributor",
                                                   LAKESIDE: "contributor"}),
        "reader": make_user("rita@reader.example"),
        "globalmod": make_user("gm@kb.example", role="global_moderator"),
        "netmod": make_user("nm@kb.example"),
    }
    network_create(SYSTEM, "Alpine towns", "alpine-towns")
    network_add_member(SYSTEM, "alpine-towns", BERGDORF)
    network_add_member(SYSTEM, "alpine-towns", HILLFORD)
    network_set_moderator(SYSTEM, "alpine-towns", "nm@kb.example")

    def who(name):
        if name == "anonymous":
            return ANONYMOUS
        return identity_for(session().get(User, ids[name]))

    who.ids = ids
    return who


def _community(identity, slug):
    return {t.key: [c.slug for c in t.cities]
            for t in practice_tags_get(identity, slug).community}


def test_a_city_tags_a_practice_with_provenance(people):
    app = practice_tag_add(people("hillford"), PUBLIC, "  Housing   First ")
    assert (app.tag, app.label, app.scope) == ("housing first", "Housing First", "public")
    assert app.user_id == people.ids["hillford"] and app.created_at is not None
    practice_tag_add(people("lakeside"), PUBLIC, "HOUSING FIRST")
    tags = practice_tags_get(ANONYMOUS, PUBLIC)
    # the owner's tags first, separate; the community's with the cities that applied them
    assert [t.label for t in tags.owner] == ["early warning", "example", "volunteers"]
    assert [(t.key, t.label, [c.name for c in t.cities]) for t in tags.community] == [
        ("housing first", "Housing First",
         ["Hillford (fictional example town)", "Lakeside (fictional example town)"])]


def test_normalisation_makes_one_tag_of_case_space_and_unicode_forms(people):
    decomposed = "tyo\u0308llisyys"   # "työllisyys" with combining marks
    practice_tag_add(people("hillford"), PUBLIC, decomposed)
    with pytest.raises(Conflict):
        practice_tag_add(people("hillford"), PUBLIC, " TYÖLLISYYS ")
    assert _community(ANONYMOUS, PUBLIC) == {"työllisyys": [HILLFORD]}


def test_an_organization_adds_a_tag_once_and_removes_only_its_own(people):
    mine = practice_tag_add(people("hillford"), PUBLIC, "floods")
    theirs = practice_tag_add(people("lakeside"), PUBLIC, "floods")
    with pytest.raises(Conflict):
        practice_tag_add(people("hillford"), PUBLIC, "Floods")
    with pytest.raises(PermissionDenied):
        practice_tag_remove(people("hillford"), theirs.id)
    practice_tag_remove(people("hillford"), mine.id)
    assert _community(ANONYMOUS, PUBLIC) == {"floods": [LAKESIDE]}


def test_the_acting_organization_must_be_one_of_mine(people):
    with pytest.raises(InvalidInput) as refused:
        practice_tag_add(people("hillford"), PUBLIC, "floods", organization=LAKESIDE)
    assert set(refused.value.errors) == {"organization"}
    # acting for two: the organization must be named
    with pytest.raises(InvalidInput) as refused:
        practice_tag_add(people("two"), PUBLIC, "floods")
    assert set(refused.value.errors) == {"organization"}
    practice_tag_add(people("two"), PUBLIC, "floods", organization=LAKESIDE)
    assert _community(ANONYMOUS, PUBLIC) == {"floods": [LAKESIDE]}


def test_every_problem_is_reported_at_once_naming_its_field(people):
    with pytest.raises(InvalidInput) as refused:
        practice_tag_add(people("two"), PUBLIC, "   ", scope="alpine-towns")
    assert set(refused.value.errors) == {"tag", "organization", "scope"}
    assert session().scalar(select(func.count()).select_from(TagApplication)) == 0


@pytest.mark.parametrize("role", ["anonymous", "reader", "globalmod", "netmod"])
def test_who_acts_for_no_organization_cannot_tag(people, role):
    with pytest.raises(PermissionDenied):
        practice_tag_add(people(role), PUBLIC, "floods")


def test_a_hidden_practice_cannot_be_tagged_or_even_found(people):
    with pytest.raises(NotFound):
        practice_tag_add(people("riverton"), HIDDEN, "salt")
    practice_tag_add(people("hillford"), HIDDEN, "salt")   # a member of its network
    assert _community(people("bergdorf"), HIDDEN) == {"salt": [HILLFORD]}


def test_network_private_tags_are_seen_by_its_members_and_moderators_only(people):
    practice_tag_add(people("hillford"), PUBLIC, "shortlist-2027", scope="alpine-towns")
    practice_tag_add(people("hillford"), PUBLIC, "floods")
    for insider in ("hillford", "bergdorf", "netmod"):
        assert _community(people(insider), PUBLIC) == {"floods": [HILLFORD],
                                                       "shortlist-2027": [HILLFORD]}
    for outsider in ("anonymous", "reader", "riverton", "lakeside", "globalmod"):
        who = people(outsider)
        assert _community(who, PUBLIC) == {"floods": [HILLFORD]}
        with pytest.raises(NotFound):
            tag_page_get(who, "shortlist-2027")
        assert "shortlist-2027" not in [t.key for t in tags_index_get(who).top]
        assert tag_suggest(who, "shortl") == []
        results = practice_search(who, "", {"tag": ["shortlist-2027"]})
        assert results.total == 0
        assert "shortlist-2027" not in [f["value"] for f in practice_search(
            who, "").facets.get("tag", [])]
        assert practice_search(who, "shortlist").total == 0
    insider = people("bergdorf")
    assert tag_page_get(insider, "shortlist-2027").practices.total == 1
    assert practice_search(insider, "", {"tag": ["shortlist-2027"]}).total == 1
    facet = {f["value"]: f["count"] for f in practice_search(insider, "").facets["tag"]}
    assert facet["shortlist-2027"] == 1
    assert tag_suggest(insider, "shortl") == ["shortlist-2027"]


def test_only_members_of_a_network_add_its_private_tags(people):
    with pytest.raises(InvalidInput) as refused:
        practice_tag_add(people("lakeside"), PUBLIC, "shortlist-2027", scope="alpine-towns")
    assert set(refused.value.errors) == {"scope"}


def test_a_network_private_tag_answers_as_unknown_to_others_when_removed(people):
    private = practice_tag_add(people("hillford"), PUBLIC, "shortlist", scope="alpine-towns")
    with pytest.raises(NotFound):
        practice_tag_remove(people("globalmod"), private.id)
    practice_tag_remove(people("netmod"), private.id)   # the network's moderator
    assert _community(people("hillford"), PUBLIC) == {}


def test_a_global_moderator_removes_a_public_tag_and_it_is_audited(people):
    app = practice_tag_add(people("hillford"), PUBLIC, "spam words")
    with pytest.raises(PermissionDenied):
        practice_tag_remove(people("netmod"), app.id)
    practice_tag_remove(people("globalmod"), app.id)
    assert _community(ANONYMOUS, PUBLIC) == {}
    assert session().scalar(select(AuditEvent.action).where(
        AuditEvent.actor_id == people.ids["globalmod"])) == "tag.moderate_remove"


def test_tagging_is_rate_limited_per_person(people, app):
    app.config["TAGS_PER_HOUR"] = 2
    practice_tag_add(people("hillford"), PUBLIC, "one")
    practice_tag_add(people("hillford"), PUBLIC, "two")
    with pytest.raises(RateLimited):
        practice_tag_add(people("hillford"), PUBLIC, "three")
    practice_tag_add(people("lakeside"), PUBLIC, "three")  # another person is not held up


def test_a_tag_change_reaches_the_index_through_the_change_log(people):
    before = session().scalar(select(func.max(ChangeLog.id)))
    practice_tag_add(people("hillford"), SWEDISH, "housing first")
    practice_tag_add(people("lakeside"), SWEDISH, "housing first")
    practice_tag_add(people("jarvela"), SWEDISH, "Housing first")
    actions = session().scalars(select(ChangeLog.action).where(ChangeLog.id > before)).all()
    assert actions == ["tags", "tags", "tags"]
    results = practice_search(ANONYMOUS, '"housing first"')
    assert [h.slug for h in results.hits] == [SWEDISH]
    facet = {f["value"]: f["count"] for f in practice_search(ANONYMOUS, "").facets["tag"]}
    assert facet["housing_first"] == 1
    hit = results.hits[0]
    assert {"key": "housing first", "label": "housing first", "owner": False,
            "cities": ["Hillford (fictional example town)", "Lakeside (fictional example town)",
                       "Järvelä (kuvitteellinen esimerkkikunta)"]} in hit.tags
    assert practice_search(ANONYMOUS, "tag:housing").total == 1


def test_the_owner_is_told_when_another_city_tags_their_practice(people):
    owner = people.ids["riverton"]
    practice_tag_add(people("hillford"), PUBLIC, "floods")
    assert session().scalar(select(Notification.message).where(
        Notification.user_id == owner, Notification.kind == "practice_tagged")) == \
        "Hillford (fictional example town) tagged Volunteer flood wardens “floods”"
    # the owner's own city tagging, and private tags, tell nobody
    practice_tag_add(people("riverton"), PUBLIC, "wardens")
    practice_tag_add(people("hillford"), PUBLIC, "shortlist", scope="alpine-towns")
    assert session().scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == owner)) == 1


def test_the_owner_may_turn_tag_notifications_off(people):
    owner = people("riverton")
    notification_settings_save(owner, set())
    practice_tag_add(people("hillford"), PUBLIC, "floods")
    assert session().scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == owner.user_id)) == 0


def test_a_finnish_tag_meets_its_concept_in_every_language(people):
    practice_tag_add(people("jarvela"), SWEDISH, "tulvat")
    practice_tag_add(people("hillford"), PUBLIC, "flooding")
    page = tag_page_get(ANONYMOUS, "floods", language="en")
    assert page.concept == "flood"
    assert ("fi", "tulva") in page.concept_labels and ("sv", "översvämning") in page.concept_labels
    assert {c.slug for c in page.practices.items} == {SWEDISH, PUBLIC}
    assert {slug for _n, slug, _c in page.cities} == {JARVELA, HILLFORD}
    assert tag_page_get(ANONYMOUS, "översvämning").practices.total == 2


def test_related_tags_come_from_the_practices_that_share_the_tag(people):
    practice_tag_add(people("hillford"), PUBLIC, "housing first")
    practice_tag_add(people("hillford"), SWEDISH, "housing first")
    practice_tag_add(people("lakeside"), SWEDISH, "homelessness")
    related = {r.key: r.count for r in tag_page_get(ANONYMOUS, "housing first").related}
    assert related["example"] == 2 and related["homelessness"] == 1
    assert "housing first" not in related


def test_the_tag_index_lists_the_most_used_tags_per_theme(people):
    practice_tag_add(people("hillford"), PUBLIC, "floods")
    practice_tag_add(people("lakeside"), SWEDISH, "floods")
    index = tags_index_get(ANONYMOUS)
    assert index.top[0].key == "example"
    top = {t.key: t.count for t in index.top}
    assert top["floods"] == 2
    assert "floods" in [t.key for t in index.themes["flood-preparedness"]]


def test_suggestions_come_from_the_glossary_in_my_language_while_typing(people):
    assert "tulva" in tag_suggest(ANONYMOUS, "tulv", "fi")
    assert "översvämning" in tag_suggest(ANONYMOUS, "översv", "sv")
    assert tag_suggest(ANONYMOUS, "t", "fi") == []



def test_suggestions_follow_each_tag_added_or_removed_most_used_first(people):
    assert tag_suggest(ANONYMOUS, "quillwort") == []
    once = practice_tag_add(people("hillford"), PUBLIC, "quillwort survey")
    assert tag_suggest(ANONYMOUS, "quillwort") == ["quillwort survey"]
    practice_tag_add(people("hillford"), SWEDISH, "quillwort beds")
    practice_tag_add(people("lakeside"), PUBLIC, "quillwort beds")
    # two practices carry "quillwort beds", one "quillwort survey"; other prefixes stay out
    assert tag_suggest(ANONYMOUS, "Quillwort") == ["quillwort beds", "quillwort survey"]
    assert tag_suggest(ANONYMOUS, "quillwort s") == ["quillwort survey"]
    assert tag_suggest(ANONYMOUS, "quillworts") == []
    practice_tag_remove(people("hillford"), once.id)
    assert tag_suggest(ANONYMOUS, "quillwort") == ["quillwort beds"]


def test_rename_applies_everywhere_at_once(people):
    practice_tag_add(people("hillford"), PUBLIC, "flood wardens")
    practice_tag_add(people("lakeside"), SWEDISH, "flood wardens")
    with pytest.raises(PermissionDenied):
        tag_rename(people("hillford"), "flood wardens", "flood volunteers")
    assert tag_rename(people("globalmod"), "flood wardens", "flood volunteers") == 2
    assert _community(ANONYMOUS, SWEDISH) == {"flood volunteers": [LAKESIDE]}
    facet = {f["value"] for f in practice_search(ANONYMOUS, "").facets["tag"]}
    assert "flood_volunteers" in facet and "flood_wardens" not in facet
    assert tag_page_get(ANONYMOUS, "flood wardens").key == "flood volunteers"
    # a later application of the old name is the new tag
    practice_tag_add(people("jarvela"), SWEDISH, "Flood wardens")
    assert _community(ANONYMOUS, SWEDISH) == {"flood volunteers": [LAKESIDE, JARVELA]}
    assert session().scalar(select(AuditEvent.action).where(
        AuditEvent.action == "tag.merge")) == "tag.merge"


def test_merge_keeps_one_application_of_a_city_that_had_both(people):
    practice_tag_add(people("hillford"), PUBLIC, "flood")
    practice_tag_add(people("hillford"), PUBLIC, "floods")
    practice_tag_add(people("lakeside"), PUBLIC, "flood")
    tag_merge(people("globalmod"), "flood", "floods")
    assert _community(ANONYMOUS, PUBLIC) == {"floods": [HILLFORD, LAKESIDE]}


def test_owner_tags_merged_lead_to_the_new_tag(people):
    tag_merge(people("globalmod"), "volunteers", "volunteering")
    tags = practice_tags_get(ANONYMOUS, PUBLIC)
    # the owner's words stay as written; the link and the facet lead to the merged tag
    assert ("volunteers", "volunteering") in [(t.label, t.key) for t in tags.owner]
    facet = {f["value"] for f in practice_search(ANONYMOUS, "").facets["tag"]}
    assert "volunteering" in facet and "volunteers" not in facet
    assert tag_page_get(ANONYMOUS, "volunteering").practices.total == 1


def test_a_synonym_gathers_both_tags_on_one_page_and_facet(people):
    practice_tag_add(people("hillford"), PUBLIC, "participatory budgeting")
    with pytest.raises(PermissionDenied):
        tag_synonym_set(people("netmod"), "medborgarbudget", "participatory budgeting")
    tag_synonym_set(people("globalmod"), "medborgarbudget", "participatory budgeting")
    page = tag_page_get(ANONYMOUS, "participatory budgeting")
    assert {c.slug for c in page.practices.items} == {PUBLIC, SWEDISH}
    facet = {f["value"]: f["count"] for f in practice_search(ANONYMOUS, "").facets["tag"]}
    assert facet["participatory_budgeting"] == 2 and "medborgarbudget" not in facet
    # the Swedish owner's word stays on the practice
    assert "medborgarbudget" in [t.label for t in practice_tags_get(ANONYMOUS, SWEDISH).owner]


def test_a_network_moderator_renames_their_network_tags_only(people):
    practice_tag_add(people("hillford"), PUBLIC, "shortlist", scope="alpine-towns")
    practice_tag_add(people("hillford"), PUBLIC, "shortlist")
    with pytest.raises(PermissionDenied):
        tag_rename(people("netmod"), "shortlist", "shortlist-2027")
    tag_rename(people("netmod"), "shortlist", "shortlist-2027", scope="alpine-towns")
    assert _community(people("hillford"), PUBLIC) == {"shortlist": [HILLFORD],
                                                      "shortlist-2027": [HILLFORD]}


# ------------------------------------------------ a network's moderators curate its tags

OUTSIDERS = ("anonymous", "reader", "lakeside", "riverton", "globalmod")


def _facet(identity):
    return {f["value"]: f["count"] for f in practice_search(identity, "").facets["tag"]}


def test_a_network_moderator_marks_synonyms_among_their_network_tags(people):
    practice_tag_add(people("hillford"), PUBLIC, "kandidat", scope="alpine-towns")
    practice_tag_add(people("bergdorf"), SWEDISH, "shortlist-2027", scope="alpine-towns")
    practice_tag_add(people("lakeside"), SWEDISH, "kandidat")   # a public tag, same words
    before = session().scalar(select(func.max(ChangeLog.id)))
    assert tag_synonym_set(people("netmod"), "kandidat", "shortlist-2027",
                           scope="alpine-towns") == 1
    # in the change log at once, and audited with its scope
    assert session().scalars(select(ChangeLog.slug).where(ChangeLog.id > before)).all() == [
        PUBLIC]
    event = session().scalar(select(AuditEvent).where(AuditEvent.action == "tag.synonym"))
    assert event.actor_id == people.ids["netmod"]
    assert (event.target_id, event.detail["target"], event.detail["scope"]) == (
        "kandidat", "shortlist-2027", "alpine-towns")
    # the network's members meet both private tags as one: page, links, facet, filter
    for insider in ("hillford", "bergdorf", "netmod"):
        who = people(insider)
        page = tag_page_get(who, "shortlist-2027")
        assert {c.slug for c in page.practices.items} == {PUBLIC, SWEDISH}
        assert page.gathered == ["kandidat", "shortlist-2027"]
        assert _facet(who)["shortlist-2027"] == 2
        assert practice_search(who, "", {"tag": ["shortlist-2027"]}).total == 2
        # found by either words
        assert practice_search(who, "kandidat").hits[0].slug == PUBLIC
        shown = practice_tags_get(who, PUBLIC).community
        assert [(t.label, t.key) for t in shown] == [("kandidat", "shortlist-2027")]
        # the public tag of the same words is not the network's to decide
        assert {c.slug for c in tag_page_get(who, "kandidat").practices.items} == {SWEDISH}
    # everyone else meets the public "kandidat" as it was, and nothing of the network's
    for outsider in OUTSIDERS:
        who = people(outsider)
        page = tag_page_get(who, "kandidat")
        assert (page.key, [c.slug for c in page.practices.items]) == ("kandidat", [SWEDISH])
        assert page.gathered == ["kandidat"]
        assert [(t.label, t.key) for t in practice_tags_get(who, SWEDISH).community] == [
            ("kandidat", "kandidat")]
        assert _facet(who).get("kandidat") == 1 and "shortlist-2027" not in _facet(who)
        assert PUBLIC not in [h.slug for h in practice_search(who, "kandidat").hits]
        with pytest.raises(NotFound):
            tag_page_get(who, "shortlist-2027")
        assert "shortlist-2027" not in [t.key for t in tags_index_get(who).top]
        assert tag_suggest(who, "shortl") == []


def test_a_network_synonym_leads_its_members_only_to_the_other_tag(people):
    practice_tag_add(people("hillford"), PUBLIC, "alpine pick", scope="alpine-towns")
    practice_tag_add(people("bergdorf"), SWEDISH, "shortlist-2027", scope="alpine-towns")
    tag_synonym_set(people("netmod"), "alpine pick", "shortlist-2027", scope="alpine-towns")
    assert tag_page_get(people("bergdorf"), "alpine pick").key == "shortlist-2027"
    top = {t.key: t.count for t in tags_index_get(people("bergdorf")).top}
    assert top["shortlist-2027"] == 2 and "alpine pick" not in top
    for outsider in OUTSIDERS:
        with pytest.raises(NotFound):
            tag_page_get(people(outsider), "alpine pick")


def test_a_network_moderator_merges_their_network_tags_only(people):
    practice_tag_add(people("hillford"), PUBLIC, "shortlist", scope="alpine-towns")
    practice_tag_add(people("lakeside"), PUBLIC, "shortlist")
    with pytest.raises(PermissionDenied):
        tag_merge(people("netmod"), "shortlist", "shortlist-2027")
    assert tag_merge(people("netmod"), "shortlist", "shortlist-2027",
                     scope="alpine-towns") == 1
    # a later private application of the old words is the new tag; a public one is not
    practice_tag_add(people("bergdorf"), SWEDISH, "Shortlist", scope="alpine-towns")
    practice_tag_add(people("jarvela"), SWEDISH, "shortlist")
    assert _community(people("bergdorf"), SWEDISH) == {"shortlist": [JARVELA],
                                                       "shortlist-2027": [BERGDORF]}
    assert _community(ANONYMOUS, PUBLIC) == {"shortlist": [LAKESIDE]}
    assert tag_page_get(ANONYMOUS, "shortlist").key == "shortlist"
    assert _facet(people("hillford"))["shortlist-2027"] == 2
    assert session().scalar(select(AuditEvent.detail).where(
        AuditEvent.action == "tag.merge"))["scope"] == "alpine-towns"


@pytest.mark.parametrize("action", [tag_rename, tag_merge, tag_synonym_set])
def test_moderators_curate_no_scope_but_their_own(people, action, make_user):
    practice_tag_add(people("hillford"), PUBLIC, "shortlist", scope="alpine-towns")
    network_create(SYSTEM, "Baltic cities", "baltic")
    make_user("bm@kb.example")
    network_set_moderator(SYSTEM, "baltic", "bm@kb.example")
    baltic = identity_for(session().scalar(select(User).where(User.email == "bm@kb.example")))
    # another network's moderator, a global moderator and a member: not these tags
    for who in (baltic, people("globalmod"), people("hillford")):
        with pytest.raises(PermissionDenied):
            action(who, "shortlist", "shortlist-2027", scope="alpine-towns")
    # a network's moderator: not the public tags
    with pytest.raises(PermissionDenied):
        action(people("netmod"), "shortlist", "shortlist-2027")
    assert _community(people("hillford"), PUBLIC) == {"shortlist": [HILLFORD]}
    assert session().scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action.like("tag.%"), AuditEvent.action != "tag.add")) == 0
    # site admins curate every scope, a network that exists
    with pytest.raises(InvalidInput) as refused:
        action(SYSTEM, "shortlist", "shortlist-2027", scope="no-such-network")
    assert set(refused.value.errors) == {"scope"}
    action(SYSTEM, "shortlist", "shortlist-2027", scope="alpine-towns")
    assert _facet(people("hillford"))["shortlist-2027"] == 1


def test_members_find_their_network_private_tags_by_typing_them(people):
    practice_tag_add(people("hillford"), PUBLIC, "shortlist-2027", scope="alpine-towns")
    practice_tag_add(people("bergdorf"), SWEDISH, "Shortlist 2027", scope="alpine-towns")
    for insider in ("hillford", "bergdorf", "netmod"):
        found = practice_search(people(insider), "shortlist 2027")
        assert {h.slug for h in found.hits[:2]} == {PUBLIC, SWEDISH}
    for outsider in OUTSIDERS:
        found = practice_search(people(outsider), "shortlist 2027")
        assert not {h.slug for h in found.hits} & {PUBLIC, SWEDISH}
        assert found.total == len(found.hits)
