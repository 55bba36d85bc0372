"""Figures of real places: regions as dots at their coordinates (:func:`map`), the order in which
they industrialise (:func:`order`) and the counterfactual figure of a calibrated study
(:func:`counterfactual`); see :mod:`neg.plot`."""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.lines import Line2D

from neg.plot._base import (
    _MARKERS,
    _SYMBOL,
    _axes,
    _finish,
    _fmt,
    _label,
    _region_names,
    _require,
    _slice,
    _symbol,
    _title,
    plt,
)

__all__ = ["map", "order", "counterfactual"]


def map(ds, geography=None, ax=None, path=None, time=None, var="lam", sel=None,
        labels=False, size=600.0, *, colour=None, colour_label=None, groups=None, title=None):
    """Regions as dots at their (lon, lat), dot area proportional to ``var`` (a share: an area of
    ``size`` pt^2 means the whole mobile factor). Coordinates come from ``geography.coordinates``
    or from ds coords ``lat`` and ``lon`` along ``region``. ``sel`` picks one slice (nearest value
    on numeric coordinates), e.g. ``{"phi": 0.3, "direction": "up"}``; ``time`` is a shortcut for
    ``sel={"time": time}`` and defaults to the last time. ``labels=True`` writes region names.

    ``colour``: one value per region (e.g. the change of the share in percent) colouring the dots
    on a diverging scale centred on 0, with a colour bar labelled ``colour_label``. ``groups``:
    the name of a coordinate along ``region`` (e.g. ``"macro_region"``): one marker shape per
    group, with a legend. Region names (``labels``) point towards the middle of the map, so they
    stay inside the axes. ``title``: by default the model and its key parameters, above the slice
    drawn; a string; or False.
    """
    kind = "map"
    sel = dict(sel or {})
    if time is not None:
        sel["time"] = time
    elif "time" in ds.dims and "time" not in sel:
        sel["time"] = ds["time"].values[-1]
    da = _slice(ds, var, kind, sel=sel)
    if da.dims != ("region",):
        rest = [d for d in da.dims if d != "region"]
        raise ValueError(f"map: select one slice with sel={{...}}: {var!r} still has dims {rest}")
    if geography is not None and geography.coordinates is not None:
        lat, lon = np.asarray(geography.coordinates, dtype=float).T
        names = list(geography.names)
    elif "lat" in ds.coords and "lon" in ds.coords:
        lat, lon = ds["lat"].values.astype(float), ds["lon"].values.astype(float)
        names = _region_names(ds)
    else:
        raise ValueError("map: needs coordinates: pass a coordinate geography "
                         "(Geography.from_coordinates) or give the dataset coords 'lat' and 'lon' "
                         "along 'region'")
    if lat.size != da.sizes["region"]:
        raise ValueError(f"map: {lat.size} coordinates for {da.sizes['region']} regions")
    v = np.clip(da.values.astype(float), 0.0, None)
    ax = _axes(ax, figsize=(5.0, 4.2))
    style = {"alpha": 0.8, "edgecolors": "black", "linewidths": 0.5}
    if colour is not None:
        c = np.asarray(colour, dtype=float)
        if c.shape != v.shape:
            raise ValueError(f"map: colour needs one value per region ({v.size}), got shape {c.shape}")
        # the scale ends at the 90th percentile of |colour|: a few extreme regions do not wash
        # out the others (the colour bar's arrows mark values beyond it)
        finite = np.abs(c[np.isfinite(c)])
        top = float(np.percentile(finite, 90)) if finite.size else 0.0
        top = top if top > 0 else (float(finite.max()) if finite.size and finite.max() > 0 else 1.0)
        style.update(c=c, cmap="RdBu_r", vmin=-top, vmax=top)
        beyond = (bool(np.nanmin(c) < -top), bool(np.nanmax(c) > top)) if finite.size else (False, False)
        extend = {(False, False): "neither", (True, False): "min", (False, True): "max"}.get(beyond, "both")
    else:
        style.update(color="C0")
    if groups is not None:
        if groups not in ds.coords or ds[groups].dims != ("region",):
            raise ValueError(f"map: groups: no coordinate {groups!r} along region")
        g = np.asarray(ds[groups].values).astype(str)
        kinds = sorted(set(g))
        if len(kinds) > len(_MARKERS):
            raise ValueError(f"map: groups: at most {len(_MARKERS)} groups, got {len(kinds)}")
    else:
        g, kinds = np.full(v.size, ""), [""]
    mappable = None
    for n, k in enumerate(kinds):
        idx = g == k
        kw = dict(style)
        if colour is not None:
            kw["c"] = style["c"][idx]
        mappable = ax.scatter(lon[idx], lat[idx], s=size * v[idx], marker=_MARKERS[n], **kw) \
            if idx.any() else mappable
    empty = v < 1e-3  # keep empty regions visible as rings
    ax.scatter(lon[empty], lat[empty], s=8, facecolors="none", edgecolors="0.4", linewidths=0.6)
    if labels:
        mid_x, mid_y = 0.5 * (np.nanmin(lon) + np.nanmax(lon)), 0.5 * (np.nanmin(lat) + np.nanmax(lat))
        for xi, yi, vi, name in zip(lon, lat, v, names, strict=True):
            off = 0.7 * np.sqrt(size * vi / np.pi) + 2  # clear of the dot (radius in points)
            right, up = xi <= mid_x, yi <= mid_y  # towards the middle: inside the axes
            ax.annotate(name, (xi, yi), xytext=(off if right else -off, off if up else -off),
                        textcoords="offset points", fontsize="x-small",
                        ha="left" if right else "right", va="bottom" if up else "top")
    refs = [r for r in (0.5, 0.25, 0.1, 0.05, 0.02, 0.01) if r <= max(v.max(), 0.01)][:3]
    handles = [ax.scatter([], [], s=size * r, color="0.75", edgecolors="black",
                          linewidths=0.5, label=f"{r:g}") for r in refs]
    sizes = ax.legend(handles=handles, title=_label(ds, var), fontsize="small", labelspacing=1.3,
                      borderpad=0.9, loc="lower left" if groups else "best", framealpha=0.9,
                      title_fontsize="small")
    if groups is not None:
        ax.add_artist(sizes)
        marks = [Line2D([], [], marker=_MARKERS[n], linestyle="", color="0.5", markeredgecolor="black",
                        markersize=7, label=k) for n, k in enumerate(kinds)]
        ax.legend(handles=marks, title=_label(ds, groups), fontsize="small", loc="upper left",
                  framealpha=0.9, title_fontsize="small")
    if colour is not None and mappable is not None:
        label = "\n".join(textwrap.wrap(colour_label or "", 48, break_long_words=False))
        ax.figure.colorbar(mappable, ax=ax, label=label, shrink=0.8, extend=extend)
    ax.set_aspect(1.0 / max(np.cos(np.radians(np.nanmean(lat))), 0.1))
    ax.margins(0.12)
    ax.set_xlabel(_label(ds, "lon"))
    ax.set_ylabel(_label(ds, "lat"))
    _title(ax, ds, title, ", ".join(f"{_symbol(k) if k in _SYMBOL else k} = {_fmt(val)}"
                                    for k, val in sel.items()))
    return _finish(ax, path)


