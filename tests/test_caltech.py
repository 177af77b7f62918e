"""Caltech101 loader (on a synthetic folder and on ../shared/data) and protocol."""
import numpy as np
import pytest
from PIL import Image

from skdeepgen.datasets import (Caltech101Split, evaluate_caltech101,
                                load_caltech101)

from .conftest import shared_data_path


@pytest.fixture
def fake_caltech(tmp_path):
    root = tmp_path / "101_ObjectCategories"
    rng = np.random.RandomState(0)
    sizes = {"cat": (400, 200), "dog": (120, 90), "BACKGROUND_Google": (50, 50)}
    for name, (w, h) in sizes.items():
        (root / name).mkdir(parents=True)
        for i in range(4):
            arr = rng.randint(0, 256, size=(h, w, 3), dtype=np.uint8)
            Image.fromarray(arr).save(root / name / f"image_{i:04d}.jpg")
    return tmp_path


def test_loader_layout_resize_and_background(fake_caltech):
    data = load_caltech101(fake_caltech)
    assert data.target_names == ["cat", "dog"]
    assert len(data.images) == 8
    assert np.bincount(data.target).tolist() == [4, 4]
    cat = data.images[0]
    assert cat.shape == (150, 300) and cat.dtype == np.float32  # longer side 300
    assert data.images[5].shape == (90, 120)  # small images are not enlarged
    assert 0 <= min(im.min() for im in data.images)
    assert max(im.max() for im in data.images) <= 1
    with_bg = load_caltech101(fake_caltech / "101_ObjectCategories",
                              include_background=True, max_per_class=2,
                              max_side=None)
    assert with_bg.target_names == ["BACKGROUND_Google", "cat", "dog"]
    assert len(with_bg.images) == 6
    assert with_bg.images[2].shape == (200, 400)
    X, y = load_caltech101(fake_caltech, categories=["dog"], return_X_y=True)
    assert len(X) == 4 and set(y) == {0}


def test_loader_errors(tmp_path, fake_caltech):
    with pytest.raises(FileNotFoundError, match="101_ObjectCategories"):
        load_caltech101(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="categories not found"):
        load_caltech101(fake_caltech, categories=["zebra"])
    with pytest.raises(ValueError, match="max_per_class"):
        load_caltech101(fake_caltech, max_per_class=0)


def test_protocol_split_counts():
    y = np.repeat([0, 1, 2], [31, 45, 100])
    cv = Caltech101Split(n_train=30, max_test=50, n_splits=3, random_state=0)
    splits = list(cv.split(y, y))
    assert len(splits) == cv.get_n_splits() == 3
    for tr, te in splits:
        assert np.bincount(y[tr]).tolist() == [30, 30, 30]
        assert np.bincount(y[te]).tolist() == [1, 15, 50]
        assert not set(tr) & set(te)
    assert not np.array_equal(splits[0][0], splits[1][0])
    with pytest.raises(ValueError, match="at most n_train"):
        next(Caltech101Split(n_train=31).split(y, y))


def test_evaluate_reports_mean_per_class_accuracy():
    from sklearn.dummy import DummyClassifier

    y = np.repeat([0, 1], [20, 40])
    X = [np.zeros((2, 2))] * len(y)
    res = evaluate_caltech101(DummyClassifier(strategy="most_frequent"), X, y,
                              n_train=10, n_splits=2, random_state=0)
    # always predicting one class: per-class accuracies 1 and 0 -> 0.5
    assert res["mean"] == 0.5 and len(res["scores"]) == 2


def test_mini_caltech_loads():
    root = shared_data_path("caltech101-mini")
    data = load_caltech101(root, max_per_class=3)
    assert len(data.target_names) == 10
    assert len(data.images) == 30
    assert all(max(im.shape) <= 300 and im.ndim == 2 for im in data.images)


def test_missing_pillow_is_a_friendly_error(fake_caltech, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "PIL", None)  # "import PIL" now fails
    with pytest.raises(ImportError, match="pip install pillow"):
        load_caltech101(fake_caltech)
