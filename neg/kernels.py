"""The one signature every model kernel has, shared by models (which define kernels) and
solvers (which call them through numba first-class function types, so that compiled solvers
are generic *and* cacheable).

    kernel(x, lam, par, reg, Phi, out) -> None

x    float64[::1]    unknowns of the short run, in logs (length m, usually K)
lam  float64[::1]    distribution of the mobile factor (K)
par  float64[::1]    scalar parameters
reg  float64[:, ::1] per-region parameters, one row each (n_reg x K)
Phi  float64[:, ::1] the freeness operator's matrix, used only via freeness_dot / freeness_tdot
out  float64[::1] for the fixed-point map; float64[:, ::1] for outputs (5 x K) and the
     Jacobian (m x m)
"""

from numba import types

VEC = types.float64[::1]
MAT = types.float64[:, ::1]

MAP_SIGNATURE = types.void(VEC, VEC, VEC, MAT, MAT, VEC)
BLOCK_SIGNATURE = types.void(VEC, VEC, VEC, MAT, MAT, MAT)

MapKernel = types.FunctionType(MAP_SIGNATURE)
BlockKernel = types.FunctionType(BLOCK_SIGNATURE)

#: rows of the outputs kernel
OUTPUT_ROWS = ("wage", "income", "price_index", "real_wage", "payoff")
