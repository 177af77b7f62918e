"""Autoencoders: plain, denoising, sparse, contractive; stacked; fine-tuned.

One model, :class:`Autoencoder`, an encoder ``h = f(x W + b)`` and a decoder
``r = g(h W' + c)`` (``W' = W.T`` with tied weights) trained on the
reconstruction loss in the shared epoch loop and the dense-network engine
(:class:`~skdeepgen.nn.DenseNetwork`).  Two small strategies vary it:

* a :class:`Corruption` of each training minibatch's input, the loss still
  measured against the clean input: masking, additive Gaussian or
  salt-and-pepper noise (denoising autoencoders, Vincent et al. 2008),
  drawn from the kernels' counter-based generator with the loop's
  per-minibatch seed;
* penalties on the code layer's activations, added during
  backpropagation: :class:`KLSparsity` (the KL divergence of the mean
  activation from a target, the RBMs' :class:`~skdeepgen.units.SparsityTarget`)
  and :class:`Contraction` (the squared Frobenius norm of the encoder's
  Jacobian, Rifai et al. 2011).

:class:`DenoisingAutoencoder`, :class:`SparseAutoencoder` and
:class:`ContractiveAutoencoder` are configurations of the same model with
their own signatures and defaults.  Every autoencoder is a *layer
estimator* (``encoder_layer`` / ``encoder_input`` / ``decoder_layer``), so
:class:`StackedDenoisingAutoencoder` trains them greedily through the
stacking module (a stack may mix RBM and autoencoder layers) and
:class:`SdAClassifier` fine-tunes the stack with a softmax output.
"""
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._kernels.nn import _corrupt
from .base import OPTIMIZER_CONSTRAINTS, BaseMinibatchEstimator
from .finetuning import StackClassifier
from .nn import DenseNetwork
from .rbm import _copies
from .stacking import LayerStack, check_codes, in_unit_range, validate_unit
from .units import SparsityTarget

__all__ = ["Autoencoder", "DenoisingAutoencoder", "SparseAutoencoder",
           "ContractiveAutoencoder", "StackedDenoisingAutoencoder",
           "SdAClassifier", "Corruption", "KLSparsity", "Contraction"]


# ---------------------------------------------------------------- strategies
class Corruption:
    """Noise applied to the input of each training minibatch.

    kind : {"masking", "gaussian", "salt_and_pepper"}
        Masking sets a fraction ``level`` of the entries to 0 (chosen at
        random, per entry); Gaussian adds ``level * N(0, 1)``;
        salt-and-pepper sets a fraction ``level`` to 0 or 1, equally likely.
    level : float
        The fraction of corrupted entries (in [0, 1]) or the noise's
        standard deviation.
    """

    KINDS = {"masking": 0, "gaussian": 1, "salt_and_pepper": 2}

    def __init__(self, kind, level):
        if kind not in self.KINDS:
            raise ValueError(f"corruption must be one of {sorted(self.KINDS)}, "
                             f"got {kind!r}")
        if kind != "gaussian" and not 0 <= level <= 1:
            raise ValueError(f"corruption_level is the fraction of corrupted "
                             f"inputs for {kind!r} noise and must lie in [0, 1], "
                             f"got {level!r}")
        self.kind = kind
        self.level = float(level)

    def __call__(self, X, seed, out=None):
        """A corrupted copy of the dense array ``X`` (a pure function of
        ``seed``), into ``out`` when given (an array of X's shape and dtype)."""
        if out is None or out.shape != X.shape or out.dtype != X.dtype:
            out = np.empty_like(X)
        _corrupt(X, out, self.KINDS[self.kind], self.level, int(seed))
        return out

    def __repr__(self):
        return f"Corruption({self.kind!r}, {self.level!r})"


#: the derivative ``f'`` of each hidden activation as a function of its
#: output ``a``, and ``d f' / d a``
_DERIVATIVES = {
    "logistic": (lambda a: a * (1 - a), lambda a: 1 - 2 * a),
    "tanh": (lambda a: 1 - a * a, lambda a: -2 * a),
    "relu": (lambda a: (a > 0).astype(a.dtype), lambda a: np.zeros_like(a)),
    "identity": (lambda a: np.ones_like(a), lambda a: np.zeros_like(a)),
}


