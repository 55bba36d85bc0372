"""Long-run equilibria: equilibrium conditions, stability, agreement of routes."""

import numpy as np
import pytest
from conftest import random_geography, random_simplex

import neg


@pytest.mark.parametrize("seed", range(3))
def test_long_run_satisfies_equilibrium_conditions_on_random_geographies(seed):
    K = 7
    m = neg.CorePeriphery(5.0, 0.4, phi=0.5, geography=random_geography(K, seed))
    eq = neg.long_run(m, random_simplex(K, seed + 50))
    assert eq.converged and eq.residual <= 1e-10
    assert np.all(eq.lam >= 0) and eq.lam.sum() == pytest.approx(1.0, abs=1e-14)
    occ, empty = eq.lam > 0, eq.lam == 0
    w = eq.real_wage
    mean = w[occ].mean()
    np.testing.assert_allclose(w[occ], mean, rtol=1e-9)
    assert np.all(w[empty] <= mean * (1 + 1e-9))
    # the reported short run is the short run at lam
    np.testing.assert_allclose(m.short_run(eq.lam).real_wage, w, rtol=1e-11)
    assert eq.stable == bool(np.all(np.real(eq.eigenvalues) < 0))


def test_stability_of_corner_uses_corner_conditions():
    m = neg.CorePeriphery(5.0, 0.4, phi=0.5)
    stable, eig = neg.stability(m, [1.0, 0.0])
    sr = m.short_run([1.0, 0.0])
    assert stable
    np.testing.assert_allclose(eig, [sr.real_wage[1] - sr.real_wage[0]], rtol=1e-12)


def test_symmetric_eigenvalue_matches_analytic_derivative():
    """At lam = (1/2, 1/2): eigenvalue = (1/2)(1/2)(d(omega_1-omega_2)/d lam_1) along (1,-1)/sqrt2,
    which we check against a plain central difference of short runs."""
    m = neg.CorePeriphery(5.0, 0.4, phi=0.2)
    _, eig = neg.stability(m, [0.5, 0.5])
    h = 1e-5
    d = np.subtract(*m.short_run([0.5 + h, 0.5 - h], tol=1e-14).real_wage)
    d -= np.subtract(*m.short_run([0.5 - h, 0.5 + h], tol=1e-14).real_wage)
    slope = d / (2 * h)  # d(omega_1 - omega_2)/d lam_1 with lam_2 = 1 - lam_1
    assert eig[0] == pytest.approx(0.25 * slope, rel=1e-6)


def test_long_run_reports_non_convergence():
    m = neg.CorePeriphery(5.0, 0.4, phi=0.5, geography=random_geography(5, 3))
    eq = neg.long_run(m, random_simplex(5, 4), max_steps=2, stability=False)
    assert not eq.converged and eq.iterations == 2 and eq.residual > 1e-10


def test_long_run_rejects_bad_arguments(cp2):
    with pytest.raises(ValueError, match="dynamics"):
        neg.long_run(cp2, dynamics="gravity")
    with pytest.raises(ValueError, match="lam"):
        neg.long_run(cp2, [0.3, 0.3])


def test_equilibria_on_racetrack_include_uniform_and_agglomeration():
    m = neg.CorePeriphery(5.0, 0.4, phi=0.9, geography=neg.Geography.racetrack(4))
    eqs = neg.equilibria(m)
    kinds = {(e.kind, e.stable) for e in eqs}
    assert ("dispersed", False) in kinds  # above the break point
    assert ("agglomerated", True) in kinds  # above the sustain point


def test_payoff_jacobian_keeps_small_shares_positive_both_ways():
    """Central differences step to lam + h v and lam - h v: a tiny share with v > 0 limits the
    step as well (it used to go negative at -h, giving NaN payoffs, e.g. in Helpman near
    agglomeration, where an almost empty region has almost free housing)."""
    from neg.solvers.long_run import payoff_jacobian

    m = neg.Helpman(5.0, 0.85, phi=0.05)
    lam = np.array([1.0 - 6.6e-4, 6.6e-4])
    for v in ([1.0, -1.0], [-1.0, 1.0]):
        v = np.array(v) / np.sqrt(2)
        dW = payoff_jacobian(m, lam, v[:, None])[:, 0]
        assert np.all(np.isfinite(dW))
        h = 1e-7  # roughly against a plain central difference with a tiny step (the step of
        # payoff_jacobian is ~60% of the small share here, so only to ~0.5%)
        ref = (m.short_run(lam + h * v, tol=1e-14).payoff
               - m.short_run(lam - h * v, tol=1e-14).payoff) / (2 * h)
        np.testing.assert_allclose(dW, ref, rtol=1e-2)
    # below the break point dispersion is unstable and the long run ends near agglomeration
    for lam0 in ([0.51, 0.49], [0.9, 0.1]):
        eq = neg.long_run(m, lam0)
        assert eq.converged and eq.stable and 0.999 < eq.lam[0] < 1.0
