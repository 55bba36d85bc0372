"""Welfare accounting (neg.welfare) and comparisons (neg.compare): identities, and what a
purely tax-driven relocation does."""

import numpy as np
import pytest

import neg


def test_welfare_accounts_core_periphery():
    m = neg.CorePeriphery(5.0, 0.4, phi=0.3, tax=[0.05, 0.0])
    eq = neg.long_run(m, [0.9, 0.1])
    w = neg.welfare(m, eq)
    assert list(w.group.values) == ["workers", "farmers"] and w.mobile.values.tolist() == [True, False]
    np.testing.assert_allclose(w.population.sum(), 1.0)
    np.testing.assert_allclose(w.income_total, eq.income, rtol=1e-12)
    col = eq.price_index ** 0.4
    np.testing.assert_allclose(w.utility.sel(group="workers"), eq.real_wage, rtol=1e-12)
    # farmers of region 0 get the revenue 0.05 x workers' wage bill there
    rev = 0.05 * 0.4 * eq.lam[0] * eq.wage[0]
    assert float(w.income.sel(group="farmers", region="r0")) == pytest.approx(1 + rev / 0.3, rel=1e-12)
    # Cobb-Douglas: the utilitarian sum of a region is its real income (= real GDP in CP)
    np.testing.assert_allclose(w.welfare, eq.income / col, rtol=1e-12)
    np.testing.assert_allclose(w.real_income, w.real_gdp, rtol=1e-12)
    assert float(w.national_welfare) == pytest.approx(float(w.welfare.sum()), rel=1e-12)
    assert float(w.national_utility) == pytest.approx(float(w.national_welfare), rel=1e-12)  # pop 1
    assert float(w.national_gdp) == pytest.approx(1.0, rel=1e-9)  # world income is 1 in FKV


def test_welfare_accounts_other_models():
    lam = np.array([0.6, 0.4])
    # footloose capital: GDP (where capital works) differs from income (where owners live)
    fc = neg.FootlooseCapital(5.0, 0.4, phi=0.5, tax=[0.1, 0.0], capital=[0.2, 0.8])
    sr = fc.short_run(lam)
    w = neg.welfare(fc, sr)
    np.testing.assert_allclose(w.gdp, fc.labour + lam * sr.wage, rtol=1e-12)
    assert float(w.national_gdp) == pytest.approx(float(sr.income.sum()), rel=1e-12)
    assert not np.allclose(w.gdp, sr.income)
    assert not w.mobile.values.any()  # capital's owners do not move with it
    # Pflueger: quasi-linear utility, money-metric real values
    pf = neg.Pflueger(5.0, phi=0.5, tax=[0.1, -0.1])
    sr = pf.short_run(lam)
    w = neg.welfare(pf, sr)
    N = pf.workers * pf.worker_shares + lam
    np.testing.assert_allclose(w.real_income, sr.income - N * np.log(sr.price_index), rtol=1e-12)
    np.testing.assert_allclose(w.utility.sel(group="entrepreneurs"), sr.real_wage, rtol=1e-12)
    # Helpman, national rents: one group; GDP = wages + local rents, income includes the pool
    hp = neg.Helpman(5.0, 0.7, phi=0.5, rents="national", housing=[0.3, 0.7])
    sr = hp.short_run(lam)
    w = neg.welfare(hp, sr)
    assert list(w.group.values) == ["workers"]
    assert float(w.national_gdp) == pytest.approx(float(sr.income.sum()), rel=1e-12)
    np.testing.assert_allclose(w.income_total, sr.income, rtol=1e-12)
    # a distribution is accepted too (the short run is solved)
    w2 = neg.welfare(hp, lam)
    np.testing.assert_allclose(w2.utility, w.utility, rtol=1e-10)
    with pytest.raises(TypeError, match="no welfare accounting"):
        neg.welfare(neg.VerticalLinkages(5.0, 0.4, 0.2, phi=0.3, labour="immobile", eta=0.7),
                    [0.3, 0.7, 0.3, 0.7])


def relocation(model, subsidy):
    """Before: no policy; after: region 0 subsidises the mobile factor (financed by a lump-sum
    tax on its immobile residents)."""
    after_model = model.replace(tax=[-subsidy, 0.0])
    before = neg.long_run(model, [0.5, 0.5])
    after = neg.long_run(after_model, [0.5, 0.5])
    return neg.compare(before, after, model_before=model, model_after=after_model), after


