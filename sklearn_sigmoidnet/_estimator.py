"""SigmoidMLPRegressor: wires data, target scaling, solvers and fitted attributes."""

import os
import threading
import time
import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)
from threadpoolctl import ThreadpoolController

from ._data import TargetMapping, canonical_samples, constant_prediction_loss
from ._network import NetworkKernel, ParameterLayout
from ._solvers import gradient_descent, lbfgs, levenberg_marquardt

# solver="lm" forms and factorises a P x P matrix: beyond this many weights
# that costs more than it saves (and P^2 doubles take > 128 MiB).
_LM_MAX_PARAMETERS = 4000
# The damping D of Levenberg-Marquardt's (J^T J + mu D); see README, "solver='lm'".
_LM_DAMPING = "identity"

_BLAS_LOCK = threading.Lock()
_BLAS_STATE = {"controller": None, "users": 0, "limit": None}


@contextmanager
def _blas_single_threaded():
    """Limit BLAS to one thread: the kernel parallelises over row blocks itself.

    Reference-counted, so that fits and predictions running at once in
    several threads set the limit once and restore it once.
    """
    with _BLAS_LOCK:
        state = _BLAS_STATE
        if state["controller"] is None:
            state["controller"] = ThreadpoolController()
        if state["users"] == 0:
            state["limit"] = state["controller"].limit(limits=1, user_api="blas")
        state["users"] += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            state["users"] -= 1
            if state["users"] == 0:
                state["limit"].restore_original_limits()
                state["limit"] = None


def _effective_n_threads(n_jobs):
    """Threads for the row-block kernel.

    ``None`` means every core, like scikit-learn's OpenMP-based estimators,
    capped by ``OMP_NUM_THREADS`` (which joblib sets in its worker processes,
    so a parallel grid search does not oversubscribe). Negative values count
    back from the number of cores, as in joblib.
    """
    n_cores = os.cpu_count() or 1
    if n_jobs is None:
        limit = os.environ.get("OMP_NUM_THREADS", "")
        return max(1, min(n_cores, int(limit))) if limit.isdigit() else n_cores
    if n_jobs < 0:
        return max(1, n_cores + 1 + n_jobs)
    return n_jobs


