"""Sparse coding: the Lasso kernel against exact answers, the dictionary step
against its NumPy reference, and the estimators' contracts."""
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.linear_model import Lasso

from skdeepgen import PredictiveSparseDecomposition, SparseCoder
from skdeepgen._kernels.lasso import _solve_lasso_gram, _update_dict
from skdeepgen.sparse_coding import sparse_encode

from . import _naive


def _problem(rng, n=8, p=20, k=30, dtype=np.float64):
    D = rng.standard_normal((k, p))
    D /= np.linalg.norm(D, axis=1, keepdims=True)
    X = rng.standard_normal((n, p))
    return X.astype(dtype), D.astype(dtype)


def _kkt_violation(X, D, codes, alpha, positive=False):
    X, D, a = (np.asarray(v, dtype=np.float64) for v in (X, D, codes))
    R = X @ D.T - a @ (D @ D.T)  # minus the gradient of the smooth part
    v = np.where(a > 0, np.abs(R - alpha), np.where(a < 0, np.abs(R + alpha),
                 (R - alpha) if positive else np.abs(R) - alpha))
    return max(float(v.max()), 0.0)


# ------------------------------------------------------------ Lasso kernel
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(20, 30), (40, 25), (10, 60)])
def test_lasso_matches_sklearn(dtype, shape):
    rng = np.random.RandomState(hash(shape) % 1000)
    p, k = shape
    X, D = _problem(rng, n=6, p=p, k=k, dtype=dtype)
    alpha = 0.3
    codes = sparse_encode(X, D, alpha=alpha, tol=1e-10)
    assert codes.dtype == dtype
    for x, a in zip(X, codes):
        ref = Lasso(alpha=alpha / p, fit_intercept=False, tol=1e-14,
                    max_iter=200000).fit(D.T.astype(np.float64),
                                         x.astype(np.float64)).coef_
        assert_allclose(a, ref, atol=1e-6, rtol=0)
    assert _kkt_violation(X, D, codes, alpha) <= 1e-6


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lasso_positive_matches_sklearn(dtype):
    rng = np.random.RandomState(1)
    X, D = _problem(rng, n=5, p=16, k=40, dtype=dtype)
    codes = sparse_encode(X, D, alpha=0.2, positive=True, tol=1e-10)
    assert codes.min() >= 0
    for x, a in zip(X, codes):
        ref = Lasso(alpha=0.2 / 16, fit_intercept=False, positive=True,
                    tol=1e-14, max_iter=200000).fit(
            D.T.astype(np.float64), x.astype(np.float64)).coef_
        assert_allclose(a, ref, atol=1e-6, rtol=0)


def test_lasso_kernel_matches_naive_cd():
    rng = np.random.RandomState(2)
    X, D = _problem(rng, n=4, p=12, k=18)
    G, C = D @ D.T, X @ D.T
    for positive in (False, True):
        A = np.zeros_like(C)
        _solve_lasso_gram(G, C, 0.25, A, 1000, 1e-12, positive)
        assert_allclose(A, _naive.lasso_cd_gram(G, C, 0.25, positive), atol=1e-8)


def test_lasso_degenerate_dictionary_falls_back():
    # duplicated atoms and more atoms than features: G_SS singular
    rng = np.random.RandomState(3)
    X, D = _problem(rng, n=5, p=6, k=10)
    D = np.vstack([D, D[:3]])
    codes = sparse_encode(X, D, alpha=0.05, tol=1e-10)
    assert _kkt_violation(X, D, codes, 0.05) <= 1e-7
    assert np.isfinite(codes).all()


def test_lasso_support_as_large_as_n_features():
    # 32 atoms in 16 dimensions with a small penalty: supports reach 16 and
    # the atom that should join is in the span of the active ones, so the
    # solver has to swap atoms (null-space step) rather than add them
    rng = np.random.RandomState(4)
    X, D = _problem(rng, n=300, p=16, k=32)
    codes = sparse_encode(X, D, alpha=0.2, tol=1e-10)
    assert _kkt_violation(X, D, codes, 0.2) <= 1e-8
    assert (codes != 0).sum(axis=1).max() == 16


