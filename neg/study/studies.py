"""Study kinds: each is a function (model, solver options, arguments) -> one point's output.

A point's output is a :class:`PointOutput`: named arrays with their dimensions (``region``,
``direction``, ``time``, ...), coordinates for those dimensions, and the point's ``converged``
flag and ``residual``. :func:`run_point` wraps a kind so that a failure becomes data (a flagged
point with the error message), never an exception, and :func:`run_chunk` computes a list of
points into a flat dataset (see :mod:`neg.study.io`).

Kinds (the config's ``study.kind``):

``equilibrium``         :func:`neg.long_run` from ``lam0``: lam, real_wage, wage, stable, ...
``equilibria``          :func:`neg.equilibria`: every equilibrium found, along a dim ``equilibrium``
                        padded (NaN) to the largest count over the sweep
``bifurcation_points``  :func:`neg.break_point` and :func:`neg.sustain_point` (phi and T)
``trace``               :func:`neg.trace` along ``param`` over ``values``
``bifurcation``         :func:`neg.bifurcation_diagram` of ``param`` in [lo, hi]
``simulate``            :func:`neg.simulate` with a ``schedule``
``shocks``              :func:`neg.simulate_shocks` (an ensemble along ``sample``) and its
                        :func:`neg.metrics.synchronisation` measures
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np
import xarray as xr

from neg.geography import Geography
from neg.metrics import synchronisation
from neg.models.base import Capability, ModelProtocol
from neg.options import Options, OptionSpec
from neg.shocks import Shocks, ShocksOptions, simulate_shocks
from neg.solvers.bifurcation import break_point, sustain_point, uniform_leading_eigenvalue
from neg.solvers.continuation import TraceOptions, bifurcation_diagram, trace
from neg.solvers.diagram import DiagramOptions
from neg.solvers.fixed_point import SolverOptions, short_run
from neg.solvers.long_run import DYNAMICS as LONG_RUN_DYNAMICS
from neg.solvers.long_run import EquilibriaOptions, LongRunOptions, equilibria, long_run, payoff_gap
from neg.solvers.simulate import DYNAMICS, SimulateOptions, simulate
from neg.state import StateSpace
from neg.study.io import flat_from_points
from neg.variables import VARIABLES, parameter_attrs
from neg.variables import attrs as variable_attrs
from neg.welfare import welfare

__all__ = ["Arg", "Kind", "KINDS", "PointOutput", "run_point", "run_chunk"]


@dataclass(frozen=True)
class Arg:
    """One argument of a study kind, as written in the config's ``study`` section.

    ``type``: number, pos_number, nonneg_number, unit_interval, int, pos_int, nonneg_int, bool,
    choice, shares (K shares or null), values (an axis specification), param (a model parameter
    name, maybe ``name[i]``), schedule. The settings of a kind's options object are Args made by
    :meth:`of` from their :class:`~neg.options.OptionSpec`.
    """

    type: str
    required: bool = False
    choices: tuple = ()
    nullable: bool = False
    help: str = ""

    @classmethod
    def of(cls, spec: OptionSpec) -> Arg:
        """The argument for a setting of an options object."""
        return cls(spec.type, choices=spec.choices, nullable=spec.nullable, help=spec.help)


@dataclass
class PointOutput:
    variables: dict[str, tuple[tuple[str, ...], np.ndarray, dict]] = field(default_factory=dict)
    coords: dict[str, tuple[tuple[str, ...], np.ndarray, dict]] = field(default_factory=dict)
    converged: bool = True
    residual: float = float("nan")


@dataclass(frozen=True)
class Kind:
    """A study kind: ``run(model, solver options, args)`` computes one point. ``inputs`` are the
    kind's own arguments (param, values, lam0, ...); ``options`` is the options class of the
    algorithm it calls, whose settings are arguments too (:attr:`args`), so that a new setting of
    the algorithm is a config key, checked, without another edit."""

    name: str
    run: Callable[[Any, SolverOptions, dict], PointOutput]
    inputs: dict[str, Arg]
    options: type[Options] | None
    variables: tuple[str, ...]  # what it can store (for output.store)
    dims: tuple[str, ...]  # its own dimensions ("<param>": named after study.param)
    function: str  # the neg function it calls
    doc: str = ""
    #: an ensemble split into points (:class:`~neg.study.spec.Split`): (dim, count argument,
    #: first-member argument, size argument, default size); its count and size cannot be swept
    split: tuple[str, str, str, str, int] | None = None

    @property
    def args(self) -> dict[str, Arg]:
        """Every argument of the ``study`` section: the inputs, then the options' settings."""
        settings = self.options.specs() if self.options is not None else {}
        return {**self.inputs, **{k: Arg.of(spec) for k, spec in settings.items()}}

    def build_options(self, solver: SolverOptions, args: dict) -> Options:
        """The kind's options object: its settings from ``args``, the short-run ``solver`` nested
        (ValueError naming the setting, from the options class)."""
        if self.options is None:
            raise TypeError(f"study kind {self.name!r} has no options")  # pragma: no cover
        given = {k: args[k] for k in self.options.specs() if k in args}
        nests = SolverOptions in self.options.nested_options().values()
        return self.options.resolve(solver if nests else None, **given)


