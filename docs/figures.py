"""Regenerate the figures in docs/img from the code: ``.venv/bin/python docs/figures.py`` (all of
them, ~20 s; or name some: ``... docs/figures.py puga helpman``). The per-model figures print the
numbers quoted in their captions in docs/models.md."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm

import neg
import neg.plot

IMG = Path(__file__).with_name("img")


def tomahawk():
    model = neg.CorePeriphery(5.0, 0.4, phi=0.3)
    ds = neg.bifurcation_diagram(model, "phi", 0.05, 0.4)
    neg.plot.tomahawk(ds, path=IMG / "tomahawk.png")


def racetrack():
    model = neg.CorePeriphery(5.0, 0.4, phi=0.3, geography=neg.Geography.racetrack(8))
    ds = neg.bifurcation_diagram(model, "phi", 0.04, 0.4)
    neg.plot.tomahawk(ds, region="max", path=IMG / "racetrack8.png")


def hysteresis():
    model = neg.CorePeriphery(5.0, 0.4, phi=0.3)
    ds = neg.trace(model, "phi", np.round(np.arange(0.05, 0.2501, 0.005), 10))
    neg.plot.paths(ds, regions=["r0"], path=IMG / "hysteresis.png")


def relocation():
    """Demand (farmers) moves inland along a line of 5 regions, one region every 25 years:
    industry follows in jumps, leapfrogs region r2 and stays locked in at r3."""
    geo = neg.Geography.line(5)
    farmers = np.full((5, 5), 0.1) + 0.5 * np.eye(5)  # row i: demand concentrated in region i
    model = neg.CorePeriphery(5.0, 0.4, phi=0.5, geography=geo, farmers=farmers[0])
    schedule = {"farmers": [(25.0 * i, farmers[i]) for i in range(5)]}
    ds = neg.simulate(model, schedule, [0.8, 0.05, 0.05, 0.05, 0.05], t_end=120.0, steps=240,
                      dynamics="logit", dispersion=0.005)
    neg.plot.paths(ds, path=IMG / "relocation.png")
    return ds


# ----------------------------------------------------------------------------- one figure per model
# Each returns the key numbers quoted in the figure's caption in docs/models.md.
def _special(ds, kind):
    """Parameter value of the first special point of ``kind`` in a bifurcation diagram."""
    values = [float(v) for k, v in zip(ds["special_kind"].values, ds["special_value"].values,
                                       strict=True) if str(k) == kind]
    return values[0] if values else float("nan")


def _save(fig, name):
    fig.savefig(IMG / name, dpi=200, bbox_inches="tight")
    plt.close(fig)


def footloose_entrepreneur():
    """Tomahawk of the footloose-entrepreneur model (sigma = 5, mu = 0.4, as the CP figure)."""
    model = neg.FootlooseEntrepreneur(5.0, 0.4, phi=0.5)
    ds = neg.bifurcation_diagram(model, "phi", 0.4, 0.95, ds_max=0.01)
    ax = neg.plot.tomahawk(ds, path=IMG / "footloose_entrepreneur.png")
    plt.close(ax.figure)
    return {"phi_B": _special(ds, "branch"), "phi_S": _special(ds, "corner")}


def footloose_capital():
    """Home-market effect: region r0 has 55% of the labour and of the capital; its share of the
    firms against freeness (neg.trace), with the closed form s_n = 1/2 + (1 + phi)/(1 - phi)
    (s_E - 1/2) as markers and r0's expenditure share s_E dotted."""
    sigma, mu, s_l, s_k = 5.0, 0.4, 0.55, 0.55
    model = neg.FootlooseCapital(sigma, mu, phi=0.5, labour=[s_l, 1 - s_l], capital=[s_k, 1 - s_k])
    phis = np.round(np.arange(0.01, 0.9901, 0.01), 10)
    ds = neg.trace(model, "phi", phis, direction="up")
    b = mu / sigma
    s_e = (1 - b) * s_l + b * s_k
    closed = np.clip(0.5 + (1 + phis) / (1 - phis) * (s_e - 0.5), 0.0, 1.0)
    ax = neg.plot.paths(ds, regions=["r0"])
    ax.lines[0].set_label("r0: share of firms (neg.trace)")
    ax.plot(phis[::6], closed[::6], "o", ms=3.5, mfc="none", color="C3", label="closed form")
    ax.axhline(s_e, color="0.5", lw=0.9, ls=":", label=f"r0: share of expenditure {s_e:.2f}")
    ax.set_ylabel("share of region r0")
    ax.legend(fontsize="small", loc="lower right")
    _save(ax.figure, "footloose_capital.png")
    lam = ds["lam"].sel(direction="up", region="r0").values
    at = {p: float(lam[np.argmin(np.abs(phis - p))]) for p in (0.2, 0.5, 0.8)}
    return {"s_E": s_e, "share_at": at, "all_firms_from_phi": float(phis[lam > 1 - 1e-12][0]),
            "closed_form_phi": (1 - 2 * (s_e - 0.5)) / (1 + 2 * (s_e - 0.5)),
            "max_error": float(np.max(np.abs(lam - closed)))}


