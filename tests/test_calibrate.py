"""neg.calibrate: fundamentals recovered from data (Redding & Rossi-Hansberg 2017, sec. 4;
ARSW 2015, sec. 4): planted amenities and productivities come back to 1e-8 on random
geographies, the data are then an exact equilibrium, an independent solver of Helpman's
equations agrees, and data that cannot be an equilibrium get a clear error."""

import warnings

import numpy as np
import pytest
from conftest import random_geography
from scipy.optimize import fsolve
from test_fundamentals import every_model

import neg
from neg.solvers import matrix_scaling
from neg.solvers.matrix_scaling import scale_to_margins


def _geomean_one(x):
    return x / np.exp(np.mean(np.log(x)))


def planted(model, seed=0, spread=0.3):
    """(model with random productivity, lam, gdp): the data of a planted economy. lam is a random
    interior state; the planted amenities are those that make it an equilibrium (computed here
    from the short run, independently of neg.calibrate), so (lam, gdp) are exactly the data of an
    equilibrium with known fundamentals."""
    rng = np.random.default_rng(seed)
    K = model.K
    A = _geomean_one(np.exp(rng.normal(0.0, spread, K)))
    lam = rng.dirichlet(np.full(K, 5.0))
    m = model.replace(productivity=A)
    sr = neg.short_run(m, lam, tol=1e-14)
    if neg.Capability.QUASI_LINEAR in m.capabilities:
        B = np.exp(sr.payoff.mean() - sr.payoff)
    else:
        B = _geomean_one(1.0 / sr.payoff)
    m = m.replace(amenity=B)
    gdp = m.regional_accounts(sr, lam)["gdp"]
    return m, lam, gdp


def single_state_models(geo):
    """Every model of tests/test_fundamentals.py whose state is one distribution over regions."""
    return [m for m in every_model(geo) if m.state_is_regions()]


SINGLE_IDS = [f"{m.name}-{getattr(m, 'rents', '')}" for m in single_state_models(neg.Geography.line(3))]


@pytest.mark.parametrize("K", [5, 20, 200])
@pytest.mark.parametrize("rents", ["local", "national"])
def test_helpman_planted_fundamentals_recovered(K, rents):
    """Helpman (the quantitative model: all labour mobile, housing fixed): both fundamentals
    back to 1e-8 by matrix scaling, lam an exact equilibrium that the long run keeps."""
    geo = random_geography(K, seed=K)
    housing = np.random.default_rng(K).dirichlet(np.full(K, 3.0))
    truth, lam, gdp = planted(neg.Helpman(5.0, 0.75, phi=0.3, geography=geo, housing=housing, rents=rents),
                              seed=K)
    cal = neg.calibrate(truth.replace(amenity=None, productivity=None), lam * 1e4, gdp=gdp * 7.0,
                        stability=K <= 20)
    assert cal.method == "matrix scaling" and cal.converged and cal.unique
    assert cal.residual <= 1e-10
    np.testing.assert_allclose(cal.model.productivity, truth.productivity, rtol=1e-8)
    np.testing.assert_allclose(cal.model.amenity, truth.amenity, rtol=1e-8)
    eq = neg.long_run(cal.model, lam0=lam, stability=False)
    np.testing.assert_allclose(eq.lam, lam, rtol=1e-10)
    ds = cal.fundamentals
    assert ds.sizes == {"region": K}
    np.testing.assert_allclose(ds.model_gdp_share, ds.gdp_share, rtol=1e-10)
    assert abs(np.mean(np.log(ds.productivity.values))) < 1e-12
    assert abs(np.mean(np.log(ds.amenity.values))) < 1e-12
    assert ds.amenity.attrs["long_name"] == "amenity"


@pytest.mark.parametrize("K", [5, 20])
@pytest.mark.parametrize("index", range(len(SINGLE_IDS)), ids=SINGLE_IDS)
def test_every_single_state_model_planted(index, K):
    """Every model whose state is one distribution over the regions: the root-finder on the
    model's own short run (matrix scaling for Helpman) recovers the planted fundamentals."""
    model = single_state_models(random_geography(K, seed=3))[index]
    truth, lam, gdp = planted(model, seed=K, spread=0.2)
    cal = neg.calibrate(model, lam, gdp=gdp, stability=False)
    assert cal.converged and cal.residual <= 1e-10 and cal.unique
    np.testing.assert_allclose(cal.model.productivity, truth.productivity, rtol=1e-8)
    np.testing.assert_allclose(cal.model.amenity, truth.amenity, rtol=1e-8)
    sr = neg.short_run(cal.model, lam, tol=1e-14)
    assert np.ptp(sr.payoff) <= 1e-10 * np.abs(sr.payoff).max()


