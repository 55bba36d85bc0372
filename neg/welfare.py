"""Welfare accounting: who lives where, what they earn and how well off they are.

:func:`welfare` turns a model and an equilibrium (or any short run) into an
:class:`xarray.Dataset` over ``group`` and ``region``; :func:`compare` takes two of them (before
and after a policy change, say) and reports who gains, who loses and the national change.

Each model that declares ``Capability.WELFARE`` (see :mod:`neg.models.base`) provides two
small methods (see its docstring for the utility function and the incidence of taxes):

``welfare_groups(sr, lam)``
    per group of people (the mobile factor first; then farmers / workers / labour / capital
    owners): ``population`` by region, nominal ``income`` per head, ``utility`` per head;
``regional_accounts(sr, lam)``
    ``gdp`` (value added produced in the region, nominal) and either ``cost_of_living`` (the
    exact price index of the homothetic utility: real = nominal / cost_of_living) or
    ``price_loss`` (quasi-linear utility, Pflueger: real = nominal - consumers x price_loss,
    money-metric at reference prices P = 1).

Definitions (by region i):

* ``welfare_i`` = sum over groups of population x utility (utilitarian, the region's residents);
* ``income_i`` = sum over groups of population x income (regional income: equals the model's
  ``income``); ``real_income_i`` = income_i deflated by the region's cost of living;
* ``gdp_i``: value added produced in i (differs from income where factor income flows between
  regions: footloose capital, Helpman with national rents); ``real_gdp_i`` = gdp_i deflated by
  region i's own cost of living ("GDP at the region's price index");
* national totals: ``national_welfare`` = sum of welfare_i (utilitarian), ``national_utility``
  = national_welfare / total population (population-weighted mean utility), and the sums of
  real income and real GDP; ``group_utility`` = population-weighted mean utility of each group.

Every resident of region i enjoys its ``amenity`` (a fundamental, default 1): ``utility`` is the
model's utility times amenity_i (plus ln amenity_i where utility is quasi-linear), so the mobile
factor's utility is its payoff. Utilities are the models' indirect utilities without constants
(real incomes for Cobb-Douglas preferences), so levels compare across regions, groups and
equilibria of one model; the units of nominal values are each model's numeraire.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from neg.models.base import Capability
from neg.results import Equilibrium, ShortRun
from neg.variables import attrs as variable_attrs

__all__ = ["welfare", "compare", "real_gdp"]


def _short_run_of(model, eq: Equilibrium | ShortRun | np.ndarray):
    """(short run, lam) at ``eq``: a ShortRun, an Equilibrium with its outputs (else the short
    run at its lam), or a distribution lam."""
    if isinstance(eq, ShortRun) or (isinstance(eq, Equilibrium) and eq.wage is not None):
        return eq, np.asarray(eq.lam, dtype=float)
    lam = np.asarray(eq.lam if isinstance(eq, Equilibrium) else eq, dtype=float)
    sr = model.short_run(lam, tol=1e-13)
    return sr, lam


def _check_model(model) -> None:
    if Capability.WELFARE not in model.capabilities:
        raise TypeError(f"welfare: {model.name} has no welfare accounting yet (it needs "
                        "Capability.WELFARE: welfare_groups() and regional_accounts(); see neg.welfare)")


def _deflate(model, acc, amounts, consumers):
    """(real amounts, cost of living, deflator): nominal regional ``amounts`` deflated by the
    cost of living of ``acc`` (:meth:`regional_accounts`), or money-metric (quasi-linear utility:
    nominal - consumers x price_loss)."""
    if acc.get("cost_of_living") is not None:
        col = np.asarray(acc["cost_of_living"], dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            real = [np.where(a == 0, 0.0, a / col) for a in amounts]
        return real, col, "cost of living (exact price index of the homothetic utility)"
    loss = np.asarray(acc["price_loss"], dtype=float)
    real = [a - np.where(consumers > 0, consumers * loss, 0.0) for a in amounts]
    return (real, np.full(model.K, np.nan),
            "money-metric: nominal - consumers x alpha ln P (quasi-linear utility)")


def real_gdp(model, sr: ShortRun, lam) -> np.ndarray:
    """``real_gdp`` of :func:`welfare` alone (GDP of each region deflated by its own cost of
    living, or money-metric for quasi-linear utility), for one short run ``sr`` at ``lam``."""
    _check_model(model)
    acc = model.regional_accounts(sr, lam)
    consumers = None
    if acc.get("cost_of_living") is None:
        groups = model.welfare_groups(sr, lam)
        consumers = np.sum([np.asarray(g["population"], dtype=float) for g in groups.values()], axis=0)
    return _deflate(model, acc, (np.asarray(acc["gdp"], dtype=float),), consumers)[0][0]


def _policy_attrs(model) -> dict[str, list[float]]:
    """The model's tax and cost rates by region (zeros for a model without instruments)."""
    policy = Capability.POLICY in model.capabilities
    return {name: list(map(float, getattr(model, name) if policy else np.zeros(model.K)))
            for name in ("tax", "cost")}


