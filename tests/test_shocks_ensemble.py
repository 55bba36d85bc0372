"""The ensembles of the study kind ``shocks`` split into points of the study engine (issue 12):
each setting's samples in parts of ``study.samples_per_chunk``, each part a task for workers,
shards and resume, gathered along ``sample`` in the result; the results are bit for bit the
same whatever the number of workers, shards or the parts' size, and equal to one
``neg.simulate_shocks`` call of the whole ensemble."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import neg
from neg import metrics
from neg.study import ConfigError, RunError, io, load_study, merge_files, run_study
from neg.study import local as study_local
from neg.study.errors import Interrupted
from neg.study.runner import execute

#: two settings of an ensemble of 5 samples: parts of 2 make 3 points per setting, the last of 1
CONFIG = {
    "model": {"name": "core_periphery", "sigma": 5.0, "mu": 0.4, "phi": 0.1},
    "geography": {"kind": "racetrack", "K": 4},
    "study": {"kind": "shocks", "periods": 30, "persistence": 0.9, "sd": 0.02, "common": 0.25,
              "migration_speed": 1.0, "samples": 5, "seed": 4, "samples_per_chunk": 2},
    "sweep": {"axes": {"migration_speed": [0.0, 2.0]}},
}
PATHS = ("gdp", "lam", "wage", "real_wage", "shock", "shocks_converged")
MEASURES = ("volatility", "mean_volatility", "correlation", "mean_correlation", "mean_concordance",
            "mean_concordance_independent", "sigma_convergence", "growth_dispersion",
            "beta_convergence", "share_volatility", "real_wage_gap")


def _config(size: int) -> dict:
    return {**CONFIG, "study": {**CONFIG["study"], "samples_per_chunk": size}}


def _same(a: xr.Dataset, b: xr.Dataset) -> None:
    """Bit for bit the same paths and measures (NaN where the other has NaN)."""
    for v in (*PATHS, *MEASURES, "converged", "failed"):
        assert a[v].dims == b[v].dims, v
        np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=v)
    np.testing.assert_array_equal(a["sample"].values, np.arange(5))
    np.testing.assert_array_equal(b["sample"].values, np.arange(5))


@pytest.fixture(scope="module")
def whole():
    """The whole ensemble in one point per setting, in this process."""
    return neg.run(_config(5), workers=1, quiet=True)


def test_points_are_parts_of_each_ensemble():
    study = load_study(_config(2))
    assert (study.n_settings, study.split.parts, study.n_points) == (2, 3, 6)
    # point 4 = setting 1 (speed 2), part 1: samples 2 and 3; point 5 the last sample alone
    _, _, args = study.build_point(4)
    assert (args["migration_speed"], args["first_sample"], args["samples"]) == (2.0, 2, 2)
    _, _, args = study.build_point(5)
    assert (args["first_sample"], args["samples"]) == (4, 1)
    assert load_study(CONFIG | {"study": {k: v for k, v in CONFIG["study"].items()
                                          if k != "samples_per_chunk"}}).split.size == 20


def test_whole_ensemble_equals_one_call(whole):
    model = neg.CorePeriphery(5.0, 0.4, phi=0.1, geography=neg.Geography.racetrack(4))
    direct = neg.simulate_shocks(model, 30, neg.Shocks(0.9, 0.02, common=0.25), 2.0, samples=5, seed=4)
    sync = metrics.synchronisation(direct)
    for v in ("gdp", "lam", "shock"):
        np.testing.assert_array_equal(whole[v].sel(migration_speed=2.0).values, direct[v].values)
    for v in MEASURES:
        np.testing.assert_array_equal(whole[v].sel(migration_speed=2.0).values, sync[v].values)
    assert whole["gdp"].dims == ("migration_speed", "sample", "time", "region")
    assert whole["mean_correlation"].dims == ("migration_speed", "sample")
    assert whole.attrs["n_points"] == 2 and bool(whole["converged"].all())


@pytest.mark.parametrize(("size", "workers"), [(2, 1), (2, 2), (3, 2)])
def test_same_results_whatever_the_parts_and_workers(whole, size, workers, tmp_path):
    ds = neg.run(_config(size), workers=workers, quiet=True, output=tmp_path / "r.nc")
    assert ds.attrs["workers"] == workers
    _same(ds, whole)
    _same(xr.load_dataset(tmp_path / "r.nc"), whole)


def test_shards_merge_to_the_whole_ensemble(whole, tmp_path):
    for i in range(2):  # the 6 points interleaved: each shard holds parts of both settings
        part = run_study(_config(2), output=tmp_path / f"s{i}.nc", shard=(i, 2), workers=1, quiet=True)
        assert part.attrs["layout"] == "flat" and part.sizes["sweep_point"] == 3
    files = [tmp_path / "s0.nc", tmp_path / "s1.nc"]
    _same(merge_files(files), whole)


def test_interrupted_run_resumes_to_the_same_result(whole, tmp_path, monkeypatch, capsys):
    out = tmp_path / "r.nc"
    cfg = _config(2) | {"sweep": {**CONFIG["sweep"], "chunk_size": 1}}  # one part per task
    calls = []
    real = study_local.run_chunk

    def stop_after_three(study, indices, threads=None):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(list(indices))
        return real(study, indices, threads)

    monkeypatch.setattr(study_local, "run_chunk", stop_after_three)
    with pytest.raises(Interrupted, match="after 3 of 6 points"):
        neg.run(cfg, workers=1, output=out)
    assert len(list((tmp_path / "r.nc.parts").glob("chunk-*.npz"))) == 3 and not out.exists()
    monkeypatch.setattr(study_local, "run_chunk", real)
    capsys.readouterr()
    ds = neg.run(cfg, workers=1, output=out, resume=True)
    assert "resuming: 3 of 6 points already done" in capsys.readouterr().err
    _same(ds, whole)
    _same(xr.load_dataset(out), whole)


def test_resume_refuses_parts_of_another_size(tmp_path):
    out = tmp_path / "r.nc"
    study = load_study(_config(2), output=out)
    execute(study, workers=1, quiet=True, keep_parts=True)  # leaves r.nc.parts/, as a killed run
    out.unlink()
    with pytest.raises(RunError, match="different study"):
        neg.run(_config(3), workers=1, quiet=True, output=out, resume=True)


def test_gather_joins_parts_and_fails_a_setting_with_a_failed_part():
    """Two settings of 3 samples in parts of 2: the last part's padding is dropped; a failed
    part (setting 1) makes its whole setting fill values, as a failed point's."""
    nan = np.nan
    gdp = np.array([[0.0, 1.0], [2.0, nan], [10.0, 11.0], [nan, nan]])
    flat = xr.Dataset(
        {"gdp": (("sweep_point", "sample"), gdp),
         "region_value": (("sweep_point",), np.array([7.0, 7.0, 8.0, nan])),
         "converged": (("sweep_point",), np.array([True, False, True, False])),
         "failed": (("sweep_point",), np.array([False, False, False, True])),
         "residual": (("sweep_point",), np.array([1e-12, 3e-12, nan, nan])),
         "error": (("sweep_point",), np.array(["", "", "", "ValueError: boom"])),
         "seconds": (("sweep_point",), np.array([1.0, 2.0, 3.0, 4.0]))},
        coords={"sweep_point": np.arange(4)})
    split = {"dim": "sample", "total": 3, "size": 2, "parts": 2}
    got = io.gather(flat, {"split": split})
    np.testing.assert_array_equal(got["gdp"].values, [[0.0, 1.0, 2.0], [nan, nan, nan]])
    np.testing.assert_array_equal(got["region_value"].values, [7.0, nan])
    np.testing.assert_array_equal(got["converged"].values, [False, False])
    np.testing.assert_array_equal(got["failed"].values, [False, True])
    np.testing.assert_array_equal(got["residual"].values, [3e-12, nan])
    assert got["error"].values.tolist() == ["", "ValueError: boom"]
    np.testing.assert_array_equal(got["seconds"].values, [3.0, 7.0])
    assert io.gather(flat, {}) is flat
    with pytest.raises(ValueError, match="incomplete results"):
        io.gather(flat.isel(sweep_point=[0, 1, 2]), {"split": split})


