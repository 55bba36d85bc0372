"""Fine racetracks (issue 15): break points from the Fourier spectrum vs the full payoff
Jacobian, and long_run against simulate on 255 regions.

Problem: neg.break_point of the core-periphery model (sigma=5, mu=0.6), Pflueger's (sigma=5,
workers=1) and the footloose-entrepreneur model (sigma=3, mu=0.6) on Geography.racetrack(K),
K = 64, 128, 256; error relative to the exact discrete value (Akamatsu, Takayama & Ikeda 2012:
the first phi at which a mode's eigenvalue chi_k of the normalised discounting matrix reaches the
two-region threshold (1 - phi_B)/(1 + phi_B); phi_B by the closed form for CP, by neg on two
regions otherwise).

neg: at the uniform state of a circulant economy the spectrum comes from the Fourier modes (one
directional derivative). Baseline, in the same run: the same call with that shortcut off (K - 1
directional derivatives per eigenvalue evaluation, the method before issue 15), at K = 64 only
(it grows as K^2: the issue measured 228 s for CP at K = 256).

Long run: footloose entrepreneurs on racetrack(255) (sigma = 2.7, 2.2, 1.7; mu = 0.4; phi = 0.9
per step), from a seeded +-1% perturbation of the uniform state; neg.long_run against
neg.simulate (explicit replicator, dt = 0.2, t_end = 6000: to its end state), the same start, in
the same run: the time ratio, whether the cities (shares > 1e-2) are the same, and the largest
difference of the shares.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
from scipy.optimize import brentq

import neg
import neg.solvers.long_run as long_run_module
from benchmarks._report import Row, ratio_row
from benchmarks._timing import fmt_time, time_call


def _models(geo):
    return {"CP": neg.CorePeriphery(5.0, 0.6, phi=0.5, geography=geo),
            "Pflueger": neg.Pflueger(5.0, phi=0.5, geography=geo),
            "FE": neg.FootlooseEntrepreneur(3.0, 0.6, phi=0.5, geography=geo)}


def exact_break_point(phi_two: float, K: int) -> float:
    d = np.minimum(np.arange(K), K - np.arange(K))
    Z = (1 - phi_two) / (1 + phi_two)

    def chi(p, k):
        w = p**d
        return (w @ np.cos(2 * np.pi * k * np.arange(K) / K)) / w.sum()

    return min(brentq(lambda p, k=k: chi(p, k) - Z, 1e-12, 1 - 1e-12, xtol=1e-17, rtol=1e-15)
               for k in range(1, K // 2 + 1) if chi(1e-12, k) > Z > chi(1 - 1e-12, k))


def run(quick: bool = False) -> list[Row]:
    two = _models(neg.Geography.two_region())
    rho = 4.0 / 5.0
    phi_two = {"CP": (rho - 0.6) * 0.4 / ((rho + 0.6) * 1.6),
               "Pflueger": neg.break_point(two["Pflueger"]), "FE": neg.break_point(two["FE"])}
    rows = []
    for K in ((32, 64) if quick else (64, 128, 256)):
        for name, model in _models(neg.Geography.racetrack(K)).items():
            t, phi = time_call(lambda model=model: neg.break_point(model), repeats=1, warmup=False)
            err = abs(phi - exact_break_point(phi_two[name], K)) / phi
            rows.append(Row(f"K={K} {name}", "neg.break_point", f"{fmt_time(t.median)}, rel. error {err:.0e}",
                            data={"median_s": t.median, "rel_error": err}))
            if K == (32 if quick else 64):
                with mock.patch.object(long_run_module, "_alike_regions", lambda m, lam: False):
                    t0, phi0 = time_call(lambda model=model: neg.break_point(model), repeats=1, warmup=False)
                err0 = abs(phi0 - exact_break_point(phi_two[name], K)) / phi0
                rows.append(Row(f"K={K} {name}", "K-1 derivatives (no Fourier)",
                                f"{fmt_time(t0.median)}, rel. error {err0:.0e}",
                                data={"median_s": t0.median, "rel_error": err0}))
                rows.append(ratio_row(f"K={K} {name}", "K-1 derivatives / Fourier", t0.median / t.median))
    rows += _long_run_rows(quick)
    return rows


def _long_run_rows(quick: bool) -> list[Row]:
    K, t_end = (63, 4000.0) if quick else (255, 6000.0)
    rows = []
    for sigma in (2.7, 2.2, 1.7):
        model = neg.FootlooseEntrepreneur(sigma, 0.4, phi=0.9, geography=neg.Geography.racetrack(K))
        rng = np.random.default_rng(int(sigma * 10))
        lam0 = np.full(K, 1.0 / K) * (1 + 0.01 * rng.uniform(-1, 1, K))
        lam0 /= lam0.sum()
        def ours(model=model, lam0=lam0):
            return neg.long_run(model, lam0=lam0)

        def theirs(model=model, lam0=lam0):
            return neg.simulate(model, {}, lam0=lam0, t_end=t_end, steps=int(t_end / 0.2))

        t_l, eq = time_call(ours, repeats=1, warmup=False)
        t_s, ds = time_call(theirs, repeats=1, warmup=False)
        end = ds.lam.isel(time=-1).values
        same = bool(np.array_equal(np.flatnonzero(eq.lam > 1e-2), np.flatnonzero(end > 1e-2)))
        case = f"K={K} FE sigma={sigma}"
        rows.append(Row(case, "long_run vs simulate",
                        f"{fmt_time(t_l.median)} vs {fmt_time(t_s.median)}, "
                        f"{np.count_nonzero(eq.lam > 1e-2)} cities, same: {same}, "
                        f"max diff {np.abs(eq.lam - end).max():.0e}",
                        data={"long_run_s": t_l.median, "simulate_s": t_s.median, "same_cities": same,
                              "max_diff": float(np.abs(eq.lam - end).max())}))
        rows.append(ratio_row(case, "simulate / long_run", t_s.median / t_l.median))
    return rows
