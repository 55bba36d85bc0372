"""Relocation paths over time: migration dynamics while parameters follow a schedule.

:func:`simulate` integrates the migration of the mobile factor,

``"replicator"`` (FKV 1999, eq. 5.6, many-region form)
    d lam_i/dt = speed * lam_i * (g_i - g_bar),  g_bar = sum_j lam_j g_j,
    g_i = sign(d_i) * max(|d_i| - c, 0),           d_i = omega_i - omega_bar,
    with omega the short-run payoff at (lam, params(t)), omega_bar = sum_j lam_j omega_j and c >= 0
    the migration cost: a unit moves only if its payoff gain exceeds c (in payoff units). With c = 0,
    g = d and g_bar = 0 (the textbook replicator); with c > 0, g_bar keeps the shares summing to 1
    (this is the replicator applied to the net gains g). A region that empties stays empty (the
    faces of the simplex are invariant under the replicator).

``"logit"`` with dispersion eta > 0 (perturbed best response)
    d lam_i/dt = speed * (p_i - lam_i),          p = softmax(omega / eta);
    with a migration cost c > 0, movers from j choose i with probability
    P_ji = softmax_i((omega_i - c [i != j]) / eta) and d lam_i/dt = speed * (sum_j lam_j P_ji - lam_i).
    Shares stay interior (p_i > 0); eta -> 0 approaches best response, eta -> inf the uniform split.

Integration: :func:`scipy.integrate.solve_ivp` with an implicit / stiffness-switching method
("LSODA" by default, or "Radau", "BDF"), rtol 1e-8, atol 1e-12. The run stops at every knot of
the schedule (kinks and jumps are never stepped over; inside a segment the parameters are those
of the segment, at a knot the value after a jump applies). Every short run is warm-started from
the last one.

* Replicator: the state is y = log lam of the occupied regions and lam = softmax(y), so shares
  are positive and sum to 1 by construction, whatever the step. An event stops the integration
  when an occupied share falls to ``ZERO_SHARE`` = 1e-12; that share is set to exactly 0, the
  rest renormalised, and the integration restarts on the smaller face.
* Logit: the state is lam itself (the flow relaxes towards interior choice probabilities, and
  log coordinates would be violently stiff where lam_i << p_i); sum(lam) = 1 is a linear
  invariant of the flow, round-off below 0 (of order atol) is clipped and the shares
  renormalised for the short run and the output.

If a segment fails (near a rest point the automatic first step can be far too long for a very
stiff flow), it is retried from a first step of 1e-9 times its length, then with "BDF"
(``attrs["retries"]``).
"""

from __future__ import annotations

import dataclasses
import json
import numbers
import re
import warnings
from collections.abc import Iterable, Mapping

import numpy as np
import xarray as xr
from scipy.integrate import solve_ivp
from scipy.special import logsumexp

from neg.solvers.fixed_point import SolverOptions, _check_lam, short_run
from neg.solvers.long_run import _perturbed_uniform

__all__ = ["simulate", "Schedule", "DYNAMICS", "INTEGRATORS", "ZERO_SHARE"]

DYNAMICS = ("replicator", "logit")
INTEGRATORS = ("LSODA", "Radau", "BDF")
#: a replicator share that falls to this value is set to exactly 0
ZERO_SHARE = 1e-12
_OUTPUTS = ("wage", "income", "price_index", "real_wage", "payoff")


