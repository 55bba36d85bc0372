"""The ``calibration`` section of a study config: recover the model's region-specific
fundamentals from data (:func:`neg.calibrate`) before the study runs, and start it from the
observed state.

```yaml
calibration:
  data: china_provinces          # a dataset of neg.datasets (DATASETS), on dim region
  lam: pop_2020_10k              # column: the mobile factor by region (normalised to shares)
  gdp: gdp_2020_100m_yuan        # optional column: GDP by region (any units)
  free: [amenity, productivity]  # optional: what to recover (neg.calibrate's free; default as there)
  housing: area_km2              # optional: a per-region share parameter set from a column
  coords: [macro_region, name_en]  # optional: columns attached to the results along region
  model: {name: helpman, ...}    # optional: calibrate this model instead of the study's
```

What it does, in the process that validates the config (workers receive plain arrays):

1. the dataset's regions are matched to the geography's by name (same set; reordered to the
   geography's order);
2. share parameters named by columns (``housing: area_km2``) are set to the column's shares in
   the study's model (and in the calibration model, if it has them);
3. :func:`neg.calibrate` fits ``amenity`` (and, with ``gdp``, ``productivity``) so that the observed
   shares are an exact long-run equilibrium (and model GDP shares match): the study's model gets
   the fitted fundamentals (``model.amenity``/``productivity`` must not be set by hand); with
   ``model:`` the fundamentals of that model are transferred (for a model that cannot be
   calibrated itself, such as MultiIndustry, whose state is grouped);
4. a study whose kind starts from ``lam0`` and whose state is one distribution over the regions
   starts from the observed shares, unless ``study.lam0`` is given;
5. results get the fit in their global attrs (``calibration_residual``, ``_converged``,
   ``_stable``, ``_iterations``, ``_leading_eigenvalue``, ...), the model's ``amenity`` and
   ``productivity`` as variables along ``region`` and the columns named in ``coords`` plus
   ``lam_observed`` (and ``gdp_share_observed``) as coordinates along ``region``, so that
   ``ds.lam.groupby("macro_region").sum()`` gives the shares of the macro-regions.

Region labels for groups of regions in sweep axes (``model.tax[central, west]``) are the region
names and the values of every text column of the dataset.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neg.calibration import FUNDAMENTAL_NAMES, calibrate
from neg.datasets import DATASETS
from neg.models import REGISTRY
from neg.study.errors import did_you_mean
from neg.study.schema import _BAD, _Checker, _model_fields
from neg.study.studies import KINDS
from neg.study.sweep import describe

__all__ = ["CALIBRATION_KEYS", "Calibrated", "read_calibration", "apply_calibration", "region_labels"]

#: the section's own keys (any other key names a per-region share parameter: key: column)
CALIBRATION_KEYS = ("data", "lam", "gdp", "free", "coords", "model")


@dataclass
class Calibrated:
    """The section as read: the dataset reordered to the geography's regions, and the columns."""

    data: str
    dataset: Any  # xarray.Dataset on region, in the geography's order
    lam: str
    gdp: str | None = None
    coords: list[str] = field(default_factory=list)
    shares: dict[str, str] = field(default_factory=dict)  # parameter -> column
    model: tuple[str, dict] | None = None  # (name, params) of the model to calibrate instead
    free: tuple[str, ...] | None = None  # the fundamentals to recover (neg.calibrate's free)

    def column(self, name: str) -> np.ndarray:
        return np.asarray(self.dataset[name].values, dtype=float)

    def share(self, name: str) -> np.ndarray:
        v = self.column(name)
        return v / v.sum()


def _columns(ds, numeric: bool) -> list[str]:
    return [str(n) for n, v in ds.data_vars.items() if v.dims == ("region",)
            and (np.issubdtype(v.dtype, np.number) == numeric)]


def region_labels(names, dataset=None) -> dict[str, list[int]]:
    """Label -> region indices: each region's name, and each value of every text column of the
    calibration dataset (``east``, ``west``, ...)."""
    labels = {str(n): [i] for i, n in enumerate(names)}
    if dataset is not None:
        for col in _columns(dataset, numeric=False):
            for i, v in enumerate(np.asarray(dataset[col].values, dtype=str)):
                labels.setdefault(v, [])
                if i not in labels[v]:
                    labels[v].append(i)
    return labels


