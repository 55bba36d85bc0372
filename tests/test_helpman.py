"""Helpman (1998): short run against an independent solver, the break point under both rent
rules (derived by linearising at the symmetric equilibrium), the condition sigma(1 - mu) > 1,
validation."""

import warnings

import numpy as np
import pytest
from conftest import assert_jacobian_matches_finite_differences, random_geography, random_simplex
from scipy.optimize import brentq, root

import neg
from neg import Helpman


def phi_break_local(sigma, mu):
    return (2 * sigma - 1) * (1 - sigma * (1 - mu)) / (sigma * (1 + mu) - 1)


def phi_break_national(sigma, mu):
    A = (1 + mu) * (1 - sigma * (1 + mu))
    B = 2 * (sigma * mu * (2 * (sigma - 1) + mu) - (sigma - 1) * (2 * sigma - 1))
    C = (1 - mu) * (1 - sigma * (1 - mu))
    roots = np.roots([A, B, C]).real
    inside = roots[(roots > 0) & (roots < 1)]
    assert inside.size == 1
    return float(inside[0])


PHI_BREAK = {"local": phi_break_local, "national": phi_break_national}


# ---------------------------------------------------------------- independent slow solver
def slow_short_run(sigma, mu, phi, D, housing, rents, lam):
    """Plain numpy, unknowns (log w, log G, log p, log Y) solved by scipy.optimize.root:
    price index, zero profit (one equation replaced by the numeraire sum lam w = 1), housing
    market p H = (1 - mu) Y, and income = wages + rents (local or pooled). Occupied regions."""
    Phi = np.power(phi, np.asarray(D, dtype=float))
    lam = np.asarray(lam, dtype=float)
    K = lam.size

    def unpack(z):
        return np.exp(z[:K]), np.exp(z[K:2 * K]), np.exp(z[2 * K:3 * K]), np.exp(z[3 * K:])

    def equations(z):
        w, G, p, Y = unpack(z)
        rent_bill = p * housing
        income = lam * w + (rent_bill if rents == "local" else lam * rent_bill.sum())
        zero_profit = np.log(mu * (Phi @ (Y * G ** (sigma - 1)))) - sigma * np.log(w)
        zero_profit[0] = np.log(lam @ w)
        return np.concatenate([
            zero_profit,
            np.log(Phi.T @ (lam * w ** (1 - sigma))) / (1 - sigma) - np.log(G),
            np.log(rent_bill) - np.log((1 - mu) * Y),
            np.log(income) - np.log(Y),
        ])

    z0 = np.concatenate([np.zeros(2 * K), np.log((1 - mu) / mu * lam / housing), np.log(lam / mu)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sol = root(equations, z0, method="hybr", tol=1e-15)
    assert np.max(np.abs(equations(sol.x))) < 1e-12, sol.message
    w, G, p, Y = unpack(sol.x)
    omega = Y / lam * G ** (-mu) * p ** (mu - 1)
    return {"wage": w, "income": Y, "price_index": G, "real_wage": omega, "payoff": omega}


@pytest.mark.parametrize("rents", ["local", "national"])
@pytest.mark.parametrize("seed", range(3))
def test_short_run_matches_independent_solver(seed, rents):
    rng = np.random.default_rng(seed)
    K = 5
    geo = random_geography(K, seed + 40)
    sigma, mu, phi = rng.uniform(2.0, 8.0), rng.uniform(0.3, 0.95), rng.uniform(0.2, 0.9)
    housing = random_simplex(K, seed + 50)
    model = Helpman(sigma, mu, phi=phi, geography=geo, housing=housing, rents=rents)
    for i in range(3):
        lam = random_simplex(K, seed + 60 + i)
        ref = slow_short_run(sigma, mu, phi, geo.distance, housing, rents, lam)
        for method in ("anderson", "damped", "newton"):
            sr = model.short_run(lam, method=method)
            assert sr.converged, (method, sr.residual)
            for key, val in ref.items():
                np.testing.assert_allclose(getattr(sr, key), val, rtol=1e-9, err_msg=(method, key))


@pytest.mark.parametrize("rents", ["local", "national"])
def test_jacobian_matches_finite_differences(rents):
    geo = neg.Geography.line(4)
    model = Helpman(4.0, 0.7, phi=0.5, geography=geo, housing=[0.1, 0.2, 0.3, 0.4], rents=rents)
    lam = np.array([0.4, 0.1, 0.2, 0.3])
    x = np.random.default_rng(2).normal(scale=0.3, size=4)
    assert_jacobian_matches_finite_differences(model, x, lam, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("rents", ["local", "national"])
def test_accounting(rents):
    """Numeraire sum lam w = 1; world income 1/mu; rents (1 - mu)/mu; housing price."""
    mu = 0.8
    geo = neg.Geography.grid(2, 3)
    housing = random_simplex(6, 3)
    lam = random_simplex(6, 4)
    sr = Helpman(5.0, mu, phi=0.6, geography=geo, housing=housing, rents=rents).short_run(lam)
    assert (lam * sr.wage).sum() == pytest.approx(1.0, rel=1e-12)
    assert sr.income.sum() == pytest.approx(1.0 / mu, rel=1e-12)
    per_head = sr.income / lam
    expected = sr.wage / mu if rents == "local" else sr.wage + (1 - mu) / mu
    np.testing.assert_allclose(per_head, expected, rtol=1e-12)
    p = (1 - mu) * sr.income / housing
    np.testing.assert_allclose(sr.payoff, per_head * sr.price_index ** (-mu) * p ** (mu - 1),
                               rtol=1e-12)


def test_empty_region_has_infinite_payoff():
    """Free housing in an empty region: full agglomeration is never an equilibrium."""
    sr = Helpman(5.0, 0.8, phi=0.5, geography=neg.Geography.line(3)).short_run([0.5, 0.5, 0.0])
    assert sr.converged and np.all(np.isfinite(sr.wage))
    assert np.isposinf(sr.payoff[2]) and np.all(np.isfinite(sr.payoff[:2]))


# ---------------------------------------------------------------- break point
def slope_at_symmetry(sigma, mu, phi, rents, h=1e-3):
    """d(omega_1 - omega_2)/d lam_1 at lam = 1/2 from the independent solver (Richardson)."""
    D = np.array([[0.0, 1.0], [1.0, 0.0]])
    H = np.array([0.5, 0.5])

    def gap(t):
        om = slow_short_run(sigma, mu, phi, D, H, rents, np.array([0.5 + t, 0.5 - t]))["payoff"]
        return om[0] - om[1]

    def d(h):
        return (gap(h) - gap(-h)) / (4 * h)

    return (4 * d(h / 2) - d(h)) / 3


CASES = [(5.0, 0.9), (3.0, 0.7), (4.0, 0.8), (2.0, 0.6)]


@pytest.mark.parametrize("rents", ["local", "national"])
@pytest.mark.parametrize("sigma, mu", CASES)
def test_break_point_closed_form(sigma, mu, rents):
    assert sigma * (1 - mu) < 1
    pb = PHI_BREAK[rents](sigma, mu)
    # the independent solver's slope changes sign there: unstable below, stable above
    num = brentq(lambda p: slope_at_symmetry(sigma, mu, p, rents), 0.5 * pb, min(2 * pb, 0.999),
                 xtol=1e-13)
    assert num == pytest.approx(pb, abs=1e-8)
    assert slope_at_symmetry(sigma, mu, 0.9 * pb, rents) > 0 > slope_at_symmetry(sigma, mu, 1.1 * pb, rents)
    # the library: the uniform distribution GAINS stability at phi_B
    m = Helpman(sigma, mu, phi=0.5, rents=rents)
    assert neg.break_point(m, direction="gain") == pytest.approx(pb, abs=1e-8)
    assert [k for _, k in neg.break_points(m)] == ["gain"]
    with pytest.warns(neg.NoBifurcationWarning):
        assert np.isnan(neg.break_point(m, direction="lose"))  # it never LOSES stability as phi rises


def test_rent_rules_differ():
    """Pooling rents removes part of the local-income dispersion force: a lower break point."""
    for sigma, mu in CASES:
        assert phi_break_national(sigma, mu) < phi_break_local(sigma, mu)


@pytest.mark.parametrize("rents", ["local", "national"])
@pytest.mark.parametrize("sigma, mu", [(5.0, 0.7), (3.0, 0.5), (2.5, 0.55)])
def test_dispersion_stable_at_all_trade_costs_if_sigma_one_minus_mu_above_one(sigma, mu, rents):
    assert sigma * (1 - mu) > 1
    m = Helpman(sigma, mu, phi=0.5, rents=rents)
    assert m.dispersion_always_stable
    for phi in (1e-4, 0.01, 0.1, 0.3, 0.6, 0.9, 0.999):
        assert neg.solvers.bifurcation.uniform_leading_eigenvalue(m, phi) < 0
        assert slope_at_symmetry(sigma, mu, phi, rents) < 0
    assert neg.break_points(m) == []
    with pytest.warns(neg.NoBifurcationWarning, match="stable for every phi"):
        assert np.isnan(neg.break_point(m, direction="gain"))


@pytest.mark.parametrize("rents", ["local", "national"])
def test_break_point_vanishes_at_the_threshold(rents):
    """phi_B -> 0 as sigma (1 - mu) -> 1 from below."""
    sigma = 4.0
    mu_star = 1 - 1 / sigma
    assert PHI_BREAK[rents](sigma, mu_star + 1e-9) < 1e-7
    assert PHI_BREAK[rents](sigma, mu_star + 1e-2) > PHI_BREAK[rents](sigma, mu_star + 1e-3) > 0


def test_long_run_scarce_housing_repels():
    """At low trade costs (dispersion stable) the region with less housing gets fewer people;
    at high trade costs the symmetric state is unstable and the population agglomerates
    partially (never fully: housing in the empty region would be free)."""
    eq = neg.long_run(Helpman(5.0, 0.8, phi=0.8, housing=[0.3, 0.7]))
    assert eq.converged and eq.stable and eq.lam[0] < 0.5
    pb = phi_break_local(5.0, 0.9)
    eq = neg.long_run(Helpman(5.0, 0.9, phi=0.5 * pb), [0.55, 0.45])
    assert eq.converged and eq.stable and 0.5 < eq.lam[0] < 1.0


# ---------------------------------------------------------------- parameters
@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"housing": [0.7, 0.7]}, "housing: shares must sum to 1"),
        ({"housing": [1.2, -0.2]}, r"housing: shares must lie in \[0, 1\]"),
        ({"housing": [0.2, 0.3, 0.5]}, "housing: expected 2 shares"),
        ({"housing": [1.0, 0.0]}, "housing: every region needs a positive housing stock"),
        ({"rents": "regional"}, "rents: must be one of"),
        ({"mu": 1.0}, r"mu: must lie in the open interval \(0, 1\)"),
        ({"mu": 0.0}, r"mu: must lie in the open interval \(0, 1\)"),
        ({"sigma": 0.9}, "sigma: must be > 1"),
        ({"phi": None}, "phi, T: give exactly one"),
    ],
)
def test_bad_parameters_name_the_parameter(kwargs, name):
    base = {"sigma": 5.0, "mu": 0.8, "phi": 0.5}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"^{name}"):
        Helpman(**base)


def test_registry_and_params():
    assert neg.REGISTRY["helpman"] is Helpman
    m = Helpman(5.0, 0.8, phi=0.0625, rents="national")
    assert m == Helpman(5.0, 0.8, T=2.0, rents="national")
    assert m != Helpman(5.0, 0.8, T=2.0, rents="local")
    np.testing.assert_array_equal(m.housing, [0.5, 0.5])
    m3 = Helpman(5.0, 0.8, phi=0.5, geography=neg.Geography.line(3)).with_param("housing[0]", 0.5)
    np.testing.assert_allclose(m3.housing, [0.5, 0.25, 0.25])
    assert set(m.numeric_params()) == {"sigma", "mu", "phi", "T"}
