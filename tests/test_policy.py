"""Policy instruments in the models (per-region ``tax`` and ``cost``): reductions, an independent
solver, Jacobians, comparative statics and validation."""

import warnings

import numpy as np
import pytest
from conftest import assert_jacobian_matches_finite_differences, random_geography, random_simplex
from scipy.optimize import fsolve

import neg
from neg import policy
from neg.solvers.fixed_point import SolverOptions, solve_short_run

FIELDS = ("wage", "income", "price_index", "real_wage", "payoff", "state")


def policy_models(K=3, geo=None):
    """One instance of every model with policy support, on ``geo``."""
    geo = geo or neg.Geography.line(K)
    return [
        neg.CorePeriphery(5.0, 0.4, phi=0.4, geography=geo),
        neg.FootlooseEntrepreneur(5.0, 0.4, phi=0.4, geography=geo, H=2.0, L=3.0),
        neg.FootlooseCapital(5.0, 0.4, phi=0.4, geography=geo),
        neg.Pflueger(5.0, phi=0.4, geography=geo),
        neg.Helpman(5.0, 0.7, phi=0.4, geography=geo),
        neg.Helpman(5.0, 0.7, phi=0.4, geography=geo, rents="national"),
    ]


def _assert_identical_short_runs(model, other):
    """Bit-identical short runs of two models, every method, at three random states."""
    for method in ("anderson", "newton", "damped"):
        for seed in range(3):
            lam = random_simplex(model.K, seed)
            a = solve_short_run(model, lam, None, SolverOptions(method=method))
            b = solve_short_run(other, lam, None, SolverOptions(method=method))
            for f in FIELDS:
                np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
            assert a.iterations == b.iterations


@pytest.mark.parametrize("model", policy_models(), ids=lambda m: f"{m.name}-{getattr(m, 'rents', '')}")
def test_zero_policy_is_the_base_model(model):
    """Explicit zero taxes and costs give bit-identical short runs, every method (the defaults
    are zero; the pre-policy kernels were also checked bit-identical when this was written)."""
    assert model.regional_rates == ("tax", "cost", "share_cap", "amenity", "productivity")
    assert np.all(model.tax == 0) and np.all(model.cost == 0) and np.all(model.share_cap == 1)
    assert model.share_caps() is None
    zero = model.replace(tax=[0.0] * model.K, cost=0.0)
    assert zero == model
    _assert_identical_short_runs(model, zero)


@pytest.mark.parametrize("model", policy_models(4, neg.Geography.racetrack(4)),
                         ids=lambda m: f"{m.name}-{getattr(m, 'rents', '')}")
def test_jacobians_with_policy_match_finite_differences(model):
    m = model.replace(tax=[0.2, -0.1, 0.0, 0.3], cost=[0.0, 0.5, 0.1, 0.0])
    lam = np.array([0.4, 0.1, 0.2, 0.3])
    x = m.initial_state(lam) + np.random.default_rng(2).normal(scale=0.2, size=4)
    assert_jacobian_matches_finite_differences(m, x, lam, rtol=1e-6, atol=1e-9)
    # Newton (analytic Jacobian) and Anderson agree
    a = neg.short_run(m, lam, method="newton", tol=1e-13)
    b = neg.short_run(m, lam, method="anderson", tol=1e-13)
    assert a.converged and b.converged
    np.testing.assert_allclose(a.payoff, b.payoff, rtol=1e-11)


