"""MultiIndustry (Puga & Venables 1996): an independent solver of the primitive equations, the
reduction to VerticalLinkages(labour="immobile"), the Jacobian, the grouped long run, the
closed-economy symmetric state, validation and the spread-of-industry experiment."""

from pathlib import Path

import numpy as np
import pytest
from conftest import assert_jacobian_matches_finite_differences, random_geography
from scipy.optimize import root

import neg
from neg import MultiIndustry
from neg.state import StateSpace

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "spread_of_industry.yaml"


def random_state(model, seed):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.dirichlet(np.ones(model.I + 1)) for _ in range(model.K)])


# ---------------------------------------------------------------- independent slow solver
def primitive_short_run(model, lam):
    """The economy from its primitives, in plain numpy, solved by scipy.optimize.root in
    (log w, log G) of every (region, industry) jointly.

    Firms of industry k: fixed cost F_k = 1/(sigma_k ell_k) and marginal input (sigma_k-1)/sigma_k
    of the bundle costing q = w^ell prod_h G_h^a_hk; mill price q, break-even output sigma F.
    A firm hires ell q (F + (sigma-1)/sigma sigma F)/w = q/w workers, so n = w L / q (labour
    market); its output must equal the demand for it (zero profit); G is the CES price index
    of the varieties delivered with iceberg costs (Phi^k_ij = T^k_ij^(1 - sigma_k)).

    Policy: environmental regulation c_ik = cost_i pollution_k + industry_cost_ik multiplies the
    marginal input, (1 + c) (sigma - 1)/sigma bundles, so the mill price is p = (1 + c) q and
    zero profit gives output F (sigma - 1)/m = 1/(ell (1 + c)); the wage tax is a transfer from
    manufacturing workers to the region's residents (income unchanged, payoff (1 - t) w).
    """
    K, I = model.K, model.I
    D = model.geography.distance
    sig, ell, A, beta = model.sigmas, model.labour_share, np.asarray(model.io), np.asarray(model.beta)
    phis = [model.phi if not np.isfinite(p) else p for p in model.phi_industry]
    Phi = [np.power(phis[k], D) for k in range(I)]
    split = np.asarray(lam).reshape(K, I + 1)
    Li = model.labour_total * model.labour
    L = Li[:, None] * split[:, 1:]
    s = split[:, 0]
    YA = Li * s ** model.eta / model.eta
    endow = np.zeros(K)
    endow[model.core] = model.demand
    reg = np.asarray(model.cost)[:, None] * np.asarray(model.pollution)[None] + model.industry_cost
    tax = np.asarray(model.tax)
    F = 1.0 / (sig * ell)                              # fixed cost in bundles
    m = (1.0 + reg) * (sig - 1.0) / sig                # marginal bundles per unit of output

    def equations(z):
        w = np.exp(z[:K * I]).reshape(K, I)
        G = np.exp(z[K * I:]).reshape(K, I)
        q = w ** ell * np.exp(np.log(G) @ A)          # q_ik = w_ik^ell_k prod_h G_ih^a_hk
        p = sig / (sig - 1.0) * m * q                 # mill price: markup over marginal cost
        xbar = F * (sig - 1.0) / m                    # break-even output
        n = w * L / (ell * q * (F + m * xbar))        # labour market: ell of the bundle spending
        Y = (w * L).sum(1) + YA + endow
        spend = n * q * (F + m * xbar)                # bundle spending = revenue of each industry
        E = beta[None] * Y[:, None] + spend @ A.T     # E_ih = beta_h Y_i + sum_k a_hk spend_ik
        r = []
        for k in range(I):
            demand = p[:, k] ** (-sig[k]) * (Phi[k] @ (E[:, k] * G[:, k] ** (sig[k] - 1)))
            r.append(np.log(demand / xbar[:, k]))
        for k in range(I):
            index = Phi[k].T @ (n[:, k] * p[:, k] ** (1 - sig[k]))
            r.append(np.log(index) / (1 - sig[k]) - np.log(G[:, k]))
        return np.concatenate(r)

    z0 = model.initial_state(lam)
    sol = root(equations, z0, method="hybr", options={"xtol": 1e-14, "maxfev": 20000})
    assert np.max(np.abs(equations(sol.x))) < 1e-11, sol.message
    w = np.exp(sol.x[:K * I]).reshape(K, I)
    G = np.exp(sol.x[K * I:]).reshape(K, I)
    Y = (w * L).sum(1) + YA + endow
    payoff = np.column_stack([s ** (model.eta - 1.0), (1.0 - tax)[:, None] * w]).ravel()
    wage = (s ** model.eta * Li + (w * L).sum(1)) / Li
    net = (s ** model.eta * Li + (1.0 - tax) * (w * L).sum(1)) / Li
    P = np.exp((np.log(G) * beta).sum(1) / beta.sum())
    return dict(payoff=payoff, income=Y, price_index=P, wage=wage, real_wage=net * P ** -beta.sum())


