"""The training problem of a fit on dask arrays.

:func:`build_dask_problem` is :func:`~sklearn_sigmoidnet._problem.build_problem`
for :class:`~._validation.DaskData`: the held-out rows chosen per chunk, one
pass over the chunks for the checks and the target statistics, the target
mapping, and a :class:`~._kernel.DaskNetworkKernel` whose chunks stay on the
workers. The rows are not merged or reordered (there is no canonical order
across chunks): a fit depends on the chunking, not on the number of workers.
"""

import numpy as np

from .._data import TargetMapping
from .._problem import TrainingProblem, kernel_objective
from ._kernel import DaskNetworkKernel
from ._split import split_validation
from ._validation import data_statistics, to_network

__all__ = ["DaskHeldOut", "build_dask_problem"]


class DaskHeldOut:
    """Held-out rows on the workers; scored by a kernel of their own."""

    def __init__(self, data, mapping):
        self.data, self.mapping = data, mapping

    def scorer(self, layout, n_threads):
        data = self.data
        Y = to_network(data.Y, self.mapping, data.X.dtype)
        return _DaskScorer(
            DaskNetworkKernel(
                data.X, Y, data.sample_weight, layout=layout, n_threads=n_threads
            )
        )


class _DaskScorer:
    def __init__(self, kernel):
        self.kernel = kernel

    def score(self, theta):
        return self.kernel.r2_score(theta)

    def close(self):
        self.kernel.close()


def _check_weights(statistics, role):
    if statistics.n_samples and not statistics.n_positive:
        raise ValueError(
            f"early_stopping=True: the {role} samples all have zero weight."
        )


def _mapping(mapping, statistics, target_range):
    if isinstance(mapping, TargetMapping):
        return mapping
    # the same checks and bounds as in memory, from the extremes of one pass
    extremes = np.vstack([statistics.y_min, statistics.y_max])
    return mapping(extremes, None)


def build_dask_problem(data, plan, *, mapping, target_range, seed, n_threads):
    """The :class:`~sklearn_sigmoidnet._problem.TrainingProblem` of dask data.

    Arguments as for ``build_problem``; ``n_threads`` are the threads of each
    chunk's kernel on its worker.
    """
    train, held = data, None
    if plan.early_stopping:
        train, held = split_validation(data, plan.n_validation / data.n_samples, seed)
        train_stats, held_stats = data_statistics(train, held)
        _check_weights(held_stats, "validation")
        _check_weights(train_stats, "training")
    else:
        (train_stats,) = data_statistics(train)
    mapping = _mapping(mapping, train_stats, target_range)
    kernel = DaskNetworkKernel(
        train.X,
        to_network(train.Y, mapping, train.X.dtype),
        train.sample_weight,
        layout=plan.layout,
        alpha=plan.penalty.initial,
        n_threads=n_threads,
    )
    loss_scale = train_stats.constant_prediction_loss(mapping, target_range)
    if loss_scale is None:  # the moments in y's units overflowed
        loss_scale = kernel.constant_prediction_loss(target_range)
    objective = kernel_objective(kernel, loss_scale)
    held_out = None if held is None else DaskHeldOut(held, mapping)
    return TrainingProblem(
        kernel,
        objective,
        mapping,
        held_out,
        data,
        n_threads,
        mean_target=lambda: np.asarray(kernel.moments[1], dtype=np.float64),
    )
