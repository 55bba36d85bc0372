"""Kernels of ``VerticalLinkages(..., labour="immobile")``: Puga (1999, *European Economic
Review* 43, "The rise and fall of regional inequalities"), his case without migration; with
eta = 1, Krugman & Venables (1995) and Fujita, Krugman & Venables, *The Spatial Economy*
(1999), ch. 14 (vertical linkages between countries whose workers do not migrate). Its map and
Jacobian (:func:`map_body`, :func:`jacobian_body`) also serve ``labour="migration"``.
The model class is :class:`neg.VerticalLinkages`; its docstring and docs/models.md give the
economics, this module the equations as computed.

Region i has L_i = ``farmers_i`` of the world's labour (total 1), immobile across regions. A
share m_i works in manufacturing and a_i = 1 - m_i in agriculture: the long-run state has one
group of two shares per region, ``lam = (m_0, a_0, m_1, a_1, ...)``. L^M_i = L_i m_i.

Agriculture (the numeraire, freely traded, perfect competition) uses labour and land, Cobb-
Douglas with labour share ``eta`` and land in proportion to the region's labour (Puga 1999's
diminishing returns in agriculture; the land rents are spent by the region's consumers):

    Y^A_i = (L_i / eta) a_i^eta,     w^A_i = dY^A_i / dL^A_i = a_i^(eta - 1)

(w^A = 1 when everyone farms; it rises as labour leaves agriculture if eta < 1; eta = 1 is a
constant agricultural wage 1.) Manufacturing as in the mobile closure, with the normalisation of
:class:`neg.MultiIndustry`: fixed cost 1/(sigma (1 - alpha)) units of the input bundle, marginal
input (sigma - 1)/sigma, so a firm sells 1/(1 - alpha) at the mill price q_i, its wage bill is
q_i and n_i = w_i L^M_i / q_i. With mu_e = gamma + alpha (1 - gamma):

    Y_i       = w_i L^M_i + Y^A_i                                       (income)
    E_i       = gamma Y_i + alpha w_i L^M_i / (1 - alpha)       (final + intermediate demand)
    G_i^(1-s) = sum_j L^M_j w_j q_j^(-s) Phi_ji,    q_j = w_j^(1-alpha) G_j^alpha
    q_i^s     = sum_j Et_j G_j^(s-1) Phi_ij,   Et_j = (1 - alpha) E_j
                                                  = mu_e w_j L^M_j + (1 - alpha) gamma Y^A_j
    payoff    = (w_i, w^A_i) per region: the manufacturing (zero-profit) wage and the
                agricultural wage; labour moves between the two sectors of its region.

These are the mobile closure's equations with gamma lam_j -> L^M_j (the mass of manufacturing
workers) and (1 - mu_e) farmers_j -> (1 - alpha) gamma Y^A_j; the map and Jacobian below are
the mobile ones with that substitution.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from neg.kernels import BLOCK_SIGNATURE, MAP_SIGNATURE, PAYOFF_SIGNATURE
from neg.models.core_periphery import cost_factor
from neg.models.params import Param, slots
from neg.operators import freeness_dot_at, freeness_dot_block, freeness_tdot_at, freeness_tdot_block

__all__ = ["manufacturing_share", "initial_state", "two_region_break_points", "PARAMS", "LABOUR",
           "map_body", "jacobian_body", "assemble_jacobian", "write_region_rows"]

LABOUR = ("mobile", "immobile", "migration")

#: the parameters of VerticalLinkages (both closures) beyond the common ones
#: (neg.models.params.COMMON, POLICY); declared here, where both closures' kernels read them
PARAMS = (
    Param("gamma", "scalar", "consumers' expenditure share of manufactures = mass of manufacturing "
          "workers", "manufacturing share", lower=0.0, upper=1.0, slot="par"),
    Param("alpha", "scalar", "cost share of intermediate manufactures in production",
          "intermediate share", lower=0.0, upper=1.0, lower_closed=True, slot="par"),
    Param("labour", "choice", "mobile workers and immobile farmers (mobile), workers immobile "
          "across regions (immobile, Puga 1999 without migration) or mobile across regions and "
          "sectors with land in agriculture (migration, Puga 1999 with migration)",
          "labour closure", default="mobile", choices=LABOUR),
    Param("farmers", "shares", "mobile: shares of the immobile farmers (total 1 - gamma); immobile: "
          "each region's share of the world's labour (total 1, land in proportion); migration: "
          "each region's share of the land (total 1)", "farmers' shares", default=None,
          slot="reg", role="immobile"),
    Param("eta", "scalar", "immobile and migration closures: labour's share in agriculture",
          "agricultural labour share", lower=0.0, upper=1.0, upper_closed=True, default=None,
          slot="par"),
)
SIGMA, GAMMA, ALPHA, ETA = slots(PARAMS, "par", "sigma", "gamma", "alpha", "eta")
FARMERS, TAX, COST, AMENITY, PRODUCTIVITY = slots(PARAMS, "reg", "farmers", "tax", "cost", "amenity",
                                                  "productivity")


@njit(cache=True, error_model="numpy", nogil=True)
def assemble_jacobian(x, LM, cf, rest, s, alpha, mu_e, Phi, out):
    """The Jacobian of the vertical-linkages map in (log w, log G), shared by both labour
    closures: manufacturing employment LM_j, cost factors cf_j (price-index terms
    u_j = LM_j cf_j e^(c a_j - s alpha b_j)) and the expenditure on manufactures that does not
    depend on x, ``rest`` (the mobile closure's farmers, the immobile one's agricultural
    income): e_j = (mu_e LM_j w_j + rest_j) e^((s-1) b_j). The diagonal matrices U (the u_j),
    Ea, Eb (d e_j / d(a_j, b_j)) are combined with the freeness operator."""
    K = LM.size
    c = 1.0 - s * (1.0 - alpha)
    U = np.zeros((K, K))
    Ea = np.zeros((K, K))
    Eb = np.zeros((K, K))
    for j in range(K):
        a, b = x[j], x[K + j]
        w = np.exp(a)
        U[j, j] = LM[j] * cf[j] * np.exp(c * a - s * alpha * b)
        scale = np.exp((s - 1.0) * b)
        Ea[j, j] = mu_e * LM[j] * w * scale
        Eb[j, j] = (s - 1.0) * (mu_e * LM[j] * w + rest[j]) * scale
    MU = np.empty((K, K))
    freeness_tdot_block(Phi, U, MU)  # MU[i, k] = Phi_ki u_k
    MA = np.empty((K, K))
    freeness_dot_block(Phi, Ea, MA)  # MA[i, k] = Phi_ik de_k/da_k
    MB = np.empty((K, K))
    freeness_dot_block(Phi, Eb, MB)  # MB[i, k] = Phi_ik de_k/db_k
    for i in range(K):
        g = 0.0
        h = 0.0
        for k in range(K):
            g += MU[i, k]
            h += MB[i, k]
        h /= s - 1.0
        for k in range(K):
            out[i, k] = MA[i, k] / (s * (1.0 - alpha) * h)
            out[i, K + k] = MB[i, k] / (s * h * (1.0 - alpha))
            out[K + i, k] = MU[i, k] / g
            out[K + i, K + k] = -s * alpha * MU[i, k] / (g * c)
        out[i, K + i] -= alpha / (1.0 - alpha)
        out[K + i, K + i] += s * alpha / c


@njit(cache=True, error_model="numpy", nogil=True)
def _split(lam, par, reg, K):
    """(L^M, Y^A) per region from the state lam = (m_0, a_0, m_1, a_1, ...)."""
    eta = par[ETA]
    L = reg[FARMERS]
    LM = np.empty(K)
    YA = np.empty(K)
    for j in range(K):
        LM[j] = L[j] * lam[2 * j]
        YA[j] = L[j] / eta * lam[2 * j + 1] ** eta
    return LM, YA


@njit(cache=True, error_model="numpy", nogil=True)
def map_body(x, LM, YA, par, reg, Phi, out, work):
    """The map of both closures with immobile agriculture (``labour="immobile"`` and
    ``"migration"``), given manufacturing employment LM and agricultural output YA by region."""
    s, gamma, alpha = par[SIGMA], par[GAMMA], par[ALPHA]
    K = reg.shape[1]
    mu_e = gamma + alpha * (1.0 - gamma)
    c = 1.0 - s * (1.0 - alpha)
    # scratch (m = 2K unknowns, so 8K doubles): [0:K] u, [K:2K] e, [2K:3K] Phi^T u, [3K:4K] Phi e
    for j in range(K):
        a, b = x[j], x[K + j]
        work[j] = LM[j] * cost_factor(0.0, reg[PRODUCTIVITY, j], s) * np.exp(c * a - s * alpha * b)
        work[K + j] = (mu_e * LM[j] * np.exp(a) + (1.0 - alpha) * gamma * YA[j]) * np.exp((s - 1.0) * b)
    freeness_tdot_at(Phi, work, 0, work, 2 * K)
    freeness_dot_at(Phi, work, K, work, 3 * K)
    for i in range(K):
        b = x[K + i]
        out[K + i] = (np.log(work[2 * K + i]) + s * alpha * b) / c
        h = cost_factor(0.0, reg[PRODUCTIVITY, i], s) * work[3 * K + i]
        out[i] = (np.log(h) / s - alpha * b) / (1.0 - alpha)


@njit(MAP_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _map(x, lam, par, reg, Phi, out, work):
    LM, YA = _split(lam, par, reg, reg.shape[1])
    map_body(x, LM, YA, par, reg, Phi, out, work)


@njit(cache=True, error_model="numpy", nogil=True, inline="always")
def write_region_rows(out, j, avg, income, G, gamma):
    """Outputs of region j (both closures with immobile agriculture): wage = the average wage,
    income, price index G, real wage = avg G^(-gamma), and the real wage again in the payoff row
    (unused: the payoff kernel gives every state component's)."""
    out[0, j] = avg
    out[1, j] = income
    out[2, j] = G
    out[3, j] = avg * G ** (-gamma)
    out[4, j] = out[3, j]


@njit(BLOCK_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _outputs(x, lam, par, reg, Phi, out):
    """Per region: wage = the average wage of the region's workers m w + a w^A (in a long-run
    equilibrium with both sectors active, the wage of each), income Y, price index G,
    real wage = wage G^(-gamma), and (row 4, unused: see _payoff) the real wage again."""
    gamma = par[GAMMA]
    K = reg.shape[1]
    LM, YA = _split(lam, par, reg, K)
    eta = par[ETA]
    for j in range(K):
        w = np.exp(x[j])
        G = np.exp(x[K + j])
        avg = lam[2 * j] * w + lam[2 * j + 1] ** eta  # a w^A = a^eta (finite at a = 0)
        write_region_rows(out, j, avg, w * LM[j] + YA[j], G, gamma)


@njit(PAYOFF_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _payoff(x, lam, par, reg, Phi, out):
    """(manufacturing wage, agricultural wage) of every region, times its amenity:
    A_i w_i and A_i a_i^(eta - 1) (the amenity does not change the choice of sector)."""
    eta = par[ETA]
    K = reg.shape[1]
    for j in range(K):
        out[2 * j] = reg[AMENITY, j] * np.exp(x[j])
        out[2 * j + 1] = reg[AMENITY, j] * (lam[2 * j + 1] ** (eta - 1.0) if eta != 1.0 else 1.0)


@njit(cache=True, error_model="numpy", nogil=True)
def jacobian_body(x, LM, YA, par, reg, Phi, out):
    """The Jacobian of :func:`map_body`."""
    s, gamma, alpha = par[SIGMA], par[GAMMA], par[ALPHA]
    K = reg.shape[1]
    rest = np.empty(K)
    cf = np.empty(K)
    for j in range(K):
        rest[j] = (1.0 - alpha) * gamma * YA[j]
        cf[j] = cost_factor(0.0, reg[PRODUCTIVITY, j], s)
    assemble_jacobian(x, LM, cf, rest, s, alpha, gamma + alpha * (1.0 - gamma), Phi, out)


@njit(BLOCK_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _jacobian(x, lam, par, reg, Phi, out):
    """dF/dx for x = (a, b) = (log w, log G): the mobile closure's Jacobian with lam -> L^M
    and the farmers' term -> (1 - alpha) gamma Y^A (which does not depend on x)."""
    LM, YA = _split(lam, par, reg, reg.shape[1])
    jacobian_body(x, LM, YA, par, reg, Phi, out)


def manufacturing_share(gamma: float, eta: float) -> float:
    """m* = gamma / (gamma + eta (1 - gamma)): each region's share of labour in manufacturing in
    the symmetric equilibrium (identical regions). World market clearing makes the wage bill
    gamma/(1 - gamma) times agricultural output; with w = w^A = a^(eta - 1) that gives
    m/a = gamma / (eta (1 - gamma)), independently of the trade costs."""
    return gamma / (gamma + eta * (1.0 - gamma))


def initial_state(model, lam: np.ndarray) -> np.ndarray:
    """w = 1 and G solving the price-index equation at w = 1: G^c = Phi^T L^M."""
    lam = np.asarray(lam, dtype=np.float64)
    K = model.K
    LM = np.asarray(model.farmers) * lam[0::2][:K]
    c = 1.0 - model.sigma * (1.0 - model.alpha)
    g = model.freeness_operator.matrix.T @ (LM * np.asarray(model.productivity) ** (model.sigma - 1.0))
    b = np.log(np.maximum(g, np.finfo(float).tiny)) / c
    return np.concatenate([np.zeros(K), b])


def two_region_break_points(sigma: float, gamma: float, alpha: float, eta: float):
    """Break points of two identical regions, [(phi, "lose"|"gain"), ...] in increasing phi,
    from the linearisation at the symmetric equilibrium (our derivation).

    Move dm of labour into manufacturing in region 1 and out of it in region 2 (hats: relative
    changes, l = dm/m, Z = (1 - phi)/(1 + phi), mu_e = gamma + alpha (1 - gamma)). Agricultural
    output falls by w dL^M (its marginal product is the wage), so e = mu_e w + alpha l, and the
    price-index and wage equations give
        (1 - s + Z s alpha) g = Z (l + (1 - s (1 - alpha)) w)
        s ((1 - alpha) w + alpha g) = Z (mu_e w + alpha l + (s - 1) g),
    whence w / l = R(Z) = N(Z) / D(Z) with
        N(Z) = Z^2 (s - 1 + s alpha^2) - Z alpha (2 s - 1),
        D(Z) = -s (1 - alpha)(s - 1) + Z (mu_e (s - 1) + s alpha)
               + Z^2 ((s - 1)^2 - s alpha (mu_e + s - 1))      (< 0).
    The agricultural wage moves by k l, k = (1 - eta) gamma / (eta (1 - gamma)) (its elasticity
    in the manufacturing share at m*). The replicator's eigenvalue along this direction has the
    sign of R(Z) - k: the symmetric state is unstable where P(Z) = N(Z) - k D(Z) < 0, a quadratic
    positive at Z = 0 and Z = 1 (phi = 1 and phi = 0: stable). Its roots in (0, 1) are the break
    points: the larger Z gives the first ("lose", agglomeration), the smaller the second ("gain",
    re-dispersion). The other mode (both regions together) has R = -1/(1 - gamma) < 0 <= k: stable.
    eta = 1 (k = 0): one break point; the symmetric state stays unstable up to phi = 1.
    """
    s, g, a = float(sigma), float(gamma), float(alpha)
    mu = g + a * (1.0 - g)
    k = (1.0 - eta) * g / (eta * (1.0 - g))
    A = s - 1.0 + s * a * a - k * ((s - 1.0) ** 2 - s * a * (mu + s - 1.0))
    B = -(a * (2.0 * s - 1.0) + k * (mu * (s - 1.0) + s * a))
    C = k * s * (1.0 - a) * (s - 1.0)
    if A == 0.0:
        roots = np.array([-C / B])
    else:
        disc = B * B - 4.0 * A * C
        if disc <= 0.0:
            return []
        sq = np.sqrt(disc)
        q = -0.5 * (B + np.copysign(sq, B))  # stable quadratic formula
        roots = np.array([q / A, C / q])
    Z = np.sort(roots[(roots > 0.0) & (roots < 1.0)])[::-1]
    phi = (1.0 - Z) / (1.0 + Z)
    if k == 0.0:  # eta = 1: P(0) = 0, unstable from the one root up to phi = 1 (no re-dispersion)
        return [(float(phi[0]), "lose")] if Z.size else []
    if Z.size != 2:  # P > 0 at both ends: roots in (0, 1) come in pairs (or touch)
        return []
    return [(float(phi[0]), "lose"), (float(phi[1]), "gain")]
