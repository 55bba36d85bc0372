"""Equilibria on one face of the simplex, for pseudo-arclength continuation
(:func:`neg.bifurcation_diagram`; Keller 1977; Allgower & Georg 2003, ch. 2).

On the face S (the occupied regions) equilibria solve G(y, p) = (omega_i - omega_last)_{i in S}
= 0, with y the shares of all but the last region of S (per group of the state), in scaled
coordinates u = (y, q), q = (p - lo)/(hi - lo). Jacobians are central differences of
warm-started short runs; the corrector is Newton's method (chord) on [G(u) = 0,
t.(u - u_pred) = 0].
"""

from __future__ import annotations

import numpy as np

from neg.solvers.fixed_point import SolverOptions, solve_short_run
from neg.solvers.long_run import stability
from neg.state import StateSpace

TIGHT = SolverOptions(tol=1e-13, max_iter=1000)


class Lost(Exception):
    """A branch cannot be followed further; the message says what neg was doing."""



class Face:
    """Equilibrium conditions on the face S of the simplex, in scaled coordinates u = (y, q),
    y = shares of S[:-1], q = (p - lo)/(hi - lo)."""

    def __init__(self, model, param, support, lo, hi):
        self.model, self.param, self.S = model, param, np.asarray(support, dtype=int)
        self.space = StateSpace.of(model)
        self.lo, self.hi, self.n = lo, hi, self.space.n
        mask = np.zeros(self.n, dtype=bool)
        mask[self.S] = True
        _, self.rows, self.lasts = self.space.free_basis(mask)
        self.singles = np.array([g for g in range(self.space.G)
                                 if np.count_nonzero(mask & (self.space.gid == g)) == 1], dtype=int)
        self.single_idx = np.array([int(np.flatnonzero(mask & (self.space.gid == g))[0])
                                    for g in self.singles], dtype=int)
        self.x = None
        self.scale = None
        self._models = {}

    def p(self, u):
        return self.lo + u[-1] * (self.hi - self.lo)

    def lam(self, u):
        lam = np.zeros(self.n)
        y = u[:-1]
        lam[self.rows] = y
        if self.rows.size:
            sums = np.bincount(self.space.gid[self.rows], weights=y, minlength=self.space.G)
            last = np.unique(self.lasts)
            lam[last] = 1.0 - sums[self.space.gid[last]]
        lam[self.single_idx] = 1.0
        return lam

    def u_of(self, lam, p):
        return np.append(np.asarray(lam)[self.rows], (p - self.lo) / (self.hi - self.lo))

    def model_at(self, p):
        """The model at parameter value p (cached: rebuilding the freeness matrix is costly)."""
        m = self._models.get(p)
        if m is None:
            if len(self._models) > 64:
                self._models.clear()
            m = self._models[p] = self.model.with_param(self.param, p)
        return m

    def solve(self, u):
        m = self.model_at(self.p(u))
        sr = solve_short_run(m, self.lam(u), self.x, TIGHT)
        if np.all(np.isfinite(sr.state)):
            self.x = sr.state
        if self.scale is None:
            self.scale = max(float(np.max(np.abs(sr.payoff))), 1e-300)
        return m, sr

    def G(self, u):
        try:
            _, sr = self.solve(u)
        except ValueError:  # the step left the parameter's valid range
            return np.full(self.rows.size, np.nan)
        w = sr.payoff
        return (w[self.rows] - w[self.lasts]) / self.scale

    def jacobian(self, u, h=1e-6):
        J = np.empty((self.rows.size, u.size))
        for k in range(u.size):
            e = np.zeros(u.size)
            e[k] = h
            J[:, k] = (self.G(u + e) - self.G(u - e)) / (2 * h)
        return J


def checked_jacobian(face, u, what: str):
    """The Jacobian of G at u; raises Lost, saying ``what`` neg was doing, where it is not
    finite (the equilibrium conditions cannot be solved next to u)."""
    J = face.jacobian(u)
    if not np.all(np.isfinite(J)):
        raise Lost(f"{what} on the face of regions {face.S.tolist()} at {face.param}="
                    f"{face.p(u):.6g}: the equilibrium conditions cannot be solved next to it")
    return J


def branch_tangent(face, u, what: str, prev=None):
    """The unit tangent of the branch through u (null vector of the Jacobian of G)."""
    return null_vector(checked_jacobian(face, u, what), prev)


def null_vector(J, prev=None):
    """Unit null vector of the (n-1) x n Jacobian J: the branch's tangent, oriented along prev."""
    _, _, vt = np.linalg.svd(J)
    t = vt[-1]
    if prev is not None and t @ prev < 0:
        t = -t
    return t / np.linalg.norm(t)


def correct(face, u_pred, t, J=None, tol=1e-12, max_iter=15):
    """Newton (chord) on [G(u) = 0, t.(u - u_pred) = 0]. Returns u or None."""
    u = u_pred.copy()
    for it in range(max_iter):
        g = face.G(u)
        if not np.all(np.isfinite(g)):
            return None
        r = np.append(g, t @ (u - u_pred))
        if np.max(np.abs(r)) <= tol:
            return u
        if J is None or it == 4:
            J = face.jacobian(u)
        A = np.vstack([J, t])
        try:
            du = np.linalg.solve(A, -r)
        except np.linalg.LinAlgError:
            return None
        u = u + du
        if np.max(np.abs(du)) < 1e-15:
            return u
    return None


def point_data(face, u):
    """(lam, p, face eigenvalues (real parts, sorted desc), corner payoff excess (empty regions))."""
    m, sr = face.solve(u)
    lam = face.lam(u)
    n_face = face.rows.size
    if np.any(lam < 0):
        lam_ok = np.clip(lam, 0, None)
        lam_ok /= lam_ok.sum()
    _, eig = stability(m, lam, sr) if np.all(lam >= 0) else (False, np.full(n_face, np.nan))
    eig = np.asarray(eig)
    face_eig = eig[:n_face]
    empty = np.setdiff1d(np.arange(face.n), face.S)
    excess = face.space.deviation(lam, sr.payoff)[empty] / face.scale
    return lam, face.p(u), face_eig, excess, empty


def leading(face_eig, index):
    """The real part of the (index+1)-th largest face eigenvalue (-inf if there are fewer)."""
    re = np.sort(np.real(face_eig))[::-1]
    return re[index] if index < re.size else -np.inf


def count_pos(eig, zero=1e-9):
    """Eigenvalues with real part above round-off (the FD eigenvalues carry ~1e-11 noise)."""
    return int(np.sum(np.real(eig) > zero))


def orthonormal(rows, tol=1e-8):
    """An orthonormal basis of the span of ``rows``."""
    if rows.size == 0:
        return rows
    u, s, vt = np.linalg.svd(rows, full_matrices=False)
    return vt[s > tol * max(s[0], 1e-300)]
