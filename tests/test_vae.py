"""The variational autoencoder: kernels against NumPy references, gradients by
finite differences through the reparameterisation (fixed noise), and the
importance-weighted bound (stable, equal to the ELBO for k=1, rising with k).

Contracts shared with every estimator (scikit-learn's checks,
reproducibility, float32, pickle, transactional refit, divergence) come from
the two ``VAE`` cases of ``tests/_estimators.py``.
"""
import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.datasets import load_digits

from skdeepgen import VAE
from skdeepgen._kernels.vae import (_bernoulli_log_lik, _bernoulli_log_lik_grad32,
                                    _binarize, _gaussian_log_lik, _log_mean_exp,
                                    _posterior_grad, _row_keys, _sample_latent)
from skdeepgen.evaluation import decoder_log_likelihood, importance_weighted_bound

from . import _naive

_TOL = {np.float32: 1e-5, np.float64: 1e-11}


# ------------------------------------------------------------------ kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sample_latent_matches_reference(dtype):
    rng = np.random.RandomState(0)
    n, K, m = 4, 3, 5
    H = rng.standard_normal((n, 2 * m)).astype(dtype)
    keys = np.empty(n, np.uint64)
    _row_keys(H, 7, False, keys)
    np.testing.assert_array_equal(keys, 7 + np.arange(n, dtype=np.uint64))
    eps, Z = np.empty((n * K, m), dtype), np.empty((n * K, m), dtype)
    lpq = np.empty((n, K))
    _sample_latent(H, keys, 2, K, eps, Z, lpq)
    ref_eps, ref_Z, ref_lpq = _naive.sample_latent(H, keys, 2, K)
    tol = _TOL[dtype]
    np.testing.assert_allclose(eps, ref_eps, rtol=tol, atol=tol)
    np.testing.assert_allclose(Z, ref_Z, rtol=tol, atol=tol)
    np.testing.assert_allclose(lpq, ref_lpq, rtol=1e-10, atol=1e-6 if dtype == np.float32 else 1e-10)


