"""The table of variables (neg.variables): every output's variables and coordinates carry the
table's CF attributes (long_name, units, flags), in memory and in the result files."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import xarray as xr

import neg
from neg import metrics, policy
from neg.variables import PARAMETERS, VARIABLES, Variable, attrs, parameter_attrs

CP = neg.CorePeriphery(sigma=5.0, mu=0.4, phi=0.1)
#: a geography with coordinates (lat/lon coordinates on the outputs)
GEO = neg.Geography.from_coordinates([30.0, 31.0, 32.0], [110.0, 112.0, 111.0], names=["a", "b", "c"],
                                     unit_km=500.0)
#: UDUNITS-2 strings the table uses (each parsable by UDUNITS)
UDUNITS = {"1", "s", "percent", "degrees_north", "degrees_east"}
#: variables whose units are those of the coordinate they are measured along
UNITS_OF_COORDINATE = {"crossing", "lag"}


CP3 = neg.CorePeriphery(sigma=5.0, mu=0.4, phi=0.1, geography=GEO)


# --------------------------------------------------------------------------- the table itself
def test_table_entries_are_complete_and_cf():
    for table in (VARIABLES, PARAMETERS):
        for key, v in table.items():
            assert isinstance(v, Variable) and v.name == key
            assert v.long_name and v.meaning, key
            assert v.units is None or v.units in UDUNITS, (key, v.units)
            if v.flags:
                assert v.units is None, key
                values = [f[0] for f in v.flags]
                assert len(set(values)) == len(values), key
                assert all(re.fullmatch(r"[A-Za-z0-9_]+", f[1]) for f in v.flags), key


def test_long_names_are_unique():
    """One long name, one meaning: no two entries share a long name."""
    seen: dict[str, str] = {}
    for table in (VARIABLES, PARAMETERS):
        for key, v in table.items():
            assert v.long_name not in seen, f"{key} and {seen.get(v.long_name)}: {v.long_name!r}"
            seen[v.long_name] = key


def test_attrs_lookup():
    a = attrs("real_wage")
    assert a["long_name"] == VARIABLES["real_wage"].long_name and a["units"] == "1"
    assert "comment" in a
    assert "numeraire" in attrs("wage")["comment"]
    s = attrs("stable")
    assert "units" not in s and s["flag_meanings"] == "unstable stable"
    np.testing.assert_array_equal(s["flag_values"], [0, 1])
    assert attrs("top_k_share", k=3)["k"] == 3
    with pytest.raises(KeyError, match="not in neg.variables.VARIABLES"):
        attrs("no_such_variable")


def test_parameter_attrs():
    assert parameter_attrs("phi")["long_name"] == "freeness of trade"
    assert parameter_attrs("phi")["units"] == "1"
    assert parameter_attrs("share_cap[1]")["long_name"] == "upper bound on the share (share_cap[1])"
    assert parameter_attrs("farmers[0]") == {"long_name": "model parameter farmers[0]"}
    mine = Variable("kappa", "my parameter", "1", "A model's own parameter.")
    assert parameter_attrs("kappa", mine)["long_name"] == "my parameter"


# --------------------------------------------------------------------------- checking outputs
def _expected(name: str, var, params: set[str], model=None) -> dict | None:
    """The table's attributes for ``name`` (None: a label coordinate without an entry); those of
    a parameter from ``model``'s declaration where the output had the model at hand."""
    if "sweep_target" in var.attrs:  # a sweep axis: the model parameter's, a study setting's in
        key = var.attrs["sweep_target"]  # the table (migration_speed), else its config key
        if key.startswith("model."):
            return parameter_attrs(key[len("model."):])
        if key.startswith("study.") and key[len("study."):] in VARIABLES:
            return attrs(key[len("study."):])
        return {"long_name": key, "units": "km" if key == "geography.unit_km" else "1"}
    if name in params:
        return parameter_attrs(name, None if model is None else model.param_variable(name))
    if re.fullmatch(r"top_\d+_share", name):
        return attrs("top_k_share")
    if name in VARIABLES:
        return attrs(name)
    return None


def check(obj, params=(), *, where: str = "", model=None) -> None:
    """Every variable and coordinate of ``obj`` has the table's long_name and units (and flags);
    a parameter's, its declaration's by ``model`` (if given)."""
    params = set(params)
    items = [(obj.name, obj.variable)] if isinstance(obj, xr.DataArray) else []
    items += list((obj.variables if isinstance(obj, xr.Dataset) else obj.coords).items())
    for name, var in items:
        name = str(name).removeprefix("coord__")  # flat layout: a point's coordinate, as a variable
        want = _expected(name, var, params, model)
        label = var.dtype.kind in "OUS" and name in var.dims
        if want is None:
            assert label, f"{where}: {name!r} is not in the table of variables"
            continue
        got = var.attrs
        assert got.get("long_name") == want["long_name"], (where, name, got.get("long_name"))
        if name in UNITS_OF_COORDINATE:
            continue
        assert got.get("units") == want.get("units"), (where, name, got.get("units"), want.get("units"))
        if "flag_meanings" in want:
            assert got.get("flag_meanings") == want["flag_meanings"], (where, name)
            np.testing.assert_array_equal(got.get("flag_values"), want["flag_values"])


