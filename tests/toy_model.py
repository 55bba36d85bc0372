"""A model written outside neg, in one file, as docs/architecture.md says: Krugman's (1991)
core-periphery model without policy instruments or welfare accounts (FKV 1999, ch. 4-5).

Mobile workers (total mu) have shares lam_i, immobile farmers (total 1 - mu) shares farmers_i
and wage 1. With Phi_ij = phi**d_ij and x = log w:

    Y_i        = mu lam_i w_i + (1 - mu) farmers_i
    G_i^(1-s)  = sum_j lam_j w_j^(1-s) Phi_ji
    w_i^s      = sum_j Y_j G_j^(s-1) Phi_ij,        omega_i = w_i G_i^(-mu)

Two regions: break point phi_B = (rho - mu)(1 - mu)/((rho + mu)(1 + mu)), rho = (s - 1)/s.
"""

import numpy as np
from numba import njit

from neg.geography import freeness_dot, freeness_tdot
from neg.kernels import BLOCK_SIGNATURE, MAP_SIGNATURE
from neg.models import Kernels, Model, Param
from neg.models.params import slots

PARAMS = (
    Param("mu", "scalar", "expenditure share of manufactures = mass of mobile workers",
          "manufacturing share", lower=0.0, upper=1.0, slot="par"),
    Param("farmers", "shares", "shares of the immobile farmers, by region", "farmers' shares",
          default=None, slot="reg", role="immobile"),
)
SIGMA, MU = slots(PARAMS, "par", "sigma", "mu", policy=False)
FARMERS = slots(PARAMS, "reg", "farmers", policy=False)


@njit(MAP_SIGNATURE, cache=True)
def _wage_map(x, lam, par, reg, Phi, out, work):
    s, mu = par[SIGMA], par[MU]
    K = lam.size
    a = np.empty(K)
    for j in range(K):
        a[j] = lam[j] * np.exp((1.0 - s) * x[j])
    g = np.empty(K)
    freeness_tdot(Phi, a, g)  # G^(1-s)
    b = np.empty(K)
    for j in range(K):
        b[j] = (mu * lam[j] * np.exp(x[j]) + (1.0 - mu) * reg[FARMERS, j]) / g[j]
    freeness_dot(Phi, b, out)  # w^s
    for i in range(K):
        out[i] = np.log(out[i]) / s


@njit(BLOCK_SIGNATURE, cache=True)
def _outputs(x, lam, par, reg, Phi, out):
    s, mu = par[SIGMA], par[MU]
    K = lam.size
    a = np.empty(K)
    for j in range(K):
        a[j] = lam[j] * np.exp((1.0 - s) * x[j])
    g = np.empty(K)
    freeness_tdot(Phi, a, g)
    for j in range(K):
        w = np.exp(x[j])
        G = g[j] ** (1.0 / (1.0 - s))
        out[0, j] = w
        out[1, j] = mu * lam[j] * w + (1.0 - mu) * reg[FARMERS, j]
        out[2, j] = G
        out[3, j] = w * G ** (-mu)
        out[4, j] = out[3, j]


class ToyCorePeriphery(Model):
    """Krugman's core-periphery model, no policy (see the module docstring).

    sigma, phi (or ``T=``), geography : the common parameters; mu : manufacturing share in
    (0, 1); farmers : the immobile farmers' shares (default uniform)."""

    parameters = PARAMS
    positional = ("sigma", "mu", "phi", "geography", "farmers")
    kernels = Kernels(_wage_map, _outputs)


def break_point(sigma: float, mu: float) -> float:
    """The two-region closed form phi_B."""
    rho = (sigma - 1.0) / sigma
    return (rho - mu) * (1.0 - mu) / ((rho + mu) * (1.0 + mu))