@pytest.mark.parametrize("index", range(len(SINGLE_IDS)), ids=SINGLE_IDS)
def test_lam_alone_recovers_amenities_or_productivities(index):
    """With lam alone: amenities at the model's productivities (closed form), or productivities
    at its amenities (free="productivity")."""
    truth, lam, _ = planted(single_state_models(random_geography(8, seed=4))[index], seed=8)
    cal = neg.calibrate(truth.replace(amenity=None), lam)
    assert cal.method == "closed form" and cal.converged and cal.iterations == 0
    np.testing.assert_allclose(cal.model.amenity, truth.amenity, rtol=1e-10)
    cal = neg.calibrate(truth.replace(productivity=None), lam, free="productivity", stability=False)
    assert cal.converged and cal.unique
    np.testing.assert_allclose(cal.model.productivity, truth.productivity, rtol=1e-8)


def _helpman_by_fsolve(model, lam, gdp):
    """An independent solver of Helpman's equations (local rents) for the productivities:
    unknowns log w and log A (mean 0), equations w^s = mu c Phi (Y G^(s-1)),
    G^(1-s) = Phi^T (lam c w^(1-s)), Y = lam w / mu, GDP shares = Y / sum Y (scipy's fsolve)."""
    s, mu, K = model.sigma, model.mu, model.K
    Phi = model.phi ** model.geography.distance
    share = gdp / gdp.sum()

    def eqs(z):
        x, b = z[:K], z[K:]
        w, c = np.exp(x), np.exp((s - 1.0) * b)
        G1 = Phi.T @ (lam * c * w ** (1.0 - s))
        Y = lam * w / mu
        r1 = s * x - np.log(mu * c * (Phi @ (Y / G1)))
        r2 = np.log(Y / Y.sum()) - np.log(share)
        r2[-1] = b.mean()
        r3 = np.log((lam * w).sum())  # the numeraire
        return np.concatenate([r1[:-1], [r3], r2])

    z = fsolve(eqs, np.zeros(2 * K), xtol=1e-12)
    assert np.max(np.abs(eqs(z))) < 1e-10
    return np.exp(z[K:])


def test_matches_an_independent_solver():
    geo = random_geography(6, seed=11)
    truth, lam, gdp = planted(neg.Helpman(4.0, 0.7, phi=0.5, geography=geo), seed=2)
    cal = neg.calibrate(truth.replace(amenity=None, productivity=None), lam, gdp=gdp)
    np.testing.assert_allclose(cal.model.productivity, _helpman_by_fsolve(truth, lam, gdp), rtol=1e-9)


@pytest.mark.parametrize("symmetric", [True, False])
def test_matrix_scaling_meets_both_margins(symmetric):
    """a (Phi (E / Phi^T a)) = E: row and column sums of diag(a) Phi diag(E / Phi^T a) are E."""
    K = 40
    geo = random_geography(K, seed=5)
    D = geo.distance if symmetric else geo.distance * (1.0 + 0.5 * np.random.default_rng(0).random((K, K)))
    with warnings.catch_warnings():  # the asymmetric case warns that freeness differs by direction
        warnings.simplefilter("ignore", UserWarning)
        op = neg.Geography.from_distances(D).freeness(0.2)
    E = np.random.default_rng(1).lognormal(size=K)
    a, res, it = scale_to_margins(op, E, tol=1e-13)
    X = a[:, None] * op.matrix * (E / op.tdot(a))[None, :]
    np.testing.assert_allclose(X.sum(1), E, rtol=1e-12)
    np.testing.assert_allclose(X.sum(0), E, rtol=1e-12)
    assert res <= 1e-13 and abs(np.mean(np.log(a))) < 1e-12
    a2 = scale_to_margins(op, E, tol=1e-13, start=np.exp(np.linspace(-1, 1, K)))[0]
    np.testing.assert_allclose(a2, a, rtol=1e-10)  # unique up to scale (Sinkhorn 1967)


