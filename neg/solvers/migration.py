"""The migration flows that :func:`neg.simulate` integrates (replicator and logit, with a
migration cost and share caps; the equations are in :mod:`neg.solvers.simulate`), and the face of
the state space a replicator run moves on (log coordinates of its moving shares)."""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from neg.solvers.fixed_point import short_run
from neg.solvers.schedule import ParameterPaths
from neg.state import StateSpace


class _IntegrationFailed(RuntimeError):
    pass


class _Rule:
    """The migration rule (replicator or logit, speed, dispersion eta, migration cost c) on a
    state space: the growth rates and logit inflows of :mod:`neg.solvers.simulate`, given the
    payoffs, and :meth:`period`, one period of the dynamics at fixed payoffs."""

    def __init__(self, space: StateSpace, dynamics, speed, eta, cost):
        self.space = space
        self.dynamics = dynamics
        self.speed = speed
        self.eta = eta
        self.cost = cost

    def period(self, lam: np.ndarray, w: np.ndarray) -> np.ndarray:
        """The state after one period (unit time) of the dynamics with the payoffs held at ``w``
        (those of the short run at the period's start):

        * replicator: lam_i' proportional to lam_i exp(speed g_i) within each group, g the gains
          of :meth:`gains` (all components free): the exact solution of d log lam_i/dt =
          speed (g_i - gbar) over unit time when g is constant (c = 0); empty components stay
          empty; shares above a cap are clipped to it, the excess going to the rest of the group
          in proportion (:meth:`StateSpace.project`).
        * logit: lam' = lam + (1 - exp(-speed)) (inflow(lam) - lam): the exact solution over unit
          time of d lam/dt = speed (p - lam) for fixed choice probabilities p (c = 0), a convex
          combination of two points within the caps (so within them).

        ``speed = 0`` returns ``lam`` unchanged (bit for bit). ``lam`` and ``w`` may be stacks
        (n, N) of states and their payoffs (one period of each).
        """
        if self.speed == 0:
            return lam
        sp = self.space
        if lam.ndim > 1 and (self.dynamics == "logit" or sp.caps is not None):
            return np.stack([self.period(row, wr) for row, wr in zip(lam, w, strict=True)])
        if self.dynamics == "logit":
            return lam + (-np.expm1(-self.speed)) * (self._logit_inflow(lam, w) - lam)
        free = lam > 0
        g = self.gains(lam, np.where(free, w, 0.0), free, np.zeros_like(free))
        z = np.where(free, self.speed * g, -np.inf)
        out = np.zeros_like(lam)
        for s, k in zip(sp.starts, sp.sizes, strict=True):  # lam exp(z) normalised per group
            zg, fg = z[..., s:s + k], free[..., s:s + k]
            with np.errstate(invalid="ignore"):
                e = np.where(fg, lam[..., s:s + k] * np.exp(zg - zg.max(axis=-1, keepdims=True)), 0.0)
            out[..., s:s + k] = e / e.sum(axis=-1, keepdims=True)
        return out if sp.caps is None else sp.project(out)

    def gains(self, lam, w, free, frozen):
        """Replicator growth rates (payoff units, before ``speed``) of every component as if it
        were free: g_i = h_i - hbar_g(i), h = d or its part beyond the migration cost,
        d_i = omega_i - omega_bar_g(i); means over the group's free components (occupied, not
        frozen at a cap), weighted by their shares. Only the free components' and the frozen
        ones' rates are meaningful (empty components may have infinite payoffs)."""
        lf = np.where(free, lam, 0.0)
        d = w - self._mean(lf, w, free, frozen)
        if self.cost > 0:
            d = np.sign(d) * np.maximum(np.abs(d) - self.cost, 0.0)
            d = d - self._mean(lf, d, free, frozen)
        return d

    def _mean(self, lf, v, free, frozen):
        """Per component: the lf-weighted mean of v over the free components of its group (the
        free shares sum to 1 unless some are frozen: then divide by their mass)."""
        sp = self.space
        vf = np.where(free, v, 0.0)
        if lf.ndim > 1:  # a stack of states (n, N): no frozen components (period)
            total = np.stack([np.sum((lf * vf)[:, s:s + k], axis=1)
                              for s, k in zip(sp.starts, sp.sizes, strict=True)], axis=1)
            return total[:, sp.gid]
        if sp.G == 1:  # the one-group arithmetic of the original replicator
            total = lf @ vf
            return total / lf.sum() if np.any(frozen) and lf.sum() > 0 else total
        total = sp.group_sums(lf * vf)
        if np.any(frozen):
            mass = sp.group_sums(lf)
            total = total / np.where(mass > 0, mass, 1.0)
        return total[sp.gid]

    def _logit_inflow(self, lam, w):
        """sum_j lam_j P_ji within each group: the logit choice probabilities p (no cost) or the
        movers' inflow; with share caps, the choices that would overfill a capped component go to
        the others of its group in proportion (StateSpace.project: the logit among the choices
        with room)."""
        sp = self.space
        z = w / self.eta
        if self.cost == 0:
            if sp.G == 1:
                inflow = np.exp(z - logsumexp(z))
            else:
                zmax = np.full(sp.G, -np.inf)
                np.maximum.at(zmax, sp.gid, z)
                e = np.exp(z - zmax[sp.gid])
                inflow = e / sp.group_sums(e)[sp.gid]
        else:
            inflow = np.empty_like(lam)
            for s, k in zip(sp.starts, sp.sizes, strict=True):
                zg = z[s:s + k]
                # row j: choices of movers from j
                Z = zg[None, :] - (self.cost / self.eta) * (1.0 - np.eye(k))
                inflow[s:s + k] = lam[s:s + k] @ np.exp(Z - logsumexp(Z, axis=1, keepdims=True))
        return inflow if sp.caps is None else sp.project(inflow)


