"""The SdA benchmark sets (Larochelle et al. 2007): rect and convex checked
against their definitions, the digit variants against MNIST."""
import numpy as np
import pytest
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError

from skdeepgen.datasets import digitally_convex, load_mnist, make_mnist_variant
from skdeepgen.datasets import _variants
from skdeepgen.datasets._variants import _rotate

from .conftest import shared_data_path

SMALL = dict(n_train=300, n_valid=50, n_test=250)


def _all(data):
    return (np.concatenate([data.X_train, data.X_valid, data.X_test]),
            np.concatenate([data.y_train, data.y_valid, data.y_test]))


def _hull_reference(mask):
    """Digital convexity by qhull: no pixel centre outside the image's
    pixels lies in their hull.  None when the pixels are collinear."""
    mask = np.asarray(mask, dtype=bool).reshape(28, 28)
    points = np.argwhere(mask).astype(float)
    try:
        hull = ConvexHull(points)
    except QhullError:
        return None
    grid = np.argwhere(np.ones((28, 28), bool)).astype(float)
    inside = (grid @ hull.equations[:, :2].T + hull.equations[:, 2] <= 1e-9).all(1)
    return bool(inside.sum() == len(points))


# ------------------------------------------------------------------ common


@pytest.mark.parametrize("name", ["rect", "convex"])
def test_synthetic_shapes_dtypes_and_determinism(name):
    data = make_mnist_variant(name, **SMALL, random_state=3)
    for split, n in zip(("train", "valid", "test"), SMALL.values()):
        X, y = data[f"X_{split}"], data[f"y_{split}"]
        assert X.shape == (n, 784) and X.dtype == np.float32 and y.dtype == np.int64
        assert X.min() == 0 and X.max() == 1 and set(np.unique(y)) == {0, 1}
    again = make_mnist_variant(name, **SMALL, random_state=3, return_X_y=True)
    for a, b in zip(again, (data.X_train, data.X_valid, data.X_test,
                            data.y_train, data.y_valid, data.y_test)):
        np.testing.assert_array_equal(a, b)
    other = make_mnist_variant(name, **SMALL, random_state=4)
    assert not np.array_equal(other.X_train, data.X_train)
    assert len(data.target_names) == 2 and data.image_shape == (28, 28)


def test_published_sizes_by_default():
    data = make_mnist_variant("rect", random_state=0)
    assert (len(data.X_train), len(data.X_valid), len(data.X_test)) == (1000, 200, 50000)


def test_bad_arguments():
    with pytest.raises(ValueError, match="name must be one of"):
        make_mnist_variant("mnist-noise")
    with pytest.raises(ValueError, match="n_valid"):
        make_mnist_variant("rect", n_valid=-1)


@pytest.mark.parametrize("name", ["rect", "convex"])
def test_empty_and_single_example_splits(name):
    X_tr, X_va, X_te, y_tr, y_va, y_te = make_mnist_variant(
        name, n_train=1, n_valid=0, n_test=2, return_X_y=True)
    assert X_tr.shape == (1, 784) and X_va.shape == (0, 784) and y_te.shape == (2,)


def test_missing_mnist_says_where(tmp_path):
    with pytest.raises(FileNotFoundError, match="looked in"):
        make_mnist_variant("basic", data_home=tmp_path, download_if_missing=False)

# ------------------------------------------------------------------ rect


def test_rect_labels_follow_the_drawn_rectangle():
    data = make_mnist_variant("rect", n_train=2000, n_valid=0, n_test=0, random_state=0)
    images = data.X_train.reshape(-1, 28, 28)
    top, left, height, width = data.factors_train.T
    assert np.abs(height - width).min() >= 3 and height.min() >= 2
    assert (top + height <= 28).all() and (left + width <= 28).all()
    for img, t, lft, h, w, label in zip(images, top, left, height, width, data.y_train):
        rows, cols = np.nonzero(img)
        # the label from the image alone: the white pixels' bounding box
        assert (rows.min(), cols.min()) == (t, lft)
        assert (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1) == (h, w)
        assert label == int(h > w)
        # an outline: the border white, the inside black
        assert img[t, lft:lft + w].all() and img[t + h - 1, lft:lft + w].all()
        assert img[t:t + h, lft].all() and img[t:t + h, lft + w - 1].all()
        assert img.sum() == 2 * (h + w) - 4
    assert abs(data.y_train.mean() - 0.5) < 0.05

# ------------------------------------------------------------------ convex


def test_digitally_convex_small_cases():
    def img(*pixels):
        m = np.zeros((28, 28), bool)
        for r, c in pixels:
            m[r, c] = True
        return m

    full = np.ones((28, 28), bool)
    ell = img((0, 0), (1, 0), (2, 0), (2, 1), (2, 2))  # (1, 1) is in its hull
    cases = {"empty": (np.zeros((28, 28), bool), True), "full": (full, True),
             "pixel": (img((5, 5)), True), "diagonal": (img((0, 0), (1, 1)), True),
             "gap": (img((3, 0), (3, 2)), False), "ell": (ell, False),
             "square": (img((0, 0), (0, 1), (1, 0), (1, 1)), True),
             "corner": (img((0, 0), (1, 0), (1, 1)), True),
             "ring": (full & ~img((10, 10)), False)}
    masks = np.array([m for m, _ in cases.values()])
    np.testing.assert_array_equal(digitally_convex(masks),
                                  [want for _, want in cases.values()])


