"""Dask execution: chunks submitted to a dask.distributed cluster (an optional dependency).

``scheduler="tcp://host:8786"`` connects to a running cluster (e.g. one started by dask-jobqueue's
SLURMCluster, see docs/studies.md); ``scheduler="local"`` starts a LocalCluster of ``workers``
single-threaded worker processes (each with ``cores // workers`` numba threads). The study is
scattered to every worker once; results come back to the client, which writes the chunk files, so
workers need no shared file system. Results are identical to a serial run: every point is
computed by the same code from the same inputs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np

from neg.study.errors import RunError
from neg.study.local import main_not_reimported
from neg.study.studies import run_chunk

__all__ = ["dask_chunks", "DaskUnavailable"]


class DaskUnavailable(RunError):
    """dask.distributed is missing, or the scheduler cannot be reached."""


def _task(study, indices, threads):
    return run_chunk(study, indices, threads)


def dask_chunks(study, chunks, scheduler: str, workers: int, threads: int | None,
                log=None) -> Iterator[tuple[np.ndarray, object]]:
    try:  # dask.distributed is an optional dependency: imported only when a run asks for it
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise DaskUnavailable("--scheduler needs dask.distributed, an optional dependency: "
                              "pip install 'neg[dask]'") from None
    cluster = None
    if scheduler == "local":
        env = {k: str(threads or 1) for k in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS",
                                              "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
        import dask  # optional, as distributed above

        # forkserver: fast worker start, and the caller's __main__ is not re-run in the workers
        with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}), \
                main_not_reimported():
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None, env=env,
                                   local_directory=os.environ.get("DASK_TEMPORARY_DIRECTORY"))
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as e:
            raise DaskUnavailable(f"--scheduler {scheduler}: cannot connect ({e})") from None
        threads = None  # remote workers keep their own thread settings (see docs/studies.md)
    if log is not None:
        n = len(client.scheduler_info().get("workers", {}))
        log(f"dask: {n} worker(s) at {client.scheduler.address}")
    try:
        remote = client.scatter(study, broadcast=True)
        futures = {}
        for c in chunks:
            futures[client.submit(_task, remote, c, threads, pure=False)] = c
        for f in as_completed(futures):
            yield futures[f], f.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
