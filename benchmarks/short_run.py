"""Short-run core-periphery equilibrium on K random regions: neg vs numpy and scipy baselines.

Problem: neg.CorePeriphery(sigma=5, mu=0.4, phi=0.8) on K random points in a square, distances
scaled so the longest is 10 units; lam a random point of the simplex (Dirichlet(1)); tolerance
1e-10 on max|delta log w|. Baselines, timed in the same run:

(a) numpy damped iteration w <- 0.25 T(w) + 0.75 w (the algorithm of the published
    spatial-model toolkits), stopped when max|log w_new - log w| <= 1e-10;
(b) scipy.optimize.root(method="anderson") with fatol=1e-10 on the same equations, in two
    formulations: levels, T(w) - w from w = 1 (the equations as (a) writes them: the issue's
    target is on this one), and logs, log T(exp x) - x from x = 0 (neg's own formulation, in
    which scipy's Anderson needs 50 times fewer iterations);
plus the floor: two numpy matrix-vector products with the K x K freeness matrix.
Accuracy = max|log w - log w_ref| against a tight neg solve (tol 1e-13), whose residual is
re-checked with the numpy map.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.optimize

import neg
from benchmarks._report import Row, ratio_row
from benchmarks._timing import TooSlow, fmt_time, time_call

SIGMA, MU, PHI, TOL = 5.0, 0.4, 0.8, 1e-10
SIZES, QUICK_SIZES = (2, 100, 1000, 3000), (2, 100, 1000)


# ------------------------------------------------------------------ problem
def make_problem(K: int, seed: int = 0):
    """(model, lam, D) for K random points; seeded per K so every run sees the same problem."""
    rng = np.random.default_rng([seed, K])
    pts = rng.random((K, 2))
    D = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(axis=-1))
    D *= 10.0 / D.max()
    model = neg.CorePeriphery(sigma=SIGMA, mu=MU, phi=PHI, geography=neg.Geography.from_distances(D))
    lam = rng.dirichlet(np.ones(K))
    return model, lam, D


def numpy_wage_map(D: np.ndarray, lam: np.ndarray):
    """T(w) in plain numpy, as in the published toolkits: Phi = phi**D, farmers uniform."""
    s = SIGMA
    Phi = PHI**D
    farmers = np.full(lam.size, 1.0 / lam.size)

    def T(w):
        G = (Phi.T @ (lam * w ** (1 - s))) ** (1 / (1 - s))
        Y = MU * lam * w + (1 - MU) * farmers
        return (Phi @ (Y * G ** (s - 1))) ** (1 / s)

    return T, Phi


# ------------------------------------------------------------------ baselines
def damped_iteration(T, K: int, budget: float):
    """(a): w <- 0.25 T(w) + 0.75 w from w = 1. Returns (w, iterations).

    Raises TooSlow once ``budget`` seconds are spent, extrapolating the remaining iterations
    from the geometric decay of the last 20 steps.
    """
    w = np.ones(K)
    steps = []
    t0 = time.perf_counter()
    while True:
        w_new = 0.25 * T(w) + 0.75 * w
        steps.append(np.max(np.abs(np.log(w_new) - np.log(w))))
        w = w_new
        if steps[-1] <= TOL:
            return w, len(steps)
        elapsed = time.perf_counter() - t0
        if elapsed > budget and len(steps) > 20:
            rate = (steps[-1] / steps[-21]) ** (1 / 20)
            remaining = np.log(TOL / steps[-1]) / np.log(rate) if rate < 1 else np.inf
            raise TooSlow(elapsed / len(steps) * (len(steps) + remaining), exact=rate < 1)


def _scipy_anderson(residual, x0, K: int, budget: float):
    """scipy.optimize.root(method="anderson") on ``residual`` from x0. Returns (x, iterations)."""
    t0 = time.perf_counter()

    def timed(x):
        if time.perf_counter() - t0 > budget:
            raise TooSlow(time.perf_counter() - t0, exact=False)
        return residual(x)

    sol = scipy.optimize.root(timed, x0, method="anderson", options={"fatol": TOL})
    if not sol.success:
        print(f"  scipy anderson K={K}: not converged ({sol.message})")
    return sol.x, sol.nit


def scipy_anderson_levels(T, K: int, budget: float):
    """(b), levels: T(w) - w = 0 from w = 1. Returns (w, iterations)."""
    return _scipy_anderson(lambda w: T(w) - w, np.ones(K), K, budget)


def scipy_anderson_logs(T, K: int, budget: float):
    """(b), logs: log T(exp x) - x = 0 from x = 0. Returns (log w, iterations)."""
    return _scipy_anderson(lambda x: np.log(T(np.exp(x))) - x, np.zeros(K), K, budget)


def floor_time(Phi: np.ndarray, repeats: int) -> float:
    """Median time of Phi @ v and Phi.T @ v in numpy: the least one iteration can cost."""
    v = np.random.default_rng(1).random(Phi.shape[0])
    timing, _ = time_call(lambda: (Phi @ v, Phi.T @ v), repeats=max(repeats, 5))
    return timing.median


# ------------------------------------------------------------------ one size
def _err(logw, ref):
    return float(np.max(np.abs(logw - ref)))


def time_baseline(case, label, solve, to_log, T, K, ref, repeats, budget):
    """Time one baseline: (row, median seconds or None if skipped)."""
    try:
        timing, (x, it) = time_call(lambda: solve(T, K, budget), repeats=repeats, budget=budget,
                                    warmup=K <= 1000)
    except TooSlow as e:
        return Row(case, label, e.describe(), data={"skipped_est_s": e.estimate_s}), None
    err = _err(to_log(x) if to_log else x, ref)
    row = Row(case, label, f"{fmt_time(timing.median)}, {it} it, err {err:.1e}",
              data={"timing": timing.as_dict(), "iterations": int(it), "error": err})
    return row, timing.median


def bench_size(K: int, repeats: int, budget: float) -> list[Row]:
    model, lam, D = make_problem(K)
    T, Phi = numpy_wage_map(D, lam)
    ref = neg.short_run(model, lam, tol=1e-13, max_iter=10_000)
    ref_check = _err(np.log(T(np.exp(ref.state))), ref.state)  # independent residual check
    if not ref.converged or ref_check > 1e-12:
        print(f"  K={K}: reference solve residual {ref.residual:.1e} (neg), {ref_check:.1e} (numpy)")
    case = f"K={K}"
    rows = []

    timing, sol = time_call(lambda: neg.short_run(model, lam, tol=TOL), repeats=repeats,
                            budget=budget)
    t_neg, it_neg, err_neg = timing.median, int(sol.iterations), _err(sol.state, ref.state)
    rows.append(Row(case, "neg.short_run (anderson)",
                    f"{fmt_time(t_neg)}, {it_neg} it, err {err_neg:.1e}",
                    data={"timing": timing.as_dict(), "iterations": it_neg, "error": err_neg,
                          "converged": bool(sol.converged), "ref_residual_numpy": ref_check}))

    baselines = {}
    for label, solve, to_log in (
        ("numpy damped", damped_iteration, np.log),
        ("scipy anderson (levels)", scipy_anderson_levels, np.log),
        ("scipy anderson (logs)", scipy_anderson_logs, None),
    ):
        row, baselines[label] = time_baseline(case, label, solve, to_log, T, K, ref.state,
                                              repeats, budget)
        rows.append(row)

    floor = floor_time(Phi, repeats)
    # neg applies the map iterations + 1 times (the first residual) and then the outputs kernel
    # (one more Phi^T product): the cost of one iteration is the time per map application
    per_it = t_neg / (it_neg + 1.5)
    rows.append(Row(case, "floor: Phi@v + Phi.T@v (numpy)", fmt_time(floor),
                    data={"floor_s": floor}))
    big = K == max(SIZES)
    rows.append(ratio_row(case, "neg per-iteration / floor", per_it / floor,
                          "<= 1.5" if big else "", per_iteration_s=per_it, floor_s=floor))
    rows.append(ratio_row(case, "  (whole solve / iterations) / floor", t_neg / max(it_neg, 1) / floor, ""))
    for label, target in (("numpy damped", ">= 30"), ("scipy anderson (levels)", ">= 50"),
                          ("scipy anderson (logs)", ">= 50")):
        t = baselines[label]
        rows.append(ratio_row(case, f"{label} / neg", None if t is None else t / t_neg,
                              target if big else ""))
    return rows


def run(quick: bool = False) -> list[Row]:
    sizes = QUICK_SIZES if quick else SIZES
    repeats, budget = (3, 10.0) if quick else (5, 60.0)
    neg.short_run(make_problem(2)[0], [0.5, 0.5])  # load compiled code before timing
    rows = []
    for K in sizes:
        rows += bench_size(K, repeats, budget)
    return rows
