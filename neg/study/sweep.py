"""Sweep axes: parsing an axis specification, Latin-hypercube samples, shards and chunks.

An axis is written in the config's ``sweep.axes`` as

* a list of values: ``phi: [0.1, 0.2, 0.4]`` (or ``{values: [...]}``);
* a range: ``{start, stop, num}`` (``space: linspace``, the default; stop included),
  ``{start, stop, num, space: logspace}`` (numpy's logspace: start and stop are exponents of
  ``base``, default 10), or ``{start, stop, step}`` (``space: arange``; stop excluded, as numpy);
* for ``mode: random``: bounds ``{start, stop}`` (uniform; ``space: logspace``: log-uniform between
  base**start and base**stop), sampled jointly by a Latin hypercube of ``sweep.samples`` points.

``param:`` names what the axis sets (default: the axis name), e.g. ``model.sigma``, ``solver.tol``,
``geography.unit_km``, ``study.migration_cost``, or one entry of a per-region share vector,
``model.farmers[0]`` (the other entries are rescaled so the shares still sum to 1).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable

import numpy as np

from neg.study.errors import did_you_mean

__all__ = ["AXIS_KEYS", "MODES", "MAX_POINTS", "LARGE_SWEEP",
           "parse_axis", "latin_hypercube", "shard_indices",
           "chunk_indices", "parse_shard", "check_shard"]

AXIS_KEYS = ("values", "start", "stop", "num", "step", "space", "base", "param", "long_name", "units",
             "scale")
SPACES = ("linspace", "logspace", "arange")
MODES = ("grid", "zip", "random")
MAX_POINTS = 10_000_000
#: a sweep of this many points or more runs with a warning estimating its cost (time, file size)
LARGE_SWEEP = 1_000_000

Err = Callable[[str, str], None]


def _num(err: Err, key: str, v, *, integer=False):
    """A finite number (numeric strings such as '1e-3' accepted: YAML 1.1 reads them as text)."""
    if isinstance(v, bool) or v is None or isinstance(v, (list, dict)):
        err(key, f"expected a {'whole ' if integer else ''}number, got {describe(v)}")
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        err(key, f"expected a {'whole ' if integer else ''}number, got {describe(v)}")
        return None
    if not math.isfinite(x):
        err(key, f"must be finite, got {v!r}")
        return None
    if integer:
        if x != int(x):
            err(key, f"expected a whole number, got {v!r}")
            return None
        return int(x)
    return x


def describe(v) -> str:
    """A value's type in words, for messages."""
    if v is None:
        return "nothing (null)"
    if isinstance(v, bool):
        return f"a boolean ({str(v).lower()})"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, str):
        return f"the text {v!r}"
    if isinstance(v, (int, float)):
        return f"the number {v!r}"
    return f"a {type(v).__name__}"


def parse_axis(err: Err, key: str, spec, mode: str):
    """Values of an axis (float array), or for ``mode='random'`` its (low, high, log, base)
    bounds. Returns None (after reporting through ``err``) if the spec is invalid."""
    if isinstance(spec, list):
        spec = {"values": spec}
    if not isinstance(spec, dict):
        err(key, f"expected a list of values or a mapping (values / start, stop, num / start, stop, "
                 f"step), got {describe(spec)}")
        return None
    bad = False
    for k in spec:
        if k not in AXIS_KEYS:
            err(f"{key}.{k}", f"unknown axis key {k!r}{did_you_mean(k, AXIS_KEYS)}")
            bad = True
    space = spec.get("space")
    if space is not None and space not in SPACES:
        err(f"{key}.space", f"must be one of {', '.join(SPACES)}, got {describe(space)}"
            f"{did_you_mean(str(space), SPACES)}")
        return None
    base = 10.0
    if "base" in spec:
        base = _num(err, f"{key}.base", spec["base"])
        if base is None:
            return None
        if not base > 0 or base == 1:
            err(f"{key}.base", f"must be > 0 and != 1, got {base:g}")
            return None
    if mode == "random":
        for k in ("values", "num", "step"):
            if k in spec:
                err(f"{key}.{k}", "not used by random sweeps: give bounds start and stop "
                                  "(and space: logspace for log-uniform)")
                bad = True
        if space == "arange":
            err(f"{key}.space", "random sweeps sample linspace (uniform) or logspace (log-uniform)")
            bad = True
        lo_hi = []
        for k in ("start", "stop"):
            if k not in spec:
                err(key, f"a random-sweep axis needs {k!r}")
                bad = True
            else:
                lo_hi.append(_num(err, f"{key}.{k}", spec[k]))
        if bad or None in lo_hi:
            return None
        lo, hi = lo_hi
        if not hi > lo:
            err(key, f"needs start < stop, got {lo:g}, {hi:g}")
            return None
        return (lo, hi, space == "logspace", base)
    if "values" in spec:
        for k in ("start", "stop", "num", "step"):
            if k in spec:
                err(f"{key}.{k}", "give either values or a range (start, stop, num/step), not both")
                bad = True
        vals = spec["values"]
        if not isinstance(vals, list):
            err(f"{key}.values", f"expected a list of numbers, got {describe(vals)}")
            return None
        if not vals:
            err(f"{key}.values", "needs at least one value")
            return None
        out = [_num(err, f"{key}.values[{i}]", v) for i, v in enumerate(vals)]
        if bad or None in out:
            return None
        return np.array(out, dtype=float)
    missing = [k for k in ("start", "stop") if k not in spec]
    if space == "arange" or (space is None and "step" in spec):
        need, space = "step", "arange"
    else:
        need, space = "num", space or "linspace"
    if need not in spec:
        missing.append(need)
    if missing:
        err(key, f"a {space} axis needs {', '.join(missing)} (or give values: [...])")
        return None
    other = "num" if need == "step" else "step"
    if other in spec:
        err(f"{key}.{other}", f"not used by a {space} axis (it uses {need})")
        return None
    start = _num(err, f"{key}.start", spec["start"])
    stop = _num(err, f"{key}.stop", spec["stop"])
    if need == "num":
        num = _num(err, f"{key}.num", spec["num"], integer=True)
        if start is None or stop is None or num is None or bad:
            return None
        if not 1 <= num <= MAX_POINTS:
            err(f"{key}.num", f"must be between 1 and {MAX_POINTS}, got {num}")
            return None
        if space == "logspace":
            with np.errstate(over="ignore"):
                vals = np.logspace(start, stop, num, base=base)
            if not np.all(np.isfinite(vals)):
                err(key, "logspace overflows (start and stop are exponents)")
                return None
            return vals
        return np.linspace(start, stop, num)
    step = _num(err, f"{key}.step", spec["step"])
    if start is None or stop is None or step is None or bad:
        return None
    if step == 0:
        err(f"{key}.step", "must not be 0")
        return None
    count = math.ceil((stop - start) / step)
    if count < 1:
        err(key, f"arange({start:g}, {stop:g}, {step:g}) is empty")
        return None
    if count > MAX_POINTS:
        err(f"{key}.step", f"gives {count} values (more than {MAX_POINTS})")
        return None
    return np.arange(start, stop, step, dtype=float)


