"""Work split into flat index ranges and mapped over a Dask cluster, in order, with retries."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

#: How often Dask re-runs a task whose worker died (a killed worker, a lost connection).
RETRIES = 3


def split_range(n: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous ``(start, stop)`` ranges covering ``range(n)``, sizes differing by <= 1
    (fewer when ``n < parts``; one empty range when ``n == 0``).

    >>> split_range(10, 3)
    [(0, 4), (4, 7), (7, 10)]
    """
    parts = max(1, min(int(parts), int(n))) if n > 0 else 1
    q, r = divmod(int(n), parts)
    bounds = [0]
    for i in range(parts):
        bounds.append(bounds[-1] + q + (1 if i < r else 0))
    return list(itertools.pairwise(bounds))


def one_thread() -> None:
    """Run Numba's parallel loops of the calling thread on one thread (a worker per core)."""
    import numba  # deferred: only on a worker, before its first kernel

    numba.set_num_threads(1)


def _run(fn: Callable[..., Any], start: int, stop: int, args: tuple, kwargs: dict) -> Any:
    one_thread()
    return fn(start, stop, *args, **kwargs)


def map_ranges(
    client: Any,
    fn: Callable[..., Any],
    ranges: Sequence[tuple[int, int]],
    *args: Any,
    retries: int = RETRIES,
    **kwargs: Any,
) -> list[Any]:
    """``[fn(start, stop, *args, **kwargs) for each range]`` run on ``client``'s workers, in order.

    Each task runs on one Numba thread; a task whose worker dies is re-run (``retries`` times).
    ``fn`` must be importable by the workers (a module-level function). If any task fails, the
    others are cancelled and the first error is raised here.
    """
    futures = [
        client.submit(_run, fn, a, b, args, kwargs, pure=False, retries=retries) for a, b in ranges
    ]
    try:
        return client.gather(futures)
    finally:
        client.cancel(futures)
