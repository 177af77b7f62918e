"""Fused element-wise kernels for unit types (mean + sample + statistics).

A "pre-activation" array ``pre`` holds the BLAS product (``v @ W.T`` or
``h @ W``); the kernels add the bias, apply the unit's nonlinearity, draw
samples with the counter-based generator and accumulate column sums, all in
one pass over memory.
"""
import math

import numpy as np

from numba import types
from numba.extending import overload

from ._config import FASTMATH, jit, inline
from .random import (_bitcast, _horner, _log_positive, _normal64, _stream_base,
                     _uniform64)


# Taylor coefficients 1/k! for exp on [-0.625, 0.625]
_E = tuple(1.0 / math.factorial(k) for k in range(14))


@inline
def _square_times(e, k):
    """``e ** (2 ** k)`` by ``k`` squarings (``k`` a constant: unrolled)."""
    for _ in range(k):
        e = e * e
    return e


@inline
def _exp_clamped(x):
    """exp(x) for |x| <= 40 in float64, relative error ~1e-13.

    exp(x) = exp(x / 64) ** 64: a degree-13 Taylor polynomial on
    |x / 64| <= 0.625 and six squarings.  Unlike libm's exp this is plain
    arithmetic, so LLVM vectorises the loops that call it (about 4x faster
    for the sigmoid kernels); callers clamp x to [-40, 40].
    """
    return _square_times(_horner(_E, x * 0.015625), 6)


@inline
def _exp_nonpositive(x):
    """exp(x) for x <= 0 in float64, relative error ~1e-13 above -640.

    ``exp(x / 16) ** 16`` with the vectorisable ``_exp_clamped``; below
    -640 (where exp is < 1e-278) the argument is clamped.
    """
    y = x * 0.0625
    y = -40.0 if y < -40.0 else y
    return _square_times(_exp_clamped(y), 4)


@inline
def _sigmoid64(x):
    """Logistic function in float64, exact to ~1e-13 (NaN propagates).

    Beyond |x| = 40 the result is 0 or 1 to double precision anyway.
    """
    z = -np.float64(x)
    z = 40.0 if z > 40.0 else z
    z = -40.0 if z < -40.0 else z
    return 1.0 / (1.0 + _exp_clamped(z))


_f32 = np.float32
#: IEEE-754 bits of a float32 as an int32, and back
_bits_of32 = _bitcast(types.float32, types.int32)
_float_of32 = _bitcast(types.int32, types.float32)
# Taylor coefficients 1/k! for exp on |r| <= ln(2) / 2, in float32
_E32 = tuple(_f32(1.0 / math.factorial(k)) for k in range(8))
_LOG2E32 = _f32(1.4426950408889634)
_LN2_HI32 = _f32(0.693359375)  # ln 2 = hi + lo, hi with few mantissa bits, so
_LN2_LO32 = _f32(-2.12194440e-4)  # that n * hi is exact (Cody-Waite)


@inline
def _exp32(x):
    """exp(x) in float32 for |x| <= 80, relative error ~1e-7 (2 ulp).

    ``x = n ln 2 + r``: a degree-7 polynomial for ``exp(r)``, then ``n`` is
    added to the exponent bits.  Eight float32 lanes per vector instead of
    four, and fewer steps than the float64 ``_exp_clamped``.
    """
    n = np.floor(x * _LOG2E32 + _f32(0.5))
    r = (x - n * _LN2_HI32) - n * _LN2_LO32
    p = _f32(_horner(_E32, r))
    return _float_of32(np.int32(_bits_of32(p) + (np.int32(n) << np.int32(23))))


@inline
def _sigmoid32(x):
    """Logistic function in float32, relative error <= 3e-7 (NaN propagates)."""
    z = -x
    z = _f32(80.0) if z > _f32(80.0) else z
    z = _f32(-80.0) if z < _f32(-80.0) else z
    p = _f32(1.0) / (_f32(1.0) + _exp32(z))
    return p if x == x else x


