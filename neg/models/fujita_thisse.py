"""Headquarters and plants in the linear framework: a reconstruction of Fujita & Thisse (2006,
*International Economic Review* 47(3), 811-836, "Globalization and the evolution of the supply
chain: who gains and who loses?"; CEPR DP4152, 2003) on top of :mod:`neg.models.linear`
(Ottaviano, Tabuchi & Thisse 2002, "OTT"). The paper's own equations could not be consulted
when this module was written: the specification below is OTT's (taken exactly from
:mod:`neg.models.linear`) plus the elements the paper's abstract names (headquarters in the
core, a communication cost between a headquarters and a remote plant, unskilled wages that
may differ between regions); docs/models.md lists what is reconstructed, which of the
paper's stated results it reproduces, the sources searched (only the abstracts, IDE-JETRO DP 5 and
CEPR DP4152, could be found; they do not say how the communication cost enters) and where the
paper's third result holds here (m (w_0 - w_1) < tau <= 0.2211 in the documented economy).

Regions j (any geography, distances d_ij). OTT's preferences and demands; H skilled workers,
all in the ``core`` region h, run the N = H/F firms (F skilled workers per firm: the
headquarters, HQ); every firm has one plant, wherever it chooses. The long-run state is the
distribution of the plants, ``lam_p`` (n_p = lam_p N plants in p). A plant hires the immobile
unskilled of its region at their wage w_p (``unskilled_wage``, fixed by the numeraire sector,
which is active everywhere), ``unit_labour`` = m of them per unit of output, so its marginal
cost is c_p = m w_p; a plant at distance d_hp > 0 from its HQ costs the firm the communication
cost C d_hp (``communication_cost``, numeraire per unit distance, a fixed cost per firm). With
the trade cost tau per unit distance (OTT's mapping of :class:`~neg.models.linear.Linear`,
tau = (1 - phi) tau_trade), a firm with its plant in i selling in j bears cost_ij = c_i +
tau d_ij per unit, and OTT's segmented markets (:func:`~neg.models.linear.segmented_markets`)
give the choke prices A_j, prices (A_j + cost_ij)/2 and operating profits

    pi_p     = sum_j M_j B (A_j - cost_pj)_+^2 / 4,        M_j = L workers_j + H [j = h],
    Pi_p     = pi_p - C d_hp                  (a firm's profit with its plant in p),
    w_s      = sum_p lam_p Pi_p / F           (the skilled wage: HQs absorb profits, OTT),
    payoff_p = Pi_p / F + S_h                 (a skilled worker's utility if the plant is in p),
    V_j      = w_j + S_j                      (an unskilled worker's utility in j),

S_j the consumer surplus of region j. Plants move to the locations with the highest profit
(the replicator on ``payoff``, which orders locations as Pi does). No fixed point: the map
writes x = 0.

Two regions, core h = 0, plants' share s = lam_1 in the periphery, every pair trading. With
D = beta - gamma + gamma N / 2, delta_0 = c_0 - c_1 - tau, delta_1 = c_0 - c_1 + tau (the cost
advantage of a peripheral plant in markets 0 and 1) and Sigma = c_0 + c_1 + tau, A_j is linear
in s (dA_j/ds = -gamma N delta_j / (2D)) and so is the profit gap (derived here):

    G(s) = Pi_1 - Pi_0 = B/4 sum_j M_j delta_j (2 A_j(s) - Sigma) - C d_01 = G_0 + G_1 s,
    G_1  = -(B gamma N / (4 D)) sum_j M_j delta_j^2 < 0,

so the equilibrium is unique and stable: s* = min(1, max(0, -G_0/G_1)) (all plants in the
core iff G_0 <= 0; :func:`two_region_plant_share`).

Who gains as plants leave (derived here, :func:`two_region_relocation_slopes`): moving plants
from the core to the periphery changes market j's total consumption by dQ_j/ds = N delta_j/(2D)
and, with S_j = (beta - gamma)/2 sum_i n_i q_ij^2 + gamma/2 Q_j^2 (linear demands),

    dS_j/ds    = (N delta_j / 4) (q_0j + q_1j + gamma Q_j / D),   q_ij = B (A_j - cost_ij)/2,
    dpi_0/ds   = -(B gamma N / (4 D)) sum_j M_j delta_j (A_j - cost_0j),

so region j's consumers gain iff delta_j > 0 (the core's iff m (w_0 - w_1) > tau d_01), and at an
interior equilibrium (Pi_0 = Pi_1, the skilled wage pi_0/F) the core's skilled utility pi_0/F +
S_0 moves with s only, at the rate dpi_0/ds / F + dS_0/ds, linear in s.
"""

