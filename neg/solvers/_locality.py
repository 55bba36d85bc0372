"""The order in which :func:`neg.short_run_batch` solves its points: a path on which
consecutive points are close (each warm-starts the next)."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["locality_order"]


def locality_order(features: np.ndarray) -> np.ndarray:
    """An order of the points (rows of ``features``, n x d) in which consecutive points are
    close: the boustrophedon ("snake") path through a grid over the leading (at most three)
    principal axes of the min-max scaled features, finest along the last axis. Deterministic;
    the identity when nothing varies or when d > 64 (too many inputs to be worth it)."""
    return _path(features)[0]


def _path(features: np.ndarray):
    """:func:`locality_order` and the points' coordinates (n, <= 3) it was computed from."""
    f = _unit_scaled(np.ascontiguousarray(np.asarray(features, dtype=float).T))  # (d, n)
    n = f.shape[1]
    if f.shape[0] == 0 or f.shape[0] > 64 or n < 3:
        return np.arange(n), np.zeros((n, 0))
    if f.shape[0] > 1:  # leading principal axes, if the inputs are many or nearly collinear
        mean = f.mean(axis=1)
        val, vec = np.linalg.eigh(f @ f.T / n - np.outer(mean, mean))
        if f.shape[0] > 3 or val[0] < 0.05 * val[-1]:
            k = min(3, int(np.sum(val > 1e-12 * val[-1])))
            f = _unit_scaled(vec[:, ::-1][:, :k].T @ (f - mean[:, None]))
    order = _snake_order(np.ascontiguousarray(f), max(1, round(n ** (1.0 / f.shape[0]))))
    return order, np.ascontiguousarray(f.T)


def _unit_scaled(f: np.ndarray) -> np.ndarray:
    """The rows of f (d, n) that vary, scaled to [0, 1]."""
    lo, hi = f.min(axis=1), f.max(axis=1)
    keep = hi > lo
    return (f[keep] - lo[keep, None]) / (hi - lo)[keep, None]


@njit(cache=True)
def _snake_order(f, bins):
    """The snake path through ``bins`` cells per axis of the points f (d, n) in [0, 1]: by cell
    along the coarse axes, the direction along each axis flipping with the cells of the
    coarser ones, then along the last axis (ties keep the input order). A counting sort into
    about n buckets, then an insertion sort of the nearly sorted result: O(n) unless the points
    crowd into few buckets, which get a quicksort."""
    d, n = f.shape
    coarse = bins ** (d - 1)
    fine = max(1, -(-n // coarse))
    key = np.empty(n)  # cell along the coarse axes + position in [0, 1) along the last
    bucket = np.empty(n, dtype=np.int64)
    for p in range(n):
        k, parity = 0, 0
        for a in range(d - 1):
            c = min(int(f[a, p] * bins), bins - 1)
            k = k * bins + (bins - 1 - c if parity % 2 == 1 else c)
            parity += c
        last = min(1.0 - f[d - 1, p] if parity % 2 == 1 else f[d - 1, p], 1.0 - 1e-12)
        key[p] = k + last
        bucket[p] = k * fine + min(int(last * fine), fine - 1)
    start = np.zeros(coarse * fine + 1, dtype=np.int64)
    for p in range(n):
        start[bucket[p] + 1] += 1
    if start.max() > 64:  # crowded buckets: sort the keys instead
        return np.argsort(key)
    for b in range(coarse * fine):
        start[b + 1] += start[b]
    order = np.empty(n, dtype=np.int64)
    for p in range(n):
        order[start[bucket[p]]] = p
        start[bucket[p]] += 1
    for i in range(1, n):  # within buckets (a few points each)
        p = order[i]
        j = i - 1
        while j >= 0 and key[order[j]] > key[p]:
            order[j + 1] = order[j]
            j -= 1
        order[j + 1] = p
    return order