# --------------------------------------------------------------------------- helpers
def _var(out: PointOutput, name: str, dims, values, **attrs) -> None:
    out.variables[name] = (tuple(dims), np.asarray(values), variable_attrs(name, **attrs))


def _last_dim(model, arr) -> str:
    """"region" for a vector over the K regions; "state" for a long-run state that is not one
    distribution over the regions (several groups, or configurations such as HQ/plant pairs)."""
    n = np.shape(arr)[-1] if np.ndim(arr) else 0
    regions = model.state_is_regions()
    return "region" if n == model.K and (regions or n != _state_size(model)) else "state"


def _state_size(model) -> int:
    """Number of components of the model's long-run state."""
    return int(sum(model.state_groups()))


def _region_coords(out: PointOutput, model_or_geo: ModelProtocol | Geography) -> None:
    """The coordinates region (and lat/lon where the geography has coordinates) and, for a
    model whose variables lie along "state", the state's labels."""
    if isinstance(model_or_geo, Geography):
        geo, model = model_or_geo, None
    else:
        geo, model = model_or_geo.geography, model_or_geo
    if model is not None and any("state" in dims for dims, _, _ in out.variables.values()):
        out.coords["state"] = (("state",), np.array(model.state_labels()), variable_attrs("state"))
    out.coords["region"] = (("region",), np.array(geo.names), variable_attrs("region"))
    if geo.coordinates is not None:
        out.coords["lat"] = (("region",), geo.coordinates[:, 0], variable_attrs("lat"))
        out.coords["lon"] = (("region",), geo.coordinates[:, 1], variable_attrs("lon"))


def _from_dataset(ds, rename: dict[str, str]) -> PointOutput:
    """A neg result Dataset as a PointOutput (``rename`` maps its variable names to ours)."""
    out = PointOutput()
    for name, v in ds.data_vars.items():
        new = rename.get(name, name)
        attrs = variable_attrs(new) if new in VARIABLES else dict(v.attrs)
        out.variables[new] = (tuple(v.dims), np.asarray(v.values), attrs)
    for name, c in ds.coords.items():
        out.coords[name] = (tuple(c.dims), np.asarray(c.values), dict(c.attrs))
    return out


def param_dim(param: str) -> str:
    """The dimension name neg.trace / neg.bifurcation_diagram give a parameter ("farmers[0]" ->
    "farmers_0")."""
    return str(param).replace("[", "_").replace("]", "").strip()


# --------------------------------------------------------------------------- kinds
def _equilibrium(model, opts, args) -> PointOutput:
    eq = long_run(model, args.get("lam0"), args.get("dynamics", "replicator"),
                  options=KINDS["equilibrium"].build_options(opts, args))
    out = PointOutput(converged=bool(eq.converged), residual=float(eq.residual))
    for name in ("lam", "real_wage", "wage", "income", "price_index", "payoff"):
        value = getattr(eq, name)
        if value is not None:
            _var(out, name, (_last_dim(model, value),), value)
    _var(out, "stable", (), bool(eq.stable))
    _var(out, "iterations", (), int(eq.iterations))
    lead = float(np.max(np.real(eq.eigenvalues))) if eq.eigenvalues.size else np.nan
    _var(out, "leading_eigenvalue", (), lead)
    if args.get("welfare"):
        _welfare_outputs(out, model, eq)
    _region_coords(out, model)
    return out


