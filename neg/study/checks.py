"""The checks of a study config's sections (geography, model, solver, study, sweep, output): each
reads its section through the :class:`~neg.study.schema._Checker`, reports every problem under its
key and returns what it could read. Value ranges are left to the models themselves
(:mod:`neg.study.config` builds the study at the sweep's points)."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from neg.geography import read_coordinates, read_distances, read_edges
from neg.models import REGISTRY
from neg.solvers.fixed_point import SolverOptions
from neg.study import spec as study_spec
from neg.study.errors import did_you_mean
from neg.study.io import FLAT, POINT_VARS
from neg.study.schema import _BAD, OUTPUT_KEYS, SOLVER_KEYS, SWEEP_KEYS, _Checker, _map_message, _model_fields
from neg.study.source import Source
from neg.study.spec import GEOGRAPHY_ALIASES, GEOGRAPHY_KINDS, Axis, Target, build_geography
from neg.study.studies import KINDS, Arg, param_dim
from neg.study.sweep import MAX_POINTS, MODES, _num, describe, latin_hypercube, parse_axis
from neg.variables import VARIABLES, parameter_attrs


def _geography(c: _Checker, section):
    """(kind, args) with files read, or (None, None)."""
    if section is None:
        return "two_region", {}
    if not isinstance(section, dict):
        c.err("geography", f"expected a mapping with a kind (e.g. kind: racetrack), got {describe(section)}")
        return None, None
    kind = section.get("kind", "two_region" if not section else None)
    if kind is None:
        c.err("geography.kind", f"required: one of {', '.join(GEOGRAPHY_KINDS)}")
        return None, None
    if not isinstance(kind, str) or GEOGRAPHY_ALIASES.get(kind, kind) not in GEOGRAPHY_KINDS:
        c.err("geography.kind", f"unknown geography kind {kind!r}{did_you_mean(str(kind), GEOGRAPHY_KINDS)}")
        return None, None
    kind = GEOGRAPHY_ALIASES.get(kind, kind)
    allowed = GEOGRAPHY_KINDS[kind][1]
    c.mapping("geography", section, ("kind",) + allowed)
    args: dict[str, Any] = {}
    ok = True
    types = {"K": "int", "rows": "int", "cols": "int", "names": "names", "unit_km": "pos_number",
             "directed": "bool", "matrix": "any", "lat": "numbers", "lon": "numbers", "edges": "any",
             "file": "str", **dict.fromkeys(study_spec.GEOGRAPHY_CHOICES, "choice")}
    for k in allowed:
        if k in section:
            v = c.typed(f"geography.{k}", types[k], section[k], nullable=(k in ("names", "unit_km")),
                        choices=study_spec.GEOGRAPHY_CHOICES.get(k, ()))
            ok = ok and v is not _BAD
            if v is not _BAD:
                args[k] = v
    for k in study_spec.GEOGRAPHY_REQUIRED.get(kind, ()):
        if k not in section:
            c.err(f"geography.{k}", f"required for a {kind} geography")
            ok = False
    if not ok:
        return None, None
    base = c.src.base_dir
    try:
        if kind == "distances":
            if ("file" in args) == ("matrix" in args):
                c.err("geography", "give exactly one of file: (CSV or NPY of distances) or matrix: [[...]]")
                return None, None
            if "file" in args:
                D, names = read_distances(base / args.pop("file"))
                if names and "names" not in args:
                    args["names"] = names
            else:
                D = np.array(args.pop("matrix"), dtype=float)
            args["distance"] = D
        elif kind == "coordinates":
            has_ll = "lat" in args or "lon" in args
            if ("file" in args) == has_ll:
                c.err("geography", "give exactly one of file: (CSV with lat, lon columns, or NPY) or lat: "
                                   "and lon: lists")
                return None, None
            if "file" in args:
                lat, lon, names = read_coordinates(base / args.pop("file"))
                args["lat"], args["lon"] = lat, lon
                if names and "names" not in args:
                    args["names"] = names
            elif not ("lat" in args and "lon" in args):
                c.err("geography", "give both lat: and lon:")
                return None, None
            args["lat"] = np.array(args["lat"], dtype=float)
            args["lon"] = np.array(args["lon"], dtype=float)
        elif kind == "edges":
            if ("file" in args) == ("edges" in args):
                c.err("geography", "give exactly one of file: (CSV of i, j, length) or "
                                   "edges: [[i, j, length], ...]")
                return None, None
            if "file" in args:
                args["edges"] = read_edges(base / args.pop("file"))
            else:
                args["edges"] = np.array(args["edges"], dtype=float)
    except FileNotFoundError as e:
        c.err("geography.file", f"file not found: {e.filename}")
        return None, None
    except (ValueError, TypeError, OSError) as e:
        key = "geography.file" if "file" in section else "geography"
        c.err(key, f"cannot read: {e}")
        return None, None
    try:
        build_geography(kind, args)
    except (ValueError, TypeError) as e:
        c.err(*_map_message(str(e), {
            "distance": "geography.file" if "file" in section else "geography.matrix",
            "names": "geography.names", "K": "geography.K", "rows": "geography.rows",
            "cols": "geography.cols", "lat": "geography.lat", "lon": "geography.lon",
            "unit_km": "geography.unit_km",  # (grid:, torus: the default)
            "edges": "geography.file" if "file" in section else "geography.edges"}, "geography"))
        return None, None
    return kind, args


#: stand-in values for required parameters that are missing or mistyped, so that the model can
#: still check its other parameters (messages about the stand-ins themselves are dropped)
_PLACEHOLDERS = {"sigma": 5.0, "mu": 0.4}


def _model(c: _Checker, section):
    """(name, params, class, holes): ``holes`` are the dotted keys of parameters that are missing
    or invalid (replaced by stand-ins or defaults); params is None if the model cannot be built."""
    if section is None:
        return None, None, None, set()
    if not isinstance(section, dict):
        c.err("model", f"expected a mapping with a name and parameters, got {describe(section)}")
        return None, None, None, set()
    name = section.get("name")
    if name is None:
        c.err("model.name", f"required: one of {', '.join(REGISTRY)}")
        return None, None, None, set()
    if not isinstance(name, str) or name not in REGISTRY:
        c.err("model.name", f"unknown model {name!r}{did_you_mean(str(name), REGISTRY)}")
        return None, None, None, set()
    cls = REGISTRY[name]
    fields = _model_fields(cls)
    params: dict[str, Any] = {}
    holes: set[str] = set()
    for k in section:
        if k == "geography":
            c.err("model.geography", "the geography is a top-level section (geography: kind: ...)")
            holes.add("model.geography")
        elif k != "name" and k not in fields:
            c.err(f"model.{k}", f"unknown parameter {k!r} of {name}{did_you_mean(str(k), fields)}")
            holes.add(f"model.{k}")
    buildable = True
    for k, (t, required) in fields.items():
        v = c.typed(f"model.{k}", t, section[k], nullable=True) if k in section else None
        if v is _BAD or (v is None and required):
            if v is None:
                c.err(f"model.{k}", f"required parameter of {name} is missing")
            holes.add(f"model.{k}")
            if required:
                if k in _PLACEHOLDERS:
                    params[k] = _PLACEHOLDERS[k]
                else:
                    buildable = False
        elif v is not None:
            params[k] = v
    return name, params if buildable else None, cls, holes


def _solver(c: _Checker, section):
    """The ``solver`` section: the short-run solver's settings (:class:`SolverOptions`)."""
    sec = c.mapping("solver", section, tuple(SOLVER_KEYS))
    if sec is None:
        return None
    out, ok = {}, True
    for k, spec in SolverOptions.specs().items():
        if sec.get(k) is None:
            continue
        v = c.typed(f"solver.{k}", spec.type, sec[k], choices=spec.choices)
        if v is _BAD:
            ok = False
        else:
            out[k] = v
    if ok:
        try:
            SolverOptions(**out)
        except (ValueError, TypeError) as e:
            c.err(*_map_message(str(e), {k: f"solver.{k}" for k in SOLVER_KEYS}, "solver"))
            ok = False
    return out if ok else None


