"""Issue 9, defect 1: a traced path is the path of STABLE states.

Where the state carried over from the previous grid point has lost stability, :func:`neg.trace`
leaves it along its unstable direction and reports the stable state the migration dynamics
reach, at the first grid point past the bifurcation, in both directions and on any geography.
The bifurcation points are the closed forms:

* two regions (FKV 1999, ch. 5; rho = (sigma - 1)/sigma): break point
  phi_B = (rho - mu)(1 - mu) / ((rho + mu)(1 + mu)); sustain point phi_S solves
  phi^(mu sigma/(sigma - 1)) [(1 + mu)/2 phi + (1 - mu)/(2 phi)] = 1;
* racetrack of K regions (Akamatsu, Takayama & Ikeda 2012): the uniform distribution loses
  stability where the spatial-discounting eigenvalue chi_k of the first mode k to do so reaches
  Z_B = (1 - phi_B)/(1 + phi_B) (``racetrack_break_point``), here mode K/2.
"""

import numpy as np
import pytest
from test_core_periphery import fkv_break_point, fkv_sustain_point, racetrack_break_point

import neg

SIGMA, MU = 5.0, 0.4
PHI_B, PHI_S = fkv_break_point(SIGMA, MU), fkv_sustain_point(SIGMA, MU)  # 0.142857, 0.0809


def _assert_path_is_stable(ds):
    """Every reported state is a converged, stable equilibrium (leading eigenvalue < 0)."""
    assert bool(ds.converged.all())
    assert bool(ds.stable.all())
    assert float(ds.leading_eigenvalue.max()) < 0
    np.testing.assert_array_less(ds.residual.values, 1e-10)


def test_two_region_trace_jumps_at_the_first_point_past_the_break():
    """The issue's case: 401 points on [0.0469, 0.2857]; the grid point 0.143017 just past
    phi_B = 0.142857 used to report the unstable uniform state (0.50000022, 0.49999978)."""
    m = neg.CorePeriphery(sigma=SIGMA, mu=MU, phi=0.1)
    phis = np.linspace(0.0469, 0.2857, 401)
    assert PHI_B == pytest.approx(1 / 7, rel=1e-15)
    ds = neg.trace(m, "phi", phis, direction="both")
    _assert_path_is_stable(ds)
    assert ds.lam.dims == ("direction", "phi", "region")
    up = ds.lam.sel(direction="up", region="r0").values
    down = ds.lam.sel(direction="down", region="r0").values
    # up: dispersed below phi_B, full agglomeration (either core) from the first point above it
    first = int(np.argmax(phis > PHI_B))
    assert phis[first] == pytest.approx(0.143017, abs=1e-6)
    np.testing.assert_allclose(up[:first], 0.5, atol=1e-9)
    np.testing.assert_allclose(np.abs(up[first:] - 0.5), 0.5, atol=1e-9)
    # down: agglomerated down to phi_S, dispersed from the first point below it (hysteresis)
    below_s = phis < PHI_S
    np.testing.assert_allclose(np.abs(down[~below_s] - 0.5), 0.5, atol=1e-9)
    np.testing.assert_allclose(down[below_s], 0.5, atol=1e-9)


@pytest.mark.parametrize("K", [6, 8])
def test_racetrack_trace_leaves_the_uniform_state_at_the_first_point_past_the_break(K):
    m = neg.CorePeriphery(SIGMA, MU, phi=0.1, geography=neg.Geography.racetrack(K))
    pb = racetrack_break_point(SIGMA, MU, K)
    assert neg.break_point(m) == pytest.approx(pb, abs=1e-9)
    phis = pb + np.linspace(-0.01, 0.01, 11) + 1e-4  # 1e-4 off the grid's centre: phi != phi_B
    ds = neg.trace(m, "phi", phis, direction="both")
    _assert_path_is_stable(ds)
    up = ds.lam.sel(direction="up").values
    first = int(np.argmax(phis > pb))
    assert first == 5  # phi_B + 1e-4, where the uniform state is barely unstable
    np.testing.assert_allclose(up[:first], 1.0 / K, atol=1e-9)
    assert np.all(np.ptp(up[first:], axis=1) > 0.1)  # agglomerated from the first point on
    # the K/2 mode breaks first: every other region empties (ATI 2012)
    assert np.count_nonzero(up[first] < 1e-12) == K // 2
    # down from there: the agglomerated pattern persists below phi_B (hysteresis), stable
    down = ds.lam.sel(direction="down").values
    assert np.all(np.ptp(down, axis=1) > 0.1)


def test_point_without_a_stable_state_is_flagged_not_converged():
    """At phi = 1 trade is free and every distribution is an equilibrium, none stable (the
    leading eigenvalue is 0): the trace cannot report a stable state there."""
    m = neg.CorePeriphery(SIGMA, MU, phi=0.5)
    with pytest.warns(neg.FreeTradeWarning):
        ds = neg.trace(m, "phi", [0.9, 0.99, 1.0], direction="up")
    assert ds.converged.values.tolist() == [[True, True, False]]
    assert ds.stable.values.tolist() == [[True, True, False]]
    assert float(ds.leading_eigenvalue[0, -1]) == pytest.approx(0.0, abs=1e-12)
