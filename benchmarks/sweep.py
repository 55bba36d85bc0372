"""Sweeps: the sweep_sigma_mu study (break and sustain points over a (sigma, mu) grid) run
serially, on 2 processes and on a Dask LocalCluster of 2 workers, and the study machinery's
overhead per point against calling the solvers directly.

All three runs compute the same points (configs/sweep_sigma_mu.yaml: 63 points; --quick: a 4 x 3
grid) and write the same netCDF file; points/second = points / wall time of the whole run, pool
or cluster start-up included (that is what a user waits for). Speed-ups are ratios against the
serial run timed in the same session. "Direct" calls neg.break_point and neg.sustain_point on the
same models in a plain loop; the study adds per point: building the model from the config, the
residual checks (one eigenvalue at phi_B, one corner short run per region at phi_S), catching
failures, and per chunk: the chunk file; per run (measured apart, with a 1-point study):
validation and assembling/writing the netCDF result.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

import neg
from benchmarks._report import Row, ratio_row
from benchmarks._timing import fmt_time
from neg.study import load_study, run_study

CONFIG = Path(__file__).resolve().parent.parent / "configs" / "sweep_sigma_mu.yaml"
QUICK = ["sweep.axes.sigma.num=4", "sweep.axes.mu.num=3"]


def _interleaved(fns: dict, repeats: int) -> dict:
    """name -> (median seconds, samples, last result), the functions timed round-robin so that
    each sees the same background load on a shared machine."""
    samples = {k: [] for k in fns}
    last = {}
    for _ in range(repeats):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            last[k] = fn()
            samples[k].append(time.perf_counter() - t0)
    return {k: (float(np.median(v)), v, last[k]) for k, v in samples.items()}


def run(quick: bool = False) -> list[Row]:
    sets = QUICK if quick else []
    repeats = 2 if quick else 3
    study = load_study(CONFIG, sets)
    n = study.n_points
    case = f"{n} points"
    tmp = Path(tempfile.mkdtemp(prefix="neg-bench-sweep-"))

    # direct: the solvers in a loop over the same models (warm: compiled kernels loaded)
    models = [study.build_point(i)[0] for i in range(n)]

    def direct():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [(neg.break_point(m), neg.sustain_point(m)) for m in models]

    def study_run(**kw):
        return lambda: run_study(CONFIG, sets, output=tmp / "out.nc", quiet=True, **kw)

    fns = {"direct": direct, "serial": study_run(workers=1), "pool": study_run(workers=2)}
    try:
        import distributed  # noqa: F401

        fns["dask"] = study_run(scheduler="local", workers=2)
    except ImportError:
        pass
    direct()
    res = _interleaved(fns, repeats)
    t_direct, s_direct, ref = res["direct"]
    t_serial, s_serial, ds = res["serial"]
    t_pool, s_pool, ds2 = res["pool"]
    got = np.column_stack([ds["break_point"].values.ravel(), ds["sustain_point"].values.ravel()])
    identical = bool(np.array_equal(got, np.array(ref), equal_nan=True)) and ds2.equals(ds)
    rows = [
        Row(case, "serial study run, points/s", f"{n / t_serial:.3g}/s ({fmt_time(t_serial)} wall)",
            data={"wall_s": t_serial, "samples_s": s_serial, "points": n}),
        Row(case, "2 processes, points/s", f"{n / t_pool:.3g}/s ({fmt_time(t_pool)} wall)",
            data={"wall_s": t_pool, "samples_s": s_pool}),
        ratio_row(case, "2 processes / serial (speed-up)", t_serial / t_pool),
    ]
    if "dask" in res:
        t_dask, s_dask, ds3 = res["dask"]
        identical = identical and ds3.equals(ds)
        rows += [Row(case, "Dask LocalCluster 2 workers, points/s",
                     f"{n / t_dask:.3g}/s ({fmt_time(t_dask)} wall)",
                     data={"wall_s": t_dask, "samples_s": s_dask}),
                 ratio_row(case, "Dask 2 workers / serial (speed-up)", t_serial / t_dask)]
    else:
        rows.append(Row(case, "Dask LocalCluster", "skipped (dask.distributed not installed)"))
    # fixed cost of a run (validation, result file): a 1-point study against one direct point
    one = ["sweep.axes.sigma=[5.0]", "sweep.axes.mu=[0.4]"]
    m1 = load_study(CONFIG, one).build_point(0)[0]

    def direct_one():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return neg.break_point(m1), neg.sustain_point(m1)

    ones = _interleaved({"direct": direct_one, "study": lambda: run_study(
        CONFIG, one, output=tmp / "one.nc", workers=1, quiet=True)}, 5)
    t_one_direct, t_one = ones["direct"][0], ones["study"][0]
    fixed = max(t_one - t_one_direct, 0.0)
    per_point = (t_serial - fixed - t_direct) / n
    rows += [
        Row(case, "direct break_point+sustain_point, per point", fmt_time(t_direct / n),
            data={"per_point_s": t_direct / n, "samples_s": s_direct}),
        Row(case, "serial study, per point (wall / points)", fmt_time(t_serial / n),
            data={"per_point_s": t_serial / n}),
        Row("1 point", "  fixed cost per run (validate, assemble, write .nc)", fmt_time(fixed),
            data={"fixed_s": fixed}),
        Row(case, "  overhead per point vs direct (after the fixed cost)",
            f"{fmt_time(per_point)} ({per_point / (t_direct / n):.0%} of a direct point)",
            data={"overhead_per_point_s": per_point}),
        Row(case, "results identical (serial, 2 processes, Dask, direct)", str(identical),
            data={"identical": identical}),
    ]
    return rows