class _Flow(_Rule):
    """Right-hand sides of the migration dynamics, with warm-started short runs."""

    def __init__(self, params: ParameterPaths, space: StateSpace, dynamics, speed, eta, cost, opts):
        super().__init__(space, dynamics, speed, eta, cost)
        self.params = params
        self.opts = opts
        self.state = None
        self.solves = 0
        self.rhs_evals = 0
        self._last = None  # (key, payoff) of the last right-hand side / event evaluation

    def short_run(self, t, lam, left=False):
        model = self.params.model_at(t, left)
        x0 = self.state
        if x0 is not None and x0.shape != model.initial_state(lam).shape:
            x0 = None
        sr = short_run(model, lam, x0=x0, options=self.opts)
        self.solves += 1
        if not np.all(np.isfinite(sr.payoff)) and x0 is not None:  # bad warm start: cold restart
            sr = short_run(model, lam, options=self.opts)
            self.solves += 1
        if np.all(np.isfinite(sr.state)) and sr.converged:
            self.state = sr.state
        return sr

    def payoff(self, t, lam, segment, occupied_only=False):
        a, b = segment
        t = min(max(t, a), b)
        left = t >= b and t > a
        # with caps, the release events ask for the payoff where the flow just did: reuse it
        key = (t, left, lam.tobytes()) if self.space.caps is not None else None
        if key is not None and self._last is not None and self._last[0] == key:
            return self._last[1]
        w = self.short_run(t, lam, left=left).payoff
        bad = ~np.isfinite(w)
        if occupied_only:  # the replicator never uses an empty component's payoff
            bad &= lam > 0
        if np.any(bad):
            raise _IntegrationFailed(f"short run gave non-finite payoffs at t = {t:g}")
        self._last = (key, w)
        return w

    def dlog(self, t, y, face, segment):
        """Replicator: d y/dt on the free components, y = log lam (up to a constant per group);
        inside the schedule segment (a, b) the parameters are those of the segment (left limit
        at b). Components alone in their group (the others empty or frozen) do not move."""
        self.rhs_evals += 1
        lam = face.to_lam(y)
        g = self.gains(lam, self.payoff(t, lam, segment, occupied_only=True), face.free,
                       face.frozen)
        return self.speed * np.where(face.moving, g, 0.0)[face.idx]

    def dlin(self, t, u, segment):
        """Logit: d lam/dt = speed (inflow - lam) in the shares themselves (a relaxation towards
        interior choice probabilities; round-off below 0 is clipped for the short run)."""
        self.rhs_evals += 1
        lam = _onto(self.space, np.maximum(u, 0.0))
        return self.speed * (self._logit_inflow(lam, self.payoff(t, lam, segment)) - u)


