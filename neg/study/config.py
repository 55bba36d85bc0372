"""Study configs: safe YAML loading, dotted overrides, and validation that reports every problem.

A config has the top-level sections ``model``, ``geography``, ``solver``, ``study``, ``sweep`` and
``output`` (see docs/studies.md). :func:`load_study` reads it (``yaml.safe_load`` only), applies
``--set``-style overrides, checks everything before any work starts and returns a
:class:`neg.study.spec.Study`; or raises :class:`ConfigError` listing *all* problems, each with its
dotted key, file and line.

Value ranges are checked by the models themselves: the study is built (as for a real run) at the
sweep's points - all of them for up to 2000 points, otherwise the corners of the grid and a sample -
and the models' own messages ("sigma: must be > 1, got 0.5") are reported under the key that set
the value (``model.sigma``, or ``sweep.axes.sigma`` if a sweep axis did).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import yaml

from neg.models import REGISTRY
from neg.models.base import check_distribution, split_param
from neg.shocks import shock_targets
from neg.state import StateSpace
from neg.study.calibration import apply_calibration, read_calibration, region_labels, set_share_columns
from neg.study.checks import _geography, _model, _options_problem, _output, _solver, _study, _sweep
from neg.study.errors import ConfigError, Problem, did_you_mean
from neg.study.schema import SECTIONS, SOLVER_KEYS, _Checker, _map_message, _model_fields
from neg.study.source import Source, load_source
from neg.study.spec import Axis, Split, Study, build_geography
from neg.study.studies import KINDS, param_dim
from neg.study.sweep import describe

__all__ = ["ConfigError", "Problem", "Source", "load_source", "validate", "load_study", "did_you_mean",
           "SECTIONS"]

MAX_CHECKED = 2000  # range checks build the study at every point up to this many


def validate(src: Source) -> Study:
    """Check a loaded config; the :class:`Study`, or :class:`ConfigError` with every problem."""
    c = _Checker(src)
    c.problems.extend(src.problems)
    data = src.data
    if not isinstance(data, dict):
        c.err("", f"a config is a mapping of sections ({', '.join(SECTIONS)}), got {describe(data)}")
        raise ConfigError(c.problems)
    for k in data:
        if not isinstance(k, str) or k not in SECTIONS:
            c.err(str(k), f"unknown section {k!r}{did_you_mean(str(k), SECTIONS)}")
    for k in ("model", "study"):
        if data.get(k) is None:
            c.err(k, "missing section")
    geo_kind, geo_args = _geography(c, data.get("geography"))
    K, geo = None, None
    if geo_kind is not None:
        geo = build_geography(geo_kind, geo_args)
        K = geo.K
    model_name, params, cls, holes = _model(c, data.get("model"))
    cal = read_calibration(c, data.get("calibration"), geo, cls)
    if cal is not None and params is not None:
        set_share_columns(c, cal, params, cls)
    solver = _solver(c, data.get("solver"))
    kind, args = _study(c, data.get("study"), K)
    labels = region_labels(geo.names, cal.dataset if cal is not None else None) if geo is not None else None
    sweep = {} if "sweep" in data and data["sweep"] is None else data.get("sweep")  # "sweep:" is empty
    mode, axes, chunk, seed, failed_axes = _sweep(c, sweep, cls, kind, geo_kind, K, labels)
    split = KINDS[kind].split if kind is not None else None
    if split is not None:  # an ensemble split into points: its dim and its split are not swept
        bad = [a for a in axes if a.target.section == "study" and a.target.name in split[1:4:2]]
        for a in bad:
            c.err(f"sweep.axes.{a.name}", f"study.{a.target.name}: sets how each setting's ensemble is "
                                          f"split into points of the study engine, so it cannot be "
                                          f"swept; run one config per {a.target.name}")
        if mode == "random":
            c.err("sweep.mode", f"a {kind} study has its own dim {split[0]!r} (the ensemble), which "
                                "a random sweep would also use: sweep a grid or zip")
        if bad or mode == "random":
            failed_axes = failed_axes | {a.name for a in axes}
            mode, axes = "none", []
    out_path, store, out_attrs = _output(c, data.get("output"), kind, args, src)
    keep_unconverged = bool(out_attrs.pop("_keep_unconverged", False))
    if kind in ("trace", "bifurcation") and args is not None:
        pd = param_dim(args["param"])
        for a in axes:
            if a.name == pd or a.target.key in (f"model.{args['param']}", f"model.{pd}"):
                c.err(f"sweep.axes.{a.name}", f"{args['param']} is already the {kind}'s own parameter "
                                              f"(study.param); it cannot also be a sweep axis")
    # keys whose checks would only echo a problem already reported
    ignore = set(holes)
    for n in failed_axes:
        ignore |= {f"model.{n}", "model.phi"} if n != "*" else {"*"}
    pieces_ok = (None not in (geo_kind, params, solver, args) and kind is not None and not holes
                 and not failed_axes)
    if pieces_ok:
        study = Study(kind=kind, model_name=model_name, model_params=params, geography_kind=geo_kind,
                      geography_args=geo_args, solver=solver, args=args, mode=mode if axes else "none",
                      axes=axes, chunk_size=chunk, output_path=out_path, store=store,
                      keep_unconverged=keep_unconverged,
                      config_text=_dump(data), source_text=src.text,
                      source_path=str(src.path) if src.path else "", sweep_seed=seed, attrs=out_attrs,
                      split=_split(kind, args))
        if cal is not None:
            apply_calibration(c, study, cal)
        _range_checks(c, study, ignore)
    elif params is not None:
        # another section is broken: still check the model's own values (with stand-ins for
        # missing or mistyped required parameters, and two regions for a broken geography)
        keep = ("model",) + (("geography",) if geo_kind is not None else ()) + (
            ("solver",) if solver is not None else ())
        if geo_kind is None:
            geo_kind, geo_args = "two_region", {}
            ignore |= {f"model.{r}" for r in cls.regional_params}
        study = Study(kind="equilibrium", model_name=model_name, model_params=params,
                      geography_kind=geo_kind, geography_args=geo_args, solver=solver or {}, args={},
                      axes=[a for a in axes if a.target.section in keep])
        study.mode = mode if study.axes else "none"
        _range_checks(c, study, ignore, model_only=True)
    if c.problems:
        raise ConfigError(sorted(c.problems, key=lambda p: (p.line is not None, p.line or 0)))
    return study


def _split(kind: str, args: dict) -> Split | None:
    """How each setting's ensemble is split into points (kinds with ensembles, e.g. shocks)."""
    spec = KINDS[kind].split
    if spec is None:
        return None
    dim, count, first, size, default = spec
    total = args.get(count, getattr(KINDS[kind].options(), count))
    return Split(dim, count, first, int(total), int(args.get(size, default)))