class KLSparsity:
    """Penalty ``cost * sum_j KL(target || q_j)`` on the minibatch's mean
    activations ``q`` of a logistic layer (a network penalty, see
    :class:`~skdeepgen.nn.DenseNetwork`)."""

    #: keeps the mean activations away from 0 and 1 (the KL's poles)
    eps = 1e-7

    def __init__(self, target, cost):
        self.sparsity = SparsityTarget(target, cost)

    def __call__(self, A, dA, W):
        q = np.clip(A.mean(axis=0, dtype=np.float64), self.eps, 1 - self.eps)
        dA += self.sparsity.mean_gradient(q).astype(dA.dtype)
        return A.shape[0] * self.sparsity.value(q), None


class Contraction:
    """Penalty ``strength * ||J(x)||_F^2``, the squared Frobenius norm of the
    encoder's Jacobian ``J = diag(f'(z)) W.T`` (Rifai et al. 2011), exact:
    ``sum_j f'(z_j)^2 sum_i W_ij^2`` (a network penalty)."""

    def __init__(self, strength, activation):
        self.strength = float(strength)
        self.activation = activation

    def __call__(self, A, dA, W):
        deriv, second = _DERIVATIVES[self.activation]
        g = deriv(A)
        col = np.einsum("ij,ij->j", W, W)  # sum_i W_ij^2 per code unit
        lam = self.strength
        value = lam * float(np.dot((g * g).sum(axis=0, dtype=np.float64), col))
        dA += (2 * lam) * g * second(A) * col
        dW = ((2 * lam) * W * (g * g).sum(axis=0)).astype(W.dtype, copy=False)
        return value, dW


# ------------------------------------------------------------ the estimator
def _check_unit_range(X):
    if not in_unit_range(X):
        raise ValueError(
            "the cross-entropy reconstruction loss needs X in [0, 1], but X "
            f"ranges over [{X.min():g}, {X.max():g}]; scale X (e.g. "
            "MinMaxScaler) or use loss='squared_error'")


_LOOP_AND_OPTIMIZER = {
    **BaseMinibatchEstimator._parameter_constraints,
    **OPTIMIZER_CONSTRAINTS,
    "n_components": [Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions({"logistic", "tanh", "relu", "identity"})],
    "loss": [StrOptions({"auto", "cross_entropy", "squared_error"})],
    "output_activation": [StrOptions({"auto", "logistic", "identity"})],
    "tied_weights": ["boolean"],
    "solver": [StrOptions({"sgd", "adam"})],
    "max_iter": [Interval(Integral, 0, None, closed="left")],
}

_CORRUPTION = {
    "corruption": [StrOptions(set(Corruption.KINDS))],
    "corruption_level": [Interval(Real, 0, None, closed="left")],
}
_SPARSITY = {
    "sparsity_target": [None, Interval(Real, 0, 1, closed="neither")],
    "sparsity_cost": [Interval(Real, 0, None, closed="left")],
}
_CONTRACTION = {"contraction": [Interval(Real, 0, None, closed="left")]}


