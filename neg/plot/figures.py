"""The figures of single results (tomahawk, heat map, paths) and ``neg plot``'s figure of a study
result (:func:`study_figure`); see :mod:`neg.plot`."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D

from neg.plot._base import (
    _SPECIAL,
    _attrs,
    _axes,
    _colour_limits,
    _finish,
    _fit_ticks,
    _flag_words,
    _fmt,
    _label,
    _param,
    _param_var,
    _region_index,
    _region_names,
    _require,
    _runs,
    _slice,
    _symbol,
    _title,
    figure_title,
    matplotlib,
    plt,
)
from neg.plot.places import map

__all__ = ["tomahawk", "heatmap", "paths", "study_figure"]


# ----------------------------------------------------------------------------- figures
def tomahawk(ds, ax=None, path=None, region=0, title=None):
    """Bifurcation diagram: the share of ``region`` (an index, a region name, or ``"max"`` for the
    largest share) against the swept parameter, stable branches solid, unstable dashed, special
    points (break, sustain, fold) marked, with their parameter values in the legend (right of
    the axes). ``title``: by default the model and its key parameters; a string; or False.

    ``ds`` is the output of ``neg.bifurcation_diagram``: dims ``branch``, ``point``, ``region``
    (and ``special``); variables ``<param>(branch, point)``, ``lam(branch, point, region)``,
    ``stable(branch, point)`` and, for special points, ``special_kind``, ``special_value``,
    ``special_lam(special, region)``.
    """
    kind = "tomahawk"
    param = _param(ds, kind)
    _require(ds, kind, ("lam", "stable"), ("branch", "point", "region"))
    pvar = _param_var(ds, param, kind)

    def share(da):
        if isinstance(region, str) and region == "max":
            return da.max("region")
        return da.isel(region=_region_index(ds, region))

    ax = _axes(ax, figsize=(6.4, 3.4))
    x_all = ds[pvar].transpose("branch", "point").values.astype(float)
    y_all = share(ds["lam"]).transpose("branch", "point").values.astype(float)
    s_all = ds["stable"].transpose("branch", "point").values.astype(bool)
    for x, y, s in zip(x_all, y_all, s_all, strict=True):
        for xr, yr, st in _runs(x, y, s):
            ax.plot(xr, yr, color="black", linestyle="-" if st else "--",
                    linewidth=1.6 if st else 1.1, solid_capstyle="butt")
    words = _flag_words(ds, "stable")
    handles = [Line2D([], [], color="black", linewidth=1.6, label=words[True]),
               Line2D([], [], color="black", linestyle="--", linewidth=1.1, label=words[False])]

    if "special" in ds.dims and ds.sizes["special"] > 0:
        _require(ds, kind, ("special_kind", "special_value", "special_lam"))
        kinds = [str(k) for k in ds["special_kind"].values]
        values = ds["special_value"].values.astype(float)
        ys = share(ds["special_lam"]).values.astype(float)
        groups: dict[tuple[str, float], list[float]] = {}  # same kind and value: one legend entry
        for k, v, y in zip(kinds, values, ys, strict=True):
            groups.setdefault((k, float(np.round(v, 10))), []).append(y)
        for k in dict.fromkeys(kinds):
            word, sub, marker, colour = _SPECIAL.get(k, (k, k[:1].upper(), "^", "C1"))
            vals = sorted(v for kk, v in groups if kk == k)
            for n, v in enumerate(vals, 1):
                sym = _symbol(param, sub if len(vals) == 1 else f"{sub}{n}")
                y = np.asarray(groups[k, v])
                h, = ax.plot(np.full(y.size, v), y, linestyle="none", marker=marker, markersize=6,
                             color=colour, markeredgecolor="black", markeredgewidth=0.6, zorder=3,
                             label=f"{word} {sym} = {v:.4g}")
                handles.append(h)
                top = y[np.argmax(y)]  # label the highest marker: left of a corner (its branch
                # leaves to the right), right of the others; below it near the top of the axes
                left = k == "corner"
                ax.annotate(sym, (v, top), xytext=(-6 if left else 6, -13 if top > 0.9 else 5),
                            textcoords="offset points", ha="right" if left else "left",
                            fontsize="small")

    ax.set_xlabel(_label(ds, pvar))
    if isinstance(region, str) and region == "max":
        ax.set_ylabel(_label(ds, "lam", sub=r"\max") + ", largest over regions")
    else:
        ax.set_ylabel(f"{_label(ds, 'lam')}, region {_region_names(ds)[_region_index(ds, region)]}")
    ax.set_ylim(-0.03, 1.03)
    ax.legend(handles=handles, fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5),
              frameon=False)
    _title(ax, ds, title)
    return _finish(ax, path)


def heatmap(ds, ax=None, path=None, var="lam", direction="up", title=None):
    """Heat map of ``var`` over region (rows) x the other dimension (the parameter of a
    ``neg.trace`` dataset, taken in ``direction``; or time). The colour scale fits the data:
    shares from 0 to the largest share, changes (``*_change``) on a diverging scale centred on 0,
    anything else its range. Region names label the rows (every n-th where they would overlap).
    ``title``: by default the model and its key parameters; a string; or False."""
    kind = "heatmap"
    da = _slice(ds, var, kind, direction=direction)
    other = [d for d in da.dims if d != "region"]
    if len(other) != 1:
        raise ValueError(f"heatmap: {var!r} must have dims region and one other dimension after "
                         f"selecting the direction, got {list(da.dims)}")
    xdim = other[0]
    da = da.transpose("region", xdim).astype(float)
    x = da[xdim].values if xdim in da.coords else np.arange(da.sizes[xdim])
    order = np.argsort(x, kind="stable")
    ax = _axes(ax)
    change = var.endswith(("_change", "_change_pct"))
    mesh = ax.pcolormesh(x[order], np.arange(da.sizes["region"]), da.values[:, order],
                         shading="nearest", cmap="RdBu_r" if change else "viridis",
                         **_colour_limits(da.values, share=var == "lam", centre=0.0 if change else None))
    ax.set_ylabel(_label(ds, "region"))
    ax.set_xlabel(_label(ds, xdim))
    _title(ax, ds, title, f"traced {direction}ward" if "direction" in ds[var].dims else "")
    ax.figure.colorbar(mesh, ax=ax, label=_label(ds, var))
    _fit_ticks(ax, "y", np.arange(da.sizes["region"]), _region_names(ds))
    return _finish(ax, path)


def _schedule_params(ds) -> list[str]:
    """Scheduled parameters: ``attrs["schedule_params"]`` (a list or a comma separated string) or
    ``attrs["scheduled"]`` (a JSON list, as written by ``neg.simulate``)."""
    names = ds.attrs.get("schedule_params")
    if names is None and "scheduled" in ds.attrs:
        try:
            names = json.loads(ds.attrs["scheduled"])
        except (TypeError, ValueError):
            names = ds.attrs["scheduled"]
    if names is None:
        return []
    if isinstance(names, str):
        names = names.replace(",", " ").split()
    return [str(n) for n in np.atleast_1d(names)]


def _scheduled(ds, name: str, kind: str):
    """(values over time, label) of scheduled parameter ``name``; ``"farmers[1]"`` (index or
    region name) picks one region of a per-region parameter."""
    m = re.fullmatch(r"\s*(\w+)\s*\[\s*(.+?)\s*\]\s*", name)
    base, index = (m.group(1), m.group(2)) if m else (name, None)
    var = next((v for v in (base, f"param_{base}") if v in ds.variables and "time" in ds[v].dims), None)
    if var is None:
        raise ValueError(f"{kind}: twin: no scheduled parameter {name!r} over time in the dataset "
                         f"(scheduled: {_schedule_params(ds)})")
    da, label = ds[var], _label(ds, var)
    if "region" in da.dims:
        if index is None:
            raise ValueError(f"{kind}: twin: {base!r} varies by region; name one entry, e.g. "
                             f"'{base}[0]'")
        i = _region_index(ds, int(index) if index.lstrip("-").isdigit() else index)
        da, label = da.isel(region=i), f"{label}, region {_region_names(ds)[i]}"
    return da.transpose("time").values, label


def paths(ds, ax=None, path=None, regions=None, twin=None, title=None):
    """Shares of ``regions`` (indices or names; default all) against time for a ``neg.simulate``
    dataset, or against the parameter for a ``neg.trace`` dataset (upward solid, downward
    dashed). ``twin``: a scheduled parameter (``"phi"``, ``"farmers[1]"``, or True for the first
    one listed in the dataset's attrs) drawn dotted grey on a second y axis. ``title``: by default
    the model and its key parameters; a string; or False.
    """
    kind = "paths"
    _require(ds, kind, ("lam",), ("region",))
    if "time" in ds["lam"].dims:
        xdim = "time"
    else:
        xdim = _param_var(ds, _param(ds, kind), kind)
        _require(ds, kind, dims=(xdim,))
    idx = range(ds.sizes["region"]) if regions is None else [_region_index(ds, r) for r in regions]
    idx = list(idx)
    names = _region_names(ds)
    colours = (plt.get_cmap("tab10").colors if len(idx) <= 10
               else plt.get_cmap("viridis")(np.linspace(0, 0.95, len(idx))))
    directions = ([str(d) for d in ds["direction"].values] if "direction" in ds["lam"].dims
                  else [None])
    styles = {"up": "-", "down": "--"}
    ax = _axes(ax)
    x = ds[xdim].values
    for n, i in enumerate(idx):
        for d in directions:
            da = ds["lam"].isel(region=i)
            if d is not None:
                da = da.sel(direction=d)
            ax.plot(x, da.transpose(xdim).values, color=colours[n],
                    linestyle=styles.get(d, "-"), linewidth=1.4,
                    label=names[i] if d is None else f"{names[i]}, {d}")
    ax.set_xlabel(_label(ds, xdim))
    ax.set_ylabel(_label(ds, "lam", sub="i"))
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlim(np.nanmin(x), np.nanmax(x))
    handles, _ = ax.get_legend_handles_labels()
    if twin:
        if xdim != "time":
            raise ValueError("paths: twin: only for a dataset over time (neg.simulate)")
        sched = _schedule_params(ds)
        if twin is True and not sched:
            raise ValueError("paths: twin=True: the dataset lists no scheduled parameters")
        values, label = _scheduled(ds, sched[0] if twin is True else str(twin), kind)
        ax2 = ax.twinx()
        h, = ax2.plot(x, values, color="0.45", linestyle=":", linewidth=1.4, label=label)
        ax2.set_ylabel(label, color="0.35")
        handles.append(h)
    if len(handles) <= 12:
        ax.legend(handles=handles, fontsize="small", framealpha=0.9)
    _title(ax, ds, title)
    return _finish(ax, path)


# ----------------------------------------------------------------------------- study results
def _select(ds, sel: dict, keep: tuple[str, ...]):
    """Apply ``sel`` (nearest on numeric coords), then take the first point of every remaining
    sweep dim not in ``keep``. Returns the dataset and notes on what was picked."""
    notes = []
    sweep = json.loads(ds.attrs.get("sweep", '{"dims": []}'))
    for dim, value in sel.items():
        if dim not in ds.dims and dim not in ds.coords:
            raise ValueError(f"--sel: no dimension {dim!r} (dims: {', '.join(str(d) for d in ds.dims)})")
        numeric = dim in ds.coords and np.issubdtype(ds[dim].dtype, np.number)
        try:
            value = float(value) if numeric else value
        except ValueError:
            raise ValueError(f"--sel {dim}={value}: expected a number") from None
        ds = ds.sel({dim: value}, method="nearest" if numeric else None)
        notes.append(f"{dim} = {ds[dim].values!s}")
    for d in sweep.get("dims", []):
        if d in ds.dims and d not in keep:
            ds = ds.isel({d: 0})
            label = f"{d} = {ds[d].values!s}" if d in ds.coords else f"{d} = 0"
            notes.append(label + " (first; choose with --sel)")
    return ds, notes


def study_figure(ds, out, sel: dict | None = None) -> tuple[Path, list[str]]:
    """Draw a study result's natural figure (by ``attrs["study_kind"]``, see
    :data:`neg.study.report.FIGURES`) to ``out`` (PNG/PDF/SVG), after picking one slice of its
    sweep (``sel``: dim -> value, nearest; other sweep dims at their first value). Returns (path,
    notes on what was picked). This is ``neg plot``."""
    matplotlib.use("Agg")

    kind = ds.attrs.get("study_kind")
    if ds.attrs.get("layout") == "flat":
        raise ValueError("this is a shard (flat layout): merge the shards first (neg merge)")
    sel = dict(sel or {})
    sweep = json.loads(ds.attrs.get("sweep", '{"dims": []}'))
    sdims = sweep.get("dims", [])
    if kind == "bifurcation":
        d, notes = _select(ds, sel, ())
        ax = tomahawk(d, title=False)
    elif kind == "trace":
        d, notes = _select(ds, sel, ())
        ax = heatmap(d, direction="up", title=False)
    elif kind == "simulate":
        d, notes = _select(ds, sel, ())
        if "state" in d["lam"].dims:  # a grouped state (industries x regions): its components
            ax = heatmap(_components(d), title=False)
        else:
            twin = bool(json.loads(d.attrs.get("scheduled", "[]")))
            ax = paths(d, twin=twin or None, title=False)
    elif kind == "equilibrium":
        if "lat" in ds.coords and "lon" in ds.coords:
            d, notes = _select(ds, sel, ())
            ax = map(d, title=False)
        else:
            keep = tuple(sdims[:1]) if len(sdims) >= 1 and sdims[0] not in sel else ()
            d, notes = _select(ds, sel, keep)
            if keep:
                d.attrs["param"] = keep[0]
                ax = heatmap(d, title=False)
            else:
                ax = _bars(d)
    elif kind == "equilibria":
        d, notes = _select(ds, sel, ())
        ax = _equilibria_figure(d)
    elif kind == "shocks":
        speed = "migration_speed"
        keep = tuple(x for x in sdims if x not in sel and x != speed)[:1]
        d, notes = _select(ds, sel, (speed, *keep))
        ax = _shocks_figure(d, speed, keep[0] if keep else None)
    elif kind == "bifurcation_points":
        keep = tuple(x for x in sdims if x not in sel)[:2]
        d, notes = _select(ds, sel, keep)
        ax = _bifurcation_points_figure(d, keep)
    else:
        raise ValueError(f"no figure for study kind {kind!r}")
    ax.figure.suptitle(figure_title(d, notes), fontsize="small")
    out = Path(out)
    ax.figure.savefig(out, dpi=150, bbox_inches="tight")
    plt.close(ax.figure)
    return out, notes


def _components(d):
    """The shares of a grouped state over (time, state) as a dataset over (time, region) whose
    rows are the state's components (``r0/agriculture``, ...), for :func:`heatmap`."""
    lam = d["lam"].rename(state="region").drop_vars([c for c in d["lam"].coords if c not in d["lam"].dims])
    out = lam.to_dataset(name="lam").assign_coords(region=[str(s) for s in d["state"].values])
    out["region"].attrs = _attrs(d, "state")
    out.attrs = dict(d.attrs)
    return out


