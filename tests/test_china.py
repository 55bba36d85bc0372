"""China's provinces (issue 10, part 4): the calibration section of study configs, the four
counterfactual configs (configs/china_*.yaml) at reduced resolution, and their figures."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import xarray as xr
from _study_support import CONFIGS, SMALL

import neg
from neg.cli import main
from neg.study import ConfigError, load_study, run_study

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

DATA = neg.datasets.china_provinces()
LAM = DATA.pop_2020_10k.values / DATA.pop_2020_10k.values.sum()
MACRO = DATA.macro_region.values
GROUPS = ("central", "east", "northeast", "west")

#: the configs, by their names without "china_", at reduced resolution (_study_support.SMALL)
NAMES = ("infrastructure", "coastal_land", "policy", "two_industries")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Each config run once at its small size (written to a file: the netCDF round trip too)."""
    out = {}
    folder = tmp_path_factory.mktemp("china")
    for name in NAMES:
        path = folder / f"{name}.nc"
        run_study(CONFIGS / f"china_{name}.yaml", SMALL[f"china_{name}"], output=path, workers=1, quiet=True)
        out[name] = xr.load_dataset(path)
    return out


def _helpman_calibration(**kw):
    m = neg.Helpman(5.0, 0.75, phi=0.45, geography=neg.datasets.china_geography(),
                    housing=DATA.area_km2.values / DATA.area_km2.values.sum(), **kw)
    return neg.calibrate(m, DATA.pop_2020_10k.values, gdp=DATA.gdp_2020_100m_yuan.values)


def _macro(shares) -> dict[str, float]:
    shares = np.asarray(shares, dtype=float)
    return {g: float(shares[MACRO == g].sum()) for g in GROUPS}


# --------------------------------------------------------------------------- the calibration
def test_calibrated_results_carry_the_fit_the_fundamentals_and_the_regions(results):
    cal = _helpman_calibration()
    for name, ds in results.items():
        a = ds.attrs
        assert a["calibration_data"] == "china_provinces" and a["calibration_lam"] == "pop_2020_10k"
        assert a["calibration_residual"] <= 1e-10 and a["calibration_converged"] == 1
        assert a["calibration_stable"] == 1 and a["calibration_leading_eigenvalue"] < 0
        assert list(ds.region.values) == list(DATA.region.values)
        np.testing.assert_allclose(ds.lam_observed.values, LAM, rtol=1e-12)
        assert list(ds.macro_region.values) == list(MACRO)
        assert {"lat", "lon", "name_en", "coastal"} <= set(ds.coords)
        amenity = ds.amenity.values.reshape(-1, 31)
        productivity = ds.productivity.values.reshape(-1, 31)
        if name in ("infrastructure", "two_industries"):  # rents local: the same Helpman fit
            np.testing.assert_allclose(productivity[0], cal.fundamentals.productivity.values, rtol=1e-9)
            np.testing.assert_allclose(amenity[0], cal.fundamentals.amenity.values, rtol=1e-9)
        # normalisation: geometric mean 1 of the calibrated fundamentals
        assert abs(np.exp(np.log(amenity[0]).mean()) - 1) < 1e-12
        assert abs(np.exp(np.log(productivity[0]).mean()) - 1) < 1e-12


def test_infrastructure_starts_at_the_data_and_moves_west(results):
    ds = results["infrastructure"].sel(direction="up")
    lam = ds.lam.transpose("phi", "region").values
    assert bool(ds.trace_converged.all()) and bool(ds.stable.all())
    np.testing.assert_allclose(lam.sum(1), 1.0, atol=1e-12)
    # the calibrated phi reproduces the observed shares (the data are the equilibrium)
    np.testing.assert_allclose(lam[0], LAM, atol=1e-9)
    by = ds.lam.groupby("macro_region").sum("region").transpose("phi", "macro_region")
    assert list(by.macro_region.values) == list(GROUPS)
    for k in range(ds.sizes["phi"]):
        np.testing.assert_allclose([_macro(lam[k])[g] for g in GROUPS], by.values[k], atol=1e-14)
    first, last = _macro(lam[0]), _macro(lam[-1])
    assert ds.phi.values[-1] == pytest.approx(0.95)
    # freer trade disperses towards the land-rich west and northeast, away from east and centre
    assert last["west"] == pytest.approx(0.3492, abs=2e-3) and last["west"] > first["west"]
    assert last["northeast"] == pytest.approx(0.1082, abs=2e-3)
    assert last["east"] < first["east"] and last["central"] < first["central"]


