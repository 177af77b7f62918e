"""RBM variants built from unit types: Gaussian, replicated softmax, categorical, NReLU."""
import itertools
import tracemalloc
from math import factorial

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import logsumexp

from skdeepgen import (BernoulliRBM, CategoricalRBM, GaussianBernoulliRBM,
                       ReplicatedSoftmaxRBM)
from skdeepgen._training import DivergenceError

from .conftest import shared_data_path


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    # small products: BLAS threads only add contention on a busy machine
    from threadpoolctl import threadpool_limits
    with threadpool_limits(1, user_api="blas"):
        yield


# scikit-learn's checks and the shared contracts: tests/test_common.py and
# tests/test_contracts.py, over the list in tests/_estimators.py


# ------------------------------------------------------------ log-likelihoods
def test_bernoulli_score_is_a_normalised_log_likelihood(binary_data):
    rbm = BernoulliRBM(4, n_iter=5, random_state=0).fit(binary_data)
    V = np.array(list(itertools.product([0, 1], repeat=6)), float)
    assert logsumexp(rbm.score_samples(V)) == pytest.approx(0.0, abs=1e-10)
    assert rbm.score(binary_data) == pytest.approx(rbm.score_samples(binary_data).mean())
    # pseudo-likelihood keeps its own name
    assert not np.allclose(rbm.pseudo_likelihood(binary_data),
                           rbm.score_samples(binary_data))


def test_score_by_ais_agrees_with_exact_and_is_cached(digits01):
    X = (digits01[0][:300] > 0.5).astype(np.float64)
    rbm = BernoulliRBM(12, n_iter=5, learning_rate=0.05, random_state=0).fit(X)
    exact = rbm.estimate_log_partition(method="exact")
    ais = rbm.estimate_log_partition(method="ais", n_runs=100, n_betas=3000)
    assert ais.log_z_low <= exact.log_z <= ais.log_z_high
    # the last estimate is what score_samples uses, until the parameters change
    np.testing.assert_allclose(rbm.score_samples(X), -rbm.free_energy(X) - ais.log_z)
    assert rbm.estimate_log_partition() is ais
    rbm.partial_fit(X)
    assert rbm.estimate_log_partition() is not ais


def test_grid_search_selects_by_log_likelihood(binary_data):
    from sklearn.model_selection import GridSearchCV
    gs = GridSearchCV(BernoulliRBM(n_iter=5, random_state=0),
                      {"n_components": [1, 6]}, cv=3).fit(binary_data)
    assert np.all(np.isfinite(gs.cv_results_["mean_test_score"]))
    assert np.all(gs.cv_results_["mean_test_score"] < 0)


def test_gaussian_score_integrates_to_one():
    X = np.random.RandomState(0).standard_normal((200, 1)) * 1.5 + 0.5
    rbm = GaussianBernoulliRBM(3, n_iter=20, learning_rate=0.01, learn_variance=True,
                               random_state=0).fit(X)
    grid = np.linspace(-40, 40, 200001)[:, None]
    total = logsumexp(rbm.score_samples(grid)) + np.log(grid[1, 0] - grid[0, 0])
    assert total == pytest.approx(0.0, abs=1e-8)


def test_replicated_softmax_score_sums_to_one_over_documents():
    rng = np.random.RandomState(0)
    X = rng.poisson(1.0, (60, 3)).astype(float)
    rsm = ReplicatedSoftmaxRBM(3, n_iter=5, learning_rate=0.01, random_state=0).fit(X)
    D = 4
    docs = np.array([c for c in itertools.product(range(D + 1), repeat=3)
                     if sum(c) == D], float)
    # log p(word sequence) + log(number of sequences with these counts)
    log_mult = np.log([factorial(D) / np.prod([factorial(int(k)) for k in d])
                       for d in docs])
    assert logsumexp(rsm.score_samples(docs) + log_mult) == pytest.approx(0, abs=1e-10)
    assert rsm.perplexity(X) > 1


