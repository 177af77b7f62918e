"""Shared test fixtures: paths to ../shared/data, tiny seeded data sets."""
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

# The tests use small matrices, where BLAS threads cost more than they give,
# and a busy CI machine makes spinning BLAS threads pathologically slow.
_BLAS_LIMIT = threadpool_limits(limits=1, user_api="blas")

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_data_path(*parts):
    """Path under ../shared/data, or skip the test with a reason."""
    p = SHARED_DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"needs {p} (../shared/data beside the repository); absent here")
    return p


@pytest.fixture(scope="session")
def digits01():
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    return (X / 16.0), y


@pytest.fixture
def binary_data():
    rng = np.random.RandomState(0)
    return (rng.uniform(size=(60, 6)) < 0.4).astype(np.float64)
