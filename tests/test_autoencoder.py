"""The autoencoder family: gradients, corruption, exact answers, stacks."""
import pickle

import numpy as np
import pytest
from sklearn.decomposition import PCA

from skdeepgen import (Autoencoder, BernoulliRBM, ContractiveAutoencoder,
                       DenoisingAutoencoder, SdAClassifier, SparseAutoencoder,
                       StackedDenoisingAutoencoder)
from skdeepgen._kernels.nn import _corrupt
from skdeepgen.autoencoder import Contraction, Corruption
from skdeepgen.nn import DenseNetwork

from . import _naive

KINDS = {"masking": 0, "gaussian": 1, "salt_and_pepper": 2}


def _unit(rng, n=7, d=5):
    return rng.uniform(0.05, 0.95, size=(n, d))


def _initialized(X, **params):
    """An autoencoder whose network is initialised on ``X`` (no epochs)."""
    est = Autoencoder(**{"n_components": 3, "max_iter": 0, "random_state": 0,
                         **params}).fit(X)
    rng = np.random.RandomState(1)
    for b in est.network_.intercepts:  # non-zero biases
        b[...] = 0.3 * rng.standard_normal(b.shape)
    return est


def _numerical_gradient(net, X, Y, eps=1e-6):
    grads = {}
    for name, P in net.params().items():
        G = np.empty_like(P)
        for k in np.ndindex(P.shape):
            old = P[k]
            P[k] = old + eps
            plus = net.loss_gradient(X, Y)[0]
            P[k] = old - eps
            minus = net.loss_gradient(X, Y)[0]
            P[k] = old
            G[k] = (plus - minus) / (2 * eps)
        grads[name] = G
    return grads


# ------------------------------------------------------------- gradients
_LOSSES = [  # (activation, loss, output_activation, data in [0, 1]?)
    ("logistic", "cross_entropy", "logistic", True),
    ("logistic", "squared_error", "logistic", True),
    ("logistic", "squared_error", "identity", False),
    ("tanh", "squared_error", "identity", False),
    ("relu", "cross_entropy", "logistic", True),
    ("identity", "squared_error", "identity", False),
]
_PENALTIES = {
    "none": {},
    "sparsity": {"sparsity_target": 0.1, "sparsity_cost": 0.7},
    "contraction": {"contraction": 0.3},
    "both": {"sparsity_target": 0.2, "sparsity_cost": 0.5, "contraction": 0.2},
}


# the sparsity target needs logistic code units
_COMBINATIONS = [(*losses, penalty) for losses in _LOSSES for penalty in _PENALTIES
                 if losses[0] == "logistic" or penalty in ("none", "contraction")]


@pytest.mark.parametrize("tied", [True, False], ids=["tied", "untied"])
@pytest.mark.parametrize("activation,loss,out,unit,penalty", _COMBINATIONS)
@pytest.mark.parametrize("corruption", [None, "masking", "gaussian"])
def test_gradients_match_finite_differences(tied, penalty, activation, loss, out,
                                            unit, corruption):
    rng = np.random.RandomState(0)
    X = _unit(rng) if unit else rng.standard_normal((7, 5))
    est = _initialized(X, activation=activation, loss=loss, output_activation=out,
                       tied_weights=tied, **_PENALTIES[penalty])
    net = est.network_
    X_in = X if corruption is None else Corruption(corruption, 0.3)(X, seed=11)
    value, grads, _ = net.loss_gradient(X_in, X)
    numerical = _numerical_gradient(net, X_in, X)
    assert grads.keys() == numerical.keys()
    assert ("coef_1" in grads) is not tied
    for name in grads:
        np.testing.assert_allclose(grads[name], numerical[name], rtol=1e-5,
                                   atol=1e-7, err_msg=name)


