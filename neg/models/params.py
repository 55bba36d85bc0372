"""Parameter declarations: each parameter of a model written down once, with its metadata.

A :class:`Param` says what a parameter is (its ``kind``), its admissible values (``lower``,
``upper`` and whether each bound is attained, or ``choices``), its default, its meaning, units
and long name, its ``role`` (``"immobile"``: the shares of the immobile factor) and its slot in
the kernel arguments (``slot="par"``: one entry of the scalar vector ``par``; ``slot="reg"``:
one row of the per-region matrix ``reg``). Everything else is derived from the declarations:
the dataclass fields of a model, validation and its error messages, ``kernel_args``,
``params()``, ``numeric_params()``, ``regional_params``, ``regional_rates``, and the kernels'
named slots (:func:`slots`).

Kinds
-----
``scalar``  a real number (``float``); ``index``: a whole number (``int``);
``shares``  K shares of a distribution over the regions (non-negative, summing to 1; default
            uniform): sweepable per region as ``"name[i]"``, rescaling the others;
``rates``   K rates, one per region (one number stands for all; default ``default``):
            sweepable per region as ``"name[i]"``;
``choice``  one of ``choices`` (a string; in ``par`` its position in ``choices``);
``array``   anything else (matrices, per-industry vectors, names). With a declared ``shape``
            (its dimensions by name: ``("region", "industry")``) it is validated against its
            declaration by :func:`check_array` (size or shape, finite values within the bounds,
            ``fill`` where it is None, the short forms in ``broadcast``); one over regions only
            (a K x K table) is checked with the common fields, one with a model's own dimension
            (industries) by the model's ``_validate``, which knows its size. Anything else is
            validated by ``_validate``;
``geography`` the :class:`neg.Geography`.

The common declarations (:data:`COMMON`: sigma, phi, T, geography), the policy instruments
(:data:`POLICY`: tax, cost, share_cap) and the fundamentals (:data:`FUNDAMENTALS`: amenity,
productivity) are written here once; a model declares only its own
parameters (a model's declaration of a common name replaces the common one).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from neg.variables import PARAMETERS

__all__ = ["Param", "COMMON", "POLICY", "FUNDAMENTALS", "POLICY_RATES", "KINDS", "slots", "n_slots",
           "kernel_layout",
           "check_greater", "check_open_unit", "check_distribution", "check_rates", "check_value",
           "check_table", "check_array", "split_param", "MISSING"]

class _Required:
    """The default of a parameter without one (it must be given)."""

    def __repr__(self) -> str:
        return "MISSING"


#: the ``default`` of a required parameter
MISSING: Any = _Required()

KINDS = ("scalar", "index", "shares", "rates", "choice", "array", "geography")

#: the annotation of each kind's dataclass field (the study schema reads "float"/"int" as numbers)
_ANNOTATION = {"scalar": "float", "index": "int", "shares": "np.ndarray | None",
               "rates": "np.ndarray | None", "choice": "str", "array": "np.ndarray | None",
               "geography": "Geography | None"}


@dataclasses.dataclass(frozen=True)
class Param:
    """The declaration of one model parameter (see the module docstring)."""

    name: str
    kind: str
    meaning: str
    long_name: str = ""
    units: str = "1"
    lower: float | None = None
    upper: float | None = None
    lower_closed: bool = False
    upper_closed: bool = False
    default: Any = MISSING
    slot: str | None = None
    role: str | None = None
    choices: tuple[str, ...] = ()
    finite: bool = True  # False: +-inf is admissible (e.g. a prohibitive cost)
    #: an "array" parameter's dimensions by name (e.g. ("region", "industry")): check_array
    shape: tuple[str, ...] = ()
    #: its value where it is None (a number: the array filled with it; NaN: entries may be
    #: left out, as None or NaN)
    fill: float | None = None
    #: short forms it admits besides the full shape: "scalar" (one number for all), "rows" (also
    #: one value per row of a table)
    broadcast: str | None = None
    #: what its entries are, in error messages ("intensities must be >= 0")
    items: str = "values"
    #: what the rows and columns of a table are, in error messages
    layout: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: unknown parameter kind {self.kind!r} (one of {KINDS})")
        if self.slot not in (None, "par", "reg"):
            raise ValueError(f"{self.name}: slot must be 'par', 'reg' or None, got {self.slot!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"{self.name}: a choice needs its choices")
        if self.shape and (self.kind != "array" or len(self.shape) > 2):
            raise ValueError(f"{self.name}: a shape is declared for an array of 1 or 2 dimensions")
        if self.broadcast not in (None, "scalar", "rows"):
            raise ValueError(f"{self.name}: broadcast must be None, 'scalar' or 'rows', "
                             f"got {self.broadcast!r}")

    @property
    def annotation(self) -> str:
        """The type annotation of the model's field."""
        if self.kind == "scalar" and self.default is None:
            return "float | None"
        return _ANNOTATION[self.kind]

    @property
    def interval(self) -> str:
        """The admissible range as words, for error messages: "> 1", "in (0, 1]", ..."""
        lo, hi = self.lower, self.upper
        if hi is None:
            return f"be {'>=' if self.lower_closed else '>'} {lo:g}"
        if lo is None:
            return f"be {'<=' if self.upper_closed else '<'} {hi:g}"
        if (lo, hi) == (0.0, 1.0) and not (self.lower_closed or self.upper_closed):
            return "lie in the open interval (0, 1)"
        return (f"lie in {'[' if self.lower_closed else '('}{lo:g}, {hi:g}"
                f"{']' if self.upper_closed else ')'}")

    def admits(self, v):
        """True where ``v`` (a number or an array) lies in the admissible range."""
        lo, hi = self.lower, self.upper
        ok_lo = True if lo is None else (v >= lo if self.lower_closed else v > lo)
        ok_hi = True if hi is None else (v <= hi if self.upper_closed else v < hi)
        return ok_lo & ok_hi


