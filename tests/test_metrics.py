"""neg.metrics: gradient-transfer and concentration metrics, against hand-computed numbers."""

import numpy as np
import pytest
import xarray as xr

import neg
from neg import metrics as M


def shares(values, names="ABCD", dim="time", coord=None):
    values = np.asarray(values, dtype=float)
    coord = np.arange(values.shape[0], dtype=float) if coord is None else coord
    return xr.DataArray(values, dims=(dim, "region"),
                        coords={dim: coord, "region": list(names[: values.shape[1]])})


TWO = shares([[0.5, 0.3, 0.2, 0.0], [0.25, 0.25, 0.25, 0.25], [1.0, 0.0, 0.0, 0.0]])


# ---------------------------------------------------------------- concentration
def test_herfindahl():
    np.testing.assert_allclose(M.herfindahl(TWO).values, [0.38, 0.25, 1.0])
    assert M.herfindahl(TWO).dims == ("time",)


def test_spatial_gini_unweighted():
    # pairs: .2 .3 .5 .1 .3 .2 -> 1.6, both orders 3.2, / (2 K) = 0.4; uniform 0; corner (K-1)/K
    np.testing.assert_allclose(M.spatial_gini(TWO).values, [0.4, 0.0, 0.75], atol=1e-15)


def test_spatial_gini_weighted():
    lam = shares([[0.2, 0.8], [0.4, 0.6]])
    # densities r = (0.25, 4) with weights (0.8, 0.2): 0.5 * 2 * 0.8 * 0.2 * 3.75 / 1 = 0.6
    g = M.spatial_gini(lam, weights=[0.8, 0.2])
    np.testing.assert_allclose(g.values[0], 0.6)
    # shares proportional to the weights: no concentration
    np.testing.assert_allclose(M.spatial_gini(shares([[0.4, 0.3, 0.2, 0.1]]),
                                              weights=[4, 3, 2, 1]).values, [0.0], atol=1e-15)
    # weights from a dataset variable that varies over time
    ds = xr.Dataset({"lam": lam, "size": lam.copy(data=[[0.8, 0.2], [0.5, 0.5]])})
    np.testing.assert_allclose(M.spatial_gini(ds, weights="size").values, [0.6, 0.1])
    with pytest.raises(ValueError, match="weights"):
        M.spatial_gini(lam, weights=[1.0, -1.0])


def test_top_k_share():
    np.testing.assert_allclose(M.top_k_share(TWO, 1).values, [0.5, 0.25, 1.0])
    np.testing.assert_allclose(M.top_k_share(TWO, 2).values, [0.8, 0.5, 1.0])
    np.testing.assert_allclose(M.top_k_share(TWO, 4).values, [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="k"):
        M.top_k_share(TWO, 0)
    with pytest.raises(ValueError, match="k"):
        M.top_k_share(TWO, 5)


def test_krugman_specialisation():
    # industry 1 in A and B, industry 2 in B and C: structures A (1, 0), B (1/2, 1/2), C (0, 1)
    lam = xr.DataArray([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]], dims=("industry", "region"),
                       coords={"region": ["A", "B", "C"]})
    K = M.krugman_specialisation(lam)
    assert K.dims == ("region", "region_")
    np.testing.assert_allclose(K.values, [[0, 1, 2], [1, 0, 1], [2, 1, 0]])
    assert list(K["region_"].values) == ["A", "B", "C"]
    # industry 2 three times as large: B = (1/4, 3/4)
    K3 = M.krugman_specialisation(xr.Dataset({"lam": lam}), sizes=[1.0, 3.0])
    np.testing.assert_allclose(K3.values, [[0, 1.5, 2], [1.5, 0, 0.5], [2, 0.5, 0]])
    # a region without manufacturing has no structure
    empty = xr.DataArray([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]], dims=("industry", "region"))
    Ke = M.krugman_specialisation(empty)
    assert np.isnan(Ke.values[2]).all() and np.isnan(Ke.values[:, 2]).all()
    assert Ke.values[0, 1] == 0.0
    with pytest.raises(ValueError, match="industry"):
        M.krugman_specialisation(TWO)


