"""Contracts that every public estimator keeps, beyond scikit-learn's checks.

Parametrized over the one list ``tests/_estimators.py``: bit-for-bit
reproducibility, float32 kept, pickle and clone, a failed refit leaves the
model as it was, Ctrl-C keeps the last completed epoch, divergence raises
with advice, and pandas in and out (feature names, ``set_output``).
"""
import copy
import pickle
import warnings
from numbers import Number

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils.validation import check_is_fitted

from skdeepgen._training import DivergenceError, TrainingInterrupted

from ._estimators import CASES, two_classes

_ALL = pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
_TRANSFORMERS = pytest.mark.parametrize(
    "case", [c for c in CASES if c.is_transformer], ids=lambda c: c.id)
_EPOCH_LOOPS = pytest.mark.parametrize(
    "case", [c for c in CASES if c.epochs is not None], ids=lambda c: c.id)
_STACKS = pytest.mark.parametrize(
    "case", [c for c in CASES if c.stack], ids=lambda c: c.id)


# ------------------------------------------------------------------ helpers
def _fit(est, X, y):
    return est.fit(X) if y is None else est.fit(X, y)


def _partial_fit(est, X, y):
    if y is None:
        return est.partial_fit(X)
    return est.partial_fit(X, y, classes=np.unique(y))


def _fitted(case, X=None, y=None, **params):
    if X is None:
        X, y = case.data()
    return _fit(clone(case.estimator).set_params(**params), X, y)


def _outputs(est, X):
    """Every output method's result on ``X`` (name -> array)."""
    out = {}
    for name in ("transform", "predict_proba", "predict"):
        if hasattr(est, name):
            out[name] = np.asarray(getattr(est, name)(X))
    if "transform" in out and hasattr(est, "inverse_transform"):
        out["inverse_transform"] = np.asarray(est.inverse_transform(out["transform"]))
    return out


def _fitted_state(value, path="", out=None):
    """path -> value of every public fitted attribute (``name_``),
    recursively through nested estimators (layers), networks, lists and
    dicts; ``history_`` timings (``seconds``) are left out."""
    out = {} if out is None else out
    if isinstance(value, BaseEstimator):
        for k, v in vars(value).items():
            if k.endswith("_") and not k.startswith("_"):
                _fitted_state(v, f"{path}.{k}", out)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k != "seconds":
                _fitted_state(v, f"{path}[{k!r}]", out)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _fitted_state(v, f"{path}[{i}]", out)
    elif isinstance(value, np.random.RandomState):
        out[path] = value.get_state(legacy=False)["state"]["key"]
    elif (isinstance(value, (np.ndarray, np.generic, Number, str, type(None)))
          or sp.issparse(value) or not hasattr(value, "__dict__")):
        out[path] = value
    else:  # a network or another plain object: its public attributes
        for k, v in vars(value).items():
            if not k.startswith("_"):
                _fitted_state(v, f"{path}.{k}", out)
    return out


def _assert_identical(a, b, what):
    if sp.issparse(a):
        a, b = a.toarray(), b.toarray()
    if isinstance(a, (np.ndarray, np.generic)):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape, (
            f"{what}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}")
        if a.dtype == object:
            assert np.array_equal(a, b), what
        else:
            assert a.tobytes() == b.tobytes(), f"{what} differs"
    elif isinstance(a, float) and isinstance(b, float) and np.isnan(a):
        assert np.isnan(b), what
    else:
        assert type(a) is type(b) and a == b, f"{what}: {a!r} != {b!r}"


def assert_same_model(a, b, X, what=""):
    """Same fitted state (bit for bit) and same outputs on ``X``."""
    sa, sb = _fitted_state(a), _fitted_state(b)
    assert sa.keys() == sb.keys(), f"{what}fitted attributes differ: " \
        f"{sorted(sa.keys() ^ sb.keys())}"
    for k in sa:
        _assert_identical(sa[k], sb[k], f"{what}{type(a).__name__}{k}")
    oa, ob = _outputs(a, X), _outputs(b, X)
    for k in oa:
        _assert_identical(oa[k], ob[k], f"{what}{type(a).__name__}.{k}(X)")


def assert_unfitted(est):
    """Only the constructor parameters, no fitted or private state."""
    extra = set(vars(est)) - set(est.get_params(deep=False))
    assert not extra, f"left behind: {sorted(extra)}"
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


def assert_unchanged(est, before, X):
    """``est`` is as ``before`` (a deep copy taken earlier): same attribute
    names, same fitted state bit for bit, same outputs."""
    assert set(vars(est)) == set(vars(before)), (
        f"attributes changed: {sorted(set(vars(est)) ^ set(vars(before)))}")
    assert_same_model(est, before, X)