def _sigmoid(x):
    """Logistic function of a float: float32 math for float32, else float64.

    Call it at most once per argument type in a kernel; where a kernel needs
    a second float64 sigmoid, call ``_sigmoid64`` directly.  Numba's inliner
    of overloads gives the second inlined copy of the same implementation
    SSA versions of its variables (the loop and branch variables of
    ``_horner``, ``_square_times``, the clamps) that the caller's scope does
    not know: a ``NumbaIRAssumptionWarning`` per variable on every fresh
    compile (numba issues #7802, #8130).  ``tests/test_common.py`` compiles
    the kernels fresh with that warning as an error.
    """
    raise NotImplementedError("only callable from compiled kernels")


@overload(_sigmoid, inline="always", fastmath=FASTMATH)
def _sigmoid_impl(x):
    if x == types.float32:
        return lambda x: _sigmoid32(x)
    return lambda x: _sigmoid64(x)


def _tanh(x):
    """tanh of a float as ``2 sigmoid(2 x) - 1``: float32 math for float32
    (eight lanes per vector; absolute error ~1e-7), else float64.  Call it
    at most once per kernel, like ``_sigmoid``."""
    raise NotImplementedError("only callable from compiled kernels")


@overload(_tanh, inline="always", fastmath=FASTMATH)
def _tanh_impl(x):
    if x == types.float32:
        return lambda x: _f32(2.0) * _sigmoid32(_f32(2.0) * x) - _f32(1.0)
    return lambda x: 2.0 * _sigmoid64(2.0 * x) - 1.0


_ATANH32 = tuple(_f32(1.0 / (2 * k + 1)) for k in range(7))


@inline
def _log1p32(t):
    """``log(1 + t)`` for ``t`` in [0, 1] in float32 (relative error ~1e-7):
    ``2 atanh(t / (2 + t))``, whose series in ``s = t / (2 + t) <= 1/3``
    converges by a factor 9 per term."""
    s = t / (_f32(2.0) + t)
    return _f32(2.0) * s * _f32(_horner(_ATANH32, s * s))


@inline
def _sigmoid_softplus32(z):
    """``(sigmoid(z), softplus(z))`` in float32 from one ``exp(-|z|)``
    (saturated beyond |z| = 80; NaN gives NaN softplus)."""
    a = -abs(z)
    t = _exp32(_f32(-80.0) if a < _f32(-80.0) else a)
    p = (_f32(1.0) if z >= _f32(0.0) else t) / (_f32(1.0) + t)
    return p, max(z, _f32(0.0)) + _log1p32(t) + (z - z)


def _sigmoid_softplus(z):
    """``(sigmoid(z), softplus(z))`` of a float, for a logistic output and
    its cross-entropy: float32 math for float32, else float64 (the softplus
    as ``max(z, 0) - log(max(p, 1 - p))``).  Once per kernel, like
    ``_sigmoid``."""
    raise NotImplementedError("only callable from compiled kernels")


@overload(_sigmoid_softplus, inline="always", fastmath=FASTMATH)
def _sigmoid_softplus_impl(z):
    if z == types.float32:
        return lambda z: _sigmoid_softplus32(z)

    def impl(z):
        p = _sigmoid64(z)
        q = 1.0 - p
        q = p if p > q else q
        return p, (z if z > 0.0 else 0.0) - _log_positive(q)
    return impl


@inline
def _softplus(x):
    # log(1 + exp(x)) without overflow
    if x > 0:
        return x + np.log1p(np.exp(-x))
    return np.log1p(np.exp(x))


