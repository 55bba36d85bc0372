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

Policy (per-region ``tax`` and ``cost``; see docs/policy.md). ``cost_i``: firms in region i need
1 + cost_i units of labour per unit of output (a resource cost), price 1 + cost_i; with
c_i = (1 + cost_i)^(1-s): Delta_j = sum_k lam_k c_k Phi_kj, pi_i = b c_i sum_j Phi_ij E_j/Delta_j.
``tax_i``: a source tax on the return of capital employed in region i. Owners receive the net
return (1 - tax_i) pi_i (capital moves to equalise it: ``payoff``); the revenue
tax_i lam_i pi_i stays in the host region, rebated lump-sum to its labour (which also finances
a subsidy). Owners hold the world portfolio, so each unit owned earns the world net return
r = sum_k lam_k (1 - tax_k) pi_k = b E^w - sum_k tax_k lam_k pi_k, and

    E_i = labour_i + tax_i lam_i pi_i + capital_i r,     E^w = 1/(1 - b) (unchanged).

With taxes E depends on lam and on itself (through pi): the map is then
x -> log(labour + capital b E^w + tax lam pi(E) - capital sum_k tax_k lam_k pi_k(E)), affine in E
with zero column sums in the E-dependent part. A subsidy must be affordable (E_i > 0).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from neg.kernels import BLOCK_SIGNATURE, MAP_SIGNATURE, lazy_njit
from neg.models.base import Capability, Kernels, Model
from neg.models.core_periphery import _cost_factors
from neg.models.params import Param, slots
from neg.operators import freeness_dot, freeness_entry, freeness_tdot

#: the parameters of the model beyond the common ones (neg.models.params.COMMON, POLICY)
PARAMS = (
    Param("mu", "scalar", "expenditure share of manufactures", "expenditure share of manufactures",
          lower=0.0, upper=1.0, slot="par"),
    Param("labour", "shares", "shares of the immobile labour (total 1), by region", "labour shares",
          default=None, slot="reg", role="immobile"),
    Param("capital", "shares", "shares of the immobile capital owners (ownership, total 1), by region",
          "capital ownership shares", default=None, slot="reg"),
)
SIGMA, MU = slots(PARAMS, "par", "sigma", "mu")
LABOUR, CAPITAL, TAX, COST, AMENITY, PRODUCTIVITY = slots(PARAMS, "reg", "labour", "capital", "tax",
                                                           "cost", "amenity", "productivity")

_TINY = 2.2250738585072014e-308  # smallest normal double: floor of E, so log E stays finite


@njit(cache=True, error_model="numpy", nogil=True)
def _has_tax(tax):
    for i in range(tax.size):
        if tax[i] != 0.0:
            return True
    return False


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def _access(lam, cf, Phi, delta):
    """Delta = Phi^T (lam c): the cost-weighted mass of firms selling in each region."""
    lc = np.empty(lam.size)
    for j in range(lam.size):
        lc[j] = lam[j] * cf[j]
    freeness_tdot(Phi, lc, delta)


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def _firm_access(lam, cost, productivity, s, Phi):
    """The cost factors c = ((1 + cost)/productivity)^(1 - s) and Delta = Phi^T (lam c) (also
    Pflueger's)."""
    cf = np.empty(lam.size)
    _cost_factors(cost, productivity, s, cf)
    delta = np.empty(lam.size)
    _access(lam, cf, Phi, delta)
    return cf, delta


@njit(cache=True, error_model="numpy", nogil=True)
def _gross_returns(E, lam, cf, b, Phi, pi, delta):
    """pi_i = b c_i sum_j Phi_ij E_j / Delta_j, Delta = Phi^T (lam c) (E/Delta := 0 where
    Delta = 0: no firm can sell there, which matters only for empty regions' pi)."""
    K = lam.size
    _access(lam, cf, Phi, delta)
    q = np.empty(K)
    for j in range(K):
        q[j] = E[j] / delta[j] if delta[j] > 0.0 else 0.0
    freeness_dot(Phi, q, pi)
    for i in range(K):
        pi[i] *= b * cf[i]


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def _returns_at(x, lam, cost, productivity, s, b, Phi, cf, E, pi, delta):
    """cf: the cost factors, E = exp(x), and pi, Delta of :func:`_gross_returns` at E."""
    _cost_factors(cost, productivity, s, cf)
    for i in range(lam.size):
        E[i] = np.exp(x[i])
    _gross_returns(E, lam, cf, b, Phi, pi, delta)


