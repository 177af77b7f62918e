"""Shared estimator base: the fit / partial_fit skeleton used by every model.

``fit``: validate parameters and data once -> (optional) validation split ->
initialise parameters -> the one epoch loop (``_training.run_epochs``) ->
``n_iter_`` and ``history_``.  ``partial_fit``: one pass over the given
data, continuing the optimizer state.  Both are transactional: if they raise
(bad data, divergence) the estimator is restored to what it was; Ctrl-C
keeps the last completed epoch (see ``skdeepgen._training.loop``).

Subclasses implement a handful of hooks::

    ``_check_data(X, y, reset)``      validate -> (X, Y or None); unsupervised
                                      models implement ``_check_X(X, reset)``
    ``_initialize(X, rng)``           create learned parameters and the optimizer
    ``_training_data(X, Y)``          what the loop trains on (default: as is)
    ``_learned_params()``             dict name -> array (guard, early stopping)
    ``_fit_minibatch(Xb, Yb, seed)``  one update; may return a float loss
    ``_epoch_scores(X, Y, held_out)`` dict of monitoring metrics for history_
    ``_monitor`` / ``_monitor_greater_is_better``   which metric early-stops
    ``_divergence_hint``              what to lower when training diverges
"""
import copy
import functools
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, is_classifier
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ._training import LearningRateSchedule, make_optimizer, split_validation
from ._training.loop import restore_state, run_epochs, snapshot_state
from ._training.stream import ChunkStream, is_dask_array

__all__ = ["BaseMinibatchEstimator", "TransactionMixin", "transactional"]


class TransactionMixin:
    """``_transaction``: run a training call; if it raises, restore the state.

    The state is every instance attribute that is not a constructor
    parameter (fitted attributes, optimizer and chain state).  Used by
    :class:`BaseMinibatchEstimator` and, through :func:`transactional`, by
    estimators with their own ``fit`` (greedy stacks).
    """

    def _state_keys(self):
        params = set(self.get_params(deep=False))
        return [k for k in vars(self) if k not in params]

    def _snapshot(self):
        return snapshot_state(self, self._state_keys())

    def _restore(self, saved):
        restore_state(self, saved, self._state_keys())

    def _transaction(self, fn, *args, **kwargs):
        saved = self._snapshot()
        try:
            fn(*args, **kwargs)
        except BaseException:
            self._restore(saved)
            raise
        return self


