"""Compare a bench run with a previous one: each row's throughput ratio to the previous run's
matching row (same workload, backend, size and threads), flagged where it moved beyond noise.

Noise: a row counts as changed only when the ratio leaves ``[1/tol, tol]`` with
``tol = max(NOISE_FACTOR, spread_new * spread_old)``, where a run's spread is its median / best time
over the repeats it timed (>= 1). So the stated floor is 1.3x, widened for rows whose own repeats
moved more than that (a loaded, shared machine; a cold start).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from computesim.errors import InputError

KEY = ("workload", "backend", "size", "threads")
NOISE_FACTOR = 1.3  #: the smallest change (either way) reported as slower or faster


def spread(row: dict) -> float:
    """Median / best seconds of a row's repeats (1.0 where either is missing)."""
    med, best = row.get("seconds"), row.get("best_seconds")
    if not med or not best or best <= 0:
        return 1.0
    return max(1.0, med / best)


def tolerance(new: dict, old: dict) -> float:
    """The factor within which ``new`` and ``old`` throughputs count as the same (see the module)."""
    return max(NOISE_FACTOR, spread(new) * spread(old))


def latest(rows: Iterable[dict]) -> dict[tuple, dict]:
    """The rows of the most recent run in ``rows`` (a file appended to holds several), by KEY."""
    rows = list(rows)
    if not rows:
        return {}
    last = max(r["date"] or "" for r in rows)
    return {tuple(r[k] for k in KEY): r for r in rows if (r["date"] or "") == last}


def load(path: str | Path, field: str = "--compare") -> dict[tuple, dict]:
    """The latest run in the results file at ``path``, by KEY; InputError naming ``field`` if it is
    missing or is not a results file."""
    from .suite import conform, read_results

    p = Path(path)
    if not p.is_file():
        raise InputError(field, f"{path}: no such file")
    try:
        table = conform(read_results(p))
    except InputError:
        raise
    except Exception as exc:  # pyarrow raises several types for a file that is not Arrow/Parquet
        raise InputError(
            field, f"{path}: not a bench results file ({type(exc).__name__})"
        ) from None
    return latest(table.to_pylist())


def compare(rows: list[dict], old: dict[tuple, dict]) -> list[dict]:
    """Add to each row ``vs_previous`` (throughput / the previous run's), ``previous_throughput``,
    ``change`` ('slower', 'faster', 'same' or 'new' where the previous run had no such row) and
    ``noise`` (the tolerance used); rows are changed in place and returned."""
    for r in rows:
        prev = old.get(tuple(r[k] for k in KEY))
        if prev is None or not prev.get("throughput"):
            r.update(vs_previous=None, previous_throughput=None, change="new", noise=None)
            continue
        ratio = r["throughput"] / prev["throughput"]
        tol = tolerance(r, prev)
        change = "slower" if ratio < 1 / tol else "faster" if ratio > tol else "same"
        r.update(
            vs_previous=ratio,
            previous_throughput=prev["throughput"],
            change=change,
            noise=tol,
        )
    return rows


def hosts_differ(rows: list[dict], old: dict[tuple, dict]) -> str | None:
    """A line naming both CPUs when the previous run was on another CPU model or ISA, else None."""
    if not rows or not old:
        return None
    a, b = rows[0], next(iter(old.values()))
    fields = ("cpu_model", "cpu_id", "cpu_flags")
    if all(a.get(f) == b.get(f) or b.get(f) is None for f in fields):
        return None

    def name(r: dict) -> str:
        return f"{r.get('cpu_model')} ({r.get('cpu_id') or '?'}; {r.get('cpu_flags') or '?'})"

    return f"previous run on another CPU: {name(b)}; this run: {name(a)}"
