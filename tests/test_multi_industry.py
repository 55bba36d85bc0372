"""MultiIndustry (Puga & Venables 1996): an independent solver of the primitive equations, the
reduction to VerticalLinkages(labour="immobile"), the Jacobian, the grouped long run, the
closed-economy symmetric state, validation and the spread-of-industry experiment."""

from pathlib import Path

import numpy as np
import pytest
from conftest import random_geography
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

    def equations(z):
        w = np.exp(z[:K * I]).reshape(K, I)
        G = np.exp(z[K * I:]).reshape(K, I)
        q = w ** ell * np.exp(np.log(G) @ A)          # q_ik = w_ik^ell_k prod_h G_ih^a_hk
        n = w * L / q
        xbar = sig * (1.0 / (sig * ell))              # break-even output
        Y = (w * L).sum(1) + YA + endow
        cost = n * q * xbar                           # total cost = revenue of each industry
        E = beta[None] * Y[:, None] + cost @ A.T      # E_ih = beta_h Y_i + sum_k a_hk cost_ik
        r = []
        for k in range(I):
            demand = q[:, k] ** (-sig[k]) * (Phi[k] @ (E[:, k] * G[:, k] ** (sig[k] - 1)))
            r.append(np.log(demand / xbar[k]))
        for k in range(I):
            index = Phi[k].T @ (n[:, k] * q[:, k] ** (1 - sig[k]))
            r.append(np.log(index) / (1 - sig[k]) - np.log(G[:, k]))
        return np.concatenate(r)

    z0 = model.initial_state(lam)
    sol = root(equations, z0, method="hybr", options={"xtol": 1e-14, "maxfev": 20000})
    assert np.max(np.abs(equations(sol.x))) < 1e-11, sol.message
    w = np.exp(sol.x[:K * I]).reshape(K, I)
    G = np.exp(sol.x[K * I:]).reshape(K, I)
    Y = (w * L).sum(1) + YA + endow
    payoff = np.column_stack([s ** (model.eta - 1.0), w]).ravel()
    wage = (s ** model.eta * Li + (w * L).sum(1)) / Li
    P = np.exp((np.log(G) * beta).sum(1) / beta.sum())
    return dict(payoff=payoff, income=Y, price_index=P, wage=wage, real_wage=wage * P ** -beta.sum())


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
    par, reg = m.kernel_args()
    Phi = m.freeness_operator.matrix
    n = x.size
    J = np.empty((n, n))
    m.jacobian_kernel(x, lam, par, reg, Phi, J)
    Jn = np.empty((n, n))
    f1, f2 = np.empty(n), np.empty(n)
    for c in range(n):
        e = np.zeros(n)
        e[c] = 1e-6
        m.fixed_point_map(x + e, lam, par, reg, Phi, f1)
        m.fixed_point_map(x - e, lam, par, reg, Phi, f2)
        Jn[:, c] = (f1 - f2) / 2e-6
    np.testing.assert_allclose(J, Jn, atol=1e-8)
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
