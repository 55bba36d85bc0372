"""Running a study: points -> chunks -> executor -> chunk files -> the result file.

Finished chunks are written to ``<output>.parts/`` as they complete (atomically). ``resume=True``
reads the chunk files already there and computes only the missing points; since the final result
is always assembled from the chunk files, sorted by point index and padded to the same sizes, a
resumed run's result equals an uninterrupted one's exactly. The parts folder is removed once the
result file is written.

Every output path is checked before any point is computed (:func:`neg.study.io.check_output`). A run
stopped by SIGINT or SIGTERM (:class:`~neg.study.errors.Interrupted`) stores the chunks that had
finished, stops its workers and raises :class:`~neg.study.errors.Interrupted` saying how far it got
and how to resume. A run without ``resume`` that finds finished chunks of an earlier run says that it
discards them, and how to keep them.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import shlex
import shutil
import signal
import socket
import sys
import time
from pathlib import Path

import numpy as np
import xarray as xr

from neg._version import __version__
from neg.geography import geography_note
from neg.solvers.fixed_point import SolverOptions
from neg.study import io
from neg.study.dask import dask_chunks
from neg.study.errors import Interrupted, RunError, UsageError
from neg.study.local import Progress, available_cores, pool_chunks, say, serial_chunks
from neg.study.studies import KINDS, run_chunk
from neg.study.sweep import LARGE_SWEEP, auto_chunk_size, chunk_indices, shard_indices

__all__ = ["RunError", "execute", "merge_files", "shard_path", "parts_dir"]


def shard_path(path: Path, shard: tuple[int, int]) -> Path:
    i, n = shard
    width = len(str(n - 1))
    return path.with_name(f"{path.stem}.shard-{i:0{width}d}-of-{n}{path.suffix or '.nc'}")


def parts_dir(path: Path) -> Path:
    return path.with_name(path.name + ".parts")


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _log(quiet):
    def log(msg: str) -> None:
        if not quiet:
            say(f"neg: {msg}")
    return log


def _warn(msg: str) -> None:
    """A warning: on stderr whatever ``quiet`` says (quiet silences progress, not warnings)."""
    say(f"neg: warning: {msg}")


def _prepare_parts(parts: Path, study, shard, resume: bool, log) -> dict[int, Path]:
    """Done point index -> chunk file (resume), after checking the manifest; else a clean folder."""
    manifest = parts / "manifest.json"
    want = {"fingerprint": study.fingerprint(), "n_points": study.n_points,
            "shard": list(shard) if shard else None}
    done: dict[int, Path] = {}
    if parts.exists() and not parts.is_dir():
        raise UsageError(f"{parts} exists and is not a folder (it would hold the finished chunks): "
                         "remove it or choose another output file")
    if parts.exists():
        for tmp in parts.glob(".*.tmp-*"):
            tmp.unlink(missing_ok=True)  # a chunk that was being written when the run died
        if resume:
            try:
                have = json.loads(manifest.read_text())
            except (OSError, ValueError):
                have = None
            if have is not None and have != want:
                raise RunError(f"{parts} holds chunks of a different study (config or shard changed); "
                               "delete it, or run without --resume to start afresh")
            for f in sorted(parts.glob("chunk-*.npz")):
                try:
                    ds = io.read_chunk(f)
                    idx = np.asarray(ds[io.FLAT].values)
                    ok = ds.attrs.get("fingerprint") == want["fingerprint"]
                except Exception:  # noqa: BLE001 - an unreadable chunk is recomputed
                    ok = False
                if not ok:
                    log(f"ignoring unreadable or foreign chunk {f.name}")
                    f.unlink(missing_ok=True)
                    continue
                for i in idx:
                    done.setdefault(int(i), f)
        else:
            old = sorted(parts.glob("chunk-*.npz"))
            if old:
                _warn(f"discarding {len(old)} finished chunk(s) of an earlier run in {parts}; to keep "
                      "them, stop now and rerun with --resume (neg.run: resume=True)")
            for f in old:
                f.unlink()
    parts.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps(want))
    return done


def _attrs(study, *, start, end, wall, workers, scheduler, shard, counts, compute, command) -> dict:
    attrs = {
        "title": f"neg {study.kind} study" + (f" ({Path(study.source_path).name})" if study.source_path
                                              else ""),
        "source": f"neg {__version__}: neg.{KINDS[study.kind].function} of the {study.model_name} model "
                  f"on a {study.geography_kind} geography",
        "history": f"{end} {command or python_command(study)}",
        "neg_version": __version__,
        "study_kind": study.kind,
        "model": study.model_name,
        "geography": study.geography_kind,
        "config": study.config_text,
        "config_source": study.source_text,
        "config_path": study.source_path,
        "fingerprint": study.fingerprint(),
        "solver": _solver_settings(study),
        "study_args": json.dumps({k: v for k, v in study.args.items()}, default=_json),
        "sweep": study.sweep_json(),
        "start_time": start,
        "end_time": end,
        "host": socket.gethostname(),
        "wall_seconds": round(wall, 3),
        "compute_seconds": round(compute, 3),
        "workers": workers,
        "scheduler": scheduler or "local",
        **counts,
    }
    attrs.update(geography_note(study.geography()))
    if shard is not None:
        attrs["shard"] = f"{shard[0]}/{shard[1]}"
    if isinstance(study.args.get("param"), str):  # for neg.plot (tomahawk, paths)
        attrs["param"] = study.args["param"]
    if study.kind == "simulate":
        attrs["scheduled"] = json.dumps(list(study.args.get("schedule") or {}))
    attrs.update(study.attrs or {})
    return attrs


def _warn_cost(study, remaining: np.ndarray, workers: int) -> None:
    """The warning for a sweep of :data:`~neg.study.sweep.LARGE_SWEEP` points or more, with its
    cost estimated from one point (timed on its second solve, after compilation)."""
    t = np.inf
    flat = None
    for _ in range(2):
        t0 = time.perf_counter()
        flat = run_chunk(study, remaining[:1])
        t = time.perf_counter() - t0
    per_point = flat.nbytes if flat is not None else 0
    n = remaining.size
    _warn(f"a sweep of {study.n_points:,} points ({n:,} to compute): about {_seconds(t)} per point "
          f"(timed on point {int(remaining[0])}), so about {_seconds(n * t / workers)} on {workers} "
          f"process{'es' if workers > 1 else ''} and {_bytes(n * per_point)} of results; a coarser grid, "
          "a random sweep (mode: random), or a job array (--shard) may serve better")


def _seconds(s: float) -> str:
    if s < 1:
        return f"{s * 1e3:.3g} ms"
    for unit, size in (("h", 3600), ("min", 60)):
        if s >= size:
            return f"{s / size:.3g} {unit}"
    return f"{s:.3g} s"


def _bytes(n: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"


def _solver_settings(study) -> str:
    """The short-run solver settings in force (defaults filled in), as JSON."""
    try:
        return json.dumps(dataclasses.asdict(SolverOptions(**study.solver)))
    except (TypeError, ValueError):  # pragma: no cover - validated before
        return json.dumps(study.solver)


def python_command(study) -> str:
    """The ``history`` of a run started from Python: the script and the config."""
    script = shlex.join([Path(sys.argv[0]).name or "python", *sys.argv[1:]]) if sys.argv else "python"
    return f"{script}: neg.run({study.source_path or 'a config dict'})"


def _n(k: int, word: str) -> str:
    return f"{k} {word}{'s' if k != 1 else ''}"


def _json(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    return str(v)


def execute(study, *, workers: int | None = None, resume: bool = False, shard=None,
            scheduler: str | None = None, quiet: bool = False, keep_parts: bool = False,
            command: str | None = None) -> xr.Dataset:
    """Compute ``study`` and return its dataset; write ``study.output_path`` if set.

    ``shard=(i, n)``: only every n-th point from i; the result is the flat layout (dim
    ``sweep_point``), to be assembled by :func:`merge_files`. ``command``: the command line, for
    the file's ``history`` (default: the Python script and the config).
    """
    log = _log(quiet)
    start, t0 = _now(), time.perf_counter()
    out = study.output_path
    if (resume or shard is not None) and out is None:
        raise UsageError(f"{'--resume' if resume else '--shard'} needs an output file (-o, output.path; "
                         "neg.run: output=)")
    if workers is not None and int(workers) < 1:
        raise UsageError(f"--workers: must be >= 1, got {workers}")
    if out is not None:
        io.check_output(out)
    indices = shard_indices(study.n_points, shard)
    parts = parts_dir(out) if out is not None else None
    if resume and out is not None and out.exists() and not (parts and parts.exists()):
        try:
            prev = io.read_netcdf(out)
            if prev.attrs.get("fingerprint") == study.fingerprint():
                log(f"{out} is already complete")
                return prev
        except Exception:  # noqa: BLE001 - unreadable: recompute
            pass
    done = _prepare_parts(parts, study, shard, resume, log) if parts is not None else {}
    remaining = np.array([i for i in indices if int(i) not in done], dtype=np.int64)
    cores = available_cores()
    nw = int(workers) if workers else cores
    size = study.chunk_size or auto_chunk_size(len(indices), nw)
    chunks = chunk_indices(remaining, size)
    if done:
        log(f"resuming: {len(indices) - remaining.size} of {len(indices)} points already done")
    if study.n_points >= LARGE_SWEEP and remaining.size:
        _warn_cost(study, remaining, nw if scheduler is not None else max(1, min(nw, len(chunks))))
    fp = study.fingerprint()
    memory: list = []

    def store(chunk, flat):
        if parts is None:
            memory.append(flat)
            return
        flat.attrs["fingerprint"] = fp
        name = f"chunk-{int(chunk.min()):08d}-{int(chunk.max()):08d}-{chunk.size}.npz"
        io.write_chunk(flat, parts / name)

    if scheduler is not None:
        used = nw
        threads = max(1, cores // nw) if scheduler == "local" else None
        log(f"{_n(remaining.size, 'point')} in {_n(len(chunks), 'chunk')} on dask ({scheduler})")
        it = dask_chunks(study, chunks, scheduler, nw, threads, log=log) if chunks else _no_chunks()
    else:
        used = max(1, min(nw, len(chunks)))
        threads = max(1, cores // used)
        if used > 1:
            log(f"{_n(remaining.size, 'point')} in {_n(len(chunks), 'chunk')} on {used} processes "
                f"({threads} numba thread{'s' if threads > 1 else ''} each)")
            it = pool_chunks(study, chunks, used, threads)
        else:
            if remaining.size:
                log(f"{_n(remaining.size, 'point')} in this process")
            it = serial_chunks(study, chunks)
    progress = Progress(remaining.size, quiet=quiet)
    try:
        for chunk, flat in it:
            store(chunk, flat)
            progress.update(chunk.size)
    except KeyboardInterrupt as e:
        stop = e if isinstance(e, Interrupted) else Interrupted(signal.SIGINT)
        _close(it)
        for chunk, flat in stop.finished:  # finished in a worker, not yet stored
            store(chunk, flat)
            progress.update(chunk.size)
        progress.close()
        have = _points_in(parts) if parts is not None else progress.done
        name = signal.Signals(stop.signum).name
        msg = f"interrupted by {name} after {have} of {len(indices)} points"
        if parts is not None:
            msg += f"; the finished chunks are in {parts}: rerun with --resume to continue"
        else:
            msg += " (nothing was written: give an output file to make a run resumable)"
        raise Interrupted(stop.signum, msg) from (e if stop is not e else None)
    finally:
        _close(it)
    progress.close()

    if parts is not None:
        flats = [io.read_chunk(f) for f in sorted(parts.glob("chunk-*.npz"))]
    else:
        flats = memory
    if flats:
        merged = io.merge_flat(flats)
    else:
        merged = io.flat_from_points([])
    got = np.asarray(merged[io.FLAT].values)
    if not np.array_equal(got, indices):
        raise RunError(f"internal: {indices.size} points expected, {got.size} computed")
    compute = float(np.nansum(merged["seconds"].values)) if "seconds" in merged else 0.0
    if shard is None:  # an ensemble split into points: one point per setting again
        merged = io.gather(merged, json.loads(study.sweep_json()))
    counts = io.summary_counts(merged)
    if shard is None:
        ds = io.unflatten(merged, json.loads(study.sweep_json()))
    else:
        ds = merged.drop_vars("seconds")
    ds.attrs = {**_attrs(study, start=start, end=_now(), wall=time.perf_counter() - t0, workers=used,
                         scheduler=scheduler, shard=shard, counts=counts, compute=compute,
                         command=command)}
    if shard is not None:
        ds.attrs["layout"] = "flat"
        ds.attrs["n_points_total"] = study.n_points
    if counts["n_failed"]:
        errs = merged["error"].values[np.asarray(merged["failed"].values, dtype=bool)]
        ds.attrs["first_error"] = str(errs[0])
    io.conform(ds)
    if out is not None:
        io.write_netcdf(ds, out)
        ds.encoding["source"] = str(out)
        if parts is not None and not keep_parts:
            shutil.rmtree(parts, ignore_errors=True)
    return ds


def _points_in(parts: Path) -> int:
    """Points held by the chunk files in ``parts`` (each file's name ends with its size)."""
    return sum(int(f.stem.rsplit("-", 1)[1]) for f in parts.glob("chunk-*.npz"))


def _close(it) -> None:
    """Close a chunk generator: its executor stops its workers (a no-op once it is exhausted)."""
    it.close()


def _no_chunks():
    yield from ()


def merge_files(paths, output=None, *, command: str | None = None) -> xr.Dataset:
    """Assemble shard files (flat layout) into the final dataset; check every point is present
    exactly once and that all shards come from the same study. ``command``: the command line, for
    the file's ``history``."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise UsageError("merge: no shard files given")
    if output is not None:
        io.check_output(output)
    flats = []
    for p in paths:
        if not p.exists():
            raise UsageError(f"merge: {p} not found")
        try:
            ds = io.read_netcdf(p)
        except Exception as e:  # noqa: BLE001
            raise RunError(f"merge: cannot read {p}: {e}") from None
        if ds.attrs.get("layout") != "flat" or io.FLAT not in ds.dims:
            raise RunError(f"merge: {p} is not a shard file (written by neg run --shard)")
        flats.append((p, ds))
    fps = {ds.attrs.get("fingerprint") for _, ds in flats}
    if len(fps) != 1:
        raise RunError("merge: the files come from different studies (fingerprints "
                       + ", ".join(f"{p.name}: {ds.attrs.get('fingerprint')}" for p, ds in flats) + ")")
    try:
        merged = io.merge_flat([ds for _, ds in flats])
    except ValueError as e:
        raise RunError(f"merge: {e} (a shard given twice, or shards of different splits?)") from None
    first = flats[0][1].attrs
    n = int(first["n_points_total"])
    got = np.asarray(merged[io.FLAT].values)
    missing = np.setdiff1d(np.arange(n), got)
    if missing.size:
        shards = sorted({ds.attrs.get("shard", "?") for _, ds in flats})
        eg = ", ".join(map(str, missing[:8]))
        raise RunError(f"merge: {missing.size} of {n} points missing (e.g. {eg}); "
                       f"have shards {', '.join(shards)}")
    sweep = json.loads(first["sweep"])
    ds = io.unflatten(io.gather(merged, sweep), sweep)
    attrs = {k: v for k, v in first.items() if k not in ("layout", "n_points_total", "shard", "first_error")}
    attrs["start_time"] = min(d.attrs.get("start_time", "") for _, d in flats)
    attrs["end_time"] = max(d.attrs.get("end_time", "") for _, d in flats)
    attrs["host"] = ", ".join(sorted({str(d.attrs.get("host", "")) for _, d in flats}))
    attrs["compute_seconds"] = round(sum(float(d.attrs.get("compute_seconds", 0)) for _, d in flats), 3)
    attrs["wall_seconds"] = round(sum(float(d.attrs.get("wall_seconds", 0)) for _, d in flats), 3)
    attrs["merged_from"] = ", ".join(p.name for p, _ in flats)
    attrs.update(io.summary_counts(ds))
    errs = [d.attrs["first_error"] for _, d in flats if "first_error" in d.attrs]
    if errs:
        attrs["first_error"] = errs[0]
    merge_cmd = command or f"neg.merge_files({', '.join(p.name for p, _ in flats)})"
    attrs["history"] = "\n".join([*dict.fromkeys(str(d.attrs.get("history", "")) for _, d in flats if
                                                 d.attrs.get("history")), f"{_now()} {merge_cmd}"])
    ds.attrs = attrs
    io.conform(ds)
    if output is not None:
        io.write_netcdf(ds, output)
    return ds