def test_penalty_values_are_the_definitions():
    """The network's penalty: KL of the mean code from the target, and the
    squared Frobenius norm of the encoder Jacobian (finite differences)."""
    rng = np.random.RandomState(2)
    X = _unit(rng)
    plain = _initialized(X).network_
    base = plain.loss_gradient(X, X)[0]
    target, cost, lam = 0.1, 0.7, 0.3
    sparse = _initialized(X, sparsity_target=target, sparsity_cost=cost).network_
    H = plain.forward(X, layer=0)
    q = H.mean(axis=0)
    kl = np.sum(target * np.log(target / q) + (1 - target) * np.log((1 - target) / (1 - q)))
    assert sparse.loss_gradient(X, X)[0] == pytest.approx(base + cost * kl, rel=1e-10)
    contractive = _initialized(X, contraction=lam).network_
    frob = 0.0
    eps = 1e-6
    for x in X:
        J = np.empty((H.shape[1], X.shape[1]))
        for i in range(X.shape[1]):
            e = np.zeros(X.shape[1])
            e[i] = eps
            J[:, i] = (plain.forward((x + e)[None], layer=0)
                       - plain.forward((x - e)[None], layer=0))[0] / (2 * eps)
        frob += np.sum(J ** 2)
    assert contractive.loss_gradient(X, X)[0] == pytest.approx(
        base + lam * frob / len(X), rel=1e-7)


def test_contraction_of_a_linear_encoder_is_the_weights_norm():
    W = np.arange(6.0).reshape(3, 2)
    A = np.zeros((4, 2))
    value, dW = Contraction(0.5, "identity")(A, np.zeros_like(A), W)
    assert value == pytest.approx(0.5 * 4 * np.sum(W ** 2))
    np.testing.assert_allclose(dW, 0.5 * 2 * 4 * W)


# ------------------------------------------------------------- corruption
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", list(KINDS))
def test_corrupt_kernel_matches_reference(kind, dtype):
    X = np.random.RandomState(0).uniform(size=(6, 9)).astype(dtype)
    out = np.empty_like(X)
    _corrupt(X, out, KINDS[kind], 0.4, 17)
    ref = _naive.corrupt(X, KINDS[kind], 0.4, 17)
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("level", [0.1, 0.5])
def test_corruption_statistics(level):
    X = np.full((400, 250), 0.5)
    n = X.size
    masked = Corruption("masking", level)(X, seed=3)
    frac = np.mean(masked == 0)
    assert abs(frac - level) < 4 * np.sqrt(level * (1 - level) / n)
    assert np.all((masked == 0) | (masked == 0.5))
    noisy = Corruption("gaussian", level)(X, seed=3) - X
    assert abs(noisy.mean()) < 4 * level / np.sqrt(n)
    assert noisy.std() == pytest.approx(level, rel=0.01)
    snp = Corruption("salt_and_pepper", level)(X, seed=3)
    assert abs(np.mean(snp != 0.5) - level) < 4 * np.sqrt(level * (1 - level) / n)
    assert abs(np.mean(snp == 1) - np.mean(snp == 0)) < 4 * np.sqrt(level / n)


def test_corruption_is_a_function_of_the_seed():
    X = np.random.RandomState(0).uniform(size=(20, 10)).astype(np.float32)
    c = Corruption("masking", 0.3)
    np.testing.assert_array_equal(c(X, 5), c(X, 5))
    assert not np.array_equal(c(X, 5), c(X, 6))
    assert c(X, 5).dtype == np.float32


def test_corruption_level_out_of_range_is_a_clear_error():
    X = np.random.RandomState(0).uniform(size=(20, 4))
    with pytest.raises(ValueError, match="corruption_level.*\\[0, 1\\]"):
        DenoisingAutoencoder(3, corruption_level=1.5).fit(X)
    # Gaussian noise: any standard deviation
    DenoisingAutoencoder(3, corruption="gaussian", corruption_level=1.5,
                         max_iter=1).fit(X)


def test_denoising_trains_on_corrupted_inputs_against_clean_targets(monkeypatch):
    X = np.random.RandomState(0).uniform(size=(20, 4))
    seen = []
    original = DenseNetwork.train_step

    def spy(net, X_in, Y, optimizer, seed=0):
        seen.append((X_in.copy(), Y.copy()))
        return original(net, X_in, Y, optimizer, seed)
    monkeypatch.setattr(DenseNetwork, "train_step", spy)
    DenoisingAutoencoder(3, corruption_level=0.5, batch_size=20, max_iter=1,
                         random_state=0).fit(X)
    X_in, Y = seen[0]
    assert np.all((X_in == Y) | (X_in == 0))
    assert 0.3 < np.mean(X_in == 0) < 0.7