def _compare(model, lam, tol=1e-9):
    sr = model.short_run(lam)
    assert sr.converged
    ref = primitive_short_run(model, lam)
    for name in ("payoff", "income", "price_index", "wage", "real_wage"):
        np.testing.assert_allclose(getattr(sr, name), ref[name], rtol=tol, err_msg=name)


def test_one_industry_short_run_matches_an_independent_solver():
    geo = random_geography(3, seed=2)
    m = MultiIndustry(5.0, [0.3], io=[[0.35]], phi=0.4, geography=geo, eta=0.6,
                      labour=[0.5, 0.3, 0.2], demand=0.2, core=1)
    for seed in range(3):
        _compare(m, random_state(m, seed))


def test_several_industries_short_run_matches_an_independent_solver():
    rng = np.random.default_rng(7)
    io = rng.uniform(0.0, 0.2, (3, 3))
    m = MultiIndustry(4.0, [0.1, 0.05, 0.2], io=io, phi=0.5, geography=neg.Geography.line(4),
                      eta=0.7, labour=[0.4, 0.3, 0.2, 0.1], labour_total=2.0, demand=0.5,
                      sigma_industry=[4.0, 6.0, 3.5], phi_industry=[None, 0.7, 0.3])
    lam = random_state(m, 3)
    lam[[2, 7]] = 0.0  # empty industries somewhere: their wage is what a firm could pay there
    lam = StateSpace.of(m).normalise(lam)
    _compare(m, lam)


def test_reduces_to_vertical_linkages_with_immobile_labour():
    """One industry with own input share alpha is Puga's (1999) vertical-linkages model with
    labour immobile across regions; the state orders differ: (agriculture, industry) here,
    (manufacturing, agriculture) there."""
    sigma, gamma, alpha, eta, phi = 5.0, 0.3, 0.35, 0.6, 0.45
    geo = random_geography(3, seed=5)
    L = np.array([0.5, 0.3, 0.2])
    mi = MultiIndustry(sigma, [gamma], io=[[alpha]], phi=phi, geography=geo, eta=eta, labour=L)
    vl = neg.VerticalLinkages(sigma, gamma, alpha, phi=phi, geography=geo, labour="immobile",
                              farmers=L, eta=eta)
    perm = np.arange(6).reshape(3, 2)[:, ::-1].ravel()  # (a, m) per region <-> (m, a)
    for seed in range(2):
        lam = random_state(mi, seed)
        a, b = mi.short_run(lam), vl.short_run(lam[perm])
        for name in ("wage", "income", "price_index", "real_wage"):
            np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-10, err_msg=name)
        np.testing.assert_allclose(a.payoff, b.payoff[perm], rtol=1e-10)
    assert mi.symmetric_state() == pytest.approx(vl.symmetric_state()[perm], rel=1e-12)
    ea = neg.long_run(mi, random_state(mi, 4))
    eb = neg.long_run(vl, random_state(mi, 4)[perm])
    assert ea.converged and eb.converged
    np.testing.assert_allclose(ea.lam, eb.lam[perm], atol=1e-7)


def test_one_industry_has_pugas_two_break_points():
    """Two identical regions: dispersion loses stability at phi_1 and regains it at phi_2 (Puga
    1999's history of the world), at the closed-form values of the vertical-linkages model."""
    from neg.models.vertical_linkages_immobile import two_region_break_points

    m = MultiIndustry(5.0, [0.2], io=[[0.5]], phi=0.3, eta=0.7)
    found = neg.break_points(m)
    expected = two_region_break_points(5.0, 0.2, 0.5, 0.7)
    assert [d for _, d in found] == [d for _, d in expected] == ["lose", "gain"]
    np.testing.assert_allclose([p for p, _ in found], [p for p, _ in expected], rtol=1e-9)


