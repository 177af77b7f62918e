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

#: decorator for kernels whose ``prange`` loops split work over threads
#: (see ``parallel_threads``)
pjit = partial(njit, cache=True, fastmath=FASTMATH, nogil=True,
               error_model="numpy", parallel=True)

#: decorator for small helpers inlined into kernels
inline = partial(njit, inline="always", fastmath=FASTMATH, error_model="numpy")


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


def parallel_threads(wanted):
    """Number of threads a ``pjit`` kernel may use when ``wanted`` are asked for.

    At most ``numba.get_num_threads()``, and 1 off the main thread unless
    the threading layer is safe for concurrent launches (so estimators
    fitted in threads, e.g. joblib's threading backend, never crash).

    Only kernels whose work is long and BLAS-free use threads: measured
    on this project's 2-core machine, running the RBM's element-wise
    kernels on both cores made an MNIST epoch slower (1.6 s -> 1.9 s, and
    10 s with OpenMP's default spinning), because they alternate with
    multi-threaded BLAS calls every few hundred microseconds.
    """
    n = min(int(wanted), numba.get_num_threads())
    if n <= 1:
        return 1
    if (threading.current_thread() is not threading.main_thread()
            and not _layer_is_thread_safe()):
        return 1
    return n
