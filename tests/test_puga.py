"""VerticalLinkages(labour="immobile"): Puga (1999), FKV (1999) ch. 14 - workers immobile across
regions, moving between manufacturing and agriculture with diminishing returns.

The reference implementation here is written from the primitives (firms, workers, land) in plain
numpy and solved with scipy.optimize.root; the break points are recomputed from it by finite
differences of the wage gaps at an independently found symmetric equilibrium, the 2 x 2 Jacobian
of the sectoral replicator, and Brent's method on its leading eigenvalue."""

import warnings

import numpy as np
import pytest
from conftest import assert_jacobian_matches_finite_differences, random_geography, random_simplex
from scipy.optimize import brentq, root

import neg
from neg import VerticalLinkages
from neg.models.vertical_linkages_immobile import two_region_break_points
from neg.state import StateSpace

#: sigma, gamma, alpha, eta with two break points (agglomeration, then re-dispersion)
PUGA = (5.0, 0.2, 0.5, 0.7)


def puga(phi=0.3, geography=None, farmers=None, params=PUGA):
    s, g, a, eta = params
    return VerticalLinkages(s, g, a, phi=phi, geography=geography, labour="immobile",
                            farmers=farmers, eta=eta)


# ---------------------------------------------------------------- independent slow solver
def primitive_short_run(sigma, gamma, alpha, eta, phi, D, L, lam):
    """The economy from its primitives, solved by scipy.optimize.root in (log w, log G, log n).

    Region i: L_i workers (immobile), a share m_i in manufacturing, a_i in agriculture.
    Agriculture: output F(L^A) = L_i^(1-eta) (L^A)^eta / eta (land L_i), numeraire, freely
    traded; wage = marginal product. Manufacturing: input bundle q = w^(1-alpha) G^alpha, fixed
    cost 1/((1 - alpha) sigma) bundles, marginal input (sigma - 1)/sigma, mill price q; a firm
    makes xbar = 1/(1 - alpha), uses q xbar (1 - alpha) / w workers and alpha q xbar of the
    composite. Consumers spend gamma of income (wages + farm output) on manufactures."""
    Phi = np.power(phi, np.asarray(D, dtype=float))
    L = np.asarray(L, dtype=float)
    lam = np.asarray(lam, dtype=float)
    K = L.size
    m, a = lam[0::2], lam[1::2]
    LM, LA = L * m, L * a
    YA = L ** (1 - eta) * LA**eta / eta
    with np.errstate(divide="ignore"):
        wA = np.where(LA > 0, L ** (1 - eta) * LA ** (eta - 1.0), np.inf) if eta < 1 else np.ones(K)
    xbar = 1.0 / (1.0 - alpha)
    occ = LM > 0

    def unpack(z):
        w, G, n = np.exp(z[:K]), np.exp(z[K:2 * K]), np.exp(z[2 * K:])
        n = np.where(occ, n, 0.0)
        q = w ** (1 - alpha) * G**alpha
        Y = w * LM + YA
        E = gamma * Y + alpha * n * q * xbar
        return w, G, n, q, Y, E

    def equations(z):
        w, G, n, q, Y, E = unpack(z)
        demand = q ** (-sigma) * (Phi @ (E * G ** (sigma - 1)))  # sales of one variety from i
        labour = n * (1 - alpha) * q * xbar / w
        return np.concatenate([
            np.log(demand / xbar),                                 # zero profit
            np.log(Phi.T @ (n * q ** (1 - sigma))) / (1 - sigma) - np.log(G),
            np.where(occ, np.log(np.where(occ, labour, 1.0) / np.where(occ, LM, 1.0)), z[2 * K:]),
        ])

    z0 = np.concatenate([np.zeros(2 * K), np.log(np.where(occ, LM, 1.0))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sol = root(equations, z0, method="hybr", tol=1e-15)
    assert np.max(np.abs(equations(sol.x))) < 1e-12, sol.message
    w, G, n, q, Y, E = unpack(sol.x)
    avg = m * w + a * np.where(np.isfinite(wA), wA, 0.0)
    payoff = np.empty(2 * K)
    payoff[0::2], payoff[1::2] = w, wA
    return {"wage": avg, "income": Y, "price_index": G, "real_wage": avg * G ** (-gamma),
            "payoff": payoff}


# ---------------------------------------------------------------- the independent linearisation
def wage_gaps(params, phi, m1, m2):
    """w^M_i - w^A_i in both regions of a symmetric two-region world (L = 1/2 each)."""
    s, g, a, eta = params
    ref = primitive_short_run(s, g, a, eta, phi, [[0, 1], [1, 0]], [0.5, 0.5],
                              [m1, 1 - m1, m2, 1 - m2])
    return ref["payoff"][0::2] - ref["payoff"][1::2]


def independent_symmetric_share(params, phi):
    """m with equal sectoral wages when both regions have it (a scalar root)."""
    return brentq(lambda m: wage_gaps(params, phi, m, m)[0], 0.01, 0.99, xtol=1e-15, rtol=1e-15)


def independent_leading_eigenvalue(params, phi, h=2e-3):
    """Largest eigenvalue of d/dt m_i = m_i a_i (w^M_i - w^A_i) at the symmetric equilibrium:
    2 x 2 Jacobian by central differences with one Richardson extrapolation."""
    m = independent_symmetric_share(params, phi)
    J = np.empty((2, 2))
    for j in range(2):
        def gaps(t, j=j):
            dm = np.zeros(2)
            dm[j] = t
            return wage_gaps(params, phi, m + dm[0], m + dm[1])

        d1 = (gaps(h) - gaps(-h)) / (2 * h)
        d2 = (gaps(h / 2) - gaps(-h / 2)) / h
        J[:, j] = m * (1 - m) * (4 * d2 - d1) / 3
    return float(np.max(np.linalg.eigvals(J).real))


def independent_break_points(params):
    grid = np.linspace(0.02, 0.98, 25)
    vals = [independent_leading_eigenvalue(params, p) for p in grid]
    out = []
    for a, b, va, vb in zip(grid[:-1], grid[1:], vals[:-1], vals[1:], strict=True):
        if va * vb < 0:
            phi = brentq(lambda p: independent_leading_eigenvalue(params, p), a, b,
                         xtol=1e-13, rtol=1e-13)
            out.append((phi, "lose" if vb > 0 else "gain"))
    return out


# ---------------------------------------------------------------- (1) two break points
def test_two_break_points_match_the_independent_linearisation():
    m = puga()
    found = neg.break_points(m)
    assert [kind for _, kind in found] == ["lose", "gain"]
    (phi1, _), (phi2, _) = found
    assert 0 < phi1 < phi2 < 1
    ref = independent_break_points(PUGA)
    assert [kind for _, kind in ref] == ["lose", "gain"]
    np.testing.assert_allclose([phi1, phi2], [p for p, _ in ref], atol=1e-7, rtol=0)
    # and the closed form of the linearisation (a quadratic in Z = (1 - phi)/(1 + phi))
    np.testing.assert_allclose([phi1, phi2], [p for p, _ in two_region_break_points(*PUGA)],
                               atol=1e-9, rtol=0)
    assert neg.break_point(m) == pytest.approx(phi1, abs=1e-12)
    assert neg.break_point(m, direction="gain") == pytest.approx(phi2, abs=1e-12)


@pytest.mark.parametrize("params", [(5.0, 0.3, 0.4, 0.9), (4.0, 0.1, 0.5, 0.5), (6.0, 0.3, 0.4, 0.9)])
def test_break_points_match_the_closed_form(params):
    found = neg.break_points(puga(params=params))
    ref = two_region_break_points(*params)
    assert [k for _, k in found] == [k for _, k in ref] == ["lose", "gain"]
    np.testing.assert_allclose([p for p, _ in found], [p for p, _ in ref], atol=1e-9, rtol=0)


def test_no_diminishing_returns_no_re_dispersion():
    """eta = 1 (constant agricultural wage): one break point, unstable up to phi = 1; it is
    phi with Z = alpha (2 sigma - 1) / (sigma - 1 + sigma alpha^2), whatever gamma."""
    s, a = 5.0, 0.5
    Z = a * (2 * s - 1) / (s - 1 + s * a * a)
    for g in (0.2, 0.4):
        found = neg.break_points(puga(params=(s, g, a, 1.0)))
        assert [k for _, k in found] == ["lose"]
        assert found[0][0] == pytest.approx((1 - Z) / (1 + Z), abs=1e-9)


def test_strong_diminishing_returns_keep_industry_dispersed():
    """A steep agricultural wage (small eta) outweighs the linkages at every trade cost."""
    assert two_region_break_points(5.0, 0.3, 0.4, 0.5) == []
    assert neg.break_points(puga(params=(5.0, 0.3, 0.4, 0.5))) == []


def test_symmetric_state_is_the_equilibrium_found_independently():
    m = puga()
    s, g, a, eta = PUGA
    assert m.manufacturing_share == pytest.approx(g / (g + eta * (1 - g)), rel=1e-15)
    np.testing.assert_allclose(m.symmetric_state(), np.tile([m.manufacturing_share,
                                                             1 - m.manufacturing_share], 2))
    for phi in (0.05, 0.3, 0.8):
        assert independent_symmetric_share(PUGA, phi) == pytest.approx(m.manufacturing_share,
                                                                        abs=1e-12)
        mp = m.replace(phi=phi)
        sr = mp.short_run(tol=1e-14)
        assert StateSpace.of(mp).gap(mp.symmetric_state(), sr.payoff) < 1e-12


# ---------------------------------------------------------------- (2) the history of the world
def test_history_of_the_world():
    """Falling trade costs: industry dispersed, then agglomerated in one region (the other
    de-industrialises), then dispersed again; the regional wage gap rises and falls.

    ``perturbation=1e-3``: with the solver's default 1e-6 the long run polishes back onto the
    unstable symmetric state (a saddle: the joint mode is stable), see the report / docs."""
    m = puga()
    (phi1, _), (phi2, _) = neg.break_points(m)
    grid = np.round(np.arange(0.05, 0.96, 0.05), 3)
    ds = neg.trace(m, "phi", grid, direction="up", perturbation=1e-3)
    assert bool(ds.converged.all()) and bool(ds.stable.all())
    lam = ds.lam.sel(direction="up").values
    manu = lam[:, 0::2]  # each region's share of its labour in manufacturing
    gap = np.abs(manu[:, 0] - manu[:, 1])
    wage_gap = np.abs(np.diff(ds.wage.sel(direction="up").values, axis=1))[:, 0]
    dispersed = gap < 1e-8
    low, mid, high = grid < phi1, (grid > phi1) & (grid < phi2), grid > phi2 + 0.05
    assert dispersed[low].all() and dispersed[high].all()
    assert (gap[mid] > 0.3).all()                    # one region holds the industry
    assert (manu[mid].min(axis=1) == 0.0).all()      # the other is purely agricultural
    np.testing.assert_allclose(manu[dispersed], m.manufacturing_share, atol=1e-9)
    assert (wage_gap[mid] > 0.1).all() and (wage_gap[low | high] < 1e-8).all()
    # shares stay on each region's simplex along the trace
    np.testing.assert_allclose(lam[:, 0::2] + lam[:, 1::2], 1.0, atol=1e-13)


# ---------------------------------------------------------------- (3) short run, 3 regions
@pytest.mark.parametrize("seed", range(2))
def test_short_run_matches_independent_solver_on_three_regions(seed):
    rng = np.random.default_rng(seed)
    K = 3
    geo = random_geography(K, seed + 40)
    sigma, gamma = rng.uniform(3.0, 8.0), rng.uniform(0.1, 0.5)
    alpha = rng.uniform(0.05, 0.7) * (sigma - 1) / sigma
    eta, phi = rng.uniform(0.3, 1.0), rng.uniform(0.2, 0.9)
    L = random_simplex(K, seed + 50)
    model = puga(phi, geo, L, (sigma, gamma, alpha, eta))
    states = [np.column_stack([m, 1 - m]).ravel() for m in rng.uniform(0.05, 0.95, (3, K))]
    states.append(np.array([0.0, 1.0, 0.6, 0.4, 0.3, 0.7]))   # no industry in r0: potential wage
    states.append(np.array([1.0, 0.0, 0.2, 0.8, 0.0, 1.0]))   # no farming in r0: w^A infinite
    for lam in states:
        ref = primitive_short_run(sigma, gamma, alpha, eta, phi, geo.distance, L, lam)
        for method in ("anderson", "damped", "newton"):
            sr = model.short_run(lam, method=method)
            assert sr.converged, (method, sr.residual)
            for key, val in ref.items():
                np.testing.assert_allclose(getattr(sr, key), val, rtol=1e-9, err_msg=(method, key))
        assert sr.state.shape == (2 * K,) and sr.payoff.shape == (2 * K,)


def test_jacobian_matches_finite_differences():
    model = puga(0.5, neg.Geography.line(4), [0.1, 0.2, 0.3, 0.4])
    lam = np.array([0.3, 0.7, 0.1, 0.9, 0.5, 0.5, 0.2, 0.8])
    x = np.random.default_rng(1).normal(scale=0.3, size=8)
    assert_jacobian_matches_finite_differences(model, x, lam, rtol=1e-7, atol=1e-10)


def test_world_market_clearing():
    """Manufacturing revenue equals world spending on manufactures, so the world wage bill is
    gamma/(1 - gamma) times farm output: world income = farm output / (1 - gamma)."""
    model = puga(0.6, neg.Geography.grid(2, 3), random_simplex(6, 3))
    lam = np.column_stack([m := np.random.default_rng(4).uniform(0.1, 0.9, 6), 1 - m]).ravel()
    sr = model.short_run(lam)
    eta = model.eta
    farm = (model.farmers / eta * lam[1::2] ** eta).sum()
    assert sr.income.sum() == pytest.approx(farm / (1 - model.gamma), rel=1e-12)


# ---------------------------------------------------------------- (4) grouped long run
def test_long_run_keeps_each_region_on_its_simplex():
    geo = neg.Geography.line(3)
    model = puga(0.3, geo, [0.3, 0.4, 0.3])
    space = StateSpace.of(model)
    for seed in range(3):
        rng = np.random.default_rng(seed)
        start = np.column_stack([m := rng.uniform(0.05, 0.95, 3), 1 - m]).ravel()
        eq = neg.long_run(model, start)
        assert eq.converged
        assert np.all((eq.lam >= 0) & (eq.lam <= 1))
        np.testing.assert_allclose(space.group_sums(eq.lam), 1.0, atol=1e-14)
        # equal wages in both sectors of a region wherever both are active
        both = (eq.lam[0::2] > 0) & (eq.lam[1::2] > 0)
        np.testing.assert_allclose(eq.payoff[0::2][both], eq.payoff[1::2][both], rtol=1e-9)
        # a region without industry: its (potential) manufacturing wage is not above farming
        none = eq.lam[0::2] == 0
        assert np.all(eq.payoff[0::2][none] <= eq.payoff[1::2][none] * (1 + 1e-9))


def test_two_region_equilibria_between_the_break_points():
    """Stable: agglomeration in either region (the other purely agricultural), not dispersion."""
    (phi1, _), (phi2, _) = two_region_break_points(*PUGA)
    m = puga(0.5 * (phi1 + phi2))
    eqs = neg.equilibria(m)
    stable = [e for e in eqs if e.stable]
    assert stable and all(min(e.lam[0], e.lam[2]) == 0.0 for e in stable)
    sym = [e for e in eqs if np.allclose(e.lam, m.symmetric_state(), atol=1e-9)]
    assert sym and not sym[0].stable


# ---------------------------------------------------------------- interface
def test_state_interface():
    m = puga(geography=neg.Geography.line(3))
    assert m.state_groups() == (2, 2, 2)
    assert m.state_labels() == ("r0/manufacturing", "r0/agriculture", "r1/manufacturing",
                                "r1/agriculture", "r2/manufacturing", "r2/agriculture")
    assert "eta" in m.numeric_params()
    assert m.with_param("eta", 0.5).eta == 0.5
    assert m.with_param("farmers[0]", 0.5).farmers[0] == 0.5
    sr = m.short_run()
    assert sr.lam.shape == (6,) and sr.wage.shape == (3,) and sr.payoff.shape == (6,)
    # the mobile closure is untouched: one group, no payoff kernel
    mob = VerticalLinkages(5.0, 0.2, 0.5, phi=0.3)
    assert mob.state_groups() == (2,) and mob.payoff_kernel is None and mob.eta is None


def test_batch_over_phi_equals_single_solves():
    m = puga()
    lam = np.array([0.4, 0.6, 0.1, 0.9])
    phis = np.linspace(0.1, 0.9, 5)
    batch = neg.short_run_batch(m, lam=lam, phi=phis, warm=False)
    assert np.all(batch.converged)
    for i, p in enumerate(phis):
        sr = m.replace(phi=p).short_run(lam)
        np.testing.assert_allclose(batch.payoff[i], sr.payoff, rtol=1e-11)
        np.testing.assert_allclose(batch.wage[i], sr.wage, rtol=1e-11)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "eta: required with labour='immobile'"),
        ({"eta": 0.0}, r"eta: must lie in \(0, 1\]"),
        ({"eta": 1.2}, r"eta: must lie in \(0, 1\]"),
        ({"eta": 0.5, "farmers": [0.7, 0.7]}, "farmers: shares must sum to 1"),
    ],
)
def test_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=f"^{message}"):
        VerticalLinkages(5.0, 0.2, 0.5, phi=0.3, labour="immobile", **kwargs)
    with pytest.raises(ValueError, match="^eta: only used with labour='immobile'"):
        VerticalLinkages(5.0, 0.2, 0.5, phi=0.3, eta=0.5)


