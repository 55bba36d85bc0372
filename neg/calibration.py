"""Calibration by model inversion: :func:`calibrate` recovers the region-specific fundamentals
(``amenity``, ``productivity``) that make observed data an exact long-run equilibrium.

Quantitative spatial economics works from data to fundamentals (Redding & Rossi-Hansberg 2017,
*Annual Review of Economics* 9, sec. 4; Allen & Arkolakis 2014, *QJE* 129; Ahlfeldt, Redding,
Sturm & Wolf 2015, *Econometrica* 83, sec. 4, "ARSW"): given the observed distribution ``lam``
of the mobile factor (and regional output ``gdp``), find the fundamentals under which the model's
equilibrium *is* the data. The mapping is unique even where the model has several equilibria for
given fundamentals (ARSW 2015, Proposition 5), because the data pin down the short run.

Two steps (docs/calibration.md writes them out):

1. **Productivity** (with ``gdp``): the productivities A (geometric mean 1) under which the
   model's GDP shares at ``lam`` equal the data's. Amenities do not enter the short run, so this
   step does not involve them. A model with :attr:`Capability.GRAVITY_INVERSION` reduces it to a
   matrix-scaling problem a * Phi (E / Phi^T a) = E (unique up to scale for a connected
   geography: Allen & Arkolakis 2014, Theorem 2; Sinkhorn 1967) solved here by Newton steps of a
   low-rank model of the freeness matrix with Anderson acceleration, in mixed precision
   (symmetric case) or Anderson-accelerated scaling; any other model by a root-finder on the
   log productivities, each residual a warm-started short run of the model itself.
2. **Amenity**: with the short run at ``lam`` solved, every occupied region must pay the same
   payoff; the payoff is the amenity times the payoff at amenity 1 (plus its log, with
   quasi-linear utility), so amenity_i = geomean(omega) / omega_i (or exp(mean(V) - V_i)).

The result, :class:`Calibration`, holds the calibrated model, the fundamentals as an
``xarray.Dataset`` on ``region``, the fit (``residual``: the largest relative error over the
short run, the payoff gap and the GDP shares, each evaluated by the model's own kernels) and
the stability of the observed state. :meth:`Calibration.counterfactual` moves parameters from
the calibrated values and follows the equilibrium by continuation from the observed state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import scipy.optimize
import xarray as xr

from neg._version import __version__
from neg.models.base import Capability
from neg.options import Options, nested, option
from neg.results import Equilibrium
from neg.solvers.fixed_point import SolverOptions, short_run
from neg.solvers.long_run import LongRunOptions, long_run, payoff_gap, stability
from neg.solvers.matrix_scaling import geomean_one, scale_to_margins
from neg.variables import attrs, parameter_attrs

__all__ = ["calibrate", "Calibration", "CalibrateOptions", "FUNDAMENTAL_NAMES", "scale_to_margins"]

#: the fundamentals :func:`calibrate` can recover (declared in neg.models.params.FUNDAMENTALS)
FUNDAMENTAL_NAMES = ("amenity", "productivity")


@dataclass(frozen=True)
class CalibrateOptions(Options):
    """Settings of :func:`calibrate`."""

    algorithm: ClassVar[str] = "calibrate"

    tol: float = option(1e-11, "pos_number",
                        help="tolerance of the inversion (max abs error in logs, i.e. relative; "
                             "a tenth of the 1e-10 that converged asks of the fit)")
    max_iter: int = option(500, "pos_int", help="cap on iterations of the inversion")
    memory: int = option(8, "pos_int", bounds=(1, 50), help="Anderson's history in matrix scaling")
    rank: int = option(100, "pos_int", bounds=(1, 5000),
                       help="largest rank of the model of the freeness matrix whose Newton steps "
                            "precondition symmetric matrix scaling (used: min(rank, sqrt(2 K)))")
    check_unique: bool = option(True, "bool",
                                help="solve again from a second start and compare (uniqueness)")
    stability: bool = option(True, "bool",
                             help="eigenvalues of the migration dynamics at the observed state")
    solver: SolverOptions = nested(SolverOptions)


@dataclass(frozen=True)
class Calibration:
    """The result of :func:`calibrate`.

    Fields
    ------
    model : the calibrated model (the input model with ``amenity`` and ``productivity`` set).
    fundamentals : ``xarray.Dataset`` on ``region``: ``amenity``, ``productivity`` (geometric
        mean 1 each), the data (``lam``, ``gdp_share``) and the model's fit (``model_gdp_share``,
        ``payoff``); attrs record the model, the normalisation and the fit.
    residual : the largest relative error of the calibrated equilibrium, evaluated by the
        model's kernels at the observed state: the short run's residual, the payoff gap
        (:func:`neg.solvers.long_run.payoff_gap`) and, with ``gdp``, max |log(model share /
        data share)|.
    converged : residual <= max(1e-10, 10 tol) and the inversion converged.
    iterations : iterations of the inversion (matrix-scaling or root-finder steps).
    stable : whether the observed state is a stable equilibrium of the replicator dynamics
        (None when not computed).
    eigenvalues : the eigenvalues behind ``stable`` (see :func:`neg.stability`).
    unique : whether a second solve from another start recovered the same fundamentals (to
        1e-8 relative; None when not checked).
    method : "closed form" (amenities alone), "matrix scaling" or "root finder".
    lam : the observed shares of the mobile factor (normalised to sum 1).
    """

    model: Any
    fundamentals: xr.Dataset
    residual: float
    converged: bool
    iterations: int
    stable: bool | None
    eigenvalues: np.ndarray
    unique: bool | None
    method: str
    lam: np.ndarray = field(repr=False)

    def equilibrium(self) -> Equilibrium:
        """The calibrated model's long-run equilibrium started at the observed state (it stays
        there: the data are an equilibrium)."""
        return long_run(self.model, lam0=self.lam)

    def counterfactual(self, steps: int = 10, options: LongRunOptions | None = None,
                       **changes) -> Equilibrium:
        """The equilibrium after changing parameters (``phi=0.5``, ``tax=...``), reached by
        continuation from the observed state: the numeric parameters move in ``steps`` equal
        steps from their calibrated values to ``changes`` (shares stay normalised), each step's
        long run starting where the previous one ended. So the counterfactual is the
        equilibrium the data's own basin leads to, not one found from a uniform start."""
        if steps < 1:
            raise ValueError(f"steps: must be >= 1, got {steps}")
        start = {k: np.asarray(self.model.get_param(k) if np.ndim(v) == 0 else getattr(self.model, k),
                               dtype=float) for k, v in changes.items()}
        for k, v in changes.items():
            if np.shape(v) not in ((), start[k].shape):
                raise ValueError(f"{k}: expected {start[k].size} values, got {np.size(v)}")
        lam = self.lam
        eq = None
        for t in np.linspace(0.0, 1.0, steps + 1)[1:]:
            step = {k: (1.0 - t) * start[k] + t * np.asarray(v, dtype=float) for k, v in changes.items()}
            step = {k: (float(v) if v.ndim == 0 else v) for k, v in step.items()}
            model = self.model.replace(**step)
            eq = long_run(model, lam0=lam, options=options)
            lam = eq.lam
        return eq