# ---------------------------------------------------------------- independent CP solver
def cp_by_firms(sigma, mu, phi, D, farmers, tax, cost, lam):
    """Core-periphery with policy from the firm's problem, in plain numpy (FKV normalisation:
    fixed cost mu/sigma, marginal labour (sigma-1)/sigma times 1 + cost, so the mill price is
    p = (1 + cost) w): zero profit says revenue p^(1-sigma) sum_j Phi_ij Y_j G_j^(sigma-1)
    equals the wage bill w (per firm, in units of lam); the tax is a transfer from workers to
    farmers inside the region."""
    Phi = phi ** np.asarray(D, dtype=float)
    lam = np.asarray(lam, dtype=float)

    def prices(w):
        p = (1 + cost) * w
        G = (Phi.T @ (lam * p ** (1 - sigma))) ** (1 / (1 - sigma))
        worker_income = mu * lam * (1 - tax) * w
        farmer_income = (1 - mu) * farmers + tax * mu * lam * w
        return p, G, worker_income + farmer_income

    def residual(logw):
        w = np.exp(logw)
        p, G, Y = prices(w)
        revenue = p ** (1 - sigma) * (Phi @ (Y * G ** (sigma - 1)))
        return np.log(revenue) - logw

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        logw = fsolve(residual, np.zeros(lam.size), xtol=1e-14)
    assert np.max(np.abs(residual(logw))) < 1e-12
    w = np.exp(logw)
    _, G, Y = prices(w)
    return {"wage": w, "income": Y, "price_index": G, "real_wage": (1 - tax) * w * G ** (-mu)}


@pytest.mark.parametrize("K, seed", [(2, 0), (2, 1), (3, 2), (3, 3)])
def test_core_periphery_policy_matches_independent_solver(K, seed):
    rng = np.random.default_rng(seed)
    geo = neg.Geography.two_region() if K == 2 else random_geography(K, seed)
    sigma, mu, phi = rng.uniform(3, 7), rng.uniform(0.2, 0.6), rng.uniform(0.2, 0.9)
    farmers = random_simplex(K, seed + 10)
    tax = rng.uniform(-0.3, 0.4, K)
    cost = rng.uniform(0.0, 0.6, K)
    m = neg.CorePeriphery(sigma, mu, phi=phi, geography=geo, farmers=farmers, tax=tax, cost=cost)
    for s in range(3):
        lam = random_simplex(K, 100 * seed + s)
        ref = cp_by_firms(sigma, mu, phi, geo.distance, farmers, tax, cost, lam)
        for method in ("anderson", "newton"):
            sr = neg.short_run(m, lam, method=method, tol=1e-13)
            assert sr.converged
            for f, v in ref.items():
                np.testing.assert_allclose(getattr(sr, f), v, rtol=1e-10, err_msg=f)
            np.testing.assert_allclose(sr.payoff, ref["real_wage"], rtol=1e-10)


def test_tax_and_cost_incidence_identities():
    """Taxes leave regional income unchanged (CP, FE, Pflueger, Helpman-local) and cut the
    payoff by exactly 1 - tax; a cost raises the local price index of the taxed region."""
    geo = neg.Geography.line(3)
    lam = np.array([0.5, 0.3, 0.2])
    tax = np.array([0.3, -0.2, 0.0])
    for m in policy_models(3, geo)[:5]:
        if m.name == "FootlooseCapital":
            continue
        base, taxed = m.short_run(lam), m.replace(tax=tax).short_run(lam)
        np.testing.assert_allclose(taxed.wage, base.wage, rtol=1e-12)
        np.testing.assert_allclose(taxed.income, base.income, rtol=1e-12)
        if m.name == "Helpman":  # local rents: the tax comes back per head, neutral
            np.testing.assert_allclose(taxed.payoff, base.payoff, rtol=1e-12)
        elif m.name == "Pflueger":
            np.testing.assert_allclose(taxed.payoff, base.payoff - tax * base.wage, rtol=1e-12)
        else:
            np.testing.assert_allclose(taxed.payoff, (1 - tax) * base.payoff, rtol=1e-12)
        costly = m.replace(cost=[0.5, 0.0, 0.0]).short_run(lam)
        assert costly.price_index[0] > base.price_index[0]