def _study(c: _Checker, section, K):
    """(kind, args) or (kind|None, None)."""
    if section is None:
        return None, None
    if not isinstance(section, dict):
        c.err("study", f"expected a mapping with a kind, got {describe(section)}")
        return None, None
    kind = section.get("kind")
    if kind is None:
        c.err("study.kind", f"required: one of {', '.join(KINDS)}")
        return None, None
    if not isinstance(kind, str) or kind not in KINDS:
        c.err("study.kind", f"unknown study kind {kind!r}{did_you_mean(str(kind), KINDS)}")
        return None, None
    spec = KINDS[kind]
    c.mapping("study", section, ("kind",) + tuple(spec.args), required=[k for k, a in spec.args.items()
                                                                        if a.required])
    args: dict[str, Any] = {}
    ok = not any(a.required and section.get(k) is None for k, a in spec.args.items())
    for k, a in spec.args.items():
        if k not in section or (section[k] is None and not a.required):
            continue
        v = _study_arg(c, f"study.{k}", a, section[k], K)
        if v is _BAD:
            ok = False
        else:
            args[k] = v
    if kind == "simulate" and ok:
        if ("dt" in args) == ("steps" in args):
            c.err("study", "give exactly one of dt: (output interval) or steps: (number of intervals)")
            ok = False
        if args.get("dynamics") == "logit" and args.get("dispersion") is None:
            c.err("study.dispersion", "required by dynamics: logit (a number > 0)")
            ok = False
        if args.get("dynamics", "replicator") == "replicator" and args.get("dispersion") is not None:
            c.err("study.dispersion", "only used by dynamics: logit")
            ok = False
    if kind == "bifurcation" and ok and not args["hi"] > args["lo"]:
        c.err("study.hi", f"must be greater than lo ({args['lo']:g}), got {args['hi']:g}")
        ok = False
    if kind == "trace" and ok and np.unique(args["values"]).size < 2:
        c.err("study.values", "needs at least two distinct values")
        ok = False
    if ok:
        problem = _options_problem(kind, args)
        if problem is not None:
            c.err(*problem)
            ok = False
    return kind, args if ok else None


