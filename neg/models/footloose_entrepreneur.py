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

Policy (per-region ``tax`` and ``cost``; see docs/policy.md). ``cost_i``: firms in region i need
1 + cost_i units of labour per unit of output (a resource cost), so their varieties cost
1 + cost_i at the factory and, with c_i = (1 + cost_i)^(1-s),

    Delta_j = sum_k n_k c_k Phi_kj,    pi_i = b c_i sum_j Phi_ij E_j / Delta_j.

``tax_i``: entrepreneurs in i keep (1 - tax_i) pi_i; the revenue tax_i H lam_i pi_i is rebated
lump-sum to the workers of region i (who also finance a subsidy), so E_i is unchanged and
omega_i = (1 - tax_i) pi_i Delta_i^a. ``wage`` reports the gross reward pi_i.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from neg.kernels import BLOCK_SIGNATURE, MAP_SIGNATURE, lazy_njit
from neg.models.base import Capability, Kernels, Model
from neg.models.core_periphery import _cost_factors, cost_factor
from neg.models.params import Param, slots
from neg.operators import (
    freeness_dot,
    freeness_dot_at,
    freeness_dot_block,
    freeness_tdot,
    freeness_tdot_at,
)

#: the parameters of the model beyond the common ones (neg.models.params.COMMON, POLICY)
PARAMS = (
    Param("mu", "scalar", "expenditure share of manufactures", "expenditure share of manufactures",
          lower=0.0, upper=1.0, slot="par"),
    Param("workers", "shares", "shares of the immobile workers, by region", "workers' shares",
          default=None, slot="reg", role="immobile"),
    Param("H", "scalar", "mass of mobile entrepreneurs (= number of firms)", "entrepreneurs",
          units="entrepreneurs", lower=0.0, default=1.0, slot="par"),
    Param("L", "scalar", "mass of immobile workers", "workers", units="workers", lower=0.0,
          default=1.0, slot="par"),
)
SIGMA, MU, H_MASS, L_MASS = slots(PARAMS, "par", "sigma", "mu", "H", "L")
WORKERS, TAX, COST, AMENITY, PRODUCTIVITY = slots(PARAMS, "reg", "workers", "tax", "cost", "amenity",
                                                  "productivity")

_TINY = 2.2250738585072014e-308  # smallest normal double: floor of E, so log E stays finite


@lazy_njit(MAP_SIGNATURE, error_model="numpy", nogil=True)
def _expenditure_map(x, lam, par, reg, Phi, out, work):
    s, mu, H, L = par[SIGMA], par[MU], par[H_MASS], par[L_MASS]
    K = lam.size
    # scratch: work[:K] firms times cost factors n c, [K:2K] Delta, [2K:3K] E / Delta
    for j in range(K):
        work[j] = H * lam[j] * cost_factor(reg[COST, j], reg[PRODUCTIVITY, j], s)
    freeness_tdot_at(Phi, work, 0, work, K)  # Delta = Phi^T (n c)
    for j in range(K):
        work[2 * K + j] = np.exp(x[j]) / work[K + j]
    freeness_dot_at(Phi, work, 2 * K, out, 0)  # pi s / (mu c)
    b = mu / s
    for i in range(K):
        e = L * reg[WORKERS, i] + work[i] * b * out[i]
        out[i] = np.log(max(e, _TINY))


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def _firms(lam, H, cost, productivity, s, Phi, cf, n, delta):
    """cf: the cost factors, n = H lam cf (firms weighted by them), delta = Phi^T n."""
    _cost_factors(cost, productivity, s, cf)
    for j in range(lam.size):
        n[j] = H * lam[j] * cf[j]
    freeness_tdot(Phi, n, delta)


