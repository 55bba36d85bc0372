"""The model interface: declarations, derived attributes, capabilities, and a model written in
one file outside neg (tests/toy_model.py) run through every generic algorithm and a study."""

import dataclasses
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

import neg
import neg.models
import neg.policy
from neg.models import Capability, ModelProtocol, Param
from neg.models.params import COMMON, POLICY, check_value, slots

sys.path.insert(0, str(Path(__file__).parent))
import toy_model  # noqa: E402

SIGMA, MU = 5.0, 0.4
PHI_B = toy_model.break_point(SIGMA, MU)  # 1/7


@pytest.fixture
def toy():
    return toy_model.ToyCorePeriphery(SIGMA, MU, phi=0.1)


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setitem(neg.models.REGISTRY, "toy_cp", toy_model.ToyCorePeriphery)
    neg.models.register("toy_cp", toy_model.ToyCorePeriphery)  # same class again: allowed
    return "toy_cp"


def _instances():
    g3 = neg.Geography.line(3)
    return [neg.CorePeriphery(5.0, 0.4, phi=0.3), neg.FootlooseEntrepreneur(5.0, 0.4, phi=0.3),
            neg.FootlooseCapital(5.0, 0.4, phi=0.3), neg.Pflueger(5.0, 0.3),
            neg.Helpman(5.0, 0.8, phi=0.3), neg.VerticalLinkages(5.0, 0.3, 0.2, phi=0.3),
            neg.VerticalLinkages(5.0, 0.3, 0.2, phi=0.3, labour="immobile", eta=0.8),
            neg.HeadquartersPlant(5.0, 0.4, phi=0.3, geography=g3, communication=2.0),
            neg.MultiIndustry(5.0, [0.1, 0.2], phi=0.3, geography=g3),
            neg.VerticalLinkages(5.0, 0.3, 0.2, phi=0.3, labour="migration", eta=0.8),
            neg.Linear(phi=0.3, geography=g3),
            neg.FujitaThisse(phi=0.3, geography=g3, core=1, unskilled_wage=[0.8, 1.0, 0.9]),
            toy_model.ToyCorePeriphery(5.0, 0.4, phi=0.3)]


# ------------------------------------------------------------------ the one-file model, end to end
def test_toy_short_run_matches_the_registered_model(toy):
    lam = np.array([0.6, 0.4])
    a, b = neg.short_run(toy, lam), neg.short_run(neg.CorePeriphery(SIGMA, MU, phi=0.1), lam)
    assert a.converged
    for name in ("wage", "income", "price_index", "real_wage", "payoff"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-12)
    np.testing.assert_allclose(a.real_wage, [0.93954679, 0.95106986], rtol=1e-7)


def test_toy_long_run_and_equilibria(toy):
    eq = neg.long_run(toy.replace(phi=0.2), [0.6, 0.4])  # above phi_B: the core forms
    assert eq.converged and eq.stable
    np.testing.assert_allclose(eq.lam, [1.0, 0.0], atol=1e-12)
    found = neg.equilibria(toy)
    ref = neg.equilibria(neg.CorePeriphery(SIGMA, MU, phi=0.1))
    assert len(found) == len(ref) == 5  # uniform, two cores, two unstable interior ones
    for e, r in zip(sorted(found, key=lambda e: e.lam[0]), sorted(ref, key=lambda e: e.lam[0]), strict=True):
        np.testing.assert_allclose(e.lam, r.lam, atol=1e-8)
        assert e.stable == r.stable


def test_toy_break_point_is_the_closed_form(toy):
    assert PHI_B == pytest.approx(1.0 / 7.0, rel=1e-15)
    assert neg.break_point(toy) == pytest.approx(PHI_B, rel=1e-9)


