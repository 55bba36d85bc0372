"""Run benchmark groups, print a table, write benchmarks/results/latest.json."""

from __future__ import annotations

import argparse
import importlib
import time

from benchmarks import GROUPS
from benchmarks._report import format_table, write_json


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("groups", nargs="*", metavar="group",
                        help=f"groups to run (default: all of {', '.join(GROUPS)})")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.groups) - set(GROUPS))
    if unknown:
        parser.error(f"unknown group(s) {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    results = {}
    for name in args.groups or GROUPS:
        print(f"running {name} ...", flush=True)
        t0 = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}")
        results[name] = module.run(quick=args.quick)
        print(f"  done in {time.perf_counter() - t0:.1f} s", flush=True)
    print()
    print(format_table(results))
    path = write_json(results, quick=args.quick)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