def test_jacobian_matches_finite_differences():
    rng = np.random.default_rng(1)
    m = MultiIndustry(4.0, [0.1, 0.05, 0.2], io=rng.uniform(0, 0.15, (3, 3)), phi=0.4,
                      geography=neg.Geography.line(3), eta=0.6, demand=0.3,
                      sigma_industry=[4, 5, 6], phi_industry=[None, 0.7, None], labour=[0.5, 0.3, 0.2])
    lam = random_state(m, 0)
    x = m.short_run(lam).state + rng.normal(0, 0.1, 2 * m.K * m.I)
    assert_jacobian_matches_finite_differences(m, x, lam, rtol=1e-7, atol=1e-8)
    newton, anderson = m.short_run(lam, method="newton"), m.short_run(lam)
    assert newton.converged and newton.iterations < 20
    np.testing.assert_allclose(newton.state, anderson.state, atol=1e-10)


def test_symmetric_state_is_the_closed_economy_split():
    """Identical regions: each splits its labour like a closed economy, and that is an
    equilibrium (equal wages in every sector) whatever the trade costs."""
    io = [[0.3, 0.1], [0.05, 0.25]]
    for phi in (0.1, 0.6):
        m = MultiIndustry(5.0, [0.1, 0.15], io=io, phi=phi, geography=neg.Geography.racetrack(3), eta=0.7)
        lam = m.symmetric_state()
        sr = m.short_run(lam)
        np.testing.assert_allclose(sr.payoff, sr.payoff[0], rtol=1e-11)
        r = np.linalg.solve(np.eye(2) - np.array(io), [0.1, 0.15])
        split = np.array([0.7 * 0.75, *(m.labour_share * r)])
        np.testing.assert_allclose(lam[:3], split / split.sum(), rtol=1e-14)


def test_grouped_long_run_converges_on_each_simplex():
    m = MultiIndustry(5.0, [0.08, 0.08, 0.08], io=np.full((3, 3), 0.1) + 0.2 * np.eye(3), phi=0.4,
                      geography=neg.Geography.line(3), eta=0.8, labour=[0.5, 0.25, 0.25])
    eq = neg.long_run(m, random_state(m, 11), method="newton")
    assert eq.converged and eq.stable
    space = StateSpace.of(m)
    np.testing.assert_allclose(space.group_sums(eq.lam), 1.0, atol=1e-13)
    assert np.all(eq.lam >= 0)
    # one wage per region in every occupied sector, no higher wage in an empty one
    dev = space.deviation(eq.lam, eq.payoff) / eq.payoff.max()
    assert np.all(np.abs(dev[eq.lam > 0]) < 1e-9) and np.all(dev[eq.lam == 0] < 1e-9)
    assert np.all(eq.lam[::m.I + 1] > 0)  # eta < 1: agriculture is never empty


def test_labels_shares_and_by_industry():
    m = MultiIndustry(5.0, [0.1, 0.1], io=[[0.2, 0.1], [0.1, 0.3]], phi=0.5,
                      geography=neg.Geography.line(3), labour=[0.5, 0.3, 0.2],
                      industry_names=("textiles", "machines"))
    assert m.state_groups() == (3, 3, 3)
    assert m.state_labels()[:4] == ("r0/agriculture", "r0/textiles", "r0/machines", "r1/agriculture")
    lam = random_state(m, 1)
    sh = m.industry_shares(lam)
    assert sh.shape == (3, 2)
    np.testing.assert_allclose(sh.sum(0), 1.0)
    L = m.employment(lam)
    np.testing.assert_allclose(L[1, 0], 0.3 * lam[4])
    ds = m.by_industry(np.stack([lam, m.symmetric_state()]))
    assert ds["lam"].dims == ("dim_0", "region", "industry")
    np.testing.assert_allclose(ds["lam"].values[0], sh)
    assert list(ds["industry"].values) == ["textiles", "machines"]
    np.testing.assert_allclose(ds["labour_share"].values, [0.7, 0.6])
    np.testing.assert_allclose(ds["manufacturing"].sum("region"), 1.0)
    assert m == MultiIndustry(5.0, [0.1, 0.1], io=[[0.2, 0.1], [0.1, 0.3]], phi=0.5,
                              geography=neg.Geography.line(3), labour=[0.5, 0.3, 0.2],
                              industry_names=("textiles", "machines"))
    assert m.with_param("sigma", 4.0).sigmas.tolist() == [4.0, 4.0]  # follows sigma
    assert neg.REGISTRY["multi_industry"] is MultiIndustry