class SigmoidMLPRegressor(RegressorMixin, BaseEstimator):
    """One-hidden-layer sigmoid network with hand-coded gradients.

    The network of the seed document: ``H = [X, 1] W1``, ``Z = sigmoid(H)``,
    ``O = [Z, 1] W2``, ``Yhat = sigmoid(O)``, trained on the mean squared error
    of eq. (1) with the gradients of eqs. (7) and (9) (see
    :func:`sklearn_sigmoidnet.loss_and_gradient`). The targets are mapped
    affinely into ``target_range`` inside the sigmoid's (0, 1) range for
    training, and predictions are mapped back to y's units.

    Parameters
    ----------
    n_hidden : int, default=100
        Number of hidden units.

    solver : {"lbfgs", "gd", "lm"}, default="lbfgs"
        ``"lbfgs"``: SciPy's L-BFGS-B on the flat parameter vector.
        ``"gd"``: full-batch gradient descent with momentum.
        ``"lm"``: Levenberg-Marquardt on the sum of squares, with the
        Jacobian coded by hand; the fastest on small problems (up to a few
        thousand samples and about a thousand weights); it needs a
        P x P matrix for P weights and refuses more than 4000.

    alpha : float, default=1e-4
        L2 penalty ``alpha/(2S) (||W1||^2 + ||W2||^2)`` on the non-bias
        weights, ``S`` the sum of the sample weights. It is added to the loss
        on the network's scale, where y's range ``y_max - y_min`` is squeezed
        into ``high - low`` of ``target_range``; MLPRegressor adds the same
        penalty to a loss in y's own units. So the same ``alpha`` weighs
        ``((y_max - y_min) / (high - low))^2`` times more here: about 100
        times for standardised y (a range of about 6) and the default range;
        ``alpha_mlp * ((high - low) / (y_max - y_min))^2`` matches
        MLPRegressor's ``alpha_mlp``.

    learning_rate : float, default=0.5
        Step size of ``solver="gd"`` on the loss of eq. (1) itself (not the
        normalised loss of ``tol``): its curvature depends on the network's
        size but not on y's spread, since targets are mapped into
        ``target_range``. The default, with ``momentum=0.9``, is stable for
        standardised X up to a few hundred hidden units.

    momentum : float, default=0.9
        Heavy-ball momentum of ``solver="gd"``, in [0, 1).

    max_iter : int, default=200
        Maximum number of iterations (L-BFGS iterations, gradient steps or
        accepted Levenberg-Marquardt steps).

    max_fun : int, default=15000
        Maximum number of loss evaluations of ``solver="lbfgs"``.

    tol : float, default=1e-6
        Tolerance on the normalised loss, the loss of eq. (1) divided by the
        loss of the best constant prediction (so it is ``1 - R^2`` on the
        training data when ``alpha=0``). ``"lbfgs"`` and ``"lm"`` stop when
        one iteration lowers it by less than ``tol`` relative to
        ``max(loss, 1)`` (SciPy's ``ftol`` test); ``"lbfgs"`` also stops when
        no gradient entry exceeds ``tol`` (``gtol``) and ``"lm"`` when no
        step lowers the loss any more; ``"gd"``, whose single steps
        oscillate with momentum, stops when its best loss has improved by less
        than ``tol`` over the last ``n_iter_no_change`` steps. ``tol=0`` runs
        ``max_iter`` iterations (``"lm"``: unless no step can lower the loss).

    n_iter_no_change : int, default=10
        Patience, in iterations: of ``solver="gd"`` for its training loss
        (see ``tol``), and of every solver for the validation score when
        ``early_stopping=True``.

    target_range : tuple of two floats, default=(0.2, 0.8)
        Where y's smallest and largest values (among samples of non-zero
        weight) land on the sigmoid's (0, 1) scale. Keeping away from 0 and 1
        avoids the saturated ends of the output sigmoid. Must satisfy
        ``0 < low < high < 1``.

    target_bounds : tuple of two floats or arrays, default=None
        ``(y_min, y_max)`` for the target mapping instead of the extremes of
        the training targets (one value, or one per output). The way to state
        y's range up front for ``partial_fit``.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training samples (chosen with
        ``random_state``; their weights go with them), score the network on
        them after every iteration of any solver (weighted R^2, kept in
        ``validation_scores_``), stop when the score has not improved by at
        least ``tol`` for ``n_iter_no_change`` iterations, and keep the
        weights of the best score. ``tol`` means the same here as for the
        training loss: R^2 is 1 minus the normalised squared error, so both
        are fractions of the target's variance.

    validation_fraction : float, default=0.1
        Share of the samples held out when ``early_stopping=True``.

    n_jobs : int, default=None
        Threads that evaluate row blocks. ``None`` uses every core (capped by
        ``OMP_NUM_THREADS``); ``-1`` every core; the results are identical for
        every value.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights (Glorot-uniform, as MLPRegressor's).

    warm_start : bool, default=False
        Start from the previous fit's weights and keep its target mapping.

    verbose : bool, default=False
        Print iteration, loss, validation score (with early stopping) and
        elapsed time at each iteration (every ``max_iter // 100`` iterations
        beyond 200).

    Attributes
    ----------
    coefs_ : list of two ndarrays
        ``[W1 without its bias row, W2 without its bias row]``, shapes
        ``(n_features, n_hidden)`` and ``(n_hidden, n_outputs)``, as in
        MLPRegressor.
    intercepts_ : list of two ndarrays
        The bias rows ``[b1, b2]``, shapes ``(n_hidden,)`` and ``(n_outputs,)``.
    loss_ : float
        Loss of eq. (1) (plus penalty) on the network's scale at the end.
    loss_curve_ : list of float
        The same loss after each iteration.
    n_iter_ : int
        Iterations run.
    n_outputs_ : int
        Number of outputs.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when X has string column names.
    validation_scores_ : list of float or None
        Weighted R^2 on the held-out samples after each iteration, when
        ``early_stopping=True``; None otherwise.
    best_validation_score_ : float or None
        The best of ``validation_scores_`` (its weights are the ones kept).
    target_min_ : ndarray of shape (n_outputs,)
        Smallest target among the samples of non-zero weight; it maps to the
        low end of ``target_range``.
    target_max_ : ndarray of shape (n_outputs,)
        Largest target among the samples of non-zero weight; it maps to the
        high end of ``target_range``.

    See Also
    --------
    sklearn.neural_network.MLPRegressor : scikit-learn's multi-layer perceptron.

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_sigmoidnet import SigmoidMLPRegressor
    >>> X, y = make_friedman1(n_samples=500, noise=0.0, random_state=0)
    >>> model = make_pipeline(
    ...     StandardScaler(), SigmoidMLPRegressor(n_hidden=20, random_state=0)
    ... )
    >>> model.fit(X[:400], y[:400]).score(X[400:], y[400:]) > 0.95
    True
    """

    _parameter_constraints: dict = {
        "n_hidden": [Interval(Integral, 1, None, closed="left")],
        "solver": [StrOptions({"lbfgs", "gd", "lm"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "target_range": [tuple],
        "target_bounds": [tuple, None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_jobs": [
            Interval(Integral, None, -1, closed="right"),
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_hidden=100,
        *,
        solver="lbfgs",
        alpha=1e-4,
        learning_rate=0.5,
        momentum=0.9,
        max_iter=200,
        max_fun=15000,
        tol=1e-6,
        n_iter_no_change=10,
        target_range=(0.2, 0.8),
        target_bounds=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_jobs=None,
        random_state=None,
        warm_start=False,
        verbose=False,
    ):
        self.n_hidden = n_hidden
        self.solver = solver
        self.alpha = alpha
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.max_iter = max_iter
        self.max_fun = max_fun
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.target_range = target_range
        self.target_bounds = target_bounds
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        return tags

    # ---------------------------------------------------------------- helpers
    def _check_target_range(self):
        try:
            low, high = (float(value) for value in self.target_range)
        except (TypeError, ValueError):
            low = high = np.nan
        if not (0.0 < low < high < 1.0):
            raise ValueError(
                "target_range must be two numbers (low, high) with "
                f"0 < low < high < 1; got {self.target_range!r}."
            )
        return low, high

    def _layout(self):
        return ParameterLayout(self.n_features_in_, self.n_hidden, self.n_outputs_)

    def _initial_theta(self, layout, random_state):
        """Glorot-uniform weights and biases, as MLPRegressor's for "logistic"."""
        theta = np.empty(layout.n_parameters)
        W1, W2 = layout.unpack(theta)
        for W, (fan_in, fan_out) in (
            (W1, (layout.n_features, layout.n_hidden)),
            (W2, (layout.n_hidden, layout.n_outputs)),
        ):
            bound = np.sqrt(2.0 / (fan_in + fan_out))
            W[...] = random_state.uniform(-bound, bound, size=W.shape)
        return theta

    def _theta(self, dtype=np.float64):
        layout = self._layout()
        W1 = np.vstack([self.coefs_[0], self.intercepts_[0][None, :]])
        W2 = np.vstack([self.coefs_[1], self.intercepts_[1][None, :]])
        return layout.pack(W1, W2, dtype=dtype)

    def _set_theta(self, theta, dtype):
        W1, W2 = self._layout().unpack(np.asarray(theta, dtype=dtype))
        self.coefs_ = [W1[:-1].copy(), W2[:-1].copy()]
        self.intercepts_ = [W1[-1].copy(), W2[-1].copy()]

    # -------------------------------------------------------------------- fit
    def _validate_fit_data(self, X, y, sample_weight, reset):
        """Validated float X, 2-d float64 Y, float64 weights (or None)."""
        # scikit-learn's finiteness check first sums the array, which overflows
        # (with a RuntimeWarning) for finite values near the float64 limits,
        # and then checks element by element: silence only the former.
        with np.errstate(over="ignore", invalid="ignore"):
            X, y = validate_data(
                self,
                X,
                y,
                reset=reset,
                accept_sparse=("csr", "csc"),
                dtype=(np.float64, np.float32),
                multi_output=True,
                y_numeric=True,
            )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        Y = np.asarray(y, dtype=np.float64)
        single_output = Y.ndim == 1
        Y = Y.reshape(-1, 1) if single_output else Y
        if not reset and Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} outputs, the fitted network has {self.n_outputs_}."
            )
        return X, Y, sample_weight, single_output

    def _target_mapping_for(self, Y, sample_weight, output_range):
        if self.target_bounds is None:
            return TargetMapping.fit(Y, output_range, sample_weight)
        try:
            low, high = (
                np.broadcast_to(np.asarray(b, dtype=np.float64), (Y.shape[1],))
                for b in self.target_bounds
            )
        except (TypeError, ValueError):
            low = high = np.full(Y.shape[1], np.nan)
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))) or np.any(
            low >= high
        ):
            raise ValueError(
                "target_bounds must be (y_min, y_max) with y_min < y_max, "
                f"finite, one value or one per output; got {self.target_bounds!r}."
            )
        return TargetMapping(low.copy(), high.copy(), output_range)

    def _split_validation(self, X, Y, sample_weight):
        """Hold out validation_fraction of the samples (early stopping)."""
        n_samples = Y.shape[0]
        n_validation = int(np.ceil(self.validation_fraction * n_samples))
        if n_validation < 2 or n_samples - n_validation < 1:
            raise ValueError(
                f"early_stopping=True: validation_fraction={self.validation_fraction}"
                f" of {n_samples} samples leaves too few samples for a validation "
                "score (at least 2) or for training; use more data or "
                "early_stopping=False."
            )
        order = check_random_state(self.random_state).permutation(n_samples)
        held_out, kept = np.sort(order[:n_validation]), np.sort(order[n_validation:])
        weights = None if sample_weight is None else sample_weight[held_out]
        if weights is not None and not weights.any():
            raise ValueError(
                "early_stopping=True: the validation samples all have zero weight."
            )
        train_weight = None if sample_weight is None else sample_weight[kept]
        if train_weight is not None and not train_weight.any():
            raise ValueError(
                "early_stopping=True: the training samples all have zero weight."
            )
        return (X[kept], Y[kept], train_weight), (X[held_out], Y[held_out], weights)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to X and y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training inputs. float32 input is trained in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights; None gives every sample weight 1.

        Returns
        -------
        self : SigmoidMLPRegressor
            The fitted estimator.
        """
        output_range = self._check_target_range()
        warm = self.warm_start and hasattr(self, "coefs_")
        X, Y, sample_weight, single_output = self._validate_fit_data(
            X, y, sample_weight, reset=not warm
        )
        validation = None
        if self.early_stopping:
            (X, Y, sample_weight), validation = self._split_validation(
                X, Y, sample_weight
            )
        dtype = X.dtype
        if warm:
            mapping = self._target_mapping
        else:
            self.n_outputs_ = Y.shape[1]
            mapping = self._target_mapping_for(Y, sample_weight, output_range)
        self._single_output = single_output
        Y_network = mapping.to_network(Y, dtype=dtype)
        del Y

        rows, weights = canonical_samples(X, Y_network, sample_weight)
        Y_network = Y_network[rows]
        reference_loss = constant_prediction_loss(Y_network, weights, output_range)
        layout = self._layout()
        if self.solver == "lm" and layout.n_parameters > _LM_MAX_PARAMETERS:
            raise ValueError(
                f"solver='lm' solves a {layout.n_parameters} x "
                f"{layout.n_parameters} linear system per step (one per weight), "
                f"which is too large here (at most {_LM_MAX_PARAMETERS} weights). "
                "Use solver='lbfgs' (or 'gd'), or fewer hidden units."
            )
        n_threads = _effective_n_threads(self.n_jobs)
        kernel = NetworkKernel(
            X,
            Y_network,
            weights,
            layout=layout,
            alpha=self.alpha,
            rows=rows,
            n_threads=n_threads,
        )
        del Y_network, rows, weights  # the kernel holds what it needs
        if warm:
            theta = self._theta()
        else:
            theta = self._initial_theta(layout, check_random_state(self.random_state))
        # The solvers' own loss units: lbfgs sees the normalised loss.
        loss_unit = reference_loss if self.solver == "lbfgs" else 1.0
        objective = _objective(kernel, scale=loss_unit)
        monitor = _TrainingMonitor(
            self, mapping, layout, loss_unit, validation, n_threads
        )
        try:
            with _blas_single_threaded():
                if self.solver == "lbfgs":
                    # L-BFGS takes scale-free steps; normalising makes SciPy's
                    # ftol and gtol fractions of the target's variance.
                    result = lbfgs(
                        objective,
                        theta,
                        max_iter=self.max_iter,
                        max_fun=self.max_fun,
                        tol=self.tol,
                        callback=monitor,
                    )
                elif self.solver == "lm":
                    result = levenberg_marquardt(
                        kernel.normal_equations,
                        kernel.loss,
                        theta,
                        max_iter=self.max_iter,
                        tol=self.tol,
                        reference_loss=reference_loss,
                        damping=_LM_DAMPING,
                        callback=monitor,
                    )
                else:
                    # Steps on the loss of eq. (1) itself, whose curvature does
                    # not depend on y's spread; tol in the same units as lbfgs.
                    result = gradient_descent(
                        objective,
                        theta,
                        learning_rate=self.learning_rate,
                        momentum=self.momentum,
                        max_iter=self.max_iter,
                        tol=self.tol * reference_loss,
                        n_iter_no_change=self.n_iter_no_change,
                        callback=monitor,
                    )
                theta, loss = result.theta, result.loss * loss_unit
                if validation is not None and monitor.best_theta is not None:
                    theta = monitor.best_theta  # the best validation score's
                    loss = kernel.loss(theta)
        finally:
            kernel.close()
            monitor.close()
        monitor.report(result.n_iter, result.loss * loss_unit)

        self._set_theta(theta, dtype)
        self._target_mapping = mapping
        self.target_min_ = mapping.y_min
        self.target_max_ = mapping.y_max
        self.loss_ = loss
        self.loss_curve_ = [value * loss_unit for value in result.loss_curve]
        self.n_iter_ = result.n_iter
        if validation is not None:
            self.validation_scores_ = monitor.validation_scores
            self.best_validation_score_ = monitor.best_score
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
        self._velocity = None  # partial_fit's momentum starts afresh
        self._warn_about(result)
        return self

    def _warn_about(self, result):
        if result.reached_max_iter:
            warnings.warn(
                f"SigmoidMLPRegressor (solver={self.solver!r}): the maximum number "
                f"of iterations ({self.max_iter}) or loss evaluations "
                f"({self.max_fun}) was reached before the optimisation converged.",
                ConvergenceWarning,
                stacklevel=3,
            )
        elif result.stopped_by == "diverged":
            warnings.warn(result.message, ConvergenceWarning, stacklevel=3)
        elif result.stopped_by == "interrupted":
            warnings.warn(
                "Training interrupted by the user: the weights of the last "
                f"completed iteration ({self.n_iter_}) are kept.",
                UserWarning,
                stacklevel=3,
            )

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One gradient-descent step on a batch, for streaming data.

        Whatever ``solver`` is, ``partial_fit`` takes one full-batch
        gradient step on (X, y) with ``learning_rate`` and ``momentum`` (the
        velocity carries over between calls) and appends the batch's loss to
        ``loss_curve_``.

        The target mapping is fixed by the first call: from ``target_bounds``
        when given (the way to state y's range up front), else from the first
        batch's smallest and largest targets. A later target outside that
        range maps outside ``target_range``; the network can still learn it
        while it maps inside (0, 1) (with the default range, up to a third of
        the range beyond either end), and predictions never leave that span.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : SigmoidMLPRegressor
        """
        output_range = self._check_target_range()
        first = not hasattr(self, "coefs_")
        X, Y, sample_weight, single_output = self._validate_fit_data(
            X, y, sample_weight, reset=first
        )
        dtype = X.dtype
        if first:
            self.n_outputs_ = Y.shape[1]
            self._single_output = single_output
            self._target_mapping = self._target_mapping_for(
                Y, sample_weight, output_range
            )
            self.target_min_ = self._target_mapping.y_min
            self.target_max_ = self._target_mapping.y_max
            layout = self._layout()
            theta = self._initial_theta(layout, check_random_state(self.random_state))
            self.loss_curve_, self.n_iter_ = [], 0
            self.validation_scores_ = self.best_validation_score_ = None
            self._velocity = None
        else:
            layout = self._layout()
            theta = self._theta()
        if getattr(self, "_velocity", None) is None:
            self._velocity = np.zeros(layout.n_parameters)
        Y_network = self._target_mapping.to_network(Y, dtype=dtype)
        kernel = NetworkKernel(
            X,
            Y_network,
            sample_weight,
            layout=layout,
            alpha=self.alpha,
            n_threads=_effective_n_threads(self.n_jobs),
        )
        loss_gradient = _objective(kernel)
        try:
            with _blas_single_threaded():
                result = gradient_descent(
                    loss_gradient,
                    theta,
                    learning_rate=self.learning_rate,
                    momentum=self.momentum,
                    max_iter=1,
                    tol=0.0,
                    n_iter_no_change=1,
                    velocity=self._velocity,
                )
        finally:
            kernel.close()
        self._set_theta(result.theta, dtype)
        if result.n_iter:
            self.n_iter_ += 1
            self.loss_curve_.append(result.loss)
        self.loss_ = result.loss
        if result.stopped_by == "diverged":
            self._velocity[...] = 0.0
            warnings.warn(result.message, ConvergenceWarning, stacklevel=2)
        return self

    # ---------------------------------------------------------------- predict
    def predict(self, X):
        """Predict with the fitted network, in y's units.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions; float32 for float32 X (float64 when y's range does
            not fit in float32), float64 otherwise.
        """
        check_is_fitted(self)
        with np.errstate(over="ignore", invalid="ignore"):  # as in fit
            X = validate_data(
                self,
                X,
                reset=False,
                accept_sparse=("csr", "csc"),
                dtype=(np.float64, np.float32),
            )
        kernel = NetworkKernel(
            X,
            layout=self._layout(),
            n_threads=_effective_n_threads(self.n_jobs),
        )
        try:
            with _blas_single_threaded():
                outputs = kernel.predict(self._theta(X.dtype))
        finally:
            kernel.close()
        if not np.all(np.isfinite(outputs)):
            # Finite weights, finite X: only an overflow of X W1 gets here.
            raise ValueError(
                "The network's hidden pre-activations X @ W1 overflowed for some "
                f"rows of X (largest |X| = {_largest_magnitude(X):.3g}). Scale X, "
                "for example with sklearn.preprocessing.StandardScaler, before "
                "fitting and predicting."
            )
        mapping = self._target_mapping
        if X.dtype == np.float32 and mapping.fits_float32():
            y_pred = mapping.to_target(outputs, out=outputs)
        else:
            y_pred = mapping.to_target(outputs)
        return y_pred.ravel() if self._single_output else y_pred