# ---------------------------------------------------------------- Puga (1999) with migration
def migration(phi=0.3, geography=None, farmers=None, params=PUGA):
    s, g, a, eta = params
    return VerticalLinkages(s, g, a, phi=phi, geography=geography, labour="migration",
                            farmers=farmers, eta=eta)


@pytest.mark.parametrize("seed", [0, 1])
def test_migration_short_run_matches_independent_solver(seed):
    """labour="migration": the primitives with land T_i = farmers_i and employments (L^M, L^A)
    (the immobile reference with 'L' = land and shares L^M/T, L^A/T); payoffs are real wages."""
    geo = random_geography(3, seed=seed)
    land = random_simplex(3, seed + 10)
    lam = random_simplex(6, seed + 20)
    model = migration(phi=0.4, geography=geo, farmers=land)
    sr = model.short_run(lam, tol=1e-14)
    s, g, a, eta = PUGA
    share = np.column_stack([lam[0::2] / land, lam[1::2] / land]).ravel()
    ref = primitive_short_run(s, g, a, eta, 0.4, geo.distance, land, share)
    G = ref["price_index"]
    np.testing.assert_allclose(sr.price_index, G, rtol=1e-10)
    np.testing.assert_allclose(sr.payoff, ref["payoff"] * np.repeat(G ** (-g), 2), rtol=1e-10)
    np.testing.assert_allclose(sr.income, ref["income"], rtol=1e-10)


