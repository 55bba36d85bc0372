import numpy as np
import pytest

import neg
from neg.kernels import work_size


def random_geography(K: int, seed: int, longest: float = 3.0) -> neg.Geography:
    """K random points in the unit square, distances scaled so the longest is ``longest``."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(size=(K, 2))
    D = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    return neg.Geography.from_distances(D * longest / D.max())


def random_geographies(seed: int, K: int = 5):
    """Two random geographies of K regions: great-circle distances between random points of the
    globe (in units of 2000 km) and plane distances between random points of a 3 x 3 square."""
    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(-60, 60, K), rng.uniform(-180, 180, K)
    yield neg.Geography.from_coordinates(lat, lon, unit_km=2000.0)
    pts = rng.uniform(0, 3, (K, 2))
    yield neg.Geography.from_distances(np.linalg.norm(pts[:, None] - pts[None], axis=-1))


def assert_short_runs_match(model, lam, reference: dict, rtol: float, max_iterations=None):
    """Every short-run method (Anderson, damped, Newton) converges, within ``max_iterations`` if
    given, to the ``reference`` values of the ShortRun fields (an independent solver's)."""
    for method in ("anderson", "damped", "newton"):
        sr = model.short_run(lam, method=method)
        assert sr.converged, (method, sr.residual)
        if max_iterations is not None:
            assert sr.iterations <= max_iterations, (method, sr.iterations)
        for key, val in reference.items():
            np.testing.assert_allclose(getattr(sr, key), val, rtol=rtol, err_msg=key)


def random_simplex(K: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).dirichlet(np.ones(K))


@pytest.fixture
def cp2():
    return neg.CorePeriphery(5.0, 0.4, phi=0.3)


def assert_jacobian_matches_finite_differences(model, x, lam, *, rtol, atol, h=1e-6):
    """The model's analytic Jacobian kernel equals central differences of its fixed-point map."""
    x = np.asarray(x, dtype=float)
    lam = np.asarray(lam, dtype=float)
    par, reg = model.kernel_args()
    Phi = model.freeness_operator.kernel_arg
    n = x.size
    J = np.empty((n, n))
    model.jacobian_kernel(x, lam, par, reg, Phi, J)
    fp, fm = np.empty(n), np.empty(n)
    work = np.full(work_size(n, model.K), np.nan)  # scratch: the map must not read it first
    for k in range(n):
        e = np.zeros(n)
        e[k] = h
        model.fixed_point_map(x + e, lam, par, reg, Phi, fp, work)
        model.fixed_point_map(x - e, lam, par, reg, Phi, fm, work)
        np.testing.assert_allclose(J[:, k], (fp - fm) / (2 * h), rtol=rtol, atol=atol)
