"""Caltech101 from the standard ``101_ObjectCategories/<class>/*.jpg`` layout,
and its evaluation protocol (N training images per class, the rest up to 50
per class for testing, mean per-class accuracy over repeated splits)."""
import os
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch, check_random_state

__all__ = ["load_caltech101", "Caltech101Split", "evaluate_caltech101"]

ENV_VAR = "SKDEEPGEN_CALTECH101"
_FOLDER = "101_ObjectCategories"
_BACKGROUND = "BACKGROUND_Google"
_EXTENSIONS = {".jpg", ".jpeg", ".png", ".pgm", ".bmp"}


def _find_root(data_home):
    if data_home is not None:
        candidates = [Path(data_home)]
    else:
        candidates = []
        if os.environ.get(ENV_VAR):
            candidates.append(Path(os.environ[ENV_VAR]))
        from sklearn.datasets import get_data_home
        candidates.append(Path(get_data_home()) / "caltech101")
    for c in candidates:
        for root in (c / _FOLDER, c / "caltech101" / _FOLDER, c):
            if root.is_dir() and any(p.is_dir() for p in root.iterdir()):
                if root.name == _FOLDER or (root / _BACKGROUND).exists() or \
                        root == c:
                    return root
    raise FileNotFoundError(
        "Caltech101 not found: expected a folder '101_ObjectCategories' with one "
        f"sub-folder of images per class under {[str(c) for c in candidates]} "
        f"(pass data_home= or set ${ENV_VAR})")


def _pillow():
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError("load_caltech101 reads image folders with Pillow, which "
                          "is not installed: pip install pillow (or "
                          "pip install 'skdeepgen[images]')") from exc
    return Image


def _read_gray(path, max_side, dtype):
    Image = _pillow()

    with Image.open(path) as im:
        im = im.convert("L")
        w, h = im.size
        scale = max_side / max(w, h)
        if scale < 1.0:
            im = im.resize((max(1, round(w * scale)), max(1, round(h * scale))),
                           Image.BILINEAR)
        return np.asarray(im, dtype=dtype) / dtype(255.0)


def load_caltech101(data_home=None, *, max_side=300, max_per_class=None,
                    include_background=False, categories=None,
                    dtype=np.float32, return_X_y=False):
    """Load Caltech101 images as grayscale arrays (one per image).

    Parameters
    ----------
    data_home : str or Path, default=None
        Folder containing ``101_ObjectCategories`` (or that folder itself).
        Default: ``$SKDEEPGEN_CALTECH101``, then
        ``<scikit-learn data home>/caltech101``.
    max_side : int or None, default=300
        Images are resized (bilinear) so that the longer side is at most
        this many pixels; ``None`` keeps the original size.
    max_per_class : int, default=None
        Keep only the first ``max_per_class`` images (sorted file names) of
        each class.
    include_background : bool, default=False
        Include the ``BACKGROUND_Google`` clutter class (excluded by the
        standard protocol).
    categories : list of str, default=None
        Only these classes (folder names).
    dtype : float32 or float64
        Floating type of the images.
    return_X_y : bool, default=False
        Return ``(images, target)`` instead of a Bunch.

    Returns
    -------
    data : Bunch with ``images`` (list of 2-D arrays, values in [0, 1],
        varying sizes), ``target`` (int array), ``target_names`` (sorted
        class folder names), ``filenames``; or ``(images, target)``.

    Examples
    --------
    >>> from skdeepgen.datasets import load_caltech101
    >>> data = load_caltech101("../shared/data/caltech101-mini",
    ...                        max_per_class=2)  # doctest: +SKIP
    >>> len(data.images), data.target_names[:2]  # doctest: +SKIP
    (20, ['beaver', 'ceiling_fan'])
    """
    if max_side is not None and max_side < 1:
        raise ValueError(f"max_side must be a positive int or None, got {max_side}")
    if max_per_class is not None and max_per_class < 1:
        raise ValueError(f"max_per_class must be >= 1, got {max_per_class}")
    dtype = np.dtype(dtype).type
    _pillow()  # before walking the folders
    root = _find_root(data_home)
    classes = sorted(p.name for p in root.iterdir() if p.is_dir())
    if not include_background:
        classes = [c for c in classes if c != _BACKGROUND]
    if categories is not None:
        missing = sorted(set(categories) - set(classes))
        if missing:
            raise ValueError(f"categories not found under {root}: {missing}")
        classes = [c for c in classes if c in set(categories)]
    images, target, filenames = [], [], []
    for label, name in enumerate(classes):
        files = sorted(p for p in (root / name).iterdir()
                       if p.suffix.lower() in _EXTENSIONS)
        if max_per_class is not None:
            files = files[:max_per_class]
        for f in files:
            images.append(_read_gray(f, max_side or 10 ** 9, dtype))
            target.append(label)
            filenames.append(str(f))
    if not images:
        raise FileNotFoundError(f"no images found under {root}")
    target = np.asarray(target, dtype=np.int64)
    if return_X_y:
        return images, target
    return Bunch(images=images, target=target, target_names=classes,
                 filenames=filenames, DESCR="Caltech101 (grayscale)")


