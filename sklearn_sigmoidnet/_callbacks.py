"""scikit-learn's callbacks during a fit (``sklearn.callback``, experimental,
scikit-learn >= 1.9).

A fit is one task with one subtask per restart (``n_init`` of them), each with
one subtask per iteration of the solver. An iteration's task begins at the
weights it starts from and ends at the weights it reaches; both hooks get
``reconstruction_attributes`` (evaluated only when a callback asks for
``fitted_estimator``), so that e.g. ``ScoringMonitor`` scores the network of
every iteration. A true return value of ``on_fit_task_end`` stops the solver
after that iteration. On older scikit-learn versions ``CallbackSupportMixin``
is an empty stand-in and :class:`FitTasks` does nothing.
"""

try:
    from sklearn.callback import CallbackSupportMixin

    CALLBACKS_AVAILABLE = True
except ImportError:  # scikit-learn < 1.9: no callbacks, nothing else changes
    CALLBACKS_AVAILABLE = False

    class CallbackSupportMixin:
        """Stand-in for ``sklearn.callback.CallbackSupportMixin``."""


__all__ = ["CALLBACKS_AVAILABLE", "CallbackSupportMixin", "FitTasks", "NoTasks"]


class FitTasks:
    """The callback tasks of one ``fit``: the fit, its restarts, their iterations.

    Parameters
    ----------
    estimator : SigmoidMLPRegressor
    X, y : arrays
        What the callbacks see as the training data (as passed to ``fit``,
        validated).
    sample_weight : ndarray or None
        Passed to the hooks as ``metadata``.
    n_restarts : int
    reconstruct : callable
        ``reconstruct(theta) -> dict`` of the fitted attributes that make a
        copy of the estimator predict with the weights ``theta``.
    """

    def __init__(self, estimator, X, y, sample_weight, n_restarts, reconstruct):
        self.estimator = estimator
        self.data = {"X": X, "y": y}
        if sample_weight is not None:
            self.data["metadata"] = {"sample_weight": sample_weight}
        self.reconstruct = reconstruct
        self.root = None
        if CALLBACKS_AVAILABLE:
            self.root = estimator._init_callback_context(max_subtasks=n_restarts)
            self.root.call_on_fit_task_begin(estimator=estimator, **self.data)

    def restart(self, theta, max_iter):
        """The tasks of one restart from ``theta``: call the result as the
        solver's callback ``(iteration, theta, loss) -> stop``, and its
        ``end(theta)`` with the weights the run keeps."""
        return _RestartTasks(self, theta, max_iter)

    def end(self, theta, posterior=None):
        """End the fit's task at the fitted weights (and their posterior)."""
        if self.root is not None:
            self.root.call_on_fit_task_end(
                estimator=self.estimator,
                reconstruction_attributes=lambda: self.reconstruct(theta, posterior),
                **self.data,
            )


class _RestartTasks:
    """One restart's task and its iterations, following the solver's callback."""

    def __init__(self, tasks, theta, max_iter):
        self.tasks = tasks
        self.task = self.iteration = None
        if tasks.root is not None:
            # one more than max_iter: the task begun after the last iteration
            self.task = tasks.root.subcontext(
                task_name="restart", max_subtasks=max_iter + 1
            )
            self._call(self.task.call_on_fit_task_begin, theta)
            self.iteration = self._begin_iteration(theta)

    def _call(self, hook, theta):
        tasks = self.tasks
        return hook(
            estimator=tasks.estimator,
            reconstruction_attributes=lambda: tasks.reconstruct(theta),
            **tasks.data,
        )

    def _begin_iteration(self, theta):
        iteration = self.task.subcontext(task_name="iteration")
        self._call(iteration.call_on_fit_task_begin, theta)
        return iteration

    def __call__(self, iteration, theta, loss):
        """The solver's callback: end this iteration's task at ``theta`` (True
        when a callback asks to stop) and begin the next one's."""
        if self.task is None:
            return False
        theta = theta.copy()  # the solver may update its array in place
        # ended once, whatever the hooks raise (an interrupt ends the run)
        iteration_task, self.iteration = self.iteration, None
        try:
            stop = self._call(iteration_task.call_on_fit_task_end, theta)
            self.iteration = self._begin_iteration(theta)
        except Exception as error:
            if hasattr(error, "add_note"):  # Python >= 3.11
                error.add_note(
                    f"Raised by a callback after iteration {iteration} of "
                    f"{type(self.tasks.estimator).__name__}.fit; the estimator "
                    "keeps the state it had before this fit."
                )
            raise
        return stop

    def end(self, theta):
        """End the restart's task at the weights the run keeps."""
        if self.task is None:
            return
        # the iteration begun last never ran: end it as an empty task
        if self.iteration is not None:
            self.iteration.call_on_fit_task_end(estimator=self.tasks.estimator)
        self._call(self.task.call_on_fit_task_end, theta)
        self.task = None


class NoTasks:
    """The tasks of a call without callbacks' tasks (``partial_fit``'s step)."""

    def restart(self, theta, max_iter):
        return _NoRestart()

    def end(self, theta, posterior=None):
        pass


class _NoRestart:
    def __call__(self, iteration, theta, loss):
        return False

    def end(self, theta):
        pass
