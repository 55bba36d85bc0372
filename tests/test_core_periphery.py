"""Core-periphery model (FKV 1999, ch. 4-5) against closed forms and an independent solver."""

import warnings

import numpy as np
import pytest
from conftest import random_geography, random_simplex
from scipy.optimize import brentq, fsolve

import neg

SIGMA, MU = 5.0, 0.4


def fkv_break_point(sigma, mu):
    """FKV (1999) eq. 5.28 / Baldwin et al. (2003) ch. 2, in freeness form."""
    rho = (sigma - 1) / sigma
    return (rho - mu) * (1 - mu) / ((rho + mu) * (1 + mu))


def fkv_sustain_point(sigma, mu):
    """Root of phi^(mu sigma/(sigma-1)) [(1+mu)/2 phi + (1-mu)/(2 phi)] = 1 (FKV eq. 5.19)."""
    a = mu * sigma / (sigma - 1)
    return brentq(lambda p: p**a * ((1 + mu) / 2 * p + (1 - mu) / (2 * p)) - 1, 1e-9, 1 - 1e-12,
                  xtol=1e-16, rtol=1e-15)


def independent_wages(sigma, mu, D, phi, lam, farmers):
    """Slow reference: fsolve on w_i^sigma = sum_j Y_j G_j^(sigma-1) Phi_ij in plain numpy."""
    Phi = phi ** np.asarray(D)

    def residual(logw):
        w = np.exp(logw)
        G = (Phi.T @ (lam * w ** (1 - sigma))) ** (1 / (1 - sigma))
        Y = mu * lam * w + (1 - mu) * farmers
        return np.log(Phi @ (Y * G ** (sigma - 1))) / sigma - logw

    with warnings.catch_warnings():  # MINPACK notes when xtol is below attainable precision
        warnings.simplefilter("ignore", RuntimeWarning)
        logw = fsolve(residual, np.zeros(len(lam)), xtol=1e-14)
    w = np.exp(logw)
    G = (Phi.T @ (lam * w ** (1 - sigma))) ** (1 / (1 - sigma))
    return w, G, w * G ** (-mu)


@pytest.mark.parametrize("sigma, mu", [(5.0, 0.4), (4.0, 0.3), (6.0, 0.2), (3.0, 0.5)])
def test_two_region_break_and_sustain_match_closed_forms(sigma, mu):
    m = neg.CorePeriphery(sigma, mu, phi=0.5)
    assert neg.break_point(m) == pytest.approx(fkv_break_point(sigma, mu), abs=1e-10)
    assert neg.sustain_point(m) == pytest.approx(fkv_sustain_point(sigma, mu), abs=1e-10)
    # sustain comes before break (the tomahawk's hysteresis band)
    assert neg.sustain_point(m) < neg.break_point(m)


