"""Geographies: who is how far from whom, and the freeness operator built on it.

A :class:`Geography` holds a K x K matrix of distances ``d_ij`` (in units of the trade-cost
parameter: shipping over distance ``d`` costs the iceberg factor ``T**d``). Models never build the
freeness matrix ``Phi_ij = phi**d_ij`` themselves: they ask the geography for a
:class:`~neg.operators.FreenessOperator` and apply trade costs only through its products
(:mod:`neg.operators`). That seam is what lets a structured geography swap in a faster operator
without touching any model.

The lattice geographies (:meth:`Geography.racetrack`, :meth:`~Geography.line`,
:meth:`~Geography.grid`, :meth:`~Geography.torus`) keep their structure (a
:class:`~neg.operators.Lattice`: shape, periodic axes, metric) instead of a matrix: their
``distance`` is built only when asked for (and refused above
:data:`~neg.operators.MAX_DENSE_REGIONS` regions), and their freeness operator is structured
(O(K) products, no K x K matrix) or dense, as ``operator=`` says (see docs/geography.md).
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import shortest_path

from neg.operators import (  # noqa: F401 - the products' old home; models may import them from here
    MAX_DENSE_REGIONS,
    FreenessOperator,
    Lattice,
    choose_operator,
    freeness_dot,
    freeness_dot_at,
    freeness_dot_block,
    freeness_stack,
    freeness_tdot,
    freeness_tdot_at,
    freeness_tdot_block,
)

__all__ = ["Geography", "asymmetry_note", "geography_note",
           "FreenessOperator", "freeness_dot", "freeness_tdot", "read_distances",
           "read_coordinates", "read_edges"]

EARTH_RADIUS_KM = 6371.0088


def _as_names(names: Sequence[str] | None, K: int) -> tuple[str, ...]:
    if names is None:
        return tuple(f"r{i}" for i in range(K))
    names = tuple(str(n) for n in names)
    if len(names) != K:
        raise ValueError(f"names: expected {K} names (one per region), got {len(names)}")
    if len(set(names)) != K:
        raise ValueError("names: region names must be unique")
    return names


class Geography:
    """An immutable set of K >= 2 regions and the distances between them.

    Attributes
    ----------
    distance : (K, K) float array, read-only. Zero diagonal, non-negative, finite; symmetric
        unless the geography was built from a directed network. A lattice geography builds it on
        first use, and refuses above :data:`~neg.operators.MAX_DENSE_REGIONS` regions.
    names : tuple of K region names.
    K : number of regions.
    coordinates : (K, 2) array of (lat, lon) in degrees, or None.
    edges : (m, 3) array of the network's links ``(i, j, length)``, read-only, for a geography
        built by :meth:`from_edges` (None otherwise); ``directed`` says whether they are arcs.
    lattice : the :class:`~neg.operators.Lattice` of a lattice geography (racetrack, line, grid,
        torus), None otherwise.
    operator : "dense" or "structured": the kind of freeness operator :meth:`freeness` builds
        (always "dense" for a geography that is not a lattice).
    """

    __slots__ = ("_distance", "_names", "K", "coordinates", "kind", "edges", "directed", "lattice",
                 "operator", "_freeness")

    def __init__(self, distance, names=None, *, coordinates=None, kind: str = "custom",
                 edges=None, directed: bool = False):
        D = np.array(distance, dtype=np.float64, copy=True)
        if D.ndim != 2 or D.shape[0] != D.shape[1]:
            raise ValueError(f"distance: expected a square K x K matrix, got shape {D.shape}")
        K = D.shape[0]
        if K < 2:
            raise ValueError(f"distance: a geography needs K >= 2 regions, got K = {K}")
        if not np.all(np.isfinite(D)):
            raise ValueError("distance: contains NaN or infinite entries (regions must be connected)")
        if np.any(D < 0):
            i, j = np.argwhere(D < 0)[0]
            raise ValueError(f"distance: must be >= 0, got d[{i},{j}] = {D[i, j]}")
        if np.any(np.diag(D) != 0):
            i = int(np.flatnonzero(np.diag(D) != 0)[0])
            raise ValueError(f"distance: diagonal must be zero, got d[{i},{i}] = {D[i, i]}")
        if not directed and not np.array_equal(D, D.T):
            warnings.warn(f"distance: {asymmetry_note(D)} (allowed; results note it in their attrs)",
                          UserWarning, stacklevel=3)
        D.setflags(write=False)
        object.__setattr__(self, "_distance", D)
        object.__setattr__(self, "_names", _as_names(names, K))
        object.__setattr__(self, "K", K)
        if coordinates is not None:
            coordinates = np.array(coordinates, dtype=np.float64)
            coordinates.setflags(write=False)
        object.__setattr__(self, "coordinates", coordinates)
        object.__setattr__(self, "kind", kind)
        if edges is not None:
            edges = np.array(edges, dtype=np.float64).reshape(-1, 3)
            edges.setflags(write=False)
        object.__setattr__(self, "edges", edges)
        object.__setattr__(self, "directed", bool(directed))
        object.__setattr__(self, "lattice", None)
        object.__setattr__(self, "operator", "dense")
        object.__setattr__(self, "_freeness", None)

    @classmethod
    def _of_lattice(cls, lattice: Lattice, names, kind: str, operator: str) -> Geography:
        """A lattice geography: the structure, no matrix (``distance`` is built when asked)."""
        resolved = choose_operator(lattice, operator)
        names = None if names is None else _as_names(names, lattice.K)
        return _rebuild_geography(None, names, lattice.K, None, kind, None, False, lattice, resolved)

    def __setattr__(self, name, value):
        raise AttributeError("Geography is immutable")

    def __reduce__(self):
        """Pickle support (models cross process boundaries in sweeps): rebuild from the fields (a
        lattice without its distance matrix, which is rebuilt on demand)."""
        fields = [getattr(self, k) for k in _FIELDS]
        if self.lattice is not None:
            fields[0] = None
        return (_rebuild_geography, tuple(fields))

    def __repr__(self) -> str:
        return f"Geography(kind={self.kind!r}, K={self.K})"

    @property
    def distance(self) -> np.ndarray:
        """The (K, K) distance matrix (a lattice's is built on first use: K^2 numbers)."""
        D = self._distance
        if D is None:
            D = self.lattice.distance()
            D.setflags(write=False)
            object.__setattr__(self, "_distance", D)
        return D

    @property
    def names(self) -> tuple[str, ...]:
        """The K region names (default ``r0, r1, ...``)."""
        names = self._names
        if names is None:
            names = _as_names(None, self.K)
            object.__setattr__(self, "_names", names)
        return names

    def __eq__(self, other) -> bool:
        if not isinstance(other, Geography) or self.K != other.K or self.names != other.names:
            return False
        if self.lattice is not None and self.lattice == other.lattice:
            return True
        if self.K > MAX_DENSE_REGIONS:  # different lattices: never compared by their matrices
            return False
        return np.array_equal(self.distance, other.distance)

    def __hash__(self) -> int:
        return hash((self.K, self.names))

    @property
    def symmetric(self) -> bool:
        if self.lattice is not None:
            return True
        return bool(np.array_equal(self.distance, self.distance.T))

    @property
    def vertex_transitive(self) -> bool:
        """True if the regions are all alike: a lattice whose axes are all periodic (the racetrack,
        a torus) or of two regions; otherwise, if the distance matrix is circulant,
        d[i, j] = d[0, (j - i) mod K]: the rotation i -> i + 1 maps the geography onto itself
        (two regions, any ring read from a file). Then the uniform distribution is an
        equilibrium of a model with uniform fundamentals. False does not prove the contrary for
        a geography read from distances (a torus is vertex-transitive, but not circulant in its
        row-major order)."""
        L = self.lattice
        if L is not None:
            return self.K == 2 or all(p or n == 1 for p, n in zip(L.periodic, (L.rows, L.cols),
                                                                   strict=True))
        D = self.distance
        return all(np.array_equal(np.roll(D[0], r), D[r]) for r in range(1, self.K))

    # ---------------------------------------------------------------- constructors
    @classmethod
    def two_region(cls, names: Sequence[str] | None = None) -> Geography:
        """Two regions one unit apart: the textbook core-periphery setting."""
        return cls([[0.0, 1.0], [1.0, 0.0]], names, kind="two_region")

    @classmethod
    def racetrack(cls, K: int, names: Sequence[str] | None = None, *,
                  operator: str = "auto") -> Geography:
        """K equidistant regions on a circle; distance = steps round the shorter arc.

        ``operator``: "auto" (structured above :data:`~neg.operators.AUTO_STRUCTURED_REGIONS`
        regions, dense below), "dense" or "structured" (see docs/geography.md)."""
        return cls._of_lattice(Lattice(1, _check_K(K), (False, True)), names, "racetrack", operator)

    @classmethod
    def line(cls, K: int, names: Sequence[str] | None = None, *, operator: str = "auto") -> Geography:
        """K regions on a line, neighbours one unit apart (``operator`` as for :meth:`racetrack`)."""
        return cls._of_lattice(Lattice(1, _check_K(K)), names, "line", operator)

    @classmethod
    def grid(cls, rows: int, cols: int, names: Sequence[str] | None = None, *,
             metric: str = "manhattan", operator: str = "auto") -> Geography:
        """A rows x cols lattice, neighbours one unit apart; distances by ``metric``: "manhattan"
        (rook moves, |dr| + |dc|; the default), "euclidean" (sqrt(dr^2 + dc^2)) or "chessboard"
        (king moves, max(|dr|, |dc|)). ``operator`` as for :meth:`racetrack` (auto: dense for
        the Euclidean and chessboard metrics while the matrix fits, their structured product
        costing O(K^2)).

        Regions are numbered row by row: region ``r * cols + c`` sits at row r, column c.
        """
        rows, cols = _check_shape(rows, cols, "grid")
        return cls._of_lattice(Lattice(rows, cols, (False, False), metric), names, "grid", operator)

    @classmethod
    def torus(cls, rows: int, cols: int, names: Sequence[str] | None = None, *,
              metric: str = "manhattan", operator: str = "auto") -> Geography:
        """A rows x cols lattice whose opposite edges are joined (periodic both ways, no edge
        effects: every region alike): the offset along an axis of n cells is min(|dr|, n - |dr|).
        ``metric`` and ``operator`` as for :meth:`grid`; numbered row by row."""
        rows, cols = _check_shape(rows, cols, "torus")
        return cls._of_lattice(Lattice(rows, cols, (True, True), metric), names, "torus", operator)

    @classmethod
    def from_distances(cls, D, names: Sequence[str] | None = None) -> Geography:
        """Any K x K matrix of non-negative distances with a zero diagonal."""
        return cls(D, names)

    @classmethod
    def from_coordinates(
        cls, lat, lon, names: Sequence[str] | None = None, unit_km: float = 1000.0
    ) -> Geography:
        """Great-circle (haversine) distances between points, in units of ``unit_km`` km."""
        lat = np.asarray(lat, dtype=float)
        lon = np.asarray(lon, dtype=float)
        if lat.ndim != 1 or lat.shape != lon.shape:
            raise ValueError(
                f"lat, lon: expected two 1-d arrays of equal length, got {lat.shape}, {lon.shape}")
        if not (np.all(np.isfinite(lat)) and np.all(np.isfinite(lon))):
            raise ValueError("lat, lon: contain NaN or infinite values")
        if np.any(np.abs(lat) > 90):
            raise ValueError("lat: must lie in [-90, 90] degrees")
        if np.any(np.abs(lon) > 360):
            raise ValueError("lon: must lie in [-360, 360] degrees")
        if not (np.isfinite(unit_km) and unit_km > 0):
            raise ValueError(f"unit_km: must be > 0, got {unit_km}")
        p, q = np.radians(lat), np.radians(lon)
        h = (
            np.sin((p[:, None] - p[None, :]) / 2) ** 2
            + np.cos(p[:, None]) * np.cos(p[None, :]) * np.sin((q[:, None] - q[None, :]) / 2) ** 2
        )
        D = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))) / unit_km
        np.fill_diagonal(D, 0.0)
        return cls(D, names, coordinates=np.column_stack([lat, lon]), kind="coordinates")

    @classmethod
    def from_edges(
        cls, edges, K: int, names: Sequence[str] | None = None, directed: bool = False
    ) -> Geography:
        """Shortest-path distances over a weighted network.

        ``edges`` is a sequence of ``(i, j, length)``; undirected unless ``directed=True``.
        Every region must be reachable from every other.
        """
        K = _check_K(K)
        E = np.asarray(edges, dtype=float)
        if E.ndim != 2 or E.shape[1] != 3:
            raise ValueError(f"edges: expected rows (i, j, length), got shape {E.shape}")
        i, j, w = E[:, 0], E[:, 1], E[:, 2]
        if np.any((i != np.round(i)) | (j != np.round(j)) | (i < 0) | (j < 0) | (i >= K) | (j >= K)):
            raise ValueError(f"edges: endpoints must be integers in [0, {K - 1}]")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError("edges: lengths must be finite and >= 0")
        G = coo_matrix((w, (i.astype(int), j.astype(int))), shape=(K, K)).tocsr()
        D = shortest_path(G, directed=directed)
        if not np.all(np.isfinite(D)):
            raise ValueError("edges: the network is not connected (some regions cannot reach others)")
        return cls(D, names, kind="network", edges=E, directed=directed)

    def with_links_scaled(self, links, factor) -> Geography:
        """A new network geography with the lengths of some links multiplied by ``factor``
        (infrastructure: ``factor < 1`` improves a link) and shortest paths recomputed.

        ``links`` is a sequence of region pairs ``(i, j)``; in an undirected network ``(i, j)``
        and ``(j, i)`` name the same link, in a directed one only the arc i -> j. Every pair
        must be a link of the network (all parallel links between the pair are scaled).
        ``factor`` is one number >= 0 or one per link. Only for geographies built by
        :meth:`from_edges` (the distances of other geographies are not made of links).
        """
        if self.edges is None:
            raise ValueError(f"with_links_scaled: needs a geography built from edges "
                             f"(Geography.from_edges), got kind {self.kind!r}")
        pairs = np.asarray(links, dtype=float)
        if pairs.size == 0:
            return self
        if pairs.ndim != 2 or pairs.shape[1] != 2 or np.any(pairs != np.round(pairs)):
            raise ValueError(f"links: expected a list of integer pairs (i, j), got {links!r}")
        pairs = pairs.astype(int)
        f = np.asarray(factor, dtype=float).reshape(-1)
        if f.size == 1:
            f = np.full(len(pairs), f[0])
        if f.size != len(pairs):
            raise ValueError(f"factor: expected one number or one per link ({len(pairs)}), got {f.size}")
        if not np.all(np.isfinite(f)) or np.any(f < 0):
            raise ValueError(f"factor: must be finite and >= 0, got {f.tolist()}")
        E = np.array(self.edges)
        a, b = E[:, 0].astype(int), E[:, 1].astype(int)
        for (i, j), fk in zip(pairs, f, strict=True):
            hit = (a == i) & (b == j)
            if not self.directed:
                hit |= (a == j) & (b == i)
            if not np.any(hit):
                raise ValueError(f"links: ({i}, {j}) is not a link of the network")
            E[hit, 2] *= fk
        return Geography.from_edges(E, self.K, self.names, directed=self.directed)

    # ---------------------------------------------------------------- trade costs
    def freeness(self, phi: float) -> FreenessOperator:
        """The freeness operator for unit freeness ``phi`` in (0, 1]: ``Phi_ij = phi**d_ij``.

        Dense, or structured on a lattice geography (:attr:`operator`).
        The last one built is kept (models that differ only in other parameters, e.g. copies made
        by ``replace`` in a calibration or a sweep over policy, share it: building it costs K^2
        powers)."""
        cached = self._freeness
        if cached is not None and cached[0] == phi:
            return cached[1]
        if self.operator == "structured":
            op = FreenessOperator.structured(self.lattice, phi)
        else:
            op = FreenessOperator.dense(self.distance, phi)
        object.__setattr__(self, "_freeness", (phi, op))
        return op