# ----------------------------------------------------------- exact answers
def test_linear_autoencoder_spans_the_pca_subspace():
    """A linear autoencoder with squared loss reaches PCA's reconstruction
    error and its decoder spans the principal subspace (Baldi & Hornik 1989)."""
    rng = np.random.RandomState(0)
    A = np.linalg.qr(rng.standard_normal((6, 2)))[0].T * np.array([[2.0], [1.5]])
    X = rng.standard_normal((200, 2)) @ A + 0.2 * rng.standard_normal((200, 6)) + 0.5
    ae = Autoencoder(2, activation="identity", loss="squared_error",
                     tied_weights=False, solver="adam", learning_rate=0.02,
                     learning_rate_schedule="linear", batch_size=10, max_iter=60,
                     random_state=0).fit(X)
    pca = PCA(2).fit(X)
    pca_loss = 0.5 * np.mean(np.sum((X - pca.inverse_transform(pca.transform(X))) ** 2, 1))
    assert -ae.score(X) == pytest.approx(pca_loss, rel=1e-4)
    decoder = ae.decoder_layer()[0]  # (2, 6): rows span the subspace
    cosines = np.linalg.svd(np.linalg.qr(decoder.T)[0].T @ pca.components_.T,
                            compute_uv=False)
    np.testing.assert_allclose(cosines, 1.0, atol=1e-5)


def test_sparsity_target_lowers_the_mean_activation():
    X = np.random.RandomState(0).uniform(size=(200, 8))
    kw = dict(n_components=20, max_iter=30, batch_size=20, random_state=0)
    plain = Autoencoder(**kw).fit(X).transform(X).mean()
    sparse = SparseAutoencoder(sparsity_target=0.05, sparsity_cost=3.0,
                               **kw).fit(X).transform(X).mean()
    assert sparse < 0.15 < plain


def test_contraction_shrinks_the_jacobian():
    X = np.random.RandomState(0).uniform(size=(200, 8))
    kw = dict(n_components=10, max_iter=20, batch_size=20, random_state=0)

    def jacobian_norm(est):
        H = est.transform(X)
        W = est.components_
        return np.mean((H * (1 - H)) ** 2 @ (W ** 2).sum(axis=1))
    plain = jacobian_norm(Autoencoder(**kw).fit(X))
    assert jacobian_norm(ContractiveAutoencoder(contraction=1.0, **kw).fit(X)) < 0.5 * plain


# ---------------------------------------------------------------- model
def test_variants_are_configurations_of_one_model():
    X = np.random.RandomState(0).uniform(size=(30, 5))
    kw = dict(n_components=3, max_iter=3, batch_size=10, random_state=0)
    pairs = [(DenoisingAutoencoder(corruption_level=0.3, **kw),
              Autoencoder(corruption_level=0.3, **kw)),
             (SparseAutoencoder(sparsity_target=0.1, **kw),
              Autoencoder(sparsity_target=0.1, **kw)),
             (ContractiveAutoencoder(contraction=0.2, **kw),
              Autoencoder(contraction=0.2, **kw))]
    for variant, general in pairs:
        a, b = variant.fit(X), general.fit(X)
        np.testing.assert_array_equal(a.transform(X), b.transform(X))


def test_tied_weights_stay_tied_through_pickle_and_refit():
    X = np.random.RandomState(0).uniform(size=(30, 5))
    ae = Autoencoder(3, max_iter=2, batch_size=10, random_state=0).fit(X)
    for est in (ae, pickle.loads(pickle.dumps(ae))):
        net = est.network_
        assert np.shares_memory(net.coefs[1], net.coefs[0])
        np.testing.assert_array_equal(net.coefs[1], net.coefs[0].T)
        assert set(net.params()) == {"coef_0", "intercept_0", "intercept_1"}
    before = ae.transform(X)
    ae.partial_fit(X)
    assert np.shares_memory(ae.network_.coefs[1], ae.network_.coefs[0])
    assert not np.array_equal(before, ae.transform(X))