def test_migration_with_land_in_proportion_is_the_immobile_short_run():
    """Land = each region's labour and that labour held fixed: the immobile closure."""
    geo = random_geography(4, seed=3)
    L = random_simplex(4, 4)
    m = np.array([0.3, 0.1, 0.5, 0.2])
    imm = puga(phi=0.5, geography=geo, farmers=L).short_run(np.column_stack([m, 1 - m]).ravel())
    mig = migration(phi=0.5, geography=geo, farmers=L).short_run(
        np.column_stack([L * m, L * (1 - m)]).ravel())
    for key in ("wage", "income", "price_index"):
        np.testing.assert_allclose(getattr(mig, key), getattr(imm, key), rtol=1e-12)
    np.testing.assert_allclose(mig.payoff, imm.payoff * np.repeat(imm.price_index ** (-PUGA[1]), 2),
                               rtol=1e-12)


@pytest.mark.parametrize("params", [PUGA, (5.0, 0.2, 0.2, 0.9), (4.0, 0.3, 0.3, 0.6)])
def test_migration_break_point_matches_the_linearisation(params):
    """One break point, no re-dispersion: with migration the symmetric state loses stability
    once (neg.break_points on the full short runs vs the 2 x 2 linearisation of
    neg.models.vertical_linkages_migration, derived here) and agglomeration is never undone."""
    from neg.models.vertical_linkages_migration import two_region_break_points as mig_breaks

    found = neg.break_points(migration(params=params))
    closed = mig_breaks(*params)
    assert [k for _, k in found] == [k for _, k in closed] == ["lose"]
    assert found[0][0] == pytest.approx(closed[0][0], abs=1e-9)


