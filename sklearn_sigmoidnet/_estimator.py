"""SigmoidMLPRegressor: wires validation, the target mapping, the solvers and the
fitted attributes. The mathematics lives in the kernel (``_kernel.py``), the
optimisation in ``solvers/``."""

import warnings
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._callbacks import CallbackSupportMixin, FitTasks
from ._data import TargetMapping, canonical_samples, constant_prediction_loss
from ._kernel import NetworkKernel
from ._layout import PENALTY_GROUPS, ParameterLayout, glorot_uniform
from ._monitor import TrainingMonitor
from ._threads import blas_single_threaded, effective_n_threads
from ._training import INITIAL_AUTO_ALPHA, hessian_is_affordable, posterior, train
from .exceptions import FitInterruptedWarning
from .solvers import Objective, gradient_descent

# solver="lm" and alpha="auto" form and factorise a P x P matrix: beyond this
# many weights that costs more than it saves (and P^2 doubles take > 128 MiB).
_HESSIAN_MAX_PARAMETERS = 4000
# With a float alpha, the posterior behind predict(return_std=True) is
# computed at the end of fit while n_samples P^2 stays below this (a pass of
# about a second at most here); beyond it return_std raises.
_HESSIAN_MAX_WORK = 2.5e9
# solver="auto" picks Levenberg-Marquardt (with alpha="auto") up to this much
# work per step, (n_samples + 2 P) P^2: the Gauss-Newton matrix, its
# factorisation and the posterior covariance of the evidence update.
_AUTO_LM_MAX_WORK = 1e8


# what scikit-learn's fit context needs after a fit, to tear the callbacks down
_CALLBACK_STATE = ("_callback_fit_ctx", "_skl_callbacks_to_teardown")


class _Problem(NamedTuple):
    """What a fit trains on: the kernel, the objective and their setting."""

    kernel: NetworkKernel
    objective: Objective
    layout: ParameterLayout
    mapping: TargetMapping
    validation: object  # (X, Y on the network's scale, weights) or None
    continuing: bool
    n_threads: int
    dtype: np.dtype
    seen: tuple  # (X, y, sample_weight) as validated, before any split


class _Run(NamedTuple):
    """A training run: its weights, loss, solver result and helpers."""

    theta: np.ndarray
    loss: float
    result: object
    monitor: object
    regulariser: object
    alpha: object
    gd_state: object = None  # gradient descent's velocity and loss ceiling