# --------------------------------------------------------------------------- solver outputs
@pytest.fixture(scope="module")
def traced():
    return neg.trace(CP3, "phi", np.linspace(0.05, 0.3, 5))


@pytest.fixture(scope="module")
def simulated():
    m = CP3.replace(share_cap=[1.0, 0.6, 1.0])
    return neg.simulate(m, {"phi": [(0, 0.1), (10, 0.3)], "farmers[a]": [(5, 0.3), (5, 0.4)]},
                        [0.3, 0.35, 0.35], 20, steps=5)


def test_trace(traced):
    check(traced, {"phi"}, where="trace")
    assert traced["phi"].attrs["long_name"] == "freeness of trade"
    assert traced["real_wage"].attrs["long_name"] == VARIABLES["real_wage"].long_name


def test_trace_grouped_state():
    m = neg.HeadquartersPlant(sigma=5.0, mu=0.4, phi=0.3)
    ds = neg.trace(m, "phi", [0.2, 0.3])
    assert "state" in ds.dims
    check(ds, {"phi"}, where="trace (grouped)")


EVERY_MODEL = [
    CP,
    neg.FootlooseEntrepreneur(5.0, 0.4, phi=0.3),
    neg.FootlooseCapital(5.0, 0.4, phi=0.5),
    neg.Pflueger(5.0, phi=0.5),
    neg.VerticalLinkages(5.0, 0.4, 0.2, phi=0.3),
    neg.Helpman(5.0, 0.7, phi=0.5),
    neg.HeadquartersPlant(sigma=5.0, mu=0.4, phi=0.3),
    neg.MultiIndustry(5.0, [0.08, 0.08], phi=0.4, geography=neg.Geography.line(3)),
]


@pytest.mark.parametrize("model", EVERY_MODEL, ids=lambda m: m.name)
def test_every_model(model):
    """trace, simulate and welfare of every model carry the table's attributes."""
    check(neg.trace(model, "phi", [0.3, 0.4]), {"phi"}, where=f"trace of {model.name}")
    check(neg.simulate(model, {"phi": [(0, 0.3), (2, 0.4)]}, None, 2, steps=2), {"phi"},
          where=f"simulate of {model.name}")
    check(neg.welfare(model, neg.long_run(model)), where=f"welfare of {model.name}")


def test_bifurcation_diagram():
    ds = neg.bifurcation_diagram(CP, "phi", 0.05, 0.3)
    check(ds, {"phi"}, where="bifurcation_diagram")
    assert ds["stable"].dtype == bool


def test_simulate(simulated):
    ds = simulated
    assert "share_cap" in ds.coords and "lat" in ds.coords
    check(ds, set(json.loads(ds.attrs["scheduled"])) | {"share_cap"}, where="simulate", model=CP3)
    assert ds["farmers"].attrs["long_name"] == "farmers' shares"  # the declared long name
    assert ds["converged"].dtype == bool


def test_welfare_and_compare():
    m0, m1 = CP.replace(phi=0.3), CP.replace(phi=0.3, tax=[0.1, 0.0])
    w0 = neg.welfare(m0, neg.long_run(m0, [0.6, 0.4]))
    w1 = neg.welfare(m1, neg.long_run(m1, [0.6, 0.4]))
    check(w0, where="welfare")
    check(neg.compare(w0, w1), where="compare")


def test_welfare_grouped_state():
    m = neg.HeadquartersPlant(sigma=5.0, mu=0.4, phi=0.3)
    check(neg.welfare(m, neg.long_run(m)), where="welfare (grouped)")


def test_metrics(traced, simulated):
    for ds, params in ((simulated, set(json.loads(simulated.attrs["scheduled"])) | {"share_cap"}),
                       (traced, {"phi"})):
        check(metrics.industrialisation_order(ds), params, where="industrialisation_order", model=CP3)
        check(metrics.deindustrialisation_order(ds), params, where="deindustrialisation_order", model=CP3)
        check(metrics.centre_of_gravity(ds, GEO), params, where="centre_of_gravity", model=CP3)
        check(metrics.distance_from_core(ds, GEO), params, where="distance_from_core", model=CP3)
        check(metrics.herfindahl(ds), params, where="herfindahl", model=CP3)
        check(metrics.spatial_gini(ds), params, where="spatial_gini", model=CP3)
        check(metrics.top_k_share(ds, 2), params, where="top_k_share", model=CP3)
    shares = xr.DataArray(np.array([[0.5, 0.2], [0.3, 0.3], [0.2, 0.5]]), dims=("region", "industry"),
                          coords={"region": ("region", ["a", "b", "c"], attrs("region")),
                                  "industry": ("industry", ["x", "y"], attrs("industry"))},
                          name="lam", attrs=attrs("lam"))
    check(metrics.krugman_specialisation(shares), where="krugman_specialisation")


