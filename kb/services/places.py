"""Where an organization is: GeoNames suggestions, their confirmation, and edits.

A GeoNames match (kb.geonames) is stored as a suggestion; the organization's admin
or a site admin confirms it, which sets the population (source: GeoNames) and the
coordinates. Every change checks ``org.manage`` first and writes an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from kb import geonames
from kb.db import session
from kb.models import ORGANIZATION_KINDS, Organization, OrganizationPlace, utcnow
from kb.services.accounts import audit
from kb.services.errors import InvalidInput, NotFound
from kb.services.identity import Identity
from kb.services.organizations import org_update
from kb.services.permissions import require
from kb.services.uow import UnitOfWork

# the kinds whose population is the population of the place their name matches
PLACE_KINDS = ("city", "municipality")


@dataclass
class OrganizationSettings:
    """What the organization's edit page shows."""

    organization: Organization
    place: OrganizationPlace | None
    kinds: tuple[str, ...]
    source: str = geonames.SOURCE
    source_url: str = geonames.SOURCE_URL


def _org(slug: str) -> Organization:
    org = session().scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(_("No such organization."))
    return org


def _place(org: Organization) -> OrganizationPlace:
    if org.place is None:
        org.place = OrganizationPlace()
    return org.place


def org_settings_get(identity: Identity, slug: str) -> OrganizationSettings:
    org = _org(slug)
    require(identity, "org.manage", org)
    return OrganizationSettings(org, org.place, ORGANIZATION_KINDS)


def org_place_suggest(identity: Identity, slug: str) -> geonames.Place | None:
    """Look the organization's name up in GeoNames and keep the best match as a suggestion."""
    org = _org(slug)
    require(identity, "org.manage", org)
    if not org.country:
        raise InvalidInput({"country": _("Set the country first: places are matched within it.")})
    found = geonames.match(org.name, org.country)
    with UnitOfWork():
        place = _place(org)
        best = found[0] if found else None
        place.suggested_geonames_id = best.geonames_id if best else None
        place.suggested_name = best.name if best else None
        place.suggested_population = best.population if best else None
        place.suggested_latitude = best.latitude if best else None
        place.suggested_longitude = best.longitude if best else None
        place.updated_at = utcnow()
        audit(identity, "org.place_suggest", "organization", org.slug,
              geonames_id=best.geonames_id if best else None)
    return best


def org_place_confirm(identity: Identity, slug: str) -> Organization:
    """Take the suggested GeoNames place: population (source GeoNames) and coordinates."""
    org = _org(slug)
    require(identity, "org.manage", org)
    place = org.place
    if place is None or place.suggested_geonames_id is None:
        raise InvalidInput({"form": _("There is no GeoNames suggestion to confirm.")})
    with UnitOfWork():
        _apply_suggestion(identity, org, place)
    return org


def _apply_suggestion(identity: Identity, org: Organization, place: OrganizationPlace) -> None:
    org.population = place.suggested_population
    place.latitude, place.longitude = place.suggested_latitude, place.suggested_longitude
    place.geonames_id = place.suggested_geonames_id
    place.population_source = "geonames"
    place.confirmed_at, place.confirmed_by_id = utcnow(), identity.user_id
    place.suggested_geonames_id = place.suggested_name = place.suggested_population = None
    place.suggested_latitude = place.suggested_longitude = None
    place.updated_at = utcnow()
    audit(identity, "org.place_confirm", "organization", org.slug,
          geonames_id=place.geonames_id, population=org.population)


def _coordinate(value, low: float, high: float, field: str, errors: dict) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(str(value).replace(",", ".").strip())
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        errors[field] = _("Enter a number from %(low)s to %(high)s.", low=low, high=high)
        return None
    return number


def org_details_update(identity: Identity, slug: str, form: dict) -> Organization:
    """Save an organization's name, kind, country, region, population and coordinates."""
    org = _org(slug)
    require(identity, "org.manage", org)
    errors: dict = {}
    latitude = _coordinate(form.get("latitude"), -90, 90, "latitude", errors)
    longitude = _coordinate(form.get("longitude"), -180, 180, "longitude", errors)
    if (latitude is None) != (longitude is None) and not errors:
        errors["longitude" if latitude is not None else "latitude"] = _(
            "Give both coordinates, or neither.")
    if errors:
        raise InvalidInput(errors)
    before = org.population
    with UnitOfWork():   # org_update joins it: one transaction
        org_update(identity, slug, form.get("name", org.name), form.get("kind", org.kind),
                   form.get("country"), form.get("region"), form.get("population"),
                   form.get("website", org.website), form.get("description", org.description))
        place = _place(org)
        place.latitude, place.longitude = latitude, longitude
        if org.population != before:
            place.population_source = "admin" if org.population is not None else None
        place.updated_at = utcnow()
    return org


def org_places_seed(identity: Identity) -> int:
    """On first start: confirm GeoNames places for the cities and municipalities of the
    bundled practices. Fictional towns match nothing and stay unknown; other kinds of
    organization (a university, an association) get a suggestion only. Returns the
    number of organizations confirmed."""
    require(identity, "org.create")
    confirmed = 0
    with UnitOfWork():
        for org in session().scalars(select(Organization).order_by(Organization.id)):
            if org.place is not None or not org.country:
                continue
            found = geonames.match(org.name, org.country)
            if not found:
                continue
            place, best = _place(org), found[0]
            place.suggested_geonames_id, place.suggested_name = best.geonames_id, best.name
            place.suggested_population = best.population
            place.suggested_latitude, place.suggested_longitude = best.latitude, best.longitude
            audit(identity, "org.place_suggest", "organization", org.slug,
                  geonames_id=best.geonames_id)
            if org.kind in PLACE_KINDS:
                _apply_suggestion(identity, org, place)
                confirmed += 1
    return confirmed
