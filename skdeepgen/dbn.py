"""Deep belief nets: greedy RBM stacks, fine-tuned classifiers, deep autoencoders.

``DBN`` trains a stack of RBMs greedily, layer by layer (Hinton, Osindero &
Teh 2006): each RBM models the hidden activities of the one below.  The
layers are ordinary ``BaseRBM`` estimators (``BernoulliRBM`` by default; any
RBM variant per layer), so unit types, CD/PCD, epochs and learning rates are
configured by passing RBM instances.

``DBNClassifier`` unrolls the pretrained stack into a feed-forward network,
adds a softmax output and fine-tunes everything with backpropagation
("pretraining + gentle backprop"); ``DeepAutoencoder`` unrolls it into an
encoder and a mirrored decoder and fine-tunes the reconstruction (Hinton &
Salakhutdinov 2006), optionally with a binary, noise-forced code layer for
semantic hashing (Salakhutdinov & Hinton 2009).  Fine-tuning runs on the
dense-network engine ``skdeepgen.nn``.
"""
import copy
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import (BaseEstimator, ClassifierMixin,
                          ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                          clone)
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._training import LearningRateSchedule, make_optimizer, split_validation
from .base import TransactionMixin, transactional
from ._training.random import draw_seeds
from .nn import DenseNetwork, make_progress, train_network
from .rbm import BernoulliRBM

__all__ = ["DBN", "DBNClassifier", "DeepAutoencoder", "hamming_distances",
           "hamming_neighbors"]

#: unit type name -> activation of the deterministic (mean-field) network
_UNIT_ACTIVATION = {"bernoulli": "logistic", "gaussian": "identity",
                    "nrelu": "relu"}


def _default_rbm():
    """The layer RBM when ``rbm=None``: CD-1, Hinton's practical settings."""
    return BernoulliRBM(method="cd", n_iter=10, learning_rate=0.05,
                        momentum=0.5, weight_decay=2e-4, batch_size=100)


def _activation_of(units, where):
    act = _UNIT_ACTIVATION.get(getattr(units, "name", None))
    if act is None:
        raise ValueError(
            f"{where}: {units!r} units have no deterministic feed-forward "
            f"equivalent for fine-tuning; use one of {sorted(_UNIT_ACTIVATION)}")
    var = getattr(units, "variance", 1.0)
    if act == "identity" and not np.all(np.asarray(var) == 1.0):
        raise ValueError(f"{where}: Gaussian units with variance != 1 cannot be "
                         "unrolled; standardise the data and use variance=1")
    return act


def _reads_counts(rbms):
    """Whether the bottom RBM models word counts (replicated softmax visibles)."""
    return bool(rbms) and getattr(rbms[0].visible_units, "name", None) == \
        "replicated_softmax"


def _unroll_encoder(rbms, dtype, top_activation=None):
    """Feed-forward layers ``(coefs, intercepts, activations)`` from fitted RBMs.

    Layer ``i`` computes the mean hidden activity of RBM ``i`` given the
    layer below.  A replicated-softmax bottom RBM multiplies its hidden
    biases by the document length; the network then takes the length as an
    extra last input column (see ``_FineTuned._net_input``) whose weights are
    those biases, so the bias scaling stays exact and trainable.
    """
    coefs, intercepts, acts = [], [], []
    for i, est in enumerate(rbms):
        W, c = est.components_.T, est.intercept_hidden_
        if i == 0 and _reads_counts(rbms):
            W, c = np.vstack([W, c[None, :]]), np.zeros_like(c)
        coefs.append(np.ascontiguousarray(W, dtype=dtype))
        intercepts.append(np.array(c, dtype=dtype))
        acts.append(_activation_of(est.hidden_units, f"layer {i} hidden units"))
    if top_activation is not None:
        acts[-1] = top_activation
    return coefs, intercepts, acts


def _with_lengths(X):
    """``X`` with its row sums (document lengths) appended as a last column."""
    lengths = np.asarray(X.sum(axis=1), dtype=X.dtype).reshape(-1, 1)
    if sp.issparse(X):
        return sp.hstack([X, sp.csr_matrix(lengths)], format="csr")
    return np.hstack([X, lengths])


def _word_proportions(X, weights=None):
    """Dense rows of ``X`` (times ``weights``) divided by their sums.

    Rows that sum to zero stay zero (no reconstruction target).
    """
    dtype = X.dtype
    X = sp.csr_matrix(X, dtype=np.float64)
    if weights is not None:
        X = X @ sp.diags(weights)
    totals = np.asarray(X.sum(axis=1)).reshape(-1, 1)
    scale = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
    return np.asarray(X.multiply(scale).todense(), dtype=dtype)


