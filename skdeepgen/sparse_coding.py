"""Sparse coding: online dictionary learning and predictive sparse decomposition.

Objective (atoms are the rows of ``components_``, unit norm)::

    1/n sum_i  1/2 ||x_i - D.T a_i||^2 + alpha ||a_i||_1

* codes: an exact active-set Lasso solver on the Gram matrix
  (:func:`sparse_encode`, kernel ``skdeepgen._kernels.lasso``), threaded
  over rows;
* dictionary: block-coordinate descent on the running sufficient statistics
  ``A = sum a a.T``, ``B = sum a x.T`` (online dictionary learning, Mairal,
  Bach, Ponce & Sapiro 2009), so that ``fit`` is minibatch passes and
  ``partial_fit`` streams;
* :class:`PredictiveSparseDecomposition` adds a feed-forward encoder
  ``g * tanh(W x + b)`` trained to predict the codes (Kavukcuoglu, Ranzato &
  LeCun 2008) for fast inference.
"""
import math
import os
from numbers import Integral, Real

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from ._kernels._config import parallel_threads
from ._kernels.lasso import (_code_statistics, _solve_lasso_gram,
                             _solve_lasso_gram_parallel, _update_dict)
from .base import BaseMinibatchEstimator

__all__ = ["sparse_encode", "SparseCoder", "PredictiveSparseDecomposition"]


