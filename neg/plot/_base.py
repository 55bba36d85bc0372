"""The helpers of :mod:`neg.plot`: the matplotlib set-up (optional dependency; the Agg backend
without a display), labels from the table of variables, slicing a result, saving."""

from __future__ import annotations

import json
import math
import os
import re
import sys
import textwrap
from pathlib import Path

import numpy as np
import yaml

try:
    import matplotlib
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "neg.plot needs matplotlib, an optional dependency: pip install neg[plot]") from exc

if ("matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND")
        and sys.platform.startswith("linux")
        and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))):
    matplotlib.use("Agg")  # headless: no display to open windows on

import matplotlib.pyplot as plt  # noqa: E402

from neg.variables import PARAMETERS, VARIABLES  # noqa: E402

# math symbols (mathtext) of variables and parameters, appended to their labels in the figures;
# the words (long_name, units) come from the dataset's attributes, else the table of variables
_SYMBOL = {"phi": r"\phi", "T": "T", "mu": r"\mu", "sigma": r"\sigma", "tau": r"\tau",
           "alpha": r"\alpha", "beta": r"\beta", "gamma": r"\gamma", "delta": r"\delta",
           "rho": r"\rho", "theta": r"\theta", "kappa": r"\kappa", "eta": r"\eta", "time": "t",
           "lam": r"\lambda", "break_point": r"\phi_B", "sustain_point": r"\phi_S"}
# UDUNITS-2 strings as written on an axis
_UNITS = {"degrees_east": "°E", "degrees_north": "°N", "percent": "%"}
# special points: kind -> (legend word, subscript, marker, colour)
_SPECIAL = {"branch": ("break", "B", "o", "C3"), "corner": ("sustain", "S", "D", "C0"),
            "fold": ("fold", "F", "s", "C2")}
_SUFFIXES = (".png", ".pdf", ".svg")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")  # one per group of regions (map)
# variables that are values of a parameter (the break point is a freeness of trade): a title
# gives no single value of that parameter
_VALUES_OF = {"break_point": "phi", "sustain_point": "phi", "break_T": "T", "sustain_T": "T"}
# a config key ("model.sigma", "study.speed"): never shown as the name of a quantity
_CONFIG_KEY = re.compile(r"\b(model|study|geography|solver|sweep|output)\.\w")


# ----------------------------------------------------------------------------- helpers
def _require(ds, kind: str, variables=(), dims=()) -> None:
    for d in dims:
        if d not in ds.dims:
            raise ValueError(f"{kind}: the dataset has no dimension {d!r} (dims: {list(ds.dims)})")
    for v in variables:
        if v not in ds.variables:
            raise ValueError(f"{kind}: the dataset has no variable {v!r} "
                             f"(variables: {list(ds.data_vars)})")


def _param(ds, kind: str) -> str:
    name = ds.attrs.get("param")
    if name is None:
        raise ValueError(f"{kind}: the dataset has no attribute 'param' naming the swept parameter")
    return str(name)


def _symbol(name: str, sub: str | None = None) -> str:
    """Mathtext symbol of a parameter, optionally subscripted: phi, 'B' -> $\\phi_{B}$."""
    s = _SYMBOL.get(name)
    if s is None:
        return name + (f"$_{{{sub}}}$" if sub else "")
    return f"${s}_{{{sub}}}$" if sub else f"${s}$"


def _attrs(ds, name: str) -> dict:
    """``long_name`` and ``units`` of a coordinate or variable: its attributes in ``ds``, else its
    entry in the table of variables (:mod:`neg.variables`; a dataset built by hand). A long name
    that is a config key (``study.speed``, written by an older neg) counts as missing."""
    attrs = dict(ds[name].attrs) if name in ds.variables else {}
    if _CONFIG_KEY.search(str(attrs.get("long_name", ""))):
        del attrs["long_name"]
    if "long_name" not in attrs:
        v = VARIABLES.get(name) or PARAMETERS.get(name)
        if v is not None:
            attrs = {"long_name": v.long_name, **({"units": v.units} if v.units else {}), **attrs}
    return attrs


def _label(ds, name: str, sub: str | None = None) -> str:
    """Axis label for a coordinate or variable: its long name (:func:`_attrs`), its math symbol
    (subscripted by ``sub``) and its units where they are not "1"."""
    attrs = _attrs(ds, name)
    text = str(attrs.get("long_name", ""))
    text = f"{text} {_symbol(name, sub)}".strip() if name in _SYMBOL else (text or name)
    units = str(attrs.get("units", ""))
    return f"{text} ({_UNITS.get(units, units)})" if units and units != "1" else text


def _flag_words(ds, name: str) -> dict[bool, str]:
    """False/True -> the words of a flag (``stable``: unstable, stable), from its attributes or
    the table of variables."""
    words = str(_attrs(ds, name).get("flag_meanings", "")).split()
    if len(words) != 2:
        words = [f[1] for f in VARIABLES[name].flags]
    return {False: words[0].replace("_", " "), True: words[1].replace("_", " ")}