# --------------------------------------------------------------------------- schedule
class Schedule:
    """Piecewise-linear paths of model parameters over time.

    ``Schedule({"phi": [(0, 0.1), (50, 0.6)]})`` or ``Schedule(phi=[(0, 0.1), (50, 0.6)])``.
    Keys: any numeric parameter of the model (``"phi"``, ``"T"``, ``"mu"``, ...), a whole per-region
    parameter (``"farmers"``: each value K shares) or one entry of it (``"farmers[2]"`` or
    ``"farmers[<region name>]"``). Values: knots ``[(t0, v0), (t1, v1), ...]`` with
    non-decreasing times; a jump is two knots at the same time (the value at that instant is the
    one after the jump); constant before the first and after the last knot. A bare number is a
    constant. A plain dict works wherever a Schedule does.
    """

    def __init__(self, paths: Mapping | None = None, /, **knots):
        merged = dict(paths or {})
        for k, v in knots.items():
            if k in merged:
                raise ValueError(f"schedule: {k!r} given twice")
            merged[k] = v
        self.paths = merged

    @classmethod
    def ramp(cls, name: str, t0: float, t1: float, v0, v1) -> Schedule:
        """``name`` = v0 until t0, linear to v1 at t1, then v1."""
        return cls({name: [(t0, v0), (t1, v1)]})

    @classmethod
    def step(cls, name: str, t: float, before, after) -> Schedule:
        """``name`` jumps from ``before`` to ``after`` at time ``t``."""
        return cls({name: [(t, before), (t, after)]})

    def __or__(self, other) -> Schedule:
        other = other.paths if isinstance(other, Schedule) else dict(other)
        clash = set(self.paths) & set(other)
        if clash:
            raise ValueError(f"schedule: {sorted(clash)} given twice")
        return Schedule({**self.paths, **other})

    def __repr__(self) -> str:
        return f"Schedule({self.paths!r})"


@dataclasses.dataclass
class _Path:
    key: str  # as given
    param: str  # model field
    index: int | None  # entry of a per-region parameter, or None
    times: np.ndarray  # (n,)
    values: np.ndarray  # (n,) or (n, K)

    def at(self, t: float, left: bool = False):
        """Value at t: right-continuous at a jump (the value after it), or the left limit."""
        ts, vs = self.times, self.values
        k = int(np.searchsorted(ts, t, side="left" if left else "right")) - 1
        if k < 0:
            return vs[0]
        if k >= ts.size - 1:
            return vs[-1]
        w = (t - ts[k]) / (ts[k + 1] - ts[k])  # ts[k] <= t < ts[k+1] (left: ts[k] < t <= ts[k+1])
        return vs[k] + w * (vs[k + 1] - vs[k])


_INDEX = re.compile(r"^\s*([A-Za-z_]\w*)\s*\[\s*(.+?)\s*\]\s*$")


def _valid_names(model) -> list[str]:
    scalars = list(model.numeric_params()) if hasattr(model, "numeric_params") else [
        f.name for f in dataclasses.fields(model)
        if f.name != "geography" and isinstance(getattr(model, f.name), numbers.Real)]
    regional = [n for n in getattr(model, "regional_params", ())]
    return scalars + regional + [f"{n}[i]" for n in regional]


def _parse_key(model, key) -> tuple[str, int | None]:
    if not isinstance(key, str):
        raise TypeError(f"schedule: parameter names must be strings, got {key!r}")
    valid = _valid_names(model)
    regional = tuple(getattr(model, "regional_params", ()))
    m = _INDEX.match(key)
    if m:
        base, raw = m.group(1), m.group(2)
        if base not in regional:
            raise ValueError(f"schedule: {key!r}: {base!r} is not a per-region parameter of {model.name}; "
                             f"valid names: {', '.join(valid)}")
        names = list(model.geography.names)
        if raw in names:
            return base, names.index(raw)
        try:
            i = int(raw)
        except ValueError:
            raise ValueError(f"schedule: {key!r}: the index must be an integer in [0, {model.K - 1}] "
                             f"or a region name ({', '.join(names)})") from None
        if not -model.K <= i < model.K:
            raise ValueError(f"schedule: {key!r}: region index must lie in [0, {model.K - 1}]")
        return base, i % model.K
    if key in valid and not key.endswith("[i]"):
        return key, None
    raise ValueError(f"schedule: unknown parameter {key!r} for {model.name}; valid names: {', '.join(valid)}")


