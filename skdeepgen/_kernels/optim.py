"""Fused parameter updates for the shared optimizers (one pass over memory).

``grad_scale`` lets callers pass raw sufficient statistics (e.g. the RBM's
positive-minus-negative products) without a separate scaling pass.  Weight
decay is L2: ``grad += weight_decay * param``.
"""
import numpy as np

from ._config import jit


@jit
def _momentum_step(param, grad, velocity, lr, momentum, weight_decay,
                   grad_scale, nesterov):
    """SGD with (Nesterov) momentum on flat arrays, in place."""
    for i in range(param.shape[0]):
        g = grad_scale * grad[i] + weight_decay * param[i]
        v = momentum * velocity[i] - lr * g
        velocity[i] = v
        if nesterov:
            param[i] += momentum * v - lr * g
        else:
            param[i] += v


@jit
def _adam_step(param, grad, m, v, lr_t, beta1, beta2, eps, weight_decay,
               grad_scale):
    """Adam on flat arrays, in place; ``lr_t`` includes bias correction."""
    for i in range(param.shape[0]):
        g = grad_scale * grad[i] + weight_decay * param[i]
        mi = beta1 * m[i] + (1.0 - beta1) * g
        vi = beta2 * v[i] + (1.0 - beta2) * g * g
        m[i] = mi
        v[i] = vi
        param[i] -= lr_t * mi / (np.sqrt(vi) + eps)
