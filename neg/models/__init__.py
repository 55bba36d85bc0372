"""Model registry: configuration name -> model class. Adding a model = one module + one line."""

from neg.models.base import Model
from neg.models.core_periphery import CorePeriphery
from neg.models.footloose_capital import FootlooseCapital
from neg.models.footloose_entrepreneur import FootlooseEntrepreneur
from neg.models.headquarters_plant import HeadquartersPlant
from neg.models.helpman import Helpman
from neg.models.multi_industry import MultiIndustry
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
}

__all__ = [
    "Model", "REGISTRY", "CorePeriphery", "FootlooseEntrepreneur", "FootlooseCapital", "Pflueger",
    "VerticalLinkages", "Helpman", "MultiIndustry", "HeadquartersPlant",
]
