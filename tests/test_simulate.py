"""neg.simulate: relocation paths under migration dynamics and parameter schedules."""

import json
import time

import numpy as np
import pytest

import neg
from neg.solvers.simulate import ZERO_SHARE, Schedule, simulate
from neg.state import StateSpace

PHI_B = 1.0 / 7.0  # CP break point at sigma = 5, mu = 0.4: (rho - mu)(1 - mu) / ((rho + mu)(1 + mu))


def cp(phi, K=None, names=None):
    geo = None if K is None else neg.Geography.racetrack(K, names=names)
    return neg.CorePeriphery(5.0, 0.4, phi=phi, geography=geo)


def assert_on_simplex(ds, tol=1e-12):
    lam = ds["lam"].values
    assert np.all(np.isfinite(lam))
    assert lam.min() >= 0.0
    assert np.max(np.abs(lam.sum(axis=1) - 1.0)) <= tol


# ---------------------------------------------------------------- output structure
def test_dataset_layout_and_attrs():
    m = cp(0.1, K=4, names=list("ABCD"))
    ds = simulate(m, {"phi": [(0, 0.05), (30, 0.08)], "farmers[B]": [(10, 0.25), (10, 0.4)]},
                  [0.3, 0.2, 0.28, 0.22], 40, dt=3.0, speed=30)
    assert ds["lam"].dims == ("time", "region")
    assert list(ds["region"].values) == list("ABCD")
    # dt = 3 does not divide 40: 0, 3, ..., 39, then 40
    np.testing.assert_allclose(ds["time"].values, np.append(np.arange(14) * 3.0, 40.0))
    for name in ("lam", "wage", "income", "price_index", "real_wage", "payoff"):
        assert ds[name].dims == ("time", "region")
        assert "units" in ds[name].attrs and "long_name" in ds[name].attrs
    assert ds["converged"].dims == ("time",) and bool(ds["converged"].all())
    assert ds["phi"].dims == ("time",) and ds["farmers"].dims == ("time", "region")
    np.testing.assert_allclose(ds["phi"].sel(time=15.0), 0.05 + 0.03 * 15 / 30)
    np.testing.assert_allclose(ds["phi"].sel(time=40.0), 0.08)  # constant after the last knot
    a = ds.attrs
    assert a["model"] == "CorePeriphery" and json.loads(a["model_params"])["sigma"] == 5.0
    assert a["dynamics"] == "replicator" and a["speed"] == 30.0 and np.isnan(a["dispersion"])
    assert a["migration_cost"] == 0.0 and a["neg_version"] == neg.__version__
    assert a["integrator"] == "LSODA" and a["rtol"] == 1e-8 and a["atol"] == 1e-12
    assert a["integration_status"] == 0 and "t_end" in a["integration_message"]
    assert a["short_run_solves"] > 0
    assert_on_simplex(ds)
    # the short-run outputs are those at (lam(t), params(t))
    k = 7
    mk = m.replace(phi=float(ds["phi"][k]), farmers=ds["farmers"].values[k])
    sr = mk.short_run(ds["lam"].values[k])
    np.testing.assert_allclose(ds["real_wage"].values[k], sr.real_wage, rtol=1e-10)
    np.testing.assert_allclose(ds["income"].values[k], sr.income, rtol=1e-10)


def test_steps_gives_linspace_and_neg_exports():
    assert neg.simulate is simulate and neg.Schedule is Schedule
    ds = neg.simulate(cp(0.1), {}, [0.52, 0.48], 10.0, steps=4)
    np.testing.assert_allclose(ds["time"].values, np.linspace(0, 10, 5))
    assert_on_simplex(ds)


# ---------------------------------------------------------------- agreement with long_run
@pytest.mark.parametrize("K, phi, lam0", [
    (None, 0.3, [0.55, 0.45]),            # agglomeration
    (None, 0.1, [0.55, 0.45]),            # dispersion (below the sustain point)
    (4, 0.1, [0.3, 0.2, 0.28, 0.22]),     # racetrack: two unequal cores
    (4, 0.15, [0.45, 0.05, 0.42, 0.08]),
    (4, 0.05, [0.3, 0.2, 0.28, 0.22]),    # racetrack: uniform
    (4, 0.3, [0.3, 0.2, 0.28, 0.22]),     # racetrack: one core
])
def test_constant_schedule_reaches_long_run_equilibrium(K, phi, lam0):
    m = cp(phi, K)
    eq = neg.long_run(m, lam0)
    assert eq.stable
    ds = simulate(m, {"phi": [(0.0, phi)]}, lam0, 2000.0, steps=10, speed=10)
    assert_on_simplex(ds)
    np.testing.assert_allclose(ds["lam"].values[-1], eq.lam, atol=1e-6)
    # a dict with no schedule is the same run
    ds0 = simulate(m, {}, lam0, 2000.0, steps=10, speed=10)
    np.testing.assert_allclose(ds0["lam"].values, ds["lam"].values, atol=1e-12)


