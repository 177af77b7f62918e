"""Unit types: the building blocks of RBMs, DBNs and DBMs.

A unit type knows, for a layer of units with pre-activations ``pre`` (the
BLAS product from the other layer) and biases ``bias``:

``mean_sample``
    the fused kernel call: means, samples and column sums
``mean``
    the conditional expectation (``transform``)
``log_partition``
    ``log sum_x exp(x . (pre + bias) - base energy(x))`` per row:
    marginalising this layer out of the joint (free energy, exact log Z, AIS)
``bias_energy``
    the layer's own energy term for given states
``states``
    all joint states of a small layer (exact enumeration)
``check``
    data checks for a visible layer of this type
``activation``
    the layer's deterministic feed-forward equivalent (a name in
    ``skdeepgen.nn.ACTIVATIONS``), or None

An RBM is a pair (visible units, hidden units) plus weights; the training,
sampling and evaluation code is written once against this interface and
:func:`layer_input`, a layer's input from its neighbours.
"""
import itertools
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.utils.extmath import safe_sparse_dot

from ._kernels.products import (SPARSE_ROWS_MAX_DENSITY, _nonzero_fraction,
                                _sparse_rows_dot)
from ._kernels.units import (_gaussian_sample, _multinomial_sample,
                             _nrelu_sample, _observed_groups, _sigmoid_sample,
                             _softmax_sample, _softplus_rowsum,
                             _stepped_softplus_rowsum)

_EMPTY = {np.dtype(np.float32): np.empty((0, 0), np.float32),
          np.dtype(np.float64): np.empty((0, 0), np.float64)}
_EMPTY1 = {np.dtype(np.float32): np.empty(0, np.float32),
           np.dtype(np.float64): np.empty(0, np.float64)}


def empty2(dtype):
    return _EMPTY[np.dtype(dtype)]


def empty1(dtype):
    return _EMPTY1[np.dtype(dtype)]


def layer_input(out, terms, bias, scale=None):
    """A layer's input from its neighbours, ``sum_k state_k @ weight_k``, into ``out``.

    ``terms``: (state, weight) pairs, one per neighbouring layer (a state may
    be scipy.sparse): ``[(v, W.T)]`` for an RBM's hidden layer, ``[(below,
    W1.T), (above, W2)]`` for a DBM's middle one.  ``scale``: a per-row factor
    of ``bias`` (the ``hidden_bias_scale`` of the units below: document
    lengths), or None.  A dense state that is mostly zeros (binary samples)
    times a C-contiguous weight skips the zeros (``_kernels.products``).
    Returns what the unit kernel still has to add:
    ``bias`` when unscaled (the kernels add it in their fused pass), else
    zeros (``scale * bias`` is then in ``out``).
    """
    for i, (state, weight) in enumerate(terms):
        if (isinstance(state, np.ndarray) and weight.flags.c_contiguous
                and state.dtype == weight.dtype == out.dtype
                and _nonzero_fraction(state) <= SPARSE_ROWS_MAX_DENSITY):
            _sparse_rows_dot(state, weight, out, i > 0)  # mostly-zero (binary) states
        elif i == 0 and not sp.issparse(state) and state.dtype == out.dtype:
            np.dot(state, weight, out=out)
        elif i == 0:
            out[...] = safe_sparse_dot(state, weight, dense_output=True)
        else:
            out += safe_sparse_dot(state, weight, dense_output=True)
    if scale is None:
        return bias
    out += _col(scale, out.shape[0], out.dtype)[:, None] * bias
    return np.zeros_like(bias)


