"""Command-line interface: ``neg run | validate | info | plot | merge`` (YAML studies, see
docs/studies.md), ``neg demo`` and ``neg compile`` (fill numba's cache ahead of a job array);
also ``python -m neg``.

The exit codes are :data:`EXIT_CODES` (printed by ``neg --help``, and in docs/studies.md). Every
command ends with one line on stderr: the summary of a run or merge, or the error.
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import signal
import sys
import textwrap
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from neg._version import __version__
from neg.geography import Geography
from neg.models import CorePeriphery
from neg.solvers.bifurcation import break_point, sustain_point
from neg.solvers.long_run import equilibria
from neg.study import ConfigError, Interrupted, RunError, UsageError, merge_files, run_study, validate_config
from neg.study.io import check_output, read_netcdf
from neg.study.local import say
from neg.study.report import info_text, plot_result
from neg.warmup import compile_models

OK, RUN_FAILED, USAGE, SOME_POINTS_FAILED = 0, 1, 2, 3
#: the exit codes of every ``neg`` command (one table: ``neg --help`` and docs/studies.md show it)
EXIT_CODES = (
    (OK, "success: every point converged"),
    (RUN_FAILED, "the run could not complete (e.g. shards missing at merge, a parts folder of another "
                 "study, Dask unreachable); nothing was written"),
    (USAGE, "bad usage or config: an invalid option or config (every problem listed), a missing input "
            "file, an output path that cannot be written; found before any work"),
    (SOME_POINTS_FAILED, "the result file was written, but some points failed or did not converge "
                         "(their values are NaN; see the flags converged and failed, and neg info)"),
    (128 + signal.SIGINT, "interrupted by SIGINT (Ctrl-C): the finished chunks are kept, rerun with "
                          "--resume"),
    (128 + signal.SIGTERM, "stopped by SIGTERM (e.g. a scheduler's time limit): the finished chunks are "
                           "kept, rerun with --resume"),
)


def _exit_code_table() -> str:
    return "exit codes:\n" + "\n".join(textwrap.fill(text, 96, initial_indent=f"  {code:<5d}",
                                                     subsequent_indent=" " * 7) for code, text in EXIT_CODES)


def _out(text: str) -> None:
    """A line on stdout that never fails (a closed pipe is ignored)."""
    say(text, sys.stdout)


def _err(text: str) -> None:
    say(text, sys.stderr)


class _StderrHandler(logging.Handler):
    """The library's log lines (progress of long calls, :mod:`neg.progress`) on stderr as ``neg: ...``,
    through :func:`say` like the run's own progress (a closed pipe silences them, nothing else)."""

    def emit(self, record: logging.LogRecord) -> None:
        say(f"neg: {self.format(record)}", sys.stderr)


@contextmanager
def _library_logs(quiet: bool):
    """While a command runs, the ``neg`` loggers write to stderr (INFO, or WARNING with --quiet)
    and only there (not also through the root logger: no line twice)."""
    log = logging.getLogger("neg")
    handler = _StderrHandler()
    saved = log.level, log.propagate
    log.addHandler(handler)
    log.setLevel(logging.WARNING if quiet else logging.INFO)
    log.propagate = False
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(saved[0])
        log.propagate = saved[1]


