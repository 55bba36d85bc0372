"""Short-run equilibrium: a compiled fixed point x = F(x) in logs, model-agnostic.

Methods (chosen by name, one signature for all, as in pyblp):

``"anderson"`` (default)
    Type-II Anderson acceleration (Walker & Ni 2011) with memory ``memory``; a step that is
    non-finite or increases the residual max|F(x) - x| is replaced by a damped step
    x + damping (F(x) - x) and the history is cleared (safeguard).
``"damped"``
    x <- x + damping (F(x) - x).
``"newton"``
    x <- x - (J - I)^-1 (F(x) - x) with the model's Jacobian J = dF/dx, with the same
    damped-step safeguard. Only for models that provide a Jacobian kernel.

Convergence: max|F(x) - x| <= tol, a relative tolerance since x is in logs.
A solve that stops at ``max_iter`` reports ``converged=False``; nothing is silently returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numba
import numpy as np
from numba import njit, prange, types

from neg.kernels import (
    BLOCK_SIGNATURE,
    MAP_SIGNATURE,
    MAT,
    VEC,
    BlockKernel,
    MapKernel,
    fast_kernel,
    lazy_njit,
    work_size,
)
from neg.operators import OPERATOR, freeness_stack, operator_regions
from neg.options import Options, option
from neg.results import ShortRun
from neg.solvers._locality import _path, locality_order  # noqa: F401 - locality_order: public here
from neg.state import StateSpace

__all__ = ["SolverOptions", "short_run", "short_run_batch", "METHODS"]

METHODS = {"anderson": 0, "damped": 1, "newton": 2}

# numba's thread pool starts at import, as it did when the parallel batch solver was compiled at
# import: a study's forkserver (which imports this) then starts it once, and the workers it forks
# inherit it; started in each worker instead, it registers a semaphore there that a killed worker
# leaks (the resource tracker's warning at the end of an interrupted run)
numba.get_num_threads()

_ResultType = types.Tuple((VEC, types.int64, types.float64))
_SOLVE_SIGNATURE = _ResultType(
    MapKernel, BlockKernel, VEC, VEC, VEC, MAT, OPERATOR,
    types.int64, types.float64, types.int64, types.int64, types.float64,
)


@dataclass(frozen=True)
class SolverOptions(Options):
    """Options of the short-run solver (all methods share one signature)."""

    algorithm: ClassVar[str] = "solver"

    method: str = option("anderson", "choice", choices=tuple(METHODS),
                         help="fixed-point method: anderson, damped or newton")
    tol: float = option(1e-12, "pos_number", help="tolerance on the max-norm of x - F(x) (logs)")
    max_iter: int = option(2000, "pos_int", help="cap on iterations; hitting it is non-convergence")
    memory: int = option(6, "pos_int", bounds=(1, 50), help="Anderson's history length")
    damping: float = option(0.5, "unit_interval", help="weight of the new iterate (damped, Anderson)")

    @classmethod
    def from_kwargs(cls, options: SolverOptions | None = None, **kwargs) -> SolverOptions:
        """``options`` with some settings replaced (the old name of :meth:`Options.resolve`)."""
        return cls.resolve(options, **kwargs)


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def _max_abs(r):
    m = 0.0
    for v in r:
        a = abs(v)
        if not a <= m:  # also catches NaN
            m = a
    return m


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def _residual(F, x, lam, par, reg, Phi, fx, r, work):
    F(x, lam, par, reg, Phi, fx, work)
    for i in range(x.size):
        r[i] = fx[i] - x[i]
    return _max_abs(r)


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def _anderson_gamma(dR, hist, r, gram, gamma):
    """Least-squares coefficients gamma = argmin |r - dR[:hist]^T gamma| from the (slightly
    regularised) normal equations, by Gaussian elimination with partial pivoting: for the few
    columns of Anderson's history this beats a LAPACK call by far at small K."""
    h = hist
    n = r.size
    scale = 0.0
    for a in range(h):
        for b in range(a, h):
            s = 0.0
            for i in range(n):
                s += dR[a, i] * dR[b, i]
            gram[a, b] = s
            gram[b, a] = s
        s = 0.0
        for i in range(n):
            s += dR[a, i] * r[i]
        gram[a, h] = s
        scale = max(scale, gram[a, a])
    for a in range(h):
        gram[a, a] += 1e-14 * scale + 1e-300
    for c in range(h):  # forward elimination
        piv = c
        for a in range(c + 1, h):
            if abs(gram[a, c]) > abs(gram[piv, c]):
                piv = a
        if piv != c:
            for b in range(c, h + 1):
                gram[c, b], gram[piv, b] = gram[piv, b], gram[c, b]
        for a in range(c + 1, h):
            f = gram[a, c] / gram[c, c]
            for b in range(c, h + 1):
                gram[a, b] -= f * gram[c, b]
    for c in range(h - 1, -1, -1):  # back substitution
        s = gram[c, h]
        for b in range(c + 1, h):
            s -= gram[c, b] * gamma[b]
        gamma[c] = s / gram[c, c]