def _as_float(name: str, value, finite: bool = True) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected a number, got {value!r}") from None
    if math.isnan(v) or (finite and math.isinf(v)):
        raise ValueError(f"{name}: must be finite, got {v}")
    return v


def check_value(p: Param, value, K: int):
    """``value`` validated against the declaration ``p`` (K regions); returns the stored value."""
    if p.kind == "scalar" or p.kind == "index":
        if value is None and p.default is None:
            return None
        v = _as_float(p.name, value, p.finite)
        if not p.admits(v):
            raise ValueError(f"{p.name}: must {p.interval}, got {v:g}")
        if p.kind == "index":
            if v != int(v):
                raise ValueError(f"{p.name}: must be a whole number, got {value!r}")
            return int(v)
        return v
    if p.kind == "shares":
        return check_distribution(p.name, value, K)
    if p.kind == "rates":
        return check_rates(p, value, K)
    if p.kind == "choice":
        if value not in p.choices:
            raise ValueError(f"{p.name}: must be one of {p.choices}, got {value!r}")
        return value
    if p.shape and set(p.shape) == {"region"}:
        return check_array(p, value, {"region": K})
    return value  # other arrays, geography: validated by the model


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


def check_rates(p: Param | str, value, K: int) -> np.ndarray:
    """A per-region rate vector of the declaration ``p`` (or the name of a policy instrument);
    one number stands for every region; None: the default everywhere."""
    if isinstance(p, str):
        p = _POLICY_BY_NAME[p]
    return _vector(p, value, K, "region", p.default, True)


