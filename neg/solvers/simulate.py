"""Relocation paths over time: migration dynamics while parameters follow a schedule.

:func:`simulate` integrates the migration of the mobile factor. The long-run state ``lam`` is
one or more groups, each a simplex of shares (:mod:`neg.state`: most models have one group, the
K regional shares; others declare several with ``state_groups()``); all migration happens
within a group, and every mean below is over the component's own group g.

``"replicator"`` (FKV 1999, eq. 5.6, many-region form)
    d lam_i/dt = speed * lam_i * (g_i - g_bar_g),  g_bar_g = sum_{j in g} lam_j g_j,
    g_i = sign(d_i) * max(|d_i| - c, 0),             d_i = omega_i - omega_bar_g,
    with omega the short-run payoff at (lam, params(t)), omega_bar_g = sum_{j in g} lam_j omega_j
    and c >= 0 the migration cost: a unit moves only if its payoff gain exceeds c (in payoff
    units). With c = 0, g = d and g_bar = 0 (the textbook replicator); with c > 0, g_bar keeps the
    shares summing to 1 (this is the replicator applied to the net gains g). A component that
    empties stays empty (the faces of the simplex are invariant under the replicator); a group
    with a single occupied component stays put.

``"logit"`` with dispersion eta > 0 (perturbed best response)
    d lam_i/dt = speed * (p_i - lam_i),          p = softmax over the group of omega / eta;
    with a migration cost c > 0, movers from j choose i (in j's group) with probability
    P_ji = softmax_i((omega_i - c [i != j]) / eta) and d lam_i/dt = speed * (sum_j lam_j P_ji - lam_i).
    Shares stay interior (p_i > 0); eta -> 0 approaches best response, eta -> inf the uniform split.

Development zones (``model.share_caps()``, upper bounds on shares; shares never exceed them):

* Replicator: a component that reaches its cap is frozen there while the replicator would raise
  it, i.e. while its gain g_i - g_bar_g (with c = 0: omega_i - omega_bar_g) is positive, where
  the means run over the group's *free* components (occupied, not frozen) and weight by their
  shares; the free components share the rest of the group (1 - the frozen shares) under the
  replicator. It is released when that gain falls to -``RELEASE_GAP`` times the largest payoff
  (a hysteresis of 1e-10 against chattering) and then moves freely. This is the rule of
  :func:`neg.long_run`: at rest, a capped component may pay more than its group's free mean,
  not less.
* Logit: the choices that would overfill a capped component go to the others of its group in
  proportion to their choice probabilities (:meth:`neg.state.StateSpace.project`: the logit
  among the choices with room); the flow relaxes towards a point within the caps, so the shares
  stay within them.

Integration: :func:`scipy.integrate.solve_ivp` with an implicit / stiffness-switching method
("LSODA" by default, or "Radau", "BDF"), rtol 1e-8, atol 1e-12. The run stops at every knot of
the schedule (kinks and jumps are never stepped over; inside a segment the parameters are those
of the segment, at a knot the value after a jump applies). Every short run is warm-started from
the last one.

* Replicator: the state is y = log lam of the free components and lam = softmax(y) per group
  (times the group's free mass), so shares are positive and sum to 1 in every group by
  construction, whatever the step. An event stops the integration when a moving share falls to
  ``ZERO_SHARE`` = 1e-12; that share is set to exactly 0, the rest renormalised, and the
  integration restarts on the smaller face. Further events stop it when a share reaches its cap
  (it is frozen at exactly the cap) or a frozen share is released.
* Logit: the state is lam itself (the flow relaxes towards interior choice probabilities, and
  log coordinates would be violently stiff where lam_i << p_i); each group's sum is a linear
  invariant of the flow, round-off below 0 (of order atol) is clipped and the shares
  renormalised (and clipped to the caps) for the short run and the output.

If a segment fails (near a rest point the automatic first step can be far too long for a very
stiff flow), it is retried from a first step of 1e-9 times its length, then with "BDF"
(``attrs["retries"]``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import xarray as xr
from scipy.integrate import solve_ivp

from neg._version import __version__
from neg.geography import geography_note
from neg.options import Options, nested, option
from neg.progress import Ticker
from neg.solvers.fixed_point import SolverOptions
from neg.solvers.migration import _Face, _Flow, _IntegrationFailed, _onto, _settle
from neg.solvers.schedule import ParameterPaths, Schedule
from neg.state import StateSpace, payoff_scale
from neg.variables import attrs as variable_attrs
from neg.variables import parameter_attrs

__all__ = ["simulate", "SimulateOptions", "Schedule", "DYNAMICS", "INTEGRATORS", "ZERO_SHARE", "RELEASE_GAP"]

DYNAMICS = ("replicator", "logit")
INTEGRATORS = ("LSODA", "Radau", "BDF")
#: a replicator share that falls to this value is set to exactly 0
ZERO_SHARE = 1e-12
#: a share frozen at its cap is released when its gain falls this far (relative to the largest
#: payoff) below its group's free mean (hysteresis against chattering at the cap)
RELEASE_GAP = 1e-10
_OUTPUTS = ("wage", "income", "price_index", "real_wage", "payoff")


@dataclass(frozen=True)
class SimulateOptions(Options):
    """Settings of :func:`simulate`: the dynamics' constants, the integration and the short run."""

    algorithm: ClassVar[str] = "simulate"

    speed: float = option(1.0, "pos_number", help="migration speed: per unit of payoff difference "
                          "and time (replicator), per unit time (logit)")
    dispersion: float | None = option(None, "pos_number", nullable=True,
                                      help="eta of the logit choice probabilities, in payoff units "
                                           "(logit only)")
    migration_cost: float = option(0.0, "nonneg_number",
                                   help="payoff gain a move must exceed, in payoff units")
    integrator: str = option("LSODA", "choice", choices=INTEGRATORS,
                             help="solve_ivp method (implicit or stiffness-switching)")
    rtol: float = option(1e-8, "pos_number", help="relative tolerance of the integration")
    atol: float = option(1e-12, "pos_number", help="absolute tolerance of the integration")
    max_step: float = option(math.inf, "pos_number", bounds=(0.0, math.inf),
                             help="largest integration step (inf: no limit)")
    solver: SolverOptions = nested(SolverOptions)