@lazy_njit(BLOCK_SIGNATURE, error_model="numpy", nogil=True)
def _outputs(x, lam, par, reg, Phi, out):
    s, mu, H = par[SIGMA], par[MU], par[H_MASS]
    tax = reg[TAX]
    K = lam.size
    cf, n, delta = np.empty(K), np.empty(K), np.empty(K)
    _firms(lam, H, reg[COST], reg[PRODUCTIVITY], s, Phi, cf, n, delta)
    c = np.empty(K)
    for j in range(K):
        out[1, j] = np.exp(x[j])  # income = expenditure
        c[j] = out[1, j] / delta[j]
    pi = np.empty(K)
    freeness_dot(Phi, c, pi)
    b = mu / s
    a = mu / (s - 1.0)
    for j in range(K):
        out[0, j] = b * cf[j] * pi[j]  # entrepreneurs' reward (gross of tax)
        out[2, j] = delta[j] ** (1.0 / (1.0 - s))  # price index
        out[3, j] = (1.0 - tax[j]) * out[0, j] * delta[j] ** a  # real reward, net of tax
        out[4, j] = reg[AMENITY, j] * out[3, j]  # payoff: times the amenity


@lazy_njit(BLOCK_SIGNATURE, error_model="numpy", nogil=True)
def _jacobian(x, lam, par, reg, Phi, out):
    """dF_i/dx_k = b n_i c_i Phi_ik E_k / (Delta_k E_new_i), E_new = exp(F(x))."""
    s, mu, H, L = par[SIGMA], par[MU], par[H_MASS], par[L_MASS]
    workers = reg[WORKERS]
    K = lam.size
    cf, n, delta = np.empty(K), np.empty(K), np.empty(K)
    _firms(lam, H, reg[COST], reg[PRODUCTIVITY], s, Phi, cf, n, delta)
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


class FootlooseEntrepreneur(Model):
    """Footloose-entrepreneur model (Forslid & Ottaviano 2003; Baldwin et al. 2003, ch. 4).

    Parameters
    ----------
    sigma, phi (or ``T=``), geography : the common parameters (see :class:`neg.models.base.Model`).
    mu : expenditure share of manufactures, in (0, 1).
    workers : shares of the immobile workers, default uniform.
    H : mass of mobile entrepreneurs (= number of firms), > 0.
    L : mass of immobile workers, > 0.
    tax : per-region tax rate on entrepreneurs' reward in [-1, 1) (negative: a subsidy),
        default 0. Incidence: entrepreneurs in i keep (1 - tax_i) pi_i; the revenue is rebated
        lump-sum to the workers of region i (who also finance a subsidy): E_i is unchanged.
    cost : per-region extra marginal cost >= 0 (environmental regulation), default 0: firms in
        region i need 1 + cost_i units of labour per unit (a resource cost), price 1 + cost_i.
    share_cap : per-region upper bound on the share of entrepreneurs in [0, 1] (development
        zones, enforced by the long-run solvers), default 1 (none).

    ``wage`` is the gross reward pi; ``real_wage`` = ``payoff`` = (1 - tax) pi Delta^a.
    """

    parameters = PARAMS
    positional = ("sigma", "mu", "phi", "geography", "workers", "H", "L")
    capabilities = frozenset({Capability.POLICY, Capability.WELFARE, Capability.FUNDAMENTALS})
    kernels = Kernels(_expenditure_map, _outputs, _jacobian)
    mobile_factor = "entrepreneurs"
    mobile_mass_of = "H"


    def welfare_groups(self, sr, lam) -> dict[str, dict[str, np.ndarray]]:
        """Per group: ``population`` by region, nominal ``income`` per head and ``utility`` per
        head (Cobb-Douglas indirect utility without its constant: income / P^mu).
        Entrepreneurs earn (1 - tax) pi; workers earn 1 plus their region's tax revenue per head."""
        lam = np.asarray(lam, dtype=float)
        col = sr.price_index ** self.mu
        ent = self.H * lam
        wrk = self.L * self.workers
        revenue = self.tax * ent * sr.wage
        y_w = np.where(wrk > 0, 1.0 + revenue / np.where(wrk > 0, wrk, 1.0), 1.0)
        y_e = (1.0 - self.tax) * sr.wage
        return {"entrepreneurs": {"population": ent, "income": y_e, "utility": y_e / col},
                "workers": {"population": wrk, "income": y_w, "utility": y_w / col}}

    def regional_accounts(self, sr, lam) -> dict[str, np.ndarray]:
        """``gdp``: value added in each region (workers' wages and entrepreneurs' gross
        reward), equal to regional income E; ``cost_of_living``: P^mu."""
        return {"gdp": np.asarray(sr.income, dtype=float), "cost_of_living": sr.price_index ** self.mu}

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