@jit
def _sigmoid_sample(pre, bias, prob_out, prob_scale, sample_out, seed,
                    acc_prob, acc_sample):
    """Bernoulli units: ``p = sigmoid(pre + bias)`` (float32 math for float32).

    Writes ``prob_scale * p`` to ``prob_out`` (skipped when it has no rows),
    a Bernoulli(p) sample to ``sample_out`` (skipped when it has no rows),
    and adds the column sums of what it wrote to ``acc_prob`` /
    ``acc_sample`` (skipped when empty).  ``prob_out`` may alias ``pre``.
    """
    n, m = pre.shape
    do_prob = prob_out.shape[0] > 0
    do_sample = sample_out.shape[0] > 0
    do_acc_p = acc_prob.shape[0] > 0
    do_acc_s = acc_sample.shape[0] > 0
    base = _stream_base(seed)
    p = np.empty(m, pre.dtype)  # one row of probabilities
    # one simple loop per output, so that LLVM vectorises each of them
    for i in range(n):
        row = np.uint64(i) * np.uint64(m)
        for j in range(m):
            p[j] = _sigmoid(pre[i, j] + bias[j])
        if do_prob:
            for j in range(m):
                prob_out[i, j] = prob_scale * p[j]
            if do_acc_p:
                for j in range(m):
                    acc_prob[j] += prob_scale * p[j]
        if do_sample:
            for j in range(m):
                u = _uniform64(base, row + np.uint64(j))
                sample_out[i, j] = 1.0 if u < p[j] else 0.0
            if do_acc_s:
                for j in range(m):
                    acc_sample[j] += sample_out[i, j]


@jit
def _softplus_rowsum(pre, bias):
    """``out[i] = sum_j softplus(pre[i, j] + bias[j])`` in float64."""
    n, m = pre.shape
    out = np.zeros(n)
    for i in range(n):
        acc = 0.0
        for j in range(m):
            acc += _softplus(np.float64(pre[i, j]) + np.float64(bias[j]))
        out[i] = acc
    return out


@inline
def _normals_row(base, row, z):
    """``z[j]`` = the standard normal of counter ``row + j`` (a loop LLVM vectorises)."""
    for j in range(z.shape[0]):
        z[j] = _normal64(base, row + np.uint64(j))


@inline
def _write_row(i, vals, scale, out, do_acc, acc):
    """``out[i] = scale * vals`` and, if ``do_acc``, ``acc += scale * vals``."""
    for j in range(vals.shape[0]):
        out[i, j] = scale * vals[j]
    if do_acc:
        for j in range(vals.shape[0]):
            acc[j] += scale * vals[j]


@jit
def _gaussian_sample(pre, bias, var, prob_out, prob_scale, sample_out, seed,
                     acc_prob, acc_sample):
    """Gaussian units: ``mean = bias + var * pre``, sample ``mean + sqrt(var) * N(0, 1)``.

    ``var`` holds one variance per column.  Outputs and accumulators follow
    ``_sigmoid_sample`` (empty arrays skip that output).
    """
    n, m = pre.shape
    do_prob = prob_out.shape[0] > 0
    do_sample = sample_out.shape[0] > 0
    base = _stream_base(seed)
    sd = np.empty(m)
    for j in range(m):
        sd[j] = np.sqrt(np.float64(var[j]))
    mu = np.empty(m)
    z = np.empty(m)
    for i in range(n):
        for j in range(m):
            mu[j] = np.float64(bias[j]) + np.float64(var[j]) * np.float64(pre[i, j])
        if do_prob:
            _write_row(i, mu, prob_scale, prob_out, acc_prob.shape[0] > 0, acc_prob)
        if do_sample:
            _normals_row(base, np.uint64(i) * np.uint64(m), z)
            for j in range(m):
                z[j] = mu[j] + sd[j] * z[j]
            _write_row(i, z, 1.0, sample_out, acc_sample.shape[0] > 0, acc_sample)


