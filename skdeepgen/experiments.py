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
           "run_experiment", "format_table"]


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


MODELS = {}
DATASETS = {}


def register_model(name, *, description, make, **tags):
    MODELS[name] = ModelSpec(name, description, make, tags)
    return MODELS[name]


def register_dataset(name, *, description, load):
    DATASETS[name] = DatasetSpec(name, description, load)
    return DATASETS[name]


# ----------------------------------------------------------------- datasets
def _load_digits(data_home=None):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


def _load_mnist(data_home=None):
    from .datasets import load_mnist

    return load_mnist(data_home)


register_dataset("digits", description="scikit-learn's bundled 8x8 digits "
                 "(1,797 images; 70/30 split)", load=_load_digits)
register_dataset("mnist", description="MNIST, 60,000 train / 10,000 test "
                 "(IDX files from --data-home)", load=_load_mnist)


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


def run_experiment(model="rbm", dataset="digits", data_home=None, *,
                   random_state=0, verbose=1, classifier=None, log=print):
    """Raw pixels vs learned features, each followed by a linear classifier.

    Returns a list of result rows (dicts): features, test accuracy, fit
    seconds, transform seconds.
    """
    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline

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
        steps = [clone(clf)] if transformer is None else [transformer, clone(clf)]
        pipe = make_pipeline(*steps)
        t = time.perf_counter()
        pipe.fit(X_train, y_train)
        fit_s = time.perf_counter() - t
        t = time.perf_counter()
        Z = X_test if transformer is None else pipe[:-1].transform(X_test)
        transform_s = time.perf_counter() - t
        acc = float(np.mean(pipe[-1].predict(Z) == y_test))
        rows.append({"features": name, "accuracy": acc, "fit_s": fit_s,
                     "transform_s": transform_s})
    return rows


def format_table(rows):
    head = f"{'features':<48} {'accuracy':>9} {'error %':>8} {'fit s':>8} {'transform s':>12}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['features']:<48} {r['accuracy']:>9.4f} "
                     f"{100 * (1 - r['accuracy']):>8.2f} {r['fit_s']:>8.2f} "
                     f"{r['transform_s']:>12.3f}")
    return "\n".join(lines)
