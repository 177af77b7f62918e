"""DBN, DBNClassifier, DeepAutoencoder and Hamming retrieval."""
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

from skdeepgen import DBN, BernoulliRBM, DBNClassifier, DeepAutoencoder
from skdeepgen.retrieval import hamming_distances, hamming_neighbors

from ._naive import activate

SMALL_RBM = BernoulliRBM(n_iter=2, batch_size=10)


# scikit-learn's checks and the shared contracts: tests/test_common.py and
# tests/test_contracts.py, over the list in tests/_estimators.py


# ----------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def digits_split(digits01):
    X, y = digits01
    X = X.astype(np.float32)
    return X[:1200], X[1200:], y[:1200], y[1200:]


@pytest.fixture(scope="session")
def fitted_dbn(digits_split):
    X = digits_split[0]
    rbm = BernoulliRBM(n_iter=15, batch_size=20, learning_rate=0.05,
                       method="cd", momentum=0.5)
    return DBN((48, 32), rbm=rbm, random_state=0).fit(X)


# ---------------------------------------------------------------------- DBN
def test_dbn_is_a_greedy_stack_of_rbms(digits_split, fitted_dbn):
    """Layer k is exactly an RBM fit on layer k-1's hidden means."""
    X = digits_split[0]
    dbn = fitted_dbn
    assert [r.n_components for r in dbn.rbms_] == [48, 32]
    assert dbn.n_iter_ == [15, 15]
    H1 = dbn.rbms_[0].transform(X)
    again = clone(dbn.rbms_[1]).fit(H1)
    np.testing.assert_array_equal(again.components_, dbn.rbms_[1].components_)
    np.testing.assert_allclose(dbn.transform(X), dbn.rbms_[1].transform(H1))
    assert dbn.transform(X).dtype == np.float32
    both = clone(dbn).set_params(transform_layers="all").fit(X).transform(X)
    np.testing.assert_allclose(both, np.hstack([H1, dbn.transform(X)]))


def test_dbn_per_layer_configuration(digits_split):
    X = digits_split[0][:200]
    rbms = [BernoulliRBM(n_iter=1, method="pcd"), BernoulliRBM(n_iter=3, method="cd")]
    dbn = DBN((8, 4), rbm=rbms, random_state=0).fit(X)
    assert [r.method for r in dbn.rbms_] == ["pcd", "cd"]
    assert dbn.n_iter_ == [1, 3]
    assert rbms[0].get_params()["n_components"] == 256  # templates untouched
    with pytest.raises(ValueError, match="one per layer"):
        DBN((8, 4, 2), rbm=rbms).fit(X)
    with pytest.raises(ValueError, match="positive integers"):
        DBN((8, 0)).fit(X)


def test_dbn_reproducible_and_partial_fit(digits_split):
    X = digits_split[0][:300]
    a = DBN((8, 4), rbm=SMALL_RBM, random_state=3).fit(X).transform(X)
    b = DBN((8, 4), rbm=SMALL_RBM, random_state=3).fit(X).transform(X)
    np.testing.assert_array_equal(a, b)
    dbn = DBN((8, 4), rbm=SMALL_RBM, random_state=0)
    dbn.partial_fit(X[:150]).partial_fit(X[150:])
    assert dbn.n_iter_ == [2, 2]
    assert dbn.transform(X).shape == (300, 4)


def test_dbn_sample_is_a_down_pass(fitted_dbn):
    """sample = top-RBM Gibbs chain, then p(v | h1) of the bottom RBM."""
    dbn = fitted_dbn
    S = dbn.sample(6, n_steps=20, random_state=1)
    assert S.shape == (6, 64) and S.min() >= 0 and S.max() <= 1
    np.testing.assert_array_equal(S, dbn.sample(6, n_steps=20, random_state=1))
    bottom, top = dbn.rbms_
    h1 = top.sample(6, n_steps=20, random_state=np.random.RandomState(1),
                    return_mean=False)
    ref = activate(h1 @ bottom.components_ + bottom.intercept_visible_, 1)
    np.testing.assert_allclose(S, ref, rtol=1e-5, atol=1e-6)