def _observed(name: str, values, K: int) -> np.ndarray:
    """``values`` as K positive shares, or a ValueError naming ``name``."""
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or x.size != K:
        raise ValueError(f"{name}: expected {K} values (one per region), got shape {x.shape}")
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        raise ValueError(f"{name}: NaN or infinite value in region(s) {bad.tolist()}")
    empty = np.flatnonzero(x <= 0)
    if empty.size:
        raise ValueError(f"{name}: region(s) {empty.tolist()} have a zero or negative value; the data "
                         f"can be an equilibrium with fundamentals > 0 only if every region is occupied "
                         f"(drop those regions, or give them a small positive share)")
    return x / x.sum()


def _check(model, lam, gdp, free) -> tuple[np.ndarray, np.ndarray | None, tuple[str, ...]]:
    if Capability.FUNDAMENTALS not in model.capabilities:
        raise ValueError(f"{model.name}: its kernels do not read the fundamentals amenity and "
                         f"productivity, so it cannot be calibrated")
    if not model.state_is_regions():
        raise ValueError(f"{model.name}: calibrate needs one distribution of the mobile factor over "
                         f"the regions; this model's long-run state is grouped "
                         f"({', '.join(model.state_labels()[:3])}, ...). Calibrate a single-state model "
                         f"(e.g. Helpman) and carry its fundamentals over")
    K = model.K
    lam = _observed("lam", lam, K)
    gdp = None if gdp is None else _observed("gdp", gdp, K)
    if free is None:
        free = FUNDAMENTAL_NAMES if gdp is not None else ("amenity",)
    free = (free,) if isinstance(free, str) else tuple(free)
    unknown = [f for f in free if f not in FUNDAMENTAL_NAMES]
    if unknown or not free or len(set(free)) != len(free):
        raise ValueError(f"free: a subset of {FUNDAMENTAL_NAMES} without repeats, got {free!r}")
    if gdp is not None and set(free) != set(FUNDAMENTAL_NAMES):
        raise ValueError("free: with gdp, both amenity and productivity are recovered "
                         f"(free=('amenity', 'productivity')), got {free!r}")
    if gdp is not None and Capability.WELFARE not in model.capabilities:
        raise ValueError(f"gdp: {model.name} has no regional accounts (Capability.WELFARE), so its GDP "
                         f"cannot be matched")
    caps = model.share_caps()
    if caps is not None and np.any(lam > caps + 1e-12):
        over = np.flatnonzero(lam > caps + 1e-12).tolist()
        raise ValueError(f"lam: region(s) {over} exceed their share_cap; the data cannot be an "
                         f"equilibrium of this model")
    cut = model.freeness_operator.isolated  # found once per operator
    if K > 1 and cut.size:
        raise ValueError(f"geography: region(s) {cut.tolist()} are cut off from every other region "
                         f"(freeness 0 at phi={model.phi:g}); their fundamentals are not identified")
    return lam, gdp, free


