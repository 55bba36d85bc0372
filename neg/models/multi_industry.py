"""Several manufacturing industries linked by a full input-output matrix, with labour immobile
across regions but mobile between sectors: Puga & Venables (1996, *Journal of the Japanese and
International Economies* 10, "The spread of industry: spatial agglomeration in economic
development"); Fujita, Krugman & Venables, *The Spatial Economy* (1999), ch. 15-16; the
agricultural closure of Puga (1999, *European Economic Review* 43).

K regions, I manufacturing industries and agriculture. Region i has L_i = labour_total labour_i
workers, immobile across regions, mobile between its sectors. The long-run state is, for each
region, the split of its labour over (agriculture, industry 1, ..., industry I): ``lam`` has K
groups of I + 1 shares (``state_groups() = (I + 1,) * K``; component i (I + 1) is region i's
agriculture, i (I + 1) + k its industry k, k = 1..I). L_ik = L_i lam_i,k, L^A_i = L_i s_i with
s_i = lam_i,0.

Agriculture (Puga 1999): freely traded, the numeraire; output Y^A_i = (L_i / eta) s_i^eta
(labour with the region's land, land proportional to L_i), so the agricultural wage is the
marginal product w^A_i = s_i^(eta - 1) (1 when all labour farms; rising as labour leaves
agriculture if eta < 1: diminishing returns) and land rents (1/eta - 1) L_i s_i^eta go to the
region's consumers. eta = 1: a constant agricultural wage 1.

Industry k: CES varieties with elasticity sigma_k; Cobb-Douglas technology in labour (cost share
ell_k = 1 - sum_h a_hk) and the composites of every industry h (cost share a_hk, the input-output
matrix ``io``, rows h = supplier, columns k = user); unit input cost q_ik = w_ik^ell_k
prod_h G_ih^a_hk; mill price q_ik (marginal input (sigma_k - 1)/sigma_k); fixed cost
1/(sigma_k ell_k) units of the input bundle, so a firm's sales are q_ik / ell_k, its wage bill
q_ik, and n_ik = w_ik L_ik / q_ik firms. Consumers spend beta_k on industry k and 1 - sum beta
on agriculture. Industry k's freeness Phi^k_ij = phi_k**d_ij (``phi_industry``; default the
common ``phi``). With E_ih the expenditure on industry h's composite in region i:

    Y_i       = sum_k w_ik L_ik + (L_i / eta) s_i^eta + demand [i = core]       (income)
    E_ih      = beta_h Y_i + sum_k a_hk w_ik L_ik / ell_k        (final + intermediate)
    G_ih^(1-s_h) = sum_j L_jh w_jh q_jh^(-s_h) Phi^h_ji                           (price index)
    q_ih^s_h  = ell_h sum_j E_jh G_jh^(s_h - 1) Phi^h_ij                 (zero profit: wage)
    payoff    = (w^A_i, w_i1, ..., w_iI) per region (what each sector pays a worker)

w_ik is the zero-profit wage of industry k in region i, defined also where L_ik = 0 (what a
firm starting there could pay). Labour moves within each region towards the higher wage (the
replicator within each group); a long-run equilibrium pays one wage in every occupied sector of
a region. ``demand`` is an endowment of the numeraire held by the consumers of region ``core``:
a pure shift of the core's demand (the experiment of configs/spread_of_industry.yaml).

Unknowns x = (log w, log G) over (region, industry), length 2 K I (index i I + k). The map is
Jacobi in x and solves each equation for its own unknown (as in VerticalLinkages), with
c_h = 1 - s_h + s_h a_hh < 0:

    log G_ih <- [log(sum_j Phi^h_ji L_jh w_jh q_jh^(-s_h)) + s_h a_hh log G_ih] / c_h
    log w_ih <- [(log ell_h + log(sum_j Phi^h_ij E_jh G_jh^(s_h-1))) / s_h
                 - sum_m a_mh log G_im] / ell_h

Well-posedness needs s_k ell_k > 1 (total intermediate share 1 - ell_k < (s_k - 1)/s_k),
validated. Outputs per region: ``wage`` = the average wage of the region's workers (all
sectors; in a long-run equilibrium the wage of every occupied sector, so the manufacturing wage
wherever there is manufacturing), ``income`` = Y_i, ``price_index`` = P_i = prod_k
G_ik^(beta_k / B), B = sum beta (the price index of the manufactures composite),
``real_wage`` = wage_i P_i^(-B).

Policy (keyword fields; see docs/policy.md). Environmental regulation: industry k in region i
needs 1 + cost_ik times the input bundle per unit of output (a resource cost, e.g. pollution
abatement), with cost_ik = ``cost_i pollution_k + industry_cost_ik`` (a regional rate times the
industry's pollution intensity, plus any (region, industry) pattern). As in VerticalLinkages the
mill price becomes (1 + cost_ik) q_ik, a firm's bundle use, its wage bill and n_ik = w_ik L_ik /
q_ik are unchanged (its output falls), so incomes and E are unchanged and, with
cf_ik = (1 + cost_ik)^(1 - s_k),

    G_ih^(1-s_h) = sum_j cf_jh L_jh w_jh q_jh^(-s_h) Phi^h_ji
    q_ih^s_h     = cf_ih ell_h sum_j E_jh G_jh^(s_h - 1) Phi^h_ij

``tax_i``: a tax on manufacturing wages in region i (every industry; agriculture untaxed):
workers in industry k keep (1 - tax_i) w_ik, which is the payoff the long run equalises with
the agricultural wage; the revenue goes lump-sum to the residents of region i (who own its land
and receive its rents; they also finance a subsidy, tax_i < 0), so Y_i and the short run are
unchanged. ``wage`` reports the gross average wage, ``real_wage`` the net one deflated.
``share_cap`` (K x I): development zones, upper bounds on the share of region i's labour in
industry k (the state components; 0 prohibits the industry there). A bound on a region's share of
the world's employment in an industry would couple the regions' groups and is not available.
With zero taxes and costs and no caps the model is bit-for-bit the model without policy.
Welfare accounting (``neg.welfare``, ``welfare_groups``): one group "workers" per region (the
residents, who own the land and get the rebate), income Y_i / L_i, utility income / P_i^B; GDP
= Y less ``demand``. ``neg.policy.tax_game`` is not supported: it expects the state to be one
distribution over the regions.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import xarray as xr
from numba import njit

from neg.kernels import BLOCK_SIGNATURE, MAP_SIGNATURE, PAYOFF_SIGNATURE, lazy_njit
from neg.models.base import Capability, Kernels, Model
from neg.models.params import Param, check_array, n_slots, slots
from neg.operators import (
    FreenessOperator,
    freeness_dot_block_op,
    freeness_dot_op,
    freeness_tdot_block_op,
    freeness_tdot_op,
)
from neg.variables import attrs

__all__ = ["MultiIndustry"]

#: the parameters of the model beyond the common ones (neg.models.params.COMMON, POLICY); the
#: "array" ones with a shape are checked by params.check_array (in MultiIndustry._validate, which
#: knows I), the relations between them in _validate
_TABLE = dict(shape=("region", "industry"), lower=0.0, lower_closed=True,
              layout="rows: regions, columns: industries")
PARAMS = (
    Param("beta", "array", "consumers' expenditure share of each industry (I values, sum in (0, 1))",
          "expenditure shares", shape=("industry",), lower=0.0, lower_closed=True,
          items="expenditure shares"),
    Param("io", "array", "input-output matrix a_hk (I x I): cost share of industry h's composite in "
          "industry k's costs", "input-output matrix", default=None, shape=("industry", "industry"),
          lower=0.0, lower_closed=True, fill=0.0, items="input-output shares",
          layout="rows: supplying industry, columns: using industry"),
    Param("labour", "shares", "shares of the immobile labour force, by region", "labour shares",
          default=None, slot="reg", role="immobile"),
    Param("labour_total", "scalar", "total labour", "total labour", units="workers", lower=0.0,
          default=1.0, slot="par"),
    Param("eta", "scalar", "labour elasticity of agricultural output", "agricultural labour share",
          lower=0.0, upper=1.0, upper_closed=True, default=1.0, slot="par"),
    Param("demand", "scalar", "endowment of the numeraire held by region core's consumers",
          "extra demand", units="numeraire", lower=0.0, lower_closed=True, default=0.0, slot="par"),
    Param("core", "index", "the region that holds demand", "core region", lower=0.0, lower_closed=True,
          default=0, slot="par"),
    Param("sigma_industry", "array", "per-industry elasticities of substitution (default sigma)",
          "industry elasticities", default=None, shape=("industry",), lower=1.0, items="elasticities"),
    Param("phi_industry", "array", "per-industry freeness per unit distance (None: the common phi)",
          "industry freeness", default=None, shape=("industry",), lower=0.0, upper=1.0,
          upper_closed=True, fill=np.nan, items="freeness values"),
    Param("industry_names", "array", "names of the I industries", "industry names", default=None),
    Param("pollution", "array", "each industry's share of the regional cost (I intensities >= 0)",
          "pollution intensity", default=None, shape=("industry",), lower=0.0, lower_closed=True,
          fill=1.0, items="intensities"),
    Param("industry_cost", "array", "extra unit costs per (region, industry), K x I, >= 0",
          "industry cost", default=None, fill=0.0, broadcast="scalar", **_TABLE),
    Param("share_cap", "array", "development zones: upper bounds on the share of region i's labour "
          "in industry k (one number, K values or a K x I array)", "share cap", default=None,
          upper=1.0, upper_closed=True, fill=1.0, broadcast="rows", **_TABLE),
)
_DECLARED = {p.name: p for p in PARAMS}
LABOUR_TOTAL, ETA, DEMAND, CORE = slots(PARAMS, "par", "labour_total", "eta", "demand", "core")
LABOUR, TAX, AMENITY = slots(PARAMS, "reg", "labour", "tax", "amenity")
#: par beyond the declared slots (kernel_extras): I, then sigma, ell, beta, each industry's
#: operator in the freeness stack, io
_I = n_slots(PARAMS, "par")
_HEAD = _I + 1
#: reg beyond the declared rows: I rows of cost factors (1 + cost_ik)^(1 - s_k) (row k: industry k)
_CF = n_slots(PARAMS, "reg")


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def _freeness(par, h, I):
    """Industry h's operator in the model's freeness stack (0: the common freeness phi)."""
    return int(par[_HEAD + 3 * I + h])


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def _industry(par, reg, sig, h, I):
    """Industry h's operator, s_h, own input share a_hh, c_h = 1 - s_h + s_h a_hh, cost factors."""
    s = sig[h]
    ahh = par[_HEAD + 4 * I + h * I + h]
    return _freeness(par, h, I), s, ahh, 1.0 - s + s * ahh, reg[_CF + h]


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def _sources(L, w, lq, E, b, cf, s, h, j):
    """u_jh = cf_jh L_jh w_jh q_jh^(-s_h) (region j's term of G_h) and e_jh = E_jh G_jh^(s_h - 1)
    (its term of the market access of industry h)."""
    return cf[j] * L[j, h] * np.exp(np.log(w[j, h]) - s * lq[j, h]), E[j, h] * np.exp((s - 1.0) * b[j, h])