@pytest.mark.parametrize("rank", [3, 12, 400])
def test_low_rank_newton_scaling_meets_the_margins(rank):
    """Symmetric scaling preconditioned by a rank-r model of Phi (r = 3, 12 and the cap
    sqrt(3 K) = 30) converges by itself (no fallback), meets the margins to 1e-12 and agrees
    with the plain two-sided map run on the same problem (both have geometric mean 1)."""
    from neg.solvers.matrix_scaling import _symmetric_scaling
    K = 300
    op = random_geography(K, seed=3).freeness(0.1)
    assert op.symmetric
    E = np.random.default_rng(2).lognormal(0.0, 0.7, K)
    assert _symmetric_scaling(op, np.log(E), 1e-13, 100, 8, rank, None)[1] <= 1e-13
    a, res, it = scale_to_margins(op, E, tol=1e-13, rank=rank)
    X = a[:, None] * op.matrix * (E / op.tdot(a))[None, :]
    np.testing.assert_allclose(X.sum(1), E, rtol=1e-12)
    np.testing.assert_allclose(X.sum(0), E, rtol=1e-12)
    assert res <= 1e-13
    # the two-sided map (taken for margins that differ by a rounding error) reaches the same a
    b = scale_to_margins(op, E, E * (1.0 + 1e-16 * (np.arange(K) == 0)), tol=1e-13)[0]
    np.testing.assert_allclose(a, b, rtol=1e-10)


def test_low_rank_model_of_the_freeness_matrix():
    """_low_rank: G^T G + diag(rest) reproduces Phi exactly at full rank; below it keeps the
    diagonal exact, rest >= 0, and the error is the positive semidefinite remainder."""
    from neg.solvers.matrix_scaling import _low_rank
    M = random_geography(60, seed=4).freeness(0.2).matrix
    G, rest = _low_rank(M, 60)
    np.testing.assert_allclose(G.T @ G + np.diag(rest), M, atol=1e-9)
    G, rest = _low_rank(M, 10)
    assert G.shape == (10, 60) and np.all(rest >= 0)
    np.testing.assert_allclose(np.diag(G.T @ G) + rest, np.diag(M), rtol=1e-12)
    assert np.linalg.eigvalsh(M - G.T @ G).min() > -1e-9


def test_freeness_operator_knows_its_symmetry():
    geo = random_geography(30, seed=6)
    assert geo.freeness(0.3).symmetric
    D = geo.distance.copy()
    D[3, 29] += 0.1
    with pytest.warns(UserWarning, match="not symmetric"):
        asymmetric = neg.Geography.from_distances(D)
    assert not asymmetric.freeness(0.3).symmetric
    assert neg.Geography.grid(4, 5).freeness(0.3).symmetric
    assert neg.Geography.grid(4, 5, operator="structured").freeness(0.3).symmetric


def test_observed_state_stability_and_counterfactual():
    """The calibrated equilibrium's stability is that of neg.stability; a counterfactual by
    continuation from the data with no change stays at the data, and a small change of the
    trade cost moves it only a little."""
    geo = random_geography(7, seed=9)
    truth, lam, gdp = planted(neg.Helpman(5.0, 0.75, phi=0.3, geography=geo), seed=4)
    cal = neg.calibrate(truth.replace(amenity=None, productivity=None), lam, gdp=gdp)
    stable, eig = neg.stability(cal.model, lam)
    assert cal.stable == stable and cal.stable
    np.testing.assert_allclose(np.sort(cal.eigenvalues.real), np.sort(eig.real), atol=1e-8)
    np.testing.assert_allclose(cal.equilibrium().lam, lam, rtol=1e-10)
    same = cal.counterfactual(steps=2, phi=0.3)
    np.testing.assert_allclose(same.lam, lam, atol=1e-9)
    near = cal.counterfactual(steps=4, phi=0.31)
    assert near.converged and 0 < np.abs(near.lam - lam).max() < 0.05


def _cut_off():
    D = random_geography(4, seed=1).distance.copy()
    D[0, 1:] = D[1:, 0] = 1e4  # 0.3**1e4 underflows: region 0 trades with no one
    return neg.Geography.from_distances(D)


