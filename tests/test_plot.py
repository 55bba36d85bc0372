"""neg.plot on synthetic datasets in the formats of bifurcation_diagram, trace and simulate."""

import numpy as np
import pytest
import xarray as xr

pytest.importorskip("matplotlib")
import matplotlib.pyplot as plt  # noqa: E402

import neg  # noqa: E402
import neg.plot as nplot  # noqa: E402

PHI_B, PHI_S = 0.2, 0.15


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _saved(ax, tmp_path, fn, *args, **kw):
    """Call fn for PNG and PDF output and check both files are real."""
    for suffix, magic in ((".png", b"\x89PNG"), (".pdf", b"%PDF")):
        out = tmp_path / f"fig{suffix}"
        got = fn(*args, path=out, **kw)
        assert isinstance(got, plt.Axes)
        assert out.stat().st_size > 1000 and out.read_bytes()[:4] == magic
    return got


# ----------------------------------------------------------------------------- synthetic data
def bifurcation_ds(K=2):
    """A hand-made tomahawk: symmetric branch, two cores, two interior unstable branches of a
    different length (NaN padding), break point and the sustain point at both corners."""
    n = 40
    grid = np.linspace(0.05, 0.5, n)
    inner = np.linspace(PHI_S, PHI_B, 25)
    s = (inner - PHI_S) / (PHI_B - PHI_S)  # 0 at the corner, 1 at the break point
    branches = [  # (phi, share of region 0, stable)
        (grid, np.full(n, 0.5), grid < PHI_B),
        (grid, np.ones(n), grid > PHI_S),
        (grid, np.zeros(n), grid > PHI_S),
        (inner, 1 - 0.5 * s ** 0.5, np.zeros(25, bool)),
        (inner, 0.5 * s ** 0.5, np.zeros(25, bool)),
    ]
    B = len(branches)
    x = np.full((B, n), np.nan)
    lam = np.full((B, n, K), np.nan)
    stable = np.zeros((B, n), bool)
    for b, (p, l0, st) in enumerate(branches):
        x[b, :p.size] = p
        lam[b, :p.size, 0] = l0
        lam[b, :p.size, 1:] = ((1 - l0) / (K - 1))[:, None]
        stable[b, :p.size] = st
    special_lam = np.array([[0.5] + [0.5 / (K - 1)] * (K - 1),
                            [1.0] + [0.0] * (K - 1),
                            [0.0] + [1.0 / (K - 1)] * (K - 1)])
    return xr.Dataset(
        {"phi": (("branch", "point"), x),
         "lam": (("branch", "point", "region"), lam),
         "stable": (("branch", "point"), stable),
         "special_kind": ("special", ["branch", "corner", "corner"]),
         "special_value": ("special", [PHI_B, PHI_S, PHI_S]),
         "special_lam": (("special", "region"), special_lam)},
        coords={"region": [f"r{i}" for i in range(K)]},
        attrs={"param": "phi", "model": "CorePeriphery"},
    )


def trace_ds(K=2):
    phi = np.linspace(0.05, 0.5, 30)
    lam = np.empty((2, phi.size, K))
    for d, jump in enumerate((PHI_B, PHI_S)):  # up: disperse until break; down: keep core to sustain
        core = phi >= jump
        lam[d] = 1.0 / K
        lam[d, core, 0], lam[d, core, 1:] = 1.0, 0.0
    return xr.Dataset(
        {"lam": (("direction", "phi", "region"), lam),
         "real_wage": (("direction", "phi", "region"), 1 + lam),
         "wage": (("direction", "phi", "region"), 1 + 0.5 * lam),
         "stable": (("direction", "phi"), np.ones((2, phi.size), bool)),
         "converged": (("direction", "phi"), np.ones((2, phi.size), bool))},
        coords={"direction": ["up", "down"], "phi": phi, "region": [f"r{i}" for i in range(K)]},
        attrs={"param": "phi"},
    )