from __future__ import annotations

import numpy as np

from neg.kernels import BLOCK_SIGNATURE, lazy_njit
from neg.models.base import Capability, Kernels, Model
from neg.models.linear import PARAMS as LINEAR_PARAMS
from neg.models.linear import Linear, _jacobian, _null_map, segmented_markets, unit_trade_cost
from neg.models.params import Param, n_slots, slots

#: OTT's parameters (neg.models.linear, the same slots) and the fragmentation's
PARAMS = LINEAR_PARAMS + (
    Param("unskilled_wage", "rates", "wage of the unskilled by region (fixed by the numeraire sector)",
          "unskilled wage", units="numeraire", lower=0.0, default=1.0, slot="reg"),
    Param("unit_labour", "scalar", "unskilled workers a plant hires per unit of output (marginal cost "
          "unit_labour x unskilled wage)", "unit labour requirement", units="workers",
          lower=0.0, lower_closed=True, default=0.1, slot="par"),
    Param("communication_cost", "scalar", "fixed cost of managing a plant from a headquarters one "
          "unit of distance away", "communication cost", units="numeraire", lower=0.0,
          lower_closed=True, default=0.05, slot="par"),
    Param("core", "index", "the region of the headquarters (all skilled workers)", "core region",
          lower=0.0, lower_closed=True, default=0, slot="par"),
)
ALPHA, BETA, GAMMA, H_MASS, L_MASS, F_REQ, UNIT_LABOUR, COMMUNICATION, CORE = slots(
    PARAMS, "par", "alpha", "beta", "gamma", "H", "L", "F", "unit_labour", "communication_cost", "core",
    policy=False)
WORKERS, WAGE = slots(PARAMS, "reg", "workers", "unskilled_wage", policy=False)
_DIST = n_slots(PARAMS, "reg", policy=False)  # reg[_DIST + i, j] = d_ij (kernel_extras)


@lazy_njit(BLOCK_SIGNATURE, error_model="numpy", nogil=True)
def _outputs(x, lam, par, reg, Phi, out):
    alpha, beta, gamma = par[ALPHA], par[BETA], par[GAMMA]
    H, L, F = par[H_MASS], par[L_MASS], par[F_REQ]
    m, C, h = par[UNIT_LABOUR], par[COMMUNICATION], int(par[CORE])
    K = lam.size
    tau = unit_trade_cost(alpha, beta, gamma, H / F, reg, _DIST, Phi, K)
    n = np.empty(K)
    M = np.empty(K)
    cost = np.empty((K, K))
    for i in range(K):
        n[i] = lam[i] * H / F
        M[i] = L * reg[WORKERS, i] + (H if i == h else 0.0)
        for j in range(K):
            cost[i, j] = m * reg[WAGE, i] + tau * reg[_DIST + i, j]
    pi = np.zeros(K)
    S = np.empty(K)
    segmented_markets(n, cost, M, alpha, beta, gamma, pi, out[2], S)
    w_s = 0.0
    for p in range(K):
        d = reg[_DIST + h, p]
        Pi = pi[p] - C * d if d > 0.0 else pi[p]
        out[0, p] = Pi / F
        w_s += lam[p] * Pi / F
    for j in range(K):
        out[1, j] = L * reg[WORKERS, j] * reg[WAGE, j] + (H * w_s if j == h else 0.0)
        out[3, j] = reg[WAGE, j] + S[j]
        out[4, j] = out[0, j] + S[h]


def _two_region_terms(beta, gamma, H, L, F, workers0, wages, unit_labour, tau, distance):
    """The two-region closed forms' terms: N firms, B = 1/(beta - gamma), D, the marginal costs
    c0, c1, the trade cost t, consumers M and a peripheral plant's cost advantage delta."""
    N = H / F
    c0, c1 = unit_labour * wages[0], unit_labour * wages[1]
    t = tau * distance
    return (N, 1.0 / (beta - gamma), beta - gamma + gamma * N / 2.0, c0, c1, t,
            np.array([L * workers0 + H, L * (1.0 - workers0)]), np.array([c0 - c1 - t, c0 - c1 + t]))