def racetrack_break_point(sigma, mu, K):
    """Akamatsu, Takayama & Ikeda (2012): mode k of the uniform state on a racetrack becomes
    unstable when the eigenvalue chi_k of the spatial discounting matrix D = Phi / (row sum)
    falls to Z_B = (1 - phi_B)/(1 + phi_B), phi_B the two-region break freeness."""
    pB = fkv_break_point(sigma, mu)
    ZB = (1 - pB) / (1 + pB)
    d = np.minimum(np.arange(K), K - np.arange(K))

    def chi(phi, k):
        w = phi**d
        return (w @ np.cos(2 * np.pi * k * np.arange(K) / K)) / w.sum()

    roots = []
    for k in range(1, K // 2 + 1):
        f = lambda p, k=k: chi(p, k) - ZB  # noqa: E731
        if f(1e-9) > 0 > f(1 - 1e-9):
            roots.append(brentq(f, 1e-9, 1 - 1e-9, xtol=1e-16, rtol=1e-15))
    return min(roots)


@pytest.mark.parametrize("K", [4, 8, 16])
def test_racetrack_break_point_from_spatial_discounting_eigenvalues(K):
    m = neg.CorePeriphery(SIGMA, MU, phi=0.5, geography=neg.Geography.racetrack(K))
    assert neg.break_point(m) == pytest.approx(racetrack_break_point(SIGMA, MU, K), abs=1e-9)


def test_black_hole_has_no_break_point():
    m = neg.CorePeriphery(2.0, 0.6, phi=0.5)  # mu >= (sigma-1)/sigma
    assert not m.no_black_hole
    with pytest.warns(neg.NoBifurcationWarning, match="black-hole"):
        assert np.isnan(neg.break_point(m))


def test_break_point_needs_symmetric_setting():
    m = neg.CorePeriphery(SIGMA, MU, phi=0.5, geography=random_geography(4, 1))
    with pytest.raises(ValueError, match="uniform distribution is not an equilibrium"):
        neg.break_point(m)


@pytest.mark.parametrize("seed", range(4))
def test_short_run_matches_independent_solver_on_random_geographies(seed):
    K = 6
    geo = random_geography(K, seed)
    farmers = random_simplex(K, seed + 100)
    lam = random_simplex(K, seed + 200)
    m = neg.CorePeriphery(SIGMA, MU, phi=0.6, geography=geo, farmers=farmers)
    sr = m.short_run(lam)
    assert sr.converged and sr.residual <= 1e-12
    w, G, omega = independent_wages(SIGMA, MU, geo.distance, 0.6, lam, farmers)
    np.testing.assert_allclose(sr.wage, w, rtol=1e-10)
    np.testing.assert_allclose(sr.price_index, G, rtol=1e-10)
    np.testing.assert_allclose(sr.real_wage, omega, rtol=1e-10)
    np.testing.assert_allclose(sr.income, MU * lam * w + (1 - MU) * farmers, rtol=1e-12)
    # Walras: income equals spending on the wage bill plus farm income (total = 1 in FKV units)
    assert sr.income.sum() == pytest.approx(MU * (lam * w).sum() + (1 - MU), rel=1e-12)


@pytest.mark.parametrize("method", ["anderson", "damped", "newton"])
def test_methods_agree(method):
    m = neg.CorePeriphery(SIGMA, MU, phi=0.4, geography=random_geography(5, 7))
    lam = random_simplex(5, 8)
    ref = m.short_run(lam)
    sr = m.short_run(lam, method=method, tol=1e-13)
    assert sr.converged and sr.method == method
    np.testing.assert_allclose(sr.wage, ref.wage, rtol=1e-11)


def test_non_convergence_is_reported():
    m = neg.CorePeriphery(SIGMA, MU, phi=0.4, geography=random_geography(5, 7))
    sr = m.short_run(random_simplex(5, 8), method="damped", max_iter=3)
    assert not sr.converged
    assert sr.iterations == 3
    assert sr.residual > 1e-12


def test_phi_and_T_are_the_same_model():
    a = neg.CorePeriphery(SIGMA, MU, phi=0.3)
    b = neg.CorePeriphery(SIGMA, MU, T=0.3 ** (1 / (1 - SIGMA)))
    assert a.T == pytest.approx(b.T, rel=1e-14) and a.phi == pytest.approx(b.phi, rel=1e-14)
    np.testing.assert_allclose(a.short_run([0.7, 0.3]).wage, b.short_run([0.7, 0.3]).wage, rtol=1e-13)
    c = a.replace(T=2.0)
    assert c.phi == pytest.approx(2.0 ** (1 - SIGMA)) and c.mu == MU


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(sigma=1.0, mu=0.4, phi=0.3), "sigma: must be > 1"),
        (dict(sigma=5.0, mu=1.2, phi=0.3), r"mu: must lie in the open interval \(0, 1\)"),
        (dict(sigma=5.0, mu=0.4, phi=1.5), r"phi: must lie in \(0, 1\]"),
        (dict(sigma=5.0, mu=0.4, T=0.5), "T: iceberg factor must be >= 1"),
        (dict(sigma=5.0, mu=0.4), "exactly one of phi"),
        (dict(sigma=5.0, mu=0.4, phi=0.3, T=2.0), "exactly one of phi"),
        (dict(sigma=5.0, mu=0.4, phi=0.3, farmers=[0.7, 0.7]), "farmers: shares must sum to 1"),
        (dict(sigma=5.0, mu=0.4, phi=0.3, farmers=[1.2, -0.2]), r"farmers: shares must lie in \[0, 1\]"),
    ],
)
def test_bad_parameters_name_the_parameter(kwargs, match):
    with pytest.raises(ValueError, match=match):
        neg.CorePeriphery(**kwargs)


def test_bad_lam(cp2):
    with pytest.raises(ValueError, match="lam"):
        cp2.short_run([0.5, 0.6])
    with pytest.raises(ValueError, match="lam"):
        cp2.short_run([1.0, 0.0, 0.0])


