"""Running work on a Dask cluster (the ``dask`` extra): connecting, splitting work into index
ranges, and mapping tasks with retries. Knows nothing of sweeps or bands: the layers above
(``sweeps.distributed``, ``uncertainty.distributed``) say what a task computes."""

from computesim.cluster.client import (
    DASK_MISSING,
    connect,
    dask_available,
    parse_scheduler,
    workers,
)
from computesim.cluster.tasks import map_ranges, one_thread, split_range

__all__ = [
    "DASK_MISSING",
    "connect",
    "dask_available",
    "map_ranges",
    "one_thread",
    "parse_scheduler",
    "split_range",
    "workers",
]
