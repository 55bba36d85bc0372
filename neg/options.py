"""Options objects: each algorithm's settings as one validated, frozen dataclass (pyblp's style).

An algorithm (short run, long run, trace, bifurcation diagram, simulate, ...) declares its settings
once, as the fields of a subclass of :class:`Options`, each made with :func:`option`, which records
the setting's type, range and meaning. From that one declaration come

* validation with a clear message naming the setting and its allowed range (``__post_init__``),
* keyword overrides (``Options.resolve(options, **kwargs)``: the functions' one signature),
* the YAML study kinds' arguments and their checks (:mod:`neg.study` reads :meth:`Options.specs`),

so a new setting is written in one place.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

__all__ = ["Options", "OptionSpec", "option", "nested"]

#: the value types an option may have (the names are those of the study config's checks)
TYPES = ("number", "pos_number", "nonneg_number", "unit_interval", "int", "pos_int", "nonneg_int",
         "bool", "choice")


@dataclass(frozen=True)
class OptionSpec:
    """What a setting may be: ``type`` (one of :data:`TYPES`), ``choices`` (for "choice"),
    ``bounds`` (inclusive ``(lo, hi)``, extra to the type), ``nullable`` (None allowed) and
    ``help`` (its meaning, one line). A number is finite unless its bounds reach an infinity
    (``bounds=(0, math.inf)``: inf allowed)."""

    type: str
    choices: tuple = ()
    bounds: tuple[float, float] | None = None
    nullable: bool = False
    help: str = ""

    def check(self, name: str, value: Any) -> Any:
        """``value`` validated (ints as int, numbers as float); ValueError naming ``name``."""
        if value is None:
            if self.nullable:
                return None
            raise ValueError(f"{name}: must not be None")
        t = self.type
        if t == "choice":
            if value not in self.choices:
                raise ValueError(f"{name}: must be one of {sorted(self.choices)}, got {value!r}")
            return value
        if t == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{name}: must be true or false, got {value!r}")
            return value
        if t.endswith("int"):
            if isinstance(value, bool) or not _is_integral(value):
                raise ValueError(f"{name}: must be {_INT_WORDS[t]}, got {value!r}")
            v = int(value)
            lo, hi = self.bounds or (-math.inf, math.inf)
            if (t == "pos_int" and v < 1) or (t == "nonneg_int" and v < 0) or not lo <= v <= hi:
                if self.bounds:
                    raise ValueError(f"{name}: must be an integer in [{lo:g}, {hi:g}], got {value}")
                raise ValueError(f"{name}: must be {_INT_WORDS[t]}, got {value}")
            return v
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: must be a number, got {value!r}") from None
        lo, hi = self.bounds or (-math.inf, math.inf)
        ok = {"number": True, "pos_number": v > 0, "nonneg_number": v >= 0, "unit_interval": 0 < v <= 1}[t]
        if not (ok and lo <= v <= hi):
            if self.bounds:
                raise ValueError(f"{name}: {_NUMBER_WORDS[t]} and in [{lo:g}, {hi:g}], got {value}")
            raise ValueError(f"{name}: {_NUMBER_WORDS[t]}, got {value}")
        if math.isinf(v) and not (self.bounds and math.isinf(hi if v > 0 else lo)):
            raise ValueError(f"{name}: must be finite, got {value}")
        return v


_INT_WORDS = {"int": "an integer", "pos_int": "a positive integer", "nonneg_int": "an integer >= 0"}
_NUMBER_WORDS = {"number": "must be a number", "pos_number": "must be > 0",
                 "nonneg_number": "must be >= 0", "unit_interval": "must lie in (0, 1]"}


def _is_integral(value) -> bool:
    try:
        return float(value) == int(value)
    except (TypeError, ValueError, OverflowError):
        return False


def option(default: Any, type: str, *, choices: tuple = (), bounds: tuple[float, float] | None = None,
           nullable: bool = False, help: str = "") -> Any:
    """A field of an :class:`Options` subclass with its :class:`OptionSpec`."""
    if type not in TYPES:
        raise ValueError(f"type: must be one of {TYPES}, got {type!r}")  # pragma: no cover - a typo in neg
    spec = OptionSpec(type, tuple(choices), bounds, nullable, help)
    return dataclasses.field(default=default, metadata={"spec": spec})


def nested(cls: type[Options]) -> Any:
    """A field holding the options of an algorithm this one calls (e.g. the short-run solver's
    :class:`~neg.solvers.fixed_point.SolverOptions` inside the long run's options): its settings
    may be given flat, ``resolve(tol=..., method="newton")``, and an instance of ``cls`` passed as
    ``options`` stands for the defaults with it nested."""
    return dataclasses.field(default_factory=cls, metadata={"nested": cls})


O = TypeVar("O", bound="Options")


@functools.cache
def _specs(cls: type) -> dict[str, OptionSpec]:
    return {f.name: f.metadata["spec"] for f in dataclasses.fields(cls) if "spec" in f.metadata}


@functools.cache
def _defaults(cls: type) -> Options:
    """The options with every setting at its default (frozen, so one instance serves all)."""
    return cls()


@functools.cache
def _nested(cls: type) -> dict[str, type]:
    return {f.name: f.metadata["nested"] for f in dataclasses.fields(cls) if "nested" in f.metadata}


@dataclass(frozen=True)
class Options:
    """Base of the options objects: validation and overrides from the fields' specs."""

    #: the name of the algorithm, for messages
    algorithm: ClassVar[str] = "options"

    def __post_init__(self) -> None:
        for name, spec in _specs(type(self)).items():
            object.__setattr__(self, name, spec.check(name, getattr(self, name)))

    @classmethod
    def specs(cls) -> dict[str, OptionSpec]:
        """Each setting's :class:`OptionSpec`, in declaration order."""
        return dict(_specs(cls))

    @classmethod
    def nested_options(cls) -> dict[str, type[Options]]:
        """The options classes of the algorithms this one calls, by field name (see :func:`nested`)."""
        return dict(_nested(cls))

    @classmethod
    def resolve(cls: type[O], options: Options | None = None, **overrides) -> O:
        """``options`` (default: the defaults; or the options of a nested algorithm, see
        :func:`nested`) with the settings in ``overrides`` replaced, a nested algorithm's settings
        included; TypeError naming any unknown setting."""
        nested = _nested(cls)
        if options is None:
            base = _defaults(cls)
        elif isinstance(options, cls):
            base = options
        else:
            inner = [name for name, t in nested.items() if isinstance(options, t)]
            if not inner:
                allowed = " or ".join([cls.__name__, *(t.__name__ for t in nested.values())])
                raise TypeError(f"options: expected a {allowed}, got {type(options).__name__}")
            base = cls(**{inner[0]: options})
        if not overrides:
            return base
        own = _specs(cls)
        changes = {k: v for k, v in overrides.items() if k in own}
        rest = {k: v for k, v in overrides.items() if k not in own}
        for name, t in nested.items():
            mine = {k: rest.pop(k) for k in list(rest) if k in _specs(t)}
            if mine:
                changes[name] = t.resolve(getattr(base, name), **mine)
        if rest:
            known = [*own, *(k for t in nested.values() for k in _specs(t) if k not in own)]
            raise TypeError(f"unknown {cls.algorithm} option(s): {sorted(rest)}; "
                            f"choose from {', '.join(known)}")
        return dataclasses.replace(base, **changes)
