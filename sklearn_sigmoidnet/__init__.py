"""A one-hidden-layer sigmoid network for scikit-learn, with hand-coded gradients."""

from ._estimator import SigmoidMLPRegressor
from ._kernel import NetworkKernel, loss_and_gradient
from ._layout import ParameterLayout, glorot_uniform

__all__ = [
    "NetworkKernel",
    "ParameterLayout",
    "SigmoidMLPRegressor",
    "glorot_uniform",
    "loss_and_gradient",
]
__version__ = "0.1.0"