class _Face:
    """Replicator coordinates on a face of the state space: y = log lam of the free components
    (occupied, not frozen at a cap); frozen components sit at their caps, empty ones at 0, and
    each group's free components share what its frozen ones leave (a softmax per group)."""

    def __init__(self, space: StateSpace, lam, frozen, releasable, delta):
        self.space = space
        self.frozen = frozen
        self.releasable = releasable  # frozen components whose group has free ones
        self.delta = delta  # release threshold on the gain (payoff units)
        self.free = (lam > 0) & ~frozen
        self.idx = np.flatnonzero(self.free)
        self.g = space.gid[self.idx]
        n_free = space.group_sums(self.free.astype(float))
        self.moving = self.free & (n_free[space.gid] >= 2)
        self.base = np.where(frozen, lam, 0.0)
        self.mass = 1.0 - space.group_sums(self.base)  # free mass of each group
        self.y0 = np.log(lam[self.idx])
        self.mov = self.moving[self.idx]  # positions in y of the moving components
        caps = space.caps
        self.capped_mov = self.mov & (caps[self.idx] < 1.0) if caps is not None else self.mov & False
        self.log_cap = np.log(caps[self.idx]) if caps is not None else np.zeros(self.idx.size)

    def _softmax(self, y):
        G = self.space.G
        if G == 1:
            ymax = np.max(y, initial=-np.inf)
            e = np.exp(y - ymax)
            return np.array([ymax]), e, np.array([e.sum()])
        ymax = np.full(G, -np.inf)
        np.maximum.at(ymax, self.g, y)
        e = np.exp(y - ymax[self.g])
        s = np.bincount(self.g, weights=e, minlength=G)
        return ymax, e, s

    def to_lam(self, y):
        _, e, s = self._softmax(y)
        lam = self.base.copy()
        lam[self.idx] = e / s[self.g] * self.mass[self.g]
        return lam

    def log_shares(self, y):
        """log lam of the free components."""
        if self.space.G == 1:
            with np.errstate(divide="ignore"):
                return y - logsumexp(y) + np.log(self.mass[0])
        ymax, _, s = self._softmax(y)
        with np.errstate(divide="ignore"):
            return y - (ymax + np.log(s))[self.g] + np.log(self.mass)[self.g]


def _onto(space: StateSpace, lam: np.ndarray) -> np.ndarray:
    """Each group renormalised to sum to 1, then the share caps enforced (StateSpace.project)."""
    if space.caps is not None:
        return space.project(lam)
    return lam / lam.sum() if space.G == 1 else space.normalise(lam)


def _settle(space: StateSpace, lam: np.ndarray, frozen: np.ndarray) -> None:
    """In place: frozen components exactly at their caps, each group's free components rescaled
    to fill the rest of the group."""
    if not np.any(frozen):
        return
    lam[frozen] = space.caps[frozen]
    free = (lam > 0) & ~frozen
    have = space.group_sums(np.where(free, lam, 0.0))
    want = 1.0 - space.group_sums(np.where(frozen, lam, 0.0))
    scale = np.where(have > 0, want / np.where(have > 0, have, 1.0), 1.0)
    lam[free] *= scale[space.gid][free]
