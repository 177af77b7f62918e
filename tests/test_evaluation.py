"""Exact log Z by enumeration and annealed importance sampling (AIS)."""
import itertools

import numpy as np
import pytest
from scipy.special import logsumexp

from skdeepgen.evaluation import (ais_schedule, annealed_importance_sampling,
                                  exact_log_partition, free_energy,
                                  length_path_grid, log_z_over_lengths,
                                  replicated_softmax_length_ais)
from skdeepgen.units import (BernoulliUnits, GaussianUnits, NReLUUnits,
                             ReplicatedSoftmaxUnits, SoftmaxUnits)


def _rbm(seed, n_hid, n_vis, w_scale=1.0, c_scale=1.0):
    rng = np.random.RandomState(seed)
    return (w_scale * rng.standard_normal((n_hid, n_vis)), rng.standard_normal(n_vis),
            c_scale * rng.standard_normal(n_hid))


def test_exact_log_z_of_bernoulli_rbm_by_brute_force():
    W, b, c = _rbm(0, 4, 5)
    V = np.array(list(itertools.product([0, 1], repeat=5)), float)
    H = np.array(list(itertools.product([0, 1], repeat=4)), float)
    neg_E = V @ b[:, None] + H @ c + (V @ W.T) @ H.T
    brute = logsumexp(neg_E)
    vis, hid = BernoulliUnits(), BernoulliUnits()
    assert exact_log_partition(W, b, c, vis, hid) == pytest.approx(brute, rel=1e-12)
    # enumerating the visible side instead gives the same number
    W2, b2, c2 = W.T, c, b  # swap roles: 5 hidden, 4 visible
    assert exact_log_partition(W2, b2, c2, vis, hid) == pytest.approx(brute, rel=1e-12)
    np.testing.assert_allclose(logsumexp(-free_energy(V, W, b, c, vis, hid)), brute,
                               rtol=1e-12)


def test_exact_log_z_of_replicated_softmax_by_word_sequences():
    W, b, c = _rbm(1, 3, 4, 0.5)
    D = 3
    seqs = np.array(list(itertools.product(range(4), repeat=D)))
    V = np.stack([np.bincount(s, minlength=4) for s in seqs]).astype(float)
    vis = ReplicatedSoftmaxUnits(float(D))
    fe = free_energy(V, W, b, c, ReplicatedSoftmaxUnits().bind(V), BernoulliUnits())
    brute = logsumexp(-fe)  # one term per word *sequence*
    assert exact_log_partition(W, b, c, vis, BernoulliUnits()) == pytest.approx(
        brute, rel=1e-12)


def test_exact_log_z_of_gaussian_rbm_by_quadrature():
    W, b, c = _rbm(2, 2, 1, 0.7)
    var = np.array([1.7])
    x = np.linspace(-40, 40, 400001)[:, None]
    fe = free_energy(x, W, b, c, GaussianUnits(var), BernoulliUnits())
    quad = logsumexp(-fe) + np.log(x[1, 0] - x[0, 0])
    assert exact_log_partition(W, b, c, GaussianUnits(var), BernoulliUnits()) == \
        pytest.approx(quad, rel=1e-8)


def test_exact_log_partition_refuses_big_continuous_models():
    W, b, c = _rbm(3, 30, 5)
    with pytest.raises(ValueError, match="annealed_importance_sampling"):
        exact_log_partition(W, b, c, GaussianUnits(), BernoulliUnits())


def test_ais_schedule():
    betas = ais_schedule(14500)
    assert betas.size == 14501 and betas[0] == 0 and betas[-1] == 1
    assert np.all(np.diff(betas) > 0)
    assert np.sum(betas < 0.5) == 500 and np.sum(betas >= 0.9) == 10001
    with pytest.raises(ValueError, match="n_betas"):
        ais_schedule(2)


