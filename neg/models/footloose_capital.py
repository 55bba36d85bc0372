"""Footloose-capital model of Martin & Rogers (1995, *Journal of International Economics* 39,
"Industrial location and public infrastructure"); Baldwin, Forslid, Martin, Ottaviano &
Robert-Nicoud, *Economic Geography and Public Policy* (2003), ch. 3.

World endowments are L^w = 1 unit of labour and K^w = 1 unit of capital. Every firm needs one
unit of capital as its fixed cost, so ``lam_i`` is both the share of firms and the share of
capital *employed* in region i. Labour (shares ``labour_i``, wage 1, the freely traded
numeraire sector) and capital owners (ownership shares ``capital_i``) are immobile: capital
moves, its owners do not, and they spend its reward where they live. Every variety costs 1 at
the factory. With Phi_ij = phi**d_ij and b = mu/s:

    E^w     = 1/(1 - b)                             (world expenditure)
    E_i     = labour_i + capital_i b E^w            (regional expenditure)
    Delta_j = sum_k lam_k Phi_kj                    (Delta = Phi^T lam)
    pi_i    = b sum_j Phi_ij E_j / Delta_j          (return to capital employed in i)
    P_i     = Delta_i^(1/(1-s))

Capital income is the world average b E^w per unit (owners hold the world portfolio, which is
also what they earn in any long-run equilibrium), so expenditure does not depend on ``lam`` and
there is nothing to solve: the map writes x = log E and converges in one step.

The long run equalises the NOMINAL return pi (``payoff = wage = pi``), not the real one: capital
owners stay put, so capital chases the highest rental wherever it is, and the price index of
the region where it is employed is irrelevant to its owners. ``real_wage`` = pi P^(-mu) is
reported for reference only.

Two-region closed form (Baldwin et al. 2003, ch. 3, the home-market effect): with
s_E = E_1/E^w = (1 - b) s_L + b s_K, the interior equilibrium share of firms is
s_n = 1/2 + (1 + phi)/(1 - phi) (s_E - 1/2), clipped to [0, 1]. There is no break point:
with symmetric endowments the symmetric equilibrium is always stable.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numba import njit

from neg.geography import Geography, freeness_dot, freeness_tdot
from neg.kernels import BLOCK_SIGNATURE, MAP_SIGNATURE
from neg.models.base import Model, check_open_unit

_TINY = 2.2250738585072014e-308  # smallest normal double: floor of E, so log E stays finite


@njit(MAP_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _expenditure_map(x, lam, par, reg, Phi, out):
    s, mu = par[0], par[1]
    labour, capital = reg[0], reg[1]
    b = mu / s
    ew = 1.0 / (1.0 - b)
    for i in range(lam.size):
        out[i] = np.log(max(labour[i] + capital[i] * b * ew, _TINY))


@njit(BLOCK_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _outputs(x, lam, par, reg, Phi, out):
    s, mu = par[0], par[1]
    labour, capital = reg[0], reg[1]
    K = lam.size
    b = mu / s
    ew = 1.0 / (1.0 - b)
    delta = np.empty(K)
    freeness_tdot(Phi, lam, delta)  # Delta = Phi^T lam
    c = np.empty(K)
    for j in range(K):
        out[1, j] = labour[j] + capital[j] * b * ew  # income = expenditure
        c[j] = out[1, j] / delta[j]
    pi = np.empty(K)
    freeness_dot(Phi, c, pi)
    a = mu / (s - 1.0)
    for j in range(K):
        out[0, j] = b * pi[j]  # return to capital
        out[2, j] = delta[j] ** (1.0 / (1.0 - s))  # price index
        out[3, j] = out[0, j] * delta[j] ** a  # real return (reference only)
        out[4, j] = out[0, j]  # nominal: capital owners do not move


@njit(BLOCK_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _jacobian(x, lam, par, reg, Phi, out):
    """The map does not depend on x: dF/dx = 0."""
    out[:, :] = 0.0


@dataclasses.dataclass(frozen=True, eq=False)
class FootlooseCapital(Model):
    """Footloose-capital model (Martin & Rogers 1995; Baldwin et al. 2003, ch. 3).

    Parameters
    ----------
    sigma : elasticity of substitution between varieties, > 1.
    mu : expenditure share of manufactures, in (0, 1).
    phi : freeness of trade per unit distance in (0, 1]; or ``T=`` the iceberg factor >= 1,
        with phi = T**(1 - sigma).
    geography : a :class:`neg.Geography` (default: two regions one unit apart).
    labour : shares of the immobile labour (total 1), default uniform.
    capital : shares of the immobile capital owners (ownership, total 1), default uniform.

    ``lam`` is the share of firms (capital employed); the long run equalises the nominal
    return to capital (``payoff``).
    """

    sigma: float
    mu: float
    phi: float | None = None
    geography: Geography | None = None
    labour: np.ndarray | None = None
    capital: np.ndarray | None = None
    T: float | None = dataclasses.field(default=None, kw_only=True)

    fixed_point_map = staticmethod(_expenditure_map)
    outputs_kernel = staticmethod(_outputs)
    jacobian_kernel = staticmethod(_jacobian)
    mobile_factor = "capital"
    regional_params = ("labour", "capital")

    def _validate(self) -> None:
        object.__setattr__(self, "mu", check_open_unit("mu", self.mu))

    def kernel_args(self):
        return np.array([self.sigma, self.mu]), np.array([self.labour, self.capital])

    @property
    def expenditure(self) -> np.ndarray:
        """Regional expenditure E_i = labour_i + capital_i b E^w (independent of lam)."""
        b = self.mu / self.sigma
        return self.labour + self.capital * b / (1.0 - b)

    def initial_state(self, lam: np.ndarray) -> np.ndarray:
        """log E, already the fixed point."""
        return np.log(np.maximum(self.expenditure, _TINY))
