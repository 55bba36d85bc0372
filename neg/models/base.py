"""The model interface: the declared parameters, the capabilities, and the base class.

A model is a frozen dataclass whose fields are generated from its parameter declarations (see
:mod:`neg.models.params`) plus three compiled kernels with one fixed signature (see
:mod:`neg.kernels`):

``fixed_point_map(x, lam, par, reg, Phi, out, work)``
    the map whose fixed point ``x = F(x)`` is the short-run equilibrium (``x`` in logs);
    ``work`` is the solver's scratch (see :mod:`neg.kernels`);
``outputs(x, lam, par, reg, Phi, out)``
    fills rows ``wage, income, price_index, real_wage, payoff`` of ``out`` (5 x K);
``jacobian(x, lam, par, reg, Phi, out)`` (optional)
    the Jacobian dF/dx (for Newton's method).

``par`` holds the scalar parameters, ``reg`` the per-region ones (rows), in the slots their
declarations give (kernels read them through named constants, ``par[MU]``, ``reg[TAX, j]``:
see :func:`neg.models.params.slots`); ``Phi`` is the dense freeness operator's matrix, applied
only through ``neg.geography.freeness_dot/tdot``. Solvers see nothing else of a model:
:class:`ModelProtocol` writes down what they may use, :class:`Capability` what a model may
offer beyond it. docs/architecture.md shows how to add a model.
"""

from __future__ import annotations

import dataclasses
import enum
import operator
from collections.abc import Mapping
from functools import cached_property
from typing import Any, ClassVar, NamedTuple, Protocol, runtime_checkable

import numpy as np

from neg.geography import Geography
from neg.kernels import OUTPUT_ROWS  # noqa: F401  (re-exported: the rows of the outputs kernel)
from neg.models._free_trade import FreeTradeWarning, warn_free_trade  # noqa: F401 (re-exported)
from neg.models.params import (
    COMMON,
    MISSING,
    POLICY,
    POLICY_RATES,  # noqa: F401  (re-exported)
    Param,
    _as_float,  # noqa: F401  (re-exported)
    check_distribution,
    check_greater,
    check_open_unit,
    check_rates,  # noqa: F401  (re-exported)
    check_value,
    kernel_layout,
    merge,
    split_param,
)
from neg.operators import FreenessOperator
from neg.state import StateSpace
from neg.variables import Variable

#: the units of declarations that are UDUNITS-2 strings (others become "1" in CF attributes)
_UDUNITS = frozenset({"1", "s", "percent", "degrees_north", "degrees_east"})

__all__ = ["Model", "ModelProtocol", "Capability", "Kernels", "Param", "check_greater", "check_open_unit",
           "check_distribution", "split_param"]


class Capability(enum.Enum):
    """What a model offers beyond :class:`ModelProtocol`, declared in its ``capabilities``
    (never probed: generic code asks ``Capability.X in model.capabilities``)."""

    #: ``welfare_groups(sr, lam)`` and ``regional_accounts(sr, lam)`` (see :mod:`neg.welfare`)
    WELFARE = "welfare"
    #: the policy instruments ``tax``, ``cost`` and ``share_cap`` (declared once in
    #: :data:`neg.models.params.POLICY`) and ``mobile_mass``, the tax base's mass (neg.policy)
    POLICY = "policy"
    #: the long-run state is not one distribution over the K regions (``state_groups()``,
    #: ``state_labels()``; the model supplies ``payoff_kernel`` when its payoff is not the
    #: outputs' payoff row)
    GROUPED_STATE = "grouped_state"
    #: quasi-linear utility: payoffs are money-metric with an arbitrary origin, so payoffs are
    #: compared by differences, not ratios (neg.policy's agglomeration rent)
    QUASI_LINEAR = "quasi_linear"
    #: the kernels read the fundamentals ``amenity`` and ``productivity`` (declared for every
    #: model in :data:`neg.models.params.FUNDAMENTALS`); without it they must stay 1
    FUNDAMENTALS = "fundamentals"
    #: ``gravity_inversion(lam, gdp)``: the model reduces the inversion of observed GDP shares to
    #: productivities to a matrix-scaling problem (see :mod:`neg.calibration`)
    GRAVITY_INVERSION = "gravity_inversion"
    #: ``by_industry(ds)``: a grouped state that splits each region's labour over industries,
    #: regrouped by (region, industry) for the metrics and for study results (``industry_share``)
    INDUSTRIES = "industries"