def test_tax_driven_relocation_moves_output_without_a_national_gain():
    """Footloose capital (Martin & Rogers), symmetric regions, phi = 0.5: a 5% subsidy to
    capital employed in region 0, paid by region 0's labour, moves 10.6% of the firms there
    (lam_0 = 0.606). Real GDP rises 2.2% in region 0 and falls 2.2% in region 1, but the nation
    loses: -0.024% of utilitarian welfare. Capital owners everywhere gain (+3.7% / +2.2%: the
    subsidy raises the world net return), labour in region 1 loses (-0.73%: its price index
    rises as firms leave), labour in region 0 gains a little (+0.17%: cheaper varieties outweigh
    its lump-sum tax). By symmetry the laissez-faire allocation is a stationary point of
    national welfare, so the loss is second order: halving the subsidy quarters it."""
    fc = neg.FootlooseCapital(5.0, 0.4, phi=0.5)
    d, after = relocation(fc, 0.05)
    assert after.lam[0] == pytest.approx(0.6062, abs=1e-4)
    gdp = d.real_gdp_change_pct.values
    assert gdp[0] == pytest.approx(2.21, abs=0.01) and gdp[1] == pytest.approx(-2.23, abs=0.01)
    assert float(d.national_welfare_change_pct) == pytest.approx(-0.0243, abs=1e-4)
    assert float(d.national_real_gdp_change) < 0
    du = d.utility_change_pct
    assert float(du.sel(group="capital owners", region="r0")) == pytest.approx(3.68, abs=0.01)
    assert float(du.sel(group="capital owners", region="r1")) == pytest.approx(2.22, abs=0.01)
    assert float(du.sel(group="labour", region="r1")) == pytest.approx(-0.732, abs=0.002)
    assert float(du.sel(group="labour", region="r0")) == pytest.approx(0.166, abs=0.002)
    half, _ = relocation(fc, 0.025)
    ratio = float(d.national_welfare_change) / float(half.national_welfare_change)
    assert 3.5 < ratio < 4.5
    s = d.attrs["summary"]
    assert "national welfare (utilitarian): loss" in s and "labour in r1" in s.split("lose")[1]


def test_tax_driven_relocation_core_periphery():
    """CP below the sustain point (phi = 0.05): a 5% wage subsidy in region 0, paid by its
    farmers, draws 61.2% of the workers there; real GDP +10.6% in region 0, -10.9% in region 1;
    workers gain 3.27% (their real wage is equalised), region 1's farmers lose 4.9%, region 0's
    farmers just break even (+0.03%), and national welfare falls by 0.157% (second order again)."""
    cp = neg.CorePeriphery(5.0, 0.4, phi=0.05)
    d, after = relocation(cp, 0.05)
    assert after.lam[0] == pytest.approx(0.6119, abs=1e-4)
    np.testing.assert_allclose(d.real_gdp_change_pct.values, [10.6, -10.9], atol=0.05)
    assert float(d.national_welfare_change_pct) == pytest.approx(-0.157, abs=1e-3)
    np.testing.assert_allclose(d.utility_change_pct.sel(group="workers").values, [3.27, 3.27], atol=0.01)
    assert float(d.utility_change_pct.sel(group="farmers", region="r1")) == pytest.approx(-4.91, abs=0.01)
    half, _ = relocation(cp, 0.025)
    assert 3.5 < float(d.national_welfare_change) / float(half.national_welfare_change) < 4.6


def test_compare_inputs():
    m = neg.CorePeriphery(5.0, 0.4, phi=0.3)
    e = neg.long_run(m, [0.9, 0.1])
    w = neg.welfare(m, e)
    same = neg.compare(w, w)
    assert float(same.national_welfare_change) == 0.0
    assert "no change" in same.attrs["summary"] and "gain (utility per head): nobody" in same.attrs["summary"]
    with pytest.raises(TypeError, match="model_before"):
        neg.compare(e, e)
    # a model change alone (a cost on the core) with a fixed distribution
    m2 = m.replace(cost=[0.1, 0.0])
    d = neg.compare(e, neg.long_run(m2, e.lam), model_before=m, model_after=m2)
    assert float(d.national_welfare_change) < 0


def _mi_model(**kw):
    io = np.full((3, 3), 0.1) + 0.2 * np.eye(3)
    return neg.MultiIndustry(5.0, [0.08, 0.08, 0.08], io=io, phi=0.4, geography=neg.Geography.line(3),
                             eta=0.8, labour=[0.5, 0.25, 0.25], demand=0.1, **kw)