def test_digitally_convex_agrees_with_qhull():
    rng = np.random.RandomState(0)
    # random polygons and unions of them, filled at the pixel centres
    masks = []
    for _ in range(150):
        m = np.zeros((28, 28), bool)
        for _ in range(rng.randint(1, 4)):
            pts = rng.uniform(0, 28, size=(rng.randint(3, 7), 2))
            eq = ConvexHull(pts).equations
            grid = np.argwhere(np.ones((28, 28), bool)) + 0.5
            m |= (grid @ eq[:, :2].T + eq[:, 2] <= 0).all(1).reshape(28, 28)
        masks.append(m)
    masks = np.array(masks)
    ref = [_hull_reference(m) for m in masks]
    got = digitally_convex(masks)
    checked = [(g, r) for g, r in zip(got, ref) if r is not None]
    assert len(checked) > 100 and 10 < sum(r for _, r in checked) < len(checked) - 10
    assert all(g == r for g, r in checked)


def test_convex_labels_are_the_convexity_of_the_image():
    data = make_mnist_variant("convex", n_train=400, n_valid=0, n_test=0, random_state=1)
    white = data.X_train > 0.5
    for mask, label in zip(white[:150], data.y_train[:150]):
        ref = _hull_reference(mask)
        if ref is not None:
            assert ref == bool(label)
    np.testing.assert_array_equal(digitally_convex(white), data.y_train == 1)
    count = white.sum(1)
    assert count[data.y_train == 1].min() >= 19 and count.min() >= 10


def test_convex_classes_have_the_same_mean_area():
    # the paper's balance: pixel counts alone must not tell the classes apart
    X, y = _all(make_mnist_variant("convex", n_train=3000, n_valid=0, n_test=0,
                                   random_state=2))
    area = X.sum(1)
    assert abs(y.mean() - 0.5) < 0.05
    assert abs(area[y == 1].mean() / area[y == 0].mean() - 1) < 0.1

# ------------------------------------------------------------------ digits


def test_rotate_matches_scipy():
    rng = np.random.RandomState(0)
    # the corners at 45 degrees reach furthest outside the image
    angles = np.array([0.0, 0.5, 2.0, 5.9] + list(np.pi / 4 * np.arange(1, 8, 2)))
    images = rng.uniform(size=(len(angles), 28, 28)).astype(np.float32)
    got = _rotate(images, angles).reshape(-1, 28, 28)
    for g, img, a in zip(got, images, angles):
        ref = ndimage.rotate(img, np.rad2deg(a), reshape=False, order=1, mode="grid-constant")
        np.testing.assert_allclose(g, np.clip(ref, 0, 1), atol=1e-5)


@pytest.fixture(scope="module")
def mnist_pool():
    """The 70,000 MNIST images and labels, training file first."""
    X_tr, X_te, y_tr, y_te = load_mnist(shared_data_path("mnist"), return_X_y=True)
    return np.concatenate([X_tr, X_te]), np.concatenate([y_tr, y_te])


@pytest.fixture(scope="module")
def digit_sets(mnist_pool):
    # one MNIST read for the three sets
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_variants, "_mnist_pool", lambda *args: mnist_pool)
        return {name: make_mnist_variant(name, **SMALL, random_state=5)
                for name in ("basic", "rot", "bg-rand")}


def test_basic_published_split_of_mnist(mnist_pool):
    data = make_mnist_variant("basic", data_home=shared_data_path("mnist"))
    sizes = [len(data[f"X_{s}"]) for s in ("train", "valid", "test")]
    assert sizes == [10000, 2000, 50000]
    index = np.concatenate([data.index_train, data.index_valid, data.index_test])
    assert len(np.unique(index)) == 62000 and index.max() < 70000
    X_all, y_all = mnist_pool
    np.testing.assert_array_equal(data.y_test, y_all[data.index_test])
    np.testing.assert_array_equal(data.X_valid, X_all[data.index_valid])
    assert np.bincount(data.y_train).min() > 800  # every digit well represented


def test_digit_variants_share_the_digits(digit_sets):
    basic = digit_sets["basic"]
    for name in ("rot", "bg-rand"):
        other = digit_sets[name]
        np.testing.assert_array_equal(other.index_test, basic.index_test)
        np.testing.assert_array_equal(other.y_test, basic.y_test)
        assert other.X_test.dtype == np.float32 and other.X_test.shape == (250, 784)
        assert 0 <= other.X_test.min() and other.X_test.max() <= 1


def test_rot_rotates_by_the_recorded_angle(digit_sets):
    basic, rot = digit_sets["basic"], digit_sets["rot"]
    X, _ = _all(basic)
    R, _ = _all(rot)
    angles = np.concatenate([rot.factors_train, rot.factors_valid, rot.factors_test])
    assert 0 <= angles.min() and angles.max() < 2 * np.pi
    # uniform: each quarter turn gets about a quarter of the angles
    assert np.bincount((angles // (np.pi / 2)).astype(int), minlength=4).min() > 100
    for x, r, a in zip(X[:20], R[:20], angles[:20]):
        ref = ndimage.rotate(x.reshape(28, 28), np.rad2deg(a), reshape=False, order=1,
                             mode="grid-constant")
        np.testing.assert_allclose(r.reshape(28, 28), np.clip(ref, 0, 1), atol=1e-5)
    # and the rotation shows: far from the upright digits
    assert np.abs(R - X).mean() > 0.1


def test_bg_rand_is_max_of_digit_and_uniform_noise(digit_sets):
    X, _ = _all(digit_sets["basic"])
    B, _ = _all(digit_sets["bg-rand"])
    assert (B >= X).all()
    np.testing.assert_array_equal(B[X == 1], 1)
    background = B[X == 0]
    assert abs(background.mean() - 0.5) < 0.01
    np.testing.assert_allclose(background * 255, np.round(background * 255), atol=1e-3)
