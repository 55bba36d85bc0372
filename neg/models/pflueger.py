"""Pflüger (2004, *Regional Science and Urban Economics* 34, 565-573, "A simple, analytically
solvable, Chamberlinian agglomeration model"): the footloose-entrepreneur structure with
quasi-linear preferences U = alpha ln C_M + C_A.

One unit of mobile entrepreneurs has shares ``lam_i``; every firm needs one entrepreneur, so
n_i = lam_i. ``workers`` immobile workers in total have shares ``worker_shares_i`` and earn
wage 1 (the freely traded numeraire sector A). Every variety costs 1 at the factory. With
quasi-linear utility every consumer (worker or entrepreneur) spends exactly alpha on
manufactures (assuming incomes exceed alpha, so that C_A > 0), hence expenditure does not
depend on incomes and there is no fixed point to solve. With Phi_ij = phi**d_ij and L the total
of workers:

    N_i     = L worker_shares_i + lam_i              (consumers)
    Delta_j = sum_k lam_k Phi_kj                     (Delta = Phi^T lam)
    pi_i    = (alpha/s) sum_j Phi_ij N_j / Delta_j   (entrepreneurs' reward)
    Y_i     = L worker_shares_i + lam_i pi_i         (income)
    P_i     = Delta_i^(1/(1-s))
    V_i     = pi_i - alpha ln P_i + alpha (ln alpha - 1)
            = pi_i + alpha/(s-1) ln Delta_i + alpha (ln alpha - 1)

V_i, the indirect utility of an entrepreneur in region i, is both ``real_wage`` and ``payoff``
(it can be negative: utility is cardinal only up to the constant). The map writes x = 0.

Two-region closed forms (linearising V_1 - V_2 at lam = 1/2 and comparing V at lam = (1, 0)),
uniform workers: break point
phi_b = ((s-1)(L+1) - (2s-1)) / ((s-1)(L+1) + (2s-1)), which lies in (0, 1) iff
(s-1)(L+1) > 2s-1; sustain point: the root in (0, 1) of
(alpha/s)(phi (L/2 + 1) + L/(2 phi) - (L + 1)) + alpha/(s-1) ln phi = 0.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numba import njit

from neg.geography import Geography, freeness_dot, freeness_tdot
from neg.kernels import BLOCK_SIGNATURE, MAP_SIGNATURE
from neg.models.base import Model, check_greater


@njit(MAP_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _null_map(x, lam, par, reg, Phi, out):
    out[:] = 0.0


@njit(BLOCK_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _outputs(x, lam, par, reg, Phi, out):
    s, alpha, L = par[0], par[1], par[2]
    shares = reg[0]
    K = lam.size
    delta = np.empty(K)
    freeness_tdot(Phi, lam, delta)  # Delta = Phi^T lam
    c = np.empty(K)
    for j in range(K):
        c[j] = (L * shares[j] + lam[j]) / delta[j]  # N / Delta
    pi = np.empty(K)
    freeness_dot(Phi, c, pi)
    const = alpha * (np.log(alpha) - 1.0)
    for j in range(K):
        out[0, j] = alpha / s * pi[j]  # entrepreneurs' reward
        out[1, j] = L * shares[j] + lam[j] * out[0, j]  # income
        out[2, j] = delta[j] ** (1.0 / (1.0 - s))  # price index
        out[3, j] = out[0, j] + alpha / (s - 1.0) * np.log(delta[j]) + const  # indirect utility
        out[4, j] = out[3, j]


@njit(BLOCK_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _jacobian(x, lam, par, reg, Phi, out):
    """The map does not depend on x: dF/dx = 0."""
    out[:, :] = 0.0


@dataclasses.dataclass(frozen=True, eq=False)
class Pflueger(Model):
    """Pflüger (2004) quasi-linear footloose-entrepreneur model.

    Parameters
    ----------
    sigma : elasticity of substitution between varieties, > 1.
    phi : freeness of trade per unit distance in (0, 1]; or ``T=`` the iceberg factor >= 1,
        with phi = T**(1 - sigma).
    geography : a :class:`neg.Geography` (default: two regions one unit apart).
    workers : total mass L of immobile workers, > 0 (entrepreneurs total 1).
    alpha : the weight of ln C_M in utility = every consumer's spending on manufactures, > 0.
    worker_shares : shares of the immobile workers, default uniform.
    """

    sigma: float
    phi: float | None = None
    geography: Geography | None = None
    workers: float = 2.0
    alpha: float = 1.0
    worker_shares: np.ndarray | None = None
    T: float | None = dataclasses.field(default=None, kw_only=True)

    fixed_point_map = staticmethod(_null_map)
    outputs_kernel = staticmethod(_outputs)
    jacobian_kernel = staticmethod(_jacobian)
    mobile_factor = "entrepreneurs"
    regional_params = ("worker_shares",)

    def _validate(self) -> None:
        object.__setattr__(self, "workers", check_greater("workers", self.workers, 0.0))
        object.__setattr__(self, "alpha", check_greater("alpha", self.alpha, 0.0))

    def kernel_args(self):
        return (np.array([self.sigma, self.alpha, self.workers]),
                np.array([self.worker_shares]))

    @property
    def no_black_hole(self) -> bool:
        """True if (sigma - 1)(workers + 1) > 2 sigma - 1, i.e. a break point phi_b > 0 exists."""
        return (self.sigma - 1.0) * (self.workers + 1.0) > 2.0 * self.sigma - 1.0
