"""A one-hidden-layer sigmoid network for scikit-learn, with hand-coded gradients.

The public names are imported on first use (PEP 562), so that importing the
package, or running ``python -m sklearn_sigmoidnet --help``, does not import
the estimator and its dependencies.
"""

import importlib

# What skops.io.load must be told to trust for a fitted SigmoidMLPRegressor
# (alone or in a Pipeline of scikit-learn transformers that skops trusts),
# beyond skops' defaults: ``skops.io.load(file, trusted=SKOPS_TRUSTED_TYPES)``.
SKOPS_TRUSTED_TYPES = (
    "sklearn_sigmoidnet._data.TargetMapping",
    "sklearn_sigmoidnet._estimator.SigmoidMLPRegressor",
    "sklearn_sigmoidnet._curvature.KroneckerCurvature",
    "sklearn_sigmoidnet._posterior.Posterior",
    "sklearn_sigmoidnet._row_space.RowSpaceCurvature",
    "sklearn_sigmoidnet._training.MomentumState",
)

# Each public name and the module that defines it.
_SOURCES = {
    "FitInterruptedWarning": ".exceptions",
    "NetworkKernel": "._kernel",
    "ParameterLayout": "._layout",
    "SigmoidMLPRegressor": "._estimator",
    "TargetMapping": "._data",
    "glorot_uniform": "._layout",
    "loss_and_gradient": "._kernel",
}

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


def __getattr__(name):
    """Import a public name from its module on first use (PEP 562)."""
    try:
        source = _SOURCES[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(source, __name__), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
