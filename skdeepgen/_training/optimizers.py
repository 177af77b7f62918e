"""Optimizers (SGD with momentum and weight decay, Adam) and lr schedules.

An optimizer updates named parameter arrays in place with one fused Numba
pass per array (``skdeepgen._kernels.optim``).  Its state (velocities, Adam
moments, step counter) lives on the optimizer object, which estimators keep
between ``partial_fit`` calls.
"""
import numpy as np

from .._kernels.optim import _adam_step, _momentum_step


class LearningRateSchedule:
    """Learning rate as a function of the epoch (0-based).

    kind : {"constant", "invscaling", "exponential", "linear"}
        ``invscaling``: ``lr / (1 + epoch) ** power``;
        ``exponential``: ``lr * decay ** epoch``;
        ``linear``: from ``lr`` down to ``lr * final_fraction`` over
        ``n_epochs`` epochs.
    """

    def __init__(self, kind="constant", power=0.5, decay=0.95, n_epochs=None,
                 final_fraction=0.0):
        if kind not in ("constant", "invscaling", "exponential", "linear"):
            raise ValueError(f"unknown learning-rate schedule {kind!r}")
        self.kind = kind
        self.power = power
        self.decay = decay
        self.n_epochs = n_epochs
        self.final_fraction = final_fraction

    def __call__(self, lr, epoch):
        if self.kind == "invscaling":
            return lr / (1.0 + epoch) ** self.power
        if self.kind == "exponential":
            return lr * self.decay ** epoch
        if self.kind == "linear" and self.n_epochs:
            frac = min(epoch / max(self.n_epochs - 1, 1), 1.0)
            return lr * (1.0 - frac * (1.0 - self.final_fraction))
        return lr


def _flat(a):
    if not a.flags.c_contiguous:
        raise ValueError("optimizer parameters must be C-contiguous arrays")
    return a.reshape(-1)


class _Optimizer:
    def __init__(self, learning_rate, weight_decay=0.0, schedule=None):
        self.learning_rate = float(learning_rate)
        self.weight_decay = float(weight_decay)
        self.schedule = schedule or LearningRateSchedule()
        self.current_lr = self.learning_rate
        self.state = {}

    def start_epoch(self, epoch):
        self.current_lr = self.schedule(self.learning_rate, epoch)


class SGD(_Optimizer):
    """Stochastic gradient descent with momentum and L2 weight decay.

    ``step`` minimises: pass the gradient of the loss (or raw statistics with
    ``grad_scale`` carrying the sign and the 1/batch factor).
    """

    def __init__(self, learning_rate, momentum=0.0, weight_decay=0.0,
                 nesterov=False, schedule=None):
        super().__init__(learning_rate, weight_decay, schedule)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def step(self, name, param, grad, grad_scale=1.0, decay=True, lr_scale=1.0):
        vel = self.state.get(name)
        if vel is None or vel.shape != param.shape or vel.dtype != param.dtype:
            vel = self.state[name] = np.zeros_like(param)
        t = param.dtype.type
        _momentum_step(_flat(param), _flat(grad), _flat(vel),
                       t(self.current_lr * lr_scale), t(self.momentum),
                       t(self.weight_decay if decay else 0.0), t(grad_scale),
                       self.nesterov)


class Adam(_Optimizer):
    """Adam (Kingma & Ba 2015) with L2 weight decay added to the gradient."""

    def __init__(self, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 weight_decay=0.0, schedule=None):
        super().__init__(learning_rate, weight_decay, schedule)
        self.beta1 = float(beta1)
        self.beta2 = float(beta2)
        self.epsilon = float(epsilon)

    def step(self, name, param, grad, grad_scale=1.0, decay=True, lr_scale=1.0):
        st = self.state.get(name)
        if st is None or st[0].shape != param.shape or st[0].dtype != param.dtype:
            st = self.state[name] = [np.zeros_like(param), np.zeros_like(param), 0]
        st[2] += 1
        k = st[2]
        lr_t = (self.current_lr * lr_scale * np.sqrt(1.0 - self.beta2 ** k)
                / (1.0 - self.beta1 ** k))
        t = param.dtype.type
        _adam_step(_flat(param), _flat(grad), _flat(st[0]), _flat(st[1]),
                   t(lr_t), t(self.beta1), t(self.beta2), t(self.epsilon),
                   t(self.weight_decay if decay else 0.0), t(grad_scale),
                   t(1.0 - self.beta1), t(1.0 - self.beta2))


def make_optimizer(solver, learning_rate, *, momentum=0.0, weight_decay=0.0,
                   nesterov=False, schedule=None, beta1=0.9, beta2=0.999,
                   epsilon=1e-8):
    """Build the optimizer named by an estimator's ``solver`` parameter."""
    if solver == "sgd":
        return SGD(learning_rate, momentum=momentum, weight_decay=weight_decay,
                   nesterov=nesterov, schedule=schedule)
    if solver == "adam":
        return Adam(learning_rate, beta1=beta1, beta2=beta2, epsilon=epsilon,
                    weight_decay=weight_decay, schedule=schedule)
    raise ValueError(f"unknown solver {solver!r}; use 'sgd' or 'adam'")
