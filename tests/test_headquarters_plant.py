"""HeadquartersPlant (Fujita & Thisse 2006): multi-unit firms choosing (HQ region, plant region).

Checks: the short run against an independent scipy solver written in iceberg prices over
configurations (2 and 3 regions); the reduction to FootlooseEntrepreneur when separating HQ and
plant is prohibitive; the headquarters economy as the communication cost falls, with the onset
of fragmentation and the final plant distribution computed independently."""

import numpy as np
import pytest
from scipy.optimize import brentq, root

import neg
from neg.models.headquarters_plant import HeadquartersPlant
from neg.state import StateSpace


# ----------------------------------------------------------------------------- independent solver
def reference_short_run(sigma, mu, T, D, c, workers, lam, H=1.0, L=1.0):
    """Solve for regional expenditure E with scipy, pricing every configuration explicitly.

    A firm (h, p) has factory price c**d_hp (unit cost 1 for an integrated plant) and delivered
    price c**d_hp T**d_pj in j; demand mu E_j p^(-s) / P_j^(1-s); operating profit = revenue / s;
    the owner lives (and spends) in h; payoff = profit * P_h^(-mu)."""
    K = D.shape[0]
    n = H * np.asarray(lam).reshape(K, K)
    cost = np.where(D == 0, 1.0, c ** D) if np.isfinite(c) else np.where(D == 0, 1.0, np.inf)
    # delivered price of (h, p) in j: cost[h, p] * T**D[p, j]
    price = cost[:, :, None] * T ** D[None, :, :]
    with np.errstate(divide="ignore"):
        p1s = np.where(np.isinf(price), 0.0, price ** (1.0 - sigma))
    Pj = np.einsum("hp,hpj->j", n, p1s)  # P_j^(1-s)

    def profits(E):
        revenue = np.einsum("hpj,j->hp", p1s, mu * E / Pj)
        return revenue / sigma

    def residual(E):
        return E - (L * workers + np.sum(n * profits(E), axis=1))

    b = mu / sigma
    E0 = L * workers + np.sum(n, axis=1) / H * b * L / (1 - b)
    sol = root(residual, E0, method="hybr", tol=1e-14)
    assert sol.success
    E = sol.x
    P = Pj ** (1.0 / (1.0 - sigma))
    pi = profits(E)
    omega = pi * P[:, None] ** (-mu)
    return E, P, pi, omega


def random_state(K, seed):
    return np.random.default_rng(seed).dirichlet(np.ones(K * K))


@pytest.mark.parametrize(
    "geo, c, workers",
    [
        (neg.Geography.two_region(), 1.3, [0.6, 0.4]),
        (neg.Geography.two_region(), np.inf, [0.5, 0.5]),
        (neg.Geography.from_distances([[0, 1, 2.5], [1, 0, 1.5], [2.5, 1.5, 0]]), 1.15, [0.2, 0.5, 0.3]),
        (neg.Geography.line(3), 1.0, None),
    ],
)
def test_short_run_matches_an_independent_solver(geo, c, workers):
    m = HeadquartersPlant(sigma=4.0, mu=0.45, T=1.4, geography=geo, communication=c,
                          workers=workers, H=0.7, L=1.3)
    K = geo.K
    lam = random_state(K, seed=K)
    sr = m.short_run(lam, tol=1e-14)
    assert sr.converged
    E, P, pi, omega = reference_short_run(4.0, 0.45, 1.4, geo.distance, c, m.workers, lam, H=0.7, L=1.3)
    np.testing.assert_allclose(sr.income, E, rtol=1e-11)
    np.testing.assert_allclose(sr.price_index, P, rtol=1e-11)
    np.testing.assert_allclose(sr.payoff, omega.ravel(), rtol=1e-10, atol=1e-300)
    hq = lam.reshape(K, K).sum(1)
    np.testing.assert_allclose(sr.wage, (lam.reshape(K, K) * pi).sum(1) / hq, rtol=1e-10)
    np.testing.assert_allclose(sr.real_wage, sr.wage * P ** (-0.45), rtol=1e-10)
    # world expenditure L / (1 - b)
    np.testing.assert_allclose(sr.income.sum(), 1.3 / (1 - 0.45 / 4.0), rtol=1e-12)
    # Newton (analytic Jacobian) agrees
    sn = m.short_run(lam, method="newton", tol=1e-14)
    np.testing.assert_allclose(sn.income, E, rtol=1e-11)