def test_replicated_softmax_ais_per_length_matches_exact():
    rng = np.random.RandomState(1)
    X = sp.csr_matrix(rng.poisson(0.8, (80, 10)).astype(float))
    rsm = ReplicatedSoftmaxRBM(6, n_iter=5, learning_rate=0.01, random_state=0).fit(X)
    exact = rsm.score_samples(X)  # 2**6 hidden states: exact per length
    rsm2 = ReplicatedSoftmaxRBM(6, n_iter=5, learning_rate=0.01, random_state=0).fit(X)
    rsm2._max_exact_states = 0  # force AIS (over the document length)
    approx = rsm2.score_samples(X)
    D = X.sum(axis=1).A1
    res = rsm2.estimate_log_partition(lengths=D)  # the same (seeded) estimate
    std = res.log_z_std[np.searchsorted(res.lengths, D)]
    assert np.all(np.abs(approx - exact) <= 3 * std + 0.01)
    assert std.max() < 0.05


def test_replicated_softmax_ais_params_fix_the_runs_of_the_length_path():
    rng = np.random.RandomState(1)
    X = sp.csr_matrix(rng.poisson(0.8, (80, 10)).astype(float))
    rsm = ReplicatedSoftmaxRBM(6, n_iter=5, learning_rate=0.01, random_state=0,
                               ais_params={"n_runs": 30, "n_betas": 20}).fit(X)
    rsm._max_exact_states = 0  # force AIS (over the document length)
    rsm.score(X)
    (runs,) = rsm._log_z_cache[1]["runs"]  # one AIS call, no batches added
    assert {w.shape for w in runs.values()} == {(30,)}


# ------------------------------------------------------ Gaussian-Bernoulli RBM
def test_learned_variance_recovers_the_data_variance():
    X = np.random.RandomState(0).standard_normal((600, 5)) * 3.0
    rbm = GaussianBernoulliRBM(4, n_iter=30, learning_rate=0.01, learn_variance=True,
                               random_state=0).fit(X)
    np.testing.assert_allclose(rbm.variance_, 9.0, rtol=0.2)
    fixed = GaussianBernoulliRBM(4, n_iter=2, random_state=0).fit(X)
    np.testing.assert_array_equal(fixed.variance_, 1.0)


def test_gaussian_rbm_stable_on_olivetti_for_50_epochs():
    from sklearn.datasets import fetch_olivetti_faces
    from sklearn.preprocessing import StandardScaler
    home = shared_data_path("scikit_learn_data", "olivetti_py3.pkz").parent
    faces = fetch_olivetti_faces(data_home=home, download_if_missing=False).images
    X = faces[:, ::2, ::2].reshape(len(faces), -1)  # 32x32
    X = StandardScaler().fit_transform(X).astype(np.float32)
    rbm = GaussianBernoulliRBM(64, n_iter=50, batch_size=20, random_state=0).fit(X)
    err = rbm.history_["reconstruction_error"]
    assert rbm.n_iter_ == 50 and np.all(np.isfinite(err))
    assert err[-1] < 0.5 * err[0]
    assert np.all(np.isfinite(rbm.components_)) and rbm.components_.dtype == np.float32


def test_too_high_learning_rate_is_reported_not_silent():
    X = (np.random.RandomState(0).standard_normal((200, 10)) * 50).astype(np.float32)
    with pytest.raises(DivergenceError, match="learning_rate"):
        GaussianBernoulliRBM(8, n_iter=20, learning_rate=10.0, momentum=0.9,
                             random_state=0).fit(X)


def test_nrelu_hidden_features_are_nonnegative_and_useful(digits01):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    X, y = digits01
    Xs = StandardScaler().fit_transform(X)
    rbm = GaussianBernoulliRBM(64, hidden="nrelu", n_iter=10, learning_rate=0.001,
                               random_state=0).fit(Xs[:1200])
    H = rbm.transform(Xs)
    assert (H >= 0).all() and (H == 0).any()
    clf = LogisticRegression(max_iter=2000).fit(H[:1200], y[:1200])
    assert clf.score(H[1200:], y[1200:]) > 0.85