@njit(cache=True, error_model="numpy", nogil=True)
def _lu_solve(A, b):
    """A^-1 b by Gaussian elimination with partial pivoting (A is overwritten): Newton's step.
    Written out rather than np.linalg.solve, whose LAPACK binding costs about 5 s to compile on
    a cold start, paid by every method since the solver is compiled as one."""
    n = b.size
    x = b.copy()
    for c in range(n):
        piv = c
        for a in range(c + 1, n):
            if abs(A[a, c]) > abs(A[piv, c]):
                piv = a
        if piv != c:
            for j in range(n):
                A[c, j], A[piv, j] = A[piv, j], A[c, j]
            x[c], x[piv] = x[piv], x[c]
        for a in range(c + 1, n):
            f = A[a, c] / A[c, c]
            if f != 0.0:
                for j in range(c + 1, n):
                    A[a, j] -= f * A[c, j]
                x[a] -= f * x[c]
    for c in range(n - 1, -1, -1):
        s = x[c]
        for j in range(c + 1, n):
            s -= A[c, j] * x[j]
        x[c] = s / A[c, c]
    return x


@njit(cache=True)
def workspace(n: int, K: int, memory: int, method: int):
    """The arrays of :func:`iterate` for n unknowns on K regions, allocated once: a batch of
    small solves then allocates nothing per solve."""
    m = min(memory, n)  # more history than unknowns is rank-deficient
    return (np.empty(n), np.empty(n), np.empty(n), np.empty(n),  # r, x_new, fx, r_new
            np.zeros((m, n)), np.zeros((m, n)),  # history of x and residual differences
            np.empty((m, m + 1)), np.empty(m),  # Anderson's normal equations, coefficients
            np.empty(work_size(n, K)),  # the map's scratch
            np.empty((n, n)) if method == 2 else np.empty((1, 1)),  # Newton's Jacobian
            np.zeros(2, dtype=np.int64))  # Anderson's history: length, next row


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def iterate(F, J, x, lam, par, reg, Phi, method, tol, max_iter, damping, ws, keep=False):
    """The solver loop, in place on ``x`` (the start on entry, the solution on exit), using the
    arrays ``ws`` of :func:`workspace` (whose history length is Anderson's memory). Returns
    (iterations, residual)."""
    n = x.size
    r, x_new, fx, r_new, dX, dR, gram, gamma, work, jac, history = ws
    m = dX.shape[0]
    res = _residual(F, x, lam, par, reg, Phi, fx, r, work)
    hist, head = (history[0], history[1]) if keep else (0, 0)
    it = 0
    while it < max_iter and not res <= tol:
        it += 1
        if method == 0 and hist > 0:
            _anderson_gamma(dR, hist, r, gram, gamma)
            for i in range(n):
                s = r[i]
                for k in range(hist):
                    s -= (dX[k, i] + dR[k, i]) * gamma[k]
                x_new[i] = x[i] + s
        elif method == 2:
            J(x, lam, par, reg, Phi, jac)
            for i in range(n):
                jac[i, i] -= 1.0
            step = _lu_solve(jac, r)
            for i in range(n):
                x_new[i] = x[i] - step[i]
        else:
            beta = 1.0 if method == 0 else damping
            for i in range(n):
                x_new[i] = x[i] + beta * r[i]
        res_new = _residual(F, x_new, lam, par, reg, Phi, fx, r_new, work)
        if method != 1 and not res_new <= res:
            # safeguard: damped step, halving until finite; clear the history
            beta = damping
            for _ in range(60):
                for i in range(n):
                    x_new[i] = x[i] + beta * r[i]
                res_new = _residual(F, x_new, lam, par, reg, Phi, fx, r_new, work)
                if np.isfinite(res_new):
                    break
                beta *= 0.5
            hist = 0
            head = 0
        elif method == 0:
            for i in range(n):
                dX[head, i] = x_new[i] - x[i]
                dR[head, i] = r_new[i] - r[i]
            head = (head + 1) % m
            if hist < m:
                hist += 1
        if not np.isfinite(res_new):
            res = res_new
            break
        for i in range(n):
            x[i] = x_new[i]
            r[i] = r_new[i]
        res = res_new
    history[0], history[1] = hist, head
    return it, res


