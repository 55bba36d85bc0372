"""The validated study: a plain, picklable description from which every sweep point is built.

A :class:`Study` is what :func:`neg.study.config.validate` returns. It holds only plain data
(numbers, strings, numpy arrays: data files are read once, in the process that validates), so it
can be shipped to worker processes and Dask workers that do not share the config's folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neg.datasets import china_geography
from neg.geography import Geography
from neg.models import REGISTRY
from neg.operators import METRICS, OPERATOR_CHOICES
from neg.solvers.fixed_point import SolverOptions

__all__ = ["Study", "Target", "Axis", "Split", "GEOGRAPHY_KINDS", "GEOGRAPHY_REQUIRED",
           "GEOGRAPHY_CHOICES", "build_geography", "set_share"]


# --------------------------------------------------------------------------- geography
#: geography kind -> (constructor name, accepted arguments). File-based kinds read their file
#: during validation and carry the arrays (``distance``, ``lat``/``lon``, ``edges``) in ``args``.
GEOGRAPHY_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "two_region": ("two_region", ("names",)),
    "racetrack": ("racetrack", ("K", "names", "operator")),
    "line": ("line", ("K", "names", "operator")),
    "grid": ("grid", ("rows", "cols", "names", "metric", "operator")),
    "torus": ("torus", ("rows", "cols", "names", "metric", "operator")),
    "distances": ("from_distances", ("file", "matrix", "names")),
    "coordinates": ("from_coordinates", ("file", "lat", "lon", "names", "unit_km")),
    "edges": ("from_edges", ("file", "edges", "K", "directed", "names")),
    "china": ("china_geography", ("unit_km",)),
}
#: the arguments each lattice kind requires, and the choices of the lattices' named arguments
GEOGRAPHY_REQUIRED = {"racetrack": ("K",), "line": ("K",), "grid": ("rows", "cols"),
                      "torus": ("rows", "cols"), "edges": ("K",)}
GEOGRAPHY_CHOICES = {"metric": METRICS, "operator": OPERATOR_CHOICES}
GEOGRAPHY_ALIASES = {"from_distances": "distances", "from_coordinates": "coordinates",
                     "from_edges": "edges"}


def build_geography(kind: str, args: dict[str, Any]):
    """A :class:`neg.Geography` from a validated kind and its (loaded) arguments."""
    a = dict(args)
    names = a.get("names")
    if kind == "two_region":
        return Geography.two_region(names)
    lattice = {k: a[k] for k in ("metric", "operator") if a.get(k) is not None}
    if kind in ("racetrack", "line"):
        return getattr(Geography, kind)(a["K"], names, **lattice)
    if kind in ("grid", "torus"):
        return getattr(Geography, kind)(a["rows"], a["cols"], names, **lattice)
    if kind == "distances":
        return Geography.from_distances(a["distance"], names)
    if kind == "coordinates":
        kw = {} if a.get("unit_km") is None else {"unit_km": a["unit_km"]}
        return Geography.from_coordinates(a["lat"], a["lon"], names, **kw)
    if kind == "edges":
        return Geography.from_edges(a["edges"], a["K"], names, directed=bool(a.get("directed", False)))
    if kind == "china":
        return china_geography(**({} if a.get("unit_km") is None else {"unit_km": a["unit_km"]}))
    raise ValueError(f"kind: unknown geography kind {kind!r}")  # pragma: no cover - validated


def set_share(shares, index: int, value: float) -> np.ndarray:
    """Set one entry of a share vector; the others are rescaled proportionally so that the vector
    still sums to 1 (split equally if they were all 0). Same rule as ``Model.with_param``."""
    shares = np.array(shares, dtype=float)
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"a share must lie in [0, 1], got {value:g}")
    others = np.delete(np.arange(shares.size), index)
    rest = float(shares[others].sum())
    shares[others] = shares[others] / rest * (1.0 - value) if rest > 0 else (1.0 - value) / others.size
    shares[index] = value
    return shares


# --------------------------------------------------------------------------- sweep axes
@dataclass(frozen=True)
class Target:
    """What a sweep axis sets: ``section.name``, ``section.name[index]`` or, for a per-region
    parameter, ``section.name[label, ...]``: the regions named by the labels (region names, or
    values of a region coordinate of the calibration data such as ``macro_region``)."""

    section: str  # "model", "geography", "solver" or "study"
    name: str
    index: int | None = None
    integer: bool = False  # the parameter takes integers (values are cast to int)
    share: bool = False  # an entry of a share vector (the others are rescaled to sum to 1)
    regions: tuple[int, ...] | None = None  # a group of regions (``label`` names them)
    label: str = ""
    scale: bool = False  # the values multiply the parameter's values instead of replacing them

    @property
    def key(self) -> str:
        if self.regions is not None:
            return f"{self.section}.{self.name}[{self.label}]"
        return f"{self.section}.{self.name}" + ("" if self.index is None else f"[{self.index}]")


@dataclass(frozen=True, eq=False)
class Axis:
    """A swept parameter: its dimension name, target and values (float64, in sweep order)."""

    name: str
    target: Target
    values: np.ndarray
    long_name: str = ""
    units: str = ""

    def as_json(self) -> dict:
        out = {"name": self.name, "key": self.target.key, "values": [float(v) for v in self.values],
               "long_name": self.long_name, "units": self.units}
        if self.target.regions is not None:
            out["regions"] = list(self.target.regions)
        if self.target.scale:
            out["scale"] = True
        return out


@dataclass(frozen=True)
class Split:
    """Every setting's ensemble split into parts, each a point of the study engine (a task for
    the workers, shards and resume): part p holds the members ``p * size .. p * size + size - 1``
    (the last one fewer) of the ``total`` along ``dim``; the kind is given them as the arguments
    ``first`` (index of the first member) and ``count`` (how many). The parts of a setting are
    consecutive points; :func:`neg.study.io.gather` joins them along ``dim``."""

    dim: str  # "sample"
    count: str  # the kind's argument: members in this part ("samples")
    first: str  # the kind's argument: index of the part's first member ("first_sample")
    total: int
    size: int

    @property
    def parts(self) -> int:
        return -(-self.total // self.size)

    def as_json(self) -> dict:
        return {"dim": self.dim, "total": self.total, "size": self.size, "parts": self.parts}


# --------------------------------------------------------------------------- the study
@dataclass(eq=False)
class Study:
    """A validated study: everything needed to compute any point, as plain data."""

    kind: str
    model_name: str
    model_params: dict[str, Any]
    geography_kind: str
    geography_args: dict[str, Any]
    solver: dict[str, Any]
    args: dict[str, Any]
    mode: str = "none"  # "none", "grid", "zip" or "random"
    axes: list[Axis] = field(default_factory=list)
    chunk_size: int | None = None
    output_path: Path | None = None
    store: tuple[str, ...] | None = None
    keep_unconverged: bool = False  # False: results of unconverged points/steps are set to NaN
    config_text: str = ""  # effective config (YAML, after overrides)
    source_text: str = ""  # the file as written
    source_path: str = ""
    sweep_seed: int | None = None
    attrs: dict[str, Any] = field(default_factory=dict)  # output.attrs: extra global attributes
    #: the calibration's region data for the results (neg.study.calibration.region_outputs): coord
    #: name -> (values, attrs); the fitted fundamentals are in model_params, the fit in attrs
    calibration: dict[str, Any] | None = None
    split: Split | None = None  # each setting's ensemble in parts (the kind shocks)
    _geo_cache: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------ shape of the sweep
    @property
    def dims(self) -> tuple[str, ...]:
        if self.mode == "grid":
            return tuple(a.name for a in self.axes)
        if self.mode == "zip":
            return ("case",)
        if self.mode == "random":
            return ("sample",)
        return ()

    @property
    def shape(self) -> tuple[int, ...]:
        if self.mode == "grid":
            return tuple(a.values.size for a in self.axes)
        if self.mode in ("zip", "random"):
            return (self.axes[0].values.size,)
        return ()

    @property
    def n_settings(self) -> int:
        """Points of the sweep (the result's shape)."""
        return math.prod(self.shape)

    @property
    def n_points(self) -> int:
        """Points of the study engine: the settings, times the parts of each one's ensemble."""
        return self.n_settings * (self.split.parts if self.split is not None else 1)

    def point_values(self, i: int) -> dict[str, float]:
        """Axis name -> value at setting ``i`` (C order over the grid)."""
        if self.mode == "grid":
            idx = np.unravel_index(int(i), self.shape)
            return {a.name: float(a.values[j]) for a, j in zip(self.axes, idx, strict=True)}
        return {a.name: float(a.values[i]) for a in self.axes}

    def sweep_json(self) -> str:
        """The sweep (mode, dims, shape, axes with their values) as JSON, for result files."""
        out = {"mode": self.mode, "dims": list(self.dims), "shape": list(self.shape),
               "axes": [a.as_json() for a in self.axes]}
        if self.split is not None:
            out["split"] = self.split.as_json()
        return json.dumps(out)

    # ------------------------------------------------------------ building a point
    def geography(self, geo_args: dict[str, Any] | None = None):
        args = self.geography_args if geo_args is None else geo_args
        key = _canonical(args)
        geo = self._geo_cache.get(key)
        if geo is None:
            geo = build_geography(self.geography_kind, args)
            if len(self._geo_cache) > 64:
                self._geo_cache.clear()
            self._geo_cache[key] = geo
        return geo

    def build(self, values: dict[str, float] | None = None):
        """(model, solver options, study args) with the axis ``values`` applied."""
        values = values or {}
        params = dict(self.model_params)
        geo_args = dict(self.geography_args)
        solver = dict(self.solver)
        args = dict(self.args)
        indexed: list[tuple[Target, float]] = []
        for a in self.axes:
            t, v = a.target, values[a.name]
            if t.integer:
                v = int(round(v))
            if t.regions is not None or t.scale:
                indexed.append((t, v))
                continue
            if t.index is not None:
                if t.section == "model":
                    indexed.append((t, v))
                else:  # study.lam0[i]
                    K = self.geography(geo_args).K
                    base = args.get(t.name)
                    args[t.name] = set_share(np.full(K, 1.0 / K) if base is None else base, t.index, v)
                continue
            target = {"model": params, "geography": geo_args, "solver": solver, "study": args}[t.section]
            target[t.name] = v
            if t.section == "model" and t.name in ("phi", "T"):
                params.pop("T" if t.name == "phi" else "phi", None)
        geo = self.geography(geo_args)
        model = REGISTRY[self.model_name](geography=geo, **params)
        for t, v in indexed:
            model = _set_regions(model, t, v) if t.regions is not None or t.scale else \
                model.with_param(f"{t.name}[{t.index}]", v)
        return model, SolverOptions(**solver), args

    def build_point(self, i: int):
        """(model, solver options, study args) of engine point ``i``: a setting or, with a
        :class:`Split`, part ``i % parts`` of setting ``i // parts``."""
        if self.split is None:
            return self.build(self.point_values(i))
        sp = self.split
        setting, part = divmod(int(i), sp.parts)
        model, opts, args = self.build(self.point_values(setting))
        first = part * sp.size
        args[sp.first] = first
        args[sp.count] = min(sp.size, sp.total - first)
        return model, opts, args

    # ------------------------------------------------------------ identity
    def fingerprint(self) -> str:
        """Hash of everything that determines the results (not the output path or the chunking
        of points into tasks), and of the split of ensembles into points (:class:`Split`: it
        decides what a point, and so a chunk file or a shard, holds)."""
        payload = {
            "kind": self.kind, "model": self.model_name, "params": self.model_params,
            "geography": [self.geography_kind, self.geography_args], "solver": self.solver,
            "args": self.args, "mode": self.mode, "store": self.store,
            "keep_unconverged": self.keep_unconverged,
            "axes": [a.as_json() for a in self.axes],
            **({"calibration": self.calibration} if self.calibration else {}),
            **({"split": self.split.as_json()} if self.split is not None else {}),
        }
        return hashlib.sha256(_canonical(payload).encode()).hexdigest()[:16]

    def __getstate__(self):  # geographies are rebuilt (and cached) where the study is unpickled
        state = self.__dict__.copy()
        state["_geo_cache"] = {}
        return state

    def replace(self, **changes) -> Study:
        return dataclasses.replace(self, _geo_cache={}, **changes)


def _set_regions(model, t: Target, v: float):
    """The model with per-region parameter ``t.name`` set to ``v`` (``t.scale``: multiplied by
    ``v``) in the regions ``t.regions`` (all regions, or the one ``t.index``, if None); a share
    vector is then rescaled to sum to 1."""
    values = np.array(getattr(model, t.name), dtype=float)
    if values.ndim == 0:  # a scalar parameter, scaled
        return model.replace(**{t.name: float(values) * v if t.scale else v})
    where = (list(t.regions) if t.regions is not None
             else slice(None) if t.index is None else [t.index])
    values[where] = values[where] * v if t.scale else v
    if t.share:
        values = values / values.sum()
    return model.replace(**{t.name: values})


def _jsonable(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        return v.item()
    if isinstance(v, Path):
        return str(v)
    raise TypeError(type(v).__name__)  # pragma: no cover


def _canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, default=_jsonable)
