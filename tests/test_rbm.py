"""BernoulliRBM: exact answers on tiny models, contracts, errors."""
import itertools
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import logsumexp

from skdeepgen import BernoulliRBM
from skdeepgen._training import DivergenceError


def _tiny_rbm(n_vis=6, n_hid=4, seed=0, scale=1.0):
    rng = np.random.RandomState(seed)
    X = (rng.uniform(size=(20, n_vis)) < 0.5).astype(float)
    rbm = BernoulliRBM(n_hid, n_iter=1, batch_size=20, random_state=seed).fit(X)
    rbm.components_ = scale * rng.standard_normal((n_hid, n_vis))
    rbm.intercept_hidden_ = rng.standard_normal(n_hid)
    rbm.intercept_visible_ = rng.standard_normal(n_vis)
    return rbm, X


def _enumerate(rbm):
    """All visible/hidden states, energies and log Z by brute force."""
    W, b, c = rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_
    V = np.array(list(itertools.product([0, 1], repeat=W.shape[1])), float)
    H = np.array(list(itertools.product([0, 1], repeat=W.shape[0])), float)
    neg_E = (H @ W @ V.T) + (H @ c)[:, None] + (V @ b)[None, :]  # (|H|, |V|)
    return V, H, neg_E, logsumexp(neg_E)


def test_free_energy_and_log_z_by_enumeration():
    rbm, _ = _tiny_rbm()
    V, H, neg_E, log_z = _enumerate(rbm)
    np.testing.assert_allclose(rbm.free_energy(V), -logsumexp(neg_E, axis=0), rtol=1e-10)
    # log Z from the free energy sums over visibles == sum over both layers
    np.testing.assert_allclose(logsumexp(-rbm.free_energy(V)), log_z, rtol=1e-12)


def _exact_gradient(rbm, X):
    V, H, neg_E, log_z = _enumerate(rbm)
    W, c = rbm.components_, rbm.intercept_hidden_
    p_v = np.exp(-rbm.free_energy(V) - log_z)
    ph_model = 1 / (1 + np.exp(-(V @ W.T + c)))
    model = (ph_model * p_v[:, None]).T @ V
    ph_data = 1 / (1 + np.exp(-(X @ W.T + c)))
    data = ph_data.T @ X / len(X)
    return data - model


@pytest.mark.parametrize("method", ["pcd", "cd"])
def test_gradient_estimate_agrees_with_exact_gradient(method):
    rbm, X = _tiny_rbm(scale=0.5, seed=3)
    exact = _exact_gradient(rbm, X)
    X_big = np.repeat(X, 400, axis=0)  # 8000 chains
    lr = 1e-3
    rbm.set_params(method=method, n_gibbs_steps=50, momentum=0.0, weight_decay=0.0,
                   learning_rate=lr, batch_size=len(X_big))
    from skdeepgen._training import make_optimizer
    rbm._optimizer = make_optimizer("sgd", lr)
    rbm._buffers = {}
    rng = np.random.RandomState(0)
    rbm.h_samples_ = (rng.uniform(size=(len(X_big), 4)) < 0.5).astype(float)
    W0 = rbm.components_.copy()
    rbm._fit_minibatch(X_big, None, 99)
    estimate = (rbm.components_ - W0) / lr
    cos = np.sum(estimate * exact) / np.linalg.norm(estimate) / np.linalg.norm(exact)
    assert cos > 0.97
    assert 0.7 < np.linalg.norm(estimate) / np.linalg.norm(exact) < 1.3


def test_sample_matches_exact_marginals():
    rbm, _ = _tiny_rbm(scale=0.7, seed=5)
    V, H, neg_E, log_z = _enumerate(rbm)
    p_v = np.exp(-rbm.free_energy(V) - log_z)
    exact_mean = p_v @ V
    S = rbm.sample(20000, n_steps=30, random_state=0, return_mean=False)
    assert set(np.unique(S)) <= {0.0, 1.0}
    np.testing.assert_allclose(S.mean(axis=0), exact_mean, atol=0.02)


def test_transform_inverse_transform_formulas(binary_data):
    rbm = BernoulliRBM(3, n_iter=2, random_state=0).fit(binary_data)
    W, b, c = rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_
    H = rbm.transform(binary_data)
    np.testing.assert_allclose(H, 1 / (1 + np.exp(-(binary_data @ W.T + c))), rtol=1e-10)
    np.testing.assert_allclose(rbm.inverse_transform(H), 1 / (1 + np.exp(-(H @ W + b))),
                               rtol=1e-10)