def _check_sizes(sizes, name="hidden_layer_sizes"):
    sizes = list(np.atleast_1d(np.asarray(sizes)).ravel()) if not np.isscalar(
        sizes) else [sizes]
    if not sizes or any(not isinstance(s, (Integral, np.integer)) or s < 1
                        for s in sizes):
        raise ValueError(f"{name} must be a non-empty sequence of positive "
                         f"integers, got {sizes!r}")
    return [int(s) for s in sizes]


def _layer_rbms(rbm, sizes, rng, verbose, owner):
    """Unfitted layer RBMs: clones of the template(s) with sizes and seeds set."""
    if rbm is None:
        templates = [_default_rbm()] * len(sizes)
    elif isinstance(rbm, (list, tuple)):
        if len(rbm) != len(sizes):
            raise ValueError(
                f"{owner}: rbm is a list of {len(rbm)} estimators but "
                f"hidden_layer_sizes has {len(sizes)} layers; give one per layer")
        templates = list(rbm)
    else:
        templates = [rbm] * len(sizes)
    layers = []
    for size, template, seed in zip(sizes, templates, draw_seeds(rng, len(sizes))):
        if not hasattr(template, "components_") and not (
                hasattr(template, "fit") and hasattr(template, "transform")):
            raise TypeError(f"{owner}: rbm must be an RBM estimator, got {template!r}")
        est = clone(template).set_params(n_components=size,
                                         random_state=int(seed % 2**31))
        if verbose > 1 and "verbose" in est.get_params():
            est.set_params(verbose=verbose - 1)
        layers.append(est)
    return layers


def _as_dense(X):
    return X.toarray() if sp.issparse(X) else X