def pflueger():
    """Pitchfork of the Pflueger model (sigma = 5, 2 workers per entrepreneur)."""
    model = neg.Pflueger(5.0, phi=0.3)
    ds = neg.bifurcation_diagram(model, "phi", 0.02, 0.5, ds_max=0.01)
    ax = neg.plot.tomahawk(ds, path=IMG / "pflueger.png")
    plt.close(ax.figure)
    return {"phi_B": _special(ds, "branch"), "phi_S": _special(ds, "corner")}


def vertical_linkages():
    """Tomahawk of VerticalLinkages, mobile labour (sigma = 5, gamma = 0.2, alpha = 0.2)."""
    model = neg.VerticalLinkages(5.0, 0.2, 0.2, phi=0.3)
    ds = neg.bifurcation_diagram(model, "phi", 0.05, 0.4, ds_max=0.01)
    ax = neg.plot.tomahawk(ds, path=IMG / "vertical_linkages.png")
    plt.close(ax.figure)
    return {"mu_eff": model.mu_eff, "phi_B": _special(ds, "branch"),
            "phi_S": _special(ds, "corner"),
            "phi_B_alpha0": neg.break_point(model.replace(alpha=0.0))}


def puga():
    """Puga (1999)'s history of the world: VerticalLinkages(labour="immobile") as trade costs
    fall (neg.trace upward; perturbation 1e-3 to leave the saddle, see docs/models.md): each
    region's share of its labour in manufacturing, and the wage ratio of the two regions."""
    model = neg.VerticalLinkages(5.0, 0.2, 0.5, phi=0.3, labour="immobile", eta=0.7)
    phis = np.round(np.arange(0.02, 0.9801, 0.01), 10)
    ds = neg.trace(model, "phi", phis, direction="up", perturbation=1e-3).sel(direction="up")
    names = list(model.geography.names)
    manu = ds["lam"].sel(state=[f"{r}/manufacturing" for r in names])
    manu = manu.rename(state="region").assign_coords(region=names)
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(4.8, 4.8), sharex=True, layout="constrained",
                                  gridspec_kw={"height_ratios": [2, 1]})
    neg.plot.paths(ds.drop_vars("state").assign(lam=manu), ax=ax)
    ratio = (ds["wage"].max("region") / ds["wage"].min("region")).values
    ax2.plot(phis, ratio, color="black", lw=1.4)
    (phi1, _), (phi2, _) = neg.break_points(model)
    for a in (ax, ax2):
        for p in (phi1, phi2):
            a.axvline(p, color="0.5", lw=0.8, ls=":")
    for p, sub in ((phi1, 1), (phi2, 2)):
        ax.text(p, 0.9, rf" $\phi_{sub}$ = {p:.3f}", fontsize="small")
    ax.set_xlabel("")
    ax.set_ylabel("manufacturing share\nof the region's labour")
    ax2.set_ylabel("wage ratio\nhigh / low")
    ax2.set_xlabel(r"freeness of trade $\phi$")
    _save(fig, "puga.png")
    m = manu.values
    agglomerated = np.abs(m[:, 0] - m[:, 1]) > 1e-6
    return {"phi_1": phi1, "phi_2": phi2, "m_star": model.manufacturing_share,
            "agglomerated_from": float(phis[agglomerated][0]),
            "agglomerated_to": float(phis[agglomerated][-1]),
            "core_share": float(m[agglomerated].max(axis=1).mean()),
            "wage_ratio": float(ratio[agglomerated].mean())}


