"""Property-based tests (hypothesis): symmetry, simplex, invariants."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import neg

settings.register_profile("neg", deadline=None, max_examples=25, derandomize=True)
settings.load_profile("neg")

phis = st.floats(0.02, 0.98)
seeds = st.integers(0, 10_000)


def _geo(K, seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(size=(K, 2))
    return neg.Geography.from_distances(3 * np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)))


@given(seed=seeds, phi=phis)
def test_permuting_regions_permutes_results(seed, phi):
    K = 5
    rng = np.random.default_rng(seed)
    geo = _geo(K, seed)
    lam, farmers = rng.dirichlet(np.ones(K)), rng.dirichlet(np.ones(K))
    p = rng.permutation(K)
    m = neg.CorePeriphery(4.0, 0.3, phi=phi, geography=geo, farmers=farmers)
    mp = neg.CorePeriphery(4.0, 0.3, phi=phi, farmers=farmers[p],
                           geography=neg.Geography.from_distances(geo.distance[np.ix_(p, p)]))
    a, b = m.short_run(lam), mp.short_run(lam[p])
    for field in ("wage", "income", "price_index", "real_wage"):
        np.testing.assert_allclose(getattr(b, field), getattr(a, field)[p], rtol=1e-11)


@given(seed=seeds, phi=phis)
def test_long_run_stays_on_the_simplex(seed, phi):
    K = 4
    rng = np.random.default_rng(seed)
    m = neg.CorePeriphery(5.0, 0.4, phi=phi, geography=_geo(K, seed))
    eq = neg.long_run(m, rng.dirichlet(np.ones(K)), stability=False, max_steps=400)
    assert np.all(eq.lam >= 0)
    assert abs(eq.lam.sum() - 1.0) <= 1e-12


@given(phi=st.floats(0.001, 1.0), K=st.sampled_from([3, 4, 6, 8, 16]))
def test_uniform_is_an_equilibrium_of_every_racetrack(phi, K):
    m = neg.CorePeriphery(5.0, 0.4, phi=phi, geography=neg.Geography.racetrack(K))
    sr = m.short_run(np.full(K, 1.0 / K))
    assert sr.converged
    np.testing.assert_allclose(sr.real_wage, sr.real_wage[0], rtol=1e-12)
    np.testing.assert_allclose(sr.wage, 1.0, rtol=1e-12)