def _rebuild_geography(*fields) -> Geography:
    geo = object.__new__(Geography)
    for name, value in zip(_FIELDS, fields, strict=True):
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
        object.__setattr__(geo, name, value)
    object.__setattr__(geo, "_freeness", None)
    return geo


#: the fields that define a geography (its slots but the cache of the last freeness operator)
_FIELDS = Geography.__slots__[:-1]


def _check_shape(rows, cols, what: str) -> tuple[int, int]:
    for label, v in (("rows", rows), ("cols", cols)):
        if int(v) != v or v < 1:
            raise ValueError(f"{label}: must be a positive integer, got {v!r}")
    rows, cols = int(rows), int(cols)
    if rows * cols < 2:
        raise ValueError(f"{what}: needs rows * cols >= 2 regions, got {rows * cols}")
    return rows, cols


def asymmetry_note(distance) -> str:
    """What an asymmetric distance matrix means, naming its largest difference ("" if symmetric):
    the note results carry in ``attrs["geography_note"]`` and the warning that builds it."""
    D = np.asarray(distance)
    diff = np.abs(D - D.T)
    if not np.any(diff):
        return ""
    i, j = np.unravel_index(int(np.argmax(diff)), D.shape)
    return (f"the distance matrix is not symmetric (d[{i},{j}] = {D[i, j]:g} but d[{j},{i}] = {D[j, i]:g}): "
            "trade from i to j costs phi**d[i,j], so freeness differs by direction")