@njit(cache=True, error_model="numpy", nogil=True)
def _economy(x, lam, par, reg):
    """Employment L (K, I), wages w, log G, log q, income Y (K), expenditure E (K, I)."""
    I = int(par[_I])
    eta, Ltot, demand, core = par[ETA], par[LABOUR_TOTAL], par[DEMAND], int(par[CORE])
    sig = par[_HEAD:_HEAD + I]
    ell = par[_HEAD + I:_HEAD + 2 * I]
    beta = par[_HEAD + 2 * I:_HEAD + 3 * I]
    a0 = _HEAD + 4 * I
    labour = reg[LABOUR]
    K = labour.size
    L = np.empty((K, I))
    w = np.empty((K, I))
    b = np.empty((K, I))
    lq = np.empty((K, I))
    Y = np.empty(K)
    E = np.empty((K, I))
    for i in range(K):
        Li = Ltot * labour[i]
        s = lam[i * (I + 1)]
        y = Li * s ** eta / eta
        for k in range(I):
            L[i, k] = Li * lam[i * (I + 1) + 1 + k]
            w[i, k] = np.exp(x[i * I + k])
            b[i, k] = x[K * I + i * I + k]
            y += w[i, k] * L[i, k]
        if i == core:
            y += demand
        Y[i] = y
    for i in range(K):
        for k in range(I):
            v = ell[k] * np.log(w[i, k])
            for m in range(I):
                v += par[a0 + m * I + k] * b[i, m]
            lq[i, k] = v
        for h in range(I):
            e = beta[h] * Y[i]
            for k in range(I):
                e += par[a0 + h * I + k] * w[i, k] * L[i, k] / ell[k]
            E[i, h] = e
    return L, w, b, lq, Y, E, sig, ell, beta