def _amenity(model, payoff: np.ndarray) -> np.ndarray:
    """Amenities (geometric mean 1) that equalise ``payoff`` (computed with amenity 1)."""
    if Capability.QUASI_LINEAR in model.capabilities:  # payoff + log(amenity)
        return np.exp(np.mean(payoff) - payoff)
    return geomean_one(1.0 / payoff)


def _gdp_shares(model, sr, lam) -> np.ndarray:
    gdp = np.asarray(model.regional_accounts(sr, lam)["gdp"], dtype=float)
    return gdp / gdp.sum()


def _root_productivity(model, lam, target, opts, b0):
    """Log productivities b (mean 0) solving the model's own equations by a root-finder:
    ``target`` "gdp" shares (array) or None (equal payoffs). Each residual is a warm-started
    short run at productivity e^b."""
    quasi = Capability.QUASI_LINEAR in model.capabilities
    solver = SolverOptions.resolve(opts.solver, tol=min(opts.solver.tol, 1e-14), max_iter=5000)
    state = {"x": None}

    def residual(b):
        m = model.replace(productivity=np.exp(np.clip(b, -30.0, 30.0)))  # a trial step may overshoot
        sr = short_run(m, lam, x0=state["x"], options=solver)
        state["x"] = sr.state
        if target is not None:
            r = np.log(_gdp_shares(m, sr, lam)) - np.log(target)
        else:
            v = sr.payoff if quasi else np.log(sr.payoff)
            r = v - v.mean()
        return r + b.mean()

    method = "hybr" if model.K <= 400 else "krylov"
    sol = scipy.optimize.root(residual, b0, method=method,
                              options={"xtol": opts.tol} if method == "hybr"
                              else {"fatol": opts.tol, "maxiter": opts.max_iter})
    it = int(sol.get("nfev", sol.get("nit", 0)))
    if not sol.success and model.K <= 400:  # far from the solution hybr may stall: polish by LM
        sol = scipy.optimize.root(residual, sol.x, method="lm", options={"xtol": opts.tol})
        it += int(sol.get("nfev", 0))
    r = residual(sol.x)
    return sol.x - sol.x.mean(), bool(np.max(np.abs(r)) <= max(opts.tol, 1e-11)), it, state["x"]


def _productivity(model, lam, gdp, opts, start=None):
    """(productivity, converged, iterations, method, short-run state at the data or None) for
    the data (gdp None: equal payoffs)."""
    if gdp is not None and Capability.GRAVITY_INVERSION in model.capabilities:
        problem = model.gravity_inversion(lam, gdp)
        if problem is not None:
            rows, cols, to_productivity, state = problem
            a, res, it = scale_to_margins(model.freeness_operator, rows, cols, tol=opts.tol,
                                          max_iter=opts.max_iter, memory=opts.memory, rank=opts.rank,
                                          start=start)
            return geomean_one(to_productivity(a)), res <= opts.tol, it, "matrix scaling", state
    b0 = np.zeros(model.K) if start is None else np.log(start)
    b, ok, it, x = _root_productivity(model, lam, gdp, opts, b0)
    return np.exp(b), ok, it, "root finder", x


def _second_start(K: int) -> np.ndarray:
    return np.exp(np.random.default_rng(12345).uniform(-0.2, 0.2, K))