# ----------------------------------------------------------------- encoding
def _n_threads(n_jobs, n_rows, min_rows=64):
    if n_jobs is None:
        n_jobs = 1
    elif n_jobs < 0:
        n_jobs = max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return int(max(1, min(n_jobs, n_rows // min_rows)))


def _solve_rows(G, C, alpha, A, max_iter, tol, positive, n_jobs):
    """Run the Lasso kernel over the rows of C, in blocks on Numba's threads."""
    threads = parallel_threads(_n_threads(n_jobs, C.shape[0]))
    if threads > 1:
        return _solve_lasso_gram_parallel(G, C, alpha, A, max_iter, tol,
                                          positive, threads)
    return _solve_lasso_gram(G, C, alpha, A, max_iter, tol, positive)


def _kkt_tol(tol, alpha, C):
    """Absolute KKT tolerance: ``tol * alpha`` (``tol * max|c|`` if alpha=0)."""
    scale = alpha if alpha > 0 else float(np.max(np.abs(C), initial=0.0))
    return float(tol) * max(scale, np.finfo(np.float64).tiny)


def sparse_encode(X, dictionary, *, alpha=1.0, positive=False, init=None,
                  max_iter=1000, tol=1e-6, n_jobs=None, gram=None, cov=None):
    """Lasso codes of the rows of ``X`` on a dictionary (atoms as rows).

    Solves ``min_a 1/2 ||x - dictionary.T a||^2 + alpha ||a||_1`` for every
    row ``x`` (``a >= 0`` if ``positive``) with an exact active-set method
    on the Gram matrix (feature-sign search, falling back to coordinate
    descent on degenerate rows), stopped when the largest violation of the
    KKT conditions is below ``tol * alpha``.

    Note the scaling: scikit-learn's ``Lasso`` divides the squared error by
    ``n_features``, so ``Lasso(alpha=alpha / n_features)`` solves the same
    problem.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        Samples to encode, one row each.
    dictionary : ndarray of shape (n_components, n_features)
        Atoms in rows (e.g. a fitted ``components_``).
    alpha : float >= 0
        Weight of the L1 penalty: larger values give sparser codes.
    positive : bool, default=False
        Non-negative codes.
    init : ndarray of shape (n_samples, n_components), default=None
        Warm start (e.g. the codes of the previous epoch).
    max_iter : int, default=1000
        Maximum number of active-set changes per row.
    tol : float, default=1e-6
        KKT tolerance relative to ``alpha``.
    n_jobs : int, default=None
        Threads over blocks of rows (Numba's threads, at most
        ``numba.get_num_threads()``); -1 for all cores.  The codes do not
        depend on it.
    gram, cov : ndarray, default=None
        Precomputed ``dictionary @ dictionary.T`` (float64) and
        ``X @ dictionary.T``.

    Returns
    -------
    codes : ndarray of shape (n_samples, n_components), dtype of ``X``

    See Also
    --------
    SparseCoder : learns the dictionary and encodes with it.
    sklearn.decomposition.sparse_encode : scikit-learn's encoder.

    References
    ----------
    .. [1] Lee, H., Battle, A., Raina, R. & Ng, A. Y. (2007). Efficient sparse
       coding algorithms. NIPS (feature-sign search).
    .. [2] Mairal, J., Bach, F., Ponce, J. & Sapiro, G. (2010). Online learning
       for matrix factorization and sparse coding. JMLR, 11, 19-60.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepgen.sparse_coding import sparse_encode
    >>> D = np.eye(3)
    >>> sparse_encode(np.array([[3.0, -0.5, 1.5]]), D, alpha=1.0)
    array([[2. , 0. , 0.5]])
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _sparse_encode(X, dictionary, alpha, positive, init, max_iter,
                              tol, n_jobs, gram, cov)


def _sparse_encode(X, dictionary, alpha, positive, init, max_iter, tol, n_jobs,
                   gram, cov):
    X = np.asarray(X)
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    X = X.astype(dtype, copy=False)
    D = np.asarray(dictionary).astype(dtype, copy=False)
    if X.ndim != 2 or D.ndim != 2 or X.shape[1] != D.shape[1]:
        raise ValueError(f"X has shape {X.shape} but the dictionary has shape "
                         f"{D.shape}; both must be 2-D with the same number of "
                         "features (atoms are rows)")
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    G = (np.dot(D.astype(np.float64), D.T.astype(np.float64))
         if gram is None else np.ascontiguousarray(gram, dtype=np.float64))
    # c = D x in float64 even for float32 data: the active-set solve
    # amplifies round-off in c by the conditioning of G_SS
    C = np.ascontiguousarray(
        X.astype(np.float64) @ D.T.astype(np.float64) if cov is None else cov,
        dtype=np.float64)
    if init is None:
        A = np.zeros((X.shape[0], D.shape[0]), dtype=dtype)
    else:
        A = np.array(init, dtype=dtype, order="C", copy=True)
        if A.shape != (X.shape[0], D.shape[0]):
            raise ValueError(f"init has shape {A.shape}, expected "
                             f"{(X.shape[0], D.shape[0])}")
        if positive:
            np.maximum(A, 0, out=A)
    if X.shape[0] == 0 or D.shape[0] == 0:
        return A
    _solve_rows(G, C, float(alpha), A, int(max_iter), _kkt_tol(tol, alpha, C),
                bool(positive), n_jobs)
    return A


def _objective_rows(X, codes, D, alpha):
    """Per-row 1/2 ||x - D.T a||^2 + alpha ||a||_1 (float64)."""
    R = X.astype(np.float64) - codes.astype(np.float64) @ D.astype(np.float64)
    return 0.5 * np.einsum("ij,ij->i", R, R) + alpha * np.abs(codes).sum(axis=1)


def _split_sign(codes):
    n, k = codes.shape
    out = np.empty((n, 2 * k), dtype=codes.dtype)
    np.maximum(codes, 0, out=out[:, :k])
    np.minimum(codes, 0, out=out[:, k:])
    np.negative(out[:, k:], out=out[:, k:])
    return out


def _init_dictionary(X, n_components, rng, dtype):
    """Unit-norm atoms: random distinct rows of X, random directions beyond."""
    n, p = X.shape
    D = rng.standard_normal((n_components, p))
    rows = rng.permutation(n)[:n_components]
    D[:len(rows)] = X[rows]
    norms = np.linalg.norm(D, axis=1)
    flat = norms < 1e-10
    if flat.any():  # zero rows: random directions instead
        D[flat] = rng.standard_normal((int(flat.sum()), p))
        norms[flat] = np.linalg.norm(D[flat], axis=1)
    return np.ascontiguousarray((D / norms[:, None]).astype(dtype))


# -------------------------------------------------------------- estimator
class _BaseSparseCoding(ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                        BaseMinibatchEstimator):
    """Online dictionary learning with exact Lasso codes (shared by
    :class:`SparseCoder` and :class:`PredictiveSparseDecomposition`)."""

    _parameter_constraints = {
        **BaseMinibatchEstimator._parameter_constraints,
        "n_components": [None, Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "positive_code": ["boolean"],
        "split_sign": ["boolean"],
        "transform_alpha": [None, Interval(Real, 0, None, closed="left")],
        "lasso_tol": [Interval(Real, 0, None, closed="neither")],
        "lasso_max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [None, Integral],
    }
    _epochs_param = "max_iter"
    _monitor = "objective"
    _divergence_hint = "Check the data scale (NaN/Inf in the dictionary)."

    def __init__(self, n_components, *, alpha, max_iter, batch_size,
                 positive_code, split_sign, transform_alpha, lasso_tol,
                 lasso_max_iter, early_stopping, validation_fraction,
                 n_iter_no_change, tol, n_jobs, verbose, random_state):
        super().__init__(batch_size=batch_size, early_stopping=early_stopping,
                         validation_fraction=validation_fraction,
                         n_iter_no_change=n_iter_no_change, tol=tol,
                         verbose=verbose, random_state=random_state)
        self.n_components = n_components
        self.alpha = alpha
        self.max_iter = max_iter
        self.positive_code = positive_code
        self.split_sign = split_sign
        self.transform_alpha = transform_alpha
        self.lasso_tol = lasso_tol
        self.lasso_max_iter = lasso_max_iter
        self.n_jobs = n_jobs

    # ------------------------------------------------------------ helpers
    def _check_X(self, X, reset):
        return validate_data(self, X, reset=reset, dtype=[np.float64, np.float32],
                             order="C")

    def _check_X_transform(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=[np.float64, np.float32],
                             order="C")

    # Small products (k x k Gram, minibatch statistics) run many times per
    # second: multi-threaded BLAS only adds synchronisation there, and the
    # Lasso kernel already runs one thread per core, so BLAS is kept serial.
    def _transaction(self, fn, *args, **kwargs):
        with threadpool_limits(limits=1, user_api="blas"):
            return super()._transaction(fn, *args, **kwargs)

    def _encode(self, X, alpha, D=None):
        D = self.components_ if D is None else D
        D = D.astype(X.dtype, copy=False)
        return _sparse_encode(X, D, alpha, self.positive_code, None,
                              self.lasso_max_iter, self.lasso_tol, self.n_jobs,
                              self._gram(D), None)

    def _gram(self, D):
        D64 = D.astype(np.float64)
        return D64 @ D64.T

    # ----------------------------------------------------------- training
    def _init_components(self, X, rng):
        return _init_dictionary(X, self.n_components or X.shape[1], rng, X.dtype)

    def _initialize(self, X, rng):
        n_features = X.shape[1]
        self.components_ = self._init_components(X, rng)
        k = self.components_.shape[0]
        self._A = np.zeros((k, k))
        self._B = np.zeros((k, n_features))
        self.n_steps_ = 0

    def _learned_params(self):
        return {"components_": self.components_}

    def _update_statistics(self, Xb, codes):
        """A <- beta A + a.T a / n, B <- beta B + a.T x / n (Mairal 2009, 3.4).

        Returns the minibatch's mean objective (computed from the same
        non-zero codes).
        """
        n = Xb.shape[0]
        b = self.batch_size
        step = self.n_steps_
        theta = (step + 1) * b if step < b - 1 else b * b + step + 1 - b
        beta = (theta + 1 - b) / (theta + 1)
        total = _code_statistics(Xb, codes, self.components_, float(self.alpha),
                                 self._A, self._B, beta, 1.0 / n)
        self.n_steps_ += 1
        return total / n

    def _update_dictionary(self, Xb, seed):
        D = self.components_
        if np.any(np.diag(self._A) <= 1e-12):
            # unused atoms restart from random rows of the minibatch
            cand = _init_dictionary(Xb, D.shape[0],
                                    np.random.RandomState(seed % (2 ** 32)),
                                    np.float64)
        else:
            cand = self._B  # never read: no atom is replaced
        _update_dict(D, self._A, self._B, cand, 1e-12)

    def _fit_minibatch(self, Xb, Yb, seed):
        codes = self._encode(Xb, self.alpha)
        loss = self._update_statistics(Xb, codes)
        self._update_dictionary(Xb, seed)
        return loss

    def _epoch_scores(self, X, Y, held_out):
        return {"objective": float(np.mean(self._objective(X)))}

    # -------------------------------------------------------------- API
    def _codes(self, X):
        alpha = self.alpha if self.transform_alpha is None else self.transform_alpha
        return self._encode(X, alpha)

    def transform(self, X):
        """Sparse codes of ``X`` (split into positive and negative parts if
        ``split_sign``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        codes : ndarray of shape (n_samples, n_components) or
            (n_samples, 2 * n_components) with ``split_sign``
        """
        X = self._check_X_transform(X)
        with threadpool_limits(limits=1, user_api="blas"):
            codes = self._codes(X)
        return _split_sign(codes) if self.split_sign else codes

    def inverse_transform(self, codes):
        """Reconstruction ``codes @ components_`` (accepts split-sign codes).

        Parameters
        ----------
        codes : array-like of shape (n_samples, n_components) or
            (n_samples, 2 * n_components)

        Returns
        -------
        X_rec : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        codes = check_array(codes, dtype=[np.float64, np.float32])
        k = self.components_.shape[0]
        if codes.shape[1] == 2 * k and self.split_sign:
            codes = codes[:, :k] - codes[:, k:]
        if codes.shape[1] != k:
            raise ValueError(f"codes have {codes.shape[1]} columns; expected "
                             f"{k}" + (f" or {2 * k} (split_sign)"
                                       if self.split_sign else ""))
        return codes @ self.components_.astype(codes.dtype, copy=False)

    def score_samples(self, X):
        """Minus the per-sample objective ``1/2||x - D.T a||^2 + alpha||a||_1``
        at the optimal codes (with the training ``alpha``)."""
        return -self._objective(self._check_X_transform(X))

    def _objective(self, X):
        with threadpool_limits(limits=1, user_api="blas"):
            codes = self._encode(X, self.alpha)
        return _objective_rows(X, codes, self.components_, self.alpha)

    def score(self, X, y=None):
        """Minus the mean sparse-coding objective on ``X`` (higher is better)."""
        return float(np.mean(self.score_samples(X)))

    @property
    def _n_features_out(self):
        k = self.components_.shape[0]
        return 2 * k if self.split_sign else k

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class SparseCoder(_BaseSparseCoding):
    """Sparse coding with a learned (or fixed) dictionary.

    Minimises ``1/n sum_i 1/2 ||x_i - D.T a_i||^2 + alpha ||a_i||_1`` over
    codes ``a_i`` and a dictionary ``D`` whose ``n_components`` atoms (rows of
    ``components_``) lie in the unit ball.  ``fit`` makes ``max_iter`` passes
    of online dictionary learning (Mairal et al. 2009): each minibatch is
    encoded by an exact Lasso solver (:func:`sparse_encode`), the sufficient
    statistics ``A = sum a a.T`` and ``B = sum a x.T`` are updated with a
    forgetting factor, and the atoms take one block-coordinate-descent pass
    on them.  ``partial_fit`` makes one pass over the data it is given and
    keeps the statistics, so a stream of chunks trains the same model.

    Unlike scikit-learn's class of the same name, which only encodes with a
    given dictionary, this one learns it; pass ``dictionary=`` to use a fixed
    one (``fit`` then only validates).

    Parameters
    ----------
    n_components : int, default=None
        Number of atoms; ``None`` means ``n_features``.
    alpha : float, default=1.0
        L1 penalty during learning.
    dictionary : array-like of shape (n_components, n_features), default=None
        Fixed dictionary; when given, nothing is learned.
    max_iter : int, default=10
        Passes (epochs) over the data in ``fit``.
    batch_size : int, default=256
        Examples per minibatch.
    positive_code : bool, default=False
        Non-negative codes (in learning and in ``transform``).
    split_sign : bool, default=False
        ``transform`` returns ``[max(a, 0), max(-a, 0)]`` (2 x n_components
        features), which often helps linear classifiers.
    transform_alpha : float, default=None
        L1 penalty in ``transform``; ``None`` means ``alpha``.
    lasso_tol : float, default=1e-4
        KKT tolerance of the Lasso solver, relative to alpha.
    lasso_max_iter : int, default=1000
        Maximum active-set changes per row.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` and stop when the validation
        objective has not improved by ``tol`` for ``n_iter_no_change``
        epochs.
    validation_fraction : float, default=0.1
        Share of the training data held out as the validation set for early
        stopping (only with ``early_stopping=True``).
    n_iter_no_change : int, default=3
        Epochs without an improvement larger than ``tol`` after which early
        stopping ends training.
    tol : float, default=1e-4
        Smallest improvement of the monitored score that counts as one
        (early stopping).
    n_jobs : int, default=None
        Threads for encoding (``-1``: all cores).
    verbose : int, default=0
        Progress output: one line per epoch (scores, seconds, ETA) when
        positive.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, the minibatch order and every random number;
        a fixed value gives bit-for-bit identical results.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Dictionary atoms (unit norm rows).
    n_iter_ : int
        Passes made.
    n_steps_ : int
        Minibatch updates made (drives the forgetting factor).
    history_ : dict of lists
        Per epoch: ``loss`` (mean minibatch objective during the pass),
        ``objective`` (on up to 1,000 training rows, or ``val_objective``),
        ``seconds``.
    n_features_in_ : int

    See Also
    --------
    sklearn.decomposition.MiniBatchDictionaryLearning : scikit-learn's version.
    PredictiveSparseDecomposition : adds a fast feed-forward encoder.
    sparse_encode : the Lasso solver on its own.

    References
    ----------
    .. [1] Mairal, J., Bach, F., Ponce, J. & Sapiro, G. (2009). Online dictionary
       learning for sparse coding. ICML.
    .. [2] Mairal, J., Bach, F., Ponce, J. & Sapiro, G. (2010). Online learning
       for matrix factorization and sparse coding. JMLR, 11, 19-60.
    .. [3] Lee, H., Battle, A., Raina, R. & Ng, A. Y. (2007). Efficient sparse
       coding algorithms. NIPS.
    .. [4] Yang, J., Yu, K., Gong, Y. & Huang, T. (2009). Linear spatial pyramid
       matching using sparse coding for image classification. CVPR.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepgen import SparseCoder
    >>> X = np.random.RandomState(0).standard_normal((200, 16))
    >>> sc = SparseCoder(n_components=24, alpha=0.5, max_iter=3,
    ...                  random_state=0).fit(X)
    >>> codes = sc.transform(X)
    >>> codes.shape
    (200, 24)
    >>> bool(np.mean(codes != 0) < 0.5)
    True
    """

    _parameter_constraints = {
        **_BaseSparseCoding._parameter_constraints,
        "dictionary": [None, "array-like"],
    }

    def __init__(self, n_components=None, *, alpha=1.0, dictionary=None,
                 max_iter=10, batch_size=256, positive_code=False,
                 split_sign=False, transform_alpha=None, lasso_tol=1e-4,
                 lasso_max_iter=1000, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=3, tol=1e-4,
                 n_jobs=None, verbose=0, random_state=None):
        super().__init__(
            n_components, alpha=alpha, max_iter=max_iter, batch_size=batch_size,
            positive_code=positive_code, split_sign=split_sign,
            transform_alpha=transform_alpha, lasso_tol=lasso_tol,
            lasso_max_iter=lasso_max_iter, early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, tol=tol, n_jobs=n_jobs,
            verbose=verbose, random_state=random_state)
        self.dictionary = dictionary

    def _fixed_dictionary(self, n_features, dtype):
        D = check_array(self.dictionary, dtype=[np.float64, np.float32],
                        input_name="dictionary")
        if D.shape[1] != n_features:
            raise ValueError(f"dictionary has {D.shape[1]} features but X has "
                             f"{n_features}")
        if self.n_components is not None and D.shape[0] != self.n_components:
            raise ValueError(f"dictionary has {D.shape[0]} atoms but "
                             f"n_components={self.n_components}")
        return np.ascontiguousarray(D.astype(dtype))

    def _n_epochs(self):
        return 0 if self.dictionary is not None else self.max_iter

    def _init_components(self, X, rng):
        if self.dictionary is not None:
            return self._fixed_dictionary(X.shape[1], X.dtype)
        return super()._init_components(X, rng)

    def _fit_minibatch(self, Xb, Yb, seed):
        if self.dictionary is not None:  # a fixed dictionary learns nothing
            return None
        return super()._fit_minibatch(Xb, Yb, seed)


# ----------------------------------------------- predictive sparse decomp.
class PredictiveSparseDecomposition(_BaseSparseCoding):
    """Sparse coding with a feed-forward encoder that predicts the codes (PSD).

    Predictive sparse decomposition (Kavukcuoglu, Ranzato & LeCun 2008)
    learns a dictionary ``D`` and an encoder
    ``F(x) = g * tanh(W x + b)`` jointly by minimising, per sample::

        1/2 ||x - D.T z||^2 + alpha ||z||_1 + beta/2 ||z - F(x)||^2

    Each minibatch: the optimal codes ``z*`` given the current prediction
    are found by the same Lasso solver (the prediction term only adds
    ``beta I`` to the Gram matrix and ``beta F(x)`` to ``D x``), the
    dictionary takes the online block-coordinate step on ``z*`` as in
    :class:`SparseCoder`, and the encoder takes one optimizer step (the
    shared SGD/Adam) on ``beta/2 ||z* - F(x)||^2``.  After training,
    ``transform`` is a single matrix product and ``tanh`` (no
    optimisation): use ``inference="lasso"`` for the exact codes instead.

    It is its own estimator rather than an option of :class:`SparseCoder`
    because it has its own learned parameters (the encoder) and training
    signal (the prediction term shapes the codes and the dictionary).

    Parameters
    ----------
    n_components : int, default=None
        Number of atoms (default: ``n_features``).
    alpha : float, default=1.0
        Weight of the L1 penalty on the codes, as in :class:`SparseCoder`.
    beta : float, default=1.0
        Weight of the prediction term.
    inference : {"encoder", "lasso"}, default="encoder"
        What ``transform`` returns: the encoder's prediction ``F(x)``, or
        the Lasso codes on the learned dictionary.
    solver : {"adam", "sgd"}, default="adam"
        Optimizer of the encoder.
    learning_rate : float, default=1e-2
        Encoder learning rate.
    max_iter, batch_size, positive_code, split_sign, transform_alpha, \
lasso_tol, lasso_max_iter, early_stopping, validation_fraction, \
n_iter_no_change, tol, n_jobs, verbose, random_state
        As in :class:`SparseCoder`.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
    encoder_weights_ : ndarray of shape (n_components, n_features)
    encoder_intercept_ : ndarray of shape (n_components,)
    encoder_gain_ : ndarray of shape (n_components,)
    n_iter_, n_steps_, history_, n_features_in_
        As in :class:`SparseCoder`; ``history_`` also records
        ``prediction_error`` (mean ``||z* - F(x)||^2`` on the monitor rows).

    See Also
    --------
    SparseCoder : exact sparse codes, no encoder.

    References
    ----------
    .. [1] Kavukcuoglu, K., Ranzato, M. & LeCun, Y. (2008). Fast inference in
       sparse coding algorithms with applications to object recognition.
       Technical report CBLL-TR-2008-12-01, NYU.
    .. [2] Mairal, J., Bach, F., Ponce, J. & Sapiro, G. (2009). Online dictionary
       learning for sparse coding. ICML.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepgen import PredictiveSparseDecomposition
    >>> X = np.random.RandomState(0).standard_normal((300, 16))
    >>> psd = PredictiveSparseDecomposition(n_components=24, alpha=0.5,
    ...                                     max_iter=5, random_state=0).fit(X)
    >>> psd.transform(X[:2]).shape
    (2, 24)
    """

    _parameter_constraints = {
        **_BaseSparseCoding._parameter_constraints,
        "beta": [Interval(Real, 0, None, closed="neither")],
        "inference": [StrOptions({"encoder", "lasso"})],
        "solver": [StrOptions({"adam", "sgd"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
    }
    _divergence_hint = ("Lower learning_rate (the encoder's step size), or check "
                        "the data scale.")

    def __init__(self, n_components=None, *, alpha=1.0, beta=1.0,
                 inference="encoder", solver="adam", learning_rate=1e-2,
                 max_iter=10, batch_size=256, positive_code=False,
                 split_sign=False, transform_alpha=None, lasso_tol=1e-4,
                 lasso_max_iter=1000, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=3, tol=1e-4,
                 n_jobs=None, verbose=0, random_state=None):
        super().__init__(
            n_components, alpha=alpha, max_iter=max_iter, batch_size=batch_size,
            positive_code=positive_code, split_sign=split_sign,
            transform_alpha=transform_alpha, lasso_tol=lasso_tol,
            lasso_max_iter=lasso_max_iter, early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change, tol=tol, n_jobs=n_jobs,
            verbose=verbose, random_state=random_state)
        self.beta = beta
        self.inference = inference
        self.solver = solver
        self.learning_rate = learning_rate

    def _initialize(self, X, rng):
        super()._initialize(X, rng)
        k, p = self.components_.shape
        # the encoder starts as the transposed dictionary (a "matched
        # filter"), gains at 1
        scale = 1.0 / max(1.0, math.sqrt(float(np.mean(np.sum(
            X.astype(np.float64) ** 2, axis=1)))))
        self.encoder_weights_ = np.ascontiguousarray(
            (self.components_ * scale).astype(X.dtype))
        self.encoder_intercept_ = np.zeros(k, dtype=X.dtype)
        self.encoder_gain_ = np.ones(k, dtype=X.dtype)
        self._optimizer = self._make_optimizer(self.solver)

    def _learned_params(self):
        return {"components_": self.components_,
                "encoder_weights_": self.encoder_weights_,
                "encoder_intercept_": self.encoder_intercept_,
                "encoder_gain_": self.encoder_gain_}

    def _predict_codes(self, X):
        W = self.encoder_weights_.astype(X.dtype, copy=False)
        T = np.tanh(X @ W.T + self.encoder_intercept_.astype(X.dtype))
        return T, T * self.encoder_gain_.astype(X.dtype)

    def _codes_given_prediction(self, X, F, alpha):
        D = self.components_.astype(X.dtype, copy=False)
        G = self._gram(D) + self.beta * np.eye(D.shape[0])
        C = X @ D.T + self.beta * F
        # cold start: F is dense, and an active set of every atom would cost
        # far more than building the (sparse) solution up from zero
        return _sparse_encode(X, D, alpha, self.positive_code, None,
                              self.lasso_max_iter, self.lasso_tol, self.n_jobs,
                              G, C)

    def _encoder_gradients(self, X, T, E):
        """Gradients of mean beta/2 ||F(x) - z||^2 w.r.t. W, b and the gains,
        given ``T = tanh(W x + b)`` and ``E = F(x) - z``."""
        n = X.shape[0]
        g = self.encoder_gain_
        grad_gain = np.ascontiguousarray((self.beta * E * T).sum(axis=0) / n,
                                         dtype=g.dtype)
        dpre = self.beta * E * g * (1.0 - T * T)
        grad_W = np.ascontiguousarray(dpre.T @ X / n, dtype=g.dtype)
        grad_b = np.ascontiguousarray(dpre.sum(axis=0) / n, dtype=g.dtype)
        return grad_W, grad_b, grad_gain

    def _fit_minibatch(self, Xb, Yb, seed):
        T, F = self._predict_codes(Xb)
        Z = self._codes_given_prediction(Xb, F, self.alpha)
        n = Xb.shape[0]
        E = F - Z  # d/dF of 1/2 ||F - Z||^2
        mismatch = 0.5 * self.beta * float(np.einsum("ij,ij->", E, E)) / n
        grad_W, grad_b, grad_gain = self._encoder_gradients(Xb, T, E)
        self._optimizer.step("encoder_weights_", self.encoder_weights_, grad_W)
        self._optimizer.step("encoder_intercept_", self.encoder_intercept_,
                             grad_b, decay=False)
        self._optimizer.step("encoder_gain_", self.encoder_gain_, grad_gain,
                             decay=False)
        loss = self._update_statistics(Xb, Z) + mismatch
        self._update_dictionary(Xb, seed)
        return loss

    def _epoch_scores(self, X_monitor, Y, held_out):
        _, F = self._predict_codes(X_monitor)
        Z = self._encode(X_monitor, self.alpha)
        return {"objective": float(np.mean(_objective_rows(
                    X_monitor, Z, self.components_, self.alpha))),
                "prediction_error": float(np.mean(np.sum((F - Z) ** 2, axis=1)))}

    def _codes(self, X):
        if self.inference == "lasso":
            return super()._codes(X)
        F = self._predict_codes(X)[1]
        return np.maximum(F, 0) if self.positive_code else F
