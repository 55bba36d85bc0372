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
def reference_short_run(sigma, mu, T, D, c, workers, lam, H=1.0, L=1.0, tax=None, regulation=None):
    """Solve for regional expenditure E with scipy, pricing every configuration explicitly.

    A firm (h, p) has factory price c**d_hp (1 + regulation_p) (unit cost 1 for an integrated,
    unregulated plant) and delivered price that times T**d_pj in j; demand mu E_j p^(-s) /
    P_j^(1-s); operating profit = revenue / s; the owner lives (and spends) in h and keeps
    (1 - tax_h) of the profit, the rest goes to the workers of h; payoff = net profit *
    P_h^(-mu)."""
    K = D.shape[0]
    tax = np.zeros(K) if tax is None else np.asarray(tax, dtype=float)
    regulation = np.zeros(K) if regulation is None else np.asarray(regulation, dtype=float)
    n = H * np.asarray(lam).reshape(K, K)
    cost = np.where(D == 0, 1.0, c ** D) if np.isfinite(c) else np.where(D == 0, 1.0, np.inf)
    cost = cost * (1.0 + regulation)[None, :]
    # delivered price of (h, p) in j: cost[h, p] * T**D[p, j]
    price = cost[:, :, None] * T ** D[None, :, :]
    with np.errstate(divide="ignore"):
        p1s = np.where(np.isinf(price), 0.0, price ** (1.0 - sigma))
    Pj = np.einsum("hp,hpj->j", n, p1s)  # P_j^(1-s)

    def profits(E):
        revenue = np.einsum("hpj,j->hp", p1s, mu * E / Pj)
        return revenue / sigma

    def residual(E):
        profit = np.sum(n * profits(E), axis=1)  # by HQ region
        owners, rebate = (1.0 - tax) * profit, tax * profit
        return E - (L * workers + rebate + owners)

    b = mu / sigma
    E0 = L * workers + np.sum(n, axis=1) / H * b * L / (1 - b)
    sol = root(residual, E0, method="hybr", tol=1e-14)
    assert sol.success
    E = sol.x
    P = Pj ** (1.0 / (1.0 - sigma))
    pi = profits(E)
    omega = (1.0 - tax)[:, None] * pi * P[:, None] ** (-mu)
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


# ----------------------------------------------------------------------------- policy instruments
def test_zero_policy_is_the_base_model():
    """Explicit zero taxes and costs and caps of 1 give bit-identical short runs (every method)
    and long runs. (When the instruments were added, the defaults were also checked
    bit-identical against saved runs of the code without them.)"""
    from neg.solvers.fixed_point import SolverOptions, solve_short_run

    m = HeadquartersPlant(communication=1.02, **KW)
    assert m.regional_rates == ("tax", "cost", "amenity", "productivity")
    assert np.all(m.tax == 0) and np.all(m.cost == 0) and m.share_cap.shape == (3, 3)
    assert m.share_caps() is None
    zero = m.replace(tax=0.0, cost=[0.0, 0.0, 0.0], share_cap=np.ones((3, 3)))
    assert zero == m
    for method in ("anderson", "newton", "damped"):
        for seed in range(3):
            lam = random_state(3, seed)
            a = solve_short_run(m, lam, None, SolverOptions(method=method))
            b = solve_short_run(zero, lam, None, SolverOptions(method=method))
            for f in ("wage", "income", "price_index", "real_wage", "payoff", "state"):
                np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
            assert a.iterations == b.iterations
    lam = _nudged(m.integrated_state(np.eye(3)[HUB]))
    ea, eb = neg.long_run(m, lam), neg.long_run(zero, lam)
    np.testing.assert_array_equal(ea.lam, eb.lam)
    np.testing.assert_array_equal(ea.eigenvalues, eb.eigenvalues)


@pytest.mark.parametrize("geo, c", [
    (neg.Geography.two_region(), 1.3),
    (neg.Geography.from_distances([[0, 1, 2.5], [1, 0, 1.5], [2.5, 1.5, 0]]), 1.15),
    (neg.Geography.line(3), np.inf),
])
def test_policy_short_run_matches_an_independent_solver(geo, c):
    K = geo.K
    tax = np.array([0.25, -0.1, 0.05])[:K]
    regulation = np.array([0.0, 0.4, 0.15])[:K]
    m = HeadquartersPlant(sigma=4.0, mu=0.45, T=1.4, geography=geo, communication=c, H=0.7, L=1.3,
                          tax=tax, cost=regulation)
    lam = random_state(K, seed=10 + K)
    sr = m.short_run(lam, tol=1e-14)
    assert sr.converged
    E, P, pi, omega = reference_short_run(4.0, 0.45, 1.4, geo.distance, c, m.workers, lam, H=0.7,
                                          L=1.3, tax=tax, regulation=regulation)
    np.testing.assert_allclose(sr.income, E, rtol=1e-11)
    np.testing.assert_allclose(sr.price_index, P, rtol=1e-11)
    np.testing.assert_allclose(sr.payoff, omega.ravel(), rtol=1e-10, atol=1e-300)
    conf = lam.reshape(K, K)
    np.testing.assert_allclose(sr.wage, (conf * pi).sum(1) / conf.sum(1), rtol=1e-10)  # gross
    np.testing.assert_allclose(sr.real_wage, (1 - tax) * sr.wage * P ** (-0.45), rtol=1e-10)
    np.testing.assert_allclose(sr.income.sum(), 1.3 / (1 - 0.45 / 4.0), rtol=1e-12)
    sn = m.short_run(lam, method="newton", tol=1e-14)
    np.testing.assert_allclose(sn.income, E, rtol=1e-11)