@lazy_njit(MAP_SIGNATURE, error_model="numpy", nogil=True)
def _expenditure_map(x, lam, par, reg, Phi, out, work):
    s, mu = par[SIGMA], par[MU]
    labour, capital, tax = reg[LABOUR], reg[CAPITAL], reg[TAX]
    K = lam.size
    b = mu / s
    ew = 1.0 / (1.0 - b)
    if not _has_tax(tax):
        for i in range(K):
            out[i] = np.log(max(labour[i] + capital[i] * b * ew, _TINY))
        return
    cf, E, pi, delta = np.empty(K), np.empty(K), np.empty(K), np.empty(K)
    _returns_at(x, lam, reg[COST], reg[PRODUCTIVITY], s, b, Phi, cf, E, pi, delta)
    revenue = 0.0
    for k in range(K):
        if lam[k] > 0.0:
            revenue += tax[k] * lam[k] * pi[k]
    for i in range(K):
        own = tax[i] * lam[i] * pi[i] if lam[i] > 0.0 else 0.0
        out[i] = np.log(max(labour[i] + own + capital[i] * (b * ew - revenue), _TINY))


@lazy_njit(BLOCK_SIGNATURE, error_model="numpy", nogil=True)
def _outputs(x, lam, par, reg, Phi, out):
    s, mu = par[SIGMA], par[MU]
    labour, capital, tax = reg[LABOUR], reg[CAPITAL], reg[TAX]
    K = lam.size
    b = mu / s
    ew = 1.0 / (1.0 - b)
    taxed = _has_tax(tax)
    cf, delta = _firm_access(lam, reg[COST], reg[PRODUCTIVITY], s, Phi)
    c = np.empty(K)
    for j in range(K):
        # income = expenditure (closed form without taxes, else the fixed point)
        out[1, j] = np.exp(x[j]) if taxed else labour[j] + capital[j] * b * ew
        c[j] = out[1, j] / delta[j]
    pi = np.empty(K)
    freeness_dot(Phi, c, pi)
    a = mu / (s - 1.0)
    for j in range(K):
        out[0, j] = b * cf[j] * pi[j]  # gross return to capital employed in j
        out[2, j] = delta[j] ** (1.0 / (1.0 - s))  # price index
        net = (1.0 - tax[j]) * out[0, j]
        out[4, j] = reg[AMENITY, j] * net  # net, nominal, times the amenity: owners do not move
        out[3, j] = net * delta[j] ** a  # real net return (reference only)


@lazy_njit(BLOCK_SIGNATURE, error_model="numpy", nogil=True)
def _jacobian(x, lam, par, reg, Phi, out):
    """Without taxes the map does not depend on x: dF/dx = 0. With taxes
    dF_i/dx_k = (b/Delta_k) [tax_i lam_i c_i Phi_ik - capital_i sum_m tax_m lam_m c_m Phi_mk]
    E_k / E_new_i."""
    out[:, :] = 0.0
    s, mu = par[SIGMA], par[MU]
    labour, capital, tax = reg[LABOUR], reg[CAPITAL], reg[TAX]
    if not _has_tax(tax):
        return
    K = lam.size
    b = mu / s
    ew = 1.0 / (1.0 - b)
    cf, E, pi, delta = np.empty(K), np.empty(K), np.empty(K), np.empty(K)
    _returns_at(x, lam, reg[COST], reg[PRODUCTIVITY], s, b, Phi, cf, E, pi, delta)
    revenue = 0.0
    v = np.zeros(K)  # v_m = tax_m lam_m c_m (occupied regions)
    for m in range(K):
        if lam[m] > 0.0:
            revenue += tax[m] * lam[m] * pi[m]
            v[m] = tax[m] * lam[m] * cf[m]
    col = np.empty(K)
    freeness_tdot(Phi, v, col)  # sum_m v_m Phi_mk
    for i in range(K):
        own = tax[i] * lam[i] * pi[i] if lam[i] > 0.0 else 0.0
        e_new = max(labour[i] + own + capital[i] * (b * ew - revenue), _TINY)
        for k in range(K):
            if delta[k] > 0.0:
                d = (v[i] * freeness_entry(Phi, 0, i, k) - capital[i] * col[k]) * b / delta[k]
                out[i, k] = d * E[k] / e_new


