"""What a study config may contain: its sections and keys, the value types a key takes, and the
checker that reports a wrong key or value under its dotted key (file and line from the
:class:`~neg.study.source.Source`). A model's parameters and their types come from the model class
itself, from its declarations (:func:`_model_fields`); the ``solver`` section's keys and the study
kinds' settings from the algorithms' options objects (:mod:`neg.options`)."""

from __future__ import annotations

import re

from neg.models.params import MISSING
from neg.solvers.fixed_point import SolverOptions
from neg.study.errors import Problem, did_you_mean
from neg.study.source import Source
from neg.study.sweep import _num, describe

__all__ = ["SECTIONS", "SOLVER_KEYS", "SWEEP_KEYS", "OUTPUT_KEYS"]

SECTIONS = ("model", "geography", "calibration", "solver", "study", "sweep", "output")
#: the ``solver`` section's keys and their types: the settings of the short-run solver
SOLVER_KEYS = {k: spec.type for k, spec in SolverOptions.specs().items()}
SWEEP_KEYS = ("mode", "axes", "samples", "seed", "chunk_size")
OUTPUT_KEYS = ("path", "store", "attrs", "keep_unconverged")


class _Checker:
    def __init__(self, src: Source):
        self.src = src
        self.problems: list[Problem] = []
        self._seen: set = set()

    def err(self, key: str, message: str) -> None:
        if (key, message) in self._seen:
            return
        self._seen.add((key, message))
        file, line = self.src.where(key)
        self.problems.append(Problem(key, message, file, line))

    def mapping(self, key: str, value, allowed, *, required=()) -> dict | None:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            self.err(key, f"expected a mapping (key: value lines), got {describe(value)}")
            return None
        for k in value:
            if not isinstance(k, str):
                self.err(key, f"keys must be names, got {describe(k)}")
            elif k not in allowed:
                self.err(f"{key}.{k}", f"unknown key {k!r}{did_you_mean(k, allowed)}")
        for k in required:
            if value.get(k) is None:
                self.err(f"{key}.{k}", "required")
        return value

    def typed(self, key: str, t: str, v, *, choices=(), nullable=False):
        """Check ``v`` against a type name; the converted value, or _BAD."""
        if v is None:
            if nullable:
                return None
            self.err(key, f"expected {_TYPE_WORDS.get(t, t)}, got nothing (null)")
            return _BAD
        if t in ("number", "pos_number", "nonneg_number", "unit_interval"):
            x = _num(self.err, key, v)
            if x is None:
                return _BAD
            if t == "pos_number" and not x > 0:
                self.err(key, f"must be > 0, got {x:g}")
                return _BAD
            if t == "nonneg_number" and not x >= 0:
                self.err(key, f"must be >= 0, got {x:g}")
                return _BAD
            if t == "unit_interval" and not 0 < x <= 1:
                self.err(key, f"must lie in (0, 1], got {x:g}")
                return _BAD
            return x
        if t in ("int", "pos_int", "nonneg_int"):
            x = _num(self.err, key, v, integer=True)
            if x is None:
                return _BAD
            if t == "pos_int" and x < 1:
                self.err(key, f"must be a whole number >= 1, got {x}")
                return _BAD
            if t == "nonneg_int" and x < 0:
                self.err(key, f"must be a whole number >= 0, got {x}")
                return _BAD
            return x
        if t == "bool":
            if not isinstance(v, bool):
                self.err(key, f"expected true or false, got {describe(v)}")
                return _BAD
            return v
        if t in ("str", "choice", "param"):
            if not isinstance(v, str) or not v.strip():
                self.err(key, f"expected a name, got {describe(v)}")
                return _BAD
            if t == "choice" and v not in choices:
                self.err(key, f"must be one of {', '.join(map(str, choices))}, got {v!r}"
                              f"{did_you_mean(v, choices)}")
                return _BAD
            return v
        if t == "rates" and isinstance(v, (int, float, str)) and not isinstance(v, bool):
            x = _num(self.err, key, v)
            return _BAD if x is None else x
        if t in ("shares", "numbers", "rates"):
            if not isinstance(v, list) or not v:
                self.err(key, f"expected a list of numbers, got {describe(v)}")
                return _BAD
            out = [_num(self.err, f"{key}[{i}]", x) for i, x in enumerate(v)]
            return _BAD if None in out else out
        if t == "names":
            if not isinstance(v, list) or not v or not all(
                    isinstance(x, (str, int, float)) and not isinstance(x, bool) for x in v):
                self.err(key, f"expected a list of region names, got {describe(v)}")
                return _BAD
            return [str(x) for x in v]
        return v  # "any"


_BAD = object()
_TYPE_WORDS = {"number": "a number", "pos_number": "a number > 0", "nonneg_number": "a number >= 0",
               "unit_interval": "a number in (0, 1]",
               "int": "a whole number", "pos_int": "a whole number >= 1",
               "nonneg_int": "a whole number >= 0", "bool": "true or false", "choice": "a name",
               "param": "a parameter name", "shares": "a list of shares", "numbers": "a list of numbers",
               "names": "a list of names", "values": "values", "schedule": "a schedule",
               "rates": "a number or a list of numbers (one per region)"}


#: the config type of each kind of parameter declaration (neg.models.params): choices and
#: arrays are checked by the model itself, whose messages are mapped to their keys
_KIND_TYPES = {"scalar": "number", "index": "number", "shares": "shares", "rates": "rates",
               "choice": "any", "array": "any"}


def _model_fields(cls) -> dict[str, tuple[str, bool]]:
    """name -> (type, required) for a model class's parameters, from its declarations (in the
    order of its fields): shares and rates per region, numbers, and values the model checks;
    required: declared without a default."""
    return {name: (_KIND_TYPES[p.kind], p.default is MISSING)
            for name, p in cls.field_declarations().items() if p.kind != "geography"}


def _map_message(message: str, keys: dict[str, str], default: str) -> tuple[str, str]:
    """'sigma: must be > 1' -> (keys['sigma'], 'must be > 1')."""
    head, sep, rest = message.partition(": ")
    if sep:
        if head in keys:
            return keys[head], rest
        first = re.split(r"[,\[ ]", head)[0]
        if first in keys:
            return keys[first], message if "," in head or "[" in head else rest
    return default, message