def test_pseudo_likelihood_formula_and_determinism(binary_data):
    rbm = BernoulliRBM(3, n_iter=2, random_state=0).fit(binary_data)
    pl = rbm.pseudo_likelihood(binary_data)
    import zlib
    cols = np.array([zlib.crc32(r.tobytes(), 0) % 6 for r in binary_data])
    Xf = binary_data.copy()
    Xf[np.arange(len(Xf)), cols] = 1 - Xf[np.arange(len(Xf)), cols]
    ref = 6 * -np.logaddexp(0, -(rbm.free_energy(Xf) - rbm.free_energy(binary_data)))
    np.testing.assert_allclose(pl, ref)
    # a sample's score does not depend on the other rows
    np.testing.assert_allclose(rbm.pseudo_likelihood(binary_data[::-1][:7]), pl[::-1][:7])


@pytest.mark.parametrize("method", ["pcd", "cd"])
def test_same_random_state_same_model(digits01, method):
    X = digits01[0][:300].astype(np.float32)
    a = BernoulliRBM(16, n_iter=3, method=method, random_state=42).fit(X)
    b = BernoulliRBM(16, n_iter=3, method=method, random_state=42).fit(X)
    c = BernoulliRBM(16, n_iter=3, method=method, random_state=43).fit(X)
    np.testing.assert_array_equal(a.components_, b.components_)
    np.testing.assert_array_equal(a.intercept_visible_, b.intercept_visible_)
    assert not np.array_equal(a.components_, c.components_)
    np.testing.assert_array_equal(a.sample(3, n_steps=5), b.sample(3, n_steps=5))


def test_float32_preserved_and_pickle_roundtrip(digits01):
    X = digits01[0][:200].astype(np.float32)
    rbm = BernoulliRBM(8, n_iter=2, random_state=0).fit(X)
    assert rbm.components_.dtype == np.float32
    assert rbm.transform(X).dtype == np.float32
    assert rbm.transform(X.astype(np.float64)).dtype == np.float64
    clone = pickle.loads(pickle.dumps(rbm))
    np.testing.assert_array_equal(clone.transform(X), rbm.transform(X))
    clone.partial_fit(X)  # still trainable after unpickling


def test_sparse_input_gives_same_model_as_dense(binary_data):
    dense = BernoulliRBM(4, n_iter=3, random_state=0).fit(binary_data)
    sparse = BernoulliRBM(4, n_iter=3, random_state=0).fit(sp.csr_matrix(binary_data))
    np.testing.assert_allclose(sparse.components_, dense.components_, rtol=1e-10)
    np.testing.assert_allclose(sparse.transform(sp.csr_matrix(binary_data)),
                               dense.transform(binary_data), rtol=1e-10)


@pytest.mark.parametrize("method", ["cd", "pcd"])
def test_sparse_minibatches_keep_sparse_products(method):
    """A sparse enough CSR minibatch takes the sparse positive phase (no dense
    copy of the data); the model is the one the dense BLAS path learns."""
    rng = np.random.RandomState(0)
    X = (rng.uniform(size=(120, 200)) < 0.03).astype(np.float64)
    kw = dict(n_iter=3, method=method, n_gibbs_steps=2, sparsity_target=0.1,
              batch_size=40, random_state=0)
    dense = BernoulliRBM(5, **kw).fit(X)
    sparse = BernoulliRBM(5, **kw)
    assert sp.csr_matrix(X[:40]).nnz <= sparse._dense_fraction * X[:40].size
    sparse.fit(sp.csr_matrix(X))
    for attr in ("components_", "intercept_hidden_", "intercept_visible_"):
        np.testing.assert_allclose(getattr(sparse, attr), getattr(dense, attr),
                                   rtol=1e-10, atol=1e-12)


def test_learns_something_useful(digits01):
    """Reconstruction improves with training, and features beat chance by far."""
    from sklearn.linear_model import LogisticRegression
    X, y = digits01
    rbm = BernoulliRBM(64, n_iter=20, batch_size=20, learning_rate=0.05,
                       random_state=0).fit(X)
    err = rbm.history_["reconstruction_error"]
    assert len(err) == 20 and err[-1] < 0.7 * err[0]
    clf = LogisticRegression(max_iter=500).fit(rbm.transform(X[:1200]), y[:1200])
    assert clf.score(rbm.transform(X[1200:]), y[1200:]) > 0.85


