"""``neg info`` (a summary of a result file) and ``neg plot`` (the study's natural figure)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xarray as xr

from neg.study.io import FLAT

__all__ = ["info_text", "plot_result", "FIGURES"]

#: study kind -> figure drawn by ``neg plot``
FIGURES = {"bifurcation": "tomahawk", "trace": "heatmap", "simulate": "paths",
           "equilibrium": "heatmap (map for coordinate geographies)",
           "equilibria": "equilibria (shares of each equilibrium, stable filled)",
           "bifurcation_points": "break and sustain points over the sweep"}


def _fmt_s(s) -> str:
    s = float(s)
    return f"{s * 1e3:.3g} ms" if s < 1 else f"{s:.3g} s"


def info_text(ds: xr.Dataset, path) -> str:
    a = ds.attrs
    sweep = json.loads(a["sweep"]) if "sweep" in a else {"dims": [], "axes": []}
    flat = a.get("layout") == "flat"
    lines = [f"{path}: {a.get('title', 'neg result')}" + (f", shard {a['shard']}" if flat else ""),
             f"  neg {a.get('neg_version', '?')}, model {a.get('model', '?')} on a {a.get('geography', '?')} "
             f"geography, study kind {a.get('study_kind', '?')}"]
    if a.get("solver"):
        lines.append(f"  solver: {a['solver']}")
    if a.get("study_args") and a["study_args"] != "{}":
        args = a["study_args"]
        lines.append(f"  study: {args if len(args) < 200 else args[:197] + '...'}")
    sdims = sweep.get("dims", [])
    if flat:
        lines.append(f"  points: {ds.sizes[FLAT]} of {a.get('n_points_total', '?')} (flat layout; "
                     f"assemble shards with neg merge)")
    elif sdims:
        shape = " x ".join(f"{d} {ds.sizes[d]}" for d in sdims)
        lines.append(f"  sweep ({sweep.get('mode')}): {shape} = {int(np.prod([ds.sizes[d] for d in sdims]))} "
                     "points")
        for ax in sweep.get("axes", []):
            v = np.array(ax["values"])
            lines.append(f"    {ax['name']}: {ax['key']} from {v.min():.6g} to {v.max():.6g} "
                         f"({v.size} values)")
    else:
        lines.append("  a single point (no sweep)")
    other = [d for d in ds.dims if d not in sdims and d != FLAT]
    if other:
        lines.append("  study dims: " + ", ".join(f"{d} {ds.sizes[d]}" for d in other))
    lines.append("  variables:")
    for name, v in ds.data_vars.items():
        ln = v.attrs.get("long_name", "")
        units = v.attrs.get("units", "")
        desc = ln + (f" [{units}]" if units else "")
        dims = f"({', '.join(v.dims)})" if v.dims else ""
        lines.append(f"    {name}{dims}{': ' + desc if desc else ''}")
    if "failed" in ds:
        failed = np.asarray(ds["failed"].values, dtype=bool)
        conv = np.asarray(ds["converged"].values, dtype=bool)
        n = failed.size
        res = np.asarray(ds["residual"].values, dtype=float)
        worst = f", largest residual {np.nanmax(res):.3g}" if np.any(np.isfinite(res)) else ""
        lines.append(f"  convergence: {n - int(failed.sum()) - int((~conv & ~failed).sum())} of {n} points "
                     f"converged, {int((~conv & ~failed).sum())} not converged, {int(failed.sum())} failed"
                     f"{worst}")
        if failed.any():
            lines.append(f"  first error: {a.get('first_error', '')}")
    if "start_time" in a:
        per = float(a.get("compute_seconds", 0)) / max(int(a.get("n_points", 1)), 1)
        lines.append(f"  timing: {a['start_time']} to {a.get('end_time', '?')}, "
                     f"wall {_fmt_s(a.get('wall_seconds', 0))}, "
                     f"compute {_fmt_s(a.get('compute_seconds', 0))} ({_fmt_s(per)} per point), "
                     f"{a.get('workers', '?')} worker(s) ({a.get('scheduler', 'local')}) "
                     f"on {a.get('host', '?')}")
    return "\n".join(lines)


def _select(ds: xr.Dataset, sel: dict, keep: tuple[str, ...]) -> tuple[xr.Dataset, list[str]]:
    """Apply ``sel`` (nearest on numeric coords), then take the first point of every remaining
    sweep dim not in ``keep``. Returns the dataset and notes on what was picked."""
    notes = []
    sweep = json.loads(ds.attrs.get("sweep", '{"dims": []}'))
    for dim, value in sel.items():
        if dim not in ds.dims and dim not in ds.coords:
            raise ValueError(f"--sel: no dimension {dim!r} (dims: {', '.join(map(str, ds.dims))})")
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


def plot_result(ds: xr.Dataset, out: Path, sel: dict | None = None) -> tuple[Path, list[str]]:
    """Draw the study's natural figure to ``out`` (PNG/PDF/SVG). Returns (path, notes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import neg.plot as nplot

    kind = ds.attrs.get("study_kind")
    if ds.attrs.get("layout") == "flat":
        raise ValueError("this is a shard (flat layout): merge the shards first (neg merge)")
    sel = dict(sel or {})
    sweep = json.loads(ds.attrs.get("sweep", '{"dims": []}'))
    sdims = sweep.get("dims", [])
    if kind == "bifurcation":
        d, notes = _select(ds, sel, ())
        ax = nplot.tomahawk(d)
    elif kind == "trace":
        d, notes = _select(ds, sel, ())
        ax = nplot.heatmap(d, direction="up")
    elif kind == "simulate":
        d, notes = _select(ds, sel, ())
        twin = bool(json.loads(d.attrs.get("scheduled", "[]")))
        ax = nplot.paths(d, twin=twin or None)
    elif kind == "equilibrium":
        if "lat" in ds.coords and "lon" in ds.coords:
            d, notes = _select(ds, sel, ())
            ax = nplot.map(d)
        else:
            keep = tuple(sdims[:1]) if len(sdims) >= 1 and sdims[0] not in sel else ()
            d, notes = _select(ds, sel, keep)
            if keep:
                d.attrs["param"] = keep[0]
                ax = nplot.heatmap(d)
            else:
                ax = _bars(d)
    elif kind == "equilibria":
        d, notes = _select(ds, sel, ())
        ax = _equilibria_figure(d)
    elif kind == "bifurcation_points":
        keep = tuple(x for x in sdims if x not in sel)[:2]
        d, notes = _select(ds, sel, keep)
        ax = _bifurcation_points_figure(d, keep)
    else:
        raise ValueError(f"no figure for study kind {kind!r}")
    title = ds.attrs.get("title", "")
    if notes:
        title += "\n" + ", ".join(n.split(" (")[0] for n in notes)
    ax.figure.suptitle(title, fontsize="small")
    out = Path(out)
    ax.figure.savefig(out, dpi=150, bbox_inches="tight")
    plt.close(ax.figure)
    return out, notes