def test_lasso_warm_start_and_threads_give_same_solution():
    rng = np.random.RandomState(4)
    X, D = _problem(rng, n=300, p=24, k=32)
    cold = sparse_encode(X, D, alpha=0.5, tol=1e-10)
    assert _kkt_violation(X, D, cold, 0.5) <= 1e-8
    # a dense, wrong start: the solver has to remove most coordinates
    warm = sparse_encode(X, D, alpha=0.5, tol=1e-10,
                         init=cold + 0.1 * rng.standard_normal(cold.shape))
    threaded = sparse_encode(X, D, alpha=0.5, tol=1e-10, n_jobs=2)
    assert_allclose(warm, cold, atol=1e-8)
    assert_allclose(threaded, cold, atol=0)


def test_lasso_exact_orthonormal_solution():
    # orthonormal dictionary: codes are soft-thresholded correlations
    rng = np.random.RandomState(5)
    Q, _ = np.linalg.qr(rng.standard_normal((10, 10)))
    X = rng.standard_normal((7, 10))
    c = X @ Q.T
    expected = np.sign(c) * np.maximum(np.abs(c) - 0.4, 0)
    assert_allclose(sparse_encode(X, Q, alpha=0.4), expected, atol=1e-12)


def test_sparse_encode_errors():
    with pytest.raises(ValueError, match="same number of features"):
        sparse_encode(np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises(ValueError, match="alpha"):
        sparse_encode(np.ones((2, 3)), np.ones((4, 3)), alpha=-1)
    with pytest.raises(ValueError, match="init has shape"):
        sparse_encode(np.ones((2, 3)), np.ones((4, 3)), init=np.ones((2, 3)))


# -------------------------------------------------------- dictionary step
def test_update_dict_matches_naive_and_decreases_surrogate():
    rng = np.random.RandomState(6)
    X, D = _problem(rng, n=50, p=10, k=15)
    codes = sparse_encode(X, D, alpha=0.1)
    A, B = codes.T @ codes, codes.T @ X
    A[3, 3] = 0.0  # a "dead" atom is replaced by its candidate
    A[3, :] = A[:, 3] = 0.0
    cand = rng.standard_normal(D.shape)
    cand /= np.linalg.norm(cand, axis=1, keepdims=True)
    D_new = D.copy()
    n_dead = _update_dict(D_new, A, B, cand, 1e-12)
    assert n_dead == 1
    assert_allclose(D_new, _naive.update_dict(D, A, B, cand, 1e-12), atol=1e-12)
    assert np.all(np.linalg.norm(D_new, axis=1) <= 1 + 1e-12)

    def surrogate(Dm):  # 1/2 tr(D.T A D) - tr(D.T B) restricted to live atoms
        live = np.arange(len(Dm)) != 3
        Dl = Dm[live]
        return 0.5 * np.trace(Dl.T @ A[np.ix_(live, live)] @ Dl) - np.sum(Dl * B[live])
    assert surrogate(D_new) <= surrogate(D) + 1e-12


# --------------------------------------------------------------- estimator
@pytest.fixture(scope="module")
def patches():
    from sklearn.datasets import load_digits
    X = load_digits().data[:600] / 16.0
    X = X - X.mean(axis=1, keepdims=True)
    return X


def test_fit_decreases_objective_and_records_history(patches):
    sc0 = SparseCoder(n_components=32, alpha=0.5, max_iter=1, random_state=0)
    sc0._validate_params()
    sc0._reset_state()
    sc0._initialize(sc0._check_X(patches, reset=True), sc0._rng)
    initial = -sc0.score(patches)
    sc = SparseCoder(n_components=32, alpha=0.5, max_iter=5,
                     random_state=0).fit(patches)
    obj = sc.history_["objective"]
    assert obj[-1] < obj[0] < initial
    assert len(obj) == sc.n_iter_ == 5
    assert_allclose(np.linalg.norm(sc.components_, axis=1), 1.0, atol=1e-6)
    # score is minus the objective at the optimal codes
    codes = sc.transform(patches)
    manual = 0.5 * np.sum((patches - codes @ sc.components_) ** 2, axis=1) \
        + 0.5 * np.abs(codes).sum(axis=1)
    assert_allclose(sc.score(patches), -manual.mean(), rtol=1e-10)
    assert_allclose(sc.inverse_transform(codes), codes @ sc.components_)


def test_fit_is_reproducible_and_float32_stays_float32(patches):
    a = SparseCoder(n_components=16, alpha=0.5, max_iter=2, random_state=3).fit(patches)
    b = SparseCoder(n_components=16, alpha=0.5, max_iter=2, random_state=3).fit(patches)
    assert_allclose(a.components_, b.components_, atol=0)
    c = SparseCoder(n_components=16, alpha=0.5, max_iter=2,
                    random_state=3).fit(patches.astype(np.float32))
    assert c.components_.dtype == np.float32
    assert c.transform(patches.astype(np.float32)).dtype == np.float32
    assert_allclose(c.components_, a.components_, atol=2e-3)


def test_partial_fit_streams_like_fit(patches):
    full = SparseCoder(n_components=16, alpha=0.5, max_iter=1, batch_size=50,
                       random_state=0)
    full.fit(patches)
    stream = SparseCoder(n_components=16, alpha=0.5, batch_size=50, random_state=0)
    for chunk in np.array_split(patches, 3):
        stream.partial_fit(chunk)
    assert stream.n_steps_ == 12 == full.n_steps_
    # both learn: far better than the initial dictionary
    assert stream.score(patches) > -0.5 * np.mean(np.sum(patches ** 2, axis=1))


def test_positive_and_split_sign_codes(patches):
    sc = SparseCoder(n_components=20, alpha=0.3, max_iter=2, positive_code=True,
                     random_state=0).fit(patches)
    assert sc.transform(patches).min() >= 0
    sc2 = SparseCoder(n_components=20, alpha=0.3, max_iter=2, split_sign=True,
                      random_state=0).fit(patches)
    Z = sc2.transform(patches)
    assert Z.shape == (len(patches), 40) and Z.min() >= 0
    plain = sc2.set_params(split_sign=False).transform(patches)
    assert_allclose(Z[:, :20] - Z[:, 20:], plain)
    sc2.set_params(split_sign=True)
    assert_allclose(sc2.inverse_transform(Z), plain @ sc2.components_)
    assert list(sc2.get_feature_names_out())[-1] == "sparsecoder39"


def test_fixed_dictionary_is_not_learned(patches):
    rng = np.random.RandomState(0)
    D = rng.standard_normal((10, patches.shape[1]))
    sc = SparseCoder(dictionary=D, alpha=0.1).fit(patches)
    assert_allclose(sc.components_, D)
    assert sc.n_iter_ == 0
    assert_allclose(sc.transform(patches[:5]),
                    sparse_encode(patches[:5], D, alpha=0.1, tol=1e-4), atol=1e-6)
    with pytest.raises(ValueError, match="dictionary has 10 atoms"):
        SparseCoder(n_components=5, dictionary=D).fit(patches)
    with pytest.raises(ValueError, match="features"):
        SparseCoder(dictionary=D[:, :5]).fit(patches)


def test_bad_data_errors(patches):
    X = patches.copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SparseCoder(n_components=4).fit(X)
    sc = SparseCoder(n_components=4, max_iter=1, random_state=0).fit(patches)
    with pytest.raises(ValueError, match="features"):
        sc.transform(patches[:, :10])
    with pytest.raises(ValueError, match="columns"):
        sc.inverse_transform(np.ones((2, 7)))


def test_pickle_roundtrip(patches):
    sc = SparseCoder(n_components=8, max_iter=1, random_state=0).fit(patches)
    sc2 = pickle.loads(pickle.dumps(sc))
    assert_allclose(sc2.transform(patches[:10]), sc.transform(patches[:10]))


# ------------------------------------------------------------------- PSD
def test_psd_encoder_learns_to_predict_codes(patches):
    psd = PredictiveSparseDecomposition(n_components=24, alpha=0.3, beta=1.0,
                                        max_iter=15, batch_size=50,
                                        learning_rate=0.01, random_state=0)
    psd.fit(patches)
    err = psd.history_["prediction_error"]
    assert err[-1] < 0.5 * err[0]
    F = psd.transform(patches)
    Z = psd.set_params(inference="lasso").transform(patches)
    # the prediction explains most of the codes' energy
    assert np.sum((F - Z) ** 2) < 0.5 * np.sum(Z ** 2)
    assert psd.components_.shape == psd.encoder_weights_.shape == (24, 64)


def test_psd_encoder_gradients_match_finite_differences(patches):
    psd = PredictiveSparseDecomposition(n_components=6, alpha=0.3, beta=1.5,
                                        max_iter=1, random_state=0).fit(patches)
    X = patches[:7]
    Z = np.random.RandomState(0).standard_normal((7, 6))

    def loss():
        _, F = psd._predict_codes(X)
        return 0.5 * psd.beta * np.sum((F - Z) ** 2) / len(X)

    T, F = psd._predict_codes(X)
    grads = psd._encoder_gradients(X, T, F - Z)
    params = (psd.encoder_weights_, psd.encoder_intercept_, psd.encoder_gain_)
    for param, grad in zip(params, grads):
        for idx in [(0,) * param.ndim, tuple(s - 1 for s in param.shape)]:
            old = param[idx]
            param[idx] = old + 1e-6
            up = loss()
            param[idx] = old - 1e-6
            down = loss()
            param[idx] = old
            assert_allclose(grad[idx], (up - down) / 2e-6, rtol=1e-5, atol=1e-9)


def test_psd_codes_given_prediction_solve_augmented_lasso(patches):
    psd = PredictiveSparseDecomposition(n_components=12, alpha=0.3, beta=2.0,
                                        max_iter=1, random_state=0).fit(patches)
    X = patches[:5]
    _, F = psd._predict_codes(X)
    Z = psd._codes_given_prediction(X, F, 0.3)
    # the same problem stacked as an ordinary Lasso: [x; sqrt(beta) F] on
    # [D.T; sqrt(beta) I]
    D = psd.components_
    k, p = D.shape
    Dbig = np.hstack([D, np.sqrt(2.0) * np.eye(k)])
    for x, f, z in zip(X, F, Z):
        y = np.concatenate([x, np.sqrt(2.0) * f])
        ref = Lasso(alpha=0.3 / (p + k), fit_intercept=False, tol=1e-14,
                    max_iter=100000).fit(Dbig.T, y).coef_
        assert_allclose(z, ref, atol=1e-5)


# scikit-learn's checks and the shared contracts: tests/test_common.py and
# tests/test_contracts.py, over the list in tests/_estimators.py


# ------------------------------------------------------------- end to end
def test_sparse_model_in_the_main_job_beats_raw_pixels():
    from skdeepgen.experiments import run_experiment

    rows = run_experiment("sparse", "digits", verbose=0, log=lambda *a: None)
    raw, sparse = rows
    assert raw["features"] == "raw pixels"
    assert sparse["accuracy"] > raw["accuracy"]


def test_lasso_threads_from_worker_threads_give_same_solution():
    # two Python threads encoding at once (e.g. joblib's threading backend)
    from concurrent.futures import ThreadPoolExecutor
    rng = np.random.RandomState(6)
    X, D = _problem(rng, n=300, p=24, k=32)
    ref = sparse_encode(X, D, alpha=0.5, tol=1e-10)
    with ThreadPoolExecutor(2) as pool:
        outs = list(pool.map(lambda _: sparse_encode(X, D, alpha=0.5, tol=1e-10,
                                                     n_jobs=2), range(4)))
    for out in outs:
        assert_allclose(out, ref, atol=0)
