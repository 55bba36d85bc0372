"""Region-specific fundamentals in every model: ``amenity`` (multiplies the mobile factor's
payoff) and ``productivity`` (divides the unit input requirement of the region's firms):
the defaults change nothing, productivity is the cost instrument's factor (1 + cost)/productivity,
an independent solver agrees, and both are parameters of studies and traces."""

import warnings

import numpy as np
import pytest
from conftest import random_geography, random_simplex
from scipy.optimize import fsolve

import neg

FIELDS = ("wage", "income", "price_index", "real_wage", "payoff")


def every_model(geo):
    """One instance of every model on ``geo`` (K regions)."""
    return [
        neg.CorePeriphery(5.0, 0.4, phi=0.4, geography=geo),
        neg.FootlooseEntrepreneur(5.0, 0.4, phi=0.4, geography=geo, H=2.0, L=3.0),
        neg.FootlooseCapital(5.0, 0.4, phi=0.4, geography=geo),
        neg.Pflueger(5.0, phi=0.4, geography=geo),
        neg.Helpman(5.0, 0.7, phi=0.4, geography=geo),
        neg.Helpman(5.0, 0.7, phi=0.4, geography=geo, rents="national"),
        neg.VerticalLinkages(5.0, 0.4, 0.3, phi=0.4, geography=geo),
        neg.VerticalLinkages(5.0, 0.4, 0.3, phi=0.4, geography=geo, labour="immobile", eta=0.8),
        neg.HeadquartersPlant(5.0, 0.4, phi=0.4, geography=geo),
        neg.MultiIndustry(5.0, [0.2, 0.3], phi=0.4, geography=geo),
    ]


MODELS = every_model(neg.Geography.line(3))
IDS = [f"{m.name}-{getattr(m, 'rents', '')}{getattr(m, 'labour', '')}" for m in MODELS]


