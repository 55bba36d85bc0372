"""Result objects: frozen dataclasses with named fields (QuantEcon style)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["ShortRun", "Equilibrium"]


@dataclass(frozen=True)
class ShortRun:
    """Short-run (instantaneous) equilibrium for a given distribution ``lam`` of the mobile factor.

    Arrays have the region as their last axis; a batched solve adds leading axes.

    Fields
    ------
    lam : distribution of the mobile factor (shares, sum to 1).
    wage : nominal reward of the mobile factor in each region (workers' wage, entrepreneurs'
        or capital's operating profit). Defined also where ``lam_i = 0`` (the reward a
        deviant would earn there).
    income : regional income (expenditure) Y_i.
    price_index : CES price index G_i of manufactures.
    real_wage : real reward of the mobile factor (indirect utility per person).
    payoff : what the long run equalises (the real wage, except for footloose capital where it
        is the nominal return because capital owners do not move).
    converged, iterations, residual : solver diagnostics (max |F(x) - x| in logs).
    method : the fixed-point method used.
    state : the solver's unknowns at the solution (for warm starts).
    """

    lam: np.ndarray
    wage: np.ndarray
    income: np.ndarray
    price_index: np.ndarray
    real_wage: np.ndarray
    payoff: np.ndarray
    converged: np.ndarray | bool
    iterations: np.ndarray | int
    residual: np.ndarray | float
    method: str = "anderson"
    state: np.ndarray | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Equilibrium:
    """A long-run equilibrium: no mobile unit gains by moving.

    Fields
    ------
    lam : shares of the mobile factor; equal ``payoff`` wherever ``lam_i > 0`` and no higher
        payoff where ``lam_i = 0``.
    real_wage, wage, income, price_index, payoff : the short run at ``lam``.
    stable : True if every eigenvalue of the migration dynamics (restricted to the simplex, plus
        the corner conditions of empty regions) has negative real part.
    eigenvalues : those eigenvalues (face directions first, then one per empty region).
    converged : True if the payoff gap fell below the tolerance and the short run converged.
    iterations : steps of the migration dynamics (0 for a root-finder start).
    residual : the payoff gap, max over occupied regions of |payoff_i - mean| and over empty
        regions of max(payoff_i - mean, 0), relative to the mean payoff scale.
    """

    lam: np.ndarray
    real_wage: np.ndarray
    stable: bool
    eigenvalues: np.ndarray
    converged: bool
    iterations: int
    residual: float = np.nan
    wage: np.ndarray | None = None
    income: np.ndarray | None = None
    price_index: np.ndarray | None = None
    payoff: np.ndarray | None = None

    @property
    def support(self) -> np.ndarray:
        """Indices of the regions with a positive share."""
        return np.flatnonzero(self.lam > 0)

    @property
    def kind(self) -> str:
        """'agglomerated' (one region), 'dispersed' (all regions) or 'partial'."""
        n = int(np.count_nonzero(self.lam > 0))
        return "agglomerated" if n == 1 else ("dispersed" if n == self.lam.size else "partial")
