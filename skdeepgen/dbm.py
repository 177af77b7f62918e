"""Deep Boltzmann machines: mean-field learning with persistent chains.

A DBM (Salakhutdinov & Hinton 2009, 2012) is a Boltzmann machine with
layers ``v = h_0, h_1, ..., h_L`` and connections only between adjacent
layers::

    E(h_0, ..., h_L) = - sum_k h_{k+1} . (W_k h_k) - sum_j b_j . h_j

Unlike a DBN, every layer receives input from both neighbours, so inference
is not a bottom-up pass.  Training follows the papers:

1. **Greedy pretraining** with modified RBMs (a :class:`~skdeepgen.DBN` of
   them): a layer that will have two neighbours in the DBM sees only one
   during pretraining and doubles its input from it
   (:class:`~skdeepgen.units.InputGain`).  The pretrained weights are used
   as they are; an interior layer's bias is the mean of its two RBMs'.
2. **Joint training** by stochastic approximation: the data-dependent
   statistics come from mean-field inference (``n_mean_field`` sweeps,
   started by a bottom-up pass with doubled weights), the model statistics
   from persistent Gibbs chains (``batch_size`` chains, ``n_gibbs_steps``
   sweeps per update), with momentum, weight decay, a decaying learning rate
   and an optional max-norm on each unit's incoming weights.

Gibbs sweeps update the even layers (``v, h_2, ...``) given the odd ones,
then the odd ones given the even: the layers split into two conditionally
independent groups.  The same split makes the DBM an RBM between its odd
layers and its even layers (:meth:`DBM.bipartite_view`), so the exact log Z
of tiny models and the AIS estimate of real ones are the RBM code of
:mod:`skdeepgen.evaluation`, with the even layers marginalised analytically.

Every conditional is the sum over a layer's neighbours (``units.layer_input``
for the binary states of the data and the chains, which skips their zeros;
plain products for mean field's dense posteriors) followed by the fused
Bernoulli kernel; the weight statistics
of each pair of layers are one GEMM over the stacked ``[data; chains]``
rows, as in the RBM update.
"""
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from . import evaluation as _evaluation
from ._training import draw_seeds
from .base import OPTIMIZER_CONSTRAINTS, BaseMinibatchEstimator
from .dbn import DBN
from .finetuning import StackClassifier
from .nn import DenseNetwork
from .rbm import BernoulliRBM
from .stacking import check_sizes
from .units import BernoulliUnits, InputGain, empty1, empty2, layer_input

__all__ = ["DBM", "DBMClassifier"]

_FLOATS = [np.float64, np.float32]
_BERNOULLI = BernoulliUnits()


# ---------------------------------------------------------------- pretraining
class _DBMLayerRBM(BernoulliRBM):
    """A :class:`BernoulliRBM` pretraining one pair of layers of a DBM.

    ``_gains`` = (visible, hidden): 2 for a layer that will be interior in
    the DBM (it doubles its input from the one neighbour it sees here).
    The dense-layer views carry the gain, so a stack of these transforms
    data as the RBMs do.
    """

    _gains = (1.0, 1.0)

    def _make_units(self):
        return tuple(u if g == 1 else InputGain(u, g)
                     for u, g in zip(super()._make_units(), self._gains))

    def encoder_layer(self, dtype=None):
        W, b, act = super().encoder_layer(dtype)
        return W * W.dtype.type(self._gains[1]), b, act

    def decoder_layer(self, dtype=None):
        W, b, act = super().decoder_layer(dtype)
        return W * W.dtype.type(self._gains[0]), b, act


class _BottomRBM(_DBMLayerRBM):
    _gains = (1.0, 2.0)


class _MiddleRBM(_DBMLayerRBM):
    _gains = (2.0, 2.0)


class _TopRBM(_DBMLayerRBM):
    _gains = (2.0, 1.0)


def _pretraining_rbms(template, n_layers):
    """The modified RBMs of a DBM with ``n_layers`` hidden layers, configured
    like ``template`` (a BernoulliRBM)."""
    params = template.get_params(deep=False)
    if n_layers == 1:
        return [BernoulliRBM(**params)]
    return ([_BottomRBM(**params)] + [_MiddleRBM(**params)] * (n_layers - 2)
            + [_TopRBM(**params)])


#: the pretraining recipe (each RBM): the DBN's layers, with more epochs
_DEFAULT_RBM = BernoulliRBM(method="cd", n_iter=20, learning_rate=0.05, momentum=0.9,
                            weight_decay=2e-4, batch_size=100)


def _entropy(mu):
    """Entropy of independent Bernoulli units of means ``mu``, per row (float64)."""
    m = np.clip(np.asarray(mu, dtype=np.float64), 1e-12, 1 - 1e-12)
    return -(m * np.log(m) + (1 - m) * np.log1p(-m)).sum(axis=1)


