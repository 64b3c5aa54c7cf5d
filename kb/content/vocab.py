"""Controlled vocabularies of the practice document format v1.

Each vocabulary maps a stable machine value (used in documents, URLs and the
index) to an English label. The labels are translated in the portal through
the message catalogue (labels are marked with N_ so the extractor finds them);
the machine values never change once published.
"""


def N_(message: str) -> str:
    """Mark a label for translation; it is translated where it is shown."""
    return message


THEMES: dict[str, str] = {
    "air-quality": N_("Air quality"),
    "circular-economy": N_("Circular economy"),
    "citizen-participation": N_("Citizen participation"),
    "climate-adaptation": N_("Climate adaptation"),
    "culture": N_("Culture"),
    "digital-services": N_("Digital services"),
    "economic-development": N_("Economic development"),
    "education": N_("Education"),
    "elderly-care": N_("Elderly care"),
    "employment": N_("Employment"),
    "energy": N_("Energy"),
    "flood-preparedness": N_("Flood preparedness"),
    "green-spaces": N_("Green spaces"),
    "health": N_("Health"),
    "housing": N_("Housing"),
    "integration": N_("Integration of newcomers"),
    "mobility": N_("Mobility"),
    "open-data": N_("Open data"),
    "permitting": N_("Permitting"),
    "procurement": N_("Public procurement"),
    "public-finance": N_("Public finance"),
    "public-safety": N_("Public safety"),
    "social-inclusion": N_("Social inclusion"),
    "tourism": N_("Tourism"),
    "waste-management": N_("Waste management"),
    "water": N_("Water"),
    "youth": N_("Youth"),
}

STAGES: dict[str, str] = {
    "idea": N_("Idea"),
    "pilot": N_("Pilot"),
    "implemented": N_("Implemented"),
    "evaluated": N_("Evaluated"),
    "scaled": N_("Scaled"),
    "discontinued": N_("Discontinued"),
}

EVIDENCE: dict[str, str] = {
    "anecdotal": N_("Anecdotal"),
    "monitored": N_("Monitored"),
    "evaluated": N_("Evaluated"),
    "experimental": N_("Experimental"),
}

VISIBILITY: dict[str, str] = {
    "public": N_("Public"),
    "network": N_("Network members only"),
}

# Population bands used for filtering and for "cities like mine".
# (key, label, lower bound inclusive, upper bound exclusive)
POPULATION_BANDS: list[tuple[str, str, int, int | None]] = [
    ("lt10k", N_("Under 10,000"), 0, 10_000),
    ("10k-50k", N_("10,000–50,000"), 10_000, 50_000),
    ("50k-250k", N_("50,000–250,000"), 50_000, 250_000),
    ("250k-1m", N_("250,000–1 million"), 250_000, 1_000_000),
    ("gt1m", N_("Over 1 million"), 1_000_000, None),
]


def population_band(population: int | None) -> str | None:
    """Return the band key for a population, or None when it is unknown."""
    if population is None:
        return None
    for key, _label, low, high in POPULATION_BANDS:
        if population >= low and (high is None or population < high):
            return key
    return None


ORGANIZATION_KIND_LABELS: dict[str, str] = {
    "city": N_("City"),
    "municipality": N_("Municipality"),
    "region": N_("Region"),
    "agency": N_("Agency"),
    "association": N_("Association"),
    "other": N_("Other organization"),
}