def _options_problem(kind: str, args: dict) -> tuple[str, str] | None:
    """(key, message) if the kind's options object rejects ``args`` (its ranges, bounds), else None."""
    spec = KINDS[kind]
    if spec.options is None:
        return None
    try:
        spec.build_options(SolverOptions(), args)
    except (ValueError, TypeError) as e:
        return _map_message(str(e), {k: f"study.{k}" for k in spec.args}, "study")
    return None


def _study_arg(c: _Checker, key: str, a: Arg, v, K):
    if a.type == "values":
        vals = parse_axis(c.err, key, v, "grid")
        return _BAD if vals is None else vals
    if a.type == "schedule":
        if v is None:
            return {}
        if not isinstance(v, dict):
            c.err(key, f"expected a mapping parameter: [[t0, v0], [t1, v1], ...], got {describe(v)}")
            return _BAD
        out, ok = {}, True
        for name, knots in v.items():
            k2 = f"{key}.{name}"
            if not isinstance(name, str):
                c.err(key, f"parameter names must be text, got {describe(name)}")
                ok = False
                continue
            if isinstance(knots, (int, float)) and not isinstance(knots, bool):
                out[name] = float(knots)
                continue
            if not isinstance(knots, list) or not knots:
                c.err(k2, f"expected knots [[t0, v0], [t1, v1], ...], got {describe(knots)}")
                ok = False
                continue
            parsed = []
            for i, kn in enumerate(knots):
                if not isinstance(kn, list) or len(kn) != 2:
                    c.err(f"{k2}[{i}]", f"expected a pair [t, value], got {describe(kn)}")
                    ok = False
                    continue
                t = _num(c.err, f"{k2}[{i}][0]", kn[0])
                val = (c.typed(f"{k2}[{i}][1]", "numbers", kn[1]) if isinstance(kn[1], list)
                       else _num(c.err, f"{k2}[{i}][1]", kn[1]))
                if t is None or val is None or val is _BAD:
                    ok = False
                    continue
                parsed.append((t, val))
            ts = [p[0] for p in parsed]
            if ok and any(b < a_ for a_, b in zip(ts, ts[1:], strict=False)):
                c.err(k2, "knot times must be non-decreasing (a jump is two knots at the same time)")
                ok = False
            out[name] = parsed
        return out if ok else _BAD
    return c.typed(key, a.type, v, choices=a.choices, nullable=a.nullable)


