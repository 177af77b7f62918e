"""The one list of public estimators that the common and contract tests use.

``tests/test_common.py`` runs scikit-learn's checks and
``tests/test_contracts.py`` the project's own contracts (reproducibility,
float32, pickle/clone, transactional refit, interrupts, divergence, pandas
output) over ``CASES``: a new estimator is covered by adding one ``Case``.

Not in the list: the :mod:`skdeepgen.feature_extraction` transformers
(``DensePatchExtractor``, ``PatchEncoder``, ``SpatialPyramidPooling``).  They
take images (a sequence of 2-D or 3-D arrays, or patch grids) rather than a
2-D ``(n_samples, n_features)`` array, so scikit-learn's checks and these
contracts, which feed them tabular data, do not apply; ``PatchEncoder``
trains whatever estimator it wraps (one of those listed here).
``tests/test_feature_extraction.py`` tests them.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from skdeepgen import (DBM, DBN, Autoencoder, DBMClassifier, BernoulliRBM, CategoricalRBM,
                       ContractiveAutoencoder, DBNClassifier, DeepAutoencoder,
                       DenoisingAutoencoder, GaussianBernoulliRBM,
                       PredictiveSparseDecomposition, ReplicatedSoftmaxRBM,
                       SdAClassifier, SparseAutoencoder, SparseCoder,
                       StackedDenoisingAutoencoder, VAE)

#: rows and columns of the contract tests' data; with ``batch_size=10``
#: every epoch has three minibatches, so an interrupt can land mid-epoch
N_SAMPLES, N_FEATURES = 30, 6


def binary_data(rng):
    """Binary visible data (Bernoulli units)."""
    return (rng.uniform(size=(N_SAMPLES, N_FEATURES)) < 0.4).astype(np.float64)


def unit_data(rng):
    """Grey levels in [0, 1] (Bernoulli units read them as probabilities)."""
    return rng.uniform(size=(N_SAMPLES, N_FEATURES))


def real_data(rng):
    """Standardised real values (Gaussian units, sparse coding)."""
    return rng.standard_normal((N_SAMPLES, N_FEATURES))


def count_data(rng):
    """Word counts: non-negative integers, every document non-empty."""
    X = rng.poisson(2.0, size=(N_SAMPLES, N_FEATURES)).astype(np.float64)
    X[:, 0] += 1
    return X


def categorical_data(rng):
    """Ratings 1, 2, 3 with about 20% missing (NaN)."""
    X = rng.randint(1, 4, size=(N_SAMPLES, N_FEATURES)).astype(np.float64)
    X[rng.uniform(size=X.shape) < 0.2] = np.nan
    X[0] = [1, 2, 3, 1, 2, 3][:N_FEATURES]  # every category observed
    return X


def two_classes(X):
    """Labels for the supervised cases (and for the pipelines of the
    transformers): above or below the median of the first feature."""
    x = np.nan_to_num(X[:, 0])
    return (x > np.median(x)).astype(np.int64)


@dataclass(frozen=True)
class Case:
    """One estimator configuration and what the contract tests need to know.

    estimator
        A small seeded instance (tests ``clone`` it; never fit it in place).
    make_X
        ``rng -> X`` suitable for the estimator's input units.
    epochs
        Name of the parameter counting the epochs that ``n_iter_`` reports
        (``"n_iter"`` / ``"max_iter"``; for the fine-tuned networks the
        fine-tuning epochs), None when the estimator has no epoch loop of
        its own (a greedy stack: its layers have one).
    diverge
        Parameters that make ``fit`` diverge (NaN/Inf), or None.
    no_divergence
        Why the estimator cannot diverge, when ``diverge`` is None.
    stack
        Whether ``fit`` greedily trains layer estimators (a DBN, or the
        pretraining of the fine-tuned networks); an interrupt there
        cancels the whole call.
    supervised
        Whether ``fit`` needs ``y`` (``two_classes(X)``).
    expected_failed_checks
        scikit-learn checks expected to fail for this configuration, with
        the reason (shown in the test report).
    """

    id: str
    estimator: object
    make_X: Callable
    epochs: Optional[str]
    diverge: Optional[dict] = None
    no_divergence: Optional[str] = None
    stack: bool = False
    supervised: bool = False
    expected_failed_checks: dict = field(default_factory=dict)

    def __post_init__(self):
        assert (self.diverge is None) != (self.no_divergence is None), self.id

    def data(self, seed=0, dtype=np.float64):
        """``(X, y)``; ``y`` is None for unsupervised estimators."""
        X = self.make_X(np.random.RandomState(seed)).astype(dtype)
        return X, (two_classes(X) if self.supervised else None)

    @property
    def is_transformer(self):
        return hasattr(self.estimator, "transform")

    def layer_classes(self, est=None):
        """Classes of the layer estimators of a stack (whose ``_fit_minibatch``
        runs during pretraining)."""
        est = self.estimator if est is None else est
        params = est.get_params(deep=False)
        if params.get("dbm") is not None:  # a DBM's pretraining RBMs
            params = params["dbm"].get_params(deep=False)
        layers = params.get("rbm", params.get("autoencoder"))
        layers = layers if isinstance(layers, (list, tuple)) else [layers]
        classes = sorted({type(layer) for layer in layers if layer is not None},
                         key=lambda cls: cls.__name__)
        assert classes, (f"{self.id}: give the stack its layers (rbm=... or "
                         "autoencoder=...)")
        return classes


#: a huge learning rate: the first updates overflow to Inf/NaN
_HUGE_LR = {"learning_rate": 1e300}
# the layers of the stacks: a few epochs of a few minibatches
_LAYER = BernoulliRBM(n_iter=2, batch_size=10)
_AE_LAYER = DenoisingAutoencoder(max_iter=2, batch_size=10)
#: the autoencoders' small seeded configuration
_AE = dict(n_components=4, max_iter=3, batch_size=10, random_state=0)

CASES = [
    Case("BernoulliRBM",
         BernoulliRBM(n_components=4, n_iter=3, batch_size=10, random_state=0),
         binary_data, "n_iter", diverge=_HUGE_LR),
    Case("BernoulliRBM-nrelu",
         BernoulliRBM(n_components=4, n_iter=3, batch_size=10, hidden="nrelu",
                      random_state=0),
         binary_data, "n_iter", diverge=_HUGE_LR),
    Case("GaussianBernoulliRBM",
         GaussianBernoulliRBM(n_components=4, n_iter=3, batch_size=10,
                              random_state=0),
         real_data, "n_iter", diverge=_HUGE_LR),
    Case("GaussianBernoulliRBM-learn_variance-nrelu",
         GaussianBernoulliRBM(n_components=4, n_iter=3, batch_size=10,
                              learn_variance=True, hidden="nrelu",
                              random_state=0),
         real_data, "n_iter", diverge=_HUGE_LR),
    Case("ReplicatedSoftmaxRBM",
         ReplicatedSoftmaxRBM(n_components=4, n_iter=3, batch_size=10,
                              random_state=0),
         count_data, "n_iter", diverge=_HUGE_LR),
    Case("CategoricalRBM",
         CategoricalRBM(n_components=4, n_iter=3, batch_size=10, random_state=0),
         categorical_data, "n_iter", diverge=_HUGE_LR),
    Case("DBN",
         DBN((5, 3), rbm=_LAYER, random_state=0),
         binary_data, None, diverge={"rbm__learning_rate": 1e300}, stack=True),
    Case("DBNClassifier",
         DBNClassifier((6, 5), rbm=_LAYER, max_iter=30, learning_rate=0.5,
                       batch_size=10, random_state=0),
         unit_data, "max_iter", diverge=_HUGE_LR, stack=True, supervised=True),
    Case("DeepAutoencoder",
         DeepAutoencoder((5,), n_components=3, rbm=_LAYER, max_iter=3,
                         batch_size=10, random_state=0),
         unit_data, "max_iter", diverge=_HUGE_LR, stack=True),
    Case("DBM",
         DBM((5, 3), rbm=_LAYER, n_iter=3, batch_size=10, random_state=0),
         binary_data, "n_iter", diverge=_HUGE_LR, stack=True),
    Case("DBMClassifier",
         DBMClassifier((6, 5), dbm=DBM(rbm=_LAYER, n_iter=2, batch_size=10),
                       max_iter=30, learning_rate=0.5, batch_size=10, dropout=0.0,
                       input_dropout=0.0, random_state=0),
         unit_data, "max_iter", diverge=_HUGE_LR, stack=True, supervised=True),
    Case("Autoencoder", Autoencoder(**_AE), unit_data, "max_iter", diverge=_HUGE_LR),
    Case("Autoencoder-untied-tanh-squared_error",
         Autoencoder(activation="tanh", tied_weights=False, solver="adam",
                     corruption="gaussian", corruption_level=0.1, **_AE),
         real_data, "max_iter", diverge=_HUGE_LR),
    Case("DenoisingAutoencoder", DenoisingAutoencoder(**_AE), unit_data, "max_iter",
         diverge=_HUGE_LR),
    Case("DenoisingAutoencoder-salt_and_pepper",
         DenoisingAutoencoder(corruption="salt_and_pepper", **_AE), binary_data,
         "max_iter", diverge=_HUGE_LR),
    Case("SparseAutoencoder", SparseAutoencoder(sparsity_target=0.1, **_AE),
         unit_data, "max_iter", diverge=_HUGE_LR),
    Case("ContractiveAutoencoder", ContractiveAutoencoder(**_AE), unit_data,
         "max_iter", diverge=_HUGE_LR),
    Case("StackedDenoisingAutoencoder",
         StackedDenoisingAutoencoder((5, 3), autoencoder=_AE_LAYER, random_state=0),
         unit_data, None, diverge={"autoencoder__learning_rate": 1e300}, stack=True),
    Case("SdAClassifier",
         SdAClassifier((6, 5), autoencoder=_AE_LAYER, max_iter=30, learning_rate=0.5,
                       batch_size=10, dropout=0.0, random_state=0),
         unit_data, "max_iter", diverge=_HUGE_LR, stack=True, supervised=True),
    Case("SparseCoder",
         SparseCoder(n_components=5, alpha=0.1, max_iter=2, batch_size=10,
                     random_state=0),
         real_data, "max_iter",
         no_divergence="each step is an exact Lasso solve and a projection of "
                       "the atoms onto the unit ball: no step size to lower"),
    Case("PredictiveSparseDecomposition",
         PredictiveSparseDecomposition(n_components=5, alpha=0.1, max_iter=2,
                                       batch_size=10, random_state=0),
         real_data, "max_iter", diverge=_HUGE_LR),
    Case("VAE",
         VAE(n_components=2, hidden_layer_sizes=(5,), max_iter=3, batch_size=10,
             n_score_samples=5, random_state=0),
         unit_data, "max_iter", diverge=_HUGE_LR),
    Case("VAE-gaussian-iwae",
         VAE(n_components=2, hidden_layer_sizes=(5,), max_iter=3, batch_size=10,
             decoder="gaussian", n_importance_samples=3, n_score_samples=5,
             random_state=0),
         real_data, "max_iter", diverge=_HUGE_LR),
]

assert len({c.id for c in CASES}) == len(CASES)
