"""Break points on random geographies against a high-precision reference (issue 15).

On a geography whose freeness matrix is circulant (d[i, j] = c[(j - i) mod K], with c a random
symmetric vector of distances) the uniform distribution is an equilibrium, and each Fourier mode
k of the normalised discounting matrix Phi / (row sum), with eigenvalue

    chi_k(phi) = sum_j phi**c_j cos(2 pi k j / K) / sum_j phi**c_j,

behaves like the two-region economy with (1 - phi)/(1 + phi) replaced by chi_k (Akamatsu,
Takayama & Ikeda 2012, sec. 3): the uniform state breaks at the first phi where some chi_k
falls to the two-region threshold (1 - phi_B)/(1 + phi_B), phi_B the model's two-region closed
form. The reference solves these equations with mpmath at 40 significant digits, independently
of neg; neg's break point must agree to 1e-10 relative, both through the Fourier modes (regions
in ring order) and through the K - 1 directional derivatives (the same geography with its
regions relabelled at random, which hides the circulant structure).
"""

import mpmath
import numpy as np
import pytest
from test_core_periphery import fkv_break_point
from test_footloose_entrepreneur import phi_break as fe_break_point
from test_pflueger import phi_break as pflueger_break_point

import neg

mpmath.mp.dps = 40


def random_ring_distances(K, seed):
    """c_j = h_min(j, K-j), h_0 = 0 and the others uniform in [0.5, 3]: a symmetric circulant
    distance vector."""
    h = np.concatenate([[0.0], np.random.default_rng(seed).uniform(0.5, 3.0, K // 2)])
    return h[np.minimum(np.arange(K), K - np.arange(K))]


def reference_break_point(c, phi_two):
    """The first phi with chi_k(phi) = (1 - phi_B)/(1 + phi_B) for some k, at 40 digits."""
    K = c.size
    Z = (1 - mpmath.mpf(phi_two)) / (1 + mpmath.mpf(phi_two))
    cs = [mpmath.mpf(float(x)) for x in c]
    cos = [[mpmath.cos(2 * mpmath.pi * k * j / K) for j in range(K)] for k in range(K)]

    def chi(phi, k):
        w = [phi**x for x in cs]
        return mpmath.fsum(wj * cj for wj, cj in zip(w, cos[k], strict=True)) / mpmath.fsum(w)

    def chi64(phi, k):  # only to bracket the roots
        w = phi ** c[None, :]
        return (w @ np.cos(2 * np.pi * k * np.arange(K) / K)) / w.sum(axis=1)

    grid = np.linspace(1e-6, 1 - 1e-6, 2001)
    roots = []
    for k in range(1, K // 2 + 1):
        above = chi64(grid[:, None], k) > float(Z)
        down = np.flatnonzero(above[:-1] & ~above[1:])
        if down.size:  # chi_k falls through the threshold
            a, b = grid[down[0]], grid[down[0] + 1]
            roots.append(mpmath.findroot(lambda p, k=k: chi(p, k) - Z, (a, b), solver="anderson"))
    return min(roots)


def ring(c, order=None):
    K = c.size
    D = c[(np.arange(K)[None, :] - np.arange(K)[:, None]) % K]
    if order is not None:
        D = D[np.ix_(order, order)]
    return neg.Geography.from_distances(D)


CASES = {
    "CorePeriphery": (lambda geo: neg.CorePeriphery(5.0, 0.6, phi=0.5, geography=geo),
                      fkv_break_point(5.0, 0.6)),
    "Pflueger": (lambda geo: neg.Pflueger(5.0, phi=0.5, workers=10.0, geography=geo),
                 pflueger_break_point(5.0, 10.0)),
    "FootlooseEntrepreneur": (lambda geo: neg.FootlooseEntrepreneur(3.0, 0.6, phi=0.5, geography=geo),
                              fe_break_point(3.0, 0.6)),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("K, seed", [(7, 1), (12, 2), (31, 3)])
def test_break_point_on_a_random_ring_equals_the_high_precision_reference(name, K, seed):
    build, phi_two = CASES[name]
    c = random_ring_distances(K, seed)
    exact = reference_break_point(c, phi_two)
    assert neg.break_point(build(ring(c))) == pytest.approx(float(exact), rel=1e-10)


@pytest.mark.parametrize("name", CASES)
def test_break_point_with_regions_relabelled_uses_every_direction_and_agrees(name):
    """The same random ring with its regions in random order: not circulant as stored, so the
    spectrum comes from K - 1 directional derivatives (steps scaled to the shares)."""
    build, phi_two = CASES[name]
    K = 12
    c = random_ring_distances(K, 5)
    geo = ring(c, np.random.default_rng(5).permutation(K))
    assert not geo.vertex_transitive
    exact = reference_break_point(c, phi_two)
    assert neg.break_point(build(geo)) == pytest.approx(float(exact), rel=1e-10)


@pytest.mark.slow
def test_break_point_on_a_random_relabelled_ring_of_48_regions():
    """Many directions: the K - 1 = 47 directional derivatives (steps 1/48 of a share) keep 1e-10."""
    build, phi_two = CASES["CorePeriphery"]
    c = random_ring_distances(48, 7)
    geo = ring(c, np.random.default_rng(7).permutation(48))
    assert neg.break_point(build(geo)) == pytest.approx(float(reference_break_point(c, phi_two)), rel=1e-10)
