"""No process of a run outlives it: a watchdog thread that ends its process when the parent dies.

A process pool's workers are forked by a forkserver that the run starts; if the run itself is
killed (``kill -9``, an out-of-memory kill, a scheduler that does not signal the children), the
forkserver and the workers would be re-parented to init and keep running, holding the
resource tracker open too. So the forkserver imports this module (``set_forkserver_preload``)
with :data:`ENV` set to the run's process id, and then watches that process; each worker
watches both the forkserver (its parent) and the run, from :func:`watch_parent` (the run too,
because a forkserver started earlier in the same process by someone else, e.g. Dask, has no
watchdog). When a parent dies its children are re-parented, ``os.getppid()`` changes, and the
watchdog exits the process within :data:`INTERVAL` seconds: the forkserver and the workers, then
the resource tracker (once nothing holds its pipe). A normal run shuts its pool down itself; the
watchdog only matters when the run could not.
"""

from __future__ import annotations

import os
import threading
import time

__all__ = ["ENV", "INTERVAL", "alive", "watch_parent"]

#: environment variable holding the run's process id while it starts its forkserver
ENV = "NEG_RUN_PID"
#: seconds between two looks at the parent
INTERVAL = 0.2


def alive(pid: int) -> bool:
    """Is process ``pid`` running (a zombie, dead but not yet reaped, is not)?"""
    try:
        with open(f"/proc/{int(pid)}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except FileNotFoundError:
        return False
    except (OSError, IndexError):  # no /proc (not Linux): ask the kernel
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def watch_parent(parent: int | None = None, run: int | None = None) -> threading.Thread:
    """End this process (``os._exit(1)``) soon after its parent ``parent`` (default: the
    current one) or the process ``run`` has died. A daemon thread; returns it."""
    ppid = os.getppid() if parent is None else int(parent)

    def loop() -> None:
        while True:
            time.sleep(INTERVAL)
            if os.getppid() != ppid or (run is not None and not alive(run)):
                os._exit(1)

    t = threading.Thread(target=loop, name="neg-watchdog", daemon=True)
    t.start()
    return t


if os.environ.get(ENV) == str(os.getppid()):  # imported by the forkserver of a run
    watch_parent()
