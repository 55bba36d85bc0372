"""Model registry: configuration name -> model class. Adding a model = one module + one line."""

from neg.models.base import Model
from neg.models.core_periphery import CorePeriphery

REGISTRY: dict[str, type[Model]] = {
    "core_periphery": CorePeriphery,
}

__all__ = ["Model", "REGISTRY", "CorePeriphery"]