def welfare(model, eq) -> xr.Dataset:
    """Welfare accounts of ``model`` at ``eq`` (an :class:`neg.Equilibrium`, a
    :class:`neg.ShortRun` or a distribution ``lam``): see the module docstring.

    Variables over (group, region): ``population``, ``income`` (per head, nominal),
    ``utility`` (per head); over region: ``real_wage`` (the mobile factor's real reward),
    ``welfare``, ``income_total``, ``real_income``, ``gdp``, ``real_gdp``; ``lam`` over region, or
    over ``state`` (labelled ``model.state_labels()``) for grouped states; over group:
    ``group_utility``; coordinate ``mobile`` (group): True for the mobile factor's group;
    scalars: ``national_welfare``, ``national_utility``,
    ``national_real_income``, ``national_real_gdp``, ``national_gdp``, ``population_total``.
    """
    _check_model(model)
    sr, lam = _short_run_of(model, eq)
    groups = model.welfare_groups(sr, lam)
    acc = model.regional_accounts(sr, lam)
    names = list(groups)
    pop = np.array([groups[g]["population"] for g in names], dtype=float)
    inc = np.array([groups[g]["income"] for g in names], dtype=float)
    util = _with_amenity(model, np.array([groups[g]["utility"] for g in names], dtype=float))
    present = pop > 0
    # utility of a group where nobody of it lives is hypothetical: it does not enter totals
    contrib = np.where(present, pop * np.where(present, util, 0.0), 0.0)
    income_total = np.where(present, pop * np.where(present, inc, 0.0), 0.0).sum(0)
    consumers = pop.sum(0)
    gdp = np.asarray(acc["gdp"], dtype=float)
    (real_income, real_gdp), col, deflator = _deflate(model, acc, (income_total, gdp), consumers)
    W = contrib.sum(0)
    group_pop = pop.sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        group_utility = np.where(group_pop > 0, contrib.sum(1) / group_pop, np.nan)
    regions = list(model.geography.names)
    # grouped states (MultiIndustry, HeadquartersPlant) are longer than K: lam gets its own dim
    lam_dim = "region" if model.state_is_regions() else "state"
    # the group that moves between regions (the mobile factor's, unless the model names it)
    mobile = model.mobile_group
    ds = xr.Dataset(
        {
            "population": (("group", "region"), pop),
            "income": (("group", "region"), inc),
            "utility": (("group", "region"), util),
            "lam": (lam_dim, lam),
            "real_wage": ("region", np.asarray(sr.real_wage, dtype=float)),
            "welfare": ("region", W),
            "income_total": ("region", income_total),
            "real_income": ("region", real_income),
            "gdp": ("region", gdp),
            "real_gdp": ("region", real_gdp),
            "cost_of_living": ("region", col),
            "group_utility": ("group", group_utility),
            "national_welfare": float(W.sum()),
            "national_utility": float(W.sum() / pop.sum()),
            "national_real_income": float(real_income.sum()),
            "national_real_gdp": float(real_gdp.sum()),
            "national_gdp": float(gdp.sum()),
            "population_total": float(pop.sum()),
        },
        coords={"group": names, "region": regions,
                **({} if lam_dim == "region" else {"state": list(model.state_labels())}),
                "mobile": ("group", np.array([g == mobile for g in names]))},
        attrs={"model": model.name, "mobile_factor": model.mobile_factor, "deflator": deflator,
               **_policy_attrs(model)},
    )
    for name, v in ds.variables.items():
        v.attrs.update(variable_attrs(name))
    return ds


def _pct(after, before):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(before != 0, 100.0 * (after - before) / np.abs(before), np.nan)


