"""YAML studies and parameter sweeps (see docs/studies.md).

``neg.run(config_or_path, **overrides)`` / ``neg run CONFIG``: load and validate a config
(:mod:`neg.study.config`), expand its sweep (:mod:`neg.study.sweep`), compute every point
(:mod:`neg.study.studies`) in this process, a process pool (:mod:`neg.study.local`) or on Dask
(:mod:`neg.study.dask`), resumably and in shards (:mod:`neg.study.runner`), and return / write an
xarray Dataset as netCDF4 (:mod:`neg.study.io`).
"""

from __future__ import annotations

from pathlib import Path

from neg.study.config import load_study
from neg.study.errors import ConfigError, Problem, RunError, did_you_mean
from neg.study.runner import execute, merge_files, shard_path
from neg.study.spec import Study
from neg.study.sweep import parse_shard

__all__ = ["run", "run_study", "load_study", "validate_config", "merge_files", "ConfigError", "Problem",
           "RunError", "Study"]

_RUN_OPTIONS = ("output", "workers", "resume", "shard", "scheduler", "quiet")


def validate_config(config, overrides=None) -> Study:
    """Load and validate only: the :class:`Study`, or :class:`ConfigError` with every problem."""
    return load_study(config, overrides)


def run_study(config, overrides=None, *, output=None, workers=None, resume=False, shard=None,
              scheduler=None, quiet=False, default_output: bool = False):
    """What ``neg run`` does; ``overrides`` is a list of "key=value" strings or a dict."""
    study = load_study(config, overrides)
    if isinstance(shard, str):
        try:
            shard = parse_shard(shard)
        except ValueError as e:
            raise RunError(str(e)) from None
    if output is not None:
        study.output_path = Path(output)
    elif study.output_path is None and default_output and not isinstance(config, dict):
        study.output_path = Path.cwd() / (Path(config).stem + ".nc")
    if shard is not None and output is None and study.output_path is not None:
        study.output_path = shard_path(study.output_path, shard)
    if scheduler is None and workers is not None and int(workers) < 1:
        raise RunError(f"workers: must be >= 1, got {workers}")
    return execute(study, workers=workers, resume=resume, shard=shard, scheduler=scheduler, quiet=quiet)


def run(config, /, **overrides):
    """Run a study from a YAML file (path) or a config dict; return the result Dataset.

    Keyword arguments are dotted overrides, as ``--set`` on the command line:
    ``neg.run("configs/tomahawk.yaml", **{"model.sigma": 4})``, or with ``__`` for the dots:
    ``neg.run(path, model__sigma=4, sweep__axes__phi__num=50)``. Run options (also keywords):
    ``output`` (a path: write the netCDF file there; default: the config's output.path, if any),
    ``workers`` (processes; default all cores), ``resume``, ``shard`` ("i/n", "auto" or (i, n)),
    ``scheduler`` ("tcp://host:port" or "local") and ``quiet``.
    Raises :class:`ConfigError` for an invalid config (every problem listed), :class:`RunError`.
    """
    opts = {k: overrides.pop(k) for k in _RUN_OPTIONS if k in overrides}
    sets = {}
    bad = []
    for k, v in overrides.items():
        key = k.replace("__", ".")
        if "." not in key:
            bad.append(Problem(k, "overrides are dotted keys such as model.sigma (or model__sigma); "
                                  f"run options are {', '.join(_RUN_OPTIONS)}{did_you_mean(k, _RUN_OPTIONS)}",
                               "neg.run"))
            continue
        sets[key] = v
    if bad:
        raise ConfigError(bad)
    return run_study(config, [(k, v) for k, v in sets.items()] or None, **opts)