def _parse_knots(key: str, knots, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(knots, numbers.Real):
        knots = [(0.0, knots)]
    if isinstance(knots, (str, bytes)) or not isinstance(knots, Iterable):
        raise TypeError(f"schedule[{key!r}]: expected knots [(t0, v0), (t1, v1), ...], got {knots!r}")
    knots = list(knots)
    if not knots:
        raise ValueError(f"schedule[{key!r}]: needs at least one knot (t, value)")
    times, values = [], []
    for k in knots:
        try:
            t, v = k
        except (TypeError, ValueError):
            raise ValueError(f"schedule[{key!r}]: each knot must be a pair (t, value), got {k!r}") from None
        try:
            t = float(t)
            v = np.array(v, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"schedule[{key!r}]: knot {k!r} is not numeric") from None
        if v.shape != shape:
            if shape:
                raise ValueError(f"schedule[{key!r}]: a per-region parameter needs {shape[0]} values per "
                                 f"knot (or schedule one entry as '{key}[i]'), got shape {v.shape}")
            raise ValueError(f"schedule[{key!r}]: expected a scalar value per knot, got shape {v.shape}")
        if not (np.isfinite(t) and np.all(np.isfinite(v))):
            raise ValueError(f"schedule[{key!r}]: knot {k!r} is not finite")
        times.append(t)
        values.append(v)
    ts = np.array(times)
    dt = np.diff(ts)
    if np.any(dt < 0):
        i = int(np.flatnonzero(dt < 0)[0])
        raise ValueError(f"schedule[{key!r}]: knot times must be non-decreasing (a jump is two knots "
                         f"at the same time), got t = {ts[i]:g} then {ts[i + 1]:g}")
    if np.any((dt[:-1] == 0) & (dt[1:] == 0)):
        raise ValueError(f"schedule[{key!r}]: at most two knots may share a time (a jump)")
    return ts, np.array(values)


class _Parameters:
    """Parameters as functions of time: model_at(t) builds (and caches) the model."""

    def __init__(self, model, schedule):
        if isinstance(schedule, Schedule):
            schedule = schedule.paths
        if schedule is None:
            schedule = {}
        if not isinstance(schedule, Mapping):
            raise TypeError(f"schedule: expected a dict {{name: [(t, value), ...]}} or a neg.Schedule, "
                            f"got {type(schedule).__name__}")
        self.model = model
        self.paths: list[_Path] = []
        for key, knots in schedule.items():
            param, index = _parse_key(model, key)
            base = getattr(model, param)
            shape = np.shape(base) if index is None else ()
            ts, vs = _parse_knots(key, knots, shape)
            self.paths.append(_Path(key, param, index, ts, vs))
        params = [p.param for p in self.paths]
        if "phi" in params and "T" in params:
            raise ValueError("schedule: give phi or T, not both (they are the same trade cost)")
        for p in set(params):
            whole = [q for q in self.paths if q.param == p and q.index is None]
            if whole and len([q for q in self.paths if q.param == p]) > 1:
                raise ValueError(f"schedule: {p!r} is scheduled both as a whole and entry by entry")
            idx = [q.index for q in self.paths if q.param == p and q.index is not None]
            if len(idx) != len(set(idx)):
                raise ValueError(f"schedule: an entry of {p!r} is scheduled twice")
        #: model fields whose values change, in schedule order
        self.params = list(dict.fromkeys(params))
        self._key = None
        self._model = model
        # validate at every knot (left and right values): constraints are convex, so the linear
        # interpolation between valid knots is valid too
        for t in sorted({float(t) for p in self.paths for t in p.times}):
            for left in (True, False):
                try:
                    self.model_at(t, left)
                except (ValueError, TypeError) as e:
                    raise ValueError(f"schedule: invalid parameters at t = {t:g}: {e}") from None

    @property
    def knot_times(self) -> np.ndarray:
        if not self.paths:
            return np.zeros(0)
        return np.unique(np.concatenate([p.times for p in self.paths]))

    def values_at(self, t: float, left: bool = False) -> dict[str, float | np.ndarray]:
        """The scheduled model fields at time t (per-region ones as full vectors); at a jump the
        value after it, or with ``left=True`` the value just before it."""
        out: dict[str, float | np.ndarray] = {}
        entries: dict[str, dict[int, float]] = {}
        for p in self.paths:
            v = p.at(t, left)
            if p.index is None:
                out[p.param] = float(v) if np.ndim(v) == 0 else np.array(v)
            else:
                entries.setdefault(p.param, {})[p.index] = float(v)
        for param, ent in entries.items():
            out[param] = _set_entries(self.model, param, ent)
        return out

    def model_at(self, t: float, left: bool = False):
        if not self.paths:
            return self.model
        vals = self.values_at(t, left)
        key = tuple((k, np.asarray(v).tobytes()) for k, v in vals.items())
        if key != self._key:
            self._model = self.model.replace(**vals)
            self._key = key
        return self._model


def _set_entries(model, param: str, entries: dict[int, float]) -> np.ndarray:
    """Set some entries of a per-region share vector; the others are rescaled proportionally
    (their base values times (1 - sum of the set entries) / (their base sum)) so the vector
    still sums to 1; if the others are all 0 in the base model, they split the rest equally."""
    base = np.array(getattr(model, param), dtype=float)
    new = base.copy()
    idx = np.array(sorted(entries), dtype=int)
    vals = np.array([entries[i] for i in idx])
    if np.any(vals < 0) or np.any(vals > 1):
        raise ValueError(f"{param}: a share must lie in [0, 1], got {vals.min():g} .. {vals.max():g}")
    rest = np.setdiff1d(np.arange(base.size), idx)
    total = float(vals.sum())
    if total > 1.0 + 1e-12:
        raise ValueError(f"{param}: the scheduled entries sum to {total:g} > 1")
    new[idx] = vals
    if rest.size:
        remaining = max(1.0 - total, 0.0)
        base_rest = float(base[rest].sum())
        new[rest] = base[rest] * (remaining / base_rest) if base_rest > 0 else remaining / rest.size
    return new


# --------------------------------------------------------------------------- dynamics
class _IntegrationFailed(RuntimeError):
    pass


class _Flow:
    """Right-hand sides of the migration dynamics, with warm-started short runs."""

    def __init__(self, params: _Parameters, dynamics, speed, eta, cost, opts):
        self.params = params
        self.dynamics = dynamics
        self.speed = speed
        self.eta = eta
        self.cost = cost
        self.opts = opts
        self.state = None
        self.solves = 0
        self.rhs_evals = 0

    def short_run(self, t, lam, left=False):
        model = self.params.model_at(t, left)
        x0 = self.state
        if x0 is not None and x0.shape != model.initial_state(lam).shape:
            x0 = None
        sr = short_run(model, lam, x0=x0, options=self.opts)
        self.solves += 1
        if not np.all(np.isfinite(sr.payoff)) and x0 is not None:  # bad warm start: cold restart
            sr = short_run(model, lam, options=self.opts)
            self.solves += 1
        if np.all(np.isfinite(sr.state)) and sr.converged:
            self.state = sr.state
        return sr

    def _gain(self, lam, w):
        d = w - lam @ w
        if self.cost > 0:
            d = np.sign(d) * np.maximum(np.abs(d) - self.cost, 0.0)
            d = d - lam @ d
        return self.speed * d

    def _logit_inflow(self, lam, w):
        """sum_j lam_j P_ji: the logit choice probabilities p (no cost) or the movers' inflow."""
        z = w / self.eta
        if self.cost == 0:
            return np.exp(z - logsumexp(z))
        K = w.size
        Z = z[None, :] - (self.cost / self.eta) * (1.0 - np.eye(K))  # row j: choices of movers from j
        return lam @ np.exp(Z - logsumexp(Z, axis=1, keepdims=True))

    def _payoff(self, t, lam, segment):
        a, b = segment
        t = min(max(t, a), b)
        sr = self.short_run(t, lam, left=t >= b and t > a)
        if not np.all(np.isfinite(sr.payoff)):
            raise _IntegrationFailed(f"short run gave non-finite payoffs at t = {t:g}")
        return sr.payoff

    def dlog(self, t, y, active, segment):
        """Replicator: d y/dt on the occupied regions, y = log lam (up to a constant); inside the
        schedule segment (a, b) the parameters are those of the segment (left limit at b)."""
        self.rhs_evals += 1
        lam = _from_log(y, active)
        return self._gain(lam, self._payoff(t, lam, segment))[active]

    def dlin(self, t, u, segment):
        """Logit: d lam/dt = speed (inflow - lam) in the shares themselves (a relaxation towards
        interior choice probabilities; round-off below 0 is clipped for the short run)."""
        self.rhs_evals += 1
        lam = _from_lin(u)
        return self.speed * (self._logit_inflow(lam, self._payoff(t, lam, segment)) - u)


def _from_log(y, active) -> np.ndarray:
    lam = np.zeros(active.size)
    e = np.exp(y - y.max())
    lam[active] = e / e.sum()
    return lam


def _from_lin(u) -> np.ndarray:
    lam = np.maximum(u, 0.0)
    return lam / lam.sum()


def _output_times(t_end, dt, steps) -> np.ndarray:
    try:
        t_end = float(t_end)
    except (TypeError, ValueError):
        raise TypeError(f"t_end: expected a number, got {t_end!r}") from None
    if not (np.isfinite(t_end) and t_end > 0):
        raise ValueError(f"t_end: must be a finite number > 0, got {t_end}")
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
             speed: float = 1.0, dispersion: float | None = None, migration_cost: float = 0.0,
             options: SolverOptions | None = None, integrator: str = "LSODA", rtol: float = 1e-8,
             atol: float = 1e-12, max_step: float = np.inf) -> xr.Dataset:
    """Relocation path: migration dynamics from ``lam0`` while parameters follow ``schedule``.

    Parameters
    ----------
    model : any neg model (its parameters are the values not in the schedule).
    schedule : dict (or :class:`Schedule`) ``{name: [(t0, v0), (t1, v1), ...]}``, piecewise linear
        in time; ``{}`` or None keeps the model's parameters. ``"name[i]"`` schedules one entry of a
        per-region share vector (e.g. ``"farmers[0]"``); the other entries are then rescaled
        proportionally so the vector still sums to 1.
    lam0 : initial shares (K); None = the uniform distribution with the seeded +-5% perturbation
        used by :func:`neg.long_run`. Replicator: shares below 1e-12 are set to 0 and stay 0.
        Logit: zero shares are allowed (the flow leaves the boundary at once).
    t_end : final time (> 0; the unit of time is whatever ``speed`` is per unit of).
    dt, steps : exactly one: output interval (the times 0, dt, 2 dt, ..., plus t_end if it is not
        a multiple) or number of output intervals (``linspace(0, t_end, steps + 1)``).
    dynamics : "replicator" or "logit" (needs ``dispersion`` eta > 0).
    speed : migration speed (> 0), per unit of payoff difference and time for the replicator, per
        unit time for the logit relaxation.
    dispersion : eta of the logit choice probabilities, in payoff units.
    migration_cost : c >= 0 in payoff units; see the module docstring.
    options : short-run :class:`SolverOptions`.
    integrator, rtol, atol, max_step : passed to :func:`scipy.integrate.solve_ivp` (integrator is
        one of "LSODA", "Radau", "BDF"; the state is log lam for the replicator, lam for the logit).

    Returns
    -------
    xarray.Dataset with dims ``time`` and ``region``: ``lam``, ``wage``, ``income``,
    ``price_index``, ``real_wage``, ``payoff`` (time, region), ``converged`` (time; the short run
    at that time converged), and each scheduled parameter (time) or (time, region) under its model
    field name. attrs record the model, its parameters (JSON), the dynamics and its settings, the
    solver settings, the integration status and message, the regions that emptied and when, and
    the number of short-run solves; coords ``lat``/``lon`` along region for coordinate
    geographies. Integration failures do not raise: the remaining times hold NaN,
    ``attrs["integration_status"]`` is -1 and a RuntimeWarning is issued.
    """
    import neg

    if dynamics not in DYNAMICS:
        raise ValueError(f"dynamics: must be one of {DYNAMICS}, got {dynamics!r}")
    if integrator not in INTEGRATORS:
        raise ValueError(f"integrator: must be one of {INTEGRATORS} (implicit or stiffness-switching), "
                         f"got {integrator!r}")
    speed = _positive("speed", speed)
    migration_cost = float(migration_cost)
    if not (np.isfinite(migration_cost) and migration_cost >= 0):
        raise ValueError(f"migration_cost: must be a finite number >= 0, got {migration_cost}")
    if dynamics == "logit":
        if dispersion is None:
            raise ValueError("dispersion: the logit dynamics needs a dispersion eta > 0 (dispersion=...)")
        dispersion = _positive("dispersion", dispersion)
    elif dispersion is not None:
        raise ValueError("dispersion: only used by dynamics='logit'; leave it None for the replicator")
    for name, v in (("rtol", rtol), ("atol", atol)):
        if not (np.isfinite(v) and v > 0):
            raise ValueError(f"{name}: must be > 0, got {v}")
    times = _output_times(t_end, dt, steps)
    t_end = float(times[-1])
    opts = options if options is not None else SolverOptions()
    if not isinstance(opts, SolverOptions):
        raise TypeError(f"options: expected a neg.SolverOptions, got {type(opts).__name__}")
    params = _Parameters(model, schedule)

    K = model.K
    if lam0 is None:
        lam = _perturbed_uniform(K)
    else:
        lam = _check_lam(model, lam0).astype(float).copy()
        if lam.ndim != 1:
            raise ValueError("lam0: expected one distribution (K,), not a stack")
    lam = lam / lam.sum()
    if dynamics == "replicator":
        lam[lam < ZERO_SHARE] = 0.0
        lam = lam / lam.sum()

    flow = _Flow(params, dynamics, speed, dispersion, migration_cost, opts)
    n = times.size
    out_lam = np.full((n, K), np.nan)
    done = np.zeros(n, dtype=bool)
    emptied: list[dict] = []
    retries: list[dict] = []
    status, message = 0, "completed: reached t_end"
    cuts = [float(c) for c in params.knot_times if 0.0 < c < t_end] + [t_end]
    log_zero = np.log(ZERO_SHARE)

    def assign(lo, hi, value_at):
        sel = np.flatnonzero(~done & (times >= lo) & (times <= hi))
        for k in sel:
            out_lam[k] = value_at(times[k])
            done[k] = True

    def emptying(s, y):  # log of the smallest occupied share minus log(ZERO_SHARE)
        return float(np.min(y) - logsumexp(y)) - log_zero

    emptying.terminal = True
    emptying.direction = -1

    t = 0.0
    try:
        for b in cuts:
            while t < b:
                active = lam > 0
                if dynamics == "replicator":
                    if active.sum() <= 1:
                        frozen = lam.copy()
                        assign(t, b, lambda _s, frozen=frozen: frozen)
                        t = b
                        break

                    def rhs(s, y, active=active, seg=(t, b)):
                        return flow.dlog(s, y, active, seg)

                    def to_lam(y, active=active):
                        return _from_log(y, active)

                    y0, events = np.log(lam[active]), emptying
                else:
                    def rhs(s, u, seg=(t, b)):
                        return flow.dlin(s, u, seg)

                    to_lam, y0, events = _from_lin, lam, None
                # near a rest point the automatic first step can be far too long for a stiff flow
                # (repeated Newton failures): retry from a tiny first step, then with BDF
                for attempt, extra in enumerate(({}, {"first_step": 1e-9 * (b - t)},
                                                 {"first_step": 1e-9 * (b - t), "method": "BDF"})):
                    kw = {"method": integrator, **extra}
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore" if attempt < 2 else "default", UserWarning)
                        sol = solve_ivp(rhs, (t, b), y0, rtol=rtol, atol=atol, dense_output=True,
                                        max_step=max_step, events=events, **kw)
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
                if sol.status == 1:  # an occupied share fell to ZERO_SHARE: empty it
                    zero = active & (lam < ZERO_SHARE)
                    zero[np.flatnonzero(active)[np.argmin(sol.y[:, -1])]] = True
                    for j in np.flatnonzero(zero):
                        emptied.append({"region": model.geography.names[j], "time": t_stop})
                    lam[zero] = 0.0
                    lam /= lam.sum()
                t = t_stop
    except _IntegrationFailed as e:
        status, message = -1, str(e)
        warnings.warn(f"simulate: {e}; the remaining times hold NaN", RuntimeWarning, stacklevel=2)
    if status == 0:
        final = lam.copy()
        assign(t, np.inf, lambda _s: final)

    # short runs at the output times (warm-started along the path)
    outs = {name: np.full((n, K), np.nan) for name in _OUTPUTS}
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

    return _dataset(model, params, times, out_lam, outs, converged, param_vals, dict(
        dynamics=dynamics, speed=speed, dispersion=np.nan if dispersion is None else dispersion,
        migration_cost=migration_cost, integrator=integrator, rtol=rtol, atol=atol,
        max_step=float(max_step), zero_share=ZERO_SHARE,
        short_run_options=json.dumps(dataclasses.asdict(opts)),
        integration_status=status, integration_message=message,
        emptied=json.dumps(emptied), retries=json.dumps(retries), short_run_solves=flow.solves,
        rhs_evaluations=flow.rhs_evals,
        schedule=json.dumps({p.key: [[float(t), _jsonable(v)] for t, v in zip(p.times, p.values,
                                                                               strict=True)]
                             for p in params.paths}),
        neg_version=neg.__version__,
    ))


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