#: the value types a sweep axis can set
_NUMERIC = ("number", "pos_number", "nonneg_number", "unit_interval", "int", "pos_int", "nonneg_int")


def _resolve_target(c: _Checker, key: str, name: str, param, cls, kind, geo_kind, labels=None,
                    scale=False) -> Target | None:
    """What the axis ``name`` sets (``param`` if given, else looked up by name). ``labels``: region
    label -> region indices, for groups of regions (``model.tax[central, west]``); ``scale``: the
    values multiply the parameter's values."""
    text = name if param is None else param
    if not isinstance(text, str):
        c.err(f"{key}.param", f"expected a parameter name such as model.sigma, got {describe(text)}")
        return None
    m = re.match(r"^\s*(?:(model|geography|solver|study)\.)?([A-Za-z_]\w*)\s*(?:\[\s*([^\]]+?)\s*\])?\s*$",
                 text)
    pkey = key if param is None else f"{key}.param"
    if not m:
        c.err(pkey, f"cannot read {text!r} as a parameter (e.g. sigma, model.phi, model.farmers[0], "
                    f"model.tax[central, west], solver.tol)")
        return None
    section, pname, idx = m.group(1), m.group(2), m.group(3)
    index, group = None, None
    if idx is not None and idx.isdigit():
        index = int(idx)
    elif idx is not None:
        group = _region_group(c, pkey, idx, labels or {})
        if group is None:
            return None
    candidates: dict[str, dict[str, tuple[str, bool]]] = {}
    if cls is not None:
        fields = _model_fields(cls)
        candidates["model"] = {k: (t, False) for k, (t, _) in fields.items()
                               if t in ("number", "shares", "rates")}
    if geo_kind is not None:
        candidates["geography"] = {k: ("number", False) for k in GEOGRAPHY_KINDS[geo_kind][1]
                                   if k in ("unit_km", "K", "rows", "cols")}
    candidates["solver"] = {k: ("number", t.endswith("int")) for k, t in SOLVER_KEYS.items()
                            if t in _NUMERIC}
    if kind is not None:
        candidates["study"] = {k: ("shares" if a.type == "shares" else "number", a.type.endswith("int"))
                               for k, a in KINDS[kind].args.items()
                               if a.type in _NUMERIC or a.type == "shares"}
    if section is None:
        found = [s for s, names in candidates.items() if pname in names]
        if not found:
            allnames = sorted({n for names in candidates.values() for n in names})
            c.err(pkey, f"{pname!r} is not a parameter that can be swept{did_you_mean(pname, allnames)}; "
                        f"name the target with param: (e.g. model.sigma)")
            return None
        if len(found) > 1:
            c.err(pkey, f"{pname!r} is ambiguous ({', '.join(f'{s}.{pname}' for s in found)}); "
                        f"say which with param:")
            return None
        section = found[0]
    if section not in candidates:
        c.err(pkey, f"{section}.{pname}: this section cannot be checked (fix it first)")
        return None
    names = candidates[section]
    if pname not in names:
        c.err(pkey, f"{section}.{pname} is not a numeric parameter that can be swept"
                    f"{did_you_mean(pname, names)}")
        return None
    t, integer = names[pname]
    if section == "geography" and pname in ("K", "rows", "cols"):
        c.err(pkey, f"geography.{pname}: sweeping the number of regions is not supported (results "
                    f"along region would not line up); run one config per {pname}")
        return None
    if t == "shares" and index is None and group is None and not scale:
        c.err(pkey, f"{section}.{pname} is a per-region share vector: sweep one entry, e.g. "
                    f"{section}.{pname}[0]")
        return None
    if t not in ("shares", "rates") and (index is not None or group is not None):
        c.err(pkey, f"{section}.{pname} is not a per-region parameter; drop the [index]")
        return None
    if group is not None and section != "model":
        c.err(pkey, f"{section}.{pname}: groups of regions only for per-region model parameters")
        return None
    if t == "shares" and group is not None and not scale:
        c.err(pkey, f"{section}.{pname} is a share vector: a group of its entries can only be scaled "
                    f"(add scale: true; the vector is then rescaled to sum to 1)")
        return None
    if scale and (section != "model" or integer):
        c.err(f"{key}.scale", f"only model parameters can be scaled, not {section}.{pname}")
        return None
    return Target(section, pname, index, integer, share=(t == "shares"),
                  regions=None if group is None else tuple(group[0]), label="" if group is None else group[1],
                  scale=bool(scale))