@lazy_njit(_SOLVE_SIGNATURE, error_model="numpy", nogil=True)
def solve_fixed_point(F, J, x0, lam, par, reg, Phi, method, tol, max_iter, memory, damping):
    """One solve from ``x0`` (left unchanged). Returns (x, iterations, residual); converged iff
    residual <= tol."""
    x = x0.copy()
    ws = workspace(x.size, operator_regions(Phi), memory, method)
    it, res = iterate(F, J, x, lam, par, reg, Phi, method, tol, max_iter, damping, ws)
    return x, it, res


@njit(cache=True, error_model="numpy", inline="always")
def _copy_row(A, k, out):
    """out = row k of a stack A, or its only row (broadcasting)."""
    k = k if A.shape[0] > 1 else 0
    for i in range(out.size):
        out[i] = A[k, i]


@njit(cache=True, error_model="numpy", inline="always")
def _predict(x, X, C, k, k1, k2, k3):
    """Warm start of point k from the three before it on the path: x = x1 + Y w with
    Y = [x1 - x2, x1 - x3] and w the least-squares coefficients of the step in the path's
    coordinates, c_k - c1 ~ [c1 - c2, c1 - c3] w (a secant model of x along the path)."""
    a11 = a12 = a22 = b1 = b2 = 0.0
    for a in range(C.shape[1]):
        d1, d2, e = C[k1, a] - C[k2, a], C[k1, a] - C[k3, a], C[k, a] - C[k1, a]
        a11 += d1 * d1
        a12 += d1 * d2
        a22 += d2 * d2
        b1 += d1 * e
        b2 += d2 * e
    reg = 1e-6 * (a11 + a22)
    det = (a11 + reg) * (a22 + reg) - a12 * a12
    w1 = w2 = 0.0
    if det > 0.0:
        w1 = min(max(((a22 + reg) * b1 - a12 * b2) / det, -2.0), 2.0)
        w2 = min(max(((a11 + reg) * b2 - a12 * b1) / det, -2.0), 2.0)
    for i in range(x.size):
        x[i] = X[k1, i] + w1 * (X[k1, i] - X[k2, i]) + w2 * (X[k1, i] - X[k3, i])


_BATCH_SIGNATURE = types.Tuple((MAT, types.float64[:, :, ::1], types.int64[::1], VEC))(
    MapKernel, BlockKernel, BlockKernel, MAT, MAT, MAT, types.float64[:, :, ::1], OPERATOR,
    types.float64[:, :, ::1], VEC,
    types.int64, types.float64, types.int64, types.int64, types.float64, types.int64,
    types.int64[::1], MAT,
)

#: points per warm-started chunk of a batch (fixed, so results do not depend on the thread count)
BATCH_CHUNK = 64


