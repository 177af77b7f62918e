"""Divergence guard: NaN/Inf stops training with an actionable error."""
import numpy as np


class DivergenceError(FloatingPointError, ValueError):
    """Training produced NaN or Inf. The message names what to lower."""


def check_finite_params(estimator, params, epoch, hint):
    """Raise DivergenceError if any array in ``params`` (name -> array) is not finite."""
    for name, value in params.items():
        if not np.all(np.isfinite(value)):
            raise DivergenceError(
                f"{type(estimator).__name__} diverged in epoch {epoch}: {name} "
                f"contains NaN or Inf. {hint} The model was left as it was "
                "before this call.")


def check_finite_loss(estimator, loss, epoch, hint):
    if loss is not None and not np.isfinite(loss):
        raise DivergenceError(
            f"{type(estimator).__name__} diverged in epoch {epoch}: the "
            f"training loss is {loss}. {hint} The model was left as it was "
            "before this call.")
