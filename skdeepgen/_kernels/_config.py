"""The one place where Numba compilation flags are chosen.

``FASTMATH`` enables the value-safe LLVM fast-math flags (contraction into
FMA, reassociation for vectorised reductions, reciprocal approximations are
*not* among them) but never ``nnan``/``ninf``: kernels must keep NaN and Inf
visible so that the divergence guard can see them.
"""
import threading
from functools import partial

import numba
from numba import njit

FASTMATH = {"nsz", "contract", "reassoc"}

# error_model="numpy": division by zero gives inf/NaN like NumPy instead of a
# Python exception; the exception check would also stop LLVM from vectorising.

#: decorator for serial kernels: compiled lazily once, cached on disk
jit = partial(njit, cache=True, fastmath=FASTMATH, nogil=True,
              error_model="numpy")

#: decorator for kernels whose ``prange`` loops split work over threads;
#: callers use them only for arrays large enough to pay for the fork/join
pjit = partial(njit, cache=True, fastmath=FASTMATH, nogil=True,
               error_model="numpy", parallel=True)

#: decorator for small helpers inlined into kernels
inline = partial(njit, inline="always", fastmath=FASTMATH, error_model="numpy")


#: element counts below which a parallel kernel's fork/join costs more than
#: it saves (about 10 us against ~1 ns per element per thread)
PARALLEL_MIN_SIZE = 32768

_SAFE_LAYER = None  # whether Numba's threading layer may be entered from any thread


def _layer_is_thread_safe():
    """True once Numba has chosen a threading layer that tolerates concurrent
    launches (tbb, omp); the fallback "workqueue" layer aborts when two
    Python threads launch parallel kernels at the same time."""
    global _SAFE_LAYER
    if _SAFE_LAYER is None:
        try:
            layer = numba.threading_layer()
        except ValueError:  # no parallel kernel has run yet
            return False
        _SAFE_LAYER = layer != "workqueue"
    return _SAFE_LAYER


def parallel_chunks(size):
    """Number of threads for a ``pjit`` kernel over ``size`` elements (1: serial).

    Serial for small arrays, when Numba is limited to one thread, and off the
    main thread unless the threading layer is safe for concurrent launches
    (so estimators fitted in threads, e.g. joblib's threading backend,
    never crash).  The parallel kernels give bit-for-bit the serial result,
    so this choice never changes a model.
    """
    if size < PARALLEL_MIN_SIZE:
        return 1
    n = numba.get_num_threads()
    if n <= 1:
        return 1
    if (threading.current_thread() is not threading.main_thread()
            and not _layer_is_thread_safe()):
        return 1
    return int(min(n, size // PARALLEL_MIN_SIZE))
