"""Lattice geographies without a K x K matrix, and their structured freeness operators: the
structure kept, distances as before, the dense matrix only when asked (and refused above the
limit), and products, short runs (wages and real wages), Jacobians and long runs that agree with
the dense operator to 1e-10 relative on every lattice kind and metric, agglomerated states with
empty far cells included."""

import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
from numba import njit

import neg
from neg.operators import (
    MAX_DENSE_REGIONS,
    FreenessOperator,
    Lattice,
    freeness_dot_block,
    freeness_entry,
    freeness_tdot_block,
)

sys.path.insert(0, str(Path(__file__).parent))
from test_fundamentals import every_model  # noqa: E402

RTOL = 1e-10


def _lattices():
    """Every lattice kind and metric, with odd and even periodic axes."""
    out = [("line", Lattice(1, 37)), ("racetrack-odd", Lattice(1, 31, (False, True))),
           ("racetrack-even", Lattice(1, 30, (False, True)))]
    for metric in ("manhattan", "euclidean", "chessboard"):
        out.append((f"grid-{metric}", Lattice(5, 7, (False, False), metric)))
        out.append((f"torus-{metric}", Lattice(6, 5, (True, True), metric)))
    return out


LATTICES = _lattices()
LIDS = [name for name, _ in LATTICES]


def _geographies(operator):
    G, metrics = neg.Geography, ("manhattan", "euclidean", "chessboard")
    return [G.line(24, operator=operator), G.racetrack(25, operator=operator),
            G.racetrack(16, operator=operator),
            *(G.grid(4, 6, metric=m, operator=operator) for m in metrics),
            *(G.torus(5, 4, metric=m, operator=operator) for m in metrics)]


GEO_IDS = [f"{g.kind}-{g.lattice.rows}x{g.lattice.cols}-{g.lattice.metric}" for g in _geographies("dense")]


# ------------------------------------------------------------------ geographies
def test_distances_as_before():
    """The lattice constructors give the distances they always gave, and the torus its wrap."""
    K = 9
    i = np.arange(K)
    steps = np.abs(i[:, None] - i[None, :])
    assert np.array_equal(neg.Geography.racetrack(K).distance, np.minimum(steps, K - steps))
    assert np.array_equal(neg.Geography.line(K).distance, steps)
    r, c = np.divmod(np.arange(12), 4)
    dr, dc = np.abs(r[:, None] - r[None, :]), np.abs(c[:, None] - c[None, :])
    assert np.array_equal(neg.Geography.grid(3, 4).distance, dr + dc)
    assert np.array_equal(neg.Geography.grid(3, 4, metric="euclidean").distance, np.sqrt(dr ** 2 + dc ** 2))
    assert np.array_equal(neg.Geography.grid(3, 4, metric="chessboard").distance, np.maximum(dr, dc))
    tr, tc = np.minimum(dr, 3 - dr), np.minimum(dc, 4 - dc)
    assert np.array_equal(neg.Geography.torus(3, 4).distance, tr + tc)
    assert np.array_equal(neg.Geography.torus(3, 4, metric="chessboard").distance, np.maximum(tr, tc))
    torus = neg.Geography.torus(3, 4)
    assert torus.kind == "torus" and torus.K == 12 and torus.vertex_transitive and torus.symmetric
    assert not neg.Geography.grid(3, 4).vertex_transitive and neg.Geography.racetrack(5).vertex_transitive
    assert neg.Geography.racetrack(5) == neg.Geography.from_distances(neg.Geography.racetrack(5).distance)


