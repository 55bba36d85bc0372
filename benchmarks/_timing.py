"""Shared timing helpers.

The benchmark machine is shared and noisy, so every number is the MEDIAN over repeats, and
speed claims are RATIOS against baselines timed in the same run.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass


@dataclass
class Timing:
    """Seconds per call: one entry per sample (a sample may average several calls)."""

    times: list[float]
    number: int = 1  # calls averaged per sample

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def as_dict(self) -> dict:
        return {"median_s": self.median, "samples_s": self.times, "calls_per_sample": self.number}


class TooSlow(Exception):
    """Raised by a baseline that would exceed its time budget; carries an estimate (or a bound)."""

    def __init__(self, estimate_s: float, exact: bool = True):
        super().__init__(estimate_s)
        self.estimate_s = estimate_s
        self.exact = exact  # False: estimate_s is only a lower bound

    def describe(self) -> str:
        prefix = "est." if self.exact else "est. >"
        return f"skipped ({prefix} {fmt_time(self.estimate_s)})"


def time_call(fn, *, repeats: int = 5, budget: float = 20.0, warmup: bool = True):
    """Time ``fn()`` and return ``(Timing, result of the last call)``.

    Takes ``repeats`` samples, but stops early (after at least one) once ``budget`` seconds
    have been spent. With ``warmup`` an untimed call comes first; calls shorter than ~5 ms are
    then repeated inside each sample so that a sample lasts about 5 ms.
    """
    number = 1
    if warmup:
        t0 = time.perf_counter()
        fn()
        first = time.perf_counter() - t0
        number = max(1, min(1000, int(0.005 / max(first, 1e-7))))
    times = []
    spent = 0.0
    result = None
    while len(times) < repeats and (not times or spent < budget):
        t0 = time.perf_counter()
        for _ in range(number):
            result = fn()
        dt = time.perf_counter() - t0
        spent += dt
        times.append(dt / number)
    return Timing(times, number), result


def fmt_time(seconds: float) -> str:
    """Seconds as a short human-readable string (ns ... s)."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"