def _choke_prices(alpha, beta, gamma, N, D, home, delta, share):
    """A_j = (alpha (beta - gamma) + gamma N (home_j - delta_j s) / 2) / D, the choke prices in
    both regions with a share s of the plants in the periphery (``home``: a core plant's
    delivered cost in each region)."""
    return (alpha * (beta - gamma) + gamma * N * (home - delta * share) / 2.0) / D


def two_region_plant_share(alpha: float, beta: float, gamma: float, H: float, L: float, F: float,
                           workers0: float, wages: tuple[float, float], unit_labour: float,
                           communication_cost: float, tau: float, distance: float = 1.0) -> dict[str, float]:
    """Two regions, HQs in region 0 (the module docstring's closed form, every pair trading):
    ``G0``, ``G1`` (the profit gap Pi_1 - Pi_0 = G0 + G1 s), ``share`` (s*, the periphery's
    share of the plants at the unique equilibrium) and the choke prices ``A0``, ``A1`` there."""
    N, Bs, D, c0, c1, t, M, delta = _two_region_terms(beta, gamma, H, L, F, workers0, wages,
                                                      unit_labour, tau, distance)
    home = np.array([c0, c0 + t])
    A_at_0 = _choke_prices(alpha, beta, gamma, N, D, home, delta, 0.0)
    dA = -gamma * N * delta / (2.0 * D)
    total = c0 + c1 + t
    G0 = Bs / 4.0 * float(np.sum(M * delta * (2.0 * A_at_0 - total))) - communication_cost * distance
    G1 = Bs / 4.0 * float(np.sum(M * delta * 2.0 * dA))
    s = 0.0 if G0 <= 0.0 else (1.0 if G0 + G1 >= 0.0 else -G0 / G1)
    A = _choke_prices(alpha, beta, gamma, N, D, home, delta, s)
    return {"G0": G0, "G1": G1, "share": s, "A0": float(A[0]), "A1": float(A[1])}


def two_region_relocation_slopes(alpha: float, beta: float, gamma: float, H: float, L: float, F: float,
                                 workers0: float, wages: tuple[float, float], unit_labour: float, tau: float,
                                 share: float, distance: float = 1.0) -> dict[str, np.ndarray | float]:
    """Two regions, core 0, every pair trading, the periphery's share of the plants ``share`` = s:
    the rates at which moving plants out changes consumer surplus (``surplus``: dS_j/ds, both
    regions), total consumption (``consumption``: dQ_j/ds), a core plant's profit per skilled
    worker (``skilled_wage``: dpi_0/ds / F, the skilled wage at an interior equilibrium) and the
    core's skilled utility (``skilled``: dpi_0/ds / F + dS_0/ds) (module docstring; derived
    here, tested against finite differences of the short run)."""
    N, Bs, D, c0, c1, t, M, delta = _two_region_terms(beta, gamma, H, L, F, workers0, wages,
                                                      unit_labour, tau, distance)
    home = np.array([c0, c0 + t])  # a core plant's delivered cost in 0, 1
    A = _choke_prices(alpha, beta, gamma, N, D, home, delta, share)
    q0 = Bs * (A - home) / 2.0  # a core plant's sales per consumer in 0, 1
    q1 = Bs * (A - np.array([c1 + t, c1])) / 2.0  # a peripheral plant's
    Q = N * ((1.0 - share) * q0 + share * q1)
    dS = N * delta / 4.0 * (q0 + q1 + gamma * Q / D)
    dw = -Bs * gamma * N / (4.0 * D) * float(np.sum(M * delta * (A - home))) / F
    return {"surplus": dS, "consumption": N * delta / (2.0 * D), "skilled_wage": dw,
            "skilled": dw + float(dS[0])}


