"""scikit-learn's estimator checks for every public estimator."""
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdeepgen import BernoulliRBM

EXPECTED_FAILURES = {}


def _expected(est):
    return EXPECTED_FAILURES.get(type(est).__name__, {})


@parametrize_with_checks([BernoulliRBM(n_components=4, n_iter=3, random_state=0)],
                         expected_failed_checks=_expected)
def test_sklearn_compatible(estimator, check):
    check(estimator)