class Caltech101Split:
    """The standard Caltech101 protocol as a scikit-learn CV splitter.

    Each split draws ``n_train`` training images per class at random and
    tests on the remaining images of that class, at most ``max_test`` of
    them.  Use with ``scoring="balanced_accuracy"`` (the mean per-class
    accuracy the literature reports).

    Parameters
    ----------
    n_train : int, default=30
        Training images per class.
    max_test : int, default=50
        At most this many of the remaining images per class are test images.
    n_splits : int, default=5
        Number of random splits.
    random_state : int, RandomState instance or None, default=None
        Seeds the splits.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepgen.datasets import Caltech101Split
    >>> y = np.repeat([0, 1], [40, 70])
    >>> train, test = next(Caltech101Split(n_train=30, random_state=0).split(y, y))
    >>> len(train), len(test)
    (60, 50)
    """

    def __init__(self, n_train=30, max_test=50, n_splits=5, random_state=None):
        self.n_train = n_train
        self.max_test = max_test
        self.n_splits = n_splits
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.n_splits

    def split(self, X, y, groups=None):
        y = np.asarray(y)
        classes, counts = np.unique(y, return_counts=True)
        small = classes[counts <= self.n_train]
        if len(small):
            raise ValueError(
                f"classes {small.tolist()} have at most n_train={self.n_train} "
                "images: nothing would be left to test on")
        rng = check_random_state(self.random_state)
        for _ in range(self.n_splits):
            train, test = [], []
            for c in classes:
                idx = rng.permutation(np.flatnonzero(y == c))
                train.append(idx[:self.n_train])
                test.append(idx[self.n_train:self.n_train + self.max_test])
            yield np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def evaluate_caltech101(estimator, images, y, *, n_train=30, max_test=50,
                        n_splits=5, random_state=None, log=None):
    """Mean per-class accuracy of ``estimator`` over repeated protocol splits.

    Returns a dict with ``mean``, ``std`` and the per-split ``scores``.
    """
    from sklearn.base import clone
    from sklearn.metrics import balanced_accuracy_score

    scores = []
    cv = Caltech101Split(n_train, max_test, n_splits, random_state)
    for i, (tr, te) in enumerate(cv.split(images, y)):
        est = clone(estimator).fit([images[j] for j in tr], y[tr])
        pred = est.predict([images[j] for j in te])
        scores.append(balanced_accuracy_score(y[te], pred))
        if log is not None:
            log(f"split {i + 1}/{n_splits}: mean per-class accuracy {scores[-1]:.4f}")
    return {"mean": float(np.mean(scores)), "std": float(np.std(scores)),
            "scores": scores}