def _region_group(c: _Checker, key: str, text: str, labels: dict[str, list[int]]):
    """([region indices], canonical label) of "central, west" (region names or values of a region
    coordinate of the calibration data), or None after reporting."""
    words = [w.strip() for w in text.split(",") if w.strip()]
    out: list[int] = []
    for w in words:
        if w not in labels:
            c.err(key, f"{w!r} names no region (regions and labels: {', '.join(list(labels)[:12])}"
                       f"{', ...' if len(labels) > 12 else ''}){did_you_mean(w, labels)}")
            return None
        out.extend(i for i in labels[w] if i not in out)
    if not out:
        c.err(key, f"[{text}] names no region")
        return None
    return sorted(out), ",".join(words)


def _sweep(c: _Checker, section, cls, kind, geo_kind, K, labels=None):
    """(mode, axes, chunk_size, seed, failed): ``failed`` names the parameters of axes that could
    not be read ("*": unknown), whose values the model checks must not second-guess. ``labels``:
    region label -> indices (groups of regions in an axis's param)."""
    if section is None:
        return "none", [], None, None, set()
    sec = c.mapping("sweep", section, SWEEP_KEYS)
    if sec is None:
        return "none", [], None, None, {"*"}
    axes_spec = sec.get("axes")
    if axes_spec is None or axes_spec == {}:
        c.err("sweep.axes", "the sweep is empty: it needs at least one axis, a parameter and its values "
                            "(e.g. axes: {sigma: {start: 2, stop: 10, num: 9}}, or values: [...]); "
                            "without a sweep, remove the sweep section")
        return "none", [], None, None, {"*"}
    if not isinstance(axes_spec, dict):
        c.err("sweep.axes", f"expected a mapping of axis name -> values, got {describe(axes_spec)}")
        return "none", [], None, None, {"*"}
    every = set()
    for name, spec in axes_spec.items():
        every.add(str(name))
        if isinstance(spec, dict) and isinstance(spec.get("param"), str):
            every.add(re.split(r"[\[.]", spec["param"].split(".")[-1] if "." in spec["param"]
                               else spec["param"])[0])
    broken = False
    mode = sec.get("mode", "grid")
    if mode not in MODES:
        c.err("sweep.mode", f"must be one of {', '.join(MODES)}, got {describe(mode)}"
                            f"{did_you_mean(str(mode), MODES)}")
        return "none", [], None, None, every
    chunk = None
    if sec.get("chunk_size") is not None:
        chunk = c.typed("sweep.chunk_size", "pos_int", sec["chunk_size"])
        chunk = None if chunk is _BAD else chunk
    seed, samples = None, None
    if mode == "random":
        samples = c.typed("sweep.samples", "pos_int", sec.get("samples"))
        seed = c.typed("sweep.seed", "nonneg_int", sec.get("seed", 0))
        if samples is _BAD or seed is _BAD:
            broken = True
        elif samples > MAX_POINTS:
            c.err("sweep.samples", f"at most {MAX_POINTS}")
            broken = True
    else:
        for k in ("samples", "seed"):
            if k in sec:
                c.err(f"sweep.{k}", "only used by mode: random")
    reserved = _reserved_names(kind)
    parsed = []
    failed: set[str] = set()
    targets_seen: dict[str, str] = {}
    for name, spec in axes_spec.items():
        key = f"sweep.axes.{name}"
        if not isinstance(name, str) or not re.match(r"^[A-Za-z_]\w*$", name):
            c.err("sweep.axes", f"axis names must be identifiers (letters, digits, _), got {name!r}")
            failed.add(str(name))
            continue
        if name in reserved:
            c.err(key, f"the name {name!r} is taken by the study's own dims or variables; rename the axis "
                       f"and set param: {name}")
            failed.add(name)
            continue
        param = spec.get("param") if isinstance(spec, dict) else None
        scale = spec.get("scale", False) if isinstance(spec, dict) else False
        if not isinstance(scale, bool):
            c.err(f"{key}.scale", f"expected true or false, got {describe(scale)}")
            failed.add(name)
            continue
        target = _resolve_target(c, key, name, param, cls, kind, geo_kind, labels, scale)
        vals = parse_axis(c.err, key, spec, mode)
        if target is None or vals is None:
            failed |= {name} | ({target.name} if target is not None else set())
            continue
        if target.key in targets_seen or (target.index is not None and not target.scale and any(
                t.startswith(f"{target.section}.{target.name}[") for t in targets_seen)):
            c.err(key, f"{target.key} is already swept by axis {targets_seen.get(target.key, 'another')!r}"
                       f" (one axis per parameter; one entry per share vector)")
            failed |= {name, target.name}
            continue
        targets_seen[target.key] = name
        if mode != "random" and _check_values(c, key, target, vals):
            failed |= {name, target.name}
            continue
        parsed.append((name, target, vals, spec if isinstance(spec, dict) else {}))
    if broken:
        return "none", [], chunk, seed, every
    if mode == "random" and parsed:
        cols = latin_hypercube([p[2] for p in parsed], samples, seed)
        parsed = [(n, t, v, s) for (n, t, _, s), v in zip(parsed, cols, strict=True)]
        for n, t, v, _ in parsed:
            if t.integer:
                v[:] = np.round(v)
            if _check_values(c, f"sweep.axes.{n}", t, v):
                failed |= {n, t.name}
    if mode == "zip" and parsed:
        lengths = {n: v.size for n, _, v, _ in parsed}
        if len(set(lengths.values())) > 1:
            c.err("sweep.axes", "zip needs axes of equal length, got "
                                + ", ".join(f"{n}: {m}" for n, m in lengths.items()))
            return "none", [], chunk, seed, every
    axes = []
    for n, t, v, s in parsed:
        meta = _axis_meta(t, cls)
        long_name = s.get("long_name") if isinstance(s.get("long_name"), str) else meta["long_name"]
        units = s.get("units") if isinstance(s.get("units"), str) else meta.get("units", "")
        axes.append(Axis(n, t, np.asarray(v, dtype=float), long_name, units))
    if mode == "grid" and axes:
        total = math.prod(a.values.size for a in axes)
        if total > MAX_POINTS:
            c.err("sweep.axes", f"the grid has {total} points (more than {MAX_POINTS})")
            return "none", [], chunk, seed, every
    return mode, axes, chunk, seed, failed