def _objective(kernel, scale=1.0):
    """``theta -> (loss / scale, gradient / scale)`` in float64 for a solver.

    Unscaled, the gradient is returned in one reused buffer.
    """
    gradient = np.empty(kernel.layout.n_parameters)

    def objective(theta):
        loss, _ = kernel.loss_gradient(theta, gradient)
        if scale == 1.0:
            return loss, gradient
        return loss / scale, gradient / scale

    return objective


def _largest_magnitude(X):
    data = X.data if sp.issparse(X) else X
    return float(np.max(np.abs(data))) if data.size else 0.0


def _weighted_r2(Y_true, Y_pred, weights):
    """R^2 averaged over outputs, as sklearn.metrics.r2_score (force_finite)."""
    weights = np.ones(Y_true.shape[0]) if weights is None else weights
    mean = weights @ Y_true / weights.sum()
    residual = weights @ (Y_true - Y_pred) ** 2
    total = weights @ (Y_true - mean) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(total > 0, 1 - residual / total, (residual == 0) * 1.0)
    return float(np.mean(scores))


class _TrainingMonitor:
    """The solvers' per-iteration callback: progress lines, validation scores and
    early stopping (with the weights of the best validation score kept)."""

    def __init__(self, estimator, mapping, layout, loss_unit, validation, n_threads):
        self.verbose = estimator.verbose
        self.every = 1 if estimator.max_iter <= 200 else estimator.max_iter // 100
        self.start = time.perf_counter()
        self.loss_unit = loss_unit
        self.patience = estimator.n_iter_no_change
        self.tol = estimator.tol
        self.no_improvement = 0
        self.validation_scores = []
        self.best_score = -np.inf
        self.best_theta = None
        self.kernel = None
        if validation is not None:
            X, Y, self.weights = validation
            # R^2 is invariant to the affine target map: score on the network's
            # scale, where no target overflows.
            self.Y = mapping.to_network(Y)
            self.kernel = NetworkKernel(X, layout=layout, n_threads=n_threads)

    def __call__(self, iteration, theta, loss):
        stop = False
        score = None
        if self.kernel is not None:
            score = _weighted_r2(self.Y, self.kernel.predict(theta), self.weights)
            self.validation_scores.append(score)
            if score < self.best_score + self.tol:
                self.no_improvement += 1
            else:
                self.no_improvement = 0
            if score > self.best_score:
                self.best_score, self.best_theta = score, theta.copy()
            stop = self.no_improvement >= self.patience
        if self.verbose and (iteration % self.every == 0 or iteration == 1 or stop):
            line = f"Iteration {iteration:5d}, loss = {loss * self.loss_unit:.8g}"
            if score is not None:
                line += f", validation score = {score:.6f}"
            print(f"{line}, time = {time.perf_counter() - self.start:.3f}s")
        return stop

    def report(self, n_iter, loss):
        if self.verbose:
            print(
                f"Stopped after {n_iter} iterations, loss = {loss:.8g}, "
                f"time = {time.perf_counter() - self.start:.3f}s"
            )

    def close(self):
        if self.kernel is not None:
            self.kernel.close()
