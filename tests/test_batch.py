"""The batched short run: locality order, warm starts along the path, and the kernels' scratch."""

import numba
import numpy as np
import pytest
from conftest import random_geography, random_simplex

import neg
from neg.kernels import work_size
from neg.solvers.fixed_point import locality_order
from neg.state import StateSpace

SIGMA, MU = 5.0, 0.4


def _models():
    """One instance of every registered model, on three regions of a random geography."""
    geo = random_geography(3, seed=4)
    return [
        neg.CorePeriphery(SIGMA, MU, phi=0.4, geography=geo, cost=[0.0, 0.1, 0.0]),
        neg.FootlooseEntrepreneur(SIGMA, MU, phi=0.4, geography=geo),
        neg.FootlooseCapital(SIGMA, MU, phi=0.4, geography=geo),
        neg.Pflueger(SIGMA, phi=0.4, geography=geo),
        neg.VerticalLinkages(SIGMA, 0.3, 0.4, phi=0.4, geography=geo),
        neg.VerticalLinkages(SIGMA, 0.3, 0.4, phi=0.4, geography=geo, labour="immobile", eta=0.7),
        neg.Helpman(4.0, 0.7, phi=0.5, geography=geo),
        neg.HeadquartersPlant(sigma=4.0, mu=0.4, phi=0.5, geography=geo, communication=2.0),
        neg.MultiIndustry(4.0, [0.1, 0.2], io=[[0.1, 0.05], [0.0, 0.2]], phi=0.5, geography=geo,
                         eta=0.7),
        neg.Linear(phi=0.8, geography=geo),
        neg.FujitaThisse(phi=0.8, geography=geo, core=2, unskilled_wage=[0.7, 1.0, 0.9]),
    ]


def test_every_model_is_covered():
    assert {type(m) for m in _models()} == set(neg.REGISTRY.values())


@pytest.mark.parametrize("model", _models(), ids=lambda m: type(m).__name__)
def test_fixed_point_maps_write_their_scratch_before_reading_it(model):
    """The scratch ``work`` comes from the solver with undefined contents: the map's value
    must not depend on them (and must stay inside work_size(m, K))."""
    sym = model.symmetric_state()
    lam = StateSpace.of(model).project(0.6 * sym + 0.4 * random_simplex(sym.size, 1))
    x = model.initial_state(lam) + 0.01
    par, reg = model.kernel_args()
    Phi = model.freeness_operator.kernel_arg
    n = x.size
    outs = []
    for fill in (np.nan, 0.0, 1e300):
        work = np.full(work_size(n, model.K) + 8, fill)
        out = np.empty(n)
        model.fixed_point_map(x, lam, par, reg, Phi, out, work)
        assert np.all(work[work_size(n, model.K):] == fill) or np.isnan(fill)
        outs.append(out)
    assert np.all(np.isfinite(outs[0]))
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[0], outs[2])


def test_locality_order_is_a_permutation_along_a_short_path():
    rng = np.random.default_rng(0)
    n = 2500
    pts = rng.random((n, 2))
    order = locality_order(pts)
    assert sorted(order.tolist()) == list(range(n))

    def length(o):
        return float(np.sum(np.linalg.norm(np.diff(pts[o], axis=0), axis=1)))

    # a random order walks ~0.52 per step; the snake path about 2/sqrt(n) per step
    assert length(order) < 3.0 * np.sqrt(n)
    assert length(order) < 0.1 * length(np.arange(n))


def test_locality_order_of_one_varying_input_sorts_it_and_of_none_is_the_identity():
    x = np.random.default_rng(1).random(50)
    order = locality_order(np.column_stack([x, np.full(50, 3.0)]))
    assert np.all(np.diff(x[order]) > 0)
    np.testing.assert_array_equal(locality_order(np.ones((7, 3))), np.arange(7))
    crowded = np.concatenate([np.random.default_rng(2).random(3000) * 1e-6, [1.0]])
    assert np.all(np.diff(crowded[locality_order(crowded[:, None])]) > 0)  # one bucket: sorted


def _random_points(n: int, seed: int):
    """(phi, lam) for n random two-region points, in random order."""
    rng = np.random.default_rng(seed)
    l1 = rng.uniform(0.0, 1.0, n)
    return rng.uniform(0.05, 0.95, n), np.column_stack([l1, 1.0 - l1])


def test_random_order_batch_equals_independent_solves_in_input_order():
    m = neg.CorePeriphery(SIGMA, MU, phi=0.5)
    phi, lam = _random_points(300, seed=2)
    batch = neg.short_run_batch(m, lam=lam, phi=phi)
    assert np.all(batch.converged) and np.all(batch.residual <= 1e-12)
    cold = neg.short_run_batch(m, lam=lam, phi=phi, warm=False)
    assert np.mean(batch.iterations) < np.mean(cold.iterations)
    for i in range(0, 300, 37):
        single = m.replace(phi=phi[i]).short_run(lam[i])
        np.testing.assert_allclose(batch.wage[i], single.wage, rtol=1e-10)
        np.testing.assert_allclose(batch.real_wage[i], single.real_wage, rtol=1e-10)
        np.testing.assert_array_equal(batch.lam[i], lam[i])


def test_batch_does_not_depend_on_the_number_of_threads_or_the_input_order():
    m = neg.CorePeriphery(SIGMA, MU, phi=0.5)
    phi, lam = _random_points(500, seed=3)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = neg.short_run_batch(m, lam=lam, phi=phi)
    finally:
        numba.set_num_threads(threads)
    both = neg.short_run_batch(m, lam=lam, phi=phi)
    np.testing.assert_array_equal(one.state, both.state)
    perm = np.random.default_rng(4).permutation(500)
    shuffled = neg.short_run_batch(m, lam=lam[perm], phi=phi[perm])
    np.testing.assert_allclose(shuffled.wage, both.wage[perm], rtol=1e-10)


def test_batch_of_grouped_states_equals_independent_solves():
    m = neg.HeadquartersPlant(sigma=4.0, mu=0.4, phi=0.5, geography=neg.Geography.line(3),
                              communication=2.0)
    space = StateSpace.of(m)
    rng = np.random.default_rng(5)
    states = np.stack([space.project(m.symmetric_state() * rng.uniform(0.5, 1.5, space.n))
                       for _ in range(20)])
    batch = neg.short_run_batch(m, lam=states)
    for i in range(0, 20, 3):
        np.testing.assert_allclose(batch.payoff[i], m.short_run(states[i]).payoff, rtol=1e-10)


def test_unconverged_batch_points_say_so():
    m = neg.CorePeriphery(SIGMA, MU, phi=0.5)
    lam = np.column_stack([np.linspace(0.05, 0.95, 40), 1 - np.linspace(0.05, 0.95, 40)])
    sol = neg.short_run_batch(m, lam=lam, max_iter=1, tol=1e-14)
    assert not np.any(sol.converged)
    assert np.all(sol.residual > 1e-14) and np.all(sol.iterations == 1)