@pytest.mark.parametrize("kwargs, match", [
    (dict(beta=[0.5, 0.6]), "sum to a value in"),
    (dict(beta=[0.1, -0.1]), ">= 0"),
    (dict(io=[[0.5]]), "must be a 1 x 1|expected a 2 x 2"),
    (dict(beta=[0.1], io=[[0.85]]), "intermediate share"),
    (dict(eta=0.0), "eta"),
    (dict(demand=-1.0), "demand"),
    (dict(core=2), "core"),
    (dict(sigma_industry=[1.0, 3.0]), "sigma_industry"),
    (dict(phi_industry=[1.5, None]), "phi_industry"),
    (dict(industry_names=("a", "a")), "industry_names"),
])
def test_validation(kwargs, match):
    base = dict(sigma=5.0, beta=[0.1, 0.1], phi=0.5)
    with pytest.raises(ValueError, match=match):
        MultiIndustry(**{**base, **kwargs})


# ---------------------------------------------------------------- the spread of industry
def test_spread_of_industry_experiment(tmp_path):
    """configs/spread_of_industry.yaml: as the core's demand grows, industries leave the core in
    order of labour intensity and the peripheral regions industrialise one at a time, nearest
    first (Puga & Venables 1996); the gradient-transfer metrics report both orders."""
    from neg.study import load_study

    model = load_study(CONFIG).build()[0]
    ds = neg.run(CONFIG, output=tmp_path / "spread.nc", workers=1, quiet=True)
    assert ds.attrs["n_failed"] == 0 and bool(ds["converged"].all())
    assert int(ds["integration_status"]) == 0
    by = model.by_industry(ds)
    assert by["lam"].dims == ("time", "region", "industry")
    np.testing.assert_allclose(by["lam"].isel(time=0).sel(region="r0"), 1.0)  # all industry in the core
    demand = lambda t: np.interp(t, ds["time"].values, ds["demand"].values)  # noqa: E731

    # leaving the core: when the core's share of an industry's employment first falls below 1/2
    out = neg.metrics.deindustrialisation_order(by["lam"], threshold=0.5, reference="r0")
    leave = demand(out["crossing"].sel(region="r0").values)  # by industry; NaN: stays
    assert np.all(np.diff(by["labour_share"].values) < 0)  # ind1 is the most labour-intensive
    order = np.argsort(np.where(np.isfinite(leave), leave, np.inf), kind="stable")
    assert order.tolist() == [0, 1, 2, 3], leave  # in order of labour intensity
    assert np.isfinite(leave[:3]).all() and np.all(np.diff(leave[:3]) > 2.0), leave  # well apart
    # entering the periphery: a region's share of world manufacturing first exceeds 5%
    enter = neg.metrics.industrialisation_order(by["manufacturing"], threshold=0.05)
    assert enter["initial"].sel(region="r0") and enter["rank"].values.tolist() == [1, 2, 3, 4]
    when = demand(enter["crossing"].sel(region=["r1", "r2", "r3"]).values)
    assert np.all(np.diff(when) > 2.0), when  # one region at a time, nearest first
    # the most labour-intensive industry moves on through the periphery, one region at a time
    ind1 = neg.metrics.industrialisation_order(by["lam"].sel(industry="ind1"), threshold=0.5)
    assert ind1["rank"].sel(region=["r1", "r2", "r3"]).values.tolist() == [2, 3, 4]
    # wages: the core's is bid up first; the far periphery's stays at the agricultural 1 until
    # it industrialises
    w = ds["wage"]
    assert float(w.sel(region="r0").max()) > 1.5
    early = by["manufacturing"].sel(region="r3").values < 1e-3
    assert early.sum() > 10
    np.testing.assert_allclose(w.sel(region="r3").values[early], 1.0, atol=1e-3)