class SparsityTarget:
    """A target mean activation for a layer of units with values in (0, 1).

    The penalty is ``cost * sum_j KL(target || q_j)``, the Kullback-Leibler
    divergence between Bernoulli distributions of means ``target`` and
    ``q_j``, the unit's mean activation.  Shared by the RBMs'
    ``sparsity_target`` (Lee et al. 2008; Hinton's practical guide, section
    11), which track ``q`` as a running mean over minibatches and follow
    :meth:`input_gradient`, and by :class:`~skdeepgen.SparseAutoencoder`,
    which backpropagates :meth:`mean_gradient` of the minibatch mean.
    """

    def __init__(self, target, cost, decay=0.0):
        self.target = float(target)
        self.cost = float(cost)
        self.decay = float(decay)

    def running_mean(self, previous, q):
        """The running estimate of the mean activation after a batch with
        mean ``q`` (``previous`` None: the first batch; float64)."""
        if previous is None:
            return q.astype(np.float64)
        return self.decay * previous + (1 - self.decay) * q

    def input_gradient(self, q):
        """Gradient of the penalty w.r.t. a logistic unit's input at mean
        activation ``q``: ``cost * (q - target)``."""
        return self.cost * (q - self.target)

    def value(self, q):
        """The penalty ``cost * sum_j KL(target || q_j)`` (float)."""
        t = self.target
        q = np.asarray(q, dtype=np.float64)
        return self.cost * float(np.sum(t * np.log(t / q)
                                        + (1 - t) * np.log((1 - t) / (1 - q))))

    def mean_gradient(self, q):
        """Gradient of :meth:`value` w.r.t. ``q``."""
        t = self.target
        return self.cost * ((1 - t) / (1 - q) - t / q)


class Units:
    """Interface of a unit type (see module docstring)."""

    name = "abstract"
    #: whether the layer's states are finite and can be enumerated
    discrete = False
    #: the activation of the feed-forward layer computing the mean, or None
    activation = None

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
        """The layer's own energy term per row; linear, ``-x . bias``, unless a
        unit type says otherwise (Gaussian units add a quadratic term)."""
        return -(np.asarray(x @ bias, dtype=np.float64)).ravel()

    def states(self, n_units, dtype=np.float64):
        raise ValueError(f"{self.name} units cannot be enumerated")

    def n_states(self, n_units):
        """Number of joint states of ``n_units`` units (None: continuous)."""
        return None

    def check(self, X, estimator_name):
        return X

    def bind(self, V):
        """The unit type conditioned on a batch of visible data ``V``.

        Most unit types have no per-row state and return ``self``; replicated
        softmax units take each row's document length, softmax units with
        missing entries each row's mask of observed variables.
        """
        return self

    #: per-row factor multiplying the *other* layer's bias (replicated
    #: softmax: the document length scales the hidden biases), or None
    hidden_bias_scale = None

    def base_rate_bias(self, X):
        """Biases of the independent (weightless) model fitted to ``X``'s marginals."""
        raise NotImplementedError(f"{self.name} units define no base-rate model")

    def feedforward_activation(self, where):
        """``activation``, or a ValueError naming ``where`` and the unit type when
        a layer of these units has no deterministic feed-forward equivalent."""
        if self.activation is None:
            raise ValueError(f"{where}: {self!r} units have no deterministic "
                             "feed-forward equivalent (no dense-layer activation)")
        return self.activation

    def __repr__(self):
        return f"{type(self).__name__}()"


class BernoulliUnits(Units):
    """Binary units with ``p(x=1) = sigmoid(pre + bias)``."""

    name = "bernoulli"
    discrete = True
    activation = "logistic"

    def mean_sample(self, pre, bias, prob_out, prob_scale, sample_out, seed,
                    acc_prob, acc_sample):
        _sigmoid_sample(pre, bias, prob_out, pre.dtype.type(prob_scale),
                        sample_out, seed, acc_prob, acc_sample)

    def log_partition(self, pre, bias):
        return _softplus_rowsum(np.ascontiguousarray(pre), bias)

    def states(self, n_units, dtype=np.float64):
        if n_units > 20:
            raise ValueError(
                f"cannot enumerate 2**{n_units} states; exact computations "
                "need a layer of at most 20 binary units")
        return np.array(list(itertools.product([0, 1], repeat=n_units)),
                        dtype=dtype)

    def n_states(self, n_units):
        return 2 ** n_units

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

    def base_rate_bias(self, X):
        mean = np.asarray(X.mean(axis=0), dtype=np.float64).ravel()
        p = np.clip(mean, 1e-3, 1 - 1e-3)
        return np.log(p / (1 - p))