def test_toy_trace_leaves_the_uniform_state_past_the_break_point(toy):
    phis = np.linspace(0.05, 0.3, 26)
    tr = neg.trace(toy, "phi", phis, direction="up")
    lam0 = tr["lam"].sel(direction="up", region="r0").values
    assert bool(tr["converged"].all())
    np.testing.assert_allclose(lam0[phis < PHI_B - 0.01], 0.5, atol=1e-8)
    assert np.all(np.isin(np.round(lam0[phis > PHI_B + 0.02], 10), [0.0, 1.0]))


def test_toy_simulate_matches_the_registered_model(toy):
    schedule = {"phi": [(0.0, 0.1), (20.0, 0.3)]}
    a = neg.simulate(toy, schedule, [0.55, 0.45], 20.0, steps=4)
    b = neg.simulate(neg.CorePeriphery(SIGMA, MU, phi=0.1), schedule, [0.55, 0.45], 20.0, steps=4)
    np.testing.assert_allclose(a["lam"].values, b["lam"].values, rtol=1e-6, atol=1e-9)
    assert a["lam"].values[-1, 0] == pytest.approx(0.56818442, abs=1e-6)


def test_toy_runs_as_a_yaml_study(registered):
    cfg = {"model": {"name": registered, "sigma": SIGMA, "mu": MU, "phi": 0.3},
           "study": {"kind": "equilibrium"}, "sweep": {"axes": {"phi": [0.1, 0.3]}}}
    ds = neg.run(cfg, workers=1, quiet=True)
    assert ds.attrs["n_failed"] == 0 and ds.attrs["model"] == registered
    np.testing.assert_allclose(ds["lam"].values, [[0.5, 0.5], [0.0, 1.0]], atol=1e-9)
    np.testing.assert_allclose(ds["real_wage"].sel(phi=0.1).values, 0.942, atol=5e-4)


def test_register_refuses_other_classes_under_a_taken_name():
    with pytest.raises(ValueError, match="already the name of CorePeriphery"):
        neg.models.register("core_periphery", toy_model.ToyCorePeriphery)
    with pytest.raises(TypeError, match="not a neg model class"):
        neg.models.register("x", dict)


def test_toy_declares_no_capabilities(toy):
    assert toy.capabilities == frozenset()
    assert not hasattr(toy, "tax") and toy.regional_rates == ("amenity", "productivity")
    with pytest.raises(TypeError, match="no welfare accounting"):
        neg.welfare(toy, [0.5, 0.5])
    with pytest.raises(ValueError, match="no tax instrument"):
        neg.policy.tax_game(toy)


# ------------------------------------------------------------------ the written-down interface
@pytest.mark.parametrize("model", _instances(), ids=lambda m: m.name + "/" + str(m.state_groups()))
def test_every_model_provides_the_protocol(model):
    assert isinstance(model, ModelProtocol)
    par, reg = model.kernel_args()
    assert par.ndim == 1 and reg.ndim == 2 and reg.flags.c_contiguous and par.flags.writeable
    grouped = Capability.GROUPED_STATE in model.capabilities
    assert grouped == (not model.state_is_regions())
    assert model.immobile_shares.shape == (model.K,)
    assert pickle.loads(pickle.dumps(model)) == model
    assert hash(model.replace()) == hash(model) and repr(model).startswith(model.name + "(")


def test_capabilities_are_declared():
    has = {type(m).__name__ + ("/immobile" if m.state_groups() != (m.K,) and m.name == "VerticalLinkages"
                               else ""): m.capabilities for m in _instances()}
    assert Capability.QUASI_LINEAR in has["Pflueger"]
    assert has["VerticalLinkages/immobile"] == {Capability.GROUPED_STATE, Capability.FUNDAMENTALS}
    from neg.models import REGISTRY
    # every model but the linear ones: Linear's firms have no marginal cost for a productivity to
    # divide, FujitaThisse's mobile plants enjoy no amenity (and its unskilled_wage already sets
    # their marginal cost by region)
    assert all(Capability.FUNDAMENTALS in cls.capabilities for cls in REGISTRY.values()
               if cls not in (neg.Linear, neg.FujitaThisse))
    assert Capability.FUNDAMENTALS not in neg.Linear.capabilities
    assert Capability.FUNDAMENTALS not in neg.FujitaThisse.capabilities
    assert {Capability.POLICY, Capability.WELFARE} <= has["VerticalLinkages"]
    for name in ("HeadquartersPlant", "MultiIndustry"):
        assert Capability.GROUPED_STATE in has[name]
    assert [n for n, caps in has.items() if Capability.INDUSTRIES in caps] == ["MultiIndustry"]


