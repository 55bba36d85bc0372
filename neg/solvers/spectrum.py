"""The replicator's spectrum without a K x K matrix: payoff derivatives by differences of short
runs, the exact spectrum at the uniform state of a translation-invariant economy from its
Fourier modes, and the leading eigenvalues of any face by a Krylov method.

The replicator d lam_i/dt = lam_i (omega_i - omega_bar_g(i)) has the Jacobian
J_ij = lam_i (W_ij - sum_{k in g(i)} lam_k W_kj), with W_ij = d omega_i / d lam_j the payoff
Jacobian; its stability at an equilibrium is that of V^T J V, V an orthonormal basis of the
tangent space of the occupied face. Every route here touches W only through directional
derivatives W v (:func:`payoff_jacobian`: four warm-started short runs each):

* **Fourier** (:func:`circulant_modes`): at the uniform state of a one-group economy whose
  regions are all alike under the translations of a racetrack or a torus, W is (block-)circulant,
  W_ij = c(x_i - x_j) with x a cell's position on the ring or the rows x cols torus; its
  eigenvectors are the Fourier modes exp(2 pi i (p r / rows + q c / cols)) and its eigenvalues the
  discrete Fourier transform of c, the column W e_0 (one directional derivative; Akamatsu,
  Takayama & Ikeda 2012, sec. 3, on the racetrack; Ikeda, Akamatsu & Kono 2012 on the square
  lattice). The replicator's eigenvalues are fft(c)_(p, q) / K for every mode (p, q) != (0, 0).
* **Krylov** (:func:`krylov_face_spectrum`): the leading eigenvalues (largest real part) of
  V^T J V by the implicitly restarted Arnoldi method (ARPACK, ``scipy.sparse.linalg.eigs``) on
  products y -> V^T J V y, V applied through one Householder reflection per group
  (:class:`FaceCoordinates`): memory O(K), cost a few hundred short runs whatever K.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigs

from neg.results import ShortRun
from neg.solvers.fixed_point import SolverOptions, short_run, solve_short_run
from neg.state import StateSpace

__all__ = ["payoff_jacobian", "alike_regions", "circulant_modes", "FaceCoordinates",
           "krylov_face_spectrum", "DENSE_FACE_MAX"]

#: the largest face (occupied components less one per group) whose spectrum is computed densely,
#: from one directional derivative per dimension; larger faces take the Krylov route
DENSE_FACE_MAX = 256


def _derivative_options(model) -> SolverOptions:
    """Short runs for difference quotients, solved to 1e-15: the quotient divides their error by
    the step, so the short run's tolerance is the floor of the derivative's accuracy. Newton's
    method (warm-started, one or two steps) where the model has a Jacobian and K is small
    enough for dense linear algebra; Anderson otherwise."""
    newton = model.jacobian_kernel is not None and model.K <= 32
    return SolverOptions(tol=1e-15, max_iter=6 if newton else 300,  # stalls at round-off: stop
                         method="newton" if newton else "anderson")


def payoff_jacobian(model, lam, directions, sr: ShortRun | None = None, *, step=3e-3,
                    options: SolverOptions | None = None) -> np.ndarray:
    """Directional derivatives of the payoff, d omega / d lam . v, for each column v.

    Central differences of warm-started short runs with one Richardson extrapolation
    (error O(h^4)). The step is relative to the shares it moves: h = step * min over the moving
    components of lam_i / |v_i|, so every perturbed share changes by at most the fraction
    ``step`` of itself (on 256 regions a fixed step of 1e-3 would move shares of 1/256 by a
    quarter); directions that move no occupied share take h = step.
    """
    lam = np.asarray(lam, dtype=float)
    opts = options or _derivative_options(model)
    if sr is None:
        sr = short_run(model, lam, options=opts)
    V = np.atleast_2d(np.asarray(directions, dtype=float).T).T
    out = np.empty((lam.size, V.shape[1]))
    for k in range(V.shape[1]):
        v = V[:, k]
        moves = (v != 0) & (lam > 0)  # central differences step both ways: lam +- h v
        h = step * float(np.min(lam[moves] / np.abs(v[moves]))) if np.any(moves) else step

        def payoff_at(t, v=v):
            return solve_short_run(model, lam + t * v, sr.state, opts).payoff

        d1 = (payoff_at(h) - payoff_at(-h)) / (2 * h)
        d2 = (payoff_at(h / 2) - payoff_at(-h / 2)) / h
        out[:, k] = (4 * d2 - d1) / 3
    return out


# ---------------------------------------------------------------- Fourier modes
def alike_regions(model, lam) -> bool:
    """True at the uniform distribution of a one-group model with uniform fundamentals on a
    vertex-transitive geography (every region alike: a translation maps the economy onto
    itself)."""
    return (model.state_is_regions() and lam.size > 2 and bool(np.all(lam == lam[0]))
            and model.share_caps() is None and model.uniform_fundamentals
            and model.geography.vertex_transitive)


def translation_shape(geography) -> tuple[int, ...]:
    """The shape of the translation group that maps the regions onto themselves: (rows, cols)
    on a torus with both sides longer than 1, (K,) on a ring (the racetrack, a 1 x K torus, a
    circulant geography read from distances)."""
    L = geography.lattice
    if L is not None and L.rows > 1 and L.cols > 1:
        return (L.rows, L.cols)
    return (geography.K,)


class FourierModes:
    """The real Fourier modes of a ring or torus of ``shape``, numbered as the flattened
    transform without its constant mode: mode k (k = 1..K-1) is wave vector
    (p, q) = divmod(k, cols), the vector cos(2 pi (p r / rows + q c / cols)) over the cells
    (r, c) in row-major order. Built one at a time (never the K x K matrix of all of them)."""

    def __init__(self, shape: tuple[int, ...]):
        self.shape = tuple(shape)
        self.K = int(np.prod(self.shape))

    def __len__(self) -> int:
        return self.K - 1

    def wave(self, k: int) -> tuple[int, ...]:
        """The wave vector of mode k (k = 1..K-1)."""
        return tuple(int(i) for i in np.unravel_index(int(k), self.shape))

    def vector(self, k: int) -> np.ndarray:
        """Mode k as a vector over the K cells."""
        phase = np.zeros(self.shape)
        for axis, (n, p) in enumerate(zip(self.shape, self.wave(k), strict=True)):
            idx = [None] * len(self.shape)
            idx[axis] = slice(None)
            phase = phase + (p / n) * np.arange(n)[tuple(idx)]
        return np.cos(2.0 * np.pi * phase).reshape(-1)

    def matrix(self) -> np.ndarray:
        """All K - 1 modes as columns (K, K - 1): small K only."""
        return np.stack([self.vector(k) for k in range(1, self.K)], axis=1)


def circulant_modes(model, lam, sr) -> tuple[np.ndarray, FourierModes]:
    """Eigenvalues of the replicator at the uniform state of an economy whose regions are all
    alike (:func:`alike_regions`), one per Fourier mode k = 1..K-1, and the modes.

    The payoff Jacobian is then W_ij = c(x_i - x_j) (translations of the ring or torus), so its
    eigenvectors are the Fourier modes f_k (k != 0 span the simplex's tangent space,
    1^T f_k = 0) with eigenvalues the transform of c (``fft`` on a ring, ``fft2`` of c as a
    rows x cols array on a torus), and the replicator's Jacobian (1/K)(W - (1/K) 1 1^T W) has
    eigenvalues fft(c)_k / K (Akamatsu, Takayama & Ikeda 2012, sec. 3). One directional
    derivative, along e_0 - 1/K (the constant part only moves k = 0), gives c = W e_0: the
    spectrum costs four short runs instead of 4 (K - 1).
    """
    K = lam.size
    v = np.full(K, -1.0 / K)
    v[0] += 1.0
    c = payoff_jacobian(model, lam, v[:, None], sr)[:, 0]
    shape = translation_shape(model.geography)
    mu = (np.fft.fft(c) if len(shape) == 1 else np.fft.fft2(c.reshape(shape)).reshape(-1))[1:] / K
    if model.geography.symmetric:  # W is then symmetric too: a real spectrum (c(x) = c(-x))
        mu = mu.real.astype(complex)
    return mu, FourierModes(shape)


# ---------------------------------------------------------------- Krylov
class FaceCoordinates:
    """An orthonormal basis V (n, d) of the tangent space of a face (within each group: moves of
    the ``support`` components that keep the group's sum), applied without being stored.

    For a group with support S of m components, the Householder reflection
    H = I - 2 u u^T / u^T u, u = e_s - 1_S / sqrt(m) (s the last of S), maps e_s onto
    1_S / sqrt(m); so H e_j (j in S, j != s) are orthonormal and sum to zero over S. V y puts
    the group's coordinates on S minus s and reflects; V^T v reflects and reads them back.
    """

    def __init__(self, space: StateSpace, support: np.ndarray):
        self.n = space.n
        self.groups = []
        for g in range(space.G):
            S = np.flatnonzero(support & (space.gid == g))
            if S.size < 2:
                continue
            u = np.full(S.size, -1.0 / np.sqrt(S.size))
            u[-1] += 1.0
            self.groups.append((S, u, 2.0 / float(u @ u)))
        self.dim = sum(S.size - 1 for S, _, _ in self.groups)

    def to_state(self, y: np.ndarray) -> np.ndarray:
        """V y: a move of the state (n,)."""
        out = np.zeros(self.n, dtype=np.result_type(y, float))
        start = 0
        for S, u, c in self.groups:
            x = np.zeros(S.size, dtype=out.dtype)
            x[:-1] = y[start:start + S.size - 1]
            out[S] = x - c * (u @ x) * u
            start += S.size - 1
        return out

    def from_state(self, v: np.ndarray) -> np.ndarray:
        """V^T v: the coordinates of a move of the state."""
        parts = []
        for S, u, c in self.groups:
            x = v[S]
            parts.append((x - c * (u @ x) * u)[:-1])
        return np.concatenate(parts) if parts else np.zeros(0)


def replicator_product(model, lam, sr, space: StateSpace, occ: np.ndarray, x: np.ndarray) -> np.ndarray:
    """J x for a move x of the state (n,): lam_i (W x - sum_{k in g(i)} lam_k (W x)_k), with
    W x by differences of short runs and empty components left out (their payoff may be
    infinite)."""
    dW = payoff_jacobian(model, lam, x[:, None], sr)[:, 0]
    dW[~occ] = 0.0
    return lam * (dW - space.group_sums(lam * dW)[space.gid])


def krylov_face_spectrum(model, lam, sr, space: StateSpace, occ: np.ndarray, *,
                         n_eig: int = 6, tol: float = 1e-9):
    """The ``n_eig`` eigenvalues of largest real part of V^T J V on the face ``occ`` and the
    corresponding moves of the state (n, n_eig), by ARPACK's implicitly restarted Arnoldi
    method on products by differences (:func:`replicator_product`); never a matrix of the face's
    size. ``tol``: ARPACK's relative accuracy of the eigenvalues (the products are accurate to
    about 1e-11 relative, so asking for much less is pointless)."""
    face = FaceCoordinates(space, occ)
    d = face.dim
    k = max(1, min(int(n_eig), d - 2))

    def matvec(y):
        y = np.asarray(y).reshape(-1)
        if np.iscomplexobj(y):
            return matvec(y.real) + 1j * matvec(y.imag)
        return face.from_state(replicator_product(model, lam, sr, space, occ, face.to_state(y)))

    A = LinearOperator((d, d), matvec=matvec, dtype=float)
    v0 = np.cos(np.arange(d) * 0.7 + 0.3)  # fixed start: reproducible results
    try:
        val, vec = eigs(A, k=k, which="LR", tol=tol, v0=v0, maxiter=max(300, 10 * d))
    except ArpackNoConvergence as e:  # what converged (at least the leading ones, usually)
        val, vec = e.eigenvalues, e.eigenvectors
        if val.size == 0:
            raise RuntimeError("stability: the Krylov method found no eigenvalue of the face "
                               f"({d} dimensions)") from None
    order = np.argsort(-val.real)
    vecs = np.stack([face.to_state(vec[:, j]) for j in order], axis=1)
    return val[order], vecs
