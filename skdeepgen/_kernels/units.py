"""Fused element-wise kernels for unit types (mean + sample + statistics).

A "pre-activation" array ``pre`` holds the BLAS product (``v @ W.T`` or
``h @ W``); the kernels add the bias, apply the unit's nonlinearity, draw
samples with the counter-based generator and accumulate column sums, all in
one pass over memory.
"""
import math

import numpy as np

from ._config import jit, inline
from .random import _stream_base, _uniform64


# Taylor coefficients 1/k! for exp on [-0.625, 0.625]
_E0, _E1, _E2, _E3, _E4, _E5, _E6, _E7, _E8, _E9, _E10, _E11, _E12, _E13 = [
    1.0 / math.factorial(k) for k in range(14)]


@inline
def _exp_clamped(x):
    """exp(x) for |x| <= 40 in float64, relative error ~1e-13.

    exp(x) = exp(x / 64) ** 64: a degree-13 Taylor polynomial on
    |x / 64| <= 0.625 and six squarings.  Unlike libm's exp this is plain
    arithmetic, so LLVM vectorises the loops that call it (about 4x faster
    for the sigmoid kernels); callers clamp x to [-40, 40].
    """
    y = x * 0.015625
    e = _E0 + y * (_E1 + y * (_E2 + y * (_E3 + y * (_E4 + y * (_E5 + y * (
        _E6 + y * (_E7 + y * (_E8 + y * (_E9 + y * (_E10 + y * (
            _E11 + y * (_E12 + y * _E13))))))))))))
    e = e * e
    e = e * e
    e = e * e
    e = e * e
    e = e * e
    return e * e


@inline
def _sigmoid(x):
    """Logistic function in float64, exact to ~1e-13 (NaN propagates).

    Beyond |x| = 40 the result is 0 or 1 to double precision anyway.
    """
    z = -np.float64(x)
    z = 40.0 if z > 40.0 else z
    z = -40.0 if z < -40.0 else z
    return 1.0 / (1.0 + _exp_clamped(z))


@inline
def _softplus(x):
    # log(1 + exp(x)) without overflow
    if x > 0:
        return x + np.log1p(np.exp(-x))
    return np.log1p(np.exp(x))


@jit
def _sigmoid_sample(pre, bias, prob_out, prob_scale, sample_out, seed,
                    acc_prob, acc_sample):
    """Bernoulli units: ``p = sigmoid(pre + bias)``.

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
    for i in range(n):
        row = np.uint64(i) * np.uint64(m)
        for j in range(m):
            p = _sigmoid(pre[i, j] + bias[j])
            if do_prob:
                q = prob_scale * p
                prob_out[i, j] = q
                if do_acc_p:
                    acc_prob[j] += q
            if do_sample:
                u = _uniform64(base, row + np.uint64(j))
                s = 1.0 if u < p else 0.0
                sample_out[i, j] = s
                if do_acc_s:
                    acc_sample[j] += s


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