def puga_migration():
    """Puga (1999) with migration: VerticalLinkages(labour="migration"), same technology as the
    history of the world; neg.trace down the freeness from agglomeration and up from dispersion
    (log scale): each region's manufacturing employment and population, in shares of the world's
    labour, with the break and sustain points of neg.models.vertical_linkages_migration."""
    from neg.models import vertical_linkages_migration as mig

    params = (5.0, 0.2, 0.5, 0.7)
    model = neg.VerticalLinkages(*params[:3], phi=0.3, labour="migration", eta=params[3])
    phis = np.geomspace(2e-5, 0.9, 90)
    ds = neg.trace(model, "phi", phis, direction="both", perturbation=1e-3)
    (phi_b, _), = mig.two_region_break_points(*params)
    phi_s = mig.two_region_sustain_point(*params)
    fig, ax = plt.subplots(figsize=(4.8, 3.4), layout="constrained")
    for direction, ls in (("up", "-"), ("down", "--")):
        lam = ds["lam"].sel(direction=direction).values
        ax.plot(phis, lam[:, 0], color="C0", ls=ls, lw=1.4,
                label=f"r0 manufacturing ({'up' if ls == '-' else 'down'})")
        ax.plot(phis, lam[:, 0] + lam[:, 1], color="C1", ls=ls, lw=1.4,
                label=f"r0 population ({'up' if ls == '-' else 'down'})")
    for p, name in ((phi_s, r"$\phi_S$"), (phi_b, r"$\phi_B$")):
        ax.axvline(p, color="0.5", lw=0.8, ls=":")
        ax.text(p, 0.93, f" {name} = {p:.3g}", fontsize="small")
    ax.set_xscale("log")
    ax.set_xlabel(r"freeness of trade $\phi$")
    ax.set_ylabel("share of the world's labour")
    ax.legend(fontsize="x-small", loc="center right")
    _save(fig, "puga_migration.png")
    lam = ds["lam"].sel(direction="up").values
    agg = lam[:, 2] < 1e-9
    return {"phi_B": phi_b, "phi_S": phi_s, "up_agglomerated_from": float(phis[agg][0]),
            "down_last_agglomerated": float(phis[ds["lam"].sel(direction="down").values[:, 2] < 1e-9][0]),
            "core_at_0.9": lam[-1].tolist()}