def test_regions_that_empty_are_exactly_zero_and_stay_empty():
    m = cp(0.3, K=4)
    ds = simulate(m, {}, [0.3, 0.2, 0.28, 0.22], 200.0, dt=1.0, speed=10)
    emptied = json.loads(ds.attrs["emptied"])
    assert {e["region"] for e in emptied} == {"r1", "r2", "r3"}
    lam = ds["lam"].values
    for e in emptied:
        i = int(e["region"][1:])
        after = ds["time"].values > e["time"]
        assert np.all(lam[after, i] == 0.0)
        assert np.all(lam[~after, i] >= ZERO_SHARE * (1 - 1e-6))
    assert np.array_equal(lam[-1], [1.0, 0.0, 0.0, 0.0])


def test_replicator_keeps_an_empty_region_empty_logit_does_not():
    m = cp(0.05, K=4)  # the empty region would pay more than average
    lam0 = [0.4, 0.0, 0.4, 0.2]
    sr = m.short_run(lam0)
    assert sr.payoff[1] > np.dot(lam0, sr.payoff)
    ds = simulate(m, {}, lam0, 50.0, steps=5, speed=10)
    assert np.all(ds["lam"].values[:, 1] == 0.0)
    dl = simulate(m, {}, lam0, 50.0, steps=5, dynamics="logit", dispersion=1e-3)
    assert dl["lam"].values[-1, 1] > 1e-3


# ---------------------------------------------------------------- a relocation path
def test_phi_ramp_disperses_until_break_point_then_agglomerates():
    """phi rising 0.1 -> 0.6 over 50 years from near-symmetric shares: the deviation from 1/2
    shrinks while phi < phi_B (symmetric equilibrium stable), is smallest when phi passes phi_B
    (the eigenvalue changes sign there), then grows into full agglomeration."""
    m = cp(0.1)
    ds = simulate(m, {"phi": [(0, 0.1), (50, 0.6)]}, [0.51, 0.49], 50.0, dt=0.05, speed=50)
    assert_on_simplex(ds)
    dev = np.abs(ds["lam"].sel(region="r0").values - 0.5)
    t = ds["time"].values
    k = int(np.argmin(dev))
    assert abs(float(ds["phi"][k]) - PHI_B) < 2e-3
    assert np.all(np.diff(dev[t <= 4.0]) < 0)  # dispersing before phi_B (t_B = 4.29)
    assert dev[t == 4.0][0] < 1e-3
    assert np.all(np.diff(dev[(t > 5.0) & (dev < 0.5)]) >= 0)  # then agglomerating
    np.testing.assert_array_equal(ds["lam"].sel(time=30.0).values, [1.0, 0.0])
    assert [e["region"] for e in json.loads(ds.attrs["emptied"])] == ["r1"]


def test_jump_in_schedule_takes_effect_at_its_time():
    """phi jumps 0.1 -> 0.3 at t = 10: dispersion before, agglomeration after; the value reported
    at t = 10 is the one after the jump, and the integration does not step over the jump."""
    m = cp(0.1)
    ds = simulate(m, Schedule.step("phi", 10.0, 0.1, 0.3), [0.51, 0.49], 40.0, dt=1.0, speed=20)
    phi = ds["phi"].values
    assert np.all(phi[:10] == 0.1) and np.all(phi[10:] == 0.3)
    lam = ds["lam"].sel(region="r0").values
    assert abs(lam[10] - 0.5) < 1e-3  # continuous through the jump
    assert lam[-1] > 0.999
    # the same path with the jump a hair later: nothing moves until then
    ds2 = simulate(m, Schedule.step("phi", 10.0 + 1e-9, 0.1, 0.3), [0.51, 0.49], 40.0, dt=1.0,
                   speed=20)
    np.testing.assert_allclose(ds2["lam"].values[:11], ds["lam"].values[:11], atol=1e-8)