@njit(cache=True, error_model="numpy", inline="always")
def _batch_outputs(X0, LAM, PAR, PHI, REG, OP, warm):
    """(n, chunk, n_chunks, X, OUT, IT, RES) of a batch."""
    n = max(X0.shape[0], LAM.shape[0], PAR.shape[0], PHI.shape[0], REG.shape[0])
    K = operator_regions(OP)  # regions (the state may be longer: several groups)
    chunk = BATCH_CHUNK if warm else 1  # cold points are independent: one per task
    return (n, chunk, (n + chunk - 1) // chunk, np.empty((n, X0.shape[1])), np.empty((n, 5, K)),
            np.empty(n, dtype=np.int64), np.empty(n))


@njit(cache=True, error_model="numpy", inline="always")
def _solve_chunk(c, chunk, n, F, J, G, X0, LAM, PAR, REG, OP, PHI, PHIS, method, tol, max_iter,
                 memory, damping, warm, order, coords, X, OUT, IT, RES):
    """Solve the points of chunk c in order (each warm-started from the one before with warm)."""
    m = X0.shape[1]
    K = operator_regions(OP)
    # Each chunk works on its own copies of the point's inputs and outputs: views into the
    # shared arrays would touch their reference counts, one cache line that both cores
    # would fight over on every view.
    ws = workspace(m, K, memory, method)
    x, out = np.empty(m), np.empty((5, K))
    lam, par, reg = np.empty(LAM.shape[1]), np.empty(PAR.shape[1]), REG[0].copy()
    mats, weights = OP[1].copy(), OP[2].copy()
    Phi = (OP[0], mats, weights, OP[3])
    res = np.nan
    for q in range(c * chunk, min(n, (c + 1) * chunk)):
        k = order[q]  # points in the order given, results in place
        first = q == c * chunk
        keep = warm and not first and np.isfinite(res)
        if not keep:
            _copy_row(X0, k, x)
        elif q - c * chunk >= 3 and np.isfinite(RES[order[q - 2]] + RES[order[q - 3]]):
            _predict(x, X, coords, k, order[q - 1], order[q - 2], order[q - 3])
        if first or LAM.shape[0] > 1:
            _copy_row(LAM, k, lam)
        if first or PAR.shape[0] > 1:
            _copy_row(PAR, k, par)
        if REG.shape[0] > 1:
            for r in range(reg.shape[0]):
                for i in range(reg.shape[1]):
                    reg[r, i] = REG[k, r, i]
        if PHI.shape[0] > 1:
            for i in range(K):
                for j in range(K):
                    mats[0, i, j] = PHI[k, i, j]
            weights[0, 0] = PHIS[k]
        it, res = iterate(F, J, x, lam, par, reg, Phi, method, tol, max_iter, damping, ws, keep)
        IT[k], RES[k] = it, res
        G(x, lam, par, reg, Phi, out)
        for i in range(m):
            X[k, i] = x[i]
        for r in range(5):
            for i in range(K):
                OUT[k, r, i] = out[r, i]


@lazy_njit(_BATCH_SIGNATURE, error_model="numpy", parallel=True)
def _solve_batch(F, J, G, X0, LAM, PAR, REG, OP, PHI, PHIS, method, tol, max_iter, memory, damping,
                 warm, order, coords):
    """Solve every point; the freeness operator is ``OP`` with its operator 0 replaced at point
    k by the dense matrix ``PHI[k]`` (unit freeness ``PHIS[k]``) where PHI has more than one;
    the per-region rows are ``REG[k]`` where REG has more than one. Chunks run in parallel."""
    n, chunk, n_chunks, X, OUT, IT, RES = _batch_outputs(X0, LAM, PAR, PHI, REG, OP, warm)
    for c in prange(n_chunks):
        _solve_chunk(c, chunk, n, F, J, G, X0, LAM, PAR, REG, OP, PHI, PHIS, method, tol, max_iter,
                     memory, damping, warm, order, coords, X, OUT, IT, RES)
    return X, OUT, IT, RES


