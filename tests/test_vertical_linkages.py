"""VerticalLinkages (mobile labour): reduction to CorePeriphery, CP closed forms with
mu_eff = gamma + alpha (1 - gamma), an independent solver of the primitive equations, validation."""

import warnings

import numpy as np
import pytest
from conftest import assert_jacobian_matches_finite_differences, random_geography, random_simplex
from scipy.optimize import brentq, root

import neg
from neg import VerticalLinkages


def mu_eff(gamma, alpha):
    return gamma + alpha * (1 - gamma)


def cp_break_point(sigma, mu):
    """FKV (1999) eq. 5.28 / Baldwin et al. (2003) ch. 2, in freeness form."""
    rho = (sigma - 1) / sigma
    return (rho - mu) * (1 - mu) / ((rho + mu) * (1 + mu))


def cp_sustain_point(sigma, mu):
    """Root of phi^(mu sigma/(sigma-1)) [(1+mu)/2 phi + (1-mu)/(2 phi)] = 1 (FKV eq. 5.19)."""
    a = mu * sigma / (sigma - 1)
    return brentq(lambda p: p**a * ((1 + mu) / 2 * p + (1 - mu) / (2 * p)) - 1, 1e-9, 1 - 1e-12,
                  xtol=1e-16, rtol=1e-15)


