"""The seeds' experiments: registries of datasets and feature learners.

A model family adds itself with :func:`register_model`; a dataset with
:func:`register_dataset`.  ``python -m skdeepgen`` (``skdeepgen`` console
script) runs ``learned features -> linear classifier`` against raw pixels and
prints a table.
"""
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["register_model", "register_dataset", "MODELS", "DATASETS",
           "run_experiment", "format_table", "save_filters"]


@dataclass
class ModelSpec:
    name: str
    description: str
    #: make(dataset_name, n_features, random_state, verbose) -> transformer
    make: Callable
    tags: dict = field(default_factory=dict)


@dataclass
class DatasetSpec:
    name: str
    description: str
    #: load(data_home) -> (X_train, X_test, y_train, y_test), values in [0, 1]
    load: Callable
    #: (height, width) of one image, for the filter figure
    image_shape: tuple = None


MODELS = {}
DATASETS = {}


def register_model(name, *, description, make, **tags):
    MODELS[name] = ModelSpec(name, description, make, tags)
    return MODELS[name]


def register_dataset(name, *, description, load, image_shape=None):
    DATASETS[name] = DatasetSpec(name, description, load, image_shape)
    return DATASETS[name]


# ----------------------------------------------------------------- datasets
def _load_digits(data_home=None):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


def _load_mnist(data_home=None):
    from .datasets import fetch_mnist

    return fetch_mnist(data_home, return_X_y=True)


register_dataset("digits", description="scikit-learn's bundled 8x8 digits "
                 "(1,797 images; 70/30 split)", load=_load_digits,
                 image_shape=(8, 8))
register_dataset("mnist", description="MNIST, 60,000 train / 10,000 test "
                 "(IDX files from --data-home)", load=_load_mnist,
                 image_shape=(28, 28))


# ------------------------------------------------------------------- models
def _make_rbm(dataset, n_features, random_state, verbose):
    from .rbm import BernoulliRBM

    if dataset == "digits":
        # 1,257 training images: small batches give enough updates
        return BernoulliRBM(n_components=256, n_iter=40, method="cd",
                            learning_rate=0.05, batch_size=10, weight_decay=0.0,
                            random_state=random_state, verbose=verbose)
    # MNIST: 1.87% test error with C=1 (examples/rbm_mnist_features.py)
    return BernoulliRBM(n_components=1000, n_iter=20, method="cd",
                        random_state=random_state, verbose=verbose)


register_model("rbm", description="Bernoulli RBM features (hidden probabilities)",
               make=_make_rbm)


def _make_sparse(dataset, n_features, random_state, verbose):
    from .sparse_coding import SparseCoder

    if dataset == "digits":
        return SparseCoder(n_components=256, alpha=0.3, max_iter=20, batch_size=64,
                           split_sign=True, random_state=random_state,
                           verbose=verbose)
    return SparseCoder(n_components=1024, alpha=1.0, max_iter=3, split_sign=True,
                       n_jobs=-1, random_state=random_state, verbose=verbose)


register_model("sparse", description="sparse codes, learned dictionary (split sign)",
               make=_make_sparse)


def _make_dbn(dataset, n_features, random_state, verbose):
    from .dbn import DBN
    from .rbm import BernoulliRBM

    if dataset == "digits":
        rbm = BernoulliRBM(n_iter=30, method="cd", learning_rate=0.05,
                           batch_size=10, weight_decay=0.0)
        sizes = (256, 256)
    else:
        rbm = BernoulliRBM(n_iter=10, method="cd", momentum=0.9)
        sizes = (500, 500)
    return DBN(sizes, rbm=rbm, transform_layers="all", random_state=random_state,
               verbose=verbose)


register_model("dbn", description="DBN features (greedy RBM stack, all layers)",
               make=_make_dbn)


