"""Restricted Boltzmann machines built from unit types.

``BaseRBM`` holds everything that does not depend on the unit types:
training with fused kernels, Gibbs sampling, free energy, pseudo-likelihood,
transforms and the view of a fitted RBM as dense layers.  A variant chooses
its visible ``Units`` (``skdeepgen.units``) in ``_make_units``; the
``hidden`` parameter chooses the hidden ones.  One update runs in phases a
variant may extend: ``_positive_phase`` (the data), ``_negative_phase`` (the
Gibbs chains), ``_statistics`` and ``_update`` (the optimizer steps).
"""
import zlib
from numbers import Integral, Real
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted, validate_data

from ._kernels.units import _one_hot
from ._training.random import draw_seeds
from .base import OPTIMIZER_CONSTRAINTS, BaseMinibatchEstimator
from . import evaluation as _evaluation
from .units import (BernoulliUnits, GaussianUnits, NReLUUnits,
                    ReplicatedSoftmaxUnits, SoftmaxUnits, SparsityTarget,
                    empty1, empty2, layer_input)

__all__ = ["BaseRBM", "BernoulliRBM", "CategoricalRBM", "GaussianBernoulliRBM",
           "ReplicatedSoftmaxRBM"]

_FLOATS = [np.float64, np.float32]
_UNITS = {"bernoulli": BernoulliUnits(), "nrelu": NReLUUnits()}


def _copies(dtype, *arrays):
    """Fresh C-contiguous copies in ``dtype`` (None: the first array's)."""
    dtype = arrays[0].dtype if dtype is None else dtype
    return tuple(np.array(a, dtype=dtype, order="C") for a in arrays)


