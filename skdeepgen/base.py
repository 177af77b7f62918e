"""Shared estimator base: the fit / partial_fit skeleton used by every model.

``fit``: validate parameters and data once -> (optional) validation split ->
initialise parameters -> epoch loop over shuffled minibatches -> ``n_iter_``
and ``history_``.  ``partial_fit``: one pass over the given data, continuing
the optimizer state.  Both are transactional: if they raise (bad data,
divergence, KeyboardInterrupt) the estimator is restored to what it was.

Subclasses implement a handful of hooks:

``_check_X(X, reset)``            validate data (scikit-learn helpers) -> array
``_initialize(X, rng)``           create learned parameters and the optimizer
``_learned_params()``             dict name -> array (guard, early stopping)
``_fit_minibatch(Xb, seed)``      one update; may return a float loss
``_epoch_scores(X_monitor)``      dict of monitoring metrics for history_
``_monitor`` / ``_monitor_greater_is_better``   which metric early-stops
``_divergence_hint``              what to lower when training diverges
"""
import copy
import functools
import time
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ._training import (EarlyStopping, Progress, check_finite_params,
                        draw_seeds, iter_minibatches, n_minibatches,
                        split_validation, LearningRateSchedule)
from ._training.guard import check_finite_loss

__all__ = ["BaseMinibatchEstimator"]


class TransactionMixin:
    """``_transaction``: run a training call; if it raises, restore the state.

    The state is every instance attribute that is not a constructor
    parameter (fitted attributes, optimizer and chain state).  Used by
    :class:`BaseMinibatchEstimator` and, through :func:`transactional`, by
    estimators with their own ``fit`` (DBNs, deep autoencoders).
    """

    def _state_keys(self):
        params = set(self.get_params(deep=False))
        return [k for k in vars(self) if k not in params]

    def _transaction(self, fn, *args):
        saved = {k: copy.deepcopy(getattr(self, k)) for k in self._state_keys()}
        try:
            fn(*args)
        except BaseException:
            for k in self._state_keys():
                if k not in saved:
                    delattr(self, k)
            for k, v in saved.items():
                setattr(self, k, v)
            raise
        return self


