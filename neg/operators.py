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

``kind``      int: :data:`DENSE` (the only kind so far);
``matrices``  float64 (n, K, K): the dense matrices (kind DENSE), C-contiguous;
``weights``   float64 (n, p): per-operator real parameters (unit freeness phi in column 0; a
              structured kind keeps its weights here);
``ints``      int64 (q,): integer parameters of a structured kind (e.g. a lattice's shape).

A new kind adds a constant, a constructor and a branch in :func:`_product` (and, if it has no
cheaper way, in the block products) - here, and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numba import njit, prange, types

__all__ = ["FreenessOperator", "OPERATOR", "DENSE", "freeness_dot", "freeness_tdot", "freeness_dot_at",
           "freeness_tdot_at", "freeness_dot_block", "freeness_tdot_block", "freeness_dot_op",
           "freeness_tdot_op", "freeness_dot_block_op", "freeness_tdot_block_op", "freeness_entry",
           "operator_regions", "freeness_stack"]

#: kinds of operator
DENSE = 0

#: the numba type of :attr:`FreenessOperator.kernel_arg` (one type for every kind, so that the
#: kernels' first-class function signatures stay fixed)
OPERATOR = types.Tuple((types.int64, types.float64[:, :, ::1], types.float64[:, ::1], types.int64[::1]))

_TINY = np.finfo(np.float64).tiny  # smallest normal double; below it we flush to zero
_SMALL_K = 48  # below this size hand-written loops beat a BLAS call


def _dense_matrix(distance: np.ndarray, phi: float) -> np.ndarray:
    """phi**d with subnormal entries flushed to zero (subnormal arithmetic slows products more
    than tenfold); phi = 0 gives the identity pattern (no trade)."""
    with np.errstate(under="ignore"):
        M = np.power(float(phi), distance) if phi > 0 else (distance == 0).astype(float)
    M[M < _TINY] = 0.0
    return np.ascontiguousarray(M)


@dataclass(frozen=True, eq=False)
class FreenessOperator:
    """A stack of freeness operators ``x -> Phi^k x`` with ``Phi^k_ij = phi_k**d_ij`` (dense).

    ``matrices`` (n, K, K) is C-contiguous (treat it as read-only); ``phis`` the unit freeness of
    each operator. ``matrix`` and ``phi`` are operator 0's.
    """

    matrices: np.ndarray
    phis: tuple[float, ...]

    @classmethod
    def dense(cls, distance: np.ndarray, phi: float) -> FreenessOperator:
        """One dense operator ``phi**d`` on the distances ``d`` (K, K)."""
        return cls(_dense_matrix(distance, phi)[None], (float(phi),))

    @classmethod
    def stack(cls, operators) -> FreenessOperator:
        """Several operators (on the same regions) as one stack, in order."""
        ops = list(operators)
        return cls(np.ascontiguousarray(np.concatenate([op.matrices for op in ops])),
                   tuple(p for op in ops for p in op.phis))

    @property
    def K(self) -> int:
        return self.matrices.shape[1]

    @property
    def n(self) -> int:
        """Number of operators in the stack."""
        return self.matrices.shape[0]

    @property
    def matrix(self) -> np.ndarray:
        """Operator 0's dense matrix (K, K)."""
        return self.matrices[0]

    @property
    def phi(self) -> float:
        return self.phis[0]

    @cached_property
    def kernel_arg(self) -> tuple:
        """The operator as compiled kernels receive it (see :data:`OPERATOR`)."""
        weights = np.ascontiguousarray(np.array(self.phis, dtype=np.float64)[:, None])
        return (DENSE, self.matrices, weights, np.zeros(0, dtype=np.int64))

    def dot(self, x: np.ndarray, k: int = 0) -> np.ndarray:
        """``Phi^k @ x`` for a vector (K,) or a block of vectors (K, n)."""
        return self.matrices[k] @ x

    def tdot(self, x: np.ndarray, k: int = 0) -> np.ndarray:
        """``Phi^k.T @ x`` for a vector (K,) or a block of vectors (K, n)."""
        return self.matrices[k].T @ x


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
    return op[1].shape[1]


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def _product(op, k, transpose, v, v0, out, o0):
    """out[o0:o0+K] = Phi^k v[v0:v0+K] (or Phi^k^T v): loops for small K, BLAS otherwise.
    No views of the inputs below the BLAS size: each costs a reference count, which adds up over
    millions of two-region solves."""
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
    out[:, :] = np.dot(op[1][k], V)


@njit(cache=True, error_model="numpy", nogil=True)
def freeness_tdot_block_op(op, k, V, out):
    """out = Phi^k.T @ V for a block of column vectors V (K, n)."""
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
    return op[1][k, i, j]
