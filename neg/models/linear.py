"""The linear framework of Ottaviano, Tabuchi & Thisse (2002, *International Economic Review*
43(2), 409-435, "Agglomeration and trade revisited"), "OTT": quasi-linear quadratic utility,
linear demands, additive per-unit trade costs.

Preferences (every consumer; q0 the numeraire, freely traded agriculture)

    U = alpha int q(v) dv - (beta - gamma)/2 int q(v)^2 dv - gamma/2 (int q(v) dv)^2 + q0,

alpha > 0, beta > gamma > 0. H mobile skilled workers (shares ``lam_i``) and L immobile unskilled
workers (shares ``workers_i``, wage 1 in agriculture). A firm needs F skilled workers (OTT's
phi, renamed: phi is neg's freeness) and no marginal input, so region i has n_i = lam_i H/F
varieties, N = H/F in all; skilled wages absorb operating profits, w_i = pi_i / F.

With N_j the mass of varieties consumed in market j, B = 1/(beta - gamma) and OTT's
a = alpha/(beta - gamma + gamma N_j), b = 1/(beta - gamma + gamma N_j), c = gamma B b, the demand
of a consumer for a variety sold at price p is q = a - (b + c N_j) p + c P_j = B (A_j - p),
P_j = int p, A_j = (a + c P_j)/B its choke price. Markets are segmented; a firm in i selling in j
bears the cost tau_ij per unit and sets p_ij = (A_j + tau_ij)/2, so

    A_j      = (alpha (beta - gamma) + gamma T_j / 2) / (beta - gamma + gamma N_j / 2),
               T_j = sum_{i sells in j} n_i tau_ij,
    q_ij     = B (A_j - tau_ij)/2,    profit per consumer B (A_j - tau_ij)^2 / 4,
    pi_i     = sum_j M_j B (A_j - tau_ij)_+^2 / 4,   M_j = L workers_j + H lam_j (consumers),
    S_j      = U(q_j) - sum_i n_i p_ij q_ij           (consumer surplus, from the primitives),
    V_i      = w_i + S_i                               (indirect utility of the skilled = payoff),

(the unskilled get 1 + S_i; endowments omitted). Firm i sells in j iff tau_ij < A_j; adding
sellers in increasing order of tau_ij lowers A_j towards each new seller's cost (a mediant), so
the set of sellers is found greedily; where all N varieties are sold this is OTT's equilibrium
(their p_HH = (2a + tau c n_F)/(2(2b + cN)) = A_H/2). There is no fixed point: the map writes
x = 0.

Trade costs (neg's mapping, the common ``phi``): trade between regions one unit apart stops at
the two-region prohibitive cost tau_trade = 2a/(2b + cN) = 2 alpha (beta - gamma)/(2 (beta -
gamma) + gamma N) (OTT: trade for tau < tau_trade whatever lam), and neg writes the unit trade
cost as tau = (1 - phi) tau_trade, tau_ij = tau d_ij (per unit distance). phi = 1 is free trade,
phi -> 0 the prohibitive cost; the generic solvers scan phi in (0, 1) unchanged. The kernels
read phi from the freeness operator's entry of the nearest pair of regions (Phi = phi^d) and
the distances from ``kernel_extras``. The linear model has no elasticity of substitution: its
``sigma`` is fixed at 2, only so that the common T = phi^(1/(1-sigma)) = 1/phi is defined (T is
not an iceberg factor here).

Two regions, uniform unskilled (derived here in closed form, the payoff gap being exactly
linear in lam; tau* is OTT's threshold):
V_1 - V_2 = C tau (tau* - tau)(lam - 1/2) with C > 0, exactly linear in lam, so the break and
sustain points coincide:

    tau*  = 4 a F (3 b F + 2 c H) / (2 b F (3 b F + 3 c H + c L) + c^2 H (L + H))

(dispersion stable for tau > tau*, agglomeration for tau < tau*: OTT's threshold); and total
surplus (the utilitarian sum, neg.welfare's national welfare) is higher under agglomeration than
under dispersion iff tau < tau° (derived here by the same algebra and checked numerically
against the primitives):

    tau°  = 16 a F (3 b F + c H) / (24 b^2 F^2 + 16 b c F H + 3 c^2 H^2 + c L (8 b F + 3 c H)),

with a, b, c at N = H/F (:func:`two_region_thresholds`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from neg.kernels import BLOCK_SIGNATURE, MAP_SIGNATURE, lazy_njit
from neg.models.base import Capability, Kernels, Model
from neg.models.params import Param, n_slots, slots
from neg.operators import freeness_entry

#: the parameters of the model beyond the common ones (neg.models.params.COMMON)
PARAMS = (
    Param("sigma", "scalar", "not a parameter of the linear model (fixed at 2, so that the common "
          "T = 1/phi is defined)", "elasticity of substitution (unused)", lower=2.0, upper=2.0,
          lower_closed=True, upper_closed=True, default=2.0),
    Param("alpha", "scalar", "alpha in U: the demand intercept (reservation price of the first unit)",
          "demand intercept", units="numeraire", lower=0.0, default=1.0, slot="par"),
    Param("beta", "scalar", "beta in U (> gamma): the own quadratic term", "own-variety curvature",
          lower=0.0, default=1.0, slot="par"),
    Param("gamma", "scalar", "gamma in U: substitutability between varieties", "substitutability",
          lower=0.0, default=0.5, slot="par"),
    Param("workers", "shares", "shares of the immobile unskilled workers, by region", "unskilled shares",
          default=None, slot="reg", role="immobile"),
    Param("H", "scalar", "mass of mobile skilled workers", "skilled workers", units="workers",
          lower=0.0, default=1.0, slot="par"),
    Param("L", "scalar", "mass of immobile unskilled workers", "unskilled workers", units="workers",
          lower=0.0, lower_closed=True, default=10.0, slot="par"),
    Param("F", "scalar", "skilled workers per firm (fixed requirement; OTT's phi)", "skilled per firm",
          units="workers", lower=0.0, default=1.0, slot="par"),
)
ALPHA, BETA, GAMMA, H_MASS, L_MASS, F_REQ = slots(PARAMS, "par", "alpha", "beta", "gamma", "H", "L",
                                                  "F", policy=False)
WORKERS = slots(PARAMS, "reg", "workers", policy=False)
_DIST = n_slots(PARAMS, "reg", policy=False)  # reg[_DIST + i, j] = d_ij (kernel_extras)


@lazy_njit(MAP_SIGNATURE, error_model="numpy", nogil=True)
def _null_map(x, lam, par, reg, Phi, out, work):
    out[:] = 0.0


@njit(cache=True, error_model="numpy", nogil=True)
def unit_trade_cost(alpha, beta, gamma, N, reg, dist, Phi, K):
    """tau = (1 - phi) tau_trade per unit distance, tau_trade = 2 alpha (beta - gamma) / (2 (beta -
    gamma) + gamma N), phi read from the freeness of the nearest pair (distances in rows
    ``dist`` .. ``dist + K - 1`` of ``reg``)."""
    tau_trade = 2.0 * alpha * (beta - gamma) / (2.0 * (beta - gamma) + gamma * N)
    dmin, phi = np.inf, 1.0
    for i in range(K):
        for j in range(K):
            d = reg[dist + i, j]
            if 0.0 < d < dmin:
                dmin = d
                phi = freeness_entry(Phi, 0, i, j) ** (1.0 / d)
    return (1.0 - phi) * tau_trade


@njit(cache=True, error_model="numpy", nogil=True)
def segmented_markets(n, cost, M, alpha, beta, gamma, pi, A, S):
    """OTT's segmented markets on K regions: n_i sellers in region i, each bearing the per-unit
    cost ``cost[i, j]`` (trade cost, plus a marginal cost where the model has one) to sell in
    j, M_j consumers in j. Sellers are added in increasing order of cost while they can sell
    (cost < A_j); writes the choke prices ``A`` and consumer surpluses ``S`` and adds each
    market's operating profit per firm, M_j B (A_j - cost_ij)_+^2 / 4, to ``pi[i]`` (also where
    n_i = 0: what a firm there would earn)."""
    K = n.size
    Bs = 1.0 / (beta - gamma)
    order = np.empty(K, dtype=np.int64)
    for j in range(K):
        order[:] = np.argsort(cost[:, j])
        Nj, Tj = 0.0, 0.0
        a = alpha  # the choke price with nothing sold
        for r in range(K):  # sellers in increasing order of cost, while they can sell
            i = order[r]
            if n[i] <= 0.0:
                continue
            if cost[i, j] >= a:
                break
            Nj += n[i]
            Tj += n[i] * cost[i, j]
            a = (alpha * (beta - gamma) + 0.5 * gamma * Tj) / (beta - gamma + 0.5 * gamma * Nj)
        Q, sq, spend = 0.0, 0.0, 0.0
        for i in range(K):
            m = a - cost[i, j]
            if m > 0.0:
                pi[i] += M[j] * Bs * m * m / 4.0
                if n[i] > 0.0:
                    q = Bs * m / 2.0
                    Q += n[i] * q
                    sq += n[i] * q * q
                    spend += n[i] * q * (a + cost[i, j]) / 2.0
        A[j] = a  # every price in j is (A_j + cost_ij)/2
        S[j] = alpha * Q - 0.5 * (beta - gamma) * sq - 0.5 * gamma * Q * Q - spend


@lazy_njit(BLOCK_SIGNATURE, error_model="numpy", nogil=True)
def _outputs(x, lam, par, reg, Phi, out):
    alpha, beta, gamma = par[ALPHA], par[BETA], par[GAMMA]
    H, L, F = par[H_MASS], par[L_MASS], par[F_REQ]
    K = lam.size
    tau = unit_trade_cost(alpha, beta, gamma, H / F, reg, _DIST, Phi, K)
    n = np.empty(K)
    M = np.empty(K)
    cost = np.empty((K, K))
    for i in range(K):
        n[i] = lam[i] * H / F
        M[i] = L * reg[WORKERS, i] + H * lam[i]
        for j in range(K):
            cost[i, j] = tau * reg[_DIST + i, j]
    pi = np.zeros(K)
    segmented_markets(n, cost, M, alpha, beta, gamma, pi, out[2], out[3])
    for i in range(K):
        w = pi[i] / F
        S = out[3, i]
        out[0, i] = w
        out[1, i] = L * reg[WORKERS, i] + H * lam[i] * w
        out[3, i] = w + S
        out[4, i] = out[3, i]


@lazy_njit(BLOCK_SIGNATURE, error_model="numpy", nogil=True)
def _jacobian(x, lam, par, reg, Phi, out):
    """The map does not depend on x: dF/dx = 0."""
    out[:, :] = 0.0


def two_region_thresholds(alpha: float, beta: float, gamma: float, H: float, L: float,
                          F: float) -> dict[str, float]:
    """OTT's two-region trade costs, uniform unskilled: ``tau_trade`` (prohibitive), ``tau_star``
    (break = sustain) and ``tau_welfare`` (tau°: total surplus equal under agglomeration and
    dispersion), in units of the numeraire per unit distance, with a, b, c at N = H/F."""
    N = H / F
    b = 1.0 / (beta - gamma + gamma * N)
    a, c = alpha * b, gamma * b / (beta - gamma)
    tau_trade = 2.0 * a * F / (2.0 * b * F + c * H)
    tau_star = (4.0 * a * F * (3.0 * b * F + 2.0 * c * H)
                / (2.0 * b * F * (3.0 * b * F + 3.0 * c * H + c * L) + c * c * H * (L + H)))
    tau_w = (16.0 * a * F * (3.0 * b * F + c * H)
             / (24.0 * b * b * F * F + 16.0 * b * c * F * H + 3.0 * c * c * H * H
                + c * L * (8.0 * b * F + 3.0 * c * H)))
    return {"tau_trade": tau_trade, "tau_star": tau_star, "tau_welfare": tau_w}


class Linear(Model):
    """The linear (OTT 2002) model: quasi-linear quadratic utility, additive trade costs.

    Parameters
    ----------
    alpha, beta, gamma : the utility parameters, alpha > 0, beta > gamma > 0.
    phi (or ``T=`` = 1/phi), geography : trade costs tau = (1 - phi) tau_trade per unit distance
        (``tau``, ``tau_trade``; see the module docstring) and the regions.
    workers : shares of the immobile unskilled, default uniform.
    H : mass of mobile skilled workers, > 0; L : of immobile unskilled, >= 0.
    F : skilled workers per firm (OTT's phi), > 0.
    amenity, productivity : not read (no ``Capability.FUNDAMENTALS``): firms have no marginal
        cost for a productivity to divide; both must stay 1.

    ``wage`` = skilled wage pi/F; ``income`` = L workers + H lam w; ``price_index`` = the choke
    price A_j of market j (every price there is (A_j + tau_ij)/2); ``real_wage`` = ``payoff`` =
    w + S (S: the consumer surplus).
    """

    parameters = PARAMS
    positional = ("alpha", "beta", "gamma", "phi", "geography", "workers")
    capabilities = frozenset({Capability.WELFARE, Capability.QUASI_LINEAR})
    kernels = Kernels(_null_map, _outputs, _jacobian)
    mobile_factor = "skilled"
    mobile_mass_of = "H"

    def _validate(self) -> None:
        if not self.beta > self.gamma:
            raise ValueError(f"beta: must be > gamma = {self.gamma:g} (varieties are imperfect "
                             f"substitutes), got {self.beta:g}")

    def kernel_extras(self):
        """reg: the distance matrix (K rows), for tau_ij = tau d_ij."""
        return None, np.asarray(self.geography.distance, dtype=float)

    @property
    def tau_trade(self) -> float:
        """The prohibitive trade cost between two regions one unit apart (every lam)."""
        N = self.H / self.F
        return 2.0 * self.alpha * (self.beta - self.gamma) / (2.0 * (self.beta - self.gamma)
                                                              + self.gamma * N)

    @property
    def tau(self) -> float:
        """The trade cost per unit distance, (1 - phi) tau_trade."""
        return (1.0 - self.phi) * self.tau_trade

    def phi_of_tau(self, tau: float) -> float:
        """The common freeness ``phi`` for a trade cost per unit distance ``tau`` in
        [0, tau_trade)."""
        tau = float(tau)
        if not 0.0 <= tau < self.tau_trade:
            raise ValueError(f"tau: must lie in [0, tau_trade = {self.tau_trade:g}), got {tau:g}")
        return 1.0 - tau / self.tau_trade

    def welfare_groups(self, sr, lam) -> dict[str, dict[str, np.ndarray]]:
        """Per group: ``population``, ``income`` per head (skilled w, unskilled 1) and quasi-linear
        ``utility`` = income + consumer surplus S (endowments omitted)."""
        lam = np.asarray(lam, dtype=float)
        S = np.asarray(sr.real_wage, dtype=float) - np.asarray(sr.wage, dtype=float)
        w = np.asarray(sr.wage, dtype=float)
        return {"skilled": {"population": self.H * lam, "income": w.copy(), "utility": w + S},
                "unskilled": {"population": self.L * np.asarray(self.workers, dtype=float),
                              "income": np.ones(self.K), "utility": 1.0 + S}}

    def regional_accounts(self, sr, lam) -> dict[str, np.ndarray]:
        """``gdp`` = income (skilled wages and unskilled wages); ``price_loss`` = -S, the
        consumer surplus with the sign of a loss (real = nominal - consumers x price_loss)."""
        S = np.asarray(sr.real_wage, dtype=float) - np.asarray(sr.wage, dtype=float)
        return {"gdp": np.asarray(sr.income, dtype=float), "price_loss": -S}

    def thresholds(self) -> dict[str, float]:
        """:func:`two_region_thresholds` for this model's parameters (two regions, uniform
        unskilled), plus their freeness ``phi_star``, ``phi_welfare``."""
        t = two_region_thresholds(self.alpha, self.beta, self.gamma, self.H, self.L, self.F)
        t["phi_star"] = 1.0 - t["tau_star"] / t["tau_trade"]
        t["phi_welfare"] = 1.0 - t["tau_welfare"] / t["tau_trade"]
        return t
