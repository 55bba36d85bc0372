"""The long-run state space: one or more groups, each a simplex of shares.

Most models have one group: the shares of the mobile factor over the K regions. Others have
several (workers choosing between manufacturing and agriculture in each region, firms choosing
a headquarters-plant pair, ...): a model declares the group sizes with ``state_groups()`` and
the state ``lam`` is the concatenation of the groups' share vectors, each summing to 1. Within a
group the replicator moves mass towards the above-average payoff:

    d lam_i / dt = lam_i (omega_i - omega_bar_g(i)),   omega_bar_g = sum_{j in g} lam_j omega_j.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["StateSpace", "payoff_scale"]


@njit(cache=True)
def _share_problem(lam, sizes):
    """0 if every row of lam (rows, n) holds groups of shares in [0, 1] summing to 1 (to 1e-9);
    1 if a share is not finite or outside [0, 1]; 2 if a group does not sum to 1. One pass:
    a batch validates many thousand states."""
    for r in range(lam.shape[0]):
        start = 0
        for size in sizes:
            total = 0.0
            for i in range(start, start + size):
                v = lam[r, i]
                if not (0.0 <= v <= 1.0):  # also NaN
                    return 1
                total += v
            if abs(total - 1.0) > 1e-9:
                return 2
            start += size
    return 0


def payoff_scale(payoff: np.ndarray) -> float:
    """max |payoff| over the finite entries (the scale of relative payoff gaps)."""
    finite = np.abs(payoff[np.isfinite(payoff)])
    return max(float(finite.max()) if finite.size else 0.0, 1e-300)


class StateSpace:
    """Group structure of a model's long-run state (see the module docstring)."""

    def __init__(self, sizes, caps=None):
        self.sizes = tuple(int(s) for s in sizes)
        if not self.sizes or min(self.sizes) < 1:
            raise ValueError(f"state groups: need at least one group of size >= 1, got {self.sizes}")
        self.n = sum(self.sizes)
        self.G = len(self.sizes)
        self.gid = np.repeat(np.arange(self.G), self.sizes)
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)[:-1]])
        self.caps = None if caps is None else np.asarray(caps, dtype=float)
        if self.caps is not None and np.any(self.group_sums(self.caps) < 1.0 - 1e-12):
            raise ValueError("share_cap: the caps of a group sum to less than 1, so no distribution "
                             "satisfies them")

    @classmethod
    def of(cls, model) -> StateSpace:
        """The model's state space (cached on the immutable model)."""
        space = model.__dict__.get("_state_space")
        if space is None:
            space = model.__dict__["_state_space"] = cls(model.state_groups(), model.share_caps())
        return space

    def at_cap(self, lam: np.ndarray) -> np.ndarray:
        """Components held at their upper bound (development zones)."""
        if self.caps is None:
            return np.zeros(lam.size, dtype=bool)
        return (self.caps < 1.0) & (lam >= self.caps - 1e-12)  # includes prohibited (cap 0) zones

    def project(self, lam: np.ndarray) -> np.ndarray:
        """Clip shares to their caps, handing the excess to the other components of the group in
        proportion to their shares (water-filling); without caps, just renormalise."""
        lam = self.normalise(np.asarray(lam, dtype=float))
        if self.caps is None:
            return lam
        for _ in range(self.n + 1):
            over = lam > self.caps + 1e-15
            if not np.any(over):
                break
            excess = self.group_sums(np.where(over, lam - self.caps, 0.0))
            lam = np.where(over, self.caps, lam)
            room = (lam < self.caps - 1e-15) & ~over
            weight = np.where(room, np.maximum(lam, 1e-300), 0.0)
            wsum = self.group_sums(weight)
            share = weight / np.where(wsum > 0, wsum, 1.0)[self.gid]
            lam = lam + np.where(room, share * excess[self.gid], 0.0)
        return lam

    # -- sums and means per group
    def group_sums(self, v: np.ndarray) -> np.ndarray:
        return np.bincount(self.gid, weights=v, minlength=self.G)

    def normalise(self, lam: np.ndarray) -> np.ndarray:
        return lam / self.group_sums(lam)[self.gid]

    def means(self, lam: np.ndarray, payoff: np.ndarray) -> np.ndarray:
        """omega_bar of each component's group (per component). Empty components do not count,
        even with an infinite payoff (e.g. free housing in an empty region)."""
        free = (lam > 0) & ~self.at_cap(lam)
        if not np.all(self.group_sums(free.astype(float)) > 0):
            free = lam > 0  # every occupied component of some group is at its cap
        weighted = np.zeros_like(lam)
        weighted[free] = lam[free] * payoff[free]
        return (self.group_sums(weighted) / self.group_sums(np.where(free, lam, 0.0)))[self.gid]

    def deviation(self, lam: np.ndarray, payoff: np.ndarray) -> np.ndarray:
        return payoff - self.means(lam, payoff)

    def gap(self, lam: np.ndarray, payoff: np.ndarray) -> float:
        """max over occupied |omega_i - omega_bar_g|, over empty (omega_i - omega_bar_g)^+ and
        over components at their cap (omega_bar_g - omega_i)^+, relative to max |omega|
        (omega_bar_g: the mean over the group's occupied components below their caps)."""
        dev = self.deviation(lam, payoff)
        capped = self.at_cap(lam)
        occ = (lam > 0) & ~capped
        empty = (lam <= 0) & ~capped
        gap = max(np.max(np.abs(dev[occ]), initial=0.0), np.max(dev[empty], initial=0.0),
                  np.max(-dev[capped & (lam > 0)], initial=0.0))  # a capped region may pay more
        return gap / payoff_scale(payoff[lam > 0])

    # -- special states
    def uniform(self) -> np.ndarray:
        return 1.0 / np.asarray(self.sizes, dtype=float)[self.gid]

    def perturbed(self, lam: np.ndarray, size: float = 0.05, seed: int = 20260) -> np.ndarray:
        u = np.random.default_rng(seed).uniform(-1.0, 1.0, self.n)
        return self.project(lam * (1.0 + size * u))

    def validate(self, lam, name: str = "lam") -> np.ndarray:
        lam = np.array(lam, dtype=np.float64)
        if lam.shape[-1] != self.n:
            raise ValueError(f"{name}: expected {self.n} shares along the last axis, got shape {lam.shape}")
        problem = _share_problem(lam.reshape(-1, self.n), np.asarray(self.sizes, dtype=np.int64))
        if problem == 1:
            raise ValueError(f"{name}: shares must be finite and lie in [0, 1]")
        if problem == 2:
            what = "along the region axis" if self.G == 1 else "within each group"
            raise ValueError(f"{name}: shares must sum to 1 {what}")
        return lam

    # -- bases of the face of the product of simplices spanned by the support of lam
    def tangent_basis(self, support: np.ndarray) -> np.ndarray:
        """Orthonormal basis (n, d) of the directions that keep every group's sum and stay on
        the face ``support`` (a boolean mask)."""
        cols = []
        for g in range(self.G):
            S = np.flatnonzero(support & (self.gid == g))
            if S.size < 2:
                continue
            q, _ = np.linalg.qr((np.eye(S.size) - 1.0 / S.size)[:, : S.size - 1])
            block = np.zeros((self.n, S.size - 1))
            block[S] = q
            cols.append(block)
        return np.hstack(cols) if cols else np.zeros((self.n, 0))

    def free_basis(self, support: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Coordinates for Newton / continuation on a face: directions e_i - e_last(g) for every
        occupied i but the last of its group. Returns (B (n, d), rows i, their group's last)."""
        rows, lasts = [], []
        for g in range(self.G):
            S = np.flatnonzero(support & (self.gid == g))
            rows.extend(S[:-1])
            lasts.extend([S[-1]] * (S.size - 1))
        rows, lasts = np.asarray(rows, dtype=int), np.asarray(lasts, dtype=int)
        B = np.zeros((self.n, rows.size))
        B[rows, np.arange(rows.size)] = 1.0
        B[lasts, np.arange(rows.size)] = -1.0
        return B, rows, lasts
