"""Kernels of ``VerticalLinkages(..., labour="migration")``: Puga (1999, *European Economic
Review* 43, "The rise and fall of regional inequalities"), the case with interregional
migration. The model class is :class:`neg.VerticalLinkages`; docs/models.md gives the economics.

All labour (total 1) moves between regions and between sectors: the long-run state is **one
group of 2K shares** of the world's labour, ``lam = (L^M_0, L^A_0, L^M_1, L^A_1, ...)``
(manufacturing and agricultural employment by region). Land is immobile: region i has T_i =
``farmers_i`` of it (total 1). Agriculture (numeraire, freely traded, competitive) is
Cobb-Douglas in labour and land with labour share ``eta``:

    Y^A_i = (T_i / eta) (L^A_i / T_i)^eta,     w^A_i = (L^A_i / T_i)^(eta - 1),

the land rents (1 - eta) Y^A_i are spent in the region (by its landowners). Manufacturing,
income and expenditure exactly as in the immobile closure
(:mod:`neg.models.vertical_linkages_immobile`, the same map and Jacobian with these L^M and Y^A).
A worker's payoff is the real wage of the sector and region where she works,
(w_i G_i^(-gamma), w^A_i G_i^(-gamma)) (times the amenity): migration equalises real wages
across regions, sectoral mobility nominal wages within a region.

With land in proportion to the labour of each region (T_i = L_i) and the regions' labour held
fixed this is the immobile closure; both have the same symmetric equilibrium, each region
splitting its labour (m*, 1 - m*), m* = gamma / (gamma + eta (1 - gamma)).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy.optimize import brentq

from neg.kernels import BLOCK_SIGNATURE, MAP_SIGNATURE, PAYOFF_SIGNATURE
from neg.models.vertical_linkages_immobile import (
    AMENITY,
    ETA,
    FARMERS,
    GAMMA,
    jacobian_body,
    manufacturing_share,
    map_body,
    write_region_rows,
)

__all__ = ["two_region_break_points", "leading_eigenvalue", "initial_state", "two_region_core_periphery",
           "two_region_sustain_point"]


@njit(cache=True, error_model="numpy", nogil=True)
def _split(lam, par, reg, K):
    """(L^M, L^A, Y^A) per region from lam = (L^M_0, L^A_0, ...)."""
    eta = par[ETA]
    LM = np.empty(K)
    LA = np.empty(K)
    YA = np.empty(K)
    for j in range(K):
        T = reg[FARMERS, j]
        LM[j] = lam[2 * j]
        LA[j] = lam[2 * j + 1]
        YA[j] = T / eta * (LA[j] / T) ** eta if T > 0.0 else 0.0
    return LM, LA, YA


@njit(MAP_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _map(x, lam, par, reg, Phi, out, work):
    LM, _, YA = _split(lam, par, reg, reg.shape[1])
    map_body(x, LM, YA, par, reg, Phi, out, work)


@njit(BLOCK_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _jacobian(x, lam, par, reg, Phi, out):
    LM, _, YA = _split(lam, par, reg, reg.shape[1])
    jacobian_body(x, LM, YA, par, reg, Phi, out)


@njit(cache=True, error_model="numpy", nogil=True)
def _wage_bill_agri(LA, T, eta):
    """w^A L^A = T (L^A/T)^eta (finite where L^A = 0)."""
    return T * (LA / T) ** eta if T > 0.0 else 0.0


@njit(BLOCK_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _outputs(x, lam, par, reg, Phi, out):
    """Per region: wage = the average wage of its workers (where it has none: the better of the
    two it would offer), income Y,
    price index G, real wage = wage G^(-gamma); row 4 (unused: see _payoff) the real wage."""
    gamma, eta = par[GAMMA], par[ETA]
    K = reg.shape[1]
    LM, LA, YA = _split(lam, par, reg, K)
    for j in range(K):
        w = np.exp(x[j])
        G = np.exp(x[K + j])
        T = reg[FARMERS, j]
        L = LM[j] + LA[j]
        if L > 0.0:
            avg = (w * LM[j] + _wage_bill_agri(LA[j], T, eta)) / L
        else:  # nobody there: the better of the wages it would offer (w^A = inf if eta < 1)
            wa = 0.0 if T <= 0.0 else (1.0 if eta == 1.0 else np.inf)
            avg = max(w, wa)
        write_region_rows(out, j, avg, w * LM[j] + YA[j], G, gamma)


@njit(PAYOFF_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _payoff(x, lam, par, reg, Phi, out):
    """Real wages (w_i G_i^(-gamma), w^A_i G_i^(-gamma)) of every region, times its amenity."""
    gamma, eta = par[GAMMA], par[ETA]
    K = reg.shape[1]
    for j in range(K):
        T = reg[FARMERS, j]
        deflate = reg[AMENITY, j] * np.exp(-gamma * x[K + j])
        out[2 * j] = np.exp(x[j]) * deflate
        if eta == 1.0:
            wa = 1.0 if T > 0.0 else 0.0
        elif T <= 0.0:
            wa = 0.0
        else:
            wa = (lam[2 * j + 1] / T) ** (eta - 1.0)
        out[2 * j + 1] = wa * deflate


def initial_state(model, lam: np.ndarray) -> np.ndarray:
    """w = 1 and G solving the price-index equation at w = 1: G^c = Phi^T (L^M A^(s-1))."""
    lam = np.asarray(lam, dtype=np.float64)
    K = model.K
    LM = lam[0::2][:K]
    c = 1.0 - model.sigma * (1.0 - model.alpha)
    g = model.freeness_operator.matrix.T @ (LM * np.asarray(model.productivity) ** (model.sigma - 1.0))
    b = np.log(np.maximum(g, np.finfo(float).tiny)) / c
    return np.concatenate([np.zeros(K), b])


def symmetric_state(model) -> np.ndarray:
    """Every region's land share split (m*, 1 - m*) between manufacturing and agriculture."""
    m = manufacturing_share(model.gamma, model.eta)
    T = np.asarray(model.farmers, dtype=float)
    return np.column_stack([T * m, T * (1.0 - m)]).ravel()