def test_footloose_capital_tax_incidence():
    """FC with taxes: the revenue stays in the host region, owners earn the world net return,
    world expenditure stays 1/(1 - b); against a plain-numpy linear solve."""
    geo = random_geography(4, 5)
    labour, capital = random_simplex(4, 1), random_simplex(4, 2)
    tax, cost = np.array([0.3, -0.2, 0.1, 0.0]), np.array([0.0, 0.2, 0.0, 0.7])
    sigma, mu, phi = 4.0, 0.5, 0.6
    m = neg.FootlooseCapital(sigma, mu, phi=phi, geography=geo, labour=labour, capital=capital,
                             tax=tax, cost=cost)
    lam = random_simplex(4, 3)
    sr = neg.short_run(m, lam, tol=1e-14)
    b = mu / sigma
    Phi = phi ** geo.distance
    c = (1 + cost) ** (1 - sigma)
    Delta = Phi.T @ (lam * c)
    # pi = A E with A = b diag(c) Phi diag(1/Delta); E = labour + tax lam pi + capital (lam (1-tax) pi)
    A = b * c[:, None] * Phi / Delta[None, :]
    M = np.diag(tax * lam) @ A + np.outer(capital, (lam * (1 - tax)) @ A)
    E = np.linalg.solve(np.eye(4) - M, labour)
    pi = A @ E
    np.testing.assert_allclose(sr.income, E, rtol=1e-11)
    np.testing.assert_allclose(sr.wage, pi, rtol=1e-11)
    np.testing.assert_allclose(sr.payoff, (1 - tax) * pi, rtol=1e-11)
    assert sr.income.sum() == pytest.approx(1 / (1 - b), rel=1e-12)
    groups = m.welfare_groups(sr, lam)
    owners = groups["capital owners"]["income"]
    np.testing.assert_allclose(owners, lam @ ((1 - tax) * pi), rtol=1e-12)
    # incomes add up to regional expenditure
    total = sum(g["population"] * g["income"] for g in groups.values())
    np.testing.assert_allclose(total, sr.income, rtol=1e-11)


@pytest.mark.parametrize("model", policy_models(3), ids=lambda m: f"{m.name}-{getattr(m, 'rents', '')}")
def test_group_incomes_add_up_to_regional_income(model):
    m = model.replace(tax=[0.2, -0.1, 0.05], cost=[0.0, 0.3, 0.1])
    lam = np.array([0.5, 0.2, 0.3])
    sr = neg.short_run(m, lam, tol=1e-14)
    groups = m.welfare_groups(sr, lam)
    total = sum(g["population"] * g["income"] for g in groups.values())
    np.testing.assert_allclose(total, sr.income, rtol=1e-11)
    mobile = next(iter(groups.values()))  # the mobile factor's group comes first
    if m.name != "FootlooseCapital":
        np.testing.assert_allclose(mobile["utility"], sr.real_wage, rtol=1e-12)


# ---------------------------------------------------------------- comparative statics
CP_DISPERSED = neg.CorePeriphery(5.0, 0.4, phi=0.05)  # below the sustain point 0.0937


def test_subsidy_attracts_industry_below_the_break_point():
    assert neg.long_run(CP_DISPERSED, [0.5, 0.5]).lam[0] == pytest.approx(0.5, abs=1e-9)
    shares = []
    for t in (0.0, -0.02, -0.05):
        eq = neg.long_run(CP_DISPERSED.replace(tax=[t, 0.0]), [0.5, 0.5])
        assert eq.converged and eq.stable
        shares.append(eq.lam[0])
    assert shares[0] < shares[1] < shares[2] < 1.0
    assert shares[1] == pytest.approx(0.5409, abs=1e-3)  # a 2% subsidy: 54.1% of industry
    # a tax drives it out, symmetrically to first order
    eq = neg.long_run(CP_DISPERSED.replace(tax=[0.02, 0.0]), [0.5, 0.5])
    assert 0.45 < eq.lam[0] < 0.5


