"""Progress of a sweep: the engine calls ``progress(done, total)`` (points) after each chunk; this
module's ``tqdm_bar`` renders those calls as a tqdm bar on stderr (the CLI's, and the API's
``progress=True``)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

#: A progress callback: points done so far, and the grid's points in all.
Progress = Callable[[int, int], None]


@contextmanager
def tqdm_bar(enabled: bool = True) -> Iterator[Progress | None]:
    """A callback drawing a tqdm bar on stderr (None when disabled or stderr is no terminal); the
    bar is closed on exit."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm  # third-party, loaded only when a bar is drawn

    bar: Any = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="pt", unit_scale=True, desc="sweep", file=sys.stderr)
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()
