"""Grid sweeps with numba-cuda kernels. Same functions as sweep_reference.

On a real GPU the outputs live in CuPy arrays (device memory); NumPy outputs are filled through a
device buffer and copied back. Under ``NUMBA_ENABLE_CUDASIM=1`` the kernels run on NumPy arrays in
the simulator (small launches only). Reductions share the host-side logic of ``host`` (plan,
bisection, extremes) and count on the device with one thread per outer combination.
"""

from __future__ import annotations

import math
import os

import numpy as np
from numba import cuda

from . import host
from .host import Plan, extremes, flat

__all__ = ["count_at_least", "count_le", "extremes", "materialize", "quantiles"]

THREADS = 256
SIM = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"


@cuda.jit
def _materialize_k(values, offsets, sizes, const, start, flop, pfs, cols, codes, code_axis, per):
    k = sizes.shape[0]
    i0 = cuda.grid(1)  # type: ignore[call-arg,var-annotated]  # stub: the typing-time signature
    stride = cuda.gridsize(1)
    for i in range(i0, flop.shape[0], stride):
        # canonical product: decompose the flat index, then multiply left to right
        rem = start + i
        p = const
        div = 1
        for a in range(k):
            div *= sizes[a]
        for a in range(k):
            div //= sizes[a]
            j = (rem // div) % sizes[a]
            v = values[offsets[a] + j]
            p = p * v
            cols[a, i] = v
            if a == code_axis:
                codes[i] = j
        flop[i] = p
        pfs[i] = p / per


def _launch(n: int) -> tuple[int, int]:
    if SIM:
        return min(4, max(1, math.ceil(n / 32))), 32
    return min(65_535, max(1, math.ceil(n / THREADS))), THREADS


def _to_device(a):
    if SIM:
        return a
    import cupy

    return cupy.asarray(a)


def materialize(axes, const, start, flop, pfs, cols, codes, code_axis, per) -> None:
    """See sweep_reference.materialize; outputs may be NumPy (copied back) or CuPy arrays."""
    values, offsets, sizes = (_to_device(x) for x in flat(axes))
    host = isinstance(flop, np.ndarray) and not SIM
    if host:
        import cupy

        outs = [cupy.empty(x.shape, x.dtype) for x in (flop, pfs, cols, codes)]
        dev = outs
    else:
        dev = [flop, pfs, cols, codes]
    codes_d = dev[3] if code_axis >= 0 else _to_device(np.empty(1, np.int32))
    blocks, threads = _launch(len(flop))
    _materialize_k[blocks, threads](
        values,
        offsets,
        sizes,
        float(const),
        int(start),
        dev[0],
        dev[1],
        dev[2],
        codes_d,
        int(code_axis),
        float(per),
    )
    if host:
        for d, h in zip(dev, (flop, pfs, cols, codes)):
            if h.size:
                d.get(out=h)


@cuda.jit
def _count_le_k(values, offsets, sizes, const, ax, ay, px, py, group, thr, n_outer, idxs, out):
    k = sizes.shape[0]
    t = cuda.grid(1)  # type: ignore[call-arg,var-annotated]  # stub: the typing-time signature
    stride = cuda.gridsize(1)
    nx = px.shape[0]
    ny = py.shape[0]
    R = thr.shape[1]
    for o in range(t, n_outer, stride):
        rem = o
        for a in range(k - 1, -1, -1):
            if a == ax or a == ay:
                idxs[t, a] = 0
            else:
                idxs[t, a] = rem % sizes[a]
                rem //= sizes[a]
        g = idxs[t, group] if group >= 0 else 0
        for r in range(R):
            v = thr[g, r]
            c = ny
            total = 0
            for i in range(nx):
                idxs[t, ax] = px[i]
                while c > 0:
                    idxs[t, ay] = py[c - 1]
                    p = const
                    for a in range(k):
                        p = p * values[offsets[a] + idxs[t, a]]
                    if p > v:
                        c -= 1
                    else:
                        break
                if c == 0:
                    break
                total += c
            cuda.atomic.add(out, (g, r), total)


def count_le_plan(plan: Plan, thresholds) -> np.ndarray:
    """count_le on a prepared ``host.Plan``, counting on the device."""
    thr = plan.thresholds(thresholds)
    blocks, threads = _launch(plan.n_outer)
    nthreads = blocks * threads
    idxs = _to_device(np.zeros((nthreads, len(plan.sizes)), np.int64))
    out = _to_device(np.zeros(thr.shape, np.int64))
    args = [_to_device(x) for x in (plan.values, plan.offsets, plan.sizes)]
    _count_le_k[blocks, threads](
        *args,
        float(plan.const),
        plan.ax,
        plan.ay,
        _to_device(plan.px),
        _to_device(plan.py),
        plan.group,
        _to_device(thr),
        plan.n_outer,
        idxs,
        out,
    )
    return out if SIM else out.get()


def count_le(axes, const, thresholds, group_axis) -> np.ndarray:
    """See sweep_reference.count_le."""
    return host.count_le(count_le_plan, axes, const, thresholds, group_axis)


def count_at_least(axes, const, threshold, group_axis) -> np.ndarray:
    """See sweep_reference.count_at_least."""
    return host.count_at_least(count_le_plan, axes, const, threshold, group_axis)


def quantiles(axes, const, qs, group_axis) -> np.ndarray:
    """See sweep_reference.quantiles: order statistics by bisection, each count on the device."""
    return host.quantiles(host.bisect_order(count_le_plan), axes, const, qs, group_axis)
