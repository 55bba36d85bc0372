"""Issue 9, defect 2: ``break_point``'s default is the first phi at which the symmetric state
changes stability as phi rises, whichever way.

Closed forms compared with:

* core periphery (FKV 1999, ch. 5; rho = (sigma - 1)/sigma): the uniform distribution LOSES
  stability at phi_B = (rho - mu)(1 - mu) / ((rho + mu)(1 + mu));
* Helpman (1998), local rents: it GAINS stability at
  phi_B = (2 sigma - 1)(1 - sigma (1 - mu)) / (sigma (1 + mu) - 1)  (stable above it);
* Puga (1999): it loses stability at phi_1 and regains it at phi_2 > phi_1 (the roots of a
  quadratic in Z = (1 - phi)/(1 + phi)); the first change is phi_1.
"""

import warnings

import numpy as np
import pytest
from test_core_periphery import fkv_break_point
from test_helpman import phi_break_local
from test_puga import PUGA, puga, two_region_break_points

import neg


def _no_warning(f, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", neg.NoBifurcationWarning)
        return f(*args, **kwargs)


def test_helpman_break_point_is_where_dispersion_becomes_stable():
    """The issue's case: it used to warn "black-hole parameters" and return NaN."""
    m = neg.Helpman(sigma=5, mu=0.9, phi=0.3, rents="local")
    pb = phi_break_local(5.0, 0.9)  # = 9 * 0.5 / 8.5 = 0.529412
    assert pb == pytest.approx(9 * 0.5 / 8.5, rel=1e-15)
    assert _no_warning(neg.break_point, m) == pytest.approx(pb, abs=1e-8)
    assert neg.break_point(m, direction="gain") == neg.break_point(m)
    lead = neg.solvers.bifurcation.uniform_leading_eigenvalue
    assert lead(m, 0.99 * pb) > 0 > lead(m, 1.01 * pb)  # unstable below, stable above


def test_helpman_never_loses_stability_and_is_not_a_black_hole():
    m = neg.Helpman(sigma=5, mu=0.9, phi=0.3, rents="local")
    with pytest.warns(neg.NoBifurcationWarning, match="never loses stability") as caught:
        assert np.isnan(neg.break_point(m, direction="lose"))
    assert not any("black-hole" in str(w.message) for w in caught)
    assert f"{phi_break_local(5.0, 0.9):.6g}" in str(caught[0].message)  # where it gains it


@pytest.mark.parametrize("sigma, mu", [(5.0, 0.4), (4.0, 0.3), (3.0, 0.2)])
def test_core_periphery_default_is_the_usual_break_point(sigma, mu):
    m = neg.CorePeriphery(sigma, mu, phi=0.5)
    pb = _no_warning(neg.break_point, m)
    assert pb == pytest.approx(fkv_break_point(sigma, mu), abs=1e-10)
    assert pb == neg.break_point(m, direction="lose")
    with pytest.warns(neg.NoBifurcationWarning, match="never gains stability"):
        assert np.isnan(neg.break_point(m, direction="gain"))


def test_puga_default_is_the_first_change():
    (phi1, k1), (phi2, k2) = two_region_break_points(*PUGA)
    assert (k1, k2) == ("lose", "gain") and phi1 < phi2
    m = puga()
    assert _no_warning(neg.break_point, m) == pytest.approx(phi1, abs=1e-9)
    assert neg.break_point(m, direction="any") == neg.break_point(m, direction="lose")
    assert neg.break_point(m, direction="gain") == pytest.approx(phi2, abs=1e-9)


def test_black_hole_warning_only_where_unstable_at_every_phi():
    m = neg.CorePeriphery(2.0, 0.6, phi=0.5)  # mu >= (sigma - 1)/sigma
    lead = neg.solvers.bifurcation.uniform_leading_eigenvalue
    assert all(lead(m, p) > 0 for p in (1e-6, 0.01, 0.3, 0.9))
    for direction in ("any", "lose", "gain"):
        with pytest.warns(neg.NoBifurcationWarning, match="unstable at every phi.*black-hole"):
            assert np.isnan(neg.break_point(m, direction=direction))
    # stable at every phi: footloose capital; a warning that does not say black hole
    with pytest.warns(neg.NoBifurcationWarning, match="stable for every phi") as caught:
        assert np.isnan(neg.break_point(neg.FootlooseCapital(5.0, 0.4, phi=0.5)))
    assert not any("black-hole" in str(w.message) for w in caught)
