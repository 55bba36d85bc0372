"""Figures say what they show (issue 11): a title with the model and its key parameters, axis
labels in the economics' words with units, colour scales fitted to the data, and no clipped or
overlapping labels. Checked on the figure objects (Agg backend): texts, tick label extents from
the renderer, colour limits."""

import json
import re

import numpy as np
import pytest
import xarray as xr

pytest.importorskip("matplotlib")
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from _study_support import CONFIGS, SMALL  # noqa: E402

import neg  # noqa: E402
import neg.plot as nplot  # noqa: E402
from neg.plot.figures import study_figure  # noqa: E402
from neg.study import load_study, run_study  # noqa: E402
from neg.study.report import plot_result  # noqa: E402
from neg.variables import PARAMETERS, VARIABLES  # noqa: E402

CP_ATTRS = {"model": "CorePeriphery", "geography": "two_region",
            "model_params": json.dumps({"sigma": 5.0, "mu": 0.4, "phi": 0.3, "farmers": [0.5, 0.5]})}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ----------------------------------------------------------------------------- the checks
def _drawn_tick_labels(axis):
    """Tick labels drawn on ``axis``: visible, non-empty, at a tick inside the view interval."""
    lo, hi = sorted(axis.get_view_interval())
    span = hi - lo
    return [t.label1 for t in axis.get_major_ticks()
            if t.label1.get_visible() and t.label1.get_text()
            and lo - 1e-9 * span <= t.get_loc() <= hi + 1e-9 * span]


def overlapping_tick_labels(fig) -> list[tuple[str, str]]:
    """Pairs of drawn tick labels of one axis whose extents (from the renderer) overlap."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    pairs = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            labels = _drawn_tick_labels(axis)
            boxes = [t.get_window_extent(r) for t in labels]
            for i in range(len(boxes)):
                for j in range(i + 1, len(boxes)):
                    if boxes[i].overlaps(boxes[j]):
                        pairs.append((labels[i].get_text(), labels[j].get_text()))
    return pairs


def texts_outside(fig) -> list[str]:
    """Drawn texts that leave the figure (titles, axis labels, tick labels, legends,
    annotations) or, for annotations, their axes."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    out = []
    fb = fig.bbox
    for ax in fig.axes:
        texts = [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label,
                 *_drawn_tick_labels(ax.xaxis), *_drawn_tick_labels(ax.yaxis), *ax.texts]
        if ax.get_legend() is not None:
            texts += [*ax.get_legend().get_texts(), ax.get_legend().get_title()]
        for t in texts:
            if not (t.get_visible() and t.get_text()):
                continue
            b = t.get_window_extent(r)
            if b.x0 < fb.x0 - 1 or b.y0 < fb.y0 - 1 or b.x1 > fb.x1 + 1 or b.y1 > fb.y1 + 1:
                out.append(t.get_text())
        ab = ax.get_window_extent(r)
        for t in ax.texts:  # annotations (region names, "never") stay inside their axes
            b = t.get_window_extent(r)
            if b.x0 < ab.x0 - 1 or b.y0 < ab.y0 - 1 or b.x1 > ab.x1 + 1 or b.y1 > ab.y1 + 1:
                out.append(t.get_text())
    if fig._suptitle is not None:
        b = fig._suptitle.get_window_extent(r)
        if b.x0 < fb.x0 - 1 or b.x1 > fb.x1 + 1 or b.y1 > fb.y1 + 1:
            out.append(fig._suptitle.get_text())
    return out


RAW = re.compile(r"\b(model|study|geography|solver)\.\w")


def raw_labels(fig) -> list[str]:
    """Axis and colour bar labels that show a config key (``model.sigma``) or a variable's name
    (``lam``, ``migration_speed``) instead of the economics' words."""
    names = {k: v.long_name for k, v in (VARIABLES | PARAMETERS).items()}
    bad = []
    for ax in fig.axes:
        for label in (ax.get_xlabel(), ax.get_ylabel()):
            words = re.sub(r"\$[^$]*\$", "", label).strip()  # mathtext may have subscripts
            if RAW.search(label) or "_" in words or names.get(words, words) != words:
                bad.append(label)
    return bad


def title_of(fig) -> str:
    return "\n".join([fig._suptitle.get_text() if fig._suptitle else ""]
                     + [ax.get_title() for ax in fig.axes])


def colour_limits(fig) -> list[tuple[float, float, np.ndarray]]:
    """(vmin, vmax, finite data) of every colour bar's mappable."""
    out = []
    for ax in fig.axes:
        cb = getattr(ax, "_colorbar", None)
        if cb is not None:
            data = np.asarray(cb.mappable.get_array(), dtype=float).ravel()
            out.append((*cb.mappable.get_clim(), data[np.isfinite(data)]))
    return out