class _BaseAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                       BaseMinibatchEstimator):
    """The autoencoder machinery (not public).  The strategy parameters
    (corruption, sparsity, contraction) are parameters of the public classes
    that offer them; the class attributes below are the values of those
    that do not."""

    _parameter_constraints = _LOOP_AND_OPTIMIZER
    _epochs_param = "max_iter"
    _n_monitor = 0  # the training loss is the minibatch average

    corruption = "masking"
    corruption_level = 0.0
    sparsity_target = None
    sparsity_cost = 0.0
    contraction = 0.0

    def __init__(self, n_components, *, activation, loss, output_activation,
                 tied_weights, solver, learning_rate, learning_rate_schedule,
                 momentum, weight_decay, batch_size, max_iter, early_stopping,
                 validation_fraction, n_iter_no_change, tol, verbose,
                 random_state):
        super().__init__(batch_size=batch_size, early_stopping=early_stopping,
                         validation_fraction=validation_fraction,
                         n_iter_no_change=n_iter_no_change, tol=tol,
                         verbose=verbose, random_state=random_state)
        self.n_components = n_components
        self.activation = activation
        self.loss = loss
        self.output_activation = output_activation
        self.tied_weights = tied_weights
        self.solver = solver
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.max_iter = max_iter

    # ----------------------------------------------------------- strategies
    def _corruption(self):
        if not self.corruption_level:
            return None
        return Corruption(self.corruption, self.corruption_level)

    def _penalties(self):
        """The code layer's penalties, combined into one network penalty."""
        penalties = []
        if self.sparsity_target is not None and self.sparsity_cost > 0:
            if self.activation != "logistic":
                raise ValueError(
                    "sparsity_target is a target mean activation in (0, 1) and "
                    "needs activation='logistic', got "
                    f"activation={self.activation!r}")
            penalties.append(KLSparsity(self.sparsity_target, self.sparsity_cost))
        if self.contraction > 0:
            penalties.append(Contraction(self.contraction, self.activation))
        if not penalties:
            return {}
        return {0: penalties[0] if len(penalties) == 1 else _Sum(penalties)}

    def _losses(self, X):
        """``(loss, output activation)`` for this data, or a clear error."""
        # what _check_data's pass over X proved (one flag, read once)
        unit = self.__dict__.pop("_unit_range", None)
        loss = self.loss
        if loss == "auto":
            unit = unit or in_unit_range(X)
            loss = "cross_entropy" if unit else "squared_error"
        out = self.output_activation
        if out == "auto":
            out = "logistic" if loss == "cross_entropy" else "identity"
        if loss == "cross_entropy":
            if out != "logistic":
                raise ValueError("loss='cross_entropy' needs "
                                 "output_activation='logistic' (or 'auto')")
            if not unit:
                _check_unit_range(X)
        return loss, out

    # ---------------------------------------------------------------- hooks
    def _validate(self, X, reset):
        X, unit = validate_unit(self, X, reset, accept_sparse="csr",
                                dtype=[np.float64, np.float32])
        return (X.toarray() if sp.issparse(X) else X), unit

    def _check_X(self, X, reset):
        return self._validate(X, reset)[0]

    def _check_data(self, X, y, reset):
        X, unit = self._validate(X, reset)
        if reset:
            self._unit_range = unit  # for _losses, called next by _initialize
        elif self.loss_ == "cross_entropy" and not unit:
            _check_unit_range(X)
        return X, None

    def _initialize(self, X, rng):
        self.loss_, out = self._losses(X)
        n_features, m = X.shape[1], int(self.n_components)
        net = DenseNetwork.initialize(
            [n_features, m, n_features], [self.activation, out],
            loss=("sigmoid_cross_entropy" if self.loss_ == "cross_entropy"
                  else "squared_error"), rng=rng, dtype=X.dtype)
        self.network_ = DenseNetwork(
            net.coefs, net.intercepts, net.activations, loss=net.loss,
            tied={1: 0} if self.tied_weights else None,
            penalties=self._penalties())
        self._corrupt = self._corruption()
        self._optimizer = self._make_optimizer(
            self.solver, self.learning_rate_schedule, momentum=self.momentum,
            weight_decay=self.weight_decay, nesterov=self.momentum > 0)

    def _learned_params(self):
        return self.network_.params()

    def _fit_minibatch(self, Xb, Yb, seed):
        Xin = Xb
        if self._corrupt is not None:  # straight into the network's buffer
            Xin = self._corrupt(Xb, seed, self.network_.input_buffer(Xb.shape[0]))
        return self.network_.train_step(Xin, Xb, self._optimizer, seed)

    def _epoch_scores(self, X, Y, held_out):
        return {"loss": self.network_.compute_loss(X, X)}

    # ------------------------------------------------------------------ API
    def _as_net(self, X):
        return np.ascontiguousarray(X, dtype=self.network_.dtype)

    def transform(self, X):
        """Codes: the hidden layer's activations.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.

        Returns
        -------
        H : ndarray of shape (n_samples, n_components)
            In ``X``'s dtype.
        """
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        return self.network_.predict(self._as_net(X), layer=0).astype(X.dtype,
                                                                      copy=False)

    def inverse_transform(self, X):
        """Reconstructions (decoder outputs) from codes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes.

        Returns
        -------
        X_rec : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        C = check_codes(self, X, "code units")
        return self.network_.predict(self._as_net(C), start=1).astype(C.dtype,
                                                                     copy=False)

    def score(self, X, y=None):
        """Minus the mean reconstruction loss of the clean ``X`` (higher is better).

        The loss is the training loss without penalties (``loss_``: the
        cross-entropy or half the squared error, summed over features).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        X, _ = self._check_data(X, None, reset=False)
        X = self._as_net(X)
        return -float(self.network_.compute_loss(X, X))

    # ----------------------------------------------------- dense-layer view
    @property
    def components_(self):
        """Encoder weights, shape (n_components, n_features) (filters)."""
        return self.network_.coefs[0].T

    def encoder_layer(self, dtype=None):
        """The encoder as a dense layer ``(coef, intercept, activation)``:
        ``transform(X) == act(encoder_input(X) @ coef + intercept)`` (fresh
        contiguous copies in ``dtype``, default the model's)."""
        check_is_fitted(self)
        net = self.network_
        return (*_copies(dtype, net.coefs[0], net.intercepts[0]), net.activations[0])

    def encoder_input(self, X):
        """``X`` as the input of :meth:`encoder_layer` (here: ``X`` itself)."""
        return X

    def decoder_layer(self, dtype=None):
        """The decoder as a dense layer: ``inverse_transform(H) == act(H @ coef
        + intercept)``."""
        check_is_fitted(self)
        net = self.network_
        return (*_copies(dtype, net.coefs[1], net.intercepts[1]), net.activations[1])

    @property
    def _n_features_out(self):
        return self.n_components

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class _Sum:
    """Several penalties of one layer, as one."""

    def __init__(self, penalties):
        self.penalties = penalties

    def __call__(self, A, dA, W):
        total, dW = 0.0, None
        for p in self.penalties:
            value, d = p(A, dA, W)
            total += value
            if d is not None:
                dW = d if dW is None else dW + d
        return total, dW


