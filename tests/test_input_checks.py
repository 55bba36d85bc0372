"""Input that used to be accepted silently (issue 11): phi = 1, an asymmetric distance matrix, a
sweep of 10^6 points, CSV geography errors without a line number, an empty sweep."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import yaml
from _study_support import CONFIGS

import neg
import neg.study.runner as runner
from neg.cli import main
from neg.geography import read_coordinates, read_distances, read_edges
from neg.study.sweep import LARGE_SWEEP


# ----------------------------------------------------------------------------- phi = 1
@pytest.mark.parametrize("kw", [{"phi": 1.0}, {"T": 1.0}])
def test_phi_one_warns_that_every_distribution_is_an_equilibrium(kw):
    with pytest.warns(neg.FreeTradeWarning, match=r"phi = 1 .*every distribution .* is then an equilibrium"):
        m = neg.CorePeriphery(5.0, 0.4, geography=neg.Geography.racetrack(3), **kw)
    assert m.phi == 1.0  # a warning, not an error: phi = 1 ends many sweeps
    sr = [m.short_run(lam).real_wage for lam in ([0.7, 0.2, 0.1], [0.1, 0.1, 0.8])]
    assert np.ptp(sr[0]) < 1e-12 and np.ptp(sr[1]) < 1e-12  # what the warning says


def test_phi_one_is_quiet_where_it_is_not_degenerate():
    """Helpman's housing tells regions apart even with free trade: no warning; nor below phi = 1."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", neg.FreeTradeWarning)
        neg.Helpman(5.0, 0.4, phi=1.0)
        neg.CorePeriphery(5.0, 0.4, phi=1.0 - 1e-9)


# ----------------------------------------------------------------------------- asymmetric distances
ASYM = [[0.0, 1.0, 2.0], [1.5, 0.0, 1.0], [2.0, 1.0, 0.0]]


def test_asymmetric_distances_warn_and_are_noted_in_results():
    with pytest.warns(UserWarning, match=r"distance: the distance matrix is not symmetric \(d\[0,1\] = 1 but "
                                         r"d\[1,0\] = 1.5\)"):
        geo = neg.Geography.from_distances(ASYM)
    m = neg.CorePeriphery(5.0, 0.4, phi=0.5, geography=geo)
    ds = neg.trace(m, "phi", [0.3, 0.4], direction="up")
    assert "not symmetric" in ds.attrs["geography_note"]
    sim = neg.simulate(m, {}, None, t_end=1.0, steps=1)
    assert sim.attrs["geography_note"] == ds.attrs["geography_note"]
    sym = neg.trace(neg.CorePeriphery(5.0, 0.4, phi=0.5, geography=neg.Geography.racetrack(3)), "phi",
                    [0.3, 0.4], direction="up")
    assert "geography_note" not in sym.attrs


def test_asymmetric_distances_in_a_study_are_noted_in_the_file(tmp_path):
    cfg = yaml.safe_load((CONFIGS / "racetrack.yaml").read_text())
    cfg["geography"] = {"kind": "distances", "matrix": ASYM}
    cfg["study"]["values"] = {"start": 0.2, "stop": 0.3, "num": 2}
    with pytest.warns(UserWarning, match="not symmetric"):
        ds = neg.run(cfg, base=tmp_path, workers=1, quiet=True)
    assert "not symmetric" in ds.attrs["geography_note"]


# ----------------------------------------------------------------------------- large sweeps
def test_large_sweep_warns_with_an_estimate_of_its_cost(tmp_path, monkeypatch, capsys):
    assert LARGE_SWEEP == 10**6
    monkeypatch.setattr(runner, "LARGE_SWEEP", 4)  # the threshold, not a 10^6-point test
    rc = main(["run", str(CONFIGS / "sweep_sigma_mu.yaml"), "--set", "sweep.axes.sigma.num=2",
               "--set", "sweep.axes.mu.num=2", "--set", "sweep.axes.mu.stop=0.4", "--workers", "1", "-q",
               "-o", str(tmp_path / "s.nc")])
    assert rc == 0
    err = capsys.readouterr().err
    line = next(s for s in err.splitlines() if "a sweep of 4 points" in s)
    assert line.startswith("neg: warning: a sweep of 4 points (4 to compute): about ")
    assert "per point (timed on point 0), so about " in line and " of results" in line


def test_a_sweep_just_below_the_threshold_is_quiet(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "LARGE_SWEEP", 5)
    main(["run", str(CONFIGS / "sweep_sigma_mu.yaml"), "--set", "sweep.axes.sigma.num=2",
          "--set", "sweep.axes.mu.num=2", "--set", "sweep.axes.mu.stop=0.4", "--workers", "1", "-q",
          "-o", str(tmp_path / "s.nc")])
    assert "a sweep of" not in capsys.readouterr().err


# ----------------------------------------------------------------------------- CSV line numbers
@pytest.mark.parametrize("reader, text, message", [
    (read_distances, "a,b,c\n0,1,2\n\n1,0,x\n2,1,0\n", r"d.csv, line 4: distance: 'x' is not a number"),
    (read_distances, "0,1,2\n1,0\n2,1,0\n", r"d.csv, line 2: 2 distance\(s\), expected 3 \(as on line 1\)"),
    (read_distances, "0,1,2\n1,0,1\n", r"d.csv: 2 rows of 3 distances \(lines 1-2\)"),
    (read_coordinates, "name,lat,lon\na,1,2\nb,north,3\n", r"d.csv, line 3: lat: 'north' is not a number"),
    (read_coordinates, "name,lat,lon\na,1,2\nb,3\n", r"d.csv, line 3: 2 column\(s\), expected 3"),
    (read_edges, "i,j,length\n0,1,1\n1,2\n", r"d.csv, line 3: an edge needs i, j, length, got 2"),
    (read_edges, "0,1,1\n1,2,far\n", r"d.csv, line 2: edge: 'far' is not a number"),
])
def test_csv_errors_name_the_line(tmp_path, reader, text, message):
    p = tmp_path / "d.csv"
    p.write_text(text)
    with pytest.raises(ValueError, match=message):
        reader(p)


def test_csv_error_in_a_study_names_the_line(tmp_path, capsys):
    (tmp_path / "d.csv").write_text("0,1,2\n1,0,1\n2,oops,0\n")
    cfg = yaml.safe_load((CONFIGS / "racetrack.yaml").read_text())
    cfg["geography"] = {"kind": "distances", "file": "d.csv"}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    assert main(["validate", str(tmp_path / "c.yaml")]) == 2
    assert "d.csv, line 3: distance: 'oops' is not a number" in capsys.readouterr().err


# ----------------------------------------------------------------------------- empty sweep
@pytest.mark.parametrize("sweep", ["sweep:\n", "sweep: {}\n", "sweep:\n  axes: {}\n",
                                   "sweep:\n  mode: zip\n"])
def test_empty_sweep_says_what_is_missing(tmp_path, capsys, sweep):
    text = (CONFIGS / "sweep_sigma_mu.yaml").read_text()
    head, tail = text.split("sweep:\n")
    (tmp_path / "c.yaml").write_text(head + sweep + "output:" + tail.split("output:")[1])
    assert main(["validate", str(tmp_path / "c.yaml")]) == 2
    err = capsys.readouterr().err
    assert "sweep.axes: the sweep is empty: it needs at least one axis, a parameter and its values" in err
