"""Non-temporal ("streaming") stores for Numba kernels that write more than the caches hold.

An ordinary store to a line not in cache first reads the line (read-for-ownership); a streaming
store skips the caches and that read, through the write-combining buffers. Numba has no switch
for it, so ``stream`` is an LLVM store with ``!nontemporal`` metadata (x86: MOVNTI / MOVNTPD;
elsewhere LLVM lowers it to what the target has, at worst an ordinary store). Streaming stores
are weakly ordered: a kernel calls ``fence`` after its last one, before other threads read.

Measured on the Intel Xeon host (family 6 model 207, 2 cores, 2026-12-02): the materialised
sweep's seven output streams 10.6 -> 14.3 GB/s (bench/RESULTS.md); a one-stream fill gains
nothing (15.3-15.9 GB/s either way), so streaming is kept for many-stream writes far beyond the
caches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from llvmlite import ir  # type: ignore[import-untyped]  # llvmlite ships no type hints
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def _stream(typingctx: Any, arr: Any, i: Any, v: Any) -> Any:
    """arr[i] = v (1-D array, 0 <= i < len(arr), not checked) by a non-temporal store."""
    if not isinstance(arr, types.Array) or arr.ndim != 1 or not isinstance(i, types.Integer):
        return None
    sig = types.void(arr, i, v)

    def codegen(context, builder, signature, args):
        aty, _, vty = signature.args
        ary = context.make_array(aty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aty, ary, [args[1]], wraparound=False)
        st = builder.store(context.cast(builder, args[2], vty, aty.dtype), ptr)
        one = builder.module.add_metadata([ir.Constant(ir.IntType(32), 1)])
        st.set_metadata("nontemporal", one)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def _fence(typingctx: Any) -> Any:
    """A full memory fence (x86: MFENCE): the streaming stores before it are visible to all."""

    def codegen(context, builder, signature, args):
        builder.fence("seq_cst")
        return context.get_dummy_value()

    return types.void(), codegen


#: the intrinsics as kernels call them (numba supplies ``typingctx``; the casts tell the type checker)
stream = cast(Callable[[Any, int, Any], None], _stream)
fence = cast(Callable[[], None], _fence)