def linear():
    """Ottaviano, Tabuchi & Thisse (2002), the default Linear model (alpha = beta = 1,
    gamma = 0.5, H = 1, L = 10, F = 1): the payoff gap V_0 - V_1 as a function of lam_0 (exactly
    linear) at three trade costs, and the welfare gain of agglomeration over dispersion
    (neg.welfare) as phi rises, with tau* (break = sustain) and tau° (welfare)."""
    model = neg.Linear(phi=0.5)
    t = model.thresholds()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(8.4, 3.2), layout="constrained")
    lams = np.linspace(0, 1, 21)
    for phi in (0.15, t["phi_star"], 0.6):
        m = model.replace(phi=phi)
        gap = [np.subtract(*m.short_run([x, 1 - x]).payoff) for x in lams]
        ax.plot(lams, gap, lw=1.4, label=rf"$\phi$ = {phi:.3f} ($\tau$ = {m.tau:.3f})")
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xlabel(r"skilled share of region r0, $\lambda$")
    ax.set_ylabel(r"$V_0 - V_1$")
    ax.legend(fontsize="x-small")
    phis = np.linspace(0.01, 0.99, 99)
    gain = []
    for phi in phis:
        m = model.replace(phi=phi)
        gain.append(float(neg.welfare(m, np.array([1.0, 0.0]))["national_welfare"]
                          - neg.welfare(m, np.array([0.5, 0.5]))["national_welfare"]))
    ax2.plot(phis, gain, color="black", lw=1.4)
    ax2.axhline(0, color="0.5", lw=0.8)
    ax2.axvspan(t["phi_star"], t["phi_welfare"], color="C3", alpha=0.15)
    for p, name, ha in ((t["phi_star"], r"$\phi^*$", "right"), (t["phi_welfare"], r"$\phi^\circ$", "left")):
        ax2.axvline(p, color="0.5", lw=0.8, ls=":")
        ax2.text(p, min(gain) * 0.9, f" {name} = {p:.3f} ", fontsize="small", ha=ha)
    ax2.set_xlabel(r"freeness $\phi$ = 1 - $\tau/\tau_{trade}$")
    ax2.set_ylabel("welfare: agglomeration - dispersion")
    _save(fig, "linear.png")
    return t


def fujita_thisse():
    """FujitaThisse (tests/test_fujita_thisse.py): OTT's default economy, unit_labour = 0.2, HQs
    in r0. The periphery's share of the plants as the trade cost falls, at equal wages and with
    a 30% lower peripheral wage, at several communication costs; and who gains as the
    communication cost falls at tau = 0.2 with the wage gap."""
    fig, axes = plt.subplots(1, 3, figsize=(11.0, 3.3), layout="constrained")
    taus = np.linspace(0.5, 0.01, 99)
    out = {}
    for ax, wages, title in zip(axes[:2], ([1.0, 1.0], [1.0, 0.7]),
                                ("equal unskilled wages", "periphery's wage 30% lower"), strict=True):
        base = neg.FujitaThisse(phi=0.5, unit_labour=0.2, unskilled_wage=wages)
        for k, C in enumerate((0.2, 0.1, 0.05, 0.0)):
            s = [base.replace(phi=base.phi_of_tau(t), communication_cost=C).plant_share()["share"]
                 for t in taus]
            ax.plot(taus, s, lw=1.4, color=plt.cm.viridis(k / 4), label=f"C = {C:g}")
            out[f"{title}, C={C:g}"] = {"tau=0.5": round(s[0], 3), "min": round(min(s), 3),
                                        "tau=0.01": round(s[-1], 3)}
        ax.set_xlim(taus[0], 0)
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel(r"trade cost $\tau$ (falling $\rightarrow$)")
        ax.set_title(title, fontsize="medium")
    axes[0].set_ylabel("periphery's share of the plants")
    axes[0].legend(fontsize="x-small")
    base = neg.FujitaThisse(phi=0.5, unit_labour=0.2, unskilled_wage=[1.0, 0.7])
    base = base.replace(phi=base.phi_of_tau(0.2))
    Cs = np.linspace(0.5, 0.0, 101)
    rows = []
    for C in Cs:
        m = base.replace(communication_cost=C)
        s = m.plant_share()["share"]
        u = neg.welfare(m, np.array([1 - s, s]))["utility"]
        rows.append((s, *(float(u.sel(group=g, region=r))
                           for g, r in (("skilled", "r0"), ("unskilled", "r0"), ("unskilled", "r1")))))
    rows = np.array(rows)
    ax = axes[2]
    for k, label in enumerate(("skilled (core)", "unskilled (core)", "unskilled (periphery)"), start=1):
        ax.plot(Cs, rows[:, k] - rows[0, k], lw=1.4, label=label)
    ax.axhline(0, color="0.5", lw=0.8)
    inner = (rows[:, 0] > 0) & (rows[:, 0] < 1)
    ax.axvspan(Cs[inner].min(), Cs[inner].max(), color="C3", alpha=0.12)
    ax.set_xlim(Cs[0], 0)
    ax.set_xlabel(r"communication cost $C$ (falling $\rightarrow$), $\tau$ = 0.2")
    ax.set_ylabel(r"utility change from $C$ = 0.5")
    ax.legend(fontsize="x-small")
    ax.set_title("periphery's wage 30% lower", fontsize="medium")
    out["relocation band (C)"] = (round(float(Cs[inner].min()), 3), round(float(Cs[inner].max()), 3))
    _save(fig, "fujita_thisse.png")
    return out