@lazy_njit(MAP_SIGNATURE, error_model="numpy", nogil=True)
def _map(x, lam, par, reg, Phi, out, work):
    I = int(par[_I])
    K = reg.shape[1]
    a0 = _HEAD + 4 * I
    L, w, b, lq, Y, E, sig, ell, beta = _economy(x, lam, par, reg)
    u = np.empty(K)
    e = np.empty(K)
    g = np.empty(K)
    hh = np.empty(K)
    for h in range(I):
        op, s, ahh, c, cf = _industry(par, reg, sig, h, I)
        for j in range(K):
            u[j], e[j] = _sources(L, w, lq, E, b, cf, s, h, j)
        freeness_tdot_op(Phi, op, u, g)
        freeness_dot_op(Phi, op, e, hh)
        for i in range(K):
            out[K * I + i * I + h] = (np.log(g[i]) + s * ahh * b[i, h]) / c
            v = (np.log(ell[h] * cf[i]) + np.log(hh[i])) / s
            for m in range(I):
                v -= par[a0 + m * I + h] * b[i, m]
            out[i * I + h] = v / ell[h]


@lazy_njit(BLOCK_SIGNATURE, error_model="numpy", nogil=True)
def _jacobian(x, lam, par, reg, Phi, out):
    """dF/dx, x = (a, b) = (log w, log G), rows/columns i I + h (a) and K I + i I + h (b).

    With u_jh = L_jh e^(a_jh - s_h lq_jh), g_ih = sum_j Phi^h_ji u_jh, e_jh = E_jh e^((s_h-1) b_jh),
    H_ih = sum_j Phi^h_ij e_jh, dE_jh/da_jk = w_jk L_jk (beta_h + a_hk / ell_k) =: D_j[h, k]
    (the cost factors cf_jh multiply u_jh; in the wage row cf_ih is a constant factor of H_ih
    and drops out):
        db'_ih/da_jh = Phi^h_ji u_jh (1 - s_h ell_h) / (g_ih c_h)
        db'_ih/db_jm = (-s_h a_mh Phi^h_ji u_jh / g_ih + s_h a_hh [j = i, m = h]) / c_h
        da'_ih/da_jk = Phi^h_ij e^((s_h-1) b_jh) D_j[h, k] / (s_h ell_h H_ih)
        da'_ih/db_jm = ((s_h - 1) Phi^h_ij e_jh [m = h] / (s_h H_ih) - a_mh [j = i]) / ell_h
    """
    I = int(par[_I])
    K = reg.shape[1]
    KI = K * I
    a0 = _HEAD + 4 * I
    L, w, b, lq, Y, E, sig, ell, beta = _economy(x, lam, par, reg)
    out[:, :] = 0.0
    U = np.zeros((K, K))
    Ed = np.zeros((K, K))
    MU = np.empty((K, K))
    ME = np.empty((K, K))
    for h in range(I):
        op, s, ahh, c, cf = _industry(par, reg, sig, h, I)
        for j in range(K):
            U[j, j], Ed[j, j] = _sources(L, w, lq, E, b, cf, s, h, j)
        freeness_tdot_block_op(Phi, op, U, MU)  # MU[i, j] = Phi_ji u_j
        freeness_dot_block_op(Phi, op, Ed, ME)  # ME[i, j] = Phi_ij e_j
        for i in range(K):
            g = 0.0
            H = 0.0
            for j in range(K):
                g += MU[i, j]
                H += ME[i, j]
            rb = KI + i * I + h
            ra = i * I + h
            for j in range(K):
                # price index row
                out[rb, j * I + h] += MU[i, j] * (1.0 - s * ell[h]) / (g * c)
                for m in range(I):
                    out[rb, KI + j * I + m] -= s * par[a0 + m * I + h] * MU[i, j] / (g * c)
                # wage row
                if ME[i, j] != 0.0:
                    f = ME[i, j] / E[j, h] / (s * ell[h] * H)  # Phi_ij e^((s-1) b_jh) / (s ell H)
                    for k in range(I):
                        out[ra, j * I + k] += f * w[j, k] * L[j, k] * (
                            beta[h] + par[a0 + h * I + k] / ell[k])
                out[ra, KI + j * I + h] += (s - 1.0) * ME[i, j] / (s * H * ell[h])
            out[rb, KI + i * I + h] += s * ahh / c
            for m in range(I):
                out[ra, KI + i * I + m] -= par[a0 + m * I + h] / ell[h]