class FootlooseCapital(Model):
    """Footloose-capital model (Martin & Rogers 1995; Baldwin et al. 2003, ch. 3).

    Parameters
    ----------
    sigma, phi (or ``T=``), geography : the common parameters (see :class:`neg.models.base.Model`).
    mu : expenditure share of manufactures, in (0, 1).
    labour : shares of the immobile labour (total 1), default uniform.
    capital : shares of the immobile capital owners (ownership, total 1), default uniform.
    tax : per-region source tax rate on the return of capital employed there, in [-1, 1)
        (negative: a subsidy), default 0. Incidence: owners get the net return (1 - tax) pi;
        the revenue stays in the host region, rebated lump-sum to its labour (which also
        finances a subsidy); owners' income is the world net return on their portfolio.
    cost : per-region extra marginal cost >= 0 (environmental regulation), default 0: firms in
        region i need 1 + cost_i units of labour per unit (a resource cost), price 1 + cost_i.
    share_cap : per-region upper bound on the share of capital employed, in [0, 1]
        (development zones, enforced by the long-run solvers), default 1 (none).

    ``lam`` is the share of firms (capital employed); the long run equalises the nominal
    net return to capital (``payoff`` = (1 - tax) pi; ``wage`` is the gross return pi).
    """

    parameters = PARAMS
    positional = ("sigma", "mu", "phi", "geography", "labour", "capital")
    capabilities = frozenset({Capability.POLICY, Capability.WELFARE, Capability.FUNDAMENTALS})
    kernels = Kernels(_expenditure_map, _outputs, _jacobian)
    mobile_factor = "capital"

    @property
    def expenditure(self) -> np.ndarray:
        """Regional expenditure without taxes, E_i = labour_i + capital_i b E^w (independent of
        lam; with taxes it depends on lam: see ``ShortRun.income``)."""
        b = self.mu / self.sigma
        return self.labour + self.capital * b / (1.0 - b)


    def welfare_groups(self, sr, lam) -> dict[str, dict[str, np.ndarray]]:
        """Per group: ``population`` by region (units of labour; units of capital owned),
        nominal ``income`` per unit and ``utility`` per unit (Cobb-Douglas indirect utility
        without its constant: income / P^mu). Labour earns 1 plus the tax revenue of its
        region; capital owners earn the world net return r = sum_k lam_k (1 - tax_k) pi_k."""
        lam = np.asarray(lam, dtype=float)
        col = sr.price_index ** self.mu
        occupied = lam > 0
        revenue = np.where(occupied, self.tax * lam * np.where(occupied, sr.wage, 0.0), 0.0)
        r = float(np.sum(np.where(occupied, lam * np.where(occupied, sr.payoff, 0.0), 0.0)))
        lab = np.asarray(self.labour, dtype=float)
        y_l = np.where(lab > 0, 1.0 + revenue / np.where(lab > 0, lab, 1.0), 1.0)
        y_k = np.full(self.K, r)
        return {"labour": {"population": lab, "income": y_l, "utility": y_l / col},
                "capital owners": {"population": np.asarray(self.capital, dtype=float),
                                   "income": y_k, "utility": y_k / col}}

    def regional_accounts(self, sr, lam) -> dict[str, np.ndarray]:
        """``gdp``: value added produced in each region, labour_i + lam_i pi_i (wages and the
        gross return of the capital employed there; differs from income E_i by net factor
        income from abroad); ``cost_of_living``: P^mu."""
        lam = np.asarray(lam, dtype=float)
        occupied = lam > 0
        gdp = self.labour + np.where(occupied, lam * np.where(occupied, sr.wage, 0.0), 0.0)
        return {"gdp": gdp, "cost_of_living": sr.price_index ** self.mu}

    def initial_state(self, lam: np.ndarray) -> np.ndarray:
        """log E, already the fixed point."""
        return np.log(np.maximum(self.expenditure, _TINY))
