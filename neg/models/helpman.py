"""Helpman (1998, in Pines, Sadka & Zilcha (eds), *Topics in Public Economics*, "The size of
regions"): the core-periphery structure with a fixed housing stock in place of immobile farmers.
See also Ottaviano & Thisse (2004, *Handbook of Regional and Urban Economics* 4, ch. 58) and,
for the role of the rent rule, Murata & Thisse (2005) and Pflüger & Südekum (2008).

All labour (total 1, shares ``lam_i``) is mobile and works in manufacturing. Region i has a
fixed housing stock H_i (``housing``: shares of a total stock normalised to 1; a big city with
scarce land gets a small share). Consumers spend mu on manufactures (CES, elasticity s) and
1 - mu on housing (Cobb-Douglas). Rents go either to the residents of the region, per head
(``rents="local"``), or into a national pool shared equally by everyone (``"national"``).
Helpman (1998) pools them nationally (everyone owns an equal share of the housing stock):
``rents="national"`` is his model. ``"local"``, the default, is the quantitative literature's
rule (Redding & Sturm 2008; Redding 2016; Redding & Rossi-Hansberg 2017), kept as the default
because neg.calibrate's matrix scaling inverts it and the shipped configs use it (docs/models.md).
With Phi_ij = phi**d_ij and k = (1 - mu)/mu:

    G_i^(1-s) = sum_j lam_j w_j^(1-s) Phi_ji                    (n_j = lam_j firms)
    w_i^s     = mu sum_j Y_j G_j^(s-1) Phi_ij                   (zero profit)
    Y_i       = lam_i w_i / mu                  (local: rent income (1 - mu) Y_i stays in i)
              = lam_i (w_i + k sum_j lam_j w_j) (national: rents (1 - mu) Y^w shared equally)
    y_i       = w_i / mu   or   w_i + k sum_j lam_j w_j         (income per head)
    p_i       = (1 - mu) Y_i / H_i                               (housing rent)
    omega_i   = y_i G_i^(-mu) p_i^(-(1-mu))      (indirect utility = real_wage = payoff)

The system is homogeneous of degree one in nominal values (there is no numeraire sector), so
the numeraire is the world wage bill: sum_j lam_j w_j = 1 (then w = 1 at the uniform
distribution on a symmetric geography, world income is 1/mu and world rents (1 - mu)/mu).
omega omits the Cobb-Douglas constant mu^mu (1 - mu)^(1 - mu). In an empty region housing
is free (p_i = 0), so its payoff is +inf: full agglomeration is never an equilibrium.

The unknowns are x = log w; the map is x -> z - log(sum_j lam_j e^(z_j)) with
z = (1/s) log(mu Phi (Y G^(s-1))), whose fixed points are the equilibria (by Walras' law,
sum_i lam_i w_i^(1-s) [w_i^s] = mu Y^w = sum_i lam_i w_i for any w).

Two regions, uniform housing (linearising omega_1 - omega_2 at lam = 1/2; both formulas derived
for this module, not Helpman's, verified by symbolic linearisation in an independent review and
against an independent solver in tests/test_helpman.py). Here the uniform
distribution is unstable at LOW freeness and GAINS stability as phi rises past phi_B:

* local rents:    phi_B = (2s - 1)(1 - s(1 - mu)) / (s(1 + mu) - 1);
* national rents: phi_B is the root in (0, 1) of A phi^2 + B phi + C = 0 with
  A = (1 + mu)(1 - s(1 + mu)), B = 2[s mu (2(s - 1) + mu) - (s - 1)(2s - 1)],
  C = (1 - mu)(1 - s(1 - mu)).

Both exist iff s(1 - mu) < 1; if s(1 - mu) > 1 dispersion is stable at every trade cost.

Policy (per-region ``tax`` and ``cost``; see docs/policy.md). ``cost_i``: firms in region i need
1 + cost_i times the labour per unit of output (a resource cost), price (1 + cost_i) w_i; with
c_i = (1 + cost_i)^(1-s): G_i^(1-s) = sum_j lam_j c_j w_j^(1-s) Phi_ji and
w_i^s = mu c_i sum_j Y_j G_j^(s-1) Phi_ij. ``tax_i``: a tax on the wage of workers in region i.
The region's only immobile factor is its housing, so the revenue goes to the owners of the
region's housing, i.e. it follows the rent rule: ``rents="local"``: back to the region's
residents per head, so the tax is NEUTRAL (y_i = w_i/mu whatever tax_i: a uniform lump-sum
rebate to the taxpayers themselves); ``rents="national"``: into the national pool, so that

    y_i = (1 - tax_i) w_i + k sum_j lam_j w_j + sum_j tax_j lam_j w_j,   Y_i = lam_i y_i

(world income is still sum_j lam_j w_j / mu and Walras' law still holds). ``wage`` reports the
gross w_i; ``real_wage`` = ``payoff`` = y_i G_i^(-mu) p_i^(-(1-mu)).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from neg.kernels import BLOCK_SIGNATURE, MAP_SIGNATURE
from neg.models.base import Capability, Kernels, Model
from neg.models.core_periphery import _cost_factors
from neg.models.params import Param, slots
from neg.operators import freeness_dot, freeness_dot_block, freeness_tdot, freeness_tdot_block

RENTS = ("local", "national")

#: the parameters of the model beyond the common ones (neg.models.params.COMMON, POLICY)
PARAMS = (
    Param("mu", "scalar", "expenditure share of manufactures (1 - mu is spent on housing)",
          "expenditure share of manufactures", lower=0.0, upper=1.0, slot="par"),
    Param("housing", "shares", "shares of the housing stock (total 1), every one > 0", "housing shares",
          default=None, slot="reg", role="immobile"),
    Param("rents", "choice", "who receives the housing rents: the region's residents per head "
          "(local) or everyone equally (national)", "rent rule", default="local", choices=RENTS,
          slot="par"),
)
SIGMA, MU, NATIONAL = slots(PARAMS, "par", "sigma", "mu", "rents")
HOUSING, TAX, COST, AMENITY, PRODUCTIVITY = slots(PARAMS, "reg", "housing", "tax", "cost", "amenity",
                                                  "productivity")


@njit(cache=True, error_model="numpy", nogil=True)
def _incomes(w, lam, mu, national, tax, Y, y):
    """Regional income Y and income per head y (see the module docstring)."""
    K = lam.size
    if national:
        S = 0.0
        R = 0.0
        for j in range(K):
            S += lam[j] * w[j]
            R += tax[j] * lam[j] * w[j]
        r = (1.0 - mu) / mu * S + R
        for j in range(K):
            y[j] = (1.0 - tax[j]) * w[j] + r
            Y[j] = lam[j] * y[j]
    else:
        for j in range(K):
            y[j] = w[j] / mu
            Y[j] = lam[j] * y[j]


@njit(MAP_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _wage_map(x, lam, par, reg, Phi, out, work):
    s, mu, national = par[SIGMA], par[MU], par[NATIONAL] > 0.5
    K = lam.size
    cf = np.empty(K)
    _cost_factors(reg[COST], reg[PRODUCTIVITY], s, cf)
    w = np.empty(K)
    a = np.empty(K)
    for j in range(K):
        w[j] = np.exp(x[j])
        a[j] = lam[j] * cf[j] * np.exp((1.0 - s) * x[j])
    g = np.empty(K)
    freeness_tdot(Phi, a, g)  # G^(1-s)
    Y = np.empty(K)
    y = np.empty(K)
    _incomes(w, lam, mu, national, reg[TAX], Y, y)
    b = np.empty(K)
    for j in range(K):
        b[j] = Y[j] / g[j]
    freeness_dot(Phi, b, out)  # w^s / (mu c)
    S = 0.0
    for i in range(K):
        out[i] = np.log(mu * cf[i] * out[i]) / s
        S += lam[i] * np.exp(out[i])
    S = np.log(S)
    for i in range(K):
        out[i] -= S


@njit(BLOCK_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _outputs(x, lam, par, reg, Phi, out):
    s, mu, national = par[SIGMA], par[MU], par[NATIONAL] > 0.5
    housing = reg[HOUSING]
    K = lam.size
    cf = np.empty(K)
    _cost_factors(reg[COST], reg[PRODUCTIVITY], s, cf)
    w = np.empty(K)
    a = np.empty(K)
    for j in range(K):
        w[j] = np.exp(x[j])
        a[j] = lam[j] * cf[j] * w[j] ** (1.0 - s)
    g = np.empty(K)
    freeness_tdot(Phi, a, g)
    Y = np.empty(K)
    y = np.empty(K)
    _incomes(w, lam, mu, national, reg[TAX], Y, y)
    for j in range(K):
        G = g[j] ** (1.0 / (1.0 - s))
        p = (1.0 - mu) * Y[j] / housing[j]  # 0 in an empty region: omega = +inf
        out[0, j] = w[j]
        out[1, j] = Y[j]
        out[2, j] = G
        out[3, j] = y[j] * G ** (-mu) * p ** (mu - 1.0)
        out[4, j] = reg[AMENITY, j] * out[3, j]  # payoff: times the amenity


@njit(BLOCK_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _jacobian(x, lam, par, reg, Phi, out):
    """dF/dx = (I - 1 pi^T) dz/dx, pi_m = lam_m e^(z_m) / sum, with
    dz/dx = (1/s) diag(1/h) Phi [dY/dx / g - diag(Y/g^2) M1], h = Phi (Y/g),
    M1 = Phi^T diag((1-s) a); dY_j/dx_k = lam_j w_j/mu delta_jk (local) or
    lam_j [(1 - tax_j) w_j delta_jk + (k + tax_k) lam_k w_k] (national)."""
    s, mu, national = par[SIGMA], par[MU], par[NATIONAL] > 0.5
    tax = reg[TAX]
    K = lam.size
    cf = np.empty(K)
    _cost_factors(reg[COST], reg[PRODUCTIVITY], s, cf)
    w = np.empty(K)
    D = np.zeros((K, K))
    for j in range(K):
        w[j] = np.exp(x[j])
        D[j, j] = (1.0 - s) * lam[j] * cf[j] * np.exp((1.0 - s) * x[j])
    a = np.empty(K)
    for j in range(K):
        a[j] = D[j, j] / (1.0 - s)
    g = np.empty(K)
    freeness_tdot(Phi, a, g)  # G^(1-s)
    Y = np.empty(K)
    y = np.empty(K)
    _incomes(w, lam, mu, national, tax, Y, y)
    b = np.empty(K)
    for j in range(K):
        b[j] = Y[j] / g[j]
    h = np.empty(K)
    freeness_dot(Phi, b, h)
    M1 = np.empty((K, K))
    freeness_tdot_block(Phi, D, M1)  # M1[j, k] = Phi_kj (1-s) a_k = dg_j/dx_k
    k_r = (1.0 - mu) / mu
    for j in range(K):
        yj = Y[j] / (g[j] * g[j])
        for k in range(K):
            M1[j, k] = -yj * M1[j, k]
            if national:
                M1[j, k] += lam[j] * (k_r + tax[k]) * lam[k] * w[k] / g[j]
        if national:
            M1[j, j] += lam[j] * (1.0 - tax[j]) * w[j] / g[j]
        else:
            M1[j, j] += lam[j] * w[j] / (mu * g[j])
    Z = np.empty((K, K))
    freeness_dot_block(Phi, M1, Z)
    pi = np.empty(K)
    tot = 0.0
    for i in range(K):
        for k in range(K):
            Z[i, k] /= s * h[i]
        pi[i] = lam[i] * (mu * cf[i] * h[i]) ** (1.0 / s)
        tot += pi[i]
    for k in range(K):
        m = 0.0
        for i in range(K):
            m += pi[i] * Z[i, k]
        m /= tot
        for i in range(K):
            out[i, k] = Z[i, k] - m


class Helpman(Model):
    """Helpman (1998): mobile labour, a fixed housing stock per region.

    Parameters
    ----------
    sigma, phi (or ``T=``), geography : the common parameters (see :class:`neg.models.base.Model`).
    mu : expenditure share of manufactures (1 - mu is spent on housing), in (0, 1).
    housing : shares of the housing stock (total 1), every one > 0; default uniform.
    rents : ``"local"`` (default; rents go to the region's residents, per head: the
        quantitative literature's rule, Redding & Sturm 2008) or ``"national"`` (rents pooled
        and shared equally by everyone: Helpman 1998's own rule).
    tax : per-region tax rate on workers' wages in [-1, 1) (negative: a subsidy), default 0.
        Incidence: the revenue goes to the owners of the region's housing, following the rent
        rule: neutral under local rents (rebated per head to the taxpayers themselves); under
        national rents it joins the national pool shared equally by everyone.
    cost : per-region extra marginal cost >= 0 (environmental regulation), default 0: firms in
        region i need 1 + cost_i times the labour per unit (a resource cost), price (1 + cost) w.
    share_cap : per-region upper bound on the share of workers in [0, 1] (development zones,
        enforced by the long-run solvers), default 1 (none).
    """

    parameters = PARAMS
    positional = ("sigma", "mu", "phi", "geography", "housing", "rents")
    capabilities = frozenset({Capability.POLICY, Capability.WELFARE, Capability.FUNDAMENTALS,
                              Capability.GRAVITY_INVERSION})
    kernels = Kernels(_wage_map, _outputs, _jacobian)
    mobile_factor = "workers"

    def _validate(self) -> None:
        empty = np.flatnonzero(np.asarray(self.housing) <= 0.0)
        if empty.size:
            raise ValueError(f"housing: every region needs a positive housing stock; region(s) "
                             f"{empty.tolist()} have none")


    def _income_per_head(self, sr, lam) -> np.ndarray:
        w = np.asarray(sr.wage, dtype=float)
        if self.rents == "local":
            return w / self.mu
        occupied = lam > 0
        lw = np.where(occupied, lam * np.where(occupied, w, 0.0), 0.0)
        pool = (1.0 - self.mu) / self.mu * lw.sum() + float(np.sum(self.tax * lw))
        return (1.0 - self.tax) * w + pool

    def welfare_groups(self, sr, lam) -> dict[str, dict[str, np.ndarray]]:
        """One group, the workers (everyone): ``population`` lam, nominal ``income`` per head
        y (wage net of tax plus the rent share) and ``utility`` per head, the indirect utility
        y G^(-mu) p^(-(1-mu)) without the constant mu^mu (1-mu)^(1-mu) (= ``real_wage``).
        Housing is owned by the residents (local) or by everyone equally (national), so there
        is no separate landowner group. Nominal values are in units of the world wage bill."""
        lam = np.asarray(lam, dtype=float)
        return {"workers": {"population": lam.copy(), "income": self._income_per_head(sr, lam),
                            "utility": np.asarray(sr.real_wage, dtype=float)}}

    def regional_accounts(self, sr, lam) -> dict[str, np.ndarray]:
        """``gdp``: value added in each region, lam_i w_i + (1 - mu) Y_i (wages and the rents of
        the region's housing; equal to income Y_i under local rents); ``cost_of_living``:
        G^mu p^(1-mu), with the housing rent p = (1 - mu) Y / H (0 in an empty region)."""
        lam = np.asarray(lam, dtype=float)
        Y = np.asarray(sr.income, dtype=float)
        p = (1.0 - self.mu) * Y / self.housing
        gdp = lam * np.asarray(sr.wage, dtype=float) + (1.0 - self.mu) * Y
        return {"gdp": gdp, "cost_of_living": sr.price_index ** self.mu * p ** (1.0 - self.mu)}

    def gravity_inversion(self, lam, gdp):
        """Observed GDP shares -> productivities as a matrix-scaling problem (for neg.calibrate).

        GDP pins down wages: with the numeraire sum_j lam_j w_j = 1, local rents give
        gdp_i = Y_i = lam_i w_i / mu, so w_i = gdp_i / lam_i (gdp in shares); national rents
        (without taxes) give gdp_i = lam_i [(2 - mu) w_i + (1 - mu)^2 / mu]. With
        a_j = lam_j c_j w_j^(1-s) (c_j the cost factor), the zero-profit condition
        w_i^s = mu c_i sum_j Phi_ij Y_j / G_j^(1-s) and G_j^(1-s) = (Phi^T a)_j read
        a_i (Phi (Y / Phi^T a))_i = lam_i w_i / mu (Allen & Arkolakis 2014, eq. 11; = Y_i with
        local rents). Returns (row margins lam w / mu, column margins Y, the map
        a -> productivity, the short run's unknowns at the data: log w), or None where the
        wages are not identified this way (national rents with taxes: the root-finder is used)."""
        lam, gdp = np.asarray(lam, dtype=float), np.asarray(gdp, dtype=float)
        s, mu = self.sigma, self.mu
        if self.rents == "local":
            w = gdp / lam
        elif not np.any(self.tax):
            w = (gdp / mu - (1.0 - mu) ** 2 / mu * lam) / ((2.0 - mu) * lam)
            low = np.flatnonzero(w <= 0)
            if low.size:
                raise ValueError(f"gdp: region(s) {low.tolist()} produce less than their residents' "
                                 f"share of the national rents; no productivity reproduces them")
        else:
            return None
        Y = lam * w / mu if self.rents == "local" else lam * (w + (1.0 - mu) / mu)

        def to_productivity(a):  # c = a / (lam w^(1-s)), c = ((1 + cost)/A)^(1-s)
            c = a / (lam * w ** (1.0 - s))
            return (1.0 + np.asarray(self.cost, dtype=float)) * c ** (1.0 / (s - 1.0))
        return lam * w / mu, Y, to_productivity, np.log(w)

    @property
    def dispersion_always_stable(self) -> bool:
        """True if sigma (1 - mu) > 1: the uniform distribution is stable at every trade cost
        (two regions, uniform housing); otherwise it is unstable below the break point."""
        return self.sigma * (1.0 - self.mu) > 1.0