# ------------------------------------------------------ replicated softmax
def test_replicated_softmax_sparse_and_dense_input_agree():
    rng = np.random.RandomState(2)
    X = rng.poisson(0.5, (120, 30)).astype(np.float64)
    a = ReplicatedSoftmaxRBM(5, n_iter=3, random_state=0).fit(X)
    b = ReplicatedSoftmaxRBM(5, n_iter=3, random_state=0).fit(sp.csr_matrix(X))
    np.testing.assert_allclose(a.components_, b.components_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a.transform(X), b.transform(sp.csr_matrix(X)))
    # sparse-dense products for sparse minibatches, BLAS for dense ones: the
    # same model either way
    c = ReplicatedSoftmaxRBM(5, n_iter=3, random_state=0)
    c._dense_fraction = 1.0  # never densify
    c.fit(sp.csr_matrix(X))
    np.testing.assert_allclose(c.components_, b.components_, rtol=1e-10, atol=1e-12)


def test_replicated_softmax_memory_follows_the_nonzeros():
    def corpus(n, d=20_000, nnz_per_row=20):
        rng = np.random.RandomState(3)
        rows = np.repeat(np.arange(n), nnz_per_row)
        cols = rng.randint(0, d, n * nnz_per_row)
        return sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, d))

    def peak_bytes(X):
        rsm = ReplicatedSoftmaxRBM(8, n_iter=1, batch_size=50, random_state=0)
        tracemalloc.start()
        rsm.fit(X)
        rsm.transform(X)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    peak_bytes(corpus(100))  # compile and warm up
    small, large = peak_bytes(corpus(1000)), peak_bytes(corpus(4000))
    # dense per-minibatch buffers only: 4x the documents, about the same peak,
    # far below a dense copy of the corpus (4000 * 20000 * 8 bytes = 640 MB)
    assert large < 1.3 * small, (small, large)
    assert large < 0.1 * 4000 * 20_000 * 8, large


@pytest.mark.parametrize("bad, match", [(-1.0, "Negative values"), (0.5, "integer")])
def test_replicated_softmax_refuses_bad_counts(bad, match):
    X = np.abs(np.random.RandomState(0).poisson(1.0, (10, 4))).astype(float)
    rsm = ReplicatedSoftmaxRBM(2, n_iter=1, random_state=0).fit(X)
    Xb = X.copy()
    Xb[3, 1] = bad
    with pytest.raises(ValueError, match=match):
        ReplicatedSoftmaxRBM(2, n_iter=1).fit(sp.csr_matrix(Xb))
    with pytest.raises(ValueError, match=match):
        rsm.transform(Xb)


def test_replicated_softmax_hidden_bias_scales_with_length():
    X = np.array([[1.0, 0, 0], [4.0, 0, 0]])
    rsm = ReplicatedSoftmaxRBM(2, n_iter=2, random_state=0).fit(X)
    W, c = rsm.components_, rsm.intercept_hidden_
    expected = 1 / (1 + np.exp(-(X @ W.T + X.sum(axis=1, keepdims=True) * c)))
    np.testing.assert_allclose(rsm.transform(X), expected, rtol=1e-12)