def geography_note(geo: Geography) -> dict:
    """``{"geography_note": ...}`` for an asymmetric distance matrix (else empty; a lattice is
    symmetric, and its distance matrix is never built for this)."""
    note = "" if geo.symmetric else asymmetry_note(geo.distance)
    return {"geography_note": note} if note else {}


def _check_K(K) -> int:
    if int(K) != K or K < 2:
        raise ValueError(f"K: a geography needs an integer K >= 2 regions, got {K!r}")
    return int(K)


def _read_rows(path: Path) -> list[list[str]]:
    """The non-empty rows of a CSV (or, if it has tabs and no commas, TSV) file, cells stripped."""
    with open(path, newline="", encoding="utf-8") as f:
        sample = f.read(4096)
        f.seek(0)
        delim = "\t" if "\t" in sample and "," not in sample else ","
        reader = csv.reader(f, delimiter=delim)
        rows = [_Row((x.strip() for x in r), reader.line_num) for r in reader
                if r and any(x.strip() for x in r)]
    if not rows:
        raise ValueError(f"{path.name} is empty")
    return rows


class _Row(list):
    """The cells of one row of a CSV file, and its line number (for error messages)."""

    def __init__(self, cells, line: int):
        super().__init__(cells)
        self.line = line


def _floats(path: Path, row: _Row, what: str, cells=None) -> list[float]:
    """The numbers of a row (or its ``cells``), or ValueError naming the file, line and cell."""
    out = []
    for x in row if cells is None else cells:
        try:
            out.append(float(x))
        except ValueError:
            raise ValueError(f"{path.name}, line {row.line}: {what}: {x!r} is not a number") from None
    return out


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def read_distances(path: Path) -> tuple[np.ndarray, list[str] | None]:
    """A K x K distance matrix from a file: ``.npy`` (the array), or CSV / TSV with an optional
    header row of region names and an optional first column of names. Returns (distances, names
    or None); raises ValueError naming the file for a non-numeric entry."""
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False).astype(float), None
    rows = _read_rows(path)
    names = None
    if not all(_is_number(x) for x in rows[0] if x):
        names = [x for x in rows[0] if x]
        rows = rows[1:]
    first_col = bool(rows) and not _is_number(rows[0][0])  # a first column of names
    D = [_floats(path, r, "distance", r[1:] if first_col else None) for r in rows]
    for r, d in zip(rows, D, strict=True):
        if len(d) != len(D[0]):
            raise ValueError(f"{path.name}, line {r.line}: {len(d)} distance(s), expected {len(D[0])} "
                             f"(as on line {rows[0].line})")
    if D and len(D[0]) != len(D):
        raise ValueError(f"{path.name}: {len(D)} rows of {len(D[0])} distances (lines {rows[0].line}-"
                         f"{rows[-1].line}): a distance matrix has one row and one column per region")
    return np.array(D, dtype=float).reshape(len(D), len(D)), names


