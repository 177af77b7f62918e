"""Fused element-wise kernels of the dense-network engine (``skdeepgen.nn``).

The matrix products go to BLAS; these kernels do the work around them in one
pass over memory: bias + activation (+ Gaussian noise) in the forward pass,
activation derivative + bias-gradient column sums in the backward pass, and
output activation + loss + output delta for the canonical output/loss pairs.

Activation codes: 0 identity, 1 logistic, 2 tanh, 3 relu, 4 softmax (rows).
Derivatives are written in terms of the activation's output ``A`` so the
pre-activations need not be kept.

``_corrupt`` draws the input noise of denoising autoencoders (codes: 0
masking, 1 additive Gaussian, 2 salt-and-pepper) and the dropout masks of
the dense networks (3) from the counter-based
generator: element ``(i, j)`` uses counter ``i * m + j`` of the call's seed.
"""
import numpy as np

from ._config import jit
from .random import _stream_base, _uniform64
from .units import _normals_row, _sigmoid, _sigmoid_softplus, _tanh

IDENTITY, LOGISTIC, TANH, RELU, SOFTMAX = 0, 1, 2, 3, 4


@jit
def _add_bias_activate(Z, b, kind, noise_std, seed):
    """In place: ``Z = f(Z + b + noise_std * N(0, 1))`` row-wise.

    ``noise_std == 0`` adds no noise (the counter-based normal generator is
    used otherwise, so a given ``seed`` gives the same noise every time).
    """
    n, m = Z.shape
    if noise_std != 0.0:
        base = _stream_base(seed)
        z = np.empty(m)
        for i in range(n):
            _normals_row(base, np.uint64(i) * np.uint64(m), z)
            for j in range(m):
                Z[i, j] += noise_std * z[j]
    if kind == 0:
        for i in range(n):
            for j in range(m):
                Z[i, j] = Z[i, j] + b[j]
    elif kind == 1:
        for i in range(n):
            for j in range(m):
                Z[i, j] = _sigmoid(Z[i, j] + b[j])
    elif kind == 2:
        for i in range(n):
            for j in range(m):
                Z[i, j] = _tanh(Z[i, j] + b[j])
    elif kind == 3:
        for i in range(n):
            for j in range(m):
                z = Z[i, j] + b[j]
                Z[i, j] = 0.0 if z < 0.0 else z  # NaN passes through
    else:
        for i in range(n):
            mx = -np.inf
            for j in range(m):
                z = Z[i, j] + b[j]
                Z[i, j] = z
                if z > mx:
                    mx = z
            s = 0.0
            for j in range(m):
                e = np.exp(np.float64(Z[i, j]) - mx)
                Z[i, j] = e
                s += e
            inv = 1.0 / s
            for j in range(m):
                Z[i, j] = Z[i, j] * inv


@jit
def _corrupt(X, out, kind, level, seed):
    """``out`` = ``X`` corrupted, row-wise (a dense float array of X's shape).

    kind 0, masking: each entry is set to 0 with probability ``level``;
    kind 1, Gaussian: ``X + level * N(0, 1)``;
    kind 2, salt-and-pepper: each entry is, with probability ``level``, set
    to 0 or 1 (equally likely);
    kind 3, dropout: masking with the kept entries scaled by
    ``1 / (1 - level)`` (in place on a gradient with the same ``seed``, it
    applies the same mask).
    """
    n, m = X.shape
    base = _stream_base(seed)
    z = np.empty(m)
    keep = 1.0 / (1.0 - level) if kind == 3 else 1.0
    for i in range(n):
        row = np.uint64(i) * np.uint64(m)
        if kind == 1:
            _normals_row(base, row, z)
            for j in range(m):
                out[i, j] = X[i, j] + level * z[j]
            continue
        for j in range(m):
            z[j] = _uniform64(base, row + np.uint64(j))
        if kind == 0:
            for j in range(m):
                out[i, j] = X[i, j] if z[j] >= level else 0.0
        elif kind == 3:
            for j in range(m):
                out[i, j] = X[i, j] * keep if z[j] >= level else 0.0
        else:
            for j in range(m):
                u = z[j]
                salt = 0.0 if u < 0.5 * level else 1.0
                out[i, j] = X[i, j] if u >= level else salt