def test_dbn_samples_look_like_data(digits_split, fitted_dbn):
    """Generated digits are closer to real digits than to noise of equal density."""
    X = digits_split[0]
    S = fitted_dbn.sample(50, n_steps=200, random_state=0)
    rng = np.random.RandomState(0)
    noise = rng.uniform(size=S.shape) * (2 * S.mean())

    def nn_dist(A):
        d = ((A[:, None, :] - X[None, :, :]) ** 2).sum(-1)
        return np.sqrt(d.min(1)).mean()
    assert nn_dist(S) < 0.6 * nn_dist(noise)


# ------------------------------------------------------------ DBNClassifier
def test_classifier_learns_digits_and_pretraining_helps(digits_split):
    X, Xt, y, yt = digits_split
    kw = dict(rbm=BernoulliRBM(n_iter=10, batch_size=10, learning_rate=0.1,
                               method="cd"),
              max_iter=8, learning_rate=0.3, batch_size=20, random_state=0)
    clf = DBNClassifier((64, 64), **kw).fit(X, y)
    raw = DBNClassifier((64, 64), pretrain=False, **kw).fit(X, y)
    acc, acc_raw = clf.score(Xt, yt), raw.score(Xt, yt)
    assert acc > 0.89
    assert acc > acc_raw
    P = clf.predict_proba(Xt)
    np.testing.assert_allclose(P.sum(1), 1, rtol=1e-5)
    assert P.dtype == np.float32
    np.testing.assert_array_equal(clf.predict(Xt), clf.classes_[P.argmax(1)])
    # the network starts from the pretrained weights
    assert clf.coefs_[0].shape == (64, 64) and clf.coefs_[-1].shape == (64, 10)
    assert not np.allclose(clf.coefs_[0], clf.dbn_.rbms_[0].components_.T)


def test_classifier_early_stopping_and_labels(digits_split):
    X, Xt, y, yt = digits_split
    labels = np.array(["zero", "one", "two", "three", "four", "five", "six",
                       "seven", "eight", "nine"])
    clf = DBNClassifier((32,), rbm=SMALL_RBM, max_iter=200, learning_rate=0.1,
                        batch_size=20, early_stopping=True, n_iter_no_change=2,
                        tol=0.0, random_state=0).fit(X, labels[y])
    assert clf.n_iter_ < 200
    assert 1 <= clf.best_epoch_ <= clf.n_iter_
    assert len(clf.history_["val_error"]) == clf.n_iter_
    best = clf.history_["val_error"][clf.best_epoch_ - 1]
    assert best == min(clf.history_["val_error"])
    assert set(clf.predict(Xt)) <= set(labels)


def test_classifier_sparse_and_pickle(digits_split):
    X, Xt, y, yt = digits_split
    clf = DBNClassifier((16,), rbm=SMALL_RBM, max_iter=3, random_state=0)
    a = clf.fit(X[:300], y[:300]).predict_proba(Xt)
    b = clone(clf).fit(sp.csr_matrix(X[:300]), y[:300]).predict_proba(sp.csr_matrix(Xt))
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(Xt), a)


# ----------------------------------------------------------- DeepAutoencoder
def test_autoencoder_beats_pca_and_unrolls(digits_split):
    from sklearn.decomposition import PCA
    X, Xt, _, _ = digits_split
    ae = DeepAutoencoder((64, 32), n_components=6,
                         rbm=BernoulliRBM(n_iter=10, batch_size=20, method="cd"),
                         max_iter=100, batch_size=20, learning_rate=3e-3,
                         random_state=0).fit(X)
    net = ae.network_
    assert net.layer_sizes == [64, 64, 32, 6, 32, 64, 64]
    assert net.activations == ["logistic", "logistic", "identity", "logistic",
                               "logistic", "logistic"]
    C = ae.transform(Xt)
    assert C.shape == (len(Xt), 6) and C.dtype == np.float32
    np.testing.assert_allclose(ae.inverse_transform(C), net.predict(Xt), rtol=1e-5,
                               atol=1e-5)
    pca = PCA(6).fit(X)
    pca_err = np.mean(((Xt - pca.inverse_transform(pca.transform(Xt))) ** 2).sum(1))
    # 100 epochs: 1.80-1.89 vs PCA 2.01 for seeds 0-2 (60 epochs was a coin flip)
    assert np.mean(ae.reconstruction_error(Xt)) < pca_err
    assert ae.score(Xt) == pytest.approx(-np.mean(ae.reconstruction_error(Xt)))