def test_welfare_multi_industry():
    """One group of residents per region (income Y_i / L_i, utility / P^B). A uniform resource
    cost c leaves wages, incomes and the long run unchanged and scales the composites' price
    indices by g: (s - 1)(log g - log(1 + c)) = s io^T log g, so everyone's utility falls by
    exp(-beta . log g)."""
    m = _mi_model()
    lam0 = np.concatenate([np.random.default_rng(11).dirichlet(np.ones(4)) for _ in range(3)])
    eq = neg.long_run(m, lam0, method="newton")
    assert eq.converged and eq.stable
    w = neg.welfare(m, eq)
    assert list(w.group.values) == ["workers"] and not w.mobile.values.any()
    assert w.lam.dims == ("state",) and list(w.state.values) == list(m.state_labels())
    assert float(w.population_total) == pytest.approx(m.labour_total, rel=1e-12)
    assert np.all(w.utility > 0)
    np.testing.assert_allclose(w.income_total, eq.income, rtol=1e-12)
    np.testing.assert_allclose(w.cost_of_living, eq.price_index ** 0.24, rtol=1e-12)
    assert float(w.national_gdp) == pytest.approx(float(eq.income.sum()) - 0.1, rel=1e-12)
    for v in ("national_welfare", "national_utility", "national_real_income", "national_real_gdp"):
        assert np.isfinite(float(w[v])) and float(w[v]) > 0
    m1 = m.replace(cost=0.1)
    eq1 = neg.long_run(m1, eq.lam, method="newton")
    d = neg.compare(eq, eq1, model_before=m, model_after=m1)
    assert float(abs(d.lam_change).max()) < 1e-10
    x = np.linalg.solve(4.0 * np.eye(3) - 5.0 * m.io.T, 4.0 * np.log(1.1) * np.ones(3))
    np.testing.assert_allclose(d.utility_change_pct, 100 * (np.exp(-m.beta @ x) - 1), rtol=1e-8)
    assert float(d.national_welfare_change) < 0 and "gain (utility per head): nobody" in d.attrs["summary"]


def test_welfare_headquarters_plant():
    """Skilled owners by HQ region (net reward), unskilled workers (wage 1 plus the rebate),
    utility income / P^mu. A uniform plant cost c scales every theta by (1 + c)^(1 - s): profits,
    incomes and the long run are unchanged and Delta^a falls by (1 + c)^(-mu) for everyone. A tax
    on the owners of r0 at a given state moves income from them to r0's workers at r0's prices:
    owners lose exactly the tax, workers gain, no region's welfare changes."""
    kw = dict(sigma=4.0, mu=0.5, phi=0.5, geography=neg.Geography.line(3), workers=[0.45, 0.1, 0.45],
              H=0.8, L=1.2)
    m = neg.HeadquartersPlant(communication=1.1, **kw)
    eq = neg.long_run(m, np.random.default_rng(4).dirichlet(np.ones(9)))
    assert eq.converged and eq.stable
    w = neg.welfare(m, eq)
    assert list(w.group.values) == ["skilled", "workers"] and w.mobile.values.tolist() == [True, False]
    assert w.lam.dims == ("state",) and w.sizes["state"] == 9
    np.testing.assert_allclose(w.population.sum("region"), [0.8, 1.2], rtol=1e-12)
    np.testing.assert_allclose(w.population.sel(group="skilled"), 0.8 * m.hq_shares(eq.lam), rtol=1e-12)
    occupied = w.population > 0
    assert np.all(w.utility > 0) and np.all(np.isfinite(w.utility))  # also where hypothetical
    np.testing.assert_allclose(w.income_total, eq.income, rtol=1e-12)
    for v in ("national_welfare", "national_utility", "national_real_income", "national_real_gdp"):
        assert np.isfinite(float(w[v])) and float(w[v]) > 0
    m1 = m.replace(cost=0.1)
    eq1 = neg.long_run(m1, eq.lam)
    d = neg.compare(eq, eq1, model_before=m, model_after=m1)
    assert float(abs(d.lam_change).max()) < 1e-10
    np.testing.assert_allclose(d.utility_change_pct.where(occupied).values[occupied.values],
                               100 * (1.1 ** -0.5 - 1), rtol=1e-8)
    assert float(d.national_welfare_change) < 0
    assert m.hq_shares(eq.lam)[0] > 0.1
    taxed = m.replace(tax=[0.1, 0.0, 0.0])
    d = neg.compare(eq.lam, eq.lam, model_before=m, model_after=taxed)
    assert float(d.utility_change_pct.sel(group="skilled", region="r0")) == pytest.approx(-10.0, rel=1e-9)
    assert float(d.utility_change.sel(group="workers", region="r0")) > 0
    np.testing.assert_allclose(d.welfare_change, 0.0, atol=1e-12)
    np.testing.assert_allclose(d.utility_change.sel(region=["r1", "r2"]).fillna(0.0), 0.0, atol=1e-12)
    assert "skilled in r0 -10%" in d.attrs["summary"]
