"""Matrix scaling: the a > 0 with a * Phi (cols / Phi^T a) = rows, the market-clearing form of
gravity models that :func:`neg.calibration.calibrate` inverts for productivities.

Generic: it knows a freeness operator (``dot``, ``tdot``, ``matrix``, ``matrix32``,
``symmetric``, ``lattice``) and two margins, nothing of a model. The symmetric case (a symmetric
Phi, equal margins) is solved by Newton steps of a low-rank (Nystrom) model of Phi with
Anderson acceleration, in mixed precision (:func:`_symmetric_scaling`); any other case by the
Anderson-accelerated two-sided map. docs/calibration.md writes the method out.

The dense linear algebra here is numpy's only, never scipy's: numpy and scipy each bundle an
OpenBLAS with its own thread pool, whose threads spin for a while after each call, and
alternating between the two pools makes each threaded call wait for the other pool's threads
(measured on a 2-core machine: with scipy's r x r Cholesky solves, the inversion took 24-35 ms
with two BLAS threads instead of 7-11 ms; docs/calibration.md#speed).
"""

from __future__ import annotations

import weakref
from itertools import pairwise

import numpy as np

__all__ = ["scale_to_margins", "geomean_one"]


def geomean_one(x: np.ndarray) -> np.ndarray:
    """x scaled to geometric mean 1."""
    return x / np.exp(np.mean(np.log(x)))


def _anderson(step, u, tol, max_iter, memory, slack=None):
    """Anderson-accelerated fixed point of ``u -> step(u)`` (returns (u, residual, iterations));
    ``step`` returns (next iterate, residual vector). The residual is max |r| (plus ``slack()``,
    a bound on the error of r, if given). Stops early (residual inf) on a non-finite residual."""
    G, R = [], []
    res = np.inf
    for it in range(1, max_iter + 1):
        g, r = step(u)
        res = float(np.max(np.abs(r))) + (0.0 if slack is None else slack())
        if res <= tol:
            return u, res, it
        if not np.isfinite(res):
            return u, np.inf, it
        G.append(g)
        R.append(r)
        if len(R) > memory + 1:
            G.pop(0)
            R.pop(0)
        if len(R) > 1:
            dR = np.diff(np.array(R), axis=0).T
            dG = np.diff(np.array(G), axis=0).T
            gram = dR.T @ dR
            gamma = np.linalg.solve(gram + 1e-14 * np.trace(gram) * np.eye(len(gram)), dR.T @ r)
            u = g - dG @ gamma
        else:
            u = g
    return u, res, max_iter


def _low_rank(M: np.ndarray, rank: int) -> tuple[np.ndarray, np.ndarray]:
    """(G, rest): M ~ G^T G + diag(rest), the Nystrom model of a symmetric freeness matrix on
    ``rank`` landmark regions (Williams & Seeger 2001; Harbrecht, Peters & Schneider 2012,
    *Appl. Numer. Math.* 62, for the pivoting). Landmarks are chosen greedily, each the region
    least connected to those chosen (the smallest max_l Phi_lj: farthest-point sampling in
    freeness), so G^T G captures the smooth part of distance decay, which carries M's leading
    eigenvectors; with C the landmarks' rows and W = L L^T their block, G = L^-1 C (one
    Cholesky in float64 and one product in M's precision; :func:`_nystrom` keeps G in float32,
    which is enough for a preconditioner); ``rest`` = diag(M) - diag(G^T G) >= 0 (float64) keeps the
    diagonal exact. Reads ``rank`` rows of M, O(K rank^2) by BLAS; exact when rank reaches K.
    A block that is not positive definite gives the empty model (G with no rows)."""
    K = M.shape[0]
    if rank >= K:
        idx = np.arange(K)
    else:
        idx = np.empty(rank, dtype=np.int64)
        near, i = np.zeros(K, dtype=M.dtype), 0
        for k in range(rank):
            idx[k] = i
            np.maximum(near, M[i], out=near)
            i = int(np.argmin(near))
    C = M[idx]
    W = np.asarray(C[:, idx], dtype=np.float64)
    diag = np.asarray(np.diag(M), dtype=np.float64)
    try:
        L = np.linalg.cholesky(W + 1e-12 * np.trace(W) / len(idx) * np.eye(len(idx)))
    except np.linalg.LinAlgError:
        return np.zeros((0, K), dtype=M.dtype), diag
    Linv = np.linalg.inv(L)
    G = Linv.astype(M.dtype) @ C  # a product, not a triangular solve with K right-hand sides: faster
    return G, np.maximum(diag - np.einsum("ij,ij->j", G, G).astype(np.float64), 0.0)