@pytest.mark.parametrize("make, message", [
    (lambda m: neg.calibrate(m, [0.3, 0.3, 0.4]), "lam: expected 4 values"),
    (lambda m: neg.calibrate(m, [0.3, np.nan, 0.2, 0.5]), r"lam: NaN or infinite value in region\(s\) \[1\]"),
    (lambda m: neg.calibrate(m, [0.3, 0.0, 0.2, 0.5]), r"lam: region\(s\) \[1\] have a zero"),
    (lambda m: neg.calibrate(m, [1, 1, 1, 1], gdp=[1, 2, 3]), "gdp: expected 4 values"),
    (lambda m: neg.calibrate(m, [1, 1, 1, 1], gdp=[1, 2, 3, 4], free="amenity"),
     "free: with gdp, both amenity and productivity"),
    (lambda m: neg.calibrate(m, [1, 1, 1, 1], free=("amenity", "housing")), "free: a subset of"),
    (lambda m: neg.calibrate(m.replace(share_cap=[0.1, 1, 1, 1]), [0.4, 0.2, 0.2, 0.2]),
     r"lam: region\(s\) \[0\] exceed their share_cap"),
    (lambda m: neg.calibrate(m.replace(geography=_cut_off()), [1, 1, 1, 1]),
     r"geography: region\(s\) \[0\] are cut off"),
    (lambda m: neg.calibrate(neg.MultiIndustry(5.0, [0.2, 0.3], phi=0.3, geography=m.geography),
                             [1, 1, 1, 1]),
     "MultiIndustry: calibrate needs one distribution"),
    (lambda m: neg.calibrate(m, [1, 1, 1, 1], tol=-1), "tol: must be > 0"),
])
def test_data_that_cannot_be_an_equilibrium(make, message):
    model = neg.Helpman(5.0, 0.75, phi=0.3, geography=random_geography(4, seed=1))
    with pytest.raises(ValueError, match=message):
        make(model)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-14), (np.float32, np.sqrt(500) * 2.0**-24)])
def test_lower_panels_multiply_by_the_symmetric_matrix(dtype, rtol):
    """Products from the lower triangle by panels (7 panels of about 70 rows, the last one 500
    wide) equal the full product within a matrix-vector product's error in that precision,
    sqrt(K) u; float64 panels are views of the matrix (no copy)."""
    M = random_geography(500, seed=3).freeness(0.3).matrix
    x = np.random.default_rng(4).lognormal(0.0, 1.0, 500)
    panels = matrix_scaling._LowerPanels(M, dtype, block=70)
    assert len(panels.panels) == 7 and panels.panels[-1][2].shape == (72, 500)
    assert (dtype == np.float64) == all(np.shares_memory(P, M) for _, _, P in panels.panels)
    y = panels @ x
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, M @ x, rtol=rtol)


@pytest.mark.parametrize("K, panels", [(500, 1), (1200, 2)])
def test_mixed_precision_scaling_bounds_its_float64_residual(K, panels):
    """Symmetric scaling in float64 at an operator's first inversion, in mixed precision from its
    second (float32 products, one float64 product, float32 updates with a summed error bound),
    its products read from the lower triangle by panels of about 750 rows: the residual it
    reports bounds the one recomputed in float64, the margins are met, the two agree, and so
    does the two-sided map (with its float32 phase)."""
    op = random_geography(K, seed=7).freeness(0.3)
    E = np.random.default_rng(8).lognormal(0.0, 0.5, K)
    counts = {}
    first, res, it = scale_to_margins(op, E, tol=1e-11, counts=counts)
    # an operator's first inversion is in float64 throughout and makes no float32 copy
    assert res <= 1e-11 and counts == {"single": 0, "double": it}
    assert np.float32 not in matrix_scaling._PREPARED[op]
    a, res, it = scale_to_margins(op, E, tol=1e-11, counts=counts)  # the second makes and uses it
    kept = matrix_scaling._PREPARED[op]
    assert len(kept[np.float32].panels) == len(kept[np.float64].panels) == panels
    assert all(P.dtype == np.float32 for _, _, P in kept[np.float32].panels)
    assert res <= 1e-11 and counts["single"] >= 1 and counts["double"] >= 1
    assert counts["single"] + counts["double"] == it
    np.testing.assert_allclose(a, first, rtol=1e-10)
    u = np.log(a)
    r = u + np.log(op.matrix @ a) - np.log(E)  # a = c d: r is constant 2 log c plus the residual
    assert np.max(np.abs(r - np.mean(r))) <= 2.0 * res
    b = scale_to_margins(op, E, E * (1.0 + 1e-16 * (np.arange(K) == 0)), tol=1e-12)[0]
    np.testing.assert_allclose(a, b, rtol=1e-10)
    assert op.isolated.size == 0
