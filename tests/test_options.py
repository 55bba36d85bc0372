"""Options objects: each algorithm's settings validated in one place (neg.options), the old call
styles giving identical results, and the YAML study kinds and their checks derived from them."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest
import xarray as xr

from neg import CorePeriphery
from neg.solvers.continuation import TraceOptions, bifurcation_diagram, trace
from neg.solvers.diagram import DiagramOptions
from neg.solvers.fixed_point import SolverOptions
from neg.solvers.long_run import EquilibriaOptions, LongRunOptions
from neg.solvers.simulate import SimulateOptions, simulate
from neg.study import ConfigError, load_study
from neg.study.schema import SOLVER_KEYS
from neg.study.studies import KINDS

ALL = (SolverOptions, LongRunOptions, EquilibriaOptions, TraceOptions, DiagramOptions, SimulateOptions)


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize("cls, kwargs, match", [
    (TraceOptions, {"tol": -1.0}, r"^tol: must be > 0, got -1"),
    (TraceOptions, {"perturbation": 2.0}, r"^perturbation: must be >= 0 and in \[0, 1\], got 2"),
    (TraceOptions, {"seed": 1.5}, r"^seed: must be an integer >= 0"),
    (DiagramOptions, {"ds": 0.0}, r"^ds: must be > 0"),
    (DiagramOptions, {"max_depth": -1}, r"^max_depth: must be an integer >= 0"),
    (DiagramOptions, {"n_grid": 1}, r"^n_grid: must be an integer in \[2, inf\], got 1"),
    (DiagramOptions, {"max_points": "many"}, r"^max_points: must be a positive integer"),
    (SimulateOptions, {"speed": math.inf}, r"^speed: must be finite, got inf"),
    (SimulateOptions, {"speed": -1.0}, r"^speed: must be > 0"),
    (SimulateOptions, {"dispersion": 0.0}, r"^dispersion: must be > 0"),
    (SimulateOptions, {"migration_cost": -0.1}, r"^migration_cost: must be >= 0"),
    (SimulateOptions, {"integrator": "RK45"}, r"^integrator: must be one of \['BDF', 'LSODA', 'Radau'\]"),
    (SimulateOptions, {"rtol": float("nan")}, r"^rtol: must be > 0, got nan"),
    (SimulateOptions, {"max_step": 0.0}, r"^max_step: must be > 0 and in \[0, inf\]"),
])
def test_a_bad_setting_is_named_with_its_range(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_defaults_and_allowed_extremes():
    assert SimulateOptions().max_step == math.inf  # inf allowed where the bounds say so
    assert SimulateOptions(dispersion=None).dispersion is None  # nullable
    eta = SimulateOptions(dispersion=1).dispersion
    assert eta == 1.0 and isinstance(eta, float)
    n = DiagramOptions(n_grid=2.0).n_grid
    assert n == 2 and isinstance(n, int)
    assert TraceOptions(perturbation=0.0).perturbation == 0.0
    for cls in ALL:
        cls()  # every default is valid
        for name, spec in cls.specs().items():
            assert spec.help, f"{cls.__name__}.{name} has no help"


# --------------------------------------------------------------------------- resolve
def test_resolve_takes_nested_solver_settings_flat():
    o = TraceOptions.resolve(None, tol=1e-9, seed=4, method="newton", max_iter=50)
    assert (o.tol, o.seed) == (1e-9, 4)
    assert (o.solver.method, o.solver.max_iter, o.solver.tol) == ("newton", 50, SolverOptions().tol)
    o = SimulateOptions.resolve(SolverOptions(damping=0.3), speed=5, tol=1e-11)
    assert o.speed == 5.0 and o.solver.damping == 0.3 and o.solver.tol == 1e-11
    base = TraceOptions(perturbation=1e-3)
    assert TraceOptions.resolve(base) is base
    assert TraceOptions.resolve(base, memory=3).solver.memory == 3
    assert DiagramOptions.resolve(None, ds_max=0.1).ds_max == 0.1
    with pytest.raises(TypeError, match=r"unknown simulate option\(s\): \['sped'\]; choose from speed"):
        SimulateOptions.resolve(None, sped=2)
    with pytest.raises(TypeError, match="unknown bifurcation_diagram option"):
        DiagramOptions.resolve(None, method="newton")  # the diagram has no solver setting
    with pytest.raises(TypeError, match="options: expected a DiagramOptions, got SolverOptions"):
        DiagramOptions.resolve(SolverOptions())
    with pytest.raises(ValueError, match="max_iter: must be a positive integer"):
        TraceOptions.resolve(None, max_iter=0)


# --------------------------------------------------------------------------- old call styles
def cp(phi=0.1):
    return CorePeriphery(sigma=5.0, mu=0.4, phi=phi)


def test_trace_old_and_new_call_styles_agree():
    vals = np.linspace(0.08, 0.2, 5)
    old = trace(cp(), "phi", vals, None, "both", tol=1e-9, perturbation=1e-5, seed=2,
                options=SolverOptions(max_iter=3000), method="anderson")
    new = trace(cp(), "phi", vals, options=TraceOptions(tol=1e-9, perturbation=1e-5, seed=2,
                                                          solver=SolverOptions(max_iter=3000)))
    flat = trace(cp(), "phi", vals, tol=1e-9, perturbation=1e-5, seed=2, max_iter=3000)
    xr.testing.assert_identical(old, new)
    xr.testing.assert_identical(old, flat)
    assert old.attrs["tol"] == 1e-9 and old.attrs["perturbation"] == 1e-5
    with pytest.raises(ValueError, match="perturbation"):
        trace(cp(), "phi", vals, perturbation=-1.0)


def test_diagram_old_and_new_call_styles_agree():
    old = bifurcation_diagram(cp(), "phi", 0.06, 0.2, ds_max=0.05, max_points=200, n_grid=21)
    new = bifurcation_diagram(cp(), "phi", 0.06, 0.2,
                              options=DiagramOptions(ds_max=0.05, max_points=200, n_grid=21))
    xr.testing.assert_identical(old, new)
    assert set(old["special_kind"].values) >= {"branch", "corner"}


def test_simulate_old_and_new_call_styles_agree():
    args = (cp(), {"phi": [(0.0, 0.1), (20.0, 0.3)]}, [0.51, 0.49], 20.0)
    old = simulate(*args, steps=4, speed=5.0, options=SolverOptions(tol=1e-11), rtol=1e-7)
    new = simulate(*args, steps=4, options=SimulateOptions(speed=5.0, rtol=1e-7,
                                                           solver=SolverOptions(tol=1e-11)))
    flat = simulate(*args, None, 4, "replicator", speed=5.0, rtol=1e-7, tol=1e-11)
    xr.testing.assert_identical(old, new)
    xr.testing.assert_identical(old, flat)
    assert old.attrs["speed"] == 5.0 and old.attrs["rtol"] == 1e-7
    with pytest.raises(TypeError, match="options: expected a SimulateOptions or SolverOptions"):
        simulate(*args, steps=4, options=DiagramOptions())


# --------------------------------------------------------------------------- the YAML schema
def test_study_kinds_and_solver_section_are_derived_from_the_options():
    assert SOLVER_KEYS == {k: s.type for k, s in SolverOptions.specs().items()}
    for kind in KINDS.values():
        if kind.options is None:
            continue
        for name, spec in kind.options.specs().items():
            arg = kind.args[name]
            assert (arg.type, arg.choices, arg.nullable, arg.help) == (
                spec.type, spec.choices, spec.nullable, spec.help), (kind.name, name)
    assert {"zero_share", "polish_max"} <= set(KINDS["equilibrium"].args)  # LongRunOptions' own


def write(tmp_path, text):
    p = tmp_path / "study.yaml"
    p.write_text(textwrap.dedent(text).lstrip("\n"))
    return p


MODEL = """
model:
  name: core_periphery
  sigma: 5.0
  mu: 0.4
  phi: 0.1