def test_entry_schedule_rescales_other_entries():
    m = cp(0.1, K=4, names=list("ABCD")).replace(farmers=[0.1, 0.2, 0.3, 0.4])
    ds = simulate(m, {"farmers[C]": [(0, 0.3), (10, 0.5)]}, None, 10.0, steps=2, speed=5)
    f = ds["farmers"].values
    np.testing.assert_allclose(f[0], [0.1, 0.2, 0.3, 0.4])
    # at t = 5: C = 0.4, the others (0.1, 0.2, 0.4) scaled by (1 - 0.4) / 0.7
    np.testing.assert_allclose(f[1], [0.1 * 0.6 / 0.7, 0.2 * 0.6 / 0.7, 0.4, 0.4 * 0.6 / 0.7])
    np.testing.assert_allclose(f.sum(axis=1), 1.0, atol=1e-14)
    # an integer index and a Schedule object give the same run
    ds2 = simulate(m, Schedule({"farmers[2]": [(0, 0.3), (10, 0.5)]}), None, 10.0, steps=2, speed=5)
    np.testing.assert_allclose(ds2["lam"].values, ds["lam"].values, atol=1e-12)
    # a whole per-region vector
    ds3 = simulate(m, {"farmers": [(0, [0.1, 0.2, 0.3, 0.4]), (10, [0.4, 0.3, 0.2, 0.1])]}, None, 10.0,
                   steps=2)
    np.testing.assert_allclose(ds3["farmers"].values[1], [0.25, 0.25, 0.25, 0.25])


def test_schedule_object_combinators():
    s = Schedule.ramp("phi", 0, 50, 0.1, 0.6) | {"mu": [(0, 0.4)]}
    assert set(s.paths) == {"phi", "mu"}
    with pytest.raises(ValueError, match="twice"):
        Schedule.ramp("phi", 0, 1, 0.1, 0.2) | Schedule.step("phi", 1, 0.1, 0.2)


# ---------------------------------------------------------------- logit and migration cost
@pytest.mark.parametrize("phi", [0.1, 0.3])
def test_logit_with_tiny_dispersion_matches_replicator(phi):
    m = cp(phi)
    lam0 = [0.55, 0.45]
    eq = neg.long_run(m, lam0)
    ds = simulate(m, {}, lam0, 100.0, steps=4, dynamics="logit", dispersion=1e-5)
    assert_on_simplex(ds)
    np.testing.assert_allclose(ds["lam"].values[-1], eq.lam, atol=1e-6)
    assert ds.attrs["dispersion"] == 1e-5 and ds.attrs["dynamics"] == "logit"


def test_logit_with_large_dispersion_is_nearly_uniform():
    m = cp(0.3, K=4)
    ds = simulate(m, {}, [0.7, 0.1, 0.1, 0.1], 50.0, steps=5, dynamics="logit", dispersion=10.0)
    np.testing.assert_allclose(ds["lam"].values[-1], 0.25, atol=1e-3)
    # and it sits at the logit fixed point lam = softmax(omega / eta)
    w = m.short_run(ds["lam"].values[-1]).payoff / 10.0
    p = np.exp(w - w.max())
    np.testing.assert_allclose(ds["lam"].values[-1], p / p.sum(), atol=1e-9)


def test_large_migration_cost_freezes_the_distribution():
    m = cp(0.3)
    lam0 = np.array([0.55, 0.45])
    sr = m.short_run(lam0)
    gap = np.max(np.abs(sr.payoff - lam0 @ sr.payoff))
    ds = simulate(m, {}, lam0, 100.0, steps=10, speed=10, migration_cost=2 * gap)
    np.testing.assert_allclose(ds["lam"].values, np.tile(lam0, (11, 1)), atol=1e-14)
    assert ds.attrs["migration_cost"] == 2 * gap
    # a small cost only slows migration down
    slow = simulate(m, {}, lam0, 20.0, steps=2, speed=10, migration_cost=0.5 * gap)
    free = simulate(m, {}, lam0, 20.0, steps=2, speed=10)
    assert lam0[0] < slow["lam"].values[-1, 0] < free["lam"].values[-1, 0]
    # logit: movers pay c, stayers do not; a large cost relative to eta freezes it too
    dl = simulate(m, {}, lam0, 100.0, steps=2, dynamics="logit", dispersion=1e-3,
                  migration_cost=0.1)
    np.testing.assert_allclose(dl["lam"].values[-1], lam0, atol=1e-12)


