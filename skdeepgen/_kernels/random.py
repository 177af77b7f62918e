"""Counter-based random numbers for kernels.

Each random number is a hash of ``(seed, index)`` (SplitMix64 finaliser), so a
kernel call is a pure function of its inputs and seed: results are identical
run after run, for any number of threads, and independent of Numba's global
per-thread generator.  Python draws one seed per kernel call from the
estimator's ``random_state``.
"""
import numpy as np

from ._config import inline

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0


@inline
def _mix64(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@inline
def _stream_base(seed):
    """Scramble a user seed into the start of a counter stream."""
    return _mix64(np.uint64(seed) * _GOLDEN + _GOLDEN)


@inline
def _uniform64(base, counter):
    """Uniform float64 in [0, 1) with 53 random bits."""
    return np.float64(_mix64(base + np.uint64(counter)) >> _S11) * _INV53


@inline
def _normal64(base, counter):
    """Standard normal (Box-Muller on two counters ``2c``, ``2c + 1``)."""
    u1 = _uniform64(base, 2 * counter)
    u2 = _uniform64(base, 2 * counter + 1)
    r = np.sqrt(-2.0 * np.log(1.0 - u1))
    return r * np.cos(6.283185307179586 * u2)