def _output_times(t_end, dt, steps) -> np.ndarray:
    t_end = _positive("t_end", t_end)
    if (dt is None) == (steps is None):
        raise ValueError("dt, steps: give exactly one of dt= (output interval) or steps= (number of "
                         "output intervals)")
    if steps is not None:
        if isinstance(steps, bool) or int(steps) != steps or steps < 1:
            raise ValueError(f"steps: must be a positive integer, got {steps!r}")
        return np.linspace(0.0, t_end, int(steps) + 1)
    dt = float(dt)
    if not (np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt: must be a finite number > 0, got {dt}")
    n = t_end / dt
    if n > 10_000_000:
        raise ValueError(f"dt: {dt:g} gives {n:.3g} output times; use a larger dt")
    if abs(n - round(n)) <= 1e-9 * max(n, 1.0):
        return np.linspace(0.0, t_end, int(round(n)) + 1)
    return np.append(np.arange(int(np.floor(n)) + 1) * dt, t_end)


# --------------------------------------------------------------------------- simulate
def simulate(model, schedule, lam0, t_end, dt=None, steps=None, dynamics: str = "replicator", *,
             options: SimulateOptions | SolverOptions | None = None, **settings) -> xr.Dataset:
    """Relocation path: migration dynamics from ``lam0`` while parameters follow ``schedule``.

    Parameters
    ----------
    model : any neg model (its parameters are the values not in the schedule).
    schedule : dict (or :class:`Schedule`) ``{name: [(t0, v0), (t1, v1), ...]}``, piecewise linear
        in time; ``{}`` or None keeps the model's parameters. ``"name[i]"`` schedules one entry of a
        per-region share vector (e.g. ``"farmers[0]"``); the other entries are then rescaled
        proportionally so the vector still sums to 1.
    lam0 : initial state (the shares of each group, concatenated: K shares for one-group
        models); None = the symmetric state (``model.symmetric_state()``) with the seeded +-5%
        perturbation used by :func:`neg.long_run`. Shares above their caps are clipped
        (:meth:`neg.state.StateSpace.project`). Replicator: shares below 1e-12 are set to 0 and
        stay 0. Logit: zero shares are allowed (the flow leaves the boundary at once).
    t_end : final time (> 0; the unit of time is whatever ``speed`` is per unit of).
    dt, steps : exactly one: output interval (the times 0, dt, 2 dt, ..., plus t_end if it is not
        a multiple) or number of output intervals (``linspace(0, t_end, steps + 1)``).
    dynamics : "replicator" or "logit" (needs the setting ``dispersion`` eta > 0).
    options : :class:`SimulateOptions` (or the short run's :class:`SolverOptions` alone).
    **settings : any setting of :class:`SimulateOptions` or of the short run's
        :class:`SolverOptions` by name, overriding ``options``: ``speed`` (> 0, per unit of payoff
        difference and time for the replicator, per unit time for the logit relaxation),
        ``dispersion`` (eta of the logit, in payoff units), ``migration_cost`` (c >= 0 in payoff
        units; see the module docstring), ``integrator``, ``rtol``, ``atol``, ``max_step``
        (passed to :func:`scipy.integrate.solve_ivp`; integrator is one of "LSODA", "Radau",
        "BDF"; the state is log lam for the replicator, lam for the logit), and ``method``,
        ``max_iter``, ... of the short run.

    Returns
    -------
    xarray.Dataset with dims ``time`` and ``region``: ``lam`` and ``payoff`` (time, region),
    ``wage``, ``income``, ``price_index``, ``real_wage`` (time, region), ``converged`` (time; the
    short run at that time converged), and each scheduled parameter (time) or (time, region)
    under its model field name. When the state is not the K regional shares (several groups, or
    one group of another size), ``lam`` and ``payoff`` are along a ``state`` dim instead (labels
    ``model.state_labels()``, coord ``group``: the component's group). With share caps, coord
    ``share_cap`` along that dim. attrs record the model, its parameters (JSON), the state groups,
    the dynamics and its settings, the solver settings, the integration status and message, the
    components that emptied and when (``emptied``), the components that reached their cap or were
    released and when (``cap_events``), and the number of short-run solves; coords ``lat``/``lon``
    along region for coordinate geographies. Integration failures do not raise: the remaining
    times hold NaN, ``attrs["integration_status"]`` is -1 and a RuntimeWarning is issued.
    """
    if dynamics not in DYNAMICS:
        raise ValueError(f"dynamics: must be one of {DYNAMICS}, got {dynamics!r}")
    o = SimulateOptions.resolve(options, **settings)
    speed, dispersion, migration_cost = o.speed, o.dispersion, o.migration_cost
    integrator, rtol, atol, max_step, opts = o.integrator, o.rtol, o.atol, o.max_step, o.solver
    if dynamics == "logit" and dispersion is None:
        raise ValueError("dispersion: the logit dynamics needs a dispersion eta > 0 (dispersion=...)")
    if dynamics != "logit" and dispersion is not None:
        raise ValueError("dispersion: only used by dynamics='logit'; leave it None for the replicator")
    times = _output_times(t_end, dt, steps)
    t_end = float(times[-1])
    params = ParameterPaths(model, schedule)

    space = StateSpace.of(model)
    N = space.n
    for t_knot in params.knot_times:  # the caps are read once: the schedule must not move them
        caps_t = params.model_at(float(t_knot)).share_caps()
        if (caps_t is None) != (space.caps is None) or (
                caps_t is not None and not np.array_equal(caps_t, space.caps)):
            raise ValueError("schedule: share caps cannot change during a simulation")
    dim, labels = _state_dim(model, space)
    if lam0 is None:
        lam = space.perturbed(model.symmetric_state())
    else:
        lam = space.validate(lam0, "lam0")
        if lam.ndim != 1:
            raise ValueError(f"lam0: expected one distribution ({N},), not a stack")
    lam = _onto(space, lam)  # each group on its simplex, within the share caps
    if dynamics == "replicator":
        lam[lam < ZERO_SHARE] = 0.0
        lam = _onto(space, lam)

    flow = _Flow(params, space, dynamics, speed, dispersion, migration_cost, opts)
    n = times.size
    out_lam = np.full((n, N), np.nan)
    done = np.zeros(n, dtype=bool)
    emptied: list[dict] = []
    cap_events: list[dict] = []
    retries: list[dict] = []
    status, message = 0, "completed: reached t_end"
    cuts = [float(c) for c in params.knot_times if 0.0 < c < t_end] + [t_end]
    log_zero = np.log(ZERO_SHARE)

    def assign(lo, hi, value_at):
        sel = np.flatnonzero(~done & (times >= lo) & (times <= hi))
        for k in sel:
            out_lam[k] = value_at(times[k])
            done[k] = True

    def face_at(t, b, hit):
        """Frozen components at (t, lam): at their cap (or just reached it: ``hit``) with a gain
        above -delta / 2 (release happens at -delta, so a released component is not re-frozen),
        or in a group without free components; the others at their cap move freely."""
        near = (space.at_cap(lam) | hit) & (lam > 0)
        if not np.any(near):
            none = np.zeros(N, dtype=bool)
            return _Face(space, lam, none, none, 0.0)
        w = flow.payoff(t, lam, (t, b), occupied_only=True)
        delta = RELEASE_GAP * payoff_scale(w[lam > 0])
        frozen = near.copy()
        for _ in range(N):  # release the components that lose against the free mean
            free = (lam > 0) & ~frozen
            has_free = space.group_sums(free.astype(float))[space.gid] > 0
            drop = frozen & has_free & (flow.gains(lam, w, free, frozen) < -0.5 * delta)
            if not np.any(drop):
                break
            frozen &= ~drop
        free = (lam > 0) & ~frozen
        has_free = space.group_sums(free.astype(float))[space.gid] > 0
        _settle(space, lam, frozen)
        return _Face(space, lam, frozen, frozen & has_free, delta)

    t = 0.0
    hit = np.zeros(N, dtype=bool)
    ticker, ticking = Ticker("simulate", float(times[-1]), "model time"), f"{dynamics}, K={model.K}"
    stalls = 0
    try:
        for b in cuts:
            while t < b:
                if dynamics == "replicator":
                    face = face_at(t, b, hit)
                    hit = np.zeros(N, dtype=bool)
                    if not (np.any(face.moving) or np.any(face.releasable)):
                        frozen = lam.copy()
                        assign(t, b, lambda _s, frozen=frozen: frozen)
                        t = b
                        break

                    def rhs(s, y, face=face, seg=(t, b)):
                        ticker.tick(s, ticking)
                        return flow.dlog(s, y, face, seg)

                    def to_lam(y, face=face):  # on the simplices by construction; caps: clip
                        lam_y = face.to_lam(y)
                        return lam_y if space.caps is None else space.project(lam_y)

                    kinds, events = [], []
                    if np.any(face.mov):
                        def emptying(s, y, face=face):  # log of the smallest moving share - log(ZERO_SHARE)
                            return float(np.min(face.log_shares(y)[face.mov])) - log_zero

                        emptying.terminal, emptying.direction = True, -1
                        kinds.append("empty")
                        events.append(emptying)
                    if np.any(face.capped_mov):
                        def reaching(s, y, face=face):  # log(share / cap), largest over the moving
                            m = face.capped_mov
                            return float(np.max(face.log_shares(y)[m] - face.log_cap[m]))

                        reaching.terminal, reaching.direction = True, 1
                        kinds.append("cap")
                        events.append(reaching)
                    if np.any(face.releasable):
                        def releasing(s, y, face=face, seg=(t, b)):  # smallest frozen gain + delta
                            lam_s = face.to_lam(y)
                            g = flow.gains(lam_s, flow.payoff(s, lam_s, seg, occupied_only=True),
                                           face.free, face.frozen)
                            return float(np.min(g[face.releasable])) + face.delta

                        releasing.terminal, releasing.direction = True, -1
                        kinds.append("release")
                        events.append(releasing)
                    y0 = face.y0
                else:
                    def rhs(s, u, seg=(t, b)):
                        ticker.tick(s, ticking)
                        return flow.dlin(s, u, seg)

                    def to_lam(u):
                        return _onto(space, np.maximum(u, 0.0))

                    y0, kinds, events = lam, [], []
                # near a rest point the automatic first step can be far too long for a stiff flow
                # (repeated Newton failures): retry from a tiny first step, then with BDF
                for attempt, extra in enumerate(({}, {"first_step": 1e-9 * (b - t)},
                                                 {"first_step": 1e-9 * (b - t), "method": "BDF"})):
                    kw = {"method": integrator, **extra}
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore" if attempt < 2 else "default", UserWarning)
                        sol = solve_ivp(rhs, (t, b), y0, rtol=rtol, atol=atol, dense_output=True,
                                        max_step=max_step, events=events or None, **kw)
                    if sol.status != -1:
                        break
                    retries.append({"time": t, "method": kw["method"], "message": sol.message})
                if sol.status == -1:
                    raise _IntegrationFailed(f"integration failed at t = {sol.t[-1]:g}: {sol.message}")
                t_stop = float(sol.t[-1])
                lam_stop = to_lam(sol.y[:, -1])

                def value_at(s, sol=sol, to_lam=to_lam, t_stop=t_stop, lam_stop=lam_stop):
                    return lam_stop if s >= t_stop else to_lam(sol.sol(s))

                assign(t, t_stop, value_at)
                lam = lam_stop.copy()
                if sol.status == 1:
                    fired = {k for k, te in zip(kinds, sol.t_events, strict=True) if te.size}
                    y_stop = sol.y[:, -1]
                    logl = face.log_shares(y_stop)
                    if "empty" in fired:  # a moving share fell to ZERO_SHARE: empty it
                        zero = face.moving & (lam < ZERO_SHARE)
                        pos = np.flatnonzero(face.mov)
                        zero[face.idx[pos[np.argmin(logl[pos])]]] = True
                        for j in np.flatnonzero(zero):
                            emptied.append({dim: labels[j], "time": t_stop})
                        lam[zero] = 0.0
                    if "cap" in fired:  # a moving share reached its cap: it is frozen there
                        pos = np.flatnonzero(face.capped_mov)
                        gap = logl[pos] - face.log_cap[pos]
                        hit[face.idx[pos[gap >= min(np.max(gap), 0.0) - 1e-9]]] = True
                        for j in np.flatnonzero(hit):
                            cap_events.append({dim: labels[j], "time": t_stop, "event": "reached cap"})
                        lam[hit] = space.caps[hit]
                    if "release" in fired:  # a frozen share pays less than its group's free mean
                        w = flow.payoff(t_stop, lam, (t, b), occupied_only=True)
                        g = flow.gains(lam, w, face.free, face.frozen)
                        j = np.flatnonzero(face.releasable)[np.argmin(g[face.releasable])]
                        cap_events.append({dim: labels[j], "time": t_stop, "event": "released"})
                    lam = _onto(space, lam)
                    # events that do not advance time (chattering at a cap) must not loop forever
                    stalls = stalls + 1 if t_stop <= t + 1e-12 * max(abs(t), 1.0) else 0
                    if stalls > 4 * N + 10:
                        raise _IntegrationFailed(f"events at t = {t_stop:g} do not advance the "
                                                 f"integration (chattering at a share cap?)")
                t = t_stop
    except _IntegrationFailed as e:
        status, message = -1, str(e)
        warnings.warn(f"simulate: {e}; the remaining times hold NaN", RuntimeWarning, stacklevel=2)
    if status == 0:
        final = lam.copy()
        assign(t, np.inf, lambda _s: final)
    ticker.done("integrated" if status == 0 else "integration failed")

    # short runs at the output times (warm-started along the path)
    K = model.K
    outs = {name: np.full((n, N if name == "payoff" else K), np.nan) for name in _OUTPUTS}
    converged = np.zeros(n, dtype=bool)
    param_vals: dict[str, list] = {p: [] for p in params.params}
    for k, s in enumerate(times):
        vals = params.values_at(float(s))
        for p in params.params:
            param_vals[p].append(vals[p])
        if not done[k]:
            continue
        sr = flow.short_run(float(s), out_lam[k])
        for name in _OUTPUTS:
            outs[name][k] = getattr(sr, name)
        converged[k] = bool(np.all(sr.converged))

    return _dataset(model, space, params, times, out_lam, outs, converged, param_vals, dict(
        dynamics=dynamics, speed=speed, dispersion=np.nan if dispersion is None else dispersion,
        migration_cost=migration_cost, integrator=integrator, rtol=rtol, atol=atol,
        max_step=float(max_step), zero_share=ZERO_SHARE, release_gap=RELEASE_GAP,
        short_run_options=json.dumps(dataclasses.asdict(opts)),
        integration_status=status, integration_message=message,
        emptied=json.dumps(emptied), cap_events=json.dumps(cap_events), retries=json.dumps(retries),
        short_run_solves=flow.solves, rhs_evaluations=flow.rhs_evals,
        schedule=json.dumps({p.key: [[float(t), _jsonable(v)] for t, v in zip(p.times, p.values,
                                                                               strict=True)]
                             for p in params.paths}),
        neg_version=__version__,
    ))


def _state_dim(model, space: StateSpace) -> tuple[str, list[str]]:
    """The dim of ``lam`` and ``payoff``: "region" when the state is the shares of the K regions
    (one group of K), otherwise "state" (labels: ``model.state_labels()``)."""
    if space.sizes == (model.K,):
        return "region", list(model.geography.names)
    return "state", list(model.state_labels())


def _positive(name, v) -> float:
    try:
        v = float(v)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected a number, got {v!r}") from None
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"{name}: must be a finite number > 0, got {v}")
    return v