def test_symmetric_equilibrium_values():
    """At lam = 1/2 with two regions: w = 1, G^(1-s) = (1 + phi)/2 (FKV ch. 5)."""
    phi = 0.3
    sr = neg.CorePeriphery(SIGMA, MU, phi=phi).short_run([0.5, 0.5])
    np.testing.assert_allclose(sr.wage, 1.0, rtol=1e-13)
    np.testing.assert_allclose(sr.price_index, ((1 + phi) / 2) ** (1 / (1 - SIGMA)), rtol=1e-13)


def test_tomahawk_equilibria_two_regions():
    phiB, phiS = fkv_break_point(SIGMA, MU), fkv_sustain_point(SIGMA, MU)
    # between sustain and break: symmetric stable, both corners stable, unstable interior pair
    phi = 0.5 * (phiB + phiS)
    eqs = neg.equilibria(neg.CorePeriphery(SIGMA, MU, phi=phi))
    assert [e.stable for e in eqs] == [True, False, True, False, True]
    assert eqs[0].lam.tolist() == [1.0, 0.0] and eqs[2].lam == pytest.approx([0.5, 0.5], abs=1e-14)
    # the unstable interior equilibrium against an independent brentq on omega_1 - omega_2
    D = [[0, 1], [1, 0]]

    def diff(t):
        lam = np.array([t, 1 - t])
        return np.subtract(*independent_wages(SIGMA, MU, D, phi, lam, np.array([0.5, 0.5]))[2])

    t_star = brentq(diff, 0.51, 0.999, xtol=1e-15)
    assert eqs[1].lam[0] == pytest.approx(t_star, abs=1e-9)
    assert eqs[3].lam[0] == pytest.approx(1 - t_star, abs=1e-9)
    # below the sustain point only the symmetric equilibrium; above the break only the corners
    low = neg.equilibria(neg.CorePeriphery(SIGMA, MU, phi=0.5 * phiS))
    assert [e.lam.round(12).tolist() for e in low] == [[0.5, 0.5]]
    eqs = neg.equilibria(neg.CorePeriphery(SIGMA, MU, phi=0.5))
    assert [(e.lam.round(12).tolist(), e.stable) for e in eqs] == [
        ([1.0, 0.0], True), ([0.5, 0.5], False), ([0.0, 1.0], True)]


def test_stability_eigenvalue_sign_changes_at_break_point():
    phiB = fkv_break_point(SIGMA, MU)
    below = neg.long_run(neg.CorePeriphery(SIGMA, MU, phi=phiB * 0.99))
    above = neg.long_run(neg.CorePeriphery(SIGMA, MU, phi=phiB * 1.01))
    # close to the break the restoring force is weak: a payoff gap of 1e-10 leaves ~1e-8 in lam
    assert below.stable and below.lam == pytest.approx([0.5, 0.5], abs=1e-6)
    assert below.converged and below.residual <= 1e-10
    assert above.stable and sorted(above.lam.tolist()) == [0.0, 1.0]
    assert above.converged and above.residual <= 1e-10


def test_batch_equals_single_solves():
    m = neg.CorePeriphery(SIGMA, MU, phi=0.3)
    phis = np.linspace(0.05, 0.95, 7)
    lam = np.array([0.7, 0.3])
    batch = neg.short_run_batch(m, lam=lam, phi=phis)
    cold = neg.short_run_batch(m, lam=lam, phi=phis, warm=False)
    assert batch.wage.shape == (7, 2) and np.all(batch.converged)
    for i, p in enumerate(phis):
        single = m.replace(phi=p).short_run(lam)
        np.testing.assert_allclose(cold.real_wage[i], single.real_wage, rtol=1e-13)  # same iterates
        np.testing.assert_allclose(batch.real_wage[i], single.real_wage, rtol=1e-11)  # warm: to tol
    mixed = neg.short_run_batch(m, lam=lam, phi=phis, mu=np.linspace(0.2, 0.5, 7), warm=False)
    for i, p in enumerate(phis):
        single = m.replace(phi=p, mu=np.linspace(0.2, 0.5, 7)[i]).short_run(lam)
        np.testing.assert_allclose(mixed.wage[i], single.wage, rtol=1e-13)
    lams = np.stack([random_simplex(2, s) for s in range(5)])
    many = m.short_run(lams)
    for i in range(5):
        np.testing.assert_allclose(many.wage[i], m.short_run(lams[i]).wage, rtol=1e-11)


def test_no_warnings_on_regular_use(cp2):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cp2.short_run([0.2, 0.8])
        neg.long_run(cp2)