def test_autoencoder_without_pretraining_and_squared_error(digits_split):
    X = digits_split[0][:300]
    ae = DeepAutoencoder((16,), n_components=4, pretrain=False,
                         loss="squared_error", max_iter=2, random_state=0).fit(X)
    assert ae.dbn_ is None and ae.network_.loss == "squared_error"
    assert ae.network_.activations[-1] == "identity"
    with pytest.raises(ValueError, match="n_components=4"):
        ae.inverse_transform(np.zeros((2, 5)))


def test_binary_codes_and_hamming_retrieval(digits_split):
    X, Xt, y, yt = digits_split
    ae = DeepAutoencoder((64,), n_components=16, code="binary", code_noise_std=4.0,
                         rbm=BernoulliRBM(n_iter=10, batch_size=20, method="cd"),
                         max_iter=30, batch_size=20, learning_rate=3e-3,
                         random_state=0).fit(X)
    assert ae.network_.noise_std[1] == 4.0
    C, Ct = ae.transform(X), ae.transform(Xt)
    assert set(np.unique(C)) <= {0.0, 1.0}
    # the noise pushed the code units into saturation
    P = ae.network_.predict(Xt, layer=1)
    assert np.mean((P < 0.1) | (P > 0.9)) > 0.8
    d, i = hamming_neighbors(Ct, C, n_neighbors=5)
    assert d.shape == i.shape == (len(Xt), 5)
    assert np.all(np.diff(d, axis=1) >= 0)
    precision = np.mean(y[i] == yt[:, None])
    assert precision > 0.5  # chance is 0.1


def test_hamming_distances_exact():
    rng = np.random.RandomState(0)
    A = (rng.uniform(size=(7, 33)) < 0.5).astype(float)
    B = (rng.uniform(size=(5, 33)) < 0.5).astype(float)
    ref = (A[:, None, :] != B[None, :, :]).sum(-1)
    np.testing.assert_array_equal(hamming_distances(A, B), ref)
    d, i = hamming_neighbors(A, B, n_neighbors=None, max_distance=16)
    for row, dr, ir in zip(ref, d, i):
        assert np.all(dr <= 16) and np.array_equal(row[ir], dr)
        assert len(ir) == np.sum(row <= 16)
    with pytest.raises(ValueError, match="binary codes"):
        hamming_distances(A + 0.5, B)
    with pytest.raises(ValueError, match="bits"):
        hamming_distances(A, B[:, :5])


def test_autoencoder_auto_loss_follows_data_and_units():
    from skdeepgen import GaussianBernoulliRBM
    rng = np.random.RandomState(0)
    Z = rng.standard_normal((60, 5)).astype(np.float32)
    ae = DeepAutoencoder((4,), n_components=2, pretrain=False, max_iter=2,
                         random_state=0).fit(Z)
    assert ae.network_.loss == "squared_error"
    assert ae.network_.activations[-1] == "identity"
    rbms = [GaussianBernoulliRBM(n_iter=2), BernoulliRBM(n_iter=2)]
    ae = DeepAutoencoder((4,), n_components=2, rbm=rbms, max_iter=2,
                         random_state=0).fit(Z)
    assert ae.network_.loss == "squared_error"
    assert ae.network_.activations == ["logistic", "identity", "logistic", "identity"]
    with pytest.raises(ValueError, match="needs X in"):
        DeepAutoencoder((4,), n_components=2, pretrain=False, loss="cross_entropy",
                        max_iter=1).fit(Z)


