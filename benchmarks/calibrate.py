"""Calibration: neg.calibrate vs the damped inversion of the quantitative-spatial toolkits.

Problem: Helpman's model (sigma=5, mu=0.75, local rents, uniform housing) on K random points
in a 4 x 3 rectangle (1000 km units: China's extent), freeness phi per 1000 km; observed
population shares lam (Dirichlet(5)) and GDP (log-normal), seeded. Recover productivities and
amenities so that both are matched.

Baseline (what the toolkits do, e.g. Redding & Rossi-Hansberg's and ARSW's replication code):
with wages from the data, iterate the market-clearing condition for the productivities,
a <- (1 - 0.25) a + 0.25 E / Phi (Y / Phi^T a) (a = lam c w^(1-s), geometric mean 1), until the
largest relative change of a is below the tolerance (1e-6, and also 1e-10), at most 2,000
iterations; then amenities from the payoffs. Written with dense matrix-vector products (numpy /
BLAS), the same products neg uses, so the ratio measures the algorithm, not the language.

neg: neg.calibrate(model, lam, gdp=gdp, stability=False, check_unique=False): Anderson-
accelerated symmetric matrix scaling to 1e-12 (in logs) plus one short run at the data, whose
wages it knows (validation and the fit included). Reported: median times, the ratio, the
iterations, each method's error against neg's solution, and the largest ratio over the freeness
values (the toolkits' damped scheme slows down as trade gets costlier).
"""

from __future__ import annotations

import numpy as np

import neg
from benchmarks._report import Row, ratio_row
from benchmarks._timing import fmt_time, time_call

SIGMA, MU, DAMPING, MAX_ITER = 5.0, 0.75, 0.25, 2000
PHIS = (0.05, 0.2, 0.5)


def make_problem(K: int, phi: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(size=(K, 2)) * np.array([4.0, 3.0])
    D = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    model = neg.Helpman(SIGMA, MU, phi=phi, geography=neg.Geography.from_distances(D))
    lam = rng.dirichlet(np.full(K, 5.0))
    gdp = lam * rng.lognormal(0.0, 0.5, K)
    return model, lam, gdp / gdp.sum()


def damped_inversion(Phi, lam, gdp, tol):
    """The toolkits' scheme: returns (productivity (geomean 1), amenity, iterations)."""
    w = gdp / lam
    Y = lam * w / MU
    a = np.ones(lam.size)
    it = 0
    while it < MAX_ITER:
        it += 1
        new = Y / (Phi @ (Y / (Phi.T @ a)))
        new /= np.exp(np.mean(np.log(new)))
        new = (1.0 - DAMPING) * a + DAMPING * new
        change = np.max(np.abs(new / a - 1.0))
        a = new
        if change <= tol:
            break
    c = a / (lam * w ** (1.0 - SIGMA))
    A = c ** (1.0 / (SIGMA - 1.0))
    A /= np.exp(np.mean(np.log(A)))
    G = (Phi.T @ (lam * A ** (SIGMA - 1.0) * w ** (1.0 - SIGMA))) ** (1.0 / (1.0 - SIGMA))
    omega = (w / MU) * G ** (-MU) * ((1.0 - MU) * Y) ** (MU - 1.0)  # uniform housing: a constant
    amenity = 1.0 / omega
    return A, amenity / np.exp(np.mean(np.log(amenity))), it


def run(quick: bool = False) -> list[Row]:
    K = 300 if quick else 3000
    rows = []
    for phi in PHIS:
        model, lam, gdp = make_problem(K, phi)
        Phi = model.freeness_operator.matrix
        case = f"K={K} phi={phi}"
        def ours(model=model, lam=lam, gdp=gdp):
            return neg.calibrate(model, lam, gdp=gdp, stability=False, check_unique=False)

        t_neg, cal = time_call(ours, repeats=5 if quick else 7)
        A = cal.model.productivity
        rows.append(Row(case, "neg.calibrate", f"{fmt_time(t_neg.median)}, {cal.iterations} it, "
                        f"residual {cal.residual:.0e}", data={"median_s": t_neg.median,
                                                              "iterations": cal.iterations,
                                                              "residual": cal.residual}))
        for tol in (1e-6, 1e-10):
            def theirs(tol=tol, Phi=Phi, lam=lam, gdp=gdp):
                return damped_inversion(Phi, lam, gdp, tol)

            t_d, (A_d, _, it_d) = time_call(theirs, repeats=3, budget=60.0)
            err = float(np.max(np.abs(np.log(A_d / A))))
            rows.append(Row(case, f"damped 0.25 to {tol:g}", f"{fmt_time(t_d.median)}, {it_d} it, "
                            f"error {err:.0e}", data={"median_s": t_d.median, "iterations": it_d,
                                                      "error": err}))
            rows.append(ratio_row(case, f"damped to {tol:g} / neg", t_d.median / t_neg.median,
                                  ">= 20" if tol == 1e-6 else ""))
    return rows


__all__ = ["run", "make_problem", "damped_inversion"]
