"""Cold start: ``import neg`` compiles nothing (kernels compile when first used, each for its
declared signature), and ``neg compile`` compiles a model's kernels ahead of use."""

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neg import structured_products
from neg.cli import main
from neg.geography import Geography
from neg.models import CorePeriphery
from neg.solvers import fixed_point

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import numba.core.event as ev
compiled = []
class Listener(ev.Listener):
    def on_start(self, event): compiled.append(event.data["dispatcher"].py_func.__qualname__)
    def on_end(self, event): pass
ev.register("numba:compile", Listener())
import neg
print(len(compiled), compiled[:5])
"""


def _run_cold(script: str, cache_dir) -> str:
    """Run ``script`` in a fresh process with an empty numba cache; its printed output."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


def test_import_compiles_nothing(tmp_path):
    assert _run_cold(SCRIPT, tmp_path) == "0 []"


STRUCTURED = """
import numpy as np
print([name for name in compiled if name.startswith("_structured")])
lam = np.random.default_rng(0).dirichlet(np.ones(36))
geo = {kind: neg.Geography.torus(6, 6, operator=kind) for kind in ("dense", "structured")}
wage = {kind: neg.CorePeriphery(5, 0.4, phi=0.6, geography=g).short_run(lam).wage for kind, g in geo.items()}
print(sorted({name for name in compiled if name.startswith("_structured")}))
print(np.max(np.abs(wage["structured"] / wage["dense"] - 1)))
"""


def test_dense_solve_compiles_no_structured_product(tmp_path):
    """A first solve on a dense operator leaves the structured products uncompiled (kernels call
    them through a pointer); a structured operator compiles them, and its kernels (the same
    compiled kernels) give the dense operator's wages."""
    script = SCRIPT.replace("print(len(compiled), compiled[:5])",
                            "neg.CorePeriphery(5, 0.4, phi=0.5).short_run([0.6, 0.4])") + STRUCTURED
    before, after, diff = _run_cold(script, tmp_path).splitlines()
    assert before == "[]"
    assert "_structured_impl" in after
    assert float(diff) < 1e-12


def test_neg_compile(capsys):
    assert main(["compile", "core_periphery"]) == 0
    printed = capsys.readouterr().out
    assert "core_periphery" in printed and "solvers" in printed
    kernels = CorePeriphery.kernels
    for k in (kernels.map, kernels.outputs, kernels.jacobian, fixed_point.solve_fixed_point):
        assert k.declared_signature.args in k.signatures


def test_neg_compile_lattice(capsys):
    """``--lattice`` compiles the structured products and publishes their address."""
    assert main(["compile", "core_periphery", "--lattice"]) == 0
    assert "lattice products" in capsys.readouterr().out
    assert structured_products._address.value != 0


def test_neg_compile_unknown_model(capsys):
    assert main(["compile", "nope"]) == 2
    assert "models: unknown 'nope'; choose from core_periphery" in capsys.readouterr().err


@pytest.mark.parametrize("method", ["anderson", "newton"])
def test_methods_after_lazy_compile(method):
    """The placeholders for Newton's Jacobian and linear solve stand in only for other methods."""
    sr = CorePeriphery(5.0, 0.4, phi=0.5).short_run([0.6, 0.4], method=method)
    assert sr.converged and sr.method == method


def test_structured_model_pickled_to_a_fresh_process(tmp_path):
    """A model that has solved on a structured operator crosses to a new process (as in a sweep's
    workers) and solves there: the operator is pickled without its kernel argument, whose rebuild
    publishes the product's address in that process (a stale one would crash it)."""
    geo = Geography.torus(8, 8, operator="structured")
    model = CorePeriphery(5.0, 0.4, phi=0.6, geography=geo)
    lam = np.random.default_rng(1).dirichlet(np.ones(64))
    wage = model.short_run(lam).wage
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps((model, lam)))
    script = (f"import pickle, numpy as np\nmodel, lam = pickle.loads(open({str(path)!r}, 'rb').read())\n"
              "np.save({!r}, model.short_run(lam).wage)".format(str(tmp_path / "wage.npy")))
    _run_cold(script, tmp_path / "cache")
    np.testing.assert_array_equal(np.load(tmp_path / "wage.npy"), wage)
