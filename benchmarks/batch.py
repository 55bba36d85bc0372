"""Two-region batched short runs: neg.short_run_batch vs scipy.optimize.root(hybr) per point.

neg.CorePeriphery(sigma=5, mu=0.4) on two regions one unit apart, tolerance 1e-10, on two
workloads of 10_000 points each:

random  (phi, lam_1) uniform in [0.05, 0.95] x [0, 1], in random order;
grid    the tomahawk's wage-differential grid, 100 values of phi by 100 of lam_1.

scipy solves the same equations one point at a time, in two formulations (numpy, 2 x 2):
levels, T(w) - w = 0 from w = 1 (the equations as the short-run benchmark's baseline (a)
writes them: the issue's target is on this one), and logs, log T(exp x) - x = 0 from x = 0
(neg's own formulation). scipy is timed on a subsample and scaled per point. Accuracy =
max|log w - log w_ref| against independent neg solves at tol 1e-13.

short_run_batch solves the points in a locality order, each warm-started from its
predecessor (solution and Anderson history), in a compiled loop over both cores. It is timed in
steady state, after a second of calls: the first parallel calls of a process are up to
twice as slow (threads and cores waking up).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.optimize

import neg
from benchmarks._report import Row, ratio_row
from benchmarks._timing import fmt_time, time_call

SIGMA, MU, TOL = 5.0, 0.4, 1e-10


def make_points(n: int, seed: int = 0):
    """phi uniform in [0.05, 0.95], lam_1 uniform in [0, 1]."""
    rng = np.random.default_rng(seed)
    phi = rng.uniform(0.05, 0.95, n)
    l1 = rng.uniform(0.0, 1.0, n)
    return phi, np.column_stack([l1, 1.0 - l1])


def make_grid(n: int):
    """The tomahawk grid: sqrt(n) values of phi in [0.05, 0.95] by sqrt(n) of lam_1 in [0, 1]."""
    side = int(round(np.sqrt(n)))
    P, L = np.meshgrid(np.linspace(0.05, 0.95, side), np.linspace(0.0, 1.0, side), indexing="ij")
    return P.ravel(), np.column_stack([L.ravel(), 1.0 - L.ravel()])


def wage_map(phi: float, lam: np.ndarray):
    """T(w) for two regions in plain numpy (farmers split evenly)."""
    s = SIGMA
    Phi = np.array([[1.0, phi], [phi, 1.0]])
    farmers = np.array([0.5, 0.5])

    def T(w):
        G = (Phi.T @ (lam * w ** (1 - s))) ** (1 / (1 - s))
        Y = MU * lam * w + (1 - MU) * farmers
        return (Phi @ (Y * G ** (s - 1))) ** (1 / s)

    return T


def scipy_levels(phi: float, lam: np.ndarray) -> np.ndarray:
    """One short run with scipy's hybr (MINPACK) on T(w) - w; returns log w."""
    T = wage_map(phi, lam)
    sol = scipy.optimize.root(lambda w: T(w) - w, np.ones(2), method="hybr", options={"xtol": TOL})
    return np.log(sol.x) if sol.success and np.all(sol.x > 0) else np.full(2, np.nan)


def scipy_logs(phi: float, lam: np.ndarray) -> np.ndarray:
    """One short run with scipy's hybr on log T(exp x) - x; returns log w."""
    T = wage_map(phi, lam)
    sol = scipy.optimize.root(lambda x: np.log(T(np.exp(x))) - x, np.zeros(2), method="hybr",
                              options={"xtol": TOL})
    return sol.x if sol.success else np.full(2, np.nan)


def bench_workload(case: str, phi, lam, model, n_scipy: int, repeats: int) -> list[Row]:
    n = phi.size

    def solve():
        return neg.short_run_batch(model, lam=lam, phi=phi, tol=TOL)

    t0 = time.perf_counter()  # steady state: the first parallel calls of a process run slow
    while time.perf_counter() - t0 < 1.0:
        solve()
    timing, sol = time_call(solve, repeats=2 * repeats - 1)
    ref = neg.short_run_batch(model, lam=lam, phi=phi, tol=1e-13, max_iter=10_000, warm=False)
    if not np.all(ref.converged):
        print(f"  batch {case}: {int(np.sum(~ref.converged))} reference points did not converge")
    t_neg = timing.median / n
    err_neg = float(np.max(np.abs(sol.state - ref.state)))
    rows = [Row(case, "neg.short_run_batch, per point",
                f"{fmt_time(t_neg)} (call {fmt_time(timing.median)}), "
                f"{np.mean(sol.iterations):.2f} it, err {err_neg:.1e}, "
                f"{int(np.sum(~sol.converged))} unconverged",
                data={"timing": timing.as_dict(), "per_point_s": t_neg, "error": err_neg,
                      "mean_iterations": float(np.mean(sol.iterations)),
                      "unconverged": int(np.sum(~sol.converged))})]
    sub = np.linspace(0, n - 1, n_scipy).astype(int)
    for label, point in (("levels", scipy_levels), ("logs", scipy_logs)):
        timing, x = time_call(lambda point=point: np.array([point(phi[i], lam[i]) for i in sub]),
                              repeats=repeats)
        t_scipy = timing.median / n_scipy
        err = float(np.nanmax(np.abs(x - ref.state[sub])))
        failed = int(np.sum(np.isnan(x[:, 0])))
        rows.append(Row(case, f"scipy hybr ({label}), per point ({n_scipy} points)",
                        f"{fmt_time(t_scipy)}, err {err:.1e}, {failed} failed",
                        data={"timing": timing.as_dict(), "per_point_s": t_scipy, "error": err,
                              "failed": failed}))
        rows.append(ratio_row(case, f"scipy hybr ({label}) / neg, per point", t_scipy / t_neg,
                              ">= 200"))
    return rows


def run(quick: bool = False) -> list[Row]:
    n, n_scipy, repeats = (1_000, 100, 3) if quick else (10_000, 300, 5)
    model = neg.CorePeriphery(SIGMA, MU, phi=0.5)
    rows = []
    for case, (phi, lam) in ((f"random n={n}", make_points(n)), (f"grid n={n}", make_grid(n))):
        rows += bench_workload(case, phi, lam, model, n_scipy, repeats)
    return rows
