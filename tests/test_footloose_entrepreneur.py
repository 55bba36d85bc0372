"""FootlooseEntrepreneur: short run against an independent solver, validation, closed forms."""

import numpy as np
import pytest
from conftest import (
    assert_jacobian_matches_finite_differences,
    assert_short_runs_match,
    random_geographies,
)
from scipy.optimize import brentq, root

import neg
from neg import FootlooseEntrepreneur, Geography

RTOL = 1e-9


# ---------------------------------------------------------------- independent slow solver
def slow_short_run(sigma, mu, phi, D, workers, H, L, lam):
    """The model's equations in plain numpy with the dense matrix phi**D, solved by
    scipy.optimize.root in (E, pi, Delta) jointly."""
    Phi = np.power(phi, D)
    K = len(lam)
    b = mu / sigma
    n = H * np.asarray(lam, dtype=float)

    def equations(z):
        E, pi, Delta = z[:K], z[K:2 * K], z[2 * K:]
        return np.concatenate([
            E - (L * workers + n * pi),
            pi - b * (Phi @ (E / Delta)),
            Delta - Phi.T @ n,
        ])

    Ew = L / (1.0 - b)
    E0 = np.full(K, Ew / K)
    Delta0 = Phi.T @ n
    z0 = np.concatenate([E0, b * Phi @ (E0 / Delta0), Delta0])
    sol = root(equations, z0, method="hybr", tol=1e-14)
    # judge by the residual: 'xtol too small' is hybr's way of saying it reached round-off
    assert np.max(np.abs(equations(sol.x))) < 1e-13 * np.max(np.abs(sol.x)), sol.message
    E, pi, Delta = sol.x[:K], sol.x[K:2 * K], sol.x[2 * K:]
    P = Delta ** (1.0 / (1.0 - sigma))
    omega = pi / P**mu
    return {"wage": pi, "income": E, "price_index": P, "real_wage": omega, "payoff": omega}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_short_run_matches_independent_solver(seed):
    rng = np.random.default_rng(100 + seed)
    for geo in random_geographies(seed):
        K = geo.K
        sigma, mu = rng.uniform(2.0, 8.0), rng.uniform(0.1, 0.9)
        phi, H, L = rng.uniform(0.3, 0.95), rng.uniform(0.2, 3.0), rng.uniform(0.2, 3.0)
        workers = rng.dirichlet(np.ones(K))
        model = FootlooseEntrepreneur(sigma, mu, phi=phi, geography=geo, workers=workers,
                                      H=H, L=L)
        lams = [rng.dirichlet(np.ones(K)) for _ in range(4)]
        lams.append(np.eye(K)[rng.integers(K)])  # full agglomeration: empty regions too
        for lam in lams:
            ref = slow_short_run(sigma, mu, phi, geo.distance, workers, H, L, lam)
            assert_short_runs_match(model, lam, ref, RTOL)


def test_batch_matches_single_runs():
    geo = Geography.racetrack(6)
    model = FootlooseEntrepreneur(4.0, 0.35, phi=0.6, geography=geo, H=2.0, L=0.5)
    lams = np.random.default_rng(7).dirichlet(np.ones(6), size=8)
    batch = neg.short_run_batch(model, lams)
    assert np.all(batch.converged)
    for k, lam in enumerate(lams):
        sr = model.short_run(lam)
        np.testing.assert_allclose(batch.real_wage[k], sr.real_wage, rtol=1e-11)
        np.testing.assert_allclose(batch.income[k], sr.income, rtol=1e-11)
    mus = np.linspace(0.1, 0.8, 5)
    sweep = neg.short_run_batch(model, lams[0], mu=mus)
    for k, mu in enumerate(mus):
        np.testing.assert_allclose(sweep.payoff[k], model.replace(mu=mu).short_run(lams[0]).payoff,
                                   rtol=1e-11)


def test_jacobian_matches_finite_differences():
    geo = Geography.line(4)
    model = FootlooseEntrepreneur(3.0, 0.5, phi=0.5, geography=geo, workers=[0.1, 0.2, 0.3, 0.4],
                                  H=1.5, L=0.8)
    lam = np.array([0.4, 0.1, 0.2, 0.3])
    x = np.log(np.array([0.7, 0.4, 0.5, 0.9]))
    assert_jacobian_matches_finite_differences(model, x, lam, rtol=1e-8, atol=1e-11)


