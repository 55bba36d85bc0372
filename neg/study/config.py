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

import copy
import csv
import dataclasses
import difflib
import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from neg.study.spec import GEOGRAPHY_ALIASES, GEOGRAPHY_KINDS, Axis, Study, Target, build_geography
from neg.study.studies import KINDS, Arg, param_dim
from neg.study.sweep import MAX_POINTS, MODES, _num, describe, latin_hypercube, parse_axis
from neg.variables import parameter_attrs

__all__ = ["ConfigError", "Problem", "Source", "load_source", "validate", "load_study", "did_you_mean",
           "SECTIONS"]

SECTIONS = ("model", "geography", "solver", "study", "sweep", "output")
SOLVER_KEYS = {"method": "choice", "tol": "pos_number", "max_iter": "pos_int", "memory": "pos_int",
               "damping": "pos_number"}
SWEEP_KEYS = ("mode", "axes", "samples", "seed", "chunk_size")
OUTPUT_KEYS = ("path", "store", "attrs", "keep_unconverged")
MAX_CHECKED = 2000  # range checks build the study at every point up to this many


# --------------------------------------------------------------------------- problems
@dataclass(frozen=True)
class Problem:
    key: str
    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file or "<config>"
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ConfigError(ValueError):
    """An invalid study config; ``problems`` lists every problem found."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"invalid config ({n} problem{'s' if n != 1 else ''}):"
        return "\n".join([head] + [f"  {p}" for p in self.problems])


def did_you_mean(word: str, options) -> str:
    """' (did you mean 'x'?)' for the closest option, else a list of the valid ones."""
    options = [str(o) for o in options]
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (valid: {', '.join(options)})" if options else ""


# --------------------------------------------------------------------------- the source
@dataclass
class Source:
    """A config's data (after overrides) with where each key came from."""

    data: Any
    text: str
    path: Path | None
    base_dir: Path
    lines: dict[str, int]
    overrides: dict[str, str]  # dotted key -> how it was set ("--set key=value")
    problems: list = dataclasses.field(default_factory=list)  # found while loading (overrides, ...)

    @property
    def file(self) -> str:
        return str(self.path) if self.path is not None else "<config>"

    def where(self, key: str) -> tuple[str, int | None]:
        for k in _ancestors(key):
            if k in self.overrides:
                return self.overrides[k], None
        for k in _ancestors(key):
            if k in self.lines:
                return self.file, self.lines[k]
        return self.file, None


def _ancestors(key: str):
    """'a.b[0].c' -> 'a.b[0].c', 'a.b[0]', 'a.b', 'a'."""
    while key:
        yield key
        cut = max(key.rfind("."), key.rfind("["))
        if cut <= 0:
            return
        key = key[:cut]


def _line_map(node, prefix: str, lines: dict, dups: list) -> None:
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for k, v in node.value:
            name = str(k.value)
            path = f"{prefix}.{name}" if prefix else name
            if name in seen and name != "<<":
                dups.append((path, k.start_mark.line + 1))
            seen.add(name)
            lines[path] = k.start_mark.line + 1
            _line_map(v, path, lines, dups)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            path = f"{prefix}[{i}]"
            lines[path] = v.start_mark.line + 1
            _line_map(v, path, lines, dups)


