"""Regional fluctuations: AR(1) shocks to a per-region parameter, with migration between periods.

:class:`Shocks` describes the shocks, :func:`simulate_shocks` runs them. In every region i and
period t a log shock s_it follows an AR(1) process

    s_it = rho s_i,t-1 + e_it,    e_t ~ N(0, sd^2 [c 1 1' + (1 - c) R]),
    R_ij = exp(-d_ij / range)  (identity without ``spatial_range``),

so each innovation has standard deviation ``sd`` (the innovation's, not the level's: the level's
stationary standard deviation is sd / sqrt(1 - rho^2)), a share c = ``common`` of its variance is
national (the same draw in every region) and the rest idiosyncratic, correlated across regions
by distance d_ij (in the geography's distance unit) with the exponential kernel of range
``spatial_range``. (R is factored by its symmetric square root, negative eigenvalues, which
graph distances can produce, clipped to 0.) The shocks start from their stationary distribution
(s_i0 = e_i0 / sqrt(1 - rho^2)).

The shocked parameter ``target`` (productivity by default; amenity, an immobile factor's shares,
a policy rate such as ``tax`` or ``cost``: any per-region parameter of the model) takes the value
x_it = x_i exp(s_it), x_i the model's value (shares are then renormalised to sum to 1).

Each period t of :func:`simulate_shocks`:

1. the short-run equilibrium is solved at the shares lam_t under that period's parameters
   (all samples in one compiled call, :func:`neg.solvers.fixed_point.short_run_regional`, each
   warm-started from its own previous period, so a sample's path does not depend on the others);
2. the mobile factor relocates by one period (unit time) of the migration dynamics at those
   payoffs (:meth:`neg.solvers.migration._Rule.period`: the rules, migration cost and share caps
   of :func:`neg.simulate`; ``migration_speed = 0``: nobody moves).

Outputs per period: ``lam`` (the shares during the period), ``wage``, ``real_wage``, ``gdp`` (real
gross regional product: GDP deflated by the region's cost of living, :func:`neg.welfare.real_gdp`),
``shock`` (s_it) and ``converged`` (the period's short run converged; if not, nobody moves).

Random numbers: sample k draws from ``numpy.random.SeedSequence(seed, spawn_key=(k,))``, so a
sample's shocks depend only on (seed, k): not on the number of samples, on how they are batched,
or on the workers that run them; the same seed gives every setting of a study the same shocks.

Sources: Blanchard & Katz (1992), "Regional evolutions", BPEA; for AR(1) regional productivity
shocks with a common component, e.g. Kydland & Prescott (1982), Fatás (1997) "EMU: countries or
regions? Lessons from the EMS experience", EER 41.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import xarray as xr

from neg._version import __version__
from neg.models.base import Capability
from neg.options import Options, nested, option
from neg.results import ShortRun
from neg.solvers.fixed_point import SolverOptions, short_run_regional
from neg.solvers.migration import _onto, _Rule
from neg.solvers.simulate import DYNAMICS, _state_dim
from neg.state import StateSpace
from neg.variables import attrs as variable_attrs
from neg.welfare import real_gdp

__all__ = ["Shocks", "ShocksOptions", "simulate_shocks", "shock_targets"]

#: the fundamentals: regional accounts (GDP, cost of living) never read them, so GDP is computed
#: with the unshocked model (no model is rebuilt per point)
_FUNDAMENTALS = ("amenity", "productivity")


@dataclass(frozen=True)
class Shocks:
    """AR(1) log shocks to a per-region parameter (see the module docstring for the process).

    persistence : rho in (-1, 1).
    sd : standard deviation of the innovations (>= 0; 0: no shocks).
    common : share of the innovations' variance common to all regions, in [0, 1].
    spatial_range : range of the exponential spatial correlation of the idiosyncratic part, in
        the geography's distance unit (> 0), or None for independent regions.
    target : the shocked per-region parameter of the model (:func:`shock_targets`).
    """

    persistence: float
    sd: float
    common: float = 0.0
    spatial_range: float | None = None
    target: str = "productivity"

    def __post_init__(self) -> None:
        rho = _number("persistence", self.persistence)
        if not -1.0 < rho < 1.0:
            raise ValueError(f"persistence: must lie in (-1, 1) (a stationary AR(1)), got {rho:g}")
        sd = _number("sd", self.sd)
        if not sd >= 0.0:
            raise ValueError(f"sd: must be >= 0, got {sd:g}")
        common = _number("common", self.common)
        if not 0.0 <= common <= 1.0:
            raise ValueError(f"common: must lie in [0, 1] (a share of the variance), got {common:g}")
        rng = self.spatial_range
        if rng is not None:
            rng = _number("spatial_range", rng)
            if not rng > 0.0:
                raise ValueError(f"spatial_range: must be > 0 (a distance) or None, got {rng:g}")
        if not isinstance(self.target, str) or not self.target.strip():
            raise ValueError(f"target: must be the name of a per-region parameter, got {self.target!r}")
        for name, v in (("persistence", rho), ("sd", sd), ("common", common), ("spatial_range", rng)):
            object.__setattr__(self, name, v)

    @classmethod
    def of(cls, shocks: Shocks | dict) -> Shocks:
        """``shocks`` as a :class:`Shocks` (a dict with the same keys is accepted)."""
        if isinstance(shocks, Shocks):
            return shocks
        if not isinstance(shocks, dict):
            raise TypeError(f"shocks: expected neg.Shocks or a dict of its fields, got "
                            f"{type(shocks).__name__}")
        fields = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(shocks) - set(fields))
        if unknown:
            raise TypeError(f"shocks: unknown key(s) {unknown}; choose from {', '.join(fields)}")
        missing = [k for k in ("persistence", "sd") if k not in shocks]
        if missing:
            raise TypeError(f"shocks: missing {', '.join(missing)}")
        return cls(**shocks)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def loading(self, distance: np.ndarray) -> np.ndarray:
        """A (K, K) matrix A with A A' = c 1 1' + (1 - c) R: innovations are sd A z, z ~ N(0, I)
        (one column per region and one more for the national draw: (K, K + 1))."""
        K = distance.shape[0]
        if self.spatial_range is None:
            root = np.eye(K)
        else:
            R = np.exp(-np.asarray(distance, dtype=float) / self.spatial_range)
            w, V = np.linalg.eigh(0.5 * (R + R.T))
            root = (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T
        return np.hstack([np.full((K, 1), math.sqrt(self.common)), math.sqrt(1.0 - self.common) * root])

    def draw(self, distance: np.ndarray, periods: int, seed: int, sample: int = 0) -> np.ndarray:
        """The log shocks s (periods, K) of ``sample``, from SeedSequence(seed, spawn_key=(sample,))."""
        A = self.loading(distance)
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(int(sample),)))
        e = self.sd * (rng.standard_normal((periods, A.shape[1])) @ A.T)
        s = np.empty_like(e)
        rho = self.persistence
        prev = e[0] / math.sqrt(1.0 - rho * rho)
        s[0] = prev
        for t in range(1, periods):
            prev = rho * prev + e[t]
            s[t] = prev
        return s


@dataclass(frozen=True)
class ShocksOptions(Options):
    """Settings of :func:`simulate_shocks` beyond the model, the periods, the shocks and the
    migration speed (the keyword arguments; the ``study`` keys of the study kind ``shocks``)."""

    algorithm: ClassVar[str] = "simulate_shocks"

    migration_cost: float = option(0.0, "nonneg_number",
                                   help="payoff gain a move must exceed, in payoff units")
    dynamics: str = option("replicator", "choice", choices=DYNAMICS, help="migration rule")
    dispersion: float | None = option(None, "pos_number", nullable=True,
                                      help="eta of the logit choice probabilities (logit only)")
    samples: int = option(1, "pos_int", help="number of independent shock paths")
    seed: int | None = option(None, "nonneg_int", nullable=True,
                              help="entropy of the random numbers (None: fresh)")
    burn_in: int = option(0, "nonneg_int", help="periods run and discarded before the first recorded")
    solver: SolverOptions = nested(SolverOptions)

    def __post_init__(self) -> None:
        super().__post_init__()
        if (self.dynamics == "logit") != (self.dispersion is not None):
            raise ValueError("dispersion: the logit dynamics needs a dispersion eta > 0; the "
                             "replicator none")


def _number(name: str, v) -> float:
    if isinstance(v, bool):
        raise ValueError(f"{name}: must be a number, got {v!r}")
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: must be a number, got {v!r}") from None
    if not math.isfinite(x):
        raise ValueError(f"{name}: must be finite, got {v!r}")
    return x


def shock_targets(model) -> tuple[str, ...]:
    """The per-region parameters a shock may hit: the model's shares (immobile factors) and
    rates (policy instruments, fundamentals), not the share caps (they bound the state)."""
    return tuple(n for n in (*model.regional_params, *model.regional_rates) if n != "share_cap")


class _Shocked:
    """The shocked parameter's values and the kernels' per-region rows at every point."""

    def __init__(self, model, target: str):
        targets = shock_targets(model)
        if target not in targets:
            raise ValueError(f"target: {target!r} is not a per-region parameter of {model.name}; "
                             f"choose from {', '.join(targets)}")
        self.model, self.target = model, target
        self.base = np.asarray(getattr(model, target), dtype=float) * np.ones(model.K)
        self.shares = target in model.regional_params
        self.reg0 = model.kernel_args()[1]
        probe = self.values(np.linspace(0.01, 0.02, model.K)[None])[0]
        try:
            reg1 = model.replace(**{target: probe}).kernel_args()[1]
        except ValueError:  # the probe left the parameter's range: build every model
            reg1 = self.reg0
        rows = np.flatnonzero(np.any(reg1 != self.reg0, axis=1))
        # fast path: the parameter is one row of the kernels' arguments, nothing derived from it
        self.row = int(rows[0]) if rows.size == 1 and np.array_equal(reg1[rows[0]], probe) else None

    def values(self, s: np.ndarray) -> np.ndarray:
        """x_i exp(s_i) for each row of s (n, K); shares renormalised."""
        x = self.base * np.exp(s)
        return x / x.sum(axis=1, keepdims=True) if self.shares else x

    def models(self, x: np.ndarray) -> list:
        return [self.model.replace(**{self.target: row}) for row in x]

    def reg(self, x: np.ndarray) -> tuple[np.ndarray, list | None]:
        """(REG (n, rows, K), the models at the points or None if not built). The fast path
        checks the values against the declared range with one model built for a bad row."""
        if self.row is None:
            models = self.models(x)
            return np.stack([m.kernel_args()[1] for m in models]), models
        p = self.model.field_declarations()[self.target]
        bad = np.zeros(x.shape[0], dtype=bool)
        if p.lower is not None:
            bad |= np.any(x < p.lower if p.lower_closed else x <= p.lower, axis=1)
        if p.upper is not None:
            bad |= np.any(x > p.upper if p.upper_closed else x >= p.upper, axis=1)
        if np.any(bad):
            self.model.replace(**{self.target: x[np.argmax(bad)]})  # the model's own message
        REG = np.repeat(self.reg0[None], x.shape[0], axis=0)
        REG[:, self.row] = x
        return REG, None


def _periods(name: str, v, lo: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
        raise ValueError(f"{name}: must be an integer >= {lo}, got {v!r}")
    return int(v)


def simulate_shocks(model, periods: int, shocks: Shocks | dict, migration_speed: float, *,
                    migration_cost: float = 0.0, dynamics: str = "replicator", samples: int = 1,
                    seed: int | None = None, burn_in: int = 0, dispersion: float | None = None,
                    lam0=None, first_sample: int = 0, options: ShocksOptions | SolverOptions | None = None,
                    **settings) -> xr.Dataset:
    """Regional fluctuations: shocks every period, the short run, then one period of migration.

    Parameters
    ----------
    model : any neg model.
    periods : number of periods recorded (>= 1), after ``burn_in`` periods run and discarded.
    shocks : :class:`Shocks` (or a dict of its fields).
    migration_speed : speed of the dynamics (>= 0; 0: no unit ever moves), per period.
    migration_cost : c >= 0, in payoff units (as :func:`neg.simulate`).
    dynamics : "replicator" or "logit" (needs ``dispersion`` eta > 0, in payoff units).
    samples : number of independent shock paths (>= 1); the dim ``sample`` when > 1.
    seed : the entropy of the random numbers (None: fresh, recorded in ``attrs["seed"]``).
    burn_in : periods simulated before the first recorded one (>= 0).
    lam0 : shares at the start (default: the model's symmetric state, e.g. uniform).
    first_sample : index k of the first sample (>= 0): the samples are k .. k + samples - 1, each
        with its own random numbers, so an ensemble can be computed in parts (the study kind
        ``shocks`` does) that equal the whole run's samples bit for bit.
    options, **settings : :class:`ShocksOptions` (or the short run's :class:`SolverOptions`);
        settings of the short run by name (``tol``, ``method``, ...).

    Returns
    -------
    xarray.Dataset with dims ``time`` (0 .. periods-1), ``region`` and ``sample`` (samples > 1;
    its coordinate the samples' indices):
    ``gdp``, ``wage``, ``real_wage``, ``shock`` (time, region[, sample]), ``lam`` (along
    ``state`` for grouped states), ``converged`` (time[, sample]); attrs: the model and its
    parameters, the shocks, the migration settings, the seed.
    """
    shocks = Shocks.of(shocks)
    periods = _periods("periods", periods, 1)
    speed = _number("migration_speed", migration_speed)
    if speed < 0:
        raise ValueError(f"migration_speed: must be >= 0, got {speed:g}")
    given = dict(migration_cost=migration_cost, dynamics=dynamics, samples=samples, seed=seed,
                 burn_in=burn_in, dispersion=dispersion)
    if isinstance(options, ShocksOptions):  # keywords left at their defaults keep the options'
        defaults = ShocksOptions()
        given = {k: v for k, v in given.items() if v != getattr(defaults, k)}
    o = ShocksOptions.resolve(options, **given, **settings)
    cost, dynamics, samples, burn_in, dispersion = (o.migration_cost, o.dynamics, o.samples,
                                                    o.burn_in, o.dispersion)
    seed = int(np.random.SeedSequence().entropy) if o.seed is None else o.seed
    first = _periods("first_sample", first_sample, 0)
    opts = o.solver
    shocked = _Shocked(model, shocks.target)
    space = StateSpace.of(model)
    rule = _Rule(space, dynamics, speed, dispersion, cost)
    lam = model.symmetric_state() if lam0 is None else space.validate(lam0, "lam0")
    lam = np.repeat(_onto(space, np.asarray(lam, dtype=float))[None], samples, axis=0)

    T, K, N = burn_in + periods, model.K, space.n
    dist = model.geography.distance
    S = np.stack([shocks.draw(dist, T, seed, first + k) for k in range(samples)])  # (samples, T, K)
    out = {name: np.full((samples, periods, K), np.nan) for name in ("gdp", "wage", "real_wage")}
    out_lam = np.empty((samples, periods, N))
    converged = np.zeros((samples, periods), dtype=bool)
    welfare = Capability.WELFARE in model.capabilities
    x0 = None
    for t in range(T):
        x = shocked.values(S[:, t])
        REG, models = shocked.reg(x)
        sr = short_run_regional(model, lam, REG, x0=x0, options=opts)
        ok = np.asarray(sr.converged, dtype=bool) & np.all(np.isfinite(sr.payoff), axis=1)
        if x0 is not None and not np.all(ok):  # a bad warm start: those points again, cold
            redo = np.flatnonzero(~ok)
            cold = short_run_regional(model, lam[redo], REG[redo], options=opts)
            for f in ("wage", "income", "price_index", "real_wage", "payoff", "state", "converged",
                      "residual"):
                getattr(sr, f)[redo] = getattr(cold, f)
            ok = np.asarray(sr.converged, dtype=bool) & np.all(np.isfinite(sr.payoff), axis=1)
        x0 = np.where(np.all(np.isfinite(sr.state), axis=1, keepdims=True), sr.state,
                      np.stack([model.initial_state(row) for row in lam]))
        r = t - burn_in
        if r >= 0:
            out_lam[:, r] = lam
            out["wage"][:, r] = sr.wage
            out["real_wage"][:, r] = sr.real_wage
            converged[:, r] = ok
            if welfare:
                for k in range(samples):
                    m = model if models is None or shocks.target in _FUNDAMENTALS else models[k]
                    one = ShortRun(lam[k], sr.wage[k], sr.income[k], sr.price_index[k],
                                   sr.real_wage[k], sr.payoff[k], bool(ok[k]), 0, 0.0)
                    out["gdp"][k, r] = real_gdp(m, one, lam[k])
        if np.any(ok):  # no move on a failed short run
            lam[ok] = rule.period(lam[ok], sr.payoff[ok])

    shock = S[:, burn_in:]
    dim, labels = _state_dim(model, space)
    data = {name: (("sample", "time", "region"), v) for name, v in out.items()}
    data["shock"] = (("sample", "time", "region"), shock)
    data["lam"] = (("sample", "time", dim), out_lam)
    data["converged"] = (("sample", "time"), converged)
    coords = {"time": ("time", np.arange(periods)), "region": ("region", list(model.geography.names)),
              "sample": ("sample", np.arange(first, first + samples))}
    if dim == "state":
        coords["state"] = ("state", labels)
    geo = model.geography
    if geo.coordinates is not None:
        coords["lat"] = ("region", geo.coordinates[:, 0])
        coords["lon"] = ("region", geo.coordinates[:, 1])
    ds = xr.Dataset(data, coords=coords, attrs={
        "model": model.name, "model_params": json.dumps(model.params()), "K": int(K),
        "shocks": json.dumps(shocks.as_dict()), "target": shocks.target,
        "migration_speed": speed, "migration_cost": cost, "dynamics": dynamics,
        "dispersion": np.nan if dispersion is None else float(dispersion),
        "samples": samples, "seed": str(seed), "burn_in": burn_in, "periods": periods,
        "gdp_deflator": "neg.welfare.real_gdp" if welfare else "none (the model has no accounts)",
        "short_run_options": json.dumps(dataclasses.asdict(opts)), "neg_version": __version__})
    if samples == 1:
        ds = ds.isel(sample=0, drop=True)
    for name, v in ds.variables.items():
        v.attrs.update(variable_attrs(str(name)))
    ds["gdp"].attrs["deflator"] = "the region's cost of living (neg.welfare.real_gdp): real GDP"
    return ds
