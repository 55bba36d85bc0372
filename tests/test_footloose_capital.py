"""FootlooseCapital: short run against an independent solver, validation, home-market effect."""

import warnings

import numpy as np
import pytest
from conftest import assert_short_runs_match, random_geographies
from scipy.optimize import brentq, root

import neg
from neg import FootlooseCapital, Geography

RTOL = 1e-9


# ---------------------------------------------------------------- independent slow solver
def slow_short_run(sigma, mu, phi, D, labour, capital, lam):
    """The model's equations in plain numpy with the dense matrix phi**D, solved by
    scipy.optimize.root in (E, pi, Delta) jointly. Capital income is the portfolio return
    sum_k lam_k pi_k (so E^w = 1/(1 - mu/sigma) comes out of the solve, not in)."""
    Phi = np.power(phi, D)
    K = len(lam)
    b = mu / sigma
    lam = np.asarray(lam, dtype=float)

    def equations(z):
        E, pi, Delta = z[:K], z[K:2 * K], z[2 * K:]
        return np.concatenate([
            E - (labour + capital * (lam @ pi)),
            pi - b * (Phi @ (E / Delta)),
            Delta - Phi.T @ lam,
        ])

    E0 = labour + capital * b
    Delta0 = Phi.T @ lam
    z0 = np.concatenate([E0, b * Phi @ (E0 / Delta0), Delta0])
    sol = root(equations, z0, method="hybr", tol=1e-14)
    # judge by the residual: 'xtol too small' is hybr's way of saying it reached round-off
    assert np.max(np.abs(equations(sol.x))) < 1e-13 * np.max(np.abs(sol.x)), sol.message
    E, pi, Delta = sol.x[:K], sol.x[K:2 * K], sol.x[2 * K:]
    P = Delta ** (1.0 / (1.0 - sigma))
    return {"wage": pi, "income": E, "price_index": P, "real_wage": pi / P**mu, "payoff": pi}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_short_run_matches_independent_solver(seed):
    rng = np.random.default_rng(200 + seed)
    for geo in random_geographies(seed):
        K = geo.K
        sigma, mu, phi = rng.uniform(2.0, 8.0), rng.uniform(0.1, 0.9), rng.uniform(0.3, 0.95)
        labour, capital = rng.dirichlet(np.ones(K)), rng.dirichlet(np.ones(K))
        model = FootlooseCapital(sigma, mu, phi=phi, geography=geo, labour=labour,
                                 capital=capital)
        lams = [rng.dirichlet(np.ones(K)) for _ in range(4)]
        lams.append(np.eye(K)[rng.integers(K)])  # returns in empty regions are defined too
        for lam in lams:
            ref = slow_short_run(sigma, mu, phi, geo.distance, labour, capital, lam)
            assert_short_runs_match(model, lam, ref, RTOL, max_iterations=1)


def test_expenditure_and_payoff_is_nominal():
    model = FootlooseCapital(4.0, 0.4, phi=0.5, labour=[0.7, 0.3], capital=[0.2, 0.8])
    sr = model.short_run([0.3, 0.7])
    b = 0.1
    np.testing.assert_allclose(sr.income, [0.7 + 0.2 * b / (1 - b), 0.3 + 0.8 * b / (1 - b)],
                               rtol=1e-14)
    assert sr.income.sum() == pytest.approx(1 / (1 - b), rel=1e-14)
    np.testing.assert_array_equal(sr.payoff, sr.wage)
    assert not np.allclose(sr.payoff, sr.real_wage)
    assert (sr.lam * sr.wage).sum() == pytest.approx(b / (1 - b), rel=1e-13)
    assert model.short_run([0.3, 0.7]).iterations == 0  # initial state is already the answer


def test_batch_matches_single_runs():
    geo = Geography.racetrack(6)
    model = FootlooseCapital(4.0, 0.35, phi=0.6, geography=geo)
    lams = np.random.default_rng(7).dirichlet(np.ones(6), size=8)
    batch = neg.short_run_batch(model, lams)
    assert np.all(batch.converged)
    for k, lam in enumerate(lams):
        np.testing.assert_allclose(batch.payoff[k], model.short_run(lam).payoff, rtol=1e-12)
    mus = np.linspace(0.1, 0.8, 5)
    sweep = neg.short_run_batch(model, lams[0], mu=mus)
    for k, mu in enumerate(mus):
        np.testing.assert_allclose(sweep.income[k], model.replace(mu=mu).short_run(lams[0]).income,
                                   rtol=1e-12)


