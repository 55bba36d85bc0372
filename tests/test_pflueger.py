"""Pflueger (2004): short run against an independent solver, validation, closed forms."""

import numpy as np
import pytest
from conftest import assert_short_runs_match, random_geographies
from scipy.optimize import brentq, root

import neg
from neg import Geography, Pflueger

RTOL = 1e-9


# ---------------------------------------------------------------- independent slow solver
def slow_short_run(sigma, phi, D, L, alpha, shares, lam):
    """The model's equations in plain numpy with the dense matrix phi**D, solved by
    scipy.optimize.root in (Delta, pi, Y); the payoff is utility evaluated at the demands
    C_M = alpha/P, C_A = pi - alpha."""
    Phi = np.power(phi, D)
    K = len(lam)
    lam = np.asarray(lam, dtype=float)
    N = L * shares + lam

    def equations(z):
        Delta, pi, Y = z[:K], z[K:2 * K], z[2 * K:]
        return np.concatenate([
            Delta - Phi.T @ lam,
            pi - (Phi @ (alpha * N / Delta)) / sigma,  # 1/sigma of spending alpha N_j
            Y - (L * shares + lam * pi),
        ])

    Delta0 = Phi.T @ lam
    z0 = np.concatenate([Delta0, (Phi @ (alpha * N / Delta0)) / sigma, L * shares + lam])
    sol = root(equations, z0, method="hybr", tol=1e-14)
    assert np.max(np.abs(equations(sol.x))) < 1e-13 * np.max(np.abs(sol.x)), sol.message
    Delta, pi, Y = sol.x[:K], sol.x[K:2 * K], sol.x[2 * K:]
    P = Delta ** (1.0 / (1.0 - sigma))
    V = alpha * np.log(alpha / P) + (pi - alpha)
    return {"wage": pi, "income": Y, "price_index": P, "real_wage": V, "payoff": V}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_short_run_matches_independent_solver(seed):
    rng = np.random.default_rng(300 + seed)
    for geo in random_geographies(seed):
        K = geo.K
        sigma, phi = rng.uniform(2.0, 8.0), rng.uniform(0.3, 0.95)
        L, alpha = rng.uniform(0.5, 5.0), rng.uniform(0.2, 2.0)
        shares = rng.dirichlet(np.ones(K))
        model = Pflueger(sigma, phi=phi, geography=geo, workers=L, alpha=alpha,
                         worker_shares=shares)
        lams = [rng.dirichlet(np.ones(K)) for _ in range(4)]
        lams.append(np.eye(K)[rng.integers(K)])
        for lam in lams:
            ref = slow_short_run(sigma, phi, geo.distance, L, alpha, shares, lam)
            assert_short_runs_match(model, lam, ref, RTOL, max_iterations=0)


def test_accounting():
    model = Pflueger(4.0, phi=0.4, geography=Geography.line(3), workers=3.0, alpha=0.7)
    lam = np.array([0.5, 0.2, 0.3])
    sr = model.short_run(lam)
    # all profits = 1/sigma of all spending on manufactures, alpha * (L + 1)
    assert (lam * sr.wage).sum() == pytest.approx(0.7 / 4.0 * (3.0 + 1.0), rel=1e-13)
    assert sr.income.sum() == pytest.approx(3.0 + 0.7 / 4.0 * (3.0 + 1.0), rel=1e-13)


def test_batch_matches_single_runs():
    geo = Geography.racetrack(6)
    model = Pflueger(4.0, phi=0.6, geography=geo, workers=3.0, alpha=0.5)
    lams = np.random.default_rng(7).dirichlet(np.ones(6), size=8)
    batch = neg.short_run_batch(model, lams)
    assert np.all(batch.converged)
    for k, lam in enumerate(lams):
        np.testing.assert_allclose(batch.payoff[k], model.short_run(lam).payoff, rtol=1e-12)
    alphas = np.linspace(0.1, 2.0, 5)
    sweep = neg.short_run_batch(model, lams[0], alpha=alphas)
    for k, al in enumerate(alphas):
        np.testing.assert_allclose(sweep.payoff[k],
                                   model.replace(alpha=al).short_run(lams[0]).payoff, rtol=1e-12)


# ---------------------------------------------------------------- parameters
def test_phi_and_T_give_the_same_model():
    a = Pflueger(5.0, phi=0.0625)
    b = Pflueger(5.0, T=2.0)
    assert a == b
    c = Pflueger(5.0, phi=0.3, workers=3.0)
    d = Pflueger(5.0, T=0.3 ** (1 / (1 - 5.0)), workers=3.0)
    assert d.phi == pytest.approx(0.3, rel=1e-14)
    np.testing.assert_allclose(c.short_run([0.3, 0.7]).payoff, d.short_run([0.3, 0.7]).payoff,
                               rtol=1e-13)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"sigma": 1.0}, "sigma"),
        ({"sigma": -3.0}, "sigma"),
        ({"workers": 0.0}, "workers"),
        ({"workers": -2.0}, "workers"),
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": -1.0}, "alpha"),
        ({"worker_shares": [0.6, 0.6]}, "worker_shares"),
        ({"worker_shares": [-0.1, 1.1]}, "worker_shares"),
        ({"phi": 2.0}, "phi"),
    ],
)
def test_bad_parameters_raise(kwargs, name):
    base = {"sigma": 5.0, "phi": 0.5}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"^{name}:"):
        Pflueger(**base)