_SHARED_DOC = """
    activation : {"logistic", "tanh", "relu", "identity"}, default="logistic"
        Hidden (code) units, named as in scikit-learn's MLP.
    loss : {"auto", "cross_entropy", "squared_error"}, default="auto"
        Reconstruction loss, summed over features and averaged over samples:
        the cross-entropy (for X in [0, 1]) or half the squared error.
        ``"auto"``: cross-entropy when X lies in [0, 1], else squared error.
    output_activation : {"auto", "logistic", "identity"}, default="auto"
        Decoder output: ``"auto"`` is logistic for the cross-entropy and
        linear (identity) for the squared error.
    tied_weights : bool, default=True
        Decoder weights are the transpose of the encoder's (one array).
    solver : {"sgd", "adam"}, default="sgd"
        Minibatch SGD with (Nesterov) momentum, or Adam.
    learning_rate : float, default=0.01
        Step size for the mean minibatch gradient.  The loss is summed over
        features, and a linear output layer's stable step shrinks with the
        number of code units: 0.01 with momentum 0.9 suits a few hundred.
    learning_rate_schedule : {"constant", "invscaling", "exponential", "linear"}, \
default="constant"
        How the learning rate changes across epochs.
    momentum : float, default=0.9
        Nesterov momentum (``solver="sgd"``).
    weight_decay : float, default=0.0
        L2 penalty on the weights.
    batch_size : int, default=20
    max_iter : int, default=15
        Epochs of ``fit``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop when its
        reconstruction loss (clean input, no penalties) stops improving and
        keep the best epoch's weights.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=5
    tol : float, default=1e-4
    verbose : int, default=0
    random_state : int, RandomState instance or None, default=None
        Initial weights, shuffling and the corruption noise (bit-for-bit
        reproducible for a fixed value).

    Attributes
    ----------
    network_ : skdeepgen.nn.DenseNetwork
        Encoder (layer 0) and decoder (layer 1).
    components_ : ndarray of shape (n_components, n_features)
        Encoder weights (the filters), a view of ``network_.coefs[0].T``.
    loss_ : {"cross_entropy", "squared_error"}
        The reconstruction loss in use.
    n_iter_ : int
    history_ : dict of lists
        ``loss`` (training loss per minibatch, on the corrupted input and
        with penalties), ``val_loss`` with early stopping, ``seconds``.
    best_epoch_ : int
        With early stopping: the epoch whose weights were kept.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features,)
"""