def simulate_ds(K=3):
    t = np.linspace(0, 50, 101)
    w = np.exp(-((np.arange(K)[None, :] - 0.02 * t[:, None]) ** 2))
    lam = w / w.sum(1, keepdims=True)
    return xr.Dataset(
        {"lam": (("time", "region"), lam),
         "real_wage": (("time", "region"), 1 + lam),
         "phi": ("time", np.interp(t, [0, 50], [0.1, 0.6]))},
        coords={"time": t, "region": [f"r{i}" for i in range(K)],
                "lat": ("region", np.linspace(48, 52, K)), "lon": ("region", np.linspace(2, 12, K))},
        attrs={"schedule_params": ["phi"]},
    )


# ----------------------------------------------------------------------------- tomahawk
def test_tomahawk_solid_dashed_and_special_points(tmp_path):
    ax = _saved(None, tmp_path, nplot.tomahawk, bifurcation_ds())
    styles = {line.get_linestyle() for line in ax.lines}
    assert {"-", "--"} <= styles
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("break" in s and "0.2" in s for s in labels)
    assert any("sustain" in s and "0.15" in s for s in labels)
    assert "stable" in labels and "unstable" in labels
    assert sum("sustain" in s for s in labels) == 1  # both corners share one entry
    # the symmetric branch is split at the break point: solid up to it, dashed after
    sym = [ln for ln in ax.lines if np.allclose(ln.get_ydata(), 0.5) and len(ln.get_xdata()) > 1]
    solid = [ln for ln in sym if ln.get_linestyle() == "-"]
    dashed = [ln for ln in sym if ln.get_linestyle() == "--"]
    assert len(solid) == 1 and len(dashed) == 1
    assert max(solid[0].get_xdata()) < PHI_B + 0.02 and min(dashed[0].get_xdata()) > PHI_B - 0.02
    assert ax.get_xlabel().startswith("freeness of trade")


def test_tomahawk_many_regions_and_existing_axes():
    ds = bifurcation_ds(K=4)
    fig, axes = plt.subplots(1, 2)
    assert nplot.tomahawk(ds, ax=axes[0], region="max") is axes[0]
    assert nplot.tomahawk(ds, ax=axes[1], region="r2") is axes[1]
    ymax = max(np.nanmax(ln.get_ydata()) for ln in axes[0].lines)
    assert ymax == pytest.approx(1.0)
    assert "max" in axes[0].get_ylabel() and "r2" in axes[1].get_ylabel()


def test_tomahawk_rejects_other_datasets():
    with pytest.raises(ValueError, match="branch"):
        nplot.tomahawk(trace_ds())
    with pytest.raises(ValueError, match="stable"):
        nplot.tomahawk(bifurcation_ds().drop_vars("stable"))
    ds = bifurcation_ds()
    ds.attrs = {}
    with pytest.raises(ValueError, match="param"):
        nplot.tomahawk(ds)
    with pytest.raises(ValueError, match="region"):
        nplot.tomahawk(bifurcation_ds(), region="nowhere")


def test_bad_suffix(tmp_path):
    with pytest.raises(ValueError, match="png"):
        nplot.tomahawk(bifurcation_ds(), path=tmp_path / "fig.jpg")


# ----------------------------------------------------------------------------- heatmap
def test_heatmap_trace_and_simulate(tmp_path):
    ax = _saved(None, tmp_path, nplot.heatmap, trace_ds(K=4), direction="down")
    cbar_ax = [a for a in ax.figure.axes if a is not ax][0]
    assert "share" in cbar_ax.get_ylabel()
    assert "down" in ax.get_title()
    ax = nplot.heatmap(simulate_ds(), var="real_wage")
    assert ax.get_xlabel().startswith("time")


def test_heatmap_errors():
    with pytest.raises(ValueError, match="sideways"):
        nplot.heatmap(trace_ds(), direction="sideways")
    with pytest.raises(ValueError, match="income"):
        nplot.heatmap(trace_ds(), var="income")
    with pytest.raises(ValueError, match="region"):
        nplot.heatmap(xr.Dataset({"lam": (("x",), np.zeros(3))}))
    with pytest.raises(ValueError, match="one other dimension"):
        nplot.heatmap(bifurcation_ds())