def _vector(p: Param, value, n: int, dim: str, fill: float, one_for_all: bool) -> np.ndarray:
    """n values of ``p`` (one per ``dim``), ``fill`` where the value is None; finite and admitted
    by the declaration's bounds; one number for all if ``one_for_all``. A NaN ``fill`` means
    "not given": entries may then be None or NaN (e.g. an industry without its own freeness).
    Read-only."""
    optional = fill is not None and math.isnan(fill)
    if value is None:
        arr = np.full(n, float(fill))
    else:
        try:
            if optional and not (isinstance(value, np.ndarray) and value.dtype.kind == "f"):
                value = [np.nan if v is None else v for v in np.asarray(value, dtype=object).ravel()]
            arr = np.array(value, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise TypeError(f"{p.name}: expected a list of numbers, got {value!r}") from None
        if one_for_all and arr.size == 1:
            arr = np.full(n, arr[0])
        if arr.size != n:
            raise ValueError(f"{p.name}: expected {n} values (one per {dim})"
                             f"{' or one for all' if one_for_all else ''}, got {arr.size}")
        given = arr[~np.isnan(arr)] if optional else arr
        if not np.all(np.isfinite(given)):
            raise ValueError(f"{p.name}: {p.items} must be finite")
        if not np.all(p.admits(given)):
            raise ValueError(f"{p.name}: {p.items} must {p.interval}, got min {given.min():g}, "
                             f"max {given.max():g}")
    arr.setflags(write=False)
    return arr


def check_table(name: str, value, shape: tuple[int, int], lower: float, upper: float, default: float,
                *, per_row: bool = False, layout: str = "", one: bool = True,
                items: str = "values") -> np.ndarray:
    """A 2-d array of the given ``shape`` (a policy instrument per (region, x)): None (the
    default everywhere), one number for all (if ``one``), one value per row (if ``per_row``) or
    the whole array (``layout`` says what its rows and columns are); finite values in
    [lower, upper] (upper = inf: [lower, inf)). Read-only."""
    rows, cols = shape
    if value is None:
        arr = np.full(shape, float(default))
    else:
        try:
            arr = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name}: expected numbers, got {value!r}") from None
        if one and (arr.ndim == 0 or arr.size == 1):
            arr = np.full(shape, float(arr.reshape(-1)[0]))
        elif per_row and arr.shape == (rows,):
            arr = np.repeat(arr[:, None], cols, axis=1)
        elif arr.shape != shape:
            forms = (f"one number, {rows} values (one per region) or " if per_row
                     else "one number or " if one else "")
            raise ValueError(f"{name}: expected {forms}a {rows} x {cols} array ({layout}), got shape "
                             f"{arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: {items} must be finite")
        if np.any(arr < lower) or np.any(arr > upper):
            interval = f"[{lower:g}, {upper:g}]" if np.isfinite(upper) else f"[{lower:g}, inf)"
            raise ValueError(f"{name}: {items} must lie in {interval}, got min {arr.min():g}, "
                             f"max {arr.max():g}")
    arr.setflags(write=False)
    return arr


def check_array(p: Param, value, sizes: dict[str, int]) -> np.ndarray:
    """The "array" parameter declared by ``p`` with a ``shape``, validated: ``sizes`` gives each
    dimension's size (``{"region": K, "industry": I}``). None gives ``p.fill`` everywhere; a
    vector needs one value per entry of its dimension, a table its whole shape (or the short
    forms in ``p.broadcast``, rows and columns as ``p.layout`` says); values finite and within
    the declared bounds (a table's bounds closed). Read-only, and unchanged by a second check."""
    dims = tuple(sizes[d] for d in p.shape)
    if len(dims) == 2:
        lower = -np.inf if p.lower is None else p.lower
        upper = np.inf if p.upper is None else p.upper
        return check_table(p.name, value, dims, lower, upper, p.fill, per_row=p.broadcast == "rows",
                           layout=p.layout or f"rows: {p.shape[0]}, columns: {p.shape[1]}",
                           one=p.broadcast is not None, items=p.items)
    return _vector(p, value, dims[0], p.shape[0], p.fill, p.broadcast is not None)


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


# --------------------------------------------------------------------------- the common fields
def _common(name: str, kind: str, **bounds) -> Param:
    """A common parameter's declaration: its meaning, long name and units are its entry of
    :data:`neg.variables.PARAMETERS` (written once there, where outputs without a model at hand
    find them too); its kind, range, default and slot are given here."""
    v = PARAMETERS[name]
    return Param(name, kind, v.meaning, v.long_name, v.units, **bounds)


