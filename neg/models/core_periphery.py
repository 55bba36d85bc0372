"""Krugman (1991) core-periphery model in the normalisation of Fujita, Krugman & Venables,
*The Spatial Economy* (1999), ch. 4-5 (multi-region form: ch. 4, eqs. 4.35-4.38).

Mobile manufacturing workers (total mu) have shares ``lam_i``; immobile farmers (total 1 - mu)
have shares ``farmers_i`` and earn wage 1 (agriculture is freely traded, the numeraire).
With Phi_ij = phi**d_ij = T_ij**(1 - sigma):

    Y_i        = mu lam_i w_i + (1 - mu) farmers_i                       (4.35)
    G_i^(1-s)  = sum_j lam_j w_j^(1-s) Phi_ji                            (4.36)
    w_i^s      = sum_j Y_j G_j^(s-1) Phi_ij                              (4.37)
    omega_i    = w_i G_i^(-mu)                                           (4.38)

The unknowns are x = log w; the map is x -> (1/s) log(Phi (Y G^(s-1))).
Two-region closed forms (FKV ch. 5; Baldwin et al. 2003, ch. 2), rho = (s - 1)/s:
break point phi_B = (rho - mu)(1 - mu) / ((rho + mu)(1 + mu)); sustain point phi_S solves
phi^(mu s/(s-1)) [(1 + mu)/2 phi + (1 - mu)/(2 phi)] = 1. No black hole requires mu < rho.

Policy (per-region ``tax`` and ``cost``; see docs/policy.md). ``cost_i``: the marginal labour
requirement of firms in region i is multiplied by 1 + cost_i (a resource cost, e.g. pollution
abatement), so their mill price is (1 + cost_i) w_i and, with c_i = (1 + cost_i)^(1-s),

    G_i^(1-s)  = sum_j lam_j c_j w_j^(1-s) Phi_ji
    w_i^s      = c_i sum_j Y_j G_j^(s-1) Phi_ij

(employment per firm stays s F, so the number of firms is still proportional to lam).
``tax_i``: workers in i keep (1 - tax_i) w_i; the revenue tax_i mu lam_i w_i is rebated lump-sum
to the farmers of region i (a subsidy, tax_i < 0, is financed by a lump-sum tax on them), so
Y_i is unchanged and omega_i = (1 - tax_i) w_i G_i^(-mu). ``wage`` reports the gross w_i.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from neg.kernels import BLOCK_SIGNATURE, MAP_SIGNATURE, lazy_njit
from neg.models.base import Capability, Kernels, Model, workers_and_farmers
from neg.models.params import Param, slots
from neg.operators import (
    freeness_dot,
    freeness_dot_at,
    freeness_dot_block,
    freeness_tdot,
    freeness_tdot_at,
    freeness_tdot_block,
)

#: the parameters of the model beyond the common ones (neg.models.params.COMMON, POLICY)
PARAMS = (
    Param("mu", "scalar", "expenditure share of manufactures = mass of mobile workers",
          "expenditure share of manufactures", lower=0.0, upper=1.0, slot="par"),
    Param("farmers", "shares", "shares of the immobile farmers (total 1 - mu), by region",
          "farmers' shares", default=None, slot="reg", role="immobile"),
)
SIGMA, MU = slots(PARAMS, "par", "sigma", "mu")
FARMERS, TAX, COST, AMENITY, PRODUCTIVITY = slots(PARAMS, "reg", "farmers", "tax", "cost", "amenity",
                                                  "productivity")


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def cost_factor(cost, productivity, s):
    """((1 + cost)/productivity)^(1 - s): the factor on a region's varieties' price^(1 - s)
    (exactly 1 without cost and with productivity 1)."""
    if cost == 0.0 and productivity == 1.0:
        return 1.0
    return ((1.0 + cost) / productivity) ** (1.0 - s)


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def _cost_factors(cost, productivity, s, out):
    """out_i = cost_factor(cost_i, productivity_i, s) for every region."""
    for i in range(cost.size):
        out[i] = cost_factor(cost[i], productivity[i], s)


@lazy_njit(MAP_SIGNATURE, error_model="numpy", nogil=True)
def _wage_map(x, lam, par, reg, Phi, out, work):
    s, mu = par[SIGMA], par[MU]
    K = lam.size
    # scratch: work[:K] cost factors, [K:2K] the vector multiplied, [2K:3K] G^(1-s)
    for j in range(K):
        work[j] = cost_factor(reg[COST, j], reg[PRODUCTIVITY, j], s)
        work[K + j] = lam[j] * work[j] * np.exp((1.0 - s) * x[j])
    freeness_tdot_at(Phi, work, K, work, 2 * K)  # G^(1-s)
    for j in range(K):
        work[K + j] = (mu * lam[j] * np.exp(x[j]) + (1.0 - mu) * reg[FARMERS, j]) / work[2 * K + j]
    freeness_dot_at(Phi, work, K, out, 0)  # w^s / c
    for i in range(K):
        out[i] = np.log(work[i] * out[i]) / s


@lazy_njit(BLOCK_SIGNATURE, error_model="numpy", nogil=True)
def _outputs(x, lam, par, reg, Phi, out):
    s, mu = par[SIGMA], par[MU]
    K = lam.size
    flat = out.reshape(5 * K)  # rows 3 and 4 serve as scratch before they are filled
    for j in range(K):
        w = np.exp(x[j])
        out[0, j] = w  # wage (gross of tax)
        out[1, j] = mu * lam[j] * w + (1.0 - mu) * reg[FARMERS, j]  # income
        out[3, j] = lam[j] * cost_factor(reg[COST, j], reg[PRODUCTIVITY, j], s) * np.exp((1.0 - s) * x[j])
    freeness_tdot_at(Phi, flat, 3 * K, flat, 4 * K)  # G^(1-s)
    for j in range(K):
        log_G = np.log(out[4, j]) / (1.0 - s)
        out[2, j] = np.exp(log_G)  # price index
        out[3, j] = (1.0 - reg[TAX, j]) * out[0, j] * np.exp(-mu * log_G)  # real wage, net of tax
        out[4, j] = reg[AMENITY, j] * out[3, j]  # payoff: times the amenity


@lazy_njit(BLOCK_SIGNATURE, error_model="numpy", nogil=True)
def _jacobian(x, lam, par, reg, Phi, out):
    """dF/dx = (1/s) diag(1/h) [Phi diag(c) - Phi diag(Y/g^2) Phi^T diag((1-s) a)]
    (the cost factors enter a; as constant factors of w^s they drop out of d log)."""
    s, mu = par[SIGMA], par[MU]
    farmers = reg[FARMERS]
    K = lam.size
    cf = np.empty(K)
    _cost_factors(reg[COST], reg[PRODUCTIVITY], s, cf)
    a = np.empty(K)
    for j in range(K):
        a[j] = lam[j] * cf[j] * np.exp((1.0 - s) * x[j])
    g = np.empty(K)
    freeness_tdot(Phi, a, g)
    Y = np.empty(K)
    b = np.empty(K)
    for j in range(K):
        Y[j] = mu * lam[j] * np.exp(x[j]) + (1.0 - mu) * farmers[j]
        b[j] = Y[j] / g[j]
    h = np.empty(K)
    freeness_dot(Phi, b, h)
    # M1 = Phi^T diag((1-s) a): column k of diag((1-s)a) is e_k (1-s) a_k
    D = np.zeros((K, K))
    for k in range(K):
        D[k, k] = (1.0 - s) * a[k]
    M1 = np.empty((K, K))
    freeness_tdot_block(Phi, D, M1)
    # B = diag(c) - diag(Y/g^2) M1  (db/dx)
    for j in range(K):
        cj = mu * lam[j] * np.exp(x[j]) / g[j]
        yj = Y[j] / (g[j] * g[j])
        for k in range(K):
            M1[j, k] = -yj * M1[j, k]
        M1[j, j] += cj
    freeness_dot_block(Phi, M1, out)
    for i in range(K):
        for k in range(K):
            out[i, k] /= s * h[i]


class CorePeriphery(Model):
    """Krugman (1991) core-periphery model (FKV 1999, ch. 4-5).

    Parameters
    ----------
    sigma, phi (or ``T=``), geography : the common parameters (see :class:`neg.models.base.Model`).
    mu : expenditure share of manufactures = mass of mobile workers, in (0, 1).
    farmers : shares of the immobile farmers (total 1 - mu), default uniform.
    tax : per-region tax rate on workers' wages in [-1, 1) (negative: a subsidy), default 0.
        Incidence: workers in i keep (1 - tax_i) w_i; the revenue is rebated lump-sum to the
        farmers of region i (who also finance a subsidy), so regional income is unchanged.
    cost : per-region extra marginal cost >= 0 (environmental regulation), default 0: firms in
        region i need 1 + cost_i times the labour per unit of output (a resource cost), so their
        price is (1 + cost_i) w_i.
    share_cap : per-region upper bound on the share of workers in [0, 1] (development zones,
        enforced by the long-run solvers), default 1 (none).

    ``wage`` is the gross wage; ``real_wage`` = ``payoff`` = (1 - tax) w G^(-mu).
    """

    parameters = PARAMS
    positional = ("sigma", "mu", "phi", "geography", "farmers")
    capabilities = frozenset({Capability.POLICY, Capability.WELFARE, Capability.FUNDAMENTALS})
    kernels = Kernels(_wage_map, _outputs, _jacobian)
    mobile_factor = "workers"
    mobile_mass_of = "mu"


    def welfare_groups(self, sr, lam) -> dict[str, dict[str, np.ndarray]]:
        """Per group: ``population`` by region, nominal ``income`` per head and ``utility`` per
        head (indirect utility of Cobb-Douglas preferences without the constant
        mu^mu (1 - mu)^(1 - mu): income / G^mu). Workers earn (1 - tax) w; farmers earn 1 plus
        the tax revenue of their region per head."""
        lam = np.asarray(lam, dtype=float)
        return workers_and_farmers(self.mu * lam, (1.0 - self.mu) * self.farmers, self.tax,
                                   sr.wage, sr.price_index ** self.mu)

    def regional_accounts(self, sr, lam) -> dict[str, np.ndarray]:
        """``gdp``: value added produced in each region (wages of workers and farmers: there are
        no profits, taxes are transfers), equal to regional income; ``cost_of_living``: G^mu."""
        return {"gdp": np.asarray(sr.income, dtype=float), "cost_of_living": sr.price_index ** self.mu}

    @property
    def no_black_hole(self) -> bool:
        """True if mu < (sigma - 1)/sigma, the condition for a break point to exist."""
        return self.mu < (self.sigma - 1.0) / self.sigma