@lazy_njit(BLOCK_SIGNATURE, error_model="numpy", nogil=True)
def _outputs(x, lam, par, reg, Phi, out):
    I = int(par[_I])
    eta, Ltot = par[ETA], par[LABOUR_TOTAL]
    K = reg.shape[1]
    L, w, b, lq, Y, E, sig, ell, beta = _economy(x, lam, par, reg)
    tax = reg[TAX]
    B = 0.0
    for k in range(I):
        B += beta[k]
    for i in range(K):
        Li = Ltot * reg[LABOUR, i]
        s = lam[i * (I + 1)]
        bill = Li * s ** eta  # agricultural wage bill: w^A L^A = s^(eta-1) L_i s
        manuf = 0.0
        logp = 0.0
        for k in range(I):
            bill += w[i, k] * L[i, k]
            manuf += w[i, k] * L[i, k]
            logp += beta[k] * b[i, k]
        out[0, i] = bill / Li if Li > 0 else s ** (eta - 1.0)  # gross of tax
        out[1, i] = Y[i]
        out[2, i] = np.exp(logp / B)
        net = (bill - tax[i] * manuf) / Li if Li > 0 else out[0, i]  # net of the wage tax
        out[3, i] = net * np.exp(-logp)
        out[4, i] = reg[AMENITY, i] * out[3, i]  # payoff: times the amenity


