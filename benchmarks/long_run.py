"""Long run: neg.long_run vs an explicit-Euler replicator with a damped wage iteration per step.

Problem: the short_run benchmark's model (neg.CorePeriphery(sigma=5, mu=0.4, phi=0.8), K random
regions, longest distance 10) from a seeded perturbed uniform distribution (+-5%), to a stable
long-run equilibrium with relative payoff gap <= 1e-8 (the definition of
neg.Equilibrium.residual).

Baseline (what the published toolkits do): explicit Euler steps of the replicator,
lam += dt lam (omega - omega_bar), clipped at 0, shares below 1e-10 with a below-average payoff
set to 0 (the same rule neg uses), renormalised; after each step a damped wage iteration
w <- 0.25 T(w) + 0.75 w to 1e-10, warm-started from the previous wages. dt is fixed: the largest
of 8, 4, 2, ... for which no Euler step overshoots (pushes a share below 0), found by trying.

At K=3000 the baseline would run for much longer than the budget, so it is estimated honestly:
the same Euler path is stepped with neg.short_run as the wage solver (its wages agree with the
damped iteration's to ~1e-9) to count the steps N, and at every M-th step one real baseline step
(damped wage iteration included) is timed from the same state; estimate = N x mean sampled
step time (+ the initial cold wage solve). When the estimate fits the budget (--quick, K=300)
the baseline is also run for real, which checks the estimate.
"""

from __future__ import annotations

import time

import numpy as np

import neg
from benchmarks._report import Row, ratio_row
from benchmarks._timing import fmt_time, time_call
from benchmarks.short_run import MU, PHI, SIGMA, make_problem

GAP_TOL, WAGE_TOL, ZERO_SHARE = 1e-8, 1e-10, 1e-10
DT_LADDER = (8.0, 4.0, 2.0, 1.0, 0.5, 0.25, 0.125)
MAX_STEPS = 50_000


def perturbed_uniform(K: int, seed: int = 1) -> np.ndarray:
    lam = (1.0 + 0.05 * np.random.default_rng(seed).uniform(-1.0, 1.0, K)) / K
    return lam / lam.sum()


def payoff_gap(lam: np.ndarray, omega: np.ndarray) -> float:
    """max |omega_i - omega_bar| over occupied, max (omega_i - omega_bar)^+ over empty regions,
    relative to max |omega| (as neg.Equilibrium.residual)."""
    dev = omega - lam @ omega
    occ = lam > 0
    gap = max(np.max(np.abs(dev[occ]), initial=0.0), np.max(dev[~occ], initial=0.0))
    return gap / np.max(np.abs(omega))


class NumpyCP:
    """The core-periphery short run in plain numpy (as in short_run.numpy_wage_map)."""

    def __init__(self, D: np.ndarray):
        self.Phi = PHI**D
        self.farmers = np.full(D.shape[0], 1.0 / D.shape[0])

    def price_index(self, w, lam):
        return (self.Phi.T @ (lam * w ** (1 - SIGMA))) ** (1 / (1 - SIGMA))

    def real_wage(self, w, lam):
        return w * self.price_index(w, lam) ** (-MU)

    def damped_wages(self, w, lam):
        """w <- 0.25 T(w) + 0.75 w until max|delta log w| <= 1e-10. Returns (w, iterations)."""
        it = 0
        while True:
            G = self.price_index(w, lam)
            Y = MU * lam * w + (1 - MU) * self.farmers
            w_new = 0.25 * (self.Phi @ (Y * G ** (SIGMA - 1))) ** (1 / SIGMA) + 0.75 * w
            it += 1
            step = np.max(np.abs(np.log(w_new) - np.log(w)))
            w = w_new
            if step <= WAGE_TOL:
                return w, it


def euler_step(lam, omega, dt):
    """One explicit Euler replicator step. Returns (new lam, overshoot?)."""
    mean = lam @ omega
    new = lam + dt * lam * (omega - mean)
    overshoot = bool(np.any(new < 0))
    new[new < 0] = 0.0
    new[(new < ZERO_SHARE) & (omega < mean)] = 0.0
    return new / new.sum(), overshoot


def baseline_step(cp: NumpyCP, lam, w, dt):
    """One baseline step: Euler on the shares, then the damped wage iteration (warm start)."""
    lam, _ = euler_step(lam, cp.real_wage(w, lam), dt)
    w, it = cp.damped_wages(w, lam)
    return lam, w, it


