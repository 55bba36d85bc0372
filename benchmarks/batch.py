"""Two-region batched short runs: neg.short_run_batch vs scipy.optimize.root(hybr) per point.

10_000 random (phi, lam) points of neg.CorePeriphery(sigma=5, mu=0.4) on two regions one unit
apart. scipy solves the same equations (log T(exp x) - x = 0, numpy, 2 x 2) one point at a
time; it is timed on a subsample and scaled per point. Accuracy = max|log w - log w_ref|
against neg at tol 1e-13. short_run_batch vectorises the trade costs over the points and
solves them in a compiled parallel loop (warm-started within fixed chunks of 64 points; the
points here are in random order, so warm starts help little).
"""

from __future__ import annotations

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


def scipy_point(phi: float, lam: np.ndarray) -> np.ndarray:
    """One 2-region short run with scipy's hybr (MINPACK) in logs; returns log w."""
    s = SIGMA
    Phi = np.array([[1.0, phi], [phi, 1.0]])
    farmers = np.array([0.5, 0.5])

    def residual(x):
        w = np.exp(x)
        G = (Phi.T @ (lam * w ** (1 - s))) ** (1 / (1 - s))
        Y = MU * lam * w + (1 - MU) * farmers
        return np.log((Phi @ (Y * G ** (s - 1))) ** (1 / s)) - x

    sol = scipy.optimize.root(residual, np.zeros(2), method="hybr", options={"xtol": TOL})
    return sol.x if sol.success else np.full(2, np.nan)


def run(quick: bool = False) -> list[Row]:
    n, n_scipy, repeats = (1_000, 100, 3) if quick else (10_000, 300, 5)
    phi, lam = make_points(n)
    model = neg.CorePeriphery(SIGMA, MU, phi=0.5)
    case = f"n={n}"

    def neg_batch():
        return neg.short_run_batch(model, lam=lam, phi=phi, tol=TOL)

    timing, sol = time_call(neg_batch, repeats=repeats)
    ref = neg.short_run_batch(model, lam=lam, phi=phi, tol=1e-13, max_iter=10_000)
    if not np.all(ref.converged):
        print(f"  batch: {int(np.sum(~ref.converged))} reference points did not converge")
    t_neg = timing.median / n
    err_neg = float(np.max(np.abs(sol.state - ref.state)))
    rows = [Row(case, "neg.short_run_batch, per point",
                f"{fmt_time(t_neg)} (call {fmt_time(timing.median)}), err {err_neg:.1e}, "
                f"{int(np.sum(~sol.converged))} unconverged",
                data={"timing": timing.as_dict(), "per_point_s": t_neg, "error": err_neg,
                      "mean_iterations": float(np.mean(sol.iterations)),
                      "unconverged": int(np.sum(~sol.converged))})]

    sub = np.linspace(0, n - 1, n_scipy).astype(int)

    def scipy_all():
        return np.array([scipy_point(phi[i], lam[i]) for i in sub])

    timing, x = time_call(scipy_all, repeats=repeats)
    t_scipy = timing.median / n_scipy
    err_scipy = float(np.nanmax(np.abs(x - ref.state[sub])))
    failed = int(np.sum(np.isnan(x[:, 0])))
    rows.append(Row(f"{n_scipy} of {n}", "scipy root hybr, per point",
                    f"{fmt_time(t_scipy)}, err {err_scipy:.1e}, {failed} failed",
                    data={"timing": timing.as_dict(), "per_point_s": t_scipy, "error": err_scipy,
                          "failed": failed}))
    rows.append(ratio_row(case, "scipy / neg (per point)", t_scipy / t_neg, ">= 200"))

    return rows
