"""Following the stable long-run equilibrium as a parameter moves: :func:`trace`.

Natural-parameter continuation of the *stable* long-run equilibrium, warm-started from the
previous step (plus a tiny perturbation), upward and then downward, so hysteresis shows. Where
the state carried over from the previous point has lost stability, the trace leaves it along its
unstable mode and reports the stable state the migration dynamics reach.

Every branch of equilibria, stable and unstable, is drawn by :func:`bifurcation_diagram`
(:mod:`neg.solvers.diagram`, re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import xarray as xr

from neg.options import Options, nested, option
from neg.progress import Ticker
from neg.solvers._output import dim_name, model_attrs, state_dim
from neg.solvers.diagram import bifurcation_diagram
from neg.solvers.fixed_point import SolverOptions
from neg.solvers.long_run import _modes, long_run
from neg.state import StateSpace
from neg.variables import attrs, parameter_attrs

__all__ = ["trace", "bifurcation_diagram", "TraceOptions"]


@dataclass(frozen=True)
class TraceOptions(Options):
    """Settings of :func:`trace`."""

    algorithm: ClassVar[str] = "trace"

    tol: float = option(1e-10, "pos_number",
                        help="long-run tolerance on the relative payoff gap at each value")
    perturbation: float = option(1e-6, "nonneg_number", bounds=(0.0, 1.0),
                                 help="weight of the seeded random mix added to the carried state")
    seed: int = option(0, "nonneg_int", help="seed of the perturbations")
    solver: SolverOptions = nested(SolverOptions)


# ----------------------------------------------------------------------------- trace
def _nudge(lam: np.ndarray, size: float, rng: np.random.Generator, space: StateSpace) -> np.ndarray:
    """Mix a tiny positive random vector into lam: leaves unstable states, reopens empty regions."""
    r = space.normalise(rng.uniform(0.5, 1.5, lam.size))
    return space.normalise((1.0 - size) * lam + size * r)


_ESCAPE_STEPS = (1e-3, 1e-2, 1e-1)  # sizes of the step off an unstable state (max-norm)
_ESCAPE_MAX_STEPS = 5000  # dynamics steps allowed per try (a degenerate point may creep forever)


def _leave_unstable(model, eq, drift: np.ndarray, tol: float, opts: SolverOptions,
                    space: StateSpace):
    """The stable equilibrium reached from the unstable equilibrium ``eq`` along its unstable
    direction, or None.

    The direction is the eigenvector of the leading eigenvalue of the migration dynamics'
    Jacobian (:func:`neg.stability`; for an empty region, mass entering it). Steps of growing
    size (``_ESCAPE_STEPS``) are tried first on the side of ``drift`` (the way the dynamics were
    moving), then on the other; :func:`neg.long_run` integrates from each (at most
    ``_ESCAPE_MAX_STEPS`` steps) until it reaches an equilibrium; the first stable one is returned.
    """
    _, _, v = _modes(model, eq.lam)
    if v is None or not np.all(np.isfinite(v)) or not np.any(v):
        return None
    v = v / np.max(np.abs(v))
    side = 1.0 if v @ drift >= 0 else -1.0
    for size in _ESCAPE_STEPS:
        for sign in (side, -side):
            lam = space.project(np.maximum(eq.lam + sign * size * v, 0.0))
            cand = long_run(model, lam, tol=tol, max_steps=_ESCAPE_MAX_STEPS, options=opts)
            if cand.converged and cand.stable:
                return cand
    return None


def trace(model, param: str, values, lam0=None, direction: str = "both", *,
          options: TraceOptions | SolverOptions | None = None, **settings) -> xr.Dataset:
    """Follow the stable long-run equilibrium along ``param``.

    At each value, :func:`neg.long_run` starts from the state carried over from the previous
    value mixed with a tiny perturbation (``perturbation``, seeded). Where the state so found is
    unstable (the carried state has lost stability; a small perturbation alone leaves it only
    slowly just past a break point, where its unstable eigenvalue is near 0), the trace leaves
    it along the unstable direction (the eigenvector of the leading eigenvalue of the dynamics' Jacobian, see
    :func:`neg.stability`) and reports the stable state reached. So the path jumps at the first
    value where the state it follows is unstable. A point where no stable state is found has
    ``converged=False`` (its values are where the search stopped, not a state of the path).

    ``direction``: "up" (ascending values from ``lam0``, default: the uniform distribution),
    "down" (descending from ``lam0``), or "both" (up, then down starting from where the up pass
    ended: the hysteresis loop).

    ``options``: :class:`TraceOptions` (or the short run's :class:`SolverOptions` alone);
    ``**settings``: any setting of :class:`TraceOptions` (``tol``, ``perturbation``, ``seed``) or
    of the short run's :class:`SolverOptions` (``method``, ``max_iter``, ...) by name, overriding
    ``options``.

    ``param`` is any numeric model parameter (``"phi"``, ``"T"``, ``"mu"``, ...) or one entry of a
    per-region share vector (``"farmers[2]"``; the other entries are rescaled).

    Returns a Dataset with dims ``direction`` ("up", "down"), the parameter (ascending; named
    ``param`` with brackets replaced by ``_``) and ``region``; variables ``lam``, ``real_wage``,
    ``wage``, ``income``, ``stable``, ``converged``, ``residual``, ``leading_eigenvalue``.
    """
    if direction not in ("both", "up", "down"):
        raise ValueError(f"direction: must be 'both', 'up' or 'down', got {direction!r}")
    vals = np.unique(np.asarray(values, dtype=float).ravel())
    if vals.size < 2:
        raise ValueError("values: need at least two distinct parameter values")
    model.with_param(param, vals[0])  # validates the name and the range early
    o = TraceOptions.resolve(options, **settings)
    tol, perturbation, opts = o.tol, o.perturbation, o.solver
    space = StateSpace.of(model)
    dirs = ["up", "down"] if direction == "both" else [direction]
    shape = (len(dirs), vals.size)
    out = {k: np.full(shape + (model.K,), np.nan) for k in ("real_wage", "wage", "income")}
    out["lam"] = np.full(shape + (space.n,), np.nan)  # the state: the regions, for one-group models
    stable = np.zeros(shape, dtype=bool)
    converged = np.zeros(shape, dtype=bool)
    residual = np.full(shape, np.nan)
    lead = np.full(shape, np.nan)
    rng = np.random.default_rng(o.seed)
    start = model.symmetric_state() if lam0 is None else space.validate(lam0, "lam0")
    lam = start
    ticker = Ticker("trace", len(dirs) * vals.size, "values")
    for d, name in enumerate(dirs):
        order = range(vals.size) if name == "up" else range(vals.size - 1, -1, -1)
        if name == "down" and direction == "down":
            lam = start
        for n, i in enumerate(order):
            m = model.with_param(param, vals[i])
            nudged = _nudge(lam, perturbation, rng, space)
            eq = long_run(m, nudged, tol=tol, options=opts)
            if eq.converged and not eq.stable:
                # settled on a state that has lost stability (near a break point its unstable
                # eigenvalue is small, so the perturbation grows slowly): leave it the way the
                # dynamics were drifting (from the carried state; else the perturbation's way)
                drift = eq.lam - lam if np.any(eq.lam != lam) else nudged - lam
                eq = _leave_unstable(m, eq, drift, tol, opts, space) or eq
            lam = eq.lam
            out["lam"][d, i], out["real_wage"][d, i] = eq.lam, eq.real_wage
            out["wage"][d, i], out["income"][d, i] = eq.wage, eq.income
            stable[d, i], residual[d, i] = eq.stable, eq.residual
            converged[d, i] = eq.converged and eq.stable  # an unstable state is not the path
            lead[d, i] = np.max(np.real(eq.eigenvalues)) if eq.eigenvalues.size else np.nan
            ticker.tick(d * vals.size + n + 1, f"{name}, {param}={vals[i]:.6g}")
    ticker.done(f"{int(converged.sum())} of {converged.size} values converged")
    dim = dim_name(param)
    sdim, labels = state_dim(model)
    param_attrs = parameter_attrs(param, model.param_variable(param))
    coords = {"direction": ("direction", dirs, attrs("direction")), dim: (dim, vals, param_attrs),
              "region": ("region", list(model.geography.names), attrs("region")),
              sdim: (sdim, labels, attrs(sdim))}
    dims3, dims2 = ("direction", dim, "region"), ("direction", dim)
    ds = xr.Dataset(
        {
            "lam": (("direction", dim, sdim), out["lam"], attrs("lam")),
            "real_wage": (dims3, out["real_wage"], attrs("real_wage")),
            "wage": (dims3, out["wage"], attrs("wage")),
            "income": (dims3, out["income"], attrs("income")),
            "stable": (dims2, stable, attrs("stable")),
            "converged": (dims2, converged, attrs("converged")),
            "residual": (dims2, residual, attrs("residual")),
            "leading_eigenvalue": (dims2, lead, attrs("leading_eigenvalue")),
        },
        coords=coords,
        attrs={**model_attrs(model, param), "study": "trace", "tol": tol,
               "perturbation": perturbation, "n_not_converged": int((~converged).sum())},
    )
    return ds
