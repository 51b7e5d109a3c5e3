"""Printing helpers shared by the subcommands: JSON and aligned text tables."""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from computesim.errors import InputError


def _clean(obj: Any) -> Any:
    """JSON has no NaN/inf: map them to None; numpy scalars to Python."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def emit_json(obj: Any) -> None:
    """Print ``obj`` as JSON (NaN -> null) on stdout."""
    json.dump(_clean(obj), sys.stdout, indent=2)
    sys.stdout.write("\n")


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Left-aligned text columns, numbers right-aligned."""
    cells = [[str(c) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(r: Sequence[str], raw: Sequence[Any] | None = None) -> str:
        out = []
        for i, c in enumerate(r):
            num = raw is not None and isinstance(raw[i], (int, float))
            out.append(c.rjust(widths[i]) if num else c.ljust(widths[i]))
        return "  ".join(out).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep] + [line(c, r) for c, r in zip(cells, rows)])


def with_flags(exc: InputError, flags: Mapping[str, str]) -> InputError:
    """``exc`` as the CLI shows it: its field, and each `name` quoted in its problem, as the flag
    that sets it (``flags``: API parameter -> flag; names not in it are left as they are)."""
    problem = re.sub(r"`(\w+)`", lambda m: flags.get(m.group(1), m.group(0)), exc.problem)
    return InputError(flags.get(exc.field, exc.field), problem)