# ----------------------------------------------------------------------------- paths
def test_paths_simulate_with_twin_axis(tmp_path):
    ax = _saved(None, tmp_path, nplot.paths, simulate_ds(), twin=True)
    assert len(ax.lines) == 3 and len(ax.figure.axes) == 2
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:3] == ["r0", "r1", "r2"] and "freeness" in labels[3]
    ax = nplot.paths(simulate_ds(), regions=["r2", 0])
    assert [ln.get_label() for ln in ax.lines] == ["r2", "r0"]
    with pytest.raises(ValueError, match="mu"):
        nplot.paths(simulate_ds(), twin="mu")


def test_paths_trace(tmp_path):
    ax = _saved(None, tmp_path, nplot.paths, trace_ds())
    assert len(ax.lines) == 4
    assert {ln.get_linestyle() for ln in ax.lines} == {"-", "--"}
    with pytest.raises(ValueError, match="lam"):
        nplot.paths(trace_ds().drop_vars("lam"))


# ----------------------------------------------------------------------------- map
def test_map_from_coords_and_geography(tmp_path):
    ds = simulate_ds(K=4)
    ax = _saved(None, tmp_path, nplot.map, ds, labels=True)
    assert "50" in ax.get_title()  # the last time by default
    sizes = ax.collections[0].get_sizes()
    assert np.allclose(sizes, 600 * ds["lam"].isel(time=-1).values)
    geo = neg.Geography.from_coordinates([40.4, 48.9, 52.5], [-3.7, 2.35, 13.4],
                                         names=["Madrid", "Paris", "Berlin"])
    ax = nplot.map(trace_ds(K=3), geography=geo, sel={"phi": 0.31, "direction": "up"}, labels=True)
    assert {t.get_text() for t in ax.texts} == {"Madrid", "Paris", "Berlin"}


def test_map_errors():
    with pytest.raises(ValueError, match="coordinates"):
        nplot.map(trace_ds(), sel={"phi": 0.3, "direction": "up"})
    with pytest.raises(ValueError, match="direction"):
        nplot.map(trace_ds(), geography=neg.Geography.from_coordinates([0, 1], [0, 1]),
                  sel={"phi": 0.3})
    with pytest.raises(ValueError, match="2 coordinates for 3 regions"):
        nplot.map(trace_ds(K=3), geography=neg.Geography.from_coordinates([0, 1], [0, 1]),
                  sel={"phi": 0.3, "direction": "up"})


def test_plot_not_imported_by_neg():
    import subprocess
    import sys

    code = "import sys, neg; print('neg.plot' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# ----------------------------------------------------------------------------- real producers
CP = neg.CorePeriphery(5.0, 0.4, phi=0.3)


@pytest.mark.skipif(not hasattr(neg, "bifurcation_diagram"), reason="neg.bifurcation_diagram not yet")
def test_real_bifurcation_diagram(tmp_path):
    ds = neg.bifurcation_diagram(CP, "phi", 0.05, 0.5)
    ax = _saved(None, tmp_path, nplot.tomahawk, ds)
    assert {"-", "--"} <= {line.get_linestyle() for line in ax.lines}
    labels = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert f"{neg.break_point(CP):.4g}" in labels and f"{neg.sustain_point(CP):.4g}" in labels


@pytest.mark.skipif(not hasattr(neg, "trace"), reason="neg.trace not yet")
def test_real_trace(tmp_path):
    ds = neg.trace(CP, "phi", np.linspace(0.05, 0.5, 46))
    _saved(None, tmp_path, nplot.paths, ds)
    _saved(None, tmp_path, nplot.heatmap, ds)


@pytest.mark.skipif(not hasattr(neg, "simulate"), reason="neg.simulate not yet")
def test_real_simulate(tmp_path):
    ds = neg.simulate(CP, {"phi": [(0, 0.1), (50, 0.6)]}, [0.55, 0.45], 60, steps=60)
    ax = _saved(None, tmp_path, nplot.paths, ds, twin=True)
    assert len(ax.figure.axes) == 2
    _saved(None, tmp_path, nplot.heatmap, ds)
