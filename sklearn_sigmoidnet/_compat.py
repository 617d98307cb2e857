"""Loading models pickled or saved by earlier releases.

Release 0.1.0 kept the posterior in four attributes (``_posterior_covariance``,
``_noise_variance_network``, ``_output_scale`` and the public
``noise_variance_``, ``n_effective_parameters_``, ``log_evidence_``) and
gradient descent's state in four more (``_gd_*``); this release keeps one
:class:`~._posterior.Posterior` and one :class:`~._training.MomentumState`.
"""

import numpy as np

from ._posterior import Posterior
from ._training import MomentumState

__all__ = ["state_of_release_0_1"]

_POSTERIOR_0_1 = (
    "_posterior_covariance",
    "_noise_variance_network",
    "_output_scale",
    "noise_variance_",
    "n_effective_parameters_",
    "log_evidence_",
)
_MOMENTUM_0_1 = (
    "_gd_velocity",
    "_gd_loss_ceiling",
    "_gd_learning_rate_given",
    "_gd_learning_rate_reached",
)
_FIT_ONLY = ("alpha_history_", "gamma_history_", "restart_losses_")


def _posterior(state):
    if state.get("_stepped_by_partial_fit") or "_noise_variance_network" not in state:
        return None
    covariance = state.get("_posterior_covariance")
    missing = (
        ""
        if covariance is not None
        else (
            "the model was saved by sklearn_sigmoidnet 0.1, which did not compute it "
            "for this network; refit it."
        )
    )
    return Posterior(
        float(state["_noise_variance_network"]),
        float(state.get("n_effective_parameters_", np.nan)),
        float(state.get("log_evidence_", np.nan)),
        covariance,
        missing,
    )


def _momentum(state):
    velocity = state.get("_gd_velocity")
    if velocity is None:
        return None
    given = state.get("_gd_learning_rate_given")
    return MomentumState(
        velocity,
        state["_gd_loss_ceiling"],
        given,
        state.get("_gd_learning_rate_reached", given),
    )


def state_of_release_0_1(state):
    """``state`` in this release's form (unchanged if it is in it already)."""
    if "_posterior" in state or "coefs_" not in state:
        return state
    state = dict(state)
    state["_posterior"] = _posterior(state)
    state["_momentum"] = _momentum(state)
    if state.get("_stepped_by_partial_fit"):
        for name in _FIT_ONLY:
            state.pop(name, None)
    for name in (*_POSTERIOR_0_1, *_MOMENTUM_0_1, "_stepped_by_partial_fit"):
        state.pop(name, None)
    state.setdefault("_split_seed", None)
    return state