def _col(value, m, dtype):
    """A per-column parameter (scalar or array) as a contiguous array of length m."""
    out = np.empty(m, dtype=dtype)
    out[:] = value
    return out


class GaussianUnits(Units):
    """Real-valued units with ``p(x | pre) = N(bias + var * pre, var)``.

    The energy is ``sum (x - bias)**2 / (2 var) - x . pre``: with ``var = 1``
    (the default, for standardised data) this is the usual Gaussian-Bernoulli
    RBM; a learned per-unit variance keeps the weights acting on ``x``, so the
    other layer's input stays the plain product ``x @ W.T``.

    Parameters
    ----------
    variance : float or array of shape (n_units,), default=1.0
        Variance of every unit, or one per unit.
    """

    name = "gaussian"
    activation = "identity"

    def __init__(self, variance=1.0):
        self.variance = variance

    def _var(self, m, dtype):
        return _col(self.variance, m, dtype)

    def mean_sample(self, pre, bias, prob_out, prob_scale, sample_out, seed,
                    acc_prob, acc_sample):
        _gaussian_sample(pre, bias, self._var(pre.shape[1], pre.dtype),
                         prob_out, pre.dtype.type(prob_scale), sample_out, seed,
                         acc_prob, acc_sample)

    def log_partition(self, pre, bias):
        pre = np.asarray(pre, dtype=np.float64)
        var = self._var(pre.shape[1], np.float64)
        b = np.asarray(bias, dtype=np.float64)
        return (0.5 * np.log(2 * np.pi * var).sum()
                + pre @ b + 0.5 * (pre * pre) @ var)

    def bias_energy(self, x, bias):
        x = np.asarray(x.toarray() if sp.issparse(x) else x, dtype=np.float64)
        var = self._var(x.shape[1], np.float64)
        d = x - np.asarray(bias, dtype=np.float64)
        return (d * d) @ (0.5 / var)

    def base_rate_bias(self, X):
        return np.asarray(X.mean(axis=0), dtype=np.float64).ravel()

    def feedforward_activation(self, where):
        # the mean bias + var * pre is a dense layer only when var = 1
        if not np.all(np.asarray(self.variance) == 1.0):
            raise ValueError(f"{where}: Gaussian units with variance != 1 have no "
                             "feed-forward equivalent; standardise the data and "
                             "keep variance=1")
        return super().feedforward_activation(where)

    def __repr__(self):
        v = self.variance
        return f"GaussianUnits(variance={'1.0' if np.isscalar(v) and v == 1 else '...'})"


class NReLUUnits(Units):
    """Noisy rectified linear units (Nair & Hinton 2010).

    A sample is ``max(0, x + N(0, sigmoid(x)))`` with ``x = pre + bias``; the
    mean used for features and statistics is ``max(0, x)``.  They approximate
    an infinite set of binary units sharing weights with bias offsets
    ``-0.5, -1.5, ...`` ("stepped sigmoid units"); ``log_partition`` is that
    model's exact marginal, ``sum_i softplus(x - i + 0.5)``, so free energies
    and log-likelihood estimates of NReLU RBMs refer to the stepped-sigmoid
    model that NReLU sampling approximates.
    """

    name = "nrelu"
    activation = "relu"

    def mean_sample(self, pre, bias, prob_out, prob_scale, sample_out, seed,
                    acc_prob, acc_sample):
        _nrelu_sample(pre, bias, prob_out, pre.dtype.type(prob_scale),
                      sample_out, seed, acc_prob, acc_sample)

    def log_partition(self, pre, bias):
        return _stepped_softplus_rowsum(np.ascontiguousarray(pre), bias)