def helpman():
    """Helpman (1998), sigma = 5, mu = 0.85 (sigma (1 - mu) < 1): dispersion gains stability as
    trade gets freer; both rent rules."""
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.4), sharey=True, layout="constrained")
    out = {}
    for ax, rents in zip(axes, ("local", "national"), strict=True):
        model = neg.Helpman(5.0, 0.85, phi=0.3, rents=rents)
        ds = neg.bifurcation_diagram(model, "phi", 0.02, 0.6, ds_max=0.01)
        neg.plot.tomahawk(ds, ax=ax)
        ax.set_title(f'rents="{rents}"', fontsize="medium", pad=34)
        big = {}  # the larger region's share on the stable asymmetric branch
        for b in np.flatnonzero(ds["branch_kind"].values == "interior"):
            x, y = ds["phi"].values[b], ds["lam"].values[b, :, 0]
            for p in (0.1, 0.2):
                i = np.nanargmin(np.abs(x - p))
                big[p] = max(big.get(p, 0.0), float(max(y[i], 1 - y[i])))
        out[rents] = {"phi_B": _special(ds, "branch"), "larger_region_share": big}
    axes[1].set_ylabel("")
    _save(fig, "helpman.png")
    return out


def headquarters_plant():
    """The headquarters economy (tests/test_headquarters_plant.py): three regions on a line,
    the hub r1 with 10% of the unskilled, every firm integrated in the hub; the communication
    cost falls (neg.trace downward) and plants leave for the peripheral markets."""
    hub = 1
    model = neg.HeadquartersPlant(sigma=4.0, mu=0.5, phi=0.5, geography=neg.Geography.line(3),
                                  workers=[0.45, 0.1, 0.45], communication=1.06)
    cs = np.round(np.arange(1.0, 1.0601, 0.001), 10)
    ds = neg.trace(model, "communication", cs, lam0=model.integrated_state(np.eye(3)[hub]),
                   direction="down")
    lam = ds["lam"].sel(direction="down").values
    hq = np.array([model.hq_shares(v) for v in lam])
    plants = np.array([model.plant_shares(v) for v in lam])
    frag = np.array([model.fragmented_share(v) for v in lam])
    # onset: a hub HQ with a plant in r0 matches the integrated hub firm, c* = (rho_0/rho_1)^(1/(s-1))
    omega = model.replace(communication=1.0).short_run(
        model.integrated_state(np.eye(3)[hub])).payoff.reshape(3, 3)
    c_star = (omega[hub, 0] / omega[hub, hub]) ** (1.0 / (model.sigma - 1.0))
    fig, ax = plt.subplots(figsize=(4.8, 3.4), layout="constrained")
    ax.plot(cs, plants[:, hub], color="C1", lw=1.6, label="plants in the hub r1")
    ax.plot(cs, hq[:, hub], color="C0", lw=1.6, ls=(0, (4, 3)), label="HQs in the hub r1")
    ax.plot(cs, plants[:, 0], color="C1", lw=1.2, ls="--", label="plants in r0 (= r2)")
    ax.plot(cs, frag, color="black", lw=1.6, label="fragmented firms (HQ ≠ plant)")
    ax.axvline(c_star, color="0.5", lw=0.8, ls=":")
    ax.annotate(f"$c^*$ = {c_star:.4f}", (c_star, 0.45), xytext=(4, 0),
                textcoords="offset points", fontsize="small")
    ax.set_xlim(cs[0], cs[-1])
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("communication cost $c$ per unit distance")
    ax.set_ylabel("share of firms")
    ax.legend(fontsize="small", loc="lower right", bbox_to_anchor=(1.0, 0.06))
    _save(fig, "headquarters_plant.png")
    return {"c_star": float(c_star), "fragmented_at_1": float(frag[0]),
            "hub_plants_at_1": float(plants[0, hub]), "hub_hqs_min": float(hq[:, hub].min())}


