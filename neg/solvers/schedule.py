"""Parameter schedules: piecewise-linear paths of model parameters over time, for
:func:`neg.simulate`.

A :class:`Schedule` (or a plain dict ``{name: [(t0, v0), (t1, v1), ...]}``) names its parameters as
the model does (``"phi"``, ``"T"``, ``"mu"``, a whole per-region vector ``"farmers"`` or one entry
``"farmers[2]"`` / ``"farmers[<region name>]"``); :class:`ParameterPaths` reads it against a model,
checks it at every knot and gives the model at any time. Setting one entry of a per-region
parameter is :meth:`Model.with_param <neg.models.base.Model.with_param>`'s rule.
"""

from __future__ import annotations

import dataclasses
import numbers
import re
from collections.abc import Iterable, Mapping

import numpy as np

__all__ = ["Schedule", "ParameterPaths"]


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
    regional = _per_region(model)
    return list(model.numeric_params()) + regional + [f"{n}[i]" for n in regional]


def _per_region(model) -> list[str]:
    """Per-region parameters: share vectors and policy rates (e.g. tax, cost)."""
    return list(model.regional_params) + list(model.regional_rates)


def _parse_key(model, key) -> tuple[str, int | None]:
    if not isinstance(key, str):
        raise TypeError(f"schedule: parameter names must be strings, got {key!r}")
    valid = _valid_names(model)
    regional = tuple(_per_region(model))
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


class ParameterPaths:
    """A schedule read against a model: the scheduled parameters as functions of time.

    ``model_at(t)`` builds (and caches) the model at time t; ``values_at(t)`` gives the scheduled
    parameters' values. Every knot is validated on construction (left and right values)."""

    def __init__(self, model, schedule: Schedule | Mapping | None):
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

    def _at(self, t: float, left: bool) -> tuple[dict[str, float | np.ndarray], dict[str, dict[int, float]]]:
        """(whole parameters -> value, per-region parameter -> {scheduled entry: value}) at t."""
        whole: dict[str, float | np.ndarray] = {}
        entries: dict[str, dict[int, float]] = {}
        for p in self.paths:
            v = p.at(t, left)
            if p.index is None:
                whole[p.param] = float(v) if np.ndim(v) == 0 else np.array(v)
            else:
                entries.setdefault(p.param, {})[p.index] = float(v)
        return whole, entries

    def values_at(self, t: float, left: bool = False) -> dict[str, float | np.ndarray]:
        """The scheduled model fields at time t (per-region ones as full vectors); at a jump the
        value after it, or with ``left=True`` the value just before it."""
        whole, entries = self._at(t, left)
        return {**whole, **{param: _set_entries(self.model, param, ent) for param, ent in entries.items()}}

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
    """The per-region vector ``param`` of ``model`` with some entries set. One entry is set by
    :meth:`Model.with_param <neg.models.base.Model.with_param>` (a share vector's other entries are
    rescaled proportionally so that it still sums to 1); several entries of a policy rate are set
    as given; several entries of a share vector are set together, the others rescaled by the same
    rule: their base values times (1 - sum of the set entries) / (their base sum), or an equal
    split of the rest if they are all 0 in the base model."""
    if len(entries) == 1:
        (i, v), = entries.items()
        return np.array(getattr(model.with_param(f"{param}[{i}]", v), param), dtype=float)
    base = np.array(getattr(model, param), dtype=float)
    new = base.copy()
    idx = np.array(sorted(entries), dtype=int)
    vals = np.array([entries[i] for i in idx])
    if param in model.regional_rates:
        new[idx] = vals
        return new
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