def test_prohibitive_communication_with_policy_is_the_footloose_entrepreneur_model():
    geo = neg.Geography.line(3)
    kw = dict(sigma=5.0, mu=0.4, phi=0.45, geography=geo, workers=[0.5, 0.25, 0.25], H=0.8, L=1.5,
              tax=[0.1, -0.05, 0.0], cost=[0.0, 0.2, 0.05])
    m, fe = HeadquartersPlant(**kw), neg.FootlooseEntrepreneur(**kw)
    shares = np.array([0.5, 0.3, 0.2])
    sr, sf = m.short_run(m.integrated_state(shares), tol=1e-14), fe.short_run(shares, tol=1e-14)
    for f in ("income", "wage", "price_index", "real_wage"):
        np.testing.assert_allclose(getattr(sr, f), getattr(sf, f), rtol=1e-12, err_msg=f)
    np.testing.assert_allclose(np.diag(sr.payoff.reshape(3, 3)), sf.payoff, rtol=1e-12)


def test_tax_and_cost_incidence():
    """A tax by HQ region changes no income, gross reward or price: it scales the payoff of
    every configuration with its HQ there by 1 - tax. A cost on plants in a region lowers the
    profit of every configuration with its plant there and raises the region's price index."""
    m = HeadquartersPlant(communication=1.1, **KW)
    lam = random_state(3, 4)
    tax = np.array([0.2, -0.1, 0.0])
    base = m.short_run(lam, tol=1e-14)
    taxed = m.replace(tax=tax).short_run(lam, tol=1e-14)
    for f in ("income", "wage", "price_index", "state"):
        np.testing.assert_allclose(getattr(taxed, f), getattr(base, f), rtol=1e-12, err_msg=f)
    np.testing.assert_allclose(taxed.payoff, np.repeat(1 - tax, 3) * base.payoff, rtol=1e-12)
    np.testing.assert_allclose(taxed.real_wage, (1 - tax) * base.real_wage, rtol=1e-12)
    costly = m.replace(cost=[0.3, 0.0, 0.0]).short_run(lam, tol=1e-14)
    assert costly.price_index[0] > base.price_index[0]
    ratio = (costly.payoff / base.payoff).reshape(3, 3)
    assert np.all(ratio[:, 0] < 1.0) and np.all(ratio[:, 1:] > 1.0)  # rivals elsewhere gain


def test_regulation_and_taxes_move_plants_and_headquarters():
    """The headquarters economy with free communication (HQs in the hub r1, 36% of the plants in
    each periphery): a 5% abatement cost on plants in r0 empties r0 of plants (the hub takes most
    of them) while every HQ stays in the hub; a 2% tax on the hub's owners moves every HQ to r2
    (with free communication an HQ's location only sets its owner's cost of living) and leaves
    the hub without plants."""
    m = HeadquartersPlant(communication=1.0, **KW)
    base = neg.long_run(m, _nudged(m.integrated_state(np.eye(3)[HUB])))
    assert base.converged and base.stable
    np.testing.assert_allclose(m.hq_shares(base.lam), [0, 1, 0], atol=1e-9)
    np.testing.assert_allclose(m.plant_shares(base.lam), [0.3625, 0.275, 0.3625], atol=1e-4)
    reg = m.replace(cost=[0.05, 0.0, 0.0])
    eq = neg.long_run(reg, _nudged(base.lam))
    assert eq.converged and eq.stable
    np.testing.assert_allclose(reg.hq_shares(eq.lam), [0, 1, 0], atol=1e-9)
    plants = reg.plant_shares(eq.lam)
    assert plants[0] < 1e-9 and plants[1] > 0.8 and 0.15 < plants[2] < 0.2
    # a smaller cost moves some plants only
    mild = neg.long_run(m.replace(cost=[0.02, 0.0, 0.0]), _nudged(base.lam))
    assert 0.2 < m.plant_shares(mild.lam)[0] < 0.3625
    taxed = m.replace(tax=[0.0, 0.02, 0.0])
    eq = neg.long_run(taxed, _nudged(base.lam))
    assert eq.converged and eq.stable
    np.testing.assert_allclose(taxed.hq_shares(eq.lam), [0, 0, 1], atol=1e-9)
    assert taxed.plant_shares(eq.lam)[HUB] < 1e-9
    # integrated firms (FE): the hub keeps its HQs with a 2% tax (its agglomeration rent),
    # not with 5%
    mi = m.replace(communication=np.inf)
    core = neg.long_run(mi, _nudged(mi.integrated_state(np.eye(3)[HUB])))
    for t, stays in ((0.02, True), (0.05, False)):
        eq = neg.long_run(mi.replace(tax=[0.0, t, 0.0]), _nudged(core.lam))
        assert eq.converged and (mi.hq_shares(eq.lam)[HUB] > 1 - 1e-9) == stays, t


