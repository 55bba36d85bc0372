"""numba start-up: cold compile vs cached, each in a fresh Python subprocess.

A fresh temporary NUMBA_CACHE_DIR is used, so the first run compiles everything (cold) and
writes the cache; the following runs with the same directory load it (cached). Reported: time
of ``import neg`` and of the first ``neg.CorePeriphery(5, 0.4, phi=0.5).short_run([0.6, 0.4])``
(measured inside the subprocess), and the whole subprocess wall time. Targets (issue 13, with an
empty cache): import <= 2 s, import and the first two-region short run <= 12 s. Kernels compile
when first used (neg.kernels.lazy_njit), so the import compiles nothing and the first solve
compiles the solver, the model's map and outputs and the dense products (the structured ones,
called through a pointer, only when a structured operator is first built).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._report import Row, ratio_row
from benchmarks._timing import fmt_time

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import json, time
t0 = time.perf_counter()
import neg
t1 = time.perf_counter()
neg.CorePeriphery(5, 0.4, phi=0.5).short_run([0.6, 0.4])
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "first_solve_s": t2 - t1}))
"""


def run_once(cache_dir: str) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True)
    wall = time.perf_counter() - t0
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    result["total_s"] = result["import_s"] + result["first_solve_s"]
    return result


def median_of(runs: list[dict]) -> dict:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def _row(label: str, runs: list[dict]) -> Row:
    m = median_of(runs)
    text = (f"{fmt_time(m['total_s'])} (import {fmt_time(m['import_s'])}, "
            f"solve {fmt_time(m['first_solve_s'])}; process {fmt_time(m['wall_s'])})")
    return Row(f"median of {len(runs)}", label, text, data={"median": m, "runs": runs})


def run(quick: bool = False) -> list[Row]:
    n_cold, n_cached = (1, 2) if quick else (2, 5)
    cold, cached = [], []
    for _ in range(n_cold):
        with tempfile.TemporaryDirectory(prefix="neg-numba-cache-") as cache_dir:
            cold.append(run_once(cache_dir))
            if not cached:  # the cached runs reuse the first cold run's directory
                cached = [run_once(cache_dir) for _ in range(n_cached)]
    c = median_of(cold)
    return [_row("cold (empty numba cache)", cold), _row("cached (warm numba cache)", cached),
            ratio_row("cold", "import neg (s)", c["import_s"], "<= 2", unit=" s"),
            ratio_row("cold", "import + first two-region short run (s)", c["total_s"], "<= 12", unit=" s")]