# ---------------------------------------------------------------- location
def test_centre_of_gravity_from_coords_and_geography():
    lat, lon = [0.0, 10.0, 20.0, 30.0], [0.0, 0.0, 10.0, 10.0]
    da = TWO.assign_coords(lat=("region", lat), lon=("region", lon))
    c = M.centre_of_gravity(da)
    np.testing.assert_allclose(c["lat"].values, [7.0, 15.0, 0.0])
    np.testing.assert_allclose(c["lon"].values, [2.0, 5.0, 0.0])
    geo = neg.Geography.from_coordinates(lat, lon, names=list("ABCD"))
    c2 = M.centre_of_gravity(TWO, geography=geo)
    xr.testing.assert_allclose(c2["lat"], c["lat"])
    # spherical: two points on the equator 90 degrees apart -> 45 degrees; across the antimeridian
    eq = shares([[0.5, 0.5]]).assign_coords(lat=("region", [0.0, 0.0]), lon=("region", [0.0, 90.0]))
    cs = M.centre_of_gravity(eq, spherical=True)
    np.testing.assert_allclose([cs["lat"].item(), cs["lon"].item()], [0.0, 45.0], atol=1e-12)
    am = eq.assign_coords(lon=("region", [170.0, -170.0]))
    assert abs(M.centre_of_gravity(am, spherical=True)["lon"].item()) == pytest.approx(180.0)
    with pytest.raises(ValueError, match="coordinates"):
        M.centre_of_gravity(TWO)
    with pytest.raises(ValueError, match="coordinates"):
        M.centre_of_gravity(TWO, geography=neg.Geography.racetrack(4))


def test_distance_from_core():
    geo = neg.Geography.racetrack(4, names=list("ABCD"))  # distances from A: 0 1 2 1
    d = M.distance_from_core(TWO, geo)  # core: argmax at time 0 = A
    np.testing.assert_allclose(d.values, [0.3 + 0.4, 1.0, 0.0])
    d_c = M.distance_from_core(TWO, geo, core="C")  # distances from C: 2 1 0 1
    np.testing.assert_allclose(d_c.values, [1.0 + 0.3, 1.0, 2.0])
    np.testing.assert_allclose(M.distance_from_core(TWO, geo, core=2).values, d_c.values)
    with pytest.raises(ValueError, match="region"):
        M.distance_from_core(TWO, geo, core="Z")


# ---------------------------------------------------------------- gradient transfer
PATH = shares([[0.6, 0.3, 0.1], [0.5, 0.3, 0.2], [0.4, 0.35, 0.25], [0.3, 0.4, 0.3]], names="ABC")


def test_industrialisation_order_hand_computed():
    o = M.industrialisation_order(PATH)  # threshold 1/3, along time
    assert o.attrs["threshold"] == pytest.approx(1 / 3) and o.attrs["dim"] == "time"
    # A above from the start; B crosses between t=1 (0.3) and t=2 (0.35): 1 + (1/3-.3)/.05 = 5/3
    np.testing.assert_allclose(o["crossing"].values, [0.0, 5 / 3, np.nan])
    np.testing.assert_array_equal(o["rank"].values, [1.0, 2.0, np.nan])
    assert o["reference"].item() == "A"
    np.testing.assert_allclose(o["lag"].values, [0.0, 5 / 3, np.nan])
    np.testing.assert_array_equal(o["initial"].values, [True, False, False])
    # without interpolation: the first sample above
    o2 = M.industrialisation_order(PATH, interpolate=False)
    np.testing.assert_allclose(o2["crossing"].values, [0.0, 2.0, np.nan])
    # "above" is strict: at 0.35 B is not above 0.35; interpolated crossing at t = 2 exactly
    o3 = M.industrialisation_order(PATH, threshold=0.35)
    np.testing.assert_allclose(o3["crossing"].values, [0.0, 2.0, np.nan])
    # another reference: lag relative to B
    o4 = M.industrialisation_order(PATH, reference="B")
    np.testing.assert_allclose(o4["lag"].values, [-5 / 3, 0.0, np.nan])


def test_deindustrialisation_order_hand_computed():
    o = M.deindustrialisation_order(PATH, threshold=0.45)
    # A falls below between t=1 (0.5) and t=2 (0.4): 1.5; B and C are below from the start
    np.testing.assert_allclose(o["crossing"].values, [1.5, 0.0, 0.0])
    np.testing.assert_array_equal(o["rank"].values, [3.0, 1.0, 1.0])  # ties share a rank
    np.testing.assert_allclose(o["lag"].values, [0.0, -1.5, -1.5])
    np.testing.assert_array_equal(o["initial"].values, [False, True, True])