def _bars(d):
    _, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
    x = np.arange(d.sizes["region"])
    ax.bar(x, d["lam"].values)
    ax.set_xlabel(_label(d, "region"))
    ax.set_ylabel(_label(d, "lam"))
    ax.set_ylim(0, 1)
    _fit_ticks(ax, "x", x, _region_names(d))
    return ax


def _equilibria_figure(d):
    _, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
    lam = np.asarray(d["lam"].values)
    stable = np.asarray(d["stable"].values, dtype=bool)
    x = np.arange(lam.shape[-1])
    words = _flag_words(d, "stable")
    for e in range(lam.shape[0]):
        if not np.all(np.isfinite(lam[e])):
            continue
        ax.plot(x, lam[e], marker="o", linestyle="-" if stable[e] else "--",
                markerfacecolor=None if stable[e] else "white",
                label=f"#{e} {words[bool(stable[e])]}")
    ax.set_xlabel(_label(d, "region"))
    ax.set_ylabel(_label(d, "lam"))
    ax.set_ylim(-0.03, 1.03)
    if lam.shape[0] <= 10:
        ax.legend(fontsize="small")
    else:  # one entry per equilibrium would hide the figure: the two styles only
        ax.legend(handles=[Line2D([], [], color="0.3", marker="o", label=words[True]),
                           Line2D([], [], color="0.3", marker="o", linestyle="--",
                                  markerfacecolor="white", label=words[False])],
                  fontsize="small", title=f"{lam.shape[0]} equilibria", title_fontsize="small")
    _fit_ticks(ax, "x", x, _region_names(d))
    return ax


