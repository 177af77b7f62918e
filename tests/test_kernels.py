"""Every foundation kernel against its NumPy reference (tests/_naive.py)."""
import numpy as np
import pytest

from skdeepgen._kernels.optim import _adam_step, _momentum_step
from skdeepgen._kernels.topics import _ascend_hidden_states, _tempered_log_sum_exp
from skdeepgen._kernels.units import _sigmoid_sample, _softplus_rowsum

from . import _naive


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1.0, -1.0])
def test_sigmoid_sample_matches_reference(dtype, scale):
    rng = np.random.RandomState(0)
    pre = (rng.standard_normal((7, 13)) * 6).astype(dtype)
    pre[0, :3] = [-100.0, 100.0, 0.0]  # saturation
    bias = rng.standard_normal(13).astype(dtype)
    prob = np.empty_like(pre)
    samp = np.empty_like(pre)
    acc_p = np.zeros(13, dtype)
    acc_s = np.zeros(13, dtype)
    _sigmoid_sample(pre, bias, prob, dtype(scale), samp, 12345, acc_p, acc_s)
    ref_p, ref_s = _naive.sigmoid_sample(pre, bias, scale, 12345)
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(prob, ref_p, rtol=tol, atol=tol)
    # the same uniforms decide the samples; allow disagreement only where
    # u and p differ by less than the float32 rounding of p
    u = _naive.uniform64(12345, np.arange(pre.size)).reshape(pre.shape)
    p = np.abs(ref_p)
    decided = np.abs(u - p) > 1e-6
    np.testing.assert_array_equal(samp[decided], ref_s[decided])
    np.testing.assert_allclose(acc_p, prob.sum(axis=0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(acc_s, samp.sum(axis=0))


def test_sigmoid_sample_nan_propagates_and_skips():
    pre = np.array([[np.nan, 0.0]])
    bias = np.zeros(2)
    prob = np.empty_like(pre)
    e2 = np.empty((0, 0))
    e1 = np.empty(0)
    _sigmoid_sample(pre, bias, prob, 1.0, e2, 0, e1, e1)
    assert np.isnan(prob[0, 0]) and prob[0, 1] == 0.5


def test_sigmoid_sample_statistics():
    pre = np.full((200, 500), 0.3)
    samp = np.empty_like(pre)
    e1 = np.empty(0)
    _sigmoid_sample(pre, np.zeros(500), np.empty((0, 0)), 1.0, samp, 7, e1, e1)
    p = 1 / (1 + np.exp(-0.3))
    assert abs(samp.mean() - p) < 4 * np.sqrt(p * (1 - p) / samp.size)


def test_softplus_rowsum_matches_reference():
    rng = np.random.RandomState(1)
    pre = rng.standard_normal((5, 9)) * 50
    bias = rng.standard_normal(9)
    np.testing.assert_allclose(_softplus_rowsum(pre, bias),
                               _naive.softplus_rowsum(pre, bias), rtol=1e-12)


@pytest.mark.parametrize("t", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tempered_log_sum_exp_matches_reference(t, dtype):
    rng = np.random.RandomState(3)
    pre = (rng.standard_normal((6, 40)) * 30).astype(dtype)
    bias, base = rng.standard_normal(40), rng.standard_normal(40) - 5
    out = np.empty(6)
    _tempered_log_sum_exp(pre, bias, base, t, out)
    np.testing.assert_allclose(out, _naive.tempered_log_sum_exp(pre, bias, base, t),
                               rtol=1e-12)


@pytest.mark.parametrize("max_sweeps", [1, 50])
def test_ascend_hidden_states_matches_reference(max_sweeps):
    rng = np.random.RandomState(4)
    W, b, c = rng.standard_normal((7, 20)) * 2, rng.standard_normal(20), rng.standard_normal(7)
    H = (rng.uniform(size=(12, 7)) < 0.5).astype(float)
    ref_H, ref_f = _naive.ascend_hidden_states(H, W, b, c, max_sweeps)
    f = np.empty(12)
    _ascend_hidden_states(H, W, b, c, max_sweeps, f)
    np.testing.assert_array_equal(H, ref_H)
    np.testing.assert_allclose(f, ref_f, rtol=1e-12)


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_momentum_step_matches_reference(nesterov, dtype):
    rng = np.random.RandomState(2)
    p, g, v = (rng.standard_normal(50).astype(dtype) for _ in range(3))
    ref_p, ref_v = _naive.momentum_step(p.copy(), g, v.copy(), 0.1, 0.9, 0.01, -0.5,
                                        nesterov)
    t = dtype
    _momentum_step(p, g, v, t(0.1), t(0.9), t(0.01), t(-0.5), nesterov)
    np.testing.assert_allclose(p, ref_p, rtol=1e-5)
    np.testing.assert_allclose(v, ref_v, rtol=1e-5)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_adam_step_matches_reference(dtype, rtol):
    rng = np.random.RandomState(3)
    p, g = rng.standard_normal(40), rng.standard_normal(40)
    m, v = rng.standard_normal(40), rng.uniform(size=40)
    ref = _naive.adam_step(p.copy(), g, m.copy(), v.copy(), 1e-2, 0.9, 0.999, 1e-8,
                           1e-3, 2.0)
    p, g, m, v = (a.astype(dtype) for a in (p, g, m, v))
    t = np.dtype(dtype).type  # the optimizer passes every scalar in the dtype
    _adam_step(p, g, m, v, t(1e-2), t(0.9), t(0.999), t(1e-8), t(1e-3), t(2.0),
               t(1 - 0.9), t(1 - 0.999))
    for got, want in zip((p, m, v), ref):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=rtol)


def test_float32_sigmoid_is_accurate_over_its_range():
    """float32 input takes float32 math (exp by exponent bits + polynomial)."""
    x = np.concatenate([np.linspace(-90, 90, 20001), [np.inf, -np.inf, np.nan]])
    pre = x.astype(np.float32)[None, :]
    prob = np.empty_like(pre)
    e1 = np.empty(0, np.float32)
    _sigmoid_sample(pre, np.zeros(pre.shape[1], np.float32), prob, np.float32(1.0),
                    np.empty((0, 0), np.float32), 0, e1, e1)
    p = prob[0, :-3].astype(np.float64)
    ref = 1.0 / (1.0 + np.exp(-pre[0, :-3].astype(np.float64)))
    inside = pre[0, :-3] >= -80  # below, exp's argument is clamped at 80
    assert np.max(np.abs(p[inside] - ref[inside]) / ref[inside]) < 4e-7  # ~3 ulp
    assert np.all(p[~inside] < 2e-35) and np.all(p >= 0) and np.all(p <= 1)
    assert prob[0, -3] == 1.0 and prob[0, -2] < 2e-35 and np.isnan(prob[0, -1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("density", [0.0, 0.1, 0.6])
@pytest.mark.parametrize("accumulate", [False, True])
def test_sparse_rows_dot_matches_reference(dtype, density, accumulate):
    from skdeepgen._kernels.products import _nonzero_fraction, _sparse_rows_dot
    rng = np.random.RandomState(0)
    S = ((rng.uniform(size=(7, 13)) < density) * rng.uniform(0.5, 1.5, (7, 13))).astype(dtype)
    S[0, :6] = 1  # one row with more than four non-zeros (the unrolled path)
    W = rng.standard_normal((13, 5)).astype(dtype)
    out = rng.standard_normal((7, 5)).astype(dtype)
    expected = _naive.sparse_rows_dot(S, W, out.copy(), accumulate)
    _sparse_rows_dot(S, W, out, accumulate)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    assert _nonzero_fraction(S) == pytest.approx(np.count_nonzero(S) / S.size)


def test_layer_input_skips_zeros_only_where_it_is_exact():
    """Binary states with C-contiguous weights take the sparse path; the
    result equals the dense product either way."""
    from skdeepgen.units import layer_input
    rng = np.random.RandomState(1)
    S = (rng.uniform(size=(20, 30)) < 0.1).astype(np.float64)
    D = rng.uniform(size=(20, 8))
    W1 = rng.standard_normal((30, 16))
    W2 = rng.standard_normal((8, 16))
    out = np.empty((20, 16))
    bias = layer_input(out, [(S, W1), (D, W2)], np.ones(16))
    np.testing.assert_allclose(out + bias, S @ W1 + D @ W2 + 1, rtol=1e-12)