def test_classifier_reuses_a_pretrained_dbn(digits_split, fitted_dbn):
    X, Xt, y, yt = digits_split
    clf = DBNClassifier((48, 32), pretrain=fitted_dbn, max_iter=0,
                        random_state=0).fit(X, y)
    assert clf.dbn_ is not fitted_dbn
    np.testing.assert_array_equal(clf.coefs_[1], fitted_dbn.rbms_[1].components_.T)
    with pytest.raises(ValueError, match="does not match"):
        DBNClassifier((48, 16), pretrain=fitted_dbn, max_iter=0).fit(X, y)


def test_classifier_dropout(digits_split, fitted_dbn):
    X, Xt, y, yt = digits_split
    kw = dict(pretrain=fitted_dbn, max_iter=10, batch_size=20, random_state=0)
    plain = DBNClassifier((48, 32), **kw).fit(X, y)
    drop = DBNClassifier((48, 32), dropout=0.3, input_dropout=0.1, **kw).fit(X, y)
    assert drop.network_.dropout == [0.1, 0.3, 0.3]
    assert drop.score(Xt, yt) > 0.85  # it learns through the masks...
    # ...which slow the fit of the training set (a regulariser)
    assert drop.history_["loss"][-1] > plain.history_["loss"][-1]
    # prediction uses the whole network: deterministic, no masks
    np.testing.assert_array_equal(drop.predict_proba(Xt), drop.predict_proba(Xt))
    # set_params between fine-tuning passes takes effect
    drop.set_params(dropout=0.0, input_dropout=0.0).partial_fit(X, y)
    assert drop.network_.dropout == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="dropout"):
        DBNClassifier((48, 32), dropout=1.0, **kw).fit(X, y)


def test_dbn_sample_from_data_and_mean_down_pass(digits_split, fitted_dbn):
    X = digits_split[0][:5]
    dbn = fitted_dbn
    bottom, top = dbn.rbms_
    S = dbn.sample(n_steps=3, init=X, down_pass="mean", random_state=2)
    assert S.shape == X.shape
    start = bottom.transform(X)
    h1 = top.sample(5, n_steps=3, init=start, random_state=np.random.RandomState(2),
                    return_mean=True)
    ref = activate(h1 @ bottom.components_ + bottom.intercept_visible_, 1)
    np.testing.assert_allclose(S, ref, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="down_pass"):
        dbn.sample(2, down_pass="bogus")


# ------------------------------------------------- word counts (RSM bottom)
@pytest.fixture(scope="session")
def topic_counts():
    """Documents from 3 topics (each with its own 10 frequent words of 30)."""
    rng = np.random.RandomState(0)
    y = rng.randint(0, 3, 240)
    rates = np.full((3, 30), 0.1)
    for k in range(3):
        rates[k, 10 * k:10 * k + 10] = 1.5
    lengths = rng.randint(5, 60, 240)[:, None] / rates[y].sum(1, keepdims=True)
    X = rng.poisson(rates[y] * lengths).astype(np.float32)
    X[7] = 0  # an empty document
    return sp.csr_matrix(X), y


def test_count_autoencoder_unrolls_replicated_softmax_exactly(topic_counts):
    from skdeepgen import ReplicatedSoftmaxRBM
    X, _ = topic_counts
    rbms = [ReplicatedSoftmaxRBM(n_iter=5, learning_rate=0.01), BernoulliRBM(n_iter=5)]
    ae = DeepAutoencoder((8,), n_components=4, rbm=rbms, max_iter=0,
                         random_state=0).fit(X)
    net = ae.network_
    # counts plus a length column in, a word distribution out
    assert net.layer_sizes == [31, 8, 4, 8, 30]
    assert net.activations[-1] == "softmax" and net.loss == "softmax_cross_entropy"
    # the first layer is the RSM's p(h | v) with length-scaled hidden biases
    H = net.predict(ae._net_input(X), layer=0)
    np.testing.assert_allclose(H, ae.dbn_.rbms_[0].transform(X), rtol=1e-5, atol=1e-6)
    # the decoder's last layer is the RSM's word distribution given h
    rsm = ae.dbn_.rbms_[0]
    P = net.forward(H, start=3)
    W, b = rsm.components_.astype(np.float64), rsm.intercept_visible_
    ref = activate(H.astype(np.float64) @ W + b, 4)
    np.testing.assert_allclose(P, ref, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="cross-entropy"):
        DeepAutoencoder((8,), n_components=4, rbm=rbms, loss="squared_error",
                        max_iter=1, random_state=0).fit(X)


