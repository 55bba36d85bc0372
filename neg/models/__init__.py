"""Model registry: configuration name -> model class.

Adding a model = one module (neg/models/<name>.py: its parameter declarations, kernels and
class; see docs/architecture.md) + one line in REGISTRY below. A model defined outside neg (a
script, a test) is made known to YAML studies with :func:`register`.
"""

from neg.models.base import Capability, FreeTradeWarning, Kernels, Model, ModelProtocol
from neg.models.core_periphery import CorePeriphery
from neg.models.footloose_capital import FootlooseCapital
from neg.models.footloose_entrepreneur import FootlooseEntrepreneur
from neg.models.fujita_thisse import FujitaThisse
from neg.models.headquarters_plant import HeadquartersPlant
from neg.models.helpman import Helpman
from neg.models.linear import Linear
from neg.models.multi_industry import MultiIndustry
from neg.models.params import Param
from neg.models.pflueger import Pflueger
from neg.models.vertical_linkages import VerticalLinkages

REGISTRY: dict[str, type[Model]] = {
    "core_periphery": CorePeriphery,
    "footloose_entrepreneur": FootlooseEntrepreneur,
    "footloose_capital": FootlooseCapital,
    "pflueger": Pflueger,
    "vertical_linkages": VerticalLinkages,
    "helpman": Helpman,
    "headquarters_plant": HeadquartersPlant,
    "multi_industry": MultiIndustry,
    "linear": Linear,
    "fujita_thisse": FujitaThisse,
}


def register(name: str, cls: type[Model]) -> type[Model]:
    """Make ``cls`` known to studies as ``model.name: <name>`` (returns ``cls``).

    Registration is per process: a study with a registered model runs with ``workers=1`` (or
    in workers that import the module registering it). Re-registering a name with the same
    class is allowed; another class under a taken name is an error."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"register: a model name must be an identifier, got {name!r}")
    if not (isinstance(cls, type) and issubclass(cls, Model)):
        raise TypeError(f"register: {cls!r} is not a neg model class (a subclass of neg.models.Model)")
    if REGISTRY.get(name, cls) is not cls:
        raise ValueError(f"register: {name!r} is already the name of {REGISTRY[name].__name__}")
    REGISTRY[name] = cls
    return cls


__all__ = [
    "Model", "ModelProtocol", "Capability", "FreeTradeWarning", "Kernels", "Param", "REGISTRY", "register",
    "CorePeriphery", "FootlooseEntrepreneur", "FootlooseCapital", "Pflueger", "VerticalLinkages",
    "Helpman", "MultiIndustry", "HeadquartersPlant", "Linear", "FujitaThisse",
]