# ---------------------------------------------------------------- stiffness
@pytest.mark.parametrize("dynamics, kw", [("replicator", {}), ("logit", {"dispersion": 1e-4})])
@pytest.mark.parametrize("phi", [0.1, 0.3])
def test_stiff_fast_migration_does_not_blow_up(dynamics, kw, phi):
    m = cp(phi, K=4)
    lam0 = [0.3, 0.2, 0.28, 0.22]
    t0 = time.perf_counter()
    ds = simulate(m, {}, lam0, 20.0, steps=20, dynamics=dynamics, speed=1e4, **kw)
    elapsed = time.perf_counter() - t0
    assert ds.attrs["integration_status"] == 0
    assert_on_simplex(ds)
    assert elapsed < 30.0
    if dynamics == "replicator":
        np.testing.assert_allclose(ds["lam"].values[-1], neg.long_run(m, lam0).lam, atol=1e-6)


def test_other_models_reach_their_long_run():
    for m in (neg.FootlooseEntrepreneur(5.0, 0.4, phi=0.3), neg.FootlooseCapital(5.0, 0.4, phi=0.3),
              neg.Pflueger(5.0, phi=0.3)):
        eq = neg.long_run(m, [0.55, 0.45])
        ds = simulate(m, {}, [0.55, 0.45], 2000.0, steps=4, speed=10)
        np.testing.assert_allclose(ds["lam"].values[-1], eq.lam, atol=1e-6, err_msg=m.name)


# ---------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("schedule, match", [
    ({"phy": [(0, 0.1)]}, r"unknown parameter 'phy'.*valid names: sigma, mu, phi"),
    ({"phi": [(0, 0.1), (5, 0.2), (3, 0.3)]}, "non-decreasing"),
    ({"phi": [(1, 0.1), (1, 0.2), (1, 0.3)]}, "at most two knots"),
    ({"phi": [(0, 0.1), (10, 1.5)]}, r"t = 10.*phi"),
    ({"phi": []}, "at least one knot"),
    ({"phi": [(0, 0.1, 3)]}, "pair"),
    ({"phi": [(0, [0.1, 0.2])]}, "scalar"),
    ({"farmers": [(0, [0.5, 0.5])]}, "4 values per knot"),
    ({"farmers[9]": [(0, 0.5)]}, "region index"),
    ({"farmers[X]": [(0, 0.5)]}, "region name"),
    ({"sigma[1]": [(0, 0.5)]}, "not a per-region parameter"),
    ({"farmers[0]": [(0, 1.2)]}, r"farmers.*\[0, 1\]"),
    ({"phi": [(0, 0.1)], "T": [(0, 2.0)]}, "phi or T"),
    ({"farmers": [(0, [0.25] * 4)], "farmers[1]": [(0, 0.3)]}, "whole and entry"),
    ({"mu": [(0, float("nan"))]}, "not finite"),
])
def test_bad_schedules_give_clear_errors(schedule, match):
    with pytest.raises(ValueError, match=match):
        simulate(cp(0.2, K=4), schedule, None, 10.0, steps=2)


@pytest.mark.parametrize("kwargs, match", [
    ({"dt": 1.0, "steps": 10}, "exactly one of dt"),
    ({}, "exactly one of dt"),
    ({"steps": 0}, "steps"),
    ({"steps": 2.5}, "steps"),
    ({"dt": -1.0}, "dt"),
    ({"steps": 5, "dynamics": "gravity"}, "dynamics"),
    ({"steps": 5, "dynamics": "logit"}, "dispersion"),
    ({"steps": 5, "dispersion": 0.1}, "dispersion"),
    ({"steps": 5, "dynamics": "logit", "dispersion": 0.0}, "dispersion"),
    ({"steps": 5, "speed": -1.0}, "speed"),
    ({"steps": 5, "migration_cost": -0.1}, "migration_cost"),
    ({"steps": 5, "integrator": "RK45"}, "integrator"),
])
def test_bad_arguments_give_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate(cp(0.2), {}, [0.5, 0.5], 10.0, **kwargs)


