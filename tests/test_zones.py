"""Development zones: upper bounds on regional shares, enforced in the long run (issue 5)."""

import dataclasses

import numpy as np
import pytest

import neg


def capped(cap, **kw):
    """The CP model with a share cap (until every model carries the policy fields itself)."""
    model = neg.CorePeriphery(5.0, 0.4, **kw)
    if hasattr(model, "share_cap"):
        return model.replace(share_cap=cap)

    @dataclasses.dataclass(frozen=True, eq=False)
    class CappedCP(neg.CorePeriphery):
        share_cap: np.ndarray | None = None
        regional_rates = ("share_cap",)

    return CappedCP(5.0, 0.4, share_cap=cap, **kw)


def test_binding_cap_holds_the_core_at_its_bound():
    m = capped([0.7, 1.0], phi=0.5)  # above the break point: full agglomeration without a cap
    eq = neg.long_run(m, [0.6, 0.4])
    assert eq.converged and eq.stable
    np.testing.assert_allclose(eq.lam, [0.7, 0.3], atol=1e-12)
    assert eq.payoff[0] > eq.payoff[1]  # the zone would attract more if it could


def test_prohibited_zone_stays_empty():
    m = capped([0.0, 1.0], phi=0.5)
    eq = neg.long_run(m, [0.9, 0.1])
    np.testing.assert_allclose(eq.lam, [0.0, 1.0], atol=1e-14)
    assert eq.converged


def test_a_cap_that_does_not_bind_changes_nothing():
    base = neg.long_run(neg.CorePeriphery(5.0, 0.4, phi=0.1), [0.55, 0.45])
    eq = neg.long_run(capped([0.9, 0.9], phi=0.1), [0.55, 0.45])
    np.testing.assert_allclose(eq.lam, base.lam, atol=1e-10)
    np.testing.assert_allclose(eq.eigenvalues, base.eigenvalues, rtol=1e-6)
    assert eq.stable == base.stable


def test_caps_must_leave_room():
    with pytest.raises(ValueError, match="share_cap"):
        neg.long_run(capped([0.3, 0.3], phi=0.5))
    with pytest.raises(ValueError, match="share_cap"):
        capped([1.5, 1.0], phi=0.5)


def test_caps_on_a_grouped_state():
    """Caps inside groups: the capped components sit at their bounds, the rest equalise."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from test_state_groups import LinearToy

    @dataclasses.dataclass(frozen=True, eq=False)
    class CappedToy(LinearToy):
        def share_caps(self):
            return np.array([1.0, 0.6, 1.0, 0.4, 1.0])

    eq = neg.long_run(CappedToy(), [0.9, 0.1, 0.2, 0.3, 0.5])
    assert eq.converged
    np.testing.assert_allclose(eq.lam, [0.4, 0.6, 0.2545454545, 0.4, 0.3454545455], atol=1e-9)
    assert eq.payoff[1] >= eq.payoff[0] and eq.payoff[3] >= eq.payoff[2]
    np.testing.assert_allclose(eq.payoff[2], eq.payoff[4], rtol=1e-9)


def test_prohibited_zone_that_would_pay_more():
    """Below the break point the empty region would attract workers; the ban holds it at 0 and
    the equilibrium is the corner (the ban is a constraint, not an instability)."""
    m = neg.CorePeriphery(5.0, 0.4, phi=0.05, share_cap=[0.0, 1.0])
    eq = neg.long_run(m, [0.5, 0.5])
    assert eq.converged and eq.stable
    np.testing.assert_allclose(eq.lam, [0.0, 1.0], atol=0)
    assert eq.payoff[0] > eq.payoff[1]
