import numpy as np
import pytest

from neg import Geography


def test_two_region():
    g = Geography.two_region()
    assert g.K == 2
    np.testing.assert_array_equal(g.distance, [[0, 1], [1, 0]])
    assert g.names == ("r0", "r1")


def test_racetrack_shorter_arc():
    g = Geography.racetrack(8)
    assert g.distance[0].tolist() == [0, 1, 2, 3, 4, 3, 2, 1]
    assert g.symmetric
    # circulant: every row is a rotation of the first
    for i in range(8):
        np.testing.assert_array_equal(g.distance[i], np.roll(g.distance[0], i))


def test_line_and_grid():
    assert Geography.line(4).distance[0].tolist() == [0, 1, 2, 3]
    g = Geography.grid(2, 3)
    assert g.K == 6
    assert g.distance[0].tolist() == [0, 1, 2, 1, 2, 3]  # Manhattan, row by row


def test_from_coordinates_haversine():
    # Beijing - Shanghai great-circle distance is about 1068 km
    g = Geography.from_coordinates([39.90, 31.23], [116.41, 121.47], names=["BJ", "SH"], unit_km=1.0)
    assert g.distance[0, 1] == pytest.approx(1068, abs=5)
    # quarter of the equator
    g = Geography.from_coordinates([0, 0], [0, 90], unit_km=1.0)
    assert g.distance[0, 1] == pytest.approx(np.pi / 2 * 6371.0088, rel=1e-12)
    assert g.coordinates.shape == (2, 2)


def test_from_edges_shortest_paths():
    g = Geography.from_edges([(0, 1, 1.0), (1, 2, 2.0), (0, 2, 5.0)], K=3)
    assert g.distance[0, 2] == 3.0
    d = Geography.from_edges([(0, 1, 1.0), (1, 2, 1.0), (2, 0, 1.0)], K=3, directed=True)
    assert d.distance[0, 2] == 2.0 and d.distance[2, 0] == 1.0
    assert not d.symmetric


@pytest.mark.parametrize(
    "D, match",
    [
        ([[0, -1], [-1, 0]], "must be >= 0"),
        ([[0, np.nan], [1, 0]], "NaN"),
        ([[1, 1], [1, 0]], "diagonal"),
        ([[0, 1, 2], [1, 0, 1]], "square"),
        ([[0]], "K >= 2"),
    ],
)
def test_bad_distances(D, match):
    with pytest.raises(ValueError, match=match):
        Geography.from_distances(D)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="K"):
        Geography.racetrack(1)
    with pytest.raises(ValueError, match="names"):
        Geography.two_region(names=["a"])
    with pytest.raises(ValueError, match="not connected"):
        Geography.from_edges([(0, 1, 1.0)], K=3)
    with pytest.raises(ValueError, match="lat"):
        Geography.from_coordinates([91, 0], [0, 0])


def test_immutable():
    g = Geography.line(3)
    with pytest.raises(AttributeError):
        g.K = 4
    with pytest.raises(ValueError):
        g.distance[0, 1] = 5.0


def test_freeness_operator_products_and_flush():
    g = Geography.line(5)
    op = g.freeness(0.5)
    np.testing.assert_allclose(op.matrix, 0.5 ** g.distance, rtol=0, atol=0)
    x = np.arange(5.0)
    np.testing.assert_allclose(op.dot(x), (0.5 ** g.distance) @ x)
    np.testing.assert_allclose(op.tdot(x), (0.5 ** g.distance).T @ x)
    # entries that would be subnormal are flushed to exact zero
    far = Geography.from_distances([[0, 1100], [1100, 0]]).freeness(0.5).matrix
    assert far[0, 1] == 0.0 and far[0, 0] == 1.0


def test_from_edges_remembers_its_links():
    g = Geography.from_edges([(0, 1, 1.0), (1, 2, 2.0)], K=3, names=["a", "b", "c"])
    assert g.edges.tolist() == [[0, 1, 1.0], [1, 2, 2.0]] and not g.directed
    with pytest.raises(ValueError):
        g.edges[0, 2] = 5.0
    assert Geography.line(3).edges is None


def test_with_links_scaled_recomputes_shortest_paths():
    # triangle: the direct link 0-2 (length 5) is longer than the detour through 1 (length 3)
    g = Geography.from_edges([(0, 1, 1.0), (1, 2, 2.0), (0, 2, 5.0)], K=3, names=["a", "b", "c"])
    h = g.with_links_scaled([(2, 0)], 0.4)  # undirected: (2, 0) is the link 0-2, now length 2
    assert h.distance[0, 2] == pytest.approx(2.0) and h.distance[2, 0] == pytest.approx(2.0)
    assert h.distance[0, 1] == 1.0 and h.distance[1, 2] == 2.0
    assert h.names == g.names and h.kind == "network" and h.edges[2, 2] == pytest.approx(2.0)
    assert g.distance[0, 2] == 3.0  # the original is unchanged
    # a worse road 0-1 (length 2): the detour 0-1-2 (length 4) still beats the direct link
    assert g.with_links_scaled([(0, 1)], 2.0).distance[0, 2] == pytest.approx(4.0)
    # one factor per link
    k = g.with_links_scaled([(0, 1), (1, 2)], [3.0, 2.0])
    assert k.distance[0, 2] == pytest.approx(5.0)
    assert g.with_links_scaled([], 0.5) is g


def test_with_links_scaled_directed_and_errors():
    d = Geography.from_edges([(0, 1, 1.0), (1, 2, 1.0), (2, 0, 1.0)], K=3, directed=True)
    e = d.with_links_scaled([(2, 0)], 0.5)
    assert e.directed and e.distance[2, 0] == 0.5 and e.distance[0, 2] == 2.0
    with pytest.raises(ValueError, match=r"\(0, 2\) is not a link"):
        d.with_links_scaled([(0, 2)], 0.5)  # the arc 0 -> 2 does not exist
    with pytest.raises(ValueError, match="built from edges"):
        Geography.line(3).with_links_scaled([(0, 1)], 0.5)
    with pytest.raises(ValueError, match="factor"):
        d.with_links_scaled([(0, 1)], -1.0)
    with pytest.raises(ValueError, match="factor"):
        d.with_links_scaled([(0, 1)], [1.0, 2.0])
    with pytest.raises(ValueError, match="links"):
        d.with_links_scaled([(0, 1, 2)], 0.5)


def test_pickle_round_trip():
    import pickle

    g = Geography.from_edges([(0, 1, 1.0), (1, 2, 2.0)], K=3, names=["a", "b", "c"])
    h = pickle.loads(pickle.dumps(g))
    assert h == g and h.names == g.names and not h.distance.flags.writeable
    np.testing.assert_array_equal(h.with_links_scaled([(1, 2)], 0.5).distance[0], [0, 1, 2])
