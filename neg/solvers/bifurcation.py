"""Break and sustain points: where the uniform distribution and full agglomeration change
stability as the unit freeness phi varies. Model-agnostic (numerical), so they hold for any
geography on which the uniform distribution is an equilibrium (two regions, racetrack, ...).

* :func:`break_point` - the first phi (scanning up from 0) at which the leading eigenvalue of the
  replicator at the uniform distribution crosses zero, either way by default: from below in the
  core-periphery family (FKV 1999, ch. 5.3; for the racetrack Akamatsu, Takayama & Ikeda 2012),
  from above in Helpman's model (Helpman 1998); :func:`break_points` lists every crossing.
  Located by Brent's method on that eigenvalue, so its accuracy is that of the eigenvalue
  (central differences with Richardson extrapolation, about 1e-11), not the scan's grid.
* :func:`sustain_point` - the smallest phi above which full agglomeration in one region is an
  equilibrium: max_{i != r} (omega_i - omega_r) at lam = e_r crosses zero (FKV 1999, ch. 5.2);
  searched down to the smallest normal float, solved in log phi.

Where no such phi exists in (0, 1) - black-hole parameters (mu >= (sigma-1)/sigma in the CP
model: the uniform distribution is unstable and agglomeration sustainable at every phi), or
models such as footloose capital with no break - they return NaN and emit a
:class:`NoBifurcationWarning` saying why.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import brentq

from neg.solvers.fixed_point import SolverOptions, short_run
from neg.solvers.long_run import stability
from neg.state import StateSpace

__all__ = ["break_point", "break_points", "sustain_point", "NoBifurcationWarning",
           "uniform_leading_eigenvalue", "PHI_TINY"]

_TIGHT = SolverOptions(tol=1e-14, max_iter=1000)


class NoBifurcationWarning(UserWarning):
    """The requested bifurcation does not exist for these parameters."""


def default_phi_grid() -> np.ndarray:
    """Scan grid on (0, 1): dense near 0 and near 1 (where racetrack breaks can sit)."""
    inner = np.linspace(0.005, 0.995, 199)
    tail = 1.0 - np.logspace(-3, -8, 11)
    return np.unique(np.concatenate([np.logspace(-6, -2.5, 8), inner, tail]))


def _symmetric_state_at(model, phi: float) -> tuple[float, float]:
    """(payoff gap, leading eigenvalue) of the symmetric state at unit freeness ``phi``, both
    relative to the payoff level; the gap is 0 where the symmetric state is an equilibrium."""
    m = model.replace(phi=float(phi))
    lam = m.symmetric_state()
    sr = short_run(m, lam, options=_TIGHT)
    _, eig = stability(m, lam, sr)
    lead = float(np.max(np.real(eig))) / max(float(np.max(np.abs(sr.payoff))), 1e-300)
    return StateSpace.of(m).gap(lam, sr.payoff), lead


def uniform_leading_eigenvalue(model, phi: float) -> float:
    """Largest real part of the replicator's eigenvalues at the symmetric state (the uniform
    distribution for one-group models), for ``model`` at unit freeness ``phi``, scaled by the
    payoff level."""
    return _symmetric_state_at(model, phi)[1]


def _check_uniform_is_equilibrium(model) -> None:
    space = StateSpace.of(model)
    for phi in (0.3, 0.7):
        m = model.replace(phi=phi)
        lam = m.symmetric_state()
        sr = short_run(m, lam, options=_TIGHT)
        if space.gap(lam, sr.payoff) > 1e-9:
            raise ValueError(
                "break_point: the uniform distribution is not an equilibrium of this model on this "
                "geography (asymmetric geography or immobile factor), so it has no break point; "
                "use a symmetric setting (two_region, racetrack) or trace the equilibria instead"
            )


def _crossings(f, grid, zero: float = 1e-13):
    """Every bracket (a, b, rising) of the grid where f changes sign; values within ``zero`` of 0
    (round-off, e.g. the neutral limit phi -> 1) are not a crossing."""
    out = []
    prev_x, prev_v = None, None
    for x in grid:
        v = f(x)
        if prev_v is not None and abs(v) > zero and (prev_v < 0) != (v < 0):
            out.append((prev_x, x, v > 0))
        if abs(v) > zero:
            prev_x, prev_v = x, v
    return out


def _brent(f, a, b):
    return float(brentq(f, a, b, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200))


def break_points(model, *, grid=None) -> list[tuple[float, str]]:
    """Every unit freeness phi in (0, 1) at which the symmetric state changes stability, with
    ``"lose"`` or ``"gain"`` (as phi rises), in increasing order of phi.

    Raises ValueError if the symmetric state is not an equilibrium."""
    _check_uniform_is_equilibrium(model)
    grid = default_phi_grid() if grid is None else np.asarray(grid, dtype=float)

    def f(phi):
        return uniform_leading_eigenvalue(model, phi)

    return [(_brent(f, a, b), "lose" if rising else "gain") for a, b, rising in _crossings(f, grid)]


def _first_crossing(f, grid, rising: bool, zero: float = 1e-13):
    """First bracket [a, b] of the grid where f changes sign (- to + if rising, + to - if not)."""
    sign = 1.0 if rising else -1.0
    for a, b, up in _crossings(lambda x: sign * f(x), grid, zero):
        if up:
            return a, b
    return None


_KINDS = {"lose": "loses", "gain": "gains"}


def break_point(model, *, direction: str = "any", grid=None) -> float:
    """Unit freeness phi at which the uniform distribution (the symmetric state) changes
    stability as phi rises: a root of its leading eigenvalue (see :func:`break_points`).

    ``direction``: "any" (default: the first change as phi rises, whichever way: the break point
    of the core-periphery family, where it becomes unstable, and Helpman's, where it becomes
    stable), "lose" (the first phi where it becomes unstable; for Puga 1999 the break below the
    re-dispersion) or "gain" (the first phi where it becomes stable, e.g. Puga's re-dispersion).

    NaN, with a :class:`NoBifurcationWarning` saying why, where there is none in the scan grid
    (default: :func:`default_phi_grid`, (1e-6, 1 - 1e-8)): the state is stable at every phi
    (footloose capital), unstable at every phi (black-hole parameters, e.g. mu >= (sigma-1)/sigma
    in the CP model), or changes stability only the other way. Raises ValueError if the
    symmetric state is not an equilibrium.
    """
    if direction not in ("lose", "gain", "any"):
        raise ValueError(f"direction: must be 'lose', 'gain' or 'any', got {direction!r}")
    grid = default_phi_grid() if grid is None else np.asarray(grid, dtype=float)
    found = break_points(model, grid=grid)
    hits = [phi for phi, kind in found if direction in ("any", kind)]
    if hits:
        return hits[0]
    span = f"[{grid[0]:g}, {grid[-1]:g}]"
    if found:  # it changes stability, but only the other way
        phi, kind = found[0]
        reason = (f"the uniform distribution never {_KINDS[direction]} stability as phi rises in "
                  f"{span} (it {_KINDS[kind]} it at phi={phi:.6g})")
    elif uniform_leading_eigenvalue(model, grid[0]) >= 0:
        reason = (f"the uniform distribution is unstable at every phi in {span} (black-hole "
                  "parameters, e.g. mu >= (sigma-1)/sigma in the CP model)")
    else:
        reason = f"the uniform distribution is stable for every phi in {span}"
    warnings.warn(f"{model.name}: {reason}; no break point ({direction})", NoBifurcationWarning,
                  stacklevel=2)
    return float("nan")


def _corner_advantage(model, phi: float, region: int) -> float:
    """max_{i != r} (omega_i - omega_r) / omega_r at full agglomeration in region r."""
    m = model.replace(phi=float(phi))
    lam = np.zeros(m.K)
    lam[region] = 1.0
    sr = short_run(m, lam, options=_TIGHT)
    w = sr.payoff
    others = np.delete(w, region)
    return float(np.max(others - w[region])) / max(abs(float(w[region])), 1e-300)


def _is_vertex_transitive(model) -> bool:
    """All regions alike: uniform fundamentals (``model.uniform_fundamentals``) on a geography
    whose regions are all alike (``geography.vertex_transitive``); then one region stands for
    all (the sustain point of region 0 is every region's)."""
    return model.uniform_fundamentals and model.geography.vertex_transitive


PHI_TINY = float(np.finfo(float).tiny)  # the smallest normal float: the lowest freeness searched


def _log_brent(f, a: float, b: float) -> float:
    """Root of f in [a, b] (0 < a < b), by Brent's method in log phi (relative accuracy for
    roots of any size, down to PHI_TINY)."""
    t = brentq(lambda t: f(np.exp(t)), np.log(a), np.log(b), xtol=1e-15,
               rtol=4 * np.finfo(float).eps, maxiter=200)
    return float(np.exp(t))


def sustain_point(model, region: int | None = None, *, grid=None) -> float:
    """Smallest unit freeness phi above which full agglomeration in one region is stable: the
    root of the corner advantage max_{i != r} (omega_i - omega_r)/omega_r at lam = e_r
    (FKV 1999, ch. 5.2; two-region CP closed form:
    phi^(mu s/(s-1)) [(1 + mu)/2 phi + (1 - mu)/(2 phi)] = 1).

    The advantage is scanned on ``grid`` (default: :func:`default_phi_grid`); where
    agglomeration is already sustainable at the grid's first point, the scan goes on down in log
    phi to ``PHI_TINY`` (the smallest normal float; sustain points of CP models near the
    black-hole bound are astronomically small: 4e-13 for sigma=4, mu=0.7). The root is located
    by Brent's method in log phi.

    ``region``: the core region; default: every region (the smallest such phi over regions;
    one region suffices on symmetric geographies). NaN, with a :class:`NoBifurcationWarning`,
    where agglomeration is sustainable at every phi down to ``PHI_TINY`` (called a black hole
    only where the eigenvalues say so: the symmetric state is an equilibrium and not stable at
    ``PHI_TINY``) or at none.
    """
    if not model.state_is_regions():
        raise ValueError(f"sustain_point: {model.name}'s long-run state is not one distribution over "
                         "regions, so 'full agglomeration in one region' is not defined for it")
    grid = default_phi_grid() if grid is None else np.asarray(grid, dtype=float)
    if region is None:
        regions = [0] if _is_vertex_transitive(model) else range(model.K)
    else:
        if not 0 <= int(region) < model.K:
            raise ValueError(f"region: must be in [0, {model.K - 1}], got {region}")
        regions = [int(region)]
    best = float("nan")
    everywhere = False
    for r in regions:
        def f(phi, r=r):
            return _corner_advantage(model, phi, r)

        scan = grid
        if f(grid[0]) <= 0:  # look further down, in log phi
            scan = np.geomspace(PHI_TINY, grid[0], 61)
            if f(PHI_TINY) <= 0:
                everywhere = True
                continue
        hit = _first_crossing(f, scan, rising=False)
        if hit is None:
            continue
        phi_s = _log_brent(f, *hit)
        best = phi_s if np.isnan(best) else min(best, phi_s)
    if np.isnan(best):
        if everywhere:
            reason = f"sustainable at every phi down to {PHI_TINY:g} (the smallest normal float)"
            gap, lead = _symmetric_state_at(model, PHI_TINY)
            if gap <= 1e-9 and lead >= -1e-9:
                reason += ", where the uniform distribution is not stable either (black hole)"
        else:
            reason = f"not sustainable at any phi in [{grid[0]:g}, {grid[-1]:g}]"
        warnings.warn(f"{model.name}: full agglomeration is {reason}; no sustain point",
                      NoBifurcationWarning, stacklevel=2)
    return best