def calibrate(model, lam, *, gdp=None, free=None,
              options: CalibrateOptions | None = None, **settings) -> Calibration:
    """Recover the fundamentals that make the data an exact long-run equilibrium of ``model``.

    Parameters
    ----------
    model : a model with :attr:`Capability.FUNDAMENTALS` whose long-run state is one
        distribution over the regions (every model but the grouped ones: MultiIndustry,
        HeadquartersPlant, the immobile closure of VerticalLinkages); its geography and other
        parameters are taken as given.
    lam : observed distribution of the mobile factor, one positive number per region, in any
        units (normalised to shares).
    gdp : observed regional output, any units (normalised to shares), or None.
    free : the fundamentals to recover: default ``("amenity",)`` without ``gdp`` (amenities
        that make ``lam`` an equilibrium at the model's productivities), ``("amenity",
        "productivity")`` with it; ``("productivity",)`` without ``gdp``: productivities that
        make ``lam`` an equilibrium at the model's amenities.
    options : :class:`CalibrateOptions`; ``**settings`` override its settings by name.

    Normalisation: each recovered fundamental has geometric mean 1 (only relative fundamentals
    are identified from shares; in models with a numeraire sector the level of productivity is
    a choice of units of the mobile factor's output). Errors name the argument: lengths that
    disagree, NaN, a zero share, a region cut off, a share above its cap, a grouped model.
    """
    opts = CalibrateOptions.resolve(options, **settings)
    lam, gdp, free = _check(model, lam, gdp, free)
    ones = np.ones(model.K)
    base = model.replace(**{f: ones for f in free})
    it, ok, unique, method, x0 = 0, True, None, "closed form", None
    if "productivity" in free:
        A, ok, it, method, x0 = _productivity(base, lam, gdp, opts)
        if opts.check_unique:
            A2, ok2 = _productivity(base, lam, gdp, opts, start=_second_start(model.K))[:2]
            unique = bool(np.max(np.abs(np.log(A2 / A))) <= 1e-8) if ok2 else None
        base = base.replace(productivity=A)
    solver = SolverOptions.resolve(opts.solver, tol=min(opts.solver.tol, 1e-14), max_iter=5000)
    sr = short_run(base, lam, x0=x0, options=solver)
    if "amenity" in free:  # amenities do not enter the short run: its state carries over
        base = base.replace(amenity=_amenity(base, sr.payoff))
        sr = short_run(base, lam, x0=sr.state, options=solver)
        if "productivity" not in free:
            unique = True  # a closed form given the short run
    errors = [float(sr.residual), payoff_gap(lam, sr.payoff)]
    model_gdp = _gdp_shares(base, sr, lam) if Capability.WELFARE in model.capabilities else None
    if gdp is not None:
        errors.append(float(np.max(np.abs(np.log(model_gdp / gdp)))))
    residual = max(errors)
    stable, eig = None, np.zeros(0)
    if opts.stability:
        stable, eig = stability(base, lam, sr)
    converged = bool(ok and sr.converged and residual <= max(1e-10, 10 * opts.tol))
    ds = _dataset(base, lam, gdp, model_gdp, sr.payoff, free, residual, converged, method)
    return Calibration(model=base, fundamentals=ds, residual=residual, converged=converged,
                       iterations=int(it), stable=stable, eigenvalues=eig, unique=unique,
                       method=method, lam=lam)


def _dataset(model, lam, gdp, model_gdp, payoff, free, residual, converged, method) -> xr.Dataset:
    data: dict[str, Any] = {f: ("region", np.asarray(getattr(model, f), dtype=float), parameter_attrs(f))
                            for f in FUNDAMENTAL_NAMES}
    data["lam"] = ("region", lam, attrs("lam"))
    if gdp is not None:
        data["gdp_share"] = ("region", gdp, {"long_name": "observed share of GDP", "units": "1"})
    if model_gdp is not None:
        data["model_gdp_share"] = ("region", model_gdp,
                                   {"long_name": "calibrated model's share of GDP", "units": "1"})
    data["payoff"] = ("region", np.asarray(payoff, dtype=float), attrs("payoff"))
    return xr.Dataset(data, coords={"region": list(model.state_labels())}, attrs={
        "title": f"fundamentals of {model.name} calibrated to data",
        "model": model.name, "recovered": ", ".join(free), "method": method,
        "normalisation": "geometric mean 1 for each recovered fundamental",
        "residual": residual, "converged": int(converged), "neg_version": __version__,
    })
