"""Unit types: the building blocks of RBMs, DBNs and DBMs.

A unit type knows, for a layer of units with pre-activations ``pre`` (the
BLAS product from the other layer) and biases ``bias``:

``mean_sample``   the fused kernel call: means, samples and column sums
``mean``          the conditional expectation (``transform``)
``log_partition`` ``log sum_x exp(x . (pre + bias) - base energy(x))`` per
                  row: marginalising this layer out of the joint (free energy,
                  exact log Z, AIS)
``bias_energy``   the layer's own energy term for given states
``states``        all joint states of a small layer (exact enumeration)
``check``         data checks for a visible layer of this type

An RBM is a pair (visible units, hidden units) plus weights; the training,
sampling and evaluation code is written once against this interface.
"""
import itertools
import warnings

import numpy as np

from ._kernels.units import _sigmoid_sample, _softplus_rowsum

_EMPTY = {np.dtype(np.float32): np.empty((0, 0), np.float32),
          np.dtype(np.float64): np.empty((0, 0), np.float64)}
_EMPTY1 = {np.dtype(np.float32): np.empty(0, np.float32),
           np.dtype(np.float64): np.empty(0, np.float64)}


def empty2(dtype):
    return _EMPTY[np.dtype(dtype)]


def empty1(dtype):
    return _EMPTY1[np.dtype(dtype)]


class Units:
    """Interface of a unit type (see module docstring)."""

    name = "abstract"
    #: whether the layer's states are finite and can be enumerated
    discrete = False

    def mean_sample(self, pre, bias, prob_out, prob_scale, sample_out, seed,
                    acc_prob, acc_sample):
        raise NotImplementedError

    def mean(self, pre, bias, out=None):
        out = np.empty_like(pre) if out is None else out
        e1 = empty1(pre.dtype)
        self.mean_sample(pre, bias, out, 1.0, empty2(pre.dtype), 0, e1, e1)
        return out

    def sample(self, pre, bias, seed, out=None):
        out = np.empty_like(pre) if out is None else out
        e1 = empty1(pre.dtype)
        self.mean_sample(pre, bias, empty2(pre.dtype), 1.0, out, seed, e1, e1)
        return out

    def log_partition(self, pre, bias):
        raise NotImplementedError

    def bias_energy(self, x, bias):
        raise NotImplementedError

    def states(self, n_units, dtype=np.float64):
        raise ValueError(f"{self.name} units cannot be enumerated")

    def check(self, X, estimator_name):
        return X

    def __repr__(self):
        return f"{type(self).__name__}()"


class BernoulliUnits(Units):
    """Binary units with ``p(x=1) = sigmoid(pre + bias)``."""

    name = "bernoulli"
    discrete = True

    def mean_sample(self, pre, bias, prob_out, prob_scale, sample_out, seed,
                    acc_prob, acc_sample):
        _sigmoid_sample(pre, bias, prob_out, pre.dtype.type(prob_scale),
                        sample_out, seed, acc_prob, acc_sample)

    def log_partition(self, pre, bias):
        return _softplus_rowsum(np.ascontiguousarray(pre), bias)

    def bias_energy(self, x, bias):
        return -(np.asarray(x @ bias, dtype=np.float64)).ravel()

    def states(self, n_units, dtype=np.float64):
        if n_units > 20:
            raise ValueError(
                f"cannot enumerate 2**{n_units} states; exact computations "
                "need a layer of at most 20 binary units")
        return np.array(list(itertools.product([0, 1], repeat=n_units)),
                        dtype=dtype)

    def check(self, X, estimator_name):
        data = X.data if hasattr(X, "data") and not isinstance(X, np.ndarray) else X
        if data.size:
            lo, hi = float(data.min()), float(data.max())
            if lo < 0 or hi > 1:
                warnings.warn(
                    f"{estimator_name} has Bernoulli visible units and expects "
                    f"values in [0, 1] (binary data or probabilities), but X "
                    f"ranges over [{lo:g}, {hi:g}]. Scale it first, e.g. X / "
                    "255 for 8-bit pixels or sklearn.preprocessing.MinMaxScaler.",
                    UserWarning, stacklevel=4)
        return X
