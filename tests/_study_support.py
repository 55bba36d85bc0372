"""Shared helpers for the study tests: config paths, small-size overrides, and the continuation /
simulation functions (the real ones where neg exports them, else small stand-ins with the same
signature and output format, so the study machinery is tested either way)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

import neg

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
SHIPPED = ("tomahawk", "racetrack", "sweep_sigma_mu", "relocation", "synchronisation")

#: --set overrides that make each shipped config run in about a second
SMALL = {
    "tomahawk": ["study.lo=0.05", "study.hi=0.3", "study.ds_max=0.05"],
    "racetrack": ["study.values.num=4", "study.values.start=0.1", "study.values.stop=0.4"],
    "sweep_sigma_mu": ["sweep.axes.sigma.num=2", "sweep.axes.mu.num=2", "sweep.axes.mu.stop=0.4"],
    "relocation": ["sweep.axes.speed=[1.0, 2.0]", "study.t_end=20", "study.steps=10"],
    "spread_of_industry": ["study.t_end=2", "study.steps=2"],
    # China's provinces (tests/test_china.py): a few seconds each
    "china_infrastructure": ["study.values.num=3"],
    "china_coastal_land": ["sweep.axes.housing_east.num=2", "sweep.axes.productivity_east.values=[1.0, 1.3]"],
    "china_policy": ["sweep.axes.subsidy.num=2", "sweep.axes.env_cost.values=[0.0, 0.1]"],
    "china_two_industries": ["study.values={start: 0.45, stop: 0.95, num: 2}"],
    "synchronisation": ["study.periods=20", "study.burn_in=0", "study.samples=2"],
    # cities on a plain (tests/test_torus_cities.py): an 8 x 8 torus, three freeness values
    "torus_cities": ["geography.rows=8", "geography.cols=8", "sweep.axes.phi=[0.03, 0.04, 0.5]"],
}


def _trace(model, param, values, lam0=None, direction="both", *, tol=1e-10, perturbation=1e-6, seed=0,
           options=None, **kw):
    vals = np.unique(np.asarray(values, dtype=float))
    dirs = ["up", "down"] if direction == "both" else [direction]
    K = model.K
    lam = np.zeros((len(dirs), vals.size, K))
    rw = np.zeros_like(lam)
    stable = np.ones((len(dirs), vals.size), dtype=bool)
    for d in range(len(dirs)):
        for i, v in enumerate(vals):
            eq = neg.long_run(model.with_param(param, v), lam0, tol=tol, options=options)
            lam[d, i], rw[d, i], stable[d, i] = eq.lam, eq.real_wage, eq.stable
    dim = param.replace("[", "_").replace("]", "")
    d3 = ("direction", dim, "region")
    return xr.Dataset({"lam": (d3, lam), "real_wage": (d3, rw), "wage": (d3, rw),
                       "stable": (("direction", dim), stable),
                       "converged": (("direction", dim), np.ones_like(stable)),
                       "residual": (("direction", dim), np.zeros(stable.shape))},
                      coords={"direction": dirs, dim: vals, "region": list(model.geography.names)},
                      attrs={"param": param})


def _bifurcation_diagram(model, param, lo, hi, **kw):
    p = np.linspace(lo, hi, 5)
    lam = np.full((1, 5, model.K), 1.0 / model.K)
    return xr.Dataset({param: (("branch", "point"), p[None]), "lam": (("branch", "point", "region"), lam),
                       "stable": (("branch", "point"), np.ones((1, 5), dtype=bool)),
                       "special_kind": (("special",), np.array(["branch"])),
                       "special_value": (("special",), np.array([0.5 * (lo + hi)]))},
                      coords={"region": list(model.geography.names)}, attrs={"short_run_solves": 5})


def _simulate(model, schedule, lam0, t_end, dt=None, steps=None, dynamics="replicator", *, options=None,
              **kw):
    times = np.linspace(0, t_end, (steps or int(round(t_end / dt))) + 1)
    eq = neg.long_run(model, lam0)
    lam = np.tile(eq.lam, (times.size, 1))
    out = {k: (("time", "region"), np.tile(getattr(eq, k), (times.size, 1)))
           for k in ("wage", "income", "price_index", "real_wage", "payoff")}
    return xr.Dataset({"lam": (("time", "region"), lam), **out,
                       "converged": (("time",), np.ones(times.size, dtype=bool))},
                      coords={"time": times, "region": list(model.geography.names)},
                      attrs={"integration_status": 0, "short_run_solves": 1})


STANDINS = {"trace": _trace, "bifurcation_diagram": _bifurcation_diagram, "simulate": _simulate}


def provide_functions(monkeypatch) -> dict[str, str]:
    """Make neg.trace / bifurcation_diagram / simulate available; which ones are stand-ins."""
    used = {}
    for name, standin in STANDINS.items():
        if hasattr(neg, name):
            used[name] = "neg"
            continue
        real = None
        try:
            if name == "simulate":
                from neg.solvers.simulate import simulate as real
            else:
                import neg.solvers.continuation as cont

                real = getattr(cont, name)
        except ImportError:
            real = None
        monkeypatch.setattr(neg, name, real or standin, raising=False)
        used[name] = "module" if real else "stand-in"
    return used


def small(name: str) -> list[str]:
    return list(SMALL[name])
