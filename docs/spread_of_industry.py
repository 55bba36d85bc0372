"""The spread of industry (Puga & Venables 1996) with :class:`neg.MultiIndustry`: run
configs/spread_of_industry.yaml, report the order of events with the gradient-transfer metrics and
draw docs/img/spread_of_industry.png.

    .venv/bin/python docs/spread_of_industry.py

Four industries (labour shares 0.6, 0.5, 0.4, 0.3), a core r0 and peripheral regions r1-r3 on a
line; the core's demand grows from 0 to 30. Prints when each industry leaves the core (the core's
share of its employment falls below 1/2) and when each region industrialises (its share of world
manufacturing employment rises above 5%), in units of the core's demand.
"""

from pathlib import Path

import numpy as np

import neg
import neg.plot  # noqa: F401 - selects a headless matplotlib backend when there is no display
from neg.study import load_study

HERE = Path(__file__).resolve().parent
CONFIG = HERE.parent / "configs" / "spread_of_industry.yaml"
IMG = HERE / "img" / "spread_of_industry.png"


def events(model, ds):
    """(by-industry dataset, demand at which each industry leaves the core, demand at which each
    region industrialises)."""
    by = model.by_industry(ds)

    def demand(t):
        return np.interp(t, ds["time"].values, ds["demand"].values)

    leave = neg.metrics.deindustrialisation_order(by["lam"], threshold=0.5, reference="r0")
    enter = neg.metrics.industrialisation_order(by["manufacturing"], threshold=0.05)
    return (by, demand(leave["crossing"].sel(region="r0").values),
            np.where(enter["initial"].values, 0.0, demand(enter["crossing"].values)))


def figure(model, ds, by, path=IMG):
    import matplotlib.pyplot as plt

    D = ds["demand"].values
    fig, axes = plt.subplots(1, model.I + 1, figsize=(3.0 * (model.I + 1), 2.9), sharex=True)
    colours = plt.cm.viridis(np.linspace(0.0, 0.85, model.K))
    for k, ax in enumerate(axes[:-1]):
        for r, c in zip(range(model.K), colours, strict=True):
            ax.plot(D, by["lam"].values[:, r, k], color=c, label=model.geography.names[r])
        ax.set_title(f"{model.industry_names[k]} (labour share {model.labour_share[k]:.1f})", fontsize=9)
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("core's demand")
    axes[0].set_ylabel("region's share of the industry")
    axes[0].legend(fontsize=8, frameon=False)
    ax = axes[-1]
    for r, c in zip(range(model.K), colours, strict=True):
        ax.plot(D, ds["wage"].values[:, r], color=c)
    ax.set_title("wage", fontsize=9)
    ax.set_xlabel("core's demand")
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def main():
    model = load_study(CONFIG).build()[0]
    ds = neg.run(CONFIG, workers=1, quiet=True, output=HERE.parent / "results" / "spread_of_industry.nc")
    by, leave, enter = events(model, ds)
    for name, ell, d in zip(model.industry_names, model.labour_share, leave, strict=True):
        print(f"{name} (labour share {ell:.1f}) leaves the core at demand "
              f"{'never (within 0-30)' if not np.isfinite(d) else f'{d:.2f}'}")
    for r, d in zip(model.geography.names, enter, strict=True):
        print(f"{r} industrialises at demand {d:.2f}")
    IMG.parent.mkdir(exist_ok=True)
    figure(model, ds, by)
    print("wrote", IMG)


if __name__ == "__main__":
    main()