def test_environmental_cost_repels_industry():
    shares = [neg.long_run(CP_DISPERSED.replace(cost=[c, 0.0]), [0.5, 0.5]).lam[0]
              for c in (0.0, 0.02, 0.05)]
    assert shares[0] == pytest.approx(0.5, abs=1e-9)
    assert 0.0 < shares[2] < shares[1] < shares[0]
    # the same in the footloose-entrepreneur and footloose-capital models
    for m in (neg.FootlooseEntrepreneur(5.0, 0.4, phi=0.05), neg.FootlooseCapital(5.0, 0.4, phi=0.5)):
        assert neg.long_run(m.replace(cost=[0.05, 0.0]), [0.5, 0.5]).lam[0] < 0.5
        assert neg.long_run(m.replace(tax=[-0.05, 0.0]), [0.5, 0.5]).lam[0] > 0.5


def test_footloose_capital_subsidy_equalises_net_returns():
    """Two regions, symmetric endowments: capital relocates until the net returns are equal,
    (1 - t_1) pi_1 = pi_2: the subsidised region pays a lower gross return."""
    m = neg.FootlooseCapital(5.0, 0.4, phi=0.5, tax=[-0.05, 0.0])
    eq = neg.long_run(m, [0.5, 0.5])
    assert eq.converged and eq.stable and eq.lam[0] > 0.5
    assert eq.payoff[0] == pytest.approx(eq.payoff[1], rel=1e-9)
    assert 1.05 * eq.wage[0] == pytest.approx(eq.wage[1], rel=1e-9)


# ---------------------------------------------------------------- validation and parameters
@pytest.mark.parametrize("field, value, match", [
    ("tax", [1.0, 0.0], r"tax: values must lie in \[-1, 1\)"),
    ("tax", [-1.5, 0.0], r"tax: values must lie in \[-1, 1\)"),
    ("cost", [-0.1, 0.0], r"cost: values must lie in \[0, inf\)"),
    ("share_cap", [1.2, 0.5], r"share_cap: values must lie in \[0, 1\]"),
    ("tax", [0.1, 0.1, 0.1], r"tax: expected 2 values"),
    ("cost", [np.nan, 0.0], r"cost: values must be finite"),
])
@pytest.mark.parametrize("cls", [neg.CorePeriphery, neg.FootlooseEntrepreneur, neg.FootlooseCapital,
                                 neg.Helpman])
def test_validation_names_field_and_range(cls, field, value, match):
    with pytest.raises(ValueError, match=match):
        cls(5.0, 0.4, phi=0.3, **{field: value})


def test_rates_are_parameters():
    m = neg.CorePeriphery(5.0, 0.4, phi=0.3, geography=neg.Geography.line(3))
    m2 = m.with_param("tax[1]", -0.1)
    assert m2.tax.tolist() == [0.0, -0.1, 0.0] and m2.get_param("tax[1]") == -0.1
    assert m.with_param("cost[2]", 0.5).cost.tolist() == [0.0, 0.0, 0.5]
    assert neg.Pflueger(5.0, phi=0.3, tax=0.1).tax.tolist() == [0.1, 0.1]  # one value for all
    with pytest.raises(ValueError, match=r"tax\[3\]"):
        m.with_param("tax[3]", 0.1)
    assert m2 != m and "tax" in m2.params()
    with pytest.raises(ValueError, match=r"tax: values must lie"):
        m.with_param("tax[0]", 1.0)


# ---------------------------------------------------------------- agglomeration rent, tax game

CP = neg.CorePeriphery(5.0, 0.4, phi=0.3)