def test_large_lattice_keeps_structure_and_refuses_the_matrix():
    """A 10^6-cell torus is built at once, keeps shape, wrap and metric, pickles without a
    matrix, and refuses a dense distance matrix or operator with a clear error."""
    geo = neg.Geography.torus(1000, 1000)
    assert geo.K == 10 ** 6 and geo.lattice == Lattice(1000, 1000, (True, True), "manhattan")
    assert geo.operator == "structured" and geo.freeness(0.9).K == 10 ** 6
    with pytest.raises(ValueError, match=f"exceeds the limit of {MAX_DENSE_REGIONS}"):
        _ = geo.distance
    with pytest.raises(ValueError, match="operator='dense'.*exceeds the limit"):
        neg.Geography.torus(1000, 1000, operator="dense")
    assert len(pickle.dumps(geo)) < 10_000 and pickle.loads(pickle.dumps(geo)) == geo
    assert geo.names[123] == "r123"


def test_auto_operator_by_size_and_metric():
    assert neg.Geography.racetrack(1024).operator == "dense"  # small: as before, to the last bit
    assert neg.Geography.racetrack(1025).operator == "structured"
    assert neg.Geography.grid(40, 40).operator == "structured"
    assert neg.Geography.grid(40, 40, metric="euclidean").operator == "dense"  # O(K^2) either way
    assert neg.Geography.grid(200, 200, metric="euclidean").operator == "structured"
    assert neg.Geography.from_distances([[0, 1], [1, 0]]).operator == "dense"


@pytest.mark.parametrize(("args", "message"), [
    (dict(operator="fast"), "operator: must be one of 'auto', 'dense', 'structured', got 'fast'"),
    (dict(metric="hex"), "metric: must be one of 'manhattan', 'euclidean', 'chessboard', got 'hex'"),
    (dict(rows=0), "rows: must be a positive integer, got 0"),
    (dict(rows=1, cols=1), "torus: needs rows * cols >= 2 regions, got 1"),
])
def test_clear_errors(args, message):
    kw = dict(rows=3, cols=4) | args
    with pytest.raises(ValueError, match=message.replace("*", r"\*").replace("(", r"\(").replace(")", r"\)")):
        neg.Geography.torus(kw.pop("rows"), kw.pop("cols"), **kw)


# ------------------------------------------------------------------ products
@pytest.mark.parametrize(("name", "lattice"), LATTICES, ids=LIDS)
@pytest.mark.parametrize("phi", [0.05, 0.6, 1.0])
def test_products_relative_to_each_entry(name, lattice, phi):
    """Phi v against the dense matrix, entry by entry, for spread and for concentrated mass
    (far cells 30 orders of magnitude below the near ones), and for signed vectors relative to
    Phi |v|."""
    S, D = FreenessOperator.structured(lattice, phi), FreenessOperator.dense(lattice.distance(), phi)
    rng = np.random.default_rng(3)
    spike = np.zeros(lattice.K)
    spike[lattice.K // 3] = 1.0
    for v in (rng.random(lattice.K), spike, spike + 1e-12 * rng.random(lattice.K)):
        a, b = S.dot(v), D.dot(v)
        assert np.all(a >= 0)
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=0)
        np.testing.assert_allclose(S.tdot(v), b, rtol=1e-13, atol=0)
    v = rng.standard_normal(lattice.K)
    assert np.all(np.abs(S.dot(v) - D.dot(v)) <= 1e-13 * D.dot(np.abs(v)))
    V = rng.random((lattice.K, 3))
    np.testing.assert_allclose(S.dot(V), D.dot(V), rtol=1e-13, atol=0)


@njit
def _compiled(op, V):
    K, n = V.shape
    out, tout = np.empty((K, n)), np.empty((K, n))
    freeness_dot_block(op, V, out)
    freeness_tdot_block(op, V, tout)
    E = np.empty((K, K))
    for i in range(K):
        for j in range(K):
            E[i, j] = freeness_entry(op, 0, i, j)
    return out, tout, E


