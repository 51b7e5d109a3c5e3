"""The throughput of one Monte Carlo band drawn on a Dask cluster (``mc_band(client=...)``): the
figure behind the bench's 1- and 2-worker rows and the docs' projection to more workers."""

from __future__ import annotations

import time
from typing import Any

from computesim.cluster import connect
from computesim.cluster import workers as cluster_workers
from computesim.core.distributions import LogUniform, Pert, Triangular
from computesim.uncertainty.band import LogModel, mc_band
from computesim.uncertainty.distributed import TASKS_PER_WORKER


def throughput_model() -> LogModel:
    """The 3-variable model of the cluster throughput figures: loguniform x triangular x PERT."""
    return LogModel(
        50.0,
        ("a", "b", "c"),
        (LogUniform(1.0, 5.0), Triangular(1.0, 2.0, 3.0), Pert(0.5, 1.0, 4.0)),
        (1.0, 1.0, 1.0),
    )


def sample_throughput(client: Any, samples: int, parts: int | None = None) -> dict[str, Any]:
    """Samples a second of one Monte Carlo band drawn on ``client``'s workers (a 3-variable
    model: loguniform x triangular x PERT, the histogram path, one pass), after a warm-up run that
    loads the kernels on every worker; for the bench's 1- and 2-worker rows.

    Returns {"samples", "workers", "parts", "seconds", "samples_per_s"}."""
    from computesim.kernels.mc_numba import STORE_MAX  # deferred: Numba is heavy

    model = throughput_model()
    with connect(client, "client") as c:
        workers = cluster_workers(c)
        parts = parts or TASKS_PER_WORKER * workers
        mc_band(model, STORE_MAX + (1 << 16), client=c, parts=parts)  # loads the kernels
        t = time.perf_counter()
        mc_band(model, samples, client=c, parts=parts)
        seconds = time.perf_counter() - t
    return {
        "samples": samples,
        "workers": workers,
        "parts": parts,
        "seconds": seconds,
        "samples_per_s": samples / seconds,
    }
