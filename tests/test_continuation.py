"""Continuation: the tomahawk, hysteresis, racetrack bifurcations (issue 3 acceptance)."""

import numpy as np
import pytest
from test_core_periphery import fkv_break_point, fkv_sustain_point, independent_wages

import neg

SIGMA, MU = 5.0, 0.4
PHI_B, PHI_S = fkv_break_point(SIGMA, MU), fkv_sustain_point(SIGMA, MU)


@pytest.fixture(scope="module")
def tomahawk():
    return neg.bifurcation_diagram(neg.CorePeriphery(SIGMA, MU, phi=0.3), "phi", 0.05, 0.5)


def test_tomahawk_special_points_equal_closed_forms(tomahawk):
    ds = tomahawk
    kinds = ds.special_kind.values.tolist()
    values = ds.special_value.values
    breaks = values[np.array(kinds) == "branch"]
    corners = values[np.array(kinds) == "corner"]
    assert breaks.size == 1 and corners.size == 2  # one break; the sustain point for each core
    assert breaks[0] == pytest.approx(PHI_B, abs=1e-8)
    np.testing.assert_allclose(corners, PHI_S, atol=1e-8)
    m = neg.CorePeriphery(SIGMA, MU, phi=0.3)
    assert breaks[0] == pytest.approx(neg.break_point(m), abs=1e-10)
    assert corners[0] == pytest.approx(neg.sustain_point(m), abs=1e-10)
    lam_b = ds.special_lam.values[np.array(kinds) == "branch"][0]
    np.testing.assert_allclose(lam_b, [0.5, 0.5], atol=1e-12)


def test_tomahawk_branches(tomahawk):
    ds = tomahawk
    kinds = ds.branch_kind.values.tolist()
    assert sorted(kinds) == ["agglomerated", "agglomerated", "interior", "interior", "uniform"]
    uni = kinds.index("uniform")
    phi, stable = ds.phi[uni].values, ds.stable[uni].values
    ok = ~np.isnan(phi)
    assert np.all(stable[ok][phi[ok] < PHI_B - 1e-9]) and not np.any(stable[ok][phi[ok] > PHI_B + 1e-9])
    for b in np.flatnonzero(np.array(kinds) == "interior"):
        phi = ds.phi[b].values
        ok = ~np.isnan(phi)
        assert not np.any(ds.stable[b].values[ok])  # the interior branch is unstable
        assert phi[ok].min() == pytest.approx(PHI_S, abs=1e-8)
        assert phi[ok].max() == pytest.approx(PHI_B, abs=1e-6)
    for b in np.flatnonzero(np.array(kinds) == "agglomerated"):
        phi = ds.phi[b].values
        ok = ~np.isnan(phi)
        assert phi[ok].min() == pytest.approx(PHI_S, abs=1e-10) and phi[ok].max() == pytest.approx(0.5)


def test_interior_unstable_equilibrium_matches_independent_computation(tomahawk):
    ds = tomahawk
    b = ds.branch_kind.values.tolist().index("interior")
    phi, lam = ds.phi[b].values, ds.lam[b].values
    inside = np.flatnonzero((phi > PHI_S + 1e-3) & (phi < PHI_B - 1e-3))
    assert inside.size >= 3
    for k in inside:
        w = independent_wages(SIGMA, MU, [[0, 1], [1, 0]], phi[k], lam[k], np.array([0.5, 0.5]))[2]
        assert w[0] == pytest.approx(w[1], rel=1e-9)  # equal real wages: an equilibrium


def test_trace_shows_hysteresis():
    m = neg.CorePeriphery(SIGMA, MU, phi=0.3)
    phis = np.round(np.arange(0.05, 0.2501, 0.005), 10)
    ds = neg.trace(m, "phi", phis)
    up = ds.lam.sel(direction="up", region="r0").values
    down = ds.lam.sel(direction="down", region="r0").values
    spread_up = np.abs(up - 0.5)
    spread_down = np.abs(down - 0.5)
    # up: dispersed until the break point, agglomerated right after it
    assert np.all(spread_up[phis < PHI_B] < 1e-6)
    first_jump = phis[np.argmax(spread_up > 0.49)]
    assert PHI_B < first_jump <= PHI_B + 0.005 + 1e-12
    # down: agglomerated until just below the sustain point, then dispersed
    assert np.all(spread_down[phis > PHI_S] > 0.49)
    last_agglo = phis[spread_down > 0.49].min()
    assert PHI_S < last_agglo <= PHI_S + 0.005 + 1e-12
    assert np.all(spread_down[phis < PHI_S] < 1e-6)
    assert bool(ds.converged.all())
    assert ds.lam.dims == ("direction", "phi", "region")


def test_trace_per_region_parameter():
    m = neg.CorePeriphery(SIGMA, MU, phi=0.05)  # below the sustain point: interior equilibria
    ds = neg.trace(m, "farmers[0]", [0.5, 0.55, 0.6], direction="up")
    assert "farmers_0" in ds.dims
    # more farmers in region 0 draw industry there
    assert np.all(np.diff(ds.lam.sel(direction="up", region="r0").values) > 0)


def test_racetrack_first_bifurcation_is_the_break_point():
    m = neg.CorePeriphery(SIGMA, MU, phi=0.3, geography=neg.Geography.racetrack(8))
    ds = neg.bifurcation_diagram(m, "phi", 0.04, 0.2)
    kinds = ds.special_kind.values
    on_uniform = [v for k, v, lam in zip(kinds, ds.special_value.values, ds.special_lam.values, strict=True)
                  if k == "branch" and np.allclose(lam, 1 / 8)]
    assert min(on_uniform) == pytest.approx(neg.break_point(m), abs=1e-9)
    # mode K/2 first (4 cores), then modes 3 and 2, each where chi_k reaches Z_B (ATI 2012)
    assert len(on_uniform) == 3
    pB = fkv_break_point(SIGMA, MU)
    ZB = (1 - pB) / (1 + pB)
    d = np.minimum(np.arange(8), 8 - np.arange(8))
    for value, k in zip(sorted(on_uniform), (4, 3, 2), strict=True):
        w = value**d
        chi = w @ np.cos(2 * np.pi * k * np.arange(8) / 8) / w.sum()
        assert chi == pytest.approx(ZB, abs=1e-9)
    # the branch leaving the first break reaches the 4-core pattern (every other region empty)
    four = [b for b in range(ds.sizes["branch"]) if ds.support_size.values[b] == 4]
    assert four
    lam = ds.lam[four[0]].values
    lam = lam[~np.isnan(lam[:, 0])][0]
    np.testing.assert_allclose(np.sort(lam), [0] * 4 + [0.25] * 4, atol=1e-9)


def test_bifurcation_diagram_rejects_bad_ranges():
    m = neg.CorePeriphery(SIGMA, MU, phi=0.3)
    with pytest.raises(ValueError, match="lo < hi"):
        neg.bifurcation_diagram(m, "phi", 0.5, 0.1)
    with pytest.raises(ValueError, match="phi"):
        neg.bifurcation_diagram(m, "phi", 0.1, 1.5)
    with pytest.raises(ValueError, match="not a numeric parameter"):
        neg.trace(m, "sigam", [4, 5])
