"""random_state plumbing: one RandomState per fit, seeds for the kernels."""
import numpy as np

_SEED_HIGH = 2**62


def draw_seeds(rng, size=None):
    """Seeds for counter-based kernels, drawn from a RandomState."""
    return rng.randint(0, _SEED_HIGH, size=size, dtype=np.int64)


def split_validation(n_samples, validation_fraction, rng, stratify=None):
    """Indices (train, validation) for early stopping.

    The validation set has at least one sample and the training set keeps at
    least one; with ``stratify`` (class labels) the split keeps class
    proportions like scikit-learn's MLP.
    """
    from sklearn.model_selection import train_test_split

    n_val = int(round(validation_fraction * n_samples))
    if n_val < 1 or n_samples - n_val < 1:
        raise ValueError(
            f"validation_fraction={validation_fraction} leaves an empty training "
            f"or validation set with n_samples={n_samples}; use more samples, "
            "change validation_fraction or set early_stopping=False.")
    idx = np.arange(n_samples)
    train, val = train_test_split(idx, test_size=n_val, random_state=rng,
                                  stratify=stratify)
    return np.sort(train), np.sort(val)