def _state(m, seed=1):
    """A random interior state of the model (one simplex per group)."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.dirichlet(np.ones(n)) for n in m.state_groups()])


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_declared_once_with_defaults_one(model):
    """Every model has both fields, per region, default 1, declared after the policy
    instruments; explicit ones are the same model with bit-identical short runs."""
    assert model.regional_rates[-2:] == ("amenity", "productivity")
    assert np.all(model.amenity == 1.0) and np.all(model.productivity == 1.0)
    ones = model.replace(amenity=[1.0] * model.K, productivity=1.0)
    assert ones == model
    lam = _state(model)
    a, b = model.short_run(lam), ones.short_run(lam)
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert model.uniform_fundamentals
    assert not model.replace(amenity=[1.0, 2.0, 1.0]).uniform_fundamentals


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_amenity_multiplies_the_payoff_only(model):
    """Wages, incomes, prices and real wages do not depend on amenities; the payoff (and the
    payoff of every state component) is multiplied by the region's amenity (quasi-linear
    utility: plus its log)."""
    amenity = np.array([1.5, 0.7, 1.2])
    lam = _state(model)
    a, b = model.short_run(lam), model.replace(amenity=amenity).short_run(lam)
    for f in ("wage", "income", "price_index", "real_wage"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)
    # grouped states: the components of region i (its sectors, its HQs' configurations) follow
    # each other, so region i's amenity repeats over them
    per_component = np.repeat(amenity, a.payoff.size // model.K)
    if neg.Capability.QUASI_LINEAR in model.capabilities:
        np.testing.assert_allclose(b.payoff, a.payoff + np.log(per_component), rtol=1e-14)
    else:
        np.testing.assert_allclose(b.payoff, a.payoff * per_component, rtol=1e-14)


COSTLY = [m for m in MODELS if not (m.name == "VerticalLinkages" and m.labour == "immobile")]


@pytest.mark.parametrize("model", COSTLY, ids=[i for m, i in zip(MODELS, IDS, strict=True) if m in COSTLY])
def test_productivity_is_the_cost_factor(model):
    """Firms needing 1/A times the input are firms with cost = 1/A - 1 (A < 1): every output
    agrees; with a cost as well, the factor is (1 + cost)/A."""
    K = model.K
    A = np.array([0.8, 0.5, 0.9])
    lam = _state(model)
    a = model.replace(productivity=A).short_run(lam, tol=1e-14)
    b = model.replace(cost=1.0 / A - 1.0).short_run(lam, tol=1e-14)
    for f in FIELDS:
        np.testing.assert_allclose(getattr(a, f), getattr(b, f), rtol=1e-11, err_msg=f)
    cost = np.array([0.2, 0.0, 0.4])
    c = model.replace(productivity=A, cost=cost).short_run(lam, tol=1e-14)
    d = model.replace(cost=(1.0 + cost) / A - 1.0).short_run(lam, tol=1e-14)
    for f in ("wage", "price_index"):
        np.testing.assert_allclose(getattr(c, f), getattr(d, f), rtol=1e-11, err_msg=f)
    assert K == 3


def helpman_by_firms(sigma, mu, phi, D, housing, amenity, A, lam):
    """Helpman (local rents) with fundamentals from the firm's problem, in plain numpy: mill
    price w/A (marginal input (sigma-1)/sigma / A), zero profit w_i^s = mu A_i^(s-1)
    sum_j Phi_ij Y_j G_j^(s-1), G_j^(1-s) = sum_i lam_i (w_i/A_i)^(1-s) Phi_ij, Y = lam w/mu,
    numeraire sum lam w = 1; payoff amenity (w/mu) G^(-mu) ((1-mu) Y/H)^(mu-1)."""
    Phi = phi ** np.asarray(D, dtype=float)

    def residual(z):
        w = np.exp(z)
        G = (Phi.T @ (lam * (w / A) ** (1 - sigma))) ** (1 / (1 - sigma))
        Y = lam * w / mu
        rhs = mu * A ** (sigma - 1) * (Phi @ (Y * G ** (sigma - 1)))
        r = sigma * z - np.log(rhs)
        r[0] = np.sum(lam * w) - 1.0  # the numeraire replaces one (redundant: Walras) equation
        return r

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        z = fsolve(residual, np.zeros(lam.size), xtol=1e-14)
    assert np.max(np.abs(residual(z))) < 1e-12
    w = np.exp(z)
    G = (Phi.T @ (lam * (w / A) ** (1 - sigma))) ** (1 / (1 - sigma))
    Y = lam * w / mu
    rent = (1 - mu) * Y / housing
    real = (w / mu) * G ** (-mu) * rent ** (mu - 1)
    return {"wage": w, "price_index": G, "real_wage": real, "payoff": amenity * real}


@pytest.mark.parametrize("K, seed", [(2, 0), (4, 1), (7, 2)])
def test_helpman_fundamentals_match_independent_solver(K, seed):
    rng = np.random.default_rng(seed)
    geo = neg.Geography.two_region() if K == 2 else random_geography(K, seed)
    housing, lam = random_simplex(K, seed + 5), random_simplex(K, seed + 6)
    amenity, A = rng.uniform(0.5, 2.0, K), rng.uniform(0.5, 2.0, K)
    m = neg.Helpman(5.0, 0.75, phi=0.5, geography=geo, housing=housing, amenity=amenity, productivity=A)
    ref = helpman_by_firms(5.0, 0.75, 0.5, geo.distance, housing, amenity, A, lam)
    for method in ("anderson", "newton"):
        sr = neg.short_run(m, lam, method=method, tol=1e-13)
        assert sr.converged
        for f, v in ref.items():
            np.testing.assert_allclose(getattr(sr, f), v, rtol=1e-10, err_msg=f)


def test_amenity_and_productivity_attract_the_mobile_factor():
    """Two regions where dispersion is stable: a better amenity or a higher productivity in
    region 0 draws the mobile factor there (CP and Helpman), and the long run equalises the
    payoffs of the occupied regions."""
    for m in (neg.CorePeriphery(5.0, 0.4, phi=0.1), neg.Helpman(5.0, 0.75, phi=0.5)):
        for change in ({"amenity": [1.05, 1.0]}, {"productivity": [1.05, 1.0]}):
            eq = neg.long_run(m.replace(**change), np.array([0.5, 0.5]))
            assert eq.converged and eq.stable
            assert eq.lam[0] > 0.5 + 1e-3, (m.name, change, eq.lam)
            if eq.lam[1] > 0:
                np.testing.assert_allclose(eq.payoff[0], eq.payoff[1], rtol=1e-8)


def test_fundamentals_are_traced_and_swept():
    """``productivity[0]`` and ``amenity[1]`` are parameters like any per-region rate: traced,
    set one entry at a time, and named in a study's model section."""
    m = neg.Helpman(5.0, 0.75, phi=0.5, geography=neg.Geography.line(3))
    assert m.with_param("productivity[0]", 1.3).productivity.tolist() == [1.3, 1.0, 1.0]
    assert m.get_param("amenity[1]") == 1.0
    ds = neg.trace(m, "productivity[0]", np.linspace(1.0, 1.2, 5), direction="up")
    lam0 = ds["lam"].sel(region=ds["region"].values[0]).squeeze().values
    assert np.all(np.diff(lam0) > 0)  # a more productive region 0 gains workers
    assert ds["productivity_0"].attrs["long_name"] == "productivity (productivity[0])"
    cfg = {"model": {"name": "helpman", "sigma": 5.0, "mu": 0.75, "phi": 0.5,
                     "amenity": [1.0, 1.2, 1.0]},
           "geography": {"kind": "line", "K": 3},
           "study": {"kind": "equilibrium"},
           "sweep": {"axes": {"a2": {"param": "model.productivity[2]", "values": [1.0, 1.1]}}}}
    out = neg.run(cfg, workers=1, quiet=True)
    lam = out["lam"].transpose("a2", "region").values
    for row, a2 in zip(lam, (1.0, 1.1), strict=True):
        direct = neg.long_run(m.replace(amenity=[1.0, 1.2, 1.0], productivity=[1.0, 1.0, a2]),
                              np.full(3, 1 / 3))
        np.testing.assert_allclose(row, direct.lam, atol=1e-8)
    assert lam[1, 2] > lam[0, 2]