def leading_eigenvalue(sigma: float, gamma: float, alpha: float, eta: float, phi: float) -> float:
    """Two identical regions, the mode that moves labour between them: the largest real part of
    the replicator's 2 x 2 Jacobian (in units of the payoff), from the linearisation at the
    symmetric equilibrium (derived here).

    Region 1 gains x manufacturing and y agricultural workers, region 2 loses them; with
    l = x/M, l_a = y/M (M = m*/2 the manufacturing labour of a region), Z = (1 - phi)/(1 + phi)
    and hats for relative changes, the price-index and wage equations of the immobile
    closure (:func:`neg.models.vertical_linkages_immobile.two_region_break_points`) hold with
    expenditure e = mu_e (w + l) + (1 - alpha) gamma l_a (agricultural output moves by w^A y):

        (1 - s + Z s alpha) g = Z (l + (1 - s (1 - alpha)) w)
        s ((1 - alpha) w + alpha g) = Z (mu_e w + mu_e l + (1 - alpha) gamma l_a + (s - 1) g),

    and the real wages move by V_M = w - gamma g, V_A = -k l_a - gamma g, with
    k = (1 - eta) gamma / (eta (1 - gamma)) (the agricultural wage's elasticity, in units of
    l_a). The replicator moves (l, l_a) at rates (V_M, r V_A), r = (1 - m*)/m*. The other
    modes (both regions moving labour between sectors together) are stable, as in the immobile
    closure."""
    s, g, a = float(sigma), float(gamma), float(alpha)
    mu = g + a * (1.0 - g)
    m = manufacturing_share(g, eta)
    k = (1.0 - eta) * g / (eta * (1.0 - g))
    r = (1.0 - m) / m
    Z = (1.0 - phi) / (1.0 + phi)
    A = np.array([[-Z * (1.0 - s * (1.0 - a)), 1.0 - s + Z * s * a],
                  [s * (1.0 - a) - Z * mu, s * a - Z * (s - 1.0)]])
    rhs = np.array([[Z, 0.0], [Z * mu, Z * (1.0 - a) * g]])  # columns: d/dl, d/dl_a
    wg = np.linalg.solve(A, rhs)  # rows: w, g
    VM = wg[0] - g * wg[1]
    VA = -g * wg[1] + np.array([0.0, -k])
    J = np.array([VM, r * VA])
    return float(np.max(np.linalg.eigvals(J).real))