# ---------------------------------------------------------------- parameters
def test_phi_and_T_give_the_same_model():
    a = FootlooseCapital(5.0, 0.4, phi=0.0625)
    b = FootlooseCapital(5.0, 0.4, T=2.0)
    assert a == b
    c = FootlooseCapital(5.0, 0.4, phi=0.3, labour=[0.6, 0.4])
    d = FootlooseCapital(5.0, 0.4, T=0.3 ** (1 / (1 - 5.0)), labour=[0.6, 0.4])
    assert d.phi == pytest.approx(0.3, rel=1e-14)
    np.testing.assert_allclose(c.short_run([0.3, 0.7]).payoff, d.short_run([0.3, 0.7]).payoff,
                               rtol=1e-13)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"sigma": 1.0}, "sigma"),
        ({"mu": 0.0}, "mu"),
        ({"mu": 1.3}, "mu"),
        ({"labour": [0.7, 0.7]}, "labour"),
        ({"labour": [1.5, -0.5]}, "labour"),
        ({"capital": [0.2, 0.2]}, "capital"),
        ({"capital": [1.0]}, "capital"),
        ({"phi": -0.1}, "phi"),
        ({"phi": None}, "phi, T"),
    ],
)
def test_bad_parameters_raise(kwargs, name):
    base = {"sigma": 5.0, "mu": 0.4, "phi": 0.5}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"^{name}:"):
        FootlooseCapital(**base)


def test_registry():
    assert neg.REGISTRY["footloose_capital"] is FootlooseCapital
    assert FootlooseCapital(5.0, 0.4, phi=0.5).mobile_factor == "capital"


# ---------------------------------------------------------------- home-market effect
def closed_form_share(sigma, mu, phi, sL, sK):
    b = mu / sigma
    sE = (1 - b) * sL + b * sK
    return float(np.clip(0.5 + (1 + phi) / (1 - phi) * (sE - 0.5), 0.0, 1.0))


def return_gap(model, s):
    sr = model.short_run([s, 1.0 - s], tol=1e-14)
    return sr.payoff[0] - sr.payoff[1]


@pytest.mark.parametrize(
    "sigma, mu, phi, sL, sK",
    [(5.0, 0.4, 0.3, 0.6, 0.6), (4.0, 0.6, 0.5, 0.55, 0.3), (3.0, 0.2, 0.1, 0.3, 0.9),
     (6.0, 0.5, 0.6, 0.45, 0.5)],
)
def test_interior_share_closed_form(sigma, mu, phi, sL, sK):
    model = FootlooseCapital(sigma, mu, phi=phi, labour=[sL, 1 - sL], capital=[sK, 1 - sK])
    cf = closed_form_share(sigma, mu, phi, sL, sK)
    assert 0 < cf < 1
    num = brentq(lambda s: return_gap(model, s), 1e-9, 1 - 1e-9, xtol=1e-15)
    assert abs(num - cf) < 1e-10


def test_corner_when_closed_form_clips():
    # s_E = 0.6 and (1 + phi)/(1 - phi) = 9 > 5: every firm goes to region 1
    model = FootlooseCapital(5.0, 0.4, phi=0.8, labour=[0.6, 0.4], capital=[0.6, 0.4])
    assert closed_form_share(5.0, 0.4, 0.8, 0.6, 0.6) == 1.0
    assert return_gap(model, 1.0) > 0
    assert all(return_gap(model, s) > 0 for s in np.linspace(0.01, 0.99, 25))


def test_no_break_point_with_symmetric_endowments():
    h = 1e-4
    for phi in np.linspace(0.02, 0.98, 25):
        model = FootlooseCapital(5.0, 0.4, phi=phi)
        assert return_gap(model, 0.5) == pytest.approx(0.0, abs=1e-14)
        slope = (return_gap(model, 0.5 + h) - return_gap(model, 0.5 - h)) / (2 * h)
        assert slope < 0


# ---------------------------------------------------------------- library solvers
@pytest.mark.parametrize("phi", [0.1, 0.3, 0.5, 0.65])
def test_library_long_run_matches_closed_form(phi):
    model = FootlooseCapital(5.0, 0.4, phi=phi, labour=[0.6, 0.4], capital=[0.6, 0.4])
    cf = closed_form_share(5.0, 0.4, phi, 0.6, 0.6)
    assert 0 < cf < 1
    eq = neg.long_run(model, [0.5, 0.5], tol=1e-12)
    assert eq.converged and eq.stable
    assert abs(eq.lam[0] - cf) < 1e-8


def test_library_long_run_corner():
    model = FootlooseCapital(5.0, 0.4, phi=0.8, labour=[0.6, 0.4], capital=[0.6, 0.4])
    eq = neg.long_run(model, [0.5, 0.5])
    assert eq.converged and eq.stable
    np.testing.assert_allclose(eq.lam, [1.0, 0.0], atol=1e-8)


def test_library_break_point_does_not_exist():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = neg.break_point(FootlooseCapital(5.0, 0.4, phi=0.5))
    assert np.isnan(value)
    assert any(issubclass(w.category, neg.NoBifurcationWarning) for w in caught)
