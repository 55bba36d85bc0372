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


if __name__ == "__main__":
    IMG.mkdir(exist_ok=True)
    for make in (tomahawk, racetrack, hysteresis, relocation):
        make()
        print("wrote", make.__name__)