class Autoencoder(_BaseAutoencoder):
    __doc__ = """One-hidden-layer autoencoder with optional corruption and penalties.

    ``transform(X)`` is the code ``f(X W + b)``, ``inverse_transform(H)``
    the reconstruction ``g(H W' + c)`` (``W' = W.T`` with tied weights),
    and ``score(X)`` minus the mean reconstruction loss.  Training
    minimises the loss of reconstructing the *clean* input from a
    corrupted one (``corruption_level > 0``), plus a KL sparsity penalty on
    the mean code activations (``sparsity_target``) and a contractive
    penalty (``contraction``) if asked for, by minibatch gradient descent.
    The named variants (:class:`DenoisingAutoencoder`,
    :class:`SparseAutoencoder`, :class:`ContractiveAutoencoder`) are this
    model with their own defaults.

    Parameters
    ----------
    n_components : int, default=256
        Code units.
    corruption : {"masking", "gaussian", "salt_and_pepper"}, default="masking"
        Input noise of the training minibatches (see :class:`Corruption`).
    corruption_level : float, default=0.0
        Fraction of corrupted inputs (masking, salt-and-pepper) or the
        Gaussian noise's standard deviation; 0 turns corruption off.
    sparsity_target : float in (0, 1) or None, default=None
        Target mean activation of the (logistic) code units.
    sparsity_cost : float, default=1.0
        Weight of the penalty ``sum_j KL(sparsity_target || q_j)`` (the
        reconstruction loss is summed over features: scale with them).
    contraction : float, default=0.0
        Weight of the squared Frobenius norm of the encoder's Jacobian.""" + \
        _SHARED_DOC + """
    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdeepgen import Autoencoder
    >>> X = load_digits().data / 16
    >>> ae = Autoencoder(16, max_iter=5, random_state=0).fit(X)
    >>> ae.transform(X).shape, ae.inverse_transform(ae.transform(X)).shape
    ((1797, 16), (1797, 64))
    >>> ae.score(X) > Autoencoder(16, max_iter=1, random_state=0).fit(X).score(X)
    True
    """

    _parameter_constraints = {**_BaseAutoencoder._parameter_constraints,
                              **_CORRUPTION, **_SPARSITY, **_CONTRACTION}

    def __init__(self, n_components=256, *, activation="logistic", loss="auto",
                 output_activation="auto", tied_weights=True, corruption="masking",
                 corruption_level=0.0, sparsity_target=None, sparsity_cost=1.0,
                 contraction=0.0, solver="sgd", learning_rate=0.01,
                 learning_rate_schedule="constant", momentum=0.9,
                 weight_decay=0.0, batch_size=20, max_iter=15,
                 early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, tol=1e-4, verbose=0, random_state=None):
        super().__init__(
            n_components, activation=activation, loss=loss,
            output_activation=output_activation, tied_weights=tied_weights,
            solver=solver, learning_rate=learning_rate,
            learning_rate_schedule=learning_rate_schedule, momentum=momentum,
            weight_decay=weight_decay, batch_size=batch_size, max_iter=max_iter,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, tol=tol, verbose=verbose,
            random_state=random_state)
        self.corruption = corruption
        self.corruption_level = corruption_level
        self.sparsity_target = sparsity_target
        self.sparsity_cost = sparsity_cost
        self.contraction = contraction