def transactional(method):
    """Decorator for ``fit``-like methods of a :class:`TransactionMixin`:
    a call that raises (bad data, divergence, KeyboardInterrupt) leaves the
    estimator as it was.  The method must return ``self``."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        return self._transaction(functools.partial(method, self, *args, **kwargs))
    return wrapper


class BaseMinibatchEstimator(TransactionMixin, BaseEstimator):
    """Base class for models trained by minibatch passes over the data."""

    _parameter_constraints = {
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate_schedule": [
            StrOptions({"constant", "invscaling", "exponential", "linear"})],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    #: history_ key used for early stopping, and its direction
    _monitor = "loss"
    _monitor_greater_is_better = False
    _divergence_hint = "Lower learning_rate."
    #: how many training rows to monitor each epoch when there is no
    #: validation set
    _n_monitor = 500

    # ------------------------------------------------------------------ API
    def fit(self, X, y=None):
        """Fit the model to ``X`` (``n_iter`` / ``max_iter`` epochs).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        return self._transaction(self._fit_full, X, y)

    def partial_fit(self, X, y=None):
        """One pass over ``X`` in minibatches, continuing from the current state.

        Unlike scikit-learn's ``BernoulliRBM.partial_fit`` (which treats X as
        a single minibatch), ``X`` is split into minibatches of ``batch_size``
        so that chunks of any size can be streamed.
        """
        if not hasattr(self, "n_iter_"):
            self._validate_params()
        return self._transaction(self._fit_partial, X, y)

    # ------------------------------------------------------------ skeleton
    def _n_epochs(self):
        for name in ("n_iter", "max_iter"):
            if hasattr(self, name):
                return int(getattr(self, name))
        raise AttributeError("estimator defines neither n_iter nor max_iter")

    def _reset_state(self):
        self._rng = check_random_state(self.random_state)
        # a private copy so that the caller's RandomState is not advanced
        # twice when the same object is reused
        if self._rng is self.random_state:
            self._rng = copy.deepcopy(self._rng)
        self.n_iter_ = 0
        self.history_ = {}

    def _make_schedule(self):
        return LearningRateSchedule(
            getattr(self, "learning_rate_schedule", "constant"),
            n_epochs=self._n_epochs())

    def _fit_full(self, X, y=None):
        X = self._check_X(X, reset=True)
        self._reset_state()
        rng = self._rng
        X_val = None
        if getattr(self, "early_stopping", False):
            train, val = split_validation(X.shape[0], self.validation_fraction, rng)
            X, X_val = X[train], X[val]
        self._initialize(X, rng)
        self._run_epochs(X, X_val, self._n_epochs(), y_is_none=y is None)

    def _fit_partial(self, X, y=None):
        first = not hasattr(self, "n_iter_")
        X = self._check_X(X, reset=first)
        if first:
            self._reset_state()
            self._initialize(X, self._rng)
        self._run_epochs(X, None, 1, y_is_none=y is None)

    def _monitor_rows(self, X, X_val, rng):
        if X_val is not None:
            return X_val
        n = X.shape[0]
        if n <= self._n_monitor:
            return X
        return X[np.sort(rng.choice(n, self._n_monitor, replace=False))]

    def _run_epochs(self, X, X_val, n_epochs, y_is_none=True):
        rng = self._rng
        n = X.shape[0]
        X_monitor = self._monitor_rows(X, X_val, rng)
        progress = Progress(type(self).__name__, getattr(self, "verbose", 0),
                            self.n_iter_ + n_epochs, history=self.history_)
        progress._done = self.n_iter_
        stopper = None
        if X_val is not None:
            stopper = EarlyStopping(self.n_iter_no_change, self.tol,
                                    self._monitor_greater_is_better)
        optimizer = getattr(self, "_optimizer", None)
        for _ in range(n_epochs):
            t0 = time.perf_counter()
            if optimizer is not None:
                optimizer.start_epoch(self.n_iter_)
            seeds = draw_seeds(rng, n_minibatches(n, self.batch_size))
            total, count = 0.0, 0
            for b, idx in enumerate(iter_minibatches(n, self.batch_size, rng)):
                loss = self._fit_minibatch(self._rows(X, idx), seeds[b])
                if loss is not None:
                    total += loss
                    count += 1
            epoch = self.n_iter_ + 1
            check_finite_params(self, self._learned_params(), epoch,
                                self._divergence_hint)
            record = {"epoch": epoch}
            if count:
                record["loss"] = total / count
                check_finite_loss(self, record["loss"], epoch, self._divergence_hint)
            scores = self._epoch_scores(X_monitor)
            if X_val is not None:
                scores = {("val_" + k if k != "epoch" else k): v
                          for k, v in scores.items()}
            record.update(scores)
            self.n_iter_ = epoch
            record["seconds"] = time.perf_counter() - t0
            progress.record(**record)
            if stopper is not None:
                key = "val_" + self._monitor
                if stopper.update(record[key], epoch, self._learned_params()):
                    progress.message(
                        f"early stopping: no improvement of {key} for "
                        f"{self.n_iter_no_change} epochs; best epoch "
                        f"{stopper.best_epoch}")
                    break
        if stopper is not None and stopper.best_state is not None:
            for name, value in stopper.best_state.items():
                getattr(self, name)[...] = value
            self.best_epoch_ = stopper.best_epoch

    @staticmethod
    def _rows(X, idx):
        rows = X[idx]
        if sp.issparse(rows):
            return rows
        return np.ascontiguousarray(rows)

    # --------------------------------------------------------------- hooks
    def _check_X(self, X, reset):  # pragma: no cover - abstract
        raise NotImplementedError

    def _initialize(self, X, rng):  # pragma: no cover - abstract
        raise NotImplementedError

    def _learned_params(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _fit_minibatch(self, X, seed):  # pragma: no cover - abstract
        raise NotImplementedError

    def _epoch_scores(self, X_monitor):
        return {}
