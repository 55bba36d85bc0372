"""Data shipped with neg, as xarray Datasets with units, and the geographies built on them.

:func:`china_provinces`: mainland China's 31 provincial-level divisions (2020 census population,
2020 GDP, area, provincial capitals, NBS macro-regions); the sources of every column are in
``neg/datasets/data/china_provinces.md``. :func:`china_geography`: the divisions as regions at
their capitals, great-circle distances.
"""

from __future__ import annotations

import csv
import io
from importlib import resources

import numpy as np
import xarray as xr

from neg.geography import Geography

__all__ = ["china_provinces", "china_geography", "CHINA_COLUMNS", "DATASETS"]

#: every column of china_provinces.csv: (long_name, units or None for text, comment). Units are
#: UDUNITS strings: population in units of 10^4 persons and GDP in 10^8 yuan are written as the
#: scale factors "1e4" and "1e8" (UDUNITS knows neither persons nor yuan; the long name says what
#: is counted).
CHINA_COLUMNS: dict[str, tuple[str, str | None, str]] = {
    "code": ("ISO 3166-2:CN code", None, "ISO 3166-2:CN subdivision code (alphabetic, since 2017)"),
    "name_en": ("English name", None, "conventional English / pinyin name"),
    "name_zh": ("Chinese name", None, "full official Chinese name (simplified characters)"),
    "capital_en": ("provincial capital", None, "seat of government (the city itself for municipalities)"),
    "capital_lat": ("latitude of the capital", "degrees_north", "city-level point, about +-0.1 degree"),
    "capital_lon": ("longitude of the capital", "degrees_east", "city-level point, about +-0.1 degree"),
    "macro_region": ("NBS macro-region", None,
                     "east, central, west or northeast (NBS four-way classification)"),
    "coastal": ("coastal division", None, "1 if the division has a sea coastline (11 divisions), else 0"),
    "pop_2020_10k": ("resident population 2020 (10,000 persons)", "1e4",
                     "7th national population census, 1 Nov 2020; the 31 rows sum to 140,977.87 (the "
                     "national 141,178 includes 2 million military not assigned to a province)"),
    "gdp_2020_100m_yuan": ("gross regional product 2020 (100 million yuan)", "1e8",
                           "current prices, as first published with full precision by the provincial "
                           "statistics bureaus in early 2021; the 31 rows sum to 1,012,414.79"),
    "area_km2": ("area", "km2", "total land area as reported by the national or provincial government"),
}
_TEXT = ("code", "name_en", "name_zh", "capital_en", "macro_region")


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def china_provinces() -> xr.Dataset:
    """Mainland China's 31 provincial-level divisions: a Dataset on dim ``region`` (the ISO
    3166-2:CN codes as coordinate) with one variable per column of ``china_provinces.csv``, named
    as in the file, with ``long_name``, ``units`` and a ``comment`` (see :data:`CHINA_COLUMNS`;
    sources in ``neg/datasets/data/china_provinces.md``). ``coastal`` is an int8 flag."""
    rows = _read_csv("china_provinces.csv")
    codes = [r["code"] for r in rows]
    data = {}
    for col, (long_name, units, comment) in CHINA_COLUMNS.items():
        if col == "code":
            continue
        values = [r[col] for r in rows]
        attrs = {"long_name": long_name, "comment": comment}
        if col in _TEXT:
            arr = np.array(values, dtype=str)
        elif col == "coastal":
            arr = np.array(values, dtype=np.int8)
            attrs.update(flag_values=np.array([0, 1], dtype=np.int8), flag_meanings="inland coastal")
        else:
            arr = np.array(values, dtype=float)
            attrs["units"] = units
        data[col] = (("region",), arr, attrs)
    long_name, _, comment = CHINA_COLUMNS["code"]
    region = ("region", codes, {"long_name": long_name, "comment": comment})
    return xr.Dataset(data, coords={"region": region},
                      attrs={"title": "Mainland China's 31 provincial-level divisions, 2020",
                             "source": "neg/datasets/data/china_provinces.md (sources of every column)"})


def china_geography(unit_km: float = 1000.0) -> Geography:
    """The 31 divisions as regions at their provincial capitals, named by their ISO codes, with
    great-circle distances in units of ``unit_km`` km (default 1000 km: a model's ``phi`` is then
    the freeness of trade per 1000 km). The macro-regions are ``china_provinces().macro_region``
    (same order)."""
    ds = china_provinces()
    return Geography.from_coordinates(ds.capital_lat.values, ds.capital_lon.values,
                                      names=list(ds.region.values), unit_km=unit_km)


#: the datasets by name (as a study config's ``calibration.data`` names them): name -> function
#: returning an xarray Dataset on dim ``region``
DATASETS = {"china_provinces": china_provinces}