def test_agglomeration_rent_is_hump_shaped_in_freeness():
    """Baldwin & Krugman (2004), Baldwin et al. (2003) ch. 15: zero at the sustain point, positive
    in between, zero at free trade, one interior maximum (here phi = 0.378, rent 8.98%)."""
    phi_s = neg.sustain_point(CP)
    assert np.isnan(policy.agglomeration_rent(CP.replace(phi=0.99 * phi_s)))
    assert 0.0 <= policy.agglomeration_rent(CP.replace(phi=phi_s * (1 + 1e-7))) < 1e-6
    with pytest.warns(neg.FreeTradeWarning):
        assert policy.agglomeration_rent(CP.replace(phi=1.0)) == pytest.approx(0.0, abs=1e-12)
    assert 0 < policy.agglomeration_rent(CP.replace(phi=0.999)) < 2e-3
    phis = np.linspace(phi_s * 1.0001, 1.0, 400)
    with pytest.warns(neg.FreeTradeWarning):  # the last point is phi = 1
        curve = policy.agglomeration_rent_curve(CP, phis)
    v = curve.values
    assert np.all(np.isfinite(v)) and np.all(v[:-1] > 0)
    slope = np.sign(np.diff(v))
    assert np.count_nonzero(np.diff(slope)) == 1  # rises, then falls: a single maximum
    assert curve.attrs["phi_at_max"] == pytest.approx(0.378, abs=0.005)
    assert curve.attrs["max_rent"] == pytest.approx(0.08977, abs=2e-5)
    # NaN below the sustain point on the curve too
    assert np.isnan(policy.agglomeration_rent_curve(CP, [0.05]).values[0])
    # direct definition: omega_core / omega_periphery - 1 at lam = (1, 0)
    sr = CP.short_run([1.0, 0.0])
    assert policy.agglomeration_rent(CP) == pytest.approx(sr.real_wage[0] / sr.real_wage[1] - 1, rel=1e-12)
    assert policy.agglomeration_rent(CP, core=1) == pytest.approx(policy.agglomeration_rent(CP), rel=1e-10)


def test_agglomeration_rent_measures_and_taxes():
    # quasi-linear utility: a difference in money units
    pf = neg.Pflueger(5.0, phi=0.6)
    assert policy.agglomeration_rent_curve(pf, [0.6]).attrs["measure"] == "difference"
    sr = pf.short_run([1.0, 0.0])
    assert policy.agglomeration_rent(pf) == pytest.approx(sr.payoff[0] - sr.payoff[1], rel=1e-12)
    # a core tax of R/(1+R) uses the rent up exactly
    R = policy.agglomeration_rent(CP)
    assert policy.agglomeration_rent(CP.replace(tax=[R / (1 + R), 0.0])) == pytest.approx(0.0, abs=1e-12)
    assert np.isnan(policy.agglomeration_rent(CP.replace(tax=[R / (1 + R) + 1e-6, 0.0])))
    with pytest.raises(ValueError, match="measure"):
        policy.agglomeration_rent(CP, measure="log")
    with pytest.raises(ValueError, match="core"):
        policy.agglomeration_rent(CP, core=2)


def test_tax_game_core_charges_the_rent_premium():
    """Limit taxing (Baldwin & Krugman 2004): starting from agglomeration in region 0, with
    revenue-maximising governments the core taxes its mobile workers up to the point where the
    periphery just fails to attract them, t_c = 1 - (1 - t_p)/(1 + R), and keeps all industry;
    the periphery, with no tax base, has no reason to move from 0."""
    R = policy.agglomeration_rent(CP)
    game = policy.tax_game(CP, "revenue", lam0=[1.0, 0.0], tol=1e-7)
    assert game.converged and game.rounds <= 3
    t_core, t_per = game.tax
    assert t_per == 0.0
    assert t_core > t_per
    assert t_core <= R / (1 + R) + 1e-7  # the premium is bounded by the rent ...
    assert t_core == pytest.approx(R / (1 + R), abs=1e-5)  # ... and the core uses it up (7.9%)
    assert game.equilibrium.lam.tolist() == [1.0, 0.0] and game.equilibrium.stable
    assert game.objective[0] == pytest.approx(t_core * CP.mu * game.equilibrium.wage[0], rel=1e-9)
    ds = game.to_dataset()
    assert ds.tax.values.tolist() == game.tax.tolist() and ds.history.shape == (game.rounds + 1, 2)
    # with more integration (phi = 0.8) the rent, and so the premium, is smaller: the bell
    far = policy.tax_game(CP.replace(phi=0.8), "revenue", lam0=[1.0, 0.0], tol=1e-7)
    R8 = policy.agglomeration_rent(CP.replace(phi=0.8))
    assert far.tax[0] == pytest.approx(R8 / (1 + R8), abs=1e-5) and far.tax[0] < t_core