def run_baseline(cp: NumpyCP, lam, dt):
    """The whole baseline, for real. Returns (lam, steps)."""
    w, _ = cp.damped_wages(np.ones(lam.size), lam)
    for step in range(1, MAX_STEPS + 1):
        lam, w, _ = baseline_step(cp, lam, w, dt)
        if payoff_gap(lam, cp.real_wage(w, lam)) <= GAP_TOL:
            return lam, step
    return lam, MAX_STEPS


def count_steps(model, cp: NumpyCP, lam, dt, every):
    """Step the Euler path with neg.short_run as the wage solver; time one real baseline step
    at every ``every``-th step. None if an Euler step overshoots (dt too large)."""
    sr = neg.short_run(model, lam, tol=WAGE_TOL)
    times, iters = [], []
    for step in range(1, MAX_STEPS + 1):
        if step % every == 1 or every == 1:
            t0 = time.perf_counter()
            _, _, it = baseline_step(cp, lam, sr.wage, dt)
            times.append(time.perf_counter() - t0)
            iters.append(it)
        lam, overshoot = euler_step(lam, sr.real_wage, dt)
        if overshoot:
            return None
        sr = neg.short_run(model, lam, x0=sr.state, tol=WAGE_TOL)
        if payoff_gap(lam, sr.real_wage) <= GAP_TOL:
            return {"steps": step, "converged": True, "lam": lam, "times": times, "iters": iters}
    return {"steps": MAX_STEPS, "converged": False, "lam": lam, "times": times, "iters": iters}


def estimate_baseline(model, cp, lam0, every):
    """Try dt from the ladder; returns (dt, count dict, estimated seconds)."""
    for dt in DT_LADDER:
        res = count_steps(model, cp, lam0, dt, every)
        if res is not None:
            break
        print(f"  long_run: dt={dt:g} overshoots, halving")
    t0 = time.perf_counter()
    cp.damped_wages(np.ones(lam0.size), lam0)  # the baseline's initial cold wage solve
    cold = time.perf_counter() - t0
    est = cold + res["steps"] * float(np.mean(res["times"]))
    return dt, res, est


def run(quick: bool = False) -> list[Row]:
    if not hasattr(neg, "long_run"):  # placeholder until neg.long_run exists
        return [Row("-", "neg.long_run", "skipped: neg.long_run not available")]
    K, every, budget = (300, 10, 60.0) if quick else (3000, 100, 60.0)
    model, _, D = make_problem(K)
    lam0 = perturbed_uniform(K)
    case = f"K={K}"

    timing, eq = time_call(lambda: neg.long_run(model, lam0, tol=GAP_TOL), repeats=3,
                           budget=budget)
    t_neg = timing.median
    rows = [Row(case, "neg.long_run (replicator, +stability)",
                f"{fmt_time(t_neg)}, {eq.iterations} steps, converged={eq.converged}, "
                f"stable={eq.stable}, support {int(np.sum(eq.lam > 0))}",
                data={"timing": timing.as_dict(), "steps": eq.iterations,
                      "converged": bool(eq.converged), "stable": bool(eq.stable),
                      "residual": float(eq.residual)})]

    cp = NumpyCP(D)
    dt, res, est = estimate_baseline(model, cp, lam0, every)
    how = (f"{res['steps']}{'' if res['converged'] else '+ (capped)'} Euler steps (dt={dt:g}) "
           f"x mean {fmt_time(float(np.mean(res['times'])))}/step over {len(res['times'])} "
           f"sampled steps ({np.mean(res['iters']):.0f} damped it/step)")
    rows.append(Row(case, "Euler+damped baseline (estimated)", f"est. {fmt_time(est)} = {how}",
                    data={"estimate_s": est, "dt": dt, "steps": res["steps"],
                          "converged": res["converged"], "sampled_step_s": res["times"],
                          "sampled_iterations": res["iters"]}))
    t_base, lam_base = est, res["lam"]
    if est <= budget:
        t0 = time.perf_counter()
        lam_base, steps_b = run_baseline(cp, lam0, dt)
        t_base = time.perf_counter() - t0
        rows.append(Row(case, "Euler+damped baseline (run)",
                        f"{fmt_time(t_base)}, {steps_b} steps (estimate was {fmt_time(est)})",
                        data={"seconds": t_base, "steps": steps_b}))
    diff = float(np.max(np.abs(lam_base - eq.lam)))
    rows.append(Row(case, "max |lam_Euler - lam_neg|", f"{diff:.1e}", data={"value": diff}))
    rows.append(ratio_row(case, "baseline / neg", t_base / t_neg, ">= 20",
                          estimated=t_base == est))
    return rows
