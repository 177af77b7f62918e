"""skdeepgen: deep generative feature learners as scikit-learn estimators."""
from .rbm import BernoulliRBM

__version__ = "0.1.0.dev0"

__all__ = ["BernoulliRBM", "__version__"]
