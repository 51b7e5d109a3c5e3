"""The Monte Carlo kernels' encoding of a model: family codes, parameter slots and the table grid.

Every producer (``core.distributions``, ``uncertainty``, ``kernels.tables``) and consumer (the
``mc_*`` kernels) imports these names from here; none is defined anywhere else (tested in
tests/kernels/test_encoding.py).

A variable is a family code ``fam[k]`` and a row ``par[k]`` of ``NPAR`` (or, with lookup tables,
``NPAR_LUT``) floats; ``par[k, 0:6]`` are the family's parameters (see ``mc_scalar.build_draw_log``)
and ``par[k, 6:]`` switch its lookup tables on (see ``mc_scalar.build_draw_log_fast``).
"""

from __future__ import annotations

#: family codes of ``fam[k]``
LOGNORMAL, LOGUNIFORM, UNIFORM, TRUNCNORMAL, TRIANGULAR, TABLE = 0, 1, 2, 3, 4, 5

#: par[k, 0:6] the family's parameters; par[k, 6:9] its lookup table (see build_draw_log_fast)
NPAR = 9
#: par columns with tables: 6..8 main table (u_lo, 1/spacing, offset), 9..11 tail tables
NPAR_LUT = 12

LUT_TAIL = 1.0 / 64
#: table intervals: 2**-12 apart in u over [LUT_TAIL, 1 - LUT_TAIL] (an exact grid: the numba kernel
#: reads the interval and the fraction off the bits of the Philox word)
LUT_INTERVALS = (1 << 12) - (1 << 7)
LUT_SPACING = (1 - 2 * LUT_TAIL) / LUT_INTERVALS  #: 2**-12

#: on the default grid the main table is preceded by LUT_PAD copies of its first value and followed
#: by LUT_PAD copies of its last, so that the top 12 bits of a Philox word index the table directly
#: (u's interval in [0, 1)) without clamping; the words in the tails are then recomputed
LUT_PAD = 64

TAIL2 = 2.0**-10  #: second-tier tables cover u in [TAIL2, LUT_TAIL) and [1 - LUT_TAIL, 1 - TAIL2]
TAIL2_SPACING = 2.0**-16  #: their spacing in u (an exact grid, like the main table's)
