"""Every branch of equilibria as a parameter moves.

:func:`bifurcation_diagram` draws every branch of equilibria, stable and unstable, by
pseudo-arclength continuation (Keller 1977; Allgower & Georg 2003, ch. 2) on the faces of the
simplex, with the special points located by a root-finder:

  ``"branch"``  a bifurcation on a branch (an eigenvalue of the migration dynamics crosses zero
                without a fold: e.g. the break point, where the uniform distribution loses
                stability); new branches are started there along the critical eigenvector;
  ``"fold"``    a limit point of a branch (the branch turns back in the parameter);
  ``"corner"``  a branch meets the boundary of the simplex (a share reaches 0) or an empty
                region's payoff reaches the average (an agglomerated pattern gains or loses
                equilibrium status, e.g. the sustain point); the branch continues on the
                adjacent face.

Equilibria on the face S (the occupied regions) solve G(y, p) = (omega_i - omega_last)_{i in S} = 0,
with y the shares of all but the last region of S (:mod:`neg.solvers._face`). Jacobians are
central differences of warm-started short runs. Works for any model through the generic solver
interface. :func:`neg.trace` (in :mod:`neg.solvers.continuation`, which re-exports this function)
follows the stable state only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import xarray as xr
from scipy.optimize import brentq

from neg.options import Options, option
from neg.progress import Ticker
from neg.solvers._face import (
    TIGHT,
    Face,
    Lost,
    branch_tangent,
    checked_jacobian,
    correct,
    count_pos,
    leading,
    null_vector,
    orthonormal,
    point_data,
)
from neg.solvers._output import dim_name, model_attrs, state_dim
from neg.solvers.bifurcation import _corner_advantage, _is_vertex_transitive
from neg.solvers.fixed_point import short_run, short_run_count
from neg.solvers.long_run import long_run
from neg.state import StateSpace
from neg.variables import attrs, parameter_attrs

__all__ = ["bifurcation_diagram", "DiagramOptions"]


@dataclass(frozen=True)
class DiagramOptions(Options):
    """Settings of :func:`bifurcation_diagram` (its short runs use fixed tight tolerances)."""

    algorithm: ClassVar[str] = "bifurcation_diagram"

    ds: float = option(0.01, "pos_number",
                       help="initial arclength step, in shares and (p - lo)/(hi - lo)")
    ds_max: float = option(0.05, "pos_number", help="largest arclength step")
    max_points: int = option(500, "pos_int", help="cap on the points of one branch")
    max_branches: int = option(40, "pos_int", help="cap on the number of branches")
    max_depth: int = option(1, "nonneg_int",
                            help="generations of branches started at branch points")
    n_grid: int = option(61, "pos_int", bounds=(2, math.inf),
                         help="grid of the parameter on which corner branches are sought")


# ----------------------------------------------------------------------------- diagram
@dataclass
class _Branch:
    support: tuple[int, ...]
    kind: str
    p: list = field(default_factory=list)
    lam: list = field(default_factory=list)
    stable: list = field(default_factory=list)
    stalled: bool = False
    lost: str = ""  # why the branch could not be followed to its end ("" if it was)


@dataclass
class _Special:
    kind: str
    value: float
    lam: np.ndarray
    branch: int


class _Diagram:
    def __init__(self, model, param, lo, hi, ds0, ds_max, max_points, max_branches, max_depth):
        self.model, self.param, self.lo, self.hi = model, param, lo, hi
        self.ds0, self.ds_max, self.max_points = ds0, ds_max, max_points
        self.max_branches, self.max_depth = max_branches, max_depth
        self.branches: list[_Branch] = []
        self.specials: list[_Special] = []
        self.ticker = Ticker("bifurcation_diagram", None, "branch(es)")
        self.queue: list = []
        self.covered: set = set()

    # -- bookkeeping
    def _key(self, lam, p, support):
        return (round(float(p), 7), tuple(np.round(lam, 5)), tuple(support))

    def add_special(self, kind, p, lam, branch):
        for s in self.specials:
            if s.kind == kind and abs(s.value - p) < 1e-8 and np.max(np.abs(s.lam - lam)) < 1e-6:
                return
        self.specials.append(_Special(kind, float(p), np.asarray(lam, dtype=float), branch))

    def face(self, support):
        return Face(self.model, self.param, support, self.lo, self.hi)

    def lost_branch(self, support, kind: str, reason: str) -> None:
        """Record a branch that could not even be started (no points), flagged ``lost``."""
        if len(self.branches) < self.max_branches:
            self.branches.append(_Branch(tuple(int(s) for s in support), kind, lost=reason))

    # -- continuation of one branch
    def run_branch(self, support, u0, t0, kind, depth, origin=None):
        """Continue from u0 along t0 until the range ends or the branch meets a corner.
        ``origin``: a point (e.g. the branch point it left) recorded first. Where the branch
        cannot be followed (a point that cannot be corrected onto it, a special point that
        cannot be located, non-finite payoffs), it is kept up to there and ``lost`` says why."""
        if len(self.branches) >= self.max_branches:
            return
        br = _Branch(tuple(int(s) for s in support), kind)
        b_id = len(self.branches)
        self.branches.append(br)
        try:
            self._follow(br, b_id, u0, t0, depth, origin)
        except Lost as e:
            br.lost = str(e)
        except (np.linalg.LinAlgError, FloatingPointError) as e:
            p = br.p[-1] if br.p else self.face(support).p(u0)
            br.lost = (f"following the {kind} branch on the face of regions {list(br.support)} "
                       f"from {self.param}={p:.6g}: {e}")

    def _follow(self, br, b_id, u0, t0, depth, origin):
        support = br.support
        face = self.face(support)
        if origin is not None:
            self._record(br, *point_data(face, origin)[:4])
        self.covered.add(self._key(face.lam(u0), face.p(u0), support))
        u = correct(face, u0, t0) if face.rows.size else u0
        if u is None:
            u = u0
        J = checked_jacobian(face, u, f"starting the {br.kind} branch") if face.rows.size else None
        t = null_vector(J, t0) if J is not None else t0
        lam, p, eig, excess, empty = point_data(face, u)
        self._record(br, lam, p, eig, excess)
        ds = self.ds0
        history = [u]
        for _ in range(self.max_points):
            u_pred = u + ds * t
            u_new = correct(face, u_pred, t, J)
            if u_new is None or np.linalg.norm(u_new - u) > 3 * ds:
                ds *= 0.5
                if ds < 1e-7:  # e.g. a degenerate point, or no equilibrium can be solved beyond
                    raise Lost(f"following the {br.kind} branch on the face of regions "
                                f"{list(br.support)} beyond {self.param}={face.p(u):.6g}: no point "
                                "on it within an arclength step of 1e-7")
                continue
            lam_n, p_n, eig_n, exc_n, _ = point_data(face, u_new)
            J_n = checked_jacobian(face, u_new, f"following the {br.kind} branch")
            t_n = null_vector(J_n, t)
            # events, in order of precedence
            if np.any(lam_n[face.S] < 0):
                self._hit_boundary(face, br, b_id, u, t, ds, lam_n, depth, u_new)
                return
            if u_new[-1] < 0 or u_new[-1] > 1:
                self._end_at_bound(face, br, u, t, ds, u_new)
                return
            if np.any(exc_n > 0):
                self._lose_corner(face, br, b_id, u, t, ds, exc_n, empty, depth, u_new)
                return
            fold = t_n[-1] * t[-1] < 0 and min(abs(t_n[-1]), abs(t[-1])) > 1e-9
            if fold:
                self._fold(face, br, b_id, u, t, ds)
            n_pos, n_pos_new = count_pos(eig), count_pos(eig_n)
            for index in range(min(n_pos, n_pos_new), max(n_pos, n_pos_new)):  # each crossing
                self._branch_point(face, br, b_id, u, t, ds, index, depth, fold=fold)
            u, t, J, eig = u_new, t_n, J_n, eig_n
            self._record(br, lam_n, p_n, eig_n, exc_n)
            self.ticker.tick(len(self.branches), f"{len(self.queue)} queued, at most {self.max_branches}; "
                                                 f"{self.param}={p_n:.6g} on the {br.kind} branch")
            history.append(u)
            if len(history) > 40 and np.linalg.norm(history[-1] - history[-41]) < 1e-4:
                br.stalled = True  # no progress: a (nearly) degenerate branch; stop here
                # folds and crossings found while crawling are round-off, not structure
                self.specials = [sp for sp in self.specials
                                 if not (sp.branch == b_id and sp.kind in ("fold", "branch"))]
                return
            ds = min(self.ds_max, ds * 1.5)

    def _record(self, br, lam, p, eig, excess):
        br.p.append(p)
        br.lam.append(lam)
        br.stable.append(bool(np.all(np.real(eig) < -1e-12) and np.all(excess < -1e-12)))

    def _along(self, face, u, t, s, J=None):
        return correct(face, u + s * t, t, J)

    def _locate(self, face, u, t, ds, f, what, u_end=None):
        """Root s* in (0, ds) of f(u(s)) and the point u(s*). ``u_end``: the point already
        found at s = ds (the step that crossed the root), used as that end of the bracket.
        Raises Lost, saying what was located where, if f has no finite bracket there."""
        values = {}

        def g(s):
            if s not in values:
                us = u_end if (s == ds and u_end is not None) else self._along(face, u, t, s)
                values[s] = float(f(us)) if us is not None else np.nan
            return values[s]

        def lost(why):
            return Lost(f"locating {what} on the face of regions {face.S.tolist()} between "
                         f"{self.param}={face.p(u):.6g} and {face.p(u + ds * t):.6g}: {why}")

        ga, gb = g(0.0), g(ds)
        if not (np.isfinite(ga) and np.isfinite(gb)):
            raise lost(f"the equilibrium conditions cannot be solved at an end (values {ga}, {gb})")
        if ga * gb > 0:
            raise lost(f"no sign change (values {ga:.3g}, {gb:.3g})")
        try:
            s_star = brentq(g, 0.0, ds, xtol=1e-13, rtol=1e-14, maxiter=100)
        except (ValueError, RuntimeError) as e:
            raise lost(str(e)) from e
        u_s = self._along(face, u, t, s_star)
        if u_s is None:
            raise lost(f"the point found (s={s_star:.3g}) cannot be corrected onto the branch")
        return u_s

    def _hit_boundary(self, face, br, b_id, u, t, ds, lam_n, depth, u_new):
        i = int(face.S[np.argmin(lam_n[face.S])])
        u_s = self._locate(face, u, t, ds, lambda us: face.lam(us)[i],
                           f"the corner where the share of region {i} reaches 0", u_new)
        lam, p, eig, exc, _ = point_data(face, u_s)
        gone = [int(j) for j in face.S if lam[j] <= 1e-9]  # symmetric patterns empty several at once
        lam[gone] = 0.0
        lam = face.space.normalise(lam)
        self._record(br, lam, p, eig, exc)
        self.add_special("corner", p, lam, b_id)
        smaller = tuple(int(s) for s in face.S if s not in gone)
        self.covered.add(self._key(lam, p, tuple(face.S)))
        if self.face(smaller).rows.size:
            self._spawn_face(smaller, lam, p, leaving=gone, depth=depth)

    def _end_at_bound(self, face, br, u, t, ds, u_new):
        q = 0.0 if u_new[-1] < 0 else 1.0
        u_b = self._locate(face, u, t, ds, lambda us: us[-1] - q,
                           f"the end of the range ({self.param}={face.p(np.array([q])):.6g})", u_new)
        lam, p, eig, exc, _ = point_data(face, u_b)
        self._record(br, lam, p, eig, exc)

    def _lose_corner(self, face, br, b_id, u, t, ds, exc_n, empty, depth, u_new):
        k = int(np.argmax(exc_n))
        i = int(empty[k])
        u_s = self._locate(face, u, t, ds, lambda us: point_data(face, us)[3][k],
                           f"the corner where empty region {i}'s payoff reaches the average", u_new)
        lam, p, eig, exc, _ = point_data(face, u_s)
        self._record(br, lam, p, eig, exc)
        self.add_special("corner", p, lam, b_id)
        bigger = tuple(sorted(set(face.S.tolist()) | {i}))
        self._spawn_entering(bigger, lam, p, entering=i, depth=depth)

    def _fold(self, face, br, b_id, u, t, ds):
        def tp(us):
            return null_vector(face.jacobian(us), t)[-1]
        try:
            u_f = self._locate(face, u, t, ds, tp, "a fold")
        except Lost:
            return  # not located: not recorded (the branch itself goes on)
        lam, p, *_ = point_data(face, u_f)
        self.add_special("fold", p, lam, b_id)

    def _branch_point(self, face, br, b_id, u, t, ds, index, depth, fold):
        if fold:
            return  # the eigenvalue crossing is the fold itself
        try:
            u_b = self._locate(face, u, t, ds, lambda us: leading(point_data(face, us)[2], index),
                               "a branch point")
        except Lost:
            return  # not located: not recorded (the branch itself goes on)
        lam, p, eig, *_ = point_data(face, u_b)
        self.add_special("branch", p, lam, b_id)
        if depth >= self.max_depth or face.rows.size == 0:
            return
        J = face.jacobian(u_b)
        _, sv, vt = np.linalg.svd(np.vstack([J, np.zeros(J.shape[1])]))
        null = vt[sv < 1e-6 * max(sv[0], 1.0)]  # scaled G and u: an absolute test is meaningful
        null = null - np.outer(null @ t, t)  # directions other than the branch itself
        basis = orthonormal(null)
        if basis.shape[0] == 0:
            return
        if basis.shape[0] == 1:
            v = basis[0]
        else:  # symmetric degeneracy: the pattern centred on the first region of the face
            g0 = face.space.gid[face.S[0]]
            d_lam = np.zeros(face.n)
            in_g0 = face.S[face.space.gid[face.S] == g0]
            d_lam[in_g0] = -1.0 / in_g0.size
            d_lam[face.S[0]] += 1.0
            d = np.append(d_lam[face.rows], 0.0)
            v = basis.T @ (basis @ d)
            if np.linalg.norm(v) < 1e-12:
                v = basis[0]
        v = v / np.linalg.norm(v)
        for sign in (1.0, -1.0):
            self.queue.append(("switch", tuple(face.S), u_b, sign * v, depth + 1, b_id))

    def _spawn_face(self, support, lam, p, leaving, depth):
        face = self.face(support)
        u = face.u_of(lam, p)
        try:
            t = branch_tangent(face, u, "starting the branch that leaves the corner")
        except Lost as e:
            self.lost_branch(support, "face", str(e))
            return

        def excess(s):
            _, sr = face.solve(u + s * t)
            la = face.lam(u + s * t)
            return np.max(sr.payoff[leaving]) - la @ sr.payoff
        if excess(1e-5) > excess(-1e-5):
            t = -t
        self.queue.append(("start", tuple(support), u, t, depth, None))

    def _spawn_entering(self, support, lam, p, entering, depth):
        key = self._key(lam, p, support)
        if key in self.covered:
            return
        face = self.face(support)
        u = face.u_of(lam, p)
        try:
            t = branch_tangent(face, u, f"starting the branch on which region {entering} enters")
        except Lost as e:
            self.lost_branch(support, "face", str(e))
            return
        dlam = face.lam(u + 1e-6 * t)[entering] - lam[entering]
        if dlam < 0:
            t = -t
        self.queue.append(("start", tuple(support), u, t, depth, None))

    def drain(self):
        while self.queue and len(self.branches) < self.max_branches:
            kind, support, u, t, depth, parent = self.queue.pop(0)
            face = self.face(support)
            lam0 = face.lam(u)
            if kind == "switch":
                u_new = correct(face, u + 1e-3 * t, t)
                if u_new is None or np.any(face.lam(u_new) < 0):
                    continue
                if self._on_existing(face.lam(u_new), face.p(u_new), tol=5e-4, skip=parent):
                    continue
                kind = "secondary" if depth > 1 else "interior"
                try:
                    t_new = branch_tangent(face, u_new, "switching branches at a branch point", t)
                except Lost as e:
                    self.lost_branch(support, kind, str(e))
                    continue
                self.run_branch(support, u_new, t_new, kind, depth, origin=u)
            else:
                key = self._key(lam0, face.p(u), support)
                if key in self.covered and self._on_existing(face.lam(u + 1e-3 * t), face.p(u + 1e-3 * t)):
                    continue
                self.run_branch(support, u, t, "face" if len(support) < face.n else "interior",
                                depth)

    def _on_existing(self, lam, p, tol=2e-3, skip=None):
        q = (p - self.lo) / (self.hi - self.lo)
        for b_id, br in enumerate(self.branches):
            if len(br.p) < 2 or b_id == skip:
                continue
            P = np.column_stack([np.asarray(br.lam), (np.asarray(br.p) - self.lo) / (self.hi - self.lo)])
            x = np.append(lam, q)
            a, b = P[:-1], P[1:]
            ab = b - a
            seg2 = np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-300)
            w = np.clip(np.einsum("ij,ij->i", x - a, ab) / seg2, 0, 1)
            if np.min(np.linalg.norm(a + w[:, None] * ab - x, axis=1)) < tol:
                return True
        return False


def _corner_branches(diag: _Diagram, n_grid: int):
    """Full agglomeration in one region: an equilibrium where no other region pays more."""
    model, param = diag.model, diag.param
    symmetric = _is_vertex_transitive(model) and param in ("phi", "T") and model.K > 4
    regions = [0] if symmetric else range(model.K)
    grid = np.linspace(diag.lo, diag.hi, n_grid)
    for r in regions:
        def f(p, r=r):
            m = model.with_param(param, p)
            return _corner_advantage(m, m.phi, r)
        vals = np.array([f(p) for p in grid])
        lam = np.zeros(model.K)
        lam[r] = 1.0
        # segments where the corner is an equilibrium (advantage <= 0), with exact endpoints
        edges = []
        try:
            for a, b, fa, fb in zip(grid[:-1], grid[1:], vals[:-1], vals[1:], strict=True):
                if fa * fb < 0:
                    edges.append(brentq(f, a, b, xtol=1e-15, rtol=4 * np.finfo(float).eps))
        except (ValueError, RuntimeError) as e:
            diag.lost_branch((r,), "agglomerated", f"locating where full agglomeration in region {r} "
                             f"gains or loses equilibrium status, {param} in [{a:.6g}, {b:.6g}]: {e}")
            continue
        cuts = [diag.lo] + edges + [diag.hi]
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            mid = 0.5 * (a + b)
            if f(mid) > 0:
                continue
            pts = np.unique(np.concatenate([[a, b], grid[(grid > a) & (grid < b)]]))
            br = _Branch((r,), "agglomerated")
            b_id = len(diag.branches)
            diag.branches.append(br)
            for p in pts:
                adv = f(p)
                br.p.append(float(p))
                br.lam.append(lam.copy())
                br.stable.append(bool(adv < -1e-12))
            for e in (a, b):
                if e in edges:
                    diag.add_special("corner", e, lam, b_id)
                    m = model.with_param(param, e)
                    sr = short_run(m, lam, options=TIGHT)
                    others = np.delete(np.arange(model.K), r)
                    i = int(others[np.argmax(sr.payoff[others])])
                    diag._spawn_entering(tuple(sorted((r, i))), lam, e, entering=i, depth=1)


def bifurcation_diagram(model, param: str, lo: float, hi: float, *,
                        options: DiagramOptions | None = None, **settings) -> xr.Dataset:
    """Every branch of equilibria of ``model`` for ``param`` in [lo, hi], stable and unstable.

    Seeds: the uniform distribution (when it is an equilibrium: symmetric settings), full
    agglomeration in each region (one region on symmetric geographies), and the stable equilibria
    reached by :func:`neg.long_run` at both ends of the range. Branches are continued by
    pseudo-arclength continuation; at a "branch" point new branches start along the critical
    eigenvector (up to ``max_depth`` generations); at a "corner" the branch continues on the
    adjacent face.

    ``options``: :class:`DiagramOptions`; ``**settings``: any of its settings by name (``ds``,
    ``ds_max``: initial/maximal arclength step in the scaled coordinates (shares,
    (p - lo)/(hi - lo)); ``max_points``, ``max_branches``, ``max_depth``, ``n_grid``),
    overriding ``options``.

    Returns a Dataset with dims ``branch``, ``point``, ``region``, ``special``: variables
    ``<param>(branch, point)`` (NaN-padded), ``lam(branch, point, region)``,
    ``stable(branch, point)``, ``branch_kind(branch)``, ``support_size(branch)``,
    ``stalled(branch)`` (no progress: a nearly degenerate branch), ``lost(branch)`` and
    ``lost_reason(branch)`` (the branch could not be followed to its end, or not started: no
    equilibrium within the smallest step, a special point that could not be located, payoffs
    that cannot be solved; its points up to there are kept and the reason says what neg was
    doing where; the rest of the diagram is computed as usual); ``special_kind(special)``
    ("branch", "fold", "corner"), ``special_value(special)``, ``special_lam(special, region)``,
    ``special_branch(special)``. ``attrs["short_run_solves"]`` counts the short runs used.
    """
    o = DiagramOptions.resolve(options, **settings)
    lo, hi = float(lo), float(hi)
    if not hi > lo:
        raise ValueError(f"lo, hi: need lo < hi, got {lo}, {hi}")
    model.with_param(param, lo), model.with_param(param, hi)  # validates name and range
    diag = _Diagram(model, param, lo, hi, o.ds, o.ds_max, o.max_points, o.max_branches, o.max_depth)
    solves0 = short_run_count()
    space = StateSpace.of(model)
    gaps = []
    for p in (lo, hi):
        m = model.with_param(param, p)
        sr = short_run(m, m.symmetric_state(), options=TIGHT)
        gaps.append(space.gap(m.symmetric_state(), sr.payoff))
    sym = model.with_param(param, lo).symmetric_state()
    if max(gaps) <= 1e-9 and np.all(sym > 0):
        support = tuple(range(space.n))
        face = diag.face(support)
        u0 = face.u_of(sym, lo)
        t0 = np.zeros(u0.size)
        t0[-1] = 1.0
        diag.run_branch(support, u0, t0, "uniform", 0)
        diag.drain()
    if model.state_is_regions():
        _corner_branches(diag, o.n_grid)
        diag.drain()
    for p in (lo, hi):
        eq = long_run(model.with_param(param, p), stability=False)
        if eq.converged and not diag._on_existing(eq.lam, p, tol=1e-4):
            S = tuple(int(i) for i in eq.support)
            face = diag.face(S)
            if face.rows.size == 0:
                continue
            u = face.u_of(eq.lam, p)
            kind = "interior" if len(S) == space.n else "face"
            try:
                t = branch_tangent(face, u, f"starting from the stable equilibrium at {param}={p:.6g}")
            except Lost as e:
                diag.lost_branch(S, kind, str(e))
                continue
            if (t[-1] < 0) == (p == lo):
                t = -t
            diag.run_branch(S, u, t, kind, 1)
            diag.drain()
    diag.ticker.done(f"{len(diag.branches)} branch(es), {len(diag.specials)} special point(s)")
    return _to_dataset(diag, model, param, short_run_count() - solves0)


def _to_dataset(diag: _Diagram, model, param: str, solves: int) -> xr.Dataset:
    K = StateSpace.of(model).n
    nb = len(diag.branches)
    npt = max((len(b.p) for b in diag.branches), default=0)
    P = np.full((nb, npt), np.nan)
    L = np.full((nb, npt, K), np.nan)
    St = np.zeros((nb, npt), dtype=bool)
    for i, b in enumerate(diag.branches):
        n = len(b.p)
        P[i, :n], L[i, :n], St[i, :n] = b.p, np.asarray(b.lam).reshape(n, K), b.stable
    sp = sorted(diag.specials, key=lambda s: (s.value, s.kind))
    dim = dim_name(param)
    sdim, labels = state_dim(model)
    ds = xr.Dataset(
        {
            dim: (("branch", "point"), P, parameter_attrs(param, model.param_variable(param))),
            "lam": (("branch", "point", sdim), L, attrs("lam")),
            "stable": (("branch", "point"), St, attrs("stable")),
            "branch_kind": (("branch",), np.array([b.kind for b in diag.branches], dtype=str),
                            attrs("branch_kind")),
            "support_size": (("branch",), np.array([len(b.support) for b in diag.branches], dtype=int),
                             attrs("support_size")),
            "stalled": (("branch",), np.array([b.stalled for b in diag.branches], dtype=bool),
                        attrs("stalled")),
            "lost": (("branch",), np.array([bool(b.lost) for b in diag.branches], dtype=bool),
                     attrs("lost")),
            "lost_reason": (("branch",), np.array([b.lost for b in diag.branches], dtype=str),
                            attrs("lost_reason")),
            "special_kind": (("special",), np.array([s.kind for s in sp], dtype=str), attrs("special_kind")),
            "special_value": (("special",), np.array([s.value for s in sp], dtype=float),
                              attrs("special_value")),
            "special_lam": (("special", sdim), np.array([s.lam for s in sp]).reshape(len(sp), K),
                            attrs("special_lam")),
            "special_branch": (("special",), np.array([s.branch for s in sp], dtype=int),
                               attrs("special_branch")),
        },
        coords={sdim: (sdim, labels, attrs(sdim))},
        attrs={**model_attrs(model, param), "study": "bifurcation", "lo": diag.lo, "hi": diag.hi,
               "short_run_solves": int(solves)},
    )
    return ds