class DBM(ClassNamePrefixFeaturesOutMixin, TransformerMixin,
          _evaluation.LogZCacheMixin, BaseMinibatchEstimator):
    """Deep Boltzmann machine with binary units.

    Greedy pretraining with modified RBMs, then joint training: mean-field
    inference for the data-dependent statistics and persistent Gibbs chains
    for the model's (Salakhutdinov & Hinton 2009).  ``transform`` returns
    mean-field posteriors, ``sample`` runs the persistent chains,
    ``complete`` fills in missing visible values and ``score_samples`` is
    the variational lower bound on ``log p(x)`` with an AIS estimate of
    ``log Z``.

    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default=(500, 1000)
        Units of each hidden layer, bottom to top (the MNIST model of the
        papers is 784-500-1000).
    rbm : BernoulliRBM or None, default=None
        Configuration of the pretraining RBMs (``n_components`` and
        ``random_state`` are set by the DBM; the bottom/interior/top roles
        add the input doubling).  None: ``BernoulliRBM(method="cd",
        n_iter=20, learning_rate=0.05, momentum=0.9, weight_decay=2e-4,
        batch_size=100)``.
    pretrain : bool, default=True
        Greedy pretraining before joint training; False starts from small
        random weights (an ablation: joint training from scratch is slow).
    learning_rate : float, default=0.005
        Step size of joint training for the mean gradient over a minibatch.
    learning_rate_schedule : {"constant", "invscaling", "exponential", \
"linear"}, default="linear"
        ``"linear"`` decays to 0 over ``n_iter`` epochs (the decay that
        stochastic approximation needs to converge).
    momentum : float, default=0.9
        Momentum of the parameter updates.
    weight_decay : float, default=2e-4
        L2 penalty on the weights.
    max_norm : float or None, default=None
        Upper bound on the L2 norm of each unit's incoming weights (a row of
        ``components_[k]``), applied after every update; None for none.
    batch_size : int, default=100
        Examples per minibatch, and number of persistent chains.
    n_iter : int, default=150
        Epochs of joint training.  On MNIST (``examples/dbm_mnist.py``, one
        core): 150 epochs gave a test bound of -87.23 nats in about an hour,
        and ``DBMClassifier`` test errors of 1.09% and 1.17% (random states
        0 and 1); 50 epochs gave -88.82 nats in about 20 minutes, 1.20% and
        1.22%; 300 epochs -86.44 nats in 79 minutes, 1.10% and 1.14% (see
        ``doc/results.md``).
    n_mean_field : int, default=10
        Mean-field sweeps per minibatch in training; inference
        (``transform``, ``score_samples``, ``complete``) runs at least 30.
    n_gibbs_steps : int, default=5
        Gibbs sweeps of the persistent chains per update.
    transform_layers : {"top", "all"}, default="top"
        ``transform`` returns the top layer's posteriors, or every hidden
        layer's concatenated.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (also from
        pretraining) and stop when its reconstruction error stops
        improving; the best parameters are kept.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    n_iter_no_change : int, default=5
        Epochs without an improvement larger than ``tol`` after which early
        stopping ends training.
    tol : float, default=1e-4
        Smallest improvement of the monitored score that counts as one.
    verbose : int, default=0
        Progress output: one line per epoch when positive; 2 also shows the
        pretraining RBMs' epochs.
    random_state : int, RandomState instance or None, default=None
        Seeds pretraining, initialisation, minibatch order and every random
        number of the kernels (bit-for-bit reproducible for a fixed value).
    ais_params : dict or None, default=None
        Settings of the annealed importance sampling behind ``score`` and
        ``score_samples`` (see :meth:`estimate_log_partition`):
        ``{"n_runs": int, "n_betas": int}``, each optional; None for 100
        runs and 10,000 temperatures.  Lower settings make a model search
        by ``score`` quicker and its estimates noisier.

    Attributes
    ----------
    components_ : list of ndarray
        ``components_[k]`` of shape (n_units[k + 1], n_units[k]) connects
        layer ``k`` to layer ``k + 1`` (layer 0 is the visible one).
    intercepts_ : list of ndarray
        Biases of the visible layer and of each hidden layer.
    chains_ : list of ndarray
        States of the persistent chains, one array of shape
        (batch_size, n_units) per layer.
    mean_activations_ : list of ndarray
        Running mean of each hidden layer's mean-field posteriors on the
        training data (with ``base_rate_bias_``, the base model of AIS).
    base_rate_bias_ : ndarray of shape (n_features,)
        ``log(p / (1 - p))`` of the training data's mean per visible unit.
    n_iter_ : int
        Epochs of joint training run.
    history_ : dict of lists
        ``reconstruction_error`` (or ``val_reconstruction_error``),
        ``seconds`` per epoch.
    n_features_in_ : int

    See Also
    --------
    DBMClassifier : the DBM's weights and posteriors fine-tuned as a classifier.
    DBN : a stack of RBMs (directed layers, bottom-up inference).

    References
    ----------
    .. [1] Salakhutdinov, R. & Hinton, G. E. (2009). Deep Boltzmann machines.
       AISTATS.
    .. [2] Salakhutdinov, R. & Hinton, G. E. (2012). An efficient learning
       procedure for deep Boltzmann machines. Neural Computation, 24(8).
    .. [3] Tieleman, T. (2008). Training restricted Boltzmann machines using
       approximations to the likelihood gradient. ICML.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepgen import DBM, BernoulliRBM
    >>> X = (np.random.RandomState(0).uniform(size=(60, 8)) < 0.3).astype(float)
    >>> dbm = DBM((6, 4), rbm=BernoulliRBM(n_iter=3), n_iter=3, batch_size=10,
    ...           random_state=0).fit(X)
    >>> dbm.transform(X).shape
    (60, 4)
    >>> dbm.sample(2, n_steps=10).shape
    (2, 8)
    """

    _parameter_constraints = {
        **BaseMinibatchEstimator._parameter_constraints,
        **_evaluation.LogZCacheMixin._parameter_constraints,
        **OPTIMIZER_CONSTRAINTS,
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "rbm": [None, BernoulliRBM],
        "pretrain": ["boolean"],
        "max_norm": [None, Interval(Real, 0, None, closed="neither")],
        "n_iter": [Interval(Integral, 0, None, closed="left")],
        "n_mean_field": [Interval(Integral, 1, None, closed="left")],
        "n_gibbs_steps": [Interval(Integral, 1, None, closed="left")],
        "transform_layers": [StrOptions({"top", "all"})],
    }
    _monitor = "reconstruction_error"
    _divergence_hint = "Lower learning_rate (or momentum), or set max_norm."
    #: mean-field sweeps of inference (transform, scores, completion), at least
    _n_inference = 30
    #: decay of the running mean of the posteriors (``mean_activations_``)
    _activity_decay = 0.99

    def __init__(self, hidden_layer_sizes=(500, 1000), *, rbm=None, pretrain=True,
                 learning_rate=0.005, learning_rate_schedule="linear", momentum=0.9,
                 weight_decay=2e-4, max_norm=None, batch_size=100, n_iter=150,
                 n_mean_field=10, n_gibbs_steps=5, transform_layers="top",
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=5,
                 tol=1e-4, verbose=0, random_state=None, ais_params=None):
        super().__init__(batch_size=batch_size, early_stopping=early_stopping,
                         validation_fraction=validation_fraction,
                         n_iter_no_change=n_iter_no_change, tol=tol,
                         verbose=verbose, random_state=random_state)
        self.hidden_layer_sizes = hidden_layer_sizes
        self.rbm = rbm
        self.pretrain = pretrain
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.max_norm = max_norm
        self.n_iter = n_iter
        self.n_mean_field = n_mean_field
        self.n_gibbs_steps = n_gibbs_steps
        self.transform_layers = transform_layers
        self.ais_params = ais_params

    # ------------------------------------------------------------ data
    def _check_X(self, X, reset):
        X = validate_data(self, X, reset=reset, accept_sparse="csr", dtype=_FLOATS)
        return _BERNOULLI.check(X, type(self).__name__)

    def _check_X_transform(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, accept_sparse="csr", dtype=_FLOATS)

    def _params_as(self, dtype):
        """(weights, biases) in ``dtype`` (no copies when it matches)."""
        return ([W.astype(dtype, copy=False) for W in self.components_],
                [b.astype(dtype, copy=False) for b in self.intercepts_])

    @property
    def _n_features_out(self):
        sizes = [W.shape[0] for W in self.components_]
        return sizes[-1] if self.transform_layers == "top" else sum(sizes)

    # -------------------------------------------------------- set-up
    def _pretrain(self, X, sizes, seed):
        """The pretraining stack: a DBN of modified RBMs, fitted on ``X``."""
        rbms = _pretraining_rbms(_DEFAULT_RBM if self.rbm is None else self.rbm,
                                 len(sizes))
        return DBN(sizes, rbm=rbms, verbose=max(self.verbose - 1, 0),
                   random_state=seed).fit(X)

    def _initialize(self, X, rng, pretrain_X=None):
        sizes = check_sizes(self.hidden_layer_sizes)
        dtype = X.dtype
        seed = int(draw_seeds(rng) % 2**31)
        if self.pretrain:
            rbms = self._pretrain(X if pretrain_X is None else pretrain_X, sizes,
                                  seed).layers_
            W = [r.components_ for r in rbms]
            b = ([rbms[0].intercept_visible_]
                 + [(lo.intercept_hidden_ + hi.intercept_visible_) / 2
                    for lo, hi in zip(rbms[:-1], rbms[1:])]
                 + [rbms[-1].intercept_hidden_])
        else:
            units = [X.shape[1]] + sizes
            W = [0.01 * rng.standard_normal((m, n)) for n, m in zip(units, units[1:])]
            b = [_BERNOULLI.base_rate_bias(X)] + [np.zeros(m) for m in sizes]
        self.components_ = [np.array(w, dtype=dtype, order="C") for w in W]
        self.intercepts_ = [np.array(c, dtype=dtype) for c in b]
        # persistent chains: a bottom-up sample from random training rows
        rows = rng.choice(X.shape[0], self.batch_size, replace=X.shape[0] < self.batch_size)
        V = X[np.sort(rows)]
        V = np.ascontiguousarray(V.toarray() if sp.issparse(V) else V, dtype=dtype)
        mu = [V] + self._mean_field(V, 0)
        self.chains_ = [(rng.uniform(size=m.shape) < m).astype(dtype) for m in mu]
        self.mean_activations_ = [m.mean(axis=0).astype(dtype) for m in mu[1:]]
        self.base_rate_bias_ = _BERNOULLI.base_rate_bias(X).astype(dtype)
        self._optimizer = self._make_optimizer(
            "sgd", self.learning_rate_schedule, momentum=self.momentum,
            weight_decay=self.weight_decay)
        self._buffers = {}

    def _initialize_from_stream(self, X, X0, rng):
        self._initialize(X0, rng, pretrain_X=X)  # pretraining streams X too

    def _learned_params(self):
        return {**{f"components_{k}": W for k, W in enumerate(self.components_)},
                **{f"intercepts_{j}": b for j, b in enumerate(self.intercepts_)}}

    # ------------------------------------------------------- inference
    def _weights(self, dtype, out=None):
        """(weights, their C-contiguous transposes, biases) in ``dtype``.

        Products with mostly-zero states (the data, binary Gibbs samples)
        skip the zeros when the weight is C-contiguous (``units.layer_input``):
        their input from below reads the rows of ``W_k.T``.  Mean field's
        dense posteriors go straight to BLAS with the same C-contiguous
        transposes: a 100 x 500 by 500 x 1000 product takes 0.59 ms against
        0.70 ms with the F-ordered view ``W_k.T`` (one thread; 0.35 against
        0.42 ms with two)."""
        Ws, bs = self._params_as(dtype)
        if out is None:
            return Ws, [np.ascontiguousarray(W.T) for W in Ws], bs
        for W, WT in zip(Ws, out):
            np.copyto(WT, W.T)
        return Ws, out, bs

    def _mean_field(self, V, n_iter, mu=None, pre=None, start=True, weights=None):
        """Mean-field posteriors ``[mu_1, ..., mu_L]`` of the hidden layers
        given visible rows ``V``: a bottom-up pass with doubled input into
        the interior layers (unless ``start`` is False: continue from
        ``mu``), then ``n_iter`` sweeps updating each layer from both
        neighbours, bottom to top."""
        Ws, WT, bs = self._weights(V.dtype) if weights is None else weights
        L, n = len(Ws), V.shape[0]
        if mu is None:
            mu = [np.empty((n, W.shape[0]), V.dtype) for W in Ws]
        if pre is None:
            pre = [np.empty_like(m) for m in mu] + [np.empty_like(mu[0])]
        from_v = pre[L]  # V's input to h_1 does not change
        layer_input(from_v, [(V, WT[0])], None)
        if L == 1:  # an RBM: the posterior is exact
            return [_BERNOULLI.mean(from_v, bs[1], out=mu[0])]
        if start:
            for k in range(L):
                if k == 0:
                    np.copyto(pre[0], from_v)
                else:
                    np.dot(mu[k - 1], WT[k], out=pre[k])
                if k < L - 1:
                    pre[k] *= 2
                _BERNOULLI.mean(pre[k], bs[k + 1], out=mu[k])
        for _ in range(n_iter):
            for k in range(L):
                if k == 0:
                    np.dot(mu[1], Ws[1], out=pre[0])
                    pre[0] += from_v
                else:
                    np.dot(mu[k - 1], WT[k], out=pre[k])
                    if k < L - 1:
                        pre[k] += mu[k + 1] @ Ws[k + 1]
                _BERNOULLI.mean(pre[k], bs[k + 1], out=mu[k])
        return mu

    def _infer(self, V):
        """Mean-field posteriors for inference (at least ``_n_inference`` sweeps)."""
        return self._mean_field(V, max(self.n_mean_field, self._n_inference))

    def _gibbs(self, states, n_steps, seed, weights, last=None):
        """``n_steps`` Gibbs sweeps of the chains ``states`` (one array per
        layer, updated in place): the even layers given the odd ones, then
        the odd given the even.  ``last(j, pre, bias, seed)``, if given,
        replaces the final update of each odd layer ``j`` (to record means)."""
        Ws, WT, bs = weights
        L = len(Ws)
        for step in range(n_steps):
            for parity in (0, 1):
                for j in range(parity, L + 1, 2):
                    terms = []
                    if j > 0:
                        terms.append((states[j - 1], WT[j - 1]))
                    if j < L:
                        terms.append((states[j + 1], Ws[j]))
                    pre = self._scratch(states[j])
                    bias = layer_input(pre, terms, bs[j])
                    s = int(seed) + (2 * step + parity) * (L + 1) + j
                    if parity and last is not None and step == n_steps - 1:
                        last(j, pre, bias, s)
                    else:
                        _BERNOULLI.sample(pre, bias, s, out=states[j])
        return states

    def _scratch(self, like):
        key = ("scratch", like.shape, like.dtype)
        buf = self._buffers.get(key)
        if buf is None:
            buf = self._buffers[key] = np.empty_like(like)
        return buf

    # ---------------------------------------------------------- training
    def _get_buffers(self, n, dtype):
        """Stacked ``[data; chains]`` rows per layer: ``U[j]`` unsigned (layer
        j below a weight matrix), ``T[j]`` negated chain rows (layer j above
        it), so that each weight statistic is one product ``T[k+1].T @ U[k]``."""
        key = (n, np.dtype(dtype))
        buf = self._buffers.get(key)
        if buf is None:
            sizes = [self.components_[0].shape[1]] + [W.shape[0] for W in self.components_]
            L = len(sizes) - 1
            U = [np.empty((2 * n, m), dtype) if j < L else None for j, m in enumerate(sizes)]
            T = [np.empty((2 * n, m), dtype) if j > 0 else None for j, m in enumerate(sizes)]
            signs = np.ones(2 * n, dtype)
            signs[n:] = -1
            buf = {"U": U, "T": T, "signs": signs, "ones": np.ones(2 * n, dtype),
                   "mu": [np.empty((n, m), dtype) for m in sizes[1:]],
                   "pre": [np.empty((n, m), dtype) for m in sizes[1:] + sizes[1:2]],
                   "WT": [np.empty(W.shape[::-1], dtype) for W in self.components_],
                   "G": [np.empty_like(W) for W in self.components_]}
            self._buffers = {k: v for k, v in self._buffers.items() if k[0] == "scratch"}
            self._buffers[key] = buf
        return buf

    def _fit_minibatch(self, Xb, Yb, seed):
        Ws, bs = self.components_, self.intercepts_
        L, n = len(Ws), Xb.shape[0]
        p = self._get_buffers(n, Ws[0].dtype)
        U, T = p["U"], p["T"]
        V = U[0][:n]
        V[...] = Xb.toarray() if sp.issparse(Xb) else Xb
        # data-dependent statistics: mean field
        weights = self._weights(Ws[0].dtype, out=p["WT"])
        mu = self._mean_field(V, self.n_mean_field, mu=p["mu"], pre=p["pre"],
                              weights=weights)
        for j in range(1, L + 1):
            if j < L:
                U[j][:n] = mu[j - 1]
            T[j][:n] = mu[j - 1]
        # model statistics: the persistent chains (the first n for a short batch)
        chains = [c[:n] for c in self.chains_]

        def record_mean(j, pre, bias, s):  # odd layers: means (and samples) of the last sweep
            _BERNOULLI.mean_sample(pre, bias, T[j][n:], -1.0, chains[j], s,
                                   empty1(pre.dtype), empty1(pre.dtype))
            if j < L:
                np.negative(T[j][n:], out=U[j][n:])

        self._gibbs(chains, self.n_gibbs_steps, seed, weights, last=record_mean)
        for j in range(0, L + 1, 2):  # even layers: their last samples
            if j < L:
                U[j][n:] = chains[j]
            if j > 0:
                np.negative(chains[j], out=T[j][n:])
        # statistics <.>_data - <.>_model and the updates
        opt, scale = self._optimizer, -1.0 / n
        for k in range(L):
            np.dot(T[k + 1].T, U[k], out=p["G"][k])
            opt.step(f"components_{k}", Ws[k], p["G"][k], grad_scale=scale)
        for j in range(L + 1):
            grad = p["signs"] @ U[j] if j == 0 else p["ones"] @ T[j]
            opt.step(f"intercepts_{j}", bs[j], grad, grad_scale=scale, decay=False)
        if self.max_norm is not None:
            for W in Ws:
                norms = np.sqrt(np.einsum("ij,ij->i", W, W))
                over = norms > self.max_norm
                W[over] *= (self.max_norm / norms[over])[:, None].astype(W.dtype)
        d = self._activity_decay
        for m, a in zip(mu, self.mean_activations_):
            a *= d
            a += (1 - d) * m.mean(axis=0)

    def _epoch_scores(self, X, Y, held_out):
        return {"reconstruction_error": float(np.mean(self._reconstruction_rows(X)))}

    def _reconstruction_rows(self, X):
        """Squared error of ``X`` against the visible means given its
        mean-field posterior of ``h_1`` (the training monitor)."""
        V = X.toarray() if sp.issparse(X) else X
        mu = self._mean_field(V, self.n_mean_field)
        Ws, bs = self._params_as(V.dtype)
        R = _BERNOULLI.mean(np.ascontiguousarray(mu[0] @ Ws[0]), bs[0])
        return np.sum((np.asarray(V, np.float64) - R) ** 2, axis=1)

    def reconstruction_error(self, X):
        """Squared error of the mean-field reconstruction, per sample."""
        return self._reconstruction_rows(self._check_X_transform(X))

    # ------------------------------------------------------------ public
    def transform(self, X):
        """Mean-field posteriors of the top hidden layer (``transform_layers=
        "top"``) or of every hidden layer concatenated (``"all"``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        H : ndarray of shape (n_samples, n_features_out), X's dtype
        """
        mu = self._infer(self._check_X_transform(X))
        return mu[-1] if self.transform_layers == "top" else np.hstack(mu)

    def complete(self, X, *, n_iter=None):
        """Fill in missing visible values (NaN) by mean field (pattern completion).

        The missing entries are treated as unobserved visible units: mean
        field runs over them and every hidden layer jointly, the observed
        entries clamped.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data in [0, 1] with NaN where values are missing.
        n_iter : int, optional
            Mean-field sweeps (default: that of inference, at least 30).

        Returns
        -------
        X_filled : ndarray of shape (n_samples, n_features)
            ``X`` with each missing entry replaced by its mean-field
            probability of being 1.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=_FLOATS,
                          ensure_all_finite="allow-nan")
        missing = np.isnan(X)
        if not missing.any():
            return X.copy()
        Ws, bs = self._params_as(X.dtype)
        V = np.where(missing, _BERNOULLI.mean(np.zeros((1, X.shape[1]), X.dtype),
                                               bs[0]), X).astype(X.dtype)
        _BERNOULLI.check(V, type(self).__name__)
        n_iter = max(self.n_mean_field, self._n_inference) if n_iter is None else n_iter
        mu = self._mean_field(V, 0)
        for _ in range(int(n_iter)):
            mu = self._mean_field(V, 1, mu=mu, start=False)
            R = _BERNOULLI.mean(np.ascontiguousarray(mu[0] @ Ws[0]), bs[0])
            V[missing] = R[missing]
        return V

    def sample(self, n_samples=1, *, n_steps=1000, random_state=None,
               return_mean=True):
        """Visible samples by Gibbs sampling from the persistent chains.

        The chains of training (``chains_``) are copied, not advanced; more
        chains than ``batch_size`` start from copies of them.

        Parameters
        ----------
        n_samples : int
            Number of chains.
        n_steps : int
            Gibbs sweeps per chain.
        random_state : int, RandomState or None
            Seed (default: the estimator's ``random_state``).
        return_mean : bool
            Return the visible means of the last sweep rather than the samples.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        rng = check_random_state(self.random_state if random_state is None
                                 else random_state)
        rows = np.arange(n_samples) % self.chains_[0].shape[0]
        states = [np.ascontiguousarray(c[rows]) for c in self.chains_]
        weights = self._weights(states[0].dtype)
        Ws, bs = weights[0], weights[2]
        self._gibbs(states, int(n_steps), draw_seeds(rng), weights)
        if not return_mean:
            return states[0]
        return _BERNOULLI.mean(np.ascontiguousarray(states[1] @ Ws[0]), bs[0])

    # ---------------------------------------------------- log-likelihood
    def bipartite_view(self, dtype=np.float64):
        """The DBM as an RBM between its odd layers and its even layers.

        Given the odd layers (``h_1, h_3, ...``), the even ones (``v, h_2,
        ...``) are independent, and the other way round: the DBM is an RBM
        whose "visible" side is the odd layers and whose "hidden" side is
        the even layers.  :mod:`skdeepgen.evaluation` then gives its exact
        log Z (tiny models) and AIS estimate.

        Returns
        -------
        W : ndarray of shape (n_even_units, n_odd_units)
        b_odd, c_even : ndarrays
            Biases of the odd layers and of the even layers, concatenated
            in layer order.
        """
        check_is_fitted(self)
        Ws, bs = self._params_as(dtype)
        sizes = [b.size for b in bs]
        offset = {}
        totals = [0, 0]
        for j, m in enumerate(sizes):
            offset[j] = totals[j % 2]
            totals[j % 2] += m
        W = np.zeros((totals[0], totals[1]), dtype)
        for k, Wk in enumerate(Ws):  # Wk: (sizes[k+1], sizes[k])
            ev, od = (k, k + 1) if k % 2 == 0 else (k + 1, k)
            block = Wk.T if k % 2 == 0 else Wk
            W[offset[ev]:offset[ev] + sizes[ev], offset[od]:offset[od] + sizes[od]] = block
        return (W, np.concatenate(bs[1::2]).astype(dtype),
                np.concatenate(bs[0::2]).astype(dtype))

    def estimate_log_partition(self, *, method="auto", n_runs=None, n_betas=None,
                               random_state=None):
        """log Z of the fitted DBM: exact enumeration or AIS, cached.

        The even layers are marginalised analytically (see
        :meth:`bipartite_view`); AIS samples the even layers, annealing from
        a base model whose biases match the data's mean (visible layer) and
        ``mean_activations_`` (hidden layers), and sums the odd layers out.

        Parameters
        ----------
        method : {"auto", "exact", "ais"}
            ``auto``: exact when the odd or the even layers have at most
            2**16 joint states, else AIS.
        n_runs, n_betas : int, optional
            AIS runs and temperatures (default: those of ``ais_params``, else
            100 and 10,000).
        random_state : int, RandomState or None
            AIS seed (default: the estimator's ``random_state``, else 0).

        Returns
        -------
        result : AISResult
            ``log_z`` and its spread.  The latest estimate is the log Z of
            ``score_samples`` until the parameters, ``ais_params`` or
            ``random_state`` change; a call without arguments returns it
            rather than estimating again.
        """
        check_is_fitted(self)
        if method not in ("auto", "exact", "ais"):
            raise ValueError(f"method={method!r}; use 'auto', 'exact' or 'ais'")
        cache = self._log_z_cache_for_params()
        defaults = method == "auto" and n_runs is n_betas is random_state is None
        if defaults and "latest" in cache:
            return cache["latest"]
        settings = {**self._ais_defaults, **self._ais_given(n_runs, n_betas)}
        W, b, c = self.bipartite_view()
        smaller = min(W.shape)
        if method == "exact" or (method == "auto" and smaller <= 16):
            res = _evaluation.AISResult.exact(
                _evaluation.exact_log_partition(W, b, c, _BERNOULLI, _BERNOULLI))
        else:
            # the even layers (v, h_2, ...) are sampled, from a base model at
            # their mean activities (the data's for v); the odd ones are
            # summed out (Salakhutdinov & Hinton 2009)
            base = np.concatenate([np.asarray(self.base_rate_bias_, np.float64)] + [
                _BERNOULLI.base_rate_bias(a[None]) for a in self.mean_activations_[1::2]])
            res = _evaluation.annealed_importance_sampling(
                W.T, c, b, _BERNOULLI, _BERNOULLI, base_bias=base,
                n_runs=settings["n_runs"], n_betas=settings["n_betas"],
                random_state=self._int_seed() if random_state is None else random_state)
        cache["latest"] = res
        return res

    def _unnormalised_bound(self, V):
        """``E_q[-E(v, h)] + H(q)`` per row for the mean-field ``q`` (float64):
        the variational lower bound on ``log p(v) + log Z``."""
        mu = self._infer(V)
        Ws, bs = self._params_as(np.float64)
        s = [np.asarray(V.toarray() if sp.issparse(V) else V, np.float64)]
        s += [np.asarray(m, np.float64) for m in mu]
        bound = sum(x @ b for x, b in zip(s, bs))
        bound += sum(np.einsum("ij,ij->i", s[k + 1] @ W, s[k]) for k, W in enumerate(Ws))
        return bound + sum(_entropy(m) for m in s[1:])

    def score_samples(self, X):
        """Variational lower bound on ``log p(x)`` per sample (nats).

        ``E_q[log p*(x, h)] + H(q) - log Z`` with the mean-field posterior
        ``q``; ``log Z`` exact for tiny models, else the AIS estimate of
        :meth:`estimate_log_partition` with the settings of ``ais_params``
        (100 runs, 10,000 temperatures by default), cached.
        """
        X = self._check_X_transform(X)
        return self._unnormalised_bound(X) - self.estimate_log_partition().log_z

    def score(self, X, y=None):
        """Mean variational lower bound on the log-likelihood of ``X``."""
        return float(np.mean(self.score_samples(X)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class DBMClassifier(StackClassifier):
    """A DBM's weights and mean-field posteriors fine-tuned as a classifier.

    The recipe of Salakhutdinov & Hinton (2009): a DBM is trained on ``X``
    (see :class:`DBM`), then a sigmoid network is initialised from its
    weights and fine-tuned with backpropagation.  Its input is the data
    together with the DBM's mean-field posterior of the second hidden layer
    ``q(h_2 | x)``, computed once with the trained DBM and held fixed: the
    first hidden layer computes ``sigmoid(x W_0^T + q_2 W_1 + b_1)`` as in
    mean field, the layers above ``sigmoid(h_k W_k^T + b_{k+1})``, and a
    softmax layer is added on top.

    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default=(500, 1000)
        Hidden layers of the DBM (and of the network), bottom to top.
    dbm : DBM or None, default=None
        Configuration of the DBM (its ``hidden_layer_sizes`` and
        ``random_state`` are set by the classifier); None: ``DBM()``'s
        defaults.
    pretrain : bool or fitted DBM, default=True
        False: no DBM (a plain sigmoid network on ``X``, an ablation); a
        fitted :class:`DBM` with matching sizes is used (copied) instead of
        training one.
    solver : {"sgd", "adam"}, default="sgd"
    learning_rate : float, default=0.3
        Fine-tuning step size for the mean minibatch gradient (on a
        50-epoch MNIST DBM, without dropout: 1.23% test error, against 1.37%
        at 0.1; see ``doc/results.md``).
    learning_rate_schedule : {"constant", "invscaling", "exponential", \
"linear"}, default="linear"
    momentum : float, default=0.9
        Nesterov momentum (``solver="sgd"``).
    weight_decay : float, default=1e-5
        L2 penalty on the weights.
    batch_size : int, default=100
    max_iter : int, default=100
        Fine-tuning epochs (about 8 minutes of one core on MNIST).  With
        the dropout defaults and no output-only epochs, on a 50-epoch MNIST
        DBM: 1.16% test error in 100 epochs, 1.20% in 200, 1.23% without
        dropout in 40.
    dropout : float, default=0.5
        Fine-tuning with dropout (Srivastava et al. 2014): the rate at which
        hidden units are zeroed in a minibatch (the others scaled up by
        ``1 / (1 - rate)``; prediction uses all).  It suits wide layers: a
        network of a few tens of units wants ``dropout=0``.
    input_dropout : float, default=0.2
        The same for the network's inputs (the image and ``q(h_2 | x)``).
    output_only_epochs : int, default=5
        Fine-tuning epochs, at the start, that train the softmax output
        layer alone with the pretrained layers held fixed (Hinton &
        Salakhutdinov 2006's ``backpropclassify``: 5), so that the first,
        large gradients of a random output layer do not wash out the
        pretrained features.  On the MNIST DBM of ``examples/dbm_mnist.py``
        (150 joint epochs): 1.09% and 1.17% test error with random states 0
        and 1, against 1.17% and 1.24% with 0 (see ``doc/results.md``).
    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction`` (also from the DBM's
        training), stop when the validation error stops improving and keep
        the best epoch's weights.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=5
    tol : float, default=1e-4
    verbose : int, default=0
    random_state : int, RandomState instance or None, default=None

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    dbm_ : DBM or None
        The generatively trained DBM (before fine-tuning).
    network_ : skdeepgen.nn.DenseNetwork
        The fine-tuned network; its input is ``[X, q(h_2 | X)]``.
    n_iter_ : int
        Fine-tuning epochs run.
    history_ : dict of lists

    See Also
    --------
    DBM : the generative model.
    DBNClassifier : the same with a DBN.

    References
    ----------
    .. [1] Salakhutdinov, R. & Hinton, G. E. (2009). Deep Boltzmann machines.
       AISTATS.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdeepgen import DBM, DBMClassifier, BernoulliRBM
    >>> X, y = load_digits(return_X_y=True)
    >>> dbm = DBM(rbm=BernoulliRBM(n_iter=5, batch_size=20), n_iter=5, batch_size=20)
    >>> clf = DBMClassifier((64, 64), dbm=dbm, learning_rate=0.3, batch_size=20,
    ...                     max_iter=10, dropout=0, input_dropout=0,
    ...                     output_only_epochs=0,
    ...                     random_state=0).fit(X[:1200] / 16, y[:1200])
    >>> clf.score(X[1200:] / 16, y[1200:]) > 0.85
    True
    """

    _parameter_constraints = {**StackClassifier._parameter_constraints,
                              "dbm": [None, DBM], "pretrain": ["boolean", DBM]}

    def __init__(self, hidden_layer_sizes=(500, 1000), *, dbm=None, pretrain=True,
                 solver="sgd", learning_rate=0.3, learning_rate_schedule="linear",
                 momentum=0.9, weight_decay=1e-5, batch_size=100, max_iter=100,
                 dropout=0.5, input_dropout=0.2, output_only_epochs=5,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=5,
                 tol=1e-4, verbose=0, random_state=None):
        super().__init__(
            hidden_layer_sizes, pretrain=pretrain, solver=solver,
            learning_rate=learning_rate,
            learning_rate_schedule=learning_rate_schedule, momentum=momentum,
            weight_decay=weight_decay, batch_size=batch_size, max_iter=max_iter,
            dropout=dropout, input_dropout=input_dropout,
            output_only_epochs=output_only_epochs,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, tol=tol, verbose=verbose,
            random_state=random_state)
        self.dbm = dbm

    @property
    def dbm_(self):
        return self.dbn_

    _pretrained_type = DBM

    @staticmethod
    def _hidden_sizes(pretrained):
        return [W.shape[0] for W in pretrained.components_]

    def _make_stack(self, sizes, seed):
        """The unfitted DBM: ``dbm``'s configuration (default ``DBM()``)."""
        dbm = DBM() if self.dbm is None else clone(self.dbm)
        return dbm.set_params(hidden_layer_sizes=sizes, verbose=self.verbose,
                              random_state=seed)

    def _net_input(self, X):
        """``[X, q(h_2 | X)]`` in the network's dtype (``X`` alone without a DBM
        or with one hidden layer)."""
        dt = self.network_.dtype
        X = np.ascontiguousarray(X.toarray() if sp.issparse(X) else X, dtype=dt)
        if self.dbn_ is None or len(self.dbn_.components_) == 1:
            return X
        return np.hstack([X, self.dbn_._infer(X)[1].astype(dt, copy=False)])

    def _build_network(self, X, sizes, rng):
        if self.dbn_ is None:
            return super()._build_network(X, sizes, rng)
        dtype = X.dtype
        Ws, bs = self.dbn_._params_as(dtype)
        coefs = [W.T.copy() for W in Ws]
        if len(Ws) > 1:  # the first layer also reads q(h_2) through W_1
            coefs[0] = np.vstack([Ws[0].T, Ws[1]])
        coefs.append((0.01 * rng.standard_normal((sizes[-1], len(self.classes_))))
                     .astype(dtype))
        intercepts = [b.copy() for b in bs[1:]] + [np.zeros(len(self.classes_), dtype)]
        acts = ["logistic"] * len(Ws) + ["softmax"]
        return DenseNetwork(coefs, intercepts, acts, loss="softmax_cross_entropy")
