"""The one epoch loop, shared by every minibatch estimator.

Unsupervised models (RBMs, sparse coding) and supervised networks
(fine-tuned DBNs, deep autoencoders) run the same loop: per epoch, the
learning-rate schedule, one kernel seed per minibatch, a fresh shuffle, the
estimator's ``_fit_minibatch(Xb, Yb, seed)`` hook (``Yb`` is None when there
are no targets), the divergence guard, monitoring on a validation split or
on a sample of training rows, progress/history, and early stopping with the
best state restored at the end.

Ctrl-C (KeyboardInterrupt) stops after the last completed epoch: the epoch
in progress is rolled back, the estimator stays fitted with ``n_iter_`` and
``history_`` consistent, and a :class:`TrainingInterrupted` warning says how
many epochs ran.  An interrupt before any epoch of the call completed, or
inside a greedy stack (:func:`nested_training`), is re-raised so that the
surrounding transaction restores the previous state.
"""
import contextlib
import contextvars
import copy
import time
import warnings

import numpy as np

from .early_stopping import EarlyStopping
from .guard import check_finite_loss, check_finite_params
from .minibatch import iter_minibatches, n_minibatches
from .progress import Progress, compile_timer
from .random import draw_seeds
from .stream import ChunkStream

__all__ = ["run_epochs", "nested_training", "TrainingInterrupted"]

_NESTED = contextvars.ContextVar("skdeepgen_nested_training", default=0)


class TrainingInterrupted(UserWarning):
    """A fit was interrupted (Ctrl-C); the last completed epoch was kept."""


@contextlib.contextmanager
def nested_training():
    """Training calls inside this block are parts of a larger fit (the layers
    of a greedy stack): an interrupt there cancels the whole call instead of
    keeping a partly trained layer."""
    token = _NESTED.set(_NESTED.get() + 1)
    try:
        yield
    finally:
        _NESTED.reset(token)


def _take(A, idx):
    return None if A is None else A[idx]


def monitor_rows(X, Y, n_monitor, rng):
    """Up to ``n_monitor`` training rows (all when fewer) for per-epoch scores;
    None when ``n_monitor`` is 0 (the estimator has no training-set scores)."""
    n = X.shape[0]
    if not n_monitor:
        return None, None
    if n <= n_monitor:
        return X, Y
    rows = np.sort(rng.choice(n, n_monitor, replace=False))
    return X[rows], _take(Y, rows)


def run_epochs(est, X, Y, n_epochs, rng, X_val=None, Y_val=None):
    """Train ``est`` for ``n_epochs`` passes over ``(X, Y)``.

    ``est`` provides ``batch_size``, ``verbose``, ``n_iter_no_change``,
    ``tol``, ``n_iter_``, ``history_``, an optional ``_optimizer`` (its
    schedule is advanced per epoch), and the hooks ``_rows(X, idx)``,
    ``_fit_minibatch(Xb, Yb, seed)`` (may return a float loss),
    ``_learned_params()`` (name -> array), ``_epoch_scores(X, Y, held_out)``
    (dict), ``_monitor`` / ``_monitor_greater_is_better``, ``_n_monitor``
    and ``_divergence_hint``.  With a validation set (``X_val``) the scores
    are recorded as ``val_*`` and early stopping restores the best epoch's
    parameters (``est.best_epoch_``).
    """
    if X_val is not None:
        X_mon, Y_mon = X_val, Y_val
    elif isinstance(X, ChunkStream):  # monitor rows of the first buffer
        X_mon, Y_mon = monitor_rows(*X.prepare(*X.take_head()), est._n_monitor, rng)
    else:
        X_mon, Y_mon = monitor_rows(X, Y, est._n_monitor, rng)
    progress = Progress(type(est).__name__, est.verbose, est.n_iter_ + n_epochs,
                        history=est.history_, start=est.n_iter_)
    stopper = None
    if X_val is not None:
        stopper = EarlyStopping(est.n_iter_no_change, est.tol,
                                est._monitor_greater_is_better)
    done = 0
    for _ in range(n_epochs):
        snapshot = est._snapshot()
        try:
            with compile_timer() as compiling:
                record = _one_epoch(est, X, Y, X_mon, Y_mon, X_val is not None, rng)
        except KeyboardInterrupt:
            if done == 0 or _NESTED.get() > 0:
                raise
            est._restore(snapshot)
            warnings.warn(
                f"{type(est).__name__} training was interrupted; the model "
                f"after epoch {est.n_iter_} is kept ({done} epoch(s) of this "
                "call completed, the interrupted one was discarded).",
                TrainingInterrupted, stacklevel=4)
            stopper = None  # keep the last epoch, not the best one
            break
        done += 1
        progress.record(compiling.seconds, **record)
        if stopper is not None:
            key = "val_" + est._monitor
            if stopper.update(record[key], est.n_iter_, est._learned_params()):
                progress.message(
                    f"early stopping: no improvement of {key} for "
                    f"{est.n_iter_no_change} epochs; best epoch {stopper.best_epoch}")
                break
    if stopper is not None and stopper.best_state is not None:
        params = est._learned_params()
        for name, value in stopper.best_state.items():
            params[name][...] = value
        est.best_epoch_ = stopper.best_epoch
    return done


def _one_epoch(est, X, Y, X_mon, Y_mon, held_out, rng):
    t0 = time.perf_counter()
    optimizer = getattr(est, "_optimizer", None)
    if optimizer is not None:
        optimizer.start_epoch(est.n_iter_)
    total, count = 0.0, 0
    buffers = X.buffers(rng) if isinstance(X, ChunkStream) else iter([(X, Y)])
    buffer = next(buffers, None)
    while buffer is not None:
        t, c = _one_pass(est, *buffer, rng)
        total, count = total + t, count + c
        del buffer  # let the stream free it before it reads the next
        buffer = next(buffers, None)
    epoch = est.n_iter_ + 1
    hint = est._divergence_hint
    record = {"epoch": epoch}
    if count:
        record["loss"] = total / count
        check_finite_loss(est, record["loss"], epoch, hint)
    check_finite_params(est, est._learned_params(), epoch, hint)
    if X_mon is not None:
        scores = est._epoch_scores(X_mon, Y_mon, held_out)
        prefix = "val_" if held_out else ""
        record.update({prefix + k: v for k, v in scores.items()})
    est.n_iter_ = epoch
    record["seconds"] = time.perf_counter() - t0
    return record


def _one_pass(est, X, Y, rng):
    """Shuffled minibatch updates over the rows of ``(X, Y)``; (loss sum, count)."""
    n = X.shape[0]
    seeds = draw_seeds(rng, n_minibatches(n, est.batch_size))
    total, count = 0.0, 0
    # overflow on the way to NaN/Inf is reported by the divergence guard
    with np.errstate(over="ignore", invalid="ignore"):
        for b, idx in enumerate(iter_minibatches(n, est.batch_size, rng)):
            loss = est._fit_minibatch(est._rows(X, idx), _take(Y, idx), seeds[b])
            if loss is not None:
                total += loss
                count += 1
    return total, count


def snapshot_state(obj, keys):
    """Deep copies of ``obj``'s attributes ``keys`` (see ``restore_state``)."""
    return {k: copy.deepcopy(getattr(obj, k)) for k in keys}


def restore_state(obj, saved, keys):
    """Put back a :func:`snapshot_state`; attributes created since are removed."""
    for k in keys:
        if k not in saved:
            delattr(obj, k)
    for k, v in saved.items():
        setattr(obj, k, v)
