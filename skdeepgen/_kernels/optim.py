"""Fused parameter updates for the shared optimizers (one pass over memory).

``grad_scale`` lets callers pass raw sufficient statistics (e.g. the RBM's
positive-minus-negative products) without a separate scaling pass.  Weight
decay is L2: ``grad += weight_decay * param``.
"""
import numpy as np

from numba import prange

from ._config import inline, jit, pjit


@inline
def _momentum_range(param, grad, velocity, lr, momentum, weight_decay,
                    grad_scale, nesterov, lo, hi):
    for i in range(lo, hi):
        g = grad_scale * grad[i] + weight_decay * param[i]
        v = momentum * velocity[i] - lr * g
        velocity[i] = v
        if nesterov:
            param[i] += momentum * v - lr * g
        else:
            param[i] += v


@jit
def _momentum_step(param, grad, velocity, lr, momentum, weight_decay,
                   grad_scale, nesterov):
    """SGD with (Nesterov) momentum on flat arrays, in place."""
    _momentum_range(param, grad, velocity, lr, momentum, weight_decay,
                    grad_scale, nesterov, 0, param.shape[0])


@pjit
def _momentum_step_parallel(param, grad, velocity, lr, momentum, weight_decay,
                            grad_scale, nesterov, n_chunks):
    """``_momentum_step`` on ``n_chunks`` threads (identical result)."""
    n = param.shape[0]
    for t in prange(n_chunks):
        _momentum_range(param, grad, velocity, lr, momentum, weight_decay,
                        grad_scale, nesterov, t * n // n_chunks,
                        (t + 1) * n // n_chunks)


@inline
def _adam_range(param, grad, m, v, lr_t, beta1, beta2, eps, weight_decay,
                grad_scale, lo, hi):
    for i in range(lo, hi):
        g = grad_scale * grad[i] + weight_decay * param[i]
        mi = beta1 * m[i] + (1.0 - beta1) * g
        vi = beta2 * v[i] + (1.0 - beta2) * g * g
        m[i] = mi
        v[i] = vi
        param[i] -= lr_t * mi / (np.sqrt(vi) + eps)


@jit
def _adam_step(param, grad, m, v, lr_t, beta1, beta2, eps, weight_decay,
               grad_scale):
    """Adam on flat arrays, in place; ``lr_t`` includes bias correction."""
    _adam_range(param, grad, m, v, lr_t, beta1, beta2, eps, weight_decay,
                grad_scale, 0, param.shape[0])


@pjit
def _adam_step_parallel(param, grad, m, v, lr_t, beta1, beta2, eps,
                        weight_decay, grad_scale, n_chunks):
    """``_adam_step`` on ``n_chunks`` threads (identical result)."""
    n = param.shape[0]
    for t in prange(n_chunks):
        _adam_range(param, grad, m, v, lr_t, beta1, beta2, eps, weight_decay,
                    grad_scale, t * n // n_chunks, (t + 1) * n // n_chunks)