def transactional(method):
    """Decorator for ``fit``-like methods of a :class:`TransactionMixin`:
    a call that raises (bad data, divergence, KeyboardInterrupt) leaves the
    estimator as it was.  The method must return ``self``."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        return self._transaction(method, self, *args, **kwargs)
    return wrapper


#: constraints of the optimizer parameters, for the estimators that have them
OPTIMIZER_CONSTRAINTS = {
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "learning_rate_schedule": [
        StrOptions({"constant", "invscaling", "exponential", "linear"})],
    "momentum": [Interval(Real, 0, 1, closed="left")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
}


class BaseMinibatchEstimator(TransactionMixin, BaseEstimator):
    """Base class for models trained by minibatch passes over the data.

    Owns the parameters of the epoch loop; subclasses declare their full
    signature (scikit-learn needs it) and hand these on with
    ``super().__init__(...)``.
    """

    _parameter_constraints = {
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(self, *, batch_size, early_stopping, validation_fraction,
                 n_iter_no_change, tol, verbose, random_state):
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state

    #: the parameter holding the number of epochs of ``fit``
    _epochs_param = "n_iter"
    #: history_ key used for early stopping, and its direction
    _monitor = "loss"
    _monitor_greater_is_better = False
    _divergence_hint = "Lower learning_rate."
    #: training rows scored each epoch when there is no validation set
    _n_monitor = 500

    # ------------------------------------------------------------------ API
    def fit(self, X, y=None):
        """Fit the model to ``X`` (``n_iter`` / ``max_iter`` epochs).

        Parameters
        ----------
        X : {array-like, sparse matrix, Dask array} of shape (n_samples, n_features)
            Training data.  A Dask array is streamed from where it lives
            (zarr, an ``.npy`` memmap, ...), one shuffled buffer of chunks
            at a time, so it need not fit in memory.
        y : None
            Ignored (unsupervised models).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._validate_params()
        if is_dask_array(X):
            return self._transaction(self._fit_stream, X, y)
        return self._transaction(self._fit_full, X, y)

    def partial_fit(self, X, y=None):
        """One pass over ``X`` in minibatches, continuing from the current state.

        Unlike scikit-learn's ``BernoulliRBM.partial_fit`` (which treats X as
        a single minibatch), ``X`` is split into minibatches of ``batch_size``
        so that chunks of any size can be streamed.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : None
            Ignored (unsupervised models).

        Returns
        -------
        self : object
            The updated estimator.
        """
        if not hasattr(self, "n_iter_"):
            self._validate_params()
        return self._transaction(self._fit_partial, X, y)

    def __getstate__(self):
        """Pickles and deep copies leave out scratch buffers (``_buffers``):
        they are not part of the model, and are rebuilt on first use."""
        state = dict(super().__getstate__())
        if "_buffers" in state:
            state["_buffers"] = {}
        return state

    # ------------------------------------------------------------ skeleton
    def _n_epochs(self):
        return int(getattr(self, self._epochs_param))

    def _reset_state(self):
        self._rng = check_random_state(self.random_state)
        # a private copy so that the caller's RandomState is not advanced
        # twice when the same object is reused
        if self._rng is self.random_state:
            self._rng = copy.deepcopy(self._rng)
        self.n_iter_ = 0
        self.history_ = {}

    def _make_optimizer(self, solver="sgd", schedule="constant", **kwargs):
        """The optimizer for ``learning_rate`` with a learning-rate
        ``schedule`` over the ``fit`` epochs; ``kwargs`` go to
        :func:`~skdeepgen._training.make_optimizer` (momentum, ...)."""
        return make_optimizer(
            solver, self.learning_rate,
            schedule=LearningRateSchedule(schedule, n_epochs=max(self._n_epochs(), 1)),
            **kwargs)

    def _fit_full(self, X, y=None):
        X, Y = self._check_data(X, y, reset=True)
        self._reset_state()
        rng = self._rng
        X_val = Y_val = None
        if self.early_stopping:
            train, val = split_validation(X.shape[0], self.validation_fraction, rng,
                                          stratify=self._stratify(Y))
            X, X_val = X[train], X[val]
            if Y is not None:
                Y, Y_val = Y[train], Y[val]
        self._initialize(X, rng)
        X, Y = self._training_data(X, Y)
        if X_val is not None:
            X_val, Y_val = self._training_data(X_val, Y_val)
        run_epochs(self, X, Y, self._n_epochs(), rng, X_val, Y_val)

    def _fit_stream(self, X, y=None):
        """``fit`` from a Dask array: epochs stream shuffled buffers of rows
        (:class:`~skdeepgen._training.stream.ChunkStream`), so only one
        buffer is in memory at a time."""
        if self.early_stopping:
            raise ValueError(
                "early_stopping=True needs a validation split held in memory; "
                "with a Dask array X, set early_stopping=False (and score a "
                "held-out set yourself), or fit from an in-memory array")
        y = None if y is None else np.asarray(y)  # labels are small: compute them
        stream = ChunkStream(X, y)
        X0, Y0 = stream.head()
        kwargs = {"classes": np.unique(y)} if is_classifier(self) else {}
        X0, _ = self._check_data(X0, Y0, reset=True, **kwargs)
        self._reset_state()
        self._initialize_from_stream(X, X0, self._rng)
        stream.prepare = lambda Xb, Yb: self._training_data(
            *self._check_data(Xb, Yb, reset=False))
        del X0, Y0  # the stream keeps the raw first buffer for the loop's monitoring rows
        run_epochs(self, stream, None, self._n_epochs(), self._rng)

    def _initialize_from_stream(self, X, X0, rng):
        """``_initialize`` for a streamed fit: ``X`` is the Dask array, ``X0``
        its first buffer, validated (enough to size and initialise most
        models)."""
        self._initialize(X0, rng)

    def _fit_partial(self, X, y=None, **check_kwargs):
        first = not hasattr(self, "n_iter_")
        X, Y = self._check_data(X, y, reset=first, **check_kwargs)
        if first:
            self._reset_state()
            self._initialize(X, self._rng)
        X, Y = self._training_data(X, Y)
        run_epochs(self, X, Y, 1, self._rng)

    @staticmethod
    def _rows(X, idx):
        if sp.issparse(X):
            return X[idx]
        # take: a C-contiguous copy, faster than fancy indexing + a copy
        return np.ascontiguousarray(X.take(idx, axis=0) if isinstance(idx, np.ndarray)
                                    else X[idx])

    # --------------------------------------------------------------- hooks
    def _check_data(self, X, y, reset):
        return self._check_X(X, reset), None

    def _check_X(self, X, reset):  # pragma: no cover - abstract
        raise NotImplementedError

    def _stratify(self, Y):
        return None

    def _initialize(self, X, rng):  # pragma: no cover - abstract
        raise NotImplementedError

    def _training_data(self, X, Y):
        return X, Y

    def _learned_params(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit_minibatch(self, Xb, Yb, seed):  # pragma: no cover - abstract
        raise NotImplementedError

    def _epoch_scores(self, X, Y, held_out):
        return {}
