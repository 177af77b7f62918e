"""Fused element-wise kernels for unit types (mean + sample + statistics).

A "pre-activation" array ``pre`` holds the BLAS product (``v @ W.T`` or
``h @ W``); the kernels add the bias, apply the unit's nonlinearity, draw
samples with the counter-based generator and accumulate column sums, all in
one pass over memory.
"""
import numpy as np

from ._config import jit, inline
from .random import _stream_base, _uniform64


@inline
def _sigmoid(x):
    # exp(-x) overflows to +inf for very negative x, giving exactly 0: no NaN.
    return 1.0 / (1.0 + np.exp(-x))


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