class BaseRBM(ClassNamePrefixFeaturesOutMixin, TransformerMixin,
              _evaluation.LogZCacheMixin, BaseMinibatchEstimator):
    """Shared RBM machinery: the parameters of :class:`BernoulliRBM` less
    ``method`` and the sparsity target (training is CD-k)."""

    _parameter_constraints = {
        **BaseMinibatchEstimator._parameter_constraints,
        **_evaluation.LogZCacheMixin._parameter_constraints,
        **OPTIMIZER_CONSTRAINTS,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "n_iter": [Interval(Integral, 1, None, closed="left")],
        "n_gibbs_steps": [Interval(Integral, 1, None, closed="left")],
        "hidden": [StrOptions({"bernoulli", "nrelu"})],
    }
    _monitor = "reconstruction_error"
    _monitor_greater_is_better = False
    _divergence_hint = "Lower learning_rate (or momentum)."
    #: a scipy.sparse minibatch with at most this fraction of non-zeros keeps
    #: sparse-dense products; denser ones go to BLAS, stacked as [v_pos; v_neg]
    _dense_fraction = 0.05

    def __init__(self, n_components, *, learning_rate, batch_size, n_iter,
                 n_gibbs_steps, momentum, weight_decay, hidden,
                 learning_rate_schedule, early_stopping, validation_fraction,
                 n_iter_no_change, tol, verbose, random_state, ais_params):
        super().__init__(batch_size=batch_size, early_stopping=early_stopping,
                         validation_fraction=validation_fraction,
                         n_iter_no_change=n_iter_no_change, tol=tol,
                         verbose=verbose, random_state=random_state)
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.n_iter = n_iter
        self.n_gibbs_steps = n_gibbs_steps
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.hidden = hidden
        self.learning_rate_schedule = learning_rate_schedule
        self.ais_params = ais_params

    # --------------------------------------------------------- unit types
    def _make_units(self):
        """(visible, hidden) unit types: hidden ones from ``hidden`` in every
        RBM; variants override the visible part."""
        return _UNITS["bernoulli"], _UNITS[self.hidden]

    visible_units = property(lambda self: self._make_units()[0])
    hidden_units = property(lambda self: self._make_units()[1])

    # --------------------------------------------------------- validation
    def _check_X(self, X, reset):
        X = validate_data(self, X, reset=reset, accept_sparse="csr", dtype=_FLOATS,
                          ensure_min_samples=1)
        return self.visible_units.check(X, type(self).__name__)

    def _check_X_transform(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, accept_sparse="csr", dtype=_FLOATS)

    def _params_as(self, dtype):
        """(W, b_visible, c_hidden) in ``dtype`` (no copy when it matches)."""
        return (self.components_.astype(dtype, copy=False),
                self.intercept_visible_.astype(dtype, copy=False),
                self.intercept_hidden_.astype(dtype, copy=False))

    @property
    def _n_features_out(self):
        return self.components_.shape[0]

    # ----------------------------------------------------------- training
    def _persistent(self):
        """Whether training keeps persistent chains (``h_samples_``)."""
        return False

    def _hidden_bias_lr_scale(self):
        """Factor of the hidden biases' learning rate."""
        return 1.0

    def _initialize(self, X, rng):
        dtype = X.dtype
        n_features = X.shape[1]
        h = self.n_components
        self.components_ = (0.01 * rng.standard_normal((h, n_features))).astype(dtype)
        self.intercept_hidden_ = np.zeros(h, dtype=dtype)
        # base-rate biases of the data (Hinton's practical guide: log(p / (1 - p))
        # of the mean activity for binary units): the base model of AIS
        self.base_rate_bias_ = self.visible_units.base_rate_bias(X).astype(dtype)
        self.intercept_visible_ = self.base_rate_bias_.astype(dtype)
        if self._persistent():
            # persistent chains start from samples given random visibles
            v0 = (rng.uniform(size=(self.batch_size, n_features)) < 0.5).astype(dtype)
            self.h_samples_ = self.hidden_units.sample(
                np.ascontiguousarray(v0 @ self.components_.T),
                self.intercept_hidden_, draw_seeds(rng))
        self._optimizer = self._make_optimizer(
            "sgd", self.learning_rate_schedule, momentum=self.momentum,
            weight_decay=self.weight_decay)
        self._buffers = {}

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
                   "pre_h": np.empty((2 * n, h), dtype), "pre_v": np.empty((n, d), dtype),
                   "h_state": np.empty((n, h), dtype), "G": np.empty((h, d), dtype),
                   "acc_c": np.empty(h, dtype), "acc_b": np.empty(d, dtype),
                   "ones": np.ones(n, dtype)}
            self._buffers = {key: buf}  # keep only the current batch shape
        return buf

    def _rows(self, X, idx):
        """Gather a dense minibatch straight into the first half of the
        stacked ``[v_pos; v_neg]`` buffer (saves a copy per minibatch)."""
        if (sp.issparse(X) or not isinstance(idx, np.ndarray)
                or X.dtype != self.components_.dtype):
            return super()._rows(X, idx)
        out = self._get_buffers(len(idx), X.dtype)["V"][:len(idx)]
        np.take(X, idx, axis=0, out=out)
        return out

    def _fit_minibatch(self, Xb, Yb, seed):
        p = self._positive_phase(Xb, seed)
        self._negative_phase(p, seed)
        self._update(self._statistics(p))

    def _positive_phase(self, Xb, seed):
        """Set up one update and run its data side; returns the phase state:
        the minibatch buffers, ``X`` (rows ``V[:n]`` of the stacked ``V =
        [v_pos; v_neg]``, or a scipy.sparse minibatch sparse enough to keep
        sparse-dense products), the bound visible units ``vis`` and their
        hidden-bias ``scale``, and the hidden states ``chain`` of the Gibbs
        chains.  The data's hidden means go to ``H[:n]`` (column sums
        ``acc_c``); CD samples the chains' start from them.  PCD on stacked
        data leaves them to the negative phase: one product for both halves.
        """
        W, c = self.components_, self.intercept_hidden_
        n, d = Xb.shape
        p = SimpleNamespace(**self._get_buffers(n, W.dtype), n=n,
                            persistent=self._persistent())
        p.stacked = not (sp.issparse(Xb) and Xb.nnz <= self._dense_fraction * n * d)
        if p.stacked and getattr(Xb, "base", None) is not p.V:  # (else _rows put it there)
            p.V[:n] = Xb.toarray() if sp.issparse(Xb) else Xb
        p.X, p.v_neg = p.V[:n] if p.stacked else Xb, p.V[n:]
        p.vis = self.visible_units.bind(p.X)  # per-row state (masks, document lengths)
        p.scale = p.vis.hidden_bias_scale
        p.chain = self.h_samples_[:n] if p.persistent else p.h_state
        p.acc_c[:] = 0
        p.acc_b[:] = 0
        if not (p.persistent and p.stacked):
            bias = layer_input(p.pre_h[:n], [(p.X, W.T)], c, p.scale)
            self._positive_hiddens(p, p.pre_h[:n], bias,
                                   empty2(W.dtype) if p.persistent else p.chain, seed)
        return p

    def _positive_hiddens(self, p, pre, bias, sample_out, seed):
        self.hidden_units.mean_sample(pre, bias, p.H[:p.n], 1.0, sample_out, seed,
                                      p.acc_c, empty1(pre.dtype))
        p.h_pos_sum = p.acc_c.copy()

    def _negative_phase(self, p, seed):
        """``n_gibbs_steps`` of block Gibbs sampling from the chains to the
        negative visibles ``v_neg`` (column sums ``acc_b``), then their hidden
        means, negated, into ``H[n:]`` and ``acc_c`` (so that ``H.T @ V`` is
        the weight statistic), advancing the chains."""
        W, b, c = self.components_, self.intercept_visible_, self.intercept_hidden_
        hid, n, k = self.hidden_units, p.n, self.n_gibbs_steps
        e1, e2 = empty1(W.dtype), empty2(W.dtype)
        for step in range(k):
            last = step == k - 1
            np.dot(p.chain, W, out=p.pre_v)
            p.vis.mean_sample(p.pre_v, b, e2, 1.0, p.v_neg, seed + 2 * step + 1,
                              e1, p.acc_b if last else e1)
            pre_h = p.pre_h[:n]
            if last and p.persistent and p.stacked:
                # the chains do not depend on the data, so the positive and
                # negative hidden inputs are one 2n-row product
                bias = layer_input(p.pre_h, [(p.V, W.T)], c, p.scale)
                self._positive_hiddens(p, pre_h, bias, e2, seed)
                pre_h = p.pre_h[n:]
            else:
                bias = layer_input(pre_h, [(p.v_neg, W.T)], c, p.scale)
            hid.mean_sample(pre_h, bias, p.H[n:] if last else e2, -1.0, p.chain,
                            seed + 2 * step + 2, p.acc_c if last else e1, e1)

    def _statistics(self, p):
        """``<v h>_data - <v h>_model`` (``G``) and the bias statistics
        (``grad_b``, ``grad_c``) of the phases; returns ``p``."""
        n, H = p.n, p.H
        if p.stacked:  # one product, as H[n:] holds -h_neg
            np.dot(H.T, p.V, out=p.G)
            p.grad_b = np.dot(p.ones, p.X) - p.acc_b  # column sums by GEMV
        else:  # sparse positive phase: ~ nnz * n_components
            p.G[...] = safe_sparse_dot(p.X.T, H[:n], dense_output=True).T
            p.G += H[n:].T @ p.v_neg
            p.grad_b = np.asarray(p.X.sum(axis=0), dtype=p.G.dtype).ravel() - p.acc_b
        if p.scale is None:
            p.grad_c = p.acc_c
        else:  # the hidden biases enter the energy times the scale
            p.grad_c = (p.scale.astype(p.G.dtype)[:, None] * (H[:n] + H[n:])).sum(axis=0)
        return p

    def _learns_visible_bias(self):
        """Whether training updates ``intercept_visible_``."""
        return True

    def _update(self, p):
        """One optimizer step of every parameter from the statistics."""
        opt, scale = self._optimizer, -1.0 / p.n
        opt.step("components_", self.components_, p.G, grad_scale=scale)
        opt.step("intercept_hidden_", self.intercept_hidden_, p.grad_c,
                 grad_scale=scale, decay=False, lr_scale=self._hidden_bias_lr_scale())
        if self._learns_visible_bias():
            opt.step("intercept_visible_", self.intercept_visible_, p.grad_b,
                     grad_scale=scale, decay=False)

    def _epoch_scores(self, X_monitor, Y_monitor, held_out):
        return {"reconstruction_error":
                float(np.mean(self._reconstruction_rows(X_monitor)))}

    # ------------------------------------------------------- conditionals
    def _mean_hiddens(self, V):
        W, _, c = self._params_as(V.dtype)
        pre = np.empty((V.shape[0], W.shape[0]), W.dtype)
        bias = layer_input(pre, [(V, W.T)], c, self.visible_units.bind(V).hidden_bias_scale)
        return self.hidden_units.mean(pre, bias, out=pre)

    def _mean_visibles(self, H):
        W, b, _ = self._params_as(H.dtype)
        pre = np.ascontiguousarray(H @ W)
        return self.visible_units.mean(pre, b, out=pre)

    def _reconstruct(self, X):
        """Mean-field reconstruction: the visible means given the hidden means."""
        return self._mean_visibles(self._mean_hiddens(X))

    def transform(self, X):
        """Hidden unit means (``p(h=1 | v)`` for binary hiddens).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        H : ndarray of shape (n_samples, n_components), X's dtype
        """
        return self._mean_hiddens(self._check_X_transform(X))

    def inverse_transform(self, H):
        """Visible unit means given hidden states (reconstruction)."""
        check_is_fitted(self)
        H = check_array(H, dtype=_FLOATS, input_name="H")
        if H.shape[1] != self.n_components:
            raise ValueError(
                f"H has {H.shape[1]} columns, but {type(self).__name__} has "
                f"n_components={self.n_components} hidden units.")
        return self._mean_visibles(H)

    def reconstruction_error(self, X):
        """Squared error of the mean-field reconstruction, per sample."""
        return self._reconstruction_rows(self._check_X_transform(X))

    def _reconstruction_rows(self, X):
        """``reconstruction_error`` of validated rows."""
        R = self._reconstruct(X)
        if sp.issparse(X):
            X = X.toarray()
        return np.sum((np.asarray(X, dtype=np.float64) - R) ** 2, axis=1)

    # ----------------------------------------------------------- sampling
    def _gibbs_chains(self, v, n_steps, rng, return_mean, vis=None):
        """``n_steps`` of block Gibbs sampling ``v -> h -> v'`` from the visible
        states ``v`` (an int: that many chains drawn from the visible biases);
        the last sample, or with ``return_mean`` the last visible means.
        ``vis``: the visible units bound to the chains (default: to ``v``)."""
        start = isinstance(v, Integral)
        W, b, c = self._params_as(self.components_.dtype if start else v.dtype)
        hid = self.hidden_units
        if vis is None:
            vis = self.visible_units if start else self.visible_units.bind(v)
        if start:
            v = vis.sample(np.zeros((v, W.shape[1]), W.dtype), b, draw_seeds(rng))
        seeds = draw_seeds(rng, 2 * n_steps)
        pre_h = np.empty((v.shape[0], W.shape[0]), W.dtype)
        pre_v = np.empty_like(v)
        mean = v
        for t in range(n_steps):
            bias = layer_input(pre_h, [(v, W.T)], c, vis.hidden_bias_scale)
            h = hid.sample(pre_h, bias, seeds[2 * t])
            np.dot(h, W, out=pre_v)
            if t == n_steps - 1 and return_mean:
                mean = vis.mean(pre_v, b)
            v = vis.sample(pre_v, b, seeds[2 * t + 1])
        return mean if return_mean else v

    def _dense_rows(self, X):
        X = self._check_X_transform(X)
        return X.toarray() if sp.issparse(X) else X

    def gibbs(self, v):
        """One block-Gibbs step ``v -> h -> v'``; returns the visible sample.

        Uses (and advances) the estimator's own random stream, so a sequence
        of calls is reproducible for a fixed ``random_state``.
        """
        return self._gibbs_chains(self._dense_rows(v), 1, self._rng, False)

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
        if init is not None:
            init = np.ascontiguousarray(self._dense_rows(init), dtype=self.components_.dtype)
        return self._gibbs_chains(n_samples if init is None else init, n_steps, rng,
                                  return_mean)

    # -------------------------------------------------- energies & scores
    def free_energy(self, X):
        """Free energy ``F(v) = -log sum_h exp(-E(v, h))`` per sample (float64)."""
        return self._free_energy(self._check_X_transform(X))

    def _free_energy(self, X):
        W, b, c = self._params_as(X.dtype)
        vis, hid = self._make_units()
        return _evaluation.free_energy(X, W, b, c, vis.bind(X), hid)

    def pseudo_likelihood(self, X):
        """Stochastic pseudo-log-likelihood per sample (scikit-learn's score_samples).

        For each sample one visible unit is flipped and
        ``n_features * log sigmoid(F(v_flipped) - F(v))`` is returned.  Which
        unit is flipped is a hash of the sample's values and ``random_state``:
        the value is deterministic, and a sample's score does not depend on
        the other rows (order- and subset-invariant, unlike scikit-learn's).
        """
        return self._pseudo_likelihood(self._check_X_transform(X))

    def _pseudo_likelihood(self, X):
        Xf = X.toarray() if sp.issparse(X) else np.array(X, copy=True, order="C")
        n, d = Xf.shape
        salt = int(self._int_seed()) & 0xFFFFFFFF
        cols = np.fromiter((zlib.crc32(row.tobytes(), salt) % d for row in Xf),
                           dtype=np.intp, count=n)
        rows = np.arange(n)
        fe = self._free_energy(Xf)
        Xf[rows, cols] = 1 - Xf[rows, cols]
        fe_flip = self._free_energy(Xf)
        return -d * np.logaddexp(0, -(fe_flip - fe))

    #: ``method="auto"`` enumerates a discrete layer with at most this many states
    _max_exact_states = 2 ** 16

    def score_samples(self, X):
        """Log-likelihood ``log p(x) = -F(x) - log Z`` per sample (nats).

        ``log Z`` is exact when one layer can be enumerated (at most 2**16
        states), otherwise estimated by annealed importance sampling from the
        base-rate model (:func:`skdeepgen.evaluation.annealed_importance_sampling`)
        with the settings of ``ais_params`` (default 100 runs, 10,000
        temperatures), seeded by ``random_state``.  The estimate is cached
        until the parameters, ``ais_params`` or ``random_state`` change; an
        explicit :meth:`estimate_log_partition` call replaces it (and shows
        its spread).  The pseudo-likelihood is :meth:`pseudo_likelihood`.
        """
        return self._score_samples(self._check_X_transform(X))

    def _score_samples(self, X):
        return -self._free_energy(X) - self._log_z_for(X)

    def score(self, X, y=None):
        """Mean log-likelihood of ``X`` (``score_samples``), for model selection.

        What ``GridSearchCV`` maximises when given no ``scoring``: one AIS
        estimate of ``log Z`` per fitted model, with the settings of
        ``ais_params`` (lower them for a quicker search).
        """
        return float(np.mean(self.score_samples(X)))

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
            AIS runs and temperatures (default: those of ``ais_params``, else
            100 and 10,000).
        random_state : int, RandomState or None
            AIS seed (default: the estimator's ``random_state``, else 0).
        lengths : array of int, optional
            Replicated softmax: document lengths to estimate ``log Z_D`` for.
            With Bernoulli hiddens this is one AIS run over the document
            length (:func:`skdeepgen.evaluation.replicated_softmax_length_ais`:
            ``n_runs`` default 100, with batches added while a length has
            fewer than 10 effective runs unless ``n_runs`` is given here or
            in ``ais_params``; ``n_betas`` default 50, the temperatures of
            the first word).

        Returns
        -------
        result : AISResult
            ``log_z`` with its spread (``log_z_std``, ``log_z_low``,
            ``log_z_high``; zero spread for exact values).  Without
            ``lengths`` it becomes the ``log Z`` used by ``score_samples``
            until the parameters, ``ais_params`` or ``random_state`` change;
            a call without arguments returns it rather than estimating again.
        """
        check_is_fitted(self)
        if method not in ("auto", "exact", "ais"):
            raise ValueError(f"method={method!r}; use 'auto', 'exact' or 'ais'")
        cache = self._log_z_cache_for_params()
        defaults = n_runs is n_betas is random_state is None
        if defaults and lengths is None and method == "auto" and "latest" in cache:
            return cache["latest"]
        given = self._ais_given(n_runs, n_betas)
        if random_state is None:
            random_state = self._int_seed()
        W, b, c = self._params_as(np.float64)
        vis, hid = self._make_units()
        if method != "ais" and lengths is None:
            n_states = min((n for n in (_evaluation.n_states(hid, W.shape[0]),
                                        _evaluation.n_states(vis, W.shape[1]))
                            if n is not None), default=None)
            if method == "exact" or (n_states is not None
                                     and n_states <= self._max_exact_states):
                lz = _evaluation.exact_log_partition(W, b, c, vis, hid)
                res = _evaluation.AISResult.exact(lz)
                cache["latest"] = res
                return res
        res = self._run_ais(W, b, c, vis, hid, given, random_state, lengths)
        if lengths is None:
            cache["latest"] = res
        return res

    def _run_ais(self, W, b, c, vis, hid, given, random_state, lengths):
        """AIS from the base-rate model; ``given``: the settings asked for."""
        settings = {**self._ais_defaults, **given}
        return _evaluation.annealed_importance_sampling(
            W, b, c, vis, hid, base_bias=getattr(self, "base_rate_bias_", None),
            n_runs=settings["n_runs"], n_betas=settings["n_betas"],
            random_state=random_state, lengths=lengths)

    # --------------------------------------------------- dense-layer view
    def encoder_layer(self, dtype=None):
        """The hidden means as a dense layer ``(coef, intercept, activation)``.

        ``transform(X) == act(encoder_input(X) @ coef + intercept)`` with
        ``coef = components_.T`` of shape (n_inputs, n_components), ``intercept
        = intercept_hidden_`` (fresh contiguous copies in ``dtype``, default the
        model's) and the hidden units' ``activation``, a name in
        ``skdeepgen.nn.ACTIVATIONS`` (ValueError when they have none).
        """
        check_is_fitted(self)
        act = self.hidden_units.feedforward_activation(
            f"{type(self).__name__} hidden units")
        return (*_copies(dtype, self.components_.T, self.intercept_hidden_), act)

    def encoder_input(self, X):
        """``X`` as the input of :meth:`encoder_layer` (here: ``X`` itself)."""
        return X

    def decoder_layer(self, dtype=None):
        """The visible means as a dense layer: ``inverse_transform(H) == act(H @
        coef + intercept)`` with ``coef = components_`` (n_components,
        n_features), ``intercept = intercept_visible_`` and the visible units'
        ``activation``, as in :meth:`encoder_layer`."""
        check_is_fitted(self)
        act = self.visible_units.feedforward_activation(
            f"{type(self).__name__} visible units")
        return (*_copies(dtype, self.components_, self.intercept_visible_), act)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags




class _PCDSparsityRBM(BaseRBM):
    """An RBM offering persistent CD (``method``) and a sparsity target on its
    hidden units (``sparsity_target``, ``sparsity_cost``, ``sparsity_decay``)."""

    _parameter_constraints = {
        **BaseRBM._parameter_constraints,
        "method": [StrOptions({"cd", "pcd"})],
        "sparsity_target": [None, Interval(Real, 0, 1, closed="neither")],
        "sparsity_cost": [Interval(Real, 0, None, closed="left")],
        "sparsity_decay": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(self, n_components, *, method, sparsity_target, sparsity_cost,
                 sparsity_decay, **params):
        super().__init__(n_components, **params)
        self.method = method
        self.sparsity_target = sparsity_target
        self.sparsity_cost = sparsity_cost
        self.sparsity_decay = sparsity_decay

    def _persistent(self):
        return self.method == "pcd"

    def _initialize(self, X, rng):
        super()._initialize(X, rng)
        self._hidden_activity = None

    def _statistics(self, p):
        """Adds the sparsity target (Lee et al. 2008; Hinton's guide, section 11):
        a running estimate ``q`` of each hidden unit's mean activity is pulled
        towards ``sparsity_target`` by adding ``-cost * (q - target)`` to the
        ascent direction of the hidden biases and, weighted by the mean input,
        of the weights."""
        p = super()._statistics(p)
        if self.sparsity_target is None:
            return p
        target = SparsityTarget(self.sparsity_target, self.sparsity_cost,
                                self.sparsity_decay)
        self._hidden_activity = target.running_mean(self._hidden_activity,
                                                     p.h_pos_sum / p.n)
        penalty = target.input_gradient(self._hidden_activity)
        mean_input = np.asarray(p.X.mean(axis=0)).reshape(1, -1)
        p.G -= (p.n * penalty)[:, None].astype(p.G.dtype) * mean_input
        p.grad_c = (p.grad_c - p.n * penalty).astype(p.grad_c.dtype)
        return p


class BernoulliRBM(_PCDSparsityRBM):
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
    method : {"cd", "pcd"}, default="cd"
        Contrastive divergence CD-k (Hinton 2002; the better features: 1.94%
        MNIST test error with 1000 hidden units and logistic regression,
        against 2.05% for PCD) or persistent contrastive divergence (better
        generative models).  scikit-learn's BernoulliRBM trains by PCD:
        ``method="pcd"`` gives that algorithm.  The density recipe
        (``n_components=500, method="pcd", n_gibbs_steps=10, n_iter=150,
        learning_rate_schedule="linear", weight_decay=2e-4``) reaches an AIS
        test log-likelihood of -86.3 nats on binarised MNIST, the published
        CD-25 figure, in about 35 minutes of one core; the defaults stay the
        feature recipe, a fit of about two minutes.
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
        Share of the training data held out as the validation set for early
        stopping (only with ``early_stopping=True``).
    n_iter_no_change : int, default=5
        Epochs without an improvement larger than ``tol`` after which early
        stopping ends training.
    tol : float, default=1e-4
        Smallest improvement of the monitored score that counts as one
        (early stopping).
    verbose : int, default=0
        Print epoch, reconstruction error, pseudo-likelihood, seconds and ETA.
    random_state : int, RandomState instance or None, default=None
        Controls initialisation, minibatch order and every random number of
        the kernels: a fixed value gives bit-for-bit identical results.
    ais_params : dict or None, default=None
        Settings of the annealed importance sampling (AIS) that estimates
        ``log Z`` for ``score`` and ``score_samples`` when neither layer can
        be enumerated: ``{"n_runs": int, "n_betas": int}`` (runs and
        temperatures, each optional); None for 100 runs and 10,000
        temperatures.  ``GridSearchCV`` without ``scoring`` calls ``score``
        once per candidate and fold, so lower settings (e.g. ``{"n_runs":
        20, "n_betas": 1000}``) make a quicker search, at the price of a
        noisier estimate that errs towards higher scores (a lower ``log
        Z``).  Arguments of :meth:`estimate_log_partition` override it.

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

    See Also
    --------
    sklearn.neural_network.BernoulliRBM : scikit-learn's RBM (PCD only).
    GaussianBernoulliRBM : RBM for real-valued data.
    skdeepgen.dbn.DBN : a stack of RBMs.

    References
    ----------
    .. [1] Hinton, G. E. (2002). Training products of experts by minimizing
       contrastive divergence. Neural Computation, 14(8), 1771-1800.
    .. [2] Tieleman, T. (2008). Training restricted Boltzmann machines using
       approximations to the likelihood gradient. ICML.
    .. [3] Hinton, G. E. (2010). A practical guide to training restricted
       Boltzmann machines. UTML TR 2010-003.
    .. [4] Lee, H., Ekanadham, C. & Ng, A. Y. (2008). Sparse deep belief net model
       for visual area V2. NIPS.
    .. [5] Nair, V. & Hinton, G. E. (2010). Rectified linear units improve
       restricted Boltzmann machines. ICML.
    .. [6] Salakhutdinov, R. & Murray, I. (2008). On the quantitative analysis of
       deep belief networks. ICML.

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
                 n_iter=10, method="cd", n_gibbs_steps=1, momentum=0.5,
                 weight_decay=1e-4, hidden="bernoulli", sparsity_target=None,
                 sparsity_cost=0.1, sparsity_decay=0.9,
                 learning_rate_schedule="constant", early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=5, tol=1e-4,
                 verbose=0, random_state=None, ais_params=None):
        super().__init__(
            n_components, learning_rate=learning_rate, batch_size=batch_size,
            n_iter=n_iter, method=method, n_gibbs_steps=n_gibbs_steps,
            momentum=momentum, weight_decay=weight_decay, hidden=hidden,
            sparsity_target=sparsity_target, sparsity_cost=sparsity_cost,
            sparsity_decay=sparsity_decay,
            learning_rate_schedule=learning_rate_schedule,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, tol=tol, verbose=verbose,
            random_state=random_state, ais_params=ais_params)

    def _epoch_scores(self, X_monitor, Y_monitor, held_out):
        # the pseudo-likelihood flips bits: binary visibles only
        return {**super()._epoch_scores(X_monitor, Y_monitor, held_out),
                "pseudo_likelihood": float(np.mean(self._pseudo_likelihood(X_monitor)))}


# ====================================================================
# Variants: the same machinery with other visible units
# ====================================================================
class GaussianBernoulliRBM(_PCDSparsityRBM):
    """RBM with Gaussian visible units for real-valued data.

    ``p(v | h) = N(b + var * W^T h, var)`` and ``p(h = 1 | v) =
    sigmoid(W v + c)`` (or noisy rectified linear hiddens with
    ``hidden="nrelu"``).  With the default unit variances the data should be
    standardised (zero mean, unit variance per feature, e.g.
    :class:`sklearn.preprocessing.StandardScaler`); ``learn_variance=True``
    also learns one variance per visible unit (in log space, bounded to
    [1e-2, 1e2] for stability).  The default learning rate is the small one
    these models need (Hinton's practical guide, section 13.2).  Training is
    monitored by the reconstruction error.

    Parameters
    ----------
    n_components : int, default=256
        Number of hidden units.
    learning_rate : float, default=0.001
        Step size for the mean gradient over a minibatch.
    batch_size : int, default=100
        Examples per minibatch.
    n_iter : int, default=10
        Number of epochs.
    method : {"cd", "pcd"}, default="cd"
    n_gibbs_steps : int, default=1
        Gibbs steps per update (the k of CD-k).
    momentum : float, default=0.9
        Momentum of the parameter updates.
    weight_decay : float, default=1e-4
        L2 penalty on the weights.
    learn_variance : bool, default=False
        Learn the visible variances (``variance_``) instead of fixing them at 1.
    hidden : {"bernoulli", "nrelu"}, default="bernoulli"
    sparsity_target, sparsity_cost, sparsity_decay, learning_rate_schedule, \
early_stopping, validation_fraction, n_iter_no_change, tol, verbose, \
random_state, ais_params
        As in :class:`BernoulliRBM`.

    Attributes
    ----------
    components_, intercept_hidden_, intercept_visible_, n_iter_, history_
        As in :class:`BernoulliRBM`.
    variance_ : ndarray of shape (n_features,)
        Visible variances (ones unless ``learn_variance``).
    base_rate_bias_ : ndarray of shape (n_features,)
        Data mean: the base model of AIS (``score_samples``).

    See Also
    --------
    BernoulliRBM : binary visible units.
    sklearn.preprocessing.StandardScaler : standardise the data first.

    References
    ----------
    .. [1] Welling, M., Rosen-Zvi, M. & Hinton, G. E. (2005). Exponential family
       harmoniums with an application to information retrieval. NIPS.
    .. [2] Hinton, G. E. & Salakhutdinov, R. R. (2006). Reducing the
       dimensionality of data with neural networks. Science, 313(5786), 504-507.
    .. [3] Hinton, G. E. (2010). A practical guide to training restricted
       Boltzmann machines. UTML TR 2010-003.
    .. [4] Nair, V. & Hinton, G. E. (2010). Rectified linear units improve
       restricted Boltzmann machines. ICML.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepgen import GaussianBernoulliRBM
    >>> X = np.random.RandomState(0).standard_normal((50, 4))
    >>> rbm = GaussianBernoulliRBM(n_components=3, n_iter=2, random_state=0).fit(X)
    >>> rbm.transform(X).shape
    (50, 3)
    """

    _parameter_constraints = {**_PCDSparsityRBM._parameter_constraints,
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
                 verbose=0, random_state=None, ais_params=None):
        super().__init__(
            n_components, learning_rate=learning_rate, batch_size=batch_size,
            n_iter=n_iter, method=method, n_gibbs_steps=n_gibbs_steps,
            momentum=momentum, weight_decay=weight_decay, hidden=hidden,
            sparsity_target=sparsity_target, sparsity_cost=sparsity_cost,
            sparsity_decay=sparsity_decay,
            learning_rate_schedule=learning_rate_schedule,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, tol=tol, verbose=verbose,
            random_state=random_state, ais_params=ais_params)
        self.learn_variance = learn_variance

    def _make_units(self):
        return GaussianUnits(getattr(self, "variance_", 1.0)), super()._make_units()[1]

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

    def _update(self, p):
        if not self.learn_variance:
            return super()._update(p)
        b = self.intercept_visible_.astype(np.float64)
        super()._update(p)
        # d log p / d log var = <(v - b)^2 / (2 var)>_data - <...>_model
        v_pos = p.X.toarray() if sp.issparse(p.X) else p.X
        d_pos = ((v_pos - b) ** 2).sum(axis=0)
        d_neg = ((p.v_neg - b) ** 2).sum(axis=0)
        z = np.log(self.variance_.astype(np.float64))
        grad = (d_pos - d_neg) / (2 * self.variance_)
        self._optimizer.step("log_variance", z, grad, grad_scale=-1.0 / p.n,
                             decay=False)
        self.variance_[:] = np.exp(np.clip(z, self._min_log_var, self._max_log_var))


class ReplicatedSoftmaxRBM(BaseRBM):
    """Replicated softmax RBM for word counts (Salakhutdinov & Hinton 2009).

    Each document is a set of ``D`` softmax units (one per word) sharing
    their weights with ``n_components`` hidden topic units whose biases are
    scaled by ``D``.  ``X`` holds term counts (e.g. ``CountVectorizer``
    output); scipy.sparse CSR input is used as is: a sparse minibatch keeps
    sparse-dense products in the positive phase, and only one minibatch's
    negative samples are ever dense, so memory grows with the non-zeros of
    the corpus, not with ``n_documents * n_words``.  Negative or non-integer
    counts are refused.  Trained by CD-k, monitored by the reconstruction
    error.  ``transform`` gives ``p(h = 1 | v)``: topic-like features.
    ``score_samples`` is the log-probability of each document's word
    sequence, with ``log Z_D`` of every length from one AIS run over the
    document length
    (:func:`skdeepgen.evaluation.replicated_softmax_length_ais`: 100 runs,
    more where the importance weights degenerate, up to 1,000; the best
    hidden configurations summed exactly), cached until the parameters
    change; :meth:`perplexity` is ``exp(-sum log p / total words)``, with
    the estimate's spread on request.

    Parameters
    ----------
    n_components : int, default=50
        Number of hidden (topic) units.
    learning_rate : float, default=0.003
        The hidden-bias statistics carry a factor ``D`` (document length);
        their step is divided by the mean training length so that one rate
        suits weights and biases.
    batch_size : int, default=50
        Examples per minibatch.
    n_iter : int, default=30
        Number of epochs.
    n_gibbs_steps : int, default=5
        Gibbs steps per update (the k of CD-k).  More steps give the model
        fewer, flatter long-document modes: on 20 Newsgroups (50 hidden
        units, 30 epochs) held-out perplexity 859 with CD-1, 818 with CD-3,
        809 with CD-5 (minibatches of 100).
    momentum : float, default=0.9
        Momentum of the parameter updates.
    weight_decay : float, default=1e-4
        L2 penalty on the weights.
    learn_visible_bias : bool, default=False
        Train the word biases.  By default they stay at the training
        corpus's log word frequencies (``base_rate_bias_``) and the hidden
        units explain every departure from them.  Learned word biases let
        the all-hiddens-off state become a document type of its own (on 20
        Newsgroups: 74% one word, from a few very long documents), whose
        weight ``exp(D f)`` grows fastest with the length ``D`` and takes
        the probability of every long document (held-out perplexity 2,200
        instead of 761 with the defaults, see :doc:`/results`).
    hidden : {"bernoulli", "nrelu"}, default="bernoulli"
    learning_rate_schedule, early_stopping, validation_fraction, \
n_iter_no_change, tol, verbose, random_state
        As in :class:`BernoulliRBM`.
    ais_params : dict or None, default=None
        AIS settings of ``score`` and ``score_samples``: ``{"n_runs": int,
        "n_betas": int}``, each optional.  With Bernoulli hiddens they are
        those of the one run over the document length (default 100 runs,
        batches of them added while a scored length has fewer than 10
        effective runs, up to 1,000, unless ``n_runs`` is set; 50
        temperatures for the first word); with NReLU hiddens, of AIS per
        length (default 50 runs, 3,000 temperatures).

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_words)
    intercept_hidden_ : ndarray of shape (n_components,)
        Hidden biases per word (multiplied by each document's length).
    intercept_visible_ : ndarray of shape (n_words,)
    mean_length_ : float
        Mean document length of the training data (default for ``sample``).
    n_iter_, history_, base_rate_bias_

    See Also
    --------
    sklearn.decomposition.LatentDirichletAllocation : a directed topic model.
    skdeepgen.dbn.DeepAutoencoder : semantic hashing on top of this RBM.

    References
    ----------
    .. [1] Salakhutdinov, R. & Hinton, G. E. (2009). Replicated softmax: an
       undirected topic model. NIPS.
    .. [2] Welling, M., Rosen-Zvi, M. & Hinton, G. E. (2005). Exponential family
       harmoniums with an application to information retrieval. NIPS.
    .. [3] Salakhutdinov, R. & Murray, I. (2008). On the quantitative analysis of
       deep belief networks. ICML.

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

    _ais_defaults = {"n_runs": 50, "n_betas": 3000}  # NReLU hiddens, per length
    _max_exact_states = 2 ** 12

    _parameter_constraints = {**BaseRBM._parameter_constraints,
                              "learn_visible_bias": ["boolean"]}

    def __init__(self, n_components=50, *, learning_rate=0.003, batch_size=50,
                 n_iter=30, n_gibbs_steps=5, momentum=0.9, weight_decay=1e-4,
                 learn_visible_bias=False, hidden="bernoulli",
                 learning_rate_schedule="constant", early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=5, tol=1e-4, verbose=0,
                 random_state=None, ais_params=None):
        super().__init__(
            n_components, learning_rate=learning_rate, batch_size=batch_size,
            n_iter=n_iter, n_gibbs_steps=n_gibbs_steps, momentum=momentum,
            weight_decay=weight_decay, hidden=hidden,
            learning_rate_schedule=learning_rate_schedule,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, tol=tol, verbose=verbose,
            random_state=random_state, ais_params=ais_params)
        self.learn_visible_bias = learn_visible_bias

    def _make_units(self):
        return ReplicatedSoftmaxUnits(), super()._make_units()[1]

    def _learns_visible_bias(self):
        return self.learn_visible_bias

    def _check_X_transform(self, X):
        X = super()._check_X_transform(X)
        return self.visible_units.check(X, type(self).__name__)

    def _initialize(self, X, rng):
        self.mean_length_ = float(X.sum() / X.shape[0])
        super()._initialize(X, rng)

    def _hidden_bias_lr_scale(self):
        # the hidden-bias statistics carry a factor D: step them per word so
        # that one learning rate suits W, b and c
        return 1.0 / max(self.mean_length_, 1.0)

    def _mean_visibles(self, H):
        """Word probabilities given hidden states (rows sum to one)."""
        W, b, _ = self._params_as(H.dtype)
        pre = np.ascontiguousarray(H @ W)
        return ReplicatedSoftmaxUnits(1.0).mean(pre, b, out=pre)

    def _reconstruction_rows(self, X):
        """Squared error between the counts and their expected reconstruction."""
        X = sp.csr_matrix(X)
        out = np.empty(X.shape[0])
        step = 64  # rows at a time: memory ~ 64 * n_words, not the corpus
        for s in range(0, X.shape[0], step):
            Xs = X[s:s + step]
            P = self._reconstruct(Xs)
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
        cache = self._log_z_cache_for_params()
        table = cache.setdefault("by_length", {})
        missing = np.setdiff1d(np.unique(lengths), np.fromiter(table, float))
        if missing.size:
            self._estimate_log_z(missing, cache)
        return np.array([table[float(D)] for D in lengths])

    #: AIS over the document length (Bernoulli hiddens): runs per batch and
    #: temperatures of the first word; batches of runs are added until every
    #: length scored has ``_min_ess`` effective runs, up to ``_max_ais_runs``
    _length_path_defaults = {"n_runs": 100, "n_betas": 50}
    _min_ess = 10
    _max_ais_runs = 1000
    #: NReLU hiddens: per-length AIS at no more than this many lengths,
    #: interpolated for the others (:func:`skdeepgen.evaluation.log_z_over_lengths`)
    _n_length_grid = 24

    def _estimate_log_z(self, lengths, cache):
        """``log Z_D`` of new lengths into ``cache["by_length"]``: exact for
        small hidden layers, else AIS; the runs' log weights of each length
        go to ``cache["runs"]`` (one dict per AIS call) for the spread."""
        table = cache["by_length"]
        W, b, c = self._params_as(np.float64)
        if self.hidden == "bernoulli" and 2 ** W.shape[0] <= self._max_exact_states:
            table.update((D, _evaluation.exact_log_partition(
                W, b, c, ReplicatedSoftmaxUnits(D), self.hidden_units))
                for D in lengths.tolist())
        elif self.hidden == "bernoulli":
            res = self.estimate_log_partition(lengths=lengths)
            rows = np.searchsorted(res.lengths, lengths)
            table.update(zip(lengths.tolist(), res.log_z[rows].tolist()))
            cache.setdefault("runs", []).append(
                dict(zip(lengths.tolist(), res.log_weights[rows])))
        else:
            table.update(zip(lengths.tolist(), _evaluation.log_z_over_lengths(
                lengths, lambda Ds: self.estimate_log_partition(lengths=Ds).log_z,
                self._n_length_grid).tolist()))

    def _run_ais(self, W, b, c, vis, hid, given, random_state, lengths):
        if self.hidden != "bernoulli" or lengths is None:
            return super()._run_ais(W, b, c, vis, hid, given, random_state, lengths)
        settings = {**self._length_path_defaults, **given}
        return _evaluation.replicated_softmax_length_ais(
            W, b, c, lengths, base_bias=getattr(self, "base_rate_bias_", None),
            n_runs=settings["n_runs"], n_betas=settings["n_betas"],
            min_ess=None if "n_runs" in given else self._min_ess,
            max_runs=max(self._max_ais_runs, settings["n_runs"]),
            random_state=random_state)

    def _log_z_sum_std(self, lengths):
        """Standard error of ``sum_d log Z_{D_d}`` over documents of these
        lengths (delta method over the AIS runs; the lengths of one AIS call
        share its runs, so their errors are correlated and add up within
        it): 0 for exact values, NaN where no runs were kept."""
        cache = self._log_z_cache_for_params()
        var, left = 0.0, lengths
        for runs in cache.get("runs", []):
            mine = np.isin(left, np.fromiter(runs, float))
            if mine.any():
                D, counts = np.unique(left[mine], return_counts=True)
                lw = np.array([runs[d] for d in D.tolist()])
                rho = np.exp(lw - logsumexp(lw, axis=1, keepdims=True)) * lw.shape[1]
                u = counts @ rho  # per run: sum_d w_{D_d, r} / mean_r w_{D_d, r}
                var += u.var(ddof=1) / u.size if u.size > 1 else np.inf
                left = left[~mine]
        exact = self.hidden == "bernoulli" and \
            2 ** self.n_components <= self._max_exact_states
        return float(np.sqrt(var)) if exact or left.size == 0 else float("nan")

    def perplexity(self, X, *, return_interval=False):
        """Per-word perplexity ``exp(-sum_d log p(doc_d) / sum_d D_d)``.

        With ``return_interval``, also the perplexities at ``log Z`` moved by
        three standard errors of the AIS estimate (summed over the
        documents, correlated through shared runs): ``(perplexity, low,
        high)``.  The band is the estimate's sampling spread; AIS rarely
        overestimates ``log Z`` but can miss hidden configurations it never
        reached, which would make the perplexity optimistic.
        """
        X = self._check_X_transform(X)
        n_words = float(X.sum())
        nll = -float(np.sum(self._score_samples(X)))
        ppl = float(np.exp(nll / n_words))
        if not return_interval:
            return ppl
        se = self._log_z_sum_std(np.asarray(X.sum(axis=1), dtype=np.float64).ravel())
        return ppl, float(np.exp((nll - 3 * se) / n_words)), \
            float(np.exp((nll + 3 * se) / n_words))

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
            Seeds the chains (default: the estimator's ``random_state``).
        return_mean : bool
            Return expected counts of the last step instead of counts.

        Returns
        -------
        X : ndarray of shape (n_samples, n_words)
        """
        check_is_fitted(self)
        rng = check_random_state(self.random_state if random_state is None
                                 else random_state)
        if lengths is None:
            lengths = max(1, round(self.mean_length_))
        L = np.empty(n_samples)
        L[:] = lengths
        if np.any(L < 0) or np.any(L != np.round(L)):
            raise ValueError("lengths must be non-negative integers")
        return self._gibbs_chains(n_samples, n_steps, rng, return_mean,
                                  vis=ReplicatedSoftmaxUnits(L))

    def encoder_layer(self, dtype=None):
        """As :meth:`BaseRBM.encoder_layer`, for the input of :meth:`encoder_input`:
        the document length, its last column, has the weights (last row of
        ``coef``) ``intercept_hidden_``, and the intercept is zero."""
        coef, intercept, act = super().encoder_layer(dtype)
        return np.vstack([coef, intercept]), np.zeros_like(intercept), act

    def encoder_input(self, X):
        """``X`` with its row sums (document lengths) as a last column (same dtype,
        CSR stays CSR): the hidden biases scale with them."""
        lengths = np.asarray(X.sum(axis=1), dtype=X.dtype).reshape(-1, 1)
        if sp.issparse(X):
            return sp.hstack([X, sp.csr_matrix(lengths)], format="csr")
        return np.hstack([X, lengths])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.input_tags.categorical = True  # integer counts
        return tags


class CategoricalRBM(BaseRBM):
    """RBM with softmax (categorical) visible units, e.g. ratings with gaps.

    ``X`` has one column per variable (item) holding one of a few values
    (e.g. ratings 1-5) and NaN where the value is missing.  Each variable is
    a softmax unit over ``categories_`` (the values seen in ``fit``);
    missing entries contribute nothing to the hidden inputs or the gradients
    and are not reconstructed during CD, as in the per-user RBMs of
    Salakhutdinov, Mnih & Hinton (2007).  :meth:`predict` fills the missing
    entries with their expected value under ``p(v_missing | h(v_observed))``;
    :meth:`predict_proba` gives the category probabilities.  Training is
    monitored by the reconstruction error of the observed entries.

    Parameters
    ----------
    n_components : int, default=100
        Number of hidden units.
    learning_rate : float, default=0.01
        Step size for the mean gradient over a minibatch.
    batch_size : int, default=100
        Examples per minibatch.
    n_iter : int, default=10
        Number of epochs.
    n_gibbs_steps : int, default=1
        CD-k steps (training is CD: each row has its own set of observed
        variables, which persistent chains cannot share).
    momentum : float, default=0.9
        Momentum of the parameter updates.
    weight_decay : float, default=1e-3
        L2 penalty on the weights.
    hidden : {"bernoulli", "nrelu"}, default="bernoulli"
    learning_rate_schedule, early_stopping, validation_fraction, \
n_iter_no_change, tol, verbose, random_state, ais_params
        As in :class:`BernoulliRBM`.

    Attributes
    ----------
    categories_ : ndarray of shape (n_categories,)
        Sorted values seen in ``fit``.
    components_ : ndarray of shape (n_components, n_features * n_categories)
        Column ``j * n_categories + k``: value ``categories_[k]`` of feature ``j``.
    intercept_hidden_, intercept_visible_, n_iter_, history_, base_rate_bias_

    See Also
    --------
    BernoulliRBM : binary visible units.

    References
    ----------
    .. [1] Salakhutdinov, R., Mnih, A. & Hinton, G. E. (2007). Restricted
       Boltzmann machines for collaborative filtering. ICML.

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

    def __init__(self, n_components=100, *, learning_rate=0.01, batch_size=100,
                 n_iter=10, n_gibbs_steps=1, momentum=0.9, weight_decay=1e-3,
                 hidden="bernoulli", learning_rate_schedule="constant",
                 early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, tol=1e-4, verbose=0, random_state=None,
                 ais_params=None):
        super().__init__(
            n_components, learning_rate=learning_rate, batch_size=batch_size,
            n_iter=n_iter, n_gibbs_steps=n_gibbs_steps, momentum=momentum,
            weight_decay=weight_decay, hidden=hidden,
            learning_rate_schedule=learning_rate_schedule,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, tol=tol, verbose=verbose,
            random_state=random_state, ais_params=ais_params)

    def _make_units(self):
        return SoftmaxUnits(len(self.categories_)), super()._make_units()[1]

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
        """Validated values; with ``reset`` they define ``categories_``."""
        if not reset:
            check_is_fitted(self)
        X = validate_data(self, X, reset=reset, dtype=_FLOATS,
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
        return self._check_X(X, reset=False)

    def encoder_input(self, X):
        """``X`` as the input of :meth:`encoder_layer`: one-hot columns, all
        zeros where a value is missing."""
        return self._encode(check_array(X, dtype=_FLOATS, ensure_all_finite="allow-nan"))

    def predict_proba(self, X):
        """Category probabilities of every entry given the observed ones.

        Returns
        -------
        P : ndarray of shape (n_samples, n_features, n_categories)
        """
        return self._category_probs(self._check_X_transform(X))

    def _category_probs(self, V):
        """``predict_proba`` for one-hot encoded rows ``V``."""
        return self._reconstruct(V).reshape(V.shape[0], -1, len(self.categories_))

    def predict(self, X):
        """``X`` with its missing entries replaced by their expected value."""
        X = self._validate(X, reset=False)
        P = self._category_probs(self._encode(X))
        expected = P @ self.categories_.astype(P.dtype)
        return np.where(np.isnan(X), expected, X)

    def inverse_transform(self, H):
        """Expected value of every variable given hidden states."""
        P = super().inverse_transform(H)
        P = P.reshape(P.shape[0], -1, len(self.categories_))
        return P @ self.categories_.astype(P.dtype)

    def _reconstruction_rows(self, V):
        """Squared error of the one-hot reconstruction on the observed entries."""
        R = self._reconstruct(V)
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
            rng = np.random.RandomState(self._int_seed() % (2 ** 32))
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