def test_order_along_a_swept_parameter_with_several_directions():
    """A trace-like dataset: dims (direction, phi, region), phi ascending in storage; the "down"
    slice is read from the highest phi downward, and the reference is found per direction."""
    lam = np.array([
        [[0.6, 0.4], [0.7, 0.3], [0.9, 0.1]],   # up (phi 0.1 -> 0.3): A grows
        [[0.2, 0.8], [0.5, 0.5], [0.6, 0.4]],   # down (phi 0.3 -> 0.1): A, the core at 0.3, declines
    ])
    da = xr.DataArray(lam, dims=("direction", "phi", "region"),
                      coords={"direction": ["up", "down"], "phi": [0.1, 0.2, 0.3],
                              "region": ["A", "B"]})
    ds = xr.Dataset({"lam": da})
    o = M.deindustrialisation_order(ds, threshold=0.45)  # dim: phi, the one numeric non-region dim
    assert o.attrs["dim"] == "phi"
    assert o["crossing"].dims == ("direction", "region")
    np.testing.assert_array_equal(o["reference"].values, ["A", "A"])
    # up: B below 0.45 from the first phi (0.1); A never.
    # down: B below from the first phi (0.3); A falls below between phi = 0.2 (0.5) and 0.1 (0.2):
    # 0.2 - 0.1 * (0.45 - 0.5) / (0.2 - 0.5) = 0.2 - 0.1 / 6
    a_down = 0.2 - 0.1 / 6
    np.testing.assert_allclose(o["crossing"].values, [[np.nan, 0.1], [a_down, 0.3]])
    np.testing.assert_array_equal(o["initial"].values, [[False, True], [False, True]])
    # down: B crossed before A; lag is counted along the direction of travel (negative = before)
    np.testing.assert_allclose(o["lag"].values, [[np.nan, np.nan], [0.0, -(0.3 - a_down)]])
    np.testing.assert_array_equal(o["rank"].values, [[np.nan, 1.0], [2.0, 1.0]])
    # the same numbers from the down slice stored in descending order, without a direction dim
    down = da.sel(direction="down").isel(phi=slice(None, None, -1)).drop_vars("direction")
    od = M.deindustrialisation_order(down, threshold=0.45)
    np.testing.assert_allclose(od["crossing"].values, [a_down, 0.3])
    np.testing.assert_allclose(od["lag"].values, [0.0, -(0.3 - a_down)])
    # distance from the core: per direction, the initial core in the direction of travel (A, A)
    geo = neg.Geography.two_region(names=["A", "B"])
    d = M.distance_from_core(ds, geo)
    np.testing.assert_allclose(d.sel(direction="down").values, [0.8, 0.5, 0.4])
    np.testing.assert_allclose(d.sel(direction="up").values, [0.4, 0.3, 0.1])
    # no default dim with two numeric non-region dims and no time
    bad = da.expand_dims(extra=[0.0])
    with pytest.raises(ValueError, match="dim="):
        M.industrialisation_order(bad)


def test_order_of_a_real_trace_reads_down_downward():
    m = neg.CorePeriphery(5.0, 0.4, phi=0.1)
    tr = neg.trace(m, "phi", np.linspace(0.05, 0.3, 26))
    o = M.industrialisation_order(tr, threshold=0.75)
    # up: the core forms just above the break point 1/7; down: starting agglomerated, nobody rises
    # above 0.75 (the core already is), while the other region rises above 0.25 at the sustain point
    up = o.sel(direction="up")
    # which region becomes the core is the symmetry breaking's choice (not the metric's reference,
    # the initial argmax of two equal shares): the core is the one that ends agglomerated
    core = str(tr.lam.sel(direction="up").isel(phi=-1).idxmax("region").values)
    assert 1 / 7 < float(up["crossing"].sel(region=core)) < 1 / 7 + 0.011
    down = o.sel(direction="down")
    assert bool(down["initial"].sel(region=str(down["reference"].values)))
    o2 = M.industrialisation_order(tr, threshold=0.25).sel(direction="down")
    other = [r for r in ["r0", "r1"] if r != str(o2["reference"].values)][0]
    assert 0.09 < float(o2["crossing"].sel(region=other)) < 0.1  # sustain point 0.0937
    assert float(o2["lag"].sel(region=other)) > 0


def test_metrics_of_a_simulated_relocation_path():
    m = neg.CorePeriphery(5.0, 0.4, phi=0.1)
    ds = neg.simulate(m, {"phi": [(0, 0.1), (50, 0.6)]}, [0.51, 0.49], 50.0, dt=0.5, speed=50)
    h = M.herfindahl(ds)
    assert h.dims == ("time",)
    np.testing.assert_allclose(h.values, (ds["lam"] ** 2).sum("region").values)
    assert h.values[-1] == 1.0 and M.spatial_gini(ds).values[-1] == pytest.approx(0.5)
    o = M.deindustrialisation_order(ds, threshold=0.25)
    assert o["reference"].item() == "r0"
    assert np.isnan(o["crossing"].sel(region="r0")) and o["rank"].sel(region="r1") == 1.0
    assert 5.0 < float(o["crossing"].sel(region="r1")) < 30.0


def test_bad_inputs():
    with pytest.raises(ValueError, match="lam"):
        M.herfindahl(xr.Dataset({"x": TWO}))
    with pytest.raises(ValueError, match="region"):
        M.herfindahl(xr.DataArray([0.5, 0.5], dims="place"))
    with pytest.raises(TypeError, match="xarray"):
        M.herfindahl(np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="not a non-region dimension"):
        M.industrialisation_order(TWO, dim="phi")
