"""Long-run equilibria: migration dynamics, equilibria from many starts, stability.

An equilibrium has equal payoffs wherever lam_i > 0 and no higher payoff where lam_i = 0.
The default dynamics is the replicator (FKV 1999, eq. 5.6 in many-region form):

    d lam_i / dt = lam_i (omega_i - omega_bar),     omega_bar = sum_j lam_j omega_j.

:func:`long_run` integrates it with an adaptive exponential-Euler scheme (the update
lam_i <- lam_i exp(h d_i), renormalised, keeps shares on the simplex; step size controlled by the
difference with a Heun step), warm-starting every short run from the previous one; shares that
fall below ``zero_share`` while their payoff is below average are set to zero; once the payoff
gap is small, Newton's method on the equal-payoff conditions of the occupied regions polishes the
answer to ``tol``. Stability: eigenvalues of the Jacobian of the replicator restricted to the face
of the simplex spanned by the occupied regions, plus omega_i - omega_bar for each empty region.
Nothing here builds a K x K matrix (:mod:`neg.solvers.spectrum`: Fourier modes at a uniform
state, a Krylov method on large faces; the Newton polish, on at most ``polish_max`` occupied
regions, uses K x polish_max directions), so on a lattice with the structured operator the long
run and its stability work at any K.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.optimize import brentq

from neg.options import Options, nested, option
from neg.progress import Ticker
from neg.results import Equilibrium, ShortRun
from neg.solvers import spectrum
from neg.solvers.fixed_point import SolverOptions, _check_lam, short_run
from neg.solvers.spectrum import (
    FaceCoordinates,
    alike_regions,
    circulant_modes,
    krylov_face_spectrum,
    payoff_jacobian,
)
from neg.state import StateSpace, payoff_scale

__all__ = ["long_run", "equilibria", "stability", "payoff_jacobian", "DYNAMICS", "LongRunOptions",
           "EquilibriaOptions"]

DYNAMICS = ("replicator",)


def _scale(sr: ShortRun) -> float:
    return payoff_scale(sr.payoff)


def payoff_gap(lam: np.ndarray, payoff: np.ndarray, space: StateSpace | None = None) -> float:
    """max_{lam_i>0} |omega_i - omega_bar| and max_{lam_i=0} (omega_i - omega_bar)^+, relative
    (omega_bar: the mean payoff of the component's group; one group unless ``space`` says)."""
    return (space or StateSpace((lam.size,))).gap(lam, payoff)


def _perturbed_uniform(K: int) -> np.ndarray:
    space = StateSpace((K,))
    return space.perturbed(space.uniform())


def tangent_basis(n: int) -> np.ndarray:
    """Orthonormal basis (n, n-1) of {v in R^n : sum v = 0}."""
    return StateSpace((n,)).tangent_basis(np.ones(n, dtype=bool))


#: whether the Fourier route applies, under its old name here (tests and benchmarks patch it)
_alike_regions = alike_regions


def stability(model, lam, sr: ShortRun | None = None) -> tuple[bool, np.ndarray]:
    """(stable, eigenvalues) of the replicator dynamics at the equilibrium ``lam``.

    Face eigenvalues: of V^T J V, with J_ij = lam_i (d omega_i/d lam_j - sum_{k in g(i)} lam_k
    d omega_k/d lam_j) the replicator's Jacobian and V an orthonormal basis of the tangent space
    of the occupied face (within each group of the state: sums fixed, empty components kept
    empty); then omega_i - omega_bar_g(i) for each empty component (the corner conditions).
    Stable iff all real parts are negative.

    No K x K matrix is built (:mod:`neg.solvers.spectrum`): at the uniform distribution of an
    economy whose regions are all alike (racetrack, torus; uniform fundamentals) the face
    eigenvalues come from the Fourier modes, one per wave vector k = 1..K-1 (all of them, exact;
    see :func:`~neg.solvers.spectrum.circulant_modes`); elsewhere a face of at most
    :data:`~neg.solvers.spectrum.DENSE_FACE_MAX` dimensions gets all its eigenvalues from one
    directional derivative per dimension, and a larger one its leading six (largest real part)
    by a Krylov method on Jacobian-vector products
    (:func:`~neg.solvers.spectrum.krylov_face_spectrum`), which decide stability as well.
    """
    stable, eig, _ = _modes(model, lam, sr)
    return stable, eig


def _face_spectrum(model, lam, sr, space, occ):
    """(eigenvalues of the face, mode k -> its move of the state) by the cheapest exact route."""
    if _alike_regions(model, lam):
        eig, fourier = circulant_modes(model, lam, sr)
        return eig, lambda k: fourier.vector(k + 1)
    d = FaceCoordinates(space, occ).dim
    if d == 0:
        return np.zeros(0, dtype=complex), None
    if d > spectrum.DENSE_FACE_MAX:
        eig, vecs = krylov_face_spectrum(model, lam, sr, space, occ)
        return eig, lambda k: np.real(vecs[:, k])
    V = space.tangent_basis(occ)
    dW = payoff_jacobian(model, lam, V, sr)  # (n, d)
    dW[~occ] = 0.0  # empty components do not enter the face dynamics (may be infinite)
    group_mean = np.stack([space.group_sums(lam * dW[:, k]) for k in range(V.shape[1])], 1)
    Jv = lam[:, None] * (dW - group_mean[space.gid])
    eig, vec = np.linalg.eig(V.T @ Jv)
    return eig, lambda k: V @ np.real(vec[:, k])


def _modes(model, lam, sr=None):
    """(stable, eigenvalues, direction of the leading mode in lam-space) — see :func:`stability`."""
    lam = np.asarray(lam, dtype=float)
    space = StateSpace.of(model)
    if sr is None:
        sr = short_run(model, lam, tol=1e-14, max_iter=500)
    capped = space.at_cap(lam)
    occ = (lam > 0) & ~capped  # components that move freely on the face
    dev = space.deviation(lam, sr.payoff)
    eig_face, face_vector = _face_spectrum(model, lam, sr, space, occ)
    empty = np.flatnonzero((lam <= 0) & ~capped)
    capped_idx = np.flatnonzero(capped & (lam > 0))  # a prohibited zone (cap 0) has no mode
    capped = capped & (lam > 0)
    eig = np.concatenate([eig_face, dev[empty].astype(complex), -dev[capped].astype(complex)])
    tol = 1e-11 * _scale(sr)
    stable = bool(np.all(eig.real < -tol)) if eig.size else True
    direction = None
    if eig.size:
        k = int(np.argmax(eig.real))
        if k < eig_face.size:
            direction = face_vector(k)
        else:  # a corner mode: mass enters the empty component (or leaves the capped one)
            direction = np.zeros(lam.size)
            j = k - eig_face.size
            if j < empty.size:
                direction[empty[j]] = 1.0
            else:
                direction[capped_idx[j - empty.size]] = -1.0
    if np.all(np.abs(eig.imag) == 0):
        eig = eig.real
    return stable, eig, direction



#: how often long_run leaves an unstable end state before it reports converged=False
_MAX_LEAVES = 10


def _equilibrium(model, lam, sr, steps, gap, tol, with_stability) -> Equilibrium:
    return _ending(model, lam, sr, steps, gap, tol, with_stability)[0]


def _ending(model, lam, sr, steps, gap, tol, with_stability) -> tuple[Equilibrium, np.ndarray | None]:
    """The :class:`Equilibrium` at ``lam`` and the direction of its leading mode (without
    stability: ``stable=False``, no eigenvalues, no direction)."""
    if with_stability:
        stable, eig, direction = _modes(model, lam, sr)
    else:
        stable, eig, direction = False, np.full(0, np.nan), None
    return Equilibrium(
        lam=lam, real_wage=sr.real_wage, stable=stable, eigenvalues=eig,
        converged=bool(gap <= tol and np.all(sr.converged)), iterations=int(steps), residual=float(gap),
        wage=sr.wage, income=sr.income, price_index=sr.price_index, payoff=sr.payoff,
    ), direction


def _leave(lam, direction, space, size):
    """``lam`` moved by ``size`` (relative to its largest share) along ``direction``, signed so
    that the mode's largest component (the first of equal ones) grows: reproducible, and as a
    small perturbation would break an exact symmetry."""
    v = np.asarray(direction, dtype=float)
    v = v / v[int(np.argmax(np.abs(v)))]
    return space.project(np.maximum(lam + size * float(np.max(lam)) * v, 0.0))


def _newton_on_support(model, lam, sr, tol, opts, space, max_iter=30):
    """Solve omega_i = omega_last(g) on the occupied components (shares stay positive)."""
    B, rows, lasts = space.free_basis((lam > 0) & ~space.at_cap(lam))
    if rows.size == 0:
        return lam, sr
    for _ in range(max_iter):
        scale = _scale(sr)
        if space.gap(lam, sr.payoff) <= tol:
            return lam, sr
        g = (sr.payoff[rows] - sr.payoff[lasts]) / scale
        dW = payoff_jacobian(model, lam, B, sr, step=1e-5)
        Jg = (dW[rows] - dW[lasts]) / scale
        try:
            dy = np.linalg.solve(Jg, -g)
        except np.linalg.LinAlgError:
            return None
        step = B @ dy
        t = 1.0
        neg = step < 0
        if np.any(neg):
            t = min(1.0, 0.9 * float(np.min(lam[neg] / -step[neg])))
        lam = lam + t * step
        lam[lam <= 0] = 0.0
        lam = space.project(lam)
        sr = short_run(model, lam, x0=sr.state, options=opts)
        if not np.all(np.isfinite(sr.payoff)):
            return None
    return (lam, sr) if space.gap(lam, sr.payoff) <= tol else None


@dataclass(frozen=True)
class LongRunOptions(Options):
    """Settings of :func:`long_run` (and of the long runs that other algorithms start)."""

    algorithm: ClassVar[str] = "long_run"

    tol: float = option(1e-10, "pos_number", help="stop when the relative payoff gap is below tol")
    max_steps: int = option(100_000, "pos_int",
                            help="cap on accepted steps; hitting it returns converged=False")
    zero_share: float = option(1e-10, "nonneg_number",
                               help="a share below this, with a below-average payoff, is set to zero")
    polish_max: int = option(200, "nonneg_int",
                             help="largest number of occupied regions for the final Newton polish")
    stability: bool = option(True, "bool", help="compute eigenvalues and the stable flag")
    path_tol: float = option(0.2, "pos_number", bounds=(0.0, 1.0),
                             help="largest relative turn of the replicator's direction field over "
                                  "one (Heun) step: keeps the steps on the dynamics' path, in its basin")
    solver: SolverOptions = nested(SolverOptions)


@dataclass(frozen=True)
class EquilibriaOptions(Options):
    """Settings of :func:`equilibria`."""

    algorithm: ClassVar[str] = "equilibria"

    tol: float = option(1e-10, "pos_number", help="tolerance on the relative payoff gap")
    n_random: int = option(16, "nonneg_int", help="random starts of the long run (beyond the symmetric one)")
    seed: int = option(0, "nonneg_int", help="seed of the random starts")
    solver: SolverOptions = nested(SolverOptions)


def long_run(model, lam0=None, dynamics: str = "replicator", *,
             options: LongRunOptions | SolverOptions | None = None, **settings) -> Equilibrium:
    """The long-run equilibrium reached by migration dynamics from ``lam0``.

    Parameters
    ----------
    model : any neg model.
    lam0 : starting distribution (K shares). Default: the uniform distribution with a small
        fixed (seeded) perturbation of +-5%, so that an unstable symmetric equilibrium is left.
    dynamics : "replicator".
    options : :class:`LongRunOptions` (or the short run's :class:`SolverOptions` alone).
    **settings : any setting of :class:`LongRunOptions` or of the short run's
        :class:`SolverOptions` by name, overriding ``options``: ``tol`` (stop when the relative
        payoff gap, see :class:`neg.Equilibrium`, is below it), ``max_steps`` (cap on accepted
        steps; a run that hits it returns ``converged=False``), ``zero_share`` (a share below
        it, with a below-average payoff, is set to zero), ``polish_max`` (largest number of
        occupied regions for the final Newton polish), ``stability`` (compute eigenvalues and
        the ``stable`` flag; False skips it: ``stable=False``, ``eigenvalues`` empty), and
        ``method``, ``max_iter``, ... of the short run.
    """
    o = LongRunOptions.resolve(options, **settings)
    tol, max_steps, zero_share, polish_max = o.tol, o.max_steps, o.zero_share, o.polish_max
    path_tol = o.path_tol
    opts = o.solver
    if dynamics not in DYNAMICS:
        raise ValueError(f"dynamics: must be one of {DYNAMICS}, got {dynamics!r}")
    space = StateSpace.of(model)
    if lam0 is None:
        lam = space.perturbed(model.symmetric_state())
    else:
        lam = _check_lam(model, lam0).astype(float).copy()
        if lam.ndim == 1:
            lam = space.project(lam)  # respect development-zone caps from the start
    if lam.ndim != 1:
        raise ValueError("lam0: expected one distribution, not a stack")
    sr = short_run(model, lam, options=opts)
    gap = space.gap(lam, sr.payoff)
    switch = max(tol, 1e-6)
    h, steps = 0.1, 0
    polished = False
    escapes = 0
    recent: list[float] = []
    leaves = 0
    while True:
        while steps < max_steps and gap > tol:
            scale = _scale(sr)
            d0 = space.deviation(lam, sr.payoff) / scale
            occ = (lam > 0) & ~space.at_cap(lam)
            # polish only while the dynamics is closing in (the gap fell over the last steps): near
            # an unstable equilibrium Newton would converge to it instead of leaving it
            closing = len(recent) == 3 and recent[0] > recent[1] > recent[2]
            if gap <= switch and not polished and closing and occ.sum() <= polish_max:
                res = _newton_on_support(model, lam, sr, tol, opts, space)
                polished = True
                if res is not None:
                    lam_p, sr_p = res
                    stable_p, eig_p, v = _modes(model, lam_p, sr_p)
                    if not stable_p and v is not None and escapes < 5:
                        # Newton found a saddle the dynamics was passing: leave it along its unstable
                        # mode, on the side the path came from, and keep integrating
                        escapes += 1
                        sign = 1.0 if v @ (lam - lam_p) >= 0 else -1.0
                        lam = space.project(np.maximum(lam_p + sign * 1e-4 * v / np.max(np.abs(v)), 0.0))
                        sr = short_run(model, lam, x0=sr_p.state, options=opts)
                        gap, recent = space.gap(lam, sr.payoff), []
                        continue
                    lam, sr = lam_p, sr_p
                    gap = space.gap(lam, sr.payoff)
                    if gap <= tol:
                        break
                    continue  # an empty region wants entry: keep integrating
            # an empty component that pays more than its group's average is not an equilibrium and
            # the replicator cannot reopen it (0 stays 0): seed it with a small share and go on
            entering = (lam <= 0) & (d0 > tol)
            if space.caps is not None:
                entering &= space.caps > 0
            if np.any(entering):
                lam = lam.copy()
                lam[entering] = 1e-6
                lam = space.project(lam)
                sr = short_run(model, lam, x0=sr.state, options=opts)
                gap, recent, polished = space.gap(lam, sr.payoff), [], False
                continue
            h = min(h, 2.0 / max(float(np.max(np.abs(d0[occ]), initial=0.0)), 1e-300))
            lam_e = _advance(lam, h * d0, zero_share, d0, space)
            sr_e = short_run(model, lam_e, x0=sr.state, options=opts)
            d1 = space.deviation(lam_e, sr_e.payoff) / scale
            if not np.all(np.isfinite(sr_e.payoff[lam_e > 0])):  # (empty ones may be infinite)
                h *= 0.25
                if h < 1e-300:
                    break  # cannot make a finite step: reported as not converged
                continue
            # how much the direction field turned over the step: ~ h |eigenvalue|; 2 = overshoot
            err = (float(np.max(np.abs((d1 - d0)[occ]), initial=0.0))
                   / max(float(np.max(np.abs(d0[occ]), initial=0.0)), 1e-300))
            if err <= path_tol or h < 1e-12:
                # Heun's corrector: the step along the mean of the field at both ends (second
                # order: it keeps to the path, and so to the basin, where Euler cuts corners)
                dm = 0.5 * (d0 + d1)
                lam_c = _advance(lam, h * dm, zero_share, dm, space)
                sr_c = short_run(model, lam_c, x0=sr_e.state, options=opts)
                if np.all(np.isfinite(sr_c.payoff[lam_c > 0])):
                    lam_e, sr_e = lam_c, sr_c
                lam, sr = lam_e, sr_e
                gap = space.gap(lam, sr.payoff)
                recent = (recent + [gap])[-3:]
                steps += 1
                if gap > switch:
                    polished = False
            turn = err / path_tol  # grow the step while the field barely turns, shrink past the bound
            h *= 2.0 if turn < 0.2 else 1.2 if turn < 0.6 else 1.0 if turn <= 1.0 else 0.3
        eq, direction = _ending(model, lam, sr, steps, gap, tol, o.stability)
        if eq.stable or not eq.converged or not o.stability:
            return eq
        if leaves >= _MAX_LEAVES:  # never a saddle as the end of the dynamics
            return dataclasses.replace(eq, converged=False)
        # the dynamics stopped at an unstable equilibrium (an exactly symmetric start keeps the
        # replicator on an invariant set through a saddle): leave it along its unstable mode,
        # as a perturbation would, and go on
        leaves += 1
        lam = _leave(lam, direction, space, size=min(1e-3 * 4.0 ** (leaves - 1), 0.5))
        sr = short_run(model, lam, x0=sr.state, options=opts)
        # no Newton polish until the dynamics has moved away (it would return to the saddle)
        gap, recent, polished = space.gap(lam, sr.payoff), [], True


def _advance(lam, dlog, zero_share, d, space):
    """One exponential-Euler step of the replicator. A component at its cap that still pays
    more than average stays exactly at the cap (development zones); the free components of its
    group share the rest."""
    frozen = space.at_cap(lam) & (d > 0)
    new = np.where(frozen, lam, lam * np.exp(dlog))
    new[(new < zero_share) & (d < 0) & ~frozen] = 0.0
    if np.any(frozen):
        free_mass = 1.0 - space.group_sums(np.where(frozen, lam, 0.0))
        free_sum = space.group_sums(np.where(frozen, 0.0, new))
        scale = free_mass / np.where(free_sum > 0, free_sum, 1.0)
        new = np.where(frozen, lam, new * scale[space.gid])
        return space.project(new) if np.any(new > space.caps + 1e-15) else new
    return space.project(new)


def _check_equilibrium(model, lam, tol, opts):
    lam = np.asarray(lam, dtype=float)
    sr = short_run(model, lam, options=opts)
    return sr, StateSpace.of(model).gap(lam, sr.payoff)


def equilibria(model, starts=None, *, options: EquilibriaOptions | SolverOptions | None = None,
               **settings) -> list[Equilibrium]:
    """Distinct long-run equilibria, stable and unstable, found from many starts.

    Two regions: every interior equilibrium (sign changes of omega_1 - omega_2 on a grid of
    lam_1, located by Brent's method to ``tol``) plus each corner that is an equilibrium.
    More regions (or several state groups): the symmetric state and (one group) each
    single-region corner when they are equilibria, plus the stable equilibria reached by
    :func:`long_run` from ``starts`` (default: ``n_random`` seeded random points of the state
    space and the perturbed symmetric state).
    Sorted by the share of the first region, descending.

    ``options`` / ``**settings``: :class:`EquilibriaOptions` (``tol``, ``n_random``, ``seed``)
    and the short run's :class:`SolverOptions` settings by name.
    """
    o = EquilibriaOptions.resolve(options, **settings)
    tol, n_random, seed, opts = o.tol, o.n_random, o.seed, o.solver
    space = StateSpace.of(model)
    found: list[Equilibrium] = []

    def add(lam, steps=0, sr=None, gap=None):
        lam = np.asarray(lam, dtype=float)
        if any(np.max(np.abs(e.lam - lam)) < 1e-7 for e in found):
            return
        if sr is None:
            sr, gap = _check_equilibrium(model, lam, tol, opts)
        found.append(_equilibrium(model, lam, sr, steps, gap, tol, True))

    if space.sizes == (2,) and starts is None:
        def f(t):
            sr = short_run(model, [t, 1.0 - t], options=opts)
            diff = sr.payoff[0] - sr.payoff[1]
            return diff / _scale(sr) if np.isfinite(diff) else np.sign(diff)

        grid = np.linspace(0.0, 1.0, 201)
        vals = np.array([f(t) for t in grid])
        for a, b, fa, fb in zip(grid[:-1], grid[1:], vals[:-1], vals[1:], strict=True):
            if fa == 0.0 and 0.0 < a < 1.0:
                add([a, 1.0 - a])
            elif fa * fb < 0:
                t = brentq(f, a, b, xtol=1e-15, rtol=4 * np.finfo(float).eps)
                add([t, 1.0 - t])
        for lam in ([1.0, 0.0], [0.0, 1.0]):
            sr, gap = _check_equilibrium(model, lam, tol, opts)
            if gap <= tol:
                add(lam, sr=sr, gap=gap)
    else:
        candidates = [model.symmetric_state()]
        if model.state_is_regions():  # each corner, one at a time (no n x n identity)
            candidates = itertools.chain(candidates, (np.eye(1, space.n, i)[0] for i in range(space.n)))
        for lam in candidates:
            sr, gap = _check_equilibrium(model, lam, tol, opts)
            if gap <= tol:
                add(lam, sr=sr, gap=gap)
        if starts is None:
            rng = np.random.default_rng(seed)
            starts = [None] + [np.concatenate([rng.dirichlet(np.ones(k)) for k in space.sizes])
                               for _ in range(n_random)]
        ticker = Ticker("equilibria", len(starts), "starts")
        for n, s in enumerate(starts):
            eq = long_run(model, s, tol=tol, options=opts, stability=False)
            if eq.converged:
                add(eq.lam, eq.iterations)
            ticker.tick(n + 1, f"{len(found)} equilibria found, K={model.K}")
        ticker.done(f"{len(found)} equilibria")
    found.sort(key=lambda e: tuple(-e.lam))
    return found
