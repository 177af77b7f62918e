"""scikit-learn's estimator checks for every public estimator (``CASES``).

Two runs, as in scikit-learn's own ``sklearn/tests/test_common.py``:

* ``parametrize_with_checks`` over the small seeded instances of the list
  (one test per check, fast);
* ``check_estimator`` on every public class with its *default* parameters
  (what a user gets from ``Estimator()``: full-size networks), one test per
  class, marked ``slow``.

An expected failure needs a reason a user would accept; xfails are strict,
so an entry that starts passing must be removed.

Also here: the Numba kernels compile without IR warnings (a check common to
every estimator's kernels).
"""
import traceback
import warnings

import numba
import numpy as np
import pytest
from numba.core.errors import NumbaIRAssumptionWarning
from sklearn.utils.estimator_checks import (check_estimator,
                                            parametrize_with_checks)

from ._estimators import CASES

_CASE_OF = {id(case.estimator): case for case in CASES}


def _expected(estimator):
    return _CASE_OF[id(estimator)].expected_failed_checks


@parametrize_with_checks([case.estimator for case in CASES],
                         expected_failed_checks=_expected, xfail_strict=True)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# ------------------------------------------------------ default parameters
#: class name -> {check name: reason} for ``Estimator()``
EXPECTED_FAILED_DEFAULT = {
    "DBNClassifier": {
        "check_classifiers_train": (
            "the defaults are the MNIST recipe (a 500-500-2000 stack pretrained "
            "10 epochs per layer, then 40 fine-tuning epochs of SGD at "
            "learning_rate=0.3: about 6,000 updates per layer on 60,000 "
            "images).  The check's 300 standardised 2-D points give 3 "
            "minibatches per epoch: the Gaussian bottom layer barely moves in 30 "
            "updates and fine-tuning at 0.3 oscillates on the 2000-unit top "
            "layer, so training accuracy stays at chance (0.33-0.62 measured "
            "for Gaussian-layer learning rates 0.001-0.1).  Small data wants a "
            "small stack and more updates: DBNClassifier((50, 50), "
            "batch_size=10) passes this check, as does the seeded instance "
            "of the list."),
    },
}

#: class name -> why ``Estimator()`` is not run through every check here
TOO_SLOW_DEFAULT = {
    name: (f"{name}() is the MNIST recipe (a 784-500-1000 DBM: two RBMs "
           "pretrained 20 epochs each, then 150 epochs of joint training "
           "with 10 mean-field and 5 Gibbs sweeps per update): minutes per fit on "
           "the checks' 300 points (33 s measured with 30 joint epochs), about "
           "45 fits, which alone "
           "would exceed the suite's 15-minute budget.  The seeded instance of "
           "the list runs every check")
    for name in ("DBM", "DBMClassifier")}
TOO_SLOW_DEFAULT["SdAClassifier"] = (
    "SdAClassifier() is the SdA-3 MNIST recipe (three 1000-unit denoising "
    "layers pretrained 10 epochs each in batches of 20, then 50 fine-tuning "
    "epochs with dropout): its ~45 fits on the checks' data took about 8 "
    "minutes in CI, over half the suite's 15-minute budget.  The seeded "
    "instance of the list runs every check")

_CLASSES = sorted({type(case.estimator) for case in CASES}, key=lambda c: c.__name__)


def _describe(result):
    """``check: Error: message (file:line: failing source line)``."""
    exc = result["exception"]
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    message = (str(exc).strip().splitlines() or [""])[0]
    return (f"{result['check_name']}: {type(exc).__name__}: {message} "
            f"({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}: {frame.line})")


@pytest.mark.slow
@pytest.mark.parametrize("Estimator", _CLASSES, ids=lambda c: c.__name__)
def test_sklearn_compatible_with_default_parameters(Estimator):
    """Every check on ``Estimator()``, every failure listed (not only the first)."""
    if Estimator.__name__ in TOO_SLOW_DEFAULT:
        pytest.skip(TOO_SLOW_DEFAULT[Estimator.__name__])
    expected = EXPECTED_FAILED_DEFAULT.get(Estimator.__name__, {})
    results = check_estimator(Estimator(), expected_failed_checks=expected,
                              on_fail=None, on_skip=None)
    failed = [_describe(r) for r in results if r["status"] == "failed"]
    assert not failed, (f"{Estimator.__name__}() fails {len(failed)} check(s):\n"
                        + "\n".join(failed))
    stale = {r["check_name"] for r in results
             if r["expected_to_fail"] and r["status"] == "passed"}
    assert not stale, f"expected to fail but passed (remove them): {sorted(stale)}"


# ------------------------------------------------------------ Numba kernels
def _sigmoid_kernel_calls(dtype):
    """Every kernel that inlines the ``_sigmoid`` (or ``_sigmoid_softplus``,
    ``_tanh``) overload, with arguments."""
    from skdeepgen._kernels import nn, units
    rng = np.random.RandomState(0)
    Z = rng.standard_normal((4, 3)).astype(dtype)
    b = rng.standard_normal(3).astype(dtype)
    out = np.empty_like(Z)
    acc = np.zeros(3, dtype)
    none = np.empty((0, 3), dtype)
    calls = {
        nn._add_bias_activate: (Z.copy(), b, 1, 0.5, 1),
        nn._sigmoid_cross_entropy: (Z.copy(), b, out, out.copy(), acc.copy()),
        nn._squared_error: (Z.copy(), b, 1, out, out.copy(), acc.copy()),
        units._sigmoid_sample: (Z.copy(), b, out, dtype(1.0), out.copy(), 1,
                                acc.copy(), acc.copy()),
        units._nrelu_sample: (Z.copy(), b, none, dtype(1.0), out, 1,
                              acc.copy(), acc.copy()),
    }
    users = {k for mod in (nn, units) for k in vars(mod).values()
             if isinstance(k, numba.core.registry.CPUDispatcher)
             and {"_sigmoid", "_sigmoid_softplus", "_tanh"}
             & set(k.py_func.__code__.co_names)}
    assert users == set(calls), "a new kernel calls _sigmoid: add it here"
    return calls


@pytest.mark.slow  # about 8 s per dtype: Numba compiles five kernels afresh
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernels_compile_without_numba_ir_warnings(dtype):
    """Numba warns (NumbaIRAssumptionWarning) when one kernel inlines the
    same ``_sigmoid`` overload twice: see ``skdeepgen._kernels.units._sigmoid``.
    The cached kernels would not recompile, so fresh, uncached copies are
    compiled here."""
    for kernel, args in _sigmoid_kernel_calls(dtype).items():
        options = {k: v for k, v in kernel.targetoptions.items() if k != "nopython"}
        fresh = numba.njit(**options)(kernel.py_func)
        with warnings.catch_warnings():
            warnings.simplefilter("error", NumbaIRAssumptionWarning)
            fresh(*args)