def test_coastal_land_pushes_inland_and_coastal_productivity_pulls_to_the_coast(results):
    ds = results["coastal_land"]
    lam = ds.lam.transpose("housing_east", "productivity_east", "region").values
    np.testing.assert_allclose(lam.sum(-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(lam[0, 0], LAM, atol=1e-9)  # factors 1: the data
    base, tight, richer = _macro(lam[0, 0]), _macro(lam[1, 0]), _macro(lam[0, 1])
    assert tight["east"] == pytest.approx(0.2310, abs=2e-3)  # half the eastern land: 40% -> 23%
    assert tight["central"] > base["central"] and tight["west"] > base["west"]
    assert richer["east"] == pytest.approx(0.5841, abs=2e-3)  # +30% eastern productivity
    # the factors act on the eastern provinces only, relative to the calibrated values
    east = MACRO == "east"
    p = ds.productivity.transpose("housing_east", "productivity_east", "region").values
    np.testing.assert_allclose(p[0, 1, east], 1.3 * p[0, 0, east], rtol=1e-12)
    np.testing.assert_allclose(p[0, 1, ~east], p[0, 0, ~east], rtol=1e-12)
    _welfare_consistent(ds)


def _welfare_consistent(ds):
    w = ds.welfare.transpose(..., "region")
    np.testing.assert_allclose(w.sum("region").values, ds.national_welfare.values, rtol=1e-12)
    u = ds.utility.sel(group="workers").transpose(..., "region")
    assert np.all(np.isfinite(u.values)) and np.all(np.isfinite(ds.national_real_gdp.values))
    # free mobility: every province's residents are equally well off (amenity included), and
    # the national utility per head is that common level
    np.testing.assert_allclose(u.values, np.broadcast_to(u.mean("region").values[..., None], u.shape),
                               rtol=1e-9)
    np.testing.assert_allclose(ds.national_utility.values, u.mean("region").values, rtol=1e-9)
    np.testing.assert_allclose(w.values, u.values * ds.lam.transpose(..., "region").values, rtol=1e-9)


def test_policy_subsidy_moves_industry_inland_at_a_national_loss(results):
    ds = results["policy"]
    assert bool(ds.converged.all())
    _welfare_consistent(ds)
    lam = ds.lam.transpose("subsidy", "env_cost", "region").values
    np.testing.assert_allclose(lam[0, 0], LAM, atol=1e-9)
    base, sub, env = _macro(lam[0, 0]), _macro(lam[1, 0]), _macro(lam[0, 1])
    inland = lambda s: s["central"] + s["west"]  # noqa: E731
    assert inland(sub) == pytest.approx(0.5826, abs=2e-3) and inland(sub) > inland(base)
    assert env["east"] < base["east"]
    u = ds.national_utility.transpose("subsidy", "env_cost").values
    # a 10% inland wage subsidy paid from the national pool: a transfer with a deadweight loss
    assert 100 * (u[1, 0] / u[0, 0] - 1) == pytest.approx(-0.416, abs=0.02)
    assert u[0, 1] < u[0, 0]  # the environmental cost is a resource cost: a national loss too
    # the subsidy is set in the central and western provinces only (rents pooled nationally)
    study = load_study(CONFIGS / "china_policy.yaml", SMALL["china_policy"])
    model, _, _ = study.build_point(2)  # subsidy -0.1, env_cost 0
    inl = np.isin(MACRO, ("central", "west"))
    np.testing.assert_array_equal(model.tax[inl], -0.1)
    np.testing.assert_array_equal(model.tax[~inl], 0.0)
    np.testing.assert_array_equal(model.cost, 0.0)
    assert model.rents == "national"


def test_two_industries_use_the_helpman_fundamentals(results):
    ds = results["two_industries"].sel(direction="up")
    cal = _helpman_calibration()
    np.testing.assert_allclose(ds.productivity.values, cal.fundamentals.productivity.values, rtol=1e-9)
    share = ds.industry_share.transpose("phi", "industry", "region").values
    np.testing.assert_allclose(share.sum(-1), 1.0, atol=1e-9)
    assert list(ds.industry.values) == ["labour_intensive", "technology_intensive"]
    study = load_study(CONFIGS / "china_two_industries.yaml", SMALL["china_two_industries"])
    model, _, _ = study.build()
    np.testing.assert_allclose(model.labour, LAM, rtol=1e-12)
    assert "lam0" not in study.args  # a grouped state does not start from the population shares
    lab0, lab1 = _macro(share[0, 0]), _macro(share[-1, 0])
    tech0, tech1 = _macro(share[0, 1]), _macro(share[-1, 1])
    # technology-intensive industry stays on the coast; labour-intensive moves west
    assert tech0["east"] > 0.99 and tech1["east"] > 0.99
    assert lab1["west"] > lab0["west"] + 0.03 and lab1["central"] < lab0["central"]


def test_neg_plot_draws_the_counterfactual_figure(results, tmp_path, capsys):
    for name, sel in (("infrastructure", []), ("two_industries", ["--sel", "industry=technology_intensive"])):
        path = tmp_path / f"{name}.nc"
        results[name].to_netcdf(path)
        png = tmp_path / f"{name}.png"
        assert main(["plot", str(path), "-o", str(png), *sel]) == 0
        assert png.stat().st_size > 20_000
    assert "industry = technology_intensive" in capsys.readouterr().out
    assert main(["info", str(tmp_path / "infrastructure.nc")]) == 0
    assert "calibration: helpman fitted to china_provinces (pop_2020_10k, gdp_2020_100m_yuan)" \
        in capsys.readouterr().out


# --------------------------------------------------------------------------- validation
def _write(tmp_path, text):
    p = tmp_path / "c.yaml"
    p.write_text(textwrap.dedent(text).strip() + "\n")
    return p


GOOD = """
model: {name: helpman, sigma: 5.0, mu: 0.75, phi: 0.45}
geography: {kind: china}
calibration:
  data: china_provinces
  lam: pop_2020_10k
  housing: area_km2
study: {kind: equilibrium}
"""


def test_calibration_without_gdp_fits_amenities_only(tmp_path):
    study = load_study(_write(tmp_path, GOOD))
    np.testing.assert_array_equal(study.model_params["productivity"], 1.0)
    np.testing.assert_allclose(study.args["lam0"], LAM)
    model, _, _ = study.build()
    eq = neg.long_run(model, LAM)
    np.testing.assert_allclose(eq.lam, LAM, atol=1e-9)


def test_calibration_free_recovers_productivities_alone(tmp_path):
    study = load_study(_write(tmp_path, GOOD), ["calibration.free=[productivity]"])
    np.testing.assert_array_equal(study.model_params["amenity"], 1.0)
    model, _, _ = study.build()
    assert abs(np.exp(np.log(model.productivity).mean()) - 1) < 1e-12
    np.testing.assert_allclose(neg.long_run(model, LAM).lam, LAM, atol=1e-9)


def _problems(path, overrides=None):
    with pytest.raises(ConfigError) as e:
        load_study(path, overrides)
    out = {}
    for p in e.value.problems:
        out.setdefault(p.key, []).append(p)
    return out


@pytest.mark.parametrize("override, key, words", [
    ("calibration.data=china", "calibration.data", "unknown dataset 'china'"),
    ("calibration.lam=population", "calibration.lam", "no numeric column 'population'"),
    ("calibration.gdp=name_en", "calibration.gdp", "no numeric column 'name_en'"),
    ("calibration.farmers=area_km2", "calibration.farmers", "unknown key 'farmers'"),
    ("calibration.coords=[macro_regin]", "calibration.coords[0]", "did you mean 'macro_region'"),
    ("geography={kind: racetrack, K: 31}", "calibration.data", "are not the 31 regions"),
    ("model.amenity=2.0", "model.amenity", "set by the calibration section"),
    ("model.housing=[1.0]", "model.housing", "set by calibration.housing"),
    ("calibration.model={name: nope}", "calibration.model", "expected a mapping with a model name"),
    ("calibration.free=[wealth]", "calibration.free", "expected a list of fundamentals from amenity"),
])
def test_calibration_problems_name_the_key_and_line(tmp_path, override, key, words):
    probs = _problems(_write(tmp_path, GOOD), [override])
    assert key in probs, probs
    assert any(words in p.message for p in probs[key]), probs[key]
    assert all(p.line is not None or p.file.startswith("--set") for p in probs[key])


@pytest.mark.parametrize("axis, key, words", [
    ("{param: 'model.tax[middle]', values: [0, -0.1]}", "sweep.axes.a.param", "'middle' names no region"),
    ("{param: 'model.housing[east]', values: [0.5]}", "sweep.axes.a.param", "can only be scaled"),
    ("{param: 'model.mu[east]', values: [0.5]}", "sweep.axes.a.param", "not a per-region parameter"),
    ("{param: 'model.tax[east]', values: [-2.0]}", "sweep.axes.a", "must lie in [-1, 1)"),
])
def test_region_group_axes_are_checked(tmp_path, axis, key, words):
    probs = _problems(_write(tmp_path, GOOD), [f"sweep.axes.a={axis}"])
    assert key in probs, probs
    assert any(words in p.message for p in probs[key]), probs[key]


def test_region_group_axes_set_or_scale_their_regions(tmp_path):
    study = load_study(_write(tmp_path, GOOD), [
        "sweep.mode=zip", "sweep.axes.sub={param: 'model.tax[CN-BJ, west]', values: [-0.1]}",
        "sweep.axes.land={param: 'model.housing[east]', scale: true, values: [0.5]}"])
    assert [a.target.key for a in study.axes] == ["model.tax[CN-BJ,west]", "model.housing[east]"]
    base, _, _ = study.replace(axes=[], mode="none").build()
    model, _, _ = study.build_point(0)
    chosen = (MACRO == "west") | (DATA.region.values == "CN-BJ")
    np.testing.assert_array_equal(model.tax, np.where(chosen, -0.1, 0.0))
    east = MACRO == "east"
    h = base.housing * np.where(east, 0.5, 1.0)
    np.testing.assert_allclose(model.housing, h / h.sum(), rtol=1e-12)
    np.testing.assert_allclose(model.amenity, base.amenity)  # calibrated fundamentals untouched


def test_a_problem_in_the_file_is_reported_at_its_line(tmp_path):
    path = _write(tmp_path, GOOD.replace("lam: pop_2020_10k", "lam: population"))
    with pytest.raises(ConfigError) as e:
        load_study(path)
    (p,) = [p for p in e.value.problems if p.key == "calibration.lam"]
    assert p.line == 5 and p.file == str(path)  # the line of "lam:"
    assert f"{path}:5: calibration.lam: no numeric column 'population'" in str(e.value)


def test_the_housing_proxy_is_absorbed_by_the_amenities():
    """Helpman's payoff is amenity_i H_i^(1 - mu) times what the rest of the model gives, so
    calibration identifies only that product: counterfactuals that do not change H (freer trade)
    or scale groups of it (coastal land) do not depend on the proxy for H (docs/china.md)."""
    out = []
    for H in (DATA.area_km2.values, np.ones(31)):
        m = neg.Helpman(5.0, 0.75, phi=0.45, geography=neg.datasets.china_geography(), housing=H / H.sum())
        cal = neg.calibrate(m, DATA.pop_2020_10k.values, gdp=DATA.gdp_2020_100m_yuan.values)
        a = cal.fundamentals.amenity.values * (H / H.sum()) ** 0.25
        east = np.where(MACRO == "east", 0.5, 1.0)
        h = cal.model.housing * east
        out.append((a / np.exp(np.log(a).mean()),
                    neg.long_run(cal.model.replace(phi=0.8), LAM).lam,
                    neg.long_run(cal.model.replace(housing=h / h.sum()), LAM).lam))
    for x, y in zip(*out, strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-8, atol=1e-10)