def test_row_keys_by_value_ignore_position():
    X = np.random.RandomState(0).uniform(size=(5, 3))
    k1, k2 = np.empty(5, np.uint64), np.empty(5, np.uint64)
    _row_keys(X, 3, True, k1)
    _row_keys(np.ascontiguousarray(X[::-1]), 3, True, k2)
    np.testing.assert_array_equal(k1, k2[::-1])
    assert len(set(k1.tolist())) == 5


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binarize_matches_reference(dtype):
    X = np.random.RandomState(0).uniform(size=(6, 9)).astype(dtype)
    out = np.empty_like(X)
    _binarize(X, 11, out)
    np.testing.assert_array_equal(out, _naive.binarize(X, 11))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_log_likelihood_matches_reference(dtype, likelihood):
    rng = np.random.RandomState(0)
    n, K, d = 3, 4, 7
    X = (rng.uniform(size=(n, d)) < 0.5).astype(dtype)
    out = (rng.standard_normal((n * K, d)) * 4).astype(dtype)
    out[0, :2] = [-60, 60]  # saturated logits stay finite
    D = np.empty_like(out)
    ll = np.empty((n, K))
    if likelihood == "bernoulli":
        _bernoulli_log_lik(out, X, K, True, D, ll)
        ref_ll, ref_D = _naive.bernoulli_log_lik(out, X, K)
    else:
        lv = rng.standard_normal(d).astype(dtype)
        _gaussian_log_lik(out, X, K, lv, True, D, ll)
        ref_ll, ref_D = _naive.gaussian_log_lik(out, X, K, lv)
    assert np.all(np.isfinite(ll))
    np.testing.assert_allclose(ll, ref_ll, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(D, ref_D, rtol=_TOL[dtype], atol=_TOL[dtype])


def test_float32_training_log_likelihood_matches_reference():
    # the float32-arithmetic kernel that trains float32 Bernoulli decoders
    rng = np.random.RandomState(1)
    n, K, d = 5, 3, 300
    X = rng.uniform(size=(n, d)).astype(np.float32)  # probabilities too
    out = (rng.standard_normal((n * K, d)) * 6).astype(np.float32)
    out[0, :4] = [-100, 100, 0, -1e-9]  # saturated, zero and tiny logits
    D, ll = np.empty_like(out), np.empty((n, K))
    _bernoulli_log_lik_grad32(out, X, K, D, ll)
    ref_ll, ref_D = _naive.bernoulli_log_lik(out.astype(np.float64), X.astype(np.float64), K)
    np.testing.assert_allclose(ll, ref_ll, rtol=2e-6)
    np.testing.assert_allclose(D, ref_D, rtol=1e-6, atol=1e-7)
    # and it is what training uses: the same values through the dispatcher
    D2 = np.empty_like(out)
    np.testing.assert_array_equal(decoder_log_likelihood(out, X, K, None, D2), ll)
    np.testing.assert_array_equal(D2, D)


def test_log_mean_exp_is_stable():
    rng = np.random.RandomState(0)
    logw = rng.standard_normal((5, 8))
    bound, w = np.empty(5), np.empty((5, 8))
    _log_mean_exp(logw, bound, w)
    ref_b, ref_w = _naive.log_mean_exp(logw)
    np.testing.assert_allclose(bound, ref_b, rtol=1e-12)
    np.testing.assert_allclose(w, ref_w, rtol=1e-12)
    # MNIST-sized log weights (about -100 nats and below) underflow naively
    far = logw * 30 - 2000
    _log_mean_exp(far, bound, w)
    naive_b, _ = _naive.log_mean_exp(far)
    assert np.all(np.isneginf(naive_b))
    np.testing.assert_allclose(bound, logsumexp(far, axis=1) - np.log(8), rtol=1e-13)
    np.testing.assert_allclose(w.sum(axis=1), 1.0)


@pytest.mark.parametrize("analytic_kl", [True, False])
def test_posterior_grad_matches_reference(analytic_kl):
    rng = np.random.RandomState(0)
    n, K, m = 3, 1 if analytic_kl else 4, 5
    H = rng.standard_normal((n, 2 * m))
    eps = rng.standard_normal((n * K, m))
    mu, sd = H[:, :m], np.exp(0.5 * H[:, m:])
    Z = (np.repeat(mu, K, axis=0) + np.repeat(sd, K, axis=0) * eps)
    GZ = rng.standard_normal((n * K, m))
    weights = rng.dirichlet(np.ones(K), size=n)
    G = np.empty_like(H)
    kl = _posterior_grad(H, eps, Z, GZ, weights, analytic_kl, G)
    np.testing.assert_allclose(
        G, _naive.posterior_grad(H, eps, GZ, weights, analytic_kl), rtol=1e-12)
    lv = H[:, m:]
    want = 0.5 * np.sum(mu * mu + np.exp(lv) - lv - 1) if analytic_kl else 0.0
    np.testing.assert_allclose(kl, want, rtol=1e-12)


# -------------------------------------------------------------- gradients
def _fitted_tiny(decoder, K, X):
    return VAE(n_components=3, hidden_layer_sizes=(5,), decoder=decoder,
               n_importance_samples=K, max_iter=2, batch_size=10,
               random_state=0).fit(X)


@pytest.mark.parametrize("decoder", ["bernoulli", "gaussian"])
@pytest.mark.parametrize("K", [1, 4])
def test_objective_gradient_by_finite_differences(decoder, K):
    """Every learned array's gradient through the reparameterisation with the
    noise fixed: K=1 the ELBO (closed-form KL), K=4 the IWAE objective."""
    rng = np.random.RandomState(0)
    X = (rng.uniform(size=(20, 6)) if decoder == "bernoulli"
         else rng.standard_normal((20, 6)))
    vae = _fitted_tiny(decoder, K, X)
    Xb = X[:7]
    noise = np.random.RandomState(1).standard_normal((7 * K, 3))
    _, grads = vae._loss_gradient(Xb, 0, noise=noise)
    pick = np.random.RandomState(2)
    for name, param in vae._learned_params().items():
        flat, g = param.reshape(-1), grads[name].reshape(-1) / 7
        for idx in pick.choice(flat.size, min(6, flat.size), replace=False):
            old, h = flat[idx], 1e-6
            flat[idx] = old + h
            up, _ = vae._loss_gradient(Xb, 0, noise=noise)
            flat[idx] = old - h
            down, _ = vae._loss_gradient(Xb, 0, noise=noise)
            flat[idx] = old
            fd = (up - down) / (2 * h)
            assert abs(fd - g[idx]) <= 1e-5 * max(1.0, abs(fd)), (name, idx, fd, g[idx])


# ------------------------------------------------------------------ bounds
@pytest.fixture(scope="module")
def digits_vae():
    X = load_digits().data / 16.0
    vae = VAE(n_components=4, hidden_layer_sizes=(32,), max_iter=30,
              learning_rate=3e-3, random_state=0).fit(X)
    return vae, X


def test_bound_with_k1_is_the_elbo(digits_vae):
    """k=1 is log p(x|z) + log p(z) - log q(z|x) at one posterior draw (the
    draw of the kernel's noise), with full densities computed naively."""
    vae, X = digits_vae
    Xs = X[:50]
    b = vae.set_params(n_score_samples=1).score_samples(Xs)
    keys = np.empty(50, np.uint64)
    _row_keys(Xs, vae._score_seed, True, keys)
    H = vae.encoder_.forward(Xs)
    _, Z, lpq = _naive.sample_latent(H, keys, 0, 1)
    ll, _ = _naive.bernoulli_log_lik(vae.decoder_.forward(Z), Xs, 1)
    np.testing.assert_allclose(b, (ll + lpq)[:, 0], rtol=1e-9)
    # its average over draws is the ELBO that training maximises (there
    # with the KL in closed form): equal within the Monte Carlo error
    rows = np.ascontiguousarray(Xs[:10])
    draws = np.array([np.mean(importance_weighted_bound(
        vae.encoder_, vae.decoder_, rows, n_samples=1, seed=s)) for s in range(300)])
    train = np.array([-vae._loss_gradient(rows, s)[0] for s in range(300)])
    se = np.hypot(draws.std(), train.std()) / np.sqrt(300)
    assert abs(draws.mean() - train.mean()) < 4 * se, (draws.mean(), train.mean(), se)


def test_bound_rises_with_k(digits_vae):
    vae, X = digits_vae
    b = [vae.set_params(n_score_samples=k).score_samples(X[:300]) for k in (1, 10, 100)]
    means = [v.mean() for v in b]
    assert means[0] < means[1] < means[2], means
    gain = b[2] - b[0]  # more than its Monte Carlo error
    assert gain.mean() > 3 * gain.std() / np.sqrt(gain.size), gain


def test_bound_is_chunked_and_order_free(digits_vae):
    vae, X = digits_vae
    Xs = X[:40]
    full = importance_weighted_bound(vae.encoder_, vae.decoder_, Xs, n_samples=30,
                                     seed=5)
    small = importance_weighted_bound(vae.encoder_, vae.decoder_, Xs, n_samples=30,
                                      seed=5, max_elements=200)
    np.testing.assert_allclose(small, full, rtol=1e-12)
    rev = importance_weighted_bound(vae.encoder_, vae.decoder_,
                                    np.ascontiguousarray(Xs[::-1]), n_samples=30, seed=5)
    np.testing.assert_allclose(rev[::-1], full, rtol=1e-12)


# ---------------------------------------------------------------- estimator
def test_transform_sample_inverse_transform_shapes_and_dtype():
    X = (load_digits().data[:200] / 16.0).astype(np.float32)
    vae = VAE(n_components=2, hidden_layer_sizes=(16,), max_iter=2,
              random_state=0).fit(X)
    Z = vae.transform(X)
    assert Z.shape == (200, 2) and Z.dtype == np.float32
    R = vae.inverse_transform(Z)
    assert R.shape == X.shape and R.dtype == np.float32
    assert np.all((R >= 0) & (R <= 1))
    S = vae.sample(7, random_state=0)
    assert S.shape == (7, 64)
    np.testing.assert_array_equal(S, vae.sample(7, random_state=0))
    assert vae.score_samples(X).dtype == np.float64


def test_dynamic_binarization_trains_on_binary_draws():
    X = load_digits().data[:300] / 16.0
    a = VAE(n_components=2, hidden_layer_sizes=(16,), max_iter=3,
            dynamic_binarization=True, random_state=0).fit(X)
    b = VAE(n_components=2, hidden_layer_sizes=(16,), max_iter=3,
            random_state=0).fit(X)
    assert not np.allclose(a.decoder_.coefs[0], b.decoder_.coefs[0])
    assert np.isfinite(a.score(X))


def test_iwae_training_and_early_stopping():
    X = load_digits().data[:300] / 16.0
    vae = VAE(n_components=2, hidden_layer_sizes=(16,), n_importance_samples=3,
              max_iter=40, early_stopping=True, n_iter_no_change=2, tol=1.0,
              random_state=0).fit(X)
    assert vae.n_iter_ < 40 and "val_elbo" in vae.history_
    assert vae.best_epoch_ <= vae.n_iter_


@pytest.mark.parametrize("params, match", [
    ({"decoder": "bernoulli"}, "Bernoulli decoder needs X in"),
    ({"dynamic_binarization": True}, "dynamic_binarization"),
])
def test_errors_name_the_problem(params, match):
    X = np.random.RandomState(0).standard_normal((30, 4))
    with pytest.raises(ValueError, match=match):
        VAE(n_components=2, hidden_layer_sizes=(3,), max_iter=1, **params).fit(X)


def test_bernoulli_model_rejects_out_of_range_scores():
    X = np.random.RandomState(0).uniform(size=(30, 4))
    vae = VAE(n_components=2, hidden_layer_sizes=(3,), max_iter=1,
              random_state=0).fit(X)
    assert vae.likelihood_ == "bernoulli"
    with pytest.raises(ValueError, match="decoder='gaussian'"):
        vae.score_samples(X * 2)
