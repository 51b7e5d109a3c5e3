"""The one exception that bad input raises, owned by the lowest layer so that every layer (kernels
included) raises the same class; ``computesim.errors`` re-exports it with the checks that use it."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input: names the field and the problem, e.g. ``--days: must be positive, got -3``."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")
