"""MNIST from the four standard IDX files."""
import gzip
import os
import struct
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch, check_random_state

from ..stacking import in_unit_range

ENV_VAR = "SKDEEPGEN_MNIST"
_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4",
           0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Read an IDX file (optionally gzipped) into a NumPy array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    code, ndim = data[2], data[3]
    if code not in _DTYPES:
        raise ValueError(f"{path}: unknown IDX data type 0x{code:02x}")
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=_DTYPES[code], offset=4 + 4 * ndim)
    if arr.size != int(np.prod(shape)):
        raise ValueError(f"{path}: expected {int(np.prod(shape))} values, "
                         f"found {arr.size} (truncated file?)")
    return arr.reshape(shape).astype(np.dtype(_DTYPES[code]).newbyteorder("="))


def _find(folder, stem):
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        p = folder / name
        if p.exists():
            return p
    return None


def _candidates(data_home):
    if data_home is not None:
        return [Path(data_home), Path(data_home) / "mnist"]
    out = []
    if os.environ.get(ENV_VAR):
        out.append(Path(os.environ[ENV_VAR]))
    from sklearn.datasets import get_data_home
    out.append(Path(get_data_home()) / "mnist")
    return out


def _load_local(data_home, parts):
    """{part: (X uint8 (n, 784), y int64)} from IDX files, or None if absent."""
    looked = _candidates(data_home)
    for folder in looked:
        paths = {p: [_find(folder, stem) for stem in _FILES[p]] for p in parts}
        if all(all(v) for v in paths.values()):
            return {p: (read_idx(paths[p][0]).reshape(-1, 784),
                        read_idx(paths[p][1]).astype(np.int64)) for p in parts}, looked
    return None, looked


def _missing_message(looked):
    where = ", ".join(str(p) for p in looked)
    return (f"MNIST IDX files not found (looked in: {where}). Put "
            "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
            "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz in a folder "
            f"and pass it as data_home=... or set {ENV_VAR}; or call "
            "skdeepgen.datasets.fetch_mnist() to download them once.")


def _parts(subset):
    if subset not in ("all", "train", "test"):
        raise ValueError(f"subset must be 'all', 'train' or 'test'; got {subset!r}")
    return ["train", "test"] if subset == "all" else [subset]


def _result(raw, subset, scale, dtype, return_X_y, as_frame):
    """The loaders' output in scikit-learn's shape (Bunch or arrays)."""
    parts = _parts(subset)
    X = np.concatenate([raw[p][0] for p in parts]).astype(dtype)
    if scale:
        X /= X.dtype.type(255.0)
    y = np.concatenate([raw[p][1] for p in parts])
    n_train = len(raw["train"][1]) if subset == "all" else None
    feature_names = [f"pixel{i + 1}" for i in range(784)]
    frame = None
    if as_frame:
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("as_frame=True needs pandas (pip install pandas)") from exc
        X = pd.DataFrame(X, columns=feature_names)
        y = pd.Series(y, name="class")
        frame = pd.concat([X, y], axis=1)
    if return_X_y:
        if subset == "all":
            return X[:n_train], X[n_train:], y[:n_train], y[n_train:]
        return X, y
    bunch = Bunch(data=X, target=y, frame=frame, feature_names=feature_names,
                  target_names=list(range(10)), DESCR=_DESCR)
    if subset == "all":
        bunch.update(X_train=X[:n_train], X_test=X[n_train:],
                     y_train=y[:n_train], y_test=y[n_train:])
    return bunch


_DESCR = """MNIST handwritten digits (LeCun et al. 1998): 28 x 28 grey-level
images, 60,000 for training followed by 10,000 for testing (the standard
split).  Pixels scaled to [0, 1] unless ``scale=False``."""


def load_mnist(data_home=None, *, subset="all", scale=True, dtype=np.float32,
               return_X_y=False, as_frame=False):
    """Load MNIST from the four standard IDX files on disk.

    Parameters
    ----------
    data_home : str or path, optional
        Folder holding ``train-images-idx3-ubyte.gz``,
        ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
        ``t10k-labels-idx1-ubyte.gz`` (gzipped or not).  Default: the
        ``SKDEEPGEN_MNIST`` environment variable, then
        ``<scikit-learn data home>/mnist`` (where :func:`fetch_mnist`
        caches its download).
    subset : {"all", "train", "test"}, default="all"
        The 60,000 training images, the 10,000 test images, or both (train
        first, in the original order).
    scale : bool, default=True
        Scale pixels to [0, 1] (else raw 0-255 values).
    dtype : dtype, default=np.float32
        Pixel dtype.
    return_X_y : bool, default=False
        Return arrays instead of a Bunch: ``(X, y)`` for ``subset="train"``
        or ``"test"``, ``(X_train, X_test, y_train, y_test)`` for ``"all"``.
    as_frame : bool, default=False
        Pixels as a pandas DataFrame (columns ``pixel1`` ... ``pixel784``)
        and labels as a Series, as :func:`sklearn.datasets.fetch_openml`
        gives them.

    Returns
    -------
    data : Bunch
        ``data`` (n_samples, 784), ``target``, ``feature_names``,
        ``target_names``, ``frame`` (with ``as_frame``), ``DESCR``; with
        ``subset="all"`` also the standard split as ``X_train``, ``X_test``,
        ``y_train``, ``y_test`` (views, no copies).
    (X, y) or (X_train, X_test, y_train, y_test)
        With ``return_X_y=True``.

    Raises
    ------
    FileNotFoundError
        Saying where it looked; :func:`fetch_mnist` downloads the files.

    See Also
    --------
    fetch_mnist : The same, downloading and caching the files when absent.

    Examples
    --------
    >>> from skdeepgen.datasets import load_mnist
    >>> mnist = load_mnist("../shared/data/mnist")  # doctest: +SKIP
    >>> mnist.X_train.shape, mnist.X_test.shape  # doctest: +SKIP
    ((60000, 784), (10000, 784))
    """
    parts = _parts(subset)
    raw, looked = _load_local(data_home, parts)
    if raw is None:
        raise FileNotFoundError(_missing_message(looked))
    return _result(raw, subset, scale, dtype, return_X_y, as_frame)