@pytest.mark.parametrize(("value", "message"), [
    (0, r"study.samples_per_chunk: must be a whole number >= 1, got 0"),
    (-3, r"study.samples_per_chunk: must be a whole number >= 1"),
    (2.5, r"study.samples_per_chunk: expected a whole number, got 2.5"),
    ("many", r"study.samples_per_chunk: expected a whole number"),
])
def test_bad_chunk_size_names_the_key(value, message):
    with pytest.raises(ConfigError, match=message):
        load_study(_config(value))


@pytest.mark.parametrize(("axes", "message"), [
    ({"samples": [2, 4]}, r"sweep.axes.samples: study.samples: sets how each setting's ensemble"),
    ({"samples_per_chunk": [2, 4]}, r"study.samples_per_chunk: sets how each setting's ensemble"),
])
def test_the_split_cannot_be_swept(axes, message):
    with pytest.raises(ConfigError, match=message):
        load_study(CONFIG | {"sweep": {"axes": axes}})


def test_random_sweep_of_an_ensemble_is_refused():
    cfg = CONFIG | {"sweep": {"mode": "random", "samples": 3,
                              "axes": {"migration_speed": {"start": 0.0, "stop": 2.0}}}}
    with pytest.raises(ConfigError, match=r"sweep.mode: a shocks study has its own dim 'sample'"):
        load_study(cfg)