def _dump(data) -> str:
    try:
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    except yaml.YAMLError:
        return repr(data)


def _check_points(study: Study) -> list[int]:
    n = study.n_settings
    if n <= MAX_CHECKED:
        return list(range(n))
    pts = set(np.linspace(0, n - 1, 500).astype(int).tolist())
    if study.mode == "grid":
        d = len(study.shape)
        if 2 ** d <= MAX_CHECKED:
            for corner in itertools.product(*[(0, s - 1) for s in study.shape]):
                pts.add(int(np.ravel_multi_index(corner, study.shape)))
    return sorted(pts)


def _range_checks(c: _Checker, study: Study, ignore: set[str], *, model_only: bool = False) -> None:
    """Build the study at sample points with the models' own validation; map their messages."""
    cls = REGISTRY[study.model_name]
    fields = list(_model_fields(cls)) + ["phi, T"]
    found: dict[str, list] = {}
    points = _check_points(study) if study.axes else [None]
    total = len(points)
    for i in points:
        values = study.point_values(i) if i is not None else {}
        by_target = {a.target.key: a for a in study.axes}
        try:
            model, _, args = study.build(values)
        except Exception as e:  # noqa: BLE001 - any failure is reported, never raised
            msg = str(e)
            stage = _stage(msg, fields)
            if stage == "solver":
                keys = {k: f"solver.{k}" for k in SOLVER_KEYS}
                key, m = _map_message(msg, keys, "solver")
            else:
                keys = {f: f"model.{f}" for f in fields}
                keys["phi, T"] = "model.phi"
                key, m = _map_message(msg, keys, "model")
            axis = _axis_for(key, by_target)
            if axis is not None and _fails_without(study, axis, values, msg):
                axis = None  # the parameter is wrong whatever the axis sets it to
            if axis is not None:
                key = f"sweep.axes.{axis.name}"
                m = f"{m} (at {axis.name} = {values[axis.name]:g})"
            if key not in ignore and not ("*" in ignore and key.startswith("model")):
                found.setdefault(key, []).append(m)
            if not model_only and study.args.get("lam0") is not None:
                _check_lam0(study.args["lam0"], study.geography().K, found)
            continue
        if model_only:
            continue
        _check_study_args(c, study, model, args, values, found, by_target)
    for key, msgs in found.items():
        extra = (f" ({len(msgs)} of {total} checked points)"
                 if key.startswith("sweep.axes") and total > 1 else "")
        c.err(key, msgs[0] + extra)