def _params(est):
    """Constructor parameters, nested estimators as (class, their params)."""
    def norm(v):
        if isinstance(v, BaseEstimator):
            return type(v), _params(v)
        if isinstance(v, (list, tuple)):
            return type(v), [norm(x) for x in v]
        return v
    return {k: norm(v) for k, v in est.get_params(deep=False).items()}


class _MinibatchHook:
    """Wraps ``_fit_minibatch`` of the given classes: counts the calls,
    keeps a deep copy of the estimator as it is when call number
    ``snapshot_at`` starts, and raises KeyboardInterrupt (Ctrl-C) on call
    number ``interrupt_at``."""

    def __init__(self, monkeypatch, classes, interrupt_at=None, snapshot_at=None):
        self.calls = 0
        self.interrupt_at = interrupt_at
        self.snapshot_at = snapshot_at
        self.snapshot = None
        for cls in classes:
            assert hasattr(cls, "_fit_minibatch"), (
                f"{cls.__name__} has no _fit_minibatch hook")
            monkeypatch.setattr(cls, "_fit_minibatch",
                                self._wrap(cls._fit_minibatch))

    def _wrap(self, original):
        def _fit_minibatch(est, *args, **kwargs):
            self.calls += 1
            if self.calls == self.snapshot_at:
                self.snapshot = copy.deepcopy(est)
            if self.calls == self.interrupt_at:
                raise KeyboardInterrupt
            return original(est, *args, **kwargs)
        return _fit_minibatch


def _as_frame(X):
    return pd.DataFrame(X, columns=[f"col_{j}" for j in range(X.shape[1])])


# --------------------------------------------------------------- contracts
@_ALL
def test_parameter_constraints_name_every_parameter(case):
    est = case.estimator
    assert set(est._parameter_constraints) == set(est.get_params(deep=False))


@_ALL
def test_fit_is_reproducible_bit_for_bit(case):
    X, y = case.data()
    a = _fitted(case, X, y)
    b = _fitted(case, X, y)
    assert_same_model(a, b, X)
    before = copy.deepcopy(a)
    _fit(a, X, y)  # a refit starts afresh from random_state
    assert_same_model(a, before, X, "refit: ")


@_ALL
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(case, dtype):
    X, y = case.data(dtype=dtype)
    est = _fitted(case, X, y)
    wrong = {k: v.dtype for k, v in _fitted_state(est).items()
             if isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.dtype != dtype}
    wrong.update({f".{k}(X)": v.dtype for k, v in _outputs(est, X).items()
                  if v.dtype.kind == "f" and v.dtype != dtype})
    assert not wrong, f"{dtype.__name__} in, but {wrong}"


@_ALL
def test_pickle_and_clone(case):
    X, y = case.data()
    est = _fitted(case, X, y)
    assert_same_model(pickle.loads(pickle.dumps(est)), est, X, "unpickled: ")
    fresh = clone(est)
    assert_unfitted(fresh)
    assert _params(fresh) == _params(est)


@_ALL
def test_failed_refit_leaves_the_model_as_it_was(case):
    X, y = case.data()
    est = _fitted(case, X, y)
    before = copy.deepcopy(est)
    bad = _as_frame(X)  # feature names would be new, and
    bad.iloc[0, 0] = np.inf  # Inf is invalid for every estimator
    with pytest.raises(ValueError):
        _fit(est, bad, y)
    assert_unchanged(est, before, X)
    if hasattr(est, "partial_fit"):
        with pytest.raises(ValueError):
            _partial_fit(est, X[:, 1:], y)  # one feature short
        assert_unchanged(est, before, X)


