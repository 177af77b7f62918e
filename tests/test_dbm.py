"""Deep Boltzmann machines: exact answers on tiny models, then behaviour.

The contracts every estimator keeps (scikit-learn's checks, float32,
reproducibility, pickling, transactional refit) are in test_common.py and
test_contracts.py; here: log Z and the variational bound against
enumeration, the mean-field fixed point, the pretraining RBMs' doubled
inputs, the classifier's network, and that training learns.
"""
import itertools

import numpy as np
import pytest
from scipy.special import expit, logsumexp

from skdeepgen import DBM, BernoulliRBM, DBMClassifier
from skdeepgen.dbm import _BottomRBM, _TopRBM

_RBM = BernoulliRBM(n_iter=2, batch_size=10)


def _toy(n=200, d=8, seed=0, protos=None):
    """Noisy copies of three binary prototypes (the same for every ``seed``)."""
    if protos is None:
        protos = (np.random.RandomState(0).uniform(size=(3, d)) < 0.5).astype(float)
    rng = np.random.RandomState(seed)
    X = protos[rng.randint(3, size=n)]
    flip = rng.uniform(size=X.shape) < 0.05
    return np.abs(X - flip)


def _with_params(sizes, scale=1.0, seed=0):
    """A fitted DBM whose parameters are replaced by random ones."""
    rng = np.random.RandomState(seed)
    X = (rng.uniform(size=(20, sizes[0])) < 0.5).astype(float)
    dbm = DBM(sizes[1:], rbm=_RBM, n_iter=1, batch_size=10, random_state=0).fit(X)
    dbm.components_ = [scale * rng.standard_normal((m, n))
                       for n, m in zip(sizes, sizes[1:])]
    dbm.intercepts_ = [0.5 * rng.standard_normal(m) for m in sizes]
    return dbm


def _states(sizes):
    """Every joint state, split per layer."""
    S = np.array(list(itertools.product([0.0, 1.0], repeat=sum(sizes))))
    return np.split(S, np.cumsum(sizes)[:-1], axis=1)


def _neg_energy(dbm, layers):
    out = sum(x @ b for x, b in zip(layers, dbm.intercepts_))
    return out + sum(np.einsum("ij,ij->i", layers[k + 1] @ W, layers[k])
                     for k, W in enumerate(dbm.components_))


@pytest.mark.parametrize("sizes", [(5, 4, 3), (4, 3, 3, 2), (3, 4)])
def test_log_partition_matches_enumeration(sizes):
    dbm = _with_params(sizes)
    exact = logsumexp(_neg_energy(dbm, _states(sizes)))
    assert dbm.estimate_log_partition(method="exact").log_z == pytest.approx(exact, abs=1e-9)


def test_ais_log_partition_matches_exact():
    dbm = _with_params((6, 5, 4), scale=1.5)
    exact = dbm.estimate_log_partition(method="exact").log_z
    ais = dbm.estimate_log_partition(method="ais", n_runs=100, n_betas=2000,
                                     random_state=0)
    assert ais.log_z == pytest.approx(exact, abs=0.05)
    assert ais.log_z_low <= exact + 0.05 and exact - 0.05 <= ais.log_z_high


def test_score_uses_ais_params_and_set_params_changes_the_estimate():
    from skdeepgen.evaluation import exact_log_partition
    from skdeepgen.units import BernoulliUnits
    dbm = _with_params((17, 17, 1), scale=0.5)  # 18 even, 17 odd units: AIS
    dbm.set_params(ais_params={"n_runs": 20, "n_betas": 1000})
    X = _toy(30, 17)
    bound = dbm.score(X)
    used = dbm.estimate_log_partition()  # the cached estimate behind score
    assert (used.n_runs, used.n_betas) == (20, 1000)
    assert bound == pytest.approx(np.mean(dbm._unnormalised_bound(X)) - used.log_z)
    exact = exact_log_partition(*dbm.bipartite_view(), BernoulliUnits(), BernoulliUnits())
    assert abs(used.log_z - exact) <= max(3 * used.log_z_std, 0.05)
    dbm.set_params(ais_params={"n_runs": 5, "n_betas": 100})
    lowered = dbm.estimate_log_partition()
    assert lowered is not used and (lowered.n_runs, lowered.n_betas) == (5, 100)
    assert dbm.estimate_log_partition(n_betas=50).n_betas == 50  # arguments win
    dbm.set_params(ais_params={"n_betas": 100, "runs": 5})
    with pytest.raises(ValueError, match=r"ais_params has unknown key\(s\) \['runs'\]"):
        dbm.score(X)
    with pytest.raises(ValueError, match="ais_params"):
        DBM((4,), ais_params={"runs": 5}).fit(X)


