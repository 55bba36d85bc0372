"""The narrow model interface and shared parameter validation.

A model is a frozen dataclass of parameters plus three compiled kernels with one fixed signature
(see :mod:`neg.kernels`):

``fixed_point_map(x, lam, par, reg, Phi, out, work)``
    the map whose fixed point ``x = F(x)`` is the short-run equilibrium (``x`` in logs);
    ``work`` is the solver's scratch (see :mod:`neg.kernels`);
``outputs(x, lam, par, reg, Phi, out)``
    fills rows ``wage, income, price_index, real_wage, payoff`` of ``out`` (5 x K);
``jacobian(x, lam, par, reg, Phi, out)`` (optional)
    the Jacobian dF/dx (for Newton's method).

``par`` holds the scalar parameters, ``reg`` the per-region ones (rows), ``Phi`` is the dense
freeness operator's matrix, applied only through ``neg.geography.freeness_dot/tdot``.
Solvers see nothing else of a model.
"""

from __future__ import annotations

import dataclasses
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from neg.geography import FreenessOperator, Geography

__all__ = ["Model", "check_greater", "check_open_unit", "check_distribution"]

from neg.kernels import OUTPUT_ROWS  # noqa: E402,F401


def check_greater(name: str, value: float, bound: float) -> float:
    value = _as_float(name, value)
    if not value > bound:
        raise ValueError(f"{name}: must be > {bound:g}, got {value:g}")
    return value


def check_open_unit(name: str, value: float) -> float:
    value = _as_float(name, value)
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name}: must lie in the open interval (0, 1), got {value:g}")
    return value


def check_distribution(name: str, value, K: int) -> np.ndarray:
    """Shares over K regions: non-negative, finite, summing to 1 (None means uniform)."""
    if value is None:
        arr = np.full(K, 1.0 / K)
    else:
        arr = np.array(value, dtype=np.float64).reshape(-1)
        if arr.size != K:
            raise ValueError(f"{name}: expected {K} shares (one per region), got {arr.size}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: shares must be finite")
        if np.any(arr < 0) or np.any(arr > 1):
            raise ValueError(f"{name}: shares must lie in [0, 1], got min {arr.min():g}, max {arr.max():g}")
        if abs(arr.sum() - 1.0) > 1e-9:
            raise ValueError(f"{name}: shares must sum to 1, got {arr.sum():.12g}")
        if abs(arr.sum() - 1.0) > 4 * np.finfo(float).eps:  # idempotent: replace() keeps shares
            arr = arr / arr.sum()
    arr.setflags(write=False)
    return arr


