"""Freeness operators: the one seam through which trade costs reach a model.

With unit freeness phi and distances d_ij, the freeness of trade from i to j is
``Phi_ij = phi**d_ij = T**(d_ij (1 - sigma))`` (Fujita, Krugman & Venables 1999, ch. 4; Baldwin et
al. 2003, ch. 2). Every model uses Phi only through the products ``Phi v`` and ``Phi^T v`` (and
blocks of them, for Jacobians), so a geography with structure (a regular lattice, where the
product is a convolution) can bring a faster operator without touching any model.

A :class:`FreenessOperator` is a *stack* of n >= 1 such linear maps on K regions (n > 1 for a
model with several trade costs, e.g. one freeness per industry: operator k is industry k's).
Compiled kernels receive :attr:`FreenessOperator.kernel_arg`, a tuple of one fixed numba type
:data:`OPERATOR` for every kind of operator, and apply it only through the products below
(``freeness_dot*`` for operator 0, ``freeness_dot_op`` / ``freeness_dot_block_op`` for operator
k). The tuple is ``(kind, matrices, weights, ints)``:

``kind``      int: :data:`DENSE`, :data:`SEPARABLE` or :data:`LATTICE` (below);
``matrices``  float64 (n, K, K): the dense matrices (kind DENSE), C-contiguous; (n, 0, 0) for
              the structured kinds, which never store a K x K matrix;
``weights``   float64 (n, p): per-operator real parameters (unit freeness phi in column 0; the
              LATTICE kind keeps its table of phi**d by offset in the columns after it);
``ints``      int64 (q,): integer parameters of a structured kind: K, rows, cols, and whether
              each axis is periodic (:data:`_INT_FIELDS` of them).

Kinds, and the accuracy of their products ``Phi v`` (u = 2**-53 the unit roundoff; for v >= 0 the
bound is relative to each entry of the result, for signed v relative to ``(Phi |v|)_i``):

``DENSE``      phi**d on the dense distance matrix (BLAS above 48 regions): error <= K u per
               entry (the textbook bound of a dot product of non-negative terms).
``SEPARABLE``  a lattice (line, ring, grid or torus) with the Manhattan metric, where
               ``phi**(|dr| + |dc|) = phi**|dr| phi**|dc|`` separates: one pass of a geometric
               recurrence along each axis (a windowed one on a periodic axis, by blocks so that
               nothing is ever subtracted), O(K) time and memory. Every result is a sum of
               non-negative terms, each rounded at most 3 n_a + 4 times along axis a: error
               <= (3 (rows + cols) + 8) u per entry, relative to that entry, however far it is
               from the mass (a convolution by FFT would leave far cells with absolute noise of
               u times the largest entry, even negative values).
``LATTICE``    any lattice metric (Euclidean, chessboard): the exact sum over the table of
               phi**d by offset (K numbers instead of K x K), O(K^2) time, O(K) memory; error
               <= K u per entry, as dense.

Entries of phi**d below the smallest normal double are flushed to zero by every kind (dense:
the matrix entries; the structured kinds: running sums below it), so results may differ from
each other below about 1e-308 absolute. A new kind adds a constant, a constructor and a branch in
:func:`_structured_impl` (which kernels call through a pointer, so that a dense operator's
kernels never compile it) - here, and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numba import njit, prange, types

from neg.structured_products import (
    _TINY,
    DENSE,
    LATTICE,
    SEPARABLE,
    _call_structured,
    _structured_address,
)

__all__ = ["FreenessOperator", "OPERATOR", "DENSE", "SEPARABLE", "LATTICE", "Lattice", "METRICS",
           "OPERATOR_CHOICES", "MAX_DENSE_REGIONS", "AUTO_STRUCTURED_REGIONS", "choose_operator",
           "freeness_dot", "freeness_tdot", "freeness_dot_at",
           "freeness_tdot_at", "freeness_dot_block", "freeness_tdot_block", "freeness_dot_op",
           "freeness_tdot_op", "freeness_dot_block_op", "freeness_tdot_block_op", "freeness_entry",
           "operator_regions", "freeness_stack"]


#: the metrics of a lattice: distance between cells offset by (a, b) rows and columns
METRICS = ("manhattan", "euclidean", "chessboard")
#: the lattice geographies' ``operator=`` choices
OPERATOR_CHOICES = ("auto", "dense", "structured")
#: the most regions for which a dense K x K matrix is built (2.1 GB of float64)
MAX_DENSE_REGIONS = 16_384
#: ``operator="auto"`` takes the structured product on a Manhattan lattice above this many regions
#: (below it a dense matrix is cheap and gives the results neg gave before lattices had their own
#: operator, to the last bit)
AUTO_STRUCTURED_REGIONS = 1024

#: the numba type of :attr:`FreenessOperator.kernel_arg` (one type for every kind, so that the
#: kernels' first-class function signatures stay fixed)
OPERATOR = types.Tuple((types.int64, types.float64[:, :, ::1], types.float64[:, ::1], types.int64[::1]))

_SMALL_K = 48  # below this size hand-written loops beat a BLAS call


def _dense_matrix(distance: np.ndarray, phi: float) -> np.ndarray:
    """phi**d with subnormal entries flushed to zero (subnormal arithmetic slows products more
    than tenfold); phi = 0 gives the identity pattern (no trade)."""
    with np.errstate(under="ignore"):
        M = np.power(float(phi), distance) if phi > 0 else (distance == 0).astype(float)
    M[M < _TINY] = 0.0
    return np.ascontiguousarray(M)


def check_dense_size(K: int, what: str = "a dense K x K matrix") -> None:
    """Raise a clear error before building a K x K matrix too large to hold."""
    if K > MAX_DENSE_REGIONS:
        raise ValueError(f"{what}: K = {K} regions exceeds the limit of {MAX_DENSE_REGIONS} for a "
                         f"dense K x K matrix ({K * K * 8 / 1e9:.3g} GB); use the structured operator "
                         "(operator='structured' or 'auto') and products, not the matrix")


@dataclass(frozen=True)
class Lattice:
    """A regular lattice of ``rows x cols`` cells one unit apart, numbered row by row (cell
    ``r * cols + c`` at row r, column c); an axis may be periodic (a ring: offsets wrap round).

    The distance between cells offset by a rows and b columns (``a = min(|dr|, rows - |dr|)`` on a
    periodic axis, ``|dr|`` otherwise) is ``a + b`` (manhattan), ``sqrt(a**2 + b**2)`` (euclidean)
    or ``max(a, b)`` (chessboard). A line is 1 x K; the racetrack a periodic 1 x K.
    """

    rows: int
    cols: int
    periodic: tuple[bool, bool] = (False, False)
    metric: str = "manhattan"

    def __post_init__(self):
        if self.metric not in METRICS:
            raise ValueError(f"metric: must be one of {', '.join(map(repr, METRICS))}, got {self.metric!r}")

    @property
    def K(self) -> int:
        return self.rows * self.cols

    @property
    def separable(self) -> bool:
        """phi**d a product of one factor per axis (manhattan, or one axis): the recurrences apply."""
        return self.metric == "manhattan" or self.rows == 1 or self.cols == 1

    def offsets(self) -> np.ndarray:
        """(rows, cols): the distance between cells offset by (a, b), a in [0, rows), b in [0, cols)."""
        def axis(n, periodic):
            a = np.arange(n, dtype=np.float64)
            return np.minimum(a, n - a) if periodic else a
        a, b = axis(self.rows, self.periodic[0])[:, None], axis(self.cols, self.periodic[1])[None, :]
        if self.metric == "manhattan":
            return a + b
        if self.metric == "euclidean":
            return np.sqrt(a * a + b * b)
        return np.maximum(a, b)

    def distance(self) -> np.ndarray:
        """The dense (K, K) distance matrix (error above :data:`MAX_DENSE_REGIONS`)."""
        check_dense_size(self.K, "distance")
        T = self.offsets()
        r, c = np.divmod(np.arange(self.K), self.cols)
        D = np.empty((self.K, self.K))
        for i in range(self.K):
            D[i] = T[np.abs(r - r[i]), np.abs(c - c[i])]
        return D


def choose_operator(lattice: Lattice, operator: str = "auto") -> str:
    """"dense" or "structured": what ``operator`` ("auto", "dense" or "structured") means on
    ``lattice``. Auto: structured on a separable lattice above :data:`AUTO_STRUCTURED_REGIONS`
    regions, otherwise dense while it fits (:data:`MAX_DENSE_REGIONS`)."""
    if operator not in OPERATOR_CHOICES:
        raise ValueError(f"operator: must be one of {', '.join(map(repr, OPERATOR_CHOICES))}, "
                         f"got {operator!r}")
    K = lattice.K
    if operator == "dense":
        check_dense_size(K, "operator='dense'")
        return "dense"
    if operator == "structured":
        return "structured"
    if lattice.separable:
        return "structured" if K > AUTO_STRUCTURED_REGIONS else "dense"
    return "dense" if K <= MAX_DENSE_REGIONS else "structured"


@dataclass(frozen=True, eq=False)
class FreenessOperator:
    """A stack of freeness operators ``x -> Phi^k x`` with ``Phi^k_ij = phi_k**d_ij``.

    Dense (``kind`` DENSE): ``matrices`` (n, K, K) is C-contiguous (treat it as read-only).
    Structured (SEPARABLE, LATTICE): ``lattice`` describes the regions, ``matrices`` is empty
    (n, 0, 0), and :attr:`matrix` builds the dense matrix only when asked (small K only).
    ``phis`` the unit freeness of each operator; ``matrix`` and ``phi`` are operator 0's.
    """

    matrices: np.ndarray
    phis: tuple[float, ...]
    lattice: Lattice | None = None
    kind: int = DENSE

    @classmethod
    def dense(cls, distance: np.ndarray, phi: float) -> FreenessOperator:
        """One dense operator ``phi**d`` on the distances ``d`` (K, K)."""
        return cls(_dense_matrix(distance, phi)[None], (float(phi),))

    @classmethod
    def structured(cls, lattice: Lattice, phi: float) -> FreenessOperator:
        """One structured operator on a lattice: SEPARABLE when phi**d separates, else LATTICE."""
        kind = SEPARABLE if lattice.separable else LATTICE
        return cls(np.zeros((1, 0, 0)), (float(phi),), lattice, kind)

    @classmethod
    def stack(cls, operators) -> FreenessOperator:
        """Several operators (on the same regions, of the same kind) as one stack, in order."""
        ops = list(operators)
        phis = tuple(p for op in ops for p in op.phis)
        if all(op.kind == DENSE for op in ops):
            return cls(np.ascontiguousarray(np.concatenate([op.matrices for op in ops])), phis)
        if any(op.kind != ops[0].kind or op.lattice != ops[0].lattice for op in ops):
            raise ValueError("operators: a stack needs operators of one kind on one lattice")
        return cls(np.zeros((len(phis), 0, 0)), phis, ops[0].lattice, ops[0].kind)

    @property
    def K(self) -> int:
        return self.matrices.shape[1] if self.lattice is None else self.lattice.K

    @property
    def n(self) -> int:
        """Number of operators in the stack."""
        return len(self.phis)

    @cached_property
    def as_dense(self) -> FreenessOperator:
        """The same stack as dense matrices (itself if dense; error above MAX_DENSE_REGIONS)."""
        if self.kind == DENSE:
            return self
        D = self.lattice.distance()
        return FreenessOperator.stack([FreenessOperator.dense(D, p) for p in self.phis])

    @property
    def matrix(self) -> np.ndarray:
        """Operator 0's dense matrix (K, K), built on first use for a structured operator."""
        return self.as_dense.matrices[0]

    @property
    def phi(self) -> float:
        return self.phis[0]

    @cached_property
    def isolated(self) -> np.ndarray:
        """Regions with freeness 0 to every other under operator 0 (indices): one pass, kept."""
        M = self.matrix
        return np.flatnonzero(~(M.sum(axis=1) - np.diag(M) > 0))

    @cached_property
    def matrix32(self) -> np.ndarray:
        """Operator 0's dense matrix in float32 (K, K): a copy made on first use and kept (half
        the bytes per product; the two-sided map of neg.solvers.matrix_scaling uses it from an
        operator's second inversion)."""
        return self.matrix.astype(np.float32)

    @cached_property
    def symmetric(self) -> bool:
        """Whether operator 0 is symmetric (``Phi = Phi^T`` exactly): always on a lattice; for a
        dense matrix checked once, tile by tile (a cache-friendly pass, stopping at the first
        difference), and kept."""
        if self.kind != DENSE:
            return True
        M, b = self.matrices[0], 256
        for i in range(0, self.K, b):
            for j in range(i, self.K, b):
                if not np.array_equal(M[i:i + b, j:j + b], M[j:j + b, i:i + b].T):
                    return False
        return True

    @cached_property
    def kernel_arg(self) -> tuple:
        """The operator as compiled kernels receive it (see :data:`OPERATOR`)."""
        weights = np.array(self.phis, dtype=np.float64)[:, None]
        ints = np.zeros(0, dtype=np.int64)
        if self.lattice is not None:
            L = self.lattice
            ints = np.array([L.K, L.rows, L.cols, *L.periodic], dtype=np.int64)
            _structured_address()  # the kernels call the structured product by its address
            if self.kind == LATTICE:
                T = L.offsets()
                weights = np.column_stack([weights] + [_dense_matrix(T, p).ravel()[None] for p in self.phis])
        return (self.kind, self.matrices, np.ascontiguousarray(weights), ints)

    def __getstate__(self) -> dict:
        """Pickle without :attr:`kernel_arg` (a process that unpickles the operator rebuilds it,
        which publishes the structured product's address in that process: a model crossing to a
        worker keeps its operator) and without the copies :attr:`as_dense` and :attr:`matrix32`
        (rebuilt when asked for, not shipped)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("kernel_arg", "as_dense", "matrix32")}

    def dot(self, x: np.ndarray, k: int = 0) -> np.ndarray:
        """``Phi^k @ x`` for a vector (K,) or a block of vectors (K, n)."""
        if self.kind == DENSE:
            return self.matrices[k] @ x
        return _apply(self.kernel_arg, k, np.asarray(x, dtype=np.float64))

    def tdot(self, x: np.ndarray, k: int = 0) -> np.ndarray:
        """``Phi^k.T @ x`` for a vector (K,) or a block of vectors (K, n)."""
        if self.kind == DENSE:
            return self.matrices[k].T @ x
        return _apply(self.kernel_arg, k, np.asarray(x, dtype=np.float64))  # lattices are symmetric


def _apply(op: tuple, k: int, x: np.ndarray) -> np.ndarray:
    """A structured operator's product on a vector or on each column of a block (``op`` its
    :attr:`FreenessOperator.kernel_arg`, whose building published the product's address)."""
    if x.ndim == 1:
        out = np.empty(x.size)
        _call_structured(op, k, np.ascontiguousarray(x), 0, out, 0)
        return out
    out = np.empty(x.shape)
    for c in range(x.shape[1]):
        col = np.empty(x.shape[0])
        _call_structured(op, k, np.ascontiguousarray(x[:, c]), 0, col, 0)
        out[:, c] = col
    return out