#: what is kept per operator while it lives: how many inversions it has had, its Nystrom models
#: by rank and its lower-triangle panels by dtype (its symmetry and the full float32 copy of the
#: two-sided map are kept on the operator itself)
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _kept(op) -> dict:
    return _PREPARED.setdefault(op, {"inversions": 0})


def _nystrom(op, rank: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_low_rank` of ``op.matrix`` at ``rank``, G in float32 (a preconditioner needs no
    more), made once per operator and rank."""
    kept = _kept(op)
    if rank not in kept:
        G, rest = _low_rank(op.matrix, rank)
        kept[rank] = (G.astype(np.float32), rest)
    return kept[rank]


def _second_inversion(op) -> bool:
    """Counts an inversion of ``op``; True from its second on. Float32 copies are made then, not
    at the first: a copy is a new array (at K = 3,000: 7 ms for the full K x K copy when the
    allocator reuses memory, 20-80 ms when the pages are new to the process) and saves half or
    more of each early product: it pays for an operator inverted again (bootstraps, several
    years of data, a calibrated counterfactual), not for one inverted once."""
    kept = _kept(op)
    kept["inversions"] += 1
    return kept["inversions"] > 1


class _LowerPanels:
    """Products with a symmetric K x K matrix M that read its lower triangle only. By blocks of
    about ``block`` rows, the panel P = M[a:b, :b] gives rows a:b of the product (P x[:b]) and,
    through its part left of the diagonal, its share of the rows above (x[a:b] P[:, :a], read
    the second time from cache). In float64 the panels are views of M (no copy); in float32 a
    copy (5/8 of the full float32 copy's bytes at four blocks). Sums in the panels' precision,
    like a matrix-vector product (errors of the same size); returns float64. At K = 3,000 the
    float32 panels (22.5 MB) stay in a 32 MB L3 cache between products: the inversion of the
    benchmark (docs/calibration.md#speed) took 6.6 ms with the full float32 copy and full
    float64 products, 5.4 ms with panels in both precisions (medians, same process)."""

    def __init__(self, M: np.ndarray, dtype: type, block: int = 750):
        K = M.shape[0]
        edges = np.linspace(0, K, max(1, round(K / block)) + 1).astype(np.int64)
        self.dtype = dtype
        self.panels = [(a, b, M[a:b, :b].astype(dtype, copy=False)) for a, b in pairwise(edges)]

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        x = x.astype(self.dtype, copy=False)
        y = np.empty_like(x)
        for a, b, P in self.panels:
            y[a:b] = P @ x[:b]
            if a:
                y[:a] += x[a:b] @ P[:, :a]
        return y.astype(np.float64, copy=False)


def _lower_panels(op, dtype: type) -> _LowerPanels:
    """:class:`_LowerPanels` of ``op.matrix`` in ``dtype``, made once per operator."""
    kept = _kept(op)
    if dtype not in kept:
        kept[dtype] = _LowerPanels(op.matrix, dtype)
    return kept[dtype]


class _NewtonStep:
    """Solves (I + S^-1 (G^T G + diag(rest)) D) x = F, D = diag(d), S = diag(s): the Jacobian
    of u -> u + log(Phi e^u) with Phi replaced by its low-rank model, by the Sherman-Morrison-
    Woodbury formula: :meth:`factor` at (d, s) costs O(K r^2) (an r x r inverse), :meth:`solve`
    O(K r). The products with G are in G's precision (float32, :func:`_nystrom`), the rest in
    float64."""

    def __init__(self, G: np.ndarray, rest: np.ndarray):
        self.G, self.rest = G, rest

    def factor(self, d: np.ndarray, s: np.ndarray) -> None:
        self.d, self.e = d, 1.0 + self.rest * d / s
        self.se = s * self.e
        H = self.G * np.sqrt(d / self.se).astype(self.G.dtype)
        small = np.asarray(H @ H.T, dtype=np.float64)  # (syrk would do half the work, but is slower threaded)
        small.flat[:: len(small) + 1] += 1.0  # >= I: its inverse is well conditioned
        self.inv = np.linalg.inv(small)

    def solve(self, F: np.ndarray) -> np.ndarray:
        Fe = F / self.e
        z = self.inv @ (self.G @ (self.d * Fe).astype(self.G.dtype))
        return Fe - (self.G.T @ z.astype(self.G.dtype)) / self.se


#: single-precision residuals are used until their max is below this (their error is ~1e-6)
_SINGLE_TOL = 1e-4


def _symmetric_scaling(op, log_rows, tol, max_iter, memory, rank, u0, counts=None):
    """u with u + log(Phi e^u) = log rows (Phi symmetric): preconditioned Newton-Anderson in
    mixed precision.

    Phi ~ G^T G + diag(rest) (:func:`_nystrom`, G in float32, rank r = min(rank, sqrt(2 K)):
    at K = 3,000, r = 77 needs as many products as 94 or 110 and 60-70 one more). Without a
    start, the equations with this model in place of Phi are solved first (no product with
    Phi), from u = (log rows - log(model row sums)) / 2: Richardson steps of 2/3 while max |F|
    > 0.05, then Newton steps to 1e-5, the Jacobian factored once (again only if a step
    gains less than 4x); from there each iteration takes one product with Phi for the residual
    F and the model's Newton step, u <- u - J_r^-1 F (J_r as last factored, and kept: the
    contraction hardly depends on where it was factored once max |F| < 0.1), accelerated by
    Anderson. The error contracts by about the part of the Jacobian the model misses (Phi's
    eigenvalues beyond the r-th, relative to its row sums): about 1e-2 per iteration for
    distance decay on a map (K = 3,000), against 0.17 for the plain step of 2/3.

    Products: from Phi's lower triangle by panels (:class:`_LowerPanels`; in float64 views of
    Phi). Precision: an operator's first inversion takes float64 products throughout
    (:func:`_second_inversion`). From its second on, mixed-precision iterative refinement (e.g.
    Higham 2002, *Accuracy and Stability of Numerical Algorithms*, ch. 12): while max |F| >
    1e-4 the products are with float32 panels (a copy, kept per operator; relative error about
    1e-6). Then one float64 product s = Phi d gives the exact residual, and each later product
    is an update s <- s + Phi (d_new - d) with the float32 panels, whose error is relative to
    the change of d:
    at most eps max |d_new/d - 1| relative in s, eps = sqrt(K) u32 (the probabilistic bound of
    Higham & Mary 2019, *SIAM J. Sci. Comput.* 41, for an inner product of length K; measured
    at K = 3,000: a fifth of it for a product, a fortieth for an update). These bounds are
    summed, added to the residual it reports and compared with ``tol``; when they would pass
    tol / 2 the product is made in float64 instead. Returns
    (u, residual, iterations = products with Phi); ``counts`` (a dict) receives the numbers of
    float32 and float64 products ("single", "double")."""
    K = log_rows.size
    M32 = _lower_panels(op, np.float32) if _second_inversion(op) else None
    dot = op.dot if op.lattice is not None else _lower_panels(op, np.float64).__matmul__
    G, rest = _nystrom(op, min(rank, K, int(np.sqrt(2.0 * K))))
    newton = _NewtonStep(G, rest)
    factored = False
    u = u0
    if u is None:
        with np.errstate(invalid="ignore", divide="ignore"):  # a model row sum <= 0: start at 1/2 log rows
            u = 0.5 * (log_rows - np.nan_to_num(np.log((G.T @ G.sum(axis=1)).astype(np.float64) + rest)))
        last = np.inf
        for _ in range(50):
            d = np.exp(u)
            s = (G.T @ (G @ d.astype(G.dtype))).astype(np.float64) + rest * d
            F = u + np.log(s) - log_rows
            res = np.max(np.abs(F))
            if not res > 1e-5:  # close enough, or the model is not positive here
                break
            if res > 0.05 and not factored:  # far off: Richardson steps (no factorisation)
                u = u - (2.0 / 3.0) * F
                continue
            if not factored or res > 0.25 * last:  # Newton; near the solution the chord suffices
                newton.factor(d, s)
                factored = True
            last = res
            u = u - newton.solve(F)
        if not np.all(np.isfinite(u)):
            u, factored = 0.5 * log_rows, False
    n = {"single": 0, "double": 0}
    last = {}

    def newton_step(u, d, s):
        """The model's Newton step from u, given d = e^u and s = Phi d: (next u, residual F)."""
        nonlocal factored
        F = u + np.log(s) - log_rows
        if not factored:
            newton.factor(d, s)
            factored = True
        return u - newton.solve(F), F

    def single(u):
        d = np.exp(u)
        s = M32 @ d
        n["single"] += 1
        last["g"], F = newton_step(u, d, s)
        return last["g"], F
    res, it = 1.0, 0
    if M32 is not None:
        u1, res, it = _anderson(single, u, _SINGLE_TOL, max_iter, memory)
        u = last["g"] if res <= _SINGLE_TOL else u1  # below: continue from the step this residual gives
    eps = np.sqrt(K) * 2.0 ** -24
    acc = {"d": None, "s": None, "err": 0.0}

    def double(u):
        d = np.exp(u)
        more = np.inf if M32 is None or acc["d"] is None else eps * float(np.max(np.abs(d / acc["d"] - 1.0)))
        if acc["err"] + more <= 0.5 * tol:
            s = acc["s"] + M32 @ (d - acc["d"])
            acc["err"] += more
            n["single"] += 1
        else:
            s = dot(d)
            acc["err"] = 0.0
            n["double"] += 1
        acc["d"], acc["s"] = d, s
        return newton_step(u, d, s)
    if np.isfinite(res):
        u, res, it2 = _anderson(double, u, tol, max_iter - it, memory, slack=lambda: acc["err"])
        it += it2
    if counts is not None:
        counts.update(n)
    return u, res, it


def scale_to_margins(op, rows: np.ndarray, cols: np.ndarray | None = None, *, tol: float = 1e-11,
                     max_iter: int = 500, memory: int = 8, rank: int = 100,
                     start: np.ndarray | None = None,
                     counts: dict | None = None) -> tuple[np.ndarray, float, int]:
    """The a > 0 (geometric mean 1) with a_i (Phi (cols / Phi^T a))_i = rows_i for every i.

    The market-clearing form of gravity models (Allen & Arkolakis 2014, eq. 11; ARSW 2015,
    eq. 29 with observed wages): diag(a) Phi diag(cols / Phi^T a) has row sums ``rows`` and
    column sums ``cols`` (default: ``rows``; the totals must agree), so a is unique up to scale
    when Phi is positive on a connected pattern (Allen & Arkolakis 2014, Theorem 2; Sinkhorn
    1967). With a symmetric Phi and equal margins the solution is the symmetric scaling d with
    d_i (Phi d)_i = rows_i (then a = d), solved in logs, u + log(Phi e^u) = log rows, by Newton
    steps of a low-rank model of Phi (rank at most ``rank``), accelerated by Anderson
    (:func:`_symmetric_scaling`: one product with Phi per iteration, read from its lower
    triangle, in float32 but for one from an operator's second inversion, 5 to 9 iterations to
    1e-11 at K = 3,000); should that fail (not seen, even for an indefinite Phi), by
    Richardson steps of 2/3 (the Jacobian I + diag(1/Phi d) Phi diag(d) has its eigenvalues in
    [1, 2] for a positive-definite Phi) with Anderson acceleration. Otherwise the two-sided map
    a -> rows / Phi (cols / Phi^T a), accelerated the same way (for a dense Phi, from its second
    inversion, first with its float32 copy, to 1e-4). ``op``: a freeness operator (``dot``,
    ``tdot``, ``matrix``, ``matrix32``, ``symmetric``). Returns (a, max abs residual in logs,
    iterations: products with Phi, or pairs of products for the two-sided map); ``counts`` (a
    dict) receives the numbers of float32 and float64 products ("single", "double").
    """
    rows = np.asarray(rows, dtype=float)
    cols = rows if cols is None else np.asarray(cols, dtype=float)
    log_rows = np.log(rows)
    if np.array_equal(cols, rows) and op.symmetric:
        u0 = None if start is None else np.log(start)
        u, res, it = _symmetric_scaling(op, log_rows, tol, max_iter, memory, rank, u0, counts)
        if res <= tol:
            return geomean_one(np.exp(u)), res, it

        def step(u):
            r = u + np.log(op.dot(np.exp(u))) - log_rows
            return u - (2.0 / 3.0) * r, r
        u0 = 0.5 * log_rows if start is None else np.log(start)
        u, res, it2 = _anderson(step, u0, tol, max_iter, memory)
        if counts is not None:
            counts["double"] = counts.get("double", 0) + it2
        return geomean_one(np.exp(u)), res, it + it2

    def two_sided(dot, tdot):
        def step(u):
            r = u + np.log(dot(cols / tdot(np.exp(u)))) - log_rows
            r -= r.mean()  # the scale of a is free
            return u - r, r
        return step
    u = np.zeros(rows.size) if start is None else np.log(start)
    it = 0
    M32 = op.matrix32 if op.lattice is None and _second_inversion(op) else None
    if M32 is not None:  # products with the float32 copy while the residual is above 1e-4
        u1, res, it = _anderson(two_sided(lambda x: M32 @ x.astype(np.float32),
                                          lambda x: M32.T @ x.astype(np.float32)),
                                u, _SINGLE_TOL, max_iter, memory)
        u = u1 if np.isfinite(res) else u
    u, res, it2 = _anderson(two_sided(op.dot, op.tdot), u, tol, max_iter - it, memory)
    if counts is not None:
        counts.update(single=2 * it, double=2 * it2)
    return geomean_one(np.exp(u)), res, it + it2
