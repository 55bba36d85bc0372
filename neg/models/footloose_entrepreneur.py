"""Footloose-entrepreneur model of Forslid & Ottaviano (2003, *Journal of Economic Geography*
3, "An analytically solvable core-periphery model"); Baldwin, Forslid, Martin, Ottaviano &
Robert-Nicoud, *Economic Geography and Public Policy* (2003), ch. 4.

H mobile entrepreneurs have shares ``lam_i``; every firm needs one entrepreneur as its fixed
cost, so region i hosts n_i = H lam_i firms. L immobile workers have shares ``workers_i`` and
earn wage 1 (the freely traded numeraire sector); the marginal input of manufactures is labour,
normalised so that every variety costs 1 at the factory. With Phi_ij = phi**d_ij,
a = mu/(s - 1) and b = mu/s:

    Delta_j = sum_k n_k Phi_kj                      (Delta = Phi^T n)
    pi_i    = b sum_j Phi_ij E_j / Delta_j          (entrepreneurs' reward = operating profit)
    E_i     = L workers_i + H lam_i pi_i            (regional expenditure = income)
    P_i     = Delta_i^(1/(1-s))
    omega_i = pi_i P_i^(-mu) = pi_i Delta_i^a

The unknowns are x = log E; the map is x -> log(L workers + H lam pi(E)). In levels it is affine,
E -> L workers + B E, with every column of B summing to b < 1, so the iteration contracts;
world expenditure is E^w = L/(1 - b).

Two-region closed forms (Baldwin et al. 2003, ch. 4), with uniform workers:
break point phi_B = (1 - a)(1 - b)/((1 + a)(1 + b)) = (s-1-mu)(s-mu)/((s-1+mu)(s+mu));
sustain point phi_S solves phi^a [(1 + b)/2 phi + (1 - b)/(2 phi)] = 1.
Both are independent of H and L. No black hole requires a < 1, i.e. mu < s - 1.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numba import njit

from neg.geography import Geography, freeness_dot, freeness_dot_block, freeness_tdot
from neg.kernels import BLOCK_SIGNATURE, MAP_SIGNATURE
from neg.models.base import Model, check_greater, check_open_unit

_TINY = 2.2250738585072014e-308  # smallest normal double: floor of E, so log E stays finite


@njit(MAP_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _expenditure_map(x, lam, par, reg, Phi, out):
    s, mu, H, L = par[0], par[1], par[2], par[3]
    workers = reg[0]
    K = lam.size
    n = np.empty(K)
    for j in range(K):
        n[j] = H * lam[j]
    delta = np.empty(K)
    freeness_tdot(Phi, n, delta)  # Delta = Phi^T n
    c = np.empty(K)
    for j in range(K):
        c[j] = np.exp(x[j]) / delta[j]
    freeness_dot(Phi, c, out)  # pi s / mu
    b = mu / s
    for i in range(K):
        e = L * workers[i] + n[i] * b * out[i]
        out[i] = np.log(max(e, _TINY))


@njit(BLOCK_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _outputs(x, lam, par, reg, Phi, out):
    s, mu, H = par[0], par[1], par[2]
    K = lam.size
    n = np.empty(K)
    for j in range(K):
        n[j] = H * lam[j]
    delta = np.empty(K)
    freeness_tdot(Phi, n, delta)
    c = np.empty(K)
    for j in range(K):
        out[1, j] = np.exp(x[j])  # income = expenditure
        c[j] = out[1, j] / delta[j]
    pi = np.empty(K)
    freeness_dot(Phi, c, pi)
    b = mu / s
    a = mu / (s - 1.0)
    for j in range(K):
        out[0, j] = b * pi[j]  # entrepreneurs' reward
        out[2, j] = delta[j] ** (1.0 / (1.0 - s))  # price index
        out[3, j] = out[0, j] * delta[j] ** a  # real reward
        out[4, j] = out[3, j]


@njit(BLOCK_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _jacobian(x, lam, par, reg, Phi, out):
    """dF_i/dx_k = b n_i Phi_ik E_k / (Delta_k E_new_i), E_new = exp(F(x))."""
    s, mu, H, L = par[0], par[1], par[2], par[3]
    workers = reg[0]
    K = lam.size
    n = np.empty(K)
    for j in range(K):
        n[j] = H * lam[j]
    delta = np.empty(K)
    freeness_tdot(Phi, n, delta)
    c = np.empty(K)
    C = np.zeros((K, K))
    for j in range(K):
        c[j] = np.exp(x[j]) / delta[j]
        C[j, j] = c[j]
    q = np.empty(K)
    freeness_dot(Phi, c, q)
    freeness_dot_block(Phi, C, out)  # Phi diag(E/Delta)
    b = mu / s
    for i in range(K):
        e = L * workers[i] + n[i] * b * q[i]
        f = n[i] * b / max(e, _TINY)
        for k in range(K):
            out[i, k] *= f


@dataclasses.dataclass(frozen=True, eq=False)
class FootlooseEntrepreneur(Model):
    """Footloose-entrepreneur model (Forslid & Ottaviano 2003; Baldwin et al. 2003, ch. 4).

    Parameters
    ----------
    sigma : elasticity of substitution between varieties, > 1.
    mu : expenditure share of manufactures, in (0, 1).
    phi : freeness of trade per unit distance in (0, 1]; or ``T=`` the iceberg factor >= 1,
        with phi = T**(1 - sigma).
    geography : a :class:`neg.Geography` (default: two regions one unit apart).
    workers : shares of the immobile workers, default uniform.
    H : mass of mobile entrepreneurs (= number of firms), > 0.
    L : mass of immobile workers, > 0.
    """

    sigma: float
    mu: float
    phi: float | None = None
    geography: Geography | None = None
    workers: np.ndarray | None = None
    H: float = 1.0
    L: float = 1.0
    T: float | None = dataclasses.field(default=None, kw_only=True)

    fixed_point_map = staticmethod(_expenditure_map)
    outputs_kernel = staticmethod(_outputs)
    jacobian_kernel = staticmethod(_jacobian)
    mobile_factor = "entrepreneurs"
    regional_params = ("workers",)

    def _validate(self) -> None:
        object.__setattr__(self, "mu", check_open_unit("mu", self.mu))
        object.__setattr__(self, "H", check_greater("H", self.H, 0.0))
        object.__setattr__(self, "L", check_greater("L", self.L, 0.0))

    def kernel_args(self):
        return np.array([self.sigma, self.mu, self.H, self.L]), np.array([self.workers])

    def initial_state(self, lam: np.ndarray) -> np.ndarray:
        """log E if every entrepreneur earned the average reward b E^w / H."""
        b = self.mu / self.sigma
        lam = np.asarray(lam, dtype=np.float64)
        e = self.L * self.workers + lam * b * self.L / (1.0 - b)
        return np.log(np.maximum(e, _TINY))

    @property
    def no_black_hole(self) -> bool:
        """True if mu < sigma - 1, the condition for a break point to exist."""
        return self.mu < self.sigma - 1.0