class DBN(ClassNamePrefixFeaturesOutMixin, TransformerMixin, TransactionMixin,
          BaseEstimator):
    """Deep belief net: a stack of RBMs trained greedily, layer by layer.

    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default=(500, 500, 2000)
        Hidden units of each layer, bottom to top (scikit-learn's MLP
        convention: the input size is not included).
    rbm : RBM estimator, list of RBM estimators, or None, default=None
        Layer configuration.  One estimator is a template cloned for every
        layer; a list gives one per layer (e.g. a Gaussian-visible RBM at the
        bottom).  ``n_components`` and ``random_state`` are set by the DBN;
        every other parameter (unit types, ``method`` CD/PCD, ``n_iter``,
        ``learning_rate``...) is the layer's own.  None: ``BernoulliRBM(
        method="cd", n_iter=10, learning_rate=0.05, momentum=0.5,
        weight_decay=2e-4, batch_size=100)``.
    transform_layers : {"top", "all"}, default="top"
        ``transform`` returns the top layer's features, or all hidden
        layers' features concatenated.
    verbose : int, default=0
        1: one line per layer; 2: also the layers' own epoch progress.
    random_state : int, RandomState instance or None, default=None
        Seeds every layer (bit-for-bit reproducible for a fixed value).

    Attributes
    ----------
    rbms_ : list of fitted RBMs, bottom to top.
    n_iter_ : list of int
        Epochs trained per layer.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepgen import BernoulliRBM, DBN
    >>> X = (np.random.RandomState(0).uniform(size=(50, 8)) < 0.3).astype(float)
    >>> dbn = DBN((6, 4), rbm=BernoulliRBM(n_iter=3), random_state=0).fit(X)
    >>> dbn.transform(X).shape
    (50, 4)
    >>> dbn.sample(3, n_steps=10).shape
    (3, 8)
    """

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "rbm": [None, list, tuple, HasMethods(["fit", "transform"])],
        "transform_layers": [StrOptions({"top", "all"})],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(self, hidden_layer_sizes=(500, 500, 2000), *, rbm=None,
                 transform_layers="top", verbose=0, random_state=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.rbm = rbm
        self.transform_layers = transform_layers
        self.verbose = verbose
        self.random_state = random_state

    # ----------------------------------------------------------- training
    def _check_X(self, X, reset):
        return validate_data(self, X, reset=reset, accept_sparse="csr",
                             dtype=[np.float64, np.float32])

    @transactional
    def fit(self, X, y=None):
        """Greedy layer-wise pretraining on ``X``.

        Each RBM is fit on the hidden means of the one below (``transform``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        X = self._check_X(X, reset=True)
        sizes = _check_sizes(self.hidden_layer_sizes)
        rng = check_random_state(self.random_state)
        self.rbms_ = _layer_rbms(self.rbm, sizes, rng, int(self.verbose),
                                 type(self).__name__)
        H = X
        for i, est in enumerate(self.rbms_):
            est.fit(H)
            if self.verbose:
                err = est.history_.get("reconstruction_error", [float("nan")])[-1]
                print(f"[DBN] layer {i + 1}/{len(self.rbms_)} "
                      f"({H.shape[1]} -> {est.n_components}): {est.n_iter_} "
                      f"epochs, reconstruction error {err:.4g}", flush=True)
            if i < len(self.rbms_) - 1:
                H = est.transform(H)
        self.n_iter_ = [est.n_iter_ for est in self.rbms_]
        return self

    @transactional
    def partial_fit(self, X, y=None):
        """One pass of every layer over ``X`` (bottom-up), for streaming data.

        Unlike ``fit`` the layers learn together: each layer's
        ``partial_fit`` sees the current hidden means of the layer below.
        """
        first = not hasattr(self, "rbms_")
        if first:
            self._validate_params()
        X = self._check_X(X, reset=first)
        if first:
            sizes = _check_sizes(self.hidden_layer_sizes)
            self._rng = check_random_state(self.random_state)
            self.rbms_ = _layer_rbms(self.rbm, sizes, self._rng, int(self.verbose),
                                     type(self).__name__)
        H = X
        for i, est in enumerate(self.rbms_):
            est.partial_fit(H)
            if i < len(self.rbms_) - 1:
                H = est.transform(H)
        self.n_iter_ = [est.n_iter_ for est in self.rbms_]
        return self

    # -------------------------------------------------------- inference
    def transform(self, X):
        """Top-layer (or all layers') hidden means, by a deterministic up-pass.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        H : ndarray of shape (n_samples, n_features_out), X's dtype
        """
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        H = X
        layers = []
        for est in self.rbms_:
            H = est.transform(H)
            layers.append(H)
        if self.transform_layers == "all":
            return np.hstack(layers)
        return H

    @property
    def _n_features_out(self):
        sizes = [est.n_components for est in self.rbms_]
        return sum(sizes) if self.transform_layers == "all" else sizes[-1]

    def sample(self, n_samples=1, *, n_steps=1000, init=None, down_pass="sample",
               random_state=None):
        """Generate data: Gibbs sampling in the top RBM, then a down-pass.

        The top RBM's chains run for ``n_steps``; their binary visible states
        (the penultimate layer) are propagated down through the lower RBMs'
        generative (top-down) conditionals, and the visible *means* of the
        bottom layer are returned.

        Parameters
        ----------
        n_samples : int
            Number of chains (ignored when ``init`` is given).
        n_steps : int
            Gibbs steps in the top-level RBM.
        init : array-like of shape (n_chains, n_features_in_), optional
            Data whose deterministic up-pass starts the top-level chains
            (default: chains start from the top RBM's visible biases).
        down_pass : {"sample", "mean"}, default="sample"
            Sample every intermediate layer on the way down (the generative
            model) or propagate means (smoother images).
        random_state : int, RandomState or None
            Seed for the chains (default: the estimator's ``random_state``).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features_in_)
        """
        check_is_fitted(self)
        if down_pass not in ("sample", "mean"):
            raise ValueError(f"down_pass must be 'sample' or 'mean', got {down_pass!r}")
        rng = check_random_state(self.random_state if random_state is None
                                 else random_state)
        top = self.rbms_[-1]
        start = None
        if init is not None:
            H = self._check_X(init, reset=False)
            for est in self.rbms_[:-1]:
                H = est.transform(H)
            start = np.asarray(_as_dense(H), dtype=top.components_.dtype)
            n_samples = start.shape[0]
        if len(self.rbms_) == 1:
            return top.sample(n_samples, n_steps=n_steps, init=start,
                              random_state=rng, return_mean=True)
        h = top.sample(n_samples, n_steps=n_steps, init=start, random_state=rng,
                       return_mean=down_pass == "mean")
        for i in range(len(self.rbms_) - 2, -1, -1):
            est = self.rbms_[i]
            W = est.components_
            pre = np.ascontiguousarray(h.astype(W.dtype, copy=False) @ W)
            if i == 0 or down_pass == "mean":
                h = est.visible_units.mean(pre, est.intercept_visible_)
            else:
                h = est.visible_units.sample(pre, est.intercept_visible_,
                                             draw_seeds(rng))
        return h

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


# --------------------------------------------------------------------------
class _FineTuned(TransactionMixin, BaseEstimator):
    """Shared machinery of the fine-tuned DBN estimators (not public)."""

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "rbm": [None, list, tuple, HasMethods(["fit", "transform"])],
        "pretrain": ["boolean", HasMethods(["transform", "sample"])],
        "solver": [StrOptions({"sgd", "adam"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_schedule": [
            StrOptions({"constant", "invscaling", "exponential", "linear"})],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }
    _divergence_hint = "Lower learning_rate (or momentum)."

    def _pretrain(self, X, sizes, rng):
        """Fitted DBN on ``X`` (``pretrain=True``), a copy of a given one, or None."""
        if isinstance(self.pretrain, DBN):
            check_is_fitted(self.pretrain)
            got = [est.n_components for est in self.pretrain.rbms_]
            if got != sizes or self.pretrain.n_features_in_ != X.shape[1]:
                raise ValueError(
                    f"pretrain is a DBN with layers {self.pretrain.n_features_in_}-"
                    f"{'-'.join(map(str, got))}, which does not match "
                    f"{X.shape[1]} features and hidden layers {sizes}")
            return copy.deepcopy(self.pretrain)
        if not self.pretrain:
            return None
        dbn = DBN(sizes, rbm=self.rbm, verbose=self.verbose,
                  random_state=int(draw_seeds(rng) % 2**31))
        return dbn.fit(X)

    def _make_optimizer(self):
        return make_optimizer(
            self.solver, self.learning_rate, momentum=self.momentum,
            weight_decay=self.weight_decay, nesterov=self.momentum > 0,
            schedule=LearningRateSchedule(self.learning_rate_schedule,
                                          n_epochs=max(self.max_iter, 1)))

    def _finetune(self, net, X, Y, X_val, Y_val, rng, score=None, monitor="loss"):
        self.history_ = {}
        progress = make_progress(type(self).__name__, self.verbose, self.max_iter,
                                 self.history_)
        self.n_iter_, best = train_network(
            net, X, Y, optimizer=self._make_optimizer(), n_epochs=self.max_iter,
            batch_size=self.batch_size, rng=rng, X_val=X_val, Y_val=Y_val,
            score=score, monitor=monitor, n_iter_no_change=self.n_iter_no_change,
            tol=self.tol, progress=progress, estimator=self,
            divergence_hint=self._divergence_hint)
        if best is not None:
            self.best_epoch_ = best

    def _as_net_dtype(self, X):
        dt = self.network_.dtype
        if sp.issparse(X):
            return X.astype(dt) if X.dtype != dt else X
        return np.ascontiguousarray(X, dtype=dt)

    def _counts_input(self):
        """Whether the network reads word counts (a replicated-softmax bottom RBM)."""
        dbn = getattr(self, "dbn_", None)
        return dbn is not None and _reads_counts(dbn.rbms_)

    def _net_input(self, X):
        """Validated ``X`` as the network's input (lengths appended for counts)."""
        X = self._as_net_dtype(X)
        return _with_lengths(X) if self._counts_input() else X


class DBNClassifier(ClassifierMixin, _FineTuned):
    """DBN pretraining + softmax output, fine-tuned with backpropagation.

    The greedy RBM stack (see :class:`DBN`) initialises a sigmoid network
    ``n_features -> hidden_layer_sizes -> n_classes``; the softmax layer
    starts small and everything is fine-tuned on the cross-entropy with
    minibatch SGD (Nesterov momentum) or Adam, the "pretraining + gentle
    backprop" recipe of Hinton & Salakhutdinov (2006).

    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default=(500, 500, 2000)
    rbm : RBM estimator, list of RBM estimators, or None, default=None
        Layer configuration for pretraining (see :class:`DBN`).
    pretrain : bool or fitted DBN, default=True
        False skips pretraining (Glorot-initialised network; an ablation);
        a fitted :class:`DBN` with matching sizes is used (copied) instead of
        pretraining, e.g. to fine-tune one pretrained stack several ways.
    solver : {"sgd", "adam"}, default="sgd"
    learning_rate : float, default=0.05
        Fine-tuning step size for the mean minibatch gradient.
    learning_rate_schedule : {"constant", "invscaling", "exponential", \
"linear"}, default="linear"
        ``"linear"`` decays to 0 over ``max_iter`` epochs.
    momentum : float, default=0.9
        Nesterov momentum (``solver="sgd"``).
    weight_decay : float, default=1e-5
        L2 penalty on the weights (not the biases).
    batch_size : int, default=100
    max_iter : int, default=30
        Fine-tuning epochs (0: pretrained weights + a softmax never trained).
    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction`` (also from
        pretraining), stop when the validation error stops improving and
        keep the best epoch's weights.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=5
    tol : float, default=1e-4
    verbose : int, default=0
    random_state : int, RandomState instance or None, default=None

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    dbn_ : DBN or None
        The pretrained stack (before fine-tuning).
    network_ : skdeepgen.nn.DenseNetwork
        The fine-tuned network; ``coefs_`` / ``intercepts_`` are its arrays
        (shapes ``(n_in, n_out)``, as in scikit-learn's MLP).
    n_iter_ : int
        Fine-tuning epochs run.
    best_epoch_ : int
        With early stopping: the epoch whose weights were kept.
    history_ : dict of lists
        ``loss`` (training cross-entropy), ``val_loss``/``val_error`` or
        ``error`` (training error), ``seconds`` per epoch.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdeepgen import BernoulliRBM, DBNClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> rbm = BernoulliRBM(n_iter=10, batch_size=10, learning_rate=0.1, method="cd")
    >>> clf = DBNClassifier((64, 64), rbm=rbm, learning_rate=0.3, batch_size=20,
    ...                     max_iter=8, random_state=0).fit(X[:1200] / 16, y[:1200])
    >>> clf.score(X[1200:] / 16, y[1200:]) > 0.85
    True
    """

    def __init__(self, hidden_layer_sizes=(500, 500, 2000), *, rbm=None,
                 pretrain=True, solver="sgd", learning_rate=0.05,
                 learning_rate_schedule="linear", momentum=0.9,
                 weight_decay=1e-5, batch_size=100, max_iter=30,
                 early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, tol=1e-4, verbose=0, random_state=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.rbm = rbm
        self.pretrain = pretrain
        self.solver = solver
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state

    @transactional
    def fit(self, X, y):
        """Pretrain the DBN on ``X``, then fine-tune on ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        self._validate_params()
        X, y = validate_data(self, X, y, accept_sparse="csr",
                             dtype=[np.float64, np.float32])
        check_classification_targets(y)
        sizes = _check_sizes(self.hidden_layer_sizes)
        rng = check_random_state(self.random_state)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        X_val = Y_val = None
        Y = np.eye(len(self.classes_), dtype=X.dtype)[y_idx]
        if self.early_stopping:
            counts = np.bincount(y_idx)
            strat = y_idx if counts.min() >= 2 else None
            train, val = split_validation(X.shape[0], self.validation_fraction,
                                          rng, stratify=strat)
            X, X_val, Y, Y_val = X[train], X[val], Y[train], Y[val]
        self.dbn_ = self._pretrain(X, sizes, rng)
        self.network_ = self._build_network(X.shape[1], sizes, X.dtype, rng)
        X_val = None if X_val is None else self._net_input(X_val)
        self._finetune(self.network_, self._net_input(X), Y, X_val, Y_val, rng,
                       score=self._error, monitor="error")
        return self

    def _build_network(self, n_features, sizes, dtype, rng):
        n_classes = len(self.classes_)
        if self.dbn_ is None:
            acts = ["logistic"] * len(sizes) + ["softmax"]
            return DenseNetwork.initialize([n_features] + sizes + [n_classes], acts,
                                           loss="softmax_cross_entropy", rng=rng,
                                           dtype=dtype)
        coefs, intercepts, acts = _unroll_encoder(self.dbn_.rbms_, dtype)
        coefs.append((0.01 * rng.standard_normal((sizes[-1], n_classes))).astype(dtype))
        intercepts.append(np.zeros(n_classes, dtype))
        acts.append("softmax")
        return DenseNetwork(coefs, intercepts, acts, loss="softmax_cross_entropy")

    def _error(self, X, Y):
        P = self.network_.predict(X)
        return {"error": float(np.mean(P.argmax(1) != Y.argmax(1)))}

    @property
    def coefs_(self):
        return self.network_.coefs

    @property
    def intercepts_(self):
        return self.network_.intercepts

    def predict_proba(self, X):
        """Class probabilities (softmax outputs), shape (n_samples, n_classes)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse="csr",
                          dtype=[np.float64, np.float32])
        return self.network_.predict(self._net_input(X))

    def predict_log_proba(self, X):
        """Logarithm of ``predict_proba``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Most probable class per sample."""
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class DeepAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, _FineTuned):
    """Deep autoencoder: an unrolled RBM stack fine-tuned on the reconstruction.

    ``n_features -> hidden_layer_sizes -> n_components`` is pretrained as a
    DBN, unrolled into an encoder and the mirrored decoder (the decoder
    starts from the transposed RBM weights and visible biases) and the whole
    network is fine-tuned by backpropagation of the reconstruction error
    (Hinton & Salakhutdinov 2006).

    With ``code="binary"`` the code layer is logistic, Gaussian noise of
    standard deviation ``code_noise_std`` is added to its input during
    fine-tuning (which drives the code units to saturate), and ``transform``
    returns thresholded 0/1 codes: semantic hashing (Salakhutdinov & Hinton
    2009); see :func:`hamming_neighbors`.

    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default=(1000, 500, 250)
        Encoder hidden layers (the decoder mirrors them).
    n_components : int, default=30
        Size of the code layer.
    code : {"linear", "binary"}, default="linear"
    code_noise_std : float, default=4.0
        Noise before the code sigmoid while fine-tuning (``code="binary"``).
    rbm : RBM estimator, list of RBM estimators, or None, default=None
        Pretraining configuration for the ``len(hidden_layer_sizes) + 1``
        RBMs (see :class:`DBN`).
    pretrain : bool or fitted DBN, default=True
        As in :class:`DBNClassifier` (the DBN has ``n_components`` on top).
    loss : {"auto", "cross_entropy", "squared_error"}, default="auto"
        Reconstruction loss: cross-entropy for data in [0, 1] with
        logistic outputs; squared error with linear outputs.  ``"auto"``
        picks cross-entropy when X lies in [0, 1] and the bottom RBM has
        Bernoulli visible units (or there is no pretraining), squared error
        otherwise.  With a :class:`ReplicatedSoftmaxRBM` at the bottom, X is
        word counts: the encoder is the unrolled RSM (document lengths enter
        as an extra input carrying its length-scaled hidden biases) and the
        decoder ends in a softmax over words trained with the multinomial
        cross-entropy against each document's word distribution
        (Salakhutdinov & Hinton 2009).
    word_weights : None, "idf" or array of shape (n_features,), default=None
        Word-count input only: the reconstruction target of a document is
        its counts times these weights, normalised to sum to one.  None:
        the plain word distribution; ``"idf"``: scikit-learn's smoothed
        inverse document frequency of the training data, so that the code
        must describe the rare, topical words rather than the common ones
        (this helps retrieval, see ``examples/semantic_hashing_20newsgroups.py``).
    solver : {"sgd", "adam"}, default="adam"
    learning_rate : float, default=1e-3
    learning_rate_schedule : str, default="constant"
    momentum : float, default=0.9
    weight_decay : float, default=0.0
    batch_size : int, default=100
    max_iter : int, default=20
        Fine-tuning epochs.
    early_stopping : bool, default=False
        Stop when the loss on a held-out ``validation_fraction`` stops
        improving (best weights are kept).
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=5
    tol : float, default=1e-4
    verbose : int, default=0
    random_state : int, RandomState instance or None, default=None

    Attributes
    ----------
    dbn_ : DBN or None
        The pretrained stack.
    network_ : skdeepgen.nn.DenseNetwork
        Encoder layers ``0 .. n_encoder_layers_ - 1``, then the decoder.
    n_encoder_layers_ : int
    word_weights_ : ndarray of shape (n_features,) or None
        The weights of the word-count reconstruction targets.
    n_iter_ : int
    history_ : dict of lists

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdeepgen import BernoulliRBM, DeepAutoencoder
    >>> X = load_digits().data / 16
    >>> ae = DeepAutoencoder((32,), n_components=8, rbm=BernoulliRBM(n_iter=3),
    ...                      max_iter=5, random_state=0).fit(X)
    >>> ae.transform(X).shape, ae.inverse_transform(ae.transform(X)).shape
    ((1797, 8), (1797, 64))
    """

    _parameter_constraints = {
        **_FineTuned._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "code": [StrOptions({"linear", "binary"})],
        "code_noise_std": [Interval(Real, 0, None, closed="left")],
        "loss": [StrOptions({"auto", "cross_entropy", "squared_error"})],
        "word_weights": [None, StrOptions({"idf"}), "array-like"],
    }

    def __init__(self, hidden_layer_sizes=(1000, 500, 250), n_components=30, *,
                 code="linear", code_noise_std=4.0, rbm=None, pretrain=True,
                 loss="auto", word_weights=None, solver="adam", learning_rate=1e-3,
                 learning_rate_schedule="constant", momentum=0.9,
                 weight_decay=0.0, batch_size=100, max_iter=20,
                 early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, tol=1e-4, verbose=0, random_state=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_components = n_components
        self.code = code
        self.code_noise_std = code_noise_std
        self.rbm = rbm
        self.pretrain = pretrain
        self.loss = loss
        self.word_weights = word_weights
        self.solver = solver
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state

    @transactional
    def fit(self, X, y=None):
        """Pretrain the RBM stack on ``X``, unroll it, fine-tune the reconstruction.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        X = validate_data(self, X, accept_sparse="csr",
                          dtype=[np.float64, np.float32])
        sizes = _check_sizes(self.hidden_layer_sizes) + [int(self.n_components)]
        rng = check_random_state(self.random_state)
        X_val = None
        if self.early_stopping:
            train, val = split_validation(X.shape[0], self.validation_fraction, rng)
            X, X_val = X[train], X[val]
        data = X.data if sp.issparse(X) else X
        in_unit_range = data.size == 0 or (data.min() >= 0 and data.max() <= 1)
        self.dbn_ = self._pretrain(X, sizes, rng)
        self.network_ = self._build_network(X.shape[1], sizes, X.dtype, rng,
                                            in_unit_range)
        self.n_encoder_layers_ = len(sizes)
        if self.network_.loss == "sigmoid_cross_entropy" and not in_unit_range:
            raise ValueError(
                "the cross-entropy reconstruction loss needs X in [0, 1], but X "
                f"ranges over [{data.min():g}, {data.max():g}]; scale X (e.g. "
                "MinMaxScaler) or use loss='squared_error'")
        weights = self._word_weights(X)
        if self._counts_input():
            # word counts in (lengths appended), word distributions out
            inputs = [None if A is None else self._net_input(A) for A in (X, X_val)]
            targets = [None if A is None else _word_proportions(A, weights)
                       for A in (X, X_val)]
        else:  # the reconstruction targets are the dense inputs
            inputs = targets = [None if A is None else _as_dense(A) for A in (X, X_val)]
        self._finetune(self.network_, inputs[0], targets[0], inputs[1], targets[1], rng)
        return self

    def _word_weights(self, X):
        """The fitted ``word_weights_`` (None for the plain word distribution)."""
        self.word_weights_ = None
        if self.word_weights is None:
            return None
        if not self._counts_input():
            raise ValueError(
                "word_weights applies to word counts only, i.e. a "
                "ReplicatedSoftmaxRBM as the bottom layer of rbm")
        if isinstance(self.word_weights, str):  # "idf": scikit-learn's smoothed idf
            from sklearn.feature_extraction.text import TfidfTransformer
            w = TfidfTransformer().fit(X).idf_.astype(np.float64)
        else:
            w = np.asarray(self.word_weights, dtype=np.float64)
            if w.shape != (X.shape[1],) or not np.all(np.isfinite(w)) or np.any(w < 0):
                raise ValueError(
                    f"word_weights must be {X.shape[1]} finite non-negative "
                    f"values (one per feature), got shape {w.shape}")
        self.word_weights_ = w
        return w

    def _build_network(self, n_features, sizes, dtype, rng, in_unit_range=True):
        code_act = "logistic" if self.code == "binary" else "identity"
        L = len(sizes)
        if self.dbn_ is None:
            # without RBMs, "auto" = cross-entropy for data in [0, 1]
            linear = self.loss == "squared_error" or (
                self.loss == "auto" and not in_unit_range)
            out_act = "identity" if linear else "logistic"
            enc = ["logistic"] * (L - 1) + [code_act]
            dec = ["logistic"] * (L - 1) + [out_act]
            layer_sizes = [n_features] + sizes + sizes[-2::-1] + [n_features]
            net = DenseNetwork.initialize(layer_sizes, enc + dec, rng=rng, dtype=dtype,
                                          loss=self._loss_name(out_act, in_unit_range))
        else:
            rbms = self.dbn_.rbms_
            coefs, intercepts, acts = _unroll_encoder(rbms, dtype, code_act)
            for i in range(L - 1, -1, -1):
                est = rbms[i]
                coefs.append(np.ascontiguousarray(est.components_, dtype=dtype))
                intercepts.append(est.intercept_visible_.astype(dtype, copy=True))
                acts.append("softmax" if i == 0 and self._counts_input() else
                            _activation_of(est.visible_units,
                                           f"layer {i} visible units"))
            out_act = acts[-1]
            if out_act == "softmax":
                if self.loss == "squared_error":
                    raise ValueError(
                        "a replicated-softmax bottom RBM reconstructs word "
                        "distributions with a softmax and the multinomial "
                        "cross-entropy; use loss='auto' or 'cross_entropy'")
                loss = "softmax_cross_entropy"
            elif self.loss == "cross_entropy" and out_act != "logistic":
                raise ValueError(
                    "loss='cross_entropy' needs Bernoulli visible units in the "
                    f"bottom RBM (logistic outputs); its units are {out_act}")
            else:  # squared error through logistic outputs is allowed
                loss = self._loss_name(out_act, in_unit_range)
            net = DenseNetwork(coefs, intercepts, acts, loss=loss)
        if self.code == "binary":
            net.noise_std[L - 1] = float(self.code_noise_std)
        return net

    def _loss_name(self, out_act, in_unit_range):
        if self.loss == "squared_error" or out_act != "logistic" or (
                self.loss == "auto" and not in_unit_range):
            return "squared_error"
        return "sigmoid_cross_entropy"

    def _check_transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse="csr",
                          dtype=[np.float64, np.float32])
        return X

    def transform(self, X):
        """Codes: the code layer's activity (0/1 when ``code="binary"``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        codes : ndarray of shape (n_samples, n_components), X's dtype
        """
        X = self._check_transform(X)
        dtype = X.dtype
        C = self.network_.predict(self._net_input(X),
                                  layer=self.n_encoder_layers_ - 1)
        if self.code == "binary":
            C = (C > 0.5).astype(dtype)
        return C.astype(dtype, copy=False)

    def inverse_transform(self, X):
        """Reconstructions (decoder outputs) from codes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)

        Returns
        -------
        X_rec : ndarray of shape (n_samples, n_features_in_)
            With a replicated-softmax bottom RBM: word probabilities (each
            row sums to one; times a document's length, its expected counts).
        """
        check_is_fitted(self)
        C = check_array(X, dtype=[np.float64, np.float32], input_name="X")
        if C.shape[1] != self.n_components:
            raise ValueError(f"X has {C.shape[1]} columns, but the code layer has "
                             f"n_components={self.n_components} units")
        out = self.network_.predict(self._as_net_dtype(C),
                                    start=self.n_encoder_layers_)
        return out.astype(C.dtype, copy=False)

    def reconstruction_error(self, X):
        """Squared reconstruction error per sample (through the codes).

        With binary codes the reconstruction goes through the thresholded
        codes, as at retrieval time.  For word counts (replicated-softmax
        bottom RBM) the reconstruction is the expected count vector, the word
        probabilities times the document's length.
        """
        X = self._check_transform(X)
        R = self.inverse_transform(self.transform(X)).astype(np.float64)
        Xd = np.asarray(_as_dense(X), dtype=np.float64)
        if self._counts_input():
            R *= Xd.sum(axis=1, keepdims=True)
        return np.sum((Xd - R) ** 2, axis=1)

    def score(self, X, y=None):
        """Negative mean squared reconstruction error (higher is better)."""
        return -float(np.mean(self.reconstruction_error(X)))

    @property
    def _n_features_out(self):
        return self.n_components

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


# --------------------------------------------------------------------------
def hamming_distances(A, B):
    """Hamming distances between the rows of two 0/1 code matrices.

    ``d(a, b) = |a| + |b| - 2 a.b`` by one matrix product (exact: the counts
    are small integers, also in float32).

    Parameters
    ----------
    A : array-like of shape (n_a, n_bits), values 0/1
    B : array-like of shape (n_b, n_bits), values 0/1

    Returns
    -------
    D : ndarray of shape (n_a, n_b), int32
    """
    A = check_array(A, dtype=[np.float32, np.float64], input_name="A")
    B = check_array(B, dtype=[np.float32, np.float64], input_name="B")
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"codes have {A.shape[1]} and {B.shape[1]} bits")
    for name, M in (("A", A), ("B", B)):
        if not np.all((M == 0) | (M == 1)):
            raise ValueError(f"{name} must contain binary codes (0/1 values); "
                             "threshold them first, e.g. codes > 0.5")
    A32 = A.astype(np.float32)
    B32 = B.astype(np.float32)
    D = A32.sum(1)[:, None] + B32.sum(1)[None, :] - 2 * (A32 @ B32.T)
    return np.rint(D).astype(np.int32)


def hamming_neighbors(query_codes, database_codes, n_neighbors=10, *,
                      max_distance=None):
    """Retrieve database items by Hamming distance to each query's code.

    Parameters
    ----------
    query_codes : array-like of shape (n_queries, n_bits), 0/1
    database_codes : array-like of shape (n_database, n_bits), 0/1
    n_neighbors : int or None, default=10
        Neighbours per query (None: rank the whole database).
    max_distance : int or None
        Keep only neighbours within this Hamming ball (semantic hashing's
        "addresses within distance r"); lists then differ in length.

    Returns
    -------
    distances, indices : ndarrays of shape (n_queries, n_neighbors)
        Sorted by distance, ties by database index (a stable sort).  With
        ``max_distance`` both are lists of 1-D arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepgen.dbn import hamming_neighbors
    >>> db = np.array([[0, 0, 1], [1, 1, 1], [0, 1, 1]])
    >>> d, i = hamming_neighbors([[0, 0, 0]], db, n_neighbors=2)
    >>> d.tolist(), i.tolist()
    ([[1, 2]], [[0, 2]])
    """
    D = hamming_distances(query_codes, database_codes)
    k = D.shape[1] if n_neighbors is None else min(int(n_neighbors), D.shape[1])
    if k < 1:
        raise ValueError(f"n_neighbors must be >= 1, got {n_neighbors}")
    idx = np.argsort(D, axis=1, kind="stable")[:, :k]
    dist = np.take_along_axis(D, idx, axis=1)
    if max_distance is None:
        return dist, idx
    keep = [row <= max_distance for row in dist]
    return ([d[m] for d, m in zip(dist, keep)], [i[m] for i, m in zip(idx, keep)])