def _check_values(c: _Checker, key: str, t: Target, vals: np.ndarray) -> bool:
    if t.integer and not np.all(vals == np.round(vals)):
        c.err(key, f"{t.key} takes whole numbers, got {vals[vals != np.round(vals)][0]:g}")
        return True
    if t.scale and np.any(vals <= 0) and t.share:
        c.err(key, f"{t.key}: a share vector's entries can only be scaled by factors > 0, got "
                   f"{vals.min():g}")
        return True
    if t.share and t.index is not None and not t.scale and (np.any(vals < 0) or np.any(vals > 1)):
        c.err(key, f"{t.key}: a share must lie in [0, 1], got values from {vals.min():g} to {vals.max():g}")
        return True
    return False


def _axis_meta(t: Target, cls) -> dict:
    """Default long_name, units of a sweep axis: the parameter's, the table's, else its key."""
    if t.section == "study" and (known := VARIABLES.get(t.name)) and known.units:  # migration_speed
        return {"long_name": known.long_name, "units": known.units}
    if t.section != "model":
        return {"long_name": t.key, "units": "km" if t.key == "geography.unit_km" else "1"}
    meta = parameter_attrs(t.name, cls.param_variable(t.name))
    where = f" in {t.label.replace(',', ', ')}" if t.regions is not None else ""
    if t.scale:
        return {"long_name": f"factor on the {meta.get('long_name', t.name)}{where}", "units": "1"}
    if t.regions is not None:
        return {**meta, "long_name": f"{meta.get('long_name', t.name)}{where}"}
    name = t.name if t.index is None else f"{t.name}[{t.index}]"
    return parameter_attrs(name, cls.param_variable(name))