CASES = {
    # name: (W, b, c, visible, hidden, base_bias, lengths)
    "bernoulli": lambda: (*_rbm(10, 8, 20), BernoulliUnits(), BernoulliUnits(), None),
    "bernoulli-wide-hidden": lambda: (*_rbm(11, 30, 10, 0.5, 0.3), BernoulliUnits(),
                                      BernoulliUnits(), None),
    "gaussian": lambda: (*_rbm(12, 6, 10, 0.3), GaussianUnits(), BernoulliUnits(),
                         np.zeros(10)),
    "gaussian-learned-variance": lambda: (
        *_rbm(13, 6, 10, 0.3), GaussianUnits(np.linspace(0.5, 2, 10)),
        BernoulliUnits(), np.zeros(10)),
    "replicated-softmax": lambda: (*_rbm(14, 6, 15, 0.5, 0.3),
                                   ReplicatedSoftmaxUnits(10.0), BernoulliUnits(),
                                   np.zeros(15)),
    "softmax": lambda: (*_rbm(15, 10, 12, 0.5, 0.3), SoftmaxUnits(3), BernoulliUnits(),
                        None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_ais_agrees_with_exact_log_z_within_its_spread(name):
    W, b, c, vis, hid, base = CASES[name]()
    exact = exact_log_partition(W, b, c, vis, hid)
    res = annealed_importance_sampling(W, b, c, vis, hid, base_bias=base,
                                       n_runs=100, n_betas=2000, random_state=0)
    assert res.log_z_low <= exact <= res.log_z_high, (exact, res)
    assert res.log_z_std < 0.05  # a useful estimate, not a wide interval
    assert res.log_weights.shape == (100,) and res.n_betas == 2000
    # a crude AIS (few temperatures) is further off and knows it
    crude = annealed_importance_sampling(W, b, c, vis, hid, base_bias=base,
                                         n_runs=100, n_betas=10, random_state=0)
    assert crude.log_z_std > res.log_z_std


def test_ais_for_several_document_lengths_at_once():
    W, b, c = _rbm(16, 5, 8, 0.5, 0.3)
    lengths = [1, 4, 9]
    res = annealed_importance_sampling(W, b, c, ReplicatedSoftmaxUnits(),
                                       BernoulliUnits(), n_runs=50, n_betas=1000,
                                       lengths=lengths, random_state=0, max_rows=60)
    assert res.log_weights.shape == (3, 50)
    for D, lz, sd, lo, hi in zip(lengths, res.log_z, res.log_z_std, res.log_z_low,
                                 res.log_z_high):
        exact = exact_log_partition(W, b, c, ReplicatedSoftmaxUnits(float(D)),
                                    BernoulliUnits())
        assert lo <= exact <= hi
        # within its reported spread, and that spread is small
        assert lz == pytest.approx(exact, abs=3 * sd) and sd < 0.1


def _exact_rsm(W, b, c, lengths):
    return np.array([exact_log_partition(W, b, c, ReplicatedSoftmaxUnits(float(D)),
                                         BernoulliUnits()) for D in lengths])


def test_length_path_ais_agrees_with_exact_log_z_at_every_length():
    """One AIS run over the document length estimates log Z_D at every length
    on its way; each is checked against exact enumeration of the hiddens."""
    W, b, c = _rbm(18, 6, 15, 0.8, 0.3)
    base = np.log(np.full(15, 1 / 15))
    res = replicated_softmax_length_ais(W, b, c, [150, 3, 0], base_bias=base,
                                        n_runs=200, n_modes=0, random_state=0)
    np.testing.assert_array_equal(res.lengths, length_path_grid(150))
    assert set(range(65)) <= set(res.lengths.tolist())  # every short length
    exact = _exact_rsm(W, b, c, res.lengths)
    err = res.log_z - exact
    assert np.all(np.abs(err) <= 3 * res.log_z_std + 1e-12), err
    assert np.all(res.log_z_low <= exact) and np.all(exact <= res.log_z_high)
    assert res.log_z_std.max() < 0.1 and res.ess.min() > 20
    assert np.ptp(exact) > 100  # log Z_D varies: the test is not trivial
    assert res.log_weights.shape == (res.lengths.size, 200) and res.n_runs == 200
    # a crude schedule (one temperature per step) is further off and knows it
    crude = replicated_softmax_length_ais(W, b, c, [150], base_bias=base, n_runs=200,
                                          n_betas=1, n_modes=0, random_state=0)
    assert crude.n_betas < res.n_betas and crude.log_z_std[-1] > res.log_z_std[-1]
    # lengths asked for are visited, besides the grid
    odd = replicated_softmax_length_ais(W, b, c, [97, 5], n_runs=5, n_betas=2,
                                        random_state=0)
    assert 97 in odd.lengths and odd.lengths[-1] == 97
    # the default sums the neighbourhoods of the best modes exactly
    with_modes = replicated_softmax_length_ais(W, b, c, [150], n_runs=50,
                                               random_state=0)
    assert np.all(np.abs(with_modes.log_z - exact) <= 3 * with_modes.log_z_std + 0.01)


def test_length_path_sums_the_best_modes_exactly():
    """All hiddens off is the best state (the visible biases favour word 0,
    which any hidden unit suppresses), but short documents live near all
    hiddens on: the runs never cross over, and without the modes the
    estimate falls far below a rigorous lower bound, sure of itself."""
    from skdeepgen.evaluation import rsm_hidden_modes

    W = 0.1 * np.random.RandomState(0).standard_normal((30, 30))
    W[:, 0] = -5.0
    b = np.zeros(30)
    b[0] = 5.0
    c = np.full(30, 0.03)
    D = np.array([10, 50, 200])
    bound = D * logsumexp(b)  # log Z_D >= D f(h = 0)
    plain = replicated_softmax_length_ais(W, b, c, D, n_runs=50, n_modes=0,
                                          random_state=0)
    rows = np.searchsorted(plain.lengths, D)
    assert plain.log_z[rows][-1] < bound[-1] - 100
    assert plain.log_z_std[rows][-1] < 0.5
    res = replicated_softmax_length_ais(W, b, c, D, n_runs=50, random_state=0)
    assert np.all(res.log_z[rows] >= bound - 1e-9)
    # near h = 0, f falls by 1.4 nats or more per unit switched on
    np.testing.assert_allclose(res.log_z[rows][1:], bound[1:], atol=30 * np.exp(-50 * 1.4))
    modes = rsm_hidden_modes(W, b, c, 3, random_state=0)
    assert modes.shape[1] == 30 and not modes[0].any()  # the best state first


def test_interpolation_over_lengths_agrees_with_direct_ais_at_held_out_lengths():
    """``log_z_over_lengths`` (AIS at 24 lengths, PCHIP for the others) against
    AIS asked for the held-out lengths themselves."""
    W, b, c = _rbm(19, 8, 30, 0.5, 0.2)
    lengths = np.arange(1, 401)
    asked = []

    def estimate(Ds):
        asked.append(Ds)
        res = replicated_softmax_length_ais(W, b, c, Ds, n_runs=100, random_state=1)
        return res.log_z[np.searchsorted(res.lengths, Ds)]

    interp = log_z_over_lengths(lengths, estimate, n_grid=24)
    held_out = np.setdiff1d(lengths, asked[0])[::9]
    assert len(asked) == 1 and asked[0].size <= 24 and held_out.size > 40
    direct = replicated_softmax_length_ais(W, b, c, held_out, n_runs=100,
                                           random_state=2)
    rows = np.searchsorted(direct.lengths, held_out)
    np.testing.assert_allclose(interp[held_out - 1], direct.log_z[rows],
                               atol=0.05 + 3 * direct.log_z_std[rows].max())
    assert np.ptp(direct.log_z[rows]) > 100


def test_length_path_adds_runs_where_the_weights_degenerate():
    W, b, c = _rbm(20, 8, 30, 2.0, 0.5)  # strong weights: modes, degenerate weights
    kw = dict(n_runs=20, n_betas=2, n_modes=0, random_state=0)
    one = replicated_softmax_length_ais(W, b, c, [300], **kw)
    more = replicated_softmax_length_ais(W, b, c, [300], min_ess=10, max_runs=400, **kw)
    assert one.ess[-1] < 5  # the case the option is for
    assert 20 < more.n_runs <= 400 and more.n_runs % 20 == 0
    assert more.ess[-1] >= 10 or more.n_runs == 400
    assert more.ess[-1] > one.ess[-1]
    # the first batch is the same runs
    np.testing.assert_array_equal(more.log_weights[:, :20], one.log_weights)
    with pytest.raises(ValueError, match="lengths"):
        replicated_softmax_length_ais(W, b, c, [2.5])
    with pytest.raises(ValueError, match="base_bias"):
        replicated_softmax_length_ais(W, b, c, [3], base_bias=np.zeros(2))
    with pytest.raises(ValueError, match="n_runs"):
        replicated_softmax_length_ais(W, b, c, [3], n_runs=0)


def test_ais_with_nrelu_hidden_tracks_the_stepped_sigmoid_model():
    # NReLU sampling approximates the stepped-sigmoid model whose marginal
    # log_partition uses: AIS is then close but not exact.
    W, b, c = _rbm(17, 8, 10, 0.3, 0.3)
    vis, hid = BernoulliUnits(), NReLUUnits()
    exact = exact_log_partition(W, b, c, vis, hid)  # enumerates the 2**10 visibles
    res = annealed_importance_sampling(W, b, c, vis, hid, n_runs=50, n_betas=1000,
                                       random_state=0)
    assert abs(res.log_z - exact) < 0.05 * abs(exact)


def test_ais_is_reproducible_and_validates():
    W, b, c, vis, hid, _ = CASES["bernoulli"]()
    a = annealed_importance_sampling(W, b, c, vis, hid, n_runs=10, n_betas=50,
                                     random_state=3)
    b2 = annealed_importance_sampling(W, b, c, vis, hid, n_runs=10, n_betas=50,
                                      random_state=3)
    np.testing.assert_array_equal(a.log_weights, b2.log_weights)
    with pytest.raises(ValueError, match="base_bias"):
        annealed_importance_sampling(W, b, c, vis, hid, base_bias=np.zeros(3))
    with pytest.raises(ValueError, match="betas"):
        annealed_importance_sampling(W, b, c, vis, hid, betas=[0, 0.7, 0.5, 1])
    with pytest.raises(ValueError, match="lengths"):
        annealed_importance_sampling(W, b, c, ReplicatedSoftmaxUnits(), hid,
                                     n_betas=10)


def test_lda_log_likelihood_matches_exact_enumeration():
    """AIS over LDA's topic assignments against the sum over every z."""
    import itertools
    from types import SimpleNamespace

    from scipy.special import gammaln, logsumexp

    from skdeepgen.evaluation import lda_log_likelihood

    rng = np.random.RandomState(0)
    K, V, alpha = 3, 6, 0.2
    topics = rng.gamma(0.3, 1, size=(K, V)) + 1e-3
    phi = topics / topics.sum(axis=1, keepdims=True)
    lda = SimpleNamespace(components_=topics, doc_topic_prior_=alpha)
    X = np.array([[1, 2, 1, 0, 0, 1], [1, 0, 1, 3, 1, 0], [0, 0, 0, 0, 0, 1]])

    def exact(doc):
        terms = []
        for z in itertools.product(range(K), repeat=len(doc)):
            n = np.bincount(z, minlength=K)
            terms.append(gammaln(K * alpha) - gammaln(K * alpha + len(doc))
                         + np.sum(gammaln(alpha + n) - gammaln(alpha))
                         + np.log(phi[list(z), doc]).sum())
        return logsumexp(terms)

    expected = [exact(np.repeat(np.arange(V), row)) for row in X]
    est = lda_log_likelihood(lda, X, n_runs=200, n_betas=500, random_state=0)
    np.testing.assert_allclose(est, expected, atol=0.05)
    np.testing.assert_array_equal(
        est, lda_log_likelihood(lda, X, n_runs=200, n_betas=500, random_state=0))
    with pytest.raises(ValueError, match="non-negative integer"):
        lda_log_likelihood(lda, X - 0.5)
    with pytest.raises(ValueError, match="fitted on 6"):
        lda_log_likelihood(lda, X[:, :5])
