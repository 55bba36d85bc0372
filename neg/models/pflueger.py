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

Policy (per-region ``tax`` and ``cost``; see docs/policy.md). ``cost_i``: firms in region i need
1 + cost_i units of labour per unit of output (a resource cost), price 1 + cost_i; with
c_i = (1 + cost_i)^(1-s): Delta_j = sum_k lam_k c_k Phi_kj, pi_i = (alpha/s) c_i sum_j Phi_ij
N_j/Delta_j. ``tax_i``: entrepreneurs in i keep (1 - tax_i) pi_i; the revenue tax_i lam_i pi_i is
rebated lump-sum to the workers of region i (who also finance a subsidy). With quasi-linear
utility a transfer changes only spending on the numeraire, so demand for manufactures and Y_i
are unchanged, and

    V_i = (1 - tax_i) pi_i + alpha/(s-1) ln Delta_i + alpha (ln alpha - 1)

(every consumer's income, net of taxes, must exceed alpha). ``wage`` reports the gross pi_i.
"""

from __future__ import annotations

import numpy as np

from neg.kernels import BLOCK_SIGNATURE, MAP_SIGNATURE, lazy_njit
from neg.models.base import Capability, Kernels, Model
from neg.models.footloose_capital import _firm_access
from neg.models.params import Param, slots
from neg.operators import freeness_dot

#: the parameters of the model beyond the common ones (neg.models.params.COMMON, POLICY)
PARAMS = (
    Param("workers", "scalar", "total mass L of immobile workers (entrepreneurs total 1)", "workers",
          units="workers", lower=0.0, default=2.0, slot="par"),
    Param("alpha", "scalar", "weight of ln C_M in utility = every consumer's spending on manufactures",
          "manufactures spending", units="numeraire", lower=0.0, default=1.0, slot="par"),
    Param("worker_shares", "shares", "shares of the immobile workers, by region", "workers' shares",
          default=None, slot="reg", role="immobile"),
)
SIGMA, WORKERS, ALPHA = slots(PARAMS, "par", "sigma", "workers", "alpha")
SHARES, TAX, COST, AMENITY, PRODUCTIVITY = slots(PARAMS, "reg", "worker_shares", "tax", "cost",
                                                 "amenity", "productivity")


@lazy_njit(MAP_SIGNATURE, error_model="numpy", nogil=True)
def _null_map(x, lam, par, reg, Phi, out, work):
    out[:] = 0.0


@lazy_njit(BLOCK_SIGNATURE, error_model="numpy", nogil=True)
def _outputs(x, lam, par, reg, Phi, out):
    s, alpha, L = par[SIGMA], par[ALPHA], par[WORKERS]
    shares, tax = reg[SHARES], reg[TAX]
    K = lam.size
    cf, delta = _firm_access(lam, reg[COST], reg[PRODUCTIVITY], s, Phi)  # Delta = Phi^T (lam c)
    c = np.empty(K)
    for j in range(K):
        c[j] = (L * shares[j] + lam[j]) / delta[j]  # N / Delta
    pi = np.empty(K)
    freeness_dot(Phi, c, pi)
    const = alpha * (np.log(alpha) - 1.0)
    for j in range(K):
        out[0, j] = alpha / s * cf[j] * pi[j]  # entrepreneurs' reward (gross of tax)
        out[1, j] = L * shares[j] + lam[j] * out[0, j]  # income
        out[2, j] = delta[j] ** (1.0 / (1.0 - s))  # price index
        # indirect utility, net of tax
        out[3, j] = (1.0 - tax[j]) * out[0, j] + alpha / (s - 1.0) * np.log(delta[j]) + const
        out[4, j] = out[3, j] + np.log(reg[AMENITY, j])  # quasi-linear: the amenity's log


@lazy_njit(BLOCK_SIGNATURE, error_model="numpy", nogil=True)
def _jacobian(x, lam, par, reg, Phi, out):
    """The map does not depend on x: dF/dx = 0."""
    out[:, :] = 0.0


class Pflueger(Model):
    """Pflüger (2004) quasi-linear footloose-entrepreneur model.

    Parameters
    ----------
    sigma, phi (or ``T=``), geography : the common parameters (see :class:`neg.models.base.Model`).
    workers : total mass L of immobile workers, > 0 (entrepreneurs total 1).
    alpha : the weight of ln C_M in utility = every consumer's spending on manufactures, > 0.
    worker_shares : shares of the immobile workers, default uniform.
    tax : per-region tax rate on entrepreneurs' reward in [-1, 1) (negative: a subsidy),
        default 0. Incidence: entrepreneurs in i keep (1 - tax_i) pi_i, so V_i = (1 - tax_i) pi_i
        - alpha ln P_i + const; the revenue is rebated lump-sum to the workers of region i (who
        also finance a subsidy); with quasi-linear utility demand for manufactures is unchanged.
    cost : per-region extra marginal cost >= 0 (environmental regulation), default 0: firms in
        region i need 1 + cost_i units of labour per unit (a resource cost), price 1 + cost_i.
    share_cap : per-region upper bound on the share of entrepreneurs in [0, 1] (development
        zones, enforced by the long-run solvers), default 1 (none).
    """

    parameters = PARAMS
    positional = ("sigma", "phi", "geography", "workers", "alpha", "worker_shares")
    capabilities = frozenset({Capability.POLICY, Capability.WELFARE, Capability.QUASI_LINEAR,
                              Capability.FUNDAMENTALS})
    kernels = Kernels(_null_map, _outputs, _jacobian)
    mobile_factor = "entrepreneurs"


    def welfare_groups(self, sr, lam) -> dict[str, dict[str, np.ndarray]]:
        """Per group: ``population`` by region, nominal ``income`` per head and ``utility`` per
        head, the quasi-linear indirect utility income - alpha ln P + alpha (ln alpha - 1)
        (in units of the numeraire). Entrepreneurs earn (1 - tax) pi; workers earn 1 plus
        their region's tax revenue per head."""
        lam = np.asarray(lam, dtype=float)
        loss = self.alpha * np.log(sr.price_index) - self.alpha * (np.log(self.alpha) - 1.0)
        wrk = self.workers * np.asarray(self.worker_shares, dtype=float)
        revenue = self.tax * lam * sr.wage
        y_w = np.where(wrk > 0, 1.0 + revenue / np.where(wrk > 0, wrk, 1.0), 1.0)
        y_e = (1.0 - self.tax) * sr.wage
        return {"entrepreneurs": {"population": lam.copy(), "income": y_e, "utility": y_e - loss},
                "workers": {"population": wrk, "income": y_w, "utility": y_w - loss}}

    def regional_accounts(self, sr, lam) -> dict[str, np.ndarray]:
        """``gdp``: value added in each region (workers' wages and entrepreneurs' gross
        reward) = income; ``price_loss``: alpha ln P, the money-metric loss per consumer from
        the price index relative to P = 1. Utility is quasi-linear, so real values are
        money-metric, nominal - (consumers) alpha ln P (see :func:`neg.welfare`)."""
        return {"gdp": np.asarray(sr.income, dtype=float),
                "price_loss": self.alpha * np.log(sr.price_index)}

    @property
    def no_black_hole(self) -> bool:
        """True if (sigma - 1)(workers + 1) > 2 sigma - 1, i.e. a break point phi_b > 0 exists."""
        return (self.sigma - 1.0) * (self.workers + 1.0) > 2.0 * self.sigma - 1.0
