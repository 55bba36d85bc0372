"""Gradient-transfer and concentration metrics of traced or simulated distributions.

Every function takes either an :class:`xarray.Dataset` with a variable ``lam`` or an
:class:`xarray.DataArray` of shares, with a ``region`` dimension (and any other dimensions:
``time``, a swept parameter, ``direction``, ...), and returns an xarray object over the non-region
dimensions. Shares lam_i >= 0 are normally on the simplex (sum_i lam_i = 1); the formulas below
say where that is assumed.

* :func:`industrialisation_order`, :func:`deindustrialisation_order` - when (time or parameter
  value) each region's share first rises above / falls below a threshold, the rank order, and the
  lag behind a reference region (the initial core).
* :func:`centre_of_gravity` - share-weighted mean latitude / longitude;
  :func:`distance_from_core` - share-weighted mean distance of industry from the core.
* :func:`herfindahl`, :func:`spatial_gini`, :func:`top_k_share` - concentration.
* :func:`krugman_specialisation` - Krugman (1991) specialisation index between regions, for
  datasets with an ``industry`` dimension.
* regional cycles (:mod:`neg.metrics.cycles`): :func:`hp_filter`, :func:`first_differences`,
  :func:`volatility`, :func:`correlation_matrix`, :func:`mean_correlation`, :func:`concordance`,
  :func:`sigma_convergence`, :func:`growth_dispersion`, :func:`beta_convergence` and
  :func:`synchronisation` (all of them for a :func:`neg.simulate_shocks` result).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from neg.geography import Geography
from neg.metrics.cycles import (
    HP_LAMBDA,
    beta_convergence,
    concordance,
    correlation_matrix,
    first_differences,
    growth_dispersion,
    hp_filter,
    mean_correlation,
    sigma_convergence,
    synchronisation,
    volatility,
)
from neg.variables import attrs as variable_attrs

__all__ = [
    "industrialisation_order", "deindustrialisation_order", "centre_of_gravity", "distance_from_core",
    "herfindahl", "spatial_gini", "top_k_share", "krugman_specialisation",
    "hp_filter", "first_differences", "volatility", "correlation_matrix", "mean_correlation",
    "concordance", "sigma_convergence", "growth_dispersion", "beta_convergence", "synchronisation",
    "HP_LAMBDA",
]

REGION = "region"


def _shares(obj, name: str = "lam") -> xr.DataArray:
    if isinstance(obj, xr.Dataset):
        if name not in obj:
            raise ValueError(f"expected a Dataset with a variable {name!r} (shares), got variables "
                             f"{sorted(map(str, obj.data_vars))}")
        da = obj[name]
    elif isinstance(obj, xr.DataArray):
        da = obj
    else:
        raise TypeError(f"expected an xarray Dataset (with 'lam') or DataArray of shares, got "
                        f"{type(obj).__name__}")
    if REGION not in da.dims:
        raise ValueError(f"shares need a {REGION!r} dimension, got dims {da.dims}")
    return da


def _region_index(da: xr.DataArray, region) -> int:
    """Position of a region given by name or integer index."""
    K = da.sizes[REGION]
    if REGION in da.coords:
        names = [str(v) for v in da[REGION].values]
        if isinstance(region, str):
            if region not in names:
                raise ValueError(f"region {region!r} not found; regions are {names}")
            return names.index(region)
    if isinstance(region, (int, np.integer)) and not isinstance(region, bool):
        if not -K <= region < K:
            raise ValueError(f"region index {region} out of range for {K} regions")
        return int(region) % K
    raise ValueError(f"region: expected a region name or an integer index, got {region!r}")


def _sweep_dim(da: xr.DataArray, dim: str | None) -> str:
    """``dim``, or the one non-region dim, or "time", or the one non-region dim with numeric
    coordinates (so ``direction`` = "up"/"down" of a trace is not taken for the sweep)."""
    others = [d for d in da.dims if d != REGION]
    if dim is not None:
        if dim not in others:
            raise ValueError(f"dim {dim!r} is not a non-region dimension of the shares {da.dims}")
        return dim
    if len(others) == 1:
        return others[0]
    if "time" in others:
        return "time"
    # e.g. a trace (direction, phi, region): the one dimension with numeric coordinates
    numeric = [d for d in others if d in da.coords and np.issubdtype(da[d].dtype, np.number)]
    if len(numeric) == 1:
        return numeric[0]
    raise ValueError(f"several non-region dimensions {others}: say which one is swept with dim=...")


# --------------------------------------------------------------------------- gradient transfer
def _first_crossing(s: np.ndarray, x: np.ndarray, threshold: float, rising: bool, interpolate: bool):
    """Along the last axis: (crossing value, index k*); NaN / -1 if never."""
    cond = s > threshold if rising else s < threshold
    hit = cond.any(axis=-1)
    k = np.where(hit, cond.argmax(axis=-1), -1)
    xs = np.where(hit, x[np.maximum(k, 0)], np.nan)
    if interpolate:
        prev = np.maximum(k - 1, 0)
        s1 = np.take_along_axis(s, np.maximum(k, 0)[..., None], -1)[..., 0]
        s0 = np.take_along_axis(s, prev[..., None], -1)[..., 0]
        x0, x1 = x[prev], x[np.maximum(k, 0)]
        with np.errstate(invalid="ignore", divide="ignore"):
            w = (threshold - s0) / (s1 - s0)
        mid = hit & (k > 0) & np.isfinite(w)
        xs = np.where(mid, x0 + np.clip(w, 0.0, 1.0) * (x1 - x0), xs)
    return xs, k


def _by_direction(da: xr.DataArray, dim: str, fn):
    """Apply ``fn(slice)`` per value of a ``direction`` dim ("up"/"down", as :func:`neg.trace`
    returns), the "down" slice reversed along ``dim`` so that it is read in its direction of
    travel (decreasing parameter); without such a dim, ``fn(da)``."""
    if "direction" not in da.dims or "direction" not in da.coords or dim == "direction":
        return fn(da)
    parts = []
    for d in da["direction"].values:
        sub = da.sel(direction=d)
        if str(d) == "down":
            sub = sub.isel({dim: slice(None, None, -1)})
        out = fn(sub)
        parts.append(out.expand_dims(direction=[d]))
    combined = xr.concat(parts, "direction", coords="minimal", compat="override",
                         combine_attrs="override")
    combined = combined.assign_coords(direction=("direction", combined["direction"].values,
                                                  dict(da["direction"].attrs)))
    if isinstance(combined, xr.Dataset):
        for name in combined.data_vars:  # concat leaves dims in "direction"-first order: keep it
            combined[name] = combined[name].transpose("direction", ...)
    return combined


def _order(obj, threshold, dim, reference, rising, interpolate) -> xr.Dataset:
    da = _shares(obj)
    dim = _sweep_dim(da, dim)
    threshold = 1.0 / da.sizes[REGION] if threshold is None else float(threshold)
    return _by_direction(da, dim, lambda sub: _order_core(sub, threshold, dim, reference, rising,
                                                          interpolate))


def _order_core(da, threshold, dim, reference, rising, interpolate) -> xr.Dataset:
    if dim in da.coords and np.issubdtype(da[dim].dtype, np.number):
        x = np.asarray(da[dim].values, dtype=float)
    else:
        x = np.arange(da.sizes[dim], dtype=float)
    other = [d for d in da.dims if d not in (dim, REGION)]
    arr = da.transpose(*other, REGION, dim).values.astype(float)
    cross, k = _first_crossing(arr, x, threshold, rising, interpolate)
    initial = k == 0
    # reference region: given, or the initial core (argmax of the shares at the first coordinate)
    if reference is None:
        ref = np.argmax(np.nan_to_num(arr[..., 0], nan=-np.inf), axis=-1)
    else:
        ref = np.full(arr.shape[:-2], _region_index(da, reference), dtype=int)
    # progress along the path: the coordinate, negated if it decreases along the path (so
    # "after" is always "larger" for lag and rank)
    sign = -1.0 if x.size > 1 and x[-1] < x[0] else 1.0
    ref_cross = np.take_along_axis(cross, ref[..., None], -1)
    lag = sign * (cross - ref_cross)
    # rank: 1 = first; regions crossing at the same value (to 1e-9 of the coordinate's range)
    # share the smaller rank; NaN = never
    tie = 1e-9 * float(np.nanmax(x) - np.nanmin(x)) if x.size > 1 else 0.0
    rank = np.full(cross.shape, np.nan)
    flat_c = sign * cross.reshape(-1, cross.shape[-1])
    flat_r = rank.reshape(-1, cross.shape[-1])
    for row_c, row_r in zip(flat_c, flat_r, strict=True):
        ok = np.isfinite(row_c)
        for i in np.flatnonzero(ok):
            row_r[i] = 1 + np.count_nonzero(row_c[ok] < row_c[i] - tie)
    rank = flat_r.reshape(cross.shape)
    dims = (*other, REGION)
    coords = {d: da[d] for d in dims if d in da.coords}
    region_names = (np.asarray(da[REGION].values) if REGION in da.coords
                    else np.arange(da.sizes[REGION]))
    kind = "industrialisation" if rising else "deindustrialisation"
    word = "rises above" if rising else "falls below"
    ds = xr.Dataset(
        {
            "crossing": (dims, cross, variable_attrs("crossing", units=_units(da, dim),
                                                     description=f"{dim} at which the share first "
                                                                 f"{word} {threshold:g}")),
            "rank": (dims, rank, variable_attrs("rank", description=f"order of {kind}")),
            "lag": (dims, lag, variable_attrs("lag", units=_units(da, dim))),
            "initial": (dims, initial, variable_attrs("initial")),
            "reference": (tuple(other), region_names[ref], variable_attrs("reference")),
        },
        coords=coords,
        attrs={"kind": kind, "threshold": threshold, "dim": dim, "interpolate": int(interpolate)},
    )
    return ds


def _units(da, dim) -> str:
    if dim in da.coords:
        return str(da[dim].attrs.get("units", ""))
    return "index"


def industrialisation_order(ds, threshold: float | None = None, dim: str | None = None, reference=None, *,
                            interpolate: bool = True) -> xr.Dataset:
    """When each region's share first rises above ``threshold``, its rank and its lag.

    ``threshold`` defaults to 1/K, the uniform share: a region counts as industrialised once it
    holds more than its even share of the mobile factor.
    Along ``dim`` (default: the one non-region dimension of the shares, else ``"time"``, else the
    one non-region dimension with numeric coordinates, e.g. ``phi`` of a trace), in stored
    order, except that the ``direction="down"`` slice of a :func:`neg.trace` dataset is read in
    decreasing order (its direction of travel); with x_k the coordinate values and s_ik the shares,

        k*_i       = min{k : s_ik > threshold}        (none: crossing = NaN, rank = NaN)
        crossing_i = x_k*, linearly interpolated between x_(k*-1) and x_k* where the interpolated
                     share equals the threshold (if ``interpolate`` and k* > 0)
        rank_i     = 1 + #{j : p_j < p_i - tie}    (1 = first; ties share a rank;
                     tie = 1e-9 (max_k x_k - min_k x_k), so round-off does not order regions)
        lag_i      = p_i - p_ref

    where p_i = crossing_i if x increases along the path (x_last >= x_0) and -crossing_i if it
    decreases, so that a positive lag always means "after the reference" in the direction of
    travel (lag is in units of x).

    The reference region ``ref`` is ``reference`` (name or index) or, by default, the initial core
    argmax_i s_i0 (per slice of any other dimension, e.g. ``direction``). "Relative to the
    reference" means ``lag``: positive = after the reference, negative = before it, NaN if either
    never crosses. ``initial`` flags regions already above the threshold at the first coordinate
    (crossing = x_0, not a transition). Returns a Dataset with ``crossing``, ``rank``, ``lag``,
    ``initial`` over (other dims, region) and ``reference`` over the other dims.
    """
    return _order(ds, threshold, dim, reference, True, interpolate)


def deindustrialisation_order(ds, threshold: float | None = None, dim: str | None = None, reference=None, *,
                              interpolate: bool = True) -> xr.Dataset:
    """When each region's share first falls below ``threshold``: as
    :func:`industrialisation_order` with k*_i = min{k : s_ik < threshold}. Regions that start
    below the threshold (e.g. empty peripheries) have crossing = x_0 and ``initial`` True."""
    return _order(ds, threshold, dim, reference, False, interpolate)


# --------------------------------------------------------------------------- location
def _latlon(da: xr.DataArray, geography, obj) -> tuple[np.ndarray, np.ndarray]:
    if geography is not None:
        coords = geography.coordinates if isinstance(geography, Geography) else None
        if coords is None:
            raise ValueError("geography has no coordinates (use Geography.from_coordinates)")
        coords = np.asarray(coords, dtype=float)
        if coords.shape != (da.sizes[REGION], 2):
            raise ValueError(f"geography has {coords.shape[0]} regions, the shares {da.sizes[REGION]}")
        return coords[:, 0], coords[:, 1]
    for src in (da, obj):
        if isinstance(src, (xr.DataArray, xr.Dataset)) and "lat" in src.coords and "lon" in src.coords:
            lat, lon = src["lat"], src["lon"]
            if lat.dims != (REGION,) or lon.dims != (REGION,):
                raise ValueError("coords 'lat' and 'lon' must lie along 'region'")
            return np.asarray(lat.values, dtype=float), np.asarray(lon.values, dtype=float)
    raise ValueError("centre_of_gravity needs coordinates: pass geography= (with coordinates) or "
                     "give the shares 'lat' and 'lon' coords along 'region'")


def centre_of_gravity(ds, geography=None, *, spherical: bool = False) -> xr.Dataset:
    """Share-weighted centre of industry, over the non-region dimensions (its path).

    lat_c = sum_i lam_i lat_i / sum_i lam_i,   lon_c = sum_i lam_i lon_i / sum_i lam_i
    (degrees; coordinates from ``geography.coordinates`` or the coords ``lat``/``lon`` along
    ``region``). ``spherical=True`` instead averages the unit vectors
    (cos lat cos lon, cos lat sin lon, sin lat) with weights lam_i and returns the direction of the
    mean (correct across the antimeridian and for continent-sized spreads). Returns a Dataset
    with ``lat`` and ``lon``.
    """
    da = _shares(ds)
    lat, lon = _latlon(da, geography, ds)
    w = da.drop_vars([c for c in ("lat", "lon") if c in da.coords])
    total = w.sum(REGION)
    lat_da = xr.DataArray(lat, dims=REGION)
    lon_da = xr.DataArray(lon, dims=REGION)
    if not spherical:
        clat = (w * lat_da).sum(REGION) / total
        clon = (w * lon_da).sum(REGION) / total
    else:
        la, lo = np.radians(lat_da), np.radians(lon_da)
        X = (w * np.cos(la) * np.cos(lo)).sum(REGION)
        Y = (w * np.cos(la) * np.sin(lo)).sum(REGION)
        Z = (w * np.sin(la)).sum(REGION)
        clat = np.degrees(np.arctan2(Z, np.hypot(X, Y)))
        clon = np.degrees(np.arctan2(Y, X))
    return xr.Dataset(
        {"lat": clat.assign_attrs(variable_attrs("lat")), "lon": clon.assign_attrs(variable_attrs("lon"))},
        attrs={"spherical": int(spherical)},
    )


def distance_from_core(ds, geography, core=None, *, dim: str | None = None) -> xr.DataArray:
    """Share-weighted mean distance of industry from the core region:

        D = sum_i lam_i d(core, i) / sum_i lam_i

    with d the geography's distance matrix (its units; row = core, so for a directed geography
    it is the distance from the core). ``core`` is a region name or index; default: the initial
    core, argmax_i lam_i at the first coordinate of ``dim`` (default as in
    :func:`industrialisation_order`; the last one for the "down" direction of a trace), per slice
    of any other dimension.
    """
    da = _shares(ds)
    D = np.asarray(geography.distance if isinstance(geography, Geography) else geography, dtype=float)
    K = da.sizes[REGION]
    if D.shape != (K, K):
        raise ValueError(f"geography: expected a {K} x {K} distance matrix, got shape {D.shape}")
    if core is not None:
        c = _region_index(da, core)
        d = xr.DataArray(D[c], dims=REGION)
        out = (da * d).sum(REGION) / da.sum(REGION)
    else:
        others = [x for x in da.dims if x != REGION]
        if not others:
            c = int(np.argmax(da.values))
            out = (da * xr.DataArray(D[c], dims=REGION)).sum(REGION) / da.sum(REGION)
        else:
            dim = _sweep_dim(da, dim)

            def initial_core_rows(sub):
                cidx = sub.isel({dim: 0}).fillna(-np.inf).argmax(REGION)  # over the other dims
                rows = xr.DataArray(D, dims=("_core", REGION)).isel(_core=cidx)
                return rows.drop_vars("direction", errors="ignore")

            rows = _by_direction(da, dim, initial_core_rows)
            out = (da * rows).sum(REGION) / da.sum(REGION)
    out = out.drop_vars([c for c in ("lat", "lon") if c in out.coords])
    return out.rename("distance_from_core").assign_attrs(variable_attrs("distance_from_core"))


# --------------------------------------------------------------------------- concentration
def herfindahl(ds) -> xr.DataArray:
    """Herfindahl-Hirschman index H = sum_i lam_i^2 (shares on the simplex): 1/K for the uniform
    distribution, 1 for full agglomeration; 1/H is the effective number of regions."""
    da = _shares(ds)
    return (da ** 2).sum(REGION).rename("herfindahl").assign_attrs(variable_attrs("herfindahl"))


def _weights(ds, weights, K) -> xr.DataArray:
    if weights is None:
        return xr.DataArray(np.full(K, 1.0 / K), dims=REGION)
    if isinstance(weights, str):
        if not isinstance(ds, xr.Dataset) or weights not in ds:
            raise ValueError(f"weights: {weights!r} is not a variable of the dataset")
        weights = ds[weights]
    w = weights if isinstance(weights, xr.DataArray) else xr.DataArray(
        np.asarray(weights, dtype=float), dims=REGION)
    if REGION not in w.dims or w.sizes[REGION] != K:
        raise ValueError(f"weights: expected {K} values along 'region'")
    if bool((w < 0).any()) or not bool((w.sum(REGION) > 0).all()):
        raise ValueError("weights: must be >= 0 with a positive total")
    w = w.drop_vars([c for c in ("lat", "lon") if c in w.coords])
    return w / w.sum(REGION)


def spatial_gini(ds, weights=None) -> xr.DataArray:
    """Spatial Gini coefficient of the shares across regions.

    With region weights w_i (sizes: population, area, farmers; normalised to sum 1; default
    uniform w_i = 1/K) and densities r_i = lam_i / w_i, the weighted Gini of r:

        G = (1/2) sum_i sum_j w_i w_j |r_i - r_j| / sum_i w_i r_i
          = (1/2) sum_i sum_j |w_j lam_i - w_i lam_j| / sum_i lam_i.

    Unweighted: G = sum_ij |lam_i - lam_j| / (2 K sum_i lam_i); 0 for the uniform distribution,
    (K - 1)/K for full agglomeration. ``weights``: array-like (K), a DataArray along ``region`` (may
    vary over other dims, e.g. a scheduled ``farmers``), or the name of a variable of ``ds``.
    """
    da = _shares(ds)
    K = da.sizes[REGION]
    w = _weights(ds, weights, K)
    lam = da.drop_vars([c for c in ("lat", "lon") if c in da.coords])
    other = "region_"
    lam_j = lam.rename({REGION: other}).drop_vars(other, errors="ignore")
    w_j = w.rename({REGION: other}).drop_vars(other, errors="ignore")
    lam_i = lam.drop_vars(REGION, errors="ignore")
    w_i = w.drop_vars(REGION, errors="ignore")
    g = 0.5 * abs(w_j * lam_i - w_i * lam_j).sum((REGION, other)) / lam_i.sum(REGION)
    return g.rename("spatial_gini").assign_attrs(variable_attrs("spatial_gini",
                                                                weighted=int(weights is not None)))


def top_k_share(ds, k: int) -> xr.DataArray:
    """Share of the k largest regions: sum of the k largest lam_i (per slice)."""
    da = _shares(ds)
    K = da.sizes[REGION]
    if isinstance(k, bool) or int(k) != k or not 1 <= k <= K:
        raise ValueError(f"k: must be an integer in [1, {K}], got {k!r}")
    k = int(k)

    lam = da.drop_vars([c for c in ("lat", "lon") if c in da.coords])
    out = xr.apply_ufunc(lambda a: np.sort(a, axis=-1)[..., a.shape[-1] - k:].sum(axis=-1), lam,
                         input_core_dims=[[REGION]])
    return out.rename(f"top_{k}_share").assign_attrs(variable_attrs("top_k_share", k=k))


def krugman_specialisation(ds, *, industry: str = "industry", sizes=None) -> xr.DataArray:
    """Krugman specialisation index between every pair of regions.

    For shares lam_ik of industry k's (mobile) factor located in region i (sum_i lam_ik = 1) and
    industry sizes L_k (``sizes``, default 1 each), region i's manufacturing x_ik = L_k lam_ik and
    its structure s_ik = x_ik / sum_k x_ik (its share of industry k in its total manufacturing);

        K_ij = sum_k |s_ik - s_jk|,   0 (same structure) .. 2 (no industry in common).

    Regions without manufacturing have NaN rows/columns. Returns a DataArray over
    (other dims, region, region_) with ``region_`` a copy of the region coordinate.
    """
    da = _shares(ds)
    if industry not in da.dims:
        raise ValueError(f"krugman_specialisation needs an {industry!r} dimension (several "
                         f"industries), got dims {da.dims}")
    lam = da.drop_vars([c for c in ("lat", "lon") if c in da.coords])
    if sizes is not None:
        L = sizes if isinstance(sizes, xr.DataArray) else xr.DataArray(np.asarray(sizes, float),
                                                                         dims=industry)
        lam = lam * L
    total = lam.sum(industry)
    s = lam / total.where(total > 0)
    other = "region_"
    s_j = s.rename({REGION: other})
    if REGION in s.coords:
        s_j = s_j.assign_coords({other: (other, s[REGION].values, variable_attrs(other))})
    out = abs(s - s_j).sum(industry, skipna=False)
    dims = [d for d in out.dims if d not in (REGION, other)] + [REGION, other]
    return out.transpose(*dims).rename("krugman_specialisation").assign_attrs(
        variable_attrs("krugman_specialisation"))