"""


def test_yaml_study_takes_every_option_setting(tmp_path):
    p = write(tmp_path, MODEL + """
solver:
  damping: 0.3
study:
  kind: equilibrium
  zero_share: 1.0e-9
  polish_max: 10
""")
    study = load_study(p)
    model, opts, args = study.build_point(0)
    o = KINDS["equilibrium"].build_options(opts, args)
    assert isinstance(o, LongRunOptions)
    assert (o.zero_share, o.polish_max, o.solver.damping) == (1e-9, 10, 0.3)
    p = write(tmp_path, MODEL + """
study:
  kind: simulate
  t_end: 10
  steps: 2
  max_step: 0.5
  integrator: Radau
""")
    model, opts, args = load_study(p).build_point(0)
    o = KINDS["simulate"].build_options(opts, args)
    assert (o.max_step, o.integrator) == (0.5, "Radau")


def test_yaml_bad_option_values_are_reported_at_their_key_and_line(tmp_path):
    p = write(tmp_path, MODEL + """
solver:
  damping: 1.5
study:
  kind: trace
  param: phi
  values: [0.1, 0.2]
  perturbation: 2.0
""")
    with pytest.raises(ConfigError) as e:
        load_study(p)
    probs = {x.key: x for x in e.value.problems}
    assert set(probs) == {"solver.damping", "study.perturbation"}
    assert probs["solver.damping"].line == 8
    assert probs["solver.damping"].message == "must lie in (0, 1], got 1.5"
    assert probs["study.perturbation"].line == 13
    text = str(e.value)
    assert f"{p}:13: study.perturbation: must be >= 0 and in [0, 1], got 2.0" in text

    p = write(tmp_path, MODEL + """
study:
  kind: bifurcation
  param: phi
  lo: 0.05
  hi: 0.3
  n_grid: 1
  integrator: LSODA
""")
    with pytest.raises(ConfigError) as e:
        load_study(p)
    probs = {x.key: x for x in e.value.problems}
    assert set(probs) == {"study.n_grid", "study.integrator"}
    assert "must be an integer in [2, inf], got 1" in probs["study.n_grid"].message
    assert "unknown key 'integrator'" in probs["study.integrator"].message


def test_yaml_swept_option_is_checked_at_each_point(tmp_path):
    p = write(tmp_path, MODEL + """
study:
  kind: trace
  param: phi
  values: [0.1, 0.2]
sweep:
  axes:
    perturbation: [1.0e-6, 3.0]
""")
    with pytest.raises(ConfigError) as e:
        load_study(p)
    (prob,) = e.value.problems
    assert prob.key == "sweep.axes.perturbation"
    assert "perturbation: " not in prob.message and "got 3.0 (at perturbation = 3)" in prob.message