def test_summaries_and_labels():
    m = HeadquartersPlant(sigma=4.0, mu=0.4, phi=0.5, geography=neg.Geography.line(3), communication=2.0)
    lam = random_state(3, 1)
    conf = lam.reshape(3, 3)
    np.testing.assert_allclose(m.hq_shares(lam), conf.sum(1))
    np.testing.assert_allclose(m.plant_shares(lam), conf.sum(0))
    assert m.fragmented_share(lam) == pytest.approx(1 - np.trace(conf))
    assert m.fragmented_share(m.symmetric_state()) == 0.0
    assert m.state_groups() == (9,)
    assert m.state_labels()[1] == "hq=r0/plant=r1"
    assert len(m.state_labels()) == 9
    np.testing.assert_allclose(m.hq_shares(np.stack([lam, lam])), np.stack([conf.sum(1)] * 2))
    assert neg.REGISTRY["headquarters_plant"] is HeadquartersPlant
    assert neg.HeadquartersPlant is HeadquartersPlant
    # theta = c**((1 - sigma) d)
    np.testing.assert_allclose(m.communication_matrix(), 2.0 ** (-3.0 * m.geography.distance))
    for bad in (0.5, np.nan, "x"):
        with pytest.raises((ValueError, TypeError), match="communication"):
            m.replace(communication=bad)


# ----------------------------------------------------------------------------- prohibitive communication
@pytest.mark.parametrize("c", [np.inf, 1e6])
def test_prohibitive_communication_is_the_footloose_entrepreneur_model(c):
    geo = neg.Geography.line(3)
    kw = dict(sigma=5.0, mu=0.4, phi=0.45, geography=geo, workers=[0.5, 0.2, 0.3], H=0.8, L=1.5)
    m = HeadquartersPlant(communication=c, **kw)
    fe = neg.FootlooseEntrepreneur(**kw)
    shares = np.array([0.5, 0.3, 0.2])
    sr, sf = m.short_run(m.integrated_state(shares)), fe.short_run(shares)
    np.testing.assert_allclose(sr.income, sf.income, rtol=1e-12)
    np.testing.assert_allclose(sr.wage, sf.wage, rtol=1e-12)
    np.testing.assert_allclose(sr.real_wage, sf.real_wage, rtol=1e-12)
    np.testing.assert_allclose(np.diag(sr.payoff.reshape(3, 3)), sf.payoff, rtol=1e-12)
    assert np.all(sr.payoff.reshape(3, 3)[~np.eye(3, dtype=bool)] < 1e-12 * sf.payoff.max())

    # long run from every configuration occupied: fragmented firms die out, the rest is FE's
    eq = neg.long_run(m, StateSpace.of(m).uniform())
    eq_fe = neg.long_run(fe, shares)
    assert eq.converged and eq.stable
    assert m.fragmented_share(eq.lam) == 0.0
    np.testing.assert_allclose(m.hq_shares(eq.lam), eq_fe.lam, atol=1e-8)
    np.testing.assert_allclose(eq.lam.sum(), 1.0, atol=1e-14)
    assert np.all(eq.lam >= 0)


def test_break_point_is_the_footloose_entrepreneur_one():
    """The symmetric state is every firm integrated and spread evenly; for c > 1 fragmented
    firms earn less there, so the break point is Forslid & Ottaviano's."""
    s, mu = 5.0, 0.4
    expected = (s - 1 - mu) * (s - mu) / ((s - 1 + mu) * (s + mu))
    m = HeadquartersPlant(sigma=s, mu=mu, phi=0.5, communication=2.0)
    assert neg.break_point(m) == pytest.approx(expected, abs=1e-9)


# ----------------------------------------------------------------------------- the headquarters economy
# Three regions on a line, r1 the hub (the core), r0 and r2 the peripheries holding 90% of the
# unskilled workers (the markets). sigma = 4, mu = 0.5, phi = 0.5: with integrated firms,
# agglomeration in the hub is stable (the FE sustain condition rho_0/rho_1 phi^a = 0.97 < 1:
# entrepreneurs value the hub's cheap varieties more than the peripheral plants' better market
# access). Once communication is cheap an entrepreneur keeps living in the hub but puts the plant
# next to the peripheral markets, where there is less competition: HQs stay, plants leave.
HUB = 1
KW = dict(sigma=4.0, mu=0.5, phi=0.5, geography=neg.Geography.line(3), workers=[0.45, 0.1, 0.45])


