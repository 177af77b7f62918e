"""Pretrained stacks unrolled into networks and fine-tuned by backpropagation.

:class:`FineTunedStack` is the shared machinery: greedy pretraining of a
:class:`~skdeepgen.stacking.LayerStack` (or a given fitted one), unrolling
it into a :class:`~skdeepgen.nn.DenseNetwork`, and fine-tuning that network
in the one epoch loop of :class:`~skdeepgen.base.BaseMinibatchEstimator`
(so early stopping, progress, divergence guard, ``partial_fit`` and Ctrl-C
behave as in every other model).  :class:`StackClassifier` adds a softmax
output ("pretraining + gentle backprop"); :class:`StackAutoencoder` adds the
mirrored decoder and fine-tunes the reconstruction (Hinton & Salakhutdinov
2006).  The public estimators (``DBNClassifier``, ``DeepAutoencoder``) are
these with a stack type and its layer parameter.

Word counts need no special case here: a bottom layer whose encoder reads
extra columns says so through ``encoder_input`` (a replicated-softmax RBM
appends document lengths), and a decoder ending in a softmax is trained with
the multinomial cross-entropy on each row's (weighted) word distribution.
"""
import copy
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import (ClassifierMixin, ClassNamePrefixFeaturesOutMixin,
                          TransformerMixin)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._training import draw_seeds
from .base import OPTIMIZER_CONSTRAINTS, BaseMinibatchEstimator
from .nn import DenseNetwork
from .stacking import (LayerStack, check_codes, check_input, check_sizes, in_unit_range,
                       mirror, unroll)

__all__ = ["FineTunedStack", "StackClassifier", "StackAutoencoder"]


def _as_dense(X):
    return X.toarray() if sp.issparse(X) else X


def word_proportions(X, weights=None):
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


class FineTunedStack(BaseMinibatchEstimator):
    """Pretrained stack + network + fine-tuning (shared machinery, not public).

    Subclasses provide ``_make_stack(sizes, seed)`` (an unfitted stack),
    ``_build_network(X, sizes, rng)``, and the data hooks of the base.
    """

    _parameter_constraints = {
        **BaseMinibatchEstimator._parameter_constraints,
        **OPTIMIZER_CONSTRAINTS,
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "pretrain": ["boolean", LayerStack],
        "solver": [StrOptions({"sgd", "adam"})],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
    }
    _epochs_param = "max_iter"
    _divergence_hint = "Lower learning_rate (or momentum)."

    def __init__(self, hidden_layer_sizes, *, pretrain, solver, learning_rate,
                 learning_rate_schedule, momentum, weight_decay, batch_size,
                 max_iter, early_stopping, validation_fraction, n_iter_no_change,
                 tol, verbose, random_state):
        super().__init__(batch_size=batch_size, early_stopping=early_stopping,
                         validation_fraction=validation_fraction,
                         n_iter_no_change=n_iter_no_change, tol=tol,
                         verbose=verbose, random_state=random_state)
        self.hidden_layer_sizes = hidden_layer_sizes
        self.pretrain = pretrain
        self.solver = solver
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.max_iter = max_iter

    # ------------------------------------------------------------- set-up
    def _sizes(self):
        return check_sizes(self.hidden_layer_sizes)

    #: the type of a fitted model given as ``pretrain``
    _pretrained_type = LayerStack

    @staticmethod
    def _hidden_sizes(pretrained):
        """Hidden layer sizes of a fitted ``_pretrained_type`` model."""
        return [est.n_components for est in pretrained.layers_]

    def _pretrain(self, X, sizes, rng):
        """Fitted stack on ``X`` (``pretrain=True``), a copy of a given one, or None."""
        if isinstance(self.pretrain, self._pretrained_type):
            check_is_fitted(self.pretrain)
            got = self._hidden_sizes(self.pretrain)
            if got != sizes or self.pretrain.n_features_in_ != X.shape[1]:
                raise ValueError(
                    f"pretrain is a {type(self.pretrain).__name__} with layers "
                    f"{self.pretrain.n_features_in_}-{'-'.join(map(str, got))}, which "
                    f"does not match {X.shape[1]} features and hidden layers {sizes}")
            return copy.deepcopy(self.pretrain)
        if not self.pretrain:
            return None
        return self._make_stack(sizes, int(draw_seeds(rng) % 2**31)).fit(X)

    def _initialize(self, X, rng, pretrain_X=None):
        sizes = self._sizes()
        self.dbn_ = self._pretrain(X if pretrain_X is None else pretrain_X, sizes, rng)
        self.network_ = self._build_network(X, sizes, rng)
        self._optimizer = self._make_optimizer(
            self.solver, self.learning_rate_schedule, momentum=self.momentum,
            weight_decay=self.weight_decay, nesterov=self.momentum > 0)

    def _initialize_from_stream(self, X, X0, rng):
        self._initialize(X0, rng, pretrain_X=X)  # pretraining streams X too

    _check_X = check_input

    def _net_input(self, X):
        """Validated ``X`` as the network's input (in its dtype; the bottom
        layer may add columns, e.g. document lengths)."""
        dt = self.network_.dtype
        if sp.issparse(X):
            X = X.astype(dt) if X.dtype != dt else X
        else:
            X = np.ascontiguousarray(X, dtype=dt)
        return X if self.dbn_ is None else self.dbn_.layers_[0].encoder_input(X)

    # ------------------------------------------------------- loop hooks
    def _learned_params(self):
        return self.network_.params()

    def _fit_minibatch(self, Xb, Yb, seed):
        return self.network_.train_step(Xb, Xb if Yb is None else Yb,
                                        self._optimizer, seed,
                                        lowest=self._lowest_trained_layer())

    def _lowest_trained_layer(self):
        """Layers below this one are held fixed in this epoch."""
        return 0

    def _epoch_scores(self, X, Y, held_out):
        if not held_out:  # the training loss is the minibatch average
            return {}
        return {"loss": self.network_.compute_loss(X, X if Y is None else Y)}


