"""The one place where Numba compilation flags are chosen.

``FASTMATH`` enables the value-safe LLVM fast-math flags (contraction into
FMA, reassociation for vectorised reductions, reciprocal approximations are
*not* among them) but never ``nnan``/``ninf``: kernels must keep NaN and Inf
visible so that the divergence guard can see them.
"""
from functools import partial

from numba import njit

FASTMATH = {"nsz", "contract", "reassoc"}

# error_model="numpy": division by zero gives inf/NaN like NumPy instead of a
# Python exception; the exception check would also stop LLVM from vectorising.

#: decorator for serial kernels: compiled lazily once, cached on disk
jit = partial(njit, cache=True, fastmath=FASTMATH, nogil=True,
              error_model="numpy")

#: decorator for small helpers inlined into kernels
inline = partial(njit, inline="always", fastmath=FASTMATH, error_model="numpy")
