"""Connecting to a Dask cluster: ``local[:N]`` starts a LocalCluster of N single-threaded worker
processes; anything else is a scheduler address. Without the ``dask`` extra, asking for a cluster
is one InputError naming the field."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
from collections.abc import Iterator
from typing import Any

from computesim.errors import InputError, shown

#: The problem reported when a cluster is asked for and Dask is not installed.
DASK_MISSING = "needs Dask: pip install 'computesim[dask]'"

#: Environment of every local worker process: one thread per library (no oversubscription: one
#: worker process per core, each running one task at a time on one thread).
WORKER_ENV = {
    "NUMBA_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def dask_available() -> bool:
    """True when ``dask.distributed`` can be imported (the ``dask`` extra is installed)."""
    return importlib.util.find_spec("distributed") is not None


#: A scheduler address: ``[scheme://]host:port`` (tcp, tls, ws, wss, ucx), or ``scheme://host``.
ADDRESS = re.compile(r"^(?:(tcp|tls|ws|wss|ucx)://)?[A-Za-z0-9._\-\[\]]+(?::[0-9]{1,5})?$")


def workers(client: Any) -> int:
    """The number of workers ``client``'s scheduler has now (at least 1)."""
    return max(1, len(client.nthreads()))


def parse_scheduler(text: str, field: str = "scheduler") -> tuple[str, int | None]:
    """``("local", N or None)`` for ``local`` / ``local:N``; ``("address", None)`` otherwise.

    >>> parse_scheduler("local:2"), parse_scheduler("tcp://10.0.0.5:8786")
    (('local', 2), ('address', None))
    """
    if not isinstance(text, str) or not text.strip():
        raise InputError(
            field, f"expected local, local:N or a scheduler address, got {shown(text)}"
        )
    name, _, n = text.strip().partition(":")
    if name.lower() != "local":
        address = text.strip()
        if not ADDRESS.match(address) or ("://" not in address and ":" not in address):
            raise InputError(
                field,
                f"expected local, local:N or a scheduler address like tcp://host:8786, got "
                f"{shown(text)}",
            )
        return "address", None
    if not n:
        return "local", None
    try:
        workers = int(n)
    except ValueError:
        raise InputError(
            field, f"local:N needs a whole number of workers, got {shown(n)}"
        ) from None
    if workers < 1:
        raise InputError(field, f"local:N needs at least one worker, got {workers}")
    return "local", workers


@contextlib.contextmanager
def connect(scheduler: Any, field: str = "scheduler") -> Iterator[Any]:
    """A ``distributed.Client`` for ``scheduler``; closes what it opened (not a Client passed in).

    ``scheduler``: a ``distributed.Client`` (used as is), ``"local"`` (one single-threaded worker
    process per CPU core), ``"local:N"`` (N workers) or a scheduler address
    (``tcp://host:8786``). InputError naming ``field`` without the ``dask`` extra, or when the
    scheduler cannot be reached.
    """
    if not isinstance(scheduler, str):
        if type(scheduler).__name__ != "Client":
            raise InputError(
                field,
                f"expected a distributed.Client or an address, got {type(scheduler).__name__}",
            )
        yield scheduler
        return
    kind, workers = parse_scheduler(scheduler, field)
    if not dask_available():
        raise InputError(field, DASK_MISSING)
    from distributed import Client, LocalCluster  # deferred: Dask is an optional extra

    if kind == "local":
        with (
            LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                # no dashboard; the scheduler's HTTP server (/health, metrics) on a free port, not
                # 8787: a second cluster on the host would warn and leak the socket it tried
                scheduler_kwargs={"dashboard_address": ":0"},
                env=dict(WORKER_ENV),
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(scheduler.strip(), timeout="10s")
    except (OSError, ValueError, TypeError) as exc:  # unreachable, or an address Dask refuses
        raise InputError(field, f"cannot reach scheduler {shown(scheduler)}: {exc}") from None
    with client:
        yield client