# ------------------------------------------------------ categorical / ratings
def _ratings(seed, n=400, d=12, missing=0.3):
    """Two user groups with opposite tastes; ratings 1..5 with gaps."""
    rng = np.random.RandomState(seed)
    group = rng.randint(0, 2, n)
    taste = np.where(np.arange(d) < d // 2, 5.0, 1.0)
    full = np.where(group[:, None] == 0, taste, 6 - taste)
    full = np.clip(full + rng.randint(-1, 2, (n, d)) * (rng.uniform(size=(n, d)) < 0.2), 1, 5)
    X = full.copy()
    X[rng.uniform(size=X.shape) < missing] = np.nan
    return X, full


def test_categorical_rbm_predicts_missing_ratings():
    X, full = _ratings(0)
    rbm = CategoricalRBM(8, n_iter=30, learning_rate=0.05, random_state=0).fit(X)
    pred = rbm.predict(X)
    observed = ~np.isnan(X)
    np.testing.assert_array_equal(pred[observed], X[observed])
    miss = ~observed
    rmse = np.sqrt(np.mean((pred[miss] - full[miss]) ** 2))
    item_mean = np.nanmean(X, axis=0)
    baseline = np.sqrt(np.mean((np.broadcast_to(item_mean, X.shape)[miss] - full[miss]) ** 2))
    assert rmse < 0.5 * baseline, (rmse, baseline)
    P = rbm.predict_proba(X)
    assert P.shape == (400, 12, len(rbm.categories_))
    np.testing.assert_allclose(P.sum(axis=2), 1.0)


def test_categorical_missing_entries_do_not_contribute():
    X, _ = _ratings(1, n=50)
    rbm = CategoricalRBM(4, n_iter=3, random_state=0).fit(X)
    V = rbm._encode(X)
    K = len(rbm.categories_)
    np.testing.assert_array_equal(V.reshape(50, 12, K).sum(axis=2), ~np.isnan(X))
    # the hidden input ignores missing entries whatever the weights there
    H = rbm.transform(X[:5])
    rbm.components_[:, V[:5].sum(axis=0) == 0] = 1e3
    np.testing.assert_allclose(rbm.transform(X[:5]), H)


def test_categorical_score_complete_rows_exact_and_missing_rows_marginal():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 3, (60, 4)).astype(float)
    rbm = CategoricalRBM(3, n_iter=5, learning_rate=0.2, random_state=0).fit(X)
    allrows = np.array(list(itertools.product([0, 1, 2], repeat=4)), float)
    full = rbm.score_samples(allrows)
    assert logsumexp(full) == pytest.approx(0, abs=1e-10)
    # rows with missing entries: the missing variables summed out exactly
    # (enumeration) against the importance-sampling estimate
    rows = np.array([[0, np.nan, 2, 1], [np.nan, np.nan, 1, 0],
                     [2, 1, np.nan, np.nan], [np.nan, 0, np.nan, np.nan]])
    est = rbm.score_samples(rows)
    for r, e in zip(rows, est):
        obs = ~np.isnan(r)
        match = np.all(allrows[:, obs] == r[obs], axis=1)
        assert e == pytest.approx(logsumexp(full[match]), abs=0.02)
    # a missing entry never makes a row more likely than its completions allow
    assert np.all(est[:1] >= full[np.all(allrows == [0, 0, 2, 1], axis=1)])
    # complete rows keep their exact value when scored beside incomplete ones
    both = rbm.score_samples(np.vstack([allrows[:3], rows[:1]]))
    np.testing.assert_allclose(both[:3], full[:3], rtol=1e-12)
    with pytest.raises(ValueError, match="not seen in fit"):
        rbm.transform(np.array([[0, 1, 2, 7.0]]))


# ------------------------------------------------------------ sampling
def test_sample_for_every_variant():
    rng = np.random.RandomState(0)
    g = GaussianBernoulliRBM(4, n_iter=2, random_state=0).fit(rng.standard_normal((50, 6)))
    assert g.sample(3, n_steps=5).shape == (3, 6)
    r = ReplicatedSoftmaxRBM(4, n_iter=2, random_state=0).fit(rng.poisson(2.0, (50, 7)))
    docs = r.sample(3, n_steps=5, lengths=[1, 5, 9])
    np.testing.assert_array_equal(docs.sum(axis=1), [1, 5, 9])
    assert np.all(docs == np.round(docs))
    c = CategoricalRBM(4, n_iter=2, random_state=0).fit(rng.randint(1, 4, (50, 5)).astype(float))
    s = c.sample(3, n_steps=5)
    assert s.shape == (3, 5) and set(np.unique(s)) <= {1.0, 2.0, 3.0}
    n = GaussianBernoulliRBM(4, hidden="nrelu", n_iter=2, random_state=0).fit(
        rng.standard_normal((50, 6)))
    assert np.all(np.isfinite(n.sample(3, n_steps=5)))