def workers_and_farmers(mobile: np.ndarray, farmers: np.ndarray, tax: np.ndarray, wage: np.ndarray,
                        cost_of_living: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """Welfare groups of a model with mobile workers (masses ``mobile`` by region, gross
    ``wage``, taxed at ``tax``) and immobile farmers (masses ``farmers``, wage 1) who receive
    their region's tax revenue lump-sum: population, income and utility (income over the cost
    of living) per head of each group."""
    revenue = tax * mobile * wage
    with np.errstate(divide="ignore", invalid="ignore"):
        y_f = np.where(farmers > 0, 1.0 + revenue / np.where(farmers > 0, farmers, 1.0), 1.0)
    y_w = (1.0 - tax) * wage
    return {"workers": {"population": mobile, "income": y_w, "utility": y_w / cost_of_living},
            "farmers": {"population": farmers, "income": y_f, "utility": y_f / cost_of_living}}


def split_param(name: str) -> tuple[str, int | None]:
    """``"farmers[2]"`` -> ("farmers", 2); ``"phi"`` -> ("phi", None)."""
    name = str(name).strip()
    if name.endswith("]") and "[" in name:
        base, idx = name[:-1].split("[", 1)
        try:
            return base.strip(), int(idx)
        except ValueError:
            raise ValueError(f"{name}: the index of a per-region parameter must be an integer") from None
    return name, None


#: standard per-region policy instruments: name -> (lower, upper, default, meaning)
POLICY_RATES: dict[str, tuple[float, float, float, str]] = {
    "tax": (-1.0, 1.0, 0.0, "tax rate on the mobile factor's income, by region (negative: a subsidy)"),
    "cost": (0.0, np.inf, 0.0, "extra production cost per unit on firms, by region (environmental "
             "regulation): marginal cost times 1 + cost"),
    "share_cap": (0.0, 1.0, 1.0, "upper bound on the region's share of the mobile factor "
                  "(development zones: 0 = prohibited, 1 = unrestricted)"),
}


def check_rates(name: str, value, K: int) -> np.ndarray:
    """A per-region policy rate vector (see POLICY_RATES); None: the default everywhere."""
    lo, hi, default, _ = POLICY_RATES[name]
    if value is None:
        arr = np.full(K, default)
    else:
        arr = np.array(value, dtype=np.float64).reshape(-1)
        if arr.size == 1:
            arr = np.full(K, arr[0])
        if arr.size != K:
            raise ValueError(f"{name}: expected {K} values (one per region) or one for all, got {arr.size}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: values must be finite")
        upper_ok = arr <= hi if name == "share_cap" else arr < hi
        if np.any(arr < lo) or not np.all(upper_ok):
            interval = f"[{lo:g}, {hi:g}]" if name == "share_cap" else f"[{lo:g}, {hi:g})"
            raise ValueError(f"{name}: values must lie in {interval}, got min {arr.min():g}, "
                             f"max {arr.max():g}")
    arr.setflags(write=False)
    return arr


def _as_float(name: str, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected a number, got {value!r}") from None
    if not np.isfinite(v):
        raise ValueError(f"{name}: must be finite, got {v}")
    return v


@dataclasses.dataclass(frozen=True, eq=False)
class Model:
    """Base class: trade costs (``phi`` or ``T``), the geography, validation, ``replace``.

    Subclasses are frozen dataclasses that declare their parameters, validate them in
    ``_validate`` and set the class attributes below.
    """

    #: compiled kernels (set by each model module)
    fixed_point_map: ClassVar[Any] = None
    outputs_kernel: ClassVar[Any] = None
    jacobian_kernel: ClassVar[Any] = None
    #: name of the mobile factor and of its payoff, for labels
    mobile_factor: ClassVar[str] = "workers"
    #: per-region parameters (names of fields holding share vectors), for sweeps and permutation
    regional_params: ClassVar[tuple[str, ...]] = ()
    #: per-region policy instruments the model supports (names from POLICY_RATES); each is a
    #: field of the model holding one rate per region
    regional_rates: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self):
        geo = self.geography
        if geo is None:
            object.__setattr__(self, "geography", Geography.two_region())
        elif not isinstance(geo, Geography):
            raise TypeError(f"geography: expected a neg.Geography, got {type(geo).__name__}")
        sigma = check_greater("sigma", self.sigma, 1.0)
        object.__setattr__(self, "sigma", sigma)
        phi, T = self.phi, self.T
        if (phi is None) == (T is None):
            raise ValueError("phi, T: give exactly one of phi= (freeness) or T= (iceberg factor)")
        if phi is not None:
            phi = _as_float("phi", phi)
            if not 0.0 < phi <= 1.0:
                raise ValueError(f"phi: must lie in (0, 1], got {phi:g}")
            T = phi ** (1.0 / (1.0 - sigma))
        else:
            T = _as_float("T", T)
            if not T >= 1.0:
                raise ValueError(f"T: iceberg factor must be >= 1, got {T:g}")
            phi = T ** (1.0 - sigma)
            if not phi > 0.0:
                raise ValueError(f"T: iceberg factor {T:g} makes freeness underflow to 0")
        object.__setattr__(self, "phi", phi)
        object.__setattr__(self, "T", T)
        for name in self.regional_params:
            object.__setattr__(self, name, check_distribution(name, getattr(self, name), self.K))
        for name in self.regional_rates:
            object.__setattr__(self, name, check_rates(name, getattr(self, name), self.K))
        self._validate()

    def _validate(self) -> None:  # pragma: no cover - overridden
        pass

    # ------------------------------------------------------------------ interface
    @property
    def K(self) -> int:
        return self.geography.K

    @property
    def name(self) -> str:
        return type(self).__name__

    @cached_property
    def freeness_operator(self) -> FreenessOperator:
        return self.geography.freeness(self.phi)

    def kernel_args(self) -> tuple[np.ndarray, np.ndarray]:
        """(par, reg): scalar parameters (1-d) and per-region parameters (2-d) for the kernels."""
        raise NotImplementedError

    #: optional kernel (MAP signature) writing the payoff of every state component (length n);
    #: only models with several state groups need it (otherwise the outputs' payoff row is used)
    payoff_kernel: ClassVar[Any] = None

    def state_groups(self) -> tuple[int, ...]:
        """Sizes of the groups of the long-run state, each a simplex (see :mod:`neg.state`).
        Default: one group, the shares of the mobile factor over the K regions."""
        return (self.K,)

    def state_is_regions(self) -> bool:
        """True if the long-run state is one distribution over the K regions (most models)."""
        return tuple(self.state_groups()) == (self.K,)

    def share_caps(self) -> np.ndarray | None:
        """Upper bounds on the state's shares (development zones), or None for no bound.
        One-group models with a ``share_cap`` field get it; grouped models may override."""
        caps = getattr(self, "share_cap", None)
        if caps is None or np.all(caps >= 1.0):
            return None
        return np.asarray(caps, dtype=float) if self.state_is_regions() else None

    def state_labels(self) -> tuple[str, ...]:
        """A label per state component: the region names for one-group models (models with
        several groups override this, e.g. "r0/manufacturing")."""
        if self.state_is_regions():
            return self.geography.names
        return tuple(f"s{i}" for i in range(sum(self.state_groups())))

    def symmetric_state(self) -> np.ndarray:
        """The state whose stability defines the break point: uniform within each group."""
        from neg.state import StateSpace

        return StateSpace(self.state_groups()).uniform()

    def initial_state(self, lam: np.ndarray) -> np.ndarray:
        """Starting point of the short-run iteration (logs of the unknowns)."""
        return np.zeros(self.K)

    def params(self) -> dict[str, Any]:
        """The parameters as a plain dict (for attrs and repr); trade costs as phi."""
        out = {}
        for f in dataclasses.fields(self):
            if f.name in ("T", "geography"):
                continue
            v = getattr(self, f.name)
            out[f.name] = v.tolist() if isinstance(v, np.ndarray) else v
        return out

    def replace(self, **changes) -> Model:
        """A copy with some parameters changed; ``phi=`` or ``T=`` replaces the trade cost."""
        if "phi" in changes and "T" in changes:
            raise ValueError("phi, T: give exactly one of phi= (freeness) or T= (iceberg factor)")
        if "phi" in changes:
            changes["T"] = None
        elif "T" in changes:
            changes["phi"] = None
        else:
            changes.setdefault("T", None)
        return dataclasses.replace(self, **changes)

    def numeric_params(self) -> tuple[str, ...]:
        """Names of the parameters that can be traced or swept (scalars, incl. phi and T)."""
        names = [f.name for f in dataclasses.fields(self)
                 if f.name != "geography" and isinstance(getattr(self, f.name), (int, float))]
        return tuple(names)

    def get_param(self, name: str) -> float:
        """Value of a scalar parameter, or of one entry ``"name[i]"`` of a per-region one."""
        base, index = split_param(name)
        self._check_param(base, index)
        value = getattr(self, base)
        return float(value[index]) if index is not None else float(value)

    def with_param(self, name: str, value: float) -> Model:
        """A copy with one parameter set: a scalar (``"phi"``, ``"mu"``, ...) or one entry of a
        per-region share vector (``"farmers[2]"``); for shares, the other entries are rescaled
        proportionally so that the vector still sums to 1."""
        base, index = split_param(name)
        self._check_param(base, index)
        if index is None:
            return self.replace(**{base: float(value)})
        value = float(value)
        if base in self.regional_rates:
            rates = np.array(getattr(self, base), dtype=float)
            rates[index] = value
            return self.replace(**{base: rates})
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name}: a share must lie in [0, 1], got {value:g}")
        shares = np.array(getattr(self, base), dtype=float)
        rest = shares.sum() - shares[index]
        others = np.delete(np.arange(shares.size), index)
        shares[others] = (shares[others] / rest * (1.0 - value) if rest > 0
                          else (1.0 - value) / others.size)
        shares[index] = value
        return self.replace(**{base: shares})

    def _check_param(self, base: str, index: int | None) -> None:
        if index is None:
            if base not in self.numeric_params():
                raise ValueError(f"{base}: not a numeric parameter of {self.name}; "
                                 f"choose from {', '.join(self.numeric_params())}")
        elif base in self.regional_rates:
            if not 0 <= index < self.K:
                raise ValueError(f"{base}[{index}]: region index must lie in [0, {self.K - 1}]")
        else:
            if base not in self.regional_params:
                raise ValueError(f"{base}[{index}]: {base} is not a per-region parameter of "
                                 f"{self.name} (those are: {', '.join(self.regional_params) or 'none'})")
            if not 0 <= index < self.K:
                raise ValueError(f"{base}[{index}]: region index must lie in [0, {self.K - 1}]")

    def short_run(self, lam=None, **solver_options):
        """Short-run equilibrium at ``lam`` (see :func:`neg.solvers.fixed_point.short_run`)."""
        from neg.solvers.fixed_point import short_run  # thin convenience; kernels do not import solvers

        return short_run(self, lam, **solver_options)

    def __repr__(self) -> str:
        p = ", ".join(f"{k}={v!r}" for k, v in self.params().items() if not isinstance(v, list))
        return f"{self.name}({p}, geography={self.geography!r})"

    def __eq__(self, other) -> bool:
        if type(self) is not type(other):
            return False
        a, b = self.params(), other.params()
        return a == b and self.geography == other.geography

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(sorted(self.params().items())), self.geography))