def test_migration_history_differs_from_the_immobile_one():
    """Puga's two cases with the same technology (PUGA): without migration a rise and a fall
    (break points 0.138 and 0.542), with migration agglomeration from phi = 0.0194 on; at
    phi = 0.7 the long run from a perturbed symmetric state puts all industry in one region,
    with real wages equal across regions and sectors wherever people work."""
    assert [k for _, k in neg.break_points(puga())] == ["lose", "gain"]
    model = migration(phi=0.7)
    sym = model.symmetric_state()
    eq = neg.long_run(model, sym + np.array([1e-3, 0.0, -1e-3, 0.0]))
    assert eq.converged and eq.stable
    LM = eq.lam[0::2]
    assert min(LM) == 0.0 and max(LM) > 0.1
    occupied = eq.lam > 0
    np.testing.assert_allclose(eq.payoff[occupied], eq.payoff[occupied][0], rtol=1e-9)


@pytest.mark.parametrize("params", [PUGA, (5.0, 0.2, 0.2, 0.9), (4.0, 0.3, 0.3, 0.6)])
def test_migration_core_periphery_and_sustain_point(params):
    """All industry in region 0: the state from the equilibrium conditions
    (two_region_core_periphery) is the long run's, and at the sustain point from the closed
    condition phi^(mu_e s/(s-1)) (c phi + (1 - c)/phi) = 1 a periphery firm's workers earn the
    common real wage (the model's short run, to 1e-12); below it they would earn more."""
    from neg.models.vertical_linkages_migration import (
        two_region_core_periphery,
        two_region_sustain_point,
    )

    s, g, a, eta = params
    model = migration(phi=0.7, params=params)
    eq = neg.long_run(model, model.symmetric_state() + np.array([1e-3, 0.0, -1e-3, 0.0]))
    np.testing.assert_allclose(eq.lam, two_region_core_periphery(*params, 0.7), atol=1e-9)
    phi_s = two_region_sustain_point(*params)
    assert 0 < phi_s < two_region_break_points_migration(params)
    for phi, sign in ((phi_s, 0), (phi_s * 1.01, -1), (phi_s * 0.99, 1)):
        sr = migration(phi=phi, params=params).short_run(two_region_core_periphery(*params, phi), tol=1e-14)
        occupied = sr.payoff[[0, 1, 3]]
        np.testing.assert_allclose(occupied, occupied[0], rtol=1e-12)
        gap = (sr.payoff[2] - sr.payoff[0]) / sr.payoff[0]
        assert abs(gap) < 1e-12 if sign == 0 else np.sign(gap) == sign


def two_region_break_points_migration(params):
    from neg.models.vertical_linkages_migration import two_region_break_points as mig_breaks

    return mig_breaks(*params)[0][0]