#: what ``welfare: true`` adds to an equilibrium study (neg.welfare at the equilibrium)
WELFARE_VARIABLES = ("utility", "welfare", "real_income", "gdp", "real_gdp", "national_welfare",
                     "national_utility", "national_real_income", "national_real_gdp", "national_gdp")


def _welfare_outputs(out: PointOutput, model, eq) -> None:
    """neg.welfare's accounts at the equilibrium: per head ``utility`` (group, region), regional
    ``welfare``, real income, GDP and real GDP, and the national totals (see neg.welfare)."""
    w = welfare(model, eq)
    for name in WELFARE_VARIABLES:
        _var(out, name, w[name].dims, w[name].values)
    out.coords["group"] = (("group",), np.asarray(w["group"].values), variable_attrs("group"))


def _equilibria(model, opts, args) -> PointOutput:
    found = equilibria(model, options=KINDS["equilibria"].build_options(opts, args))
    K, n = model.K, len(found)
    out = PointOutput(converged=all(e.converged for e in found),
                      residual=max((float(e.residual) for e in found), default=np.nan))
    for name in ("lam", "real_wage"):
        rows = [np.asarray(getattr(e, name), dtype=float) for e in found]
        size = rows[0].size if rows else (K if name == "real_wage" else _state_size(model))
        dim = _last_dim(model, np.zeros(size))
        _var(out, name, ("equilibrium", dim), np.array(rows, dtype=float).reshape(n, size))
    _var(out, "stable", ("equilibrium",), np.array([e.stable for e in found], dtype=bool))
    _var(out, "pattern", ("equilibrium",), np.array([e.kind for e in found], dtype=str))
    _var(out, "equilibria_residual", ("equilibrium",), np.array([e.residual for e in found], dtype=float))
    _var(out, "n_equilibria", (), n)
    _region_coords(out, model)
    return out


def _bifurcation_points(model, opts, args) -> PointOutput:
    phi_b, phi_s = break_point(model), sustain_point(model)
    # residuals: the leading eigenvalue at phi_B, the corner payoff advantage at phi_S (both ~ 0)
    res = []
    if np.isfinite(phi_b):
        res.append(abs(uniform_leading_eigenvalue(model, phi_b)))
    if np.isfinite(phi_s):
        m = model.replace(phi=phi_s)
        gaps = []
        for r in range(m.K):
            lam = np.zeros(m.K)
            lam[r] = 1.0
            sr = short_run(m, lam, tol=1e-14, max_iter=1000)
            gaps.append(payoff_gap(lam, sr.payoff) if np.all(sr.converged) else np.inf)
        res.append(min(gaps))
    out = PointOutput(converged=bool(np.all(np.isfinite(res))) if res else True,
                      residual=max(res) if res else np.nan)
    s = model.sigma
    for name, phi in (("break", phi_b), ("sustain", phi_s)):
        _var(out, f"{name}_point", (), float(phi))
        _var(out, f"{name}_T", (), float(phi ** (1.0 / (1.0 - s))) if np.isfinite(phi) else np.nan)
        _var(out, f"has_{name}", (), bool(np.isfinite(phi)))
    return out


def _trace(model, opts, args) -> PointOutput:
    ds = trace(model, args["param"], args["values"], lam0=args.get("lam0"),
               direction=args.get("direction", "both"), options=KINDS["trace"].build_options(opts, args))
    out = _from_dataset(ds, {"converged": "trace_converged", "residual": "trace_residual"})
    conv = np.asarray(ds["converged"].values, dtype=bool)
    out.converged = bool(conv.all())
    r = np.asarray(ds["residual"].values, dtype=float)
    out.residual = float(np.nanmax(r)) if np.any(np.isfinite(r)) else np.nan
    return out


def _bifurcation(model, opts, args) -> PointOutput:
    ds = bifurcation_diagram(model, args["param"], args["lo"], args["hi"],
                             options=KINDS["bifurcation"].build_options(opts, args))
    out = _from_dataset(ds, {})
    _var(out, "short_run_solves", (), int(ds.attrs.get("short_run_solves", -1)))
    # residual: the largest payoff gap over all computed branch points (each an equilibrium)
    P = np.asarray(ds[param_dim(args["param"])].values, dtype=float)
    L = np.asarray(ds["lam"].values, dtype=float)
    gaps = []
    space = StateSpace.of(model)
    for b, j in zip(*np.nonzero(np.isfinite(P)), strict=True):
        lam = space.normalise(np.clip(L[b, j], 0.0, None))
        sr = short_run(model.with_param(args["param"], P[b, j]), lam, options=opts)
        gaps.append(space.gap(lam, sr.payoff))
    out.residual = float(max(gaps)) if gaps else np.nan
    out.converged = bool(gaps) and bool(np.all(np.isfinite(gaps)))
    return out