def test_accounting_identities():
    geo = Geography.grid(2, 3)
    model = FootlooseEntrepreneur(5.0, 0.4, phi=0.7, geography=geo, H=0.7, L=2.3)
    lam = np.random.default_rng(3).dirichlet(np.ones(6))
    sr = model.short_run(lam)
    b = 0.4 / 5.0
    assert sr.income.sum() == pytest.approx(2.3 / (1 - b), rel=1e-12)  # E^w = L/(1 - b)
    assert (0.7 * lam * sr.wage).sum() == pytest.approx(b * sr.income.sum(), rel=1e-12)


def test_empty_region_without_workers_is_finite():
    geo = Geography.line(3)
    model = FootlooseEntrepreneur(4.0, 0.3, phi=0.5, geography=geo, workers=[0.5, 0.5, 0.0])
    sr = model.short_run([0.5, 0.5, 0.0])
    assert sr.converged
    assert np.all(np.isfinite(sr.payoff))
    assert sr.income[2] == pytest.approx(0.0, abs=1e-300)
    ref = slow_short_run(4.0, 0.3, 0.5, geo.distance, np.array([0.5, 0.5, 0.0]), 1.0, 1.0,
                         np.array([0.5, 0.5, 0.0]))
    np.testing.assert_allclose(sr.wage, ref["wage"], rtol=RTOL)


# ---------------------------------------------------------------- parameters
def test_phi_and_T_give_the_same_model():
    a = FootlooseEntrepreneur(5.0, 0.4, phi=0.0625)
    b = FootlooseEntrepreneur(5.0, 0.4, T=2.0)  # 2**(1 - 5) = 0.0625 exactly
    assert a == b and a.T == 2.0 and b.phi == 0.0625
    c = FootlooseEntrepreneur(5.0, 0.4, phi=0.3, H=2.0, L=0.5)
    d = FootlooseEntrepreneur(5.0, 0.4, T=0.3 ** (1 / (1 - 5.0)), H=2.0, L=0.5)
    assert d.phi == pytest.approx(0.3, rel=1e-14)
    np.testing.assert_allclose(c.short_run([0.3, 0.7]).payoff, d.short_run([0.3, 0.7]).payoff,
                               rtol=1e-13)
    assert c.replace(T=d.T).phi == pytest.approx(0.3, rel=1e-14)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"sigma": 1.0}, "sigma"),
        ({"sigma": 0.5}, "sigma"),
        ({"mu": 0.0}, "mu"),
        ({"mu": 1.0}, "mu"),
        ({"mu": -0.2}, "mu"),
        ({"H": -1.0}, "H"),
        ({"H": 0.0}, "H"),
        ({"L": 0.0}, "L"),
        ({"workers": [0.7, 0.7]}, "workers"),
        ({"workers": [1.2, -0.2]}, "workers"),
        ({"workers": [0.2, 0.3, 0.5]}, "workers"),
        ({"phi": 1.5}, "phi"),
        ({"phi": 0.0}, "phi"),
        ({"phi": None, "T": 0.9}, "T"),
        ({"phi": 0.5, "T": 2.0}, "phi, T"),
    ],
)
def test_bad_parameters_raise(kwargs, name):
    base = {"sigma": 5.0, "mu": 0.4, "phi": 0.5}
    base.update(kwargs)
    with pytest.raises(ValueError, match=f"^{name}:"):
        FootlooseEntrepreneur(**base)


def test_registry_and_defaults():
    assert neg.REGISTRY["footloose_entrepreneur"] is FootlooseEntrepreneur
    m = FootlooseEntrepreneur(5.0, 0.4, phi=0.5)
    np.testing.assert_array_equal(m.workers, [0.5, 0.5])
    assert m.mobile_factor == "entrepreneurs" and m.no_black_hole
    assert not FootlooseEntrepreneur(1.5, 0.6, phi=0.5).no_black_hole


# ---------------------------------------------------------------- closed forms
def phi_break(sigma, mu):
    return (sigma - 1 - mu) * (sigma - mu) / ((sigma - 1 + mu) * (sigma + mu))


