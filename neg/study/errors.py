"""What a study reports to its user: config problems (with file and line), run errors, and the
"did you mean" hint shared by every check. The bottom of :mod:`neg.study`: it imports nothing
from neg, so every other study module can use it."""

from __future__ import annotations

import difflib
import signal
from dataclasses import dataclass

__all__ = ["Problem", "ConfigError", "RunError", "UsageError", "Interrupted", "did_you_mean"]


@dataclass(frozen=True)
class Problem:
    key: str
    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file or "<config>"
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ConfigError(ValueError):
    """An invalid study config; ``problems`` lists every problem found."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"invalid config ({n} problem{'s' if n != 1 else ''}):"
        return "\n".join([head] + [f"  {p}" for p in self.problems])


class RunError(RuntimeError):
    """A run cannot proceed (bad parts folder, missing shards, ...): a message for the user."""


class UsageError(RunError):
    """A run was asked for something it cannot do, found before any work starts: an output path
    that is a folder or cannot be written, a shard out of range, ``--resume`` without a file."""


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal: ``signum`` is its number (SIGINT for Ctrl-C, SIGTERM),
    ``finished`` the (chunk, result) pairs that had completed but were not yet stored, and the
    message says how far the run got and how to resume it. A KeyboardInterrupt, so that code
    that handles Ctrl-C handles it too."""

    def __init__(self, signum: int, message: str = "", finished=()):
        super().__init__(message or f"interrupted by {signal.Signals(int(signum)).name}")
        self.signum = int(signum)
        self.finished = list(finished)


def did_you_mean(word: str, options) -> str:
    """' (did you mean 'x'?)' for the closest option, else a list of the valid ones."""
    options = [str(o) for o in options]
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (valid: {', '.join(options)})" if options else ""