@pytest.mark.parametrize("field, value, match", [
    ("amenity", [1.0, 0.0, 1.0], r"amenity: values must be > 0, got min 0"),
    ("productivity", [-1.0, 1.0, 1.0], r"productivity: values must be > 0"),
    ("productivity", [1.0, 1.0], r"productivity: expected 3 values \(one per region\) or one for all"),
    ("amenity", [1.0, np.nan, 1.0], r"amenity: values must be finite"),
])
def test_validation_names_field_and_range(field, value, match):
    with pytest.raises(ValueError, match=match):
        neg.CorePeriphery(5.0, 0.4, phi=0.4, geography=neg.Geography.line(3), **{field: value})


def test_a_model_without_the_capability_keeps_them_at_one():
    """A model whose kernels do not read the fundamentals (the toy model of the docs) has the
    fields but rejects values other than 1, naming the field."""
    from toy_model import ToyCorePeriphery

    toy = ToyCorePeriphery(5.0, 0.4, phi=0.3)
    assert np.all(toy.amenity == 1.0) and neg.Capability.FUNDAMENTALS not in toy.capabilities
    with pytest.raises(ValueError, match="amenity: ToyCorePeriphery does not model region-specific"):
        toy.replace(amenity=[1.2, 1.0])
    with pytest.raises(ValueError, match="productivity: ToyCorePeriphery does not model"):
        ToyCorePeriphery(5.0, 0.4, phi=0.3, productivity=2.0)


def test_welfare_counts_the_amenity_of_the_residents():
    """neg.welfare: every resident's utility is multiplied by the region's amenity, so the
    mobile factor's utility is its payoff (Helpman: everyone is mobile); quasi-linear: plus
    its log."""
    lam = np.array([0.5, 0.3, 0.2])
    amenity = np.array([1.3, 0.9, 1.0])
    geo = neg.Geography.line(3)
    m = neg.Helpman(5.0, 0.75, phi=0.5, geography=geo, amenity=amenity)
    w = neg.welfare(m, lam)
    np.testing.assert_allclose(w["utility"].sel(group="workers").values, m.short_run(lam).payoff, rtol=1e-14)
    base = neg.welfare(neg.CorePeriphery(5.0, 0.4, phi=0.4, geography=geo), lam)
    cp = neg.welfare(neg.CorePeriphery(5.0, 0.4, phi=0.4, geography=geo, amenity=amenity), lam)
    np.testing.assert_allclose(cp["utility"].values, base["utility"].values * amenity, rtol=1e-14)
    base = neg.welfare(neg.Pflueger(5.0, phi=0.4, geography=geo), lam)
    pf = neg.welfare(neg.Pflueger(5.0, phi=0.4, geography=geo, amenity=amenity), lam)
    np.testing.assert_allclose(pf["utility"].values, base["utility"].values + np.log(amenity), rtol=1e-14)