def assert_readable(fig):
    assert overlapping_tick_labels(fig) == []
    assert texts_outside(fig) == []
    assert raw_labels(fig) == []


# ----------------------------------------------------------------------------- datasets
def trace_ds(K=16, n=12):
    """A racetrack trace's format: shares over (direction, phi, region), at most 0.5 each."""
    phi = np.linspace(0.05, 0.5, n)
    lam = np.full((2, n, K), 1.0 / K)
    lam[:, phi > 0.3, :] = 0.0
    lam[:, phi > 0.3, 0] = lam[:, phi > 0.3, K // 2] = 0.5
    return xr.Dataset(
        {"lam": (("direction", "phi", "region"), lam)},
        coords={"direction": ["up", "down"], "phi": phi, "region": [f"r{i}" for i in range(K)]},
        attrs={**CP_ATTRS, "geography": "racetrack", "param": "phi"})


@pytest.fixture(scope="module")
def studies(tmp_path_factory):
    """Small study result files, as `neg plot` reads them."""
    folder = tmp_path_factory.mktemp("figures")
    cp = {"name": "core_periphery", "sigma": 5.0, "mu": 0.4, "phi": 0.3}
    configs = {
        "racetrack": (str(CONFIGS / "racetrack.yaml"), SMALL["racetrack"]),
        "sweep_sigma_mu": (str(CONFIGS / "sweep_sigma_mu.yaml"), SMALL["sweep_sigma_mu"]),
        "relocation": (str(CONFIGS / "relocation.yaml"), SMALL["relocation"]),
        "china_coastal_land": (str(CONFIGS / "china_coastal_land.yaml"), SMALL["china_coastal_land"]),
        "equilibria": ({"model": cp, "geography": {"kind": "racetrack", "K": 25},
                        "study": {"kind": "equilibria"}}, None),
    }
    out = {}
    for name, (cfg, sets) in configs.items():
        path = folder / f"{name}.nc"
        run_study(cfg, sets, output=path, workers=1, quiet=True)
        out[name] = xr.load_dataset(path)
    return out


def _study_fig(ds, tmp_path, monkeypatch, sel=None):
    """`neg plot`'s figure of ``ds`` (kept open: the function closes it after saving)."""
    monkeypatch.setattr(plt, "close", lambda *a, **k: None)
    figs = []
    save = matplotlib.figure.Figure.savefig
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig",
                        lambda self, *a, **k: (figs.append(self), save(self, *a, **k))[1])
    plot_result(ds, tmp_path / "f.png", sel)
    return figs[-1]


# ----------------------------------------------------------------------------- titles
def test_figure_functions_title_the_model_and_its_fixed_parameters():
    ds = trace_ds(K=2)
    for fig in (nplot.heatmap(ds).figure, nplot.paths(ds).figure):
        title = title_of(fig)
        assert "CorePeriphery" in title and "2 regions" in title
        assert r"$\sigma$ = 5" in title and r"$\mu$ = 0.4" in title
        assert r"$\phi$ =" not in title  # phi is the axis: no single value
        assert "farmers" not in title  # per-region vectors are not key parameters
    ax = nplot.heatmap(ds, title="my own")
    assert ax.get_title().startswith("my own")
    assert nplot.paths(ds, title=False).get_title() == ""


def test_real_results_carry_their_title():
    model = neg.CorePeriphery(6.0, 0.3, phi=0.2)
    tr = neg.trace(model, "phi", np.linspace(0.1, 0.3, 5))
    title = nplot.paths(tr).get_title()
    assert r"CorePeriphery, 2 regions: $\sigma$ = 6, $\mu$ = 0.3" == title


def test_neg_plot_titles_the_model(studies, tmp_path, monkeypatch):
    fig = _study_fig(studies["racetrack"], tmp_path, monkeypatch)
    title = fig._suptitle.get_text()
    assert "racetrack.yaml" in title  # the study
    assert r"CorePeriphery, 16 regions (racetrack): $\sigma$ = 5, $\mu$ = 0.4" in title
    fig = _study_fig(studies["sweep_sigma_mu"], tmp_path, monkeypatch)
    title = fig._suptitle.get_text()
    assert "CorePeriphery" in title
    # sigma and mu are the axes, and the break/sustain points are values of phi: none of them has
    # a single value
    assert not re.search(r"\\(sigma|mu|phi)\$ =", title)
    fig = _study_fig(studies["china_coastal_land"], tmp_path, monkeypatch)
    assert r"Helpman, 31 regions (china): $\sigma$ = 5, $\mu$ = 0.75" in fig._suptitle.get_text()


