"""The structured (lattice) kinds' compiled products, behind :mod:`neg.operators`.

Kernels call them through a function pointer, so that compiling a kernel (every model's, on its
first solve) does not compile them: a call to a compiled function compiles the callee with the
caller, even on a branch a dense operator never takes (that was about a quarter of a cold first
solve). The pointer lives in one C variable, exported to LLVM under :data:`_ADDRESS_SYMBOL`
(kernels' cached machine code refers to it by name, not by value, so the cache stays valid in
every process), and is set by :func:`_structured_address` when a structured operator is first
built (``FreenessOperator.kernel_arg``). The products' accuracy is stated in :mod:`neg.operators`.
"""

from __future__ import annotations

import ctypes

import numpy as np
from llvmlite import binding as llvm_binding
from llvmlite import ir
from numba import carray, cfunc, njit, types
from numba.extending import intrinsic

#: kinds of operator (see :mod:`neg.operators`)
DENSE = 0
SEPARABLE = 1
LATTICE = 2

_TINY = np.finfo(np.float64).tiny  # smallest normal double; below it we flush to zero
_INT_FIELDS = 5  # a structured operator's ints: K, rows, cols, periodic rows, periodic cols

_ADDRESS_SYMBOL = "neg_operators_structured_product"
_address = ctypes.c_int64(0)
llvm_binding.add_symbol(_ADDRESS_SYMBOL, ctypes.addressof(_address))
_C_SIGNATURE = types.void(types.int64, types.int64, types.CPointer(types.float64), types.int64,
                          types.int64, types.CPointer(types.int64), types.CPointer(types.float64),
                          types.CPointer(types.float64))


def _structured_c(kind, k, w, w_rows, w_cols, ints, v, out):
    """The C entry of the structured product: ``out = Phi^k v`` (K values each, K = ints[0])."""
    i = carray(ints, (_INT_FIELDS,))
    _structured_impl(kind, carray(w, (w_rows, w_cols)), i, k, carray(v, (i[0],)), carray(out, (i[0],)))


def _structured_address() -> int:
    """Compile (or load from the cache) the structured product's C entry, once per process, and
    publish its address to the kernels."""
    if not _address.value:
        entry = cfunc(_C_SIGNATURE, cache=True, error_model="numpy", nogil=True)(_structured_c)
        _address.value = entry.address
    return _address.value


@intrinsic
def _call_address(typingctx, kind, k, w, w_rows, w_cols, ints, v, out):
    """Call the function whose address is in the C variable :data:`_ADDRESS_SYMBOL` with the C
    signature :data:`_C_SIGNATURE` (pointers passed as integers)."""
    def codegen(context, builder, signature, args):
        i64, f64p = ir.IntType(64), ir.DoubleType().as_pointer()
        fnty = ir.FunctionType(ir.VoidType(), [i64, i64, f64p, i64, i64, i64.as_pointer(), f64p, f64p])
        slot = _declare(builder.module, i64)
        fn = builder.inttoptr(builder.load(slot), fnty.as_pointer())
        kind_, k_, w_, wr, wc, ints_, v_, out_ = args
        builder.call(fn, [kind_, k_, builder.inttoptr(w_, f64p), wr, wc,
                          builder.inttoptr(ints_, i64.as_pointer()), builder.inttoptr(v_, f64p),
                          builder.inttoptr(out_, f64p)])
        return context.get_dummy_value()
    sig = types.void(types.int64, types.int64, types.uintp, types.int64, types.int64, types.uintp,
                     types.uintp, types.uintp)
    return sig, codegen


def _declare(module, ty):
    """The external global variable :data:`_ADDRESS_SYMBOL` in an LLVM module."""
    try:
        return module.get_global(_ADDRESS_SYMBOL)
    except KeyError:
        g = ir.GlobalVariable(module, ty, _ADDRESS_SYMBOL)
        g.linkage = "external"
        return g


@njit(cache=True, error_model="numpy", nogil=True)
def _call_structured(op, k, v, v0, out, o0):
    """out[o0:o0+K] = Phi^k v[v0:v0+K] for a structured operator, through :func:`_call_address`
    (v and out may be one array: the product copies its input first)."""
    w = op[2]
    _call_address(op[0], k, w.ctypes.data, w.shape[0], w.shape[1], op[3].ctypes.data,
                  v.ctypes.data + 8 * v0, out.ctypes.data + 8 * o0)


@njit(cache=True, error_model="numpy", nogil=True)
def _structured_impl(kind, weights, ints, k, v, out):
    """out = Phi^k v (length K each) for the SEPARABLE and LATTICE kinds, from the operator's
    ``weights`` and ``ints`` (see :data:`OPERATOR`)."""
    K, rows, cols = ints[0], ints[1], ints[2]
    X = v[:K].copy().reshape((rows, cols))
    if kind == LATTICE:
        _lattice_sum(weights[k, 1:], X, out)
        return
    phi = weights[k, 0]
    if rows > 1:  # along the rows (axis 0), vectorised over the columns
        Y = np.empty((rows, cols))
        _axis_product(X, phi, ints[3] != 0, Y)
        X = Y
    if cols > 1:  # along the columns: on the transpose
        Xt = np.ascontiguousarray(X.T)
        Yt = np.empty((cols, rows))
        _axis_product(Xt, phi, ints[4] != 0, Yt)
        for r in range(rows):
            for c in range(cols):
                out[r * cols + c] = Yt[c, r]
        return
    for i in range(K):  # one column
        out[i] = X[i, 0]