#: sigma, trade costs and the geography: every model has them (phi and T are validated together
#: by :class:`neg.models.base.Model`, one given, the other derived)
COMMON: tuple[Param, ...] = (
    _common("sigma", "scalar", lower=1.0, slot="par"),
    _common("phi", "scalar", lower=0.0, upper=1.0, upper_closed=True, default=None),
    Param("geography", "geography", "the regions and their distances (default: two regions one "
          "unit apart)", "geography", default=None),
    _common("T", "scalar", lower=1.0, lower_closed=True, default=None),
)

#: the standard per-region policy instruments (models with ``Capability.POLICY``)
POLICY: tuple[Param, ...] = (
    _common("tax", "rates", lower=-1.0, upper=1.0, lower_closed=True, default=0.0, slot="reg"),
    _common("cost", "rates", lower=0.0, upper=np.inf, lower_closed=True, default=0.0, slot="reg"),
    _common("share_cap", "rates", lower=0.0, upper=1.0, lower_closed=True, upper_closed=True, default=1.0),
)
#: the region-specific fundamentals, in every model (recovered from data by neg.calibrate):
#: ``amenity`` multiplies the mobile factor's payoff in the region (added as its log where
#: payoffs are quasi-linear, Capability.QUASI_LINEAR); ``productivity`` divides the unit input
#: requirement of the region's firms, so it enters with the ``cost`` instrument as the factor
#: (1 + cost)/productivity on their marginal cost (see docs/models.md, "Fundamentals")
FUNDAMENTALS: tuple[Param, ...] = (
    _common("amenity", "rates", lower=0.0, default=1.0, slot="reg"),
    _common("productivity", "rates", lower=0.0, default=1.0, slot="reg"),
)
_POLICY_BY_NAME = {p.name: p for p in POLICY + FUNDAMENTALS}

#: the policy instruments as name -> (lower, upper, default, meaning) (derived from POLICY)
POLICY_RATES: dict[str, tuple[float, float, float, str]] = {
    p.name: (p.lower, p.upper, p.default, p.meaning) for p in POLICY}


def merge(own: tuple[Param, ...], policy: bool) -> tuple[Param, ...]:
    """The full declarations of a model: the common ones, the model's own (which replace a
    common one of the same name), with ``policy`` the policy instruments, and the fundamentals
    (last, so that the slots of the others do not depend on them)."""
    names = {p.name for p in own}
    rest = tuple(p for p in POLICY if p.name not in names) if policy else ()
    fundamentals = tuple(p for p in FUNDAMENTALS if p.name not in names)
    return tuple(p for p in COMMON if p.name not in names) + tuple(own) + rest + fundamentals


def kernel_layout(declared: tuple[Param, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(names in ``par``, names of the rows of ``reg``), in declaration order."""
    return (tuple(p.name for p in declared if p.slot == "par"),
            tuple(p.name for p in declared if p.slot == "reg"))


def slots(own: tuple[Param, ...], where: str, *names: str, policy: bool = True) -> tuple[int, ...] | int:
    """The kernel slots of ``names`` in ``par`` (``where="par"``) or ``reg`` (``"reg"``) of a
    model declaring ``own`` (with the policy instruments unless ``policy=False``): module-level
    integer constants for its kernels (numba freezes them), e.g.
    ``SIGMA, MU = slots(PARAMS, "par", "sigma", "mu")``. One name gives one int."""
    par, reg = kernel_layout(merge(own, policy))
    layout = {"par": par, "reg": reg}[where]
    missing = [n for n in names if n not in layout]
    if missing:
        raise ValueError(f"slots: {', '.join(missing)} not in {where} ({', '.join(layout)})")
    out = tuple(layout.index(n) for n in names)
    return out[0] if len(out) == 1 else out


def n_slots(own: tuple[Param, ...], where: str, policy: bool = True) -> int:
    """Number of declared slots in ``par`` or ``reg`` (where a model's extra kernel arguments,
    :meth:`neg.models.base.Model.kernel_extras`, begin)."""
    par, reg = kernel_layout(merge(own, policy))
    return len({"par": par, "reg": reg}[where])