# ---------------------------------------------------------------- independent slow solver
def primitive_short_run(sigma, gamma, alpha, phi, D, farmers, lam):
    """The economy from its primitives, in plain numpy, solved by scipy.optimize.root in
    (log w, log G, log n) jointly.

    Technology: fixed cost F = gamma/((1 - alpha) sigma) and marginal input (sigma - 1)/sigma
    of the composite input whose unit cost is q = w^(1-alpha) G^alpha; mill price p = q.
    Break-even output xbar = sigma F; a firm employs (1 - alpha) q sigma F / w workers and buys
    alpha q sigma F of intermediates. Manufacturing workers: gamma lam; farmers: (1-gamma) farmers.
    """
    Phi = np.power(phi, np.asarray(D, dtype=float))
    K = len(lam)
    F = gamma / ((1 - alpha) * sigma)
    xbar = sigma * F
    L = gamma * np.asarray(lam, dtype=float)
    occ = L > 0

    def unpack(z):
        w, G, n = np.exp(z[:K]), np.exp(z[K:2 * K]), np.exp(z[2 * K:])
        n = np.where(occ, n, 0.0)
        q = w ** (1 - alpha) * G**alpha
        Y = w * L + (1 - gamma) * farmers                   # consumer income
        E = gamma * Y + alpha * n * q * xbar                # final + intermediate demand
        return w, G, n, q, Y, E

    def equations(z):
        w, G, n, q, Y, E = unpack(z)
        demand = q ** (-sigma) * (Phi @ (E * G ** (sigma - 1)))  # output demanded of a variety
        labour = n * (1 - alpha) * q * xbar / w              # labour demanded by n firms
        return np.concatenate([
            np.log(demand / xbar),                          # zero profit (wage equation)
            np.log(Phi.T @ (n * q ** (1 - sigma))) / (1 - sigma) - np.log(G),
            np.where(occ, np.log(np.where(occ, labour, 1.0) / np.where(occ, L, 1.0)), z[2 * K:]),
        ])

    z0 = np.concatenate([np.zeros(K), np.zeros(K), np.log(np.where(occ, L / gamma, 1.0))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sol = root(equations, z0, method="hybr", tol=1e-15)
    assert np.max(np.abs(equations(sol.x))) < 1e-12, sol.message
    w, G, n, q, Y, E = unpack(sol.x)
    return {"wage": w, "income": Y, "price_index": G, "real_wage": w * G ** (-gamma),
            "payoff": w * G ** (-gamma)}


@pytest.mark.parametrize("seed", range(3))
def test_short_run_matches_independent_solver_on_random_geography(seed):
    rng = np.random.default_rng(seed)
    K = 5
    geo = random_geography(K, seed + 10)
    sigma, gamma = rng.uniform(3.0, 8.0), rng.uniform(0.1, 0.6)
    alpha = rng.uniform(0.05, 0.6) * (sigma - 1) / sigma
    phi = rng.uniform(0.3, 0.9)
    farmers = random_simplex(K, seed + 20)
    model = VerticalLinkages(sigma, gamma, alpha, phi=phi, geography=geo, farmers=farmers)
    lams = [random_simplex(K, seed + 30 + i) for i in range(3)]
    lams.append(np.array([0.6, 0.4, 0.0, 0.0, 0.0]))  # empty regions: potential wages
    for lam in lams:
        ref = primitive_short_run(sigma, gamma, alpha, phi, geo.distance, farmers, lam)
        for method in ("anderson", "damped", "newton"):
            sr = model.short_run(lam, method=method)
            assert sr.converged, (method, sr.residual)
            for key, val in ref.items():
                np.testing.assert_allclose(getattr(sr, key), val, rtol=1e-9, err_msg=(method, key))
        assert sr.state.shape == (2 * K,)


def test_alpha_zero_is_core_periphery():
    K = 6
    geo = random_geography(K, 3)
    farmers, lam = random_simplex(K, 4), random_simplex(K, 5)
    cp = neg.CorePeriphery(5.0, 0.4, phi=0.6, geography=geo, farmers=farmers).short_run(lam, tol=1e-15)
    vl = VerticalLinkages(5.0, 0.4, 0.0, phi=0.6, geography=geo, farmers=farmers).short_run(
        lam, tol=1e-15)
    assert cp.converged and vl.converged
    for key in ("wage", "income", "price_index", "real_wage", "payoff"):
        np.testing.assert_allclose(getattr(vl, key), getattr(cp, key), rtol=1e-12, err_msg=key)


def test_jacobian_matches_finite_differences():
    geo = neg.Geography.line(4)
    model = VerticalLinkages(4.0, 0.3, 0.4, phi=0.5, geography=geo, farmers=[0.1, 0.2, 0.3, 0.4])
    lam = np.array([0.4, 0.1, 0.2, 0.3])
    x = np.random.default_rng(1).normal(scale=0.3, size=8)
    assert_jacobian_matches_finite_differences(model, x, lam, rtol=1e-7, atol=1e-10)


def test_world_income_is_one():
    """Walras: the manufacturing wage bill is gamma, so world income is 1 at every lam."""
    geo = neg.Geography.grid(2, 3)
    model = VerticalLinkages(5.0, 0.3, 0.35, phi=0.7, geography=geo)
    lam = random_simplex(6, 9)
    sr = model.short_run(lam)
    assert (lam * sr.wage).sum() == pytest.approx(1.0, rel=1e-12)
    assert sr.income.sum() == pytest.approx(1.0, rel=1e-12)


def test_symmetric_equilibrium_values():
    """Two regions, lam = 1/2: w = 1 and G^(1 - sigma(1 - alpha)) = (1 + phi)/2."""
    s, a, phi = 5.0, 0.3, 0.4
    sr = VerticalLinkages(s, 0.3, a, phi=phi).short_run([0.5, 0.5])
    np.testing.assert_allclose(sr.wage, 1.0, rtol=1e-12)
    np.testing.assert_allclose(sr.price_index, ((1 + phi) / 2) ** (1 / (1 - s * (1 - a))), rtol=1e-12)


CASES = [(5.0, 0.3, 0.2), (4.0, 0.2, 0.3), (6.0, 0.4, 0.1), (3.0, 0.15, 0.25)]


@pytest.mark.parametrize("sigma, gamma, alpha", CASES)
def test_break_and_sustain_points_are_cp_with_mu_eff(sigma, gamma, alpha):
    m = VerticalLinkages(sigma, gamma, alpha, phi=0.5)
    me = mu_eff(gamma, alpha)
    assert m.mu_eff == pytest.approx(me, rel=1e-15) and m.no_black_hole
    assert neg.break_point(m) == pytest.approx(cp_break_point(sigma, me), abs=1e-8)
    assert neg.sustain_point(m) == pytest.approx(cp_sustain_point(sigma, me), abs=1e-8)
    # and NOT the CP points with mu = gamma: the linkage matters
    assert abs(cp_break_point(sigma, gamma) - cp_break_point(sigma, me)) > 1e-2


def test_black_hole_through_linkages():
    """gamma alone is below rho but mu_eff is not: no break point."""
    m = VerticalLinkages(3.0, 0.4, 0.5, phi=0.5)  # rho = 2/3, mu_eff = 0.7
    assert not m.no_black_hole
    with pytest.warns(neg.NoBifurcationWarning):
        assert np.isnan(neg.break_point(m))


def test_tomahawk_equilibria():
    sigma, gamma, alpha = 5.0, 0.3, 0.2
    me = mu_eff(gamma, alpha)
    phi = 0.5 * (cp_break_point(sigma, me) + cp_sustain_point(sigma, me))
    eqs = neg.equilibria(VerticalLinkages(sigma, gamma, alpha, phi=phi))
    stable = sorted(float(e.lam[0]) for e in eqs if e.stable)
    np.testing.assert_allclose(stable, [0.0, 0.5, 1.0], atol=1e-8)


# ---------------------------------------------------------------- parameters
@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"alpha": -0.1}, r"alpha: must lie in \[0, 1\)"),
        ({"alpha": 1.0}, r"alpha: must lie in \[0, 1\)"),
        ({"alpha": 0.8}, r"alpha: must be < \(sigma - 1\)/sigma"),
        ({"gamma": 0.0}, r"gamma: must lie in the open interval \(0, 1\)"),
        ({"gamma": 1.0}, r"gamma: must lie in the open interval \(0, 1\)"),
        ({"labour": "fixed"}, "labour: must be one of"),
        ({"sigma": 1.0}, "sigma: must be > 1"),
        ({"farmers": [0.7, 0.7]}, "farmers: shares must sum to 1"),
        ({"phi": 1.5}, r"phi: must lie in \(0, 1\]"),
    ],
)
def test_bad_parameters_name_the_parameter(kwargs, name):
    base = {"sigma": 5.0, "gamma": 0.3, "alpha": 0.2, "phi": 0.5}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"^{name}"):
        VerticalLinkages(**base)