class FujitaThisse(Model):
    """Headquarters in the core, plants anywhere: Fujita & Thisse (2006) reconstructed on OTT's
    linear framework (module docstring; docs/models.md says what is reconstructed).

    Parameters
    ----------
    alpha, beta, gamma, workers, H, L, F : as in :class:`~neg.models.linear.Linear` (OTT); here
        all H skilled workers live in ``core``.
    phi (or ``T=``), geography : trade cost tau = (1 - phi) tau_trade per unit distance, as in
        Linear (``tau``, ``tau_trade``, ``phi_of_tau``).
    unskilled_wage : the unskilled wage by region (one number for all; default 1).
    unit_labour : unskilled workers per unit of output (marginal cost unit_labour x wage), >= 0.
    communication_cost : the fixed cost C per unit distance between a firm's HQ and its plant.
    core : the region of the headquarters.

    The state ``lam`` is the distribution of the plants. ``wage`` = Pi_p / F (the skilled wage
    a firm pays with its plant in p), ``income`` = unskilled wages + (in the core) skilled
    wages, ``price_index`` = the choke price A_j, ``real_wage`` = w_j + S_j (an unskilled
    worker's utility), ``payoff`` = Pi_p / F + S_core.
    """

    parameters = PARAMS
    positional = ("alpha", "beta", "gamma", "phi", "geography", "workers")
    capabilities = frozenset({Capability.WELFARE, Capability.QUASI_LINEAR})
    kernels = Kernels(_null_map, _outputs, _jacobian)
    mobile_factor = "plants"
    mobile_mass_of = None  # plants are not a tax base

    def _validate(self) -> None:
        if not self.beta > self.gamma:
            raise ValueError(f"beta: must be > gamma = {self.gamma:g} (varieties are imperfect "
                             f"substitutes), got {self.beta:g}")
        if not self.core < self.K:
            raise ValueError(f"core: must be a region index in [0, {self.K - 1}], got {self.core}")

    def kernel_extras(self):
        """reg: the distance matrix (K rows), for tau_ij = tau d_ij and C d_hp."""
        return None, np.asarray(self.geography.distance, dtype=float)

    tau_trade = Linear.tau_trade
    tau = Linear.tau
    phi_of_tau = Linear.phi_of_tau

    @property
    def marginal_cost(self) -> np.ndarray:
        """c_p = unit_labour x unskilled_wage_p, a plant's marginal cost by region."""
        return self.unit_labour * np.asarray(self.unskilled_wage, dtype=float)

    def consumer_surplus(self, sr) -> np.ndarray:
        """S_j from a short run's ``real_wage`` row (w_j + S_j)."""
        return np.asarray(sr.real_wage, dtype=float) - np.asarray(self.unskilled_wage, dtype=float)

    def welfare_groups(self, sr, lam) -> dict[str, dict[str, np.ndarray]]:
        """Per group: ``population``, ``income`` per head (skilled: the mean wage sum_p lam_p
        Pi_p / F, all in the core; unskilled: their wage) and quasi-linear ``utility`` = income +
        consumer surplus S (endowments omitted)."""
        lam = np.asarray(lam, dtype=float)
        S = self.consumer_surplus(sr)
        w_s = float(lam @ np.asarray(sr.wage, dtype=float))
        skilled = np.zeros(self.K)
        skilled[self.core] = self.H
        wages = np.asarray(self.unskilled_wage, dtype=float)
        return {"skilled": {"population": skilled, "income": np.full(self.K, w_s), "utility": w_s + S},
                "unskilled": {"population": self.L * np.asarray(self.workers, dtype=float),
                              "income": wages.copy(), "utility": wages + S}}

    def regional_accounts(self, sr, lam) -> dict[str, np.ndarray]:
        """``gdp`` = income; ``price_loss`` = -S (quasi-linear: real = nominal - consumers x
        price_loss)."""
        return {"gdp": np.asarray(sr.income, dtype=float), "price_loss": -self.consumer_surplus(sr)}

    def _two_region(self, what: str) -> tuple[tuple, float]:
        """The closed forms' common arguments (alpha, beta, gamma, H, L, F, the core's share of
        the unskilled, the unskilled wages ordered core, periphery) and the distance; an error
        naming ``what`` off two regions."""
        if self.K != 2:
            raise ValueError(f"{what}: the closed form is for two regions, this geography has {self.K}")
        wages = np.asarray(self.unskilled_wage, dtype=float)[[self.core, 1 - self.core]]
        return ((self.alpha, self.beta, self.gamma, self.H, self.L, self.F, float(self.workers[self.core]),
                 (float(wages[0]), float(wages[1]))), float(self.geography.distance[0, 1]))

    def plant_share(self) -> dict[str, float]:
        """Two regions: :func:`two_region_plant_share` for this model (core 0 or 1), with the
        share ``s`` of the plants outside the core."""
        args, distance = self._two_region("plant_share")
        return two_region_plant_share(*args, self.unit_labour, self.communication_cost, self.tau, distance)

    def relocation_slopes(self, share: float) -> dict[str, np.ndarray | float]:
        """Two regions: :func:`two_region_relocation_slopes` for this model at the periphery's
        share ``share`` of the plants (``surplus`` and ``consumption`` ordered core, periphery)."""
        args, distance = self._two_region("relocation_slopes")
        return two_region_relocation_slopes(*args, self.unit_labour, self.tau, float(share), distance)