class DenoisingAutoencoder(_BaseAutoencoder):
    __doc__ = """Denoising autoencoder (Vincent et al. 2008).

    An :class:`Autoencoder` trained to reconstruct each clean input from a
    corrupted copy: by default a random 25% of the inputs are set to zero
    (masking noise), freshly drawn for every minibatch.  The code must then
    capture dependencies between inputs; on MNIST the filters become
    stroke and blob detectors instead of the noisy, pixel-like filters of an
    over-complete plain autoencoder.  This is the layer of
    :class:`StackedDenoisingAutoencoder`.

    Parameters
    ----------
    n_components : int, default=256
    corruption : {"masking", "gaussian", "salt_and_pepper"}, default="masking"
    corruption_level : float, default=0.25
        Fraction of masked inputs (Vincent et al. use 10-50% on MNIST), or
        of salt-and-pepper inputs, or the Gaussian noise's std.""" + \
        _SHARED_DOC + """
    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdeepgen import DenoisingAutoencoder
    >>> X = load_digits().data / 16
    >>> dae = DenoisingAutoencoder(32, max_iter=3, random_state=0).fit(X)
    >>> dae.transform(X).shape
    (1797, 32)
    """

    _parameter_constraints = {**_BaseAutoencoder._parameter_constraints,
                              **_CORRUPTION}

    def __init__(self, n_components=256, *, corruption="masking",
                 corruption_level=0.25, activation="logistic", loss="auto",
                 output_activation="auto", tied_weights=True, solver="sgd",
                 learning_rate=0.01, learning_rate_schedule="constant",
                 momentum=0.9, weight_decay=0.0, batch_size=20, max_iter=15,
                 early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, tol=1e-4, verbose=0, random_state=None):
        super().__init__(
            n_components, activation=activation, loss=loss,
            output_activation=output_activation, tied_weights=tied_weights,
            solver=solver, learning_rate=learning_rate,
            learning_rate_schedule=learning_rate_schedule, momentum=momentum,
            weight_decay=weight_decay, batch_size=batch_size, max_iter=max_iter,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, tol=tol, verbose=verbose,
            random_state=random_state)
        self.corruption = corruption
        self.corruption_level = corruption_level


class SparseAutoencoder(_BaseAutoencoder):
    __doc__ = """Sparse autoencoder: a KL penalty towards a target mean activation.

    An :class:`Autoencoder` with logistic code units whose mean activation
    over each minibatch, ``q_j``, is pulled towards ``sparsity_target`` by
    the penalty ``sparsity_cost * sum_j KL(sparsity_target || q_j)`` (Ng's
    sparse autoencoder; the same target as the RBMs' ``sparsity_target``,
    :class:`~skdeepgen.units.SparsityTarget`).  Useful with more code units
    than inputs, where a plain autoencoder can learn the identity.

    Parameters
    ----------
    n_components : int, default=256
    sparsity_target : float in (0, 1), default=0.05
        Target mean activation of each code unit.
    sparsity_cost : float, default=1.0
        Weight of the KL penalty.""" + _SHARED_DOC + """
    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdeepgen import SparseAutoencoder
    >>> X = load_digits().data / 16
    >>> sae = SparseAutoencoder(100, sparsity_target=0.05, max_iter=10,
    ...                         random_state=0).fit(X)
    >>> float(sae.transform(X).mean()) < 0.2
    True
    """

    _parameter_constraints = {**_BaseAutoencoder._parameter_constraints,
                              **_SPARSITY}

    def __init__(self, n_components=256, *, sparsity_target=0.05,
                 sparsity_cost=1.0, activation="logistic", loss="auto",
                 output_activation="auto", tied_weights=True, solver="sgd",
                 learning_rate=0.01, learning_rate_schedule="constant",
                 momentum=0.9, weight_decay=0.0, batch_size=20, max_iter=15,
                 early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, tol=1e-4, verbose=0, random_state=None):
        super().__init__(
            n_components, activation=activation, loss=loss,
            output_activation=output_activation, tied_weights=tied_weights,
            solver=solver, learning_rate=learning_rate,
            learning_rate_schedule=learning_rate_schedule, momentum=momentum,
            weight_decay=weight_decay, batch_size=batch_size, max_iter=max_iter,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, tol=tol, verbose=verbose,
            random_state=random_state)
        self.sparsity_target = sparsity_target
        self.sparsity_cost = sparsity_cost