def test_config_checks_a_grouped_lam0():
    from neg.study import ConfigError, load_study

    cfg = {"model": {"name": "multi_industry", "sigma": 5.0, "beta": [0.1, 0.1], "phi": 0.5},
           "study": {"kind": "equilibrium", "lam0": [0.5, 0.25, 0.25, 1.0, 0.0, 0.0]}}
    assert load_study(cfg).args["lam0"] == [0.5, 0.25, 0.25, 1.0, 0.0, 0.0]
    for bad in ([0.5, 0.5], [0.5, 0.25, 0.25, 0.9, 0.0, 0.0]):
        with pytest.raises(ConfigError, match="study.lam0"):
            load_study({**cfg, "study": {"kind": "equilibrium", "lam0": bad}})


def test_long_run_reopens_an_empty_sector_that_pays_more():
    """The replicator cannot leave 0 by itself; long_run seeds an empty component whose payoff is
    above its group's mean, so a trace over the core's demand converges at every step."""
    import yaml

    cfg = yaml.safe_load(CONFIG.read_text())
    params = {k: v for k, v in cfg["model"].items() if k != "name"}
    m = neg.MultiIndustry(geography=neg.Geography.line(4), **params)
    ds = neg.trace(m, "demand", np.linspace(0.0, 30.0, 7), lam0=np.array(cfg["study"]["lam0"]),
                   direction="up", method="newton")
    assert bool(ds.converged.all()) and float(ds.residual.max()) <= 1e-10
    shares = m.industry_shares(ds.lam.sel(direction="up").values)[:, 0, :]  # the core's shares
    assert shares[0].tolist() == [1.0, 1.0, 1.0, 1.0]
    assert shares[-2, 0] < 0.5 and shares[-2, 3] > 0.99  # the most labour-intensive left first


# ---------------------------------------------------------------- policy instruments
def policy_base():
    rng = np.random.default_rng(7)
    # labour shares exact in binary, so that replace() (which renormalises them) keeps them
    return MultiIndustry(4.0, [0.1, 0.05, 0.2], io=rng.uniform(0.0, 0.2, (3, 3)), phi=0.5,
                         geography=neg.Geography.line(4), eta=0.7, labour=[0.5, 0.25, 0.125, 0.125],
                         labour_total=2.0, demand=0.5, sigma_industry=[4.0, 6.0, 3.5],
                         phi_industry=[None, 0.7, 0.3])


def test_zero_policy_is_the_base_model():
    """Explicit zero taxes and costs and caps of 1 give bit-identical short runs (every method)
    and long runs. (When the instruments were added, the defaults were also checked
    bit-identical against saved runs of the code without them.)"""
    from neg.solvers.fixed_point import SolverOptions, solve_short_run

    m = policy_base()
    assert m.regional_rates == ("tax", "cost", "amenity", "productivity")
    assert np.all(m.tax == 0) and np.all(m.cost == 0) and np.all(m.industry_cost == 0)
    assert m.share_cap.shape == (4, 3) and np.all(m.share_cap == 1) and m.share_caps() is None
    zero = m.replace(tax=0.0, cost=[0.0] * 4, pollution=[1.0, 1.0, 1.0], industry_cost=np.zeros((4, 3)),
                     share_cap=1.0)
    assert zero == m
    other = m.replace(pollution=[0.0, 2.0, 0.5])  # intensities without a regional cost: no cost
    for model in (zero, other):
        for method in ("anderson", "newton", "damped"):
            for seed in range(2):
                lam = random_state(m, seed)
                a = solve_short_run(m, lam, None, SolverOptions(method=method))
                b = solve_short_run(model, lam, None, SolverOptions(method=method))
                for f in ("wage", "income", "price_index", "real_wage", "payoff", "state"):
                    np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
                assert a.iterations == b.iterations
    lam = random_state(m, 5)
    ea, eb = neg.long_run(m, lam, method="newton"), neg.long_run(other, lam, method="newton")
    np.testing.assert_array_equal(ea.lam, eb.lam)
    np.testing.assert_array_equal(ea.eigenvalues, eb.eigenvalues)


