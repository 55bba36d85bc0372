"""The replicator's spectrum on lattices without a K x K matrix (issue 13, item 3): at the uniform
state of a torus the exact spectrum from its 2-D Fourier modes (block-circulant payoff
Jacobian), and break points from it equal to those of the full Jacobian (K - 1 directional
derivatives) and to the closed form of the discounting matrix's eigenvalues."""

import numpy as np
import pytest
from scipy.optimize import brentq
from test_core_periphery import fkv_break_point
from test_fine_racetrack import discrete_break_point

import neg
from neg.solvers import long_run as long_run_module
from neg.solvers.spectrum import FourierModes, circulant_modes, payoff_jacobian, replicator_product

#: the scan grid of both routes (Brent's method refines)
GRID = np.concatenate([np.geomspace(1e-4, 0.01, 5), np.linspace(0.02, 0.98, 25)])


def torus_chi(phi, rows, cols, p, q, metric="manhattan"):
    """Eigenvalue of mode (p, q) of the torus's normalised discounting matrix Phi / (row sum)."""
    L = neg.Geography.torus(rows, cols, metric=metric).lattice
    w = phi ** L.offsets()
    r, c = np.arange(rows)[:, None], np.arange(cols)[None, :]
    return float(np.sum(w * np.cos(2 * np.pi * (p * r / rows + q * c / cols))) / w.sum())


def torus_break_point(phi_two, rows, cols, metric="manhattan"):
    """The first phi at which some mode's chi falls to the two-region threshold
    (1 - phi_B)/(1 + phi_B) (Akamatsu, Takayama & Ikeda 2012, on every mode of the torus)."""
    Z = (1 - phi_two) / (1 + phi_two)
    roots = []
    for p in range(rows):
        for q in range(cols):
            if (p, q) == (0, 0):
                continue
            f = lambda x, p=p, q=q: torus_chi(x, rows, cols, p, q, metric) - Z  # noqa: E731
            if f(1e-12) > 0 > f(1 - 1e-12):
                roots.append(brentq(f, 1e-12, 1 - 1e-12, xtol=1e-17, rtol=1e-15))
    return min(roots)


def dense_route(monkeypatch):
    """Make stability take the full Jacobian (K - 1 directional derivatives) at the uniform state."""
    monkeypatch.setattr(long_run_module, "_alike_regions", lambda model, lam: False)


def full_spectrum(m, lam, sr):
    V = long_run_module.StateSpace.of(m).tangent_basis(np.ones(m.K, dtype=bool))
    dW = payoff_jacobian(m, lam, V, sr)
    J = lam[:, None] * (dW - (lam @ dW)[None, :])
    return np.sort(np.linalg.eigvals(V.T @ J).real)


@pytest.mark.parametrize("metric", ["manhattan", "euclidean", "chessboard"])
@pytest.mark.parametrize("shape", [(3, 4), (4, 4)])
def test_torus_fourier_spectrum_equals_the_full_jacobian(shape, metric):
    """Every eigenvalue from fft2 of one column equals the full Jacobian's, and each mode is an
    eigenvector: J f = mu f (the 1-D transform of the row-major column would be wrong here)."""
    m = neg.CorePeriphery(5.0, 0.4, phi=0.3, geography=neg.Geography.torus(*shape, metric=metric))
    lam = m.symmetric_state()
    sr = neg.short_run(m, lam, tol=1e-14)
    mu, modes = circulant_modes(m, lam, sr)
    scale = np.abs(sr.payoff).max()
    np.testing.assert_allclose(np.sort(mu.real), full_spectrum(m, lam, sr), rtol=0, atol=1e-10 * scale)
    space = long_run_module.StateSpace.of(m)
    for k in (1, int(np.argmax(mu.real)) + 1, m.K - 1):
        f = modes.vector(k)
        Jf = replicator_product(m, lam, sr, space, lam > 0, f)
        np.testing.assert_allclose(Jf, mu[k - 1].real * f, rtol=0, atol=1e-10 * scale)


def test_fourier_modes_of_a_torus_are_its_wave_vectors():
    modes = FourierModes((3, 4))
    assert len(modes) == 11 and modes.wave(5) == (1, 1)
    r, c = np.divmod(np.arange(12), 4)
    np.testing.assert_allclose(modes.vector(5), np.cos(2 * np.pi * (r / 3 + c / 4)), atol=1e-15)
    assert modes.matrix().shape == (12, 11) and np.allclose(modes.matrix().sum(axis=0), 0)


@pytest.mark.parametrize("shape", [(3, 4), (4, 4)])
def test_torus_break_point_fourier_equals_dense_and_closed_form(shape, monkeypatch):
    """CP on a torus: the break point from the Fourier spectrum equals the full Jacobian's to
    1e-10 and the closed form of the discounting matrix's modes."""
    m = neg.CorePeriphery(5.0, 0.6, phi=0.5, geography=neg.Geography.torus(*shape))
    fourier = neg.break_point(m, grid=GRID)
    assert fourier == pytest.approx(torus_break_point(fkv_break_point(5.0, 0.6), *shape), rel=1e-10)
    dense_route(monkeypatch)
    assert neg.break_point(m, grid=GRID) == pytest.approx(fourier, rel=1e-10)


@pytest.mark.parametrize("model", ["Pflueger", "FootlooseEntrepreneur"])
def test_torus_break_point_of_other_models_fourier_equals_dense(model, monkeypatch):
    geo = neg.Geography.torus(3, 4, metric="euclidean")
    m = (neg.Pflueger(5.0, phi=0.5, geography=geo) if model == "Pflueger"
         else neg.FootlooseEntrepreneur(3.0, 0.6, phi=0.5, geography=geo))
    fourier = neg.break_point(m, grid=GRID)
    assert 1e-4 < fourier < 0.98
    dense_route(monkeypatch)
    assert neg.break_point(m, grid=GRID) == pytest.approx(fourier, rel=1e-10)


@pytest.mark.parametrize("K", range(4, 17))
def test_racetrack_break_points_unchanged(K, monkeypatch):
    """Racetracks of 4 ... 16 regions: the Fourier route still gives the full Jacobian's break
    point and the exact discrete value (a 1 x K torus is the same ring)."""
    m = neg.CorePeriphery(5.0, 0.6, phi=0.5, geography=neg.Geography.racetrack(K))
    fourier = neg.break_point(m, grid=GRID)
    assert fourier == pytest.approx(discrete_break_point(fkv_break_point(5.0, 0.6), K), rel=1e-10)
    ring = neg.CorePeriphery(5.0, 0.6, phi=0.5, geography=neg.Geography.torus(1, K))
    assert neg.break_point(ring, grid=GRID) == fourier
    dense_route(monkeypatch)
    assert neg.break_point(m, grid=GRID) == pytest.approx(fourier, rel=1e-10)