def phi_sustain(sigma, mu):
    a, b = mu / (sigma - 1), mu / sigma
    return brentq(lambda p: p**a * ((1 + b) / 2 * p + (1 - b) / (2 * p)) - 1, 1e-6, 1 - 1e-12,
                  xtol=1e-15)


def slope_at_symmetry(model, h=1e-3):
    """d(omega_1 - omega_2)/d lam_1 at lam = (1/2, 1/2): central differences, Richardson."""
    def D(h):
        up = model.short_run([0.5 + h, 0.5 - h], tol=1e-14)
        dn = model.short_run([0.5 - h, 0.5 + h], tol=1e-14)
        assert up.converged and dn.converged
        return ((up.payoff[0] - up.payoff[1]) - (dn.payoff[0] - dn.payoff[1])) / (4 * h)
    return (4 * D(h / 2) - D(h)) / 3


def corner_gap(model):
    sr = model.short_run([1.0, 0.0], tol=1e-14)
    return sr.payoff[1] - sr.payoff[0]


CASES = [(5.0, 0.4, 1.0, 1.0), (4.0, 0.3, 0.7, 2.3), (3.0, 0.6, 2.0, 0.5)]


@pytest.mark.parametrize("sigma, mu, H, L", CASES)
def test_break_point_closed_form(sigma, mu, H, L):
    def make(p):
        return FootlooseEntrepreneur(sigma, mu, phi=p, H=H, L=L)
    num = brentq(lambda p: slope_at_symmetry(make(p)), 1e-3, 0.999, xtol=1e-14)
    assert abs(num - phi_break(sigma, mu)) < 1e-9
    cf = phi_break(sigma, mu)
    assert slope_at_symmetry(make(cf - 0.01)) < 0 < slope_at_symmetry(make(cf + 0.01))


@pytest.mark.parametrize("sigma, mu, H, L", CASES)
def test_sustain_point_closed_form(sigma, mu, H, L):
    def make(p):
        return FootlooseEntrepreneur(sigma, mu, phi=p, H=H, L=L)
    num = brentq(lambda p: corner_gap(make(p)), 1e-3, 0.999, xtol=1e-14)
    ps = phi_sustain(sigma, mu)
    assert abs(num - ps) < 1e-9
    assert ps < phi_break(sigma, mu)  # subcritical pitchfork: an overlap of stable equilibria
    assert corner_gap(make(ps - 0.01)) > 0 > corner_gap(make(ps + 0.01))


# ---------------------------------------------------------------- library solvers
@pytest.mark.parametrize("sigma, mu, H, L", CASES)
def test_library_break_point(sigma, mu, H, L):
    model = FootlooseEntrepreneur(sigma, mu, phi=0.5, H=H, L=L)
    assert neg.break_point(model) == pytest.approx(phi_break(sigma, mu), abs=1e-8)


@pytest.mark.parametrize("sigma, mu, H, L", CASES)
def test_library_sustain_point(sigma, mu, H, L):
    model = FootlooseEntrepreneur(sigma, mu, phi=0.5, H=H, L=L)
    assert neg.sustain_point(model) == pytest.approx(phi_sustain(sigma, mu), abs=1e-8)


def test_library_long_run():
    sigma, mu = 5.0, 0.4
    pb, ps = phi_break(sigma, mu), phi_sustain(sigma, mu)
    low = neg.long_run(FootlooseEntrepreneur(sigma, mu, phi=ps - 0.1), [0.6, 0.4])
    assert low.converged and low.stable
    np.testing.assert_allclose(low.lam, [0.5, 0.5], atol=1e-8)
    high = neg.long_run(FootlooseEntrepreneur(sigma, mu, phi=pb + 0.1), [0.55, 0.45])
    assert high.converged and high.stable
    np.testing.assert_allclose(high.lam, [1.0, 0.0], atol=1e-8)


def test_library_equilibria_in_the_overlap():
    sigma, mu = 5.0, 0.4
    phi = 0.5 * (phi_break(sigma, mu) + phi_sustain(sigma, mu))
    eqs = neg.equilibria(FootlooseEntrepreneur(sigma, mu, phi=phi))
    stable = sorted(float(e.lam[0]) for e in eqs if e.stable)
    np.testing.assert_allclose(stable, [0.0, 0.5, 1.0], atol=1e-8)
    assert len(eqs) == 5  # plus two unstable interior ones
