"""Unit types: fused kernels vs NumPy references, and their math vs exact sums."""
import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import logsumexp

from skdeepgen._kernels.units import (_gaussian_sample, _multinomial_sample,
                                      _nrelu_sample, _softmax_sample)
from skdeepgen.nn import ACTIVATIONS
from skdeepgen.units import (BernoulliUnits, GaussianUnits, NReLUUnits,
                             ReplicatedSoftmaxUnits, SoftmaxUnits, layer_input)

from . import _naive


def _outputs(shape, dtype):
    return (np.empty(shape, dtype), np.empty(shape, dtype),
            np.zeros(shape[1], dtype), np.zeros(shape[1], dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gaussian_sample_matches_reference(dtype):
    rng = np.random.RandomState(0)
    pre = rng.standard_normal((6, 9)).astype(dtype)
    bias = rng.standard_normal(9).astype(dtype)
    var = rng.uniform(0.2, 3.0, 9).astype(dtype)
    prob, samp, acc_p, acc_s = _outputs(pre.shape, dtype)
    _gaussian_sample(pre, bias, var, prob, dtype(-1.0), samp, 7, acc_p, acc_s)
    mu, s = _naive.gaussian_sample(pre, bias.astype(float), var.astype(float), 7)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(prob, -mu, rtol=tol, atol=tol)
    np.testing.assert_allclose(samp, s, rtol=tol, atol=tol)
    np.testing.assert_allclose(acc_p, prob.sum(axis=0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(acc_s, samp.sum(axis=0), rtol=1e-5, atol=1e-5)


def test_gaussian_samples_have_the_right_moments():
    var = np.array([0.25, 1.0, 4.0])
    pre = np.tile([1.0, -2.0, 0.5], (20000, 1))
    bias = np.array([0.0, 1.0, -1.0])
    s = GaussianUnits(var).sample(pre, bias, seed=3)
    np.testing.assert_allclose(s.mean(axis=0), bias + var * pre[0], atol=0.05)
    np.testing.assert_allclose(s.var(axis=0), var, rtol=0.05)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nrelu_sample_matches_reference(dtype):
    rng = np.random.RandomState(1)
    pre = (3 * rng.standard_normal((5, 8))).astype(dtype)
    bias = rng.standard_normal(8).astype(dtype)
    prob, samp, acc_p, acc_s = _outputs(pre.shape, dtype)
    _nrelu_sample(pre, bias, prob, dtype(1.0), samp, 11, acc_p, acc_s)
    m, s = _naive.nrelu_sample(pre, bias.astype(float), 11)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(prob, m, rtol=tol, atol=tol)
    np.testing.assert_allclose(samp, s, rtol=tol, atol=tol)
    assert (samp >= 0).all()
    np.testing.assert_allclose(acc_s, samp.sum(axis=0), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("use_mask", [False, True])
def test_softmax_sample_matches_reference(use_mask):
    rng = np.random.RandomState(2)
    K, G, n = 4, 5, 7
    pre = rng.standard_normal((n, G * K))
    bias = rng.standard_normal(G * K)
    mask = rng.uniform(size=(n, G)) < 0.6 if use_mask else None
    prob, samp, acc_p, acc_s = _outputs(pre.shape, np.float64)
    kmask = mask if use_mask else np.empty((0, 0), np.bool_)
    _softmax_sample(pre, bias, K, kmask, prob, 1.0, samp, 5, acc_p, acc_s)
    p, s = _naive.softmax_sample(pre, bias, K, mask, 5)
    np.testing.assert_allclose(prob, p, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(samp, s)
    np.testing.assert_allclose(acc_s, samp.sum(axis=0))
    groups = samp.reshape(n, G, K).sum(axis=2)
    np.testing.assert_array_equal(groups, mask if use_mask else np.ones((n, G)))


def test_multinomial_sample_matches_reference():
    rng = np.random.RandomState(3)
    pre = rng.standard_normal((6, 11))
    bias = rng.standard_normal(11)
    lengths = np.array([0.0, 1.0, 5.0, 17.0, 3.0, 40.0])
    prob, samp, acc_p, acc_s = _outputs(pre.shape, np.float64)
    _multinomial_sample(pre, bias, lengths, prob, 1.0, samp, 9, acc_p, acc_s)
    p, s = _naive.multinomial_sample(pre, bias, lengths, 9)
    np.testing.assert_allclose(prob, p, rtol=1e-12)
    np.testing.assert_array_equal(samp, s)
    np.testing.assert_array_equal(samp.sum(axis=1), lengths)
    np.testing.assert_allclose(acc_s, samp.sum(axis=0))


def _brute_log_partition(units, pre, bias, states):
    """log sum_x exp(-bias_energy(x) + x . pre) over explicit states."""
    return logsumexp(-units.bias_energy(states, bias)[None, :] + pre @ states.T, axis=1)


def test_bernoulli_and_softmax_log_partition_by_enumeration():
    rng = np.random.RandomState(4)
    pre = rng.standard_normal((3, 6))
    bias = rng.standard_normal(6)
    for units in (BernoulliUnits(), SoftmaxUnits(3)):
        states = units.states(6)
        assert len(states) == units.n_states(6)
        np.testing.assert_allclose(units.log_partition(pre, bias),
                                   _brute_log_partition(units, pre, bias, states),
                                   rtol=1e-12)


def test_replicated_softmax_log_partition_sums_word_sequences():
    rng = np.random.RandomState(5)
    K, D = 4, 3
    pre = rng.standard_normal((2, K))
    bias = rng.standard_normal(K)
    units = ReplicatedSoftmaxUnits(float(D))
    seqs = np.array(list(itertools.product(range(K), repeat=D)))
    counts = np.stack([np.bincount(s, minlength=K) for s in seqs]).astype(float)
    np.testing.assert_allclose(units.log_partition(pre, bias),
                               _brute_log_partition(units, pre, bias, counts),
                               rtol=1e-12)
    assert units.hidden_bias_scale == D


def test_gaussian_log_partition_is_the_gaussian_integral():
    var = np.array([0.5, 2.0])
    units = GaussianUnits(var)
    pre = np.array([[0.3, -1.2]])
    bias = np.array([1.0, -0.5])
    x = np.linspace(-30, 30, 200001)
    dx = x[1] - x[0]
    total = 0.0
    for j in range(2):
        f = np.exp(-(x - bias[j]) ** 2 / (2 * var[j]) + x * pre[0, j])
        total += np.log(f.sum() * dx)
    assert units.log_partition(pre, bias)[0] == pytest.approx(total, rel=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stepped_softplus_rowsum_matches_reference(dtype):
    x = np.array([[-3.0, 0.0, 2.5, 12.0], [-60.0, 1.0, 0.3, 100.0]], dtype=dtype)
    bias = np.array([0.5, -0.5, 0.0, 1.0], dtype=dtype)
    np.testing.assert_allclose(NReLUUnits().log_partition(x, bias),
                               _naive.stepped_softplus_rowsum(x, bias.astype(float)),
                               rtol=1e-12)
    big = np.array([[1500.0, -np.inf]], dtype=dtype)  # closed form, no endless loop
    np.testing.assert_allclose(NReLUUnits().log_partition(big, np.zeros(2, dtype)),
                               _naive.stepped_softplus_rowsum(big, np.zeros(2)),
                               rtol=1e-12)
    bad = np.array([[np.nan, 1.0], [np.inf, 0.0]], dtype=dtype)
    out = NReLUUnits().log_partition(bad, np.zeros(2, dtype))
    assert np.isnan(out[0]) and out[1] == np.inf


def test_bind_gives_masks_and_lengths():
    V = np.array([[1, 0, 0, 0, 0, 0], [0, 0, 1, 0, 1, 0]], dtype=float)
    bound = SoftmaxUnits(3).bind(V)
    np.testing.assert_array_equal(bound.mask, [[True, False], [True, True]])
    assert SoftmaxUnits(3).bind(V[1:]).mask is None  # complete rows need no mask
    counts = sp.csr_matrix(np.array([[2.0, 0, 1], [0, 0, 4]]))
    np.testing.assert_array_equal(ReplicatedSoftmaxUnits().bind(counts).lengths, [3, 4])
    with pytest.raises(ValueError, match="document lengths"):
        ReplicatedSoftmaxUnits().log_partition(np.zeros((1, 3)), np.zeros(3))


@pytest.mark.parametrize("bad, match", [(-1.0, "Negative values"), (0.5, "non-integer"),
                                        (np.nan, "NaN")])
def test_replicated_softmax_refuses_bad_counts(bad, match):
    X = np.array([[1.0, 2.0], [0.0, bad]])
    with pytest.raises(ValueError, match=match):
        ReplicatedSoftmaxUnits().check(X, "ReplicatedSoftmaxRBM")
    with pytest.raises(ValueError, match=match):
        ReplicatedSoftmaxUnits().check(sp.csr_matrix(np.nan_to_num(X, nan=np.nan)),
                                       "ReplicatedSoftmaxRBM")


def test_base_rate_biases_match_the_marginals():
    X = np.array([[1, 0], [1, 1], [0, 0], [1, 0]], dtype=float)
    p = 1 / (1 + np.exp(-BernoulliUnits().base_rate_bias(X)))
    np.testing.assert_allclose(p, [0.75, 0.25])
    np.testing.assert_allclose(GaussianUnits().base_rate_bias(X), [0.75, 0.25])
    counts = np.array([[3.0, 1.0, 0.0]])
    q = np.exp(ReplicatedSoftmaxUnits().base_rate_bias(counts))
    np.testing.assert_allclose(q, np.array([4, 2, 1]) / 7)  # add-one smoothed


@pytest.mark.parametrize("sparse", [False, True])
def test_layer_input_sums_its_neighbours_and_scales_the_bias(sparse):
    rng = np.random.RandomState(6)
    below, above = rng.uniform(size=(4, 5)), rng.uniform(size=(4, 2))
    W1, W2, c = rng.standard_normal((3, 5)), rng.standard_normal((3, 2)), rng.standard_normal(3)
    state = sp.csr_matrix(below) if sparse else below
    out = np.empty((4, 3))
    # unscaled: the bias is left for the fused unit kernel
    assert layer_input(out, [(state, W1.T), (above, W2.T)], c) is c
    np.testing.assert_allclose(out, below @ W1.T + above @ W2.T, rtol=1e-12)
    # scaled per row (document lengths): the scaled bias is added, zeros returned
    lengths = np.array([1.0, 2.0, 0.0, 7.0])
    rest = layer_input(out, [(state, W1.T)], c, lengths)
    np.testing.assert_array_equal(rest, 0.0)
    np.testing.assert_allclose(out, below @ W1.T + lengths[:, None] * c, rtol=1e-12)
    out32 = np.empty((4, 3), np.float32)  # mixed dtypes are cast into out
    layer_input(out32, [(state, W1.T)], c, 3.0)
    np.testing.assert_allclose(out32, below @ W1.T + 3 * c, rtol=1e-5)


def test_activations_name_the_dense_layer_equivalents():
    assert BernoulliUnits().feedforward_activation("x") == "logistic"
    assert NReLUUnits().feedforward_activation("x") == "relu"
    assert GaussianUnits().feedforward_activation("x") == "identity"
    assert ReplicatedSoftmaxUnits().feedforward_activation("x") == "softmax"
    for units in (BernoulliUnits(), NReLUUnits(), GaussianUnits(), ReplicatedSoftmaxUnits()):
        assert units.activation in ACTIVATIONS
    assert SoftmaxUnits(3).activation is None
    with pytest.raises(ValueError, match="layer 2: SoftmaxUnits.*no deterministic"):
        SoftmaxUnits(3).feedforward_activation("layer 2")
    with pytest.raises(ValueError, match="variance != 1"):
        GaussianUnits(np.array([1.0, 2.0])).feedforward_activation("layer 0")
