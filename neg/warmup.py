"""Ahead-of-time compilation: ``neg compile [MODEL ...]`` fills numba's cache before a job array.

Kernels compile when first used (:func:`neg.kernels.lazy_njit`), so ``import neg`` compiles
nothing; each task of an HPC job array with an empty cache would then compile what it uses. Run
``neg compile`` once with ``NUMBA_CACHE_DIR`` pointing at a directory the tasks share (numba's
own setting; by default the cache lives next to the installed sources) and every task loads
the compiled code instead.
"""

from __future__ import annotations

import sys
import time
from types import ModuleType

from numba.core.dispatcher import Dispatcher

from neg.kernels import compile_declared
from neg.models import REGISTRY
from neg.operators import FreenessOperator, Lattice
from neg.solvers import fixed_point

__all__ = ["compile_models"]


def _declared(module: ModuleType) -> list:
    """The lazily compiled kernels of a module (those with a declared signature), and of the
    neg modules it imports as a whole (a model split over two files)."""
    found = [v for v in vars(module).values() if _is_declared(v)]
    for v in vars(module).values():
        if isinstance(v, ModuleType) and v.__name__.startswith("neg.models."):
            found += [w for w in vars(v).values() if _is_declared(w) and w not in found]
    return found


def _is_declared(obj) -> bool:
    """A dispatcher made by :func:`neg.kernels.lazy_njit`."""
    return isinstance(obj, Dispatcher) and "declared_signature" in vars(obj)


def compile_models(names: list[str] | None = None, *, batch: bool = False,
                   lattice: bool = False) -> dict[str, float]:
    """Compile (or load from the numba cache) the short-run solver and every kernel of the named
    models (registry names; default all), each for its declared signature. ``batch`` adds the
    parallel batch solver (``short_run_batch``, sweeps), ``lattice`` the structured products of
    the lattice geographies' operators (which the kernels call through a pointer, so a dense
    geography never compiles them). Returns seconds per item."""
    unknown = sorted(set(names or ()) - set(REGISTRY))
    if unknown:
        raise ValueError(f"models: unknown {', '.join(map(repr, unknown))}; choose from "
                         f"{', '.join(REGISTRY)}")
    times = {}
    solvers = [fixed_point.solve_fixed_point, fixed_point._no_jacobian] + (
        [fixed_point._solve_batch] if batch else [])
    t0 = time.perf_counter()
    for d in solvers:
        compile_declared(d)
    times["solvers"] = time.perf_counter() - t0
    if lattice:
        t0 = time.perf_counter()
        FreenessOperator.structured(Lattice(2, 2), 0.5).kernel_arg  # noqa: B018 (compiles them)
        times["lattice products"] = time.perf_counter() - t0
    for name in names or REGISTRY:
        t0 = time.perf_counter()
        for d in _declared(sys.modules[REGISTRY[name].__module__]):
            compile_declared(d)
        times[name] = time.perf_counter() - t0
    return times