def test_bad_lam0_and_t_end():
    with pytest.raises(ValueError, match="lam"):
        simulate(cp(0.2), {}, [0.3, 0.3], 10.0, steps=2)
    with pytest.raises(ValueError, match="t_end"):
        simulate(cp(0.2), {}, [0.5, 0.5], 0.0, steps=2)
    with pytest.raises(TypeError, match="schedule"):
        simulate(cp(0.2), [("phi", 0.1)], [0.5, 0.5], 1.0, steps=2)


def test_dataset_round_trips_through_netcdf(tmp_path):
    pytest.importorskip("h5netcdf")
    import xarray as xr

    ds = simulate(cp(0.1), {"phi": [(0, 0.1), (5, 0.2)]}, [0.51, 0.49], 10.0, steps=5, speed=10)
    path = tmp_path / "path.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    back = xr.open_dataset(path, engine="h5netcdf").load()
    xr.testing.assert_allclose(back["lam"], ds["lam"])
    assert back.attrs["schedule"] == ds.attrs["schedule"]


def test_extremely_stiff_logit_on_a_racetrack_completes():
    """eta = 1e-6 amplifies short-run round-off a millionfold and speed = 1e5 makes the flow very
    stiff; the segment after the ramp needs the small-first-step retry."""
    m = cp(0.3, K=8)
    lam0 = np.random.default_rng(0).dirichlet(np.ones(8) * 10)
    ds = simulate(m, {"phi": [(0, 0.05), (10, 0.5)]}, lam0, 20.0, steps=40, dynamics="logit",
                  dispersion=1e-6, speed=1e5)
    assert ds.attrs["integration_status"] == 0
    assert_on_simplex(ds)
    assert ds["lam"].values[-1].max() > 1 - 1e-9  # agglomerated in one region


# ---------------------------------------------------------------- grouped states and share caps
def on_group_simplices(ds, space, tol=1e-12):
    lam = ds["lam"].values
    assert np.all(np.isfinite(lam)) and lam.min() >= 0.0
    sums = np.stack([space.group_sums(row) for row in lam])
    assert np.max(np.abs(sums - 1.0)) <= tol


def test_grouped_replicator_reaches_the_analytic_equilibrium():
    from test_state_groups import SIZES, LinearToy, analytic_equilibrium

    m = LinearToy()
    space = StateSpace(SIZES)
    ds = simulate(m, {}, [0.9, 0.1, 0.2, 0.3, 0.5], 100.0, steps=10, speed=5)
    assert ds["lam"].dims == ("time", "state") and ds["payoff"].dims == ("time", "state")
    assert ds["wage"].dims == ("time", "region") and ds.sizes["region"] == m.K
    assert list(ds["state"].values) == list(m.state_labels())
    np.testing.assert_array_equal(ds["group"].values, [0, 0, 1, 1, 1])
    assert json.loads(ds.attrs["state_groups"]) == [2, 3]
    on_group_simplices(ds, space)
    np.testing.assert_allclose(ds["lam"].values[-1], analytic_equilibrium(), atol=1e-9)
    # payoffs equal within each group at the end, not across groups
    w = ds["payoff"].values[-1]
    np.testing.assert_allclose(space.deviation(ds["lam"].values[-1], w), 0.0, atol=1e-9)
    assert abs(w[0] - w[2]) > 0.1
    # default start: the perturbed symmetric state; a schedule moves the equilibrium
    ds = simulate(m, {"strength": [(0, 1.0), (50, 2.0)]}, None, 100.0, steps=10, speed=5)
    np.testing.assert_allclose(ds["lam"].values[0], space.perturbed(m.symmetric_state()), atol=1e-15)
    on_group_simplices(ds, space)
    np.testing.assert_allclose(ds["lam"].values[-1], analytic_equilibrium(2.0), atol=1e-9)
    with pytest.raises(ValueError, match="within each group"):
        simulate(m, {}, [0.5, 0.5, 0.5, 0.6, 0.0], 1.0, steps=1)