def load_source(config, overrides=None) -> Source:
    """Read a config (a path, or a dict) and apply ``overrides``: a list of ``"dotted.key=value"``
    strings (values parsed as YAML) or a dict ``{dotted.key: value}`` (values used as given)."""
    problems: list[Problem] = []
    if isinstance(config, dict):
        data = copy.deepcopy(config)
        try:
            text = yaml.safe_dump(data, sort_keys=False)
        except yaml.YAMLError:
            text = repr(data)
        src = Source(data, text, None, Path.cwd(), {}, {})
    else:
        path = Path(config)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError([Problem("", "config file not found", str(path))]) from None
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError([Problem("", f"cannot read the config: {e}", str(path))]) from None
        lines: dict[str, int] = {}
        try:
            data = yaml.load(text, Loader=yaml.SafeLoader)
            dups: list = []
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            if node is not None:
                _line_map(node, "", lines, dups)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            msg = getattr(e, "problem", None) or str(e)
            raise ConfigError([Problem("", f"invalid YAML: {msg}", str(path),
                                       mark.line + 1 if mark is not None else None)]) from None
        except RecursionError:
            raise ConfigError([Problem("", "invalid YAML: nested too deeply", str(path))]) from None
        src = Source(data, text, path, path.resolve().parent, lines, {})
        for key, line in dups:
            problems.append(Problem(key, "duplicate key (the later value would silently win)",
                                    str(path), line))
    if src.data is None:
        src.data = {}
    if overrides:
        items = overrides.items() if isinstance(overrides, dict) else overrides
        for item in items:
            if isinstance(item, tuple):
                key, value, how = str(item[0]), item[1], f"override {item[0]}={item[1]!r}"
            else:
                text_item = str(item)
                if "=" not in text_item:
                    problems.append(Problem("", f"--set {text_item}: expected dotted.key=value",
                                            "command line"))
                    continue
                key, raw = text_item.split("=", 1)
                key = key.strip()
                how = f"--set {key}={raw}"
                try:
                    value = yaml.load(raw, Loader=yaml.SafeLoader) if raw.strip() else None
                except yaml.YAMLError as e:
                    problems.append(Problem(key, f"invalid YAML value {raw!r}: "
                                                 f"{getattr(e, 'problem', None) or e}", how))
                    continue
            err = _set_dotted(src, key, value, how)
            if err:
                problems.append(Problem(key, err, how))
    src.problems = problems  # reported by validate() together with everything else
    return src


_KEY_PART = re.compile(r"^[^.\[\]]+$")


