"""Regional cycles and their synchronisation: filters, volatility, correlation, concordance and
convergence of regional series (e.g. log GDP of :func:`neg.simulate_shocks`).

Every function takes :class:`xarray.DataArray` series with a time dimension (``dim``, default
``"time"``) and, where it compares regions, a ``region`` dimension; any other dimension (``sample``,
a sweep) is kept. Formulas:

* :func:`hp_filter` - Hodrick & Prescott (1997): the trend tau minimises
  sum_t (y_t - tau_t)^2 + lamb sum_t (tau_{t+1} - 2 tau_t + tau_{t-1})^2, i.e.
  tau = (I + lamb D'D)^{-1} y with D the (T-2) x T second-difference matrix; cycle = y - tau.
  Returned as (cycle, trend), the order and meaning of ``statsmodels.tsa.filters.hp_filter.hpfilter``.
  lamb by frequency (Ravn & Uhlig 2002): 6.25 annual, 1600 quarterly, 129600 monthly.
* :func:`first_differences` - Delta y_t = y_t - y_{t-1} (growth rates of a log series).
* :func:`volatility` - the standard deviation over time, sqrt(sum_t (x_t - xbar)^2 / (T - 1)).
* :func:`correlation_matrix` - Pearson correlations rho_ij of the series of regions i and j over
  time (NaN for a constant series: variation below round-off, :data:`FLAT`);
  :func:`mean_correlation` - their mean over pairs i < j.
* :func:`concordance` - Harding & Pagan (2002, "Dissecting the cycle", JME 49, eq. 3): with
  phases S_t = 1 in expansion (Delta x_t > 0, beyond round-off), else 0, over the T - 1 changes,
  C = mean_t [S_a,t S_b,t + (1 - S_a,t)(1 - S_b,t)] (1: always in the same phase); under
  independence its expected value is p_a p_b + (1 - p_a)(1 - p_b), p the shares of expansions
  (C - E ~ N(0, ~0.25/(T-1)) for independent fair phases).
* :func:`sigma_convergence` - the cross-regional standard deviation of y_t in each period
  (Barro & Sala-i-Martin 1992: sigma convergence when it falls); :func:`growth_dispersion` - the
  same of Delta y_t.
* :func:`beta_convergence` - the OLS slope b of (y_T - y_0)/T on y_0 across regions
  (b < 0: beta convergence, regions that start low grow faster; Barro & Sala-i-Martin 1992).
* :func:`synchronisation` - all of these for a :func:`neg.simulate_shocks` result.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import xarray as xr
from scipy.sparse.linalg import splu

from neg.variables import attrs as variable_attrs

__all__ = ["hp_filter", "first_differences", "volatility", "correlation_matrix", "mean_correlation",
           "concordance", "sigma_convergence", "growth_dispersion", "beta_convergence",
           "synchronisation", "HP_LAMBDA"]

#: the HP smoothing parameter by data frequency (Ravn & Uhlig 2002)
HP_LAMBDA = {"annual": 6.25, "quarterly": 1600.0, "monthly": 129600.0}
REGION = "region"


def _series(x, dim: str, name: str = "series") -> xr.DataArray:
    if not isinstance(x, xr.DataArray):
        raise TypeError(f"{name}: expected an xarray DataArray, got {type(x).__name__}")
    if dim not in x.dims:
        raise ValueError(f"{name}: no dimension {dim!r} (dims: {list(x.dims)})")
    return x


def _hp_trend(y: np.ndarray, lamb: float) -> np.ndarray:
    """tau = (I + lamb D'D)^{-1} y for every column of y (T, n), by a sparse LU."""
    T = y.shape[0]
    D = sp.diags([np.ones(T - 2), -2.0 * np.ones(T - 2), np.ones(T - 2)], [0, 1, 2], shape=(T - 2, T))
    A = (sp.identity(T) + lamb * (D.T @ D)).tocsc()
    return splu(A).solve(np.ascontiguousarray(y, dtype=float))


def hp_filter(series: xr.DataArray | np.ndarray, lamb: float = 1600, dim: str = "time"):
    """Hodrick-Prescott filter along ``dim``: (cycle, trend), cycle + trend = series (see the
    module docstring). A numpy array is filtered along its first axis. A column with NaN gives NaN."""
    lamb = float(lamb)
    if not (np.isfinite(lamb) and lamb > 0):
        raise ValueError(f"lamb: must be a finite number > 0 (6.25 annual, 1600 quarterly, 129600 "
                         f"monthly), got {lamb}")
    if isinstance(series, np.ndarray):
        y = np.asarray(series, dtype=float)
        if y.shape[0] < 3:
            raise ValueError(f"series: the HP filter needs at least 3 periods, got {y.shape[0]}")
        flat = y.reshape(y.shape[0], -1)
        trend = np.full_like(flat, np.nan)
        ok = np.all(np.isfinite(flat), axis=0)
        if np.any(ok):
            trend[:, ok] = _hp_trend(flat[:, ok], lamb)
        trend = trend.reshape(y.shape)
        return y - trend, trend
    da = _series(series, dim)
    if da.sizes[dim] < 3:
        raise ValueError(f"series: the HP filter needs at least 3 periods along {dim!r}, got {da.sizes[dim]}")
    moved = da.transpose(dim, ...)
    cycle, trend = hp_filter(moved.values, lamb)
    trend_da = moved.copy(data=trend).transpose(*da.dims)
    cycle_da = moved.copy(data=cycle).transpose(*da.dims)
    for d, what in ((cycle_da, "cycle"), (trend_da, "trend")):
        d.attrs = {**da.attrs, "hp_component": what, "hp_lambda": lamb}
    return cycle_da, trend_da


def first_differences(series: xr.DataArray, dim: str = "time") -> xr.DataArray:
    """y_t - y_{t-1} along ``dim`` (labelled by the later period)."""
    return _series(series, dim).diff(dim)


def volatility(series: xr.DataArray, dim: str = "time") -> xr.DataArray:
    """Standard deviation over ``dim`` (ddof = 1)."""
    out = _series(series, dim).std(dim, ddof=1)
    out.attrs = variable_attrs("volatility")
    return out.rename("volatility")


def _pairwise(series: xr.DataArray, dim: str, fn) -> xr.DataArray:
    """fn(X) for X (..., T, K), the series along ``dim`` and ``region`` last, returning a
    (..., K, K) matrix: as a DataArray over the other dims, region and region_."""
    da = _series(series, dim)
    if REGION not in da.dims:
        raise ValueError(f"series: no dimension {REGION!r} to compare regions (dims: {list(da.dims)})")
    moved = da.transpose(..., dim, REGION)
    other = moved.dims[:-2]
    coords = {c: da.coords[c] for c in da.coords if set(da.coords[c].dims) <= set(other)}
    if REGION in da.coords:
        coords[REGION] = ((REGION,), da[REGION].values, variable_attrs(REGION))
        coords["region_"] = (("region_",), da[REGION].values, variable_attrs("region_"))
    with np.errstate(invalid="ignore", divide="ignore"):
        values = fn(np.asarray(moved.values, dtype=float))
    return xr.DataArray(values, dims=(*other, REGION, "region_"), coords=coords)


#: relative size below which a series' variation (or a change) is round-off: a series whose
#: standard deviation is below FLAT x (1 + its rms) is constant (correlation NaN), and a change
#: below FLAT x (1 + max |x|) is no change (a contraction phase, so two flat series concord)
FLAT = 1e-12


def _corr(X: np.ndarray) -> np.ndarray:
    Xc = X - X.mean(axis=-2, keepdims=True)
    cov = np.einsum("...ti,...tj->...ij", Xc, Xc)
    sd = np.sqrt(np.einsum("...ii->...i", cov))
    rms = np.sqrt(np.mean(X * X, axis=-2)) * np.sqrt(X.shape[-2])
    sd = np.where(sd > FLAT * (np.sqrt(X.shape[-2]) + rms), sd, np.nan)
    return cov / (sd[..., :, None] * sd[..., None, :])


def correlation_matrix(series: xr.DataArray, dim: str = "time") -> xr.DataArray:
    """Pearson correlation over ``dim`` of every pair of regions: dims (..., region, region_);
    NaN where a series is constant or has a NaN."""
    out = _pairwise(series, dim, _corr)
    out.attrs = variable_attrs("correlation")
    return out.rename("correlation")


def _upper_mean(m: xr.DataArray) -> xr.DataArray:
    """Mean over the pairs i < j of a (region, region_) matrix."""
    K = m.sizes[REGION]
    mask = xr.DataArray(np.triu(np.ones((K, K), dtype=bool), 1), dims=(REGION, "region_"))
    return m.where(mask).mean((REGION, "region_"))


def mean_correlation(series: xr.DataArray, dim: str = "time") -> xr.DataArray:
    """Mean of the pairwise correlations (pairs i < j) of the regions' series over ``dim``."""
    out = _upper_mean(correlation_matrix(series, dim))
    out.attrs = variable_attrs("mean_correlation")
    return out.rename("mean_correlation")


def _phases(x: xr.DataArray, dim: str) -> xr.DataArray:
    """1.0 in expansion (the series rises by more than round-off, :data:`FLAT`), 0.0 in
    contraction, NaN where undefined."""
    d = x.diff(dim)
    return xr.where(d.notnull(), (d > FLAT * (1 + abs(x).max(dim))).astype(float), np.nan)


def concordance(a: xr.DataArray, b: xr.DataArray, dim: str = "time") -> xr.Dataset:
    """Harding-Pagan concordance of the phases of ``a`` and ``b`` (broadcast against each
    other): ``concordance`` and ``concordance_independent`` (its value expected under
    independence), over the other dimensions."""
    sa, sb = _phases(_series(a, dim, "a"), dim), _phases(_series(b, dim, "b"), dim)
    c = (sa * sb + (1 - sa) * (1 - sb)).mean(dim)
    pa, pb = sa.mean(dim), sb.mean(dim)
    e = pa * pb + (1 - pa) * (1 - pb)
    return xr.Dataset({"concordance": c.assign_attrs(variable_attrs("concordance")),
                       "concordance_independent": e.assign_attrs(variable_attrs("concordance_independent"))})


def _concordances(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise concordance of the phases of the columns of X (..., T, K) and its value under
    independence (the formulas of :func:`concordance`; NaN where a series has a NaN)."""
    d = np.diff(X, axis=-2)
    S = (d > FLAT * (1 + np.abs(X).max(axis=-2, keepdims=True))).astype(float)
    n = d.shape[-2]
    C = (np.einsum("...ti,...tj->...ij", S, S) + np.einsum("...ti,...tj->...ij", 1 - S, 1 - S)) / n
    p = S.mean(axis=-2)
    E = p[..., :, None] * p[..., None, :] + (1 - p[..., :, None]) * (1 - p[..., None, :])
    bad = np.any(np.isnan(d), axis=-2)
    mask = bad[..., :, None] | bad[..., None, :]
    return np.where(mask, np.nan, C), np.where(mask, np.nan, E)


def sigma_convergence(series: xr.DataArray) -> xr.DataArray:
    """Cross-regional standard deviation (ddof = 0) of the series in each period."""
    if REGION not in series.dims:
        raise ValueError(f"series: no dimension {REGION!r} (dims: {list(series.dims)})")
    out = series.std(REGION)
    out.attrs = variable_attrs("sigma_convergence")
    return out.rename("sigma_convergence")


def growth_dispersion(series: xr.DataArray, dim: str = "time") -> xr.DataArray:
    """Cross-regional standard deviation of the growth rates (first differences) in each period."""
    out = sigma_convergence(first_differences(series, dim))
    out.attrs = variable_attrs("growth_dispersion")
    return out.rename("growth_dispersion")


def beta_convergence(series: xr.DataArray, dim: str = "time") -> xr.DataArray:
    """OLS slope of the mean growth (y_last - y_first)/(T - 1) on y_first across regions."""
    da = _series(series, dim)
    if REGION not in da.dims:
        raise ValueError(f"series: no dimension {REGION!r} (dims: {list(da.dims)})")
    y0, y1 = da.isel({dim: 0}), da.isel({dim: -1})
    g = (y1 - y0) / (da.sizes[dim] - 1)
    x = y0 - y0.mean(REGION)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (x * (g - g.mean(REGION))).sum(REGION) / (x * x).sum(REGION)
    out.attrs = variable_attrs("beta_convergence")
    return out.rename("beta_convergence")


def synchronisation(ds: xr.Dataset, lamb: float = 1600, dim: str = "time") -> xr.Dataset:
    """The cycle measures of a :func:`neg.simulate_shocks` result, on y = log ``gdp``:
    ``volatility`` (region) and its mean over regions ``mean_volatility``, the correlation
    matrix of HP cycles ``correlation`` (region, region_) and ``mean_correlation``, the pairwise
    Harding-Pagan concordance of the phases of y (``mean_concordance`` and
    ``mean_concordance_independent``), ``sigma_convergence`` and ``growth_dispersion`` (time),
    ``beta_convergence``, the volatility of the shares' changes ``share_volatility`` (region) and
    the mean cross-regional dispersion of log real wages ``real_wage_gap``; over ``sample``
    (and any other dimension) where the input has it."""
    if not isinstance(ds, xr.Dataset) or "gdp" not in ds:
        raise ValueError("synchronisation: expected a neg.simulate_shocks Dataset (with 'gdp')")
    y = np.log(ds["gdp"])
    if dim not in y.coords:  # growth rates align with the periods they end
        y = y.assign_coords({dim: np.arange(y.sizes[dim])})
    cycle, _ = hp_filter(y, lamb, dim)
    vol = volatility(cycle, dim)
    corr = correlation_matrix(cycle, dim)
    conc = {"concordance": _pairwise(y, dim, lambda X: _concordances(X)[0]),
            "concordance_independent": _pairwise(y, dim, lambda X: _concordances(X)[1])}
    out = xr.Dataset({
        "volatility": vol,
        "mean_volatility": vol.mean(REGION).assign_attrs(variable_attrs("mean_volatility")),
        "correlation": corr,
        "mean_correlation": _upper_mean(corr).assign_attrs(variable_attrs("mean_correlation")),
        "mean_concordance": _upper_mean(conc["concordance"]).assign_attrs(
            variable_attrs("mean_concordance")),
        "mean_concordance_independent": _upper_mean(conc["concordance_independent"]).assign_attrs(
            variable_attrs("mean_concordance_independent")),
        "sigma_convergence": sigma_convergence(y),
        "growth_dispersion": growth_dispersion(y, dim),
        "beta_convergence": beta_convergence(y, dim),
    })
    if "lam" in ds and REGION in ds["lam"].dims:
        sv = ds["lam"].diff(dim).std(dim, ddof=1)
        out["share_volatility"] = sv.assign_attrs(variable_attrs("share_volatility"))
    if "real_wage" in ds:
        gap = np.log(ds["real_wage"]).std(REGION).mean(dim)
        out["real_wage_gap"] = gap.assign_attrs(variable_attrs("real_wage_gap"))
    for c in out.coords:
        if str(c) in ("region", "region_", "time", "sample"):
            out[c].attrs = variable_attrs(str(c))
    out.attrs = {"hp_lambda": float(lamb), "series": "log gdp"}
    return out