def test_immobile_labour_is_the_grouped_puga_closure():
    """labour='immobile' (Puga 1999) is tested in tests/test_puga.py."""
    m = VerticalLinkages(5.0, 0.3, 0.2, phi=0.5, labour="immobile", eta=0.8)
    assert m.state_groups() == (2, 2)


def test_registry_params_and_T():
    assert neg.REGISTRY["vertical_linkages"] is VerticalLinkages
    m = VerticalLinkages(5.0, 0.3, 0.2, phi=0.0625)
    assert m == VerticalLinkages(5.0, 0.3, 0.2, T=2.0)
    assert set(m.numeric_params()) == {"sigma", "gamma", "alpha", "phi", "T"}
    assert m.with_param("alpha", 0.1).alpha == 0.1
    np.testing.assert_array_equal(m.farmers, [0.5, 0.5])


def test_batch_equals_single_solves():
    """To the tolerance: the batch starts every point from the base model's initial state."""
    m = VerticalLinkages(5.0, 0.3, 0.2, phi=0.3)
    phis = np.linspace(0.05, 0.95, 7)
    lam = np.array([0.7, 0.3])
    batch = neg.short_run_batch(m, lam=lam, phi=phis, warm=False)
    alphas = neg.short_run_batch(m, lam=lam, alpha=np.linspace(0.0, 0.5, 4), warm=False)
    assert np.all(batch.converged) and np.all(alphas.converged)
    for i, p in enumerate(phis):
        np.testing.assert_allclose(batch.real_wage[i], m.replace(phi=p).short_run(lam).real_wage,
                                   rtol=1e-11)
    for i, a in enumerate(np.linspace(0.0, 0.5, 4)):
        np.testing.assert_allclose(alphas.wage[i], m.replace(alpha=a).short_run(lam).wage, rtol=1e-11)
