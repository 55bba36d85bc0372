"""Regenerate the figures in docs/img from the code: ``.venv/bin/python docs/figures.py``."""

from pathlib import Path

import numpy as np

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
    """Falling trade costs on a line of 5 regions: industry concentrates, then the core shifts."""
    geo = neg.Geography.line(5)
    model = neg.CorePeriphery(5.0, 0.4, phi=0.1, geography=geo)
    schedule = {"phi": [(0.0, 0.1), (50.0, 0.6)]}
    lam0 = np.array([0.22, 0.2, 0.2, 0.19, 0.19])
    ds = neg.simulate(model, schedule, lam0, t_end=100.0, steps=200, speed=20.0)
    neg.plot.paths(ds, twin="phi", path=IMG / "relocation.png")
    return ds


if __name__ == "__main__":
    IMG.mkdir(exist_ok=True)
    for make in (tomahawk, racetrack, hysteresis, relocation):
        make()
        print("wrote", make.__name__)
