"""Regional fluctuations (neg.Shocks, neg.simulate_shocks) and the cycle measures of
neg.metrics.cycles: known answers, the Blanchard-Katz mechanism, the simplex, reproducibility,
errors, and the study kind ``shocks``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import xarray as xr

import neg
from neg import metrics
from neg.cli import main
from neg.study.errors import ConfigError

RT = neg.Geography.racetrack(6)
CP = neg.CorePeriphery(5.0, 0.4, phi=0.1, geography=RT)


# --------------------------------------------------------------------------- cycle measures
def _hp_dense(y, lamb):
    """Reference: the HP trend from its normal equations, dense (numpy.linalg.solve)."""
    T = y.size
    D = np.zeros((T - 2, T))
    for t in range(T - 2):
        D[t, t:t + 3] = (1.0, -2.0, 1.0)
    trend = np.linalg.solve(np.eye(T) + lamb * D.T @ D, y)
    return y - trend, trend


@pytest.mark.parametrize("lamb", [6.25, 1600.0, 129600.0])
def test_hp_filter_against_dense_normal_equations(lamb):
    y = np.cumsum(np.random.default_rng(1).standard_normal(80))
    cycle, trend = metrics.hp_filter(xr.DataArray(y, dims="time"), lamb)
    c_ref, t_ref = _hp_dense(y, lamb)
    np.testing.assert_allclose(trend.values, t_ref, rtol=0, atol=1e-10 * np.abs(y).max())
    np.testing.assert_allclose(cycle.values, c_ref, rtol=0, atol=1e-10 * np.abs(y).max())
    np.testing.assert_allclose((cycle + trend).values, y, rtol=0, atol=1e-12 * np.abs(y).max())


def test_hp_filter_equals_statsmodels():
    hp = pytest.importorskip("statsmodels.tsa.filters.hp_filter")
    rng = np.random.default_rng(2)
    Y = np.cumsum(rng.standard_normal((120, 3)), axis=0)
    da = xr.DataArray(Y, dims=("time", "region"))
    for lamb in (6.25, 1600.0, 129600.0):
        cycle, trend = metrics.hp_filter(da, lamb=lamb)
        for j in range(3):
            c_ref, t_ref = hp.hpfilter(Y[:, j], lamb)
            np.testing.assert_allclose(cycle.values[:, j], np.asarray(c_ref), rtol=0, atol=1e-10)
            np.testing.assert_allclose(trend.values[:, j], np.asarray(t_ref), rtol=0, atol=1e-10)


def test_hp_filter_dims_and_nan():
    Y = np.random.default_rng(3).standard_normal((4, 30))
    Y[2, 5] = np.nan
    da = xr.DataArray(Y, dims=("sample", "time"))
    cycle, trend = metrics.hp_filter(da, dim="time")
    assert cycle.dims == ("sample", "time")
    assert np.all(np.isnan(trend.values[2])) and np.all(np.isfinite(trend.values[[0, 1, 3]]))
    c1, _ = metrics.hp_filter(da.isel(sample=1), dim="time")
    np.testing.assert_allclose(cycle.values[1], c1.values, rtol=0, atol=1e-14)
    with pytest.raises(ValueError, match="lamb"):
        metrics.hp_filter(da, lamb=-1)
    with pytest.raises(ValueError, match="3 periods"):
        metrics.hp_filter(da.isel(time=slice(0, 2)))
    assert sp.issparse(sp.identity(2))  # the filter is sparse: scipy.sparse is there


def test_identical_series_correlation_and_concordance_one():
    x = np.cumsum(np.random.default_rng(4).standard_normal(50))
    da = xr.DataArray(np.stack([x, x, x], axis=1), dims=("time", "region"))
    np.testing.assert_allclose(metrics.correlation_matrix(da).values, 1.0, atol=1e-12)
    assert float(metrics.mean_correlation(da)) == pytest.approx(1.0, abs=1e-12)
    c = metrics.concordance(da.isel(region=0), da.isel(region=1))
    assert float(c["concordance"]) == 1.0


def test_independent_series_near_independence_benchmark():
    """T = 4001 periods of independent random walks: the concordance's deviation from its
    independence value has sd ~ 0.5 / sqrt(T - 1) = 0.0079 (fair phases); the correlation of
    independent white noise has sd ~ 1 / sqrt(T) = 0.016. Tolerance: 4 sd."""
    T = 4001
    rng = np.random.default_rng(5)
    a = xr.DataArray(np.cumsum(rng.standard_normal((T, 8)), axis=0), dims=("time", "region"))
    b = xr.DataArray(np.cumsum(rng.standard_normal(T)), dims="time")
    c = metrics.concordance(a, b)
    np.testing.assert_allclose(c["concordance"].values, c["concordance_independent"].values,
                               atol=4 * 0.5 / np.sqrt(T - 1))
    assert np.all(np.abs(c["concordance_independent"].values - 0.5) < 0.05)
    noise = xr.DataArray(rng.standard_normal((T, 8)), dims=("time", "region"))
    corr = metrics.correlation_matrix(noise).values
    off = corr[~np.eye(8, dtype=bool)]
    assert np.all(np.abs(off) < 4 / np.sqrt(T))
    assert abs(float(metrics.mean_correlation(noise))) < 4 / np.sqrt(T)


def test_concordance_of_opposite_phases_is_zero():
    x = xr.DataArray(np.array([0.0, 1.0, 0.0, 1.0, 0.0]), dims="time")
    c = metrics.concordance(x, -x)
    assert float(c["concordance"]) == 0.0
    assert float(c["concordance_independent"]) == pytest.approx(0.5)


def test_convergence_measures_known_values():
    # y_i(t) = y_i(0) (1 - t/10): every gap closes linearly, growth = -y0 / 10 per period
    y0 = np.array([-1.0, 0.0, 2.0])
    t = np.arange(11)
    y = xr.DataArray(y0[None, :] * (1 - t[:, None] / 10), dims=("time", "region"))
    assert float(metrics.beta_convergence(y)) == pytest.approx(-0.1, abs=1e-12)
    sig = metrics.sigma_convergence(y).values
    np.testing.assert_allclose(sig, np.std(y0) * (1 - t / 10), atol=1e-12)
    g = metrics.growth_dispersion(y).values
    np.testing.assert_allclose(g, np.std(y0 / 10), atol=1e-12)
    np.testing.assert_allclose(metrics.first_differences(y).values, np.tile(-y0 / 10, (10, 1)))
    v = metrics.volatility(xr.DataArray([1.0, 3.0], dims="time"))
    assert float(v) == pytest.approx(np.sqrt(2.0))


# --------------------------------------------------------------------------- shocks
def test_shocks_process_moments():
    """Innovation variance sd^2, national share 'common' of it (correlation across regions),
    AR(1) autocorrelation rho: sample moments within 4 standard errors (T = 20000)."""
    s = neg.Shocks(0.8, 0.1, common=0.5)
    x = s.draw(RT.distance, 20000, seed=3)
    e = x[1:] - 0.8 * x[:-1]
    assert np.all(np.abs(e.std(0) / 0.1 - 1) < 4 / np.sqrt(2 * 20000))
    r = np.corrcoef(e.T)[~np.eye(6, dtype=bool)]
    assert np.all(np.abs(r - 0.5) < 4 * 0.75 / np.sqrt(20000))
    ac = [np.corrcoef(x[1:, i], x[:-1, i])[0, 1] for i in range(6)]
    np.testing.assert_allclose(ac, 0.8, atol=4 * 0.6 / np.sqrt(20000))
    # spatial: correlation exp(-d / range) of the idiosyncratic innovations
    sp_ = neg.Shocks(0.0, 1.0, spatial_range=2.0).draw(RT.distance, 20000, seed=4)
    r01 = np.corrcoef(sp_[:, 0], sp_[:, 1])[0, 1]
    A = neg.Shocks(0.0, 1.0, spatial_range=2.0).loading(RT.distance)
    assert r01 == pytest.approx((A @ A.T)[0, 1], abs=4 / np.sqrt(20000))
    assert np.all(neg.Shocks(0.5, 0.1, common=1.0).draw(RT.distance, 5, 1).std(axis=1) < 1e-15)


def test_simplex_caps_and_speed_zero():
    capped = CP.replace(share_cap=[0.2, 1, 1, 1, 1, 1], phi=0.4)
    for model, dyn, eta in ((CP, "replicator", None), (capped, "replicator", None),
                            (capped, "logit", 0.01)):
        ds = neg.simulate_shocks(model, 40, neg.Shocks(0.9, 0.05), 5.0, dynamics=dyn, dispersion=eta,
                                 samples=3, seed=1)
        lam = ds["lam"].values
        assert np.all(lam >= 0)
        np.testing.assert_allclose(lam.sum(-1), 1.0, atol=1e-12)
        if model is capped:
            assert np.all(lam[..., 0] <= 0.2 + 1e-12)
        assert bool(ds["converged"].all())
        assert float(np.abs(np.diff(lam, axis=1)).max()) > 1e-4  # shares do move
    still = neg.simulate_shocks(CP, 30, {"persistence": 0.9, "sd": 0.05}, 0.0, samples=2, seed=1,
                                lam0=[0.3, 0.1, 0.1, 0.2, 0.2, 0.1])
    lam = still["lam"].values
    np.testing.assert_allclose(lam[0, 0], [0.3, 0.1, 0.1, 0.2, 0.2, 0.1], rtol=1e-15)
    assert np.array_equal(lam, np.broadcast_to(lam[:, :1], lam.shape))  # bit for bit


def test_blanchard_katz_permanent_adverse_shock():
    """Region 0's productivity falls by 10% for good (no other shocks; trade costs high, phi =
    0.02, so dispersion forces dominate). With migration its share falls and its real-wage gap
    closes (to < 5% of the gap on impact); without migration the gap stays open. (At phi = 0.05
    the same shock empties region 0: agglomeration forces win, see docs/shocks.md.)"""
    m = neg.CorePeriphery(5.0, 0.4, phi=0.02, productivity=[0.9, 1.0])
    none = neg.Shocks(0.0, 0.0)
    moving = neg.simulate_shocks(m, 200, none, 5.0, lam0=[0.5, 0.5], seed=0)
    staying = neg.simulate_shocks(m, 200, none, 0.0, lam0=[0.5, 0.5], seed=0)

    def gap(ds):
        w = np.log(ds["real_wage"].values)
        return w[:, 1] - w[:, 0]

    g_move, g_stay = gap(moving), gap(staying)
    assert g_move[0] > 0.02  # the shock hurts region 0
    assert moving["lam"].values[-1, 0] < 0.45
    assert np.all(moving["lam"].values[1:, 0] < 0.45)  # workers leave and stay away
    assert abs(g_move[-1]) < 0.05 * g_move[0]
    np.testing.assert_allclose(g_stay, g_stay[0], rtol=1e-9)  # without migration: open for good


def test_reproducible_and_independent_of_batching():
    a = neg.simulate_shocks(CP, 20, neg.Shocks(0.9, 0.03, common=0.3), 2.0, samples=5, seed=11)
    b = neg.simulate_shocks(CP, 20, neg.Shocks(0.9, 0.03, common=0.3), 2.0, samples=2, seed=11)
    c = neg.simulate_shocks(CP, 20, neg.Shocks(0.9, 0.03, common=0.3), 2.0, samples=5, seed=12)
    for v in ("gdp", "lam", "shock", "real_wage"):
        np.testing.assert_array_equal(a[v].isel(sample=slice(0, 2)).values, b[v].values)
    assert not np.allclose(a["shock"].values, c["shock"].values)
    burn = neg.simulate_shocks(CP, 10, neg.Shocks(0.9, 0.03), 2.0, samples=2, seed=11, burn_in=10)
    full = neg.simulate_shocks(CP, 20, neg.Shocks(0.9, 0.03), 2.0, samples=2, seed=11)
    np.testing.assert_array_equal(burn["shock"].values, full["shock"].values[:, 10:])
    np.testing.assert_array_equal(burn["lam"].values, full["lam"].values[:, 10:])
    one = neg.simulate_shocks(CP, 5, neg.Shocks(0.9, 0.03), 1.0, seed=1)
    assert "sample" not in one.dims and one["gdp"].dims == ("time", "region")


def test_gdp_is_real_gdp_of_welfare():
    ds = neg.simulate_shocks(CP, 3, neg.Shocks(0.5, 0.05), 1.0, seed=2)
    k = 2
    m = CP.replace(productivity=np.exp(ds["shock"].values[k]))
    w = neg.welfare(m, m.short_run(ds["lam"].values[k], tol=1e-13))
    np.testing.assert_allclose(ds["gdp"].values[k], w["real_gdp"].values, rtol=1e-9)


def test_other_targets_match_per_point_models():
    """farmers (shares, renormalised) and amenity: the same short runs as models built per point."""
    for target in ("farmers", "amenity"):
        ds = neg.simulate_shocks(CP, 3, neg.Shocks(0.5, 0.1, target=target), 1.0, seed=5)
        x = np.asarray(getattr(CP, target), dtype=float) * np.exp(ds["shock"].values[2])
        if target == "farmers":
            x = x / x.sum()
        sr = CP.replace(**{target: x}).short_run(ds["lam"].values[2], tol=1e-13)
        np.testing.assert_allclose(ds["real_wage"].values[2], sr.real_wage, rtol=1e-9)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"shocks": {"persistence": 0.9, "sd": -0.1}}, "sd"),
    ({"shocks": {"persistence": 1.0, "sd": 0.1}}, "persistence"),
    ({"shocks": {"persistence": -1.2, "sd": 0.1}}, "persistence"),
    ({"shocks": {"persistence": 0.5, "sd": 0.1, "target": "sigma"}}, "target"),
    ({"shocks": {"persistence": 0.5, "sd": 0.1, "target": "nonsense"}}, "target"),
    ({"shocks": {"persistence": 0.5, "sd": 0.1, "common": 1.5}}, "common"),
    ({"shocks": {"persistence": 0.5, "sd": 0.1, "spatial_range": 0}}, "spatial_range"),
    ({"periods": 0}, "periods"),
    ({"migration_speed": -1.0}, "migration_speed"),
    ({"samples": 0}, "samples"),
    ({"dynamics": "logit"}, "dispersion"),
])
def test_bad_input_names_the_field(kwargs, field):
    args = {"model": CP, "periods": 5, "shocks": {"persistence": 0.5, "sd": 0.1}, "migration_speed": 1.0}
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=rf"^{field}"):
        neg.simulate_shocks(**args)


def test_synchronisation_of_a_run():
    ds = neg.simulate_shocks(CP, 60, neg.Shocks(0.9, 0.02, common=1.0), 0.0, samples=2, seed=3)
    s = metrics.synchronisation(ds)
    # a purely national shock without migration: every region alike, cycles perfectly synchronised
    np.testing.assert_allclose(s["mean_correlation"].values, 1.0, atol=1e-9)
    np.testing.assert_allclose(s["mean_concordance"].values, 1.0)
    assert s["volatility"].dims == ("sample", "region")
    assert s["correlation"].dims == ("sample", "region", "region_")
    np.testing.assert_allclose(s["share_volatility"].values, 0.0)


# --------------------------------------------------------------------------- the study kind
CONFIG = """
model: {name: core_periphery, sigma: 5.0, mu: 0.4, phi: 0.1}
geography: {kind: racetrack, K: 4}
study:
  kind: shocks
  periods: 30
  persistence: 0.9
  sd: 0.02
  common: 0.25
  migration_speed: 1.0
  samples: 3
  seed: 4
