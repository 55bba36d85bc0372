"""Runs that a scheduler can trust (issue 11): exit codes, a closed pipe, SIGTERM and SIGKILL with
no process left over, finished chunks that a rerun would discard, output paths checked before any
work, neg.run without side effects, the command line's usage errors, and CF-conformant files
that the netCDF-C library reads. The shell-level tests drive ``python -m neg`` in a subprocess."""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml
from _study_support import CONFIGS, SMALL, provide_functions

import neg
from neg.cli import EXIT_CODES, main
from neg.study import ConfigError, UsageError, load_study, run_study
from neg.study import studies as study_kinds
from neg.study.runner import execute
from neg.study.watchdog import alive

ROOT = Path(__file__).resolve().parent.parent
SSM = CONFIGS / "sweep_sigma_mu.yaml"
#: 420 points of about 0.1 s each, one per chunk: a run long enough to be stopped
SSM_LONG = ["sweep.axes.sigma.num=60", "sweep.chunk_size=1"]
CP = {"model": {"name": "core_periphery", "sigma": 5, "mu": 0.4, "phi": 0.2},
      "study": {"kind": "equilibrium"}, "sweep": {"axes": {"phi": [0.1, 0.2, 0.3]}}}


@pytest.fixture(autouse=True)
def _functions(monkeypatch):
    return provide_functions(monkeypatch)


def _neg(*args, **kw) -> subprocess.CompletedProcess:
    """``python -m neg ARGS`` in a subprocess (this checkout first on the path)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "neg", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=600, **kw)


def _popen(*args, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "neg", *map(str, args)], env=env, **kw)


def _sets(sets) -> list[str]:
    return [x for s in sets for x in ("--set", s)]


def _write(tmp_path, cfg: dict, name: str = "cfg.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(cfg))
    return p


def _last_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


# --------------------------------------------------------------------------- 1. exit codes
def test_exit_code_when_points_do_not_converge(tmp_path):
    """Unconverged points: the file is written with its flags, and the exit code says so."""
    cfg = _write(tmp_path, {**CP, "study": {"kind": "equilibrium", "max_steps": 1}})
    out = tmp_path / "u.nc"
    r = _neg("run", cfg, "-o", out, "--workers", 1, "-q")
    assert r.returncode == 3, r.stderr
    ds = xr.open_dataset(out)
    assert not ds["converged"].values.any() and ds.attrs["n_not_converged"] == 3
    last = _last_line(r.stderr)
    assert last.startswith("neg: done: 3 point(s), 0 converged, 3 not converged, 0 failed")
    assert "exit code 3: 3 point(s) failed or did not converge" in last
    ok = _neg("run", _write(tmp_path, CP, "ok.yaml"), "-o", tmp_path / "ok.nc", "--workers", 1, "-q")
    assert ok.returncode == 0, ok.stderr
    assert _last_line(ok.stderr).startswith("neg: done: 3 point(s), 3 converged, 0 not converged, 0 failed")


def test_exit_code_when_points_fail(tmp_path, monkeypatch, capsys):
    kind = study_kinds.KINDS["equilibrium"]

    def failing(model, opts, args):
        raise RuntimeError("no equilibrium here")

    monkeypatch.setitem(study_kinds.KINDS, "equilibrium", dataclasses.replace(kind, run=failing))
    out = tmp_path / "f.nc"
    assert main(["run", str(_write(tmp_path, CP)), "-o", str(out), "--workers", "1", "-q"]) == 3
    assert "3 failed" in _last_line(capsys.readouterr().err)
    assert xr.open_dataset(out)["failed"].values.all()
    assert main(["plot", str(out), "-o", str(tmp_path / "f.png")]) == 1  # not a missing dimension
    assert "every point failed, nothing to plot (first error: RuntimeError: no equilibrium here)" in \
        capsys.readouterr().err
    shard_out = tmp_path / "s.nc"
    assert main(["run", str(_write(tmp_path, CP)), "-o", str(shard_out), "--shard", "0/2", "-q",
                 "--workers", "1"]) == 3
    assert main(["merge", str(shard_out), "-o", str(tmp_path / "m.nc")]) == 1  # shard 1/2 missing


def test_exit_code_table_in_help_and_docs():
    r = _neg("--help")
    assert r.returncode == 0
    for code, text in EXIT_CODES:
        assert re.search(rf"^\s+{code}\s+{re.escape(text[:30])}", r.stdout, re.M), (code, r.stdout)
    docs = (ROOT / "docs" / "studies.md").read_text()
    table = dict(re.findall(r"^\| `(\d+)` \| (.+?) \|$", docs, re.M))
    assert table == {str(code): text for code, text in EXIT_CODES}  # the same table, word for word
    assert {0, 2, 3, 130, 143} <= {code for code, _ in EXIT_CODES}


# --------------------------------------------------------------------------- 2. a closed pipe
def test_closed_pipe_never_stops_the_result(tmp_path):
    """Progress to a pipe whose reader has gone: the result is written all the same."""
    cfg = _write(tmp_path, {**CP, "sweep": {"axes": {"phi": [0.1, 0.2, 0.3, 0.4]}, "chunk_size": 1}})
    out = tmp_path / "p.nc"
    r_fd, w_fd = os.pipe()
    os.close(r_fd)  # nobody will ever read: every write gets EPIPE
    try:
        proc = _popen("run", cfg, "-o", out, "--workers", 1, stdout=w_fd, stderr=w_fd)
        rc = proc.wait(timeout=600)
    finally:
        os.close(w_fd)
    assert rc == 0 and out.exists()
    assert xr.open_dataset(out).attrs["n_points"] == 4


def test_pipe_to_head_writes_the_result(tmp_path):
    """The issue's own example: ``neg run cfg.yaml -o out.nc 2>&1 | head -1``."""
    cfg = _write(tmp_path, {**CP, "sweep": {"axes": {"phi": [0.1, 0.2, 0.3, 0.4]}, "chunk_size": 1}})
    out = tmp_path / "h.nc"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    cmd = (f"'{sys.executable}' -m neg run '{cfg}' -o '{out}' --workers 1 2>&1 | head -1; "
           "exit ${PIPESTATUS[0]}")
    r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0 and out.exists(), r.stdout
    assert r.stdout.startswith("neg: ")