@njit(cache=True, parallel=True)
def freeness_stack(phi, distance):
    """The dense freeness matrices phi_k**d_ij for many unit freenesses phi (n,): (n, K, K), as
    :meth:`FreenessOperator.dense` builds each (subnormals flushed), in parallel."""
    n, K = phi.size, distance.shape[0]
    out = np.empty((n, K, K))
    for k in prange(n):
        for i in range(K):
            for j in range(K):
                d = distance[i, j]  # phi**0 = 1 and phi**1 = phi exactly: skip pow
                v = 1.0 if d == 0.0 else (phi[k] if d == 1.0 else phi[k] ** d)
                out[k, i, j] = v if v >= _TINY else 0.0
    return out


# -------------------------------------------------------------------- compiled products
@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def operator_regions(op):
    """K, the number of regions the operator acts on."""
    return op[1].shape[1] if op[0] == DENSE else op[3][0]


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def _product(op, k, transpose, v, v0, out, o0):
    """out[o0:o0+K] = Phi^k v[v0:v0+K] (or Phi^k^T v): loops for small K, BLAS otherwise.
    No views of the inputs below the BLAS size: each costs a reference count, which adds up over
    millions of two-region solves."""
    if op[0] != DENSE:  # symmetric: Phi^T = Phi
        _call_structured(op, k, v, v0, out, o0)
        return
    M = op[1]
    K = M.shape[1]
    if K <= _SMALL_K:
        if transpose:
            for j in range(K):
                s = 0.0
                for i in range(K):
                    s += M[k, i, j] * v[v0 + i]
                out[o0 + j] = s
        else:
            for i in range(K):
                s = 0.0
                for j in range(K):
                    s += M[k, i, j] * v[v0 + j]
                out[o0 + i] = s
    elif transpose:
        _blas_dot(M[k].T, v[v0:v0 + K], out[o0:o0 + K])
    else:
        _blas_dot(M[k], v[v0:v0 + K], out[o0:o0 + K])