#: without threads, for processes with one numba thread (study workers): a process forked after
#: numba's OpenMP layer started (the study's forkserver imports neg, whose parallel kernels start
#: it as they load) must not enter a parallel region ("fork() called from a process already using
#: GNU OpenMP"). Its own function (the numba cache is per function), the same chunk body.
@lazy_njit(_BATCH_SIGNATURE, error_model="numpy")
def _solve_batch_serial(F, J, G, X0, LAM, PAR, REG, OP, PHI, PHIS, method, tol, max_iter, memory,
                        damping, warm, order, coords):
    n, chunk, n_chunks, X, OUT, IT, RES = _batch_outputs(X0, LAM, PAR, PHI, REG, OP, warm)
    for c in range(n_chunks):
        _solve_chunk(c, chunk, n, F, J, G, X0, LAM, PAR, REG, OP, PHI, PHIS, method, tol, max_iter,
                     memory, damping, warm, order, coords, X, OUT, IT, RES)
    return X, OUT, IT, RES


@lazy_njit(BLOCK_SIGNATURE, error_model="numpy")
def _no_jacobian(x, lam, par, reg, Phi, out):  # pragma: no cover - never called
    out[:, :] = np.nan


def _jacobian_kernel(model, method: str):
    """The model's Jacobian for Newton's method; for the others a placeholder (only Newton calls
    it, and compiling a model's Jacobian costs seconds on a cold start)."""
    J = model.jacobian_kernel
    if method != "newton":
        return _no_jacobian
    if J is None:
        raise ValueError(f"method: 'newton' needs a Jacobian, which {model.name} does not provide; "
                         "use 'anderson' or 'damped'")
    return J


def _check_lam(model, lam) -> np.ndarray:
    """The long-run state (shares of each group, see :mod:`neg.state`); None: symmetric state."""
    if lam is None:
        return model.symmetric_state()
    return StateSpace.of(model).validate(lam)


def short_run(model, lam=None, *, x0=None, options: SolverOptions | None = None, **kwargs) -> ShortRun:
    """Short-run equilibrium of ``model`` at the distribution ``lam`` (default uniform).

    ``lam`` may be (K,) or a stack (..., K) (solved in parallel). Solver options: ``method``
    ("anderson", "damped", "newton"), ``tol`` (1e-12), ``max_iter``, ``memory``, ``damping``,
    or ``options=SolverOptions(...)``. ``x0`` warm-starts the unknowns (logs).
    """
    opts = SolverOptions.from_kwargs(options, **kwargs)
    lam = _check_lam(model, lam)
    if lam.ndim > 1:
        return short_run_batch(model, lam=lam, options=opts)
    return solve_short_run(model, lam, x0, opts)


_SOLVES = [0]


def short_run_count() -> int:
    """Number of short-run solves so far in this process (for benchmarks)."""
    return _SOLVES[0]


def _kernel_args(model):
    """model.kernel_args(), cached on the immutable model (they are rebuilt on every call)."""
    args = model.__dict__.get("_kernel_args")
    if args is None:
        args = model.__dict__["_kernel_args"] = model.kernel_args()
    return args


def solve_short_run(model, lam: np.ndarray, x0=None, opts: SolverOptions = SolverOptions()) -> ShortRun:
    """:func:`short_run` without input validation (for solvers that perturb ``lam`` slightly
    outside the simplex, e.g. finite differences at a boundary)."""
    _SOLVES[0] += 1
    lam = np.ascontiguousarray(lam, dtype=np.float64)
    par, reg = _kernel_args(model)
    Phi = model.freeness_operator.kernel_arg
    x0 = model.initial_state(lam) if x0 is None else np.ascontiguousarray(x0, dtype=np.float64)
    J = fast_kernel(_jacobian_kernel(model, opts.method), BLOCK_SIGNATURE)
    F = fast_kernel(model.fixed_point_map, MAP_SIGNATURE)
    x, it, res = solve_fixed_point(
        F, J, x0, lam, par, reg, Phi,
        METHODS[opts.method], opts.tol, opts.max_iter, opts.memory, opts.damping,
    )
    out = np.empty((5, model.K))
    model.outputs_kernel(x, lam, par, reg, Phi, out)
    payoff = out[4] if model.payoff_kernel is None else _payoff(model, x, lam, par, reg, Phi)
    return ShortRun(lam, *out[:4], payoff, converged=bool(res <= opts.tol), iterations=int(it),
                    residual=float(res), method=opts.method, state=x)