# --------------------------------------------------------------------------- 3. signals
def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def _alive(pids) -> set[int]:
    """The processes of ``pids`` that still run (zombies, waiting for init to reap them, do not)."""
    return {p for p in pids if alive(p)}


def _start_long_run(tmp_path, *extra):
    """A long run in a new session, with SIGINT at its default as in a terminal's foreground job
    (a test run started in the background by a shell without job control inherits SIGINT
    ignored, which the run would keep, as every program started so does)."""
    out = tmp_path / "long.nc"
    parts = tmp_path / "long.nc.parts"
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # a handler: the child gets SIG_DFL
    try:
        proc = _popen("run", SSM, *_sets(SSM_LONG), "-o", out, "--workers", 2, *extra,
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    finally:
        signal.signal(signal.SIGINT, before)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list(parts.glob("chunk-*.npz"))) < 2:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    assert len(list(parts.glob("chunk-*.npz"))) >= 2, "no chunk finished in time"
    kids = _descendants(proc.pid)
    assert len(kids) >= 3, kids  # forkserver, resource tracker, workers
    return proc, out, parts, kids


def _wait_gone(pids, seconds: float = 10.0) -> set[int]:
    deadline = time.monotonic() + seconds
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _alive(pids)


@pytest.mark.slow
@pytest.mark.parametrize("sig, to", [(signal.SIGTERM, "run"), (signal.SIGTERM, "group"),
                                     (signal.SIGINT, "group")], ids=["sigterm", "sigterm-group", "ctrl-c"])
def test_signal_stops_workers_keeps_chunks_and_says_how_to_resume(tmp_path, sig, to):
    """SIGTERM to the run (kill PID), to its process group (a scheduler), Ctrl-C (SIGINT to the
    terminal's process group): exit 128 + signal, the finished chunks kept, how to resume."""
    proc, out, parts, kids = _start_long_run(tmp_path)
    if to == "group":
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, err
    last = _last_line(err)
    assert signal.Signals(sig).name in last and "--resume" in last and str(parts) in last, err
    assert "Traceback" not in err
    assert not out.exists() and len(list(parts.glob("chunk-*.npz"))) >= 2
    assert _wait_gone(kids) == set(), "processes outlived the run"
    done = int(re.search(r"after (\d+) of 420 points", last).group(1))
    assert done == len(list(parts.glob("chunk-*.npz")))  # one point per chunk: every finished one kept


@pytest.mark.slow
def test_sigkill_of_the_run_leaves_no_process(tmp_path):
    proc, _, _, kids = _start_long_run(tmp_path, "-q")
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    assert _wait_gone(kids) == set(), f"processes outlived the killed run: {_alive(kids)}"