def test_count_autoencoder_finetunes_binary_codes(topic_counts):
    from skdeepgen import ReplicatedSoftmaxRBM
    X, y = topic_counts
    rbms = [ReplicatedSoftmaxRBM(n_iter=30, learning_rate=0.01, batch_size=100),
            BernoulliRBM(n_iter=10, batch_size=20)]
    ae = DeepAutoencoder((16,), n_components=6, code="binary", rbm=rbms,
                         max_iter=30, batch_size=20, learning_rate=3e-3,
                         random_state=0).fit(X)
    loss = ae.history_["loss"]
    assert loss[-1] < 0.9 * loss[0]
    R = ae.inverse_transform(ae.transform(X))
    np.testing.assert_allclose(R.sum(1), 1.0, rtol=1e-5)
    assert np.all(np.isfinite(ae.reconstruction_error(X)))
    # same-topic neighbours by Hamming distance (chance 1/3)
    nonempty = np.asarray(X.sum(1)).ravel() > 0
    C = ae.transform(X[nonempty])
    _, idx = hamming_neighbors(C, C, n_neighbors=6)
    precision = np.mean(y[nonempty][idx[:, 1:]] == y[nonempty][:, None])
    assert precision > 0.9
    # the same model from dense input
    dense = clone(ae).fit(X.toarray())
    np.testing.assert_array_equal(dense.transform(X), ae.transform(X))


def test_classifier_on_word_counts(topic_counts):
    from skdeepgen import ReplicatedSoftmaxRBM
    X, y = topic_counts
    clf = DBNClassifier((16,), rbm=ReplicatedSoftmaxRBM(n_iter=10, learning_rate=0.01),
                        max_iter=30, batch_size=20, learning_rate=0.1,
                        random_state=0).fit(X, y)
    assert clf.network_.layer_sizes == [31, 16, 3]
    assert clf.score(X, y) > 0.9


def test_count_autoencoder_word_weights(topic_counts):
    from skdeepgen import ReplicatedSoftmaxRBM
    from skdeepgen.finetuning import word_proportions as _word_proportions
    X, _ = topic_counts
    rbms = [ReplicatedSoftmaxRBM(n_iter=2), BernoulliRBM(n_iter=2)]
    ae = DeepAutoencoder((8,), n_components=4, rbm=rbms, word_weights="idf",
                         max_iter=1, random_state=0).fit(X)
    Xd = X.toarray()
    df = (Xd > 0).sum(0)
    idf = np.log((1 + len(Xd)) / (1 + df)) + 1  # scikit-learn's smoothed idf
    np.testing.assert_allclose(ae.word_weights_, idf)
    T = _word_proportions(X, idf)
    ref = Xd * idf / np.maximum((Xd * idf).sum(1, keepdims=True), 1e-300)
    np.testing.assert_allclose(T, ref, rtol=1e-6)
    assert T.dtype == np.float32 and np.all(T[7] == 0)
    # a refit that fails after pretraining leaves the fitted model as it was
    codes = ae.transform(X)
    with pytest.raises(ValueError, match="one per feature"):
        ae.set_params(word_weights=np.ones(3)).fit(X)
    np.testing.assert_array_equal(ae.transform(X), codes)
    np.testing.assert_allclose(ae.word_weights_, idf)
    with pytest.raises(ValueError, match="word counts only"):
        DeepAutoencoder((4,), n_components=2, rbm=BernoulliRBM(n_iter=1),
                        word_weights="idf", max_iter=1).fit(Xd > 0)
