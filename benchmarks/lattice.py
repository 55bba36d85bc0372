"""Lattices without a K x K matrix: the structured freeness operator against the dense one, and
how a short run scales to 10^6 regions.

Problem: neg.CorePeriphery(sigma=5, mu=0.4, phi=0.9) on an n x n torus (Manhattan metric), from
a seeded random distribution of the workers (Dirichlet(1) shares), short run to the default
tolerance 1e-12 (Anderson).

* K = 4096 (64 x 64): the short run with ``operator="structured"`` against ``operator="dense"``
  (ratio of median times, target >= 30x; the wages' largest relative difference is reported);
* K = 10^4, 10^5, 10^6 (structured): time per iteration (median short-run time / iterations)
  and the exponent of its growth with K (least squares on the logs; 1 is linear);
* peak memory (resident set) of a fresh process that builds the 10^6-cell torus and solves its
  short run (target <= 2 GB; the interpreter with numpy, numba and xarray loaded is included);
* a long run to a stable state on a 256 x 256 torus (K = 65,536; CP with sigma = 5, mu = 0.4,
  phi = 0.8, from the default perturbed uniform start; one run, its stability included) and the
  break point there from the Fourier spectrum (no baseline: the dense routes would need a
  34 GB matrix, or 65,535 directional derivatives per spectrum).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import neg
from benchmarks._report import Row, ratio_row
from benchmarks._timing import fmt_time, time_call

ROOT = Path(__file__).resolve().parent.parent

MEMORY_SCRIPT = """
import resource, numpy as np, neg
n = {n}
geo = neg.Geography.torus(n, n)
model = neg.CorePeriphery(5.0, 0.4, phi=0.9, geography=geo)
sr = model.short_run(np.random.default_rng(0).dirichlet(np.ones(n * n)))
print(sr.converged, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _model(n: int, operator: str) -> neg.CorePeriphery:
    return neg.CorePeriphery(5.0, 0.4, phi=0.9, geography=neg.Geography.torus(n, n, operator=operator))


def _lam(K: int) -> np.ndarray:
    return np.random.default_rng(0).dirichlet(np.ones(K))


def _versus_dense(quick: bool) -> list[Row]:
    n = 64
    lam = _lam(n * n)
    structured, dense = _model(n, "structured"), _model(n, "dense")
    t_s, a = time_call(lambda: structured.short_run(lam), repeats=5 if quick else 9)
    t_d, b = time_call(lambda: dense.short_run(lam), repeats=3 if quick else 5)
    err = float(np.max(np.abs(a.wage / b.wage - 1.0)))
    return [ratio_row(f"K={n * n} torus", "short run: dense / structured", t_d.median / t_s.median,
                      ">= 30", structured=t_s.as_dict(), dense=t_d.as_dict(), wage_rel_diff=err,
                      iterations=a.iterations),
            Row(f"K={n * n} torus", "short run times (structured, dense)",
                f"{fmt_time(t_s.median)}, {fmt_time(t_d.median)}; wages agree to {err:.1e}")]


def _scaling(quick: bool) -> list[Row]:
    sides = (100, 316) if quick else (100, 316, 1000)
    rows, Ks, per_it = [], [], []
    for n in sides:
        model, lam = _model(n, "structured"), _lam(n * n)
        t, sr = time_call(lambda model=model, lam=lam: model.short_run(lam), repeats=3, budget=30.0)
        Ks.append(n * n)
        per_it.append(t.median / sr.iterations)
        rows.append(Row(f"K={n * n} torus", "short run, time per iteration",
                        f"{fmt_time(per_it[-1])} ({sr.iterations} iterations, {fmt_time(t.median)})",
                        data={"K": n * n, "per_iteration_s": per_it[-1], "iterations": sr.iterations,
                              "timing": t.as_dict(), "converged": sr.converged}))
    slope = float(np.polyfit(np.log(Ks), np.log(per_it), 1)[0])
    rows.append(ratio_row(f"K={Ks[0]}..{Ks[-1]}", "growth exponent of time per iteration", slope,
                          "<= 1.2", unit="", K=Ks, per_iteration_s=per_it))
    return rows


def _memory(quick: bool) -> list[Row]:
    n = 316 if quick else 1000
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONPATH=path)
    out = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT.format(n=n)], env=env, cwd=ROOT,
                         check=True, capture_output=True, text=True)
    converged, kb = out.stdout.split()[-2:]
    gb = int(kb) / 1e6  # ru_maxrss is in kB on Linux
    return [ratio_row(f"K={n * n} torus", "peak memory of a short run (whole process)", gb,
                      "<= 2", unit=" GB", converged=converged == "True", K=n * n)]


def _long_run(quick: bool) -> list[Row]:
    n = 64 if quick else 256
    model = neg.CorePeriphery(5.0, 0.4, phi=0.8, geography=neg.Geography.torus(n, n))
    case = f"K={n * n} torus"
    start = time.perf_counter()
    phi_b = neg.break_point(model)
    t_break = time.perf_counter() - start
    start = time.perf_counter()
    eq = neg.long_run(model)
    t_long = time.perf_counter() - start
    cities = int(np.sum(eq.lam > 0))
    lead = float(np.max(eq.eigenvalues.real))
    return [Row(case, "long run to a stable state (phi=0.8), stability included",
                f"{fmt_time(t_long)}: {eq.iterations} steps, {cities} cities, stable={eq.stable}, "
                f"converged={eq.converged}, leading eigenvalue {lead:.3g}",
                data={"seconds": t_long, "steps": eq.iterations, "cities": cities, "stable": eq.stable,
                      "converged": eq.converged, "leading_eigenvalue": lead, "residual": eq.residual}),
            Row(case, "break point (Fourier spectrum at each phi)",
                f"phi_B = {phi_b:.10g} in {fmt_time(t_break)}",
                data={"seconds": t_break, "break_point": phi_b})]


def run(quick: bool = False) -> list[Row]:
    return _versus_dense(quick) + _scaling(quick) + _memory(quick) + _long_run(quick)