def spread_of_industry():
    """MultiIndustry: the spread of industry, made by its own script docs/spread_of_industry.py
    (it runs configs/spread_of_industry.yaml and prints the order of events)."""
    import spread_of_industry as script  # docs/ is on sys.path when this file runs as a script

    script.main()


def china():
    """China's provinces (docs/china.md): the four configs/china_*.yaml at full size (~1 min),
    their results in results/ and the figures neg plot draws, one per counterfactual."""
    from neg.study.report import plot_result

    configs = Path(__file__).resolve().parents[1] / "configs"
    figures = {"china_infrastructure": [("china_infrastructure", {})],
               "china_coastal_land": [("china_coastal_land", {}),
                                      ("china_coastal_productivity", {"housing_east": "1"})],
               "china_policy": [("china_subsidy", {}), ("china_env_cost", {"subsidy": "0"})],
               "china_two_industries": [("china_two_labour", {"industry": "labour_intensive"}),
                                        ("china_two_tech", {"industry": "technology_intensive"})]}
    for config, pictures in figures.items():
        ds = neg.run(configs / f"{config}.yaml", quiet=True)
        for name, sel in pictures:
            plot_result(ds, IMG / f"{name}.png", sel)


def synchronisation():
    """Regional cycles with migration off, slow and fast, at high and low trade costs: the study
    configs/synchronisation.yaml and its `neg plot` figure; returns the ensemble medians quoted in
    docs/shocks.md."""
    ds = neg.run(str(Path(__file__).parents[1] / "configs" / "synchronisation.yaml"), quiet=True)
    neg.plot.study_figure(ds, IMG / "synchronisation.png")
    out = {}
    for var in ("mean_volatility", "mean_correlation", "mean_concordance", "real_wage_gap"):
        med = ds[var].median("sample")
        out[var] = {f"phi={p:g}": [round(float(v), 4) for v in med.sel(phi=p).values]
                    for p in ds["phi"].values}
    out["largest share at the end"] = {
        f"phi={p:g}": [round(float(v), 3) for v in
                       ds["lam"].isel(time=-1).max("region").median("sample").sel(phi=p).values]
        for p in ds["phi"].values}
    return out