@njit(cache=True, error_model="numpy", nogil=True)
def _lattice_sum(table, X, out):
    """out_(r, c) = sum over cells (r', c') of table[|r - r'|, |c - c'|] X[r', c'] (the LATTICE
    kind: the exact sum, table = phi**d by offset, row-major)."""
    rows, cols = X.shape
    for r in range(rows):
        for c in range(cols):
            s = 0.0
            for r2 in range(rows):
                base = abs(r - r2) * cols
                for c2 in range(cols):
                    s += table[base + abs(c - c2)] * X[r2, c2]
            out[r * cols + c] = s


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def _flush(x):
    return x if abs(x) >= _TINY else 0.0


@njit(cache=True, error_model="numpy", nogil=True)
def _axis_product(X, phi, periodic, Y):
    """Y = A X along axis 0 of X (n, m), A_ij = phi**d(i, j) on a line (d = |i - j|) or a ring
    (d = min(|i - j|, n - |i - j|)): sums of non-negative terms only (for X >= 0)."""
    n, m = X.shape
    if not periodic:
        # forward f_i = x_i + phi f_(i-1); then out_i = f_i + phi b_(i+1), b_i = x_i + phi b_(i+1)
        for j in range(m):
            Y[0, j] = X[0, j]
        for i in range(1, n):
            for j in range(m):
                Y[i, j] = X[i, j] + _flush(phi * Y[i - 1, j])
        b = np.zeros(m)
        for i in range(n - 1, -1, -1):
            for j in range(m):
                t = _flush(phi * b[j])
                Y[i, j] += t
                b[j] = X[i, j] + t
        return
    # ring: out_i = sum_(t=0..hl) phi^t x_(i-t) + phi sum_(t=0..hr-1) phi^t x_(i+1+t)
    hl, hr = n // 2, (n - 1) // 2
    pw = np.empty(hl + 2)
    for t in range(hl + 2):
        pw[t] = _flush(phi ** float(t))
    for backward in (False, True):  # (a loop: one compiled _window, not one per literal)
        W = hr if backward else hl + 1
        if W > 0:
            _window(X, W, phi, pw, Y, backward)


@njit(cache=True, error_model="numpy", nogil=True)
def _window(X, W, phi, pw, Y, backward):
    """Windowed geometric sums on a ring of n = X.shape[0], vectorised over the columns:
    L_i = sum_(t=0..W-1) phi^t x_(i-t) (indices mod n), written to Y[i]; with ``backward`` the
    same on the reversed ring, R_i = sum_(t=0..W-1) phi^t x_(i+t), and Y[i - 1] += phi R_i.

    By blocks of W on the unrolled sequence u_p = x_(p-W+1) (van Herk / Gil-Werman): a window
    ending at p is the forward sum P_p since its block's start s plus phi^(p-s+1) times the
    previous block's suffix sum Q_(p-W+1) = sum_(q >= p-W+1 in that block) phi^(s-1-q) u_q. Nothing
    is subtracted, so every entry keeps its relative accuracy (a running sum that adds the new
    term and subtracts the one leaving the window would cancel catastrophically)."""
    n, m = X.shape
    P = np.empty(m)
    Q = np.empty((W, m))
    for p in range(n + W - 1):
        s = (p // W) * W
        src = (p - W + 1) % n
        if backward:
            src = n - 1 - src
        if p == s:
            for j in range(m):
                P[j] = X[src, j]
        else:
            for j in range(m):
                P[j] = X[src, j] + _flush(phi * P[j])
        if p >= W - 1:
            t = p - W + 1
            dst = (n - 2 - t) % n if backward else t
            if p == s + W - 1:
                for j in range(m):
                    val = P[j]
                    if backward:
                        Y[dst, j] += _flush(phi * val)
                    else:
                        Y[dst, j] = val
            else:
                w, q = pw[p - s + 1], (p - W + 1) - (s - W)
                for j in range(m):
                    val = P[j] + _flush(w * Q[q, j])
                    if backward:
                        Y[dst, j] += _flush(phi * val)
                    else:
                        Y[dst, j] = val
        if p == s + W - 1:  # the block is complete: its suffix sums, for the next block
            for q in range(W - 1, -1, -1):
                src = (s + q - W + 1) % n
                if backward:
                    src = n - 1 - src
                w = pw[W - 1 - q]
                for j in range(m):
                    Q[q, j] = w * X[src, j] + (Q[q + 1, j] if q < W - 1 else 0.0)