def _bifurcation_points_figure(d, keep):
    if len(keep) == 2:
        fig, axs = plt.subplots(1, 2, figsize=(8.5, 3.4), layout="constrained")
        # one scale for both points (both are freeness values), fitted to them
        points = ("break_point", "sustain_point")
        limits = _colour_limits(np.concatenate([d[v].values.ravel() for v in points]))
        for ax, var in zip(axs, points, strict=True):
            da = d[var].transpose(*keep)
            y, x = (np.asarray(d[k].values, dtype=float) for k in keep)
            mesh = ax.pcolormesh(x, y, da.values, shading="nearest", cmap="viridis", **limits)
            fig.colorbar(mesh, ax=ax, label=f"{_label(d, var)} (NaN: none)")
            ax.set_xlabel(_label(d, keep[1]))
            ax.set_ylabel(_label(d, keep[0]))
        return axs[0]
    _, ax = plt.subplots(figsize=(5, 3.4), layout="constrained")
    if keep:
        x = np.asarray(d[keep[0]].values, dtype=float)
        ax.plot(x, d["break_point"].values, marker="o", label=_label(d, "break_point"))
        ax.plot(x, d["sustain_point"].values, marker="D", label=_label(d, "sustain_point"))
        ax.set_xlabel(_label(d, keep[0]))
        ax.legend(fontsize="small")
    else:
        ax.bar([_label(d, v) for v in ("break_point", "sustain_point")],
               [float(d["break_point"]), float(d["sustain_point"])])
    ax.set_ylabel(_label(d, "phi"))
    return ax