def latin_hypercube(bounds: list[tuple], samples: int, seed: int) -> list[np.ndarray]:
    """``samples`` points of a seeded Latin hypercube (scipy.stats.qmc) scaled to ``bounds``."""
    # scipy.stats takes ~0.4 s to import (a third of `import neg`) and only random sweeps need it
    from scipy.stats import qmc

    u = qmc.LatinHypercube(d=len(bounds), rng=np.random.default_rng(seed)).random(samples)
    out = []
    for j, (lo, hi, log, base) in enumerate(bounds):
        x = lo + u[:, j] * (hi - lo)
        out.append(np.power(base, x) if log else x)
    return out


def parse_shard(text: str, environ=None) -> tuple[int, int]:
    """``"i/n"``: shard i of n, counted from 0 (0 <= i < n: the shards of ``n = 4`` are 0/4, 1/4,
    2/4 and 3/4), or ``"auto"`` (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN of
    SLURM_ARRAY_TASK_COUNT). Raises ValueError with a message for the user."""
    env = os.environ if environ is None else environ
    if text == "auto":
        try:
            task = int(env["SLURM_ARRAY_TASK_ID"])
            count = int(env["SLURM_ARRAY_TASK_COUNT"])
            first = int(env.get("SLURM_ARRAY_TASK_MIN", "0"))
        except KeyError as e:
            raise ValueError(f"--shard auto: {e.args[0]} is not set (not inside a SLURM job array?); "
                             "use --shard i/n") from None
        except ValueError:
            raise ValueError("--shard auto: SLURM_ARRAY_TASK_* are not integers") from None
        i, n = task - first, count
    else:
        try:
            a, b = text.split("/")
            i, n = int(a), int(b)
        except ValueError:
            raise ValueError(f"--shard: expected i/n, shard i of n counted from 0 (e.g. 0/4 .. 3/4), "
                             f"or auto, got {text!r}") from None
    return check_shard(i, n)


def check_shard(i: int, n: int) -> tuple[int, int]:
    """``(i, n)`` if 0 <= i < n (shards count from 0), else ValueError saying so."""
    if not n >= 1:
        raise ValueError(f"--shard: the number of shards must be >= 1, got {i}/{n}")
    if not 0 <= i < n:
        raise ValueError(f"--shard: shards count from 0: i/n needs 0 <= i < n (the shards of {n} are "
                         f"0/{n} .. {n - 1}/{n}), got {i}/{n}")
    return i, n


def shard_indices(n_points: int, shard: tuple[int, int] | None) -> np.ndarray:
    """The points of shard i of n: every n-th point starting at i (deterministic; interleaving
    balances shards when the cost varies smoothly along the sweep)."""
    if shard is None:
        return np.arange(n_points)
    i, n = shard
    return np.arange(i, n_points, n)


def chunk_indices(indices: np.ndarray, size: int) -> list[np.ndarray]:
    return [indices[k:k + size] for k in range(0, indices.size, size)]


def auto_chunk_size(n_points: int, workers: int) -> int:
    """About 16 chunks per worker (for load balance and fine-grained resume), 1 to 1000 points."""
    return int(min(1000, max(1, math.ceil(n_points / (16 * max(1, workers))))))