# ----------------------------------------------------------------------------- labels and units
def test_sweep_axes_are_named_in_words():
    study = load_study(CONFIGS / "synchronisation.yaml", SMALL["synchronisation"])
    speed = next(a for a in study.axes if a.name == "migration_speed")
    assert (speed.long_name, speed.units) == (VARIABLES["migration_speed"].long_name, "1")
    study = load_study(CONFIGS / "relocation.yaml", SMALL["relocation"])
    assert study.axes[0].long_name == VARIABLES["speed"].long_name
    study = load_study(CONFIGS / "china_coastal_land.yaml", SMALL["china_coastal_land"])
    housing = next(a for a in study.axes if a.name == "housing_east")
    assert "model." not in housing.long_name and "housing" in housing.long_name
    assert housing.long_name.startswith("factor on the ") and housing.long_name.endswith(" in east")


def test_labels_read_old_files_with_config_keys():
    from neg.plot._base import _label

    ds = xr.Dataset(coords={"migration_speed": ("migration_speed", [0.0, 1.0],
                                                {"long_name": "study.migration_speed", "units": "1"})})
    assert _label(ds, "migration_speed") == VARIABLES["migration_speed"].long_name


def test_neg_plot_labels_in_words_with_units(studies, tmp_path, monkeypatch):
    fig = _study_fig(studies["china_coastal_land"], tmp_path, monkeypatch)
    assert raw_labels(fig) == []
    labels = [lab for ax in fig.axes for lab in (ax.get_xlabel(), ax.get_ylabel())]
    assert "longitude (°E)" in labels and "latitude (°N)" in labels
    assert any("(percentage points)" in lab for lab in labels)  # the colour bar of the change
    assert any(lab.startswith("factor on the housing") for lab in labels)


# ----------------------------------------------------------------------------- colour scales
def test_share_heat_map_fits_the_shares():
    ds = trace_ds(K=16)
    ((vmin, vmax, data),) = colour_limits(nplot.heatmap(ds).figure)
    assert vmin == 0.0 and vmax == pytest.approx(0.5)  # not 0..1: the largest share is 0.5
    assert data.max() == pytest.approx(vmax)


def test_change_heat_map_is_centred():
    ds = trace_ds(K=4).isel(direction=0)
    ds["lam_change"] = ds["lam"] - 0.25
    ds["lam_change"][:, 1] += 0.1  # asymmetric: -0.25 .. 0.35
    ((vmin, vmax, data),) = colour_limits(nplot.heatmap(ds, var="lam_change").figure)
    assert vmin == pytest.approx(-vmax) and vmax == pytest.approx(np.abs(data).max())


def test_break_and_sustain_points_on_one_fitted_scale(studies, tmp_path, monkeypatch):
    d = studies["sweep_sigma_mu"]
    fig = _study_fig(d, tmp_path, monkeypatch)
    values = np.concatenate([d[v].values.ravel() for v in ("break_point", "sustain_point")])
    values = values[np.isfinite(values)]
    limits = colour_limits(fig)
    assert len(limits) == 2
    for vmin, vmax, _ in limits:
        assert (vmin, vmax) == pytest.approx((values.min(), values.max()))
    assert_readable(fig)


def test_map_change_scale_is_centred_and_arrows_only_where_values_go_beyond():
    ds = xr.Dataset({"lam": ("region", [0.4, 0.3, 0.2, 0.1])},
                    coords={"lat": ("region", [40.4, 48.9, 52.5, 41.9]),
                            "lon": ("region", [-3.7, 2.35, 13.4, 12.5])})
    change = np.array([2.0, -1.0, 0.5, -0.2])
    fig = nplot.map(ds, colour=change, colour_label="change (percentage points)").figure
    ((vmin, vmax, _),) = colour_limits(fig)
    assert vmin == -vmax and 0 < vmax <= 2.0
    cb = next(ax._colorbar for ax in fig.axes if getattr(ax, "_colorbar", None) is not None)
    assert cb.extend == "max"  # values beyond the scale only above it


# ----------------------------------------------------------------------------- nothing clipped or overlapping
def test_equilibria_on_25_regions_are_readable(studies, tmp_path, monkeypatch):
    fig = _study_fig(studies["equilibria"], tmp_path, monkeypatch)
    ax = fig.axes[0]
    assert overlapping_tick_labels(fig) == []
    drawn = [t.get_text() for t in _drawn_tick_labels(ax.xaxis)]
    assert "r0" in drawn and len(drawn) >= 5  # thinned, not dropped
    assert ax.get_xlabel() == "region"
    assert_readable(fig)
    words = {t.get_text() for t in ax.get_legend().get_texts()}
    assert words == {"stable", "unstable"}  # 18 equilibria: the styles, not one entry each


