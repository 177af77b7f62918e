"""MNIST from the four standard IDX files."""
import gzip
import os
import struct
from pathlib import Path

import numpy as np

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


def load_mnist(data_home=None, *, subset="all", scale=True, dtype=np.float32,
               download_if_missing=True, return_X_y=True):
    """Load MNIST from the standard IDX files.

    Parameters
    ----------
    data_home : str or path, optional
        Folder holding ``train-images-idx3-ubyte.gz``,
        ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
        ``t10k-labels-idx1-ubyte.gz`` (gzipped or not).  Default: the
        ``SKDEEPGEN_MNIST`` environment variable, then
        ``~/scikit_learn_data/mnist``.
    subset : {"all", "train", "test"}
        ``"all"`` returns ``(X_train, X_test, y_train, y_test)``, in the
        original order (60,000 / 10,000).
    scale : bool
        Scale pixels to [0, 1] (else raw 0-255 values).
    dtype : dtype, default float32
        Floating type of the images.
    download_if_missing : bool
        When the files are absent, fall back to scikit-learn's
        ``fetch_openml("mnist_784")`` (needs the network; same images and
        split).  If that fails too, raise an error saying where the loader
        looked.
    return_X_y : bool
        Kept for symmetry with scikit-learn loaders; always returns arrays.

    Returns
    -------
    arrays : tuple of ndarray
        ``(X, y)`` for ``subset="train"`` or ``"test"``;
        ``(X_train, X_test, y_train, y_test)`` for ``"all"``.
    """
    if subset not in ("all", "train", "test"):
        raise ValueError(f"subset must be 'all', 'train' or 'test'; got {subset!r}")
    parts = ["train", "test"] if subset == "all" else [subset]
    looked = _candidates(data_home)
    found = None
    for folder in looked:
        paths = {p: [_find(folder, stem) for stem in _FILES[p]] for p in parts}
        if all(all(v) for v in paths.values()):
            found = paths
            break
    if found is not None:
        out = {}
        for p in parts:
            X = read_idx(found[p][0]).reshape(-1, 784)
            y = read_idx(found[p][1]).astype(np.int64)
            out[p] = (X, y)
    else:
        out = _fetch_openml_fallback(parts, looked, download_if_missing)
    result = {}
    for p, (X, y) in out.items():
        X = X.astype(dtype)
        if scale:
            X /= 255.0
        result[p] = (X, y)
    if subset == "all":
        return result["train"][0], result["test"][0], result["train"][1], result["test"][1]
    return result[subset]


def _fetch_openml_fallback(parts, looked, download_if_missing):
    where = ", ".join(str(p) for p in looked)
    msg = (f"MNIST IDX files not found (looked in: {where}). Put "
           "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
           "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz in a folder "
           f"and pass it as data_home=... or set {ENV_VAR}.")
    if not download_if_missing:
        raise FileNotFoundError(msg)
    try:
        from sklearn.datasets import fetch_openml
        X, y = fetch_openml("mnist_784", version=1, return_X_y=True,
                            as_frame=False, parser="liac-arff")
    except Exception as exc:  # no network, server error, ...
        raise FileNotFoundError(msg + f" Downloading with fetch_openml failed too: "
                                f"{exc}") from exc
    X = np.asarray(X, dtype=np.uint8)
    y = np.asarray(y).astype(np.int64)
    split = {"train": slice(0, 60000), "test": slice(60000, 70000)}
    return {p: (X[split[p]], y[split[p]]) for p in parts}
