"""The shipped data: China's 31 provincial-level divisions (neg/datasets/data/china_provinces.md
gives the sources and the checks repeated here) and the geography of their capitals."""

from __future__ import annotations

import numpy as np
import pytest

import neg

MACRO_REGIONS = {"east": 10, "central": 6, "west": 12, "northeast": 3}


@pytest.fixture(scope="module")
def china():
    return neg.datasets.china_provinces()


def test_china_provinces_rows_and_codes(china):
    assert china.sizes["region"] == 31
    codes = list(china.region.values)
    assert len(set(codes)) == 31 and all(c.startswith("CN-") for c in codes)
    assert {k: int((china.macro_region == k).sum()) for k in MACRO_REGIONS} == MACRO_REGIONS
    assert int(china.coastal.sum()) == 11


def test_china_provinces_census_and_gdp_totals(china):
    # 7th census: 1,409,778,724 residents assigned to the 31 divisions (the national 1,411,778,724
    # adds 2 million active-duty military); the file rounds each row to 100 persons, so the sum may
    # differ by up to 31 x 0.005 (in 10^4)
    assert float(china.pop_2020_10k.sum()) == pytest.approx(140977.8724, abs=31 * 0.005)
    east = float(china.pop_2020_10k.where(china.macro_region == "east").sum())
    assert east == pytest.approx(56371.7119, abs=10 * 0.005)  # 10 eastern rows, each rounded
    assert float(china.gdp_2020_100m_yuan.sum()) == pytest.approx(1012414.79, abs=0.01)


def test_china_capitals_inside_china(china):
    lat, lon = china.capital_lat.values, china.capital_lon.values
    assert np.all((lat > 18) & (lat < 54)) and np.all((lon > 73) & (lon < 135))


def test_every_column_has_its_attributes(china):
    for name, (long_name, units, _) in neg.datasets.CHINA_COLUMNS.items():
        attrs = china["region" if name == "code" else name].attrs
        assert attrs["long_name"] == long_name
        assert attrs.get("units") == units


def test_china_geography_distances():
    geo = neg.datasets.china_geography()
    D = geo.distance
    assert geo.K == 31 and np.array_equal(D, D.T) and np.all(np.diag(D) == 0)
    i, j = geo.names.index("CN-BJ"), geo.names.index("CN-SH")
    assert D[i, j] * 1000 == pytest.approx(1070, rel=0.02)  # Beijing-Shanghai great circle, km
    assert neg.datasets.china_geography(unit_km=1.0).distance[i, j] == pytest.approx(1000 * D[i, j])
