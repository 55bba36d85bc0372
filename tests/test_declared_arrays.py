"""Array parameters with a declared shape (neg.models.params.check_array): per-industry vectors,
(region, industry) and (region, region) tables validated from their declarations alone."""

import numpy as np
import pytest

import neg
from neg.models.params import Param, check_array, check_rates

SIZES = {"region": 3, "industry": 2}
VECTOR = Param("v", "array", "a vector", shape=("industry",), lower=0.0, lower_closed=True, fill=1.0,
               items="intensities")
OPTIONAL = Param("f", "array", "optional entries", shape=("industry",), lower=0.0, upper=1.0,
                 upper_closed=True, fill=np.nan, items="freeness values")
TABLE = Param("t", "array", "a table", shape=("region", "industry"), lower=0.0, upper=1.0,
              lower_closed=True, upper_closed=True, fill=1.0, broadcast="rows",
              layout="rows: regions, columns: industries")
SQUARE = Param("s", "array", "a square matrix", shape=("industry", "industry"), lower=0.0,
               lower_closed=True, fill=0.0, layout="rows: suppliers, columns: users")


def test_vectors_fill_and_stay_read_only():
    v = check_array(VECTOR, None, SIZES)
    assert v.tolist() == [1.0, 1.0] and not v.flags.writeable
    assert check_array(VECTOR, [0.5, 2.0], SIZES).tolist() == [0.5, 2.0]
    again = check_array(VECTOR, v, SIZES)  # a second check changes nothing
    assert np.array_equal(again, v)


@pytest.mark.parametrize("param, value, error, match", [
    (VECTOR, [1.0], ValueError, r"v: expected 2 values \(one per industry\), got 1"),
    (VECTOR, [1.0, -1.0], ValueError, r"v: intensities must be >= 0, got min -1, max 1"),
    (VECTOR, [1.0, np.inf], ValueError, "v: intensities must be finite"),
    (VECTOR, ["a", "b"], TypeError, "v: expected a list of numbers"),
    (OPTIONAL, [1.5, None], ValueError, r"f: freeness values must lie in \(0, 1\]"),
    (TABLE, [[0.5, 1.5]] * 3, ValueError, r"t: values must lie in \[0, 1\]"),
    (TABLE, [0.5, 0.5], ValueError, r"t: expected one number, 3 values \(one per region\) or a 3 x 2 "
                                    r"array \(rows: regions, columns: industries\)"),
    (SQUARE, [[0.5]], ValueError, r"s: expected a 2 x 2 array \(rows: suppliers, columns: users\)"),
])
def test_messages_come_from_the_declaration(param, value, error, match):
    with pytest.raises(error, match=match):
        check_array(param, value, SIZES)


def test_optional_entries_and_table_forms():
    f = check_array(OPTIONAL, [None, 0.5], SIZES)
    assert np.isnan(f[0]) and f[1] == 0.5
    assert np.isnan(check_array(OPTIONAL, None, SIZES)).all()
    assert check_array(TABLE, [0.2, 1.0, 0.0], SIZES).tolist() == [[0.2] * 2, [1.0] * 2, [0.0] * 2]
    assert check_array(TABLE, 0.5, SIZES).tolist() == [[0.5] * 2] * 3
    assert check_array(SQUARE, None, SIZES).tolist() == [[0.0] * 2] * 2


def test_rates_share_the_vector_check():
    assert check_rates("cost", 0.1, 3).tolist() == [0.1] * 3
    with pytest.raises(ValueError, match=r"tax: expected 3 values \(one per region\) or one for all"):
        check_rates("tax", [0.1, 0.2], 3)


def test_a_shape_is_only_for_arrays():
    with pytest.raises(ValueError, match="shape"):
        Param("x", "scalar", "", shape=("region",))
    with pytest.raises(ValueError, match="broadcast"):
        Param("x", "array", "", shape=("region",), broadcast="columns")


def test_region_tables_are_validated_with_the_common_fields():
    """HeadquartersPlant declares its K x K share_cap; no code of its own checks the shape."""
    g3 = neg.Geography.line(3)
    m = neg.HeadquartersPlant(5.0, 0.4, phi=0.3, geography=g3, share_cap=0.5)
    assert m.share_cap.shape == (3, 3) and not m.share_cap.flags.writeable
    with pytest.raises(ValueError, match=r"share_cap: expected one number or a 3 x 3 array \(one cap"):
        neg.HeadquartersPlant(5.0, 0.4, phi=0.3, geography=g3, share_cap=[0.5, 0.5, 0.5])


def test_multi_industry_declares_its_tables():
    kw = dict(phi=0.3, geography=neg.Geography.line(3), phi_industry=[None, 0.5], industry_cost=0.1)
    m = neg.MultiIndustry(5.0, [0.1, 0.2], **kw)
    assert np.isnan(m.phi_industry[0]) and m.phi_industry[1] == 0.5
    assert m.params()["phi_industry"] == [None, 0.5]
    assert m.industry_cost.shape == (3, 2) and m.io.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert m.replace(sigma=4.0) == neg.MultiIndustry(4.0, [0.1, 0.2], **kw)
