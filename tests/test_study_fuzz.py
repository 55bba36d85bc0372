"""Fuzz: random mutations of the shipped configs (keys deleted or renamed, values of the wrong type
or out of range, lines of YAML mangled, garbage overrides) give a clean ConfigError (exit 2) or a
result - never a traceback."""

from __future__ import annotations

import copy

import pytest
import xarray as xr
import yaml
from _study_support import CONFIGS, SHIPPED, SMALL, provide_functions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neg.cli import main
from neg.study import ConfigError, run_study, validate_config
from neg.study.config import load_source

pytestmark = pytest.mark.filterwarnings("ignore")

# values a mutation may put anywhere (bounded: a valid mutated config must stay quick to run)
ODD = [None, True, False, 0, 1, -1, 2, 0.5, -0.5, 1e9, -1e9, float("nan"), float("inf"), "1e-3", "abc", "",
       "phi", [], [0.5], [1, 2, 3], {}, {"kind": "x"}, [[0, 0.1]], "model.phi"]


def base(name: str) -> dict:
    data = load_source(CONFIGS / f"{name}.yaml", SMALL[name]).data
    data.pop("output", None)
    return data


BASES = {name: base(name) for name in SHIPPED}


def paths(node, prefix=()):
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append(prefix + (k,))
            out += paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append(prefix + (i,))
            out += paths(v, prefix + (i,))
    return out


@st.composite
def mutated(draw, name):
    cfg = copy.deepcopy(BASES[name])
    for _ in range(draw(st.integers(1, 3))):
        ps = paths(cfg)
        if not ps:
            break
        path = draw(st.sampled_from(ps))
        parent = cfg
        for k in path[:-1]:
            parent = parent[k]
        key = path[-1]
        op = draw(st.sampled_from(["delete", "rename", "value", "value", "nudge", "nudge", "nudge"]))
        value = parent[key]
        if op == "nudge" and isinstance(value, (int, float)) and not isinstance(value, bool):
            parent[key] = type(value)(value * draw(st.sampled_from([0.5, 0.9, 1.1, 2.0])))
        elif op == "nudge":
            continue
        elif op == "delete":
            del parent[key]
        elif op == "rename" and isinstance(parent, dict):
            new = draw(st.one_of(st.sampled_from([str(key)[:-1], str(key) + "s", str(key).upper(), "kind",
                                                  "name", "phi", "values"]),
                                 st.text("abcxyz_.[]0", min_size=1, max_size=6)))
            parent[new] = parent.pop(key)
        else:
            parent[key] = copy.deepcopy(draw(st.sampled_from(ODD)))
    return cfg


def _big(node) -> bool:
    if isinstance(node, dict):
        return any(_big(v) for v in node.values())
    if isinstance(node, list):
        return len(node) > 20 or any(_big(v) for v in node)
    return isinstance(node, (int, float)) and not isinstance(node, bool) and abs(node) > 100


RAN: list = []


def check(cfg):
    try:
        study = validate_config(cfg)
    except ConfigError as e:
        assert e.problems and all(p.message for p in e.problems)
        return
    if study.n_points <= 6 and not _big(cfg):
        RAN.append(1)
        ds = run_study(cfg, workers=1, quiet=True)
        assert isinstance(ds, xr.Dataset) and "failed" in ds


FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.mark.parametrize("name", SHIPPED)
def test_mutated_configs_never_raise_a_traceback(name, monkeypatch):
    provide_functions(monkeypatch)

    @FUZZ
    @given(mutated(name))
    def run(cfg):
        check(cfg)

    run()


@pytest.mark.parametrize("name", SHIPPED)
def test_mangled_yaml_text_and_overrides_via_cli(name, tmp_path_factory, monkeypatch, capsys):
    provide_functions(monkeypatch)
    text = (CONFIGS / f"{name}.yaml").read_text().splitlines()

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(st.lists(st.tuples(st.sampled_from(["drop", "dup", "indent", "dedent", "garble"]),
                              st.integers(0, len(text) - 1)), max_size=3),
           st.lists(st.text("abmodel.sigphu=[]{}:0123,-", max_size=20), max_size=2))
    def run(edits, sets):
        lines = list(text)
        for op, i in edits:
            i = min(i, len(lines) - 1)
            if i < 0:
                break
            if op == "drop":
                del lines[i]
            elif op == "dup":
                lines.insert(i, lines[i])
            elif op == "indent":
                lines[i] = "  " + lines[i]
            elif op == "dedent":
                lines[i] = lines[i].lstrip()
            else:
                lines[i] = lines[i].replace(":", "", 1)
        path = tmp_path_factory.mktemp("fuzz") / f"{name}.yaml"
        path.write_text("\n".join(lines) + "\n")
        args = ["validate", str(path)]
        for s in sets:
            args.append(f"--set={s}")
        code = main(args)
        out = capsys.readouterr()
        assert code in (0, 2)
        assert "Traceback" not in out.err
        if code == 2:
            assert "invalid config" in out.err

    run()


def test_dumped_mutations_validate_like_the_dicts(tmp_path, monkeypatch):
    """A config written back as YAML validates the same way as the dict (lines map to keys)."""
    provide_functions(monkeypatch)
    cfg = copy.deepcopy(BASES["racetrack"])
    cfg["model"]["sigma"] = 0.5
    cfg["solver"]["max_iter"] = "many"
    p = tmp_path / "m.yaml"
    p.write_text(yaml.safe_dump(cfg, sort_keys=False))
    assert main(["validate", str(p)]) == 2
    with pytest.raises(ConfigError) as e:
        validate_config(p)
    assert {x.key for x in e.value.problems} == {"model.sigma", "solver.max_iter"}
    assert all(x.line for x in e.value.problems)
