"""phi = 1 (T = 1): trade is free. Where nothing else tells regions apart, payoffs are then equal
whatever the distribution, so every state is an equilibrium (neutrally stable) and a solver's
answer is one of them, not a prediction. The model is still built (phi = 1 ends many sweeps and
is the limit the literature discusses), with a :class:`FreeTradeWarning` (docs/models.md)."""

from __future__ import annotations

import warnings

import numpy as np

from neg.state import StateSpace


class FreeTradeWarning(UserWarning):
    """phi = 1 (free trade) in a model where every distribution is then an equilibrium."""


def warn_free_trade(model) -> None:
    """Warn if ``model`` (built with phi = 1) has equal payoffs within each group of its state at
    two states, the uniform one and a fixed uneven one (two short runs; relative spread <= 1e-12)."""
    space = StateSpace(model.state_groups())
    uneven = np.concatenate([np.linspace(1.0, 2.0, k) / np.linspace(1.0, 2.0, k).sum() for k in space.sizes])
    gaps = []
    try:
        for lam in (None, uneven):
            w = model.short_run(lam).payoff
            gaps += [np.ptp(w[space.gid == g]) / np.max(np.abs(w)) for g in range(space.G)]
    except Exception:  # noqa: BLE001 - a model whose short run fails here is left to its solvers
        return
    if max(gaps) <= 1e-12:
        warnings.warn(f"phi = 1 (T = 1, free trade): in {model.name} every distribution of the mobile "
                      "factor is then an equilibrium (payoffs are equal everywhere, stability is "
                      "neutral); results at phi = 1 show one of them, not a prediction: use phi < 1",
                      FreeTradeWarning, stacklevel=5)