def onset_of_fragmentation(sigma, mu, phi, w_hub):
    """Communication cost below which a hub HQ with a peripheral plant beats the integrated hub
    firm, at full agglomeration in the hub: c* = (rho_0 / rho_1)^(1/(sigma - 1)). Closed form:
    Delta = (phi, 1, phi); E_hub = w_hub + b E^w, E_periphery = (1 - w_hub)/2, E^w = 1/(1 - b)."""
    b = mu / sigma
    Ew = 1.0 / (1.0 - b)
    Ep, Eh = (1.0 - w_hub) / 2.0, w_hub + b * Ew
    rho_hub = b * Ew
    rho_per = b * (Ep / phi + phi * Eh + phi * Ep)
    return (rho_per / rho_hub) ** (1.0 / (sigma - 1.0))


def plants_with_free_communication(sigma, mu, phi, w_hub):
    """c = 1 and every HQ in the hub: the hub's plant share s equalises the profit of a hub plant
    and of a peripheral one (peripheries symmetric), expenditure as above (solved by brentq)."""
    b = mu / sigma
    Ew = 1.0 / (1.0 - b)
    E = np.array([(1 - w_hub) / 2, w_hub + b * Ew, (1 - w_hub) / 2])
    Phi = phi ** neg.Geography.line(3).distance

    def gap(s):
        n = np.array([(1 - s) / 2, s, (1 - s) / 2])
        rho = Phi @ (E / (Phi.T @ n))
        return rho[HUB] - rho[0]

    return brentq(gap, 1e-9, 1 - 1e-9, xtol=1e-14)


def _nudged(lam, size=1e-6, seed=0):
    r = np.random.default_rng(seed).uniform(0.5, 1.5, lam.size)
    return (1 - size) * lam + size * r / r.sum()


def test_falling_communication_cost_makes_a_headquarters_economy():
    m = HeadquartersPlant(communication=np.inf, **KW)
    c_star = onset_of_fragmentation(4.0, 0.5, 0.5, 0.1)
    assert 1.02 < c_star < 1.04  # 1.0293
    values = [np.inf, 2.0, 1.2, 1.05, c_star * 1.002, c_star * 0.998, 1.02, 1.01, 1.0]
    lam = m.integrated_state(np.eye(3)[HUB])
    hq, plants, frag = [], [], []
    for c in values:  # from high to low, each run started from the previous equilibrium
        mc = m.replace(communication=c)
        eq = neg.long_run(mc, _nudged(lam))
        assert eq.converged and eq.stable, c
        lam = eq.lam
        assert np.all(lam >= 0) and abs(lam.sum() - 1.0) < 1e-12  # on the simplex
        hq.append(mc.hq_shares(lam))
        plants.append(mc.plant_shares(lam))
        frag.append(mc.fragmented_share(lam))
    hq, plants, frag = np.array(hq), np.array(plants), np.array(frag)
    # integrated firms in the hub while communication is dear (up to just above c*)
    np.testing.assert_allclose(frag[:5], 0.0, atol=1e-12)
    np.testing.assert_allclose(plants[:5, HUB], 1.0, atol=1e-12)
    # the HQs stay in the hub ...
    assert np.all(hq[:, HUB] > 0.99)
    # ... while the plants leave for the peripheries, symmetrically, as the cost falls past c*
    assert frag[5] > 0.0
    assert np.all(np.diff(plants[:, HUB]) <= 1e-9)
    assert np.all(np.diff(frag) >= -1e-9)
    assert frag[-1] > 0.5
    np.testing.assert_allclose(plants[-1, 0], plants[-1, 2], atol=1e-7)
    # with free communication the hub keeps the share of plants an independent computation gives
    s = plants_with_free_communication(4.0, 0.5, 0.5, 0.1)
    np.testing.assert_allclose(plants[-1, HUB], s, atol=1e-6)
    np.testing.assert_allclose(frag[-1], 1.0 - s, atol=1e-6)
    assert 0.2 < s < 0.35  # 0.275: most plants in the periphery


def test_trace_over_the_communication_cost():
    m = HeadquartersPlant(communication=1.1, **KW)
    ds = neg.trace(m, "communication", [1.0, 1.02, 1.1], lam0=m.integrated_state(np.eye(3)[HUB]),
                   direction="down")
    frag = m.fragmented_share(ds.lam.values[0])
    assert frag[-1] == 0.0 and frag[0] > 0.5
