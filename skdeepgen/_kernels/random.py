"""Counter-based random numbers for kernels.

Each random number is a hash of ``(seed, index)`` (SplitMix64 finaliser), so a
kernel call is a pure function of its inputs and seed: results are identical
run after run, for any number of threads, and independent of Numba's global
per-thread generator.  Python draws one seed per kernel call from the
estimator's ``random_state``.
"""
import math

import numpy as np
from numba import types
from numba.extending import intrinsic

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


def _bitcast(src, dst):
    """An intrinsic reinterpreting the bits of a ``src`` scalar as ``dst``."""
    @intrinsic
    def cast(typingctx, x):
        if x != src:
            return None

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(dst))
        return dst(src), codegen
    return cast


#: IEEE-754 bits of a float64 as an int64, and back (LLVM bitcasts)
_bits_of = _bitcast(types.float64, types.int64)
_float_of = _bitcast(types.int64, types.float64)


_MANTISSA = np.int64(0x000FFFFFFFFFFFFF)
_ONE_BITS = np.int64(0x3FF0000000000000)
_LN2 = 0.6931471805599453
_SQRT2 = 1.4142135623730951
# 2 / (2k + 1): log(m) = sum_k 2 s^(2k+1) / (2k+1), s = (m - 1) / (m + 1)
_L = tuple(2.0 / (2 * k + 1) for k in range(12))
# (-1)^k (2 pi)^(2k) / (2k)!: cos(2 pi t) as a polynomial in t^2, |t| <= 1/4
_C = tuple((-1) ** k * (2 * math.pi) ** (2 * k) / math.factorial(2 * k)
           for k in range(12))


@inline
def _horner(coeffs, z):
    """``sum_k coeffs[k] * z**k`` by Horner's rule (a tuple of floats)."""
    n = len(coeffs)
    p = coeffs[n - 1]
    for k in range(n - 2, -1, -1):
        p = coeffs[k] + z * p
    return p


@inline
def _log_positive(x):
    """Natural log of a positive, finite, normal float64 (relative error ~1e-16).

    Plain arithmetic on the exponent and mantissa bits (no libm call), so
    loops that call it vectorise.
    """
    bits = _bits_of(x)
    e = np.float64((bits >> np.int64(52)) - np.int64(1023))
    m = _float_of((bits & _MANTISSA) | _ONE_BITS)  # in [1, 2)
    big = m > _SQRT2
    m = m * 0.5 if big else m
    e = e + 1.0 if big else e
    s = (m - 1.0) / (m + 1.0)  # |s| <= 0.1716
    z = s * s
    p = _horner(_L, z)
    return e * _LN2 + s * p


@inline
def _cos_2pi(u):
    """cos(2 pi u) for u in [0, 1) (absolute error ~1e-16), libm-free."""
    t = 1.0 - u if u > 0.5 else u  # cos(2 pi u) = cos(2 pi t), t in [0, 1/2]
    flip = t > 0.25  # cos(2 pi t) = -cos(2 pi (1/2 - t))
    a = 0.5 - t if flip else t
    z = a * a
    p = _horner(_C, z)
    return -p if flip else p


@inline
def _normal64(base, counter):
    """Standard normal (Box-Muller on two counters ``2c``, ``2c + 1``).

    The log and cosine are the libm-free ``_log_positive`` / ``_cos_2pi``,
    so kernels that draw normals vectorise.
    """
    u1 = _uniform64(base, 2 * counter)
    u2 = _uniform64(base, 2 * counter + 1)
    r = np.sqrt(-2.0 * _log_positive(1.0 - u1))
    return r * _cos_2pi(u2)
