"""skdeepgen: deep generative feature learners as scikit-learn estimators."""
from .rbm import (BernoulliRBM, CategoricalRBM, GaussianBernoulliRBM,
                  ReplicatedSoftmaxRBM)
from .dbn import DBN, DBNClassifier, DeepAutoencoder
from .dbm import DBM, DBMClassifier
from .autoencoder import (Autoencoder, ContractiveAutoencoder, DenoisingAutoencoder,
                          SdAClassifier, SparseAutoencoder,
                          StackedDenoisingAutoencoder)
from .sparse_coding import PredictiveSparseDecomposition, SparseCoder
from .vae import VAE

__version__ = "0.1.0.dev0"

__all__ = ["BernoulliRBM", "CategoricalRBM", "GaussianBernoulliRBM", "ReplicatedSoftmaxRBM", "DBN", "DBNClassifier", "DeepAutoencoder", "DBM", "DBMClassifier", "Autoencoder", "DenoisingAutoencoder", "SparseAutoencoder", "ContractiveAutoencoder", "StackedDenoisingAutoencoder", "SdAClassifier", "SparseCoder", "PredictiveSparseDecomposition", "VAE", "__version__"]
