"""SigmoidMLPRegressor: the scikit-learn face of the network.

``fit`` reads top to bottom: validate the data, make the frozen
:class:`~._plan.FitPlan` of every decision, build the
:class:`~._problem.TrainingProblem` (used as a context manager), carry out the
training run (:func:`~._training.run_training`), which returns one
:class:`~._training.TrainingOutcome`, and commit that outcome, the one writer
of fitted attributes. Nothing is written to the estimator before training
ends. The mathematics lives in the kernel (``_kernel.py``), the optimisation
in ``solvers/``.
"""

from functools import partial
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    check_is_fitted,
    validate_data,
)

from ._callbacks import CallbackSupportMixin, FitTasks, NoTasks
from ._compat import state_of_release_0_1
from ._dask import is_dask_collection
from ._data import target_mapping
from ._kernel import NetworkKernel
from ._layout import ParameterLayout, glorot_uniform
from ._plan import plan_fit
from ._posterior import Posterior
from ._problem import FitData, build_problem, split_seed
from ._threads import blas_single_threaded, effective_n_threads
from ._training import FitHistory, Previous, run_training
from ._validation import (
    FEATURE_ATTRIBUTES,
    check_continuable,
    validated_fit_data,
    validated_target_range,
)
from ._warnings import warn_caller
from .exceptions import FitInterruptedWarning

# The private fitted attributes (the public ones end with "_").
_PRIVATE_FITTED = (
    "_target_mapping",
    "_posterior",
    "_momentum",
    "_single_output",
    "_split_seed",
)
_INTERRUPTED_AT_END = (
    "Training interrupted by the user while a callback ended the fit's task: "
    "the trained weights are kept."
)
_NO_POSTERIOR = (
    "return_std=True needs the posterior of a fit, and partial_fit moved the "
    "weights without computing it. Call fit for predictive standard deviations."
)
# Mid-fit, callbacks see the network without the posterior of the fit.
_MID_FIT = Posterior(
    np.nan,
    np.nan,
    np.nan,
    None,
    "a callback sees the network mid-fit, before the fit's posterior is computed.",
)


def _posterior_attribute(read):
    """A fitted attribute read off the posterior (absent without one)."""

    def get(model):
        posterior = model.__dict__.get("_posterior")
        if posterior is None:
            raise AttributeError(
                f"This {type(model).__name__} has no posterior: it is not fitted, "
                "or partial_fit moved its weights since the last fit."
            )
        return read(model, posterior)

    return property(get)


def _network_attributes(problem, theta, features):
    """The attributes that make the estimator predict with ``theta``."""
    W1, W2 = problem.layout.unpack(np.asarray(theta, dtype=problem.dtype))
    mapping = problem.mapping
    return {
        **features,
        "n_outputs_": problem.layout.n_outputs,
        "coefs_": [W1[:-1].copy(), W2[:-1].copy()],
        "intercepts_": [W1[-1].copy(), W2[-1].copy()],
        "_target_mapping": mapping,
        "target_min_": mapping.y_min,
        "target_max_": mapping.y_max,
        "_single_output": problem.seen.single_output,
    }


def _outcome_attributes(plan, outcome, seed):
    """The attributes of a training run's outcome (fit and partial_fit)."""
    history = outcome.history
    return {
        "loss_": outcome.loss,
        "loss_curve_": history.loss_curve,
        "n_iter_": history.n_iter,
        "validation_scores_": history.validation_scores,
        "best_validation_score_": outcome.best_validation_score,
        "alpha_": outcome.alpha,
        "solver_": plan.solver,
        "_posterior": outcome.posterior,
        "_momentum": outcome.momentum,
        "_split_seed": seed,
    }


