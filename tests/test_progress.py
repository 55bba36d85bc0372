"""Long Python calls report progress through `logging` (loggers ``neg.<function>``), throttled to a
line every ``neg.progress.INTERVAL`` seconds; the CLI sends those lines to stderr unless --quiet,
once each."""

from __future__ import annotations

import logging

import pytest
from _study_support import CONFIGS, SMALL

import neg
import neg.progress
from neg.cli import main


@pytest.fixture
def every_step(monkeypatch):
    monkeypatch.setattr(neg.progress, "INTERVAL", 0.0)


def _lines(caplog, name):
    return [r.getMessage() for r in caplog.records if r.name == f"neg.{name}" and r.levelno == logging.INFO]


def _racetrack(K=6, phi=0.5):
    return neg.CorePeriphery(5.0, 0.4, phi=phi, geography=neg.Geography.racetrack(K))


def test_trace_logs_progress(caplog, every_step):
    caplog.set_level(logging.INFO, logger="neg")
    neg.trace(_racetrack(), "phi", [0.2, 0.3, 0.4], direction="up")
    lines = _lines(caplog, "trace")
    assert lines[0].startswith("trace: 1/3 values (up, phi=0.2)")
    assert lines[2].startswith("trace: 3/3 values (up, phi=0.4)")
    assert lines[-1].startswith("trace: done (3 of 3 values converged)")


def test_progress_is_throttled(caplog):
    """With the default interval a short call logs nothing (never a line per step)."""
    caplog.set_level(logging.INFO, logger="neg")
    assert neg.progress.INTERVAL >= 1.0
    neg.trace(_racetrack(), "phi", [0.2, 0.3, 0.4], direction="up")
    assert _lines(caplog, "trace") == []


def test_equilibria_logs_progress(caplog, every_step):
    caplog.set_level(logging.INFO, logger="neg")
    neg.equilibria(_racetrack(), n_random=3)
    lines = _lines(caplog, "equilibria")
    assert [line.split(" (")[0] for line in lines[:4]] == [f"equilibria: {i}/4 starts" for i in range(1, 5)]
    assert lines[-1].startswith("equilibria: done (")


def test_bifurcation_diagram_logs_progress(caplog, every_step):
    caplog.set_level(logging.INFO, logger="neg")
    neg.bifurcation_diagram(neg.CorePeriphery(5.0, 0.4, phi=0.3), "phi", 0.05, 0.3, ds_max=0.05)
    lines = _lines(caplog, "bifurcation_diagram")
    assert lines and "branch(es)" in lines[0] and "phi=" in lines[0]
    assert lines[-1].startswith("bifurcation_diagram: done (")


def test_simulate_logs_progress(caplog, every_step):
    caplog.set_level(logging.INFO, logger="neg")
    neg.simulate(neg.CorePeriphery(5.0, 0.4, phi=0.2), {"phi": [(0, 0.2), (10, 0.5)]}, [0.51, 0.49],
                 t_end=10, steps=4)
    lines = _lines(caplog, "simulate")
    assert lines and "/10 model time" in lines[0]
    assert lines[-1].startswith("simulate: done (integrated)")


def test_nothing_logged_unless_asked(caplog, every_step):
    caplog.set_level(logging.WARNING, logger="neg")
    neg.trace(_racetrack(), "phi", [0.2, 0.3], direction="up")
    assert _lines(caplog, "trace") == []


@pytest.mark.parametrize("quiet", [False, True])
def test_cli_sends_library_progress_to_stderr_unless_quiet(tmp_path, capsys, every_step, quiet):
    args = ["run", str(CONFIGS / "racetrack.yaml"), "--workers", "1", "-o", str(tmp_path / "r.nc"),
            *[a for s in SMALL["racetrack"] for a in ("--set", s)]]
    assert main(args + (["-q"] if quiet else [])) == 0
    err = capsys.readouterr().err.splitlines()
    trace = [line for line in err if line.startswith("neg: trace: ")]
    if quiet:
        assert trace == []
    else:
        assert trace[0].startswith("neg: trace: 1/8 values (up, phi=0.1)")
        assert len(trace) == len(set(trace))  # once each (not also through the root logger)
    assert logging.getLogger("neg").handlers == []  # the CLI leaves logging as it found it