def test_grouped_replicator_empties_per_component_and_a_lone_component_stays_put():
    from test_state_groups import SIZES, LinearToy

    m = LinearToy()
    space = StateSpace(SIZES)
    # group 0 has a single occupied component: it stays put; group 1 reaches its own rest point
    ds = simulate(m, {}, [1.0, 0.0, 0.2, 0.3, 0.5], 50.0, steps=5, speed=5)
    on_group_simplices(ds, space)
    assert np.all(ds["lam"].values[:, :2] == [1.0, 0.0])
    w = ds["payoff"].values[-1]
    assert w[1] > w[0]  # the empty component would pay more: the replicator keeps it empty
    np.testing.assert_allclose(w[2:] - w[2], 0.0, atol=1e-9)
    # weak congestion (payoff ~ a): the best component of each group takes it all; the others
    # empty exactly, one event per component, and each group ends with a lone occupant
    weak = LinearToy(strength=0.05)
    ds = simulate(weak, {}, [0.5, 0.5, 0.2, 0.3, 0.5], 100.0, steps=4, speed=50)
    on_group_simplices(ds, space)
    emptied = json.loads(ds.attrs["emptied"])
    assert sorted(e["state"] for e in emptied) == ["s0", "s2", "s4"]
    np.testing.assert_array_equal(ds["lam"].values[-1], [0.0, 1.0, 0.0, 1.0, 0.0])
    for e in emptied:
        j = list(weak.state_labels()).index(e["state"])
        after = ds["time"].values > e["time"]
        assert np.all(ds["lam"].values[after, j] == 0.0)


def test_grouped_migration_cost_acts_within_groups():
    from test_state_groups import SIZES, LinearToy

    m = LinearToy()
    space = StateSpace(SIZES)
    c = 0.05
    ds = simulate(m, {}, [0.9, 0.1, 0.2, 0.3, 0.5], 200.0, steps=4, speed=5, migration_cost=c)
    on_group_simplices(ds, space)
    lam, w = ds["lam"].values[-1], ds["payoff"].values[-1]
    # at rest no occupied component gains more than c over its group's mean
    assert np.all(np.abs(space.deviation(lam, w)) <= c + 1e-9)
    free = simulate(m, {}, [0.9, 0.1, 0.2, 0.3, 0.5], 200.0, steps=4, speed=5)
    assert np.max(np.abs(free["lam"].values[-1] - lam)) > 1e-3


def test_grouped_logit_is_a_softmax_within_each_group():
    from test_state_groups import SIZES, LinearToy

    m = LinearToy()
    space = StateSpace(SIZES)
    eta = 0.1
    ds = simulate(m, {}, [0.9, 0.1, 0.2, 0.3, 0.5], 100.0, steps=4, dynamics="logit", dispersion=eta)
    assert ds["lam"].dims == ("time", "state")
    on_group_simplices(ds, space)
    lam, w = ds["lam"].values[-1], ds["payoff"].values[-1]
    p = np.exp(w / eta)
    np.testing.assert_allclose(lam, p / space.group_sums(p)[space.gid], atol=1e-9)
    # a migration cost: movers choose within their group; the groups still sum to 1
    dc = simulate(m, {}, [0.9, 0.1, 0.2, 0.3, 0.5], 100.0, steps=4, dynamics="logit",
                  dispersion=eta, migration_cost=0.05)
    on_group_simplices(dc, space)
    assert np.max(np.abs(dc["lam"].values[-1] - lam)) > 1e-3


def test_capped_core_ends_at_its_cap_like_long_run():
    from test_zones import capped

    m = capped([0.7, 1.0], phi=0.5)  # full agglomeration without the cap
    eq = neg.long_run(m, [0.6, 0.4])
    ds = simulate(m, {}, [0.6, 0.4], 100.0, steps=10, speed=5)
    assert ds["lam"].dims == ("time", "region")
    assert_on_simplex(ds)
    lam = ds["lam"].values
    assert lam[:, 0].max() <= 0.7  # never above the cap
    assert lam[-1, 0] == 0.7  # exactly at it
    np.testing.assert_allclose(lam[-1], [0.7, 0.3], atol=1e-15)
    np.testing.assert_allclose(lam[-1], eq.lam, atol=1e-11)
    assert ds["payoff"].values[-1, 0] > ds["payoff"].values[-1, 1]  # the zone pays more
    events = json.loads(ds.attrs["cap_events"])
    assert [(e["region"], e["event"]) for e in events] == [("r0", "reached cap")]
    np.testing.assert_array_equal(ds["share_cap"].values, [0.7, 1.0])
    # a prohibited zone stays empty; a cap that does not bind changes nothing
    ds = simulate(capped([0.0, 1.0], phi=0.5), {}, [0.9, 0.1], 10.0, steps=2)
    np.testing.assert_array_equal(ds["lam"].values, [[0.0, 1.0]] * 3)
    loose = simulate(capped([0.9, 0.9], phi=0.1), {}, [0.55, 0.45], 200.0, steps=4, speed=5)
    base = simulate(cp(0.1), {}, [0.55, 0.45], 200.0, steps=4, speed=5)
    np.testing.assert_allclose(loose["lam"].values, base["lam"].values, atol=1e-12)