def compare(before, after, model_before=None, model_after=None, *, threshold: float = 1e-9) -> xr.Dataset:
    """Changes between two states: who gains, who loses, and the national change.

    ``before`` and ``after`` are either welfare datasets (from :func:`welfare`) or equilibria
    (then give ``model_before``; ``model_after`` defaults to it — pass both when the policy,
    i.e. the model's parameters, changed):

        neg.compare(w0, w1)                                 # datasets from neg.welfare
        neg.compare(eq0, eq1, model_before=m0, model_after=m1)

    Returns a Dataset of after - before: ``utility_change`` and ``utility_change_pct`` (group,
    region; per head, NaN where the group is absent in either state), ``population_change``,
    ``welfare_change``, ``real_income_change``, ``real_gdp_change``, ``gdp_change``,
    ``real_gdp_change_pct`` (region), ``group_utility_change`` (group) and the national changes
    ``national_welfare_change`` (utilitarian), ``national_utility_change`` and ``_pct``
    (population-weighted mean), ``national_real_income_change``, ``national_real_gdp_change``
    (and ``_pct``), with ``before``/``after`` levels of the national totals in ``attrs`` and a
    plain-language ``attrs["summary"]`` (changes smaller than ``threshold``, relative, count as
    none).
    """
    wb = before if isinstance(before, xr.Dataset) else _welfare_of(model_before, before, "model_before")
    if isinstance(after, xr.Dataset):
        wa = after
    else:
        wa = _welfare_of(model_after if model_after is not None else model_before, after, "model_after")
    if list(wb.group.values) != list(wa.group.values) or list(wb.region.values) != list(wa.region.values):
        raise ValueError("compare: the two states have different groups or regions")
    both = (wb.population > 0) & (wa.population > 0)
    du = (wa.utility - wb.utility).where(both)
    out = xr.Dataset(
        {
            "utility_change": du,
            "utility_change_pct": (("group", "region"),
                                   np.where(both, _pct(wa.utility.values, wb.utility.values), np.nan)),
            "population_change": wa.population - wb.population,
            "lam_change": wa.lam - wb.lam,
            "welfare_change": wa.welfare - wb.welfare,
            "real_income_change": wa.real_income - wb.real_income,
            "gdp_change": wa.gdp - wb.gdp,
            "real_gdp_change": wa.real_gdp - wb.real_gdp,
            "real_gdp_change_pct": ("region", _pct(wa.real_gdp.values, wb.real_gdp.values)),
            "group_utility_change": wa.group_utility - wb.group_utility,
        },
        coords={"group": wb.group, "region": wb.region},
    )
    for name in ("national_welfare", "national_utility", "national_real_income", "national_real_gdp",
                 "national_gdp"):
        b, a = float(wb[name]), float(wa[name])
        out[f"{name}_change"] = a - b
        out[f"{name}_change_pct"] = float(_pct(np.array(a), np.array(b)))
        out.attrs[f"{name}_before"], out.attrs[f"{name}_after"] = b, a
    for name, v in out.variables.items():
        v.attrs.update(variable_attrs(name))
    out.attrs["model"] = wb.attrs.get("model", "")
    out.attrs["summary"] = _summary(wb, wa, out, threshold)
    return out


def _welfare_of(model, eq, label):
    if model is None:
        raise TypeError(f"compare: pass {label}= (the model) with an equilibrium, or welfare datasets")
    return welfare(model, eq)


def _fmt(pct: float) -> str:
    return f"{pct:+.3g}%"


def _summary(wb, wa, d, threshold) -> str:
    # homothetic utility is a real income: relative changes; quasi-linear utility is in money
    # units with an arbitrary origin: absolute changes
    relative = wb.attrs.get("deflator", "").startswith("cost of living")
    scale = max(float(np.nanmax(np.abs(wb.utility.values))), 1e-300)
    gains, losses = [], []
    for g in d.group.values:
        for r in d.region.values:
            if relative:
                x = float(d.utility_change_pct.sel(group=g, region=r))
                label, small = f"{g} in {r} {_fmt(x)}", 100 * threshold
            else:
                x = float(d.utility_change.sel(group=g, region=r))
                label, small = f"{g} in {r} {x:+.4g}", threshold * scale
            if not np.isfinite(x):
                continue
            if x > small:
                gains.append(label)
            elif x < -small:
                losses.append(label)
    lines = []
    nat = float(d.national_welfare_change_pct)
    dw = float(d.national_welfare_change)
    if abs(dw) <= threshold * max(abs(float(wb.national_welfare)), 1e-300):
        lines.append("national welfare (utilitarian): no change")
    else:
        lines.append(f"national welfare (utilitarian): {'gain' if dw > 0 else 'loss'} {dw:+.4g} "
                     f"({_fmt(nat)})")
    lines.append(f"national real GDP: {_fmt(float(d.national_real_gdp_change_pct))}; "
                 f"national real income: {_fmt(float(d.national_real_income_change_pct))}")
    moves = []
    lam_dim = d.lam_change.dims[0]
    for r in d.lam_change[lam_dim].values:
        dl = float(d.lam_change.sel({lam_dim: r}))
        if abs(dl) > threshold:
            moves.append(f"{r} {dl:+.4g}")
    if moves:
        lines.append(f"share of {wb.attrs.get('mobile_factor', 'the mobile factor')}: " + ", ".join(moves))
    rg = [f"{r} {_fmt(float(d.real_gdp_change_pct.sel(region=r)))}" for r in d.region.values
          if np.isfinite(float(d.real_gdp_change_pct.sel(region=r)))
          and abs(float(d.real_gdp_change_pct.sel(region=r))) > 100 * threshold]
    if rg:
        lines.append("real GDP by region: " + ", ".join(rg))
    unit = "utility per head" + ("" if relative else ", absolute: money-metric")
    lines.append(f"gain ({unit}): " + (", ".join(gains) if gains else "nobody"))
    lines.append(f"lose ({unit}): " + (", ".join(losses) if losses else "nobody"))
    return "\n".join(lines)


def _with_amenity(model, util: np.ndarray) -> np.ndarray:
    """Utility per head (group x region) of the region's residents with its amenity: times
    amenity_i, or plus ln amenity_i for quasi-linear utility (money-metric)."""
    amenity = np.asarray(model.amenity, dtype=float)
    if Capability.QUASI_LINEAR in model.capabilities:
        return util + np.log(amenity)[None, :]
    return util * amenity[None, :]
