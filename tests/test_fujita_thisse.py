"""FujitaThisse (headquarters in the core, plants anywhere, OTT's linear framework): the short run
against the independent solver of OTT's primitives (tests/test_linear.py) with marginal and
communication costs, the two-region closed form (profit gap linear in the plants' share, the
unique equilibrium share) against the generic long-run solver, the reduction to Linear, and the
configurations and welfare changes on the documented (trade cost, communication cost) grid
(docs/models.md)."""

import numpy as np
import pytest
from scipy.optimize import brentq
from test_linear import slow_short_run

import neg
from neg import FujitaThisse, Geography, Linear
from neg.models.fujita_thisse import two_region_plant_share

#: the documented example: OTT's default (alpha = beta = 1, gamma = 0.5, H = F = 1, L = 10,
#: unskilled split evenly), unit_labour 0.2; equal wages and a 30% lower wage in the periphery
EQUAL, GAP = (1.0, 1.0), (1.0, 0.7)
TAUS = np.round(np.arange(0.5, 0.0, -0.05), 2)  # trade cost per unit distance (tau_trade = 2/3)
COSTS = (0.2, 0.1, 0.05, 0.02, 0.0)  # communication cost C


def example(wages=EQUAL, tau=0.3, C=0.05, **kw):
    m = FujitaThisse(phi=0.5, unit_labour=0.2, unskilled_wage=list(wages), communication_cost=C, **kw)
    return m.replace(phi=m.phi_of_tau(tau))