def _set_dotted(src: Source, key: str, value, how: str) -> str | None:
    parts = key.split(".")
    if not key or not all(_KEY_PART.match(p) for p in parts):
        return "expected a dotted key such as model.sigma or sweep.axes.phi.num"
    if not isinstance(src.data, dict):
        return "the config is not a mapping"
    node = src.data
    for depth, p in enumerate(parts[:-1]):
        here = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            if not p.isdigit() or int(p) >= len(node):
                return f"{here}: {p!r} is not an index of the list (length {len(node)})"
            if not isinstance(node[int(p)], (dict, list)):
                node[int(p)] = {}
            node = node[int(p)]
        elif isinstance(node, dict):
            if not isinstance(node.get(p), (dict, list)):
                if p in node and node[p] is not None:
                    return f"{here} is {describe(node[p])}, not a mapping"
                node[p] = {}
            node = node[p]
    last = parts[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            return f"{last!r} is not an index of the list (length {len(node)})"
        node[int(last)] = value
    else:
        node[last] = value
    path = key
    src.overrides[path] = how
    # list indices given as .0 are recorded in the bracket form used by messages too
    src.overrides[re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", path)] = how
    return None


# --------------------------------------------------------------------------- the checker
class _Checker:
    def __init__(self, src: Source):
        self.src = src
        self.problems: list[Problem] = []
        self._seen: set = set()

    def err(self, key: str, message: str) -> None:
        if (key, message) in self._seen:
            return
        self._seen.add((key, message))
        file, line = self.src.where(key)
        self.problems.append(Problem(key, message, file, line))

    def mapping(self, key: str, value, allowed, *, required=()) -> dict | None:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            self.err(key, f"expected a mapping (key: value lines), got {describe(value)}")
            return None
        for k in value:
            if not isinstance(k, str):
                self.err(key, f"keys must be names, got {describe(k)}")
            elif k not in allowed:
                self.err(f"{key}.{k}", f"unknown key {k!r}{did_you_mean(k, allowed)}")
        for k in required:
            if value.get(k) is None:
                self.err(f"{key}.{k}", "required")
        return value

    def typed(self, key: str, t: str, v, *, choices=(), nullable=False):
        """Check ``v`` against a type name; the converted value, or _BAD."""
        if v is None:
            if nullable:
                return None
            self.err(key, f"expected {_TYPE_WORDS.get(t, t)}, got nothing (null)")
            return _BAD
        if t in ("number", "pos_number", "nonneg_number"):
            x = _num(self.err, key, v)
            if x is None:
                return _BAD
            if t == "pos_number" and not x > 0:
                self.err(key, f"must be > 0, got {x:g}")
                return _BAD
            if t == "nonneg_number" and not x >= 0:
                self.err(key, f"must be >= 0, got {x:g}")
                return _BAD
            return x
        if t in ("int", "pos_int", "nonneg_int"):
            x = _num(self.err, key, v, integer=True)
            if x is None:
                return _BAD
            if t == "pos_int" and x < 1:
                self.err(key, f"must be a whole number >= 1, got {x}")
                return _BAD
            if t == "nonneg_int" and x < 0:
                self.err(key, f"must be a whole number >= 0, got {x}")
                return _BAD
            return x
        if t == "bool":
            if not isinstance(v, bool):
                self.err(key, f"expected true or false, got {describe(v)}")
                return _BAD
            return v
        if t in ("str", "choice", "param"):
            if not isinstance(v, str) or not v.strip():
                self.err(key, f"expected a name, got {describe(v)}")
                return _BAD
            if t == "choice" and v not in choices:
                self.err(key, f"must be one of {', '.join(map(str, choices))}, got {v!r}"
                              f"{did_you_mean(v, choices)}")
                return _BAD
            return v
        if t == "rates" and isinstance(v, (int, float, str)) and not isinstance(v, bool):
            x = _num(self.err, key, v)
            return _BAD if x is None else x
        if t in ("shares", "numbers", "rates"):
            if not isinstance(v, list) or not v:
                self.err(key, f"expected a list of numbers, got {describe(v)}")
                return _BAD
            out = [_num(self.err, f"{key}[{i}]", x) for i, x in enumerate(v)]
            return _BAD if None in out else out
        if t == "names":
            if not isinstance(v, list) or not v or not all(
                    isinstance(x, (str, int, float)) and not isinstance(x, bool) for x in v):
                self.err(key, f"expected a list of region names, got {describe(v)}")
                return _BAD
            return [str(x) for x in v]
        return v  # "any"


_BAD = object()
_TYPE_WORDS = {"number": "a number", "pos_number": "a number > 0", "nonneg_number": "a number >= 0",
               "int": "a whole number", "pos_int": "a whole number >= 1",
               "nonneg_int": "a whole number >= 0", "bool": "true or false", "choice": "a name",
               "param": "a parameter name", "shares": "a list of shares", "numbers": "a list of numbers",
               "names": "a list of names", "values": "values", "schedule": "a schedule",
               "rates": "a number or a list of numbers (one per region)"}


# --------------------------------------------------------------------------- sections
def _model_fields(cls) -> dict[str, tuple[str, bool]]:
    """name -> (type, required) for a model class's parameters (from its dataclass fields)."""
    out = {}
    for f in dataclasses.fields(cls):
        if f.name == "geography":
            continue
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ann = str(f.type)
        if f.name in cls.regional_params:
            t = "shares"
        elif f.name in getattr(cls, "regional_rates", ()):
            t = "rates"  # per-region policy rates: one number for all regions, or one per region
        elif "float" in ann or "int" in ann:
            t = "number"
        else:
            t = "any"
        out[f.name] = (t, required)
    return out


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
             "file": "str"}
    for k in allowed:
        if k in section:
            v = c.typed(f"geography.{k}", types[k], section[k], nullable=(k in ("names", "unit_km")))
            if v is _BAD:
                ok = False
            else:
                args[k] = v
    for k in {"racetrack": ("K",), "line": ("K",), "grid": ("rows", "cols"), "edges": ("K",)}.get(kind, ()):
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
                D, names = _read_matrix(base / args.pop("file"))
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
                lat, lon, names = _read_coordinates(base / args.pop("file"))
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
                args["edges"] = _read_edges(base / args.pop("file"))
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
            "cols": "geography.cols", "grid": "geography", "lat": "geography.lat", "lon": "geography.lon",
            "lat, lon": "geography", "unit_km": "geography.unit_km",
            "edges": "geography.file" if "file" in section else "geography.edges"}, "geography"))
        return None, None
    return kind, args


def _map_message(message: str, keys: dict[str, str], default: str) -> tuple[str, str]:
    """'sigma: must be > 1' -> (keys['sigma'], 'must be > 1')."""
    head, sep, rest = message.partition(": ")
    if sep:
        if head in keys:
            return keys[head], rest
        first = re.split(r"[,\[ ]", head)[0]
        if first in keys:
            return keys[first], message if "," in head or "[" in head else rest
    return default, message