def _fails_without(study: Study, axis: Axis, values: dict, message: str) -> bool:
    """Does the study still fail, with the same message, at this point with ``axis`` left out?"""
    rest = [a for a in study.axes if a is not axis]
    other = study.replace(axes=rest, mode=study.mode if rest else "none")
    try:
        other.build({k: v for k, v in values.items() if k != axis.name})
    except Exception as e:  # noqa: BLE001
        return str(e) == message
    return False


def _stage(message: str, model_fields) -> str:
    head = message.partition(": ")[0]
    if head in SOLVER_KEYS and head not in model_fields:
        return "solver"
    return "model"


def _axis_for(key: str, by_target: dict):
    return by_target.get(key) or next((a for k, a in by_target.items() if k.startswith(key + "[")), None)


def _check_study_args(c, study: Study, model, args, values, found, by_target) -> None:
    """Arguments of the study that need the model: lam0, param, lo/hi, values, schedule, the
    shocks' target."""
    def report(key, msg):
        axis = _axis_for(key, by_target)
        if axis is not None:
            key, msg = f"sweep.axes.{axis.name}", f"{msg} (at {axis.name} = {values[axis.name]:g})"
        found.setdefault(key, []).append(msg)

    if args.get("lam0") is not None:
        _check_lam0(args["lam0"], model, found, report)
    kind = study.kind
    problem = _options_problem(kind, args)  # a swept setting of the kind's options
    if problem is not None:
        report(*problem)
    if kind == "shocks" and args.get("target") is not None:
        targets = shock_targets(model)
        if args["target"] not in targets:
            report("study.target", f"{args['target']!r} is not a per-region parameter of "
                                   f"{model.name}{did_you_mean(args['target'], targets)}")
    if kind in ("trace", "bifurcation"):
        p = args["param"]
        try:
            model.get_param(p)
        except (ValueError, TypeError) as e:
            report("study.param", str(e))
            return
        ends = ((args["values"].min(), "study.values"), (args["values"].max(), "study.values")) \
            if kind == "trace" else ((args["lo"], "study.lo"), (args["hi"], "study.hi"))
        for v, key in ends:
            try:
                model.with_param(p, v)
            except (ValueError, TypeError) as e:
                report(key, f"{e}")
    if kind == "simulate":
        for name, knots in (args.get("schedule") or {}).items():
            key = f"study.schedule.{name}"
            try:
                base, index = split_param(name)
                if isinstance(knots, float):
                    knots = [(0.0, knots)]
                for _, v in knots:
                    if isinstance(v, list):
                        if index is not None or base not in model.regional_params:
                            raise ValueError(f"{name}: only a per-region parameter takes a list per knot")
                        model.replace(**{base: np.array(v, dtype=float)})
                    else:
                        model.with_param(name, v)
            except (ValueError, TypeError) as e:
                report(key, str(e))


def _check_lam0(lam0, K, found, report=None) -> None:
    """K shares; or, given the model for K, its long-run state (grouped: every group sums to 1)."""
    try:
        if isinstance(K, int):
            check_distribution("lam0", lam0, K)
        else:
            StateSpace.of(K).validate(lam0, "lam0")
    except (ValueError, TypeError) as e:
        msg = str(e).partition(": ")[2] or str(e)
        if report is not None:
            report("study.lam0", msg)
        else:
            found.setdefault("study.lam0", []).append(msg)


def load_study(config, overrides=None, *, output=None, base=None) -> Study:
    """Load, override and validate a config: the :class:`Study` (or :class:`ConfigError`).

    ``output`` (a path) replaces ``output.path``; it is resolved against the current folder.
    ``base``: for a config dict, the folder its relative paths are resolved against (default: the
    current folder).
    """
    src = load_source(config, overrides, base=base)
    study = validate(src)
    if output is not None:
        study.output_path = Path(output)
    return study
