"""Command-line interface: ``neg run | validate | info | plot | merge`` (YAML studies, see
docs/studies.md), ``neg demo`` and ``neg compile`` (fill numba's cache ahead of a job array).

Exit codes: 0 success, 1 a run could not complete (message on stderr), 2 invalid config or
arguments (every problem listed, no traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from neg._version import __version__
from neg.geography import Geography
from neg.models import CorePeriphery
from neg.solvers.bifurcation import break_point, sustain_point
from neg.solvers.long_run import equilibria
from neg.study import ConfigError, RunError, merge_files, run_study, validate_config
from neg.study.io import read_netcdf
from neg.study.report import info_text, plot_result
from neg.warmup import compile_models


def _demo(args) -> int:
    sigma, mu = 5.0, 0.4
    model = CorePeriphery(sigma, mu, phi=0.5)
    t0 = time.perf_counter()
    phi_b, phi_s = break_point(model), sustain_point(model)
    T_b, T_s = (model.replace(phi=p).T for p in (phi_b, phi_s))
    print(f"neg {__version__} - Krugman core-periphery model, sigma={sigma:g}, mu={mu:g}, two regions")
    print(f"  break point   phi_B = {phi_b:.12f}   T_B = {T_b:.12f}")
    print(f"  sustain point phi_S = {phi_s:.12f}   T_S = {T_s:.12f}")
    print("  (agglomeration is sustainable for phi > phi_S; dispersion is stable for phi < phi_B)")
    geo = Geography.racetrack(8)
    print("\nStable long-run equilibria, 8-region racetrack (shares of mobile workers by region):")
    for phi in args.phis:
        m = CorePeriphery(sigma, mu, phi=phi, geography=geo)
        patterns = {}
        for e in equilibria(m):
            if e.stable:
                patterns.setdefault(_pattern_key(e.lam), e)
        print(f"  phi = {phi:g} per unit distance (T = {m.T:.4f}): "
              f"{len(patterns)} stable pattern(s) up to rotation and reflection")
        for e in patterns.values():
            shares = " ".join(f"{v:5.3f}" for v in e.lam)
            omega = e.real_wage[e.support[0]]
            print(f"    [{shares}]  {e.support.size} occupied region(s), real wage {omega:.6f}")
    print(f"\nDone in {time.perf_counter() - t0:.1f} s.")
    return 0


def _pattern_key(lam: np.ndarray) -> tuple:
    """Canonical form of a pattern up to rotation and reflection of the racetrack."""
    r = np.round(lam, 6)
    variants = [tuple(np.roll(v, k)) for v in (r, r[::-1]) for k in range(r.size)]
    return min(variants)


# ----------------------------------------------------------------------------- studies
def _run(args) -> int:
    ds = run_study(args.config, args.set, output=args.output, workers=args.workers, resume=args.resume,
                   shard=args.shard, scheduler=args.scheduler, quiet=args.quiet, default_output=True)
    a = ds.attrs
    path = ds.encoding.get("source") or a.get("output_path")
    if not args.quiet:
        print(f"{a.get('title', 'neg study')}: {a['n_points']} point(s), {a['n_failed']} failed, "
              f"{a['n_not_converged']} not converged, {a['wall_seconds']:.3g} s")
    if path:
        print(f"results: {path}")
    return 0


def _validate(args) -> int:
    study = validate_config(args.config, args.set)
    print(f"{args.config}: valid - {study.kind} study of {study.model_name} on a {study.geography_kind} "
          f"geography, {study.n_points} point(s)"
          + (f" ({study.mode}: {' x '.join(f'{a.name} {a.values.size}' for a in study.axes)})"
             if study.axes else ""))
    return 0


def _open_result(path):
    try:
        return read_netcdf(path)
    except FileNotFoundError:
        raise _UserError(f"{path}: no such file") from None
    except Exception as e:  # noqa: BLE001 - any unreadable file
        raise _UserError(f"{path}: not a readable netCDF result ({type(e).__name__}: {e})") from None


def _info(args) -> int:
    print(info_text(_open_result(args.result), args.result))
    return 0


def _plot(args) -> int:
    ds = _open_result(args.result)
    sel = {}
    for item in args.sel:
        if "=" not in item:
            raise _UserError(f"--sel {item}: expected dim=value")
        k, v = item.split("=", 1)
        sel[k.strip()] = v.strip()
    out = Path(args.output) if args.output else Path(args.result).with_suffix(".png")
    try:
        path, notes = plot_result(ds, out, sel)
    except ImportError as e:
        raise _UserError(f"neg plot needs matplotlib: pip install 'neg[plot]' ({e})") from None
    except (ValueError, KeyError) as e:
        raise _UserError(f"neg plot: {e}") from None
    for n in notes:
        print(f"  selected {n}")
    print(f"plot: {path}")
    return 0


def _merge(args) -> int:
    ds = merge_files(args.shards, args.output)
    a = ds.attrs
    print(f"merged {len(args.shards)} file(s): {a['n_points']} points, {a['n_failed']} failed, "
          f"{a['n_not_converged']} not converged")
    print(f"results: {args.output}")
    return 0


def _compile(args) -> int:
    try:
        times = compile_models(args.models or None, batch=args.batch)
    except ValueError as e:
        raise _UserError(str(e)) from None
    for name, seconds in times.items():
        print(f"  {name:<24} {seconds:7.2f} s")
    print(f"compiled into the numba cache ({os.environ.get('NUMBA_CACHE_DIR') or 'next to the sources'})")
    return 0


class _UserError(Exception):
    pass


def _add_study_args(p) -> None:
    p.add_argument("config", help="study config (YAML)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value by dotted key, typed as YAML "
                        "(e.g. --set model.sigma=4 --set sweep.axes.phi.num=50); repeatable")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="neg", description="New economic geography models and solvers.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="break/sustain points and racetrack equilibria of the CP model")
    demo.add_argument("--phis", type=float, nargs="+", default=[0.05, 0.3, 0.8],
                      help="unit freeness values for the racetrack (default: 0.05 0.3 0.8)")
    demo.set_defaults(func=_demo)

    run = sub.add_parser("run", help="run a YAML study (validated first) and write a netCDF file")
    _add_study_args(run)
    run.add_argument("-o", "--output", help="result file (default: the config's output.path, else "
                                            "CONFIG-NAME.nc here)")
    run.add_argument("--workers", type=int, default=None,
                     help="processes (or Dask workers with --scheduler local); default: all cores")
    run.add_argument("--resume", action="store_true",
                     help="keep the finished chunks in OUTPUT.parts/ and compute only the rest")
    run.add_argument("--shard", metavar="I/N|auto",
                     help="compute shard I of N (every N-th point from I) into its own file; "
                          "auto: from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT")
    run.add_argument("--scheduler", metavar="ADDRESS|local",
                     help="run on Dask: a scheduler address (tcp://host:8786) or 'local' for a "
                          "LocalCluster of --workers processes (needs neg[dask])")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    run.set_defaults(func=_run)

    val = sub.add_parser("validate", help="check a config (every problem at once) without running it")
    _add_study_args(val)
    val.set_defaults(func=_validate)

    info = sub.add_parser("info", help="summary of a result file: dims, variables, convergence, timing")
    info.add_argument("result")
    info.set_defaults(func=_info)

    plot = sub.add_parser("plot", help="draw the study's natural figure (tomahawk, heat map, paths, map)")
    plot.add_argument("result")
    plot.add_argument("-o", "--output", help="image file (.png, .pdf, .svg; default: RESULT.png)")
    plot.add_argument("--sel", action="append", default=[], metavar="DIM=VALUE",
                      help="pick a slice of a sweep (nearest value); repeatable")
    plot.set_defaults(func=_plot)

    merge = sub.add_parser("merge", help="assemble shard files into one result, checking completeness")
    merge.add_argument("shards", nargs="+", help="shard files written by neg run --shard")
    merge.add_argument("-o", "--output", required=True, help="merged result file")
    merge.set_defaults(func=_merge)

    comp = sub.add_parser("compile", help="compile the kernels ahead of use into numba's cache "
                                          "(set NUMBA_CACHE_DIR to a directory a job array shares)")
    comp.add_argument("models", nargs="*", metavar="MODEL",
                      help="registry names of the models (default: all)")
    comp.add_argument("--batch", action="store_true", help="also the parallel batch solver (sweeps)")
    comp.set_defaults(func=_compile)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as e:
        print(str(e), file=sys.stderr)
        return 2
    except (RunError, _UserError) as e:
        print(f"neg: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("neg: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. neg info ... | head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
