"""Generic code reads the declared interface (issue 9): the study schema from the model's
declarations, vertex transitivity from the geography, result attributes of parameters from
their declarations, figure labels from the variables' attributes and the table."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import neg
from neg.models.params import MISSING
from neg.study.schema import _model_fields
from neg.variables import PARAMETERS, VARIABLES, parameter_attrs

CP = neg.CorePeriphery(sigma=5.0, mu=0.4, phi=0.1)
HELPMAN = neg.Helpman(5.0, 0.7, phi=0.5)


# --------------------------------------------------------------------------- declarations
def test_schema_reads_the_declarations():
    for name, cls in neg.models.REGISTRY.items():
        fields = _model_fields(cls)
        decl = cls.field_declarations()
        assert list(fields) == [n for n, p in decl.items() if p.kind != "geography"], name
        for n, (t, required) in fields.items():
            p = decl[n]
            assert required == (p.default is MISSING), (name, n)
            assert t == {"shares": "shares", "rates": "rates", "scalar": "number",
                         "index": "number"}.get(p.kind, "any"), (name, n)
    assert _model_fields(neg.Helpman)["rents"] == ("any", False)  # the model checks its choices
    assert _model_fields(neg.CorePeriphery)["mu"] == ("number", True)


def test_common_parameters_take_their_words_from_the_table():
    """sigma, phi, T, tax, cost, share_cap: one long name, units and meaning (neg.variables)."""
    for name in ("sigma", "phi", "T", "tax", "cost", "share_cap"):
        assert parameter_attrs(name, CP.param_variable(name)) == parameter_attrs(name), name
        assert CP.param_attrs(name)["long_name"] == PARAMETERS[name].long_name


def test_param_variable_of_a_models_own_parameter():
    v = neg.Helpman.param_variable("housing[1]")
    assert v.long_name == "housing shares" and v.units == "1"
    alpha = neg.Pflueger.param_variable("alpha")  # declared in units of the numeraire
    assert alpha.units == "1" and alpha.numeraire
    assert "numeraire" in parameter_attrs("alpha", alpha)["comment"]
    workers = neg.Pflueger.param_variable("workers")
    assert workers.units == "1" and "(in workers)" in workers.meaning
    with pytest.raises(ValueError, match="not a parameter of CorePeriphery"):
        neg.CorePeriphery.param_attrs("housing")


# --------------------------------------------------------------------------- outputs
def test_trace_of_a_models_own_parameter_has_its_declared_long_name():
    ds = neg.trace(HELPMAN, "housing[0]", [0.5, 0.55])
    assert ds["housing_0"].attrs["long_name"] == "housing shares (housing[0])"
    assert ds["housing_0"].attrs["units"] == "1"


def test_simulate_schedule_has_the_declared_long_name():
    ds = neg.simulate(HELPMAN, {"housing[0]": [(0, 0.5), (1, 0.55)]}, None, 1, steps=2)
    assert ds["housing"].attrs["long_name"] == "housing shares"
    assert ds["housing"].attrs["long_name"] != "model parameter housing"


def test_sweep_axis_of_a_models_own_parameter(tmp_path):
    config = {"model": {"name": "helpman", "sigma": 5.0, "mu": 0.7, "phi": 0.5},
              "geography": {"kind": "two_region"}, "study": {"kind": "equilibrium"},
              "sweep": {"axes": {"h0": {"param": "model.housing[0]", "values": [0.5, 0.6]}}}}
    ds = neg.run(config, workers=1, quiet=True)
    assert ds["h0"].attrs["sweep_target"] == "model.housing[0]"
    assert ds["h0"].attrs["long_name"] == "housing shares (housing[0])"


# --------------------------------------------------------------------------- geography
def test_vertex_transitive_is_structural():
    G = neg.Geography
    assert G.two_region().vertex_transitive and G.racetrack(7).vertex_transitive
    assert not G.line(3).vertex_transitive and not G.grid(3, 3).vertex_transitive
    ring = G.from_distances(G.racetrack(6).distance)  # a ring read from a file
    assert ring.kind == "custom" and ring.vertex_transitive
    # a kind string proves nothing: the distances decide
    assert not G(G.line(4).distance, kind="racetrack").vertex_transitive
    with pytest.warns(UserWarning, match="not symmetric"):
        assert not G.from_distances([[0.0, 1.0], [2.0, 0.0]]).vertex_transitive


def test_sustain_point_on_a_ring_from_a_file_equals_the_racetrack():
    m = neg.CorePeriphery(5.0, 0.4, phi=0.1, geography=neg.Geography.racetrack(4))
    ring = m.replace(geography=neg.Geography.from_distances(m.geography.distance))
    assert neg.sustain_point(ring) == neg.sustain_point(m)


# --------------------------------------------------------------------------- welfare inputs
def test_welfare_accepts_results_and_shares():
    m = CP.replace(phi=0.3)
    eq = neg.long_run(m, [0.6, 0.4])
    a = neg.welfare(m, eq)
    b = neg.welfare(m, m.short_run(eq.lam, tol=1e-13))
    c = neg.welfare(m, np.asarray(eq.lam))
    for other in (b, c):
        np.testing.assert_allclose(other["national_welfare"], a["national_welfare"], rtol=1e-9)


# --------------------------------------------------------------------------- figure labels
def test_figure_labels_come_from_the_attributes():
    pytest.importorskip("matplotlib")
    import neg.plot as nplot

    ds = neg.trace(HELPMAN, "phi", [0.4, 0.5])
    ds["phi"].attrs["long_name"] = "my freeness"
    ax = nplot.heatmap(ds)
    assert ax.get_xlabel().startswith("my freeness")
    cbar = [a for a in ax.figure.axes if a is not ax][0]
    assert cbar.get_ylabel().startswith(VARIABLES["lam"].long_name)
    lat, lon = [30.0, 31.0, 32.0], [110.0, 112.0, 111.0]
    shares = xr.Dataset({"lam": ("region", [0.2, 0.3, 0.5])},
                        coords={"region": ["a", "b", "c"], "lat": ("region", lat),
                                "lon": ("region", lon)})
    ax = nplot.map(shares)  # a dataset built by hand: the table's words
    assert ax.get_xlabel() == "longitude (°E)" and ax.get_ylabel() == "latitude (°N)"