@_EPOCH_LOOPS
def test_interrupt_keeps_the_last_completed_epoch(case, monkeypatch):
    """Ctrl-C in epoch k + 1 keeps the model as it was at the end of epoch k
    (bit for bit), and warns.

    The reference is the same fit, uninterrupted, seen as the first
    minibatch of epoch k + 1 starts (rather than a fit of k epochs: a
    learning-rate schedule such as "linear" depends on the number of
    epochs asked for).  With a constant schedule the two agree, which is
    checked too.
    """
    X, y = case.data()
    k, n_epochs = 2, 4
    own = [type(case.estimator)]
    params = {case.epochs: n_epochs}
    counter = _MinibatchHook(monkeypatch, own)
    _fitted(case, X, y, **params)
    per_epoch = counter.calls // n_epochs
    assert per_epoch * n_epochs == counter.calls
    monkeypatch.undo()
    ref = _MinibatchHook(monkeypatch, own, snapshot_at=k * per_epoch + 1)
    _fitted(case, X, y, **params)
    expected = ref.snapshot
    monkeypatch.undo()
    _MinibatchHook(monkeypatch, own,
                   interrupt_at=k * per_epoch + per_epoch // 2 + 1)
    est = clone(case.estimator).set_params(**params)
    with pytest.warns(TrainingInterrupted, match=f"{k} epoch"):
        assert _fit(est, X, y) is est
    check_is_fitted(est)
    assert est.n_iter_ == k
    assert len(est.history_["epoch"]) == k
    assert_same_model(est, expected, X)
    if est.get_params().get("learning_rate_schedule", "constant") == "constant":
        _MinibatchHook(monkeypatch, own)  # the same code path
        assert_same_model(est, _fitted(case, X, y, **{case.epochs: k}), X,
                          f"fit with {case.epochs}={k}: ")


@_EPOCH_LOOPS
def test_interrupt_before_an_epoch_completed_reraises(case, monkeypatch):
    X, y = case.data()
    est = clone(case.estimator)
    hook = _MinibatchHook(monkeypatch, [type(est)], interrupt_at=1)
    with pytest.raises(KeyboardInterrupt):
        _fit(est, X, y)
    assert_unfitted(est)
    if hasattr(est, "partial_fit"):  # in its last minibatch
        monkeypatch.undo()
        counter = _MinibatchHook(monkeypatch, [type(est)])
        _fit(est, X, y)
        per_epoch = counter.calls // est.n_iter_
        before = copy.deepcopy(est)
        monkeypatch.undo()
        hook = _MinibatchHook(monkeypatch, [type(est)], interrupt_at=per_epoch)
        with pytest.raises(KeyboardInterrupt):
            _partial_fit(est, X, y)
        assert hook.calls == per_epoch
        assert_unchanged(est, before, X)


@_STACKS
def test_interrupt_in_a_layer_cancels_the_whole_call(case, monkeypatch):
    """Greedy layer-wise training (a DBN, or the pretraining of a fine-tuned
    network): an interrupt after the first layer completed propagates and
    leaves the estimator as before the call."""
    X, y = case.data()
    layers = case.layer_classes()
    counter = _MinibatchHook(monkeypatch, layers)
    est = _fitted(case, X, y)
    n_layer_calls = counter.calls
    before = copy.deepcopy(est)
    monkeypatch.undo()
    _MinibatchHook(monkeypatch, layers, interrupt_at=n_layer_calls - 1)
    with pytest.raises(KeyboardInterrupt):
        _fit(est, X, y)
    assert_unchanged(est, before, X)
    fresh = clone(case.estimator)
    _MinibatchHook(monkeypatch, layers, interrupt_at=n_layer_calls - 1)
    with pytest.raises(KeyboardInterrupt):
        _fit(fresh, X, y)
    assert_unfitted(fresh)


@_ALL
def test_divergence_raises_with_advice(case):
    if case.diverge is None:
        pytest.skip(f"{case.id} cannot diverge: {case.no_divergence}")
    X, y = case.data()
    est = clone(case.estimator).set_params(**case.diverge)
    hint = "|".join(name.split("__")[-1] for name in case.diverge)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(DivergenceError, match=f"Lower ({hint})"):
            _fit(est, X, y)
        assert_unfitted(est)
        est = _fitted(case, X, y)
        before = copy.deepcopy(est)
        with pytest.raises(DivergenceError, match=f"Lower ({hint})"):
            _fit(est.set_params(**case.diverge), X, y)
    assert_unchanged(est, before, X)


# -------------------------------------------------------- pandas in and out
@_TRANSFORMERS
def test_get_feature_names_out(case):
    X, y = case.data()
    est = _fitted(case, X, y)
    names = est.get_feature_names_out()
    assert len(names) == est.transform(X).shape[1]
    assert all(isinstance(n, str) for n in names) and len(set(names)) == len(names)


@_TRANSFORMERS
def test_set_output_pandas(case):
    X, y = case.data()
    X_df = _as_frame(X).set_index(pd.RangeIndex(100, 100 + len(X)))
    est = clone(case.estimator).set_output(transform="pandas")
    _fit(est, X_df, y)
    Xt = est.transform(X_df)
    assert isinstance(Xt, pd.DataFrame)
    assert list(Xt.columns) == list(est.get_feature_names_out())
    assert list(Xt.index) == list(X_df.index)


@_TRANSFORMERS
def test_in_a_pandas_output_pipeline(case):
    """``make_pipeline(est, LogisticRegression()).set_output(transform=
    "pandas")`` fits and predicts, as with scikit-learn's BernoulliRBM."""
    X, _ = case.data()
    y = two_classes(X)
    pipe = make_pipeline(clone(case.estimator), LogisticRegression())
    pipe.set_output(transform="pandas").fit(X, y)
    assert pipe.predict(X).shape == y.shape


@_ALL
def test_dataframe_input_gives_no_feature_name_warnings(case):
    X, y = case.data()
    X_df = _as_frame(X)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*feature names",
                                category=UserWarning)
        est = _fitted(case, X_df, y)
        assert list(est.feature_names_in_) == list(X_df.columns)
        _outputs(est, X_df)
