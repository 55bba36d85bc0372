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
           "bifurcation_points": "break and sustain points over the sweep",
           "shocks": "volatility and mean correlation of the cycles against migration_speed"}


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


def plot_result(ds: xr.Dataset, out: Path, sel: dict | None = None) -> tuple[Path, list[str]]:
    """Draw the study's natural figure to ``out`` (PNG/PDF/SVG). Returns (path, notes).

    The figures are drawn by :func:`neg.plot.study_figure`."""
    # neg.plot needs matplotlib, an optional dependency: it is imported only when a figure is drawn
    from neg.plot import study_figure

    return study_figure(ds, out, sel)
