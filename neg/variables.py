"""The table of variables: every variable neg writes, with its CF attributes.

Each output (:func:`neg.trace`, :func:`neg.bifurcation_diagram`, :func:`neg.simulate`, the YAML
study kinds and their result files, :func:`neg.welfare` / :func:`neg.compare`, the metrics, the
policy outputs) takes the attributes of its variables and coordinates from :data:`VARIABLES`
through :func:`attrs`, and those of a variable or coordinate named after a model parameter
(the swept ``phi`` of a trace, a scheduled ``farmers``) from :func:`parameter_attrs`. A name
missing from the table is a ``KeyError``: a new output cannot skip it.

Attributes follow the CF conventions (https://cfconventions.org, section 3):

* ``long_name``: a short description, unique in the table (one long name, one meaning);
* ``units``: a UDUNITS-2 string; ``"1"`` for dimensionless numbers (shares, rates, elasticities,
  counts, indices). Labels (region names, kinds) and flags carry no ``units``.
* ``comment``: the meaning, written out.
* flags (``stable``, ``converged``, ...) have ``flag_values`` and ``flag_meanings``; the
  variables keep their dtype (bool is stored as 0/1 bytes in netCDF, so the flag values are 0 and 1).

Values in units of the numeraire (wages, incomes, price indices, GDP) have ``units = "1"``,
because no UDUNITS unit names a model's numeraire, and their ``comment`` ends with
:data:`NUMERAIRE`: the numeraire is what the model's docstring normalises to 1 (the immobile
factor's wage in the models with a freely traded traditional sector; for Helpman, the wage bill
sum_j lam_j w_j). Model time (:func:`neg.simulate`) is dimensionless too: the migration speed
sets its scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Variable", "VARIABLES", "PARAMETERS", "NUMERAIRE", "attrs", "parameter_attrs"]

#: the sentence that ends the ``comment`` of every value in units of the numeraire
NUMERAIRE = ("In units of the numeraire: the immobile factor's wage = 1 in the models with a freely "
             "traded traditional sector; otherwise the normalisation in the model's docstring.")


@dataclass(frozen=True)
class Variable:
    """One variable (or coordinate) neg writes.

    ``units``: a UDUNITS-2 string, "1" for dimensionless values, None for labels and flags.
    ``numeraire``: the values are in units of the numeraire (the comment then says so).
    ``flags``: for a flag, (value, meaning) pairs; written as CF ``flag_values`` / ``flag_meanings``.
    """

    name: str
    long_name: str
    units: str | None
    meaning: str
    numeraire: bool = False
    flags: tuple[tuple[int, str], ...] = ()


_BOOL = ((0, "false"), (1, "true"))


def _table(*entries: Variable) -> dict[str, Variable]:
    return {v.name: v for v in entries}


V = Variable
#: every variable and coordinate neg writes (parameters: :data:`PARAMETERS`)
VARIABLES: dict[str, Variable] = _table(
    # ------------------------------------------------------------ the short run at a state
    V("lam", "share of the mobile factor", "1",
      "Shares of the mobile factor (workers, entrepreneurs, capital, ...) across regions, summing "
      "to 1 (for grouped states, across the regions within each group: industries, HQ/plant "
      "configurations)."),
    V("wage", "nominal reward of the mobile factor", "1",
      "Nominal reward of one unit of the mobile factor in each region: workers' wage, "
      "entrepreneurs' or capital's operating profit; defined also where the share is 0 (what a "
      "deviant would earn there).", numeraire=True),
    V("income", "nominal income", "1",
      "Regional income (expenditure) Y_i in the solver outputs; in neg.welfare, nominal income "
      "per head of each group in each region (income_total is the regional total).", numeraire=True),
    V("price_index", "price index of manufactures", "1",
      "CES price index G_i of manufactures in each region.", numeraire=True),
    V("real_wage", "real reward of the mobile factor", "1",
      "Real reward of the mobile factor: its nominal reward deflated by the cost of living "
      "(indirect utility per head), in units of the consumption bundle; money-metric (numeraire) "
      "for quasi-linear utility (Pflueger)."),
    V("payoff", "payoff equalised by migration", "1",
      "What the long-run migration dynamics equalise across occupied regions: the real wage, "
      "except for footloose capital, whose owners do not move (the nominal return)."),
    # ------------------------------------------------------------ long-run diagnostics
    V("stable", "equilibrium is stable", None,
      "True if every eigenvalue of the migration dynamics (on the simplex, plus the corner "
      "conditions of empty regions) has negative real part.", flags=((0, "unstable"), (1, "stable"))),
    V("converged", "solve converged", None,
      "The solve behind the values converged: the long run at this point to a stable equilibrium "
      "(trace: an unstable state is never the path), the long run (equilibrium), the "
      "short run at this time (simulate), or the point's solve (study result files).",
      flags=((0, "not_converged"), (1, "converged"))),
    V("residual", "residual of the solve", "1",
      "Relative payoff gap of the equilibrium (trace): max over occupied regions of "
      "|payoff_i - mean| and over empty ones of max(payoff_i - mean, 0), over the mean payoff; in "
      "study result files, the point's residual (payoff gap, or the eigenvalue at a located "
      "break point)."),
    V("iterations", "steps of the migration dynamics", "1",
      "Steps of the migration dynamics taken by the long run (0 for a root-finder start)."),
    V("leading_eigenvalue", "leading eigenvalue of the migration dynamics", "1",
      "Largest real part of the eigenvalues of the migration dynamics at the equilibrium "
      "(negative: stable); a rate per unit of model time."),
    # ------------------------------------------------------------ study kinds
    V("n_equilibria", "number of equilibria found", "1", "Number of long-run equilibria found."),
    V("pattern", "pattern of the equilibrium", None,
      "agglomerated (one region occupied), partial, or dispersed (every region occupied)."),
    V("equilibria_residual", "relative payoff gap of each equilibrium", "1",
      "The residual of each equilibrium found (see residual)."),
    V("break_point", "break point (freeness)", "1",
      "Freeness of trade phi at which the symmetric (dispersed) state changes stability."),
    V("sustain_point", "sustain point (freeness)", "1",
      "Freeness of trade phi above which full agglomeration is sustainable."),
    V("break_T", "break point (iceberg trade cost)", "1",
      "The break point as an iceberg factor T = phi^(1/(1 - sigma))."),
    V("sustain_T", "sustain point (iceberg trade cost)", "1",
      "The sustain point as an iceberg factor T = phi^(1/(1 - sigma))."),
    V("has_break", "a break point exists", None, "A break point exists in (0, 1).", flags=_BOOL),
    V("has_sustain", "a sustain point exists", None, "A sustain point exists in (0, 1).", flags=_BOOL),
    V("short_run_solves", "short-run solves used", "1", "Number of short-run equilibria computed."),
    V("integration_status", "status of the time integration", None,
      "Status of the ODE integration of the relocation path (scipy's solve_ivp).",
      flags=((-1, "failed"), (0, "completed"))),
    V("trace_converged", "long run converged along the trace", None,
      "The long run converged at this point of the trace (the trace's own converged).",
      flags=((0, "not_converged"), (1, "converged"))),
    V("trace_residual", "relative payoff gap along the trace", "1",
      "The trace's own residual at this point (see residual)."),
    V("simulate_converged", "short run converged along the path", None,
      "The short run converged at this time of the simulated path (the simulation's own converged).",
      flags=((0, "not_converged"), (1, "converged"))),
    V("failed", "point failed", None, "The point raised an error (its results are NaN).",
      flags=((0, "ok"), (1, "failed"))),
    V("error", "error message", None, "Error message of a failed point (empty otherwise)."),
    V("seconds", "compute time", "s", "Wall-clock compute time of the point."),
    # ------------------------------------------------------------ bifurcation diagram
    V("branch_kind", "kind of branch", None,
      "Kind of branch of equilibria: uniform, interior, face or agglomerated."),
    V("support_size", "number of occupied regions", "1",
      "Number of regions with a positive share on the branch."),
    V("stalled", "continuation stalled", None,
      "Continuation of the branch stopped without progress (a degenerate branch).", flags=_BOOL),
    V("lost", "branch lost", None,
      "The branch could not be followed to its end (or not started): no equilibrium within the "
      "smallest step, a special point that could not be located, or payoffs that cannot be solved; "
      "its points up to there are kept.", flags=_BOOL),
    V("lost_reason", "why the branch was lost", None,
      "What neg was doing, on which face and at which parameter value, when the branch was lost "
      "(empty for branches followed to their end)."),
    V("special_kind", "kind of special point", None,
      "Kind of special point: branch (bifurcation), fold or corner (sustain)."),
    V("special_value", "parameter value at the special point", "1",
      "Value of the swept parameter (attrs param) at the special point."),
    V("special_lam", "shares at the special point", "1",
      "Shares of the mobile factor at the special point."),
    V("special_branch", "branch of the special point", "1",
      "Index (along dim branch) of the branch on which the special point lies."),
    # ------------------------------------------------------------ welfare and compare
    V("population", "population", "1",
      "People (units of the factor) of each group in each region."),
    V("utility", "indirect utility per head", "1",
      "Indirect utility per head of each group in each region (see the model's docstring)."),
    V("welfare", "regional welfare", "1",
      "Utilitarian welfare of the region: sum over groups of population x utility per head."),
    V("income_total", "regional income", "1",
      "Nominal income of the region: sum over groups of population x income per head.",
      numeraire=True),
    V("real_income", "real regional income", "1",
      "Regional income deflated by the cost of living (money-metric for quasi-linear utility; "
      "attrs deflator).", numeraire=True),
    V("gdp", "gross regional product", "1",
      "Value added produced in the region (GDP).", numeraire=True),
    V("real_gdp", "real gross regional product", "1",
      "GDP deflated by the cost of living (money-metric for quasi-linear utility; attrs deflator).",
      numeraire=True),
    V("cost_of_living", "cost of living", "1",
      "Exact price index of the homothetic utility (NaN for quasi-linear utility).", numeraire=True),
    V("group_utility", "mean utility per head of the group", "1",
      "Population-weighted mean utility per head of each group over the regions."),
    V("national_welfare", "national welfare", "1", "Sum of welfare over the regions."),
    V("national_utility", "national mean utility per head", "1",
      "National welfare over the total population."),
    V("national_real_income", "national real income", "1", "Sum of real income over the regions.",
      numeraire=True),
    V("national_real_gdp", "national real GDP", "1", "Sum of real GDP over the regions.", numeraire=True),
    V("national_gdp", "national GDP", "1", "Sum of GDP over the regions.", numeraire=True),
    V("population_total", "total population", "1", "Total population over groups and regions."),
    V("mobile", "group is the mobile factor", None,
      "True for the group that moves between regions.", flags=_BOOL),
    V("utility_change", "change of utility per head", "1",
      "After minus before, per head of each group in each region (NaN where the group is absent in "
      "either state)."),
    V("utility_change_pct", "change of utility per head (percent)", "percent",
      "utility_change relative to |utility before|, in percent."),
    V("population_change", "change of population", "1", "After minus before."),
    V("lam_change", "change of the share of the mobile factor", "1", "After minus before."),
    V("welfare_change", "change of regional welfare", "1", "After minus before."),
    V("real_income_change", "change of real regional income", "1", "After minus before.",
      numeraire=True),
    V("gdp_change", "change of gross regional product", "1", "After minus before.", numeraire=True),
    V("real_gdp_change", "change of real gross regional product", "1", "After minus before.",
      numeraire=True),
    V("real_gdp_change_pct", "change of real gross regional product (percent)", "percent",
      "real_gdp_change relative to |real GDP before|, in percent."),
    V("group_utility_change", "change of the mean utility per head of the group", "1",
      "After minus before."),
    V("national_welfare_change", "change of national welfare", "1", "After minus before."),
    V("national_welfare_change_pct", "change of national welfare (percent)", "percent",
      "Relative to |national welfare before|, in percent."),
    V("national_utility_change", "change of national mean utility per head", "1",
      "After minus before."),
    V("national_utility_change_pct", "change of national mean utility per head (percent)", "percent",
      "Relative to |national mean utility before|, in percent."),
    V("national_real_income_change", "change of national real income", "1", "After minus before.",
      numeraire=True),
    V("national_real_income_change_pct", "change of national real income (percent)", "percent",
      "Relative to |national real income before|, in percent."),
    V("national_real_gdp_change", "change of national real GDP", "1", "After minus before.",
      numeraire=True),
    V("national_real_gdp_change_pct", "change of national real GDP (percent)", "percent",
      "Relative to |national real GDP before|, in percent."),
    V("national_gdp_change", "change of national GDP", "1", "After minus before.", numeraire=True),
    V("national_gdp_change_pct", "change of national GDP (percent)", "percent",
      "Relative to |national GDP before|, in percent."),
    # ------------------------------------------------------------ metrics
    V("crossing", "coordinate at which the share first crosses the threshold", None,
      "Value of the coordinate along attrs dim at which the region's share first rises above "
      "(industrialisation) or falls below (deindustrialisation) attrs threshold; NaN if never. "
      "Units: those of that coordinate."),
    V("rank", "order of crossing", "1",
      "Order in which the regions cross the threshold (1 = first; ties share a rank; NaN = never)."),
    V("lag", "crossing minus the crossing of the reference region", None,
      "Crossing of the region minus that of the reference region, along the direction of travel. "
      "Units: those of the coordinate along attrs dim."),
    V("initial", "share past the threshold at the start", None,
      "The region's share is already past the threshold at the first coordinate.", flags=_BOOL),
    V("reference", "reference region", None, "Reference region of the lags (default: the initial core)."),
    V("distance_from_core", "share-weighted mean distance from the core", "1",
      "sum_i lam_i d(core, i) / sum_i lam_i, in the geography's distance units."),
    V("herfindahl", "Herfindahl index of shares", "1",
      "sum_i lam_i^2: 1/K for the uniform distribution, 1 for full agglomeration."),
    V("spatial_gini", "spatial Gini coefficient of shares", "1",
      "Weighted Gini coefficient of the densities lam_i / w_i (attrs weighted)."),
    V("top_k_share", "share of the k largest regions", "1",
      "Sum of the k largest shares (attrs k); written as the variable top_<k>_share."),
    V("krugman_specialisation", "Krugman specialisation index", "1",
      "sum_k |s_ik - s_jk| between the industry structures of regions i and j: 0 (same) to 2."),
    # ------------------------------------------------------------ policy
    V("agglomeration_rent", "agglomeration rent", "1",
      "Loss of a mobile unit moving from a full core to the best peripheral region: "
      "omega_core / omega_periphery - 1 (measure ratio) or omega_core - omega_periphery "
      "(measure difference, in units of the numeraire; attrs measure)."),
    V("objective", "objective of the region", "1",
      "Each region's objective (tax revenue, welfare, ...) at the outcome of the tax game."),
    V("history", "tax rates after each round", "1",
      "Tax rates after every round of best responses (the first row: the start)."),
    # ------------------------------------------------------------ MultiIndustry.by_industry
    V("employment", "employment in the industry", "1",
      "Employment L_ik of industry k in region i, in units of labour (total labour_total)."),
    V("agriculture", "share of the region's labour in agriculture", "1",
      "Share of the region's labour employed in agriculture."),
    V("manufacturing", "share of world manufacturing employment", "1",
      "The region's share of world manufacturing employment."),
    V("industry", "industry", None, "Name of the industry."),
    V("labour_share", "labour share of the industry", "1", "Labour share ell_k of industry k."),
    # ------------------------------------------------------------ coordinates
    # ------------------------------------------------------------ shocks and cycles
    V("shock", "log shock to the target parameter", "1",
      "AR(1) log shock s_it of neg.simulate_shocks: the shocked parameter is x_i exp(s_it) "
      "(attrs target)."),
    V("shocks_converged", "short run converged in every period", None,
      "Study kind shocks: the short run of every period of every sample converged.", flags=_BOOL),
    V("sample", "sample of the ensemble", "1",
      "Index of an independent shock path (its random numbers depend only on the seed and it)."),
    V("volatility", "volatility of the cyclical component", "1",
      "Standard deviation over time of the cyclical component of log regional GDP (HP filter)."),
    V("mean_volatility", "mean volatility of the cyclical components", "1",
      "Mean over regions of the volatility of the cyclical component of log regional GDP."),
    V("correlation", "correlation of cyclical components", "1",
      "Pearson correlation over time of the cyclical components of two regions."),
    V("mean_correlation", "mean pairwise correlation of cyclical components", "1",
      "Mean over pairs of regions i < j of the correlation of their cyclical components."),
    V("concordance", "Harding-Pagan concordance", "1",
      "Share of periods in which two regions are in the same phase (expansion or contraction)."),
    V("concordance_independent", "concordance expected under independence", "1",
      "Harding-Pagan concordance expected if the two phase series were independent: "
      "p_a p_b + (1 - p_a)(1 - p_b), p the shares of expansion periods."),
    V("mean_concordance", "mean pairwise concordance", "1",
      "Mean over pairs of regions i < j of the Harding-Pagan concordance of their phases."),
    V("mean_concordance_independent", "mean pairwise concordance under independence", "1",
      "Mean over pairs of regions of the concordance expected under independence."),
    V("sigma_convergence", "dispersion of log regional GDP", "1",
      "Cross-regional standard deviation of log GDP in each period (sigma convergence: it falls)."),
    V("growth_dispersion", "dispersion of regional growth rates", "1",
      "Cross-regional standard deviation of growth rates (first differences of log GDP) in each "
      "period."),
    V("beta_convergence", "beta convergence coefficient", "1",
      "Slope b of the OLS regression of mean growth over the period on initial log GDP across "
      "regions (b < 0: beta convergence)."),
    V("share_volatility", "volatility of the share of the mobile factor", "1",
      "Standard deviation over time of the first differences of each region's share."),
    V("real_wage_gap", "dispersion of real wages", "1",
      "Cross-regional standard deviation of log real wages, mean over time."),
    V("region", "region", None, "Name of the region."),
    V("region_", "region (second index)", None, "Copy of region, for pairs of regions."),
    V("state", "component of the long-run state", None,
      "Label of a component of a grouped long-run state (industry x region, HQ/plant pair, ...)."),
    V("group", "group", None,
      "Group: a simplex of the long-run state (simulate), or a group of people (neg.welfare)."),
    V("direction", "direction of the trace", None,
      "up: the parameter increases along the path; down: it decreases."),
    V("time", "time", "1",
      "Model time of the relocation path; dimensionless, its scale set by the migration speed."),
    V("lat", "latitude", "degrees_north",
      "Latitude of the region; for neg.centre_of_gravity, the share-weighted mean latitude."),
    V("lon", "longitude", "degrees_east",
      "Longitude of the region; for neg.centre_of_gravity, the share-weighted mean longitude."),
    V("round", "round of best responses", "1", "Round of the tax game (0: the start)."),
    V("case", "case of the sweep", "1", "Index of the case of a zip sweep."),
    V("sample", "sample of the sweep", "1", "Index of the sample of a random sweep."),
    V("sweep_point", "point of the sweep", "1", "Global index of the point of a sweep."),
    V("equilibrium", "number of the equilibrium", "1",
      "Index of an equilibrium found at the point (0, 1, ...; padded where a point has fewer)."),
    V("branch", "number of the branch", "1", "Index of a branch of equilibria of the diagram."),
    V("point", "number of the point on the branch", "1",
      "Index of a computed point along a branch of the diagram."),
    V("special", "number of the special point", "1",
      "Index of a special point (bifurcation, fold, corner) of the diagram."),
    # ------------------------------------------------------------ settings a study can sweep
    V("speed", "migration speed", "1",
      "Speed of the migration dynamics of neg.simulate: per unit of payoff difference and model "
      "time (replicator), per unit of model time (logit)."),
    V("migration_speed", "migration speed per period", "1",
      "Speed of the migration dynamics between the periods of neg.simulate_shocks (0: nobody "
      "moves)."),
    V("dispersion", "dispersion of the logit choice", "1",
      "eta of the logit choice probabilities of the migration dynamics, in payoff units."),
    V("migration_cost", "migration cost", "1",
      "Payoff gain a move must exceed, in payoff units."),
)
del V

#: the common model parameters (coordinates and variables named after a parameter); a model's
#: own parameters are declared with the model and passed to :func:`parameter_attrs`
PARAMETERS: dict[str, Variable] = _table(
    Variable("sigma", "elasticity of substitution", "1",
             "Elasticity of substitution between manufactured varieties (sigma > 1)."),
    Variable("mu", "expenditure share of manufactures", "1",
             "Share of expenditure spent on manufactures."),
    Variable("phi", "freeness of trade", "1",
             "Freeness of trade per unit distance, phi = T^(1 - sigma), in (0, 1]."),
    Variable("T", "iceberg trade cost", "1",
             "Iceberg factor per unit distance: units shipped per unit arriving (>= 1)."),
    Variable("tax", "tax rate on the mobile factor", "1",
             "Tax rate on the mobile factor's income, by region (negative: a subsidy)."),
    Variable("cost", "extra production cost", "1",
             "Extra production cost on firms, by region: marginal cost times 1 + cost."),
    Variable("share_cap", "upper bound on the share", "1",
             "Upper bound on the region's share of the mobile factor (development zones: 0 = "
             "prohibited, 1 = unrestricted)."),
    Variable("amenity", "amenity", "1",
             "Amenity of the region, a fundamental (quality of life, public services, residence "
             "rights): multiplies the mobile factor's payoff there (> 0, 1 = none)."),
    Variable("productivity", "productivity", "1",
             "Productivity of the region's firms, a fundamental (technology, key resources): "
             "they need 1/productivity times the variable input per unit of output (> 0)."),
)


def _cf(v: Variable) -> dict:
    out = {"long_name": v.long_name}
    if v.units is not None:
        out["units"] = v.units
    out["comment"] = f"{v.meaning} {NUMERAIRE}" if v.numeraire else v.meaning
    if v.flags:
        out["flag_values"] = np.array([f[0] for f in v.flags], dtype=np.int8)
        out["flag_meanings"] = " ".join(f[1] for f in v.flags)
    return out


def attrs(name: str, **extra) -> dict:
    """The CF attributes of variable ``name`` from :data:`VARIABLES`, updated with ``extra``
    (attributes that only the output knows, e.g. ``k`` of a top-k share).

    Raises KeyError for a name missing from the table."""
    try:
        v = VARIABLES[name]
    except KeyError:
        raise KeyError(f"variable {name!r} is not in neg.variables.VARIABLES: add an entry (long name, "
                       f"units, meaning) for every variable neg writes") from None
    return {**_cf(v), **extra}


def parameter_attrs(param: str, declared: Variable | None = None, **extra) -> dict:
    """The CF attributes of a coordinate or variable named after the model parameter ``param``
    (``"phi"``, or one entry ``"farmers[0]"`` of a per-region parameter).

    ``declared``: the parameter's declaration by its model, if it has one; else the entry of
    :data:`PARAMETERS`; a parameter in neither gets its name as long name (no units)."""
    param = str(param)
    base = param.split("[", 1)[0].strip()
    v = declared if declared is not None else PARAMETERS.get(base)
    if v is None:
        return {"long_name": f"model parameter {param}", **extra}
    out = _cf(v)
    if base != param:
        out["long_name"] = f"{v.long_name} ({param})"
    return {**out, **extra}
