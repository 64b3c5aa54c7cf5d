"""The regions of a country, for the editor's region picker: ISO 3166-2 from pycountry.

A document's `region` is free text (the format does not require a code), so the
picker offers names and accepts anything typed. The value offered is the region's
own name as ISO 3166-2 writes it ("Uusimaa", "Skåne län", "Île-de-France"); the
label is that name in the reader's language where the iso3166-2 catalogue shipped
with pycountry has one ("Nyland" in Swedish).

Only the top level of each country is offered (Finnish regions, Swedish counties,
German Länder, French regions, Spanish autonomous communities ...): the level a
practice names as its region. Pure Python, no Flask.
"""

from __future__ import annotations

import functools
import gettext
import re
from dataclasses import dataclass

import pycountry

# "Navarra, Comunidad Foral de" -> "Comunidad Foral de Navarra"; "wallonne, Région" too
_INVERTED = re.compile(r"^(?P<name>[^,]+), (?P<head>\S+|.* (?:de|del|din|da|do|du))$")


@dataclass(frozen=True)
class Region:
    code: str    # ISO 3166-2, such as FI-18
    value: str   # the name written into the document
    label: str   # the name in the reader's language


def _clean(name: str) -> str:
    """A readable name: no "[SE-01]" or "[Cataluña]" note, no inverted word order."""
    name = re.sub(r"\s*\[[^\]]*\]$", "", name).strip()
    m = _INVERTED.match(name)
    if m:
        name = f"{m.group('head')} {m.group('name')}"
    return name[:1].upper() + name[1:]


@functools.lru_cache(maxsize=8)
def _catalogue(language: str) -> gettext.NullTranslations:
    return gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=[language],
                               fallback=True)


@functools.lru_cache(maxsize=512)
def regions(country: str | None, language: str = "en") -> tuple[Region, ...]:
    """The top-level subdivisions of `country` (ISO 3166-1 alpha-2), sorted by their
    label in `language`; none for an unknown country or one without subdivisions."""
    if not country or not re.fullmatch(r"[A-Za-z]{2}", country):
        return ()
    found = pycountry.subdivisions.get(country_code=country.upper()) or []
    catalogue = _catalogue(language)
    out = []
    for sub in found:
        if sub.parent_code:
            continue
        value = _clean(sub.name)
        label = _clean(catalogue.gettext(sub.name))
        out.append(Region(sub.code, value, label))
    return tuple(sorted(out, key=lambda r: r.label.casefold()))
