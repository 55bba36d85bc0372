"""Regional policy: tax competition and the agglomeration rent.

:func:`tax_game`
    Nash equilibrium of regional tax rates on the mobile factor (the models' ``tax``), found by
    best response: each region in turn picks its rate to maximise its objective evaluated at the
    LONG-RUN response of industry (the migration dynamics, warm-started from the current
    equilibrium, so history matters: a core stays a core as long as it is an equilibrium).
:func:`agglomeration_rent`, :func:`agglomeration_rent_curve`
    what a mobile unit would lose by leaving a full core for the periphery (Baldwin & Krugman
    2004, "Agglomeration, integration and tax harmonisation", *European Economic Review* 48;
    Baldwin, Forslid, Martin, Ottaviano & Robert-Nicoud 2003, *Economic Geography and Public
    Policy*, ch. 15): hump-shaped in the freeness of trade, zero at the sustain point and at
    free trade. It bounds the tax premium a core can charge without losing its industry.

See docs/policy.md for the instruments and their incidence in each model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import xarray as xr
from scipy.optimize import minimize_scalar

from neg.models.base import Capability
from neg.solvers.long_run import long_run, stability
from neg.state import StateSpace
from neg.variables import attrs as variable_attrs
from neg.variables import parameter_attrs
from neg.welfare import welfare

__all__ = ["tax_game", "TaxGame", "agglomeration_rent", "agglomeration_rent_curve", "tax_revenue",
           "OBJECTIVES"]

OBJECTIVES = ("revenue", "welfare", "residents")


# ----------------------------------------------------------------------------- rent
def _rent_measure(model, measure):
    if measure is None:
        # quasi-linear utility (Pflueger) is money-metric with an arbitrary origin: differences
        return "difference" if Capability.QUASI_LINEAR in model.capabilities else "ratio"
    if measure not in ("ratio", "difference"):
        raise ValueError(f"measure: must be 'ratio' or 'difference', got {measure!r}")
    return measure


def agglomeration_rent(model, core: int = 0, *, measure: str | None = None) -> float:
    """The loss a mobile unit would suffer by moving from a full core to the best peripheral
    region, at full agglomeration lam = e_core:

    * ``measure="ratio"`` (default; payoffs that are real wages):
      omega_core / max_{i != core} omega_i - 1;
    * ``measure="difference"`` (default for Pflueger's quasi-linear utility, in units of the
      numeraire): omega_core - max_{i != core} omega_i.

    Payoffs are the model's (net of the model's taxes). NaN where agglomeration in ``core`` is
    not an equilibrium (the rent would be negative). With a ratio rent R and the periphery's tax
    t_p, the core keeps its industry with any tax t_c up to 1 - (1 - t_p)/(1 + R): the tax
    premium t_c - t_p is at most (1 - t_p) R/(1 + R) <= R.
    """
    if not 0 <= int(core) < model.K:
        raise ValueError(f"core: must be a region index in [0, {model.K - 1}], got {core}")
    core = int(core)
    measure = _rent_measure(model, measure)
    lam = np.zeros(model.K)
    lam[core] = 1.0
    sr = model.short_run(lam, tol=1e-13)
    w = np.asarray(sr.payoff, dtype=float)
    best = float(np.max(np.delete(w, core)))
    rent = w[core] / best - 1.0 if measure == "ratio" else w[core] - best
    scale = max(abs(float(w[core])), 1e-300)
    if rent < -1e-12 * (1.0 if measure == "ratio" else scale):
        return float("nan")
    return float(max(rent, 0.0))


def agglomeration_rent_curve(model, phis, core: int = 0, *, measure: str | None = None) -> xr.DataArray:
    """:func:`agglomeration_rent` over a grid of freeness values ``phis`` -> DataArray over
    ``phi`` (NaN where agglomeration is not sustainable). Attributes: the maximum rent and the
    freeness where it occurs (on the grid)."""
    phis = np.asarray(phis, dtype=float).reshape(-1)
    measure = _rent_measure(model, measure)
    vals = np.array([agglomeration_rent(model.replace(phi=float(p)), core, measure=measure)
                     for p in phis])
    phi_attrs = parameter_attrs("phi", model.param_variable("phi"))
    da = xr.DataArray(vals, dims=("phi",), coords={"phi": ("phi", phis, phi_attrs)},
                      name="agglomeration_rent", attrs=variable_attrs("agglomeration_rent"))
    ok = np.isfinite(vals)
    da.attrs.update(model=model.name, core=int(core), measure=measure,
                    description=("omega_core / omega_periphery - 1" if measure == "ratio"
                                 else "omega_core - omega_periphery") + " at full agglomeration")
    if np.any(ok):
        k = int(np.nanargmax(np.where(ok, vals, -np.inf)))
        da.attrs.update(max_rent=float(vals[k]), phi_at_max=float(phis[k]))
    return da


# ----------------------------------------------------------------------------- tax game
def tax_revenue(model, eq) -> np.ndarray:
    """Tax revenue of each region: tax_i x mobile_mass x lam_i x (gross) wage_i."""
    lam = np.asarray(eq.lam, dtype=float)
    base = np.where(lam > 0, model.mobile_mass * lam * np.where(lam > 0, eq.wage, 0.0), 0.0)
    return np.asarray(model.tax, dtype=float) * base


def _objective_fn(objective) -> Callable:
    if callable(objective):
        return objective
    if objective == "revenue":
        return lambda model, eq, region: float(tax_revenue(model, eq)[region])
    if objective in ("welfare", "residents"):
        def value(model, eq, region, everyone=objective == "residents"):
            w = welfare(model, eq)
            keep = np.ones(w.sizes["group"], bool) if everyone or bool(w.mobile.all()) else ~w.mobile.values
            pop, util = w.population.values[keep, region], w.utility.values[keep, region]
            return float(np.sum(np.where(pop > 0, pop * np.where(pop > 0, util, 0.0), 0.0)))

        return value
    raise ValueError(f"objective: must be one of {OBJECTIVES} or a callable "
                     f"(model, equilibrium, region) -> float, got {objective!r}")


@dataclasses.dataclass(frozen=True)
class TaxGame:
    """Outcome of :func:`tax_game`.

    Fields
    ------
    tax : the (Nash) tax rates, one per region (non-players keep the model's rates).
    equilibrium : the long-run equilibrium at those rates.
    model : the model with those rates.
    objective : each region's objective at the outcome.
    players : the regions that chose their rates.
    rounds : rounds of best responses played.
    converged : True if a full round changed no rate by more than ``tol``.
    history : the rates after every round (rounds + 1, K), the first row the start.
    """

    tax: np.ndarray
    equilibrium: object
    model: object
    objective: np.ndarray
    players: tuple[int, ...]
    rounds: int
    converged: bool
    history: np.ndarray

    def to_dataset(self) -> xr.Dataset:
        """The outcome as an xarray Dataset over region (and round for the history)."""
        names = list(self.model.geography.names)
        return xr.Dataset(
            {"tax": ("region", self.tax, parameter_attrs("tax", self.model.param_variable("tax"))),
             "lam": ("region", np.asarray(self.equilibrium.lam), variable_attrs("lam")),
             "objective": ("region", self.objective, variable_attrs("objective")),
             "payoff": ("region", np.asarray(self.equilibrium.payoff), variable_attrs("payoff")),
             "history": (("round", "region"), self.history, variable_attrs("history"))},
            coords={"region": ("region", names, variable_attrs("region")),
                    "round": ("round", np.arange(self.history.shape[0]), variable_attrs("round"))},
            attrs={"model": self.model.name, "rounds": self.rounds, "converged": int(self.converged),
                   "players": list(self.players)},
        )


def _long_run_from(model, lam, eps, long_run_options):
    """Long run warm-started at ``lam``, nudged into the interior by ``eps`` so that the
    migration dynamics can leave a corner that stopped being an equilibrium."""
    space = StateSpace.of(model)
    start = space.project((1.0 - eps) * np.asarray(lam, dtype=float) + eps * space.uniform())
    opts = {"tol": 1e-10, "stability": False}
    opts.update(long_run_options or {})
    return long_run(model, start, **opts)


def _best_response(model, r, anchor, f, bounds, tol, grid, nudge, long_run_options):
    """Region r's best rate against the others' (scan a grid, refine by bounded Brent) and the
    long-run equilibrium it induces; the current rate unless another is strictly better."""
    lo, hi = bounds
    cache: dict[float, tuple[float, object]] = {}

    def value(t):
        t = float(min(max(t, lo), hi))
        if t not in cache:
            m = model.with_param(f"tax[{r}]", t)
            e = _long_run_from(m, anchor, nudge, long_run_options)
            cache[t] = (f(m, e, r) if e.converged else -np.inf, e)
        return cache[t][0]

    t_now = float(model.tax[r])
    best_t, best_v = t_now, value(t_now)
    ts = np.linspace(lo, hi, grid)
    k = int(np.argmax([value(t) for t in ts]))
    minimize_scalar(lambda t: -value(t), bounds=(ts[max(k - 1, 0)], ts[min(k + 1, grid - 1)]),
                    method="bounded", options={"xatol": tol})  # its evaluations land in the cache
    for t, (v, _) in cache.items():
        if v > best_v + 1e-12 * max(abs(best_v), 1.0):
            best_t, best_v = t, v
    return best_t, cache[best_t][1]


def tax_game(model, objective: str | Callable = "revenue", regions: Sequence[int] | None = None,
             bounds: tuple[float, float] = (-0.5, 0.5), tol: float = 1e-6, max_rounds: int = 50, *,
             lam0=None, grid: int = 11, nudge: float = 1e-6,
             long_run_options: dict | None = None) -> TaxGame:
    """Nash equilibrium of regional tax rates on the mobile factor, by best response.

    Parameters
    ----------
    model : a model with a ``tax`` instrument; its rates are the starting point.
    objective : what each region maximises, evaluated at the long-run equilibrium that its
        rate induces: ``"revenue"`` (its tax revenue, tax x mobile_mass x lam x gross wage;
        negative for a subsidy); ``"welfare"`` (the utilitarian welfare, population x utility,
        of its IMMOBILE residents — farmers, workers, labour, capital owners — who receive the
        revenue and pay for subsidies; all residents in Helpman, where everyone is mobile);
        ``"residents"`` (of everyone living there, the mobile factor included, so that
        attracting people counts as a gain: a race to subsidise); or a callable
        ``f(model, equilibrium, region) -> float``. See :func:`neg.welfare`.
    regions : the regions that play (default: all); the others keep their rates.
    bounds : the interval of admissible rates, within [-1, 1).
    tol : a region's best response is located to ``tol``; the game has converged when a full
        round changes no rate by more than ``tol``.
    max_rounds : cap on rounds (Gauss-Seidel: each player answers the latest rates).
    lam0 : the starting distribution of the mobile factor (default: the long run of the
        model from the default start); e.g. ``[1, 0]`` to start from agglomeration in region 0.
    grid : a best response first scans ``grid`` rates evenly spaced over ``bounds`` (objectives
        jump where industry relocates), then refines the best with
        ``scipy.optimize.minimize_scalar(method="bounded")`` between its grid neighbours.
    nudge : every long run starts from (1 - nudge) lam + nudge (uniform state), so that the dynamics can leave
        a corner that is no longer an equilibrium, yet stays in the current basin otherwise.
    long_run_options : passed to :func:`neg.long_run` (default ``tol=1e-10``, no stability).

    A region keeps its current rate unless another one is strictly better (ties, e.g. a
    periphery that earns nothing at any rate, do not move). Returns a :class:`TaxGame`.
    """
    if Capability.POLICY not in model.capabilities or "tax" not in model.regional_rates:
        raise ValueError(f"tax_game: {model.name} has no tax instrument")
    lo, hi = (float(b) for b in bounds)
    if not (-1.0 <= lo < hi < 1.0):
        raise ValueError(f"bounds: need -1 <= low < high < 1, got {bounds}")
    if int(grid) < 3:
        raise ValueError(f"grid: need at least 3 points, got {grid}")
    players = tuple(range(model.K)) if regions is None else tuple(int(r) for r in regions)
    for r in players:
        if not 0 <= r < model.K:
            raise ValueError(f"regions: {r} is not a region index in [0, {model.K - 1}]")
    f = _objective_fn(objective)

    if lam0 is None:
        eq = long_run(model, stability=False, **(long_run_options or {}))
    else:
        eq = _long_run_from(model, lam0, 0.0 if np.all(np.asarray(lam0) > 0) else nudge,
                            long_run_options)
    current = model
    history = [np.array(model.tax, dtype=float)]
    converged = False
    rounds = 0
    while rounds < max_rounds:
        rounds += 1
        change = 0.0
        for r in players:
            t_new, e_new = _best_response(current, r, eq.lam, f, (lo, hi), tol, int(grid), nudge,
                                          long_run_options)
            if t_new != float(current.tax[r]):
                change = max(change, abs(t_new - float(current.tax[r])))
                current, eq = current.with_param(f"tax[{r}]", t_new), e_new
        history.append(np.array(current.tax, dtype=float))
        if change <= tol:
            converged = True
            break

    stable, eig = stability(current, eq.lam)
    eq = dataclasses.replace(eq, stable=stable, eigenvalues=eig)
    values = np.array([f(current, eq, r) for r in range(model.K)])
    return TaxGame(tax=np.array(current.tax, dtype=float), equilibrium=eq, model=current,
                   objective=values, players=players, rounds=rounds, converged=converged,
                   history=np.array(history))