def test_policy_short_run_matches_an_independent_solver():
    m = policy_base().replace(tax=[0.2, -0.1, 0.0, 0.35], cost=[0.3, 0.0, 0.1, 0.0],
                              pollution=[1.0, 0.0, 2.0],
                              industry_cost=[[0.0, 0.2, 0.0], [0.0, 0.0, 0.5], [0.0] * 3, [0.1, 0.0, 0.0]])
    np.testing.assert_allclose(m.unit_cost, [[0.3, 0.2, 0.6], [0.0, 0.0, 0.5], [0.1, 0.0, 0.2],
                                             [0.1, 0.0, 0.0]], rtol=1e-15)
    for seed in range(3):
        _compare(m, random_state(m, 20 + seed))
    lam = random_state(m, 3)
    lam[[2, 7]] = 0.0
    _compare(m, StateSpace.of(m).normalise(lam))


def test_jacobian_with_costs_matches_finite_differences():
    m = policy_base().replace(cost=[0.4, 0.0, 0.2, 0.1], pollution=[1.0, 0.5, 0.0],
                              industry_cost=np.full((4, 3), 0.05), tax=0.1)
    lam = random_state(m, 0)
    rng = np.random.default_rng(3)
    x = m.short_run(lam).state + rng.normal(0, 0.1, 2 * m.K * m.I)
    assert_jacobian_matches_finite_differences(m, x, lam, rtol=1e-7, atol=1e-8)
    newton, anderson = m.short_run(lam, method="newton"), m.short_run(lam)
    assert newton.converged and newton.iterations < 20
    np.testing.assert_allclose(newton.state, anderson.state, atol=1e-10)


def test_tax_and_cost_incidence():
    """A wage tax changes no price, wage or income: it scales the industries' payoffs by
    1 - tax (agriculture untaxed) and the real wage to the net one. A cost on one industry in
    one region raises that industry's price index there and lowers the wage its firms pay."""
    m = policy_base()
    lam = random_state(m, 1)
    tax = np.array([0.3, -0.2, 0.0, 0.1])
    base, taxed = m.short_run(lam, tol=1e-13), m.replace(tax=tax).short_run(lam, tol=1e-13)
    for f in ("wage", "income", "price_index", "state"):
        np.testing.assert_allclose(getattr(taxed, f), getattr(base, f), rtol=1e-12, err_msg=f)
    factor = np.column_stack([np.ones(4), np.repeat((1 - tax)[:, None], 3, axis=1)]).ravel()
    np.testing.assert_allclose(taxed.payoff, factor * base.payoff, rtol=1e-12)
    L = m.employment(lam)
    w = np.exp(base.state[:12]).reshape(4, 3)
    manuf = (w * L).sum(1) / (m.labour_total * m.labour)
    np.testing.assert_allclose(taxed.real_wage, base.real_wage - tax * manuf * base.price_index ** -0.35,
                               rtol=1e-12)
    costly = m.replace(industry_cost=[[0.0, 0.0, 0.5]] + [[0.0] * 3] * 3).short_run(lam, tol=1e-13)
    G0, G1 = np.exp(base.state[12:]).reshape(4, 3), np.exp(costly.state[12:]).reshape(4, 3)
    assert G1[0, 2] > G0[0, 2]
    assert costly.payoff[3] < base.payoff[3]  # industry 3's wage in region 0


SPREAD = dict(sigma=5.0, beta=[0.015] * 4, phi=0.5, eta=0.85, geography=neg.Geography.line(4),
              io=[[0.34, 0.03, 0.04, 0.05], [0.02, 0.41, 0.04, 0.05], [0.02, 0.03, 0.48, 0.05],
                  [0.02, 0.03, 0.04, 0.55]])  # configs/spread_of_industry.yaml
SPREAD_LAM0 = np.array([0.730, 0.079, 0.073, 0.064, 0.054] + [1.0, 0.0, 0.0, 0.0, 0.0] * 3)


def core_shares(model, demands):
    ds = neg.trace(model, "demand", demands, lam0=SPREAD_LAM0, direction="up", method="newton")
    assert bool(ds.converged.all())
    return model.industry_shares(ds.lam.sel(direction="up").values)[:, 0, :]  # (demand, industry)