def _read_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        sample = f.read(4096)
        f.seek(0)
        delim = "\t" if "\t" in sample and "," not in sample else ","
        rows = [[x.strip() for x in r] for r in csv.reader(f, delimiter=delim)
                if r and any(x.strip() for x in r)]
    if not rows:
        raise ValueError(f"{path.name} is empty")
    return rows


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _read_matrix(path: Path):
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False).astype(float), None
    rows = _read_rows(path)
    names = None
    if not all(_is_number(x) for x in rows[0] if x):
        names = [x for x in rows[0] if x]
        rows = rows[1:]
    if rows and not _is_number(rows[0][0]):  # a first column of names
        rows = [r[1:] for r in rows]
    try:
        D = np.array([[float(x) for x in r] for r in rows], dtype=float)
    except ValueError as e:
        raise ValueError(f"{path.name}: non-numeric distance ({e})") from None
    return D, names


def _read_coordinates(path: Path):
    if path.suffix == ".npy":
        a = np.load(path, allow_pickle=False).astype(float)
        if a.ndim != 2 or a.shape[1] != 2:
            raise ValueError(f"{path.name}: expected an array of shape (K, 2) with lat, lon")
        return a[:, 0], a[:, 1], None
    rows = _read_rows(path)
    header = [h.lower() for h in rows[0]]
    col = {}
    for want, opts in (("lat", ("lat", "latitude")), ("lon", ("lon", "lng", "long", "longitude")),
                       ("name", ("name", "region", "id"))):
        for o in opts:
            if o in header:
                col[want] = header.index(o)
                break
    if "lat" not in col or "lon" not in col:
        raise ValueError(f"{path.name}: needs a header row with columns lat and lon (and optionally name)")
    body = rows[1:]
    try:
        lat = np.array([float(r[col["lat"]]) for r in body])
        lon = np.array([float(r[col["lon"]]) for r in body])
    except (ValueError, IndexError) as e:
        raise ValueError(f"{path.name}: bad lat/lon value ({e})") from None
    names = [r[col["name"]] for r in body] if "name" in col else None
    return lat, lon, names


def _read_edges(path: Path):
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False).astype(float)
    rows = _read_rows(path)
    if not all(_is_number(x) for x in rows[0]):
        rows = rows[1:]
    try:
        return np.array([[float(x) for x in r[:3]] for r in rows], dtype=float)
    except ValueError as e:
        raise ValueError(f"{path.name}: non-numeric edge ({e})") from None


#: stand-in values for required parameters that are missing or mistyped, so that the model can
#: still check its other parameters (messages about the stand-ins themselves are dropped)
_PLACEHOLDERS = {"sigma": 5.0, "mu": 0.4}


def _model(c: _Checker, section):
    """(name, params, class, holes): ``holes`` are the dotted keys of parameters that are missing
    or invalid (replaced by stand-ins or defaults); params is None if the model cannot be built."""
    from neg.models import REGISTRY

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
    from neg.solvers.fixed_point import METHODS

    sec = c.mapping("solver", section, tuple(SOLVER_KEYS))
    if sec is None:
        return None
    out, ok = {}, True
    for k, t in SOLVER_KEYS.items():
        if sec.get(k) is None:
            continue
        v = c.typed(f"solver.{k}", t, sec[k], choices=tuple(METHODS))
        if v is _BAD:
            ok = False
        else:
            out[k] = v
    if ok:
        from neg.solvers.fixed_point import SolverOptions

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
    import neg

    if not hasattr(neg, spec.function):
        c.err("study.kind", f"{kind!r} needs neg.{spec.function}, which this version of neg lacks")
        return kind, None
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
    return kind, args if ok else None


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


def _resolve_target(c: _Checker, key: str, name: str, param, cls, kind, geo_kind) -> Target | None:
    """What the axis ``name`` sets (``param`` if given, else looked up by name)."""
    text = name if param is None else param
    if not isinstance(text, str):
        c.err(f"{key}.param", f"expected a parameter name such as model.sigma, got {describe(text)}")
        return None
    m = re.match(r"^\s*(?:(model|geography|solver|study)\.)?([A-Za-z_]\w*)\s*(?:\[\s*(\d+)\s*\])?\s*$", text)
    pkey = key if param is None else f"{key}.param"
    if not m:
        c.err(pkey, f"cannot read {text!r} as a parameter (e.g. sigma, model.phi, model.farmers[0], "
                    f"solver.tol)")
        return None
    section, pname, idx = m.group(1), m.group(2), m.group(3)
    index = int(idx) if idx is not None else None
    candidates: dict[str, dict[str, tuple[str, bool]]] = {}
    if cls is not None:
        fields = _model_fields(cls)
        candidates["model"] = {k: (t, False) for k, (t, _) in fields.items()
                               if t in ("number", "shares", "rates")}
    if geo_kind is not None:
        candidates["geography"] = {k: ("number", False) for k in GEOGRAPHY_KINDS[geo_kind][1]
                                   if k in ("unit_km", "K", "rows", "cols")}
    candidates["solver"] = {k: ("number", t.endswith("int")) for k, t in SOLVER_KEYS.items() if k != "method"}
    if kind is not None:
        candidates["study"] = {k: ("shares" if a.type == "shares" else "number", a.type.endswith("int"))
                               for k, a in KINDS[kind].args.items()
                               if a.type.endswith(("number", "int")) or a.type == "shares"}
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
    if t == "shares" and index is None:
        c.err(pkey, f"{section}.{pname} is a per-region share vector: sweep one entry, e.g. "
                    f"{section}.{pname}[0]")
        return None
    if t not in ("shares", "rates") and index is not None:
        c.err(pkey, f"{section}.{pname} is not a per-region parameter; drop the [index]")
        return None
    return Target(section, pname, index, integer, share=(t == "shares"))