def _jsonable(v):
    return v.tolist() if isinstance(v, np.ndarray) else float(v)


def _dataset(model, space, params, times, lam, outs, converged, param_vals, attrs) -> xr.Dataset:
    region = list(model.geography.names)
    dim, labels = _state_dim(model, space)
    data = {"lam": (("time", dim), lam, variable_attrs("lam"))}
    for name in _OUTPUTS:
        data[name] = (("time", dim if name == "payoff" else "region"), outs[name], variable_attrs(name))
    data["converged"] = (("time",), converged, variable_attrs("converged"))
    for p, vals in param_vals.items():
        arr = np.array(vals, dtype=float)
        var = p if p not in data else f"param_{p}"
        dims = ("time",) if arr.ndim == 1 else ("time", "region")
        data[var] = (dims, arr, parameter_attrs(p, model.param_variable(p)))
    coords = {
        "time": ("time", times, variable_attrs("time")),
        "region": ("region", region, variable_attrs("region")),
    }
    if dim == "state":
        coords["state"] = ("state", labels, variable_attrs("state"))
        coords["group"] = ("state", space.gid, variable_attrs("group"))
    if space.caps is not None:
        cap_attrs = parameter_attrs("share_cap", model.param_variable("share_cap"))
        coords["share_cap"] = (dim, space.caps, cap_attrs)
    geo = model.geography
    if geo.coordinates is not None:
        coords["lat"] = ("region", geo.coordinates[:, 0], variable_attrs("lat"))
        coords["lon"] = ("region", geo.coordinates[:, 1], variable_attrs("lon"))
    base = {"model": model.name, "model_params": json.dumps(model.params()),
            "geography": geo.kind, "K": int(model.K),
            "state_groups": json.dumps(list(space.sizes)),
            "scheduled": json.dumps(params.params), **geography_note(geo)}
    return xr.Dataset(data, coords=coords, attrs={**base, **attrs})
