"""Multi-unit firms: headquarters and plants — a CES variant, not the model of Fujita & Thisse
(2006, *International Economic Review* 47(3), "Globalization and the evolution of the supply
chain: who gains and who loses?"), who work in the linear framework of Ottaviano, Tabuchi &
Thisse (2002) with two regions and unequal unskilled wages (docs/models.md states their
results, which this variant's example does not reproduce: at equal wages their plants move into
the core as costs fall; :class:`neg.models.fujita_thisse.FujitaThisse` reconstructs their model in
the linear framework). Here: the footloose-entrepreneur normalisation (Forslid & Ottaviano
2003), CES demands, K regions, one unskilled wage, a multiplicative communication cost.

H mobile skilled workers (entrepreneurs) each run one firm: the firm's headquarters (HQ) is
the skilled worker, who lives where the HQ is (the fixed cost); its plant hires immobile
unskilled workers (L in total, shares ``workers``, wage 1: freely traded numeraire agriculture)
as the marginal input, normalised so that an integrated firm's variety costs 1 at the factory.
A firm chooses a configuration (h, p): HQ in region h, plant in region p. If h != p the plant
needs the HQ's services at a distance: its marginal cost is multiplied by ``c**d_hp`` (c >= 1 the
communication cost per unit distance; c = inf: separation is prohibitive). With the
communication freeness psi = c**(1 - s) and theta_hp = psi**d_hp (1 on the diagonal), the
state lam_hp = share of firms in configuration (h, p) (one simplex of K*K shares, index
h*K + p), Phi_ij = phi**d_ij, a = mu/(s - 1), b = mu/s:

    N_p        = H sum_h lam_hp theta_hp                 (plants at p, weighted by their cost)
    Delta_j    = sum_p N_p Phi_pj                        (Delta = Phi^T N; P_j = Delta_j^(1/(1-s)))
    rho_p      = b sum_j Phi_pj E_j / Delta_j            (operating profit of an integrated plant)
    pi_hp      = theta_hp rho_p                          (profit of a firm (h, p) = owner's reward)
    E_i        = L workers_i + H sum_p lam_ip pi_ip      (the owner spends where the HQ is)
    omega_hp   = pi_hp Delta_h^a = pi_hp P_h^(-mu)       (payoff of configuration (h, p))

The unknowns are x = log E; the map E -> L workers + B E is affine with column sums b < 1 (as in
the footloose-entrepreneur model), so world expenditure is L/(1 - b). With c = inf (psi = 0)
fragmented firms sell nothing and earn 0, and on the integrated states (lam_hp = 0 for h != p)
the model is exactly FootlooseEntrepreneur with lam_FE_i = lam_ii.

Region rows of the outputs: wage = mean reward of the skilled with their HQ in the region (where
there are none: the best reward an HQ there could earn, max_p pi_ip), income = E, price_index,
real_wage = wage Delta^a, payoff row = max_p omega_ip (the best configuration for a skilled
worker living there). The long run equalises omega over configurations (``payoff_kernel``).

Policy (keyword fields; see docs/policy.md), as in FootlooseEntrepreneur with the firm split in
two. ``cost_p`` (environmental regulation where the *plant* is): a plant in region p needs
1 + cost_p times the unskilled labour per unit of output (a resource cost), so with
c_p = (1 + cost_p)^(1-s) every theta_hp is replaced by theta_hp c_p (in N_p and pi_hp).
``tax_h`` (on the skilled owners' income where they live, i.e. by *HQ* region): an owner of a
firm (h, p) keeps (1 - tax_h) pi_hp; the revenue tax_h H sum_p lam_hp pi_hp is rebated lump-sum
to the unskilled workers of region h (who also finance a subsidy, tax_h < 0), so E_h is
unchanged and omega_hp = (1 - tax_h) pi_hp Delta_h^a. ``wage`` reports the gross reward, the
``real_wage`` and ``payoff`` rows the net one. ``share_cap`` (K x K): development zones as
upper bounds on the share of firms in each configuration (h, p), the state's components; a
zone that prohibits plants in region p is column p set to 0, one that prohibits headquarters in
h is row h set to 0. A bound between 0 and 1 on a region's total share of plants or
headquarters (a sum over configurations) is not available: the long-run solvers cap components.
With zero taxes and costs and no caps the model is bit-for-bit the model without policy.
Welfare accounting (``neg.welfare``, ``welfare_groups``): groups "skilled" (by HQ region, net
reward, utility income / P^mu) and "workers" (wage 1 plus the rebate), GDP = E. ``neg.policy
.tax_game`` is not supported: it expects the state to be one distribution over the regions.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from neg.kernels import BLOCK_SIGNATURE, MAP_SIGNATURE, PAYOFF_SIGNATURE, lazy_njit
from neg.models.base import Capability, Kernels, Model
from neg.models.params import Param, n_slots, slots
from neg.operators import freeness_dot, freeness_dot_block, freeness_tdot

_TINY = 2.2250738585072014e-308  # smallest normal double

#: the parameters of the model beyond the common ones (neg.models.params.COMMON, POLICY)
PARAMS = (
    Param("mu", "scalar", "expenditure share of manufactures", "expenditure share of manufactures",
          lower=0.0, upper=1.0, slot="par"),
    Param("communication", "scalar", "factor c by which a plant's marginal cost rises per unit "
          "distance from its headquarters (inf: separation is prohibitive)", "communication cost",
          lower=1.0, lower_closed=True, default=float("inf"), finite=False),
    Param("workers", "shares", "shares of the immobile unskilled workers, by region", "workers' shares",
          default=None, slot="reg", role="immobile"),
    Param("H", "scalar", "mass of skilled workers (= number of firms)", "skilled workers",
          units="workers", lower=0.0, default=1.0, slot="par"),
    Param("L", "scalar", "mass of unskilled workers", "unskilled workers", units="workers",
          lower=0.0, default=1.0, slot="par"),
    Param("share_cap", "array", "development zones: upper bounds on the share of firms in each "
          "configuration (h, p), one number or a K x K array", "share cap", default=None,
          shape=("region", "region"), lower=0.0, upper=1.0, lower_closed=True, upper_closed=True,
          fill=1.0, broadcast="scalar", layout="one cap per configuration: rows HQ region, columns "
          "plant region"),
)
SIGMA, MU, H_MASS, L_MASS = slots(PARAMS, "par", "sigma", "mu", "H", "L")
WORKERS, TAX, AMENITY = slots(PARAMS, "reg", "workers", "tax", "amenity")
_THETA = n_slots(PARAMS, "par")  # par[_THETA:]: theta (K*K, row h = HQ region), kernel_extras


@njit(cache=True, error_model="numpy", nogil=True)
def _profits(x, lam, par, Phi):
    """Delta (Phi^T N) and rho (operating profit of an integrated plant) at x = log E."""
    s, mu, H = par[SIGMA], par[MU], par[H_MASS]
    K = x.size
    delta = np.empty(K)
    rho = np.empty(K)
    N = np.zeros(K)
    for h in range(K):
        for p in range(K):
            N[p] += H * lam[h * K + p] * par[_THETA + h * K + p]
    freeness_tdot(Phi, N, delta)
    c = np.empty(K)
    for j in range(K):
        c[j] = np.exp(x[j]) / max(delta[j], _TINY)
    freeness_dot(Phi, c, rho)
    b = mu / s
    for p in range(K):
        rho[p] *= b
    return delta, rho


@lazy_njit(MAP_SIGNATURE, error_model="numpy", nogil=True)
def _expenditure_map(x, lam, par, reg, Phi, out, work):
    H, L = par[H_MASS], par[L_MASS]
    workers = reg[WORKERS]
    K = x.size
    delta, rho = _profits(x, lam, par, Phi)
    for i in range(K):
        e = L * workers[i]
        for p in range(K):
            e += H * lam[i * K + p] * par[_THETA + i * K + p] * rho[p]
        out[i] = np.log(max(e, _TINY))


@lazy_njit(BLOCK_SIGNATURE, error_model="numpy", nogil=True)
def _outputs(x, lam, par, reg, Phi, out):
    s, tax, K = par[SIGMA], reg[TAX], x.size
    delta, rho = _profits(x, lam, par, Phi)
    a = par[MU] / (s - 1.0)  # the exponent of Delta in the real reward
    for i in range(K):
        hq = 0.0
        reward = 0.0
        best = 0.0
        for p in range(K):
            pi = par[_THETA + i * K + p] * rho[p]
            hq += lam[i * K + p]
            reward += lam[i * K + p] * pi
            best = max(best, pi)
        da = delta[i] ** a
        out[0, i] = reward / hq if hq > 0.0 else best  # skilled reward at HQs in i (gross of tax)
        out[1, i] = np.exp(x[i])  # income = expenditure
        out[2, i] = delta[i] ** (1.0 / (1.0 - s))  # price index
        out[3, i] = (1.0 - tax[i]) * out[0, i] * da  # real reward, net of tax
        # best payoff for a skilled worker living in i (times the amenity of i)
        out[4, i] = reg[AMENITY, i] * (1.0 - tax[i]) * best * da


@lazy_njit(PAYOFF_SIGNATURE, error_model="numpy", nogil=True)
def _payoff(x, lam, par, reg, Phi, out):
    """omega_hp = amenity_h (1 - tax_h) theta_hp rho_p Delta_h^a for every configuration (index
    h*K + p): the skilled worker lives where the HQ is."""
    s, tax, K = par[SIGMA], reg[TAX], x.size
    delta, rho = _profits(x, lam, par, Phi)
    a = par[MU] / (s - 1.0)  # the exponent of Delta in the real reward
    for h in range(K):
        da = reg[AMENITY, h] * (1.0 - tax[h]) * delta[h] ** a
        for p in range(K):
            out[h * K + p] = par[_THETA + h * K + p] * rho[p] * da


@lazy_njit(BLOCK_SIGNATURE, error_model="numpy", nogil=True)
def _jacobian(x, lam, par, reg, Phi, out):
    """dF_i/dx_k = b sum_p M_ip Phi_pk E_k / Delta_k / E_new_i, M_ip = H lam_ip theta_ip."""
    s, mu, H, L = par[SIGMA], par[MU], par[H_MASS], par[L_MASS]
    workers = reg[WORKERS]
    K = x.size
    delta, rho = _profits(x, lam, par, Phi)
    C = np.zeros((K, K))
    for k in range(K):
        C[k, k] = np.exp(x[k]) / max(delta[k], _TINY)
    PC = np.empty((K, K))
    freeness_dot_block(Phi, C, PC)  # Phi diag(E/Delta)
    b = mu / s
    for i in range(K):
        e = L * workers[i]
        for p in range(K):
            e += H * lam[i * K + p] * par[_THETA + i * K + p] * rho[p]
        f = b / max(e, _TINY)
        for k in range(K):
            acc = 0.0
            for p in range(K):
                acc += H * lam[i * K + p] * par[_THETA + i * K + p] * PC[p, k]
            out[i, k] = f * acc


class HeadquartersPlant(Model):
    """Headquarters and plants of multi-unit firms: a CES variant of the question of Fujita & Thisse
    (2006), not their (linear) model; K regions.

    The long-run state has one group of K*K shares: ``lam[h*K + p]`` is the share of firms with
    their headquarters in region h and their plant in region p (see the module docstring).

    Parameters
    ----------
    sigma, phi (or ``T=``), geography : the common parameters (see :class:`neg.models.base.Model`).
    mu : expenditure share of manufactures, in (0, 1).
    (phi is the freeness of trade in goods.)
    communication : c >= 1, the factor by which a plant's marginal cost rises per unit distance
        from its headquarters (``inf``, the default: separation is prohibitive, only integrated
        firms; the model is then the footloose-entrepreneur model).
    workers : shares of the immobile unskilled workers, default uniform.
    H : mass of skilled workers (= number of firms), > 0.
    L : mass of unskilled workers, > 0.
    tax : per-region tax rate on the skilled owners' reward by HQ region (where they live) in
        [-1, 1) (negative: a subsidy), default 0; the revenue is rebated lump-sum to the
        unskilled workers of the region (who also finance a subsidy): E is unchanged.
    cost : per-region extra marginal cost >= 0 on plants located there (environmental
        regulation), default 0: a plant in p needs 1 + cost_p times the unskilled labour per
        unit (a resource cost).
    share_cap : development zones: upper bounds on the share of firms in each configuration
        (h, p), in [0, 1]; one number for all or a K x K array (row h: HQ region, column p:
        plant region); default 1 (none). Prohibit plants in region p with column p = 0,
        headquarters in h with row h = 0. Enforced by the long-run solvers (``share_caps()``).

    Outputs per region: ``wage`` is the gross reward, ``real_wage`` and ``payoff`` are net of
    ``tax``.
    """

    parameters = PARAMS
    positional = ("sigma", "mu", "phi", "geography", "communication", "workers", "H", "L")
    capabilities = frozenset({Capability.POLICY, Capability.WELFARE, Capability.GROUPED_STATE,
                              Capability.FUNDAMENTALS})
    kernels = Kernels(_expenditure_map, _outputs, _jacobian, _payoff)
    mobile_factor = "entrepreneurs"
    mobile_group = "skilled"  # its welfare group (neg.welfare)
    mobile_mass_of = None  # the state is not one distribution over the regions

    def _validate(self) -> None:
        caps = self.share_cap  # a K x K table, checked against its declaration
        if caps.sum() < 1.0 - 1e-12:
            raise ValueError(f"share_cap: the caps sum to {caps.sum():g} < 1, so no distribution "
                             "of firms satisfies them")

    def share_caps(self) -> np.ndarray | None:
        """Upper bounds on the configuration shares (index h*K + p), or None if nothing is capped."""
        if np.all(self.share_cap >= 1.0):
            return None
        return self.share_cap.ravel().copy()

    # ------------------------------------------------------------------ state
    def state_groups(self) -> tuple[int, ...]:
        return (self.K * self.K,)

    def state_labels(self) -> tuple[str, ...]:
        names = self.geography.names
        return tuple(f"hq={h}/plant={p}" for h in names for p in names)

    def symmetric_state(self) -> np.ndarray:
        """Every firm integrated, spread uniformly over the regions (lam_hh = 1/K): the
        footloose-entrepreneur symmetric state. For c > 1 it is an equilibrium on a symmetric
        geography (a fragmented firm earns theta_hp < 1 times an integrated one), so the break
        point is the footloose-entrepreneur one. The replicator never creates mass where there
        is none: to let fragmented firms appear, start from a state that has some (e.g.
        ``neg.state.StateSpace.of(model).uniform()``); :func:`neg.trace` nudges every step."""
        return np.eye(self.K).ravel() / self.K

    def integrated_state(self, shares) -> np.ndarray:
        """The state with every firm integrated, ``shares`` (K) of them in each region."""
        shares = np.asarray(shares, dtype=float)
        if shares.shape != (self.K,):
            raise ValueError(f"shares: expected {self.K} shares, got shape {shares.shape}")
        return np.diag(shares).ravel()

    def initial_state(self, lam: np.ndarray) -> np.ndarray:
        """log E if every entrepreneur earned the average reward b E^w / H."""
        b = self.mu / self.sigma
        hq = self.hq_shares(lam)
        e = self.L * self.workers + hq * b * self.L / (1.0 - b)
        return np.log(np.maximum(e, _TINY))

    # ------------------------------------------------------------------ kernels
    @property
    def communication_freeness(self) -> float:
        """psi = c**(1 - sigma): relative sales of a plant one unit of distance from its HQ."""
        c = self.communication
        if not np.isfinite(c):
            return 0.0
        with np.errstate(under="ignore", over="ignore"):
            return float(c ** (1.0 - self.sigma))

    def communication_matrix(self) -> np.ndarray:
        """theta_hp = psi**d_hp (K, K): 1 on the diagonal, 0 off it when c = inf."""
        D = self.geography.distance
        psi = self.communication_freeness
        with np.errstate(under="ignore"):
            theta = np.power(psi, D) if psi > 0 else (D == 0).astype(float)
        theta[theta < _TINY] = 0.0
        return theta

    def cost_factors(self) -> np.ndarray:
        """c_p = ((1 + cost_p)/productivity_p)^(1 - sigma) (K): the factor on the sales of
        plants in p (productivity is where the plant is)."""
        return ((1.0 + self.cost) / self.productivity) ** (1.0 - self.sigma)

    def kernel_extras(self):
        """par: theta_hp c_p (K*K, row h = HQ region), the communication matrix times the plants'
        cost factors (the ``cost`` row of reg is not read)."""
        theta = self.communication_matrix() * self.cost_factors()[None, :]
        return theta.ravel(), None

    # ------------------------------------------------------------------ summaries
    def _configurations(self, lam) -> np.ndarray:
        lam = np.asarray(lam, dtype=float)
        if lam.shape[-1] != self.K * self.K:
            raise ValueError(f"lam: expected {self.K * self.K} configuration shares along the last "
                             f"axis, got shape {lam.shape}")
        return lam.reshape(lam.shape[:-1] + (self.K, self.K))

    def hq_shares(self, lam) -> np.ndarray:
        """Share of headquarters in each region (K; stacks of states allowed)."""
        return self._configurations(lam).sum(axis=-1)

    def plant_shares(self, lam) -> np.ndarray:
        """Share of plants in each region (K; stacks of states allowed)."""
        return self._configurations(lam).sum(axis=-2)

    def fragmented_share(self, lam):
        """Share of firms whose plant is not in their headquarters' region."""
        conf = self._configurations(lam)
        return 1.0 - np.trace(conf, axis1=-2, axis2=-1)

    # ------------------------------------------------------------------ welfare
    def welfare_groups(self, sr, lam) -> dict[str, dict[str, np.ndarray]]:
        """Per group (``neg.welfare``): ``population`` by region, nominal ``income`` per head and
        ``utility`` per head (Cobb-Douglas indirect utility without its constant: income / P^mu
        = income Delta^a). "skilled": the owners, living where their HQs are (H x HQ shares),
        earning the net mean reward (1 - tax) of their firms wherever the plants are;
        "workers": the unskilled, wage 1 plus their region's tax revenue per head."""
        lam = np.asarray(lam, dtype=float)
        col = np.asarray(sr.price_index, dtype=float) ** self.mu
        ent = self.H * self.hq_shares(lam)
        wrk = self.L * self.workers
        revenue = self.tax * ent * np.asarray(sr.wage, dtype=float)
        y_w = np.where(wrk > 0, 1.0 + revenue / np.where(wrk > 0, wrk, 1.0), 1.0)
        y_e = (1.0 - self.tax) * np.asarray(sr.wage, dtype=float)
        return {"skilled": {"population": ent, "income": y_e, "utility": y_e / col},
                "workers": {"population": wrk, "income": y_w, "utility": y_w / col}}

    def regional_accounts(self, sr, lam) -> dict[str, np.ndarray]:
        """``gdp``: regional income E (unskilled wages where the workers live, each firm's
        operating profit where its HQ is: the skilled owner's services are produced at the HQ,
        the plant's value added beyond wages is the reward to them); ``cost_of_living``: P^mu."""
        return {"gdp": np.asarray(sr.income, dtype=float),
                "cost_of_living": np.asarray(sr.price_index, dtype=float) ** self.mu}

    @property
    def no_black_hole(self) -> bool:
        """True if mu < sigma - 1 (as in the footloose-entrepreneur model)."""
        return self.mu < self.sigma - 1.0
