"""Local execution: in-process (one worker) or a pool of processes, and the progress display.

Processes come from a "forkserver" (a fresh interpreter that imports neg once, then forks the
workers: safe whatever threads the parent has running, and much faster to start than "spawn"),
and each gets ``cores // workers`` numba threads (``numba.set_num_threads`` in the worker; BLAS
pools via OMP/OPENBLAS/MKL_NUM_THREADS, set before the server starts), so that processes x threads
never exceeds the cores. The study is sent to each worker once; a task is a list of point indices.
No worker outlives the run, even one killed with SIGKILL: see :mod:`neg.study.watchdog`.

Progress goes to stderr through :func:`say`, which never raises: a closed pipe (``neg run ... 2>&1
| head -1``) silences the progress and nothing else, so it cannot decide whether results are
written.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import multiprocessing.spawn as mp_spawn
import os
import signal
import sys
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager

import numpy as np

from neg.study import watchdog
from neg.study.errors import Interrupted
from neg.study.studies import run_chunk, set_threads

__all__ = ["available_cores", "serial_chunks", "pool_chunks", "Progress", "THREAD_VARS", "say"]

THREAD_VARS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

_STUDY = None  # the study, in a worker process
_THREADS = None


def available_cores() -> int:
    """Cores this process may use: SLURM_CPUS_PER_TASK if set, else the CPU affinity mask."""
    env = os.environ.get("SLURM_CPUS_PER_TASK")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@contextmanager
def main_not_reimported():
    """While worker processes start, leave the caller's ``__main__`` out of what they import.

    Spawned and forkserver children normally re-import the parent's main module, which re-runs
    a script that calls ``neg.run`` without an ``if __name__ == "__main__":`` guard. neg's
    workers need nothing from ``__main__`` (their tasks live in neg.study), so it is skipped.
    """
    original = mp_spawn.get_preparation_data

    def preparation_data(name):
        data = original(name)
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
        return data

    mp_spawn.get_preparation_data = preparation_data
    try:
        yield
    finally:
        mp_spawn.get_preparation_data = original


def say(text: str, stream=None, end: str = "\n") -> bool:
    """Write ``text`` to ``stream`` (default stderr) and flush; False if it cannot be written.

    A stream that fails (a pipe whose reader has gone: ``BrokenPipeError``) is pointed at
    /dev/null, so that later writes and the interpreter's final flush succeed silently."""
    stream = sys.stderr if stream is None else stream
    try:
        stream.write(text + end)
        stream.flush()
        return True
    except (OSError, ValueError):  # BrokenPipeError, a closed file
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
        except (OSError, ValueError, AttributeError):  # not a file descriptor (e.g. io.StringIO)
            pass
        return False


def serial_chunks(study, chunks) -> Iterator[tuple[np.ndarray, object]]:
    for chunk in chunks:
        yield chunk, run_chunk(study, chunk)


def _init_worker(study, threads, run_pid) -> None:
    global _STUDY, _THREADS
    # Ctrl-C and SIGTERM sent to the whole process group (a terminal, SLURM) are the parent's to
    # handle: it keeps the finished chunks, then kills the workers (SIGKILL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    watchdog.watch_parent(run=run_pid)  # the forkserver (which itself watches the run) and the run
    _STUDY, _THREADS = study, threads
    set_threads(threads)


def _pool_task(indices):
    return run_chunk(_STUDY, indices)


def pool_chunks(study, chunks, workers: int, threads: int) -> Iterator[tuple[np.ndarray, object]]:
    """Run chunks on ``workers`` spawned processes; yield (chunk, flat dataset) as they finish.

    Interrupted (SIGINT, or SIGTERM turned into :class:`~neg.study.errors.Interrupted` by the
    CLI), the workers are terminated and the exception carries the chunks that had finished but
    were not yet yielded (``finished``), so that the caller can store them."""
    saved = {k: os.environ.get(k) for k in (*THREAD_VARS, watchdog.ENV)}
    for k in THREAD_VARS[1:]:  # BLAS pools size themselves at import: set before the server starts
        os.environ[k] = str(threads)
    os.environ[watchdog.ENV] = str(os.getpid())  # the forkserver watches this process
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["neg.study.watchdog", "neg.study.studies", "neg.study.io"])
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                               initializer=_init_worker, initargs=(study, threads, os.getpid()))
    running: dict = {}
    try:
        # keep at most 2 tasks per worker queued so that chunk files appear in order of progress
        todo = list(chunks)[::-1]
        with main_not_reimported():  # workers start on demand, at submits
            while todo or running:
                while todo and len(running) < 2 * workers:
                    c = todo.pop()
                    running[pool.submit(_pool_task, c)] = c
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for f in done:
                    c = running.pop(f)
                    yield c, f.result()
    except BaseException as e:
        for p in list(getattr(pool, "_processes", {}).values()):
            p.kill()
        if isinstance(e, KeyboardInterrupt):
            finished = [(running[f], f.result()) for f in running
                        if f.done() and not f.cancelled() and f.exception() is None]
            pool.shutdown(wait=False, cancel_futures=True)
            if isinstance(e, Interrupted):
                e.finished.extend(finished)
                raise
            raise Interrupted(signal.SIGINT, finished=finished) from e
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        pool.shutdown(wait=True, cancel_futures=True)


class Progress:
    """Points done, rate and ETA: a bar on a terminal, a log line every ~10% otherwise."""

    def __init__(self, total: int, *, quiet: bool = False, stream=None, label: str = "points"):
        self.total, self.done, self.quiet = int(total), 0, quiet
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.t0 = time.perf_counter()
        self.label = label
        self._next_log = 0.1
        self._last_draw = 0.0
        if not quiet and self.tty:
            self._draw()

    def update(self, n: int) -> None:
        self.done += int(n)
        if self.quiet:
            return
        frac = self.done / max(self.total, 1)
        if self.tty:
            now = time.perf_counter()
            if now - self._last_draw > 0.1 or self.done >= self.total:
                self._draw()
                self._last_draw = now
        elif frac + 1e-12 >= self._next_log or self.done >= self.total:
            self._next_log = math.floor(frac * 10 + 1e-9) / 10 + 0.1
            self._say(f"neg: {self._status()}")

    def _status(self) -> str:
        el = time.perf_counter() - self.t0
        rate = self.done / el if el > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else float("nan")
        pct = 100.0 * self.done / max(self.total, 1)
        return (f"{self.done}/{self.total} {self.label} ({pct:.0f}%), {rate:.3g}/s, "
                f"elapsed {_fmt(el)}, ETA {_fmt(eta) if self.done < self.total else '0 s'}")

    def _draw(self) -> None:
        width = 30
        fill = int(width * self.done / max(self.total, 1))
        bar = "#" * fill + "." * (width - fill)
        self._say(f"\r[{bar}] {self._status()}\x1b[K", end="")

    def _say(self, text: str, end: str = "\n") -> None:
        if not say(text, self.stream, end):
            self.quiet = True  # the stream is gone: stop drawing, carry on computing

    def close(self) -> None:
        if not self.quiet and self.tty:
            self._draw()
            self._say("")


def _fmt(s: float) -> str:
    if not math.isfinite(s):
        return "?"
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60)} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60)} min"