@pytest.mark.parametrize(("name", "lattice"), LATTICES, ids=LIDS)
def test_block_products_and_entries(name, lattice):
    S, D = FreenessOperator.structured(lattice, 0.3), FreenessOperator.dense(lattice.distance(), 0.3)
    V = np.random.default_rng(0).random((lattice.K, 4))
    out, tout, E = _compiled(S.kernel_arg, V)
    np.testing.assert_allclose(out, D.matrix @ V, rtol=1e-13, atol=0)
    np.testing.assert_allclose(tout, D.matrix.T @ V, rtol=1e-13, atol=0)
    np.testing.assert_allclose(E, D.matrix, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(S.matrix, D.matrix)  # built when asked


def test_underflow_is_flushed_as_dense():
    """phi**d below the smallest normal double: zero, never subnormal noise or negative."""
    L = Lattice(1, 400)
    v = np.zeros(400)
    v[0] = 1.0
    a = FreenessOperator.structured(L, 0.01).dot(v)
    b = FreenessOperator.dense(L.distance(), 0.01).dot(v)
    assert np.all(a >= 0) and np.array_equal(a == 0, b == 0)
    np.testing.assert_allclose(a[b > 0], b[b > 0], rtol=1e-13, atol=0)


# ------------------------------------------------------------------ models and solvers
def _compare(a, b):
    for field in ("wage", "real_wage"):
        x, y = getattr(a, field), getattr(b, field)
        ok = np.isfinite(y)
        assert np.array_equal(ok, np.isfinite(x))
        np.testing.assert_allclose(x[ok], y[ok], rtol=RTOL, atol=0, err_msg=field)


@pytest.mark.parametrize("index", range(len(GEO_IDS)), ids=GEO_IDS)
def test_every_model_agrees_with_dense(index):
    """Wages and real wages of every model, structured against dense, to 1e-10 relative: a
    spread state and full agglomeration in one cell (every other cell empty)."""
    structured, dense = _geographies("structured")[index], _geographies("dense")[index]
    assert structured.operator == "structured" and dense.operator == "dense"
    rng = np.random.default_rng(index)
    for ms, md in zip(every_model(structured), every_model(dense), strict=True):
        groups = ms.state_groups()
        spread = np.concatenate([rng.dirichlet(np.ones(k)) for k in groups])
        for lam in (spread, np.concatenate([np.eye(k)[k // 2] for k in groups])):
            a, b = ms.short_run(lam), md.short_run(lam)
            assert a.converged == b.converged
            _compare(a, b)


@pytest.mark.parametrize("model", ["CorePeriphery", "FootlooseCapital", "Helpman"])
def test_newton_and_long_run_agree_with_dense(model):
    """The Jacobians (block products, single entries: FootlooseCapital's tax) and the long run
    run unchanged on the structured operator."""
    def make(op):
        geo = neg.Geography.racetrack(12, operator=op)
        return {"CorePeriphery": neg.CorePeriphery(5.0, 0.4, phi=0.5, geography=geo),
                "FootlooseCapital": neg.FootlooseCapital(5.0, 0.4, phi=0.5, geography=geo, tax=0.1),
                "Helpman": neg.Helpman(5.0, 0.7, phi=0.5, geography=geo)}[model]
    ms, md = make("structured"), make("dense")
    lam = np.random.default_rng(1).dirichlet(np.ones(12))
    _compare(ms.short_run(lam, method="newton"), md.short_run(lam, method="newton"))
    a, b = neg.long_run(ms, lam), neg.long_run(md, lam)
    np.testing.assert_allclose(a.lam, b.lam, rtol=1e-8, atol=1e-10)


def test_structured_models_pickle():
    """A model on a structured lattice crosses a process boundary (studies send models to
    workers) without a distance matrix, and solves the same there."""
    geo = neg.Geography.racetrack(40, operator="structured")
    model = neg.MultiIndustry(5.0, [0.2, 0.3], phi=0.4, geography=geo, phi_industry=[0.5, None])
    rng = np.random.default_rng(2)
    lam = np.concatenate([rng.dirichlet(np.ones(k)) for k in model.state_groups()])
    first = model.short_run(lam)
    again = pickle.loads(pickle.dumps(model))
    assert again == model and again.geography.operator == "structured"
    np.testing.assert_array_equal(again.short_run(lam).wage, first.wage)