class Kernels(NamedTuple):
    """A model's compiled kernels (signatures in :mod:`neg.kernels`)."""

    #: the map whose fixed point is the short-run equilibrium (MAP_SIGNATURE)
    map: Any
    #: rows wage, income, price_index, real_wage, payoff (BLOCK_SIGNATURE)
    outputs: Any
    #: dF/dx for Newton's method, or None (BLOCK_SIGNATURE)
    jacobian: Any = None
    #: the payoff of every state component (PAYOFF_SIGNATURE), or None: the outputs' payoff row
    payoff: Any = None


@runtime_checkable
class ModelProtocol(Protocol):
    """What every model provides; solvers, studies and analyses use nothing else.

    Declarations: ``parameters`` (the model's own :class:`Param` declarations), ``positional``
    (the order of positional constructor arguments), ``capabilities``; derived from them:
    the fields, ``regional_params`` (per-region shares), ``regional_rates`` (per-region rates),
    ``params()``, ``numeric_params()``, ``kernel_args()`` and validation.
    Kernels: ``fixed_point_map``, ``outputs_kernel``, ``jacobian_kernel`` (or None),
    ``payoff_kernel`` (or None: the payoff is the outputs' payoff row).
    """

    parameters: ClassVar[tuple[Param, ...]]
    capabilities: frozenset[Capability]
    mobile_factor: str
    regional_params: tuple[str, ...]
    regional_rates: tuple[str, ...]
    geography: Geography
    sigma: float
    phi: float
    T: float
    fixed_point_map: Any
    outputs_kernel: Any
    jacobian_kernel: Any
    payoff_kernel: Any

    @property
    def K(self) -> int: ...  # number of regions
    @property
    def name(self) -> str: ...
    @property
    def freeness_operator(self) -> FreenessOperator: ...
    @property
    def immobile_shares(self) -> np.ndarray: ...  # shares of the immobile factor by region
    @property
    def mobile_group(self) -> str: ...  # the welfare group of the mobile factor
    @property
    def uniform_fundamentals(self) -> bool: ...  # every per-region parameter alike
    def kernel_args(self) -> tuple[np.ndarray, np.ndarray]: ...  # (par, reg)
    def state_groups(self) -> tuple[int, ...]: ...  # sizes of the simplices of the state
    def state_is_regions(self) -> bool: ...
    def state_labels(self) -> tuple[str, ...]: ...
    def share_caps(self) -> np.ndarray | None: ...  # upper bounds on the state's shares
    def symmetric_state(self) -> np.ndarray: ...  # the state whose stability is the break point
    def initial_state(self, lam: np.ndarray) -> np.ndarray: ...  # start of the short run (x)
    def params(self) -> dict[str, Any]: ...
    def numeric_params(self) -> tuple[str, ...]: ...
    def param_attrs(self, name: str) -> dict[str, str]: ...  # long_name, units, description
    def param_variable(self, name: str) -> Variable | None: ...  # CF attrs of outputs (neg.variables)
    def get_param(self, name: str) -> float: ...
    def with_param(self, name: str, value: float) -> ModelProtocol: ...
    def replace(self, **changes) -> ModelProtocol: ...


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