def _make_sda(dataset, n_features, random_state, verbose):
    from .autoencoder import DenoisingAutoencoder, StackedDenoisingAutoencoder

    if dataset == "digits":
        # one wide layer: 98.1% (two layers of 256 or 512: 96.5-96.9%)
        layer = DenoisingAutoencoder(corruption_level=0.25, learning_rate=0.1,
                                     batch_size=10, max_iter=40)
        sizes = (512,)
    else:
        layer, sizes = None, (1000, 1000)  # the SdA pretraining recipe
    return StackedDenoisingAutoencoder(sizes, autoencoder=layer,
                                       transform_layers="all",
                                       random_state=random_state, verbose=verbose)


register_model("sda", description="stacked denoising autoencoder features "
               "(all layers)", make=_make_sda)


# --------------------------------------------------------------- experiment
#: inverse regularisation of the logistic regression, per dataset
_CLASSIFIER_C = {"digits": 100.0, "mnist": 1.0}


def _classifier(dataset, random_state):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=_CLASSIFIER_C.get(dataset, 1.0), max_iter=500,
                              random_state=random_state)


def run_experiment(model="sparse", dataset="digits", data_home=None, *,
                   random_state=0, verbose=1, classifier=None, log=print):
    """Raw pixels vs learned features, each followed by a linear classifier.

    Returns a list of result rows (dicts): ``features``, test ``accuracy``,
    ``learner_s`` (fitting the feature learner and transforming the training
    set), ``classifier_s`` (fitting the classifier), ``transform_s``
    (transforming the test set) and ``transformer`` (the fitted feature
    learner, None for raw pixels).
    """
    from sklearn.base import clone

    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose from {sorted(DATASETS)}")
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose from {sorted(MODELS)}")
    clf = classifier if classifier is not None else _classifier(dataset, random_state)
    t0 = time.perf_counter()
    X_train, X_test, y_train, y_test = DATASETS[dataset].load(data_home)
    log(f"dataset {dataset}: {X_train.shape[0]} train / {X_test.shape[0]} test, "
        f"{X_train.shape[1]} features (loaded in {time.perf_counter() - t0:.1f}s)")
    rows = []
    candidates = [("raw pixels", None),
                  (MODELS[model].description,
                   MODELS[model].make(dataset, X_train.shape[1], random_state, verbose))]
    for name, transformer in candidates:
        log(f"fitting: {name}")
        t = time.perf_counter()
        Z_train = X_train if transformer is None else transformer.fit_transform(X_train)
        learner_s = time.perf_counter() - t
        t = time.perf_counter()
        fitted = clone(clf).fit(Z_train, y_train)
        classifier_s = time.perf_counter() - t
        t = time.perf_counter()
        Z_test = X_test if transformer is None else transformer.transform(X_test)
        transform_s = time.perf_counter() - t
        acc = float(np.mean(fitted.predict(Z_test) == y_test))
        rows.append({"features": name, "accuracy": acc, "learner_s": learner_s,
                     "classifier_s": classifier_s, "transform_s": transform_s,
                     "transformer": transformer})
    return rows


def format_table(rows):
    head = (f"{'features':<46} {'accuracy':>8} {'error %':>7} {'learner s':>9} "
            f"{'classifier s':>12} {'transform s':>11}")
    lines = [head, "-" * len(head)]
    for r in rows:
        learner = "-" if r["transformer"] is None else f"{r['learner_s']:.2f}"
        lines.append(f"{r['features']:<46} {r['accuracy']:>8.4f} "
                     f"{100 * (1 - r['accuracy']):>7.2f} {learner:>9} "
                     f"{r['classifier_s']:>12.2f} {r['transform_s']:>11.3f}")
    return "\n".join(lines)


def save_filters(transformer, path, image_shape):
    """Save the feature learner's first-layer filters as a tiled PNG.

    Returns the path, or None when matplotlib is missing or the model has no
    filters of ``image_shape``.
    """
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    from .plotting import plot_tiles

    est = getattr(transformer, "layers_", [transformer])[0]
    W = getattr(est, "components_", None)
    if W is None or W.shape[1] != image_shape[0] * image_shape[1]:
        return None
    fig, ax = plt.subplots(figsize=(6, 6))
    plot_tiles(W[:256], image_shape, ax=ax,
               title=f"{type(est).__name__}: first {min(len(W), 256)} filters")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