def test_shocks_and_cycles():
    ds = neg.simulate_shocks(CP3.replace(share_cap=[1.0, 0.6, 1.0]), 12, neg.Shocks(0.5, 0.02), 1.0,
                             samples=2, seed=1)
    check(ds, {"share_cap"}, where="simulate_shocks", model=CP3)
    check(metrics.synchronisation(ds), where="synchronisation")
    y = np.log(ds["gdp"])
    check(metrics.concordance(y.isel(region=0), y.isel(region=1)), where="concordance")
    for fn in (metrics.volatility, metrics.correlation_matrix, metrics.mean_correlation,
               metrics.sigma_convergence, metrics.growth_dispersion, metrics.beta_convergence):
        out = fn(y)
        check(out.to_dataset(name=out.name), where=fn.__name__)


def test_policy():
    curve = policy.agglomeration_rent_curve(CP, [0.3, 0.5])
    check(curve, {"phi"}, where="agglomeration_rent_curve")
    game = policy.tax_game(CP.replace(phi=0.5), "revenue", lam0=[1.0, 0.0], tol=1e-4, max_rounds=2,
                           grid=3)
    check(game.to_dataset(), {"tax"}, where="tax_game")


# --------------------------------------------------------------------------- study kinds and files
_MODEL = {"name": "core_periphery", "sigma": 5.0, "mu": 0.4, "phi": 0.2}
STUDIES = {
    "equilibrium": ({"kind": "equilibrium"}, {"axes": {"sigma": [4.0, 5.0]}}),
    "equilibria": ({"kind": "equilibria", "n_random": 2}, None),
    "bifurcation_points": ({"kind": "bifurcation_points"},
                           {"mode": "zip", "axes": {"sigma": [4.0, 5.0], "mu": [0.3, 0.4]}}),
    "trace": ({"kind": "trace", "param": "phi", "values": [0.1, 0.3]}, None),
    "bifurcation": ({"kind": "bifurcation", "param": "phi", "lo": 0.05, "hi": 0.3, "ds_max": 0.05},
                    None),
    "simulate": ({"kind": "simulate", "schedule": {"phi": [[0, 0.1], [10, 0.3]]}, "t_end": 10,
                  "steps": 4}, {"axes": {"speed": [1.0, 2.0]}}),
    "shocks": ({"kind": "shocks", "periods": 8, "persistence": 0.5, "sd": 0.01, "migration_speed": 1.0,
                "samples": 2, "seed": 1}, {"axes": {"migration_speed": [0.0, 1.0]}}),
}


def test_every_study_kind_is_checked():
    from neg.study.studies import KINDS

    assert set(STUDIES) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(STUDIES))
def test_study_kind_and_result_file(kind, tmp_path):
    study, sweep = STUDIES[kind]
    config = {"model": dict(_MODEL), "geography": {"kind": "two_region"}, "study": study}
    if sweep:
        config["sweep"] = sweep
    out = tmp_path / f"{kind}.nc"
    ds = neg.run(config, output=out, workers=1, quiet=True)
    assert int(ds.attrs["n_failed"]) == 0, ds.attrs.get("first_error")
    params = {"phi"} if kind in ("trace", "bifurcation", "simulate") else set()
    check(ds, params, where=f"study {kind}")
    with xr.open_dataset(out) as back:
        check(back, params, where=f"file of study {kind}")


def test_chunk_files_keep_flag_attributes(tmp_path):
    """The .npz chunk files of a resumable run keep array-valued attributes (flag_values)."""
    from neg.study.io import read_chunk, write_chunk

    ds = xr.Dataset({"stable": (("sweep_point",), np.array([True, False]), attrs("stable"))},
                    coords={"sweep_point": ("sweep_point", [0, 1], attrs("sweep_point"))})
    back = read_chunk(write_chunk(ds, tmp_path / "c.npz"))
    check(back, where="chunk file")
    assert back["stable"].attrs["flag_values"].dtype == np.int8


def test_shard_file_and_resumable_run(tmp_path):
    """A shard file (flat layout) and a resumable run (through chunk files) carry the table's
    attributes too."""
    study, sweep = STUDIES["equilibrium"]
    config = {"model": dict(_MODEL), "geography": {"kind": "two_region"}, "study": study, "sweep": sweep}
    out = tmp_path / "shard.nc"
    neg.run(config, output=out, workers=1, quiet=True, shard="1/2")
    with xr.open_dataset(out) as back:
        assert back.attrs["layout"] == "flat"
        check(back, where="shard file")
    out = tmp_path / "resumed.nc"
    ds = neg.run(config, output=out, workers=1, quiet=True, resume=True)
    check(ds, where="resumable run")
    with xr.open_dataset(out) as back:
        check(back, where="file of a resumable run")
