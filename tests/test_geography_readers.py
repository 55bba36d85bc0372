"""The distance, coordinate and edge file readers of neg.geography (used by YAML studies)."""

from __future__ import annotations

import numpy as np
import pytest

from neg.geography import Geography, read_coordinates, read_distances, read_edges


def test_distances_csv_with_names_tsv_and_npy(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text(",a,b,c\na,0,1,2\nb,1,0,1\nc,2,1,0\n")
    D, names = read_distances(p)
    np.testing.assert_array_equal(D, Geography.line(3).distance)
    assert names == ["a", "b", "c"]
    t = tmp_path / "d.tsv"
    t.write_text("0\t1\n1\t0\n")
    D, names = read_distances(t)
    np.testing.assert_array_equal(D, [[0, 1], [1, 0]])
    assert names is None
    n = tmp_path / "d.npy"
    np.save(n, np.eye(2))
    np.testing.assert_array_equal(read_distances(n)[0], np.eye(2))
    bad = tmp_path / "bad.csv"
    bad.write_text("0,1\n1,x\n")
    with pytest.raises(ValueError, match="bad.csv, line 2: distance: 'x' is not a number"):
        read_distances(bad)


def test_coordinates_csv_header_aliases(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("Region,Latitude,Lng\nx,10,20\ny,11.5,21\n")
    lat, lon, names = read_coordinates(p)
    np.testing.assert_array_equal(lat, [10, 11.5])
    np.testing.assert_array_equal(lon, [20, 21])
    assert names == ["x", "y"]
    q = tmp_path / "q.csv"
    q.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="needs a header row with columns lat and lon"):
        read_coordinates(q)


def test_edges_csv_with_header(tmp_path):
    p = tmp_path / "e.csv"
    p.write_text("i,j,length\n0,1,2.5\n1,2,1\n")
    E = read_edges(p)
    np.testing.assert_array_equal(E, [[0, 1, 2.5], [1, 2, 1]])
    g = Geography.from_edges(E, 3)
    assert g.distance[0, 2] == 3.5
