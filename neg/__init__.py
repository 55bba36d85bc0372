"""neg: spatial general-equilibrium models of new economic geography."""

from neg import datasets, metrics, policy
from neg._version import __version__
from neg.calibration import CalibrateOptions, Calibration, calibrate
from neg.geography import Geography
from neg.models import (
    REGISTRY,
    Capability,
    CorePeriphery,
    FootlooseCapital,
    FootlooseEntrepreneur,
    FreeTradeWarning,
    Model,
    Param,
    Pflueger,
    register,
)
from neg.models.fujita_thisse import FujitaThisse
from neg.models.headquarters_plant import HeadquartersPlant
from neg.models.helpman import Helpman
from neg.models.linear import Linear
from neg.models.multi_industry import MultiIndustry
from neg.models.vertical_linkages import VerticalLinkages
from neg.results import Equilibrium, ShortRun
from neg.shocks import Shocks, ShocksOptions, simulate_shocks
from neg.solvers.bifurcation import NoBifurcationWarning, break_point, break_points, sustain_point
from neg.solvers.continuation import TraceOptions, bifurcation_diagram, trace
from neg.solvers.diagram import DiagramOptions
from neg.solvers.fixed_point import SolverOptions, short_run, short_run_batch
from neg.solvers.long_run import EquilibriaOptions, LongRunOptions, equilibria, long_run, stability
from neg.solvers.simulate import Schedule, SimulateOptions, simulate
from neg.study import run  # YAML studies: neg.run(config, **overrides)
from neg.welfare import compare, welfare

__all__ = [
    "__version__", "Geography", "CorePeriphery", "FootlooseEntrepreneur", "FootlooseCapital",
    "Pflueger", "VerticalLinkages", "Helpman", "MultiIndustry", "REGISTRY", "ShortRun", "Equilibrium",
    "HeadquartersPlant", "Linear", "FujitaThisse",
    "SolverOptions", "short_run", "short_run_batch", "long_run", "equilibria", "stability",
    "break_point", "break_points", "sustain_point", "NoBifurcationWarning", "trace",
    "bifurcation_diagram", "run",
    "simulate", "Schedule", "metrics", "policy", "welfare", "compare", "datasets",
    "LongRunOptions", "EquilibriaOptions", "TraceOptions", "DiagramOptions", "SimulateOptions",
    "Model", "Param", "Capability", "FreeTradeWarning",
    "register", "calibrate", "Calibration", "CalibrateOptions",
    "Shocks", "ShocksOptions", "simulate_shocks",
]