def _shocks_figure(d, speed, lines):
    """Mean volatility and mean correlation of the regions' cycles against the migration speed,
    one line per value of ``lines`` (e.g. phi), the ensemble's median and 10-90% band."""
    fig, axs = plt.subplots(1, 2, figsize=(8.5, 3.4), layout="constrained")
    has_speed = speed in d.dims
    x = np.atleast_1d(np.asarray(d[speed].values, dtype=float)) if speed in d.coords else np.zeros(1)
    groups = list(d[lines].values) if lines is not None else [None]
    for ax, var in zip(axs, ("mean_volatility", "mean_correlation"), strict=True):
        _require(d, "shocks", (var,))
        for g in groups:
            da = d[var] if g is None else d[var].sel({lines: g})
            if not has_speed:
                da = da.expand_dims(speed)
            da = da.transpose(speed, ...)
            values = np.asarray(da.values, dtype=float).reshape(x.size, -1)
            q = np.nanquantile(values, [0.1, 0.5, 0.9], axis=1)
            label = None if g is None else f"{_label(d, lines)} = {_fmt(g)}"
            (line,) = ax.plot(x, q[1], marker="o", label=label)
            ax.fill_between(x, q[0], q[2], color=line.get_color(), alpha=0.2, linewidth=0)
        ax.set_xlabel(_label(d, speed) if speed in d.coords else speed)
        ax.set_ylabel("\n".join(textwrap.wrap(_label(d, var), 32)))
    if lines is not None:
        axs[0].legend(fontsize="small", title="median, 10-90% of samples", title_fontsize="small")
    return axs[0]