def _payoff(model, x, lam, par, reg, Phi) -> np.ndarray:
    """Payoff of every state component, for models with several state groups."""
    out = np.empty(lam.size)
    model.payoff_kernel(x, lam, par, reg, Phi, out)
    return out


def _batch_arrays(model, arrays: dict[str, np.ndarray]):
    """Kernel arguments for every point: (PAR (n, p), REG, PHI (n or 1, K, K), PHIS (n or 1,)):
    operator 0's dense matrix and unit freeness at each point (one row: the model's own).

    Trade costs alone (``phi`` or ``T``) are vectorised over the distance matrix; any other
    parameter builds one model per distinct value (validating each)."""
    if not arrays:
        par, reg = model.kernel_args()
        op = model.freeness_operator
        return par[None].copy(), reg, np.ascontiguousarray(op.matrix[None]), np.array([op.phi])
    if set(arrays) in ({"phi"}, {"T"}):
        name, vals = next(iter(arrays.items()))
        with np.errstate(invalid="ignore"):
            ok = (vals > 0.0) & (vals <= 1.0) if name == "phi" else vals >= 1.0
        if not np.all(ok):
            model.replace(**{name: vals[~ok][0]})  # raises the model's message for the first
        phi = vals if name == "phi" else vals ** (1.0 - model.sigma)
        par, reg = model.kernel_args()
        return par[None].copy(), reg, freeness_stack(phi, model.geography.distance), phi
    n = max(a.size for a in arrays.values())
    cols = np.column_stack([np.broadcast_to(a, (n,)) for a in arrays.values()])
    uniq, inverse = np.unique(cols, axis=0, return_inverse=True)
    models = [model.replace(**dict(zip(arrays, row, strict=True))) for row in uniq]
    PAR = np.stack([m.kernel_args()[0] for m in models])[inverse.ravel()]
    varying = models if "phi" in arrays or "T" in arrays else models[:1]
    pick = inverse.ravel() if len(varying) > 1 else [0]
    PHI = np.stack([m.freeness_operator.matrix for m in varying])[pick]
    PHIS = np.array([m.freeness_operator.phi for m in varying])[pick]
    return np.ascontiguousarray(PAR), models[0].kernel_args()[1], np.ascontiguousarray(PHI), PHIS


def _operator_at(op: tuple, matrix: np.ndarray, phi: float) -> tuple:
    """The kernel operator ``op`` with operator 0 replaced by a dense ``matrix`` (unit freeness
    ``phi``): one point of a batch."""
    mats, weights = op[1].copy(), op[2].copy()
    mats[0], weights[0, 0] = matrix, phi
    return (op[0], mats, weights, op[3])


def short_run_batch(model, lam=None, *, options: SolverOptions | None = None, x0=None,
                    warm: bool = True, **params) -> ShortRun:
    """Many short runs in one compiled, parallel call.

    Broadcasts a stack of distributions ``lam`` (n, K) against scalar parameter arrays given
    by name (e.g. ``phi=np.linspace(0.05, 0.95, 10_000)``, ``mu=...``); every field of the
    result gains a leading axis of length n, in the order of the input points.

    ``warm``: solve the points in an order where neighbours are similar
    (:func:`locality_order` of the varying inputs), starting each solve from a secant
    prediction off the points before it on that path and from their Anderson history, within
    fixed chunks of ``BATCH_CHUNK`` points: a continuation along the batch. Results agree with
    independent solves to the tolerance and do not depend on the number of threads.
    """
    solver_keys = {"method", "tol", "max_iter", "memory", "damping"}
    opts = SolverOptions.from_kwargs(options, **{k: params.pop(k) for k in list(params) if k in solver_keys})
    lam = _check_lam(model, lam)
    lam = np.ascontiguousarray(np.atleast_2d(lam).reshape(-1, lam.shape[-1]))
    arrays = {k: np.atleast_1d(np.asarray(v, dtype=float)).ravel() for k, v in params.items()}
    sizes = {a.size for a in arrays.values()} | {lam.shape[0]}
    sizes.discard(1)
    if len(sizes) > 1:
        raise ValueError("short_run_batch: lam and parameter arrays must have equal lengths or "
                         f"length 1, got {sorted(sizes)}")
    n = max(sizes, default=1)
    order, coords = np.arange(n), np.zeros((n, 0))
    if warm and n > 2:
        varying = [a[:, None] for a in arrays.values() if a.size > 1]
        if lam.shape[0] > 1:  # the shares but the last of each group (it follows from the others)
            space = StateSpace.of(model)
            free = np.ones(space.n, dtype=bool)
            free[space.starts + np.asarray(space.sizes) - 1] = False
            varying.append(lam[:, free])
        order, coords = _path(np.hstack(varying))
    PAR, REG, PHI, PHIS = _batch_arrays(model, arrays)
    return _solve_points(model, lam, PAR, REG[None], PHI, PHIS, x0, opts, warm, order, coords)


