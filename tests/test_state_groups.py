"""The grouped long-run state (neg.state): a toy model with a linear payoff, two groups.

payoff = a - B lam on a state of two simplices of sizes (2, 3). With B symmetric positive
definite the interior equilibrium is unique and stable and solves, per group, equal payoffs."""

import dataclasses

import numpy as np
import pytest
from numba import njit

import neg
from neg.kernels import BLOCK_SIGNATURE, MAP_SIGNATURE, PAYOFF_SIGNATURE
from neg.models.base import Model
from neg.state import StateSpace

N = 5
SIZES = (2, 3)


@njit(MAP_SIGNATURE, cache=True)
def _null(x, lam, par, reg, Phi, out, work):
    out[:] = 0.0


@njit(BLOCK_SIGNATURE, cache=True)
def _outputs(x, lam, par, reg, Phi, out):
    out[:, :] = 0.0


@njit(PAYOFF_SIGNATURE, cache=True)
def _payoff(x, lam, par, reg, Phi, out):
    n = lam.size
    for i in range(n):
        s = par[1 + i]
        for j in range(n):
            s -= par[0] * par[1 + n + i * n + j] * lam[j]
        out[i] = s


@dataclasses.dataclass(frozen=True, eq=False)
class LinearToy(Model):
    sigma: float = 2.0
    phi: float | None = 0.5
    geography: neg.Geography | None = None
    strength: float = 1.0
    T: float | None = dataclasses.field(default=None, kw_only=True)

    fixed_point_map = staticmethod(_null)
    outputs_kernel = staticmethod(_outputs)
    payoff_kernel = staticmethod(_payoff)

    A = np.array([1.0, 1.2, 0.9, 1.1, 1.0])
    B = np.diag([2.0, 1.0, 3.0, 1.5, 2.5]) + 0.2

    def state_groups(self):
        return SIZES

    def kernel_args(self):
        return (np.concatenate([[self.strength], self.A, self.B.ravel()]),
                np.zeros((1, self.K)))


def analytic_equilibrium(strength=1.0):
    """Equal payoffs within each group and shares summing to 1: a linear system."""
    A, B = LinearToy.A, strength * LinearToy.B
    M = np.zeros((N + 2, N + 2))
    rhs = np.zeros(N + 2)
    gid = np.repeat([0, 1], SIZES)
    M[:N, :N] = B
    M[np.arange(N), N + gid] = 1.0  # a - B lam = c_g
    rhs[:N] = A
    for g in range(2):
        M[N + g, :N] = gid == g
        rhs[N + g] = 1.0
    return np.linalg.solve(M, rhs)[:N]


def test_long_run_reaches_the_analytic_equilibrium():
    m = LinearToy()
    eq = neg.long_run(m, [0.9, 0.1, 0.2, 0.3, 0.5])
    np.testing.assert_allclose(eq.lam, analytic_equilibrium(), atol=1e-9)
    assert eq.converged and eq.stable
    np.testing.assert_allclose(StateSpace(SIZES).group_sums(eq.lam), 1.0, atol=1e-14)


def test_stability_eigenvalues_are_those_of_the_projected_linear_dynamics():
    m = LinearToy()
    lam = analytic_equilibrium()
    _, eig = neg.stability(m, lam)
    # replicator Jacobian per group: diag(lam)(I - 1 lam^T) (-B), restricted to the tangent space
    space = StateSpace(SIZES)
    V = space.tangent_basis(lam > 0)
    J = np.zeros((N, N))
    for g in range(2):
        idx = np.flatnonzero(space.gid == g)
        P = np.eye(idx.size) - np.outer(np.ones(idx.size), lam[idx])
        J[np.ix_(idx, range(N))] = np.diag(lam[idx]) @ P @ (-LinearToy.B[idx])
    expected = np.sort(np.linalg.eigvals(V.T @ J @ V).real)
    np.testing.assert_allclose(np.sort(np.real(eig)), expected, rtol=1e-7)


def test_group_validation():
    m = LinearToy()
    with pytest.raises(ValueError, match="within each group"):
        m.short_run([0.5, 0.5, 0.5, 0.6, 0.0])
    sr = m.short_run()
    np.testing.assert_allclose(sr.lam, [0.5, 0.5, 1 / 3, 1 / 3, 1 / 3])
    assert sr.payoff.shape == (N,)


def test_corner_of_a_group():
    """A strong own-payoff for the first component of group 2 makes the others leave it."""
    m = LinearToy()
    eq = neg.long_run(m, [0.5, 0.5, 0.98, 0.01, 0.01])
    assert eq.converged
    np.testing.assert_allclose(eq.lam, analytic_equilibrium(), atol=1e-9)


def test_trace_over_a_grouped_state():
    ds = neg.trace(LinearToy(), "strength", [0.5, 1.0, 2.0], direction="up")
    assert ds.lam.dims == ("direction", "strength", "state")
    for k, s in enumerate([0.5, 1.0, 2.0]):
        np.testing.assert_allclose(ds.lam.values[0, k], analytic_equilibrium(s), atol=1e-8)