def _numeric_column(c: _Checker, key: str, ds, v, *, positive: bool) -> str | None:
    if not isinstance(v, str) or not v.strip():
        c.err(key, f"expected a column name, got {describe(v)}")
        return None
    numeric = _columns(ds, numeric=True)
    if v not in numeric:
        c.err(key, f"no numeric column {v!r} in the data (columns: {', '.join(numeric)})"
                   f"{did_you_mean(v, numeric)}")
        return None
    x = np.asarray(ds[v].values, dtype=float)
    bad = ~np.isfinite(x) | (x <= 0 if positive else x < 0)
    if bad.any():
        regions = [str(r) for r in np.asarray(ds["region"].values)[bad]]
        c.err(key, f"column {v!r} must be finite and {'> 0' if positive else '>= 0'} in every region; "
                   f"not in {', '.join(regions)}")
        return None
    return v


def read_calibration(c: _Checker, section, geography, study_cls) -> Calibrated | None:
    """Read and check the ``calibration`` section against the geography (its region names) and
    the study's model class; None if absent or broken (problems reported)."""
    if section is None:
        return None
    if not isinstance(section, dict):
        c.err("calibration", f"expected a mapping (data:, lam:, ...), got {describe(section)}")
        return None
    for k in ("data", "lam"):
        if section.get(k) is None:
            c.err(f"calibration.{k}", "required")
    name = section.get("data")
    if name is None:
        return None
    if not isinstance(name, str) or name not in DATASETS:
        c.err("calibration.data", f"unknown dataset {name!r} (one of {', '.join(DATASETS)})"
                                  f"{did_you_mean(str(name), DATASETS)}")
        return None
    ds = DATASETS[name]()
    if geography is None:
        return None
    names = [str(n) for n in geography.names]
    have = [str(r) for r in ds["region"].values]
    if sorted(names) != sorted(have):
        c.err("calibration.data", f"the geography's regions ({', '.join(names[:4])}, ...) are not the "
                                  f"{len(have)} regions of {name} ({', '.join(have[:4])}, ...): use the "
                                  f"dataset's geography (e.g. geography: {{kind: china}})")
        return None
    ds = ds.sel(region=names)
    cal = Calibrated(name, ds, "")
    ok = True
    cal_model = section.get("model")
    cls = study_cls
    if cal_model is not None:
        cal.model = _read_model(c, cal_model)
        ok &= cal.model is not None
        if cal.model is not None:
            cls = REGISTRY[cal.model[0]]
    share_params = set()
    for k2 in (cls, study_cls):
        if k2 is not None:
            share_params |= {n for n, (t, _) in _model_fields(k2).items() if t == "shares"}
    for k, v in section.items():
        key = f"calibration.{k}"
        if k in ("data", "model"):
            continue
        if k == "lam":
            col = _numeric_column(c, key, ds, v, positive=True)
            ok &= col is not None
            cal.lam = col or ""
        elif k == "gdp":
            if v is not None:
                col = _numeric_column(c, key, ds, v, positive=True)
                ok &= col is not None
                cal.gdp = col
        elif k == "free":
            names = [v] if isinstance(v, str) else v
            if not isinstance(names, list) or not names or any(x not in FUNDAMENTAL_NAMES for x in names):
                c.err(key, f"expected a list of fundamentals from {', '.join(FUNDAMENTAL_NAMES)}, got "
                           f"{describe(v)}")
                ok = False
                continue
            cal.free = tuple(names)
        elif k == "coords":
            cols = [str(n) for n, x in ds.data_vars.items() if x.dims == ("region",)]
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                c.err(key, f"expected a list of column names, got {describe(v)}")
                ok = False
                continue
            for i, x in enumerate(v):
                if x not in cols:
                    c.err(f"{key}[{i}]", f"no column {x!r} in the data (columns: {', '.join(cols)})"
                                         f"{did_you_mean(x, cols)}")
                    ok = False
            cal.coords = list(v)
        elif k in share_params:
            col = _numeric_column(c, key, ds, v, positive=True)
            ok &= col is not None
            if col is not None:
                cal.shares[k] = col
        else:
            allowed = list(CALIBRATION_KEYS) + sorted(share_params)
            c.err(key, f"unknown key {k!r}: the section takes {', '.join(CALIBRATION_KEYS)} or a per-region "
                       f"share parameter of the model set from a column "
                       f"({', '.join(sorted(share_params)) or 'none here'}){did_you_mean(str(k), allowed)}")
            ok = False
    return cal if ok and cal.lam else None


