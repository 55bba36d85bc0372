"""Result files: flat per-chunk datasets, padding and merging, the final sweep-shaped dataset.

Two layouts (result and shard files are netCDF4 written through h5netcdf; the chunk files of a
resumable run in ``<output>.parts/`` are ``.npz``, which is ten times faster for small files):

*flat* (chunk files, shard files): one dim ``sweep_point`` whose coordinate holds the global
point indices, then each variable's own dims (``region``, ``time``, ...). The
study's own coordinates (``time``, ``region``, ...) are stored per point as ``coord__<name>``.
Dimensions whose size differs between points (the number of equilibria or branches) are padded
to the largest size with a fill value: NaN (floats), False (flags), -1 (integers), "" (strings).

*final* (what :func:`neg.run` returns and writes): the flat points reshaped onto the sweep's
dimensions (one per axis for a grid; ``case`` for zip; ``sample`` for random), coordinates for the
axes, the study's coordinates where every point agrees on them (otherwise a ``<name>_value``
variable), and per point ``converged``, ``residual``, ``failed`` and ``error``.

Every file is written to a temporary name and renamed into place (atomic on POSIX), so a killed
run never leaves a half-written result; :func:`check_output` checks, before any work, that it can
be.

Result and shard files follow the CF conventions (1.10) where they apply (:func:`conform`): the
global ``Conventions``, ``title``, ``source`` and ``history``; every dimension has a coordinate
(an index ``0 .. n-1`` where the study gives none, e.g. ``equilibrium``); every numeric coordinate
has ``long_name`` and ``units`` (``"1"`` for dimensionless), label coordinates (region names,
directions) a ``long_name``; flags (booleans, stored as 0/1 bytes) are CF flag variables with
``flag_values`` of the variable's type and ``flag_meanings``; coordinates carry no ``_FillValue``.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import numpy as np
import xarray as xr

from neg.study.errors import UsageError
from neg.variables import VARIABLES
from neg.variables import attrs as variable_attrs

__all__ = ["FLAT", "CONVENTIONS", "flat_from_points", "merge_flat", "gather", "unflatten", "conform",
           "check_output", "write_netcdf", "read_netcdf", "summary_counts"]

#: the value of the global attribute ``Conventions`` of result files
CONVENTIONS = "CF-1.10"

FLAT = "sweep_point"
COORD = "coord__"
POINT_VARS = ("converged", "residual", "failed", "error", "seconds")  # per point; attrs: neg.variables


def _fill(dtype: np.dtype):
    k = np.dtype(dtype).kind
    if k in "fc":
        return np.nan
    if k == "b":
        return False
    if k in "iu":
        return -1
    return ""


def _dtype(arrays) -> np.dtype:
    dt = np.result_type(*[np.asarray(a).dtype for a in arrays])
    return np.dtype(object) if dt.kind == "O" else dt


def _padded(arr: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    out = np.full(shape, _fill(dtype), dtype=dtype)
    out[tuple(slice(0, n) for n in arr.shape)] = arr
    return out


def flat_from_points(points) -> xr.Dataset:
    """Point results (:class:`neg.study.studies.PointResult`) as one flat dataset."""
    n = len(points)
    entries: dict[str, list] = {}
    for p, r in enumerate(points):
        if r.output is None:
            continue
        for prefix, items in (("", r.output.variables), (COORD, r.output.coords)):
            for name, (dims, arr, attrs) in items.items():
                entries.setdefault(prefix + name, []).append((p, tuple(dims), np.asarray(arr), attrs))
    sizes: dict[str, int] = {}
    for items in entries.values():
        for _, dims, arr, _ in items:
            for d, s in zip(dims, arr.shape, strict=True):
                sizes[d] = max(sizes.get(d, 0), s)
    data = {}
    for name, items in entries.items():
        dims = items[0][1]
        items = [it for it in items if it[1] == dims]  # a kind returns the same dims for every point
        dtype = _dtype([it[2] for it in items])
        block = np.full((n, *[sizes[d] for d in dims]), _fill(dtype), dtype=dtype)
        for p, _, arr, _ in items:
            block[p] = _padded(arr, block.shape[1:], dtype)
        data[name] = ((FLAT, *dims), block, dict(items[0][3]))
    failed = np.array([r.failed for r in points], dtype=bool)
    conv = np.array([(not r.failed) and bool(r.output.converged) for r in points], dtype=bool)
    res = np.array([np.nan if r.failed else float(r.output.residual) for r in points], dtype=float)
    err = np.array([r.error for r in points], dtype=object if n == 0 else str)
    secs = np.array([r.seconds for r in points], dtype=float)
    for name, values in (("converged", conv), ("residual", res), ("failed", failed), ("error", err),
                         ("seconds", secs)):
        data[name] = ((FLAT,), values, variable_attrs(name))
    index = np.array([r.index for r in points], dtype=np.int64)
    return xr.Dataset(data, coords={FLAT: (FLAT, index, variable_attrs(FLAT))})


def merge_flat(datasets, *, check_unique: bool = True) -> xr.Dataset:
    """Concatenate flat datasets along ``sweep_point`` (padding each to the largest sizes), sorted
    by point index. Raises ValueError if a point index occurs twice (``check_unique``)."""
    datasets = list(datasets)
    if not datasets:
        raise ValueError("no results to merge")
    sizes: dict[str, int] = {}
    names: dict[str, tuple] = {}
    for ds in datasets:
        for d, s in ds.sizes.items():
            if d != FLAT:
                sizes[d] = max(sizes.get(d, 0), int(s))
        for name, v in ds.data_vars.items():
            names.setdefault(name, (v.dims, dict(v.attrs)))
    index = np.concatenate([np.asarray(ds[FLAT].values, dtype=np.int64) for ds in datasets])
    order = np.argsort(index, kind="stable")
    index = index[order]
    if check_unique and index.size > 1:
        dup = index[1:][index[1:] == index[:-1]]
        if dup.size:
            raise ValueError(f"point(s) {', '.join(map(str, np.unique(dup)[:10]))} occur more than once")
    data = {}
    for name, (dims, attrs) in names.items():
        present = [ds[name].values for ds in datasets if name in ds.data_vars]
        dtype = _dtype(present)
        inner = tuple(sizes[d] for d in dims[1:])
        blocks = []
        for ds in datasets:
            m = int(ds.sizes[FLAT])
            if name in ds.data_vars:
                blocks.append(_padded(np.asarray(ds[name].values).astype(dtype, copy=False), (m, *inner),
                                      dtype))
            else:
                blocks.append(np.full((m, *inner), _fill(dtype), dtype=dtype))
        data[name] = (dims, np.concatenate(blocks)[order], attrs)
    return xr.Dataset(data, coords={FLAT: (FLAT, index, variable_attrs(FLAT))}, attrs=dict(datasets[0].attrs))


def gather(flat: xr.Dataset, sweep: dict) -> xr.Dataset:
    """The points of a split sweep (``sweep["split"]``, :class:`neg.study.spec.Split`: each
    setting's ensemble in ``parts`` consecutive points) joined into one point per setting: every
    variable along the split's dim is the parts' members in order (``total`` of them: the padding
    of a smaller last part dropped), any other the first part's; per setting ``converged`` if
    every part converged, ``failed`` if any failed (``error``: the first message; its results
    are then all fill values, as a failed point's, whatever the split), ``residual`` the largest
    and ``seconds`` the sum. Without a split, ``flat`` itself."""
    split = sweep.get("split")
    if split is None:
        return flat
    dim, total, size, parts = split["dim"], int(split["total"]), int(split["size"]), int(split["parts"])
    index = np.asarray(flat[FLAT].values)
    n = index.size // parts
    if index.size != n * parts or not np.array_equal(index, np.arange(index.size)):
        raise ValueError(f"incomplete results: {index.size} points for settings of {parts} parts each")
    counts = [min(size, total - p * size) for p in range(parts)]
    bad = np.asarray(flat["failed"].values, dtype=bool).reshape(n, parts).any(axis=1)
    data = {}
    for name, v in flat.data_vars.items():
        arr = np.asarray(v.values)
        arr = arr.reshape(n, parts, *arr.shape[1:])
        inner = v.dims[1:]
        if name == "converged":
            out = arr.all(axis=1)
        elif name == "failed":
            out = arr.any(axis=1)
        elif name == "seconds":
            out = arr.sum(axis=1)
        elif name == "residual":
            out = np.where(np.isnan(arr), -np.inf, arr).max(axis=1)
            out[np.isneginf(out)] = np.nan  # every part's residual NaN
        elif name == "error":
            out = np.array([next((e for e in row if e), "") for row in arr.astype(str)], dtype=str)
        elif dim in inner:
            ax = 1 + inner.index(dim)  # along the member dim of one part's block (n, ...)
            out = np.concatenate([np.take(arr[:, p], np.arange(c), axis=ax)
                                  for p, c in enumerate(counts)], axis=ax)
        else:
            out = arr[:, 0]
        if name not in POINT_VARS and bad.any():  # a failed part fails its whole setting
            out = np.array(out, copy=True)
            out[bad] = _fill(out.dtype)
        data[name] = (v.dims, out, dict(v.attrs))
    return xr.Dataset(data, coords={FLAT: (FLAT, np.arange(n), dict(flat[FLAT].attrs))},
                      attrs=dict(flat.attrs))


def unflatten(flat: xr.Dataset, sweep: dict) -> xr.Dataset:
    """The flat points on the sweep's dims (``sweep`` as in ``Study.sweep_json()``)."""
    shape = tuple(sweep["shape"])
    dims = tuple(sweep["dims"])
    n = int(np.prod(shape)) if shape else 1
    index = np.asarray(flat[FLAT].values)
    if index.size != n or not np.array_equal(index, np.arange(n)):
        missing = np.setdiff1d(np.arange(n), index)
        raise ValueError(f"incomplete results: {missing.size} of {n} points missing "
                         f"(e.g. {', '.join(map(str, missing[:10]))})")
    ok = ~np.asarray(flat["failed"].values, dtype=bool)
    data, coords = {}, {}
    for name, v in flat.data_vars.items():
        if name == "seconds":
            continue
        arr = np.asarray(v.values)
        inner = v.dims[1:]
        if name.startswith(COORD):
            cname = name[len(COORD):]
            rows = arr[ok]
            if rows.shape[0] == 0:
                continue
            first = rows[0]
            same = all(_same(first, r) for r in rows[1:])
            if same and (len(inner) != 1 or inner[0] == cname or cname not in flat.dims):
                coords[cname] = (inner, first, dict(v.attrs))
                continue
            name = f"{cname}_value"
        data[name] = (dims + inner, arr.reshape(shape + arr.shape[1:]), dict(v.attrs))
    if sweep["mode"] == "grid":
        for a in sweep["axes"]:
            coords[a["name"]] = ((a["name"],), np.array(a["values"], dtype=float), _axis_attrs(a))
    elif sweep["mode"] in ("zip", "random"):
        coords[dims[0]] = ((dims[0],), np.arange(n), variable_attrs(dims[0]))
        for a in sweep["axes"]:
            coords[a["name"]] = ((dims[0],), np.array(a["values"], dtype=float), _axis_attrs(a))
    return xr.Dataset(data, coords=coords)


def _same(a, b) -> bool:
    if a.dtype.kind in "fc" and b.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def _axis_attrs(a: dict) -> dict:
    attrs = {"long_name": a.get("long_name") or a["key"], "sweep_target": a["key"]}
    if a.get("units"):
        attrs["units"] = a["units"]
    return attrs


def summary_counts(ds: xr.Dataset) -> dict:
    failed = np.asarray(ds["failed"].values, dtype=bool)
    conv = np.asarray(ds["converged"].values, dtype=bool)
    return {"n_points": int(failed.size), "n_failed": int(failed.sum()),
            "n_not_converged": int((~conv & ~failed).sum())}


def conform(ds: xr.Dataset) -> xr.Dataset:
    """The CF conventions where they apply (see the module docstring): an index coordinate for
    every dimension without one (attributes from :mod:`neg.variables` where the table has the
    dimension), ``long_name`` on every coordinate and ``units`` ("1" unless given) on numeric ones,
    ``flag_values`` of the variable's own type, and ``Conventions`` in the global attributes.
    The dataset is changed in place and returned."""
    for dim, n in list(ds.sizes.items()):
        if dim not in ds.coords and COORD + str(dim) not in ds.variables:  # flat: coords per point
            attrs = (variable_attrs(dim) if dim in VARIABLES
                     else {"long_name": f"index along {dim}", "units": "1"})
            ds.coords[dim] = ((dim,), np.arange(int(n), dtype=np.int64), attrs)
    for name, c in ds.coords.items():
        c.attrs.setdefault("long_name", str(name))
        if c.dtype.kind in "iufc":
            c.attrs.setdefault("units", "1")
    for v in ds.variables.values():
        fv = v.attrs.get("flag_values")
        if fv is not None and v.dtype.kind in "iu":
            v.attrs["flag_values"] = np.asarray(fv).astype(v.dtype)
    ds.attrs["Conventions"] = CONVENTIONS
    return ds


def check_output(path, what: str = "output") -> Path:
    """Check, before any work starts, that a file can be written at ``path``: it is not a folder,
    its folder exists (it is created if missing) and a file can be created there. Raises
    :class:`~neg.study.errors.UsageError` with a one-line message otherwise."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{what} {path}: is a folder; give a file name such as {path / 'result.nc'}")
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{what} {path}: cannot create the folder {parent} ({e.strerror or e})") from None
    probe = parent / f".{path.name}.probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        with open(probe, "wb"):
            pass
    except OSError as e:
        raise UsageError(f"{what} {path}: cannot write in {parent} ({e.strerror or e})") from None
    try:
        probe.unlink()
    except OSError:  # pragma: no cover - created a moment ago
        pass
    return path


# --------------------------------------------------------------------------- files
def _attr(v):
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (dict, list, tuple)):
        return json.dumps(v, default=str)
    if isinstance(v, Path):
        return str(v)
    return v


def _clean(ds: xr.Dataset) -> xr.Dataset:
    ds = ds.copy()
    ds.attrs = {k: _attr(v) for k, v in ds.attrs.items()}
    for name, v in ds.variables.items():
        v.attrs = {k: _attr(x) for k, x in v.attrs.items()}
        v.encoding = {"_FillValue": None} if name in ds.coords else {}
    return ds


def write_netcdf(ds: xr.Dataset, path) -> Path:
    """Write ``ds`` as netCDF4 (h5netcdf) atomically: a temporary file renamed into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        _clean(ds).to_netcdf(tmp, engine="h5netcdf")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _json_array(o):
    """JSON for an array-valued attribute (CF ``flag_values``) of a chunk file."""
    if isinstance(o, np.ndarray):
        return {"__ndarray__": o.tolist(), "dtype": str(o.dtype)}
    raise TypeError(f"cannot write {type(o).__name__} to a chunk file's attributes")


def _array_of_json(d: dict):
    return np.array(d["__ndarray__"], dtype=d["dtype"]) if "__ndarray__" in d else d


def write_chunk(ds: xr.Dataset, path) -> Path:
    """A flat dataset as an ``.npz`` chunk file (arrays, plus dims and attrs as JSON; no pickles),
    written atomically. Much faster than netCDF for the many small files of a resumable run."""
    path = Path(path)
    arrays, meta = {}, {"attrs": {k: _attr(v) for k, v in ds.attrs.items()}, "vars": []}
    for i, (name, v) in enumerate(ds.variables.items()):
        values = np.asarray(v.values)
        if values.dtype.kind == "O":
            values = values.astype(str)
        arrays[f"v{i}"] = values
        meta["vars"].append({"name": name, "dims": list(v.dims),
                             "attrs": {k: _attr(x) for k, x in v.attrs.items()}})
    arrays["meta"] = np.array(json.dumps(meta, default=_json_array))
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def read_chunk(path) -> xr.Dataset:
    """The flat dataset of a chunk file written by :func:`write_chunk`."""
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]), object_hook=_array_of_json)
        data, coords = {}, {}
        for i, v in enumerate(meta["vars"]):
            item = (tuple(v["dims"]), z[f"v{i}"], v["attrs"])
            (coords if v["name"] == FLAT else data)[v["name"]] = item
    return xr.Dataset(data, coords=coords, attrs=meta["attrs"])


def read_netcdf(path) -> xr.Dataset:
    """Load a result file fully into memory (the file is closed afterwards)."""
    return xr.load_dataset(path, engine="h5netcdf")