def _bars(d):
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
    names = [str(x) for x in d["region"].values]
    ax.bar(names, d["lam"].values)
    ax.set_ylabel(r"share $\lambda$")
    ax.set_ylim(0, 1)
    return ax


def _equilibria_figure(d):
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
    lam = np.asarray(d["lam"].values)
    stable = np.asarray(d["stable"].values, dtype=bool)
    x = np.arange(lam.shape[-1])
    for e in range(lam.shape[0]):
        if not np.all(np.isfinite(lam[e])):
            continue
        ax.plot(x, lam[e], marker="o", linestyle="-" if stable[e] else "--",
                markerfacecolor=None if stable[e] else "white",
                label=f"#{e} {'stable' if stable[e] else 'unstable'}")
    ax.set_xticks(x, [str(r) for r in d["region"].values])
    ax.set_ylabel(r"share $\lambda$")
    ax.set_ylim(-0.03, 1.03)
    if lam.shape[0] <= 10:
        ax.legend(fontsize="small")
    return ax


def _bifurcation_points_figure(d, keep):
    import matplotlib.pyplot as plt

    if len(keep) == 2:
        fig, axs = plt.subplots(1, 2, figsize=(8.5, 3.4), layout="constrained")
        for ax, var, label in zip(axs, ("break_point", "sustain_point"), (r"$\phi_B$", r"$\phi_S$"),
                                  strict=True):
            da = d[var].transpose(*keep)
            y, x = (np.asarray(d[k].values, dtype=float) for k in keep)
            mesh = ax.pcolormesh(x, y, da.values, shading="nearest", cmap="viridis", vmin=0, vmax=1)
            fig.colorbar(mesh, ax=ax, label=f"{label} (NaN: none)")
            ax.set_xlabel(d[keep[1]].attrs.get("long_name", keep[1]))
            ax.set_ylabel(d[keep[0]].attrs.get("long_name", keep[0]))
        return axs[0]
    _, ax = plt.subplots(figsize=(5, 3.4), layout="constrained")
    if keep:
        x = np.asarray(d[keep[0]].values, dtype=float)
        ax.plot(x, d["break_point"].values, marker="o", label=r"break $\phi_B$")
        ax.plot(x, d["sustain_point"].values, marker="D", label=r"sustain $\phi_S$")
        ax.set_xlabel(d[keep[0]].attrs.get("long_name", keep[0]))
        ax.legend(fontsize="small")
    else:
        ax.bar(["break", "sustain"], [float(d["break_point"]), float(d["sustain_point"])])
    ax.set_ylabel(r"freeness $\phi$")
    return ax