def _declare_fields(cls) -> None:
    """Make ``cls`` a frozen dataclass whose fields are its declarations: the ``positional``
    ones first, in that order, then the rest keyword-only (``T``, the model's own, the policy
    instruments). Called once per model class that writes ``parameters`` itself."""
    declared = merge(cls.parameters, Capability.POLICY in cls.capabilities)
    by_name = {p.name: p for p in declared}
    unknown = [n for n in cls.positional if n not in by_name]
    if unknown:
        raise TypeError(f"{cls.__name__}.positional: {', '.join(unknown)} not declared")
    order = list(cls.positional) + [p.name for p in declared if p.name not in cls.positional]
    annotations = {}
    for name in order:
        p = by_name[name]
        annotations[name] = p.annotation
        if name in cls.positional:
            if p.default is not MISSING:
                setattr(cls, name, p.default if p.kind not in ("shares", "rates") else None)
        else:
            default = (dataclasses.MISSING if p.default is MISSING
                       else None if p.kind in ("shares", "rates") else p.default)
            setattr(cls, name, dataclasses.field(default=default, kw_only=True))
    cls.__annotations__ = annotations
    cls.declarations = declared
    cls.regional_params = tuple(p.name for p in declared if p.kind == "shares")
    cls.regional_rates = tuple(p.name for p in declared if p.kind == "rates")
    par, reg = kernel_layout(declared)
    plain = all(by_name[n].kind in ("scalar", "index") and by_name[n].default is not None for n in par)
    cls._layout = (tuple((n, by_name[n].choices) for n in par), reg,
                   _getter(par) if plain else None, _getter(reg) if reg else None,
                   cls.kernel_extras is not Model.kernel_extras)
    dataclasses.dataclass(frozen=True, eq=False)(cls)


