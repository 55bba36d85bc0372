"""Bifurcation diagrams: the two-region CP tomahawk and a racetrack K = 16 diagram.

Reports wall time (median over repeats, after one warm-up call), the number of short-run solves
each diagram used, how many branches and special points it found, and the accuracy of the
special points against the closed forms (two regions) and neg.break_point (racetrack).
"""

from __future__ import annotations

import numpy as np

import neg
from benchmarks._report import Row
from benchmarks._timing import fmt_time, time_call

SIGMA, MU = 5.0, 0.4


def _closed_forms():
    from scipy.optimize import brentq

    rho = (SIGMA - 1) / SIGMA
    phi_b = (rho - MU) * (1 - MU) / ((rho + MU) * (1 + MU))
    a = MU * SIGMA / (SIGMA - 1)
    phi_s = brentq(lambda p: p**a * ((1 + MU) / 2 * p + (1 - MU) / (2 * p)) - 1, 1e-9, 1 - 1e-12,
                   xtol=1e-16, rtol=1e-15)
    return phi_b, phi_s


def _diagram_row(case, what, timing, ds, extra=""):
    return Row(case, what,
               f"{fmt_time(timing.median)}, {ds.attrs['short_run_solves']} short runs, "
               f"{ds.sizes['branch']} branches, {ds.sizes['special']} special points{extra}",
               data={"timing": timing.as_dict(), "short_run_solves": ds.attrs["short_run_solves"],
                     "branches": ds.sizes["branch"], "specials": ds.sizes["special"]})


def run(quick: bool = False) -> list[Row]:
    rows = []
    phi_b, phi_s = _closed_forms()
    two = neg.CorePeriphery(SIGMA, MU, phi=0.3)
    timing, ds = time_call(lambda: neg.bifurcation_diagram(two, "phi", 0.05, 0.5), repeats=3)
    kinds, values = ds.special_kind.values, ds.special_value.values
    err_b = abs(values[kinds == "branch"][0] - phi_b)
    err_s = float(np.max(np.abs(values[kinds == "corner"] - phi_s)))
    rows.append(_diagram_row("K=2", "tomahawk, phi in [0.05, 0.5]", timing, ds,
                             f"; |break - closed form| {err_b:.1e}, |sustain - closed form| {err_s:.1e}"))
    K = 8 if quick else 16
    ring = neg.CorePeriphery(SIGMA, MU, phi=0.3, geography=neg.Geography.racetrack(K))
    timing, ds = time_call(lambda: neg.bifurcation_diagram(ring, "phi", 0.04, 0.9), repeats=1,
                           warmup=False)
    kinds, values, lam = ds.special_kind.values, ds.special_value.values, ds.special_lam.values
    first = min(v for k, v, l in zip(kinds, values, lam, strict=True)
                if k == "branch" and np.allclose(l, 1.0 / K))
    err = abs(first - neg.break_point(ring))
    rows.append(_diagram_row(f"K={K}", "racetrack, phi in [0.04, 0.9]", timing, ds,
                             f"; first break {first:.10f}, |first - break_point| {err:.1e}"))
    return rows
