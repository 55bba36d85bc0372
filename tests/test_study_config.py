"""Study configs: loading, overrides, validation messages (keys, files, lines), sweep expansion."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from _study_support import CONFIGS, SHIPPED, provide_functions

import neg
from neg.cli import main
from neg.study import ConfigError, load_study
from neg.study.sweep import parse_shard, shard_indices


@pytest.fixture(autouse=True)
def _functions(monkeypatch):
    provide_functions(monkeypatch)


def write(tmp_path, *parts, name="study.yaml"):
    """Write a config from parts, each dedented on its own (so BASE + an indented block works)."""
    p = tmp_path / name
    p.write_text("\n".join(textwrap.dedent(t).strip("\n") for t in parts) + "\n")
    return p


def problems(path, overrides=None):
    with pytest.raises(ConfigError) as e:
        load_study(path, overrides)
    return e.value.problems


def by_key(probs):
    return {p.key: p for p in probs}


BASE = """
model:
  name: core_periphery
  sigma: 5.0
  mu: 0.4
  phi: 0.3
study:
  kind: equilibrium
"""


# --------------------------------------------------------------------------- shipped configs
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_configs_validate(name, capsys):
    assert main(["validate", str(CONFIGS / f"{name}.yaml")]) == 0
    assert "valid" in capsys.readouterr().out


def test_sweep_sigma_mu_is_the_documented_grid():
    study = load_study(CONFIGS / "sweep_sigma_mu.yaml")
    assert study.kind == "bifurcation_points"
    assert study.dims == ("sigma", "mu") and study.shape == (9, 7)
    assert [a.target.key for a in study.axes] == ["model.sigma", "model.mu"]


# --------------------------------------------------------------------------- every problem at once
def test_misspelt_key_wrong_type_and_out_of_range_are_all_reported_with_lines(tmp_path):
    p = write(tmp_path, """
        model:
          name: core_periphery
          sigmaa: 5.0
          sigma: 4.0
          mu: 1.5
          phi: 0.3
        solver:
          max_iter: many
        study:
          kind: equilibrium
        """)
    probs = by_key(problems(p))
    assert set(probs) == {"model.sigmaa", "solver.max_iter", "model.mu"}
    assert "did you mean 'sigma'" in probs["model.sigmaa"].message
    assert probs["model.sigmaa"].line == 3
    assert "whole number" in probs["solver.max_iter"].message and probs["solver.max_iter"].line == 8
    assert "(0, 1)" in probs["model.mu"].message and probs["model.mu"].line == 5
    assert all(pr.file == str(p) for pr in probs.values())
    text = str(ConfigError(list(probs.values())))
    assert f"{p}:3: model.sigmaa" in text and f"{p}:5: model.mu" in text


def test_cli_exit_code_2_without_traceback(tmp_path):
    text = BASE.replace("sigma: 5.0", "sigma: 0.5").replace("kind: equilibrium", "kind: equilibrum")
    p = write(tmp_path, text)
    r = subprocess.run([sys.executable, "-m", "neg.cli", "validate", str(p)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert "model.sigma: must be > 1" in r.stderr
    assert "study.kind: unknown study kind 'equilibrum' (did you mean 'equilibrium'?)" in r.stderr


def test_range_errors_name_the_sweep_axis_that_set_the_value(tmp_path):
    p = write(tmp_path, BASE, """
        sweep:
          axes:
            sigma: [0.5, 2.0, 4.0]
            mu: {start: 0.2, stop: 0.6, num: 3}
        """)
    probs = by_key(problems(p))
    assert list(probs) == ["sweep.axes.sigma"]
    msg = probs["sweep.axes.sigma"].message
    assert "must be > 1" in msg and "sigma = 0.5" in msg and "3 of 9 checked points" in msg
    assert probs["sweep.axes.sigma"].line == 10


def test_unknown_sections_and_kinds_suggest(tmp_path):
    p = write(tmp_path, """
        modle:
          name: core_periphery
        study:
          kind: trace
          param: phi
          valeus: [0.1, 0.2]
        """)
    probs = by_key(problems(p))
    assert "did you mean 'model'" in probs["modle"].message
    assert probs["model"].message == "missing section"
    assert "did you mean 'values'" in probs["study.valeus"].message
    assert probs["study.values"].message == "required"


def test_models_own_messages_for_shares_and_lam0(tmp_path):
    text = BASE.replace("phi: 0.3", "phi: 0.3\n  farmers: [1.2, -0.2]")
    p = write(tmp_path, text + "  lam0: [1.2, -0.2]\n")
    probs = by_key(problems(p))
    assert "shares must lie in [0, 1]" in probs["model.farmers"].message
    assert "shares must lie in [0, 1]" in probs["study.lam0"].message
    p = write(tmp_path, BASE + "  lam0: [0.2, 0.2, 0.6]\n")
    assert "expected 2 shares" in by_key(problems(p))["study.lam0"].message


def test_missing_geography_file_and_relative_paths(tmp_path, monkeypatch):
    p = write(tmp_path, BASE, "geography:\n  kind: distances\n  file: dist.csv\n")
    pr = by_key(problems(p))["geography.file"]
    assert "file not found" in pr.message and str(tmp_path / "dist.csv") in pr.message and pr.line == 10
    # the file beside the config is found whatever the current folder
    (tmp_path / "dist.csv").write_text("a,b,c\n0,1,2\n1,0,1\n2,1,0\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    study = load_study(p)
    geo = study.geography()
    assert geo.K == 3 and geo.names == ("a", "b", "c")
    assert geo.distance[0, 2] == 2.0


def test_coordinates_file(tmp_path):
    (tmp_path / "cities.csv").write_text(
        "name,lat,lon\nParis,48.86,2.35\nLyon,45.76,4.84\nLille,50.63,3.06\n")
    p = write(tmp_path, BASE, "geography:\n  kind: coordinates\n  file: cities.csv\n  unit_km: 500\n")
    geo = load_study(p).geography()
    assert geo.names == ("Paris", "Lyon", "Lille") and geo.coordinates is not None


def test_yaml_syntax_error_has_a_line(tmp_path):
    p = write(tmp_path, "model:\n  name: core_periphery\n  sigma: [5\nstudy: {kind: equilibrium}\n")
    (pr,) = problems(p)
    assert pr.message.startswith("invalid YAML") and pr.line is not None


def test_only_safe_yaml(tmp_path):
    marker = tmp_path / "pwned"
    p = write(tmp_path, f'model: !!python/object/apply:os.system ["touch {marker}"]',
              "study: {kind: equilibrium}")
    with pytest.raises(ConfigError):
        load_study(p)
    assert not marker.exists()


def test_duplicate_keys_are_reported(tmp_path):
    p = write(tmp_path, BASE.replace("mu: 0.4", "mu: 0.4\n  mu: 0.5"))
    pr = by_key(problems(p))["model.mu"]
    assert "duplicate" in pr.message and pr.line == 5


# --------------------------------------------------------------------------- overrides
def test_overrides_are_typed_like_yaml(tmp_path):
    p = write(tmp_path, BASE, "sweep:\n  axes:\n    phi: {start: 0.1, stop: 0.5, num: 3}\n")
    study = load_study(p, ["model.sigma=4", "sweep.axes.phi.num=5", "study.lam0=[0.3, 0.7]",
                           "solver.tol=1e-11"])
    assert study.model_params["sigma"] == 4.0
    assert study.shape == (5,)
    assert study.args["lam0"] == [0.3, 0.7]
    assert study.solver["tol"] == 1e-11  # YAML 1.1 reads 1e-11 as text; numbers-as-text are accepted
    probs = problems(p, ["model.sigma=abc", "nonsense"])
    keys = {pr.key: pr for pr in probs}
    assert keys["model.sigma"].file == "--set model.sigma=abc" and keys["model.sigma"].line is None
    assert any("expected dotted.key=value" in pr.message for pr in probs)


def test_python_api_overrides(tmp_path):
    p = write(tmp_path, BASE)
    with pytest.raises(ConfigError) as e:
        neg.run(p, model__sigma=0.9)
    assert e.value.problems[0].key == "model.sigma"
    with pytest.raises(ConfigError) as e:
        neg.run(p, sigma=4)
    assert "dotted keys" in e.value.problems[0].message


def test_validate_does_no_work(tmp_path, monkeypatch):
    from neg.study import studies

    def boom(*a, **k):
        raise AssertionError("validate must not compute points")

    monkeypatch.setattr(studies, "run_point", boom)
    p = write(tmp_path, BASE)
    assert main(["validate", str(p)]) == 0


# --------------------------------------------------------------------------- sweeps
def test_axis_forms(tmp_path):
    p = write(tmp_path, BASE, """
        sweep:
          axes:
            phi: {start: 0.1, stop: 0.5, num: 5}
            sigma: {start: 0.5, stop: 1, num: 3, space: logspace}
            mu: {start: 0.1, stop: 0.35, step: 0.1}
        """)
    study = load_study(p)
    phi, sigma, mu = (a.values for a in study.axes)
    np.testing.assert_array_equal(phi, np.linspace(0.1, 0.5, 5))
    np.testing.assert_array_equal(sigma, np.logspace(0.5, 1, 3))
    np.testing.assert_array_equal(mu, np.arange(0.1, 0.35, 0.1))
    assert study.shape == (5, 3, 3) and study.n_points == 45
    # C order: the last axis varies fastest
    assert study.point_values(1) == {"phi": 0.1, "sigma": sigma[0], "mu": mu[1]}


def test_zip_and_random_latin_hypercube(tmp_path):
    p = write(tmp_path, BASE, """
        sweep:
          mode: zip
          axes:
            phi: [0.1, 0.2, 0.3]
            mu: [0.2, 0.3, 0.4]
        """)
    study = load_study(p)
    assert study.dims == ("case",) and study.point_values(2) == {"phi": 0.3, "mu": 0.4}
    p = write(tmp_path, BASE, """
        sweep:
          mode: random
          samples: 20
          seed: 7
          axes:
            phi: {start: 0.1, stop: 0.9}
            sigma: {start: 0.5, stop: 1.0, space: logspace}
        """)
    a = load_study(p)
    b = load_study(p)
    assert a.dims == ("sample",) and a.n_points == 20
    for x, y in zip(a.axes, b.axes, strict=True):
        np.testing.assert_array_equal(x.values, y.values)  # seeded: reproducible
    phi = a.axes[0].values
    # a Latin hypercube hits each of the 20 strata of every axis exactly once
    assert sorted(np.floor((phi - 0.1) / 0.8 * 20).astype(int)) == list(range(20))
    sig = np.log10(a.axes[1].values)
    assert sig.min() >= 0.5 and sig.max() <= 1.0
    c = load_study(p, ["sweep.seed=8"])
    assert not np.array_equal(c.axes[0].values, phi)


def test_axis_errors(tmp_path):
    p = write(tmp_path, BASE, """
        sweep:
          mode: zip
          axes:
            phi: [0.1, 0.2]
            mu: {start: 0.1, stop: 0.3}
            farmers: [0.5]
            nope: [1, 2]
            tol: [1.0e-10]
        """)
    probs = by_key(problems(p))
    assert "needs num" in probs["sweep.axes.mu"].message
    assert "per-region share vector" in probs["sweep.axes.farmers"].message
    assert "not a parameter that can be swept" in probs["sweep.axes.nope"].message
    assert "ambiguous" in probs["sweep.axes.tol"].message


def test_per_region_entry_axis(tmp_path):
    p = write(tmp_path, BASE, """
        geography: {kind: line, K: 3}
        sweep:
          axes:
            f0:
              param: model.farmers[0]     # block style; in flow style quote it: "model.farmers[0]"
              values: [0.2, 0.6]
        """)
    study = load_study(p)
    model, _, _ = study.build_point(1)
    np.testing.assert_allclose(model.farmers, [0.6, 0.2, 0.2])
    bad = write(tmp_path, BASE, "sweep:\n  axes:\n    f0: {param: 'model.farmers[0]', values: [1.5]}\n")
    assert "[0, 1]" in by_key(problems(bad))["sweep.axes.f0"].message


def test_shards_partition_the_points():
    n = 23
    parts = [shard_indices(n, (i, 4)) for i in range(4)]
    assert sorted(np.concatenate(parts).tolist()) == list(range(n))
    assert parse_shard("2/5") == (2, 5)
    env = {"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1"}
    assert parse_shard("auto", env) == (3, 4)
    for bad in ("5/5", "x", "1/0"):
        with pytest.raises(ValueError):
            parse_shard(bad)
    with pytest.raises(ValueError, match="SLURM_ARRAY_TASK_ID"):
        parse_shard("auto", {})


def test_policy_rates_as_config_values_and_axes(tmp_path):
    from neg.models import REGISTRY

    name = next((n for n, cls in REGISTRY.items() if "tax" in getattr(cls, "regional_rates", ())), None)
    if name != "core_periphery":
        pytest.skip("no per-region policy rates in this version of the core-periphery model")
    p = write(tmp_path, BASE.replace("phi: 0.3", "phi: 0.3\n  tax: 0.1"), """
        geography: {kind: line, K: 3}
        sweep:
          axes:
            t1:
              param: model.tax[1]
              values: [-0.2, 0.0, 0.3]
        """)
    study = load_study(p)
    model, _, _ = study.build_point(0)
    np.testing.assert_allclose(model.tax, [0.1, -0.2, 0.1])  # rates: no rescaling of the others
    bad = write(tmp_path, BASE.replace("phi: 0.3", "phi: 0.3\n  tax: [0.1, 0.2, 0.3]"), """
        sweep:
          axes:
            t1: {param: 'model.tax[1]', values: [0.0, 1.5]}
        """)
    probs = by_key(problems(bad))
    assert "expected 2 values" in probs["model.tax"].message
