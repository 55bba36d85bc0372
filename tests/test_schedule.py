"""Parameter schedules read against a model (neg.solvers.schedule)."""

from __future__ import annotations

import numpy as np
import pytest

import neg
from neg.solvers.schedule import ParameterPaths, Schedule


def _model():
    return neg.CorePeriphery(5, 0.4, phi=0.2, geography=neg.Geography.line(4))


def test_importable_from_where_it_was():
    from neg.solvers.simulate import Schedule as S

    assert S is Schedule is neg.Schedule


def test_one_entry_of_a_share_vector_is_model_with_param():
    m = _model()
    paths = ParameterPaths(m, {"farmers[1]": [(0, 0.25), (10, 0.55)]})
    at = paths.model_at(5.0)
    np.testing.assert_array_equal(at.farmers, m.with_param("farmers[1]", 0.4).farmers)
    np.testing.assert_array_equal(paths.values_at(5.0)["farmers"], at.farmers)


def test_several_entries_of_a_share_vector_rescale_the_others_together():
    m = _model()
    paths = ParameterPaths(m, {"farmers[0]": 0.4, "farmers[3]": 0.2})
    f = paths.model_at(0.0).farmers
    np.testing.assert_allclose(f, [0.4, 0.2, 0.2, 0.2])
    assert f.sum() == pytest.approx(1.0)


def test_jump_and_left_limit_and_region_names():
    m = _model()
    paths = ParameterPaths(m, Schedule.step("phi", 3.0, 0.2, 0.5) | {f"farmers[{m.geography.names[2]}]": 0.1})
    assert paths.model_at(3.0).phi == 0.5
    assert paths.model_at(3.0, left=True).phi == 0.2
    assert paths.model_at(0.0).farmers[2] == pytest.approx(0.1)
    assert list(paths.knot_times) == [0.0, 3.0]


def test_invalid_knots_name_the_time():
    with pytest.raises(ValueError, match=r"schedule: invalid parameters at t = 4: farmers\[1\]: a share"):
        ParameterPaths(_model(), {"farmers[1]": [(0, 0.2), (4, 1.5)]})
    with pytest.raises(ValueError, match="unknown parameter 'nu'"):
        ParameterPaths(_model(), {"nu": 1.0})