def read_coordinates(path: Path) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """Region coordinates from a file: ``.npy`` of shape (K, 2) with lat, lon, or CSV / TSV with a
    header row naming the columns lat (latitude), lon (lng, long, longitude) and optionally name
    (region, id). Returns (lat, lon, names or None) in degrees."""
    if path.suffix == ".npy":
        a = np.load(path, allow_pickle=False).astype(float)
        if a.ndim != 2 or a.shape[1] != 2:
            raise ValueError(f"{path.name}: expected an array of shape (K, 2) with lat, lon")
        return a[:, 0], a[:, 1], None
    rows = _read_rows(path)
    header = [h.lower() for h in rows[0]]
    col = {}
    for want, opts in (("lat", ("lat", "latitude")), ("lon", ("lon", "lng", "long", "longitude")),
                       ("name", ("name", "region", "id"))):
        for o in opts:
            if o in header:
                col[want] = header.index(o)
                break
    if "lat" not in col or "lon" not in col:
        raise ValueError(f"{path.name}: needs a header row with columns lat and lon (and optionally name)")
    body = rows[1:]
    need = max(col.values()) + 1
    for r in body:
        if len(r) < need:
            raise ValueError(f"{path.name}, line {r.line}: {len(r)} column(s), expected {len(header)} "
                             f"({', '.join(rows[0])})")
    lat = np.array([_floats(path, r, "lat", [r[col["lat"]]])[0] for r in body])
    lon = np.array([_floats(path, r, "lon", [r[col["lon"]]])[0] for r in body])
    names = [r[col["name"]] for r in body] if "name" in col else None
    return lat, lon, names


def read_edges(path: Path) -> np.ndarray:
    """Network edges from a file: ``.npy``, or CSV / TSV rows ``i, j, length`` (an optional header
    row). Returns an (E, 3) array for :meth:`Geography.from_edges`."""
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False).astype(float)
    rows = _read_rows(path)
    if not all(_is_number(x) for x in rows[0]):
        rows = rows[1:]
    for r in rows:
        if len(r) < 3:
            raise ValueError(f"{path.name}, line {r.line}: an edge needs i, j, length, got {len(r)} value(s)")
    return np.array([_floats(path, r, "edge", r[:3]) for r in rows], dtype=float).reshape(-1, 3)