# --------------------------------------------------------------------------- 4. discarded chunks
def test_rerun_without_resume_says_it_discards_finished_chunks(tmp_path, capsys):
    cfg = _write(tmp_path, {**CP, "sweep": {"axes": {"phi": [0.1, 0.2, 0.3]}, "chunk_size": 1}})
    out = tmp_path / "r.nc"
    study = load_study(cfg, output=out)
    execute(study, workers=1, quiet=True, keep_parts=True)  # leaves r.nc.parts/ behind, as a killed run
    assert len(list((tmp_path / "r.nc.parts").glob("chunk-*.npz"))) == 3
    assert main(["run", str(cfg), "-o", str(out), "--workers", "1", "-q"]) == 0
    err = capsys.readouterr().err
    assert re.search(r"warning: discarding 3 finished chunk\(s\) of an earlier run in .*r\.nc\.parts; "
                     r"to keep them, stop now and rerun with --resume", err), err


# --------------------------------------------------------------------------- 5. output paths
def _no_compute(monkeypatch) -> list:
    calls = []
    kind = study_kinds.KINDS["equilibrium"]

    def counted(model, opts, args):
        calls.append(1)
        return kind.run(model, opts, args)

    monkeypatch.setitem(study_kinds.KINDS, "equilibrium", dataclasses.replace(kind, run=counted))
    return calls


