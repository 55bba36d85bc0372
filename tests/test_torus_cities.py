"""Cities on a plain (issue 13, item 4): configs/torus_cities.yaml at a small size, against the
known answers. On a torus the uniform state's first unstable Fourier mode is the checkerboard
(wave vector (n/2, n/2)) at the closed-form break point, and just past it the long run settles on
every other cell (K/2 equal cities); on the racetrack of 16 regions the number of cities halves
as freeness rises: 16, 8, 4, 2, 1 (period doubling; Akamatsu, Takayama & Ikeda 2012)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from _study_support import CONFIGS, SMALL
from test_core_periphery import fkv_break_point
from test_lattice_spectrum import torus_break_point

import neg
from neg.solvers.spectrum import circulant_modes
from neg.study import run_study


@pytest.fixture(scope="module")
def cities(tmp_path_factory):
    path = tmp_path_factory.mktemp("torus") / "torus_cities.nc"
    run_study(CONFIGS / "torus_cities.yaml", SMALL["torus_cities"], output=path, workers=1, quiet=True)
    return xr.load_dataset(path)


def test_first_unstable_mode_of_the_torus_is_the_checkerboard():
    m = neg.CorePeriphery(5.0, 0.4, phi=0.1, geography=neg.Geography.torus(8, 8))
    phi_b = neg.break_point(m)
    assert phi_b == pytest.approx(torus_break_point(fkv_break_point(5.0, 0.4), 8, 8), rel=1e-10)
    above = m.replace(phi=1.01 * phi_b)
    lam = above.symmetric_state()
    mu, modes = circulant_modes(above, lam, neg.short_run(above, lam, tol=1e-14))
    k = int(np.argmax(mu.real))
    assert modes.wave(k + 1) == (4, 4) and mu[k].real > 0
    assert np.sum(mu.real > 0) == 1  # only the checkerboard has lost stability


def test_torus_config_settles_into_the_known_patterns(cities):
    lam = cities["lam"].transpose("phi", "region").values
    assert bool(cities["converged"].all()) and bool(cities["stable"].all())
    assert list(cities["phi"].values) == [0.03, 0.04, 0.5]
    np.testing.assert_allclose(lam[0], 1 / 64, rtol=1e-8)  # below the break: uniform
    r, c = np.divmod(np.arange(64), 8)
    occupied = lam[1] > 0  # just past the break: 32 cities on the checkerboard's black cells
    assert occupied.sum() == 32 and len(set(((r + c) % 2)[occupied])) == 1
    assert 1 <= np.sum(lam[2] > 0) <= 4  # freer trade: a few large cities


def test_racetrack_period_doubling():
    """The stable pattern traced up in phi on 16 regions: 16, 8, 4, 2, 1 cities, each step
    keeping some of the last's cities (the 8 alternate in size, as the next doubling nears)."""
    m = neg.CorePeriphery(5.0, 0.4, phi=0.3, geography=neg.Geography.racetrack(16))
    ds = neg.trace(m, "phi", [0.05, 0.09, 0.14, 0.4, 0.7], direction="up")
    lam = ds["lam"].sel(direction="up").values
    counts = [int(np.sum(row > 0)) for row in lam]
    assert counts == [16, 8, 4, 2, 1]
    for before, after in zip(lam[:-1], lam[1:], strict=True):
        assert np.all(before[after > 0] > 0)  # the survivors were cities before
    for row in lam[2:]:  # 4, 2, 1 equal cities, equally spaced
        cities = np.flatnonzero(row > 0)
        np.testing.assert_allclose(row[cities], 1 / cities.size, rtol=1e-8)
        assert len(set(np.diff(np.append(cities, cities[0] + 16)))) == 1