def test_history_and_verbose_output(binary_data, capsys):
    rbm = BernoulliRBM(3, n_iter=2, verbose=1, random_state=0).fit(binary_data)
    out = capsys.readouterr().out
    assert "epoch 2/2" in out and "ETA" in out and "reconstruction_error" in out
    assert rbm.n_iter_ == 2
    assert set(rbm.history_) >= {"epoch", "reconstruction_error", "pseudo_likelihood",
                                 "seconds"}


def test_early_stopping_uses_validation_and_keeps_best(digits01):
    X = digits01[0][:400]
    rbm = BernoulliRBM(8, n_iter=30, early_stopping=True, n_iter_no_change=2,
                       tol=10.0, random_state=0).fit(X)
    assert "val_reconstruction_error" in rbm.history_
    assert rbm.n_iter_ < 30 and 1 <= rbm.best_epoch_ <= rbm.n_iter_


def test_partial_fit_streams_minibatches(digits01):
    X = digits01[0][:300]
    rbm = BernoulliRBM(8, batch_size=50, random_state=0)
    for chunk in np.array_split(X, 3):
        rbm.partial_fit(chunk)
    assert rbm.n_iter_ == 3 and rbm.components_.shape == (8, 64)


# ------------------------------------------------------------ bad input
@pytest.mark.parametrize("X, match", [
    (np.array([[0.0, np.nan], [1.0, 0.0]]), "NaN"),
    (np.array([[0.0, np.inf], [1.0, 0.0]]), "infinity"),
    (np.array([0.0, 1.0, 1.0]), "2D array"),
    (np.empty((0, 3)), "0 sample"),
])
def test_bad_input_errors(X, match):
    with pytest.raises(ValueError, match=match):
        BernoulliRBM(2).fit(X)


def test_wrong_number_of_features_at_transform(binary_data):
    rbm = BernoulliRBM(3, n_iter=1, random_state=0).fit(binary_data)
    with pytest.raises(ValueError, match="6 features"):
        rbm.transform(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="n_components=3"):
        rbm.inverse_transform(np.zeros((2, 4)))


def test_unscaled_pixels_warn():
    X = np.random.RandomState(0).randint(0, 256, size=(20, 5)).astype(float)
    with pytest.warns(UserWarning, match="255"):
        BernoulliRBM(2, n_iter=1).fit(X)


def test_failed_partial_fit_leaves_model_as_it_was(binary_data):
    rbm = BernoulliRBM(3, n_iter=2, random_state=0).fit(binary_data)
    before = {k: np.copy(v) for k, v in vars(rbm).items()
              if isinstance(v, np.ndarray)}
    n_iter, hist = rbm.n_iter_, {k: list(v) for k, v in rbm.history_.items()}
    bad = binary_data.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        rbm.partial_fit(bad)
    with pytest.raises(ValueError, match="features"):
        rbm.partial_fit(binary_data[:, :4])
    for k, v in before.items():
        np.testing.assert_array_equal(getattr(rbm, k), v)
    assert rbm.n_iter_ == n_iter and rbm.history_ == hist


def test_divergence_stops_with_actionable_error(binary_data):
    rbm = BernoulliRBM(3, n_iter=3, learning_rate=1e300, momentum=0.9, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(DivergenceError, match="learning_rate"):
            rbm.fit(binary_data)
    assert not hasattr(rbm, "components_")  # nothing half-trained left behind


def test_invalid_parameters_are_named():
    with pytest.raises(ValueError, match="n_components"):
        BernoulliRBM(0).fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="method"):
        BernoulliRBM(2, method="foo").fit(np.zeros((3, 2)))


def test_dropin_names_match_scikit_learn(binary_data):
    from sklearn.neural_network import BernoulliRBM as SkRBM
    shared = set(SkRBM().get_params()) & set(BernoulliRBM().get_params())
    assert shared == {"n_components", "learning_rate", "batch_size", "n_iter",
                      "verbose", "random_state"}
    ours = BernoulliRBM(3, n_iter=1, method="pcd", random_state=0).fit(binary_data)
    theirs = SkRBM(3, n_iter=1, random_state=0).fit(binary_data)
    for attr in ("components_", "intercept_hidden_", "intercept_visible_"):
        assert getattr(ours, attr).shape == getattr(theirs, attr).shape
    # one persistent chain per minibatch row (the batch sizes differ)
    assert ours.h_samples_.shape == (ours.batch_size, 3)
    assert theirs.h_samples_.shape == (theirs.batch_size, 3)
    # the default is CD (better features), which keeps no chains
    assert BernoulliRBM().method == "cd"
    assert not hasattr(BernoulliRBM(3, n_iter=1).fit(binary_data), "h_samples_")