def _sweep(c: _Checker, section, cls, kind, geo_kind, K):
    """(mode, axes, chunk_size, seed, failed): ``failed`` names the parameters of axes that could
    not be read ("*": unknown), whose values the model checks must not second-guess."""
    if section is None:
        return "none", [], None, None, set()
    sec = c.mapping("sweep", section, SWEEP_KEYS, required=("axes",))
    if sec is None:
        return "none", [], None, None, {"*"}
    axes_spec = sec.get("axes")
    if not isinstance(axes_spec, dict) or not axes_spec:
        if axes_spec is not None:
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
        target = _resolve_target(c, key, name, param, cls, kind, geo_kind)
        vals = parse_axis(c.err, key, spec, mode)
        if target is None or vals is None:
            failed |= {name} | ({target.name} if target is not None else set())
            continue
        if target.key in targets_seen or (target.index is not None and any(
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
        meta = _axis_meta(t)
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
    if t.share and t.index is not None and (np.any(vals < 0) or np.any(vals > 1)):
        c.err(key, f"{t.key}: a share must lie in [0, 1], got values from {vals.min():g} to {vals.max():g}")
        return True
    return False


def _axis_meta(t: Target) -> dict:
    """Default long_name and units of a sweep axis: the model parameter's (neg.variables), else
    the axis's key."""
    if t.section != "model":
        return {"long_name": t.key}
    return parameter_attrs(t.name if t.index is None else f"{t.name}[{t.index}]")


def _reserved_names(kind) -> set[str]:
    from neg.study.io import FLAT, POINT_VARS

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


# --------------------------------------------------------------------------- validation
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
    K = None
    if geo_kind is not None:
        K = build_geography(geo_kind, geo_args).K
    model_name, params, cls, holes = _model(c, data.get("model"))
    solver = _solver(c, data.get("solver"))
    kind, args = _study(c, data.get("study"), K)
    mode, axes, chunk, seed, failed_axes = _sweep(c, data.get("sweep"), cls, kind, geo_kind, K)
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
                      source_path=str(src.path) if src.path else "", sweep_seed=seed, attrs=out_attrs)
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


def _dump(data) -> str:
    try:
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    except yaml.YAMLError:
        return repr(data)


def _check_points(study: Study) -> list[int]:
    n = study.n_points
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
    from neg.models import REGISTRY

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
    """Arguments of the study that need the model: lam0, param, lo/hi, values, schedule."""
    def report(key, msg):
        axis = _axis_for(key, by_target)
        if axis is not None:
            key, msg = f"sweep.axes.{axis.name}", f"{msg} (at {axis.name} = {values[axis.name]:g})"
        found.setdefault(key, []).append(msg)

    if args.get("lam0") is not None:
        _check_lam0(args["lam0"], model, found, report)
    kind = study.kind
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
                base, index = _split(name)
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
    from neg.models.base import check_distribution
    from neg.state import StateSpace

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


def _split(name: str):
    from neg.models.base import split_param

    return split_param(name)


def load_study(config, overrides=None, *, output=None) -> Study:
    """Load, override and validate a config: the :class:`Study` (or :class:`ConfigError`).

    ``output`` (a path) replaces ``output.path``; it is resolved against the current folder.
    """
    src = load_source(config, overrides)
    study = validate(src)
    if output is not None:
        study.output_path = Path(output)
    return study