def _simulate(model, opts, args) -> PointOutput:
    ds = simulate(model, args.get("schedule") or {}, args.get("lam0"), args["t_end"], args.get("dt"),
                  args.get("steps"), args.get("dynamics", "replicator"),
                  options=KINDS["simulate"].build_options(opts, args))
    out = _from_dataset(ds, {"converged": "simulate_converged"})
    status = int(ds.attrs.get("integration_status", 0))
    _var(out, "integration_status", (), status)
    _var(out, "short_run_solves", (), int(ds.attrs.get("short_run_solves", -1)))
    conv = np.asarray(ds["converged"].values, dtype=bool)
    out.converged = bool(conv.all()) and status == 0
    lam, pay = np.asarray(ds["lam"].values[-1]), np.asarray(ds["payoff"].values[-1])
    # residual: how far the final state is from a long-run equilibrium (payoff gap)
    occupied = lam > 0
    out.residual = (float(StateSpace.of(model).gap(lam, pay)) if np.all(np.isfinite(pay[occupied]))
                    else np.nan)
    return out


#: the study keys that make the Shocks (the rest of the kind's keys: ShocksOptions, periods, ...)
_SHOCK_KEYS = ("persistence", "sd", "common", "spatial_range", "target")


def _shocks_of(args: dict) -> Shocks:
    return Shocks(**{k: args[k] for k in _SHOCK_KEYS if args.get(k) is not None})


#: samples per point of the study engine (``study.samples_per_chunk``): each call of
#: neg.simulate_shocks has a cost per period whatever its samples, so parts should not be small
#: (8 regions, per sample: alone 16x, in parts of 10 3.7x, of 20 1.5x the cost in parts of 40),
#: while an ensemble of 200 samples still makes 10 tasks for workers, shards and resume
SAMPLES_PER_CHUNK = 20


def _shocks(model, opts, args) -> PointOutput:
    """Samples ``first_sample ..`` (the point's part of the ensemble, :class:`Split`) of
    :func:`neg.simulate_shocks` and their :func:`neg.metrics.synchronisation` measures. Every
    measure is one sample's statistic (its volatility, correlation, ... over time), so a part's
    measures are the whole ensemble's for its samples: bit for bit, whatever the split."""
    o = KINDS["shocks"].build_options(opts, args)
    first = int(args.get("first_sample", 0))
    ds = simulate_shocks(model, args["periods"], _shocks_of(args), args["migration_speed"],
                         migration_cost=o.migration_cost, dynamics=o.dynamics, samples=o.samples,
                         seed=0 if o.seed is None else o.seed, burn_in=o.burn_in,
                         dispersion=o.dispersion, lam0=args.get("lam0"), first_sample=first,
                         options=o.solver)
    if "sample" not in ds.dims:
        ds = ds.expand_dims("sample").assign_coords(sample=[first])
    sync = synchronisation(ds, args.get("hp_lambda", 1600.0))
    out = _from_dataset(ds.drop_vars(["lat", "lon"], errors="ignore"),
                        {"converged": "shocks_converged"})
    for name, v in sync.data_vars.items():
        out.variables[str(name)] = (tuple(v.dims), np.asarray(v.values), dict(v.attrs))
    out.coords["region_"] = (("region_",), np.asarray(sync["region_"].values), variable_attrs("region_"))
    _region_coords(out, model)
    out.coords["sample"] = (("sample",), np.asarray(ds["sample"].values), variable_attrs("sample"))
    out.converged = bool(np.all(ds["converged"].values))
    return out


@dataclass(frozen=True)
class _ShocksKind(Kind):
    """The kind ``shocks``: its options are :class:`ShocksOptions`, and the shocks' own keys are
    checked by :class:`Shocks` (the message names the key)."""

    def build_options(self, solver: SolverOptions, args: dict) -> Options:
        _shocks_of(args)
        return super().build_options(solver, args)


_NUM, _POS = "number", "pos_number"
_LAM0 = Arg("shares", nullable=True, help="starting shares (default: perturbed uniform)")