def test_tax_game_symmetric_race_and_errors():
    """Dispersed CP below the sustain point, governments caring for their immobile farmers:
    the symmetric Nash equilibrium has both regions subsidising workers (to attract industry
    and lower the farmers' price index), and industry stays evenly spread."""
    game = policy.tax_game(CP_DISPERSED, "welfare", bounds=(-0.2, 0.2), tol=1e-5, grid=5)
    assert game.converged
    t0, t1 = game.tax
    assert t0 == pytest.approx(t1, abs=1e-4) and t0 == pytest.approx(-0.0633, abs=1e-3)
    assert game.equilibrium.lam[0] == pytest.approx(0.5, abs=1e-5)
    with pytest.raises(ValueError, match="objective"):
        policy.tax_game(CP, "profit")
    with pytest.raises(ValueError, match="bounds"):
        policy.tax_game(CP, bounds=(0.5, 0.2))
    with pytest.raises(ValueError, match="regions"):
        policy.tax_game(CP, regions=[3])


# ---------------------------------------------------------------- vertical linkages (mobile)
VL_DISPERSED = neg.VerticalLinkages(5.0, 0.2, 0.2, phi=0.05)  # below phi_S = 0.135, phi_B = 0.178


def vl_by_firms(sigma, gamma, alpha, phi, D, farmers, tax, cost, lam):
    """Vertical linkages (mobile closure) with policy from the firms' problem, in plain numpy:
    fixed cost F = gamma/((1 - alpha) sigma) bundles, marginal bundle m_i = (1 + cost_i)
    (sigma - 1)/sigma, bundle price q = w^(1-alpha) G^alpha, mill price p = sigma/(sigma - 1) m q.
    Firms from the labour market (labour is a share 1 - alpha of a firm's bundle spending
    q sigma F), demand from consumers (gamma Y) and firms' intermediate purchases (a share alpha
    of their bundle spending); unknowns log w, log G; residuals: demand = zero-profit output
    F (sigma - 1)/m, and the price index. Tax: a transfer from workers to farmers of the region."""
    Phi = phi ** np.asarray(D, dtype=float)
    lam = np.asarray(lam, dtype=float)
    K = lam.size
    F = gamma / ((1 - alpha) * sigma)
    m = (1 + cost) * (sigma - 1) / sigma

    def parts(z):
        w, G = np.exp(z[:K]), np.exp(z[K:])
        q = w ** (1 - alpha) * G ** alpha
        p = sigma / (sigma - 1) * m * q
        n = gamma * lam * w / ((1 - alpha) * q * sigma * F)
        Y = gamma * lam * (1 - tax) * w + (1 - gamma) * farmers + tax * gamma * lam * w
        E = gamma * Y + alpha * n * q * sigma * F
        return w, G, p, n, Y, E

    def residual(z):
        w, G, p, n, Y, E = parts(z)
        demand = p ** (-sigma) * (Phi @ (E * G ** (sigma - 1)))
        G_new = (Phi.T @ (n * p ** (1 - sigma))) ** (1 / (1 - sigma))
        return np.concatenate([np.log(demand / (F * (sigma - 1) / m)), np.log(G_new / G)])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        z = fsolve(residual, np.zeros(2 * K), xtol=1e-14)
    assert np.max(np.abs(residual(z))) < 1e-11
    w, G, _, _, Y, _ = parts(z)
    return {"wage": w, "income": Y, "price_index": G, "real_wage": (1 - tax) * w * G ** (-gamma)}


