"""Where the fan-outs run: Dask (``dask.distributed``) for the simulation chunks of a suite and the
training runs of a sweep.

:func:`fan_out` runs a list of tasks and returns their results in order, with one progress bar over
the whole list:

* no scheduler and ``workers`` ≤ 1: in this process, one after another (the serial reference);
* ``workers`` > 1: on a ``LocalCluster`` of that many single-threaded worker processes, made once
  per process and reused by every later fan-out;
* ``scheduler`` (or ``$DASK_SCHEDULER_ADDRESS``): on the running cluster at that address, e.g. one
  started by ``dask-jobqueue`` on SLURM (see the design page).

Results never depend on where a task runs: every task carries its own seed. A worker lost in the
middle of a task (killed, out of memory, pre-empted) costs only that task: the scheduler runs it
again on another worker, and the tasks write their outputs atomically, so no partial file is ever
seen. The tasks' outputs are cached on disk (simulation chunks, trained networks), so a killed
client resumes from what finished when it is run again. With a remote cluster, the cache folder must
be on a file system every worker sees.
"""
from __future__ import annotations

import atexit
import importlib.util
import logging
import os
from collections import Counter
from typing import Callable, Sequence

from tqdm import tqdm  # plain: tqdm.auto warns in notebooks without ipywidgets

from .config import DASK_CONNECT_TIMEOUT_S, DASK_SCHEDULER_ENV, ConfigError

_CLIENTS: dict = {}  # (address or None, workers) → the Client this process made for it


def scheduler_address(scheduler: str | None = None) -> str | None:
    """The scheduler to use: ``scheduler``, else ``$DASK_SCHEDULER_ADDRESS``, else ``None`` (local)."""
    return scheduler or os.environ.get(DASK_SCHEDULER_ENV) or None


def get_client(workers: int = 1, scheduler: str | None = None):
    """The Dask client for a fan-out, or ``None`` where it runs in this process (no scheduler and
    ``workers`` ≤ 1). A local cluster is made on first use and kept for the process's lifetime; an
    unreachable scheduler is a :class:`ConfigError` after ``DASK_CONNECT_TIMEOUT_S`` seconds."""
    from distributed import Client, LocalCluster

    address = scheduler_address(scheduler)
    if address is None and workers <= 1:
        return None
    key = (address, None if address else int(workers))
    client = _CLIENTS.get(key)
    if client is not None and client.status == "running":
        return client
    if address:
        try:
            client = Client(address, timeout=f"{DASK_CONNECT_TIMEOUT_S}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            raise ConfigError(
                f"cannot reach the Dask scheduler at {address!r} within {DASK_CONNECT_TIMEOUT_S} s ({e}); "
                f"start it first (`dask scheduler`, or dask-jobqueue on a cluster), or drop --scheduler and "
                f"unset ${DASK_SCHEDULER_ENV} to run on a local cluster") from None
    else:
        # processes, one thread each: torch and CAMB hold the GIL and keep per-process state; the
        # scheduler's web server on a free port (the default 8787 warns when another cluster has it)
        cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)
        client = Client(cluster, set_as_default=False)
    _CLIENTS[key] = client
    if _has_bokeh() and "dashboard" in client.scheduler_info().get("services", {}):  # its pages need bokeh
        print(f"Dask dashboard: {client.dashboard_link}")
    return client


def _has_bokeh() -> bool:
    return importlib.util.find_spec("bokeh") is not None


@atexit.register
def close_clients() -> None:
    """Close every client (and local cluster) this process made."""
    while _CLIENTS:
        _, client = _CLIENTS.popitem()
        cluster = client.cluster
        client.close()
        if cluster is not None:
            cluster.close()


def fan_out(fn: Callable, tasks: Sequence[tuple], workers: int = 1, scheduler: str | None = None,
            desc: str = "", unit: str = "task", weights: Sequence[int] | None = None, done: int = 0,
            progress: bool = True) -> list:
    """``[fn(*t) for t in tasks]``, on the backend :func:`get_client` picks, in the order of ``tasks``.

    ``fn`` must be a module-level function (workers import it). The progress bar counts
    ``weights`` per task (default 1) on top of ``done`` (e.g. simulations resumed from the cache).
    An object passed to several tasks (a learning set, a pre-trained network) is sent to the
    workers once. The first task that raises stops the fan-out and its error is raised here;
    tasks already finished keep their outputs.
    """
    weights = list(weights) if weights is not None else [1] * len(tasks)
    bar = tqdm(total=done + sum(weights), initial=done, desc=desc, unit=unit, disable=not progress)
    try:
        client = get_client(workers, scheduler) if tasks else None
        if client is None:
            out = []
            for t, w in zip(tasks, weights):
                out.append(fn(*t))
                bar.update(w)
            return out
        return _on_cluster(client, fn, tasks, weights, bar)
    finally:
        bar.close()


def _on_cluster(client, fn: Callable, tasks: Sequence[tuple], weights: list[int], bar) -> list:
    from distributed import as_completed

    tasks = _scatter_shared(client, tasks)
    futures = {client.submit(fn, *t, pure=False): i for i, t in enumerate(tasks)}
    out = [None] * len(tasks)
    try:
        for f in as_completed(list(futures), loop=client.loop):
            out[futures[f]] = f.result()  # raises the task's own error
            bar.update(weights[futures[f]])
    finally:
        client.cancel(list(futures))  # after an error: nothing more is started
    return out


def _scatter_shared(client, tasks: Sequence[tuple]) -> list[tuple]:
    """Tasks with every argument object that several tasks share replaced by a handle to one copy
    held on each worker (a sweep's learning set would otherwise be sent once per run)."""
    scalar = (int, float, str, bool, bytes, type(None))
    uses = Counter(id(a) for t in tasks for a in t if not isinstance(a, scalar))
    shared = {id(a): a for t in tasks for a in t if uses[id(a)] > 1}
    remote = {i: client.scatter(obj, broadcast=True, hash=False) for i, obj in shared.items()}
    return [tuple(remote.get(id(a), a) for a in t) for t in tasks]