@njit(cache=True, error_model="numpy", nogil=True)
def _blas_dot(A, v, out):
    """out = A @ v by BLAS (kept out of line: the inlined small-K loops stay free of it)."""
    np.dot(A, v, out)


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def freeness_dot_at(op, v, v0, out, o0):
    """out[o0:o0+K] = Phi @ v[v0:v0+K] (operator 0): the product on segments of longer vectors,
    for kernels that keep their temporaries in one scratch vector."""
    _product(op, 0, False, v, v0, out, o0)


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def freeness_tdot_at(op, v, v0, out, o0):
    """out[o0:o0+K] = Phi.T @ v[v0:v0+K] (operator 0; see :func:`freeness_dot_at`)."""
    _product(op, 0, True, v, v0, out, o0)


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def freeness_dot(op, v, out):
    """out = Phi @ v (operator 0; v and out 1-d). Inlined into the kernels (a call costs as much
    as the product for two regions)."""
    _product(op, 0, False, v, 0, out, 0)


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def freeness_tdot(op, v, out):
    """out = Phi.T @ v (operator 0; v and out 1-d)."""
    _product(op, 0, True, v, 0, out, 0)


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def freeness_dot_op(op, k, v, out):
    """out = Phi^k @ v: operator k of the stack."""
    _product(op, k, False, v, 0, out, 0)


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def freeness_tdot_op(op, k, v, out):
    """out = Phi^k.T @ v: operator k of the stack."""
    _product(op, k, True, v, 0, out, 0)