@pytest.mark.parametrize("K", [8, 20, 40])
def test_heat_map_labels_the_regions_without_overlap(K):
    fig = nplot.heatmap(trace_ds(K=K)).figure
    drawn = [t.get_text() for t in _drawn_tick_labels(fig.axes[0].yaxis)]
    assert drawn[0] == "r0" and len(drawn) >= min(K, 8)
    assert_readable(fig)


def test_map_example_labels_stay_inside():
    """docs/plots.md's map example: four capitals, names written next to the dots."""
    geo = neg.Geography.from_coordinates([40.4, 48.9, 52.5, 41.9], [-3.7, 2.35, 13.4, 12.5],
                                         names=["Madrid", "Paris", "Berlin", "Rome"])
    ds = xr.Dataset({"lam": (("time", "region"), [[0.25] * 4, [0.14, 0.44, 0.21, 0.21]])},
                    coords={"time": [0.0, 30.0], "region": list(geo.names)},
                    attrs={**CP_ATTRS, "geography": "coordinates",
                           "model_params": CP_ATTRS["model_params"].replace("0.5, 0.5", "0.25")})
    fig = nplot.map(ds, geography=geo, labels=True).figure
    assert {t.get_text() for t in fig.axes[0].texts} == {"Madrid", "Paris", "Berlin", "Rome"}
    assert texts_outside(fig) == []
    assert_readable(fig)
    assert "CorePeriphery" in title_of(fig) and "$t$ = 30" in title_of(fig)


def test_tomahawk_title_and_legend_do_not_collide():
    phi = np.linspace(0.05, 0.5, 20)
    ds = xr.Dataset({"phi": (("branch", "point"), phi[None]),
                     "lam": (("branch", "point", "region"), np.full((1, 20, 2), 0.5)),
                     "stable": (("branch", "point"), (phi < 0.2)[None]),
                     "special_kind": ("special", ["branch"]), "special_value": ("special", [0.2]),
                     "special_lam": (("special", "region"), [[0.5, 0.5]])},
                    coords={"region": ["r0", "r1"]}, attrs={**CP_ATTRS, "param": "phi"})
    fig = nplot.tomahawk(ds).figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    ax = fig.axes[0]
    assert "CorePeriphery" in ax.get_title()
    assert not ax.title.get_window_extent(r).overlaps(ax.get_legend().get_window_extent(r))
    assert_readable(fig)


@pytest.mark.parametrize("name", ["racetrack", "relocation", "china_coastal_land"])
def test_neg_plot_figures_are_readable(studies, name, tmp_path, monkeypatch):
    assert_readable(_study_fig(studies[name], tmp_path, monkeypatch))


def test_study_figure_still_saves(studies, tmp_path):
    out, notes = study_figure(studies["racetrack"], tmp_path / "r.png")
    assert out.stat().st_size > 1000 and notes == []


def test_neg_plot_of_a_grouped_state_draws_its_components(tmp_path, monkeypatch):
    """configs/spread_of_industry.yaml: lam over (time, state), no region dim on it (neg plot
    failed with "Dimensions {'region'} do not exist")."""
    states = [f"r{r}/{k}" for r in range(4) for k in ("agriculture", "ind1", "ind2")]
    t = np.linspace(0, 30, 7)
    lam = np.tile(np.r_[[0.8, 0.1, 0.1], [1.0, 0.0, 0.0] * 3], (t.size, 1))
    ds = xr.Dataset({"lam": (("time", "state"), lam),
                     "wage": (("time", "region"), np.ones((t.size, 4)))},
                    coords={"time": t, "state": states, "group": ("state", np.repeat(np.arange(4), 3)),
                            "region": [f"r{r}" for r in range(4)]},
                    attrs={"study_kind": "simulate", "model": "multi_industry", "geography": "line",
                           "config": "model: {name: multi_industry, sigma: 5.0, phi: 0.5, demand: 0.0}\n",
                           "scheduled": '["demand"]', "title": "neg simulate study (soi.yaml)"})
    fig = _study_fig(ds, tmp_path, monkeypatch)
    assert r"MultiIndustry, 4 regions (line): $\sigma$ = 5, $\phi$ = 0.5" in fig._suptitle.get_text()
    ax = fig.axes[0]
    assert ax.get_ylabel() == VARIABLES["state"].long_name
    assert "r0/agriculture" in [t.get_text() for t in _drawn_tick_labels(ax.yaxis)]
    ((vmin, vmax, _),) = colour_limits(fig)
    assert (vmin, vmax) == (0.0, 1.0)
    assert_readable(fig)
