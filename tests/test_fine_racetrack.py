"""Stability on fine racetracks (issue 15, part 1): at the uniform state of a racetrack the
replicator's spectrum comes from the Fourier modes (one difference quotient), the difference
steps are relative to the shares, and break points on 256 regions equal the exact discrete value
(Akamatsu, Takayama & Ikeda 2012: mode k breaks where the eigenvalue chi_k of the normalised
discounting matrix equals the two-region threshold (1 - phi_B)/(1 + phi_B))."""

import numpy as np
import pytest
from scipy.optimize import brentq
from test_core_periphery import fkv_break_point

import neg
from neg.solvers.long_run import payoff_jacobian, tangent_basis
from neg.solvers.spectrum import circulant_modes


def chi(phi, K, k):
    """Eigenvalue of mode k of the racetrack's normalised discounting matrix Phi / (row sum)."""
    d = np.minimum(np.arange(K), K - np.arange(K))
    w = phi**d
    return (w @ np.cos(2 * np.pi * k * np.arange(K) / K)) / w.sum()


def discrete_break_point(phi_two, K):
    """The first phi at which some mode's chi_k falls to the two-region threshold."""
    Z = (1 - phi_two) / (1 + phi_two)
    roots = [brentq(lambda p, k=k: chi(p, K, k) - Z, 1e-12, 1 - 1e-12, xtol=1e-17, rtol=1e-15)
             for k in range(1, K // 2 + 1) if chi(1e-12, K, k) > Z > chi(1 - 1e-12, K, k)]
    return min(roots)


def models(geo):
    return [neg.CorePeriphery(5.0, 0.6, phi=0.5, geography=geo),
            neg.Pflueger(5.0, phi=0.5, geography=geo),
            neg.FootlooseEntrepreneur(3.0, 0.6, phi=0.5, geography=geo)]


@pytest.mark.slow
@pytest.mark.parametrize("index", range(3), ids=["CorePeriphery", "Pflueger", "FootlooseEntrepreneur"])
def test_break_point_on_256_regions_is_the_exact_discrete_value(index):
    two = models(neg.Geography.two_region())[index]
    phi_two = fkv_break_point(5.0, 0.6) if index == 0 else neg.break_point(two)
    exact = discrete_break_point(phi_two, 256)
    assert neg.break_point(models(neg.Geography.racetrack(256))[index]) == pytest.approx(exact, rel=1e-10)


@pytest.mark.parametrize("K", [6, 12])
def test_fourier_spectrum_equals_the_full_jacobian(K):
    """The circulant shortcut and the K-1 directional derivatives give the same spectrum."""
    m = neg.CorePeriphery(5.0, 0.4, phi=0.3, geography=neg.Geography.racetrack(K))
    lam = np.full(K, 1.0 / K)
    sr = neg.short_run(m, lam, tol=1e-14)
    fourier = np.sort(circulant_modes(m, lam, sr)[0].real)
    V = tangent_basis(K)
    dW = payoff_jacobian(m, lam, V, sr)
    J = lam[:, None] * (dW - (lam @ dW)[None, :])
    full = np.sort(np.linalg.eigvals(V.T @ J).real)
    np.testing.assert_allclose(fourier, full, atol=1e-10 * np.abs(sr.payoff).max())
    stable, eig = neg.stability(m, lam)
    assert stable == bool(np.all(full < 0)) and eig.size == K - 1


def test_leading_eigenvalue_vanishes_at_the_exact_break_point():
    """On 128 regions, at the exact discrete break point the leading eigenvalue is zero to 1e-10
    (relative to the payoff): the steps scaled to the shares (1/128 each) keep it exact."""
    K = 128
    exact = discrete_break_point(fkv_break_point(5.0, 0.6), K)
    m = neg.CorePeriphery(5.0, 0.6, phi=exact, geography=neg.Geography.racetrack(K))
    lam = m.symmetric_state()
    _, eig = neg.stability(m, lam)
    assert abs(np.max(eig.real)) <= 1e-10 * np.abs(neg.short_run(m, lam).payoff).max()


def _reflection_symmetric_starts(K, n, seed=0):
    """Starts with lam_i = lam_(K-i) exactly: the replicator keeps that symmetry."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        x = rng.uniform(0.5, 1.5, K // 2 + 1)
        lam = np.concatenate([x, x[1:-1][::-1]])
        yield lam / lam.sum()


RING = neg.Geography.racetrack(12)


@pytest.mark.parametrize("model", [neg.CorePeriphery(5.0, 0.4, phi=0.5, geography=RING),
                                   neg.FootlooseEntrepreneur(3.0, 0.6, phi=0.7, geography=RING)],
                         ids=["CorePeriphery", "FootlooseEntrepreneur"])
def test_long_run_never_ends_at_a_saddle(model):
    """From exactly reflection-symmetric starts the dynamics can reach two-city saddles (before
    this fix: 3 of 8 CP and 5 of 8 FE runs ended there with converged=True); long_run leaves
    them along the unstable mode and ends at a stable state; stable=False only with
    converged=False."""
    for lam0 in _reflection_symmetric_starts(12, 8):
        eq = neg.long_run(model, lam0=lam0)
        assert eq.converged and eq.stable, (lam0, eq.lam, eq.eigenvalues)
        assert np.max(eq.eigenvalues.real) < 0


@pytest.mark.slow
@pytest.mark.parametrize("sigma", [2.7, 2.2])
def test_long_run_ends_where_the_replicator_path_ends(sigma):
    """Footloose entrepreneurs on 63 regions from a seeded +-1% perturbation of the uniform
    state form 8 or 9 cities: long_run (Heun steps, path_tol 0.2) ends at the cities a long explicit simulate
    run reaches, positions identical and masses within 2e-3 (with the former exponential-Euler
    steps one city sat one cell off at both sigmas)."""
    K = 63
    model = neg.FootlooseEntrepreneur(sigma, 0.4, phi=0.9 ** (255 / K), geography=neg.Geography.racetrack(K))
    rng = np.random.default_rng(int(sigma * 10))
    lam0 = np.full(K, 1.0 / K) * (1 + 0.01 * rng.uniform(-1, 1, K))
    lam0 /= lam0.sum()
    eq = neg.long_run(model, lam0=lam0)
    end = neg.simulate(model, {}, lam0=lam0, t_end=4000.0, steps=20000).lam.isel(time=-1).values
    assert eq.converged and eq.stable
    np.testing.assert_array_equal(np.flatnonzero(eq.lam > 1e-2), np.flatnonzero(end > 1e-2))
    assert np.flatnonzero(eq.lam > 1e-2).size >= 8
    np.testing.assert_allclose(eq.lam, end, atol=2e-3)


@pytest.mark.slow
def test_long_run_on_255_regions_ends_where_simulate_ends():
    """The issue's case: footloose entrepreneurs (sigma 1.7) on 255 regions from a seeded +-1%
    start form 5 cities; long_run ends at simulate's (Heun steps at path_tol 0.5 put one a cell
    off: path_tol 0.2 is the default)."""
    K = 255
    model = neg.FootlooseEntrepreneur(1.7, 0.4, phi=0.9, geography=neg.Geography.racetrack(K))
    lam0 = np.full(K, 1.0 / K) * (1 + 0.01 * np.random.default_rng(17).uniform(-1, 1, K))
    lam0 /= lam0.sum()
    eq = neg.long_run(model, lam0=lam0)
    end = neg.simulate(model, {}, lam0=lam0, t_end=3000.0, steps=15000).lam.isel(time=-1).values
    cities = np.flatnonzero(end > 1e-2)
    assert cities.size == 5
    np.testing.assert_array_equal(np.flatnonzero(eq.lam > 1e-2), cities)
    np.testing.assert_allclose(eq.lam, end, atol=1e-4)  # simulate: explicit steps of 0.2
