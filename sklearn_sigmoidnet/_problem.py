"""The training problem: the data a fit trains on, mapped and in canonical order.

:func:`build_problem` takes the validated data and the :class:`~._plan.FitPlan`
and returns a :class:`TrainingProblem` (a context manager that stops the
kernel's threads): the rows held out for early stopping, the target mapping,
the canonical samples, the :class:`~._kernel.NetworkKernel`, the solvers'
:class:`~.solvers.Objective` and its unit (the loss of the best constant
prediction).
"""

from dataclasses import dataclass

import numpy as np
from sklearn.utils import check_random_state

from ._data import TargetMapping, canonical_samples, constant_prediction_loss
from ._kernel import NetworkKernel
from ._monitor import weighted_r2
from .solvers import Objective

__all__ = [
    "FitData",
    "HeldOut",
    "TrainingProblem",
    "build_problem",
    "kernel_objective",
    "split_seed",
]


@dataclass
class FitData:
    """Validated training data.

    Attributes
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        float32 or float64.
    Y : ndarray of shape (n_samples, n_outputs), float64
    sample_weight : ndarray of shape (n_samples,), float64, or None
    single_output : bool
        Whether ``y`` was one-dimensional.
    """

    X: object
    Y: np.ndarray
    sample_weight: object
    single_output: bool

    @property
    def y(self):
        """``y`` as given (one-dimensional for a single output)."""
        return self.Y[:, 0] if self.single_output else self.Y


@dataclass
class HeldOut:
    """Rows held out for early stopping: ``Y`` on the network's scale (R^2
    does not depend on the affine target map), ``weights`` or None."""

    X: object
    Y: np.ndarray
    weights: object

    def scorer(self, layout, n_threads):
        """An object with ``score(theta)`` (weighted R^2 of the network's
        outputs on these rows) and ``close()``."""
        return _KernelScorer(self, layout, n_threads)


class _KernelScorer:
    def __init__(self, held_out, layout, n_threads):
        self.Y, self.weights = held_out.Y, held_out.weights
        self.kernel = NetworkKernel(held_out.X, layout=layout, n_threads=n_threads)

    def score(self, theta):
        return weighted_r2(self.Y, self.kernel.predict(theta), self.weights)

    def close(self):
        self.kernel.close()


def split_seed(random_state, previous=None):
    """The seed of the held-out split: ``random_state`` itself when it is an
    int; otherwise drawn once (``previous``, kept by warm starts, so that every
    fit of a warm-started model holds out the same rows)."""
    if previous is not None:
        return previous
    if isinstance(random_state, (int, np.integer)):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _split(data, n_validation, seed):
    """(training rows, held-out rows) of ``data``, each in the given order."""
    n_samples = data.Y.shape[0]
    order = np.random.RandomState(seed).permutation(n_samples)
    held, kept = np.sort(order[:n_validation]), np.sort(order[n_validation:])
    weights = data.sample_weight
    for rows, role in ((held, "validation"), (kept, "training")):
        if weights is not None and not weights[rows].any():
            raise ValueError(
                f"early_stopping=True: the {role} samples all have zero weight."
            )
    _check_scorable(data.Y[held], None if weights is None else weights[held])

    def part(rows):
        w = None if weights is None else weights[rows]
        return data.X[rows], data.Y[rows], w

    return part(kept), part(held)


def _check_scorable(Y, weights):
    """Held-out rows must be able to rank weights by R^2: at least two of
    non-zero weight, and targets that are not all equal (R^2 of a constant
    target is 0 or 1 whatever the network, and the initial weights would be
    kept)."""
    if weights is not None:
        Y = Y[weights > 0]
    if len(Y) < 2 or np.all(Y == Y[0]):
        raise ValueError(
            "early_stopping=True: the held-out samples cannot score the network "
            f"({len(Y)} of non-zero weight, with "
            f"{'equal' if len(Y) and np.all(Y == Y[0]) else 'too few'} targets). "
            "Raise validation_fraction, use more data, or set "
            "early_stopping=False."
        )


class TrainingProblem:
    """What a fit trains on; a context manager that closes the kernel.

    Attributes
    ----------
    kernel : NetworkKernel
        On the canonical training samples, targets on the network's scale,
        at the plan's initial penalty.
    objective : Objective
        The kernel's loss, gradient and normal equations, in units of the
        loss of the best constant prediction.
    mapping : TargetMapping
    held_out : HeldOut or None
    seen : FitData
        The data as validated, before any split (what callbacks see).
    n_threads : int
    """

    def __init__(
        self, kernel, objective, mapping, held_out, seen, n_threads, mean_target=None
    ):
        self._mean_target = mean_target
        self.kernel = kernel
        self.objective = objective
        self.mapping = mapping
        self.held_out = held_out
        self.seen = seen
        self.n_threads = n_threads

    @property
    def layout(self):
        return self.kernel.layout

    def mean_target(self):
        """The weighted mean training target per output, network scale."""
        if self._mean_target is not None:
            return self._mean_target()
        data = self.kernel.data  # holds 2 Y - 1 and the weights over their sum
        weights = None if data.scaled_weight is None else data.scaled_weight[:, 0]
        centred = np.average(data.Y_tanh, axis=0, weights=weights)
        return 0.5 * (np.asarray(centred, dtype=np.float64) + 1.0)

    @property
    def dtype(self):
        return self.kernel.dtype

    def close(self):
        self.kernel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def kernel_objective(kernel, loss_scale):
    """The solvers' :class:`~.solvers.Objective` of a kernel (in memory or on
    dask): its loss, gradient and normal equations, in units of
    ``loss_scale``."""
    return Objective(
        lambda theta, gradient: kernel.loss_gradient(theta, gradient)[0],
        n_parameters=kernel.layout.n_parameters,
        loss=kernel.loss,
        normal_equations=kernel.normal_equations,
        loss_scale=loss_scale,
    )


def build_problem(data, plan, *, mapping, target_range, seed, n_threads):
    """The :class:`TrainingProblem` of ``data`` under ``plan``.

    ``target_range`` is the estimator's, validated; ``mapping`` is the
    target mapping to keep (continuing a fit) or a callable ``mapping(Y,
    sample_weight) -> TargetMapping`` of the training rows; ``seed`` seeds
    the held-out split (see :func:`split_seed`).
    """
    if not isinstance(data, FitData):  # dask: the chunks stay on the workers
        from ._dask.problem import build_dask_problem

        return build_dask_problem(
            data,
            plan,
            mapping=mapping,
            target_range=target_range,
            seed=seed,
            n_threads=n_threads,
        )
    X, Y, weights = data.X, data.Y, data.sample_weight
    held_out = None
    if plan.early_stopping:
        (X, Y, weights), (X_held, Y_held, w_held) = _split(
            data, plan.n_validation, seed
        )
    if not isinstance(mapping, TargetMapping):
        mapping = mapping(Y, weights)
    if plan.early_stopping:
        held_out = HeldOut(X_held, mapping.to_network(Y_held), w_held)
    Y_network = mapping.to_network(Y, dtype=X.dtype)
    rows, merged_weights = canonical_samples(X, Y_network, weights)
    Y_network = Y_network[rows]
    loss_scale = constant_prediction_loss(Y_network, merged_weights, target_range)
    kernel = NetworkKernel(
        X,
        Y_network,
        merged_weights,
        layout=plan.layout,
        alpha=plan.penalty.initial,
        rows=rows,
        n_threads=n_threads,
    )
    objective = kernel_objective(kernel, loss_scale)
    return TrainingProblem(kernel, objective, mapping, held_out, data, n_threads)