def fetch_mnist(data_home=None, *, subset="all", scale=True, dtype=np.float32,
                download_if_missing=True, return_X_y=False, as_frame=False):
    """Load MNIST, downloading it once when the IDX files are absent.

    Looks where :func:`load_mnist` looks; when the files are not there,
    downloads MNIST with :func:`sklearn.datasets.fetch_openml`
    (``mnist_784``: the same images and split) and caches it as the four
    standard IDX files in ``data_home`` (default:
    ``<scikit-learn data home>/mnist``), so that later calls, and
    :func:`load_mnist`, read it from disk.

    Parameters
    ----------
    data_home : str or path, optional
        Where to look for, and cache, the IDX files.
    subset, scale, dtype, return_X_y, as_frame
        As in :func:`load_mnist`.
    download_if_missing : bool, default=True
        When False, raise :class:`FileNotFoundError` instead of downloading.

    Returns
    -------
    data : Bunch or tuple
        As :func:`load_mnist` returns.
    """
    parts = _parts(subset)
    raw, looked = _load_local(data_home, parts)
    if raw is None:
        msg = _missing_message(looked)
        if not download_if_missing:
            raise FileNotFoundError(msg)
        try:
            from sklearn.datasets import fetch_openml
            X, y = fetch_openml("mnist_784", version=1, return_X_y=True,
                                as_frame=False, parser="liac-arff")
        except Exception as exc:  # no network, server error, ...
            raise FileNotFoundError(msg + f" Downloading with fetch_openml failed "
                                    f"too: {exc}") from exc
        X = np.asarray(X, dtype=np.uint8)
        y = np.asarray(y).astype(np.int64)
        raw = {"train": (X[:60000], y[:60000]), "test": (X[60000:], y[60000:])}
        _cache(raw, looked[-1] if data_home is None else Path(data_home))
    return _result(raw, subset, scale, dtype, return_X_y, as_frame)


def _cache(raw, folder):
    """Write the standard four gzipped IDX files (best effort)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for part, (X, y) in raw.items():
            images, labels = _FILES[part]
            for stem, arr in ((images, X.reshape(-1, 28, 28)), (labels, y)):
                header = bytes([0, 0, 0x08, arr.ndim]) + struct.pack(
                    ">" + "I" * arr.ndim, *arr.shape)
                with gzip.open(folder / (stem + ".gz"), "wb", compresslevel=1) as f:
                    f.write(header + arr.astype(np.uint8).tobytes())
    except OSError:  # read-only data home: keep the data in memory only
        pass


def sample_binary(X, random_state=0):
    """Binary images drawn from grey levels read as probabilities.

    Each pixel is 1 with probability its value (in [0, 1]): the stochastic
    binarisation of MNIST under which RBM and DBM log-likelihoods are
    reported (Salakhutdinov & Murray 2008), done once with a fixed seed so
    that the data are binary and every run sees the same images.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Values in [0, 1].
    random_state : int or RandomState, default=0
        The draw.  Passing one ``RandomState`` to successive calls (the
        training images, then the test images) continues its stream.

    Returns
    -------
    B : ndarray of shape (n_samples, n_features), float32
        Zeros and ones.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepgen.datasets import sample_binary
    >>> sample_binary(np.array([[0.0, 1.0, 0.3, 0.7]]))
    array([[0., 1., 0., 1.]], dtype=float32)
    """
    X = np.asarray(X)
    if not in_unit_range(X):
        raise ValueError("sample_binary needs values in [0, 1] (probabilities); "
                         f"X ranges over [{np.nanmin(X):g}, {np.nanmax(X):g}]"
                         + (" and contains NaN" if np.isnan(X).any() else ""))
    rng = check_random_state(random_state)
    return (rng.uniform(size=X.shape) < X).astype(np.float32)
