"""Issue 9, defect 3: a very small sustain point is not a black hole.

Two-region core-periphery model (FKV 1999, ch. 5.2): full agglomeration in region 1 is
sustainable where omega_2/omega_1 <= 1, with

    (omega_2/omega_1)^sigma = phi^a [(1 + mu)/2 phi + (1 - mu)/(2 phi)],   a = mu sigma/(sigma - 1),

so phi_S solves a ln phi + ln((1 + mu)/2 phi + (1 - mu)/(2 phi)) = 0. For small phi the left
side is ~ (1 - a)(-ln phi) + ln((1 - mu)/2): as mu rises to the black-hole bound
rho = (sigma - 1)/sigma, a -> 1 and phi_S -> 0 faster than any power (4e-13 at sigma=4, mu=0.7;
1e-301 at sigma=2, mu=0.499). Black hole (mu >= rho): sustainable at every phi.

Accuracy: the root is found in log phi, where the slope of ln(omega_2/omega_1) is about
(a - 1)/sigma; an error eps in the payoffs (~1e-14 relative, measured) moves ln phi_S by
eps sigma/(1 - a). The tolerance is 10 times that bound: rtol = 1e-13 sigma/(1 - a).
"""

import numpy as np
import pytest
import xarray as xr
from _study_support import CONFIGS
from scipy.optimize import brentq

import neg
from neg.solvers.bifurcation import PHI_TINY
from neg.study import run_study


def closed_form_sustain_point(sigma, mu):
    """Root of a t + ln((1 + mu)/2 e^t + (1 - mu)/2 e^-t) = 0, t = ln phi, in (ln tiny, ln 1/2)."""
    a = mu * sigma / (sigma - 1)

    def h(t):
        return a * t + np.logaddexp(np.log((1 + mu) / 2) + t, np.log((1 - mu) / 2) - t)

    t = brentq(h, np.log(np.finfo(float).tiny), np.log(0.5), xtol=1e-15, rtol=4 * np.finfo(float).eps)
    return float(np.exp(t))


CASES = [(4.0, 0.7), (5.0, 0.7), (3.0, 0.6), (2.0, 0.45), (4.0, 0.74), (10.0, 0.89), (6.0, 0.83),
         (2.0, 0.499), (5.0, 0.4)]


def test_the_issue_case_is_4e_13():
    m = neg.CorePeriphery(sigma=4, mu=0.7, phi=0.3)
    assert m.no_black_hole
    ref = closed_form_sustain_point(4.0, 0.7)
    assert ref == pytest.approx(4.3789389038e-13, rel=1e-10)
    assert neg.sustain_point(m) == pytest.approx(ref, rel=1e-13 * 4 / (1 - 0.7 * 4 / 3))
    # the eigenvalue test agrees: agglomeration is unstable just below phi_S, stable just above
    for phi, stable in ((0.9 * ref, False), (1.1 * ref, True)):
        assert neg.stability(m.replace(phi=phi), [1.0, 0.0])[0] is stable


@pytest.mark.parametrize("sigma, mu", CASES)
def test_sustain_point_matches_the_closed_form_down_to_the_smallest_float(sigma, mu):
    a = mu * sigma / (sigma - 1)
    ref = closed_form_sustain_point(sigma, mu)
    assert PHI_TINY < ref < 0.5
    got = neg.sustain_point(neg.CorePeriphery(sigma, mu, phi=0.3))
    assert got == pytest.approx(ref, rel=1e-13 * sigma / (1 - a))


@pytest.mark.parametrize("sigma, mu", [(2.0, 0.5), (2.0, 0.6), (3.0, 0.7)])
def test_black_hole_is_said_only_where_it_is_one(sigma, mu):
    m = neg.CorePeriphery(sigma, mu, phi=0.3)
    assert not m.no_black_hole
    with pytest.warns(neg.NoBifurcationWarning, match="every phi down to 2.22507e-308.*black hole"):
        assert np.isnan(neg.sustain_point(m))


def test_shipped_sweep_stores_has_sustain(tmp_path):
    """sweep_sigma_mu.yaml on sigma in {3, 4, 5} x mu in {0.6, 0.7}: a sustain point exists
    exactly where mu < (sigma - 1)/sigma (before the fix, three of the four were NaN)."""
    sets = ["sweep.axes.sigma.start=3", "sweep.axes.sigma.stop=5", "sweep.axes.sigma.num=3",
            "sweep.axes.mu.start=0.6", "sweep.axes.mu.stop=0.7", "sweep.axes.mu.num=2"]
    run_study(CONFIGS / "sweep_sigma_mu.yaml", sets, output=tmp_path / "s.nc", workers=1, quiet=True)
    ds = xr.open_dataset(tmp_path / "s.nc")
    s, mu = np.meshgrid(ds["sigma"].values, ds["mu"].values, indexing="ij")
    np.testing.assert_array_equal(ds["has_sustain"].values.astype(bool), mu < (s - 1) / s)
    for i, j in zip(*np.nonzero(mu < (s - 1) / s), strict=True):
        ref = closed_form_sustain_point(s[i, j], mu[i, j])
        a = mu[i, j] * s[i, j] / (s[i, j] - 1)
        assert float(ds["sustain_point"][i, j]) == pytest.approx(ref, rel=1e-13 * s[i, j] / (1 - a))
