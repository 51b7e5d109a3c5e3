"""Non-temporal ("streaming") stores for Numba kernels that write more than the caches hold.

An ordinary store to a line not in cache first reads the line (read-for-ownership); a streaming
store skips the caches and that read, through the write-combining buffers. Numba has no switch
for it, so this module gives two kinds:

* ``stream``: one item, MOVNTI by inline assembly on x86-64 (32- and 64-bit values, floats by
  their bits), elsewhere an LLVM store with ``!nontemporal`` metadata, which the target lowers to
  what it has (at worst an ordinary store);
* the line stores (``stream_line``, ``stream_splat``, ``stream_split``, ``stream_product``,
  ``stream_quotient``, ``stream_blend``, ``stream_count``): one aligned 64-byte vector with
  ``!nontemporal`` (VMOVNTPD/PS/DQ on x86-64, on any target LLVM's non-temporal vector store),
  its values computed in registers. A whole line leaves the write-combining buffer at once.

Streaming stores are weakly ordered: a kernel calls ``fence`` after its last one, before other
threads read.

Measured on the Intel Xeon host (family 6 model 207, 2 cores, 2026-12-02; bench/RESULTS.md),
parallel fills of 1 GiB: ordinary stores 15-18 GB/s, MOVNTI 6-24 GB/s (it moves 2-4x between
runs), line stores 38-47 GB/s. Seven interleaved streams of MOVNTI were slower than ordinary
stores; whole lines do not care how the streams interleave.
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from typing import Any, cast

from llvmlite import binding as llvm  # type: ignore[import-untyped]  # llvmlite ships no type hints
from llvmlite import ir
from numba import njit, types
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


LINE = 64  #: bytes a vector streaming store writes (``stream_line``): one cache line


@njit(inline="always", cache=True)
def line_start(o, n, width, mis):
    """The first line start at or before item ``o`` of a row of ``n`` items whose item 0 lies
    ``mis`` items into a line of ``width`` items (0 and n stay: nothing is written beyond them).
    Parallel blocks that end at line starts never write one line in parts."""
    if o <= 0 or o >= n:
        return o
    return o - ((mis + o) & (width - 1))


def _is_index(arr: Any, i: Any) -> bool:
    """``i`` indexes one element of ``arr``: an integer (1-D) or a tuple of ndim integers."""
    if isinstance(i, types.Integer):
        return bool(arr.ndim == 1)
    return (
        isinstance(i, types.UniTuple) and isinstance(i.dtype, types.Integer) and i.count == arr.ndim
    )


def _pointer(context: Any, builder: Any, aty: Any, ary: Any, ity: Any, i: Any) -> Any:
    """The address of ary[i], ``i`` an integer or a tuple (no bounds or wraparound handling)."""
    idx = cgutils.unpack_tuple(builder, i, ity.count) if isinstance(ity, types.UniTuple) else [i]
    return cgutils.get_item_pointer(context, builder, aty, ary, idx, wraparound=False)


def _nontemporal(builder: Any, store: Any) -> None:
    store.set_metadata("nontemporal", builder.module.add_metadata([ir.Constant(ir.IntType(32), 1)]))


@intrinsic
def _stream(typingctx: Any, arr: Any, i: Any, v: Any) -> Any:
    """arr[i] = v (writable array; i an integer on 1-D, else a tuple; in bounds, not checked) by
    a non-temporal store."""
    ok = isinstance(arr, types.Array) and arr.mutable
    if not ok or not _is_index(arr, i):
        return None
    sig = types.void(arr, i, v)

    def codegen(context, builder, signature, args):
        aty, ity, vty = signature.args
        ary = context.make_array(aty)(context, builder, args[0])
        ptr = _pointer(context, builder, aty, ary, ity, args[1])
        val = context.cast(builder, args[2], vty, aty.dtype)
        if not _movnti(builder, ptr, val, aty.dtype):  # elsewhere: LLVM's hint, at worst a store
            _nontemporal(builder, builder.store(val, ptr))
        return context.get_dummy_value()

    return sig, codegen


def _is_line_array(arr: Any) -> bool:
    """A C-contiguous array of a numeric dtype whose item size divides LINE."""
    if not isinstance(arr, types.Array) or arr.layout != "C":
        return False
    size = getattr(arr.dtype, "bitwidth", 0) // 8
    return isinstance(arr.dtype, (types.Integer, types.Float)) and size > 0 and LINE % size == 0


def _line_type(context: Any, aty: Any) -> Any:
    """The LLVM vector of one line of ``aty``'s items."""
    return ir.VectorType(context.get_data_type(aty.dtype), LINE // (aty.dtype.bitwidth // 8))


def _load_line(context: Any, builder: Any, sty: Any, src: Any, jty: Any, j: Any) -> Any:
    """src[j:j + w] as a vector (any alignment of the item size)."""
    s = context.make_array(sty)(context, builder, src)
    at = _pointer(context, builder, sty, s, jty, j)
    vty = _line_type(context, sty)
    return builder.load(builder.bitcast(at, vty.as_pointer()), align=sty.dtype.bitwidth // 8)


def _store_line(context: Any, builder: Any, dty: Any, dst: Any, ity: Any, i: Any, vec: Any) -> Any:
    """dst[i:i + w] = vec by one aligned non-temporal store: VMOVNTPD/VMOVNTDQ on x86-64 (two or
    four of them without AVX-512), the whole line at once, so the write-combining buffer flushes
    it whole."""
    d = context.make_array(dty)(context, builder, dst)
    to = builder.bitcast(_pointer(context, builder, dty, d, ity, i), vec.type.as_pointer())
    _nontemporal(builder, builder.store(vec, to, align=LINE))
    return context.get_dummy_value()


def _splat(builder: Any, vty: Any, v: Any) -> Any:
    """A vector of type ``vty`` with every lane ``v``."""
    one = builder.insert_element(ir.Constant(vty, ir.Undefined), v, ir.Constant(ir.IntType(32), 0))
    return builder.shuffle_vector(
        one, one, ir.Constant(ir.VectorType(ir.IntType(32), vty.count), None)
    )


def _writable_line(dst: Any, i: Any) -> bool:
    return _is_line_array(dst) and dst.mutable and _is_index(dst, i)


def _source_line(dst: Any, src: Any, j: Any) -> bool:
    return _is_line_array(src) and src.dtype == dst.dtype and _is_index(src, j)


# The line stores below write w = LINE // itemsize items dst[i:i + w] along the last axis by one
# non-temporal vector store. dst[i] must start a 64-byte line, and every index lie in bounds in a
# C-contiguous row (not checked). No value passes through memory on its way to the store.


@intrinsic
def _stream_line(typingctx: Any, dst: Any, i: Any, src: Any, j: Any) -> Any:
    """dst[i:i + w] = src[j:j + w]."""
    if not (_writable_line(dst, i) and _source_line(dst, src, j)):
        return None

    def codegen(context, builder, signature, args):
        dty, ity, sty, jty = signature.args
        vec = _load_line(context, builder, sty, args[2], jty, args[3])
        return _store_line(context, builder, dty, args[0], ity, args[1], vec)

    return types.void(dst, i, src, j), codegen


@intrinsic
def _stream_splat(typingctx: Any, dst: Any, i: Any, v: Any) -> Any:
    """dst[i:i + w] = v."""
    if not (_writable_line(dst, i) and isinstance(v, (types.Integer, types.Float))):
        return None

    def codegen(context, builder, signature, args):
        dty, ity, vty = signature.args
        val = context.cast(builder, args[2], vty, dty.dtype)
        vec = _splat(builder, _line_type(context, dty), val)
        return _store_line(context, builder, dty, args[0], ity, args[1], vec)

    return types.void(dst, i, v), codegen


@intrinsic
def _stream_split(typingctx: Any, dst: Any, i: Any, a: Any, b: Any, c: Any) -> Any:
    """dst[i + u] = a for u < c, else b, u < w: a line across two runs of constant values."""
    scalars = all(isinstance(x, (types.Integer, types.Float)) for x in (a, b))
    if not (_writable_line(dst, i) and scalars and isinstance(c, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        dty, ity, aty, bty, cty = signature.args
        vty = _line_type(context, dty)
        lanes = ir.Constant(ir.VectorType(ir.IntType(64), vty.count), list(range(vty.count)))
        cut = _splat(builder, lanes.type, context.cast(builder, args[4], cty, types.int64))
        first = builder.icmp_signed("<", lanes, cut)
        va = _splat(builder, vty, context.cast(builder, args[2], aty, dty.dtype))
        vb = _splat(builder, vty, context.cast(builder, args[3], bty, dty.dtype))
        vec = builder.select(first, va, vb)
        return _store_line(context, builder, dty, args[0], ity, args[1], vec)

    return types.void(dst, i, a, b, c), codegen


def _scaled_line(
    context: Any, builder: Any, sty: Any, src: Any, jty: Any, j: Any, pty: Any, p: Any
) -> Any:
    """p * src[j:j + w] as a vector, each product rounded."""
    vec = _load_line(context, builder, sty, src, jty, j)
    scale = context.cast(builder, p, pty, sty.dtype)
    return builder.fmul(_splat(builder, _line_type(context, sty), scale), vec)


def _scaled_codegen(divides: bool) -> Any:
    """Codegen of dst[i:i + w] = p * src[j:j + w], then / d when ``divides``."""

    def codegen(context, builder, signature, args):
        dty, ity, sty, jty, pty = signature.args[:5]
        vty = _line_type(context, dty)
        vec = _scaled_line(context, builder, sty, args[2], jty, args[3], pty, args[4])
        if divides:
            d = context.cast(builder, args[5], signature.args[5], dty.dtype)
            vec = builder.fdiv(vec, _splat(builder, vty, d))
        return _store_line(context, builder, dty, args[0], ity, args[1], vec)

    return codegen


def _scaled_operands(dst: Any, i: Any, src: Any, j: Any, *scalars: Any) -> bool:
    floats = isinstance(dst, types.Array) and isinstance(dst.dtype, types.Float)
    numbers = all(isinstance(x, (types.Integer, types.Float)) for x in scalars)
    return floats and numbers and _writable_line(dst, i) and _source_line(dst, src, j)


@intrinsic
def _stream_product(typingctx: Any, dst: Any, i: Any, src: Any, j: Any, p: Any) -> Any:
    """dst[i + u] = p * src[j + u] for u < w (float arrays)."""
    if not _scaled_operands(dst, i, src, j, p):
        return None
    return types.void(dst, i, src, j, p), _scaled_codegen(False)


@intrinsic
def _stream_quotient(typingctx: Any, dst: Any, i: Any, src: Any, j: Any, p: Any, d: Any) -> Any:
    """dst[i + u] = (p * src[j + u]) / d for u < w, each operation rounded (float arrays)."""
    if not _scaled_operands(dst, i, src, j, p, d):
        return None
    return types.void(dst, i, src, j, p, d), _scaled_codegen(True)


@intrinsic
def _stream_blend(
    typingctx: Any, dst: Any, i: Any, src: Any, ja: Any, jb: Any, pa: Any, pb: Any, c: Any, d: Any
) -> Any:
    """dst[i + u] = (pa * src[ja + u]) / d for u < c, else (pb * src[jb + u]) / d, u < w, each
    operation rounded (float arrays): a line across two runs. Both src runs must lie in bounds."""
    if not (_scaled_operands(dst, i, src, ja, pa, pb, d) and _is_index(src, jb)):
        return None
    if not isinstance(c, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        dty, ity, sty, jaty, jbty, paty, pbty, cty, qty = signature.args
        vty = _line_type(context, dty)
        va = _scaled_line(context, builder, sty, args[2], jaty, args[3], paty, args[5])
        vb = _scaled_line(context, builder, sty, args[2], jbty, args[4], pbty, args[6])
        lanes = ir.Constant(ir.VectorType(ir.IntType(64), vty.count), list(range(vty.count)))
        cut = _splat(builder, lanes.type, context.cast(builder, args[7], cty, types.int64))
        vec = builder.select(builder.icmp_signed("<", lanes, cut), va, vb)
        d = context.cast(builder, args[8], qty, dty.dtype)
        vec = builder.fdiv(vec, _splat(builder, vty, d))
        return _store_line(context, builder, dty, args[0], ity, args[1], vec)

    return types.void(dst, i, src, ja, jb, pa, pb, c, d), codegen


@intrinsic
def _stream_count(typingctx: Any, dst: Any, i: Any, c: Any, step: Any) -> Any:
    """dst[i + u] = c + step * u for u < w (integer arrays)."""
    ints = isinstance(dst, types.Array) and isinstance(dst.dtype, types.Integer)
    if not (ints and _writable_line(dst, i) and isinstance(c, types.Integer)):
        return None
    if not isinstance(step, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        dty, ity, cty, sty = signature.args
        vty = _line_type(context, dty)
        lanes = ir.Constant(vty, list(range(vty.count)))
        first = _splat(builder, vty, context.cast(builder, args[2], cty, dty.dtype))
        by = _splat(builder, vty, context.cast(builder, args[3], sty, dty.dtype))
        vec = builder.add(first, builder.mul(by, lanes))
        return _store_line(context, builder, dty, args[0], ity, args[1], vec)

    return types.void(dst, i, c, step), codegen


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
stream = cast(Callable[[Any, Any, Any], None], _stream)
stream_line = cast(Callable[[Any, Any, Any, Any], None], _stream_line)
stream_splat = cast(Callable[[Any, Any, Any], None], _stream_splat)
stream_split = cast(Callable[[Any, Any, Any, Any, Any], None], _stream_split)
stream_product = cast(Callable[[Any, Any, Any, Any, Any], None], _stream_product)
stream_quotient = cast(Callable[[Any, Any, Any, Any, Any, Any], None], _stream_quotient)
stream_blend = cast(Callable[..., None], _stream_blend)
stream_count = cast(Callable[[Any, Any, Any, Any], None], _stream_count)
fence = cast(Callable[[], None], _fence)