class StackClassifier(ClassifierMixin, FineTunedStack):
    """A pretrained stack with a softmax output, fine-tuned on the
    cross-entropy (shared machinery of the stack classifiers, not public)."""

    _monitor = "error"
    _n_monitor = 2000
    _parameter_constraints = {
        **FineTunedStack._parameter_constraints,
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "output_only_epochs": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, hidden_layer_sizes, *, dropout, input_dropout,
                 output_only_epochs, **kwargs):
        super().__init__(hidden_layer_sizes, **kwargs)
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.output_only_epochs = output_only_epochs

    def _fit_minibatch(self, Xb, Yb, seed):
        rates = [float(self.input_dropout)] + [float(self.dropout)] * (
            len(self.network_.coefs) - 1)
        if self.network_.dropout != rates:  # set_params between fits
            self.network_.set_dropout(rates)
        return super()._fit_minibatch(Xb, Yb, seed)

    def _lowest_trained_layer(self):
        # the first epochs train the new softmax layer alone, the pretrained
        # layers held fixed (n_iter_ counts the epochs completed so far)
        if self.n_iter_ < self.output_only_epochs:
            return len(self.network_.coefs) - 1
        return 0

    def fit(self, X, y):
        """Pretrain the stack on ``X``, then fine-tune the network on ``(X, y)``.

        With ``early_stopping`` a stratified ``validation_fraction`` is held
        out of both.  Ctrl-C during fine-tuning keeps the last completed
        epoch (with a ``TrainingInterrupted`` warning); during pretraining it
        cancels the call and leaves the classifier as it was.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        return super().fit(X, y)

    def partial_fit(self, X, y, classes=None):
        """One fine-tuning pass over ``(X, y)``.

        The first call pretrains the stack on this ``X`` and builds the
        network, then makes the pass; later calls continue the fine-tuning
        (optimizer state included).  The learning-rate schedule counts
        passes across calls: ``"linear"`` reaches zero after ``max_iter``
        of them, so open-ended streams want ``"constant"``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,)
            Its labels.
        classes : array-like of shape (n_classes,), default=None
            Every class of the whole stream; required on the first call
            (as for scikit-learn's ``MLPClassifier.partial_fit``).

        Returns
        -------
        self : object
            The updated classifier.
        """
        if not hasattr(self, "classes_"):
            if classes is None:
                raise ValueError("classes must be passed on the first call to "
                                 "partial_fit (every label of the stream)")
            self._validate_params()
        return self._transaction(self._fit_partial, X, y, classes=classes)

    def _check_data(self, X, y, reset, classes=None):
        """Validated X and one-hot targets; ``reset`` sets ``classes_`` (from
        ``classes`` if given, else from ``y``)."""
        X, y = validate_data(self, X, y, reset=reset, accept_sparse="csr",
                             dtype=[np.float64, np.float32])
        check_classification_targets(y)
        if reset:
            self.classes_ = np.unique(y if classes is None else np.asarray(classes))
        unseen = ~np.isin(y, self.classes_)
        if unseen.any():
            raise ValueError(f"y has labels {np.unique(y[unseen]).tolist()} not in "
                             f"classes {self.classes_.tolist()}")
        return X, np.eye(len(self.classes_), dtype=X.dtype)[
            np.searchsorted(self.classes_, y)]

    def _stratify(self, Y):
        labels = Y.argmax(axis=1)
        return labels if np.bincount(labels).min() >= 2 else None

    def _build_network(self, X, sizes, rng):
        n_classes, dtype = len(self.classes_), X.dtype
        if self.dbn_ is None:
            acts = ["logistic"] * len(sizes) + ["softmax"]
            return DenseNetwork.initialize([X.shape[1]] + sizes + [n_classes], acts,
                                           loss="softmax_cross_entropy", rng=rng,
                                           dtype=dtype)
        coefs, intercepts, acts = unroll(self.dbn_.layers_, dtype)
        coefs.append((0.01 * rng.standard_normal((sizes[-1], n_classes))).astype(dtype))
        intercepts.append(np.zeros(n_classes, dtype))
        acts.append("softmax")
        return DenseNetwork(coefs, intercepts, acts, loss="softmax_cross_entropy")

    def _training_data(self, X, Y):
        return self._net_input(X), Y

    def _epoch_scores(self, X, Y, held_out):
        P = self.network_.predict(X)
        return {**super()._epoch_scores(X, Y, held_out),
                "error": float(np.mean(P.argmax(1) != Y.argmax(1)))}

    @property
    def coefs_(self):
        return self.network_.coefs

    @property
    def intercepts_(self):
        return self.network_.intercepts

    def predict_proba(self, X):
        """Class probabilities (softmax outputs).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.

        Returns
        -------
        P : ndarray of shape (n_samples, n_classes)
            In ``X``'s dtype (the network's).
        """
        check_is_fitted(self)
        return self.network_.predict(self._net_input(self._check_X(X, reset=False)))

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Most probable class per sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        P = self.predict_proba(X)
        return self.classes_[np.argmax(P, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class StackAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                       FineTunedStack):
    """A pretrained stack unrolled into an encoder and its mirrored decoder,
    fine-tuned on the reconstruction (shared machinery, not public)."""

    _parameter_constraints = {
        **FineTunedStack._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "code": [StrOptions({"linear", "binary"})],
        "code_noise_std": [Interval(Real, 0, None, closed="left")],
        "loss": [StrOptions({"auto", "cross_entropy", "squared_error"})],
        "word_weights": [None, StrOptions({"idf"}), "array-like"],
    }
    _n_monitor = 0

    def _sizes(self):
        return check_sizes(self.hidden_layer_sizes) + [int(self.n_components)]

    def _build_network(self, X, sizes, rng):
        unit_range = in_unit_range(X)
        code_act = "logistic" if self.code == "binary" else "identity"
        L = len(sizes)
        if self.dbn_ is None:
            # without pretraining, "auto" = cross-entropy for data in [0, 1]
            out_act = "logistic" if self._cross_entropy(unit_range) else "identity"
            acts = ["logistic"] * (L - 1) + [code_act] + ["logistic"] * (L - 1) + [out_act]
            layer_sizes = [X.shape[1]] + sizes + sizes[-2::-1] + [X.shape[1]]
            net = DenseNetwork.initialize(layer_sizes, acts, rng=rng, dtype=X.dtype,
                                          loss=self._loss_name(out_act, unit_range))
        else:
            coefs, intercepts, acts = unroll(self.dbn_.layers_, X.dtype)
            acts[-1] = code_act
            dec = mirror(self.dbn_.layers_, X.dtype)
            out_act = dec[2][-1]
            net = DenseNetwork(coefs + dec[0], intercepts + dec[1], acts + dec[2],
                               loss=self._loss_name(out_act, unit_range))
        if net.loss == "sigmoid_cross_entropy" and not unit_range:
            data = X.data if sp.issparse(X) else X
            raise ValueError(
                "the cross-entropy reconstruction loss needs X in [0, 1], but X "
                f"ranges over [{data.min():g}, {data.max():g}]; scale X (e.g. "
                "MinMaxScaler) or use loss='squared_error'")
        if self.code == "binary":
            net.noise_std[L - 1] = float(self.code_noise_std)
        self.n_encoder_layers_ = L
        self.word_weights_ = self._word_weights(X, out_act)
        return net

    def _cross_entropy(self, unit_range):
        return self.loss == "cross_entropy" or (self.loss == "auto" and unit_range)

    def _loss_name(self, out_act, unit_range):
        if out_act == "softmax":  # a word distribution: multinomial cross-entropy
            if self.loss == "squared_error":
                raise ValueError(
                    "a softmax output (e.g. a replicated-softmax bottom RBM) "
                    "reconstructs word distributions with the multinomial "
                    "cross-entropy; use loss='auto' or 'cross_entropy'")
            return "softmax_cross_entropy"
        if self.loss == "cross_entropy" and out_act != "logistic":
            raise ValueError(
                "loss='cross_entropy' needs logistic outputs (Bernoulli visible "
                f"units in the bottom layer); its outputs are {out_act}")
        if out_act == "logistic" and self._cross_entropy(unit_range):
            return "sigmoid_cross_entropy"
        return "squared_error"  # also through logistic outputs, if asked

    def _word_weights(self, X, out_act):
        """The fitted ``word_weights_`` (None for the plain word distribution)."""
        if self.word_weights is None:
            return None
        if out_act != "softmax":
            raise ValueError(
                "word_weights applies to word counts only, i.e. a "
                "ReplicatedSoftmaxRBM as the bottom layer of rbm")
        if isinstance(self.word_weights, str):  # "idf": scikit-learn's smoothed idf
            from sklearn.feature_extraction.text import TfidfTransformer
            return TfidfTransformer().fit(X).idf_.astype(np.float64)
        w = np.asarray(self.word_weights, dtype=np.float64)
        if w.shape != (X.shape[1],) or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError(
                f"word_weights must be {X.shape[1]} finite non-negative "
                f"values (one per feature), got shape {w.shape}")
        return w

    def _softmax_output(self):
        return self.network_.activations[-1] == "softmax"

    def _training_data(self, X, Y):
        if self._softmax_output():  # counts in, word distributions out
            return self._net_input(X), word_proportions(X, self.word_weights_)
        return self._net_input(_as_dense(X)), None

    def transform(self, X):
        """Codes: the code layer's activity (0/1 when ``code="binary"``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_components)
            In ``X``'s dtype.
        """
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        C = self.network_.predict(self._net_input(X), layer=self.n_encoder_layers_ - 1)
        if self.code == "binary":
            C = (C > 0.5).astype(X.dtype)
        return C.astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        """Reconstructions (decoder outputs) from codes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes.

        Returns
        -------
        X_rec : ndarray of shape (n_samples, n_features_in_)
            With a softmax output (word counts): word probabilities (each
            row sums to one; times a document's length, its expected counts).
        """
        check_is_fitted(self)
        C = check_codes(self, X, "code units")
        out = self.network_.predict(np.ascontiguousarray(C, dtype=self.network_.dtype),
                                    start=self.n_encoder_layers_)
        return out.astype(C.dtype, copy=False)

    def reconstruction_error(self, X):
        """Squared reconstruction error per sample (through the codes).

        With binary codes the reconstruction goes through the thresholded
        codes, as at retrieval time.  For word counts (softmax output) the
        reconstruction is the expected count vector, the word probabilities
        times the document's length.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.

        Returns
        -------
        errors : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        R = self.inverse_transform(self.transform(X)).astype(np.float64)
        Xd = np.asarray(_as_dense(X), dtype=np.float64)
        if self._softmax_output():
            R *= Xd.sum(axis=1, keepdims=True)
        return np.sum((Xd - R) ** 2, axis=1)

    def score(self, X, y=None):
        """Negative mean squared reconstruction error (higher is better).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        return -float(np.mean(self.reconstruction_error(X)))

    @property
    def _n_features_out(self):
        return self.n_components

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
