"""Shared training machinery: optimizers, schedules, early stopping, batches."""
import io

import numpy as np
import pytest

from skdeepgen._training import (SGD, Adam, EarlyStopping, LearningRateSchedule,
                                 Progress, iter_minibatches, make_optimizer,
                                 split_validation)


def test_minibatches_cover_every_row_once():
    rng = np.random.RandomState(0)
    seen = np.concatenate(list(iter_minibatches(103, 10, rng)))
    assert sorted(seen.tolist()) == list(range(103))
    slices = list(iter_minibatches(25, 10, shuffle=False))
    assert [s.stop - s.start for s in slices] == [10, 10, 5]


def test_sgd_minimises_quadratic():
    x = np.array([5.0, -3.0])
    opt = SGD(0.1, momentum=0.9)
    for _ in range(300):
        opt.step("x", x, 2 * x)  # gradient of ||x||^2
    assert np.allclose(x, 0, atol=1e-6)


def test_adam_minimises_quadratic():
    x = np.array([5.0, -3.0], dtype=np.float32)
    opt = make_optimizer("adam", 0.1)
    for _ in range(2000):
        opt.step("x", x, 2 * x)
    assert isinstance(opt, Adam) and x.dtype == np.float32
    assert np.allclose(x, 0, atol=1e-2)


def test_weight_decay_only_where_asked():
    w = np.ones(3)
    b = np.ones(3)
    opt = SGD(0.5, weight_decay=0.1)
    opt.step("w", w, np.zeros(3))
    opt.step("b", b, np.zeros(3), decay=False)
    np.testing.assert_allclose(w, 0.95)
    np.testing.assert_allclose(b, 1.0)


def test_schedules():
    assert LearningRateSchedule("constant")(0.1, 7) == 0.1
    assert LearningRateSchedule("invscaling", power=1.0)(1.0, 3) == 0.25
    assert LearningRateSchedule("exponential", decay=0.5)(1.0, 2) == 0.25
    lin = LearningRateSchedule("linear", n_epochs=5)
    assert lin(1.0, 0) == 1.0 and lin(1.0, 4) == 0.0
    with pytest.raises(ValueError, match="schedule"):
        LearningRateSchedule("bogus")


def test_early_stopping_tracks_best_state():
    es = EarlyStopping(n_iter_no_change=2, tol=0.0, greater_is_better=False)
    w = np.zeros(1)
    stops = []
    for epoch, score in enumerate([3.0, 2.0, 2.5, 2.4], start=1):
        w[0] = epoch
        stops.append(es.update(score, epoch, {"w": w}))
    assert stops == [False, False, False, True]
    assert es.best_epoch == 2 and es.best_state["w"][0] == 2 and es.best == 2.0


def test_progress_prints_epoch_loss_time_eta():
    out = io.StringIO()
    hist = {}
    p = Progress("M", verbose=1, n_epochs=2, history=hist, stream=out)
    p.record(epoch=1, loss=0.5, seconds=1.0)
    text = out.getvalue()
    assert "epoch 1/2" in text and "loss=0.5" in text and "ETA" in text
    assert hist == {"epoch": [1], "loss": [0.5], "seconds": [1.0]}


def test_split_validation_errors_clearly():
    rng = np.random.RandomState(0)
    tr, va = split_validation(10, 0.2, rng)
    assert len(va) == 2 and len(np.intersect1d(tr, va)) == 0
    with pytest.raises(ValueError, match="validation_fraction"):
        split_validation(2, 0.1, rng)


def test_eta_leaves_numba_compilation_out():

    from numba import njit

    from skdeepgen._training.progress import Progress, compile_timer

    out = io.StringIO()
    progress = Progress("M", 1, 3, stream=out)
    progress.record(8.0, epoch=1, seconds=10.0)
    assert "(of which compiling 8.0s)  ETA 4s" in out.getvalue()  # 2 s x 2 left
    progress.record(0.0, epoch=2, seconds=2.0)
    assert out.getvalue().splitlines()[-1].endswith("2.00s  ETA 2s")

    @njit
    def add_one(x):
        return x + 1

    with compile_timer() as compiling:
        add_one(1)
    assert compiling.seconds > 0
    with compile_timer() as compiling:
        add_one(2)
    assert compiling.seconds == 0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unit_range_bit_check_agrees_with_min_max(dtype):
    from skdeepgen.stacking import _proven_unit, in_unit_range
    tiny = np.finfo(dtype).tiny
    cases = {"zeros and ones": [0.0, 1.0], "subnormal": [tiny / 4, 0.5],
             "just above 1": [np.nextafter(dtype(1), dtype(2))],
             "negative zero": [-0.0, 0.5], "negative": [-tiny / 4],
             "nan": [np.nan], "inf": [np.inf], "-inf": [-np.inf]}
    for name, values in cases.items():
        X = np.array([values, values], dtype=dtype)
        exact = bool(np.all((X >= 0) & (X <= 1)))
        assert in_unit_range(X) == exact, name
        assert in_unit_range(np.asfortranarray(X)) == exact, name
        assert in_unit_range(X[:, ::-1]) == exact, name  # not contiguous: min/max
        # the integer pass proves only finite values in [+0, 1]
        assert _proven_unit(X) == (exact and not np.signbit(X).any()), name


def test_validate_finite_keeps_scikit_learns_errors():
    from skdeepgen import DenoisingAutoencoder
    for bad, message in ((np.nan, "Input X contains NaN"), (np.inf, "infinity"),
                         (-np.inf, "infinity")):
        X = np.full((20, 4), 0.5)
        X[3, 2] = bad
        with pytest.raises(ValueError, match=message):
            DenoisingAutoencoder(2, max_iter=1).fit(X)
    # real-valued, finite data still pass (with the squared error)
    X = np.random.RandomState(0).normal(size=(20, 4))
    assert DenoisingAutoencoder(2, max_iter=1).fit(X).loss_ == "squared_error"