class SigmoidMLPRegressor(CallbackSupportMixin, RegressorMixin, BaseEstimator):
    """One-hidden-layer sigmoid network with hand-coded gradients.

    The network of the seed document: ``H = [X, 1] W1``, ``Z = sigmoid(H)``,
    ``O = [Z, 1] W2``, ``Yhat = sigmoid(O)``, trained on the mean squared error
    of eq. (1) with the gradients of eqs. (7) and (9) (see
    :func:`sklearn_sigmoidnet.loss_and_gradient`). The targets are mapped
    affinely into ``target_range`` inside the sigmoid's (0, 1) range for
    training, and predictions are mapped back to y's units.

    Parameters
    ----------
    n_hidden : int, default=10
        Number of hidden units. The default and ``alpha="auto"`` were chosen
        on 22 real data sets (``docs/user_guide/bayesian.md``).

    solver : {"auto", "lbfgs", "gd", "lm"}, default="auto"
        ``"auto"``: ``"lm"`` with ``alpha="auto"`` on small problems
        (``(n_samples + 2 P) P^2`` at most 1e8 for ``P`` weights, e.g. 6,600
        rows at 10 features and 10 hidden units), where its evidence update
        after every step is the most reliable; ``"lbfgs"`` otherwise.
        ``solver_`` says which ran.
        ``"lbfgs"``: SciPy's L-BFGS-B on the flat parameter vector.
        ``"gd"``: full-batch gradient descent with momentum.
        ``"lm"``: Levenberg-Marquardt on the sum of squares, with the
        Jacobian coded by hand; the fastest on small problems (up to a few
        thousand samples and about a thousand weights); it needs a
        P x P matrix for P weights and refuses more than 4000.

    alpha : float, array-like of shape (3,) or "auto", default="auto"
        L2 penalty ``alpha/(2S) (||W1||^2 + ||W2||^2)`` on the non-bias
        weights (``S`` the sum of the sample weights), on the network's
        scale: ``alpha_mlp * ((high - low) / (y_max - y_min))^2`` matches
        MLPRegressor's ``alpha_mlp``. Three values: one penalty each for the
        input weights, the hidden biases and the output weights (the form of
        ``alpha_`` after ``"auto"``). ``"auto"``: Bayesian regularisation, the
        three re-estimated by MacKay's evidence framework during the fit (see
        the user guide's Bayesian page).

    learning_rate : float, default=0.5
        Step size of ``solver="gd"`` on the loss of eq. (1) itself (not the
        normalised loss of ``tol``): its curvature depends on the network's
        size but not on y's spread, since targets are mapped into
        ``target_range``. The default, with ``momentum=0.9``, is stable for
        standardised X up to a few hundred hidden units. A step that raises
        the loss above where training started is undone and the rate halved
        (with a ``ConvergenceWarning`` naming the rate reached).

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

    n_iter_no_change : int or np.inf, default=10
        Patience, in iterations: of ``solver="gd"`` for its training loss
        (see ``tol``), and of every solver for the validation score when
        ``early_stopping=True``.

    n_init : int, default=1
        Training runs from different initial weights (drawn in turn from
        ``random_state``); the best is kept: the lowest training loss, the
        highest log evidence with ``alpha="auto"``, the best validation score
        with ``early_stopping=True``. ``n_init=1`` is the first of them.

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
        Start from the previous fit's weights and keep its target mapping;
        ``loss_curve_``, ``n_iter_`` and ``validation_scores_`` continue, and
        each fit runs up to ``max_iter`` more iterations. ``solver="gd"``
        carries its velocity and learning rate, so with a float ``alpha`` two
        fits of ``max_iter=5`` equal one of 10 (with ``alpha="auto"`` the
        evidence updates restart with each fit); ``"lbfgs"`` and ``"lm"``
        restart from the weights (L-BFGS's curvature pairs and LM's damping
        start afresh).

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
        Loss of eq. (1) (plus penalty) on the network's scale at the end:
        half the weighted mean over samples of the squared errors summed over
        outputs, with y mapped into ``target_range``. For one output and no
        penalty that is ``((high - low) / (y_max - y_min))^2`` times
        MLPRegressor's ``loss_`` (half the mean squared error in y's units)
        for the same predictions; ``score`` or ``predict`` give y's units.
    loss_curve_ : list of float
        The same loss after each iteration (continued by ``warm_start`` and
        ``partial_fit``).
    n_iter_ : int
        Iterations run (summed over ``warm_start`` fits and ``partial_fit``
        calls).
    n_outputs_ : int
        Number of outputs.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Feature names seen in ``fit``, when X has string column names.
    validation_scores_ : list of float or None
        Weighted R^2 on the held-out samples when ``early_stopping=True``
        (None otherwise): ``[0]`` for the initial weights, then one per
        iteration, so the list is never empty (``n_iter_ + 1`` entries, unless
        ``warm_start`` switched early stopping on between fits). ``warm_start``
        fits append to it.
    best_validation_score_ : float or None
        The best score of the last fit, the weights it started from
        included, on its held-out samples (its weights are the ones kept).
    target_min_ : ndarray of shape (n_outputs,)
        Smallest target among the samples of non-zero weight; it maps to the
        low end of ``target_range``.
    target_max_ : ndarray of shape (n_outputs,)
        Largest target among the samples of non-zero weight; it maps to the
        high end of ``target_range``.
    alpha_ : float or ndarray of shape (3,)
        The penalty of the fitted weights: ``alpha``; with ``alpha="auto"``
        the three the evidence reached (in the same units), for the input
        weights, the hidden biases and the output weights (the output biases
        are not penalised). ``loss_and_gradient`` and ``NetworkKernel`` take
        either form.
    noise_variance_ : ndarray of shape (n_outputs,)
        The noise variance in y's units squared, from the residuals and the
        effective number of parameters.
    solver_ : str
        The solver that ran: ``solver``, or the one ``"auto"`` picked
        (``"gd"`` after ``partial_fit``, which takes gradient steps).
    n_effective_parameters_ : float
        The effective number of parameters ``gamma`` (the biases count one
        each); NaN where the Hessian was not computed (see ``predict``).
    log_evidence_ : float
        Log evidence of the fit (network scale); compare it across
        ``n_hidden`` on the same data to choose ``n_hidden``. NaN where the
        Hessian was not computed.
    alpha_history_ : list of ndarray of shape (3,) or None
        The penalties at every evidence update (``alpha="auto"``), else None.
    gamma_history_ : list of float or None
        The effective number of penalised weights at every evidence update
        (``alpha="auto"``), else None.
    restart_losses_ : list of float
        The final training loss of every run of ``n_init``.

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
        "solver": [StrOptions({"auto", "lbfgs", "gd", "lm"})],
        "alpha": [
            Interval(Real, 0, None, closed="left"),
            StrOptions({"auto"}),
            "array-like",
        ],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "n_init": [Interval(Integral, 1, None, closed="left")],
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
        n_hidden=10,
        *,
        solver="auto",
        alpha="auto",
        learning_rate=0.5,
        momentum=0.9,
        max_iter=200,
        max_fun=15000,
        tol=1e-6,
        n_iter_no_change=10,
        n_init=1,
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
        self.n_init = n_init
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

    def _theta(self, dtype=np.float64):
        layout = self._layout()
        W1 = np.vstack([self.coefs_[0], self.intercepts_[0][None, :]])
        W2 = np.vstack([self.coefs_[1], self.intercepts_[1][None, :]])
        return layout.pack(W1, W2, dtype=dtype)

    def _set_theta(self, theta, dtype):
        for name, value in self._weights_of(theta, dtype).items():
            setattr(self, name, value)

    def _weights_of(self, theta, dtype):
        """``coefs_`` and ``intercepts_`` of the flat parameters ``theta``."""
        W1, W2 = self._layout().unpack(np.asarray(theta, dtype=dtype))
        return {
            "coefs_": [W1[:-1].copy(), W2[:-1].copy()],
            "intercepts_": [W1[-1].copy(), W2[-1].copy()],
        }

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

        The samples are trained on in a canonical order (identical samples
        merged, their weights summed), so that integer sample weights and
        repeated rows, in any order, give the same fit to the last bit.
        Predictions are bounded: with the default ``target_range`` they lie
        within ``[y_min - range/3, y_max + range/3]`` of the training targets.

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
        return self._fit(X, y, sample_weight, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One gradient-descent step on a batch, for streaming data.

        Whatever ``solver`` is, ``partial_fit`` takes one full-batch gradient
        step on (X, y) with ``learning_rate`` and ``momentum`` (the velocity
        carries over between calls) and appends the batch's loss to
        ``loss_curve_``. ``early_stopping`` does not apply.

        The batch goes through the same path as :meth:`fit`: its samples are
        put in the canonical order and identical samples merged, so a batch's
        step does not depend on the order of its rows, and sample weights
        count as repeated rows (a zero weight drops the row, and the loss is
        the weighted mean over the batch).

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
        return self._fit(X, y, sample_weight, incremental=True)

    def _fit(self, X, y, sample_weight, incremental):
        """The one path of :meth:`fit` and :meth:`partial_fit`. A fit that
        raises (bad input, an interrupt before the first loss, a callback, a
        warning turned into an error) leaves the estimator as it was."""
        before = dict(self.__dict__)
        try:
            return self._fit_unguarded(X, y, sample_weight, incremental)
        except BaseException:
            # keep what scikit-learn's fit context tears the callbacks down with
            during = {
                key: self.__dict__[key]
                for key in _CALLBACK_STATE
                if key in self.__dict__
            }
            self.__dict__.clear()
            self.__dict__.update(before, **during)
            raise

    def _fit_unguarded(self, X, y, sample_weight, incremental):
        problem = self._problem(X, y, sample_weight, incremental)
        tasks, interrupted = None, False
        with problem.kernel, blas_single_threaded():
            if incremental:
                start = next(self._starting_points(problem.layout, problem.continuing))
                run = self._step(problem.objective, start, problem.continuing)
                self.alpha_ = problem.kernel.alpha
                # the weights change: the scores and the posterior of the last
                # fit described the old ones
                self.validation_scores_ = self.best_validation_score_ = None
                self._posterior_covariance = None
                self.log_evidence_ = self.n_effective_parameters_ = np.nan
                self._stepped_by_partial_fit = True
            else:
                tasks = self._fit_tasks(problem)
                run, interrupted = self._restarts(problem, tasks)
                self._stepped_by_partial_fit = False
        mapping = problem.mapping
        self._set_theta(run.theta, problem.dtype)
        self._target_mapping = mapping
        self.target_min_, self.target_max_ = mapping.y_min, mapping.y_max
        self._record(run, problem.continuing)
        if tasks is not None:
            tasks.end(run.theta)
        self._warn_about(run.result, incremental, interrupted)
        return self

    def _problem(self, X, y, sample_weight, incremental):
        """Validated data, target mapping, kernel and objective of a fit."""
        output_range = self._check_target_range()
        continuing = hasattr(self, "coefs_") and (incremental or self.warm_start)
        X, Y, sample_weight, single_output = self._validate_fit_data(
            X, y, sample_weight, reset=not continuing
        )
        seen = (X, Y[:, 0] if single_output else Y, sample_weight)
        validation = None
        if self.early_stopping and not incremental:
            (X, Y, sample_weight), validation = self._split_validation(
                X, Y, sample_weight
            )
        if continuing:
            mapping = self._target_mapping
        else:
            self.n_outputs_ = Y.shape[1]
            mapping = self._target_mapping_for(Y, sample_weight, output_range)
        if not (continuing and incremental):
            self._single_output = single_output
        layout = self._layout()
        self.solver_ = self._resolved_solver(X.shape[0], layout, incremental)
        self._check_solver_size(layout, incremental)
        n_threads = effective_n_threads(self.n_jobs)
        kernel, reference_loss = self._training_kernel(
            X, Y, sample_weight, mapping, output_range, n_threads, continuing
        )
        if validation is not None:
            X_val, Y_val, weights_val = validation
            validation = (X_val, mapping.to_network(Y_val), weights_val)
        objective = Objective(
            lambda theta, gradient: kernel.loss_gradient(theta, gradient)[0],
            n_parameters=layout.n_parameters,
            loss=kernel.loss,
            normal_equations=kernel.normal_equations,
            loss_scale=reference_loss,
        )
        return _Problem(
            kernel,
            objective,
            layout,
            mapping,
            validation,
            continuing,
            n_threads,
            X.dtype,
            seen,
        )

    def _fit_tasks(self, problem):
        """The scikit-learn callbacks' tasks of this fit."""
        X, y, sample_weight = problem.seen

        def reconstruct(theta):
            mapping = problem.mapping
            return {
                **self._weights_of(theta, problem.dtype),
                "_target_mapping": mapping,
                "target_min_": mapping.y_min,
                "target_max_": mapping.y_max,
            }

        n_restarts = 1 if problem.continuing else self.n_init
        return FitTasks(self, X, y, sample_weight, n_restarts, reconstruct)

    def _restarts(self, problem, tasks):
        """Every restart's run: the best one, with the posterior recorded, and
        whether another run was interrupted (the restarts after it skipped)."""
        runs = []
        for theta in self._starting_points(problem.layout, problem.continuing):
            # every restart from the same penalty (alpha="auto" moves it)
            problem.kernel.set_alpha(self._initial_alpha(problem.continuing))
            runs.append(self._run(problem, theta, tasks))
            if runs[-1].result.stopped_by == "interrupted":
                break  # Ctrl-C ends the fit, not only this restart
        run = self._best(runs)
        self.restart_losses_ = [r.loss for r in runs]
        self._record_posterior(problem.kernel, run, problem.mapping)
        interrupted = runs[-1].result.stopped_by == "interrupted"
        return run, interrupted and runs[-1] is not run

    def _starting_points(self, layout, continuing):
        """The initial weights of each restart (the fitted ones to continue)."""
        if continuing:
            yield self._theta()
            return
        random_state = check_random_state(self.random_state)
        for _ in range(self.n_init):
            yield glorot_uniform(layout, random_state)

    def _run(self, problem, theta, tasks):
        """One training run from ``theta`` (a restart, or the fitted weights
        continued with ``warm_start``)."""
        kernel, objective = problem.kernel, problem.objective
        monitor = TrainingMonitor(
            self, problem.validation, problem.layout, problem.n_threads
        )
        gd_state = None
        if self.solver_ == "gd":
            gd_state = self._gd_state(objective, theta, problem.continuing)
        restart = tasks.restart(theta, self.max_iter)

        def callback(iteration, theta, loss):
            early_stop = monitor(iteration, theta, loss)
            return restart(iteration, theta, loss) or early_stop

        with monitor:
            monitor.start(theta, record=not self._scores_go_on(problem.continuing))
            result, regulariser = train(
                self, kernel, objective, theta, callback, self.n_outputs_, gd_state
            )
            theta, loss = result.theta, result.loss
            if problem.validation is not None and monitor.best_theta is not None:
                if gd_state is not None and not np.array_equal(
                    monitor.best_theta, theta
                ):
                    gd_state["velocity"][...] = 0.0  # the last iterate's
                theta = monitor.best_theta  # the best validation score's
                loss = kernel.loss(theta)
        restart.end(theta)
        # the penalty of the loss reported (with alpha="auto", the last one)
        alpha = self._fixed_alpha() if regulariser is None else kernel.alpha
        monitor.report(result.n_iter, loss)
        return _Run(theta, loss, result, monitor, regulariser, alpha, gd_state)

    def _gd_state(self, objective, theta, continuing):
        """Gradient descent's state: the velocity, the loss a step may not
        exceed (that of the weights training started from) and the learning
        rate after any halvings. ``warm_start`` and ``partial_fit`` carry it
        over, so that calls continue one run (a changed ``learning_rate``
        starts afresh from the new one)."""
        velocity = getattr(self, "_gd_velocity", None) if continuing else None
        if velocity is not None:
            state = {"velocity": velocity.copy(), "loss_ceiling": self._gd_loss_ceiling}
            if self._gd_learning_rate_given == self.learning_rate:
                state["learning_rate"] = self._gd_learning_rate_reached
            return state
        return {
            "velocity": np.zeros(objective.n_parameters),
            "loss_ceiling": float(objective.loss(theta)),
        }

    def _scores_go_on(self, continuing):
        """Whether this fit's validation scores continue the last fit's list
        (``warm_start`` after a fit with early stopping): then the score of
        the weights it starts from is not recorded again."""
        return continuing and getattr(self, "validation_scores_", None) is not None

    def _best(self, runs):
        """The run kept: the best validation score with early stopping, else
        the highest log evidence (``alpha="auto"``) or the lowest loss."""
        if self.early_stopping:
            return max(runs, key=lambda run: run.monitor.best_score)
        if _is_auto(self.alpha):
            return max(runs, key=_log_evidence)
        return min(runs, key=lambda run: run.loss)

    def _step(self, objective, theta, continuing):
        """partial_fit's one gradient step, continuing gradient descent's
        state (of earlier calls, or of a ``solver="gd"`` fit)."""
        gd_state = self._gd_state(objective, theta, continuing)
        options = dict(gd_state)
        result = gradient_descent(
            objective,
            theta,
            max_iter=1,
            tol=0.0,
            learning_rate=options.pop("learning_rate", self.learning_rate),
            momentum=self.momentum,
            n_iter_no_change=1,
            **options,
        )
        gd_state["learning_rate"] = result.state["learning_rate"]
        return _Run(result.theta, result.loss, result, None, None, None, gd_state)

    def _training_kernel(
        self, X, Y, sample_weight, mapping, output_range, n_threads, continuing
    ):
        """The kernel on the canonical samples, and the loss of the best
        constant prediction (the unit of ``tol``)."""
        Y_network = mapping.to_network(Y, dtype=X.dtype)
        rows, weights = canonical_samples(X, Y_network, sample_weight)
        Y_network = Y_network[rows]
        reference_loss = constant_prediction_loss(Y_network, weights, output_range)
        kernel = NetworkKernel(
            X,
            Y_network,
            weights,
            layout=self._layout(),
            alpha=self._initial_alpha(continuing),
            rows=rows,
            n_threads=n_threads,
        )
        return kernel, reference_loss

    def _initial_alpha(self, continuing):
        """The penalty to start from: ``alpha``; with ``alpha="auto"`` the last
        fit's ``alpha_`` when continuing (warm start, partial_fit) a fit that
        had ``alpha="auto"`` too, else 0.01 for every group."""
        if not _is_auto(self.alpha):
            return self._fixed_alpha()
        previous = getattr(self, "alpha_", None) if continuing else None
        if np.ndim(previous) == 1:  # the penalties of an alpha="auto" fit
            return previous
        return np.full(len(PENALTY_GROUPS), INITIAL_AUTO_ALPHA)

    def _fixed_alpha(self):
        """A float ``alpha``, or an array-like one as three float penalties."""
        if np.ndim(self.alpha) == 0:
            return float(self.alpha)
        alpha = np.asarray(self.alpha, dtype=np.float64)
        if alpha.shape != (len(PENALTY_GROUPS),) or not np.all(
            np.isfinite(alpha) & (alpha >= 0)
        ):
            raise ValueError(
                "alpha must be a non-negative float, 'auto', or "
                f"{len(PENALTY_GROUPS)} non-negative penalties (for the "
                f"{', '.join(PENALTY_GROUPS)}, as alpha_ after alpha='auto'); "
                f"got {self.alpha!r}."
            )
        return alpha

    def _resolved_solver(self, n_samples, layout, incremental):
        """The solver that runs: ``solver``, or what ``"auto"`` picks."""
        if incremental:
            return "gd"  # partial_fit's gradient steps, whatever solver is
        if self.solver != "auto":
            return self.solver
        P = layout.n_parameters
        work = (n_samples + 2 * P) * P**2
        small = P <= _HESSIAN_MAX_PARAMETERS and work <= _AUTO_LM_MAX_WORK
        return "lm" if _is_auto(self.alpha) and small else "lbfgs"

    def _check_solver_size(self, layout, incremental):
        """solver="lm" and alpha="auto" need the P x P Gauss-Newton Hessian."""
        if incremental:
            return
        needs = [
            name
            for name, needed in (
                ("solver='lm'", self.solver_ == "lm"),
                ("alpha='auto'", _is_auto(self.alpha)),
            )
            if needed
        ]
        P = layout.n_parameters
        if needs and P > _HESSIAN_MAX_PARAMETERS:
            raise ValueError(
                f"{' and '.join(needs)} form and factorise a {P} x {P} matrix "
                f"(one row per weight: {layout.n_features} features and "
                f"{layout.n_hidden} hidden units give {P} weights), more than the "
                f"limit of {_HESSIAN_MAX_PARAMETERS} weights. Use fewer hidden "
                "units, or solver='lbfgs' with a float alpha."
            )

    def _record(self, run, continuing):
        """The fitted attributes of the run: loss, curve, iterations, scores.
        ``partial_fit`` and ``warm_start`` continue the curve, the iteration
        count and the validation scores."""
        result = run.result
        state = run.gd_state or {"velocity": None, "loss_ceiling": None}
        self._gd_velocity, self._gd_loss_ceiling = (
            state["velocity"],
            state["loss_ceiling"],
        )
        self._gd_learning_rate_given = self.learning_rate
        self._gd_learning_rate_reached = state.get("learning_rate", self.learning_rate)
        if run.monitor is None:  # partial_fit: one step
            self._continue_curves(result.loss_curve[-1:], None, continuing)
            self.loss_ = result.loss
            return
        self.loss_ = run.loss
        scores = run.monitor.validation_scores if self.early_stopping else None
        self._continue_curves(result.loss_curve, scores, continuing)
        self.best_validation_score_ = (
            run.monitor.best_score if self.early_stopping else None
        )
        history = None if run.regulariser is None else run.regulariser.history
        self.alpha_history_ = None if history is None else [a for a, _ in history]
        self.gamma_history_ = None if history is None else [g for _, g in history]

    def _continue_curves(self, losses, scores, continuing):
        """Append to (or, on a fresh fit, start) ``loss_curve_``, ``n_iter_``
        and ``validation_scores_``."""
        if not continuing or getattr(self, "loss_curve_", None) is None:
            self.loss_curve_, self.n_iter_, self.validation_scores_ = [], 0, None
        self.loss_curve_ = self.loss_curve_ + list(losses)
        self.n_iter_ += len(losses)
        if scores is None:
            self.validation_scores_ = None
        else:
            self.validation_scores_ = (self.validation_scores_ or []) + list(scores)

    def _record_posterior(self, kernel, run, mapping):
        """noise_variance_, n_effective_parameters_, log_evidence_, alpha_ and
        the posterior covariance behind ``predict(return_std=True)``."""
        self.alpha_ = run.alpha
        kernel.set_alpha(run.alpha)
        layout = kernel.layout
        # y's units per unit of the network's output, per output (inf where
        # y's range itself overflows)
        with np.errstate(over="ignore"):
            self._output_scale = mapping.span / (mapping.width * mapping.prescale)
        self._posterior_covariance = None
        found = None
        interrupted = run.result.stopped_by == "interrupted"  # stop promptly
        if not interrupted and (
            _is_auto(self.alpha)
            or hessian_is_affordable(
                kernel.n_samples,
                layout.n_parameters,
                _HESSIAN_MAX_PARAMETERS,
                _HESSIAN_MAX_WORK,
            )
        ):
            found = posterior(kernel, run.theta, self.n_outputs_)
        if found is not None:
            self._posterior_covariance = found.covariance
            noise, n_effective = found.noise_variance, found.n_effective
            self.log_evidence_ = found.log_evidence
        else:
            noise, n_effective = self._residual_noise(kernel, run), np.nan
            self.log_evidence_ = np.nan
        self.n_effective_parameters_ = n_effective
        self._noise_variance_network = noise
        with np.errstate(over="ignore"):  # inf where y's units overflow
            self.noise_variance_ = noise * self._output_scale**2

    def _residual_noise(self, kernel, run):
        """Noise variance (network scale) from the residuals alone, counting
        every parameter as effective: where the Hessian was not computed."""
        S, P = kernel.data.weight_sum, kernel.layout.n_parameters
        n_observations = S * self.n_outputs_
        with np.errstate(over="ignore", invalid="ignore"):
            penalties = kernel.layout.penalties(kernel.alpha)
            penalty = float(penalties[penalties > 0] @ run.theta[penalties > 0] ** 2)
            sse = max(2 * S * run.loss - penalty, 0.0)
        return sse / max(n_observations - P, 1.0)

    def _warn_about(self, result, incremental, interrupted_restart=False):
        # 6: _warn_about, _fit_unguarded, _fit, fit, scikit-learn's _fit_context,
        # the caller
        for note in result.notes:
            warnings.warn(
                f"SigmoidMLPRegressor(solver={self.solver_!r}): {note}",
                ConvergenceWarning,
                stacklevel=6,
            )
        if result.reached_max_iter and not incremental:  # partial_fit: 1 step
            budget = (
                f"max_fun={self.max_fun} loss evaluations"
                if result.stopped_by == "max_fun"
                else f"max_iter={self.max_iter} iterations"
            )
            warnings.warn(
                f"SigmoidMLPRegressor(solver={self.solver_!r}) stopped at {budget} "
                f"before the loss settled to tol={self.tol}. Raise "
                f"{budget.split('=')[0]} to train longer, or raise tol to stop "
                "sooner; the weights reached are kept.",
                ConvergenceWarning,
                stacklevel=6,
            )
        elif result.stopped_by == "diverged":
            warnings.warn(result.message, ConvergenceWarning, stacklevel=6)
        elif result.stopped_by == "interrupted":
            warnings.warn(
                "Training interrupted by the user: the weights of the last "
                f"completed iteration ({result.n_iter}) are kept.",
                FitInterruptedWarning,
                stacklevel=6,
            )
        if interrupted_restart:
            warnings.warn(
                "Training interrupted by the user: the restarts after the "
                "interrupted one were skipped, and the best run is kept.",
                FitInterruptedWarning,
                stacklevel=6,
            )

    # ---------------------------------------------------------------- predict
    def predict(self, X, return_std=False):
        """Predict with the fitted network, in y's units.

        Predictions are bounded: the network's output sigmoid maps back to at
        most ``[y_min - range/3, y_max + range/3]`` with the default
        ``target_range`` (``y_min``, ``y_max`` the training targets' extremes
        or ``target_bounds``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Inputs.
        return_std : bool, default=False
            Also return the predictive standard deviation, noise included:
            ``sqrt(sigma^2 + g^T A^-1 g)`` with ``g`` the gradient of the
            network's output with respect to the weights at ``x`` and ``A``
            the Gauss-Newton Hessian of the penalised loss (the posterior
            precision), in y's units. With a float ``alpha`` it needs the
            Hessian computed at the end of ``fit``, which happens while the
            network has at most 4000 weights and ``n_samples * weights^2``
            is at most 2.5e9; otherwise this raises.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions; float32 for float32 X (float64 when y's range does
            not fit in float32), float64 otherwise. Shaped like the ``y`` of
            ``fit``: a ``y`` of shape (n, 1) gives predictions of shape
            (n_samples, 1), where MLPRegressor returns (n_samples,).
        y_std : ndarray, shaped like ``y_pred``, float64
            Only with ``return_std=True``.
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
        if return_std and getattr(self, "_posterior_covariance", None) is None:
            if getattr(self, "_stepped_by_partial_fit", False):
                raise ValueError(
                    "return_std=True needs the Gauss-Newton Hessian at the "
                    "current weights, which partial_fit set without computing "
                    "it. Call fit for predictive standard deviations."
                )
            raise ValueError(
                "return_std=True needs the Gauss-Newton Hessian of the fit, which "
                f"was not computed: it is computed for at most "
                f"{_HESSIAN_MAX_PARAMETERS} weights and n_samples * weights^2 up "
                f"to {_HESSIAN_MAX_WORK:.3g} (this network has "
                f"{self._layout().n_parameters} weights). Fit with alpha='auto', "
                "fewer hidden units or fewer samples."
            )
        n_threads = effective_n_threads(self.n_jobs)
        theta = self._theta(X.dtype)
        with NetworkKernel(X, layout=self._layout(), n_threads=n_threads) as kernel:
            with blas_single_threaded():
                outputs = kernel.predict(theta)
                if return_std:
                    variance = kernel.output_variances(
                        self._theta(), self._posterior_covariance
                    )
        self._check_finite_outputs(outputs, X)
        mapping = self._target_mapping
        if X.dtype == np.float32 and mapping.fits_float32():
            y_pred = mapping.to_target(outputs, out=outputs)
        else:
            y_pred = mapping.to_target(outputs)
        y_pred = y_pred.ravel() if self._single_output else y_pred
        if not return_std:
            return y_pred
        y_std = np.sqrt(variance + self._noise_variance_network) * self._output_scale
        return y_pred, y_std.ravel() if self._single_output else y_std

    @staticmethod
    def _check_finite_outputs(outputs, X):
        if not np.all(np.isfinite(outputs)):
            # Finite weights, finite X: only an overflow of X W1 gets here.
            raise ValueError(
                "The network's hidden pre-activations X @ W1 overflowed for some "
                f"rows of X (largest |X| = {_largest_magnitude(X):.3g}). Scale X, "
                "for example with sklearn.preprocessing.StandardScaler, before "
                "fitting and predicting."
            )


def _is_auto(alpha):
    return isinstance(alpha, str)  # "auto" (the only string allowed)


def _log_evidence(run):
    last = run.regulariser.last  # None if every evidence update failed
    return -np.inf if last is None or np.isnan(last.log_evidence) else last.log_evidence


def _largest_magnitude(X):
    data = X.data if sp.issparse(X) else X
    return float(np.max(np.abs(data))) if data.size else 0.0