def _read_model(c: _Checker, section) -> tuple[str, dict] | None:
    """``calibration.model``: a model name and its parameters (types checked here, values by the
    model when it is built)."""
    if not isinstance(section, dict) or not isinstance(section.get("name"), str) \
            or section["name"] not in REGISTRY:
        got = section.get("name") if isinstance(section, dict) else section
        c.err("calibration.model", f"expected a mapping with a model name (one of {', '.join(REGISTRY)}) "
                                   f"and its parameters, got {describe(got)}")
        return None
    name = section["name"]
    fields = _model_fields(REGISTRY[name])
    params, ok = {}, True
    for k, v in section.items():
        if k == "name":
            continue
        if k not in fields:
            c.err(f"calibration.model.{k}",
                  f"unknown parameter {k!r} of {name}{did_you_mean(str(k), fields)}")
            ok = False
            continue
        x = c.typed(f"calibration.model.{k}", fields[k][0], v, nullable=True)
        if x is _BAD:
            ok = False
        elif x is not None:
            params[k] = x
    return (name, params) if ok else None


def set_share_columns(c: _Checker, cal: Calibrated, params: dict, cls) -> None:
    """Put the share parameters named by columns into the study model's ``params``."""
    fields = _model_fields(cls)
    for p, col in cal.shares.items():
        if p not in fields:
            continue
        if params.get(p) is not None:
            c.err(f"model.{p}", f"set by calibration.{p} (column {col!r}); give it in one place only")
            continue
        params[p] = cal.share(col).tolist()


def apply_calibration(c: _Checker, study, cal: Calibrated) -> None:
    """Calibrate (see the module docstring) and put the fundamentals, the starting state, the
    fit and the region data into ``study``; a failure is reported under ``calibration``."""
    for p in ("amenity", "productivity"):
        if study.model_params.get(p) is not None:
            c.err(f"model.{p}", "set by the calibration section (the fitted fundamentals); drop it here, "
                                "or change it with a sweep axis (scale: true multiplies the fitted values)")
            return
    geo = study.geography()
    lam = cal.share(cal.lam)
    gdp = cal.column(cal.gdp) if cal.gdp else None
    try:
        if cal.model is not None:
            name, params = cal.model
            fields = _model_fields(REGISTRY[name])
            params = {**params, **{p: cal.share(col) for p, col in cal.shares.items() if p in fields}}
            model = REGISTRY[name](geography=geo, **params)
        else:
            model, _, _ = study.replace(axes=[], mode="none").build()
        fit = calibrate(model, lam, gdp=gdp, free=cal.free)
    except (ValueError, TypeError, NotImplementedError) as e:
        c.err("calibration", f"cannot calibrate {study.model_name if cal.model is None else cal.model[0]}"
                             f": {e}")
        return
    fund = fit.fundamentals
    for p in ("amenity", "productivity"):
        study.model_params[p] = [float(x) for x in np.asarray(fund[p].values, dtype=float)]
    kind = KINDS[study.kind]
    if "lam0" in kind.args and study.args.get("lam0") is None:
        try:
            regions = study.replace(axes=[], mode="none").build()[0].state_is_regions()
        except (ValueError, TypeError):  # the model's own problems are reported by the range checks
            regions = False
        if regions:
            study.args["lam0"] = lam
    eig = np.asarray(fit.eigenvalues)
    lead = float(np.max(np.real(eig))) if eig.size else float("nan")
    study.attrs.update({
        "calibration_data": cal.data, "calibration_lam": cal.lam, "calibration_gdp": cal.gdp or "",
        "calibration_model": study.model_name if cal.model is None else cal.model[0],
        "calibration_shares": json.dumps(cal.shares),
        "calibration_residual": float(fit.residual), "calibration_converged": int(bool(fit.converged)),
        "calibration_iterations": int(fit.iterations), "calibration_stable": int(bool(fit.stable)),
        "calibration_leading_eigenvalue": lead, "calibration_method": str(fit.method),
        "calibration_unique": -1 if fit.unique is None else int(bool(fit.unique)),
        "calibration_normalisation": str(fund.attrs.get("normalisation", "geometric mean 1")),
    })
    coords = {}
    for col in cal.coords:
        v = cal.dataset[col]
        values = np.asarray(v.values)
        text = values.dtype.kind in "OUS"
        attrs = {k: x for k, x in v.attrs.items() if k in ("long_name", "units", "comment")}
        if not text:
            attrs.setdefault("units", "1")  # CF: a numeric coordinate has units (a 0/1 flag: "1")
        coords[col] = (values.astype(str).tolist() if text else values.tolist(), attrs)
    coords["lam_observed"] = (lam.tolist(), {"long_name": f"observed shares ({cal.lam})", "units": "1"})
    if gdp is not None:
        coords["gdp_share_observed"] = ((gdp / gdp.sum()).tolist(),
                                        {"long_name": f"observed GDP shares ({cal.gdp})", "units": "1"})
    study.calibration = {"coords": coords}
