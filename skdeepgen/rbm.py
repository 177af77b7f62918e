"""Restricted Boltzmann machines built from unit types.

``BaseRBM`` holds everything that does not depend on the unit types:
CD-k / persistent CD training with fused kernels, momentum, weight decay,
sparsity, Gibbs sampling, free energy, pseudo-likelihood, transforms.  A
variant chooses its visible and hidden ``Units`` (``skdeepgen.units``).
"""
import zlib
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import TransformerMixin
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted, validate_data

from ._training import make_optimizer
from ._training.random import draw_seeds
from .base import BaseMinibatchEstimator
from .units import BernoulliUnits, empty1, empty2

__all__ = ["BaseRBM", "BernoulliRBM"]


class BaseRBM(TransformerMixin, BaseMinibatchEstimator):
    """Shared RBM machinery; subclasses set ``visible_units``/``hidden_units``."""

    visible_units = BernoulliUnits()
    hidden_units = BernoulliUnits()
    _accept_sparse = "csr"

    _parameter_constraints = {
        **BaseMinibatchEstimator._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "n_iter": [Interval(Integral, 1, None, closed="left")],
        "method": [StrOptions({"cd", "pcd"})],
        "n_gibbs_steps": [Interval(Integral, 1, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "sparsity_target": [None, Interval(Real, 0, 1, closed="neither")],
        "sparsity_cost": [Interval(Real, 0, None, closed="left")],
        "sparsity_decay": [Interval(Real, 0, 1, closed="left")],
    }
    _monitor = "reconstruction_error"
    _monitor_greater_is_better = False
    _divergence_hint = "Lower learning_rate (or momentum)."

    # --------------------------------------------------------- validation
    def _check_X(self, X, reset):
        X = validate_data(self, X, reset=reset, accept_sparse=self._accept_sparse,
                          dtype=[np.float64, np.float32],
                          ensure_min_samples=1)
        return self.visible_units.check(X, type(self).__name__)

    def _check_X_transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse=self._accept_sparse,
                          dtype=[np.float64, np.float32])
        return X

    def _params_as(self, dtype):
        """(W, b_visible, c_hidden) in ``dtype`` (no copy when it matches)."""
        return (self.components_.astype(dtype, copy=False),
                self.intercept_visible_.astype(dtype, copy=False),
                self.intercept_hidden_.astype(dtype, copy=False))

    # ----------------------------------------------------------- training
    def _initialize(self, X, rng):
        dtype = X.dtype
        n_features = X.shape[1]
        h = self.n_components
        self.components_ = (0.01 * rng.standard_normal((h, n_features))).astype(dtype)
        self.intercept_hidden_ = np.zeros(h, dtype=dtype)
        self.intercept_visible_ = self._init_visible_bias(X)
        if self.method == "pcd":
            # persistent chains start from samples given random visibles
            v0 = (rng.uniform(size=(self.batch_size, n_features)) < 0.5).astype(dtype)
            self.h_samples_ = self.hidden_units.sample(
                np.ascontiguousarray(v0 @ self.components_.T),
                self.intercept_hidden_, draw_seeds(rng))
        self._hidden_activity = None
        self._optimizer = make_optimizer(
            "sgd", self.learning_rate, momentum=self.momentum,
            weight_decay=self.weight_decay, schedule=self._make_schedule())
        self._buffers = {}

    def _init_visible_bias(self, X):
        """log(p / (1 - p)) of the mean activity (Hinton's practical guide)."""
        mean = np.asarray(X.mean(axis=0), dtype=np.float64).ravel()
        p = np.clip(mean, 1e-3, 1 - 1e-3)
        return np.log(p / (1 - p)).astype(X.dtype)

    def _learned_params(self):
        return {"components_": self.components_,
                "intercept_hidden_": self.intercept_hidden_,
                "intercept_visible_": self.intercept_visible_}

    def _get_buffers(self, n, dtype):
        key = (n, np.dtype(dtype))
        buf = self._buffers.get(key)
        if buf is None:
            h, d = self.components_.shape
            buf = {"V": np.empty((2 * n, d), dtype), "H": np.empty((2 * n, h), dtype),
                   "pre_h": np.empty((n, h), dtype), "pre_v": np.empty((n, d), dtype),
                   "pre_hh": np.empty((2 * n, h), dtype),
                   "h_state": np.empty((n, h), dtype),
                   "G": np.empty((h, d), dtype),
                   "acc_c": np.empty(h, dtype), "acc_b": np.empty(d, dtype)}
            self._buffers = {key: buf}  # keep only the current batch shape
        return buf

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_buffers"] = {}  # scratch space is not part of the model
        return state

    def _fit_minibatch(self, v_pos, seed):
        W, b, c = self.components_, self.intercept_visible_, self.intercept_hidden_
        dtype = W.dtype
        n = v_pos.shape[0]
        vis, hid = self.visible_units, self.hidden_units
        buf = self._get_buffers(n, dtype)
        V, H, pre_h, pre_v, G = buf["V"], buf["H"], buf["pre_h"], buf["pre_v"], buf["G"]
        acc_c, acc_b = buf["acc_c"], buf["acc_b"]
        e2 = empty2(dtype)
        e1 = empty1(dtype)
        if sp.issparse(v_pos):
            V[:n] = v_pos.toarray()
        else:
            V[:n] = v_pos
        v_pos = V[:n]
        v_neg = V[n:]
        acc_c[:] = 0
        acc_b[:] = 0

        k = self.n_gibbs_steps
        if self.method == "pcd":
            # The persistent chains do not depend on the data, so the
            # negative visibles come first and the positive and negative
            # hidden pre-activations are one 2n-row product.
            chain = self.h_samples_[:n]
            pre_h_neg = pre_h  # scratch for intermediate Gibbs steps
            for step in range(k):
                last = step == k - 1
                np.dot(chain, W, out=pre_v)
                vis.mean_sample(pre_v, b, e2, 1.0, v_neg, seed + 2 * step + 1,
                                e1, acc_b if last else e1)
                if not last:
                    np.dot(v_neg, W.T, out=pre_h_neg)
                    hid.mean_sample(pre_h_neg, c, e2, 1.0, chain,
                                    seed + 2 * step + 2, e1, e1)
            pre_hh = buf["pre_hh"]
            np.dot(V, W.T, out=pre_hh)
            hid.mean_sample(pre_hh[:n], c, H[:n], 1.0, e2, seed, acc_c, e1)
            h_pos_mean = acc_c.copy() if self.sparsity_target is not None else None
            hid.mean_sample(pre_hh[n:], c, H[n:], -1.0, chain, seed + 2 * k,
                            acc_c, e1)
        else:
            # CD-k: chains start at the data's hidden samples
            h_state = buf["h_state"]
            np.dot(v_pos, W.T, out=pre_h)
            hid.mean_sample(pre_h, c, H[:n], 1.0, h_state, seed, acc_c, e1)
            h_pos_mean = acc_c.copy() if self.sparsity_target is not None else None
            for step in range(k):
                last = step == k - 1
                np.dot(h_state, W, out=pre_v)
                vis.mean_sample(pre_v, b, e2, 1.0, v_neg, seed + 2 * step + 1,
                                e1, acc_b if last else e1)
                np.dot(v_neg, W.T, out=pre_h)
                hid.mean_sample(pre_h, c, H[n:] if last else e2, -1.0, h_state,
                                seed + 2 * step + 2, acc_c if last else e1, e1)

        # sufficient statistics <v h>_data - <v h>_model in one product
        np.dot(H.T, V, out=G)
        grad_b = v_pos.sum(axis=0) - acc_b
        grad_c = acc_c
        if self.sparsity_target is not None:
            grad_c = self._apply_sparsity(h_pos_mean / n, v_pos, G, grad_c, n)
        opt = self._optimizer
        scale = -1.0 / n
        opt.step("components_", W, G, grad_scale=scale)
        opt.step("intercept_hidden_", c, grad_c, grad_scale=scale, decay=False)
        opt.step("intercept_visible_", b, grad_b.astype(dtype, copy=False),
                 grad_scale=scale, decay=False)
        return None

    def _apply_sparsity(self, q_batch, v_pos, G, grad_c, n):
        """Sparsity target (Lee et al. 2008; Hinton's guide, section 11).

        A running estimate ``q`` of each hidden unit's mean activity is pulled
        towards ``sparsity_target`` by adding ``-cost * (q - target)`` to the
        ascent direction of the hidden biases and, weighted by the mean input,
        of the weights.
        """
        if self._hidden_activity is None:
            self._hidden_activity = q_batch.astype(np.float64)
        else:
            lam = self.sparsity_decay
            self._hidden_activity = lam * self._hidden_activity + (1 - lam) * q_batch
        penalty = self.sparsity_cost * (self._hidden_activity - self.sparsity_target)
        G -= (n * penalty)[:, None].astype(G.dtype) * v_pos.mean(axis=0)[None, :]
        return (grad_c - n * penalty).astype(grad_c.dtype)

    def _epoch_scores(self, X_monitor):
        return {"reconstruction_error": float(np.mean(self.reconstruction_error(X_monitor))),
                "pseudo_likelihood": float(np.mean(self.pseudo_likelihood(X_monitor)))}

    # ------------------------------------------------------- conditionals
    def _mean_hiddens(self, V, W, c):
        pre = np.ascontiguousarray(safe_sparse_dot(V, W.T, dense_output=True))
        return self.hidden_units.mean(pre, c, out=pre)

    def _mean_visibles(self, H, W, b):
        pre = np.ascontiguousarray(H @ W)
        return self.visible_units.mean(pre, b, out=pre)

    def transform(self, X):
        """Hidden unit means (``p(h=1 | v)`` for binary hiddens).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        H : ndarray of shape (n_samples, n_components), X's dtype
        """
        X = self._check_X_transform(X)
        W, b, c = self._params_as(X.dtype)
        return self._mean_hiddens(X, W, c)

    def inverse_transform(self, H):
        """Visible unit means given hidden states (reconstruction)."""
        check_is_fitted(self)
        H = check_array(H, dtype=[np.float64, np.float32], input_name="H")
        if H.shape[1] != self.n_components:
            raise ValueError(
                f"H has {H.shape[1]} columns, but {type(self).__name__} has "
                f"n_components={self.n_components} hidden units.")
        W, b, c = self._params_as(H.dtype)
        return self._mean_visibles(H, W, b)

    def reconstruction_error(self, X):
        """Squared error of the mean-field reconstruction, per sample."""
        X = self._check_X_transform(X)
        W, b, c = self._params_as(X.dtype)
        R = self._mean_visibles(self._mean_hiddens(X, W, c), W, b)
        if sp.issparse(X):
            X = X.toarray()
        return np.sum((np.asarray(X, dtype=np.float64) - R) ** 2, axis=1)

    def gibbs(self, v):
        """One block-Gibbs step ``v -> h -> v'``; returns the visible sample.

        Uses (and advances) the estimator's own random stream, so a sequence
        of calls is reproducible for a fixed ``random_state``.
        """
        check_is_fitted(self)
        v = self._check_X_transform(v)
        if sp.issparse(v):
            v = v.toarray()
        W, b, c = self._params_as(v.dtype)
        seeds = draw_seeds(self._rng, 2)
        h = self.hidden_units.sample(np.ascontiguousarray(v @ W.T), c, seeds[0])
        return self.visible_units.sample(np.ascontiguousarray(h @ W), b, seeds[1])

    def sample(self, n_samples=1, *, n_steps=1000, init=None, random_state=None,
               return_mean=True):
        """Draw visible samples by block Gibbs sampling.

        Parameters
        ----------
        n_samples : int
            Number of independent chains.
        n_steps : int
            Gibbs steps per chain.
        init : array of shape (n_samples, n_features), optional
            Starting visible states (default: draws from the visible biases).
        random_state : int, RandomState or None
            Seed for the chains (default: the estimator's ``random_state``).
        return_mean : bool
            Return the visible means of the last step (smooth images) rather
            than the last sample.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        rng = check_random_state(self.random_state if random_state is None
                                 else random_state)
        W, b, c = self._params_as(self.components_.dtype)
        if init is None:
            pre = np.zeros((n_samples, W.shape[1]), W.dtype)
            v = self.visible_units.sample(pre, b, draw_seeds(rng))
        else:
            v = np.ascontiguousarray(self._check_X_transform(init), dtype=W.dtype)
        seeds = draw_seeds(rng, 2 * n_steps)
        pre_v = np.empty_like(v)
        mean = v
        for t in range(n_steps):
            h = self.hidden_units.sample(np.ascontiguousarray(v @ W.T), c, seeds[2 * t])
            np.dot(h, W, out=pre_v)
            if t == n_steps - 1 and return_mean:
                mean = self.visible_units.mean(pre_v, b)
            v = self.visible_units.sample(pre_v, b, seeds[2 * t + 1])
        return mean if return_mean else v

    # -------------------------------------------------- energies & scores
    def free_energy(self, X):
        """Free energy ``F(v) = -log sum_h exp(-E(v, h))`` per sample (float64)."""
        X = self._check_X_transform(X)
        W, b, c = self._params_as(X.dtype)
        pre = np.ascontiguousarray(safe_sparse_dot(X, W.T, dense_output=True))
        return (self.visible_units.bias_energy(X, b)
                - self.hidden_units.log_partition(pre, c))

    def pseudo_likelihood(self, X):
        """Stochastic pseudo-log-likelihood per sample (scikit-learn's score_samples).

        For each sample one visible unit is flipped and
        ``n_features * log sigmoid(F(v_flipped) - F(v))`` is returned.  Which
        unit is flipped is a hash of the sample's values and ``random_state``:
        the value is deterministic, and a sample's score does not depend on
        the other rows (order- and subset-invariant, unlike scikit-learn's).
        """
        X = self._check_X_transform(X)
        if sp.issparse(X):
            Xf = X.toarray()
        else:
            Xf = np.array(X, copy=True, order="C")
        n, d = Xf.shape
        salt = self.random_state if isinstance(self.random_state, Integral) else 0
        salt = int(salt) & 0xFFFFFFFF
        cols = np.fromiter((zlib.crc32(row.tobytes(), salt) % d for row in Xf),
                           dtype=np.intp, count=n)
        rows = np.arange(n)
        fe = self.free_energy(Xf)
        Xf[rows, cols] = 1 - Xf[rows, cols]
        fe_flip = self.free_energy(Xf)
        return -d * np.logaddexp(0, -(fe_flip - fe))

    def score_samples(self, X):
        """Pseudo-log-likelihood per sample (see ``pseudo_likelihood``)."""
        return self.pseudo_likelihood(X)

    def score(self, X, y=None):
        """Mean of ``score_samples`` (higher is better), for model selection."""
        return float(np.mean(self.score_samples(X)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class BernoulliRBM(BaseRBM):
    """Bernoulli restricted Boltzmann machine (binary visible and hidden units).

    A drop-in superset of :class:`sklearn.neural_network.BernoulliRBM`: the
    shared parameters and fitted attributes (``n_components``,
    ``learning_rate``, ``batch_size``, ``n_iter``, ``components_``,
    ``intercept_hidden_``, ``intercept_visible_``, ``h_samples_``) have the
    same names and meaning.  Training adds contrastive divergence CD-k next to
    persistent CD, momentum, weight decay, a sparsity target, early stopping
    and a ``history_``; the inner loops are fused Numba kernels around BLAS
    products, so an epoch costs little more than its matrix products.

    Parameters
    ----------
    n_components : int, default=256
        Number of hidden units.
    learning_rate : float, default=0.05
        Step size for the mean gradient over a minibatch (scikit-learn's
        meaning).  With ``momentum`` the effective step is about
        ``learning_rate / (1 - momentum)``.
    batch_size : int, default=100
        Examples per minibatch (and number of persistent chains).
    n_iter : int, default=10
        Number of epochs.
    method : {"pcd", "cd"}, default="pcd"
        Persistent contrastive divergence (scikit-learn's algorithm; better
        generative models) or contrastive divergence CD-k (Hinton 2002).
    n_gibbs_steps : int, default=1
        Gibbs steps per update (the k of CD-k / PCD-k).
    momentum : float, default=0.5
        Momentum of the parameter updates.
    weight_decay : float, default=1e-4
        L2 penalty on the weights.
    sparsity_target : float or None, default=None
        Target mean activation of the hidden units, or None for no sparsity.
    sparsity_cost : float, default=0.1
        Strength of the sparsity penalty.
    sparsity_decay : float, default=0.9
        Decay of the running estimate of the hidden activations.
    learning_rate_schedule : {"constant", "invscaling", "exponential", "linear"}, \
default="constant"
        How the learning rate changes across epochs.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data and stop when its
        reconstruction error stops improving; the best parameters are kept.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=5
    tol : float, default=1e-4
    verbose : int, default=0
        Print epoch, reconstruction error, pseudo-likelihood, seconds and ETA.
    random_state : int, RandomState instance or None, default=None
        Controls initialisation, minibatch order and every random number of
        the kernels: a fixed value gives bit-for-bit identical results.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Weights.
    intercept_hidden_ : ndarray of shape (n_components,)
    intercept_visible_ : ndarray of shape (n_features,)
    h_samples_ : ndarray of shape (batch_size, n_components)
        Hidden states of the persistent chains (``method="pcd"``).
    n_iter_ : int
        Epochs trained.
    history_ : dict of lists
        Per epoch: ``epoch``, ``reconstruction_error``, ``pseudo_likelihood``
        (on up to 1000 training rows, or ``val_*`` on the validation set),
        ``seconds``.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepgen import BernoulliRBM
    >>> X = np.array([[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
    >>> rbm = BernoulliRBM(n_components=2, n_iter=5, random_state=0).fit(X)
    >>> rbm.transform(X).shape
    (4, 2)
    """

    def __init__(self, n_components=256, *, learning_rate=0.05, batch_size=100,
                 n_iter=10, method="pcd", n_gibbs_steps=1, momentum=0.5,
                 weight_decay=1e-4, sparsity_target=None, sparsity_cost=0.1,
                 sparsity_decay=0.9, learning_rate_schedule="constant",
                 early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, tol=1e-4, verbose=0, random_state=None):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.method = method
        self.n_gibbs_steps = n_gibbs_steps
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.sparsity_target = sparsity_target
        self.sparsity_cost = sparsity_cost
        self.sparsity_decay = sparsity_decay
        self.learning_rate_schedule = learning_rate_schedule
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
