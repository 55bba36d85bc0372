"""``neg info`` (a summary of a result file) and ``neg plot`` (the study's natural figure)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xarray as xr

from neg.metrics import industrialisation_order
from neg.study.io import FLAT
from neg.study.studies import param_dim

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
    if a.get("calibration_data"):
        fit = ("converged" if a.get("calibration_converged") else "NOT converged") + ", " + (
            "stable" if a.get("calibration_stable") else "unstable")
        cols = ", ".join(x for x in (a.get("calibration_lam"), a.get("calibration_gdp")) if x)
        lines.append(f"  calibration: {a.get('calibration_model', '?')} fitted to {a['calibration_data']} "
                     f"({cols}): residual {float(a.get('calibration_residual', np.nan)):.3g}, {fit} "
                     f"(leading eigenvalue {float(a.get('calibration_leading_eigenvalue', np.nan)):.3g})")
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

    if ds.attrs.get("calibration_data") and "region" in ds.dims and ds.attrs.get("layout") != "flat":
        return _counterfactual_figure(ds, Path(out), dict(sel or {}))
    return study_figure(ds, out, sel)


#: a province's share counts as risen once it is this much above its level at the start of the path
RISE = 1.05


def _counterfactual_figure(ds: xr.Dataset, out: Path, sel: dict) -> tuple[Path, list[str]]:
    """The figure of a calibrated study (a counterfactual from the observed state): along its
    path (the traced parameter, time, or the first sweep axis not fixed by ``sel``), a map of the
    shares at the end coloured by their change, the order in which the regions' shares first
    rise 5% above their starting level (:func:`neg.metrics.industrialisation_order` of the shares
    relative to the start) coloured by macro-region, and the macro-regions' shares."""
    import matplotlib.pyplot as plt

    from neg.plot._base import figure_title
    from neg.plot.figures import _select
    from neg.plot.places import counterfactual

    kind = ds.attrs.get("study_kind")
    sdims = json.loads(ds.attrs.get("sweep", '{"dims": []}')).get("dims", [])
    if kind == "trace":
        path = param_dim(ds.attrs["param"])
    elif kind == "simulate":
        path = "time"
    else:
        free = [d for d in sdims if d not in sel]
        if not free:
            raise ValueError("a calibrated study's figure follows a sweep axis: leave one out of --sel")
        path = free[0]
    if "direction" in ds.dims:
        sel.setdefault("direction", "up")
    industry = sel.pop("industry", None)
    d, notes = _select(ds, sel, (path,))
    if "industry_share" in d:
        names = [str(x) for x in d["industry"].values]
        if industry is None:
            industry = names[0]
            notes.append(f"industry = {industry} (first; choose with --sel)")
        elif industry not in names:
            raise ValueError(f"--sel industry={industry}: one of {', '.join(names)}")
        else:
            notes.append(f"industry = {industry}")
        shares = d["industry_share"].sel(industry=industry)
        shares.attrs["long_name"] = f"share of {industry} employment"
    else:
        shares = d["lam"]
    shares = shares.transpose(path, "region")
    rel = shares / shares.isel({path: 0})
    od = industrialisation_order(rel, threshold=RISE, dim=path)
    od = od.assign_coords({c: shares[c] for c in shares.coords if shares[c].dims == ("region",)})
    od.attrs["title"] = f"order: share first {100 * (RISE - 1):g}% above its start"
    fig = counterfactual(shares, od)
    fig.suptitle(figure_title(d, notes), fontsize="small")
    fig.savefig(out, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return out, notes
