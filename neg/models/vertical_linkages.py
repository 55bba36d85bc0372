"""Vertical linkages, three labour closures, each someone else's model:

* ``labour="mobile"``: mobile manufacturing workers and immobile farmers with input-output
  links, the core-periphery vertical-linkages model of Baldwin et al., *Economic Geography and
  Public Policy* (2003), ch. 8, and Robert-Nicoud (2005, *Journal of Economic Geography* 5, "The
  structure of simple 'New Economic Geography' models") - NOT Krugman & Venables (1995) or FKV
  ch. 14, whose labour does not move between regions;
* ``labour="immobile"``: labour immobile between regions, mobile between sectors: Krugman &
  Venables (1995, *Quarterly Journal of Economics* 110, "Globalization and the inequality of
  nations") and Fujita, Krugman & Venables, *The Spatial Economy* (1999), ch. 14 with
  constant-returns agriculture (eta = 1); Puga (1999, *European Economic Review* 43, "The rise
  and fall of regional inequalities") without migration (eta < 1);
* ``labour="migration"``: Puga (1999) with interregional migration
  (:mod:`neg.models.vertical_linkages_migration`).

Firms use labour and a CES composite of all manufacturing varieties (whose price is the
manufactures price index G) as inputs, Cobb-Douglas with intermediate cost share ``alpha``:
the unit input costs q_i = w_i^(1-alpha) G_i^alpha, and (units chosen) a variety made in i
sells at q_i at the factory. Consumers spend ``gamma`` on manufactures and 1 - gamma on the
freely traded numeraire (agriculture).

Closure ``labour="mobile"`` (implemented): manufacturing workers move between regions; they
have shares ``lam_i`` of the manufacturing labour force, of total mass gamma; immobile farmers
(total 1 - gamma, shares ``farmers_i``) earn wage 1, as in :class:`neg.CorePeriphery`.
Closure ``labour="immobile"`` (Puga 1999 without migration; KV 1995 / FKV ch. 14 at eta = 1):
labour is immobile across regions
(region i has ``farmers_i`` of the world's labour, total 1) but moves between manufacturing and
agriculture within its region; agriculture has diminishing returns in labour (Cobb-Douglas in
labour and land, labour share ``eta``), so the agricultural wage a_i^(eta - 1) rises as labour
leaves it. The long-run state has one group (manufacturing share, agricultural share) per
region; the payoff is (manufacturing wage, agricultural wage). Equations, normalisation and the
two-region break points: :mod:`neg.models.vertical_linkages_immobile`. Closure
``labour="migration"`` (Puga 1999 with migration): workers move between regions and sectors,
land (shares ``farmers_i``) is immobile; the state is one group of 2K shares of the world's
labour, the payoff the real wage of each (region, sector):
:mod:`neg.models.vertical_linkages_migration`.

Equations of the mobile closure (FKV ch. 14 in structure, written there for immobile labour;
the number is that of the FKV counterpart, the normalisation is ours). With
Phi_ij = phi**d_ij = T_ij**(1 - sigma), mu_e = gamma + alpha (1 - gamma) and
1 - mu_e = (1 - alpha)(1 - gamma):

    Y_i        = gamma lam_i w_i + (1 - gamma) farmers_i                          (14.1)
    E_i        = gamma Y_i + alpha gamma lam_i w_i / (1 - alpha)                  (14.2)
                 (consumer spending plus the intermediate demand of local firms:
                 a share alpha of the value of output gamma lam_i w_i / (1 - alpha))
    G_i^(1-s)  = sum_j lam_j w_j q_j^(-s) Phi_ji,   q_j = w_j^(1-alpha) G_j^alpha (14.3)
                 (n_j = lam_j w_j / q_j firms, each selling at q_j at the factory)
    q_i^s      = sum_j Et_j G_j^(s-1) Phi_ij                                      (14.4)
                 with Et_j = (1 - alpha) E_j / gamma = mu_e lam_j w_j + (1 - mu_e) farmers_j
    omega_i    = w_i G_i^(-gamma)   (real wage of a manufacturing worker = payoff)

Normalisation: fixed cost F = gamma / ((1 - alpha) s) and marginal input (s - 1)/s, so that a
firm's output is gamma/(1 - alpha), n_j = lam_j w_j / q_j, and with alpha = 0 the equations
are *exactly* those of ``CorePeriphery(sigma, mu=gamma)`` (FKV 4.35-4.38). World income is 1
in every equilibrium (the manufacturing wage bill is gamma: sum_j lam_j w_j = 1).

The unknowns are x = (log w, log G), length 2K. The map (Jacobi in x) solves each block for its
own unknown: with c = 1 - s (1 - alpha) < 0,

    log G_i <- [log(sum_j Phi_ji lam_j w_j^c G_j^(-s alpha)) + s alpha log G_i] / c
    log w_i <- [log(sum_j Phi_ij Et_j G_j^(s-1)) / s - alpha log G_i] / (1 - alpha)

Well-posedness needs s (1 - alpha) > 1, i.e. alpha < (s - 1)/s (otherwise the price index
rises with the number of firms and (14.3) has no sensible solution); validated.

Two-region closed forms: the wage equation is that of the CP model with mu replaced by
mu_e, and at full agglomeration G_core = 1, G_periphery = phi^(1/(1-s)), so the sustain point
solves phi^(mu_e s/(s-1)) [(1 + mu_e)/2 phi + (1 - mu_e)/(2 phi)] = 1, the CP formula (FKV
5.19) with mu -> mu_e; the break point is the CP one with mu -> mu_e as well (neg.break_point
agrees to ~1e-13; tests/test_vertical_linkages.py checks 1e-8):
phi_B = (rho - mu_e)(1 - mu_e) / ((rho + mu_e)(1 + mu_e)), rho = (s - 1)/s.
No black hole requires mu_e < rho.

Policy (mobile closure; per-region ``tax``, ``cost``, ``share_cap``; see docs/policy.md).
``cost_i``: firms in region i need 1 + cost_i times the input bundle per unit of output (a
resource cost, e.g. pollution abatement), so their mill price is (1 + cost_i) q_i. Zero profit
keeps a firm's bundle use at gamma/(1 - alpha) (its output falls to gamma/((1 - alpha)
(1 + cost_i))), so n_j = lam_j w_j / q_j, E_i and incomes are unchanged and, with
c_i = (1 + cost_i)^(1-s),

    G_i^(1-s)  = sum_j lam_j c_j w_j q_j^(-s) Phi_ji
    q_i^s      = c_i sum_j Et_j G_j^(s-1) Phi_ij

``tax_i``: workers in i keep (1 - tax_i) w_i; the revenue tax_i gamma lam_i w_i is rebated
lump-sum to the farmers of region i (who finance a subsidy, tax_i < 0), so Y_i and E_i are
unchanged and omega_i = (1 - tax_i) w_i G_i^(-gamma); ``wage`` reports the gross w_i. As in
CorePeriphery, which is the case alpha = 0 also with policy. The immobile closure takes no
policy instruments (ValueError if any is set).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from neg.kernels import BLOCK_SIGNATURE, MAP_SIGNATURE
from neg.models import vertical_linkages_immobile as _imm
from neg.models import vertical_linkages_migration as _mig
from neg.models.base import Capability, Kernels, Model, workers_and_farmers
from neg.models.core_periphery import _cost_factors, cost_factor
from neg.models.vertical_linkages_immobile import (
    ALPHA,
    AMENITY,
    COST,
    FARMERS,
    GAMMA,
    PARAMS,
    PRODUCTIVITY,
    SIGMA,
    TAX,
)
from neg.operators import freeness_dot_at, freeness_tdot_at


@njit(MAP_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _map(x, lam, par, reg, Phi, out, work):
    s, gamma, alpha = par[SIGMA], par[GAMMA], par[ALPHA]
    K = lam.size
    mu_e = gamma + alpha * (1.0 - gamma)
    c = 1.0 - s * (1.0 - alpha)
    # scratch (m = 2K unknowns, so 8K doubles): [0:K] cost factors, [K:2K] u, [2K:3K] e,
    # [3K:4K] Phi^T u, [4K:5K] Phi e
    for j in range(K):
        a, b = x[j], x[K + j]
        work[j] = cost_factor(reg[COST, j], reg[PRODUCTIVITY, j], s)
        work[K + j] = lam[j] * work[j] * np.exp(c * a - s * alpha * b)
        work[2 * K + j] = (mu_e * lam[j] * np.exp(a) + (1.0 - mu_e) * reg[FARMERS, j]) * np.exp((s - 1.0) * b)
    freeness_tdot_at(Phi, work, K, work, 3 * K)
    freeness_dot_at(Phi, work, 2 * K, work, 4 * K)
    for i in range(K):
        b = x[K + i]
        out[K + i] = (np.log(work[3 * K + i]) + s * alpha * b) / c
        out[i] = (np.log(work[i] * work[4 * K + i]) / s - alpha * b) / (1.0 - alpha)


@njit(BLOCK_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _outputs(x, lam, par, reg, Phi, out):
    gamma = par[GAMMA]
    farmers, tax = reg[FARMERS], reg[TAX]
    K = lam.size
    for j in range(K):
        w = np.exp(x[j])
        G = np.exp(x[K + j])
        out[0, j] = w  # gross of tax
        out[1, j] = gamma * lam[j] * w + (1.0 - gamma) * farmers[j]
        out[2, j] = G
        out[3, j] = (1.0 - tax[j]) * w * G ** (-gamma)  # net of tax
        out[4, j] = reg[AMENITY, j] * out[3, j]  # payoff: times the amenity


@njit(BLOCK_SIGNATURE, cache=True, error_model="numpy", nogil=True)
def _jacobian(x, lam, par, reg, Phi, out):
    """dF/dx for x = (a, b) = (log w, log G), blocks [[da'/da, da'/db], [db'/da, db'/db]].

    b'_i = (log g_i + s alpha b_i)/c, g = Phi^T u, u_j = lam_j e^(c a_j - s alpha b_j):
        db'_i/da_k = Phi_ki u_k / g_i,  db'_i/db_k = s alpha (delta_ik - Phi_ki u_k / g_i) / c
    a'_i = (log h_i / s - alpha b_i)/(1 - alpha), h = Phi e, e_j = Et_j e^((s-1) b_j):
        da'_i/da_k = Phi_ik mu_e lam_k w_k e^((s-1) b_k) / (s (1 - alpha) h_i)
        da'_i/db_k = (Phi_ik (s - 1) e_k / (s h_i) - alpha delta_ik) / (1 - alpha)
    The cost factors c_j multiply u_j; in a'_i, c_i is a constant factor of h_i and drops out.
    """
    s, gamma, alpha = par[SIGMA], par[GAMMA], par[ALPHA]
    farmers = reg[FARMERS]
    K = lam.size
    cf = np.empty(K)
    _cost_factors(reg[COST], reg[PRODUCTIVITY], s, cf)
    mu_e = gamma + alpha * (1.0 - gamma)
    rest = np.empty(K)
    for j in range(K):
        rest[j] = (1.0 - mu_e) * farmers[j]
    _imm.assemble_jacobian(x, lam, cf, rest, s, alpha, mu_e, Phi, out)


_MOBILE = Kernels(_map, _outputs, _jacobian)
_IMMOBILE = Kernels(_imm._map, _imm._outputs, _imm._jacobian, _imm._payoff)
_MIGRATION = Kernels(_mig._map, _mig._outputs, _mig._jacobian, _mig._payoff)


class VerticalLinkages(Model):
    """Vertical linkages through intermediate inputs: mobile labour (Baldwin et al. 2003 ch. 8;
    Robert-Nicoud 2005), immobile labour (Krugman & Venables 1995, FKV 1999 ch. 14 at eta = 1;
    Puga 1999 without migration) or migration (Puga 1999 with migration).

    Parameters
    ----------
    sigma, phi (or ``T=``), geography : the common parameters (see :class:`neg.models.base.Model`).
    gamma : consumers' expenditure share of manufactures = mass of manufacturing workers, in (0, 1).
    alpha : cost share of intermediate manufactures in production, in [0, (sigma - 1)/sigma).
        alpha = 0 is ``CorePeriphery(sigma, mu=gamma)``.
    (Intermediates bear the same trade costs ``phi`` as final goods.)
    labour : ``"mobile"`` (workers move between regions), ``"immobile"`` (workers immobile
        across regions, moving between manufacturing and agriculture) or ``"migration"``
        (workers move between regions and sectors, land immobile: Puga 1999 with migration).
    farmers : mobile closure: shares of the immobile farmers (total 1 - gamma, wage 1); immobile
        closure: each region's share L_i of the world's labour (total 1), all of it immobile,
        and of the land; migration closure: each region's share T_i of the land.
        Default uniform.
    eta : immobile and migration closures (required there, None otherwise): labour's share in
        agriculture, in (0, 1]; agricultural output (L_i/eta) a_i^eta, wage a_i^(eta - 1)
        (migration: (T_i/eta)(L^A_i/T_i)^eta, wage (L^A_i/T_i)^(eta - 1)); eta < 1:
        diminishing returns, the agricultural wage's elasticity in farm employment is
        eta - 1; eta = 1: constant agricultural wage 1.
    tax : mobile closure: per-region tax rate on manufacturing workers' wages in [-1, 1)
        (negative: a subsidy), default 0; the revenue is rebated lump-sum to the farmers of the
        region (who also finance a subsidy), so regional income is unchanged.
    cost : mobile closure: per-region extra production cost >= 0 (environmental regulation),
        default 0: firms in region i need 1 + cost_i times the input bundle per unit of output
        (a resource cost), so their price is (1 + cost_i) q_i.
    share_cap : mobile closure: per-region upper bound on the share of manufacturing workers in
        [0, 1] (development zones, enforced by the long-run solvers), default 1 (none).
        The immobile closure supports no policy instruments: setting any of the three raises
        ``ValueError``.

    Mobile closure: ``wage`` is the gross wage; ``real_wage`` = ``payoff`` =
    (1 - tax) w G^(-gamma).

    Immobile closure: the state is ``(m_0, a_0, m_1, a_1, ...)`` (share of region i's labour in
    manufacturing and in agriculture; ``state_groups() = (2,) * K``), the payoff the
    (manufacturing, agricultural) wage of each region; outputs per region: ``wage`` = the average
    wage of its workers, ``income``, ``price_index`` G, ``real_wage`` = wage G^(-gamma).
    """

    parameters = PARAMS
    positional = ("sigma", "gamma", "alpha", "phi", "geography", "labour", "farmers", "eta")
    # mobile closure
    capabilities = frozenset({Capability.POLICY, Capability.WELFARE, Capability.FUNDAMENTALS})

    # the kernels depend on the labour closure (mobile: the module's; immobile: _imm's)
    @property
    def kernels(self) -> Kernels:
        return {"immobile": _IMMOBILE, "migration": _MIGRATION}.get(self.labour, _MOBILE)

    mobile_factor = "workers"
    mobile_mass_of = "gamma"  # mobile closure

    def _validate(self) -> None:
        alpha = self.alpha
        rho = (self.sigma - 1.0) / self.sigma
        if not alpha < rho:
            raise ValueError(
                f"alpha: must be < (sigma - 1)/sigma = {rho:g} so that sigma (1 - alpha) > 1 "
                f"(otherwise the price index rises with the number of firms), got {alpha:g}")
        if self.labour != "mobile":
            if self.eta is None:
                raise ValueError(f"eta: required with labour={self.labour!r} (labour's share in "
                                 "agriculture, in (0, 1]; 1 = constant agricultural wage)")
            # immobile and migration closures: a grouped state, no welfare accounts or policy
            object.__setattr__(self, "capabilities",
                               frozenset({Capability.GROUPED_STATE, Capability.FUNDAMENTALS}))
            unsupported = [name for name in ("tax", "cost") if np.any(getattr(self, name) != 0.0)]
            if np.any(self.share_cap < 1.0):
                unsupported.append("share_cap")
            if unsupported:
                raise ValueError(
                    f"{', '.join(unsupported)}: policy instruments are not supported with "
                    f"labour={self.labour!r} (only with labour='mobile'); leave tax and cost at 0 "
                    "and share_cap at 1")
        elif self.eta is not None:
            raise ValueError("eta: only used with labour='immobile' or 'migration' (agriculture "
                             "with diminishing returns); leave it None for labour='mobile'")

    # ------------------------------------------------------------ policy and welfare (mobile)
    def _mobile_only(self, what: str) -> None:
        if self.labour != "mobile":
            raise TypeError(f"{what}: VerticalLinkages(labour={self.labour!r}) has no welfare "
                            "accounting or policy instruments yet (only labour='mobile')")

    @property
    def mobile_mass(self) -> float:
        """Mobile closure: the mass of manufacturing workers, gamma (see Model.mobile_mass)."""
        self._mobile_only("mobile_mass")
        return super().mobile_mass

    def welfare_groups(self, sr, lam) -> dict[str, dict[str, np.ndarray]]:
        """Mobile closure, per group: ``population`` by region, nominal ``income`` per head and
        ``utility`` per head (Cobb-Douglas indirect utility without its constant:
        income / G^gamma). Workers earn (1 - tax) w; farmers earn 1 plus the tax revenue of their
        region per head."""
        self._mobile_only("welfare_groups")
        lam = np.asarray(lam, dtype=float)
        return workers_and_farmers(self.gamma * lam, (1.0 - self.gamma) * self.farmers, self.tax,
                                   sr.wage, sr.price_index ** self.gamma)

    def regional_accounts(self, sr, lam) -> dict[str, np.ndarray]:
        """Mobile closure. ``gdp``: value added produced in each region (wages of workers and
        farmers: no profits, intermediates are not value added, taxes are transfers), equal to
        regional income Y; ``cost_of_living``: G^gamma."""
        self._mobile_only("regional_accounts")
        return {"gdp": np.asarray(sr.income, dtype=float),
                "cost_of_living": sr.price_index ** self.gamma}

    # ------------------------------------------------------------ immobile closure: grouped state
    def state_groups(self) -> tuple[int, ...]:
        """Mobile: one group (the regions). Immobile: (manufacturing, agriculture) per region.
        Migration: one group of 2K, the world's labour by (region, sector)."""
        return {"immobile": (2,) * self.K, "migration": (2 * self.K,)}.get(self.labour, (self.K,))

    def state_labels(self) -> tuple[str, ...]:
        if self.labour != "mobile":
            return tuple(f"{r}/{s}" for r in self.geography.names
                         for s in ("manufacturing", "agriculture"))
        return super().state_labels()

    def symmetric_state(self) -> np.ndarray:
        """Mobile: uniform. Immobile: every region at the symmetric equilibrium's split
        (m*, 1 - m*), m* = gamma / (gamma + eta (1 - gamma)) (:attr:`manufacturing_share`):
        the long-run equilibrium when the regions are identical (equal ``farmers`` and market
        access, e.g. two regions or a racetrack), a reference state otherwise."""
        if self.labour == "immobile":
            m = self.manufacturing_share
            return np.tile([m, 1.0 - m], self.K)
        if self.labour == "migration":  # each region's land share, split (m*, 1 - m*)
            return _mig.symmetric_state(self)
        return super().symmetric_state()

    @property
    def manufacturing_share(self) -> float:
        """Immobile closure: the symmetric equilibrium's share of labour in manufacturing."""
        if self.labour == "mobile":
            raise AttributeError("manufacturing_share: only for labour='immobile' or 'migration'")
        return _imm.manufacturing_share(self.gamma, self.eta)

    def initial_state(self, lam: np.ndarray) -> np.ndarray:
        """w = 1 and G solving (14.3) at w = 1 region by region: G^c = Phi^T (lam c)."""
        if self.labour == "immobile":
            return _imm.initial_state(self, lam)
        if self.labour == "migration":
            return _mig.initial_state(self, lam)
        lam = np.asarray(lam, dtype=np.float64)
        c = 1.0 - self.sigma * (1.0 - self.alpha)
        cf = ((1.0 + self.cost) / self.productivity) ** (1.0 - self.sigma)
        g = self.freeness_operator.matrix.T @ (lam * cf)
        b = np.log(np.maximum(g, np.finfo(float).tiny)) / c
        return np.concatenate([np.zeros(self.K), b])

    @property
    def mu_eff(self) -> float:
        """Total manufacturing share gamma + alpha (1 - gamma): the CP model's mu."""
        return self.gamma + self.alpha * (1.0 - self.gamma)

    @property
    def no_black_hole(self) -> bool:
        """True if mu_eff < (sigma - 1)/sigma, the condition for a break point to exist."""
        return self.mu_eff < (self.sigma - 1.0) / self.sigma