@jit
def _nrelu_sample(pre, bias, prob_out, prob_scale, sample_out, seed,
                  acc_prob, acc_sample):
    """Noisy rectified linear units (Nair & Hinton 2010).

    ``mean = max(0, x)``, sample ``max(0, x + sqrt(sigmoid(x)) * N(0, 1))``
    with ``x = pre + bias``.
    """
    n, m = pre.shape
    do_prob = prob_out.shape[0] > 0
    do_sample = sample_out.shape[0] > 0
    base = _stream_base(seed)
    x = np.empty(m)
    r = np.empty(m)
    z = np.empty(m)
    for i in range(n):
        for j in range(m):
            x[j] = np.float64(pre[i, j]) + np.float64(bias[j])
        if do_prob:
            for j in range(m):
                r[j] = x[j] if x[j] > 0.0 else 0.0
            _write_row(i, r, prob_scale, prob_out, acc_prob.shape[0] > 0, acc_prob)
        if do_sample:
            _normals_row(base, np.uint64(i) * np.uint64(m), z)
            for j in range(m):
                t = x[j] + np.sqrt(_sigmoid(x[j])) * z[j]
                z[j] = t if t > 0.0 else 0.0
            _write_row(i, z, 1.0, sample_out, acc_sample.shape[0] > 0, acc_sample)


@jit
def _softmax_sample(pre, bias, n_categories, mask, prob_out, prob_scale,
                    sample_out, seed, acc_prob, acc_sample):
    """Groups of ``n_categories`` softmax columns (one categorical variable each).

    Column ``g * K + k`` is category ``k`` of variable ``g``.  ``mask`` of
    shape (n, n_groups) marks observed variables (empty: all observed); a
    missing variable gets zero probabilities and a zero (all-off) sample.
    The sample is one-hot, drawn by inversion with one uniform per variable.
    """
    n, m = pre.shape
    K = n_categories
    G = m // K
    do_prob = prob_out.shape[0] > 0
    do_sample = sample_out.shape[0] > 0
    do_acc_s = acc_sample.shape[0] > 0
    use_mask = mask.shape[0] > 0
    base = _stream_base(seed)
    p = np.empty(m)
    shift = np.empty(m)
    for i in range(n):
        # whole-row loops (vectorised): inputs, group maxima, exponentials
        for j in range(m):
            p[j] = np.float64(pre[i, j]) + np.float64(bias[j])
        for g in range(G):
            o = g * K
            mx = -np.inf
            for k in range(K):
                mx = p[o + k] if p[o + k] > mx else mx
            for k in range(K):
                shift[o + k] = mx
        for j in range(m):
            p[j] = _exp_nonpositive(p[j] - shift[j])
        for g in range(G):
            o = g * K
            tot = 0.0
            for k in range(K):
                tot += p[o + k]
            keep = 0.0 if use_mask and not mask[i, g] else 1.0
            for k in range(K):
                p[o + k] = keep * (p[o + k] / tot)
        if do_prob:
            _write_row(i, p, prob_scale, prob_out, acc_prob.shape[0] > 0, acc_prob)
        if do_sample:
            for j in range(m):
                sample_out[i, j] = 0.0
            for g in range(G):
                if use_mask and not mask[i, g]:
                    continue
                o = g * K
                u = _uniform64(base, np.uint64(i) * np.uint64(G) + np.uint64(g))
                c = 0.0
                pick = K - 1
                for k in range(K):
                    c += p[o + k]
                    if u < c:
                        pick = k
                        break
                sample_out[i, o + pick] = 1.0
                if do_acc_s:
                    acc_sample[o + pick] += 1.0