@contextmanager
def _stop_on_sigterm():
    """SIGTERM raises :class:`Interrupted` in the main thread, as SIGINT raises KeyboardInterrupt,
    so that a run stops its workers, keeps its finished chunks and says how to resume. A second
    SIGTERM during that clean-up is ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        signal.signal(signum, signal.SIG_IGN)
        raise Interrupted(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
def _summary(ds, path, what: str) -> int:
    """The summary line (stderr) of a run or merge, and its exit code."""
    a = ds.attrs
    n, failed, unconv = int(a["n_points"]), int(a["n_failed"]), int(a["n_not_converged"])
    conv = n - failed - unconv
    line = (f"neg: {what}: {n} point(s), {conv} converged, {unconv} not converged, {failed} failed"
            + (f", {a['wall_seconds']:.3g} s" if what == "done" and "wall_seconds" in a else "")
            + (f"; results: {path}" if path else ""))
    code = OK if conv == n else SOME_POINTS_FAILED
    if code:
        line += (f" (exit code {code}: {failed + unconv} point(s) failed or did not converge, their values "
                 f"are NaN" + (f"; see neg info {path})" if path else ")"))
    _err(line)
    return code


def _run(args) -> int:
    ds = run_study(args.config, args.set, output=args.output, workers=args.workers, resume=args.resume,
                   shard=args.shard, scheduler=args.scheduler, quiet=args.quiet, default_output=True,
                   command=args.command_line)
    path = ds.encoding.get("source") or ds.attrs.get("output_path")
    if path:
        _out(f"results: {path}")
    return _summary(ds, path, "done")


def _validate(args) -> int:
    study = validate_config(args.config, args.set)
    _out(f"{args.config}: valid - {study.kind} study of {study.model_name} on a {study.geography_kind} "
         f"geography, {study.n_points} point(s)"
         + (f" ({study.mode}: {' x '.join(f'{a.name} {a.values.size}' for a in study.axes)})"
            if study.axes else "")
         + (f", each setting's {sp.total} {sp.dim}s in {sp.parts} part(s) of {sp.size}"
            if (sp := study.split) is not None else ""))
    return 0


def _open_result(path):
    if not Path(path).exists():
        raise UsageError(f"{path}: no such file")
    if Path(path).is_dir():
        raise UsageError(f"{path}: is a folder, not a result file")
    try:
        return read_netcdf(path)
    except Exception as e:  # noqa: BLE001 - any unreadable file
        raise UsageError(f"{path}: not a readable netCDF result ({type(e).__name__}: {e})") from None


def _info(args) -> int:
    _out(info_text(_open_result(args.result), args.result))
    return 0


def _plot(args) -> int:
    sel = {}
    for item in args.sel:
        if "=" not in item:
            raise UsageError(f"--sel {item}: expected dim=value")
        k, v = item.split("=", 1)
        sel[k.strip()] = v.strip()
    out = Path(args.output) if args.output else Path(args.result).with_suffix(".png")
    check_output(out, "-o")
    ds = _open_result(args.result)
    if "failed" in ds and bool(np.asarray(ds["failed"].values, dtype=bool).all()):
        raise RunError(f"{args.result}: every point failed, nothing to plot (first error: "
                       f"{ds.attrs.get('first_error', '?')})")
    try:
        path, notes = plot_result(ds, out, sel)
    except ImportError as e:
        raise RunError(f"neg plot needs matplotlib: pip install 'neg[plot]' ({e})") from None
    except (ValueError, KeyError) as e:
        raise UsageError(f"neg plot: {e}") from None
    for n in notes:
        _out(f"  selected {n}")
    _out(f"plot: {path}")
    _err(f"neg: plot: {path}")
    return 0


def _merge(args) -> int:
    ds = merge_files(args.shards, args.output, command=args.command_line)
    _out(f"results: {args.output}")
    return _summary(ds, args.output, f"merged {len(args.shards)} file(s)")


def _compile(args) -> int:
    try:
        times = compile_models(args.models or None, batch=args.batch, lattice=args.lattice)
    except ValueError as e:
        raise UsageError(str(e)) from None
    for name, seconds in times.items():
        _out(f"  {name:<24} {seconds:7.2f} s")
    _out(f"compiled into the numba cache ({os.environ.get('NUMBA_CACHE_DIR') or 'next to the sources'})")
    return 0


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {n}")
    return n


def _add_study_args(p) -> None:
    p.add_argument("config", help="study config (YAML)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value by dotted key, typed as YAML "
                        "(e.g. --set model.sigma=4 --set sweep.axes.phi.num=50); repeatable")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(prog="neg", description="New economic geography models and solvers.",
                                     epilog=_exit_code_table(),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"neg {__version__}")
    parser.set_defaults(quiet=False)  # commands without -q
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="break/sustain points and racetrack equilibria of the CP model")
    demo.add_argument("--phis", type=float, nargs="+", default=[0.05, 0.3, 0.8],
                      help="unit freeness values for the racetrack (default: 0.05 0.3 0.8)")
    demo.set_defaults(func=_demo)

    run = sub.add_parser("run", help="run a YAML study (validated first) and write a netCDF file",
                         epilog=_exit_code_table(), formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_study_args(run)
    run.add_argument("-o", "--output", help="result file (default: the config's output.path, else "
                                            "CONFIG-NAME.nc here); checked before any work")
    run.add_argument("--workers", type=_positive_int, default=None,
                     help="processes (or Dask workers with --scheduler local), >= 1; default: all cores")
    run.add_argument("--resume", action="store_true",
                     help="keep the finished chunks in OUTPUT.parts/ and compute only the rest")
    run.add_argument("--shard", metavar="I/N|auto",
                     help="compute shard I of N, counted from 0 (0/N .. N-1/N: every N-th point from "
                          "point I) into its own file; auto: I = SLURM_ARRAY_TASK_ID - "
                          "SLURM_ARRAY_TASK_MIN, N = SLURM_ARRAY_TASK_COUNT")
    run.add_argument("--scheduler", metavar="ADDRESS|local",
                     help="run on Dask: a scheduler address (tcp://host:8786) or 'local' for a "
                          "LocalCluster of --workers processes (needs neg[dask])")
    run.add_argument("-q", "--quiet", action="store_true",
                     help="no progress output (warnings and the summary line are still printed)")
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

    merge = sub.add_parser("merge", help="assemble shard files into one result, checking completeness",
                           epilog=_exit_code_table(), formatter_class=argparse.RawDescriptionHelpFormatter)
    merge.add_argument("shards", nargs="+", help="shard files written by neg run --shard")
    merge.add_argument("-o", "--output", required=True, help="merged result file")
    merge.set_defaults(func=_merge)

    comp = sub.add_parser("compile", help="compile the kernels ahead of use into numba's cache "
                                          "(set NUMBA_CACHE_DIR to a directory a job array shares)")
    comp.add_argument("models", nargs="*", metavar="MODEL",
                      help="registry names of the models (default: all)")
    comp.add_argument("--batch", action="store_true", help="also the parallel batch solver (sweeps)")
    comp.add_argument("--lattice", action="store_true",
                      help="also the structured products of lattice geographies (racetrack, grid, torus)")
    comp.set_defaults(func=_compile)

    args = parser.parse_args(argv)
    args.command_line = shlex.join(["neg", *argv])  # for the result file's history
    try:
        with _stop_on_sigterm(), _library_logs(args.quiet):
            return args.func(args)
    except ConfigError as e:
        _err(str(e))
        return USAGE
    except UsageError as e:
        _err(f"neg: error: {e}")
        return USAGE
    except RunError as e:
        _err(f"neg: error: {e}")
        return RUN_FAILED
    except Interrupted as e:
        _err(f"neg: {e}")
        return 128 + e.signum
    except KeyboardInterrupt:
        _err("neg: interrupted by SIGINT")
        return 128 + signal.SIGINT
    except BrokenPipeError:  # e.g. neg info ... | head: the output nobody reads (never a run's result)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
