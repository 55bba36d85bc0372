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
from neg.study.errors import ConfigError, Interrupted, Problem, RunError, UsageError, did_you_mean
from neg.study.runner import execute, merge_files, shard_path
from neg.study.spec import Study
from neg.study.sweep import check_shard, parse_shard

__all__ = ["run", "run_study", "load_study", "validate_config", "merge_files", "ConfigError", "Problem",
           "RunError", "UsageError", "Interrupted", "Study"]

_RUN_OPTIONS = ("output", "base", "workers", "resume", "shard", "scheduler", "quiet")


def validate_config(config, overrides=None, *, base=None) -> Study:
    """Load and validate only: the :class:`Study`, or :class:`ConfigError` with every problem."""
    return load_study(config, overrides, base=base)


def run_study(config, overrides=None, *, output=None, workers=None, resume=False, shard=None,
              scheduler=None, quiet=False, default_output: bool = False, config_output: bool = True,
              base=None, command: str | None = None, need_output: bool = False):
    """What ``neg run`` does; ``overrides`` is a list of "key=value" strings or a dict.

    The result is written to ``output`` if given, else (``config_output``) to the config's
    ``output.path``, else (``default_output``, a config file) to CONFIG-NAME.nc in the current
    folder; otherwise nothing is written (``need_output``: a UsageError instead). Every output
    path is checked before any work starts.
    """
    study = load_study(config, overrides, base=base)
    if isinstance(shard, str):
        try:
            shard = parse_shard(shard)
        except ValueError as e:
            raise UsageError(str(e)) from None
    elif shard is not None:
        try:
            shard = check_shard(*(int(x) for x in shard))
        except (TypeError, ValueError) as e:
            raise UsageError(f"shard: expected (i, n) or 'i/n' counted from 0, or 'auto' ({e})") from None
    if not config_output:
        study.output_path = None
    if output is not None:
        study.output_path = Path(output)
    elif study.output_path is None and default_output and not isinstance(config, dict):
        study.output_path = Path.cwd() / (Path(config).stem + ".nc")
    if need_output and study.output_path is None:
        raise UsageError("output=True: the config has no output.path; give output=PATH")
    if shard is not None and output is None and study.output_path is not None:
        study.output_path = shard_path(study.output_path, shard)
    if scheduler is None and workers is not None and int(workers) < 1:
        raise UsageError(f"workers: must be >= 1, got {workers}")
    return execute(study, workers=workers, resume=resume, shard=shard, scheduler=scheduler, quiet=quiet,
                   command=command)


def run(config, /, **overrides):
    """Run a study from a YAML file (path) or a config dict; return the result Dataset.

    Keyword arguments are dotted overrides, as ``--set`` on the command line:
    ``neg.run("configs/tomahawk.yaml", **{"model.sigma": 4})``, or with ``__`` for the dots:
    ``neg.run(path, model__sigma=4, sweep__axes__phi__num=50)``.

    Nothing is written unless asked: ``output=PATH`` writes the netCDF file there (relative to the
    current folder), ``output=True`` to the config's ``output.path``. The relative paths of a
    config file (``geography.file``, ``output.path``) are relative to its folder; those of a config
    dict to ``base`` (a folder; default: the current folder).

    Other run options (also keywords): ``workers`` (processes; default all cores), ``resume`` and
    ``shard`` ("i/n" counted from 0, "auto" or (i, n); both need an output file), ``scheduler``
    ("tcp://host:port" or "local") and ``quiet``.
    Raises :class:`ConfigError` for an invalid config (every problem listed), :class:`UsageError`
    (an output path that cannot be written, ...), :class:`RunError`, and :class:`Interrupted` (a
    KeyboardInterrupt) on Ctrl-C, saying how to resume.
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
    output = opts.pop("output", None)
    if output is True:
        opts["config_output"] = opts["need_output"] = True
    elif output is None or output is False:
        opts["config_output"] = False
    else:
        opts["output"] = output
        opts["config_output"] = False
    return run_study(config, [(k, v) for k, v in sets.items()] or None, **opts)