def order(od, ax=None, path=None, groups=None, names=None, xlabel=None):
    """The order of industrialisation (a Dataset of :func:`neg.metrics.industrialisation_order`
    over ``region``): each region's ``crossing`` (where its share first rises above the
    threshold) as a dot, regions sorted from first to last, coloured by ``groups`` (the name of a
    coordinate along region, e.g. ``"macro_region"``, in ``od``); regions that never cross are
    listed last, marked "never". ``names``: a coordinate along region to label the rows with
    (default the region names); ``xlabel``: the label of the path's axis (default: the name of
    the dimension the order was taken along)."""
    _require(od, "order", ("crossing",), ("region",))
    cross = od["crossing"]
    if cross.dims != ("region",):
        raise ValueError(f"order: select one slice: crossing has dims {list(cross.dims)}")
    x = np.asarray(cross.values, dtype=float)
    labels = (np.asarray(od[names].values).astype(str) if names is not None and names in od.coords
              else np.array(_region_names(od)))
    g = (np.asarray(od[groups].values).astype(str) if groups is not None and groups in od.coords
         else np.full(x.size, ""))
    kinds = sorted(set(g))
    colours = {k: plt.get_cmap("tab10").colors[n % 10] for n, k in enumerate(kinds)}
    # first to last in the direction of travel: by the metric's rank (which reads a decreasing
    # path in decreasing order), else by the crossing value
    key = np.asarray(od["rank"].values, dtype=float) if "rank" in od else x
    rank = np.argsort(np.where(np.isfinite(key), key, np.inf), kind="stable")
    seen = x[rank][np.isfinite(x[rank])]
    decreasing = seen.size > 1 and seen[-1] < seen[0]
    ax = _axes(ax, figsize=(4.6, 0.19 * x.size + 1.2))
    finite = x[np.isfinite(x)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    never = lo - 0.06 * max(hi - lo, 1e-9) if decreasing else hi + 0.06 * max(hi - lo, 1e-9)
    for row, i in enumerate(rank):
        ok = np.isfinite(x[i])
        ax.plot([x[i] if ok else never], [row], marker="o" if ok else "x", linestyle="",
                color=colours[g[i]], markersize=5)
    ax.set_yticks(np.arange(x.size), labels[rank], fontsize="x-small")
    ax.invert_yaxis()
    if decreasing:
        ax.invert_xaxis()
    ax.grid(axis="x", color="0.9")
    dim = od.attrs.get("dim", "")
    ax.set_xlabel(xlabel or (_label(od, dim) if dim in od.coords else str(dim)))
    if not np.all(np.isfinite(x)):
        ax.axvline(never, color="0.8", linewidth=0.8)
        # the "never" column is on the right (the axis is inverted for a decreasing path)
        ax.annotate("never", (never, x.size - 1), xytext=(-6, 0),
                    textcoords="offset points", ha="right", va="center",
                    fontsize="x-small", color="0.4")
    if groups is not None:
        ax.legend(handles=[Line2D([], [], marker="o", linestyle="", color=colours[k], label=k)
                           for k in kinds], fontsize="x-small", loc="lower left", framealpha=0.9)
    ax.set_title(od.attrs.get("title") or f"order: share first above {od.attrs.get('threshold', '?'):g}",
                 fontsize="small")
    return _finish(ax, path)


def counterfactual(shares, od, path=None, groups="macro_region", names="name_en", change="change"):
    """The figure of a counterfactual on real places (``neg plot`` of a calibrated study): for
    ``shares`` (a DataArray over (path dim, region) with coordinates ``lat``/``lon`` and the
    region coordinate ``groups``) and its order of industrialisation ``od``
    (:func:`neg.metrics.industrialisation_order` of the shares relative to the first slice):
    a map of the shares at the end of the path coloured by their change from the start (in
    percentage points), the order chart, and the shares of the groups along the path. Returns the
    figure."""
    dim = [d for d in shares.dims if d != "region"]
    if len(dim) != 1:
        raise ValueError(f"counterfactual: shares need dims (path, region), got {list(shares.dims)}")
    dim = dim[0]
    fig = plt.figure(figsize=(13.5, 5.6), layout="constrained")
    gs = fig.add_gridspec(1, 3, width_ratios=[1.5, 1.0, 1.0])
    ax_map, ax_order, ax_groups = (fig.add_subplot(gs[0, i]) for i in range(3))
    end = shares.isel({dim: -1})
    pp = 100.0 * (end.values - shares.isel({dim: 0}).values)
    ds = end.to_dataset(name="share")
    ds["share"].attrs.update(long_name=shares.attrs.get("long_name", "share"), units="1")
    name = _symbol(dim) if dim in _SYMBOL else str(shares[dim].attrs.get("long_name") or dim)
    map(ds, ax=ax_map, var="share", colour=pp, groups=groups if groups in ds.coords else None,
        colour_label=f"{change} of the share since {name} = {_fmt(shares[dim].values[0])} "
                     f"(percentage points)", size=1500.0, title=f"{name} = {_fmt(shares[dim].values[-1])}")
    xlabel = _label(shares.to_dataset(name="s"), dim) if dim in shares.coords else dim
    order(od, ax=ax_order, groups=groups if groups in od.coords else None,
          names=names if names in od.coords else None, xlabel=xlabel)
    x = np.asarray(shares[dim].values)
    if groups in shares.coords:
        by = shares.groupby(groups).sum("region").transpose(dim, groups)
        for n, k in enumerate(np.asarray(by[groups].values).astype(str)):
            ax_groups.plot(x, by.values[:, n], marker=_MARKERS[n % len(_MARKERS)], markersize=3,
                           color=plt.get_cmap("tab10").colors[n % 10], label=k)
        ax_groups.legend(fontsize="small", title=_label(shares.to_dataset(name="s"), groups),
                         title_fontsize="small")
        ax_groups.set_ylabel("share of the group")
    ax_groups.set_xlabel(xlabel)
    if x.size > 1 and np.issubdtype(x.dtype, np.number) and x[-1] < x[0]:
        ax_groups.invert_xaxis()  # the path runs from right to left: read it left to right
    ax_groups.grid(color="0.9")
    if path is not None:
        fig.savefig(path, dpi=150, bbox_inches="tight")
    return fig