def test_tile_images_layout_and_scaling():
    from skdeepgen.plotting import tile_images
    imgs = np.arange(5 * 6, dtype=float).reshape(5, 6)  # five 2x3 images
    M = tile_images(imgs, (2, 3), n_cols=3, spacing=1)
    assert M.shape == (2 * 3 - 1, 3 * 4 - 1)
    np.testing.assert_allclose(M[0:2, 0:3], np.linspace(0, 1, 6).reshape(2, 3))
    assert np.isnan(M[2, 0]) and np.isnan(M[3:5, 8:11]).all()  # spacing, empty slot
    A = tile_images(imgs, (2, 3), scale="all")
    assert np.nanmin(A) == 0 and np.nanmax(A) == 1
    with pytest.raises(ValueError, match="image_shape"):
        tile_images(imgs, (4, 4))


def test_bernoulli_visibles_with_nrelu_hiddens(digits01):
    from sklearn.linear_model import LogisticRegression
    X, y = digits01
    rbm = BernoulliRBM(64, hidden="nrelu", n_iter=10, learning_rate=0.05,
                       random_state=0).fit(X[:1200])
    H = rbm.transform(X)
    assert (H >= 0).all() and (H == 0).any() and H.max() > 1  # rectified, unbounded
    clf = LogisticRegression(max_iter=2000).fit(H[:1200], y[:1200])
    # measured 0.78 after 10 epochs (binary hiddens do better on this data)
    assert clf.score(H[1200:], y[1200:]) > 0.7


# ------------------------------------------------------- dense-layer view
def _fitted_variants(dtype=np.float64):
    """Each RBM class fitted on data it models, with that data."""
    rng = np.random.RandomState(0)
    binary = (rng.uniform(size=(60, 6)) < 0.4).astype(dtype)
    real = rng.standard_normal((60, 6)).astype(dtype)
    counts = rng.poisson(1.0, (60, 6)).astype(dtype)
    ratings = rng.randint(1, 4, (60, 6)).astype(dtype)
    ratings[rng.uniform(size=ratings.shape) < 0.2] = np.nan
    kw = dict(n_components=3, n_iter=2, random_state=0)
    return [(BernoulliRBM(**kw).fit(binary), binary),
            (BernoulliRBM(hidden="nrelu", **kw).fit(binary), binary),
            (GaussianBernoulliRBM(**kw).fit(real), real),
            (ReplicatedSoftmaxRBM(**kw).fit(counts), counts),
            (CategoricalRBM(**kw).fit(ratings), ratings)]


def _act(name, Z):
    if name == "logistic":
        return 1 / (1 + np.exp(-Z))
    if name == "relu":
        return np.maximum(Z, 0)
    if name == "softmax":
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        return E / E.sum(axis=1, keepdims=True)
    assert name == "identity"
    return Z


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dense_layer_view_reproduces_transform_and_inverse_transform(dtype):
    tol = dict(rtol=1e-4, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10)
    for est, X in _fitted_variants(dtype):
        coef, intercept, act = est.encoder_layer()
        assert coef.dtype == intercept.dtype == dtype and coef.flags.c_contiguous
        net_in = est.encoder_input(X)
        assert net_in.dtype == dtype
        np.testing.assert_allclose(_act(act, np.asarray(net_in @ coef) + intercept),
                                   est.transform(X), **tol)
        coef[...] = 0  # fresh copies: the model is untouched
        assert np.any(est.components_ != 0)
        H = est.transform(X)
        if isinstance(est, CategoricalRBM):
            with pytest.raises(ValueError, match="SoftmaxUnits"):
                est.decoder_layer()
            continue
        coef, intercept, act = est.decoder_layer(np.float64)
        assert coef.shape == est.components_.shape and coef.dtype == np.float64
        # replicated softmax: the softmax gives the word probabilities
        np.testing.assert_allclose(_act(act, H @ coef + intercept),
                                   est.inverse_transform(H), **tol)


def test_replicated_softmax_encoder_reads_lengths_as_a_last_column():
    X = sp.csr_matrix(np.random.RandomState(1).poisson(1.0, (30, 8)).astype(np.float32))
    rsm = ReplicatedSoftmaxRBM(4, n_iter=2, random_state=0).fit(X)
    net_in = rsm.encoder_input(X)
    assert sp.issparse(net_in) and net_in.format == "csr" and net_in.dtype == np.float32
    np.testing.assert_array_equal(net_in.toarray()[:, -1], X.sum(axis=1).A1)
    coef, intercept, act = rsm.encoder_layer()
    assert coef.shape == (9, 4) and act == "logistic" and not intercept.any()
    np.testing.assert_array_equal(coef[-1], rsm.intercept_hidden_)
    # gibbs keeps each document's length
    np.testing.assert_array_equal(rsm.gibbs(X).sum(axis=1), X.sum(axis=1).A1)


