"""Command-line interface: ``neg demo`` (more subcommands arrive with YAML studies)."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def _demo(args) -> int:
    import neg

    sigma, mu = 5.0, 0.4
    model = neg.CorePeriphery(sigma, mu, phi=0.5)
    t0 = time.perf_counter()
    phi_b, phi_s = neg.break_point(model), neg.sustain_point(model)
    T_b, T_s = (model.replace(phi=p).T for p in (phi_b, phi_s))
    print(f"neg {neg.__version__} - Krugman core-periphery model, sigma={sigma:g}, mu={mu:g}, two regions")
    print(f"  break point   phi_B = {phi_b:.12f}   T_B = {T_b:.12f}")
    print(f"  sustain point phi_S = {phi_s:.12f}   T_S = {T_s:.12f}")
    print("  (agglomeration is sustainable for phi > phi_S; dispersion is stable for phi < phi_B)")
    geo = neg.Geography.racetrack(8)
    print("\nStable long-run equilibria, 8-region racetrack (shares of mobile workers by region):")
    for phi in args.phis:
        m = neg.CorePeriphery(sigma, mu, phi=phi, geography=geo)
        patterns = {}
        for e in neg.equilibria(m):
            if e.stable:
                patterns.setdefault(_pattern_key(e.lam), e)
        print(f"  phi = {phi:g} per unit distance (T = {m.T:.4f}): "
              f"{len(patterns)} stable pattern(s) up to rotation and reflection")
        for e in patterns.values():
            shares = " ".join(f"{v:5.3f}" for v in e.lam)
            omega = e.real_wage[e.support[0]]
            print(f"    [{shares}]  {e.support.size} occupied region(s), real wage {omega:.6f}")
    print(f"\nDone in {time.perf_counter() - t0:.1f} s.")
    return 0


def _pattern_key(lam: np.ndarray) -> tuple:
    """Canonical form of a pattern up to rotation and reflection of the racetrack."""
    r = np.round(lam, 6)
    variants = [tuple(np.roll(v, k)) for v in (r, r[::-1]) for k in range(r.size)]
    return min(variants)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="neg", description="New economic geography models and solvers.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="break/sustain points and racetrack equilibria of the CP model")
    demo.add_argument("--phis", type=float, nargs="+", default=[0.05, 0.3, 0.8],
                      help="unit freeness values for the racetrack (default: 0.05 0.3 0.8)")
    demo.set_defaults(func=_demo)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