class ContractiveAutoencoder(_BaseAutoencoder):
    __doc__ = """Contractive autoencoder (Rifai et al. 2011).

    An :class:`Autoencoder` whose loss adds ``contraction * ||J(x)||_F^2``,
    the squared Frobenius norm of the encoder's Jacobian, which makes the
    code insensitive to small input changes.  For an element-wise encoder
    ``h = f(x W + b)`` it is exactly ``sum_j f'(z_j)^2 sum_i W_ij^2``
    (``f' = h (1 - h)`` for logistic units), so the penalty and its
    gradient cost about one extra pass over the code layer.

    Parameters
    ----------
    n_components : int, default=256
    contraction : float, default=0.1
        Weight of the Jacobian penalty (Rifai et al. tune it in 0.01-1).""" + \
        _SHARED_DOC + """
    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdeepgen import ContractiveAutoencoder
    >>> X = load_digits().data / 16
    >>> cae = ContractiveAutoencoder(32, max_iter=3, random_state=0).fit(X)
    >>> cae.transform(X).shape
    (1797, 32)
    """

    _parameter_constraints = {**_BaseAutoencoder._parameter_constraints,
                              **_CONTRACTION}

    def __init__(self, n_components=256, *, contraction=0.1,
                 activation="logistic", loss="auto", output_activation="auto",
                 tied_weights=True, solver="sgd", learning_rate=0.01,
                 learning_rate_schedule="constant", momentum=0.9,
                 weight_decay=0.0, batch_size=20, max_iter=15,
                 early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, tol=1e-4, verbose=0, random_state=None):
        super().__init__(
            n_components, activation=activation, loss=loss,
            output_activation=output_activation, tied_weights=tied_weights,
            solver=solver, learning_rate=learning_rate,
            learning_rate_schedule=learning_rate_schedule, momentum=momentum,
            weight_decay=weight_decay, batch_size=batch_size, max_iter=max_iter,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, tol=tol, verbose=verbose,
            random_state=random_state)
        self.contraction = contraction


# ------------------------------------------------------------------ stacks
_AUTOENCODER_CONSTRAINT = {
    "autoencoder": [None, list, tuple, HasMethods(["fit", "transform"])]}


def default_sda_layer():
    """The default layer of :class:`StackedDenoisingAutoencoder` (and of
    :class:`SdAClassifier`'s pretraining): a fresh, unfitted instance."""
    return DenoisingAutoencoder(corruption_level=0.25, learning_rate=0.01,
                                momentum=0.9, batch_size=20, max_iter=10)


class StackedDenoisingAutoencoder(LayerStack):
    """Stacked denoising autoencoders, trained greedily layer by layer.

    Each :class:`DenoisingAutoencoder` learns to denoise the codes of the
    one below (Vincent et al. 2010), through the stacking module
    (:mod:`skdeepgen.stacking`) that also trains DBNs: the layers are
    ordinary estimators, so a stack may mix autoencoders and RBMs.

    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default=(1000, 1000, 1000)
        Code units of each layer, bottom to top (SdA-3 of Vincent et al.).
    autoencoder : layer estimator, list of them, or None, default=None
        Layer configuration: one estimator is a template cloned for every
        layer, a list gives one per layer (any estimator with
        ``encoder_layer``, e.g. a :class:`~skdeepgen.BernoulliRBM`).
        ``n_components`` and ``random_state`` are set by the stack.  None:
        ``DenoisingAutoencoder(corruption_level=0.25, learning_rate=0.01,
        momentum=0.9, batch_size=20, max_iter=10)`` for every layer
        (masking noise, tied weights, cross-entropy for data in [0, 1]).
    transform_layers : {"top", "all"}, default="top"
        ``transform`` returns the top layer's codes, or all layers' codes
        concatenated.
    verbose : int, default=0
        1: one line per layer; 2: also the layers' own epoch progress.
    random_state : int, RandomState instance or None, default=None
        Seeds every layer (bit-for-bit reproducible for a fixed value).

    Attributes
    ----------
    layers_ : list of fitted layer estimators, bottom to top.
    n_iter_ : list of int
        Epochs trained per layer.
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdeepgen import DenoisingAutoencoder, StackedDenoisingAutoencoder
    >>> X = load_digits().data / 16
    >>> sda = StackedDenoisingAutoencoder(
    ...     (32, 16), autoencoder=DenoisingAutoencoder(max_iter=2),
    ...     random_state=0).fit(X)
    >>> sda.transform(X).shape
    (1797, 16)
    """

    _parameter_constraints = {**LayerStack._parameter_constraints,
                              **_AUTOENCODER_CONSTRAINT}

    def __init__(self, hidden_layer_sizes=(1000, 1000, 1000), *, autoencoder=None,
                 transform_layers="top", verbose=0, random_state=None):
        super().__init__(hidden_layer_sizes, transform_layers=transform_layers,
                         verbose=verbose, random_state=random_state)
        self.autoencoder = autoencoder

    def _layer_templates(self, X, n_layers):
        if isinstance(self.autoencoder, (list, tuple)):
            return list(self.autoencoder)
        return [self.autoencoder or default_sda_layer()] * n_layers