@pytest.mark.parametrize("K, seed", [(2, 0), (2, 1), (3, 2)])
def test_vertical_linkages_policy_matches_independent_solver(K, seed):
    rng = np.random.default_rng(seed)
    geo = neg.Geography.two_region() if K == 2 else random_geography(K, seed)
    sigma, gamma, phi = rng.uniform(3, 7), rng.uniform(0.2, 0.5), rng.uniform(0.2, 0.9)
    alpha = rng.uniform(0.1, 0.6) * (sigma - 1) / sigma
    farmers = random_simplex(K, seed + 10)
    tax = rng.uniform(-0.3, 0.4, K)
    cost = rng.uniform(0.0, 0.6, K)
    m = neg.VerticalLinkages(sigma, gamma, alpha, phi=phi, geography=geo, farmers=farmers,
                             tax=tax, cost=cost)
    for s in range(2):
        lam = random_simplex(K, 100 * seed + s)
        ref = vl_by_firms(sigma, gamma, alpha, phi, geo.distance, farmers, tax, cost, lam)
        for method in ("anderson", "newton"):
            sr = neg.short_run(m, lam, method=method, tol=1e-13)
            assert sr.converged
            for f, v in ref.items():
                np.testing.assert_allclose(getattr(sr, f), v, rtol=1e-9, err_msg=f)
            np.testing.assert_allclose(sr.payoff, ref["real_wage"], rtol=1e-9)
    # alpha = 0 is CorePeriphery(sigma, mu=gamma), with policy too
    vl0 = m.replace(alpha=0.0)
    cp = neg.CorePeriphery(sigma, gamma, phi=phi, geography=geo, farmers=farmers, tax=tax, cost=cost)
    a, b = neg.short_run(vl0, lam, tol=1e-14), neg.short_run(cp, lam, tol=1e-14)
    for f in ("wage", "income", "price_index", "real_wage", "payoff"):
        np.testing.assert_allclose(getattr(a, f), getattr(b, f), rtol=1e-11, err_msg=f)


def test_vertical_linkages_zero_policy_is_the_base_model():
    """Explicit zeros give bit-identical short runs with every method (the kernels were also
    checked bit-identical to the pre-policy ones when this was written: the cost factors are
    exactly 1)."""
    for geo in (neg.Geography.two_region(), neg.Geography.line(3)):
        model = neg.VerticalLinkages(5.0, 0.4, 0.3, phi=0.4, geography=geo)
        assert model.regional_rates == ("tax", "cost", "share_cap", "amenity", "productivity")
        assert np.all(model.tax == 0) and np.all(model.cost == 0) and model.share_caps() is None
        zero = model.replace(tax=[0.0] * model.K, cost=0.0, share_cap=1.0)
        assert zero == model
        _assert_identical_short_runs(model, zero)


def test_vertical_linkages_jacobian_with_policy():
    m = neg.VerticalLinkages(5.0, 0.3, 0.4, phi=0.4, geography=neg.Geography.racetrack(4),
                             tax=[0.2, -0.1, 0.0, 0.3], cost=[0.0, 0.5, 0.1, 0.0])
    lam = np.array([0.4, 0.1, 0.2, 0.3])
    x = m.initial_state(lam) + np.random.default_rng(2).normal(scale=0.2, size=8)
    assert_jacobian_matches_finite_differences(m, x, lam, rtol=1e-6, atol=1e-9)


