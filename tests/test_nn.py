"""The dense-network engine: kernels vs NumPy, finite-difference gradients, training."""
import numpy as np
import scipy.sparse as sp
import pytest

from skdeepgen._kernels.nn import (_add_bias_activate, _backprop_activation,
                                   _sigmoid_cross_entropy, _softmax_cross_entropy,
                                   _squared_error)
from skdeepgen._training import SGD, Adam
from skdeepgen._training.guard import DivergenceError
from skdeepgen.nn import DenseNetwork

from . import _naive

TOL = {np.float32: 2e-6, np.float64: 1e-12}


# ------------------------------------------------------------------ kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("noise", [0.0, 0.7])
def test_add_bias_activate_matches_reference(dtype, kind, noise):
    rng = np.random.RandomState(kind)
    Z = (3 * rng.standard_normal((6, 9))).astype(dtype)
    Z[0, :2] = [-80.0, 80.0]  # saturation
    b = rng.standard_normal(9).astype(dtype)
    ref = _naive.add_bias_activate(Z, b, kind, noise, 99)
    out = Z.copy()
    _add_bias_activate(out, b, kind, noise, 99)
    tol = 10 * TOL[dtype]
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)


def test_add_bias_activate_noise_is_seeded():
    Z = np.zeros((4, 5))
    a, b, c = Z.copy(), Z.copy(), Z.copy()
    _add_bias_activate(a, np.zeros(5), 0, 1.0, 7)
    _add_bias_activate(b, np.zeros(5), 0, 1.0, 7)
    _add_bias_activate(c, np.zeros(5), 0, 1.0, 8)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_add_bias_activate_keeps_nan():
    Z = np.array([[np.nan, 1.0]])
    for kind in range(5):
        out = Z.copy()
        _add_bias_activate(out, np.zeros(2), kind, 0.0, 0)
        assert np.isnan(out[0, 0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", [0, 1, 2, 3])
def test_backprop_activation_matches_reference(dtype, kind):
    rng = np.random.RandomState(kind)
    A = _naive.activate(rng.standard_normal((5, 7)), kind).astype(dtype)
    D = rng.standard_normal((5, 7)).astype(dtype)
    ref, ref_acc = _naive.backprop_activation(D, A, kind)
    acc = np.zeros(7, dtype)
    _backprop_activation(D, A, kind, acc)
    np.testing.assert_allclose(D, ref, rtol=TOL[dtype], atol=TOL[dtype])
    np.testing.assert_allclose(acc, ref_acc, rtol=10 * TOL[dtype], atol=10 * TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_loss_kernels_match_reference(dtype):
    rng = np.random.RandomState(0)
    Z = (2 * rng.standard_normal((6, 4))).astype(dtype)
    b = rng.standard_normal(4).astype(dtype)
    Yc = np.eye(4, dtype=dtype)[rng.randint(0, 4, 6)]
    Yr = rng.uniform(size=(6, 4)).astype(dtype)
    Yn = rng.poisson(1.5, size=(6, 4)).astype(dtype)  # word counts...
    Yn[2] = 0  # ...and an empty document (zero gradient)
    tol = 10 * TOL[dtype]
    for kernel, ref, Y in [(_softmax_cross_entropy, _naive.softmax_cross_entropy, Yc),
                           (_softmax_cross_entropy, _naive.softmax_cross_entropy, Yn),
                           (_sigmoid_cross_entropy, _naive.sigmoid_cross_entropy, Yr)]:
        out, D, acc = Z.copy(), np.empty_like(Z), np.zeros(4, dtype)
        loss = kernel(out, b, Y, D, acc)
        P, Dref, Lref = ref(Z, b, Y)
        np.testing.assert_allclose(out, P, rtol=tol, atol=tol)
        np.testing.assert_allclose(D, Dref, rtol=tol, atol=tol)
        np.testing.assert_allclose(acc, Dref.sum(0), rtol=tol, atol=tol)
        assert loss == pytest.approx(Lref, rel=tol)
    for kind in (0, 1, 2, 3):
        out, D, acc = Z.copy(), np.empty_like(Z), np.zeros(4, dtype)
        loss = _squared_error(out, b, kind, Yr, D, acc)
        A, Dref, Lref = _naive.squared_error(Z, b, kind, Yr)
        np.testing.assert_allclose(out, A, rtol=tol, atol=tol)
        np.testing.assert_allclose(D, Dref, rtol=tol, atol=tol)
        assert loss == pytest.approx(Lref, rel=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", [1, 2, 3])
def test_training_output_equals_the_forward_pass(dtype, kind):
    # the fused output + loss kernel applies the same activation as
    # prediction, bit for bit (float32 math for float32 networks)
    rng = np.random.RandomState(6)
    Z = (3 * rng.standard_normal((5, 7))).astype(dtype)
    b = rng.standard_normal(7).astype(dtype)
    A = Z.copy()
    _add_bias_activate(A, b, kind, 0.0, 0)
    out, D, acc = Z.copy(), np.empty_like(Z), np.zeros(7, dtype)
    _squared_error(out, b, kind, np.zeros_like(Z), D, acc)
    np.testing.assert_array_equal(out, A)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_cross_entropy_saturated_logits_are_finite(dtype):
    Z = np.array([[800.0, -800.0, 30.0, np.nan]], dtype=dtype)
    D, acc = np.empty_like(Z), np.zeros(4, dtype)
    loss = _sigmoid_cross_entropy(Z, np.zeros(4, dtype), np.array([[0.0, 1.0, 1.0, 1.0]],
                                                                  dtype=dtype), D, acc)
    assert np.isnan(loss)  # a NaN logit shows in the loss (the divergence guard)
    np.testing.assert_allclose(D[0, :3], [1.0, -1.0, -np.exp(-30.0)], rtol=1e-5, atol=1e-7)
    Z = np.array([[800.0, -800.0, 30.0, 0.0]], dtype=dtype)  # Z holds p on exit
    loss = _sigmoid_cross_entropy(Z, np.zeros(4, dtype), np.array([[0.0, 1.0, 1.0, 0.5]],
                                                                  dtype=dtype), D, acc)
    assert loss == pytest.approx(1600.0 + np.log1p(np.exp(-30.0)) + np.log(2.0), rel=1e-6)


# ------------------------------------------------------ finite differences
CASES = [
    ("softmax_cross_entropy", ["tanh", "logistic", "softmax"]),
    ("softmax_counts", ["logistic", "logistic", "softmax"]),
    ("sigmoid_cross_entropy", ["relu", "identity", "logistic"]),
    ("squared_error", ["logistic", "tanh", "identity"]),
    ("squared_error", ["identity", "relu", "logistic"]),
]


def _targets(loss, rng, n, m):
    if loss == "softmax_cross_entropy":
        return np.eye(m)[rng.randint(0, m, n)]
    if loss == "softmax_counts":  # multinomial reconstruction of counts
        Y = rng.poisson(2.0, size=(n, m)).astype(float)
        Y[0] = 0
        return Y
    return rng.uniform(size=(n, m))


@pytest.mark.parametrize("loss,acts", CASES)
def test_gradients_match_finite_differences(loss, acts):
    rng = np.random.RandomState(1)
    Y = _targets(loss, rng, 7, 6)
    loss = loss.replace("softmax_counts", "softmax_cross_entropy")
    net = DenseNetwork.initialize([5, 4, 3, 6], acts, loss=loss, rng=rng)
    for b in net.intercepts:
        b[:] = 0.3 * rng.standard_normal(b.shape)
    X = rng.standard_normal((7, 5))
    value, grads, dX = net.loss_gradient(X, Y, input_grad=True)
    assert value == pytest.approx(net.compute_loss(X, Y), rel=1e-12)
    eps = 1e-6
    for name, P in net.params().items():
        flat = P.reshape(-1)
        num = np.empty_like(flat)
        for k in range(flat.size):
            old = flat[k]
            flat[k] = old + eps
            up = net.compute_loss(X, Y)
            flat[k] = old - eps
            down = net.compute_loss(X, Y)
            flat[k] = old
            num[k] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grads[name].reshape(-1), num, atol=1e-7,
                                   err_msg=name)
    num = np.empty_like(X)
    for k in np.ndindex(X.shape):
        old = X[k]
        X[k] = old + eps
        up = net.compute_loss(X, Y)
        X[k] = old - eps
        down = net.compute_loss(X, Y)
        X[k] = old
        num[k] = (up - down) / (2 * eps)
    np.testing.assert_allclose(dX, num, atol=1e-7)


@pytest.mark.parametrize("tied", [False, True])
def test_dropout_gradients_match_finite_differences(tied):
    # with a fixed seed the dropout masks are fixed: the training loss is a
    # smooth function of the parameters and of the input
    rng = np.random.RandomState(4)
    sizes, acts = ([5, 4, 5], ["logistic", "logistic"]) if tied else \
        ([5, 4, 3, 6], ["tanh", "logistic", "softmax"])
    loss = "sigmoid_cross_entropy" if tied else "softmax_cross_entropy"
    net = DenseNetwork.initialize(sizes, acts, loss=loss, rng=rng,
                                  tied={1: 0} if tied else None,
                                  dropout=[0.2] + [0.5] * (len(acts) - 1))
    X = rng.standard_normal((9, 5))
    Y = rng.uniform(size=(9, 5)) if tied else np.eye(6)[rng.randint(0, 6, 9)]

    def f():
        return net.loss_gradient(X, Y, seed=11)[0]
    value, grads, dX = net.loss_gradient(X, Y, seed=11, input_grad=True)
    assert value != pytest.approx(net.compute_loss(X, Y))  # dropout was on
    eps = 1e-6
    for name, P in [*net.params().items(), ("X", X)]:
        flat, num = P.reshape(-1), np.empty(P.size)
        for k in range(flat.size):
            old = flat[k]
            flat[k] = old + eps
            up = f()
            flat[k] = old - eps
            num[k] = (up - f()) / (2 * eps)
            flat[k] = old
        got = dX if name == "X" else grads[name]
        np.testing.assert_allclose(got.reshape(-1), num, atol=1e-7, err_msg=name)


def test_dropout_masks_and_scales_inputs():
    rng = np.random.RandomState(5)
    net = DenseNetwork.initialize([400, 300, 2], ["identity", "softmax"],
                                  loss="softmax_cross_entropy", rng=rng,
                                  dropout=[0.3, 0.5])
    X = np.ones((50, 400))
    buf = net._forward_train(X, seed=3)
    dropped = buf["drop"][0].copy()  # buffers are reused by the next pass
    assert np.mean(dropped == 0) == pytest.approx(0.3, abs=0.01)
    np.testing.assert_allclose(dropped[dropped != 0], 1 / 0.7)
    assert np.mean(buf["drop"][1] == 0) == pytest.approx(0.5, abs=0.02)
    # another minibatch seed, another mask; prediction has no dropout
    assert not np.array_equal(net._forward_train(X, seed=4)["drop"][0], dropped)
    np.testing.assert_allclose(net.predict(X), DenseNetwork(
        net.coefs, net.intercepts, net.activations, loss=net.loss).predict(X))
    with pytest.raises(ValueError, match="dropout needs 2 rates"):
        net.set_dropout([0.5])
    with pytest.raises(ValueError, match="dropout"):
        net.set_dropout([0.0, 1.0])


def test_backward_external_loss_matches_fused_loss():
    """backward() with dL/dA from outside equals the fused squared error."""
    rng = np.random.RandomState(2)
    net = DenseNetwork.initialize([4, 5, 3], ["tanh", "logistic"], rng=rng)
    X, Y = rng.standard_normal((6, 4)), rng.uniform(size=(6, 3))
    _, ref, dX_ref = net.loss_gradient(X, Y, input_grad=True)
    A = net.train_forward(X).copy()
    grads, dX = net.backward(X, A - Y, input_grad=True)
    for name in ref:
        np.testing.assert_allclose(grads[name] / 6, ref[name], atol=1e-12)
    np.testing.assert_allclose(dX / 6, dX_ref, atol=1e-12)


def test_sparse_input_same_gradients():
    import scipy.sparse as sp
    rng = np.random.RandomState(3)
    net = DenseNetwork.initialize([6, 4, 2], ["logistic", "softmax"],
                                  loss="softmax_cross_entropy", rng=rng)
    X = rng.uniform(size=(5, 6)) * (rng.uniform(size=(5, 6)) < 0.4)
    Y = np.eye(2)[[0, 1, 1, 0, 1]]
    l1, g1, _ = net.loss_gradient(X, Y)
    l2, g2, _ = net.loss_gradient(sp.csr_matrix(X), Y)
    assert l1 == pytest.approx(l2)
    for k in g1:
        np.testing.assert_allclose(g1[k], g2[k], atol=1e-14)


def test_train_step_is_one_optimizer_step():
    rng = np.random.RandomState(0)
    net = DenseNetwork.initialize([5, 4, 3], ["logistic", "softmax"],
                                  loss="softmax_cross_entropy", rng=rng)
    X, Y = rng.standard_normal((7, 5)), np.eye(3)[rng.randint(0, 3, 7)]
    _, g, _ = net.loss_gradient(X, Y)
    before = {k: v.copy() for k, v in net.params().items()}
    net.train_step(X, Y, SGD(0.5), seed=0)
    for k, v in net.params().items():
        np.testing.assert_allclose(before[k] - v, 0.5 * g[k], atol=1e-14)


def test_noise_only_in_training_and_seeded():
    rng = np.random.RandomState(0)
    net = DenseNetwork.initialize([3, 4, 3], ["logistic", "logistic"],
                                  loss="sigmoid_cross_entropy", rng=rng,
                                  noise_std=[2.0, 0.0])
    X = rng.uniform(size=(5, 3))
    np.testing.assert_array_equal(net.forward(X), net.forward(X))
    a = net.forward(X, train=True, seed=1)
    b = net.forward(X, train=True, seed=1)
    c = net.forward(X, train=True, seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c) and not np.allclose(a, net.forward(X))


def test_forward_start_and_layer_compose():
    rng = np.random.RandomState(0)
    net = DenseNetwork.initialize([4, 3, 2, 4], ["relu", "identity", "logistic"],
                                  rng=rng)
    X = rng.standard_normal((5, 4))
    code = net.forward(X, layer=1)
    np.testing.assert_allclose(net.forward(code, start=2), net.forward(X))
    np.testing.assert_allclose(net.predict(X, batch_size=2), net.forward(X))


@pytest.mark.parametrize("solver", [SGD(0.5, momentum=0.9), Adam(0.01)])
def test_training_fits_xor(solver):
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 8, dtype=np.float64)
    Y = np.eye(2)[(X[:, 0] != X[:, 1]).astype(int)]
    net = DenseNetwork.initialize([2, 8, 2], ["tanh", "softmax"],
                                  loss="softmax_cross_entropy", rng=0)
    rng = np.random.RandomState(0)
    losses = []
    for epoch in range(300):
        order = rng.permutation(len(X))
        losses.append(np.mean([net.train_step(X[idx], Y[idx], solver, seed=epoch)
                               for idx in np.split(order, 4)]))
    assert losses[-1] < 0.05 < losses[0]
    assert np.array_equal(net.forward(X).argmax(1), Y.argmax(1))


def test_float32_stays_float32():
    net = DenseNetwork.initialize([3, 2], ["logistic"], rng=0, dtype=np.float32)
    X = np.ones((4, 3), np.float32)
    loss, grads, _ = net.loss_gradient(X, np.zeros((4, 2), np.float32))
    assert net.forward(X).dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())


def test_fine_tuning_divergence_and_early_stopping():
    """The network estimators run the shared loop: divergence guard, early
    stopping with the best epoch restored."""
    from skdeepgen import DeepAutoencoder
    rng = np.random.RandomState(0)
    X = rng.standard_normal((40, 3)) * 1e3
    ae = DeepAutoencoder((4,), n_components=2, pretrain=False, solver="sgd",
                         learning_rate=100.0, max_iter=50, random_state=0)
    with pytest.raises(DivergenceError, match="Lower learning_rate"):
        ae.fit(X)
    assert not hasattr(ae, "network_")
    ae = DeepAutoencoder((4,), n_components=2, pretrain=False, max_iter=200,
                         early_stopping=True, n_iter_no_change=3, tol=1e30,
                         random_state=0).fit(X / 1e3)
    assert ae.n_iter_ == 4 and ae.best_epoch_ == 1
    assert len(ae.history_["val_loss"]) == 4


@pytest.mark.parametrize("kwargs,match", [
    (dict(activations=["softmax", "logistic"]), "only supported as the output"),
    (dict(activations=["logistic", "bogus"]), "unknown activation"),
    (dict(loss="softmax_cross_entropy"), "needs an output activation"),
    (dict(loss="hinge"), "unknown loss"),
])
def test_clear_errors(kwargs, match):
    coefs = [np.zeros((3, 4)), np.zeros((4, 2))]
    ints = [np.zeros(4), np.zeros(2)]
    args = dict(activations=["logistic", "logistic"], loss="squared_error")
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        DenseNetwork(coefs, ints, args["activations"], loss=args["loss"])
    with pytest.raises(ValueError, match="inputs but layer"):
        DenseNetwork([np.zeros((3, 4)), np.zeros((5, 2))], ints, ["relu", "relu"])


@pytest.mark.parametrize("sizes, tied, sparse", [
    ([5, 4, 4, 5], {2: 0}, False),        # the source's user deeper down
    ([5, 4, 5, 4, 5], {1: 0, 3: 0}, False),  # one source, two users
    ([5, 4, 5], {1: 0}, True),            # a scipy.sparse input
])
def test_tied_gradients_from_stacked_factors(sizes, tied, sparse):
    # a tied source's gradient is one product of stacked buffers: checked
    # against finite differences for every layout the stacks allow
    rng = np.random.RandomState(6)
    acts = ["tanh"] * (len(sizes) - 2) + ["logistic"]
    net = DenseNetwork.initialize(sizes, acts, loss="sigmoid_cross_entropy",
                                  rng=rng, tied=tied)
    X = rng.uniform(size=(8, 5)) * (rng.uniform(size=(8, 5)) < 0.5)
    Y = rng.uniform(size=(8, 5))
    Xin = sp.csr_matrix(X) if sparse else X
    value, grads, _ = net.loss_gradient(Xin, Y)
    assert sorted(grads) == sorted(net.params())
    eps = 1e-6
    for name, P in net.params().items():
        flat, num = P.reshape(-1), np.empty(P.size)
        for k in range(flat.size):
            old = flat[k]
            flat[k] = old + eps
            up = net.compute_loss(X, Y)
            flat[k] = old - eps
            num[k] = (up - net.compute_loss(X, Y)) / (2 * eps)
            flat[k] = old
        np.testing.assert_allclose(grads[name].reshape(-1), num, atol=1e-7,
                                   err_msg=name)


def test_train_step_holds_the_layers_below_lowest():
    rng = np.random.RandomState(7)
    X, Y = rng.uniform(size=(6, 4)), rng.uniform(size=(6, 4))
    # untied: lowest=1 moves only the output layer
    net = DenseNetwork.initialize([4, 3, 4], ["logistic", "logistic"],
                                  loss="sigmoid_cross_entropy", rng=rng)
    before = {k: v.copy() for k, v in net.params().items()}
    net.train_step(X, Y, SGD(0.5), lowest=1)
    after = net.params()
    for name in ("coef_0", "intercept_0"):
        np.testing.assert_array_equal(after[name], before[name])
    for name in ("coef_1", "intercept_1"):
        assert not np.array_equal(after[name], before[name])
    # weights shared with a layer below lowest are held too (layer 0 is tied
    # to layer 1's weights); layer 1's own bias still moves
    net = DenseNetwork.initialize([4, 3, 4], ["logistic", "logistic"],
                                  loss="sigmoid_cross_entropy", rng=rng,
                                  tied={0: 1})
    before = {k: v.copy() for k, v in net.params().items()}
    net.train_step(X, Y, SGD(0.5), lowest=1)
    after = net.params()
    for name in ("coef_1", "intercept_0"):
        np.testing.assert_array_equal(after[name], before[name])
    assert not np.array_equal(after["intercept_1"], before["intercept_1"])