@jit
def _multinomial_sample(pre, bias, lengths, prob_out, prob_scale, sample_out,
                        seed, acc_prob, acc_sample):
    """Replicated softmax: row ``i`` holds the counts of ``lengths[i]`` draws.

    ``p = softmax(pre[i] + bias)`` over all columns; the mean is
    ``lengths[i] * p`` and the sample a multinomial count vector.  The
    ``D = lengths[i]`` draws are made in sorted order: ``D + 1`` exponential
    spacings (counters continue from row to row) give the order statistics
    of ``D`` uniforms (Renyi), which one merge pass matches against the
    cumulative probabilities: O(D + m) with vectorised logarithms, instead
    of a binary search per draw.
    """
    n, m = pre.shape
    do_prob = prob_out.shape[0] > 0
    do_sample = sample_out.shape[0] > 0
    base = _stream_base(seed)
    ex = np.empty(m)
    cum = np.empty(m)
    max_len = 0
    for i in range(n):
        nd = np.int64(lengths[i])
        max_len = nd if nd > max_len else max_len
    spacing = np.empty(max_len + 1 if do_sample else 0)
    counter = np.uint64(0)
    for i in range(n):
        for j in range(m):
            ex[j] = np.float64(pre[i, j]) + np.float64(bias[j])
        mx = -np.inf
        for j in range(m):
            mx = ex[j] if ex[j] > mx else mx
        for j in range(m):
            ex[j] = _exp_nonpositive(ex[j] - mx)
        tot = 0.0
        for j in range(m):
            tot += ex[j]
            cum[j] = tot
        D = np.float64(lengths[i])
        if do_prob:
            for j in range(m):
                ex[j] = D * ex[j] / tot
            _write_row(i, ex, prob_scale, prob_out, acc_prob.shape[0] > 0, acc_prob)
        if do_sample:
            nd = np.int64(lengths[i])
            for d in range(nd + 1):
                spacing[d] = -_log_positive(1.0 - _uniform64(base, counter + np.uint64(d)))
            counter += np.uint64(nd + 1)
            run = 0.0
            for d in range(nd + 1):
                run += spacing[d]
                spacing[d] = run
            scale = tot / run
            for j in range(m):
                sample_out[i, j] = 0.0
            j = 0
            for d in range(nd):
                t = spacing[d] * scale
                while j < m - 1 and cum[j] <= t:
                    j += 1
                sample_out[i, j] += 1.0
            if acc_sample.shape[0] > 0:
                for j in range(m):
                    acc_sample[j] += sample_out[i, j]


@jit
def _stepped_softplus_rowsum(pre, bias):
    """``out[i] = sum_j sum_{k>=1} softplus(pre[i, j] + bias[j] - k + 0.5)``.

    The marginal of stepped-sigmoid units (the model NReLU units
    approximate).  Terms with argument above 40 equal their argument to
    double precision and are summed in closed form; the loop stops once
    terms fall below ~1e-18, so the cost per element is bounded (~83 terms,
    also for finite inputs beyond 2**53).
    NaN and +inf propagate.
    """
    n, m = pre.shape
    out = np.zeros(n)
    for i in range(n):
        acc = 0.0
        for j in range(m):
            x = np.float64(pre[i, j]) + np.float64(bias[j])
            if not (x < np.inf):  # NaN or +inf
                acc += x
                continue
            # k = 1..q have x - k + 0.5 > 40: softplus(t) == t
            q = 0.0
            if x > 40.5:
                q = np.floor(x - 39.5)
                acc += q * (x + 0.5) - 0.5 * q * (q + 1.0)
            k = q + 1.0
            # at most 83 terms remain (t from below 40.5 down to -42); the
            # bound also ends the loop where k += 1 no longer changes k
            for _ in range(90):
                t = x - k + 0.5
                if t < -42.0:
                    break
                acc += _softplus(t)
                k += 1.0
        out[i] = acc
    return out


@jit
def _one_hot(X, categories, out):
    """Category values -> one-hot columns ``j * K + k`` of ``out`` (zeros on entry).

    NaN entries (missing) stay all-zero.  Returns the flat index of the first
    value that is not a category, or -1.
    """
    n, d = X.shape
    K = categories.shape[0]
    for i in range(n):
        for j in range(d):
            x = X[i, j]
            if x != x:
                continue
            lo = 0
            hi = K - 1
            while lo < hi:  # first category >= x
                mid = (lo + hi) // 2
                if categories[mid] < x:
                    lo = mid + 1
                else:
                    hi = mid
            if categories[lo] != x:
                return i * d + j
            out[i, j * K + lo] = 1.0
    return -1


@jit
def _observed_groups(V, n_categories):
    """``(n, m // K)`` booleans: which groups of ``K`` one-hot columns have a 1."""
    n, m = V.shape
    K = n_categories
    G = m // K
    out = np.zeros((n, G), dtype=np.bool_)
    for i in range(n):
        for g in range(G):
            for k in range(K):
                if V[i, g * K + k] != 0.0:
                    out[i, g] = True
                    break
    return out
