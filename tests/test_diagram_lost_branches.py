"""Issue 9, defect 4: a branch that cannot be followed is flagged, the rest of the diagram is
returned, and the flag says what neg was doing.

Closed forms the diagrams are checked against (CP model, sigma = 5, mu = 0.4):
* two regions (FKV 1999, ch. 5): break point phi_B = (rho - mu)(1 - mu)/((rho + mu)(1 + mu)) = 1/7
  (rho = (sigma - 1)/sigma); sustain point phi_S: phi^(mu sigma/(sigma - 1))
  [(1 + mu)/2 phi + (1 - mu)/(2 phi)] = 1;
* racetrack of K regions (Akamatsu, Takayama & Ikeda 2012): the uniform distribution first loses
  stability where the spatial-discounting eigenvalue chi_k of mode k = K/2 reaches
  Z_B = (1 - phi_B)/(1 + phi_B) (``racetrack_break_point``).
"""

import numpy as np
import pytest
from test_core_periphery import fkv_break_point, fkv_sustain_point, racetrack_break_point

import neg
from neg.solvers import diagram

SIGMA, MU = 5.0, 0.4
PHI_B, PHI_S = fkv_break_point(SIGMA, MU), fkv_sustain_point(SIGMA, MU)


def _check_flags(ds):
    lost, reason = ds.lost.values, ds.lost_reason.values
    assert lost.dtype == bool and lost.shape == (ds.sizes["branch"],)
    assert [bool(r) for r in reason] == lost.tolist()  # a reason exactly where a branch is lost


@pytest.mark.slow
def test_racetrack_16_depth_2_returns_the_diagram():
    """The issue's case: it raised scipy's "The function value at x=0.05 is NaN" (brentq, while
    locating where a share reaches 0) after 12 s, with nothing returned."""
    m = neg.CorePeriphery(SIGMA, MU, phi=0.1, geography=neg.Geography.racetrack(16))
    ds = neg.bifurcation_diagram(m, "phi", 0.02, 0.6, max_depth=2)
    _check_flags(ds)
    kinds = ds.special_kind.values
    assert {"branch", "corner"} <= set(kinds.tolist())
    uni = ds.branch_kind.values.tolist().index("uniform")
    on_uniform = ds.special_value.values[(kinds == "branch") & (ds.special_branch.values == uni)]
    assert on_uniform.min() == pytest.approx(racetrack_break_point(SIGMA, MU, 16), abs=1e-9)
    assert ds.sizes["branch"] > 20  # the secondary branches (depth 2) are there too
    # every point of every branch, lost or not, is an equilibrium: equal payoffs where occupied
    space = neg.state.StateSpace.of(m)
    P, L = ds.phi.values, ds.lam.values
    rng = np.random.default_rng(0)
    picks = rng.choice(np.argwhere(np.isfinite(P)), size=40, replace=False)
    for b, j in picks:
        lam = space.normalise(np.clip(L[b, j], 0, None))
        sr = neg.short_run(m.replace(phi=float(P[b, j])), lam, tol=1e-14, max_iter=1000)
        assert space.gap(lam, sr.payoff) < 1e-7


def test_branch_through_unsolvable_parameters_is_flagged_and_the_rest_returned(monkeypatch):
    """Where the equilibrium conditions cannot be solved (made NaN for 0.2 < phi < 0.3), the
    uniform branch stops there, flagged, and the rest of the tomahawk is computed as usual."""
    G = diagram.Face.G

    def G_with_a_hole(self, u):
        return np.full(self.rows.size, np.nan) if 0.2 < self.p(u) < 0.3 else G(self, u)

    monkeypatch.setattr(diagram.Face, "G", G_with_a_hole)
    ds = neg.bifurcation_diagram(neg.CorePeriphery(SIGMA, MU, phi=0.3), "phi", 0.05, 0.5)
    _check_flags(ds)
    kinds = ds.branch_kind.values.tolist()
    uni = kinds.index("uniform")
    assert ds.lost.values.tolist() == [b == uni for b in range(len(kinds))]
    reason = str(ds.lost_reason.values[uni])
    assert "uniform branch" in reason and "phi=0.2" in reason
    phi = ds.phi.values[uni]
    assert np.nanmax(phi) == pytest.approx(0.2, abs=2e-3)  # its points up to the hole are kept
    # the rest: the break point on the uniform branch, the sustain point at each core
    special = dict(zip(ds.special_kind.values.tolist(), ds.special_value.values, strict=False))
    assert special["branch"] == pytest.approx(PHI_B, abs=1e-8)
    corners = ds.special_value.values[ds.special_kind.values == "corner"]
    np.testing.assert_allclose(corners, PHI_S, atol=1e-8)
    assert kinds.count("agglomerated") == 2 and kinds.count("interior") == 2


def test_a_special_point_that_cannot_be_located_names_what_neg_was_doing():
    m = neg.CorePeriphery(SIGMA, MU, phi=0.3)
    d = diagram._Diagram(m, "phi", 0.05, 0.5, 0.01, 0.05, 500, 40, 1)
    face = d.face((0, 1))
    u = face.u_of(np.array([0.5, 0.5]), 0.1)
    t = np.array([0.0, 1.0])
    with pytest.raises(diagram.Lost, match=r"locating a fold on the face of regions \[0, 1\] between "
                       r"phi=0.1 and 0.1045: .*cannot be solved"):
        d._locate(face, u, t, 0.01, lambda us: np.nan, "a fold")
    with pytest.raises(diagram.Lost, match="no sign change"):
        d._locate(face, u, t, 0.01, lambda us: 1.0, "a fold")