def short_run_regional(model, lam, reg, *, x0=None, options: SolverOptions | None = None) -> ShortRun:
    """Short runs in one compiled call at points that differ in the state ``lam`` (n, N) and the
    per-region kernel rows ``reg`` (n, rows, K) (``kernel_args()[1]`` of each point's model,
    built and validated by the caller), each from its row of ``x0`` (default: the initial state
    at the first ``lam``), independently of the others (:func:`neg.simulate_shocks`)."""
    opts = SolverOptions.from_kwargs(options)
    lam = np.ascontiguousarray(np.atleast_2d(np.asarray(lam, dtype=float)))
    REG = np.ascontiguousarray(np.asarray(reg, dtype=float))
    par, _ = _kernel_args(model)
    op = model.freeness_operator
    n = max(lam.shape[0], REG.shape[0])
    return _solve_points(model, lam, par[None].copy(), REG, np.ascontiguousarray(op.matrix[None]),
                         np.array([op.phi]), x0, opts, False, np.arange(n), np.zeros((n, 0)))


def _solve_points(model, lam, PAR, REG, PHI, PHIS, x0, opts, warm, order, coords) -> ShortRun:
    """The compiled batch solve and its ShortRun (REG: a stack of per-region rows)."""
    OP = model.freeness_operator.as_dense.kernel_arg  # the batch varies operator 0's dense matrix
    if x0 is None:
        X0 = np.ascontiguousarray(np.stack([model.initial_state(l) for l in lam[:1]]))
    else:
        X0 = np.ascontiguousarray(np.atleast_2d(np.asarray(x0, dtype=float)))
    J = fast_kernel(_jacobian_kernel(model, opts.method), BLOCK_SIGNATURE)
    solve = _solve_batch if numba.get_num_threads() > 1 else _solve_batch_serial
    X, OUT, IT, RES = solve(
        fast_kernel(model.fixed_point_map, MAP_SIGNATURE), J,
        fast_kernel(model.outputs_kernel, BLOCK_SIGNATURE), X0, lam, PAR, REG, OP, PHI, PHIS,
        METHODS[opts.method], opts.tol, opts.max_iter, opts.memory, opts.damping, int(bool(warm)),
        order, coords,
    )
    n = X.shape[0]
    lam_full = lam if lam.shape[0] == n else np.broadcast_to(lam, (n, lam.shape[1])).copy()
    payoff = OUT[:, 4]
    if model.payoff_kernel is not None:
        at = [k if PHI.shape[0] > 1 else 0 for k in range(n)]
        payoff = np.stack([_payoff(model, X[k], lam_full[k], PAR[k if PAR.shape[0] > 1 else 0],
                                   REG[k if REG.shape[0] > 1 else 0],
                                   _operator_at(OP, PHI[at[k]], PHIS[at[k]])) for k in range(n)])
    return ShortRun(lam_full, OUT[:, 0], OUT[:, 1], OUT[:, 2], OUT[:, 3], payoff,
                    converged=RES <= opts.tol, iterations=IT, residual=RES, method=opts.method,
                    state=X)
