"""Ensembles of regional shocks with migration: neg.simulate_shocks against a plain loop.

neg.CorePeriphery(sigma=5, mu=0.4, phi=0.1) on a racetrack, AR(1) productivity shocks
(persistence 0.9, sd 0.02, a quarter of the variance national), replicator migration at speed 1,
tolerance 1e-10, two ensembles (the sizes of issue 12):

small regions  200 samples x 100 periods x 8 regions;
many regions    20 samples x 100 periods x 200 regions.

Timed in the same run:

loop         the plain loop a user would write: for every sample and period, the shocked model
             (``model.replace(productivity=...)``), ``neg.short_run`` warm-started from the
             sample's previous period, and one period of the same migration rule; timed on a
             subset of the samples and scaled per sample;
batch, 1 thread   ``neg.simulate_shocks``: all samples of a period in one compiled call
             (several samples per call), numba limited to one thread: the gain of batching;
batch, threads    the same with every numba thread: batching and parallel threads;
study, 1 / 2 workers  the same ensemble as a YAML study of kind ``shocks`` (one setting), its
             samples in two points of the study engine (``study.samples_per_chunk``: half the
             samples each), in this process and on two worker processes (one thread each,
             including the start of the processes); the two results are compared bit for bit.

Accuracy: max |log gdp| difference between the loop and the batch over the timed samples.
"""

from __future__ import annotations

import numba
import numpy as np

import neg
from benchmarks._report import Row, ratio_row
from benchmarks._timing import fmt_time, time_call
from neg.solvers.migration import _Rule
from neg.state import StateSpace
from neg.welfare import real_gdp

SHOCKS = neg.Shocks(0.9, 0.02, common=0.25)
TOL, SPEED, SEED = 1e-10, 1.0, 3


def loop(model, periods: int, samples: int):
    """The plain loop of short_run calls (log gdp of every sample, period, region)."""
    rule = _Rule(StateSpace.of(model), "replicator", SPEED, None, 0.0)
    out = np.empty((samples, periods, model.K))
    for k in range(samples):
        s = SHOCKS.draw(model.geography.distance, periods, SEED, k)
        lam, x0 = model.symmetric_state(), None
        for t in range(periods):
            m = model.replace(productivity=np.exp(s[t]))
            sr = neg.short_run(m, lam, x0=x0, tol=TOL)
            x0 = sr.state
            out[k, t] = np.log(real_gdp(m, sr, lam))
            lam = rule.period(lam, sr.payoff)
    return out


def batch(model, periods: int, samples: int):
    ds = neg.simulate_shocks(model, periods, SHOCKS, SPEED, samples=samples, seed=SEED, tol=TOL)
    return np.log(ds["gdp"].values)


def study(model_cfg: dict, K: int, periods: int, samples: int, workers: int):
    config = {"model": model_cfg, "geography": {"kind": "racetrack", "K": K},
              "study": {"kind": "shocks", "periods": periods, "persistence": SHOCKS.persistence,
                        "sd": SHOCKS.sd, "common": SHOCKS.common, "migration_speed": SPEED,
                        "samples": samples, "seed": SEED, "samples_per_chunk": -(-samples // 2)},
              "solver": {"tol": TOL}}
    return np.log(neg.run(config, workers=workers, quiet=True)["gdp"].values)


def bench(case: str, K: int, periods: int, samples: int, loop_samples: int, repeats: int) -> list[Row]:
    cfg = {"name": "core_periphery", "sigma": 5.0, "mu": 0.4, "phi": 0.1}
    model = neg.CorePeriphery(5.0, 0.4, phi=0.1, geography=neg.Geography.racetrack(K))
    threads = numba.get_num_threads()
    t_loop, ref = time_call(lambda: loop(model, periods, loop_samples), repeats=max(1, repeats // 2),
                            budget=60.0)
    per_loop = t_loop.median / loop_samples
    rows = [Row(case, f"plain loop of short_run, per sample ({loop_samples} samples)",
                fmt_time(per_loop), data={"timing": t_loop.as_dict(), "per_sample_s": per_loop})]
    results = {}
    for label, n_threads in (("1 thread", 1), (f"{threads} threads", threads)):
        numba.set_num_threads(n_threads)
        try:
            timing, got = time_call(lambda: batch(model, periods, samples), repeats=repeats, budget=60.0)
        finally:
            numba.set_num_threads(threads)
        per = timing.median / samples
        results[label] = got
        rows.append(Row(case, f"neg.simulate_shocks, {label}, per sample",
                        f"{fmt_time(per)} (call {fmt_time(timing.median)})",
                        data={"timing": timing.as_dict(), "per_sample_s": per}))
        rows.append(ratio_row(case, f"loop / simulate_shocks ({label})", per_loop / per))
    err = float(np.max(np.abs(results["1 thread"][:loop_samples] - ref)))
    rows.append(Row(case, "max |log gdp| loop - batch", f"{err:.1e}", data={"error": err}))
    per_study, paths = {}, {}
    for workers in (1, 2):
        timing, paths[workers] = time_call(lambda w=workers: study(cfg, K, periods, samples, w),
                                           repeats=max(1, repeats // 2), budget=60.0, warmup=False)
        per_study[workers] = timing.median / samples
        label = "in this process" if workers == 1 else "2 worker processes"
        rows.append(Row(case, f"study kind shocks, one ensemble in 2 points, {label}, per sample",
                        fmt_time(per_study[workers]),
                        data={"timing": timing.as_dict(), "per_sample_s": per_study[workers]}))
    rows.append(ratio_row(case, "study: 1 worker / 2 workers", per_study[1] / per_study[2]))
    rows.append(ratio_row(case, "loop / study (2 workers)", per_loop / per_study[2]))
    same = bool(np.array_equal(paths[1], paths[2]))
    rows.append(Row(case, "study: 1 and 2 workers bit for bit equal", str(same), data={"equal": same}))
    return rows


def run(quick: bool = False) -> list[Row]:
    if quick:
        sizes = [("8 regions, 40 x 100", 8, 100, 40, 10, 3), ("200 regions, 4 x 100", 200, 100, 4, 2, 1)]
    else:
        sizes = [("8 regions, 200 x 100", 8, 100, 200, 20, 5), ("200 regions, 20 x 100", 200, 100, 20, 2, 3)]
    rows = []
    for case, K, periods, samples, loop_samples, repeats in sizes:
        rows += bench(case, K, periods, samples, loop_samples, repeats)
    return rows
