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
from neg import operators
from neg.solvers import long_run as long_run_module
from neg.solvers import spectrum
from neg.solvers.spectrum import (
    FaceCoordinates,
    FourierModes,
    circulant_modes,
    krylov_face_spectrum,
    payoff_jacobian,
    replicator_product,
)

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


# ---------------------------------------------------------------- Krylov: no dense face matrices
def test_krylov_leading_eigenvalues_equal_the_dense_face_spectrum():
    """At an equilibrium with 13 occupied cells of a 5 x 5 grid, the six eigenvalues of largest
    real part from Arnoldi's method on Jacobian-vector products equal the dense face spectrum's
    (12 directional derivatives) to 1e-9 of the payoff, and the leading move is its eigenvector."""
    m = neg.CorePeriphery(5.0, 0.4, phi=0.05, geography=neg.Geography.grid(5, 5))
    eq = neg.long_run(m)
    occ = eq.lam > 0
    assert eq.converged and eq.stable and occ.sum() == 13
    space = long_run_module.StateSpace.of(m)
    sr = neg.short_run(m, eq.lam, tol=1e-14, max_iter=500)
    dense, _ = long_run_module._face_spectrum(m, eq.lam, sr, space, occ)
    assert dense.size == 12
    krylov, moves = krylov_face_spectrum(m, eq.lam, sr, space, occ)
    scale = np.abs(sr.payoff).max()
    np.testing.assert_allclose(np.sort(krylov.real)[::-1], np.sort(dense.real)[::-1][:6], rtol=0,
                               atol=1e-9 * scale)
    v = moves[:, 0].real
    assert abs(v.sum()) < 1e-12 and np.all(v[~occ] == 0)
    Jv = replicator_product(m, eq.lam, sr, space, occ, v)
    np.testing.assert_allclose(Jv, krylov[0].real * v, rtol=0, atol=1e-9 * scale * np.abs(v).max())


def test_face_coordinates_are_an_orthonormal_basis_of_the_face():
    space = long_run_module.StateSpace((4, 5))
    support = np.array([1, 0, 1, 1, 1, 1, 0, 0, 1], dtype=bool)
    face = FaceCoordinates(space, support)
    V = np.stack([face.to_state(e) for e in np.eye(face.dim)], axis=1)
    assert face.dim == 4
    np.testing.assert_allclose(V.T @ V, np.eye(4), atol=1e-15)
    np.testing.assert_allclose(space.group_sums(V[:, 0]), 0, atol=1e-15)
    assert np.all(V[~support] == 0)
    x = np.arange(9.0)
    np.testing.assert_allclose(face.from_state(x), V.T @ x, atol=1e-13)


def test_long_run_and_stability_on_a_lattice_without_dense_matrices(monkeypatch):
    """With every dense route made to raise (the distance matrix refused above 64 regions, no
    dense basis of a face of more than 8 dimensions: Krylov above that), the long run on a
    12 x 12 torus with the structured operator reaches the equilibrium of the dense run, and
    stability agrees with the dense spectrum's leading eigenvalue to 1e-9 of the payoff."""
    phi = 0.1  # 19 cities: a face of 18 dimensions
    dense_geo = neg.Geography.torus(12, 12, operator="dense")
    ref = neg.long_run(neg.CorePeriphery(5.0, 0.4, phi=phi, geography=dense_geo))
    assert ref.converged and ref.stable and np.sum(ref.lam > 0) == 19

    narrow = long_run_module.StateSpace.tangent_basis

    def refuse(space, support):  # a basis of more than 8 columns: a dense face
        assert support.sum() <= 9, "a dense basis of a large face was built"
        return narrow(space, support)

    monkeypatch.setattr(operators, "MAX_DENSE_REGIONS", 64)
    monkeypatch.setattr(spectrum, "DENSE_FACE_MAX", 8)
    monkeypatch.setattr(long_run_module.StateSpace, "tangent_basis", refuse)
    calls = []
    monkeypatch.setattr(long_run_module, "krylov_face_spectrum",
                        lambda *a, **k: calls.append(1) or krylov_face_spectrum(*a, **k))
    geo = neg.Geography.torus(12, 12, operator="structured")
    with pytest.raises(ValueError, match="exceeds the limit of 64"):
        geo.distance  # noqa: B018
    m = neg.CorePeriphery(5.0, 0.4, phi=phi, geography=geo)
    eq = neg.long_run(m)
    assert eq.converged and eq.stable and calls
    np.testing.assert_allclose(eq.lam, ref.lam, atol=1e-8)
    scale = np.abs(eq.payoff).max()
    assert np.max(eq.eigenvalues.real) == pytest.approx(np.max(ref.eigenvalues.real), abs=1e-9 * scale)
    stable, eig = neg.stability(m, m.symmetric_state())  # the uniform state: Fourier, exact, all modes
    assert not stable and eig.size == 143