KINDS: dict[str, Kind] = {
    "equilibrium": Kind(
        "equilibrium", _equilibrium,
        {"lam0": _LAM0, "dynamics": Arg("choice", choices=LONG_RUN_DYNAMICS),
         "welfare": Arg("bool", help="add neg.welfare's accounts at the equilibrium")}, LongRunOptions,
        ("lam", "real_wage", "wage", "income", "price_index", "payoff", "stable", "iterations",
         "leading_eigenvalue") + WELFARE_VARIABLES, ("region",), "long_run",
        "the long-run equilibrium reached by migration dynamics from lam0"),
    "equilibria": Kind(
        "equilibria", _equilibria, {}, EquilibriaOptions,
        ("lam", "real_wage", "stable", "pattern", "equilibria_residual", "n_equilibria"),
        ("equilibrium", "region"), "equilibria", "every long-run equilibrium found"),
    "bifurcation_points": Kind(
        "bifurcation_points", _bifurcation_points, {}, None,
        ("break_point", "sustain_point", "break_T", "sustain_T", "has_break", "has_sustain"), (),
        "break_point", "break and sustain points (unit freeness phi and iceberg T)"),
    "trace": Kind(
        "trace", _trace,
        {"param": Arg("param", required=True), "values": Arg("values", required=True),
         "lam0": _LAM0, "direction": Arg("choice", choices=("both", "up", "down"))}, TraceOptions,
        ("lam", "real_wage", "wage", "income", "stable", "trace_converged", "trace_residual",
         "leading_eigenvalue"), ("direction", "<param>", "region"), "trace",
        "the stable equilibrium followed along param, up and down"),
    "bifurcation": Kind(
        "bifurcation", _bifurcation,
        {"param": Arg("param", required=True), "lo": Arg(_NUM, required=True),
         "hi": Arg(_NUM, required=True)}, DiagramOptions,
        ("<param>", "lam", "stable", "branch_kind", "support_size", "stalled", "lost", "lost_reason",
         "special_kind", "special_value", "special_lam", "special_branch", "short_run_solves"),
        ("branch", "point", "region", "special"), "bifurcation_diagram",
        "every branch of equilibria in [lo, hi] and the special points"),
    "simulate": Kind(
        "simulate", _simulate,
        {"schedule": Arg("schedule"), "lam0": Arg("shares", nullable=True, help="starting shares"),
         "t_end": Arg(_POS, required=True), "dt": Arg(_POS), "steps": Arg("pos_int"),
         "dynamics": Arg("choice", choices=DYNAMICS)}, SimulateOptions,
        ("lam", "wage", "income", "price_index", "real_wage", "payoff", "simulate_converged",
         "integration_status", "short_run_solves", "<schedule>"), ("time", "region"), "simulate",
        "relocation path over time while parameters follow a schedule"),
    "shocks": _ShocksKind(
        "shocks", _shocks,
        {"periods": Arg("pos_int", required=True, help="periods recorded"),
         "persistence": Arg(_NUM, required=True, help="AR(1) persistence rho in (-1, 1)"),
         "sd": Arg("nonneg_number", required=True, help="standard deviation of the innovations"),
         "common": Arg("nonneg_number", help="share of the variance common to all regions, in [0, 1]"),
         "spatial_range": Arg(_POS, nullable=True, help="range of the spatial correlation (distance)"),
         "target": Arg("param", help="the shocked per-region parameter (default productivity)"),
         "migration_speed": Arg("nonneg_number", required=True, help="0: nobody moves"),
         "lam0": Arg("shares", nullable=True, help="starting shares (default: symmetric)"),
         "hp_lambda": Arg(_POS, help="HP smoothing parameter of the cycle measures (1600)"),
         "samples_per_chunk": Arg("pos_int", help=f"samples per point of the study engine (a task "
                                  f"for workers, shards and resume; {SAMPLES_PER_CHUNK})")},
        ShocksOptions,
        ("gdp", "wage", "real_wage", "lam", "shock", "shocks_converged", "volatility",
         "mean_volatility", "correlation", "mean_correlation", "mean_concordance",
         "mean_concordance_independent", "sigma_convergence", "growth_dispersion",
         "beta_convergence", "share_volatility", "real_wage_gap"),
        ("sample", "time", "region", "region_"), "simulate_shocks",
        "an ensemble of shock paths with migration, and its synchronisation measures",
        split=("sample", "samples", "first_sample", "samples_per_chunk", SAMPLES_PER_CHUNK)),
}