def two_region_break_points(sigma: float, gamma: float, alpha: float, eta: float,
                            grid: np.ndarray | None = None) -> list[tuple[float, str]]:
    """Every phi in (0, 1) where :func:`leading_eigenvalue` changes sign, with "lose" or "gain"
    as phi rises (Brent's method on a scan)."""
    grid = np.linspace(1e-6, 1.0 - 1e-9, 2001) if grid is None else np.asarray(grid, dtype=float)

    def f(phi):
        return leading_eigenvalue(sigma, gamma, alpha, eta, phi)

    vals = np.array([f(p) for p in grid])
    out = []
    for i in range(grid.size - 1):
        if (vals[i] < 0) != (vals[i + 1] < 0):
            root = brentq(f, grid[i], grid[i + 1], xtol=1e-15, rtol=4 * np.finfo(float).eps)
            out.append((float(root), "lose" if vals[i + 1] > 0 else "gain"))
    return out


def two_region_core_periphery(sigma: float, gamma: float, alpha: float, eta: float,
                              phi: float) -> np.ndarray:
    """The state with all industry in region 0 (two regions, equal land, eta < 1), from the
    equilibrium conditions (derived here): G_1 = G_0 phi^(1/(1-s)); farm workers' real wages
    equal across regions, so L^A_0 / L^A_1 = rho = phi^(gamma/((s-1)(eta-1))); region 0's wages
    equal across sectors, w = (2 L^A_0)^(eta-1); and world market clearing, the wage bill
    w L^M = gamma/(1 - gamma) (Y^A_0 + Y^A_1), Y^A_i = (2 L^A_i)^eta/(2 eta), solved for L^A_1
    by Brent's method. Returns (L^M_0, L^A_0, 0, L^A_1)."""
    s, g, e = float(sigma), float(gamma), float(eta)
    if not e < 1.0:
        raise ValueError(f"eta: the core-periphery state needs eta < 1, got {e:g}")
    rho = phi ** (g / ((s - 1.0) * (e - 1.0)))

    def clearing(a1):
        M = 1.0 - (1.0 + rho) * a1
        return (2.0 * rho * a1) ** (e - 1.0) * M - g / ((1.0 - g) * 2.0 * e) * (
            (2.0 * rho * a1) ** e + (2.0 * a1) ** e)

    hi = 1.0 / (1.0 + rho)
    a1 = brentq(clearing, hi * 1e-12, hi, xtol=1e-16, rtol=4 * np.finfo(float).eps)
    return np.array([1.0 - (1.0 + rho) * a1, rho * a1, 0.0, a1])


def two_region_sustain_point(sigma: float, gamma: float, alpha: float, eta: float) -> float:
    """The phi above which all industry in one region is sustainable (two regions, equal land,
    eta < 1; derived here): a firm in the periphery pays w_1 with
    (w_1/w_0)^((1-alpha) s) = phi^(alpha s/(s-1)) (c phi + (1 - c)/phi), c the core's share of
    the expenditure on manufactures Et_0/(Et_0 + Et_1), Et = mu_e w L^M + (1 - alpha) gamma Y^A,
    and its workers' real wage w_1 G_1^(-gamma) is below the core's where

        phi^(mu_e s/(s-1)) (c phi + (1 - c)/phi) < 1

    — the core-periphery model's sustain condition (FKV 5.19) with mu -> mu_e and the core's
    expenditure share c from :func:`two_region_core_periphery` (it depends on phi through the
    farm workers' migration). Brent's method on the largest sign change in (0, 1)."""
    s, g, a, e = float(sigma), float(gamma), float(alpha), float(eta)
    mu = g + a * (1.0 - g)

    def excess(phi):
        LM, A0, _, A1 = two_region_core_periphery(s, g, a, e, phi)
        w = (2.0 * A0) ** (e - 1.0)
        Et0 = mu * w * LM + (1.0 - a) * g * (2.0 * A0) ** e / (2.0 * e)
        Et1 = (1.0 - a) * g * (2.0 * A1) ** e / (2.0 * e)
        c = Et0 / (Et0 + Et1)
        return phi ** (mu * s / (s - 1.0)) * (c * phi + (1.0 - c) / phi) - 1.0

    grid = np.geomspace(1e-8, 1.0 - 1e-9, 400)
    vals = np.array([excess(p) for p in grid])
    flips = np.flatnonzero((vals[:-1] > 0) & (vals[1:] <= 0))
    if flips.size == 0:
        return float("nan")
    i = flips[-1]
    return float(brentq(excess, grid[i], grid[i + 1], xtol=1e-16, rtol=4 * np.finfo(float).eps))