_LONG_NAMES = {
    "wage": ("nominal reward of the mobile factor", "numeraire"),
    "income": ("regional income (expenditure)", "numeraire"),
    "price_index": ("price index of manufactures", "numeraire per composite unit"),
    "real_wage": ("real reward of the mobile factor", "utility per unit of the mobile factor"),
    "payoff": ("payoff equalised by migration", "payoff units"),
}


def _dataset(model, params, times, lam, outs, converged, param_vals, attrs) -> xr.Dataset:
    region = list(model.geography.names)
    mobile = getattr(model, "mobile_factor", "mobile factor")
    data = {
        "lam": (("time", "region"), lam, {"long_name": f"share of the mobile factor ({mobile})",
                                          "units": "1"}),
    }
    for name in _OUTPUTS:
        ln, units = _LONG_NAMES[name]
        data[name] = (("time", "region"), outs[name], {"long_name": ln, "units": units})
    data["converged"] = (("time",), converged, {"long_name": "short run converged at this time",
                                                 "units": "1"})
    for p, vals in param_vals.items():
        arr = np.array(vals, dtype=float)
        var = p if p not in data else f"param_{p}"
        dims = ("time",) if arr.ndim == 1 else ("time", "region")
        data[var] = (dims, arr, {"long_name": f"model parameter {p} (scheduled)", "units": "1"})
    coords = {
        "time": ("time", times, {"long_name": "time", "units": "1/speed"}),
        "region": ("region", region, {"long_name": "region"}),
    }
    geo = model.geography
    if getattr(geo, "coordinates", None) is not None:
        coords["lat"] = ("region", geo.coordinates[:, 0], {"units": "degrees_north"})
        coords["lon"] = ("region", geo.coordinates[:, 1], {"units": "degrees_east"})
    base = {"model": model.name, "model_params": json.dumps(model.params()),
            "geography": getattr(geo, "kind", "custom"), "K": int(model.K),
            "scheduled": json.dumps(params.params)}
    return xr.Dataset(data, coords=coords, attrs={**base, **attrs})