def test_registry_and_defaults():
    assert neg.REGISTRY["pflueger"] is Pflueger
    m = Pflueger(5.0, phi=0.5)
    assert m.workers == 2.0 and m.alpha == 1.0 and m.mobile_factor == "entrepreneurs"
    np.testing.assert_array_equal(m.worker_shares, [0.5, 0.5])
    assert m.no_black_hole and not Pflueger(2.0, phi=0.5, workers=1.0).no_black_hole


# ---------------------------------------------------------------- closed forms
def phi_break(sigma, L):
    return ((sigma - 1) * (L + 1) - (2 * sigma - 1)) / ((sigma - 1) * (L + 1) + (2 * sigma - 1))


def phi_sustain(sigma, L, alpha):
    def f(p):
        return (alpha / sigma) * (p * (L / 2 + 1) + L / (2 * p) - (L + 1)) \
            + alpha / (sigma - 1) * np.log(p)
    return brentq(f, 1e-6, 1 - 1e-9, xtol=1e-15)


def payoff_gap(model, s):
    sr = model.short_run([s, 1.0 - s], tol=1e-14)
    return sr.payoff[0] - sr.payoff[1]


def slope_at_symmetry(model, h=1e-3):
    """d(V_1 - V_2)/d lam_1 at lam = (1/2, 1/2): central differences, Richardson."""
    def D(h):
        return (payoff_gap(model, 0.5 + h) - payoff_gap(model, 0.5 - h)) / (4 * h)
    return (4 * D(h / 2) - D(h)) / 3


CASES = [(5.0, 2.0, 1.0), (4.0, 3.0, 0.5), (6.0, 1.5, 2.0)]


@pytest.mark.parametrize("sigma, L, alpha", CASES)
def test_break_point_closed_form(sigma, L, alpha):
    def make(p):
        return Pflueger(sigma, phi=p, workers=L, alpha=alpha)
    cf = phi_break(sigma, L)
    assert 0 < cf < 1
    num = brentq(lambda p: slope_at_symmetry(make(p)), 1e-3, 0.999, xtol=1e-14)
    assert abs(num - cf) < 1e-9
    assert slope_at_symmetry(make(cf - 0.01)) < 0 < slope_at_symmetry(make(cf + 0.01))


@pytest.mark.parametrize("sigma, L, alpha", CASES)
def test_sustain_point_closed_form(sigma, L, alpha):
    def make(p):
        return Pflueger(sigma, phi=p, workers=L, alpha=alpha)
    num = brentq(lambda p: -payoff_gap(make(p), 1.0), 1e-3, 0.999, xtol=1e-14)
    ps = phi_sustain(sigma, L, alpha)
    assert abs(num - ps) < 1e-9
    # supercritical pitchfork: agglomeration is gradual, sustain point above the break point
    assert phi_break(sigma, L) < ps


def test_no_break_point_when_workers_dominate():
    # (sigma - 1)(L + 1) <= 2 sigma - 1: the symmetric distribution is never stable
    model = Pflueger(2.0, phi=0.05, workers=1.0)
    assert phi_break(2.0, 1.0) <= 0
    for phi in (0.01, 0.3, 0.9):
        assert slope_at_symmetry(model.replace(phi=phi)) > 0


# ---------------------------------------------------------------- library solvers
@pytest.mark.parametrize("sigma, L, alpha", CASES)
def test_library_break_point(sigma, L, alpha):
    model = Pflueger(sigma, phi=0.5, workers=L, alpha=alpha)
    assert neg.break_point(model) == pytest.approx(phi_break(sigma, L), abs=1e-8)


@pytest.mark.parametrize("sigma, L, alpha", CASES)
def test_library_sustain_point(sigma, L, alpha):
    model = Pflueger(sigma, phi=0.5, workers=L, alpha=alpha)
    assert neg.sustain_point(model) == pytest.approx(phi_sustain(sigma, L, alpha), abs=1e-8)


def test_library_long_run_partial_agglomeration():
    sigma, L, alpha = 5.0, 2.0, 1.0
    phi = 0.5 * (phi_break(sigma, L) + phi_sustain(sigma, L, alpha))
    model = Pflueger(sigma, phi=phi, workers=L, alpha=alpha)
    s_star = brentq(lambda s: payoff_gap(model, s), 0.5 + 1e-6, 1 - 1e-9, xtol=1e-15)
    assert 0.5 < s_star < 1
    eq = neg.long_run(model, [0.55, 0.45], tol=1e-12)
    assert eq.converged and eq.stable
    assert abs(eq.lam[0] - s_star) < 1e-8