@lazy_njit(PAYOFF_SIGNATURE, error_model="numpy", nogil=True)
def _payoff(x, lam, par, reg, Phi, out):
    """The wage each sector pays a worker: agriculture's marginal product, each industry's
    zero-profit wage net of the region's wage tax."""
    I = int(par[_I])
    eta = par[ETA]
    K = reg.shape[1]
    tax = reg[TAX]
    for i in range(K):
        amenity = reg[AMENITY, i]  # the same in every sector: it does not change the choice
        out[i * (I + 1)] = amenity * lam[i * (I + 1)] ** (eta - 1.0)
        for k in range(I):
            out[i * (I + 1) + 1 + k] = amenity * (1.0 - tax[i]) * np.exp(x[i * I + k])


class MultiIndustry(Model):
    """Several industries with input-output linkages; labour immobile across regions, mobile
    between agriculture and the industries (Puga & Venables 1996; FKV 1999 ch. 15-16).

    Parameters
    ----------
    sigma : elasticity of substitution (every industry's, unless ``sigma_industry``), > 1; also
        converts ``T`` to ``phi``.
    beta : consumers' expenditure share of each industry (I values >= 0, sum in (0, 1); the
        rest goes to agriculture). Its length sets the number of industries I.
    io : input-output matrix (I x I): a_hk = cost share of industry h's composite in industry
        k's costs (rows: suppliers, columns: users); default no intermediates. Industry k's
        labour share is ell_k = 1 - sum_h a_hk; needs sigma_k ell_k > 1.
    phi : freeness of trade per unit distance in (0, 1] (common to all industries without their
        own); or ``T=`` the iceberg factor >= 1, with phi = T**(1 - sigma).
    labour : shares of the immobile labour force by region (default uniform).
    labour_total : total labour (default 1).
    eta : labour elasticity of agricultural output in (0, 1]: agricultural wage s^(eta - 1),
        s = the region's share of labour in agriculture (eta = 1: constant wage 1).
    demand : an endowment of the numeraire held by region ``core``'s consumers (>= 0): grows
        the core's demand.
    core : the region that holds ``demand`` (index, default 0).
    sigma_industry : per-industry elasticities (I values > 1), default ``sigma`` for all.
    phi_industry : per-industry freeness per unit distance (I values in (0, 1], or None / NaN
        for the common ``phi``); an industry's own value is not changed by tracing ``phi``.
    industry_names : I names (default "ind1", ...), for labels and the ``industry`` dimension.

    Policy instruments (keyword-only; see the module docstring and docs/policy.md):

    tax : per-region tax rate on manufacturing wages in [-1, 1) (negative: a subsidy), default 0:
        a worker in industry k of region i keeps (1 - tax_i) w_ik (agricultural wages are not
        taxed); the revenue is rebated lump-sum to the residents of region i, who also receive
        its land rents (and finance a subsidy), so regional income is unchanged. Sweepable
        (``"tax[i]"``).
    cost : per-region environmental regulation >= 0, default 0: industry k in region i needs
        1 + cost_i pollution_k times the input bundle per unit of output (a resource cost).
        Sweepable (``"cost[i]"``).
    pollution : I intensities >= 0 (default 1 each): the share of the regional ``cost`` each
        industry bears, e.g. 1 for the polluting industry and 0 for the others.
    industry_cost : a K x I array >= 0 (default zeros) of extra unit costs per (region,
        industry) added to ``cost_i pollution_k``, for patterns that are not a product.
    share_cap : development zones: upper bounds on the share of region i's labour employed in
        industry k, in [0, 1] (0: the industry is prohibited there; agriculture is never
        capped); one number for all, K values (one per region, every industry) or a K x I
        array; default 1 (none). Enforced by the long-run solvers through ``share_caps()``.
    """

    parameters = PARAMS
    positional = ("sigma", "beta", "io", "phi", "geography", "labour", "labour_total", "eta", "demand",
                  "core", "sigma_industry", "phi_industry", "industry_names")
    capabilities = frozenset({Capability.POLICY, Capability.WELFARE, Capability.GROUPED_STATE,
                              Capability.FUNDAMENTALS, Capability.INDUSTRIES})
    kernels = Kernels(_map, _outputs, _jacobian, _payoff)
    mobile_factor = "workers (between sectors)"
    mobile_mass_of = None  # the state is not one distribution over the regions

    def _validate(self) -> None:
        I = 0 if self.beta is None else np.size(self.beta)
        if I < 1:
            raise ValueError("beta: need at least one industry")
        sizes = {"region": self.K, "industry": I}
        arrays = {n: check_array(p, getattr(self, n), sizes) for n, p in _DECLARED.items()
                  if p.shape and (getattr(self, n) is not None or p.fill is not None)}
        beta, io = arrays["beta"], arrays["io"]
        if not 0.0 < beta.sum() < 1.0:
            raise ValueError(f"beta: expenditure shares must sum to a value in (0, 1) (the rest is "
                             f"agriculture), got {beta.sum():g}")
        sig = arrays.get("sigma_industry", np.full(I, self.sigma))
        ell = 1.0 - io.sum(axis=0)
        for k in range(I):
            rho = (sig[k] - 1.0) / sig[k]
            if not 1.0 - ell[k] < rho:
                raise ValueError(
                    f"io: the intermediate share of industry {k} (column sum {1 - ell[k]:g}) must be "
                    f"< (sigma - 1)/sigma = {rho:g} so that sigma ell > 1 (otherwise the price "
                    f"index rises with the number of firms)")
        if not self.core < self.K:
            raise ValueError(f"core: must be a region index in [0, {self.K - 1}], got {self.core!r}")
        if self.industry_names is None:
            names = tuple(f"ind{k + 1}" for k in range(I))
        else:
            names = tuple(str(n) for n in self.industry_names)
            if len(names) != I or len(set(names)) != I:
                raise ValueError(f"industry_names: expected {I} distinct names, got {names}")
        banned = np.flatnonzero(np.all(arrays["share_cap"] == 0.0, axis=0))
        if banned.size:
            raise ValueError(f"share_cap: industry {banned[0]} is prohibited in every region (a cap of 0 "
                             "everywhere); consumers and firms spend on it, so it must be allowed somewhere")
        sig.setflags(write=False)
        object.__setattr__(self, "_sigmas", sig)  # sigma_industry None: follows sigma
        for name, value in {**arrays, "industry_names": names}.items():
            object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ structure
    @property
    def I(self) -> int:  # noqa: E743 - the number of industries, as in the papers
        """Number of manufacturing industries."""
        return int(self.beta.size)

    @property
    def sigmas(self) -> np.ndarray:
        """Each industry's elasticity of substitution (``sigma_industry``, else ``sigma``)."""
        return self._sigmas

    @property
    def labour_share(self) -> np.ndarray:
        """ell_k = 1 - sum_h a_hk: labour's cost share in each industry (its labour intensity)."""
        return 1.0 - self.io.sum(axis=0)

    @property
    def unit_cost(self) -> np.ndarray:
        """cost_ik = cost_i pollution_k + industry_cost_ik (K, I): industry k in region i needs
        1 + cost_ik times the input bundle per unit of output."""
        return self.cost[:, None] * self.pollution[None, :] + self.industry_cost

    def share_caps(self) -> np.ndarray | None:
        """Upper bounds per state component (development zones): 1 for agriculture,
        ``share_cap[i, k]`` for industry k of region i; None if nothing is capped."""
        if np.all(self.share_cap >= 1.0):
            return None
        caps = np.ones((self.K, self.I + 1))
        caps[:, 1:] = self.share_cap
        return caps.ravel()

    def params(self):
        out = super().params()
        out["phi_industry"] = [None if not np.isfinite(v) else float(v) for v in self.phi_industry]
        out["industry_names"] = list(self.industry_names)
        return out

    def state_groups(self) -> tuple[int, ...]:
        return (self.I + 1,) * self.K

    def state_labels(self) -> tuple[str, ...]:
        return tuple(f"{r}/{s}" for r in self.geography.names
                     for s in ("agriculture",) + self.industry_names)

    def symmetric_state(self) -> np.ndarray:
        """Every region split like a closed economy: s_k proportional to ell_k r_k with
        r = (I - A)^-1 beta (industry revenues per unit income), agriculture to eta (1 - sum beta)
        (with a wage tax t_i: industries to (1 - t_i) ell_k r_k; costs do not change the split).
        The long-run equilibrium whenever the regions are identical (equal labour, no ``demand``,
        every region with the same market access, e.g. a racetrack); otherwise a reference state."""
        r = np.linalg.solve(np.eye(self.I) - self.io, self.beta)
        # a wage tax t: (1 - t) w_k = w^A, so industry k employs (1 - t) ell_k r_k per unit
        splits = [np.concatenate([[self.eta * (1.0 - self.beta.sum())], (1.0 - t) * self.labour_share * r])
                  for t in self.tax]
        return np.concatenate([sp / sp.sum() for sp in splits])

    def _industry_operators(self) -> np.ndarray:
        """Each industry's operator in :attr:`freeness_operator` (0: the common freeness)."""
        own = np.isfinite(self.phi_industry)
        return np.where(own, np.cumsum(own), 0)

    @cached_property
    def freeness_operator(self) -> FreenessOperator:
        """A stack: the common freeness phi, then each industry's own ``phi_industry``."""
        own = self.phi_industry[np.isfinite(self.phi_industry)]
        return FreenessOperator.stack([self.geography.freeness(float(p)) for p in [self.phi, *own]])

    def kernel_extras(self):
        """par: I, then sigma, ell, beta, each industry's operator in the freeness stack, io;
        reg: I rows of cost factors (see _I, _HEAD, _CF)."""
        par = np.concatenate([[self.I], self.sigmas, self.labour_share, self.beta,
                              self._industry_operators(), self.io.ravel()])
        return par, self.cost_factors().T  # row k: industry k's factors over the regions

    def cost_factors(self) -> np.ndarray:
        """((1 + cost_ik)/productivity_i)^(1 - sigma_k) (K, I): the factor on the
        price^(1 - sigma) of a variety."""
        return ((1.0 + self.unit_cost) / self.productivity[:, None]) ** (1.0 - self.sigmas[None, :])

    def initial_state(self, lam: np.ndarray) -> np.ndarray:
        """w = 1 and G_ih^(1 - s_h) = sum_j Phi^h_ji cf_jh L_jh (the price index at unit costs)."""
        L = self.employment(lam) * self.cost_factors()
        I, K = self.I, self.K
        b = np.empty((K, I))
        ops = self._industry_operators()
        for k in range(I):
            g = self.freeness_operator.tdot(L[:, k], ops[k])
            b[:, k] = np.log(np.maximum(g, 1e-300)) / (1.0 - self.sigmas[k])
        return np.concatenate([np.zeros(K * I), b.ravel()])

    # ------------------------------------------------------------------ welfare
    def welfare_groups(self, sr, lam) -> dict[str, dict[str, np.ndarray]]:
        """One group per region (``neg.welfare``): "workers", the region's residents (labour
        L_i, immobile across regions). They own the region's land and get its rents, the wage
        tax's lump-sum rebate and (in ``core``) the ``demand`` endowment, so ``income`` per head
        is Y_i / L_i (every source of the region's income), and ``utility`` per head is the
        Cobb-Douglas indirect utility without its constant: income / (P_i^B x 1^(1 - B)), P_i the
        manufactures composite's price index, B = sum beta, agriculture the numeraire."""
        pop = self.labour_total * self.labour
        Y = np.asarray(sr.income, dtype=float)
        col = np.asarray(sr.price_index, dtype=float) ** self.beta.sum()
        y = np.where(pop > 0, Y / np.where(pop > 0, pop, 1.0), 0.0)
        return {"workers": {"population": pop, "income": y, "utility": y / col}}

    def regional_accounts(self, sr, lam) -> dict[str, np.ndarray]:
        """``gdp``: value added produced in each region, wages of every sector plus land rents:
        Y_i less the ``demand`` endowment (a transfer, not production); ``cost_of_living``: the
        exact Cobb-Douglas price index P_i^B (agriculture's price is 1)."""
        gdp = np.array(sr.income, dtype=float)
        gdp[self.core] -= self.demand
        return {"gdp": gdp, "cost_of_living": np.asarray(sr.price_index, dtype=float) ** self.beta.sum()}

    # ------------------------------------------------------------------ results by industry
    def employment(self, lam) -> np.ndarray:
        """Employment L_ik of every (region, industry): shape (..., K, I)."""
        lam = np.asarray(lam, dtype=float)
        split = lam.reshape(lam.shape[:-1] + (self.K, self.I + 1))
        return self.labour_total * self.labour[:, None] * split[..., 1:]

    def industry_shares(self, lam) -> np.ndarray:
        """Each region's share of each industry's employment: shape (..., K, I), summing to 1
        over regions (NaN for an industry that employs nobody)."""
        L = self.employment(lam)
        tot = L.sum(axis=-2, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(tot > 0, L / tot, np.nan)

    def by_industry(self, ds) -> xr.Dataset:
        """A result with the state along ``state`` (``neg.trace``, ``neg.simulate``, a study's
        output; or a bare array of states) regrouped by region and industry, for the metrics:

        ``lam`` (..., region, industry): each region's share of the industry's employment (so
        ``neg.metrics.industrialisation_order(out, dim=...)`` orders regions per industry);
        ``employment`` (..., region, industry): L_ik; ``agriculture`` (..., region): the share of
        the region's labour in agriculture; ``manufacturing`` (..., region): the region's share of
        world manufacturing employment. Coordinate ``labour_share`` along ``industry``: ell_k.
        """
        lam = ds["lam"] if isinstance(ds, xr.Dataset) else ds
        if not isinstance(lam, xr.DataArray):
            lam = xr.DataArray(np.asarray(lam, dtype=float),
                               dims=[f"dim_{i}" for i in range(np.ndim(lam) - 1)] + ["state"])
        if "state" not in lam.dims or lam.sizes["state"] != sum(self.state_groups()):
            raise ValueError(f"by_industry: expected states along a 'state' dimension of length "
                             f"{sum(self.state_groups())}, got dims {dict(lam.sizes)}")
        lam = lam.transpose(..., "state")
        other = [d for d in lam.dims if d != "state"]
        coords = {d: lam[d] for d in other if d in lam.coords}
        coords.update(region=("region", list(self.geography.names), attrs("region")),
                      industry=("industry", list(self.industry_names), attrs("industry")),
                      labour_share=("industry", self.labour_share, attrs("labour_share")))
        v = lam.values
        L = self.employment(v)
        split = v.reshape(v.shape[:-1] + (self.K, self.I + 1))
        manuf = L.sum(axis=-1)
        dims3 = (*other, "region", "industry")
        out = xr.Dataset(
            {
                "lam": (dims3, self.industry_shares(v),
                        {"long_name": "region's share of the industry's employment", "units": "1"}),
                "employment": (dims3, L, attrs("employment")),
                "agriculture": ((*other, "region"), split[..., 0], attrs("agriculture")),
                "manufacturing": ((*other, "region"), manuf / manuf.sum(axis=-1, keepdims=True),
                                  attrs("manufacturing")),
            },
            coords=coords,
            attrs={**lam.attrs, "model": self.name, **{k: v for k, v in ds.attrs.items() if isinstance(
                v, (str, int, float))}} if isinstance(ds, xr.Dataset) else {"model": self.name},
        )
        return out