# --------------------------------------------------------------------------- running points
@dataclass
class PointResult:
    index: int
    output: PointOutput | None
    failed: bool
    error: str
    seconds: float


_DIAGNOSTICS = {"iterations", "short_run_solves", "integration_status", "n_equilibria"}


def _mask_unconverged(out: PointOutput, kind: str, args: dict) -> None:
    """Set the results of what did not converge to NaN (flags and diagnostics stay).

    With a per-step flag (``trace_converged`` over direction x param, ``simulate_converged`` over
    time) only the unconverged steps are masked; otherwise, if the point did not converge, all its
    floating-point results. Inputs (a simulation's scheduled parameters) are never masked.
    """
    inputs = set()
    for key in (args.get("schedule") or {}):
        base = str(key).split("[")[0].strip()
        inputs |= {base, f"param_{base}"}

    def maskable(name, arr):
        return (np.asarray(arr).dtype.kind in "fc" and name not in _DIAGNOSTICS and name not in inputs
                and not name.endswith(("_converged", "_residual")))

    flag = out.variables.get(f"{kind}_converged")
    if flag is not None:
        fdims, fvals, _ = flag
        bad = ~np.asarray(fvals, dtype=bool)
        if not bad.any():
            return
        for name, (dims, arr, attrs) in list(out.variables.items()):
            if maskable(name, arr) and tuple(dims[:len(fdims)]) == tuple(fdims):
                arr = np.array(arr, dtype=float)
                arr[bad] = np.nan
                out.variables[name] = (dims, arr, attrs)
    elif not out.converged:
        for name, (dims, arr, attrs) in list(out.variables.items()):
            if maskable(name, arr):
                out.variables[name] = (dims, np.full(np.shape(arr), np.nan), attrs)


def run_point(study, i: int) -> PointResult:
    """Compute point ``i`` of ``study``; any exception becomes a failed point with its message."""
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model, opts, args = study.build_point(i)
            out = KINDS[study.kind].run(model, opts, args)
            if study.calibration:
                _calibration_outputs(out, model, study.calibration)
        if not study.keep_unconverged:
            _mask_unconverged(out, study.kind, args)
        if study.store is not None:
            keep = set(study.store)
            out.variables = {k: v for k, v in out.variables.items() if k in keep}
        return PointResult(int(i), out, False, "", time.perf_counter() - t0)
    except Exception as e:  # noqa: BLE001 - a failed point is data, not a crash
        msg = f"{type(e).__name__}: {e}"
        return PointResult(int(i), None, True, msg[:2000], time.perf_counter() - t0)


def _calibration_outputs(out: PointOutput, model, calibration: dict) -> None:
    """A calibrated study's region data (neg.study.calibration): the model's fundamentals at this
    point as variables, the data's columns and the observed shares as coordinates along region."""
    for name in ("amenity", "productivity"):
        out.variables[name] = (("region",), np.asarray(getattr(model, name), dtype=float),
                               parameter_attrs(name))
    for name, (values, attrs) in calibration["coords"].items():
        out.coords[name] = (("region",), np.asarray(values), dict(attrs))
    _region_coords(out, model)
    lam = out.variables.get("lam")
    if lam is not None and lam[0][-1:] == ("state",) and Capability.INDUSTRIES in model.capabilities:
        # a grouped state by (region, sector): each region's share of every industry's employment
        # and of manufacturing, so that the data's region coordinates (macro_region) group them
        dims, arr, _ = lam
        by = model.by_industry(xr.DataArray(arr, dims=dims))
        for name, new in (("lam", "industry_share"), ("manufacturing", "manufacturing")):
            v = by[name]
            out.variables[new] = (tuple(v.dims), np.asarray(v.values), dict(v.attrs))
        out.coords["industry"] = (("industry",), np.asarray(by["industry"].values),
                                  variable_attrs("industry"))


def set_threads(threads: int | None) -> None:
    """Limit numba's threads in this process (no-op for None)."""
    if threads is None:
        return
    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))


def run_chunk(study, indices, threads: int | None = None):
    """Compute the points ``indices`` and return them as a flat dataset (dim ``sweep_point``)."""
    set_threads(threads)
    return flat_from_points([run_point(study, int(i)) for i in indices])
