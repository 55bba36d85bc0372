"""The linear (OTT 2002) model: short run against an independent solver of the primitives, OTT's
closed forms (prohibitive cost, break = sustain cost, the welfare threshold) reproduced by the
generic solvers, corners on larger geographies, validation."""

import numpy as np
import pytest
from scipy.optimize import brentq, root

import neg
from neg import Geography, Linear
from neg.models.linear import two_region_thresholds
from neg.solvers.bifurcation import uniform_leading_eigenvalue

# (alpha, beta, gamma, H, L, F): tau* < tau_trade in each (a break inside (0, 1))
CASES = [(1.0, 1.0, 0.5, 1.0, 10.0, 1.0), (2.0, 1.5, 0.4, 2.0, 12.0, 0.5), (0.7, 3.0, 2.0, 1.0, 6.0, 2.0)]


# ---------------------------------------------------------------- independent slow solver
def slow_short_run(alpha, beta, gamma, H, L, F, workers, tau, lam, M=None):
    """The primitives in plain numpy: the consumers' first-order conditions
    alpha - (beta - gamma) q_ij - gamma Q_j = p_ij and the firms' (p - tau) / (beta - gamma) = q,
    solved by scipy.optimize.root for the prices of the pairs that trade; pairs with q <= 0 are
    dropped and the system solved again until no pair changes (corners). ``tau[i, j]`` is any
    per-unit cost (trade cost plus marginal cost); ``M`` the consumers by region (default
    L workers + H lam). Returns operating profits per skilled worker pi / F, surplus."""
    K = len(lam)
    n = np.asarray(lam) * H / F
    M = L * np.asarray(workers) + H * np.asarray(lam) if M is None else np.asarray(M, dtype=float)
    d = beta - gamma
    sells = (n[:, None] > 0) & np.ones((K, K), dtype=bool)
    for _ in range(K * K + 1):
        idx = np.argwhere(sells)

        def demand(p, idx=idx, sells=sells):
            P = np.zeros((K, K))
            P[tuple(idx.T)] = p
            Q = np.array([sum(n[i] * (alpha - P[i, j]) for i in range(K) if sells[i, j])
                          / (d + gamma * sum(n[i] for i in range(K) if sells[i, j])) for j in range(K)])
            return P, (alpha - P - gamma * Q[None, :]) / d, Q

        def focs(p, idx=idx, demand=demand):
            P, q, _ = demand(p)
            return np.array([q[i, j] - (P[i, j] - tau[i, j]) / d for i, j in idx])

        p0 = np.array([alpha / 2 + tau[i, j] / 2 for i, j in idx])
        sol = root(focs, p0, method="hybr", tol=1e-15)
        assert np.max(np.abs(focs(sol.x))) < 1e-13
        P, q, Q = demand(sol.x)
        keep = sells & (q > 0)
        # a pair that does not trade would, where the choke price for one more variety exceeds its cost
        enter = (n[:, None] > 0) & ~sells & (alpha - gamma * Q[None, :] > tau)
        if np.array_equal(keep, sells) and not enter.any():
            break
        sells = keep | enter
    pi = np.zeros(K)
    for i in range(K):
        for j in range(K):
            if sells[i, j]:
                pi[i] += M[j] * (P[i, j] - tau[i, j]) * q[i, j]
            elif n[i] == 0:  # what a firm there would earn: best response to the market's Q
                m = alpha - gamma * Q[j] - tau[i, j]
                pi[i] += M[j] * max(m, 0.0) ** 2 / (4 * d)
    S = np.empty(K)
    for j in range(K):
        on = sells[:, j]
        qs, ps = q[on, j], P[on, j]
        S[j] = (alpha * Q[j] - d / 2 * (n[on] * qs ** 2).sum() - gamma / 2 * Q[j] ** 2
                - (n[on] * ps * qs).sum())
    return pi / F, S