def test_regulating_the_polluting_industry_in_the_core_pushes_it_out_first():
    """The spread of industry with an abatement cost of 10% on ind4 (the least labour-intensive,
    the last to leave without policy) in the core only: as the core's demand grows, ind4 leaves
    the core (at demand ~19) while without the cost it is still all there at demand 30; the
    labour it releases keeps ind3 in the core longer, and ind1 leaves exactly as before."""
    demands = np.arange(0.0, 31.0, 1.0)
    m = MultiIndustry(**SPREAD)
    regulated = m.replace(cost=[0.1, 0.0, 0.0, 0.0], pollution=[0.0, 0.0, 0.0, 1.0])
    base, reg = core_shares(m, demands), core_shares(regulated, demands)

    def leaves(shares):  # first demand at which the core holds less than half the industry
        out = shares < 0.5
        return np.where(out.any(0), demands[np.argmax(out, 0)], np.nan)

    lb, lr = leaves(base), leaves(reg)
    assert np.all(base[:, 3] == 1.0)  # ind4 never leaves without the cost ...
    assert lr[3] == 19.0  # ... and leaves at demand 19 with it
    assert np.all(reg[demands >= 19, 3] < 1e-9)  # entirely
    assert lb[0] == lr[0] == 4.0  # ind1 (the most labour-intensive) leaves as before
    assert lb[2] == 30.0 and np.isnan(lr[2])  # ind3 stays: the core's wage is lower
    assert np.all(reg[demands <= 18, 3] == 1.0)
    # a stronger regulation drives ind4 out at once, the other industries stay
    strong = neg.long_run(m.replace(cost=[0.2, 0.0, 0.0, 0.0], pollution=[0, 0, 0, 1]), SPREAD_LAM0)
    assert strong.converged and strong.stable
    sh = m.industry_shares(strong.lam)[0]
    assert sh[3] < 1e-12 and np.all(sh[:3] == 1.0)
    assert np.all(strong.lam[:4] > 0)  # the core still runs every other industry


def test_development_zones_cap_industry_shares():
    m = MultiIndustry(**SPREAD, demand=6.0)
    eq = neg.long_run(m, SPREAD_LAM0, method="newton")
    assert eq.converged
    # a cap that does not bind changes nothing
    loose = np.minimum(1.0, np.maximum(1.2 * eq.lam.reshape(4, 5)[:, 1:], 0.5))
    assert m.replace(share_cap=loose).share_caps().min() == 0.5
    free = neg.long_run(m.replace(share_cap=loose), SPREAD_LAM0, method="newton")
    np.testing.assert_array_equal(free.lam, eq.lam)  # bit-identical
    np.testing.assert_array_equal(free.payoff, eq.payoff)
    assert free.stable == eq.stable
    # a binding cap holds ind3's share of the core's labour at the bound (70% of its free
    # share); the core's wage falls, and the rest of ind3 starts up in the next region, r1
    k = 3  # state component: r0/ind3
    assert eq.lam[k] > 0.25 and eq.lam[5 + k] == 0.0
    caps = np.ones((4, 4))
    caps[0, 2] = 0.7 * eq.lam[k]
    m_cap = m.replace(share_cap=caps)
    assert m_cap.share_caps()[k] == caps[0, 2] and m_cap.share_caps()[0] == 1.0  # agriculture uncapped
    capped = neg.long_run(m_cap, SPREAD_LAM0, method="newton")
    assert capped.converged and capped.stable
    assert capped.lam[k] == pytest.approx(caps[0, 2], abs=1e-12)
    assert capped.payoff[k] >= capped.payoff[0] * (1 - 1e-9)  # ind3 would pay more than farming
    assert capped.lam[5 + k] > 0.05 and capped.wage[0] < eq.wage[0]
    # a tight cap (half the free share) breaks the cluster: ind3 leaves the core altogether
    caps[0, 2] = 0.5 * eq.lam[k]
    tight = neg.long_run(m.replace(share_cap=caps), SPREAD_LAM0, method="newton")
    assert tight.converged and tight.lam[k] == 0.0 and tight.lam[5 + k] > 0.25
    # an industry prohibited in the core (a zone cap of 0) starts up elsewhere
    caps = np.ones((4, 4))
    caps[0, 3] = 0.0
    start = SPREAD_LAM0.copy()
    start[5:10] = [0.99, 0.0, 0.0, 0.0, 0.01]  # every industry must exist where it is allowed
    banned = neg.long_run(m.replace(share_cap=caps), start, method="newton")
    assert banned.converged and banned.stable and banned.lam[4] == 0.0
    assert banned.lam[9] > 0.1 and np.all(banned.lam[2:4] > 0.3)  # r1 makes ind4; ind2, ind3 stay