def test_output_that_is_a_folder_fails_before_any_compute(tmp_path, monkeypatch, capsys):
    calls = _no_compute(monkeypatch)
    folder = tmp_path / "existing"
    folder.mkdir()
    cfg = _write(tmp_path, CP)
    assert main(["run", str(cfg), "-o", str(folder), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a folder" in err and str(folder) in err
    assert calls == []
    with pytest.raises(UsageError, match="is a folder"):
        neg.run(CP, output=folder, workers=1)
    assert calls == []
    r = _neg("run", cfg, "-o", folder)  # the same from the shell: one line, exit code 2
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


@pytest.mark.parametrize("command", ["run", "plot", "merge"])
def test_unwritable_output_is_a_one_line_error(tmp_path, monkeypatch, capsys, command):
    calls = _no_compute(monkeypatch)
    cfg = _write(tmp_path, CP)
    res = tmp_path / "res.nc"
    if command != "run":
        run_study(cfg, output=res, workers=1, quiet=True, shard=(0, 1) if command == "merge" else None)
        calls.clear()
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    for bad in ("/proc/x", str(a_file / "x.nc")):
        args = {"run": ["run", str(cfg), "--workers", "1"], "plot": ["plot", str(res)],
                "merge": ["merge", str(res)]}[command]
        assert main([*args, "-o", bad]) == 2, bad
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and bad in err and err.startswith("neg: error: "), err
    assert calls == []


# --------------------------------------------------------------------------- 6. neg.run from Python
def test_neg_run_writes_only_when_asked(tmp_path, monkeypatch):
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    cfg = {**CP, "output": {"path": "results/out.nc"}}
    ds = neg.run(cfg, workers=1, quiet=True)
    assert isinstance(ds, xr.Dataset) and ds.attrs["n_points"] == 3
    assert list(work.iterdir()) == []  # no file, no folder
    # a config file with an output.path: no side effect either
    path = _write(tmp_path, cfg)
    neg.run(path, workers=1, quiet=True)
    assert not (tmp_path / "results").exists()
    # asked: output=PATH, or output=True for the config's output.path (relative to base for a dict)
    neg.run(cfg, output="here.nc", workers=1, quiet=True)
    assert (work / "here.nc").exists()
    base = tmp_path / "base"
    neg.run(cfg, output=True, base=base, workers=1, quiet=True)
    assert (base / "results" / "out.nc").exists()
    neg.run(path, output=True, workers=1, quiet=True)
    assert (tmp_path / "results" / "out.nc").exists()
    with pytest.raises(UsageError, match="no output.path"):
        neg.run(CP, output=True, workers=1)
    with pytest.raises(UsageError, match="needs an output file"):
        neg.run(CP, resume=True, workers=1)


def test_dict_config_files_are_relative_to_base(tmp_path, monkeypatch):
    base = tmp_path / "inputs"
    base.mkdir()
    (base / "d.csv").write_text("0,1,2\n1,0,1\n2,1,0\n")
    monkeypatch.chdir(tmp_path)
    cfg = {**CP, "geography": {"kind": "distances", "file": "d.csv"}}
    ds = neg.run(cfg, base=base, workers=1, quiet=True)
    assert ds.sizes["region"] == 3
    with pytest.raises(ConfigError, match="d.csv"):
        neg.run(cfg, workers=1, quiet=True)  # the current folder has no d.csv


# --------------------------------------------------------------------------- 7. the command line
def test_version_and_python_m_neg():
    r = _neg("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"neg {neg.__version__}"


def test_shards_count_from_zero(tmp_path):
    cfg = _write(tmp_path, CP)
    r = _neg("run", "--help")
    assert "counted from 0" in " ".join(r.stdout.split())
    r = _neg("run", cfg, "--shard", "2/2", "-o", tmp_path / "s.nc")
    assert r.returncode == 2 and "count from 0" in r.stderr and "0/2 .. 1/2" in r.stderr
    assert r.stderr.count("\n") == 1
    assert main(["run", str(cfg), "--shard", "1/2", "-o", str(tmp_path / "s.nc"), "-q",
                 "--workers", "1"]) == 0
    assert xr.open_dataset(tmp_path / "s.nc")["sweep_point"].values.tolist() == [1]


def test_usage_errors_exit_2(tmp_path):
    cfg = _write(tmp_path, CP)
    r = _neg("run", cfg, "--workers", 0)
    assert r.returncode == 2 and "--workers" in r.stderr and "Traceback" not in r.stderr
    r = _neg("info", tmp_path / "missing.nc")
    assert r.returncode == 2 and r.stderr.strip() == f"neg: error: {tmp_path / 'missing.nc'}: no such file"
    r = _neg("run", tmp_path / "missing.yaml")
    assert r.returncode == 2


# --------------------------------------------------------------------------- CF conformance
CONFIG_NAMES = sorted(p.stem for p in CONFIGS.glob("*.yaml"))


@pytest.mark.parametrize("name", CONFIG_NAMES)
def test_shipped_config_writes_cf_files_that_netcdf_c_reads(name, tmp_path):
    netCDF4 = pytest.importorskip("netCDF4", reason="netCDF4 is a test dependency (pip install -e '.[test]')")
    if name not in SMALL:
        pytest.fail(f"configs/{name}.yaml: add small-size overrides to tests/_study_support.py SMALL")
    out = tmp_path / f"{name}.nc"
    assert main(["run", str(CONFIGS / f"{name}.yaml"), *_sets(SMALL[name]), "-o", str(out), "-q",
                 "--workers", "1"]) in (0, 3)
    ds = xr.open_dataset(out)
    a = ds.attrs
    assert a["Conventions"].startswith("CF-1.")
    assert a["title"] and a["source"].startswith(f"neg {neg.__version__}")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\S+ neg run .*" + re.escape(f"{name}.yaml") + r" .*", a["history"])
    for dim in ds.dims:
        assert dim in ds.coords, f"{name}: dimension {dim} has no coordinate"
    for cname, c in ds.coords.items():
        assert c.attrs.get("long_name"), (name, cname)
        if c.dtype.kind in "iufc":
            assert c.attrs.get("units"), (name, cname)
    for vname, v in ds.data_vars.items():
        assert v.attrs.get("long_name"), (name, vname)
        if v.dtype == bool:
            assert "flag_values" in v.attrs and "flag_meanings" in v.attrs, (name, vname)
        elif v.dtype.kind in "fc":
            assert "units" in v.attrs, (name, vname)
    with netCDF4.Dataset(out) as nc:  # the netCDF-C library
        assert nc.getncattr("Conventions") == a["Conventions"]
        for vname, v in nc.variables.items():
            v.set_auto_mask(False)
            v[...]  # every variable's data reads
            if vname in nc.dimensions:
                assert "_FillValue" not in v.ncattrs(), (name, vname)
            if "flag_values" in v.ncattrs():
                assert np.asarray(v.getncattr("flag_values")).dtype == v.dtype, (name, vname)
    if name == "racetrack":
        assert ds["phi"].attrs["units"] == "1" and ds["region"].attrs["long_name"] == "region"


def test_equilibrium_dimension_has_a_coordinate(tmp_path):
    cfg = {**CP, "study": {"kind": "equilibria"}, "sweep": {"axes": {"phi": [0.05, 0.12]}}}
    out = tmp_path / "e.nc"
    ds = neg.run(cfg, output=out, workers=1, quiet=True)
    for d in (ds, xr.open_dataset(out)):
        assert d["equilibrium"].values.tolist() == list(range(d.sizes["equilibrium"]))
        assert d["equilibrium"].attrs["units"] == "1" and d["equilibrium"].attrs["long_name"]