def _check(model, lam, rtol=1e-10):
    tau = model.tau * model.geography.distance
    w, S = slow_short_run(model.alpha, model.beta, model.gamma, model.H, model.L, model.F,
                          model.workers, tau, lam)
    sr = model.short_run(lam)
    assert sr.converged
    np.testing.assert_allclose(sr.wage, w, rtol=rtol)
    np.testing.assert_allclose(sr.real_wage - sr.wage, S, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(sr.payoff, w + S, rtol=rtol)


@pytest.mark.parametrize("case", CASES)
def test_two_regions_match_independent_solver(case):
    alpha, beta, gamma, H, L, F = case
    rng = np.random.default_rng(1)
    for phi in (0.05, 0.4, 0.9):
        m = Linear(alpha, beta, gamma, phi=phi, H=H, L=L, F=F)
        for lam in ([0.5, 0.5], [0.8, 0.2], [1.0, 0.0], rng.dirichlet([1, 1])):
            _check(m, np.asarray(lam, dtype=float))


def test_larger_geographies_with_corners_match_independent_solver():
    """A line of four (distances up to 3): at phi = 0.9 every pair trades, at 0.4 the far pairs
    do not (tau d > choke price), and the set of sellers is found as the independent solver's."""
    rng = np.random.default_rng(5)
    geo = Geography.line(4)
    for phi in (0.9, 0.4, 0.1):
        m = Linear(1.0, 1.0, 0.5, phi=phi, geography=geo, L=8.0, workers=rng.dirichlet(np.ones(4)))
        for lam in (rng.dirichlet(np.ones(4)), np.array([0.0, 0.6, 0.4, 0.0]), np.full(4, 0.25)):
            _check(m, lam)


def test_ott_consumer_surplus_and_prices():
    """Two regions: OTT's prices p_HH = (2a + tau c n_F)/(2(2b + cN)), p_FH = p_HH + tau/2 and
    their surplus S = a^2 N/(2b) - a P + (b + cN)/2 int p^2 - c/2 P^2 equal the kernel's."""
    alpha, beta, gamma, H, L, F = CASES[1]
    m = Linear(alpha, beta, gamma, phi=0.6, H=H, L=L, F=F)
    N = H / F
    b = 1 / (beta - gamma + gamma * N)
    a, c = alpha * b, gamma * b / (beta - gamma)
    tau = m.tau
    for lam in (0.5, 0.7, 1.0):
        nH, nF = lam * N, (1 - lam) * N
        pHH = (2 * a + tau * c * nF) / (2 * (2 * b + c * N))
        pFH = pHH + tau / 2
        P = nH * pHH + nF * pFH
        S = a * a * N / (2 * b) - a * P + (b + c * N) / 2 * (nH * pHH ** 2 + nF * pFH ** 2) - c / 2 * P * P
        sr = m.short_run([lam, 1 - lam])
        assert sr.price_index[0] / 2 == pytest.approx(pHH, rel=1e-13)  # p_HH = A_H / 2
        assert sr.real_wage[0] - sr.wage[0] == pytest.approx(S, rel=1e-12)


# ---------------------------------------------------------------- OTT's closed forms
@pytest.mark.parametrize("case", CASES)
def test_break_and_sustain_points_are_ott_tau_star(case):
    alpha, beta, gamma, H, L, F = case
    m = Linear(alpha, beta, gamma, phi=0.5, H=H, L=L, F=F)
    t = m.thresholds()
    assert 0 < t["tau_star"] < t["tau_trade"]
    assert neg.break_point(m) == pytest.approx(t["phi_star"], abs=1e-10)
    assert neg.sustain_point(m) == pytest.approx(t["phi_star"], abs=1e-10)
    assert [k for _, k in neg.break_points(m)] == ["lose"]


def test_payoff_gap_is_linear_in_lam():
    """V_1 - V_2 = C tau (tau* - tau)(lam - 1/2): linear in lam, zero slope at tau* and tau = 0."""
    m = Linear(*CASES[0][:3], phi=0.6, H=CASES[0][3], L=CASES[0][4], F=CASES[0][5])
    lams = np.linspace(0, 1, 6)
    gap = np.array([np.subtract(*m.short_run([x, 1 - x]).payoff) for x in lams])
    np.testing.assert_allclose(gap, np.polyval(np.polyfit(lams, gap, 1), lams), atol=1e-13)
    t = m.thresholds()
    at = m.replace(phi=t["phi_star"])
    assert abs(np.subtract(*at.short_run([0.9, 0.1]).payoff)) < 1e-13


def test_trade_prohibitive_cost():
    """tau_trade = 2a/(2b + cN): a region without firms could just export when all firms are in
    the other one, A_j - tau = tau_trade - tau = phi tau_trade (OTT: trade at every lam iff
    tau < tau_trade)."""
    for case in CASES:
        alpha, beta, gamma, H, L, F = case
        for phi in (1e-9, 0.3, 0.8):
            m = Linear(alpha, beta, gamma, phi=phi, H=H, L=L, F=F)
            sr = m.short_run([0.0, 1.0])
            assert sr.price_index[1] - m.tau == pytest.approx(phi * m.tau_trade, rel=1e-9, abs=1e-15)
            assert m.tau_trade == pytest.approx(two_region_thresholds(*case)["tau_trade"], rel=1e-14)
        assert m.phi_of_tau(m.tau) == pytest.approx(m.phi, rel=1e-14)


@pytest.mark.parametrize("case", CASES)
def test_welfare_threshold(case):
    """neg.welfare's national welfare (total surplus) is equal under agglomeration and dispersion
    at tau° (16 a F (3bF + cH) / (...)), below tau*: the market over-agglomerates in between."""
    alpha, beta, gamma, H, L, F = case
    base = Linear(alpha, beta, gamma, phi=0.5, H=H, L=L, F=F)

    def gain(phi):
        m = base.replace(phi=phi)
        return float(neg.welfare(m, np.array([1.0, 0.0]))["national_welfare"]
                     - neg.welfare(m, np.array([0.5, 0.5]))["national_welfare"])

    t = base.thresholds()
    phi_w = brentq(gain, 1e-6, 1 - 1e-6, xtol=1e-15)
    assert phi_w == pytest.approx(t["phi_welfare"], abs=1e-10)
    assert t["tau_welfare"] < t["tau_star"]  # over-agglomeration for tau in (tau°, tau*)


# ---------------------------------------------------------------- any geography
def test_racetrack():
    """Six regions on a circle: the uniform distribution is an equilibrium; where distant
    markets are cut off (low phi) it is stable for many unskilled (L = 60), loses stability at
    phi = 0.0773 and stays unstable up to free trade (L = 20: unstable at every phi)."""
    m = Linear(1.0, 1.0, 0.5, phi=0.9, geography=Geography.racetrack(6), L=60.0)
    sr = m.short_run(np.full(6, 1 / 6))
    np.testing.assert_allclose(sr.payoff, sr.payoff[0], rtol=1e-14)
    found = neg.break_points(m)
    assert [k for _, k in found] == ["lose"]
    assert found[0][0] == pytest.approx(0.0773462, abs=1e-6)
    assert uniform_leading_eigenvalue(m, found[0][0]) == pytest.approx(0.0, abs=1e-10)
    eq = neg.long_run(m.replace(phi=0.5), np.array([0.3, 0.2, 0.15, 0.15, 0.1, 0.1]))
    assert eq.converged


def test_batch_over_phi_matches_single_runs():
    """The batch solver varies only the freeness operator: the kernels read phi from it."""
    m = Linear(1.0, 1.0, 0.5, phi=0.5, geography=Geography.line(3))
    lam = np.array([0.2, 0.5, 0.3])
    phis = np.array([0.2, 0.5, 0.95])
    batch = neg.short_run_batch(m, lam, phi=phis)
    for k, phi in enumerate(phis):
        np.testing.assert_allclose(batch.payoff[k], m.replace(phi=phi).short_run(lam).payoff, rtol=1e-13)


def test_validation():
    with pytest.raises(ValueError, match="beta: must be > gamma"):
        Linear(1.0, 0.5, 0.5, phi=0.5)
    with pytest.raises(ValueError, match="sigma"):
        Linear(phi=0.5, sigma=5.0)
    with pytest.raises(ValueError, match="productivity"):
        Linear(phi=0.5, productivity=[1.0, 1.1])
    with pytest.raises(ValueError, match="tau"):
        Linear(phi=0.5).phi_of_tau(10.0)
    assert neg.REGISTRY["linear"] is Linear
    assert Linear(phi=0.25).T == pytest.approx(4.0)