def torus_cities():
    """Cities on a plain (docs/cities.md): configs/torus_cities.yaml (a 16 x 16 torus, CP with
    sigma = 5, mu = 0.4; ~1 min). The uniform state's Fourier spectrum just past the break point
    (the first unstable mode), the long-run patterns at three freeness values, and the number of
    cities against freeness on the torus and, traced up in phi, on a racetrack of 16 regions
    (period doubling). Returns the numbers quoted in docs/cities.md."""
    from neg.solvers.spectrum import circulant_modes

    ds = neg.run(str(Path(__file__).parents[1] / "configs" / "torus_cities.yaml"), quiet=True)
    n = 16
    torus = neg.CorePeriphery(5.0, 0.4, phi=0.1, geography=neg.Geography.torus(n, n))
    phi_b = neg.break_point(torus)
    above = torus.replace(phi=1.05 * phi_b)
    lam_u = above.symmetric_state()
    mu, modes = circulant_modes(above, lam_u, neg.short_run(above, lam_u, tol=1e-14))
    spectrum = np.concatenate([[np.nan], mu.real]).reshape(n, n) / np.max(np.abs(mu.real))
    first = modes.wave(int(np.argmax(mu.real)) + 1)
    ring = neg.CorePeriphery(5.0, 0.4, phi=0.1, geography=neg.Geography.racetrack(16))
    ring_b = neg.break_point(ring)
    phis = np.round(np.arange(0.01, 0.9001, 0.01), 10)
    tr = neg.trace(ring, "phi", phis, direction="up")
    ring_cities = (tr["lam"].sel(direction="up") > 0).sum("region").values
    lam = ds["lam"].transpose("phi", "region")
    torus_cities = (lam > 0).sum("region").values

    fig = plt.figure(figsize=(12, 7.2))
    grid = fig.add_gridspec(2, 3)
    ax = fig.add_subplot(grid[0, 0])
    img = ax.imshow(spectrum, cmap="RdBu_r", origin="lower",
                    norm=TwoSlopeNorm(0.0, np.nanmin(spectrum), np.nanmax(spectrum)))
    ax.plot(first[1], first[0], "ko", mfc="none", ms=10)
    ax.set(title=f"uniform state's spectrum at phi = 1.05 phi_B\n(first unstable mode {first})",
           xlabel="wave number q (columns)", ylabel="wave number p (rows)")
    fig.colorbar(img, ax=ax, shrink=0.8, label="eigenvalue / max |eigenvalue|")
    for j, phi in enumerate((0.04, 0.1, 0.3)):
        ax = fig.add_subplot(grid[0, 1] if j == 0 else grid[0, 2] if j == 1 else grid[1, 0])
        pattern = lam.sel(phi=phi).values.reshape(n, n)
        ax.imshow(pattern, cmap="magma_r", origin="lower", vmin=0)
        ax.set(title=f"long run, phi = {phi:g}: {int(np.sum(pattern > 0))} cities", xticks=[], yticks=[])
    ax = fig.add_subplot(grid[1, 1:])
    ax.step(phis, ring_cities, where="post", label="racetrack, 16 regions (traced up in phi)")
    ax.plot(ds["phi"].values, torus_cities, "o-", label="torus 16 x 16 (long run from uniform +-5%)")
    ax.axvline(phi_b, color="C1", ls=":", label=f"torus's break point {phi_b:.4f}")
    ax.axvline(ring_b, color="C0", ls=":", label=f"racetrack's break point {ring_b:.4f}")
    ax.set(xscale="log", yscale="log", xlabel="freeness per unit distance phi", ylabel="cities",
           title="number of cities against freeness")
    ticks = [2**k for k in range(9)]
    ax.set_yticks(ticks, labels=[str(t) for t in ticks])
    ax.legend(fontsize=8)
    _save(fig, "torus_cities.png")
    steps = [(float(phis[i]), int(ring_cities[i])) for i in range(len(phis))
             if i == 0 or ring_cities[i] != ring_cities[i - 1]]
    counts = dict(zip(ds["phi"].values.tolist(), torus_cities.tolist(), strict=True))
    return {"phi_B": phi_b, "racetrack_phi_B": ring_b, "first_mode": first, "torus_cities": counts,
            "racetrack_steps": steps}


FIGURES = (tomahawk, racetrack, hysteresis, relocation, footloose_entrepreneur, footloose_capital,
           pflueger, vertical_linkages, puga, puga_migration, helpman, headquarters_plant, linear,
           fujita_thisse, spread_of_industry, china, synchronisation, torus_cities)


if __name__ == "__main__":
    import sys
    import time

    IMG.mkdir(exist_ok=True)
    wanted = set(sys.argv[1:])  # optional: names of the figures to make
    for make in FIGURES:
        if wanted and make.__name__ not in wanted:
            continue
        start = time.perf_counter()
        numbers = make()
        plt.close("all")
        extra = f": {numbers}" if isinstance(numbers, dict) else ""
        print(f"wrote {make.__name__} ({time.perf_counter() - start:.1f} s){extra}")
