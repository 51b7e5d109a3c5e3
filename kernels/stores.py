"""Non-temporal ("streaming") stores for Numba kernels that write more than the caches hold.

An ordinary store to a line not in cache first reads the line (read-for-ownership); a streaming
store skips the caches and that read, through the write-combining buffers. Numba has no switch
for it, so ``stream`` is MOVNTI by inline assembly on x86-64 (32- and 64-bit values, floats by
their bits) and elsewhere an LLVM store with ``!nontemporal`` metadata, which the target lowers
to what it has (at worst an ordinary store). Streaming stores are weakly ordered: a kernel calls
``fence`` after its last one, before other threads read.

Measured on the Intel Xeon host (family 6 model 207, 2 cores, 2026-12-02; bench/RESULTS.md): a
one-stream parallel fill of 1 GiB 15-18 GB/s by ordinary stores, 18-22 GB/s by these in one
process and 7.8-11.6 GB/s in another. Seven interleaved streams of single streaming stores (the
materialised sweep's columns) were slower than ordinary stores, so ``sweep_numba`` streams one
column at a time (1.1-1.35x its ordinary stores, alternating in one process).
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from typing import Any, cast

from llvmlite import binding as llvm  # type: ignore[import-untyped]  # llvmlite ships no type hints
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

#: x86-64: MOVNTI (32- and 64-bit stores from a general register) and SFENCE as inline assembly.
#: LLVM's ``!nontemporal`` store of a scalar double is an ordinary store on Intel (only AMD's SSE4A
#: has MOVNTSD), and InstCombine turns a double stored as int64 back into a double store.
X86 = platform.machine().lower() in ("x86_64", "amd64")
if X86:  # inline assembly needs the target's assembly parser (Numba sets up only the printer)
    llvm.initialize_native_asmparser()


def _movnti(builder: Any, ptr: Any, val: Any, dtype: Any) -> bool:
    """Emit ``movnti val, (ptr)`` for a 32- or 64-bit value on x86-64; False where it cannot."""
    bits = getattr(dtype, "bitwidth", 0)
    if not X86 or bits not in (32, 64) or not isinstance(dtype, (types.Integer, types.Float)):
        return False
    ity = ir.IntType(bits)
    word = builder.bitcast(val, ity) if isinstance(dtype, types.Float) else val
    fnty = ir.FunctionType(ir.VoidType(), [ptr.type, ity])
    builder.asm(fnty, "movnti $1, ($0)", "r,r,~{memory}", [ptr, word], side_effect=True)
    return True


@intrinsic
def _stream(typingctx: Any, arr: Any, i: Any, v: Any) -> Any:
    """arr[i] = v (1-D writable array, 0 <= i < len(arr), not checked) by a non-temporal store."""
    ok = isinstance(arr, types.Array) and arr.ndim == 1 and arr.mutable
    if not ok or not isinstance(i, types.Integer):
        return None
    sig = types.void(arr, i, v)

    def codegen(context, builder, signature, args):
        aty, _, vty = signature.args
        ary = context.make_array(aty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aty, ary, [args[1]], wraparound=False)
        val = context.cast(builder, args[2], vty, aty.dtype)
        if not _movnti(builder, ptr, val, aty.dtype):  # elsewhere: LLVM's hint, at worst a store
            st = builder.store(val, ptr)
            st.set_metadata(
                "nontemporal", builder.module.add_metadata([ir.Constant(ir.IntType(32), 1)])
            )
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def _fence(typingctx: Any) -> Any:
    """A store fence (x86-64: SFENCE, then LLVM's seq_cst fence): the streaming stores before it
    are visible to every thread that synchronises with this one afterwards."""

    def codegen(context, builder, signature, args):
        if X86:
            fnty = ir.FunctionType(ir.VoidType(), [])
            builder.asm(fnty, "sfence", "~{memory}", [], side_effect=True)
        builder.fence("seq_cst")
        return context.get_dummy_value()

    return types.void(), codegen


#: the intrinsics as kernels call them (numba supplies ``typingctx``; the casts tell the type checker)
stream = cast(Callable[[Any, int, Any], None], _stream)
fence = cast(Callable[[], None], _fence)