def test_param_attrs_come_from_the_declarations():
    assert neg.CorePeriphery.param_attrs("phi")["long_name"] == "freeness of trade"
    a = neg.CorePeriphery(5.0, 0.4, phi=0.3).param_attrs("farmers[1]")
    assert a == {"long_name": "farmers' shares of region 1", "units": "1",
                 "description": "shares of the immobile farmers (total 1 - mu), by region"}
    assert neg.Pflueger.param_attrs("alpha")["units"] == "numeraire"
    with pytest.raises(ValueError, match="not a parameter of CorePeriphery"):
        neg.CorePeriphery.param_attrs("alpha")


def test_uniform_fundamentals():
    line = neg.Geography.line(3)
    assert neg.CorePeriphery(5.0, 0.4, phi=0.3, geography=line).uniform_fundamentals
    assert neg.CorePeriphery(5.0, 0.4, phi=0.3, geography=line, tax=0.1).uniform_fundamentals
    assert not neg.CorePeriphery(5.0, 0.4, phi=0.3, geography=line, tax=[0.1, 0, 0]).uniform_fundamentals
    assert not neg.CorePeriphery(5.0, 0.4, phi=0.3, farmers=[0.3, 0.7]).uniform_fundamentals
    assert neg.Geography.racetrack(6).vertex_transitive and not line.vertex_transitive


def test_the_immobile_factor_has_one_accessor():
    names = {"CorePeriphery": "farmers", "FootlooseEntrepreneur": "workers",
             "FootlooseCapital": "labour", "Pflueger": "worker_shares", "Helpman": "housing",
             "VerticalLinkages": "farmers", "HeadquartersPlant": "workers", "MultiIndustry": "labour",
             "Linear": "workers", "FujitaThisse": "workers"}
    for m in _instances()[:-1]:
        np.testing.assert_array_equal(m.immobile_shares, getattr(m, names[m.name]))
    m = neg.CorePeriphery(5.0, 0.4, phi=0.3, farmers=[0.3, 0.7])
    assert m.immobile_shares.tolist() == [0.3, 0.7]


# ------------------------------------------------------------------ declarations
def test_common_fields_are_declared_once():
    for cls in neg.REGISTRY.values():
        own = {p.name for p in cls.parameters}
        # the linear models have no elasticity of substitution: they fix sigma (at 2, so T = 1/phi)
        linear = cls in (neg.Linear, neg.FujitaThisse)
        common = {"phi", "T", "geography", "tax", "cost"} | ({"sigma"} if not linear else set())
        assert not own & common, cls
        fields = [f.name for f in dataclasses.fields(cls)]
        assert fields[:len(cls.positional)] == list(cls.positional)
        policy = {"tax", "cost", "share_cap"} if Capability.POLICY in cls.capabilities else set()
        assert {"sigma", "phi", "T", "geography"} | policy <= set(fields)
    assert [p.name for p in COMMON] == ["sigma", "phi", "geography", "T"]
    assert [p.name for p in POLICY] == ["tax", "cost", "share_cap"]