class SoftmaxUnits(Units):
    """Categorical units: groups of ``n_categories`` one-hot columns.

    Column ``g * n_categories + k`` is category ``k`` of variable ``g``.  A
    row whose group is all zeros has that variable *missing*: it contributes
    nothing to the energy, its conditional is not sampled, and (once bound to
    the data with :meth:`bind`) the Gibbs chains leave it missing, as in the
    per-user RBMs of Salakhutdinov, Mnih & Hinton (2007).

    Parameters
    ----------
    n_categories : int
        Number of categories (one-hot columns) of each variable.
    mask : bool array of shape (n_rows, n_groups) or None
        Observed variables of the bound batch (None: all observed).
    """

    name = "softmax"
    discrete = True

    def __init__(self, n_categories, mask=None):
        self.n_categories = int(n_categories)
        self.mask = mask

    def _mask(self, n):
        if self.mask is None:
            return np.empty((0, 0), np.bool_)
        if self.mask.shape[0] != n:
            raise ValueError(f"softmax units are bound to {self.mask.shape[0]} rows, "
                             f"got {n}")
        return self.mask

    def bind(self, V):
        V = V.toarray() if sp.issparse(V) else np.asarray(V)
        K = self.n_categories
        mask = _observed_groups(np.ascontiguousarray(V), K)
        return SoftmaxUnits(K, None if mask.all() else mask)

    def mean_sample(self, pre, bias, prob_out, prob_scale, sample_out, seed,
                    acc_prob, acc_sample):
        _softmax_sample(pre, bias, self.n_categories, self._mask(pre.shape[0]),
                        prob_out, pre.dtype.type(prob_scale), sample_out, seed,
                        acc_prob, acc_sample)

    def log_partition(self, pre, bias):
        from scipy.special import logsumexp
        K = self.n_categories
        x = np.asarray(pre, dtype=np.float64) + np.asarray(bias, dtype=np.float64)
        lz = logsumexp(x.reshape(x.shape[0], -1, K), axis=2)
        if self.mask is not None:
            lz = np.where(self._mask(x.shape[0]), lz, 0.0)
        return lz.sum(axis=1)

    def states(self, n_units, dtype=np.float64):
        K = self.n_categories
        G = n_units // K
        if G * np.log2(K) > 20:
            raise ValueError(f"cannot enumerate {K}**{G} states; exact computations "
                             "need at most 2**20 joint states")
        codes = np.array(list(itertools.product(range(K), repeat=G)), dtype=np.intp)
        out = np.zeros((codes.shape[0], n_units), dtype=dtype)
        for g in range(G):
            out[np.arange(codes.shape[0]), g * K + codes[:, g]] = 1
        return out

    def n_states(self, n_units):
        return self.n_categories ** (n_units // self.n_categories)

    def base_rate_bias(self, X):
        K = self.n_categories
        counts = np.asarray(X.sum(axis=0), dtype=np.float64).ravel().reshape(-1, K) + 1.0
        return np.log(counts / counts.sum(axis=1, keepdims=True)).ravel()

    def __repr__(self):
        return f"SoftmaxUnits(n_categories={self.n_categories})"


class ReplicatedSoftmaxUnits(Units):
    """Replicated softmax units for word counts (Salakhutdinov & Hinton 2009).

    A document of length ``D`` is ``D`` softmax units sharing weights; the
    layer's state is the word-count vector.  The other layer's biases are
    multiplied by ``D`` (``hidden_bias_scale``).  ``log_partition`` sums over
    the ``D``-word sequences: ``D * logsumexp(pre + bias)``.

    Parameters
    ----------
    lengths : float, array of shape (n_rows,) or None
        Document lengths of the bound rows (see :meth:`bind`).
    """

    name = "replicated_softmax"
    activation = "softmax"  # as a decoder: word probabilities

    def __init__(self, lengths=None):
        self.lengths = lengths

    @property
    def hidden_bias_scale(self):
        return self.lengths

    def _lengths(self, n):
        if self.lengths is None:
            raise ValueError("replicated softmax units need document lengths; "
                             "bind them to data first")
        return _col(self.lengths, n, np.float64)

    def bind(self, V):
        lengths = np.asarray(V.sum(axis=1), dtype=np.float64).ravel()
        return ReplicatedSoftmaxUnits(lengths)

    def mean_sample(self, pre, bias, prob_out, prob_scale, sample_out, seed,
                    acc_prob, acc_sample):
        _multinomial_sample(pre, bias, self._lengths(pre.shape[0]), prob_out,
                            pre.dtype.type(prob_scale), sample_out, seed,
                            acc_prob, acc_sample)

    def log_partition(self, pre, bias):
        from scipy.special import logsumexp
        x = np.asarray(pre, dtype=np.float64) + np.asarray(bias, dtype=np.float64)
        return self._lengths(x.shape[0]) * logsumexp(x, axis=1)

    def base_rate_bias(self, X):
        counts = np.asarray(X.sum(axis=0), dtype=np.float64).ravel() + 1.0
        return np.log(counts / counts.sum())

    def check(self, X, estimator_name):
        data = X.data if sp.issparse(X) else np.asarray(X)
        if data.size:
            if not np.all(np.isfinite(data)):
                raise ValueError(f"{estimator_name} needs finite word counts; X "
                                 "contains NaN or infinity.")
            if data.min() < 0:
                raise ValueError(
                    f"{estimator_name} needs word counts. Negative values in "
                    f"data passed to X (min {data.min():g}). Use raw term counts "
                    "(e.g. CountVectorizer), not centred or scaled values.")
            if np.any(data != np.round(data)):
                bad = data[data != np.round(data)][0]
                raise ValueError(
                    f"{estimator_name} needs integer word counts, but X has "
                    f"non-integer entries (e.g. {bad:g}). Use raw term counts "
                    "(CountVectorizer), not tf-idf or normalised frequencies.")
        return X

    def __repr__(self):
        return "ReplicatedSoftmaxUnits()"


class InputGain(Units):
    """Units of another type whose input from the other layer is multiplied by ``gain``.

    The pretraining RBMs of a deep Boltzmann machine (Salakhutdinov & Hinton
    2009): a layer that will have two neighbours in the DBM sees only one of
    them while its RBM is trained, and doubles the input from that one to
    make up for the other.  Everything else is the wrapped unit type's.
    """

    def __init__(self, units, gain):
        self.units = units
        self.gain = float(gain)

    name = property(lambda self: self.units.name)
    discrete = property(lambda self: self.units.discrete)
    activation = property(lambda self: self.units.activation)
    hidden_bias_scale = property(lambda self: self.units.hidden_bias_scale)

    def mean_sample(self, pre, bias, prob_out, prob_scale, sample_out, seed,
                    acc_prob, acc_sample):
        # ``pre`` is always a scratch product of the caller's
        np.multiply(pre, pre.dtype.type(self.gain), out=pre)
        self.units.mean_sample(pre, bias, prob_out, prob_scale, sample_out, seed,
                               acc_prob, acc_sample)

    def log_partition(self, pre, bias):
        return self.units.log_partition(self.gain * np.asarray(pre), bias)

    def bias_energy(self, x, bias):
        return self.units.bias_energy(x, bias)

    def states(self, n_units, dtype=np.float64):
        return self.units.states(n_units, dtype)

    def n_states(self, n_units):
        return self.units.n_states(n_units)

    def check(self, X, estimator_name):
        return self.units.check(X, estimator_name)

    def bind(self, V):
        bound = self.units.bind(V)
        return self if bound is self.units else InputGain(bound, self.gain)

    def base_rate_bias(self, X):
        return self.units.base_rate_bias(X)

    def __repr__(self):
        return f"InputGain({self.units!r}, {self.gain:g})"