def test_dense_layer_view_reproduces_transform_and_inverse_transform():
    X = np.random.RandomState(0).uniform(size=(30, 5)).astype(np.float32)
    ae = Autoencoder(3, tied_weights=False, max_iter=2, batch_size=10,
                     random_state=0).fit(X)
    W, b, act = ae.encoder_layer()
    H = DenseNetwork([W], [b], [act]).forward(ae.encoder_input(X))
    np.testing.assert_allclose(H, ae.transform(X), rtol=1e-6)
    W, b, act = ae.decoder_layer(np.float64)
    assert W.dtype == np.float64 and act == "logistic"
    np.testing.assert_allclose(DenseNetwork([W], [b], [act]).forward(H.astype(np.float64)),
                               ae.inverse_transform(H), rtol=1e-5)


def test_loss_choice_and_errors():
    rng = np.random.RandomState(0)
    unit, real = rng.uniform(size=(20, 4)), rng.standard_normal((20, 4))
    assert Autoencoder(3, max_iter=1).fit(unit).loss_ == "cross_entropy"
    ae = Autoencoder(3, max_iter=1).fit(real)
    assert ae.loss_ == "squared_error" and ae.network_.activations[1] == "identity"
    with pytest.raises(ValueError, match="needs X in \\[0, 1\\].*squared_error"):
        Autoencoder(3, loss="cross_entropy").fit(real)
    with pytest.raises(ValueError, match="output_activation='logistic'"):
        Autoencoder(3, loss="cross_entropy", output_activation="identity").fit(unit)
    with pytest.raises(ValueError, match="sparsity_target.*activation='logistic'"):
        Autoencoder(3, sparsity_target=0.1, activation="tanh").fit(unit)
    fitted = Autoencoder(3, max_iter=1).fit(unit)
    with pytest.raises(ValueError, match="needs X in \\[0, 1\\]"):
        fitted.partial_fit(real)
    with pytest.raises(ValueError, match="n_components=3"):
        fitted.inverse_transform(np.zeros((2, 4)))


def test_early_stopping_monitors_the_clean_validation_loss():
    X = np.random.RandomState(0).uniform(size=(100, 6))
    ae = DenoisingAutoencoder(4, early_stopping=True, max_iter=50, n_iter_no_change=2,
                              tol=10.0, batch_size=10, random_state=0).fit(X)
    # no epoch improves on the first by more than tol: stop after 1 + 2 epochs
    assert ae.n_iter_ == 3 and len(ae.history_["val_loss"]) == 3
    assert ae.best_epoch_ == 1


# ----------------------------------------------------------------- stacks
def test_stack_mixes_rbm_and_autoencoder_layers():
    X = (np.random.RandomState(0).uniform(size=(60, 8)) < 0.4).astype(float)
    layers = [BernoulliRBM(n_iter=2, batch_size=10),
              DenoisingAutoencoder(max_iter=2, batch_size=10)]
    sda = StackedDenoisingAutoencoder((6, 4), autoencoder=layers,
                                      transform_layers="all", random_state=0).fit(X)
    assert [type(est) for est in sda.layers_] == [BernoulliRBM, DenoisingAutoencoder]
    H1 = sda.layers_[0].transform(X)
    np.testing.assert_allclose(sda.transform(X),
                               np.hstack([H1, sda.layers_[1].transform(H1)]))


def test_sda_classifier_starts_from_the_unrolled_stack():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(60, 8))
    y = (X[:, 0] > 0.5).astype(int)
    layer = DenoisingAutoencoder(max_iter=2, batch_size=10)
    clf = SdAClassifier((6, 5), autoencoder=layer, max_iter=0,
                        random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.network_.predict(X, layer=1),
                               clf.sda_.transform(X), rtol=1e-12)
    clf = SdAClassifier((6, 5), autoencoder=layer, max_iter=40, batch_size=10,
                        learning_rate=0.3, dropout=0.0, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.9
    assert clf.predict_proba(X).shape == (60, 2)
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 41