def test_development_zones_cap_configurations():
    m = HeadquartersPlant(communication=1.0, **KW)
    start = _nudged(m.integrated_state(np.eye(3)[HUB]))
    base = neg.long_run(m, start)
    # caps that do not bind change nothing (bit for bit) ...
    loose = np.full((3, 3), 0.9)
    loose[HUB, HUB] = 1.0  # the start has (nearly) every firm there
    free = neg.long_run(m.replace(share_cap=loose), start)
    np.testing.assert_array_equal(free.lam, base.lam)
    np.testing.assert_array_equal(free.payoff, base.payoff)
    # ... and a cap that binds only at the start (the projection moves it) leads to the same
    # equilibrium
    loose[HUB, HUB] = 0.9
    moved = neg.long_run(m.replace(share_cap=loose), start)
    assert moved.converged and moved.stable
    np.testing.assert_allclose(moved.lam, base.lam, atol=1e-9)
    # a binding cap on (HQ in the hub, plant in r2) holds that configuration at the cap (at
    # c = 1.01, 27% of the firms there without it); the hub takes the plants (58%, from 47%)
    m1 = m.replace(communication=1.01)
    free = neg.long_run(m1, start)
    k = HUB * 3 + 2
    assert free.lam[k] == pytest.approx(0.2667, abs=1e-4)
    caps = np.ones((3, 3))
    caps[HUB, 2] = 0.7 * free.lam[k]
    mc = m1.replace(share_cap=caps)
    assert mc.share_caps()[k] == caps[HUB, 2]
    eq = neg.long_run(mc, start)
    assert eq.converged and eq.stable
    assert eq.lam[k] == pytest.approx(caps[HUB, 2], abs=1e-12)
    assert eq.payoff[k] >= eq.payoff[HUB * 3 + 1] * (1 - 1e-9)  # it would attract more firms
    assert mc.hq_shares(eq.lam)[HUB] > 1 - 1e-9
    plants = mc.plant_shares(eq.lam)
    assert free.lam[HUB * 4] == pytest.approx(0.4665, abs=1e-4)
    assert plants[HUB] == pytest.approx(0.5836, abs=1e-4)
    # a zone that prohibits plants in r0 (column 0 = 0), from every configuration occupied: the
    # projection empties column 0 at once and it stays empty. (Not tested: a prohibited
    # configuration that would pay more than the occupied ones; the long-run solvers treat an
    # empty component with cap 0 as empty, not as at its cap, and do not converge there.)
    caps = np.ones((3, 3))
    caps[:, 0] = 0.0
    mz = m.replace(communication=1.2, share_cap=caps)
    eq = neg.long_run(mz, StateSpace.of(mz).uniform())
    assert eq.converged and eq.stable
    assert mz.plant_shares(eq.lam)[0] == 0.0 and mz.hq_shares(eq.lam)[HUB] == 1.0
    assert np.all(eq.payoff.reshape(3, 3)[:, 0] < eq.payoff[HUB * 4])


@pytest.mark.parametrize("kwargs, match", [
    (dict(tax=[1.0, 0.0]), r"tax: values must lie in \[-1, 1\)"),
    (dict(cost=[-0.1, 0.0]), r"cost: values must lie in \[0, inf\)"),
    (dict(share_cap=[0.5, 0.5]), "share_cap: expected one number or a 2 x 2 array"),
    (dict(share_cap=[[0.5, 1.5], [1, 1]]), r"share_cap: values must lie in \[0, 1\]"),
    (dict(share_cap=[[0.5, 0.0], [0.0, 0.4]]), "share_cap: the caps sum to 0.9 < 1"),
])
def test_policy_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        HeadquartersPlant(sigma=4.0, mu=0.4, phi=0.5, **kwargs)


def test_policy_parameters_and_what_is_not_supported():
    m = HeadquartersPlant(sigma=4.0, mu=0.4, phi=0.5, geography=neg.Geography.line(3))
    assert m.with_param("cost[2]", 0.3).cost.tolist() == [0.0, 0.0, 0.3]
    assert m.with_param("tax[1]", -0.1).get_param("tax[1]") == -0.1
    assert m.replace(share_cap=0.5).share_caps().tolist() == [0.5] * 9
    w = neg.welfare(m, m.symmetric_state())  # welfare accounting is supported (tests/test_welfare.py)
    assert w.lam.dims == ("state",) and np.all(w.utility > 0)
