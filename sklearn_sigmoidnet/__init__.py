"""A one-hidden-layer sigmoid network for scikit-learn, with hand-coded gradients."""

from ._estimator import SigmoidMLPRegressor
from ._network import loss_and_gradient

__all__ = ["SigmoidMLPRegressor", "loss_and_gradient"]
__version__ = "0.1.0"