def _reserved_names(kind) -> set[str]:
    names = {FLAT, "case", "sample", "region", "lat", "lon"} | set(POINT_VARS)
    if kind is not None:
        names |= {d for d in KINDS[kind].dims if not d.startswith("<")}
        names |= {v for v in KINDS[kind].variables if not v.startswith("<")}
    return names


def _output(c: _Checker, section, kind, args, src: Source):
    sec = c.mapping("output", section, OUTPUT_KEYS)
    if sec is None:
        return None, None, {"_keep_unconverged": False}
    path = None
    if sec.get("path") is not None:
        p = c.typed("output.path", "str", sec["path"])
        if p is not _BAD:
            path = (src.base_dir / p) if not Path(p).is_absolute() else Path(p)
            if path.exists() and path.is_dir():
                c.err("output.path", f"{path} is a folder; give a file name such as results.nc")
                path = None
    store = None
    if sec.get("store") is not None:
        s = sec["store"]
        if not isinstance(s, list) or not all(isinstance(x, str) for x in s) or not s:
            c.err("output.store", f"expected a list of variable names, got {describe(s)}")
        elif kind is not None:
            known = [v for v in KINDS[kind].variables if not v.startswith("<")]
            if "<param>" in KINDS[kind].variables and args and isinstance(args.get("param"), str):
                known.append(param_dim(args["param"]))
            free = "<schedule>" in KINDS[kind].variables
            for i, x in enumerate(s):
                if x not in known and not (free and re.match(r"^(param_)?[A-Za-z_]\w*$", x)):
                    c.err(f"output.store[{i}]",
                          f"{kind} studies do not produce {x!r}{did_you_mean(x, known)}")
            store = tuple(s)
    attrs = {}
    if sec.get("attrs") is not None:
        a = sec["attrs"]
        if not isinstance(a, dict) or not all(isinstance(k, str) and isinstance(v, (str, int, float))
                                              and not isinstance(v, bool) for k, v in a.items()):
            c.err("output.attrs", "expected a mapping of names to text or numbers")
        else:
            attrs = dict(a)
    keep = False
    if sec.get("keep_unconverged") is not None:
        keep = c.typed("output.keep_unconverged", "bool", sec["keep_unconverged"])
        keep = False if keep is _BAD else keep
    attrs["_keep_unconverged"] = keep
    return path, store, attrs