def test_vertical_linkages_incidence_and_welfare_groups():
    """A tax leaves wages and income unchanged and cuts the payoff by 1 - tax; a cost raises the
    local price index; group incomes add up to regional income."""
    m = neg.VerticalLinkages(5.0, 0.3, 0.4, phi=0.4, geography=neg.Geography.line(3))
    lam = np.array([0.5, 0.3, 0.2])
    tax = np.array([0.3, -0.2, 0.0])
    base, taxed = m.short_run(lam), m.replace(tax=tax).short_run(lam)
    np.testing.assert_allclose(taxed.wage, base.wage, rtol=1e-12)
    np.testing.assert_allclose(taxed.income, base.income, rtol=1e-12)
    np.testing.assert_allclose(taxed.payoff, (1 - tax) * base.payoff, rtol=1e-12)
    assert m.replace(cost=[0.5, 0.0, 0.0]).short_run(lam).price_index[0] > base.price_index[0]
    mp = m.replace(tax=[0.2, -0.1, 0.05], cost=[0.0, 0.3, 0.1])
    sr = neg.short_run(mp, lam, tol=1e-14)
    groups = mp.welfare_groups(sr, lam)
    total = sum(g["population"] * g["income"] for g in groups.values())
    np.testing.assert_allclose(total, sr.income, rtol=1e-11)
    np.testing.assert_allclose(groups["workers"]["utility"], sr.real_wage, rtol=1e-12)
    w = neg.welfare(mp, sr)
    np.testing.assert_allclose(w.gdp, sr.income, rtol=1e-12)
    assert mp.mobile_mass == 0.3


def test_vertical_linkages_subsidy_attracts_and_cost_repels_industry():
    assert neg.long_run(VL_DISPERSED, [0.5, 0.5]).lam[0] == pytest.approx(0.5, abs=1e-9)
    shares = []
    for t in (0.0, -0.02, -0.05):
        eq = neg.long_run(VL_DISPERSED.replace(tax=[t, 0.0]), [0.5, 0.5])
        assert eq.converged and eq.stable
        shares.append(eq.lam[0])
    assert shares[0] < shares[1] < shares[2] < 1.0
    eq = neg.long_run(VL_DISPERSED.replace(tax=[-0.05, 0.0]), [0.5, 0.5])
    assert eq.payoff[0] == pytest.approx(eq.payoff[1], rel=1e-9)  # net real wages equalised
    costly = [neg.long_run(VL_DISPERSED.replace(cost=[c, 0.0]), [0.5, 0.5]).lam[0]
              for c in (0.02, 0.05)]
    assert 0.0 < costly[1] < costly[0] < 0.5
    # a development zone caps the subsidised region
    capped = neg.long_run(VL_DISPERSED.replace(tax=[-0.05, 0.0], share_cap=[0.52, 1.0]), [0.5, 0.5])
    assert capped.lam[0] == pytest.approx(0.52, abs=1e-12)


def test_vertical_linkages_policy_validation():
    with pytest.raises(ValueError, match=r"tax: values must lie in \[-1, 1\)"):
        neg.VerticalLinkages(5.0, 0.3, 0.4, phi=0.3, tax=[1.0, 0.0])
    with pytest.raises(ValueError, match=r"cost: values must lie in \[0, inf\)"):
        neg.VerticalLinkages(5.0, 0.3, 0.4, phi=0.3, cost=[-0.1, 0.0])
    m = neg.VerticalLinkages(5.0, 0.3, 0.4, phi=0.3, geography=neg.Geography.line(3))
    assert m.with_param("tax[1]", -0.1).tax.tolist() == [0.0, -0.1, 0.0]
    # the immobile closure (Puga 1999) takes no policy instruments
    puga = dict(sigma=5.0, gamma=0.2, alpha=0.5, phi=0.3, labour="immobile", eta=0.7)
    neg.VerticalLinkages(**puga, tax=0.0, cost=[0.0, 0.0], share_cap=1.0)  # defaults are fine
    for field, value in (("tax", [-0.1, 0.0]), ("cost", 0.1), ("share_cap", [0.6, 1.0])):
        with pytest.raises(ValueError, match=rf"{field}: policy instruments are not supported "
                                             r"with labour='immobile'"):
            neg.VerticalLinkages(**puga, **{field: value})
    with pytest.raises(TypeError, match="labour='immobile'"):
        neg.VerticalLinkages(**puga).welfare_groups(None, None)
