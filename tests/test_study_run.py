"""Running studies: shipped configs at a small size, result files, failures as data, shards and
merge, process pool, resume after SIGKILL, Dask LocalCluster."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import xarray as xr
from _study_support import CONFIGS, SHIPPED, provide_functions, small

from neg.cli import main
from neg.study import RunError, merge_files, run_study
from neg.study import studies as study_kinds

SSM = CONFIGS / "sweep_sigma_mu.yaml"
SSM_SMALL = ["sweep.axes.sigma.num=4", "sweep.axes.mu.num=3", "sweep.axes.mu.stop=0.5"]  # 12 points


@pytest.fixture(autouse=True)
def _functions(monkeypatch):
    return provide_functions(monkeypatch)


@pytest.fixture(scope="module")
def serial_ssm(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "ssm.nc"
    return run_study(SSM, SSM_SMALL, output=out, workers=1, quiet=True)


# --------------------------------------------------------------------------- shipped configs
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_config_runs_small(name, tmp_path, _functions):
    out = tmp_path / f"{name}.nc"
    ds = run_study(CONFIGS / f"{name}.yaml", small(name), output=out, workers=1, quiet=True)
    assert out.exists() and not (tmp_path / f"{name}.nc.parts").exists()
    back = xr.open_dataset(out)  # default engine: readable by plain xarray
    xr.testing.assert_equal(back, ds)
    a = back.attrs
    for key in ("config", "config_source", "neg_version", "solver", "start_time", "end_time", "host",
                "study_kind", "fingerprint"):
        assert key in a, key
    assert "model:" in a["config"] and a["n_failed"] == 0
    assert back["converged"].dtype == bool and "residual" in back
    for v in back.data_vars.values():
        assert "long_name" in v.attrs, v.name
    assert bool(back["converged"].all())
    if name == "tomahawk":
        assert {"branch", "point", "region", "special"} <= set(back.dims)
        if _functions["bifurcation_diagram"] != "stand-in":
            kinds = set(back["special_kind"].values.tolist())
            assert {"branch", "corner"} <= kinds
            np.testing.assert_allclose(
                back["special_value"].values[back["special_kind"].values == "branch"][0], 1 / 7, atol=1e-9)
    elif name == "racetrack":
        assert back.sizes["region"] == 16 and back.sizes["direction"] == 2 and back.sizes["phi"] == 4
    elif name == "sweep_sigma_mu":
        assert back["break_point"].dims == ("sigma", "mu")
        # closed form of the two-region CP break point (FKV 1999, ch. 5)
        s, m = np.meshgrid(back["sigma"].values, back["mu"].values, indexing="ij")
        rho = (s - 1) / s
        np.testing.assert_allclose(back["break_point"].values,
                                   (rho - m) * (1 - m) / ((rho + m) * (1 + m)), atol=1e-9)
    elif name == "relocation":
        assert back["lam"].dims == ("speed", "time", "region")
        np.testing.assert_allclose(back["lam"].sum("region").values, 1.0, atol=1e-9)


def test_cli_run_info_plot(tmp_path, capsys):
    out, png = tmp_path / "t.nc", tmp_path / "t.png"
    cfg = str(CONFIGS / "tomahawk.yaml")
    sets = [x for s in small("tomahawk") for x in ("--set", s)]
    assert main(["run", cfg, *sets, "-o", str(out), "--workers", "1"]) == 0
    text = capsys.readouterr()
    assert f"results: {out}" in text.out and "neg:" in text.err  # plain log lines: not a terminal
    assert main(["info", str(out)]) == 0
    info = capsys.readouterr().out
    assert "bifurcation" in info and "1 of 1 points converged" in info and "timing:" in info
    assert main(["plot", str(out), "-o", str(png)]) == 0
    assert png.stat().st_size > 1000
    assert main(["info", str(tmp_path / "missing.nc")]) == 2  # usage error (issue 11)


def test_quiet_prints_nothing_on_stderr(tmp_path, capsys):
    cfg = {"model": {"name": "core_periphery", "sigma": 5, "mu": 0.4, "phi": 0.2},
           "study": {"kind": "equilibrium"}, "sweep": {"axes": {"phi": [0.1, 0.3]}}}
    run_study(cfg, output=tmp_path / "q.nc", workers=1, quiet=True)
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------- failures are data
def test_failed_and_unconverged_points(tmp_path, monkeypatch, capsys):
    kind = study_kinds.KINDS["equilibrium"]

    def flaky(model, opts, args):
        if model.sigma > 4.5:
            raise RuntimeError("boom at high sigma")
        return kind.run(model, opts, args)

    monkeypatch.setitem(study_kinds.KINDS, "equilibrium", dataclasses.replace(kind, run=flaky))
    cfg = {"model": {"name": "core_periphery", "sigma": 5, "mu": 0.4, "phi": 0.2},
           "study": {"kind": "equilibrium", "max_steps": 1},
           "sweep": {"axes": {"sigma": [3.0, 4.0, 5.0], "phi": [0.1, 0.6]}}}
    out = tmp_path / "f.nc"
    ds = run_study(cfg, output=out, workers=1, quiet=True)
    failed = ds["failed"].values
    assert failed.tolist() == [[False, False], [False, False], [True, True]]
    assert ds["error"].values[2, 0] == "RuntimeError: boom at high sigma"
    assert not ds["converged"].values.any()  # max_steps=1: no long run converges
    assert ds.attrs["n_failed"] == 2 and ds.attrs["n_not_converged"] == 4
    assert "boom" in ds.attrs["first_error"]
    # unconverged and failed points hold NaN, with their flags; the iteration count stays
    assert np.all(np.isnan(ds["lam"].values)) and np.all(ds["iterations"].values[:2] == 1)
    main(["info", str(out)])
    assert "2 failed" in capsys.readouterr().out
    kept = run_study(cfg, ["output.keep_unconverged=true"], workers=1, quiet=True)
    assert np.all(np.isfinite(kept["lam"].values[:2])) and np.all(np.isnan(kept["lam"].values[2]))


def test_ragged_results_are_padded_the_same_whatever_the_chunking(tmp_path):
    cfg = {"model": {"name": "core_periphery", "sigma": 5, "mu": 0.4, "phi": 0.2},
           "study": {"kind": "equilibria"},
           "sweep": {"axes": {"phi": [0.05, 0.12, 0.3]}}}
    a = run_study(cfg, ["sweep.chunk_size=1"], output=tmp_path / "a.nc", workers=1, quiet=True)
    b = run_study(cfg, ["sweep.chunk_size=3"], output=tmp_path / "b.nc", workers=1, quiet=True)
    xr.testing.assert_equal(a, b)
    n = a["n_equilibria"].values
    # below the sustain point only dispersion; between sustain and break also the two corners and two
    # unstable interior equilibria; above the break the corners and the unstable dispersion
    assert n.tolist() == [1, 5, 3]
    assert a.sizes["equilibrium"] == 5 and np.all(np.isnan(a["lam"].values[0, 3:]))


# --------------------------------------------------------------------------- shards and merge
def test_shards_merged_equal_the_unsharded_run(tmp_path, serial_ssm, capsys):
    shards = []
    for i in range(3):
        ds = run_study(SSM, SSM_SMALL, output=tmp_path / f"s{i}.nc", shard=f"{i}/3", workers=1, quiet=True)
        assert ds.attrs["layout"] == "flat" and ds.sizes["sweep_point"] == 4
        shards.append(str(tmp_path / f"s{i}.nc"))
    out = tmp_path / "merged.nc"
    assert main(["merge", *shards, "-o", str(out)]) == 0
    merged = xr.open_dataset(out)
    xr.testing.assert_equal(merged, serial_ssm)
    assert merged.attrs["n_points"] == 12
    with pytest.raises(RunError, match="missing"):
        merge_files(shards[:2])
    with pytest.raises(RunError, match="more than once"):
        merge_files(shards + shards[:1])
    assert main(["merge", shards[0], "-o", str(tmp_path / "x.nc")]) == 1
    assert "missing" in capsys.readouterr().err


def test_shard_output_name_from_the_config(tmp_path):
    cfg = {"model": {"name": "core_periphery", "sigma": 5, "mu": 0.4, "phi": 0.2},
           "study": {"kind": "equilibrium"}, "sweep": {"axes": {"phi": [0.1, 0.2, 0.3]}},
           "output": {"path": str(tmp_path / "res.nc")}}
    run_study(cfg, shard=(1, 2), workers=1, quiet=True)
    assert (tmp_path / "res.shard-1-of-2.nc").exists()


# --------------------------------------------------------------------------- parallel, resume
def test_process_pool_equals_serial(tmp_path, serial_ssm):
    ds = run_study(SSM, SSM_SMALL, output=tmp_path / "pool.nc", workers=2, quiet=True)
    assert ds.attrs["workers"] == 2
    xr.testing.assert_equal(ds, serial_ssm)


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_result(tmp_path, capsys, serial_ssm):
    sets = [*SSM_SMALL, "sweep.chunk_size=1"]
    out = tmp_path / "r.nc"
    parts = tmp_path / "r.nc.parts"
    cmd = [sys.executable, "-m", "neg.cli", "run", str(SSM), "-o", str(out), "--workers", "1", "-q"]
    for s in sets:
        cmd += ["--set", s]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(parts.glob("chunk-*.npz"))) < 3:
            assert proc.poll() is None, "the run finished before it could be killed"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    done = len(list(parts.glob("chunk-*.npz")))
    assert 3 <= done < 12 and not out.exists()
    resumed = run_study(SSM, sets, output=out, resume=True, workers=1)
    err = capsys.readouterr().err
    assert f"resuming: {done} of 12 points already done" in err
    assert not parts.exists()
    fresh = serial_ssm  # the same points, uninterrupted (and chunked differently)
    xr.testing.assert_equal(xr.open_dataset(out), fresh)
    xr.testing.assert_equal(resumed, fresh)
    # resuming a finished run returns it
    again = run_study(SSM, sets, output=out, resume=True, workers=1, quiet=True)
    xr.testing.assert_equal(again, fresh)


def test_resume_refuses_a_different_study(tmp_path):
    out = tmp_path / "r.nc"
    parts = tmp_path / "r.nc.parts"
    parts.mkdir()
    (parts / "manifest.json").write_text('{"fingerprint": "other", "n_points": 6, "shard": null}')
    with pytest.raises(RunError, match="different study"):
        run_study(SSM, SSM_SMALL, output=out, resume=True, workers=1, quiet=True)


@pytest.mark.slow
def test_dask_local_cluster_equals_serial(tmp_path, serial_ssm):
    pytest.importorskip("distributed")
    ds = run_study(SSM, SSM_SMALL, output=tmp_path / "dask.nc", scheduler="local", workers=2, quiet=True)
    assert ds.attrs["scheduler"] == "local"
    xr.testing.assert_equal(ds, serial_ssm)


def test_scheduler_without_dask_is_a_clean_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    with pytest.raises(RunError, match=r"pip install 'neg\[dask\]'"):
        run_study(SSM, SSM_SMALL, output=tmp_path / "d.nc", scheduler="local", workers=2, quiet=True)
    code = main(["run", str(SSM), *[f"--set={s}" for s in SSM_SMALL], "-o", str(tmp_path / "d.nc"),
                 "--scheduler", "local", "-q"])
    assert code == 1 and "neg[dask]" in capsys.readouterr().err


def test_shard_auto_from_slurm_and_store(tmp_path, monkeypatch):
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "1")
    monkeypatch.setenv("SLURM_ARRAY_TASK_COUNT", "2")
    monkeypatch.delenv("SLURM_ARRAY_TASK_MIN", raising=False)
    cfg = {"model": {"name": "core_periphery", "sigma": 5, "mu": 0.4, "phi": 0.2},
           "study": {"kind": "equilibrium"}, "sweep": {"axes": {"phi": [0.1, 0.2, 0.3]}},
           "output": {"path": str(tmp_path / "res.nc"), "store": ["lam", "stable"]}}
    ds = run_study(cfg, shard="auto", workers=1, quiet=True)
    assert ds.attrs["shard"] == "1/2" and ds["sweep_point"].values.tolist() == [1]
    assert (tmp_path / "res.shard-1-of-2.nc").exists()
    kept = {v for v in ds.data_vars if not v.startswith("coord__")}  # flat layout: coords per point
    assert kept == {"lam", "stable", "converged", "residual", "failed", "error"}


def test_every_registered_model_runs_as_a_study():
    """The config schema comes from the model classes: a model added to the registry works in a
    study without changes (its long-run state labelled region, or state when it is not one
    distribution over the regions)."""
    import neg

    for name, cls in neg.REGISTRY.items():
        params = {f.name: {"sigma": 5.0, "mu": 0.4}.get(f.name, 0.4) for f in dataclasses.fields(cls)
                  if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
        cfg = {"model": {"name": name, **params, "phi": 0.3}, "study": {"kind": "equilibrium"}}
        ds = run_study(cfg, workers=1, quiet=True)
        assert ds.attrs["n_failed"] == 0, (name, ds.attrs.get("first_error"))
        assert "lam" in ds and ("region" in ds["lam"].dims or "state" in ds["lam"].dims)