def test_gibbs_and_sample_from_init(binary_data):
    rbm = BernoulliRBM(3, n_iter=1, random_state=0).fit(binary_data)
    v1 = rbm.gibbs(binary_data)
    assert v1.shape == binary_data.shape and set(np.unique(v1)) <= {0.0, 1.0}
    assert not np.array_equal(rbm.gibbs(binary_data), v1)  # the stream advances
    m = rbm.sample(5, n_steps=3, init=binary_data[:5], random_state=1)
    assert m.shape == (5, 6) and np.all((0 < m) & (m < 1))


# ------------------------------------------------- ais_params (score's AIS)
@pytest.fixture(scope="module")
def digits_rbm_18():
    """18 hidden units on 64 binary pixels: 2**18 and 2**64 states, so
    ``score`` needs AIS, but the hidden layer can still be enumerated."""
    from sklearn.datasets import load_digits
    X = (load_digits().data[:500] / 16 > 0.5).astype(np.float64)
    rbm = BernoulliRBM(18, n_iter=10, random_state=0,
                       ais_params={"n_runs": 20, "n_betas": 1000}).fit(X)
    assert 2 ** 18 > rbm._max_exact_states
    return rbm, X


def test_score_with_lowered_ais_params_is_close_to_exact(digits_rbm_18):
    from skdeepgen.evaluation import exact_log_partition
    rbm, X = digits_rbm_18
    rbm = pickle.loads(pickle.dumps(rbm))  # a copy: the fixture stays unscored
    exact = exact_log_partition(rbm.components_, rbm.intercept_visible_,
                                rbm.intercept_hidden_, rbm.visible_units,
                                rbm.hidden_units)
    score = rbm.score(X)
    used = rbm.estimate_log_partition()  # the cached estimate behind score
    assert (used.n_runs, used.n_betas) == (20, 1000)
    assert score == pytest.approx(np.mean(-rbm.free_energy(X)) - used.log_z)
    assert abs(used.log_z - exact) <= max(3 * used.log_z_std, 0.02)
    # explicit arguments win over ais_params, and the estimate is used by score
    ais = rbm.estimate_log_partition(method="ais", n_runs=7)
    assert (ais.n_runs, ais.n_betas) == (7, 1000)
    assert rbm.score(X) == pytest.approx(np.mean(-rbm.free_energy(X)) - ais.log_z)


def test_set_params_ais_params_changes_the_estimate_used(digits_rbm_18):
    rbm, X = digits_rbm_18
    rbm = pickle.loads(pickle.dumps(rbm))
    first = rbm.score(X)
    cached = rbm.estimate_log_partition()
    rbm.set_params(ais_params={"n_runs": 5, "n_betas": 200})
    lowered = rbm.estimate_log_partition()
    assert lowered is not cached and (lowered.n_runs, lowered.n_betas) == (5, 200)
    assert rbm.score(X) == pytest.approx(np.mean(-rbm.free_energy(X)) - lowered.log_z)
    assert rbm.score(X) != first
    rbm.set_params(ais_params={"n_betas": 1000, "n_runs": 20})  # same settings again
    again = rbm.estimate_log_partition()
    assert again is not lowered and again.log_z == cached.log_z  # seeded
    # a grid search's clones carry ais_params
    from sklearn.base import clone
    assert clone(rbm).ais_params == {"n_betas": 1000, "n_runs": 20}


@pytest.mark.parametrize("ais_params, match", [
    ({"n_run": 5}, r"ais_params has unknown key\(s\) \['n_run'\]"),
    ({"n_runs": 0}, r"ais_params\['n_runs'\] must be a positive integer"),
    ({"n_betas": 2.5}, r"ais_params\['n_betas'\] must be a positive integer"),
])
def test_invalid_ais_params_are_named(binary_data, ais_params, match):
    with pytest.raises(ValueError, match=match):
        BernoulliRBM(2, n_iter=1, ais_params=ais_params).fit(binary_data)
    rbm = BernoulliRBM(2, n_iter=1).fit(binary_data)
    rbm.set_params(ais_params=ais_params)  # set after fit: score says so too
    with pytest.raises(ValueError, match=match):
        rbm.score(binary_data)
    with pytest.raises(ValueError, match="ais_params"):
        BernoulliRBM(2, ais_params=[("n_runs", 5)]).fit(binary_data)