@njit(cache=True, error_model="numpy", nogil=True)
def freeness_dot_block_op(op, k, V, out):
    """out = Phi^k @ V for a block of column vectors V (K, n)."""
    if op[0] != DENSE:
        _structured_block(op, k, V, out)
        return
    out[:, :] = np.dot(op[1][k], V)


@njit(cache=True, error_model="numpy", nogil=True)
def freeness_tdot_block_op(op, k, V, out):
    """out = Phi^k.T @ V for a block of column vectors V (K, n)."""
    if op[0] != DENSE:
        _structured_block(op, k, V, out)
        return
    out[:, :] = np.dot(op[1][k].T.copy(), V)


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def freeness_dot_block(op, V, out):
    """out = Phi @ V (operator 0) for a block of column vectors V (K, n)."""
    freeness_dot_block_op(op, 0, V, out)


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def freeness_tdot_block(op, V, out):
    """out = Phi.T @ V (operator 0) for a block of column vectors V (K, n)."""
    freeness_tdot_block_op(op, 0, V, out)


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def freeness_entry(op, k, i, j):
    """Phi^k_ij, one entry (for Jacobians that need single entries)."""
    if op[0] == DENSE:
        return op[1][k, i, j]
    return _lattice_entry(op, k, i, j)


# ---------------------------------------------------------- the structured kinds' products
@njit(cache=True, error_model="numpy", nogil=True)
def _lattice_entry(op, k, i, j):
    """Phi^k_ij on a lattice: phi**d for SEPARABLE, the table of phi**d by offset for LATTICE."""
    ints = op[3]
    rows, cols = ints[1], ints[2]
    a, b = abs(i // cols - j // cols), abs(i % cols - j % cols)
    if op[0] == LATTICE:
        return op[2][k, 1 + a * cols + b]
    if ints[3]:
        a = min(a, rows - a)
    if ints[4]:
        b = min(b, cols - b)
    v = op[2][k, 0] ** float(a + b)
    return v if v >= _TINY else 0.0


@njit(cache=True, error_model="numpy", nogil=True)
def _structured_block(op, k, V, out):
    """out = Phi^k V, column by column (a structured operator is symmetric)."""
    col = np.empty(V.shape[0])
    res = np.empty(V.shape[0])
    for c in range(V.shape[1]):
        for i in range(V.shape[0]):
            col[i] = V[i, c]
        _call_structured(op, k, col, 0, res, 0)
        for i in range(V.shape[0]):
            out[i, c] = res[i]