sweep:
  axes:
    migration_speed: [0.0, 2.0]
"""


def test_study_kind_shocks(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(CONFIG)
    ds = neg.run(str(path), workers=1, quiet=True)
    assert ds.attrs["study_kind"] == "shocks"
    assert ds["mean_correlation"].dims == ("migration_speed", "sample")
    assert ds["gdp"].dims == ("migration_speed", "sample", "time", "region")
    # the same shocks in every setting; without migration nobody moves
    np.testing.assert_array_equal(ds["shock"].values[0], ds["shock"].values[1])
    np.testing.assert_allclose(ds["lam"].values[0], 0.25)
    direct = neg.simulate_shocks(neg.CorePeriphery(5.0, 0.4, phi=0.1, geography=neg.Geography.racetrack(4)),
                                 30, neg.Shocks(0.9, 0.02, common=0.25), 2.0, samples=3, seed=4)
    np.testing.assert_array_equal(ds["gdp"].values[1], direct["gdp"].values)
    sync = metrics.synchronisation(direct)
    np.testing.assert_allclose(ds["mean_correlation"].values[1], sync["mean_correlation"].values)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("persistence: 0.9", "persistence: 1.5", r"study.persistence: must lie in \(-1, 1\)"),
    ("sd: 0.02", "sd: -0.02", "study.sd"),
    ("samples: 3", "samples: 3\n  target: productivty", "study.target: .*did you mean 'productivity'"),
    ("samples: 3", "samples: 3\n  target: sigma", "study.target: 'sigma' is not a per-region"),
    ("periods: 30", "periods: 0", "study.periods"),
])
def test_study_kind_shocks_bad_config(tmp_path, old, new, message):
    path = tmp_path / "s.yaml"
    path.write_text(CONFIG.replace(old, new))
    with pytest.raises(ConfigError, match=message):
        neg.run(str(path), workers=1, quiet=True)


def test_shipped_config_and_plot(tmp_path):
    pytest.importorskip("matplotlib")
    out, png = tmp_path / "s.nc", tmp_path / "s.png"
    sets = ["--set", "study.periods=20", "--set", "study.samples=3", "--set", "study.burn_in=0"]
    cfg = str(Path(__file__).resolve().parent.parent / "configs" / "synchronisation.yaml")
    assert main(["run", cfg, *sets, "-o", str(out), "--workers", "1"]) == 0
    back = xr.open_dataset(out)
    assert back["mean_correlation"].dims == ("migration_speed", "phi", "sample")
    assert back.sizes["migration_speed"] == 3 and back.sizes["phi"] == 2
    assert main(["plot", str(out), "-o", str(png)]) == 0
    assert png.stat().st_size > 1000


def test_pairwise_measures_match_their_definitions():
    rng = np.random.default_rng(8)
    Y = xr.DataArray(np.cumsum(rng.standard_normal((2, 40, 4)), axis=1), dims=("sample", "time", "region"))
    corr = metrics.correlation_matrix(Y)
    for k in range(2):
        np.testing.assert_allclose(corr.values[k], np.corrcoef(Y.values[k].T), atol=1e-12)
    s = metrics.synchronisation(xr.Dataset({"gdp": np.exp(Y)}))
    pairs = [(i, j) for i in range(4) for j in range(i + 1, 4)]
    c = [metrics.concordance(Y.isel(region=i), Y.isel(region=j)) for i, j in pairs]
    np.testing.assert_allclose(s["mean_concordance"].values,
                               np.mean([x["concordance"].values for x in c], axis=0), atol=1e-12)
    np.testing.assert_allclose(s["mean_concordance_independent"].values,
                               np.mean([x["concordance_independent"].values for x in c], axis=0),
                               atol=1e-12)


@pytest.mark.parametrize("cost", [0.0, 0.01])
def test_one_period_of_a_stack_is_each_state_alone(cost):
    from neg.solvers.migration import _Rule
    from neg.state import StateSpace

    rng = np.random.default_rng(9)
    lam = rng.dirichlet(np.ones(6), 7)
    lam[2, 3] = 0.0  # an empty region stays empty
    lam[2] /= lam[2].sum()
    w = 1.0 + 0.05 * rng.standard_normal((7, 6))
    for space in (StateSpace((6,)), StateSpace((3, 3))):
        states = np.stack([space.normalise(x) for x in lam])
        rule = _Rule(space, "replicator", 3.0, None, cost)
        stack = rule.period(states, w)
        rows = [rule.period(x, y) for x, y in zip(states, w, strict=True)]
        np.testing.assert_allclose(stack, rows, rtol=0, atol=1e-15)
        assert stack[2, 3] == 0.0
        np.testing.assert_allclose(space.group_sums(stack[4]), 1.0, atol=1e-15)


def test_flat_series_have_no_correlation_and_concord():
    """Amenity shocks leave GDP unchanged in the short run: without migration GDP is constant,
    its cycles are round-off, which correlate with nothing (NaN) and never expand."""
    ds = neg.simulate_shocks(CP, 30, neg.Shocks(0.9, 0.05, target="amenity"), 0.0, samples=2, seed=1)
    s = metrics.synchronisation(ds)
    assert np.all(np.isnan(s["mean_correlation"].values))
    np.testing.assert_allclose(s["mean_concordance"].values, 1.0)
    assert np.all(s["mean_volatility"].values < 1e-12)


MODELS = [
    neg.FootlooseEntrepreneur(5.0, 0.4, phi=0.1),
    neg.FootlooseCapital(5.0, 0.4, phi=0.3),
    neg.Pflueger(5.0, phi=0.3),
    neg.VerticalLinkages(5.0, 0.4, 0.2, phi=0.1),
    neg.Helpman(5.0, 0.7, phi=0.3),
    neg.HeadquartersPlant(sigma=5.0, mu=0.4, phi=0.3),
    neg.MultiIndustry(5.0, [0.08, 0.08], phi=0.4, geography=neg.Geography.line(3)),
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_every_model(model):
    ds = neg.simulate_shocks(model, 6, neg.Shocks(0.9, 0.02), 1.0, samples=2, seed=1)
    assert bool(ds["converged"].all())
    lam = ds["lam"].values
    assert np.all(lam >= 0) and np.all(np.isfinite(ds["gdp"].values))
    sizes = model.state_groups()
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    for s, k in zip(starts, sizes, strict=True):
        np.testing.assert_allclose(lam[..., s:s + k].sum(-1), 1.0, atol=1e-12)


def test_options_object_keeps_its_settings():
    o = neg.ShocksOptions(samples=3, seed=5)
    ds = neg.simulate_shocks(CP, 4, neg.Shocks(0.9, 0.02), 1.0, options=o)
    assert ds.sizes["sample"] == 3 and ds.attrs["seed"] == "5"