def test_mean_field_is_a_fixed_point_and_its_bound_matches_enumeration():
    sizes = (5, 4, 3)
    dbm = _with_params(sizes, scale=1.2, seed=1)
    V = np.array([[1, 0, 1, 1, 0], [0, 0, 0, 1, 1.0]])
    mu1, mu2 = dbm._infer(V)
    W0, W1 = dbm.components_
    _, b1, b2 = dbm.intercepts_
    np.testing.assert_allclose(mu1, expit(V @ W0.T + mu2 @ W1 + b1), atol=1e-6)
    np.testing.assert_allclose(mu2, expit(mu1 @ W1.T + b2), atol=1e-6)
    # the bound by enumerating h under the factorised q, and log p(v) exactly
    H1, H2 = _states(sizes[1:])
    log_z = logsumexp(_neg_energy(dbm, _states(sizes)))
    bound = dbm.score_samples(V)
    for i, v in enumerate(V):
        Vr = np.repeat(v[None], len(H1), axis=0)
        q = (np.prod(np.where(H1, mu1[i], 1 - mu1[i]), axis=1)
             * np.prod(np.where(H2, mu2[i], 1 - mu2[i]), axis=1))
        neg_e = _neg_energy(dbm, [Vr, H1, H2])
        expected = q @ neg_e - q[q > 0] @ np.log(q[q > 0]) - log_z
        assert bound[i] == pytest.approx(expected, abs=1e-6)
        assert bound[i] <= logsumexp(neg_e) - log_z + 1e-9


def test_pretraining_rbms_double_the_input_of_interior_layers():
    X = _toy(60, 6)
    bottom = _BottomRBM(n_components=4, n_iter=2, batch_size=10, random_state=0).fit(X)
    W, c = bottom.components_, bottom.intercept_hidden_
    np.testing.assert_allclose(bottom.transform(X), expit(2 * X @ W.T + c), rtol=1e-6)
    coef, intercept, _ = bottom.encoder_layer()
    np.testing.assert_allclose(coef, 2 * W.T)
    H = bottom.transform(X)
    top = _TopRBM(n_components=3, n_iter=2, batch_size=10, random_state=0).fit(H)
    Hs = np.eye(3)
    np.testing.assert_allclose(top.inverse_transform(Hs),
                               expit(2 * Hs @ top.components_ + top.intercept_visible_),
                               rtol=1e-6)


def _exact_log_likelihood(dbm, X):
    """log p(x) by enumerating the hidden states (log Z: tested above)."""
    log_z = dbm.estimate_log_partition(method="exact").log_z
    H = _states([W.shape[0] for W in dbm.components_])
    out = []
    for v in X:
        Vr = np.repeat(v[None], len(H[0]), axis=0)
        out.append(logsumexp(_neg_energy(dbm, [Vr] + H)) - log_z)
    return np.array(out)


def test_training_learns_the_distribution():
    X, X_test = _toy(400, 16, seed=0), _toy(100, 16, seed=1)
    rbm = BernoulliRBM(n_iter=20, batch_size=20, learning_rate=0.1)
    params = dict(rbm=rbm, batch_size=20, learning_rate=0.01, random_state=0)
    untrained = DBM((6, 4), pretrain=False, n_iter=0, **params).fit(X)
    pretrained = DBM((6, 4), n_iter=0, **params).fit(X)
    dbm = DBM((6, 4), n_iter=60, **params).fit(X)
    loglik = {name: _exact_log_likelihood(est, X_test).mean() for name, est in
              [("untrained", untrained), ("pretrained", pretrained), ("dbm", dbm)]}
    # three prototypes with 5% of 16 bits flipped: the entropy is about
    # log 3 + 16 H(0.05) = 4.3 nats
    # (measured: untrained -7.75, pretrained -4.88, jointly trained -4.68;
    # seeds 1-3: -4.62 -> -4.52, -4.60 -> -4.60, -4.68 -> -4.52)
    assert loglik["untrained"] < -7
    assert loglik["dbm"] > -4.75
    assert loglik["dbm"] > loglik["pretrained"] + 0.1
    after = loglik["dbm"]
    bound = dbm.score(X_test)
    assert after - 1.0 < bound <= after + 1e-9


def test_complete_fills_masked_values_from_the_other_half():
    protos = np.array([[1, 1, 1, 0, 0, 1, 0, 1, 0, 1], [0, 0, 1, 1, 1, 0, 1, 0, 1, 0],
                       [1, 0, 0, 1, 0, 1, 1, 0, 0, 1]], dtype=float)
    X = _toy(400, seed=2, protos=protos)
    dbm = DBM((8, 4), rbm=BernoulliRBM(n_iter=20, batch_size=20, learning_rate=0.1),
              n_iter=30, batch_size=20, learning_rate=0.01, random_state=0).fit(X)
    X_miss = X[:100].copy()
    X_miss[:, :5] = np.nan
    filled = dbm.complete(X_miss)
    np.testing.assert_array_equal(filled[:, 5:], X[:100, 5:])
    # the model's exact conditional means of the missing half, by enumeration
    S = np.array(list(itertools.product([0.0, 1.0], repeat=5)))
    exact = []
    for v in X[:100]:
        ll = _exact_log_likelihood(dbm, np.hstack([S, np.repeat(v[None, 5:], 32, 0)]))
        p = np.exp(ll - ll.max())
        exact.append(p @ S / p.sum())
    assert np.abs(filled[:, :5] - np.array(exact)).mean() < 0.05
    error = np.abs(filled[:, :5] - X[:100, :5]).mean()
    base = np.abs(X[:, :5].mean(axis=0) - X[:100, :5]).mean()
    assert error < 0.3 * base  # (measured: 0.106 against 0.453)


