"""Progress of long calls through the standard :mod:`logging` module.

:func:`neg.trace`, :func:`neg.bifurcation_diagram`, :func:`neg.equilibria` (more than two regions)
and :func:`neg.simulate` log INFO lines to the loggers ``neg.trace``, ``neg.bifurcation_diagram``,
``neg.equilibria`` and ``neg.simulate`` (children of ``neg``), e.g.
``trace: 12/74 values (up, phi=0.31), elapsed 6.1 s``. A call logs at most one line every
:data:`INTERVAL` seconds (the check costs one clock read per step, never a line per step), so a
call shorter than that logs nothing, and a call that logged anything ends with a ``done`` line.

Nothing is printed unless the application configures logging: from Python,
``logging.basicConfig(level=logging.INFO)`` (or a handler on ``logging.getLogger("neg")``); the
``neg`` command line sends these lines to stderr, like its own progress, unless ``--quiet``.
"""

from __future__ import annotations

import logging
import time

__all__ = ["INTERVAL", "Ticker", "logger"]

#: seconds between two progress lines of one call (at most)
INTERVAL = 5.0


def logger(name: str) -> logging.Logger:
    """The logger ``neg.<name>``."""
    return logging.getLogger(f"neg.{name}")


class Ticker:
    """Throttled progress lines of one call: ``tick(done, detail)`` after each unit of work.

    ``total`` is the number of units (None: unknown, then only ``done`` and the detail are shown).
    """

    def __init__(self, name: str, total: int | None, unit: str):
        self.name, self.total, self.unit = name, total, unit
        self.log = logger(name)
        self.on = self.log.isEnabledFor(logging.INFO)
        self.t0 = self._last = time.perf_counter()
        self.lines = 0

    def tick(self, done: float, detail: str = "") -> None:
        if not self.on:
            return
        now = time.perf_counter()
        if now - self._last < INTERVAL:
            return
        self._last = now
        self.lines += 1
        count = _num(done) + (f"/{_num(self.total)}" if self.total is not None else "")
        self.log.info("%s: %s %s%s, elapsed %.1f s", self.name, count, self.unit,
                      f" ({detail})" if detail else "", now - self.t0)

    def done(self, detail: str = "") -> None:
        """The closing line, only if the call logged progress (a short call stays silent)."""
        if self.on and self.lines:
            self.log.info("%s: done%s in %.1f s", self.name, f" ({detail})" if detail else "",
                          time.perf_counter() - self.t0)


def _num(x) -> str:
    return str(x) if isinstance(x, int) else f"{x:.4g}"