def test_derived_attributes():
    cp = neg.CorePeriphery(5.0, 0.4, phi=0.3)
    assert cp.regional_params == ("farmers",)
    assert cp.regional_rates == ("tax", "cost", "share_cap", "amenity", "productivity")
    assert cp.numeric_params() == ("sigma", "mu", "phi", "T")
    # MultiIndustry's share_cap is K x I
    assert neg.MultiIndustry.regional_rates == ("tax", "cost", "amenity", "productivity")
    assert neg.HeadquartersPlant.regional_rates == ("tax", "cost", "amenity", "productivity")
    h = neg.Helpman(5.0, 0.8, phi=0.3, rents="national")
    assert h.kernel_args()[0].tolist() == [5.0, 0.8, 1.0]  # the choice's position
    assert neg.Pflueger(5.0, 0.3, None, 2.5, 1.5).kernel_args()[0].tolist() == [5.0, 2.5, 1.5]


def test_positional_orders_are_the_documented_ones():
    assert neg.CorePeriphery(5, 0.4, 0.1).phi == 0.1
    p = neg.Pflueger(5.0, 0.3, neg.Geography.line(3), 2.5, 1.5)
    assert (p.workers, p.alpha, p.K) == (2.5, 1.5, 3)
    v = neg.VerticalLinkages(5.0, 0.3, 0.2, 0.4)
    assert (v.gamma, v.alpha, v.phi) == (0.3, 0.2, 0.4)
    h = neg.HeadquartersPlant(5.0, 0.4, 0.3, None, 2.0)
    assert h.communication == 2.0
    with pytest.raises(TypeError):
        neg.CorePeriphery(5, 0.4, 0.1, None, None, 1.2)  # T is keyword-only


def test_a_subclass_of_a_model_keeps_its_declarations():
    class Named(neg.CorePeriphery):
        def label(self):
            return f"CP mu={self.mu}"

    m = Named(5.0, 0.4, phi=0.3, farmers=[0.4, 0.6])
    assert m.label() == "CP mu=0.4" and m.regional_params == ("farmers",)
    np.testing.assert_array_equal(m.kernel_args()[1], neg.CorePeriphery(5.0, 0.4, phi=0.3, farmers=[0.4, 0.6])
                                  .kernel_args()[1])
    assert neg.short_run(m, [0.5, 0.5]).converged


def test_kernel_slots_are_named():
    from neg.models import core_periphery, footloose_capital, multi_industry
    assert (core_periphery.SIGMA, core_periphery.MU) == (0, 1)
    assert (core_periphery.FARMERS, core_periphery.TAX, core_periphery.COST) == (0, 1, 2)
    assert footloose_capital.COST == 3
    assert (core_periphery.AMENITY, core_periphery.PRODUCTIVITY) == (3, 4)  # the fundamentals last
    assert multi_industry._I == 5 and multi_industry._CF == 5
    with pytest.raises(ValueError, match="not in par"):
        slots(core_periphery.PARAMS, "par", "farmers")


@pytest.mark.parametrize("p, value, match", [
    (Param("a", "scalar", "", lower=0.0), 0.0, "a: must be > 0, got 0"),
    (Param("a", "scalar", "", lower=0.0, lower_closed=True), -1, "a: must be >= 0"),
    (Param("a", "scalar", "", lower=0.0, upper=1.0), 1.0, r"a: must lie in the open interval \(0, 1\)"),
    (Param("a", "scalar", "", lower=0.0, upper=1.0, upper_closed=True), 2.0, r"a: must lie in \(0, 1\]"),
    (Param("a", "scalar", "", lower=1.0), np.nan, "a: must be finite"),
    (Param("a", "choice", "", choices=("x", "y")), "z", r"a: must be one of \('x', 'y'\), got 'z'"),
    (Param("a", "index", "", lower=0.0, lower_closed=True), 1.5, "a: must be a whole number"),
])
def test_messages_come_from_the_declaration(p, value, match):
    with pytest.raises(ValueError, match=match):
        check_value(p, value, 2)
    with pytest.raises(TypeError, match="a: expected a number"):
        check_value(Param("a", "scalar", ""), "abc", 2)