class _SdAPretrained:
    """The stack of the SdA networks: a :class:`StackedDenoisingAutoencoder`."""

    def _make_stack(self, sizes, seed):
        return StackedDenoisingAutoencoder(sizes, autoencoder=self.autoencoder,
                                           verbose=self.verbose, random_state=seed)


class SdAClassifier(_SdAPretrained, StackClassifier):
    """Stacked denoising autoencoders + softmax output, fine-tuned by backprop.

    The greedy stack (see :class:`StackedDenoisingAutoencoder`) initialises
    a network ``n_features -> hidden_layer_sizes -> n_classes`` whose
    hidden layers are the autoencoders' encoders; a small softmax layer is
    added and everything is fine-tuned on the cross-entropy with minibatch
    SGD (Nesterov momentum) or Adam (Vincent et al. 2010).  The same
    machinery as :class:`~skdeepgen.DBNClassifier`, with autoencoder layers.

    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default=(1000, 1000, 1000)
    autoencoder : layer estimator, list of them, or None, default=None
        Pretraining configuration (see :class:`StackedDenoisingAutoencoder`).
    pretrain : bool or fitted StackedDenoisingAutoencoder, default=True
        False skips pretraining (an ablation); a fitted stack with matching
        sizes is copied instead of pretraining.
    solver : {"sgd", "adam"}, default="sgd"
    learning_rate : float, default=0.05
        Fine-tuning step size for the mean minibatch gradient.
    learning_rate_schedule : {"constant", "invscaling", "exponential", \
"linear"}, default="linear"
        ``"linear"`` decays to 0 over ``max_iter`` epochs.
    momentum : float, default=0.9
        Nesterov momentum (``solver="sgd"``).
    weight_decay : float, default=0.0
    batch_size : int, default=20
    max_iter : int, default=50
        Fine-tuning epochs.  The defaults (with the default stack) are the
        recipe measured in ``doc/results.md``, with hidden-unit dropout:
        1.13% test error on MNIST (60,000 training images; published SdA-3
        1.28%), 2.57% on the generated ``basic`` set and 2.01% on ``rect``
        (published 2.80% and 1.99%).  Without dropout (``dropout=0``, 30
        epochs) the same stack gave 3.05% on ``basic``.
    dropout : float, default=0.5
        Fine-tuning with dropout (Srivastava et al. 2014): the rate at which
        hidden units are zeroed in a minibatch (the others scaled up by
        ``1 / (1 - rate)``; prediction uses all).  It suits wide layers:
        a network of a few tens of units wants ``dropout=0``.
    input_dropout : float, default=0.0
        The same for the inputs.
    output_only_epochs : int, default=0
        Fine-tuning epochs, at the start, that train the softmax layer alone
        (see :class:`~skdeepgen.DBMClassifier`); 0: the figures above were
        measured without them.
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
    dbn_ : StackedDenoisingAutoencoder or None
        The pretrained stack, before fine-tuning (the attribute name is
        shared with :class:`~skdeepgen.DBNClassifier`; ``sda_`` is an alias).
    network_ : skdeepgen.nn.DenseNetwork
        The fine-tuned network (``coefs_`` / ``intercepts_``).
    n_iter_ : int
    best_epoch_ : int
    history_ : dict of lists

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdeepgen import DenoisingAutoencoder, SdAClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = SdAClassifier((64, 64), autoencoder=DenoisingAutoencoder(max_iter=5),
    ...                     dropout=0, batch_size=20, max_iter=10,
    ...                     random_state=0).fit(X[:1200] / 16, y[:1200])
    >>> clf.score(X[1200:] / 16, y[1200:]) > 0.85
    True
    """

    _parameter_constraints = {**StackClassifier._parameter_constraints,
                              **_AUTOENCODER_CONSTRAINT}

    def __init__(self, hidden_layer_sizes=(1000, 1000, 1000), *, autoencoder=None,
                 pretrain=True, solver="sgd", learning_rate=0.05,
                 learning_rate_schedule="linear", momentum=0.9, weight_decay=0.0,
                 batch_size=20, max_iter=50, dropout=0.5, input_dropout=0.0,
                 output_only_epochs=0,
                 early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=5, tol=1e-4, verbose=0,
                 random_state=None):
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
        self.autoencoder = autoencoder

    @property
    def sda_(self):
        return self.dbn_