def _param_var(ds, param: str, kind: str) -> str:
    """The variable holding parameter ``param`` ("farmers[2]" is stored as "farmers_2")."""
    for name in (param, param.replace("[", "_").replace("]", "").strip()):
        if name in ds.variables:
            return name
    raise ValueError(f"{kind}: the dataset has no variable {param!r} for the parameter "
                     f"(variables: {list(ds.variables)})")


def _region_names(ds) -> list[str]:
    if "region" in ds.coords:
        return [str(v) for v in ds["region"].values]
    return [str(i) for i in range(ds.sizes["region"])]


def _region_index(ds, r) -> int:
    names = _region_names(ds)
    if isinstance(r, str | np.str_):
        if r not in names:
            raise ValueError(f"region {r!r} not found (regions: {names})")
        return names.index(r)
    if not -len(names) <= int(r) < len(names):
        raise ValueError(f"region index {r} out of range for {len(names)} regions")
    return int(r) % len(names)


def _axes(ax, figsize=(4.8, 3.4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _finish(ax, path):
    if path is not None:
        path = Path(path)
        if path.suffix.lower() not in _SUFFIXES:
            raise ValueError(f"path: expected a file name ending in {'/'.join(_SUFFIXES)}, got {path}")
        ax.figure.savefig(path, dpi=200, bbox_inches="tight")
    return ax


def _runs(x, y, stable):
    """Split a branch into runs of equal stability (NaN points break runs); each run is extended
    by the next run's first point so the drawn branch has no gaps."""
    ok = np.isfinite(x) & np.isfinite(y)
    runs, start = [], None
    for i in range(len(x) + 1):
        end = i == len(x) or not ok[i] or (start is not None and stable[i] != stable[start])
        if start is not None and end:
            stop = i + 1 if i < len(x) and ok[i] else i
            runs.append((x[start:stop], y[start:stop], bool(stable[start])))
            start = None
        if start is None and i < len(x) and ok[i]:
            start = i
    return runs


def _slice(ds, var: str, kind: str, sel=None, direction=None):
    """``ds[var]`` with ``sel`` applied (nearest value on numeric coordinates) and, if it has a
    ``direction`` dim, the chosen direction."""
    _require(ds, kind, (var,), ("region",))
    da = ds[var]
    for dim, value in (sel or {}).items():
        if dim not in da.dims:
            raise ValueError(f"{kind}: sel: {var!r} has no dimension {dim!r} (dims: {list(da.dims)})")
        numeric = dim in da.coords and np.issubdtype(da[dim].dtype, np.number)
        da = da.sel({dim: value}, method="nearest" if numeric else None)
    if direction is not None and "direction" in da.dims:
        if direction not in [str(v) for v in da["direction"].values]:
            raise ValueError(f"{kind}: direction {direction!r} not in the dataset "
                             f"({[str(v) for v in da['direction'].values]})")
        da = da.sel(direction=direction)
    return da


def _fmt(value) -> str:
    try:
        return f"{float(value):.4g}"
    except (TypeError, ValueError):
        return str(value)


# ----------------------------------------------------------------------------- titles
def _model_name(ds) -> str:
    """The model's name: its class name (``attrs["model"]`` of neg.trace & co.), or that of a
    study's config name (``core_periphery`` -> ``CorePeriphery``)."""
    name = str(ds.attrs.get("model", "")).strip()
    return "".join(w[:1].upper() + w[1:] for w in name.split("_")) if "_" in name or name.islower() \
        else name


def _model_params(ds) -> dict:
    """The model's parameters: ``attrs["model_params"]`` (JSON, neg.trace & co.) or the ``model``
    section of a study's ``attrs["config"]`` (YAML)."""
    if "model_params" in ds.attrs:
        try:
            return dict(json.loads(ds.attrs["model_params"]))
        except (TypeError, ValueError):
            return {}
    if "config" in ds.attrs:
        try:
            section = (yaml.safe_load(ds.attrs["config"]) or {}).get("model", {})
        except (yaml.YAMLError, AttributeError):
            return {}
        return {k: v for k, v in dict(section).items() if k != "name"} if isinstance(section, dict) else {}
    return {}


def _varied(ds) -> set[str]:
    """Parameters that vary in the result (so a title gives no single value): the traced or
    continued ``param``, the scheduled parameters, the sweep's model axes and the dims."""
    names = {str(ds.attrs.get("param", "")).split("[")[0]} | {str(d) for d in ds.dims}
    names |= {p for v, p in _VALUES_OF.items() if v in ds.variables}
    for key in ("scheduled", "schedule_params"):
        raw = ds.attrs.get(key)
        try:
            listed = json.loads(raw) if isinstance(raw, str) and raw.startswith("[") else raw
        except ValueError:
            listed = None
        if isinstance(listed, str):
            listed = listed.split(",")
        names |= {str(x).split("[")[0].strip() for x in (listed or [])}
    try:
        axes = json.loads(ds.attrs.get("sweep", "{}")).get("axes", [])
    except (TypeError, ValueError, AttributeError):
        axes = []
    for a in axes:
        key = str(a.get("key", ""))
        if key.startswith("model."):
            names.add(key[len("model."):].split("[")[0])
        names.add(str(a.get("name", "")))
    return names


def _model_title(ds, width: int = 64) -> str:
    """What the figure shows, from the dataset's attributes: the model, its regions and its key
    parameters (the scalar ones that do not vary in the result), e.g.
    ``CorePeriphery, 16 regions (racetrack): σ = 5, μ = 0.4``; wrapped at ``width`` characters.
    Empty when the dataset names no model."""
    name = _model_name(ds)
    if not name:
        return ""
    K = ds.sizes.get("region")
    geo = str(ds.attrs.get("geography", "")).replace("_", " ")
    if K:
        name += f", {K} regions" + (f" ({geo})" if geo and geo != "two region" else "")
    varied = _varied(ds)
    values = [f"{_symbol(k) if k in _SYMBOL else k}\u00a0=\u00a0{_fmt(v)}"  # kept on one line
              for k, v in _model_params(ds).items()
              if k not in varied and isinstance(v, int | float | str) and not isinstance(v, bool)]
    return _wrap(name + (": " + ", ".join(values) if values else ""), width)


def _wrap(text: str, width: int) -> str:
    """``text`` wrapped at ``width`` characters as drawn: a mathtext symbol ($\\sigma$) counts
    as one character."""
    maths = re.findall(r"\$[^$]*\$", text)
    for n, m in enumerate(maths):
        text = text.replace(m, chr(0xE000 + n), 1)  # private-use characters: one per symbol
    text = "\n".join(textwrap.wrap(text, width, break_long_words=False))
    for n, m in enumerate(maths):
        text = text.replace(chr(0xE000 + n), m, 1)
    return text.replace("\u00a0", " ")  # no-break spaces (kept "phi = 0.5" together) drawn as spaces


def _title(ax, ds, title, extra: str = "") -> None:
    """Title of a figure function: ``title`` (a string), none (False or ""), or (None) the
    model and its key parameters (:func:`_model_title`); ``extra`` (the slice drawn) below."""
    text = _model_title(ds) if title is None else (title or "")
    lines = [t for t in (text, extra) if t]
    if lines:
        ax.set_title("\n".join(lines), fontsize="small")


def figure_title(ds, notes=()) -> str:
    """``neg plot``'s figure title: the study's title, the model and its key parameters, and the
    slice drawn (``notes``: "dim = value")."""
    lines = [str(ds.attrs.get("title", "")), _model_title(ds, width=96),
             ", ".join(n.split(" (")[0] for n in notes)]
    return "\n".join(t for t in lines if t)


# ----------------------------------------------------------------------------- colour and ticks
def _colour_limits(values, share: bool = False, centre: float | None = None) -> dict:
    """``vmin``/``vmax`` fitted to the finite ``values``: shares from 0 to their largest value,
    changes (``centre``, e.g. 0) symmetric about the centre, anything else its range; a constant
    field gets a range around its value."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {"vmin": 0.0, "vmax": 1.0}
    if centre is not None:
        top = float(np.max(np.abs(v - centre)))
        top = top if top > 0 else 1.0
        return {"vmin": centre - top, "vmax": centre + top}
    lo, hi = (0.0 if share else float(v.min())), float(v.max())
    if hi <= lo:
        pad = abs(lo) * 0.05 or 0.5
        lo, hi = lo - pad, hi + pad
    return {"vmin": lo, "vmax": hi}


def _fit_ticks(ax, which: str, positions, labels) -> None:
    """Label the ticks at ``positions`` with ``labels``, every n-th of them where they would
    overlap (n measured from the drawn labels and the axes' size after the layout): many regions
    stay readable."""
    positions, labels = np.asarray(positions, dtype=float), [str(x) for x in labels]
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_ticks(positions, labels)
    if positions.size < 2:
        return
    fig = ax.figure
    fig.draw_without_rendering()
    r = fig.canvas.get_renderer()
    ext = [t.get_window_extent(r) for t in axis.get_ticklabels() if t.get_text()]
    size = max((e.width if which == "x" else e.height) for e in ext)
    xy = np.column_stack([positions, positions])
    px = ax.transData.transform(xy)[:, 0 if which == "x" else 1]
    gap = float(np.min(np.abs(np.diff(px)))) if px.size > 1 else np.inf
    stride = max(1, math.ceil(1.25 * size / gap)) if gap > 0 else positions.size
    if stride > 1:
        axis.set_ticks(positions[::stride], labels[::stride])