@jit
def _backprop_activation(D, A, kind, acc):
    """In place ``D *= f'(A)`` (``A`` the layer's output) and ``acc += D.sum(0)``.

    Softmax is only supported as an output layer fused with its loss.
    """
    n, m = D.shape
    for i in range(n):
        for j in range(m):
            a = A[i, j]
            if kind == 1:
                d = D[i, j] * (a * (1.0 - a))
            elif kind == 2:
                d = D[i, j] * (1.0 - a * a)
            elif kind == 3:
                d = D[i, j] if a > 0.0 else 0.0 * D[i, j]
            else:
                d = D[i, j]
            D[i, j] = d
            acc[j] += d


@jit
def _softmax_cross_entropy(Z, b, Y, D, acc):
    """Softmax output fused with cross-entropy.

    ``Z`` holds ``X @ W`` on entry and the probabilities on exit; ``D = P *
    sum(Y_i) - Y`` (gradient w.r.t. the pre-activation: ``P - Y`` for one-hot
    or distribution targets, zero for an all-zero target row),
    ``acc += D.sum(0)``.  Returns the summed loss ``-sum Y log softmax(Z + b)``
    in float64.
    """
    n, m = Z.shape
    loss = 0.0
    for i in range(n):
        y_sum = 0.0
        for j in range(m):
            y_sum += np.float64(Y[i, j])
        mx = -np.inf
        for j in range(m):
            z = np.float64(Z[i, j]) + b[j]
            if z > mx:
                mx = z
        s = 0.0
        for j in range(m):
            s += np.exp(np.float64(Z[i, j]) + b[j] - mx)
        lse = mx + np.log(s)
        for j in range(m):
            z = np.float64(Z[i, j]) + b[j]
            p = np.exp(z - lse)
            y = Y[i, j]
            loss += y * (lse - z)
            Z[i, j] = p
            d = p * y_sum - y
            D[i, j] = d
            acc[j] += d
    return loss


@jit
def _sigmoid_cross_entropy(Z, b, Y, D, acc):
    """Logistic output fused with (binary) cross-entropy.

    ``Z`` holds ``X @ W`` on entry, ``sigmoid(Z + b)`` on exit;
    ``D = sigmoid(Z + b) - Y``, ``acc += D.sum(0)``.  Returns the summed loss
    ``sum softplus(z) - y z`` (exact for targets in [0, 1], computed from the
    logits so that saturated units do not give log(0)) in float64.  The
    sigmoid and softplus come from ``_sigmoid_softplus``: libm-free, so the
    loop vectorises (libm's ``exp`` and ``log1p`` made this kernel as slow
    as the minibatch's matrix products), and in float32 arithmetic for a
    float32 network (2.6x faster on MNIST's 100 x 784 outputs than float64).
    Each row's loss is summed in that dtype and the rows in float64: a
    float64 sum per element had halved the vector width (0.118 -> 0.060 ms
    per 100 x 784 float32 batch).
    """
    n, m = Z.shape
    loss = 0.0
    for i in range(n):
        row = np.float32(0.0)  # the arrays' dtype (float64 unifies it up)
        for j in range(m):
            z = Z[i, j] + b[j]
            y = Y[i, j]
            p, sp = _sigmoid_softplus(z)
            row += sp - y * z
            Z[i, j] = p
            d = p - y
            D[i, j] = d
            acc[j] += d
        loss += np.float64(row)
    return loss


@jit
def _squared_error(Z, b, kind, Y, D, acc):
    """Any element-wise output activation fused with ``1/2 sum (A - Y)^2``.

    ``Z`` holds ``X @ W`` on entry and ``A = f(Z + b)`` on exit;
    ``D = (A - Y) f'(A)``, ``acc += D.sum(0)``.  Returns the summed loss
    (each row's in the arrays' dtype, the rows' in float64).
    """
    n, m = Z.shape
    loss = 0.0
    for i in range(n):
        row = np.float32(0.0)  # the arrays' dtype (float64 unifies it up)
        for j in range(m):
            z = Z[i, j] + b[j]
            if kind == 1:
                a = _sigmoid(z)
                g = a * (1.0 - a)
            elif kind == 2:  # the same tanh as _add_bias_activate's
                a = _tanh(z)
                g = 1.0 - a * a
            elif kind == 3:
                a = 0.0 if z < 0.0 else z  # NaN passes through
                g = 1.0 if z > 0.0 else 0.0
            else:
                a = z
                g = 1.0
            Z[i, j] = a
            r = a - Y[i, j]
            row += r * r
            d = r * g
            D[i, j] = d
            acc[j] += d
        loss += 0.5 * np.float64(row)
    return loss