def _fit_only_attributes(outcome):
    """What only ``fit`` has: the evidence's history and the restarts."""
    penalties = outcome.penalty_history
    return {
        "alpha_history_": None if penalties is None else [a for a, _ in penalties],
        "gamma_history_": None if penalties is None else [g for _, g in penalties],
        "restart_losses_": outcome.restart_losses,
    }


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
        ``validation_scores_``), and keep the weights of the best score. The
        fit stops once the score has not improved by at least ``tol`` for
        ``n_iter_no_change`` iterations and the validation error ``1 - R^2``
        has risen more than 5% above its best, and by more than the training
        loss fell over the last five iterations (Prechelt's criteria; see the
        user guide), so that a plateau of L-BFGS or Levenberg-Marquardt does
        not end the fit. ``tol`` means the same here as for the
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
        effective number of parameters. Absent after ``partial_fit``, like
        ``n_effective_parameters_``, ``log_evidence_``, ``alpha_history_``,
        ``gamma_history_`` and ``restart_losses_``: its step moves the
        weights without computing the posterior.
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

    # -------------------------------------------------------------------- fit
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
            They count as repeated rows (``S``, their sum, divides the
            penalty, and ``alpha="auto"`` counts ``S`` observations); weights
            whose sum overflows or lies outside ``[2^-64, 2^64]`` are
            rescaled by a power of two to a mean of about 1 (the weighted
            error keeps every bit; the penalty then sees about one row per
            row).

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
        ``loss_curve_``. ``early_stopping`` does not apply. The step computes
        no posterior: ``noise_variance_``, ``n_effective_parameters_``,
        ``log_evidence_``, ``alpha_history_``, ``gamma_history_`` and
        ``restart_losses_`` are absent afterwards, and
        ``predict(return_std=True)`` raises until the next ``fit``.

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
        """The one path of :meth:`fit` and :meth:`partial_fit`."""
        target_range = validated_target_range(self.target_range)
        continuing = hasattr(self, "coefs_") and (incremental or self.warm_start)
        if continuing:
            check_continuable(self)
        data, features = validated_fit_data(
            self, X, y, sample_weight, reset=not continuing
        )
        plan = plan_fit(
            self.get_params(),
            n_samples=data.Y.shape[0],
            n_features=data.X.shape[1],
            n_outputs=data.Y.shape[1],
            incremental=incremental,
            continuing=continuing,
            previous_alpha=getattr(self, "alpha_", None),
        )
        seed = None  # drawn only for a split: random_state also seeds the weights
        if plan.early_stopping:
            previous_seed = self.__dict__.get("_split_seed") if continuing else None
            seed = split_seed(self.random_state, previous_seed)
        mapping = (
            self._target_mapping
            if continuing
            else partial(
                target_mapping, output_range=target_range, bounds=self.target_bounds
            )
        )
        problem = build_problem(
            data,
            plan,
            mapping=mapping,
            target_range=target_range,
            seed=seed,
            n_threads=self._n_threads(data),
        )
        with problem, blas_single_threaded():
            tasks = (
                NoTasks() if incremental else self._fit_tasks(problem, plan, features)
            )
            outcome = run_training(
                plan, problem, self._starting_points(plan), tasks, self._previous()
            )
        try:
            tasks.end(outcome.theta, outcome.posterior)
        except KeyboardInterrupt:  # in a callback's hook: the training stays
            outcome.warnings.append((FitInterruptedWarning, _INTERRUPTED_AT_END))
        for category, message in outcome.warnings:
            warn_caller(message, category)
        self._commit(plan, problem, features, seed, outcome)
        return self

    def _n_threads(self, data):
        """Threads of the kernel; on dask, of each chunk's kernel on its
        worker (1 unless n_jobs says more: the workers run chunks at once)."""
        if isinstance(data, FitData) or self.n_jobs is not None:
            return effective_n_threads(self.n_jobs)
        return 1

    def _starting_points(self, plan):
        """The initial weights of each restart (the fitted ones to continue)."""
        if plan.continuing:
            yield self._theta()
            return
        random_state = check_random_state(self.random_state)
        for _ in range(plan.n_restarts):
            yield glorot_uniform(plan.layout, random_state)

    def _previous(self):
        """What a continued fit carries over: the curves and gd's state."""
        if not hasattr(self, "loss_curve_"):
            return Previous()
        history = FitHistory(
            list(self.loss_curve_), self.n_iter_, self.validation_scores_
        )
        return Previous(history, getattr(self, "_momentum", None))

    def _fit_tasks(self, problem, plan, features):
        """The scikit-learn callbacks' tasks of this fit: they see, at each
        iteration, a copy of the estimator with that iteration's network."""

        def reconstruct(theta, posterior=_MID_FIT):
            attributes = _network_attributes(problem, theta, features)
            return {**attributes, "_posterior": posterior}

        seen = problem.seen
        return FitTasks(
            self, seen.X, seen.y, seen.sample_weight, plan.n_restarts, reconstruct
        )

    def _commit(self, plan, problem, features, seed, outcome):
        """Write every fitted attribute of the outcome (the one writer)."""
        state = self.__dict__
        if not plan.continuing:
            for name in [*FEATURE_ATTRIBUTES, *_PRIVATE_FITTED]:
                state.pop(name, None)
        attributes = _network_attributes(problem, outcome.theta, features)
        if plan.incremental and plan.continuing:  # y's shape is the first call's
            attributes["_single_output"] = self._single_output
        attributes.update(_outcome_attributes(plan, outcome, seed))
        fit_only = _fit_only_attributes(outcome)
        if plan.incremental:  # the step computes no posterior: absent
            for name in fit_only:
                state.pop(name, None)
        else:
            attributes.update(fit_only)
        state.update(attributes)

    noise_variance_ = _posterior_attribute(
        lambda model, posterior: posterior.noise_variance_in(model._target_mapping)
    )
    n_effective_parameters_ = _posterior_attribute(
        lambda model, posterior: posterior.n_effective
    )
    log_evidence_ = _posterior_attribute(
        lambda model, posterior: posterior.log_evidence
    )

    # ------------------------------------------------------------ persistence
    def __getstate__(self):
        """The parameters and the fitted state, nothing else: no callbacks or
        callback context of scikit-learn (whatever their names), which a
        fitted model does not carry and skops would not trust."""
        state = super().__getstate__()
        kept = set(self._get_param_names()) | set(_PRIVATE_FITTED)
        return {
            key: value
            for key, value in state.items()
            if key in kept
            or key == "_sklearn_version"
            or (key.endswith("_") and not key.startswith("_"))
        }

    def __setstate__(self, state):
        super().__setstate__(state_of_release_0_1(state))

    # ---------------------------------------------------------------- predict
    def __sklearn_is_fitted__(self):
        return hasattr(self, "coefs_") and hasattr(self, "_target_mapping")

    def _fitted_layout(self):
        """The fitted network's layout (from its weights, whatever n_hidden
        says now)."""
        return ParameterLayout(
            self.n_features_in_, self.coefs_[0].shape[1], self.n_outputs_
        )

    def _theta(self, dtype=np.float64):
        W1 = np.vstack([self.coefs_[0], self.intercepts_[0][None, :]])
        W2 = np.vstack([self.coefs_[1], self.intercepts_[1][None, :]])
        return self._fitted_layout().pack(W1, W2, dtype=dtype)

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
            precision), in y's units. It needs the posterior covariance of
            the fit: computed with ``alpha="auto"``, and with a float
            ``alpha`` while the Gauss-Newton matrix pays (see the user
            guide's Bayesian page); otherwise, and after ``partial_fit``,
            this raises, saying why.

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
        if is_dask_collection(X):
            return _predict_dask(self, X, return_std)
        with np.errstate(over="ignore", invalid="ignore"):  # as in fit
            X = validate_data(
                self,
                X,
                reset=False,
                accept_sparse=("csr", "csc"),
                dtype=(np.float64, np.float32),
            )
        posterior = self.__dict__.get("_posterior")
        if return_std and posterior is None:
            raise ValueError(_NO_POSTERIOR)
        mapping = self._target_mapping
        layout = self._fitted_layout()
        n_threads = effective_n_threads(self.n_jobs)
        with NetworkKernel(X, layout=layout, n_threads=n_threads) as kernel:
            with blas_single_threaded():
                outputs = kernel.predict(self._theta(X.dtype))
                if return_std:
                    y_std = posterior.predictive_std(kernel, self._theta(), mapping)
        _check_finite_outputs(outputs, X)
        if X.dtype == np.float32 and mapping.fits_float32():
            y_pred = mapping.to_target(outputs, out=outputs)
        else:
            y_pred = mapping.to_target(outputs)
        if self._single_output:
            y_pred = y_pred.ravel()
        if not return_std:
            return y_pred
        return y_pred, y_std.ravel() if self._single_output else y_std


def _predict_dask(model, X, return_std):
    """The face's ``predict`` of a dask array: the dask room sees only what
    a prediction needs of the fitted network."""
    from ._dask import FittedNetwork, predict_dask

    def missing_posterior():
        raise ValueError(_NO_POSTERIOR)

    fitted = FittedNetwork(
        model.n_features_in_,
        model._fitted_layout(),
        model._target_mapping,
        model.__dict__.get("_posterior"),
        model._single_output,
        model._theta,
        missing_posterior,
    )
    return predict_dask(
        X,
        fitted,
        return_std=return_std,
        n_jobs=model.n_jobs,
        estimator_name=type(model).__name__,
    )


def _check_finite_outputs(outputs, X):
    if not np.all(np.isfinite(outputs)):
        # Finite weights, finite X: only an overflow of X W1 gets here.
        data = X.data if sp.issparse(X) else X
        largest = float(np.max(np.abs(data))) if data.size else 0.0
        raise ValueError(
            "The network's hidden pre-activations X @ W1 overflowed for some "
            f"rows of X (largest |X| = {largest:.3g}). Scale X, for example "
            "with sklearn.preprocessing.StandardScaler, before fitting and "
            "predicting."
        )