def _check(model, lam, rtol=1e-10):
    """Short run = the independent solver's profits (minus C d_hp) and surpluses."""
    d = model.geography.distance
    cost = model.marginal_cost[:, None] + model.tau * d
    M = model.L * model.workers + model.H * (np.arange(model.K) == model.core)
    pi, S = slow_short_run(model.alpha, model.beta, model.gamma, model.H, model.L, model.F,
                           model.workers, cost, lam, M=M)
    Pi = pi - model.communication_cost * d[model.core] / model.F
    sr = model.short_run(lam)
    np.testing.assert_allclose(sr.wage, Pi, rtol=rtol)
    np.testing.assert_allclose(model.consumer_surplus(sr), S, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(sr.payoff, Pi + S[model.core], rtol=rtol)


# ---------------------------------------------------------------- short run, independent solver
@pytest.mark.parametrize("wages", [EQUAL, GAP, (0.6, 1.0)])
def test_two_regions_match_independent_solver(wages):
    rng = np.random.default_rng(3)
    for tau in (0.05, 0.3, 0.6):
        for C in (0.0, 0.1):
            m = example(wages, tau, C)
            for lam in ([1.0, 0.0], [0.0, 1.0], [0.4, 0.6], rng.dirichlet([1, 1])):
                _check(m, np.asarray(lam, dtype=float))


def test_line_of_three_with_core_in_the_middle_matches_independent_solver():
    """A line of 3, HQs in the middle, unequal wages and unskilled: far pairs stop trading at high
    trade costs (corners), the communication cost grows with distance."""
    rng = np.random.default_rng(8)
    geo = Geography.line(3)
    for phi in (0.9, 0.4, 0.05):
        m = FujitaThisse(1.0, 1.0, 0.5, phi=phi, geography=geo, workers=[0.5, 0.2, 0.3], core=1,
                         unit_labour=0.3, unskilled_wage=[0.6, 1.0, 0.8], communication_cost=0.03, L=8.0)
        for lam in (rng.dirichlet(np.ones(3)), np.array([0.0, 1.0, 0.0]), np.array([0.7, 0.0, 0.3])):
            _check(m, lam)


def test_reduces_to_linear_with_every_plant_at_home():
    """No marginal cost and every plant in the core: the economy is Linear's agglomerated one
    (the same consumers, sellers and costs), whatever the communication cost."""
    for phi in (0.2, 0.7):
        lin = Linear(2.0, 1.5, 0.4, phi=phi, H=2.0, L=12.0, F=0.5, workers=[0.3, 0.7])
        ft = FujitaThisse(2.0, 1.5, 0.4, phi=phi, H=2.0, L=12.0, F=0.5, workers=[0.3, 0.7], unit_labour=0.0,
                          communication_cost=0.4)
        a, b = lin.short_run([1.0, 0.0]), ft.short_run([1.0, 0.0])
        np.testing.assert_allclose(b.wage[0], a.wage[0], rtol=1e-14)
        np.testing.assert_allclose(b.price_index, a.price_index, rtol=1e-14)
        np.testing.assert_allclose(b.payoff[0], a.payoff[0], rtol=1e-14)
        # a firm's plant moved to region 1 would earn Linear's pi_1 minus the communication cost
        np.testing.assert_allclose(b.wage[1], a.wage[1] - 0.4 / ft.F, rtol=1e-13)
        assert ft.tau == lin.tau and ft.tau_trade == lin.tau_trade


# ---------------------------------------------------------------- the two-region closed form
@pytest.mark.parametrize("wages", [EQUAL, GAP])
def test_profit_gap_is_linear_in_the_plant_share(wages):
    """Pi_1 - Pi_0 = G0 + G1 s exactly (every pair trading), G1 < 0."""
    for tau in (0.1, 0.3, 0.5):
        m = example(wages, tau, 0.05)
        cf = two_region_plant_share(1.0, 1.0, 0.5, 1.0, 10.0, 1.0, 0.5, wages, 0.2, 0.05, m.tau)
        assert cf["G1"] < 0
        for s in np.linspace(0, 1, 5):
            sr = m.short_run([1 - s, s])
            assert np.subtract(*sr.payoff[::-1]) == pytest.approx(cf["G0"] + cf["G1"] * s, abs=1e-13)


@pytest.mark.parametrize("wages", [EQUAL, GAP])
def test_equilibrium_share_matches_long_run(wages):
    """s* = min(1, max(0, -G0/G1)) is where the generic long run ends (from both corners and the
    middle), stable, with its choke prices, to 1e-10."""
    for tau, C in ((0.5, 0.05), (0.35, 0.0), (0.25, 0.1), (0.1, 0.02), (0.45, 0.2)):
        m = example(wages, tau, C)
        cf = m.plant_share()
        for start in ([0.99, 0.01], [0.5, 0.5], [0.01, 0.99]):
            eq = neg.long_run(m, np.array(start), tol=1e-12)
            assert eq.stable
            assert eq.lam[1] == pytest.approx(cf["share"], abs=1e-10)
        sr = m.short_run([1 - cf["share"], cf["share"]])
        np.testing.assert_allclose(sr.price_index, [cf["A0"], cf["A1"]], rtol=1e-12)


def test_closed_form_holds_on_the_documented_grid():
    """On the documented grid every pair trades at the equilibrium (the closed form's domain):
    the closed-form share equalises profits (interior) or beats the other location (corners)."""
    for wages in (EQUAL, GAP):
        for tau in TAUS:
            for C in COSTS:
                m = example(wages, tau, C)
                s = m.plant_share()["share"]
                sr = m.short_run([1 - s, s])
                cost = m.marginal_cost[:, None] + m.tau * (1 - np.eye(2))
                assert np.all(sr.price_index[None, :] > cost)
                gap = sr.wage[1] - sr.wage[0]
                if 0 < s < 1:
                    assert abs(gap) < 1e-12
                else:
                    assert gap * (1 if s == 1 else -1) >= -1e-12


# ---------------------------------------------------------------- Fujita & Thisse's configurations
def _shares(wages):
    return np.array([[example(wages, t, C).plant_share()["share"] for t in TAUS] for C in COSTS])


def test_equal_wages_falling_trade_costs_bring_plants_into_the_core():
    """Equal wages: at every communication cost of the grid the periphery's share of the plants
    falls (weakly) as tau falls, from a positive share at tau = 0.5 to none at tau <= 0.2; a
    joint proportional fall (C = tau / 5) also brings them home. A fall of C alone moves them
    out (the reconstruction's, see docs/models.md)."""
    s = _shares(EQUAL)
    assert np.all(np.diff(s, axis=1) <= 1e-15)
    assert np.all(s[:, 0] > 0.05) and np.all(s[:, TAUS <= 0.2] == 0)
    joint = [example(EQUAL, t, t / 5).plant_share()["share"] for t in TAUS]
    assert np.all(np.diff(joint) <= 1e-15) and joint[0] > 0.1 and joint[-1] == 0
    assert np.all(np.diff(s, axis=0) >= -1e-15)  # rows: C falling -> more plants out


def test_wage_gap_integration_moves_plants_to_the_periphery():
    """A 30% lower peripheral wage: as tau falls the periphery's share ends at 1 at every C, rising
    from its lowest value on; at C = 0.2 plants first move (slightly) into the core, then out."""
    s = _shares(GAP)
    assert np.all(s[:, -1] == 1.0) and np.all(s[:, 0] < 0.6)
    for row in s:
        low = int(np.argmin(row))
        assert np.all(np.diff(row[low:]) >= -1e-15) and np.all(np.diff(row[:low + 1]) <= 1e-15)
    assert s[0, 1] < s[0, 0] - 1e-3 and s[0, -1] == 1.0


def _utilities(m):
    s = m.plant_share()["share"]
    u = neg.welfare(m, np.array([1 - s, s]))["utility"]
    return s, float(u.sel(group="skilled", region="r0")), float(u.sel(group="unskilled", region="r0")), \
        float(u.sel(group="unskilled", region="r1"))


@pytest.mark.parametrize("tau", [0.075, 0.1, 0.15, 0.2])
def test_falling_communication_costs_relocating_plants_hurt_the_core(tau):
    """Wage gap, m (w_0 - w_1) = 0.06 < tau <= 0.2: while falling C moves plants out (interior
    shares), the core's skilled and unskilled lose and the periphery's unskilled gain (Fujita &
    Thisse's result), over the whole band of C in which the plants leave."""
    rows = np.array([_utilities(example(GAP, tau, C)) for C in np.linspace(0.4, 0.0, 161)])
    inner = (rows[:, 0] > 1e-9) & (rows[:, 0] < 1 - 1e-9)
    assert inner.sum() >= 10
    d = np.diff(rows[inner], axis=0)
    assert np.all(d[:, 0] > 0)  # plants leave
    assert np.all(d[:, 1] < 0) and np.all(d[:, 2] < 0) and np.all(d[:, 3] > 0)


def test_at_high_trade_costs_the_core_skilled_gain_instead():
    """Wage gap, tau = 0.4: falling C still moves plants out and hurts the core's unskilled, but
    the skilled (whose plants stay home, facing less competition there) gain: the paper's
    'every worker in the core loses' holds in the reconstruction only once trade is cheap."""
    rows = np.array([_utilities(example(GAP, 0.4, C)) for C in np.linspace(0.3, 0.0, 31)])
    inner = (rows[:, 0] > 1e-9) & (rows[:, 0] < 1 - 1e-9)
    d = np.diff(rows[inner], axis=0)
    assert inner.sum() >= 5 and np.all(d[:, 0] > 0)
    assert np.all(d[:, 1] > 0) and np.all(d[:, 2] < 0) and np.all(d[:, 3] > 0)


# ---------------------------------------------------------------- accounting and validation
def test_welfare_accounts():
    m = example(GAP, 0.2, 0.05)
    s = m.plant_share()["share"]
    ds = neg.welfare(m, np.array([1 - s, s]))
    sr = m.short_run([1 - s, s])
    np.testing.assert_allclose(ds["income_total"].values, sr.income, rtol=1e-13)
    assert float(ds["population"].sel(group="skilled", region="r1")) == 0.0
    assert float(ds["utility"].sel(group="skilled", region="r0")) == pytest.approx(sr.payoff[1], rel=1e-12)
    assert s == 1.0  # every plant in the periphery: the skilled earn Pi_1
    assert neg.REGISTRY["fujita_thisse"] is FujitaThisse


@pytest.mark.parametrize("kw, field", [(dict(core=2), "core"), (dict(beta=0.5), "beta"),
                                       (dict(unskilled_wage=[1.0, -1.0]), "unskilled_wage"),
                                       (dict(unit_labour=-0.1), "unit_labour"),
                                       (dict(communication_cost=-1.0), "communication_cost")])
def test_bad_input_names_the_field(kw, field):
    with pytest.raises(ValueError, match=field):
        FujitaThisse(phi=0.5, **kw)
    with pytest.raises(ValueError, match="plant_share"):
        FujitaThisse(phi=0.5, geography=Geography.line(3)).plant_share()


# ---------------------------------------------------------------- where result 3 holds (docs/models.md)
def _path(tau, costs, wages=GAP, per_unit=False):
    """Rows (s*, core skilled, core unskilled, periphery unskilled) along falling communication
    costs. ``per_unit``: the communication cost k is paid per unit of output by a remote plant
    (marginal cost m w_1 + k, obtained as the unskilled wage w_1 + k/m with C = 0); utilities
    use the true wages (w_j + S_j, skilled sum_p lam_p pi_p / F + S_0)."""
    rows = []
    for k in costs:
        if per_unit:
            m = example((wages[0], wages[1] + k / 0.2), tau, 0.0)
        else:
            m = example(wages, tau, k)
        s = m.plant_share()["share"]
        sr = m.short_run([1 - s, s])
        S = np.asarray(sr.real_wage) - np.asarray(m.unskilled_wage)
        w_s = (1 - s) * sr.wage[0] + s * sr.wage[1]
        rows.append((s, w_s + S[0], wages[0] + S[0], wages[1] + S[1]))
    return np.array(rows)


def _inner_changes(rows):
    inner = (rows[:, 0] > 1e-9) & (rows[:, 0] < 1 - 1e-9)
    assert inner.sum() >= 5
    d = np.diff(rows[inner], axis=0)
    assert np.all(d[:, 0] > 0)  # plants leave as C falls
    return d


def test_core_consumers_lose_iff_trade_cost_exceeds_the_cost_gap():
    """Relocation lowers the core's consumer surplus iff a peripheral plant's delivered cost in
    the core exceeds a core plant's, delta_0 = m (w_0 - w_1) - tau < 0, i.e. tau > 0.06: below,
    the core's unskilled *gain* as plants leave (result 3 fails for them)."""
    costs = np.linspace(0.4, 0.0, 401)
    for tau, sign in ((0.05, 1), (0.0599, 1), (0.0601, -1), (0.075, -1)):
        d = _inner_changes(_path(tau, costs))
        assert np.all(np.sign(d[:, 2]) == sign) and np.all(d[:, 3] > 0)
    d = _inner_changes(_path(0.05, costs))
    assert np.all(d[:, 1] < 0)  # the skilled still lose at tau = 0.05


def test_core_skilled_gain_once_trade_costs_exceed_about_0_22():
    """The skilled lose over the whole band up to tau = 0.221; from tau = 0.222 they gain as the
    last plants leave (tau = 0.25: lose until C = 0.169, s* = 0.60, then gain), and at tau = 0.35
    throughout."""
    costs = np.linspace(0.6, 0.0, 601)
    assert np.all(_inner_changes(_path(0.22, costs))[:, 1] < 0)
    d = _inner_changes(_path(0.25, costs))
    assert d[0, 1] < 0 and d[-1, 1] > 0
    assert np.all(_inner_changes(_path(0.35, costs))[:, 1] > 0)


def test_at_high_trade_costs_the_relocation_is_partial_and_happens_without_a_wage_gap():
    """tau > 0.2986: even C = 0 leaves plants in the core (s* = 0.687 at tau = 0.4), and the same
    fall of C moves plants out at equal wages too (s* = 0.227 at tau = 0.4, C = 0): the move is
    not the complete, wage-driven relocation of the paper's second result."""
    assert example(GAP, 0.298, 0.0).plant_share()["share"] == 1.0
    assert example(GAP, 0.3, 0.0).plant_share()["share"] == pytest.approx(0.99275, abs=1e-5)
    assert example(GAP, 0.4, 0.0).plant_share()["share"] == pytest.approx(0.68703, abs=1e-5)
    assert example(EQUAL, 0.4, 0.0).plant_share()["share"] == pytest.approx(0.22727, abs=1e-5)
    assert example(EQUAL, 0.4, 0.4).plant_share()["share"] == 0.0


def test_a_per_unit_communication_cost_fixes_the_core_consumers_but_not_the_skilled():
    """Communication cost per unit of output instead of per firm (one modelling choice): the core's
    unskilled now lose at tau = 0.05 too, but the core's skilled still gain at tau = 0.4."""
    d = _inner_changes(_path(0.05, np.linspace(0.06, 0.05, 201), per_unit=True))  # band k 0.0547-0.0563
    assert np.all(d[:, 1] < 0) and np.all(d[:, 2] < 0) and np.all(d[:, 3] > 0)
    d = _inner_changes(_path(0.4, np.linspace(0.3, 0.0, 301), per_unit=True))
    assert np.all(d[:, 1] > 0) and np.all(d[:, 2] < 0) and np.all(d[:, 3] > 0)


@pytest.mark.parametrize("wages", [EQUAL, GAP, (0.6, 1.0)])
def test_relocation_slopes_match_finite_differences(wages):
    """dS_j/ds, dQ_j/ds and dpi_0/ds / F (module docstring) = central differences of the short run
    (the kernel's markets), to 1e-7; the core's consumers gain iff delta_0 = m (w_0 - w_1) - tau > 0."""
    h = 1e-6
    for tau in (0.05, 0.2, 0.4):
        m = example(wages, tau, 0.05)

        def parts(x, m=m):
            sr = m.short_run([1 - x, x])
            S = np.asarray(sr.real_wage) - np.asarray(m.unskilled_wage)
            return np.array([sr.wage[0], S[0], S[1]])

        def consumption(x, m=m):  # Q_j = sum_i n_i B (A_j - cost_ij)/2 from the kernel's A_j
            A = np.asarray(m.short_run([1 - x, x]).price_index)
            cost = m.marginal_cost[:, None] + m.tau * (1 - np.eye(2))
            return (np.array([1 - x, x]) * m.H / m.F) @ ((A[None, :] - cost) / (2 * (m.beta - m.gamma)))

        for s in (0.1, 0.5, 0.9):
            sl = m.relocation_slopes(s)
            fd = (parts(s + h) - parts(s - h)) / (2 * h)
            np.testing.assert_allclose([sl["skilled_wage"], *sl["surplus"]], fd, rtol=1e-7, atol=1e-9)
            assert sl["skilled"] == pytest.approx(fd[0] + fd[1], rel=1e-7, abs=1e-9)
            assert np.sign(sl["surplus"][0]) == np.sign(0.2 * (wages[0] - wages[1]) - m.tau)
            np.testing.assert_allclose(sl["consumption"], (consumption(s + h) - consumption(s - h)) / (2 * h),
                                       rtol=1e-7)


def test_thresholds_of_result_3():
    """The documented thresholds (gap 30%, m = 0.2): the core's consumers lose from relocation iff
    tau > 0.06; the skilled's slope is zero at s = 1 at tau_s = 0.22110 and at s = 0 at 0.32120;
    C = 0 moves every plant out iff tau <= 0.29855 (G0 + G1 = 0)."""
    def skilled(s):
        return lambda tau: example(GAP, tau, 0.05).relocation_slopes(s)["skilled"]

    assert brentq(skilled(1.0), 0.1, 0.4, xtol=1e-12) == pytest.approx(0.22110, abs=1e-5)
    assert brentq(skilled(0.0), 0.1, 0.5, xtol=1e-12) == pytest.approx(0.32120, abs=1e-5)

    def complete(tau):
        cf = example(GAP, tau, 0.0).plant_share()
        return cf["G0"] + cf["G1"]

    assert brentq(complete, 0.2, 0.4, xtol=1e-12) == pytest.approx(0.29855, abs=1e-5)
    for tau, sign in ((0.0599, 1), (0.0601, -1)):
        assert np.sign(example(GAP, tau, 0.0).relocation_slopes(0.5)["surplus"][0]) == sign
    with pytest.raises(ValueError, match="relocation_slopes"):
        FujitaThisse(phi=0.5, geography=Geography.line(3)).relocation_slopes(0.5)


def test_with_a_small_wage_gap_result_3_holds_wherever_the_relocation_completes():
    """w = (1, 0.9), otherwise the documented economy: the skilled's slope is zero at s = 1 at
    tau = 0.14953, above tau_c = 0.14362 (C = 0 moves every plant out iff tau <= tau_c), so every
    core worker loses and the periphery's gain along the whole relocation at every
    m (w_0 - w_1) = 0.02 < tau <= tau_c (paths at tau = 0.05, 0.1, 0.14); below 0.02 the core's
    unskilled gain (tau = 0.015)."""
    small = (1.0, 0.9)

    def skilled(tau):
        return example(small, tau, 0.05).relocation_slopes(1.0)["skilled"]

    def complete(tau):
        cf = example(small, tau, 0.0).plant_share()
        return cf["G0"] + cf["G1"]

    assert brentq(skilled, 0.03, 0.5, xtol=1e-12) == pytest.approx(0.14953, abs=1e-5)
    assert brentq(complete, 0.03, 0.5, xtol=1e-12) == pytest.approx(0.14362, abs=1e-5)
    for tau in (0.05, 0.1, 0.14):
        d = _inner_changes(_path(tau, np.linspace(0.3, 0.0, 601), wages=small))
        assert np.all(d[:, 1] < 0) and np.all(d[:, 2] < 0) and np.all(d[:, 3] > 0)
        assert _path(tau, [0.0], wages=small)[0, 0] == 1.0  # the relocation completes
    d = _inner_changes(_path(0.015, np.linspace(0.3, 0.0, 3001), wages=small))
    assert np.all(d[:, 1] < 0) and np.all(d[:, 2] > 0) and np.all(d[:, 3] > 0)
