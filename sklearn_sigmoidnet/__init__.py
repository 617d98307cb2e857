"""A one-hidden-layer sigmoid network for scikit-learn, with hand-coded gradients."""

from ._data import TargetMapping
from ._estimator import SigmoidMLPRegressor
from ._kernel import NetworkKernel, loss_and_gradient
from ._layout import ParameterLayout, glorot_uniform
from .exceptions import FitInterruptedWarning

# What skops.io.load must be told to trust for a fitted SigmoidMLPRegressor
# (alone or in a Pipeline of scikit-learn transformers that skops trusts),
# beyond skops' defaults: ``skops.io.load(file, trusted=SKOPS_TRUSTED_TYPES)``.
SKOPS_TRUSTED_TYPES = (
    "sklearn_sigmoidnet._data.TargetMapping",
    "sklearn_sigmoidnet._estimator.SigmoidMLPRegressor",
    "sklearn_sigmoidnet._posterior.Posterior",
    "sklearn_sigmoidnet._training.MomentumState",
)

__all__ = [
    "SKOPS_TRUSTED_TYPES",
    "FitInterruptedWarning",
    "NetworkKernel",
    "ParameterLayout",
    "SigmoidMLPRegressor",
    "TargetMapping",
    "glorot_uniform",
    "loss_and_gradient",
]
__version__ = "0.1.0"
