"""Benchmark suite for neg: ``python -m benchmarks [group ...] [--quick]``.

Groups (one module each): short_run, batch, compile_time, long_run, continuation, sweep,
calibrate, fine_racetrack.
Every timing is a median over repeats and every speed claim a ratio against a baseline
timed in the same run (the benchmark machine is shared and noisy).
Benchmarks measure and report; they never assert.
"""

GROUPS = ("short_run", "batch", "compile_time", "long_run", "continuation", "sweep", "calibrate",
          "fine_racetrack")