@pytest.mark.parametrize("kwargs, match", [
    (dict(tax=[1.0, 0.0]), r"tax: values must lie in \[-1, 1\)"),
    (dict(cost=[-0.1, 0.0]), r"cost: values must lie in \[0, inf\)"),
    (dict(pollution=[1.0]), "pollution: expected 2 values"),
    (dict(pollution=[1.0, -1.0]), "pollution: intensities"),
    (dict(industry_cost=[0.1, 0.0]), r"industry_cost: expected one number or a 2 x 2 array"),
    (dict(industry_cost=[[0.1, -0.1], [0, 0]]), r"industry_cost: values must lie in \[0, inf\)"),
    (dict(share_cap=[[0.5, 1.5], [1, 1]]), r"share_cap: values must lie in \[0, 1\]"),
    (dict(share_cap=[0.5, 0.5, 0.5]), "share_cap: expected one number, 2 values"),
    (dict(share_cap=[[1.0, 0.0], [0.3, 0.0]]), "share_cap: industry 1 is prohibited in every region"),
])
def test_policy_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MultiIndustry(5.0, [0.1, 0.1], phi=0.5, **kwargs)


def test_policy_parameters_and_what_is_not_supported():
    m = MultiIndustry(5.0, [0.1, 0.1, 0.1], phi=0.5, geography=neg.Geography.line(3))
    assert m.with_param("cost[1]", 0.2).cost.tolist() == [0.0, 0.2, 0.0]
    assert m.with_param("tax[0]", -0.1).get_param("tax[0]") == -0.1
    assert m.replace(share_cap=[0.2, 1.0, 0.0]).share_cap.tolist() == [[0.2] * 3, [1.0] * 3, [0.0] * 3]
    caps = m.replace(share_cap=[0.2, 1.0, 0.0]).share_caps()
    np.testing.assert_array_equal(caps.reshape(3, 4), [[1, .2, .2, .2], [1, 1, 1, 1], [1, 0, 0, 0]])
    assert "industry_cost" in m.params() and m != m.replace(industry_cost=0.1)
    # a uniform wage tax: the closed-economy split with (1 - t) on the industries is still the
    # equilibrium of identical regions
    mt = MultiIndustry(5.0, [0.1, 0.15], io=[[0.3, 0.1], [0.05, 0.25]], phi=0.3, eta=0.7,
                       geography=neg.Geography.racetrack(3), tax=0.2)
    sr = mt.short_run(mt.symmetric_state())
    np.testing.assert_allclose(sr.payoff, sr.payoff[0], rtol=1e-11)
    w = neg.welfare(m, m.symmetric_state())  # welfare accounting is supported (tests/test_welfare.py)
    assert w.lam.dims == ("state",) and np.all(w.utility > 0)


def test_a_wage_tax_moves_labour_into_agriculture():
    """At demand 6 (ind2-ind4 in the core) a wage tax in the core raises the share of its labour
    in agriculture (11.4% -> 13.5% at 5%), a subsidy lowers it (9.5% at -5%); in each long run
    the net industrial wage equals the agricultural wage in every occupied sector."""
    m = MultiIndustry(**SPREAD, demand=6.0)
    eq = neg.long_run(m, SPREAD_LAM0, method="newton")
    farm = []
    for t in (-0.05, -0.02, 0.0, 0.02, 0.05):
        e = neg.long_run(m.replace(tax=[t, 0.0, 0.0, 0.0]), eq.lam, method="newton")
        assert e.converged and e.stable
        core = e.lam[:5]
        np.testing.assert_allclose(e.payoff[:5][core > 0], e.payoff[0], rtol=1e-9)
        farm.append(core[0])
    assert np.all(np.diff(farm) > 0), farm
    assert farm[2] == pytest.approx(0.1139, abs=1e-4) and farm[4] == pytest.approx(0.1353, abs=1e-4)
    assert farm[0] == pytest.approx(0.0952, abs=1e-4)