@dataclasses.dataclass(frozen=True, eq=False)
class Model:
    """Base class: the common fields (sigma, ``phi`` or ``T``, the geography and, with
    ``Capability.POLICY``, the policy instruments), validation, kernel arguments, ``replace``.

    The common parameters (:data:`neg.models.params.COMMON`): ``sigma``, the elasticity of
    substitution between varieties, > 1; ``phi``, the freeness of trade per unit distance in
    (0, 1], or ``T=`` the iceberg factor >= 1, with phi = T**(1 - sigma); ``geography``, a
    :class:`neg.Geography` (default: two regions one unit apart). With
    ``Capability.POLICY`` also ``tax``, ``cost`` and ``share_cap`` (:data:`~neg.models.params.POLICY`).

    A model subclass writes its own ``parameters`` (:class:`Param` declarations), its
    ``positional`` order, its ``capabilities`` and kernels; its dataclass fields are generated
    from them (see docs/architecture.md). Checks beyond a declaration's range go in
    ``_validate``; kernel arguments beyond the declared slots in ``kernel_extras``.
    """

    #: the model's own parameter declarations (the common ones are added: neg.models.params)
    parameters: ClassVar[tuple[Param, ...]] = ()
    #: the order of positional constructor arguments (the other fields are keyword-only)
    positional: ClassVar[tuple[str, ...]] = ("sigma", "phi", "geography")
    #: what the model offers beyond ModelProtocol (a model may narrow it per instance in
    #: ``_validate``, e.g. VerticalLinkages' immobile closure)
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    #: every declaration of the model (common, own, policy): set for each declared model
    declarations: ClassVar[tuple[Param, ...]] = COMMON
    #: the compiled kernels (read through fixed_point_map, outputs_kernel, jacobian_kernel,
    #: payoff_kernel)
    kernels: ClassVar[Kernels | None] = None
    #: name of the mobile factor and of its payoff, for labels
    mobile_factor: ClassVar[str] = "workers"
    #: total mass of the mobile factor: a number (default 1: lam are the shares of a unit mass),
    #: or the name of the parameter that holds it; None where lam is not the tax base of ``tax``
    #: (models whose state is not one distribution over the regions)
    mobile_mass_of: ClassVar[float | str | None] = 1.0
    #: per-region share parameters (derived from the declarations of kind "shares")
    regional_params: ClassVar[tuple[str, ...]] = ()
    #: per-region rates (derived from the declarations of kind "rates", e.g. tax, cost)
    regional_rates: ClassVar[tuple[str, ...]] = ()
    #: the kernel arguments' layout, derived from the declarations (None: not declared)
    _layout: ClassVar[tuple | None] = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "parameters" in cls.__dict__:
            _declare_fields(cls)

    def __post_init__(self):
        geo = self.geography
        if geo is None:
            object.__setattr__(self, "geography", Geography.two_region())
        elif not isinstance(geo, Geography):
            raise TypeError(f"geography: expected a neg.Geography, got {type(geo).__name__}")
        decl = self._field_declarations()
        sigma = check_value(decl["sigma"], self.sigma, 0)
        object.__setattr__(self, "sigma", sigma)
        phi, T = self.phi, self.T
        if (phi is None) == (T is None):
            raise ValueError("phi, T: give exactly one of phi= (freeness) or T= (iceberg factor)")
        if phi is not None:
            phi = check_value(decl["phi"], phi, 0)
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
        K = self.K
        for name, p in decl.items():
            if name not in ("sigma", "phi", "T", "geography"):
                object.__setattr__(self, name, check_value(p, getattr(self, name), K))
        self._validate()
        if Capability.FUNDAMENTALS not in self.capabilities:
            for name in ("amenity", "productivity"):
                if name in decl and np.any(getattr(self, name) != 1.0):
                    raise ValueError(f"{name}: {self.name} does not model region-specific fundamentals "
                                     "(its kernels do not read amenity and productivity); leave them at 1")
        if phi == 1.0:
            warn_free_trade(self)

    @classmethod
    def _field_declarations(cls) -> dict[str, Param]:
        """name -> declaration of every field (classes written as plain dataclasses, without
        ``parameters``, get their shares and rates from ``regional_params``/``regional_rates``)."""
        cached = cls.__dict__.get("_decl_cache")
        if cached is None:
            fields = {f.name for f in dataclasses.fields(cls)}
            decl = {p.name: p for p in cls.declarations if p.name in fields}
            policy = {p.name: p for p in POLICY}
            for name in cls.regional_params:
                decl.setdefault(name, Param(name, "shares", "shares by region"))
            for name in cls.regional_rates:
                decl.setdefault(name, policy.get(name) or Param(name, "rates", "rates by region"))
            cached = decl
            cls._decl_cache = cached
        return cached

    @classmethod
    def field_declarations(cls) -> dict[str, Param]:
        """name -> declaration of every field, in the order of the dataclass fields (the
        ``positional`` ones first): what a config's ``model`` section may hold (the study schema
        reads the kinds, defaults and choices from here)."""
        decl = cls._field_declarations()
        return {f.name: decl[f.name] for f in dataclasses.fields(cls) if f.name in decl}

    def _validate(self) -> None:
        """Checks beyond the declarations' ranges (relations between parameters)."""

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

    @property
    def fixed_point_map(self):
        """The map whose fixed point is the short-run equilibrium (``kernels.map``)."""
        return self.kernels.map

    @property
    def outputs_kernel(self):
        return self.kernels.outputs

    @property
    def jacobian_kernel(self):
        return None if self.kernels is None else self.kernels.jacobian

    @property
    def payoff_kernel(self):
        return None if self.kernels is None else self.kernels.payoff

    @property
    def mobile_mass(self) -> float:
        """Total mass of the mobile factor (``mobile_mass_of``): lam times it is the mass in each
        region (the tax base of ``tax`` is mobile_mass lam wage, see neg.policy)."""
        m = self.mobile_mass_of
        if m is None:
            raise AttributeError(f"mobile_mass: {self.name} declares no mass of its mobile factor")
        return float(getattr(self, m)) if isinstance(m, str) else float(m)

    @property
    def immobile_shares(self) -> np.ndarray:
        """Shares of the immobile factor by region: the declared parameter with
        ``role="immobile"`` (CorePeriphery's ``farmers``, FootlooseCapital's ``labour``, ...)."""
        for p in type(self).declarations:
            if p.role == "immobile":
                return getattr(self, p.name)
        raise AttributeError(f"immobile_shares: {self.name} declares no immobile factor")

    @property
    def mobile_group(self) -> str:
        """The welfare group of the mobile factor (neg.welfare): its name by default."""
        return self.mobile_factor

    @property
    def uniform_fundamentals(self) -> bool:
        """True if every per-region parameter is the same in every region (shares 1/K, rates
        constant): with a vertex-transitive geography (``geography.vertex_transitive``) the
        regions are then all alike and the symmetric state is an equilibrium."""
        K = self.K
        return (all(np.allclose(getattr(self, p), 1.0 / K) for p in self.regional_params)
                and all(np.ptp(getattr(self, p)) == 0 for p in self.regional_rates))

    def kernel_args(self) -> tuple[np.ndarray, np.ndarray]:
        """(par, reg): the declared scalar slots (1-d) and per-region rows (2-d) for the
        kernels, each followed by the model's ``kernel_extras()``."""
        layout = type(self)._layout  # a subclass keeps its model's layout
        if layout is None:
            raise NotImplementedError(f"{self.name}: declare parameters (or write kernel_args)")
        par_slots, reg_names, par_getter, reg_getter, extras = layout
        head = (par_getter(self) if par_getter is not None
                else [_par_value(self, n, c) for n, c in par_slots])
        if not extras:  # the common case, on the hot path of sweeps
            return np.array(head), np.array(reg_getter(self)) if reg_getter else np.zeros((0, self.K))
        extra_par, extra_reg = self.kernel_extras()
        par = np.array(head) if extra_par is None else np.concatenate([head, extra_par])
        rows = list(reg_getter(self)) if reg_getter else []
        if extra_reg is not None:
            rows.extend(extra_reg)
        reg = np.array(rows) if rows else np.zeros((0, self.K))
        return par, reg

    def kernel_extras(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Kernel arguments beyond the declared slots: (appended to par, rows appended to
        reg); None for none (derived quantities such as a matrix of communication costs)."""
        return None, None

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
        caps = self.share_cap if "share_cap" in self.regional_rates else None
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

    @classmethod
    def param_attrs(cls, name: str) -> dict[str, str]:
        """CF attributes of a parameter (``"phi"``, ``"farmers[2]"``) from its declaration:
        ``long_name``, ``units`` and ``description`` (its meaning), e.g. for the coordinate of
        a swept or traced parameter."""
        base, index = split_param(name)
        p = cls._declaration(name)
        long_name = p.long_name or p.name
        if index is not None:
            long_name = f"{long_name} of region {index}"
        return {"long_name": long_name, "units": p.units, "description": p.meaning}

    @classmethod
    def param_variable(cls, name: str) -> Variable | None:
        """The declaration of parameter ``name`` (``"phi"``, ``"farmers[2]"``: its vector) as an
        entry of the table of variables, for :func:`neg.variables.parameter_attrs`: every output
        variable or coordinate named after a parameter (a traced or swept parameter, a
        scheduled one) takes its CF attributes from ``parameter_attrs(name,
        model.param_variable(name))``. Units that are not UDUNITS-2 strings become "1": values
        in the numeraire say so in the comment, masses ("workers") in the meaning. None for a
        field the class does not declare (a model written as a plain dataclass)."""
        p = cls._field_declarations().get(split_param(name)[0])
        if p is None:
            return None
        units, meaning = p.units, p.meaning[:1].upper() + p.meaning[1:]
        if units not in _UDUNITS:
            meaning += "" if units == "numeraire" else f" (in {units})"
            units = "1"
        if not meaning.endswith("."):
            meaning += "."
        return Variable(p.name, p.long_name or p.name, units, meaning, numeraire=p.units == "numeraire")

    @classmethod
    def _declaration(cls, name: str) -> Param:
        p = cls._field_declarations().get(split_param(name)[0])
        if p is None:
            raise ValueError(f"{name}: not a parameter of {cls.__name__}")
        return p

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


def _getter(names: tuple[str, ...]):
    """A function returning the tuple of the named attributes (attrgetter; one name too)."""
    if len(names) == 1:
        name = names[0]
        return lambda obj: (getattr(obj, name),)
    return operator.attrgetter(*names)


def _par_value(model: Model, name: str, choices: tuple[str, ...]) -> float:
    """A declared scalar's entry of ``par``: its value (NaN if None), a choice's position."""
    v = getattr(model, name)
    if choices:
        return float(choices.index(v))
    return np.nan if v is None else v


def declared(model_or_cls) -> Mapping[str, Param]:
    """name -> declaration of every parameter of a model (or model class)."""
    cls = model_or_cls if isinstance(model_or_cls, type) else type(model_or_cls)
    return {p.name: p for p in cls.declarations}
