"""Coordinates and attributes shared by the datasets that :func:`neg.trace` and
:func:`neg.bifurcation_diagram` return (one place for both)."""

from __future__ import annotations

import json

from neg._version import __version__
from neg.geography import geography_note


def dim_name(param: str) -> str:
    """The dataset dim of a continuation parameter: ``"farmers[2]"`` -> ``"farmers_2"``."""
    return param.replace("[", "_").replace("]", "").strip()


def state_dim(model) -> tuple[str, list[str]]:
    """The dim of the long-run state: "region" for one-group models, otherwise "state"."""
    dim = "region" if model.state_is_regions() else "state"
    return dim, list(model.state_labels())


def model_attrs(model, param: str) -> dict:
    """Dataset attributes naming the model, its parameters, the geography and neg's version."""
    return {
        "model": model.name,
        "model_params": json.dumps(model.params(), default=float),
        "geography": model.geography.kind,
        "param": param,
        "neg_version": __version__,
        **geography_note(model.geography),
    }