def test_layers_without_a_dense_equivalent_are_refused():
    X = np.random.RandomState(0).standard_normal((40, 3))
    gb = GaussianBernoulliRBM(2, n_iter=2, learn_variance=True, random_state=0).fit(X)
    with pytest.raises(ValueError, match="GaussianBernoulliRBM visible units.*variance"):
        gb.decoder_layer()
    assert gb.encoder_layer()[2] == "logistic"  # the hidden side is a dense layer


def _exact_log_z(rsm, lengths):
    from skdeepgen.evaluation import exact_log_partition
    from skdeepgen.units import ReplicatedSoftmaxUnits
    W, b, c = rsm._params_as(np.float64)
    return np.array([exact_log_partition(W, b, c, ReplicatedSoftmaxUnits(float(D)),
                                         rsm.hidden_units) for D in lengths])


def test_rsm_log_z_interpolated_over_lengths_matches_exact():
    """``log_z_over_lengths`` (NReLU hiddens score this way) estimates log Z_D
    on a grid of lengths and interpolates: checked against exact enumeration
    at every length in between."""
    from skdeepgen.evaluation import log_z_over_lengths

    rng = np.random.RandomState(0)
    X = sp.csr_matrix(rng.poisson(rng.gamma(0.3, 3, size=(200, 1)) * np.full((1, 50), 0.5)))
    rsm = ReplicatedSoftmaxRBM(10, n_iter=20, learning_rate=0.01, random_state=0).fit(X)
    D = np.arange(0, 400)
    exact = _exact_log_z(rsm, D)
    asked = []

    def estimate(lengths):
        asked.append(len(lengths))
        return _exact_log_z(rsm, lengths)

    interp = log_z_over_lengths(np.repeat(D, 2), estimate, n_grid=24)
    assert sum(asked) <= 25  # the grid (and length 0), not 400 lengths
    np.testing.assert_allclose(interp, exact, atol=0.05)  # nats per document
    assert np.ptp(exact) > 3  # log Z_D varies: the test is not trivial
    np.testing.assert_array_equal(log_z_over_lengths([3, 1, 3], estimate, 24),
                                  _exact_log_z(rsm, [1.0, 3.0]))


def test_rsm_scores_by_ais_over_lengths_with_a_perplexity_band():
    """14 hidden units: scored by AIS over the document length, checked
    against exact enumeration; the perplexity's band holds the exact one."""
    rng = np.random.RandomState(0)
    X = sp.csr_matrix(rng.poisson(rng.gamma(0.5, 30, size=(120, 1))
                                  * rng.dirichlet(np.full(40, 0.3), 120)))
    rsm = ReplicatedSoftmaxRBM(14, n_iter=20, learning_rate=0.01, random_state=0).fit(X)
    D = X.sum(axis=1).A1
    exact = -rsm.free_energy(X) - _exact_log_z(rsm, D)
    ppl, low, high = rsm.perplexity(X, return_interval=True)
    assert low < ppl < high and low <= np.exp(-exact.sum() / D.sum()) <= high
    np.testing.assert_allclose(rsm.score_samples(X), exact, atol=0.2)
    assert rsm.perplexity(X) == ppl  # cached: the same estimate
    assert len(rsm._log_z_cache[1]["runs"]) == 1  # one AIS run served every length
    res = rsm.estimate_log_partition(lengths=[3, 7], n_runs=30, n_betas=10)
    assert res.n_runs == 30 and {3, 7} <= set(res.lengths.tolist())
    # small hidden layers are exact: no band
    small = ReplicatedSoftmaxRBM(3, n_iter=2, random_state=0).fit(X)
    p, lo, hi = small.perplexity(X, return_interval=True)
    assert lo == p == hi