def test_complete_rejects_values_outside_unit_range():
    X = _toy(40, 6)
    dbm = DBM((4, 3), rbm=_RBM, n_iter=1, batch_size=10, random_state=0).fit(X)
    with pytest.raises(ValueError, match="5 features"):
        dbm.complete(np.full((2, 5), np.nan))
    with pytest.warns(UserWarning, match=r"\[0, 1\]"):
        dbm.complete(np.array([[np.nan, 3, 0, 1, 0, 1]]))


def test_sample_starts_from_the_persistent_chains_and_is_reproducible():
    X = _toy(60, 6)
    dbm = DBM((4, 3), rbm=_RBM, n_iter=2, batch_size=10, random_state=0).fit(X)
    chains = [c.copy() for c in dbm.chains_]
    a = dbm.sample(25, n_steps=5)
    b = dbm.sample(25, n_steps=5)
    assert a.shape == (25, 6) and np.all((a >= 0) & (a <= 1))
    np.testing.assert_array_equal(a, b)
    for c, d in zip(chains, dbm.chains_):
        np.testing.assert_array_equal(c, d)
    s = dbm.sample(4, n_steps=3, return_mean=False)
    assert set(np.unique(s)) <= {0.0, 1.0}


def test_max_norm_bounds_incoming_weights():
    X = _toy(100, 8)
    dbm = DBM((6, 4), rbm=_RBM, n_iter=3, batch_size=10, learning_rate=0.5,
              max_norm=0.5, random_state=0).fit(X)
    for W in dbm.components_:
        assert np.linalg.norm(W, axis=1).max() <= 0.5 + 1e-6


def test_transform_layers_all_concatenates_posteriors():
    X = _toy(40, 6)
    dbm = DBM((4, 3), rbm=_RBM, n_iter=1, batch_size=10, transform_layers="all",
              random_state=0).fit(X)
    H = dbm.transform(X)
    assert H.shape == (40, 7)
    assert list(dbm.get_feature_names_out())[-1] == "dbm6"


def test_classifier_network_starts_from_the_mean_field_equations():
    X = _toy(100, 8)
    y = (X[:, 0] > 0).astype(int)
    dbm = DBM((6, 4), rbm=_RBM, n_iter=2, batch_size=10, random_state=0).fit(X)
    clf = DBMClassifier((6, 4), pretrain=dbm, max_iter=0, random_state=0).fit(X, y)
    mu1, mu2 = dbm._infer(X)
    net = clf.network_
    h1 = expit(np.hstack([X, mu2]) @ net.coefs[0] + net.intercepts[0])
    np.testing.assert_allclose(h1, mu1, atol=1e-5)  # the fixed point of h_1
    np.testing.assert_allclose(expit(h1 @ net.coefs[1] + net.intercepts[1]), mu2,
                               atol=1e-5)
    with pytest.raises(ValueError, match="does not match"):
        DBMClassifier((6, 5), pretrain=dbm).fit(X, y)


def test_classifier_learns_digits():
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    X = X / 16
    dbm = DBM(rbm=BernoulliRBM(n_iter=5, batch_size=20), n_iter=5, batch_size=20)
    clf = DBMClassifier((64, 64), dbm=dbm, learning_rate=0.3, batch_size=20,
                        max_iter=10, dropout=0, input_dropout=0,
                        output_only_epochs=0, random_state=0).fit(X[:1200], y[:1200])
    assert clf.score(X[1200:], y[1200:]) > 0.85
    assert clf.dbm_.components_[0].shape == (64, 64)


def test_output_only_epochs_hold_the_pretrained_layers():
    # the first fine-tuning epochs train the softmax layer alone
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16, y[:300]
    dbm = DBM(rbm=BernoulliRBM(n_iter=2, batch_size=20), n_iter=2, batch_size=20)
    clf = DBMClassifier((16, 16), dbm=dbm, batch_size=20, max_iter=4, dropout=0,
                        input_dropout=0, output_only_epochs=2, random_state=0)
    for _ in range(2):  # partial_fit: one fine-tuning epoch (pretraining first)
        clf.partial_fit(X, y, classes=np.arange(10))
    start = DBMClassifier((16, 16), pretrain=clf.dbm_, max_iter=0,
                          random_state=0).fit(X, y)
    for k in range(2):  # the DBM's layers: as initialised
        np.testing.assert_array_equal(clf.coefs_[k], start.coefs_[k])
        np.testing.assert_array_equal(clf.intercepts_[k], start.intercepts_[k])
    assert not np.array_equal(clf.coefs_[2], start.coefs_[2])
    clf.partial_fit(X, y)  # the third epoch trains every layer
    assert not np.array_equal(clf.coefs_[0], start.coefs_[0])