def test_capped_core_is_released_when_the_zone_stops_paying_more():
    """phi falls from 0.5 to 0.05: the capped core pays more while agglomeration forces win,
    then less; it is released and the distribution disperses to the symmetric state."""
    from test_zones import capped

    m = capped([0.7, 1.0], phi=0.5)
    ds = simulate(m, {"phi": [(0, 0.5), (40, 0.05)]}, [0.6, 0.4], 60.0, dt=1.0, speed=10)
    assert ds.attrs["integration_status"] == 0
    assert_on_simplex(ds)
    lam = ds["lam"].sel(region="r0").values
    assert lam.max() <= 0.7
    events = json.loads(ds.attrs["cap_events"])
    assert [e["event"] for e in events] == ["reached cap", "released"]
    t_cap, t_rel = events[0]["time"], events[1]["time"]
    t = ds["time"].values
    assert np.all(lam[(t > t_cap) & (t < t_rel)] == 0.7)
    # released where the zone's payoff falls below the other region's (the free mean)
    w = ds["payoff"].values
    held = (t > t_cap) & (t < t_rel)
    assert np.all(w[held, 0] > w[held, 1] - 1e-9)
    assert w[np.flatnonzero(t > t_rel)[0], 0] < w[np.flatnonzero(t > t_rel)[0], 1]
    np.testing.assert_allclose(lam[-1], 0.5, atol=1e-6)


def test_caps_on_a_grouped_state():
    """Two caps bind, one in each group: the capped components pay more than their group's
    free mean, the free ones of group 1 have equal payoffs (a linear system)."""
    import dataclasses

    from test_state_groups import LinearToy

    @dataclasses.dataclass(frozen=True, eq=False)
    class CappedToy(LinearToy):
        def share_caps(self):
            return np.array([1.0, 0.6, 1.0, 0.4, 1.0])

    m = CappedToy()
    space = StateSpace.of(m)
    caps = m.share_caps()
    # expected: lam = (0.4, 0.6, x, 0.4, 0.6 - x) with payoff_2 = payoff_4
    A, B = LinearToy.A, LinearToy.B
    base = np.array([0.4, 0.6, 0.0, 0.4, 0.6])
    v = np.array([0.0, 0.0, 1.0, 0.0, -1.0])
    x = ((A[2] - B[2] @ base) - (A[4] - B[4] @ base)) / ((B[2] - B[4]) @ v)
    expected = base + x * v
    ds = simulate(m, {}, [0.9, 0.1, 0.2, 0.3, 0.5], 100.0, steps=20, speed=5)
    on_group_simplices(ds, space)
    assert np.all(ds["lam"].values <= caps)
    np.testing.assert_allclose(ds["lam"].values[-1], expected, atol=1e-9)
    assert np.all(ds["lam"].values[-1, [1, 3]] == [0.6, 0.4])
    w = ds["payoff"].values[-1]
    assert w[1] > w[0] and w[3] > w[2]
    assert {e["state"] for e in json.loads(ds.attrs["cap_events"])} == {"s1", "s3"}
    # the logit respects the caps too
    dl = simulate(m, {}, None, 100.0, steps=10, dynamics="logit", dispersion=0.01)
    on_group_simplices(dl, space)
    assert np.all(dl["lam"].values <= caps + 1e-15)
    np.testing.assert_allclose(dl["lam"].values[-1, [1, 3]], [0.6, 0.4], atol=1e-12)


def test_capped_logit_stays_within_the_cap():
    from test_zones import capped

    m = capped([0.7, 1.0], phi=0.5)
    for c in (0.0, 0.01):
        dl = simulate(m, {}, [0.6, 0.4], 50.0, steps=5, dynamics="logit", dispersion=1e-3,
                      migration_cost=c)
        assert_on_simplex(dl)
        assert dl["lam"].values[:, 0].max() <= 0.7
        np.testing.assert_allclose(dl["lam"].values[-1], [0.7, 0.3], atol=1e-12)
