"""Dataset loaders: IDX reader on generated files, MNIST fallback errors."""
import gzip
import struct

import numpy as np
import pytest

from numpy.testing import assert_array_equal

from skdeepgen.datasets import fetch_mnist, load_mnist, read_idx, sample_binary

from .conftest import shared_data_path


def _write_idx(path, arr, code=0x08):
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.astype(">u1" if code == 0x08 else ">i4").tobytes())


@pytest.fixture
def fake_mnist(tmp_path):
    rng = np.random.RandomState(0)
    for prefix, n in (("train", 12), ("t10k", 5)):
        _write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz",
                   rng.randint(0, 256, size=(n, 28, 28)).astype(np.uint8))
        _write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz",
                   rng.randint(0, 10, size=n).astype(np.uint8))
    return tmp_path


def test_read_idx_roundtrip(tmp_path):
    arr = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    _write_idx(tmp_path / "a.gz", arr, code=0x0C)
    np.testing.assert_array_equal(read_idx(tmp_path / "a.gz"), arr)


def test_read_idx_rejects_garbage(tmp_path):
    p = tmp_path / "bad"
    p.write_bytes(b"\x01\x02\x03\x04hello")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(p)


def test_load_mnist_from_folder(fake_mnist):
    X_tr, X_te, y_tr, y_te = load_mnist(fake_mnist, return_X_y=True)
    assert X_tr.shape == (12, 784) and X_te.shape == (5, 784)
    assert X_tr.dtype == np.float32 and 0 <= X_tr.min() and X_tr.max() <= 1
    X, y = load_mnist(fake_mnist, subset="test", scale=False, dtype=np.uint8,
                      return_X_y=True)
    assert X.dtype == np.uint8 and y.shape == (5,)


def test_load_mnist_bunch_like_scikit_learn(fake_mnist):
    mnist = load_mnist(fake_mnist)
    assert mnist.data.shape == (17, 784) and mnist.target.shape == (17,)
    np.testing.assert_array_equal(mnist.X_train, mnist.data[:12])
    np.testing.assert_array_equal(mnist.y_test, mnist.target[12:])
    assert mnist.feature_names[0] == "pixel1" and mnist.frame is None
    assert "MNIST" in mnist.DESCR
    test = load_mnist(fake_mnist, subset="test")
    assert test.data.shape == (5, 784) and "X_train" not in test


def test_load_mnist_as_frame(fake_mnist):
    pd = pytest.importorskip("pandas")
    mnist = load_mnist(fake_mnist, subset="train", as_frame=True)
    assert isinstance(mnist.data, pd.DataFrame) and mnist.data.shape == (12, 784)
    assert isinstance(mnist.target, pd.Series) and mnist.frame.shape == (12, 785)
    X, y = load_mnist(fake_mnist, subset="train", as_frame=True, return_X_y=True)
    assert list(X.columns[:2]) == ["pixel1", "pixel2"] and y.name == "class"


def test_fetch_mnist_downloads_once_and_caches(tmp_path, monkeypatch):
    import sklearn.datasets

    rng = np.random.RandomState(0)
    X = np.zeros((70000, 784), dtype=np.uint8)  # OpenML's shape; compresses fast
    X[:, rng.randint(784, size=20)] = rng.randint(0, 256, size=(70000, 20))
    y = rng.randint(0, 10, size=70000).astype(str)
    calls = []

    def fake_fetch_openml(*args, **kwargs):
        calls.append(args)
        return X, y

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fake_fetch_openml)
    first = fetch_mnist(tmp_path, subset="test", scale=False, dtype=np.uint8)
    np.testing.assert_array_equal(first.data, X[60000:])
    assert len(calls) == 1 and (tmp_path / "t10k-images-idx3-ubyte.gz").exists()
    again = load_mnist(tmp_path, subset="test", scale=False, dtype=np.uint8)
    np.testing.assert_array_equal(again.data, first.data)
    np.testing.assert_array_equal(again.target, y[60000:].astype(np.int64))
    fetch_mnist(tmp_path, subset="train")
    assert len(calls) == 1  # cached


def test_load_mnist_env_var(fake_mnist, monkeypatch):
    monkeypatch.setenv("SKDEEPGEN_MNIST", str(fake_mnist))
    X, y = load_mnist(subset="train", return_X_y=True)
    assert X.shape == (12, 784)


def test_missing_files_say_where_and_what(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match="looked in.*train-images-idx3-ubyte.gz.*fetch_mnist"):
        load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="looked in"):
        fetch_mnist(tmp_path, download_if_missing=False)


def test_real_mnist():
    folder = shared_data_path("mnist")
    X_tr, X_te, y_tr, y_te = load_mnist(folder, return_X_y=True)
    assert X_tr.shape == (60000, 784) and X_te.shape == (10000, 784)
    assert list(y_tr[:5]) == [5, 0, 4, 1, 9] and set(np.unique(y_te)) == set(range(10))


def test_sample_binary_draws_each_pixel_with_its_probability():
    p = np.array([0.0, 0.1, 0.5, 0.9, 1.0], dtype=np.float32)
    X = np.tile(p, (20000, 1))
    B = sample_binary(X, random_state=3)
    assert B.dtype == np.float32 and set(np.unique(B)) <= {0.0, 1.0}
    assert_array_equal(B[:, 0], 0)
    assert_array_equal(B[:, -1], 1)
    # binomial standard error of a frequency over 20,000 draws is <= 0.0036
    np.testing.assert_allclose(B.mean(axis=0), p, atol=0.015)
    assert_array_equal(sample_binary(X, random_state=3), B)
    assert not np.array_equal(sample_binary(X, random_state=4), B)


def test_sample_binary_continues_a_given_stream():
    X = np.full((4, 6), 0.5)
    rng = np.random.RandomState(0)
    first, second = sample_binary(X[:2], rng), sample_binary(X[2:], rng)
    assert_array_equal(np.vstack([first, second]), sample_binary(X, random_state=0))


@pytest.mark.parametrize("bad, message", [([[0.5, 1.5]], r"\[0, 1\].*1\.5"),
                                          ([[-0.2, 0.5]], r"-0\.2"),
                                          ([[np.nan, 0.5]], "NaN")])
def test_sample_binary_rejects_values_outside_probabilities(bad, message):
    with pytest.raises(ValueError, match=message):
        sample_binary(np.array(bad))
