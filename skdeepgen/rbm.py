"""Restricted Boltzmann machines built from unit types.

``BaseRBM`` holds everything that does not depend on the unit types:
CD-k / persistent CD training with fused kernels, momentum, weight decay,
sparsity, Gibbs sampling, free energy, pseudo-likelihood, transforms.  A
variant chooses its visible and hidden ``Units`` (``skdeepgen.units``).
"""
import hashlib
import zlib
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.base import TransformerMixin
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted, validate_data

from ._kernels.units import _one_hot
from ._training import make_optimizer
from ._training.random import draw_seeds
from .base import BaseMinibatchEstimator
from . import evaluation as _evaluation
from .units import (BernoulliUnits, GaussianUnits, NReLUUnits,
                    ReplicatedSoftmaxUnits, SoftmaxUnits, empty1, empty2)

__all__ = ["BaseRBM", "BernoulliRBM", "CategoricalRBM", "GaussianBernoulliRBM",
           "ReplicatedSoftmaxRBM"]


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
        """Base-rate biases of the data (Hinton's practical guide: log(p / (1 - p))
        of the mean activity for binary units), kept as ``base_rate_bias_``:
        the base model of annealed importance sampling."""
        self.base_rate_bias_ = self.visible_units.base_rate_bias(X)
        return self.base_rate_bias_.astype(X.dtype)

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
                   "acc_c": np.empty(h, dtype), "acc_b": np.empty(d, dtype),
                   "ones": np.ones(n, dtype)}
            self._buffers = {key: buf}  # keep only the current batch shape
        return buf

    def _rows(self, X, idx):
        """Gather a dense minibatch straight into the first half of the
        stacked ``[v_pos; v_neg]`` buffer (saves a copy per minibatch)."""
        if (sp.issparse(X) or not isinstance(idx, np.ndarray)
                or X.dtype != self.components_.dtype
                # variants with their own minibatch step may use V differently
                or type(self)._fit_minibatch is not BaseRBM._fit_minibatch):
            return super()._rows(X, idx)
        V = self._get_buffers(len(idx), X.dtype)["V"]
        out = V[:len(idx)]
        np.take(X, idx, axis=0, out=out)
        return out

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
        elif not (v_pos.base is V and v_pos.ctypes.data == V.ctypes.data):
            V[:n] = v_pos  # (_rows usually gathered the batch into V already)
        v_pos = V[:n]
        v_neg = V[n:]
        vis = vis.bind(v_pos)  # per-row state (masks, document lengths)
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
        grad_b = np.dot(buf["ones"], v_pos) - acc_b  # column sums by GEMV
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
        return self._free_energy(self._check_X_transform(X))

    def _free_energy(self, X):
        W, b, c = self._params_as(X.dtype)
        return _evaluation.free_energy(X, W, b, c, self.visible_units.bind(X),
                                       self.hidden_units)

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

    #: AIS settings used when ``score_samples`` needs a log Z it has not got
    _ais_defaults = {"n_runs": 100, "n_betas": 10000}
    #: ``method="auto"`` enumerates a discrete layer with at most this many states
    _max_exact_states = 2 ** 16

    def score_samples(self, X):
        """Log-likelihood ``log p(x) = -F(x) - log Z`` per sample (nats).

        ``log Z`` is exact when one layer can be enumerated (at most 2**16
        states), otherwise estimated by annealed importance sampling from the
        base-rate model (:func:`skdeepgen.evaluation.annealed_importance_sampling`,
        100 runs, 10,000 temperatures, seeded by ``random_state``).  The
        estimate is cached until the parameters change; call
        :meth:`estimate_log_partition` first to choose other AIS settings or
        to see the estimate's spread.  The pseudo-likelihood is
        :meth:`pseudo_likelihood`.
        """
        X = self._check_X_transform(X)
        return -self._free_energy(X) - self._log_z_for(X)

    def score(self, X, y=None):
        """Mean log-likelihood of ``X`` (``score_samples``), for model selection."""
        return float(np.mean(self.score_samples(X)))

    def _param_key(self):
        h = hashlib.blake2b(digest_size=16)
        for a in self._learned_params().values():
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()

    def _log_z_for(self, X):
        return self.estimate_log_partition().log_z

    def estimate_log_partition(self, *, method="auto", n_runs=None, n_betas=None,
                               random_state=None, lengths=None):
        """log Z of the fitted model: exact enumeration or AIS, cached.

        Parameters
        ----------
        method : {"auto", "exact", "ais"}
            ``auto``: exact when a layer has at most 2**16 states, else AIS.
        n_runs, n_betas : int, optional
            AIS runs and temperatures (default 100 and 10,000).
        random_state : int, RandomState or None
            AIS seed (default: the estimator's ``random_state``, else 0).
        lengths : array of int, optional
            Replicated softmax: document lengths to estimate ``log Z_D`` for.

        Returns
        -------
        result : AISResult
            ``log_z`` with its spread (``log_z_std``, ``log_z_low``,
            ``log_z_high``; zero spread for exact values).  Without
            ``lengths`` it becomes the ``log Z`` used by ``score_samples``
            until the parameters change.
        """
        check_is_fitted(self)
        if method not in ("auto", "exact", "ais"):
            raise ValueError(f"method={method!r}; use 'auto', 'exact' or 'ais'")
        key = self._param_key()
        cache = getattr(self, "_log_z_cache", None)
        if cache is None or cache[0] != key:
            cache = self._log_z_cache = (key, {})
        settings = {**self._ais_defaults,
                    **{k: v for k, v in (("n_runs", n_runs), ("n_betas", n_betas))
                       if v is not None}}
        defaults = n_runs is None and n_betas is None and random_state is None
        if defaults and lengths is None and method == "auto" and "latest" in cache[1]:
            return cache[1]["latest"]
        if random_state is None:
            random_state = (self.random_state if isinstance(self.random_state, Integral)
                            else 0)
        W, b, c = self._params_as(np.float64)
        vis, hid = self.visible_units, self.hidden_units
        if method != "ais" and lengths is None:
            n_states = min((n for n in (_evaluation.n_states(hid, W.shape[0]),
                                        _evaluation.n_states(vis, W.shape[1]))
                            if n is not None), default=None)
            if method == "exact" or (n_states is not None
                                     and n_states <= self._max_exact_states):
                lz = _evaluation.exact_log_partition(W, b, c, vis, hid)
                res = _evaluation.AISResult(lz, 0.0, lz, lz, lz, np.zeros(0))
                cache[1]["latest"] = res
                return res
        res = _evaluation.annealed_importance_sampling(
            W, b, c, vis, hid, base_bias=getattr(self, "base_rate_bias_", None),
            n_runs=settings["n_runs"], n_betas=settings["n_betas"],
            random_state=random_state, lengths=lengths)
        if lengths is None:
            cache[1]["latest"] = res
        return res

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
    hidden : {"bernoulli", "nrelu"}, default="bernoulli"
        Hidden unit type: binary, or noisy rectified linear units (Nair &
        Hinton 2010; log-likelihoods then refer to the stepped-sigmoid model
        they approximate).
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
        (on up to 500 training rows, or ``val_*`` on the validation set),
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

    _parameter_constraints = {**BaseRBM._parameter_constraints,
                              "hidden": [StrOptions({"bernoulli", "nrelu"})]}

    def __init__(self, n_components=256, *, learning_rate=0.05, batch_size=100,
                 n_iter=10, method="pcd", n_gibbs_steps=1, momentum=0.5,
                 weight_decay=1e-4, hidden="bernoulli", sparsity_target=None,
                 sparsity_cost=0.1,
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
        self.hidden = hidden
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

    @property
    def hidden_units(self):
        # getattr: models pickled before the parameter existed
        return _HIDDEN_UNITS[getattr(self, "hidden", "bernoulli")]


# ====================================================================
# Variants: the same machinery with other unit types
# ====================================================================
_HIDDEN_UNITS = {"bernoulli": BernoulliUnits(), "nrelu": NReLUUnits()}


class _HiddenChoice:
    """The ``hidden`` parameter chooses the hidden unit type.

    ``"bernoulli"``: binary units; ``"nrelu"``: noisy rectified linear units
    (Nair & Hinton 2010).  Training is monitored by the reconstruction error
    only: the pseudo-likelihood flips bits, which needs binary visibles.
    """

    @property
    def hidden_units(self):
        return _HIDDEN_UNITS[self.hidden]

    def _epoch_scores(self, X_monitor):
        return {"reconstruction_error":
                float(np.mean(self._reconstruction_rows(X_monitor)))}

    def _reconstruction_rows(self, X_valid):
        return self.reconstruction_error(X_valid)


_VARIANT_CONSTRAINTS = {
    **BaseRBM._parameter_constraints,
    "hidden": [StrOptions({"bernoulli", "nrelu"})],
}


class GaussianBernoulliRBM(_HiddenChoice, BaseRBM):
    """RBM with Gaussian visible units for real-valued data.

    ``p(v | h) = N(b + var * W^T h, var)`` and ``p(h = 1 | v) =
    sigmoid(W v + c)`` (or noisy rectified linear hiddens with
    ``hidden="nrelu"``).  With the default unit variances the data should be
    standardised (zero mean, unit variance per feature, e.g.
    :class:`sklearn.preprocessing.StandardScaler`); ``learn_variance=True``
    also learns one variance per visible unit (in log space, bounded to
    [1e-2, 1e2] for stability).  The default learning rate is the small one
    these models need (Hinton's practical guide, section 13.2).

    Parameters
    ----------
    n_components : int, default=256
        Number of hidden units.
    learning_rate : float, default=0.001
    batch_size : int, default=100
    n_iter : int, default=10
    method : {"cd", "pcd"}, default="cd"
    n_gibbs_steps : int, default=1
    momentum : float, default=0.9
    weight_decay : float, default=1e-4
    learn_variance : bool, default=False
        Learn the visible variances (``variance_``) instead of fixing them at 1.
    hidden : {"bernoulli", "nrelu"}, default="bernoulli"
    sparsity_target, sparsity_cost, sparsity_decay, learning_rate_schedule, \
early_stopping, validation_fraction, n_iter_no_change, tol, verbose, random_state
        As in :class:`BernoulliRBM`.

    Attributes
    ----------
    components_, intercept_hidden_, intercept_visible_, n_iter_, history_
        As in :class:`BernoulliRBM`.
    variance_ : ndarray of shape (n_features,)
        Visible variances (ones unless ``learn_variance``).
    base_rate_bias_ : ndarray of shape (n_features,)
        Data mean: the base model of AIS (``score_samples``).

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepgen import GaussianBernoulliRBM
    >>> X = np.random.RandomState(0).standard_normal((50, 4))
    >>> rbm = GaussianBernoulliRBM(n_components=3, n_iter=2, random_state=0).fit(X)
    >>> rbm.transform(X).shape
    (50, 3)
    """

    _parameter_constraints = {**_VARIANT_CONSTRAINTS,
                              "learn_variance": ["boolean"]}
    _divergence_hint = ("Lower learning_rate (or momentum), and standardise X "
                        "(StandardScaler) unless learn_variance=True.")
    _min_log_var, _max_log_var = np.log(1e-2), np.log(1e2)

    def __init__(self, n_components=256, *, learning_rate=0.001, batch_size=100,
                 n_iter=10, method="cd", n_gibbs_steps=1, momentum=0.9,
                 weight_decay=1e-4, learn_variance=False, hidden="bernoulli",
                 sparsity_target=None, sparsity_cost=0.1, sparsity_decay=0.9,
                 learning_rate_schedule="constant", early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=5, tol=1e-4,
                 verbose=0, random_state=None):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.method = method
        self.n_gibbs_steps = n_gibbs_steps
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.learn_variance = learn_variance
        self.hidden = hidden
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

    @property
    def visible_units(self):
        return GaussianUnits(getattr(self, "variance_", 1.0))

    def _initialize(self, X, rng):
        if self.learn_variance:
            var = np.asarray(
                X.power(2).mean(axis=0) - np.square(X.mean(axis=0)) if sp.issparse(X)
                else X.var(axis=0), dtype=np.float64).ravel()
            self.variance_ = np.clip(var, 1e-2, 1e2).astype(X.dtype)
        else:
            self.variance_ = np.ones(X.shape[1], dtype=X.dtype)
        super()._initialize(X, rng)

    def _learned_params(self):
        return {**super()._learned_params(), "variance_": self.variance_}

    def _fit_minibatch(self, v_pos, seed):
        if not self.learn_variance:
            return super()._fit_minibatch(v_pos, seed)
        b = self.intercept_visible_.astype(np.float64)
        super()._fit_minibatch(v_pos, seed)
        n = v_pos.shape[0]
        V = self._buffers[(n, self.components_.dtype)]["V"]
        # d log p / d log var = <(v - b)^2 / (2 var)>_data - <...>_model
        d_pos = ((V[:n] - b) ** 2).sum(axis=0)
        d_neg = ((V[n:] - b) ** 2).sum(axis=0)
        z = np.log(self.variance_.astype(np.float64))
        grad = (d_pos - d_neg) / (2 * self.variance_)
        self._optimizer.step("log_variance", z, grad, grad_scale=-1.0 / n,
                             decay=False)
        self.variance_[:] = np.exp(np.clip(z, self._min_log_var, self._max_log_var))
        return None


class ReplicatedSoftmaxRBM(_HiddenChoice, BaseRBM):
    """Replicated softmax RBM for word counts (Salakhutdinov & Hinton 2009).

    Each document is a set of ``D`` softmax units (one per word) sharing
    their weights with ``n_components`` hidden topic units whose biases are
    scaled by ``D``.  ``X`` holds term counts (e.g. ``CountVectorizer``
    output); scipy.sparse CSR input is used as is: the positive phase is a
    sparse-dense product, and only one minibatch's negative samples are ever
    dense, so memory grows with the non-zeros of the corpus, not with
    ``n_documents * n_words``.  Negative or non-integer counts are refused.
    Trained by CD-k.  ``transform`` gives ``p(h = 1 | v)``: topic-like
    features.  ``score_samples`` is the log-probability of each document's
    word sequence (``log Z_D`` estimated once per document length and cached);
    :meth:`perplexity` is ``exp(-sum log p / total words)``.

    Parameters
    ----------
    n_components : int, default=50
    learning_rate : float, default=0.001
        The hidden-bias statistics carry a factor ``D`` (document length);
        their step is divided by the mean training length so that one rate
        suits weights and biases.
    batch_size : int, default=100
    n_iter : int, default=10
    n_gibbs_steps : int, default=1
    momentum : float, default=0.9
    weight_decay : float, default=1e-4
    hidden : {"bernoulli", "nrelu"}, default="bernoulli"
    learning_rate_schedule, early_stopping, validation_fraction, \
n_iter_no_change, tol, verbose, random_state
        As in :class:`BernoulliRBM`.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_words)
    intercept_hidden_ : ndarray of shape (n_components,)
        Hidden biases per word (multiplied by each document's length).
    intercept_visible_ : ndarray of shape (n_words,)
    mean_length_ : float
        Mean document length of the training data (default for ``sample``).
    n_iter_, history_, base_rate_bias_

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from skdeepgen import ReplicatedSoftmaxRBM
    >>> X = sp.csr_matrix(np.random.RandomState(0).poisson(1.0, (40, 12)))
    >>> rsm = ReplicatedSoftmaxRBM(n_components=3, n_iter=2, random_state=0).fit(X)
    >>> rsm.transform(X).shape
    (40, 3)
    """

    visible_units = ReplicatedSoftmaxUnits()
    _parameter_constraints = {k: v for k, v in _VARIANT_CONSTRAINTS.items()
                              if k not in ("method", "sparsity_target",
                                           "sparsity_cost", "sparsity_decay")}
    _ais_defaults = {"n_runs": 50, "n_betas": 3000}
    _max_exact_states = 2 ** 12
    sparsity_target = None
    method = "cd"

    def __init__(self, n_components=50, *, learning_rate=0.001, batch_size=100,
                 n_iter=10, n_gibbs_steps=1, momentum=0.9, weight_decay=1e-4,
                 hidden="bernoulli", learning_rate_schedule="constant",
                 early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, tol=1e-4, verbose=0, random_state=None):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.n_gibbs_steps = n_gibbs_steps
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.hidden = hidden
        self.learning_rate_schedule = learning_rate_schedule
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state

    def _check_X_transform(self, X):
        X = super()._check_X_transform(X)
        return self.visible_units.check(X, type(self).__name__)

    def _initialize(self, X, rng):
        self.mean_length_ = float(X.sum() / X.shape[0])
        super()._initialize(X, rng)

    #: minibatches with more non-zeros than this fraction use dense BLAS products
    _dense_fraction = 0.05

    def _fit_minibatch(self, X, seed):
        """CD-k with a sparse positive phase and hidden biases scaled by length."""
        W, b, c = self.components_, self.intercept_visible_, self.intercept_hidden_
        dtype = W.dtype
        n = X.shape[0]
        hid = self.hidden_units
        vis = self.visible_units.bind(X)
        D = vis.lengths.astype(dtype)[:, None]
        buf = self._get_buffers(n, dtype)
        pre_h, pre_v, h_state = buf["pre_h"], buf["pre_v"], buf["h_state"]
        V, H = buf["V"], buf["H"]
        acc_b = buf["acc_b"]
        e2, e1 = empty2(dtype), empty1(dtype)
        acc_b[:] = 0
        zeros_h = np.zeros(W.shape[0], dtype)

        # A dense enough minibatch goes to BLAS, stacked as [x; v_neg] with
        # hidden rows [h_pos; -h_neg] so that the statistics are one product
        # (one minibatch is dense at a time, as the negative phase already
        # is); sparse corpora keep sparse-dense products.
        dense = sp.issparse(X) and X.nnz > self._dense_fraction * n * X.shape[1]
        if dense:
            V[:n] = X.toarray()
            Xd, v_neg = V[:n], V[n:]
            np.dot(Xd, W.T, out=pre_h)
        else:
            v_neg = V[:n]
            pre_h[:] = safe_sparse_dot(X, W.T, dense_output=True)
        neg_scale = -1.0 if dense else 1.0
        pre_h += D * c
        hid.mean_sample(pre_h, zeros_h, H[:n], 1.0, h_state, seed, e1, e1)
        k = self.n_gibbs_steps
        for step in range(k):
            last = step == k - 1
            np.dot(h_state, W, out=pre_v)
            vis.mean_sample(pre_v, b, e2, 1.0, v_neg, seed + 2 * step + 1,
                            e1, acc_b if last else e1)
            np.dot(v_neg, W.T, out=pre_h)
            pre_h += D * c
            hid.mean_sample(pre_h, zeros_h, H[n:] if last else e2, neg_scale,
                            h_state, seed + 2 * step + 2, e1, e1)
        # <v h>_data - <v h>_model (sparse positive phase: ~ nnz * n_components)
        if dense:
            G = np.dot(H.T, V, out=buf["G"])
            grad_c = (D * (H[:n] + H[n:])).sum(axis=0)
            grad_b = Xd.sum(axis=0) - acc_b
        else:
            h_pos, h_neg = H[:n], H[n:]
            G = np.asarray(safe_sparse_dot(X.T, h_pos, dense_output=True).T, dtype=dtype)
            G -= h_neg.T @ v_neg
            grad_c = (D * (h_pos - h_neg)).sum(axis=0)
            grad_b = np.asarray(X.sum(axis=0), dtype=dtype).ravel() - acc_b
        opt = self._optimizer
        scale = -1.0 / n
        opt.step("components_", W, np.ascontiguousarray(G), grad_scale=scale)
        # the hidden-bias statistics carry a factor D: step them per word so
        # that one learning rate suits W, b and c
        opt.step("intercept_hidden_", c, grad_c.astype(dtype), grad_scale=scale,
                 decay=False, lr_scale=1.0 / max(self.mean_length_, 1.0))
        opt.step("intercept_visible_", b, grad_b, grad_scale=scale, decay=False)
        return None

    def _mean_hiddens(self, V, W, c):
        pre = np.ascontiguousarray(safe_sparse_dot(V, W.T, dense_output=True))
        lengths = np.asarray(V.sum(axis=1), dtype=pre.dtype).reshape(-1, 1)
        pre += lengths * c
        return self.hidden_units.mean(pre, np.zeros_like(c), out=pre)

    def _mean_visibles(self, H, W, b):
        """Word probabilities given hidden states (rows sum to one)."""
        pre = np.ascontiguousarray(H @ W)
        return ReplicatedSoftmaxUnits(1.0).mean(pre, b, out=pre)

    def reconstruction_error(self, X):
        """Squared error between the counts and their expected reconstruction."""
        X = sp.csr_matrix(self._check_X_transform(X))
        W, b, c = self._params_as(X.dtype)
        out = np.empty(X.shape[0])
        step = 64  # rows at a time: memory ~ 64 * n_words, not the corpus
        for s in range(0, X.shape[0], step):
            Xs = X[s:s + step]
            P = self._mean_visibles(self._mean_hiddens(Xs, W, c), W, b)
            D = np.asarray(Xs.sum(axis=1), dtype=np.float64).ravel()
            # sum (x - D p)^2 = sum x^2 - 2 D sum x p + D^2 sum p^2 (x sparse)
            rows = np.repeat(np.arange(Xs.shape[0]), np.diff(Xs.indptr))
            x = Xs.data.astype(np.float64)
            xx = np.bincount(rows, x * x, minlength=Xs.shape[0])
            xp = np.bincount(rows, x * P[rows, Xs.indices], minlength=Xs.shape[0])
            out[s:s + step] = xx - 2 * D * xp + D ** 2 * np.einsum("ij,ij->i", P, P)
        return out

    def _log_z_for(self, X):
        lengths = np.asarray(X.sum(axis=1), dtype=np.float64).ravel()
        key = self._param_key()
        cache = getattr(self, "_log_z_cache", None)
        if cache is None or cache[0] != key:
            cache = self._log_z_cache = (key, {})
        table = cache[1].setdefault("by_length", {})
        missing = np.setdiff1d(np.unique(lengths), np.fromiter(table, float))
        if missing.size:
            W, b, c = self._params_as(np.float64)
            if self.hidden == "bernoulli" and 2 ** W.shape[0] <= self._max_exact_states:
                for D in missing:
                    table[float(D)] = _evaluation.exact_log_partition(
                        W, b, c, ReplicatedSoftmaxUnits(float(D)), self.hidden_units)
            else:
                res = self.estimate_log_partition(lengths=missing)
                table.update(zip(missing.tolist(), np.atleast_1d(res.log_z).tolist()))
        return np.array([table[float(D)] for D in lengths])

    def perplexity(self, X):
        """Per-word perplexity ``exp(-sum_d log p(doc_d) / sum_d D_d``)."""
        X = self._check_X_transform(X)
        return float(np.exp(-np.sum(self.score_samples(X)) / X.sum()))

    def sample(self, n_samples=1, *, n_steps=1000, lengths=None, random_state=None,
               return_mean=False):
        """Draw documents (count vectors) by block Gibbs sampling.

        Parameters
        ----------
        n_samples : int
        n_steps : int
        lengths : int or array of shape (n_samples,), optional
            Document lengths (default: the training mean, rounded).
        random_state : int, RandomState or None
        return_mean : bool
            Return expected counts of the last step instead of counts.

        Returns
        -------
        X : ndarray of shape (n_samples, n_words)
        """
        check_is_fitted(self)
        rng = check_random_state(self.random_state if random_state is None
                                 else random_state)
        W, b, c = self._params_as(self.components_.dtype)
        if lengths is None:
            lengths = max(1, round(self.mean_length_))
        L = np.empty(n_samples)
        L[:] = lengths
        if np.any(L < 0) or np.any(L != np.round(L)):
            raise ValueError("lengths must be non-negative integers")
        vis = ReplicatedSoftmaxUnits(L)
        zeros_h = np.zeros_like(c)
        v = vis.sample(np.zeros((n_samples, W.shape[1]), W.dtype), b, draw_seeds(rng))
        seeds = draw_seeds(rng, 2 * n_steps)
        Lc = L.astype(W.dtype)[:, None]
        mean = v
        for t in range(n_steps):
            pre_h = np.ascontiguousarray(v @ W.T) + Lc * c
            h = self.hidden_units.sample(pre_h, zeros_h, seeds[2 * t])
            pre_v = np.ascontiguousarray(h @ W)
            if t == n_steps - 1 and return_mean:
                mean = vis.mean(pre_v, b)
            v = vis.sample(pre_v, b, seeds[2 * t + 1])
        return mean if return_mean else v

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.input_tags.categorical = True  # integer counts
        return tags


class CategoricalRBM(_HiddenChoice, BaseRBM):
    """RBM with softmax (categorical) visible units, e.g. ratings with gaps.

    ``X`` has one column per variable (item) holding one of a few values
    (e.g. ratings 1-5) and NaN where the value is missing.  Each variable is
    a softmax unit over ``categories_`` (the values seen in ``fit``);
    missing entries contribute nothing to the hidden inputs or the gradients
    and are not reconstructed during CD, as in the per-user RBMs of
    Salakhutdinov, Mnih & Hinton (2007).  :meth:`predict` fills the missing
    entries with their expected value under ``p(v_missing | h(v_observed))``;
    :meth:`predict_proba` gives the category probabilities.

    Parameters
    ----------
    n_components : int, default=100
    learning_rate : float, default=0.01
    batch_size : int, default=100
    n_iter : int, default=10
    n_gibbs_steps : int, default=1
        CD-k steps (training is CD: each row has its own set of observed
        variables, which persistent chains cannot share).
    momentum : float, default=0.9
    weight_decay : float, default=1e-3
    hidden : {"bernoulli", "nrelu"}, default="bernoulli"
    learning_rate_schedule, early_stopping, validation_fraction, \
n_iter_no_change, tol, verbose, random_state
        As in :class:`BernoulliRBM`.

    Attributes
    ----------
    categories_ : ndarray of shape (n_categories,)
        Sorted values seen in ``fit``.
    components_ : ndarray of shape (n_components, n_features * n_categories)
        Column ``j * n_categories + k``: value ``categories_[k]`` of feature ``j``.
    intercept_hidden_, intercept_visible_, n_iter_, history_, base_rate_bias_

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepgen import CategoricalRBM
    >>> X = np.array([[1, 2, np.nan], [1, np.nan, 3], [2, 2, 3], [1, 2, 3]])
    >>> rbm = CategoricalRBM(n_components=2, n_iter=5, random_state=0).fit(X)
    >>> rbm.predict(X).shape
    (4, 3)
    >>> bool(np.isnan(rbm.predict(X)).any())
    False
    """

    _parameter_constraints = {k: v for k, v in _VARIANT_CONSTRAINTS.items()
                              if k not in ("method", "sparsity_target",
                                           "sparsity_cost", "sparsity_decay")}
    _accept_sparse = False
    sparsity_target = None
    method = "cd"

    def __init__(self, n_components=100, *, learning_rate=0.01, batch_size=100,
                 n_iter=10, n_gibbs_steps=1, momentum=0.9, weight_decay=1e-3,
                 hidden="bernoulli", learning_rate_schedule="constant",
                 early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, tol=1e-4, verbose=0, random_state=None):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.n_gibbs_steps = n_gibbs_steps
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.hidden = hidden
        self.learning_rate_schedule = learning_rate_schedule
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state

    @property
    def visible_units(self):
        return SoftmaxUnits(len(self.categories_))

    def _encode(self, X):
        """Values -> one-hot columns (all zeros where missing)."""
        cats = self.categories_
        out = np.zeros((X.shape[0], X.shape[1] * len(cats)), dtype=X.dtype)
        bad = _one_hot(X, cats.astype(X.dtype), out)
        if bad >= 0:
            raise ValueError(
                f"X has values not seen in fit (e.g. {X.flat[bad]!r}); "
                f"{type(self).__name__} knows categories {cats.tolist()}.")
        return out

    def _validate(self, X, reset):
        X = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32],
                          ensure_all_finite="allow-nan", ensure_min_samples=1)
        if reset:
            values = np.unique(X[~np.isnan(X)])
            if values.size < 2:
                raise ValueError(
                    f"{type(self).__name__} needs at least 2 distinct observed "
                    f"values in X to form categories; got {values.tolist()}.")
            self.categories_ = values
        return X

    def _check_X(self, X, reset):
        return self._encode(self._validate(X, reset))

    def _check_X_transform(self, X):
        check_is_fitted(self)
        return self._encode(self._validate(X, reset=False))

    def predict_proba(self, X):
        """Category probabilities of every entry given the observed ones.

        Returns
        -------
        P : ndarray of shape (n_samples, n_features, n_categories)
        """
        return self._category_probs(self._check_X_transform(X))

    def _category_probs(self, V):
        """``predict_proba`` for one-hot encoded rows ``V``."""
        W, b, c = self._params_as(V.dtype)
        P = self._mean_visibles(self._mean_hiddens(V, W, c), W, b)
        return P.reshape(V.shape[0], -1, len(self.categories_))

    def predict(self, X):
        """``X`` with its missing entries replaced by their expected value."""
        X = self._validate(X, reset=False)
        P = self.predict_proba(X)
        expected = P @ self.categories_.astype(P.dtype)
        return np.where(np.isnan(X), expected, X)

    def inverse_transform(self, H):
        """Expected value of every variable given hidden states."""
        P = super().inverse_transform(H)
        P = P.reshape(P.shape[0], -1, len(self.categories_))
        return P @ self.categories_.astype(P.dtype)

    def reconstruction_error(self, X):
        """Squared error of the one-hot reconstruction on the observed entries."""
        return self._reconstruction_rows(self._check_X_transform(X))

    def _reconstruction_rows(self, V):
        W, b, c = self._params_as(V.dtype)
        R = self._mean_visibles(self._mean_hiddens(V, W, c), W, b)
        K = len(self.categories_)
        observed = np.repeat(V.reshape(V.shape[0], -1, K).sum(axis=2), K, axis=1)
        return np.sum(observed * (V - R) ** 2, axis=1)

    #: importance samples per row with missing entries in ``score_samples``
    _n_missing_samples = 200

    def score_samples(self, X):
        """Log-likelihood of the observed entries of each row (nats).

        Complete rows: ``-F(v) - log Z`` as in :meth:`BaseRBM.score_samples`.
        A row with missing entries gets ``log p(v_obs)`` with the missing
        variables summed out of the model, ``log sum_{v_mis} exp(-F(v)) -
        log Z``; the sum is estimated by importance sampling (200 draws per
        row, seeded by ``random_state``) from the model's own guess
        ``q(v_mis) = prod p(v_i | h_obs)``, where ``h_obs`` are the hidden
        probabilities given the observed entries (the ones :meth:`predict`
        uses).  Like AIS, the estimate is unbiased for the probability and
        slightly low on average for its log.
        """
        X = self._validate(X, reset=False)
        V = self._encode(X)
        log_z = np.broadcast_to(self._log_z_for(V), (V.shape[0],))
        out = -np.array(log_z, dtype=np.float64)
        missing = np.isnan(X)
        incomplete = missing.any(axis=1)
        if not incomplete.all():  # complete rows: exact free energy
            out[~incomplete] -= self._free_energy(V[~incomplete])
        rows = np.flatnonzero(incomplete)
        if rows.size:
            salt = self.random_state if isinstance(self.random_state, Integral) else 0
            rng = np.random.RandomState(salt % (2 ** 32))
            P = self._category_probs(V[rows]).astype(np.float64)
            for r, p in zip(rows, P):
                out[r] += self._log_marginal(V[r], p, missing[r], rng)
        return out

    def _log_marginal(self, v, P, missing, rng):
        """Importance-sampling estimate of ``log sum_{v_mis} exp(-F(v))``."""
        S = self._n_missing_samples
        K = len(self.categories_)
        idx = np.flatnonzero(missing)
        Pm = np.clip(P[idx], 1e-300, None)
        Pm /= Pm.sum(axis=1, keepdims=True)
        # inverse-CDF draws: one uniform per (sample, missing variable)
        cdf = np.cumsum(Pm, axis=1)
        u = rng.uniform(size=(S, idx.size, 1)) * cdf[None, :, -1:]
        draws = np.minimum((u >= cdf[None]).sum(axis=2), K - 1)  # (S, n_missing)
        Vs = np.repeat(v[None, :], S, axis=0)
        Vs[np.arange(S)[:, None], idx[None, :] * K + draws] = 1
        log_q = np.log(Pm[np.arange(idx.size)[None, :], draws]).sum(axis=1)
        return float(logsumexp(-self._free_energy(Vs) - log_q) - np.log(S))

    def sample(self, n_samples=1, *, n_steps=1000, random_state=None,
               return_mean=False):
        """Draw complete rows (category values, or expected values with ``return_mean``)."""
        V = super().sample(n_samples, n_steps=n_steps, random_state=random_state,
                           return_mean=return_mean)
        V = V.reshape(n_samples, -1, len(self.categories_))
        if return_mean:
            return V @ self.categories_.astype(V.dtype)
        return self.categories_[V.argmax(axis=2)].astype(V.dtype)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        return tags
