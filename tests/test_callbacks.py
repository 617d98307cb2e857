"""scikit-learn's callbacks (sklearn.callback, scikit-learn >= 1.9): a task per
fit, per restart and per iteration; stopping; errors; the guarded import."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from sklearn_sigmoidnet import SigmoidMLPRegressor

callback = pytest.importorskip("sklearn.callback")  # scikit-learn < 1.9: none

ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)
SOLVERS = ["lbfgs", "gd", "lm"]


def _model(solver, **kwargs):
    settings = dict(
        n_hidden=5, solver=solver, alpha=1e-3, tol=0, max_iter=6, random_state=0
    )
    settings.update(kwargs)
    return SigmoidMLPRegressor(**settings)


class StopAt:
    """Stops the fit at the end of iteration ``task_id`` (0-based); records
    every hook it sees."""

    def __init__(self, task_id=None):
        self.task_id = task_id
        self.seen = []

    def setup(self, estimator, context):
        self.seen.append(("setup", context.task_name))

    def teardown(self, estimator, context):
        self.seen.append(("teardown", context.task_name))

    def on_fit_task_begin(self, estimator, context):
        self.seen.append(("begin", context.task_name, context.task_id))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.seen.append(("end", context.task_name, context.task_id))
        return context.task_name == "iteration" and context.task_id == self.task_id


class Raises(StopAt):
    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if context.task_name == "iteration" and context.task_id == 1:
            raise RuntimeError("the callback's own message")
        return False


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
def test_scoring_monitor_scores_every_iteration(friedman, solver):
    """ScoringMonitor(scoring="r2"): one score per iteration, each the R^2 of
    the network after that many iterations (a fit with max_iter=k)."""
    X, y, _, _ = friedman
    monitor = callback.ScoringMonitor(scoring="r2")
    model = _model(solver).set_callbacks(monitor).fit(X, y)
    rows = monitor.get_logs().data
    iterations = [row for row in rows if row["task_name"] == "iteration"]
    assert [row["task_id_path"] for row in iterations] == [
        (0, 0, k) for k in range(model.n_iter_)
    ]
    assert model.n_iter_ == 6
    for k in (1, 3, 6):
        stopped = _model(solver, max_iter=k).fit(X, y)
        assert iterations[k - 1]["r2"] == pytest.approx(stopped.score(X, y), abs=1e-12)
    (fit_row,) = [row for row in rows if row["task_name"] == "fit"]
    assert fit_row["r2"] == pytest.approx(model.score(X, y), abs=1e-12)


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_callback_stops_each_solver(friedman, solver, recwarn):
    """on_fit_task_end returning True after the third iteration: the fit ends
    there, with the weights of a fit of max_iter=3, and no ConvergenceWarning."""
    X, y, X_test, _ = friedman
    stopper = StopAt(task_id=2)
    model = _model(solver, max_iter=50).set_callbacks(stopper).fit(X, y)
    assert model.n_iter_ == len(model.loss_curve_) == 3
    assert not [w for w in recwarn if "max_iter" in str(w.message)]
    with pytest.warns(Warning, match="max_iter=3"):
        three = _model(solver, max_iter=3).fit(X, y)
    np.testing.assert_array_equal(model.predict(X_test), three.predict(X_test))
    # every task begun is ended, the iteration after the stop as an empty one
    begun = [hook[1:] for hook in stopper.seen if hook[0] == "begin"]
    ended = [hook[1:] for hook in stopper.seen if hook[0] == "end"]
    assert sorted(begun) == sorted(ended)
    assert ("iteration", 3) in ended and ("iteration", 4) not in begun
    assert stopper.seen[0] == ("setup", "fit")
    assert stopper.seen[-1] == ("teardown", "fit")


@ignore_convergence
def test_one_task_per_restart(friedman):
    X, y, _, _ = friedman
    recorder = StopAt()
    _model("lbfgs", n_init=3, max_iter=2).set_callbacks(recorder).fit(X, y)
    restarts = [hook for hook in recorder.seen if hook[:2] == ("begin", "restart")]
    assert restarts == [("begin", "restart", k) for k in range(3)]


@ignore_convergence
def test_the_evidence_loop_and_early_stopping_report_every_iteration(friedman):
    X, y, _, _ = friedman
    recorder = StopAt()
    model = _model("lbfgs", alpha="auto", early_stopping=True, max_iter=30)
    model.set_callbacks(recorder).fit(X, y)
    ended = [hook for hook in recorder.seen if hook[:2] == ("end", "iteration")]
    # each completed iteration, plus the empty task begun after the last
    assert len(ended) == model.n_iter_ + 1


@ignore_convergence
def test_a_raising_callback_loses_nothing(friedman):
    """The callback's exception reaches the caller unchanged (with a note);
    a fitted model keeps its fit, an unfitted one stays unfitted, and the
    callbacks are torn down."""
    X, y, X_test, _ = friedman
    model = _model("lbfgs").fit(X, y)
    before = model.predict(X_test)
    attributes = dict(vars(model))
    raising = Raises()
    model.set_callbacks(raising)
    with pytest.raises(RuntimeError, match="the callback's own message") as error:
        model.fit(X[:100] * 3, y[:100])
    if sys.version_info >= (3, 11):
        assert "after iteration 2" in "".join(error.value.__notes__)
    np.testing.assert_array_equal(model.predict(X_test), before)
    assert model.loss_curve_ == attributes["loss_curve_"]
    assert set(vars(model)) == set(attributes) | {"_skl_callbacks"}
    assert raising.seen[-1] == ("teardown", "fit")
    fresh = _model("lbfgs").set_callbacks(Raises())
    with pytest.raises(RuntimeError):
        fresh.fit(X, y)
    with pytest.raises(NotFittedError):
        fresh.predict(X_test)
    # without callbacks it fits as ever
    np.testing.assert_array_equal(
        model.set_callbacks().fit(X, y).predict(X_test), before
    )


@ignore_convergence
def test_progress_bar(friedman, capsys):
    pytest.importorskip("rich")
    X, y, _, _ = friedman
    model = _model("lbfgs", n_init=2).set_callbacks(callback.ProgressBar())
    model.fit(X, y)
    assert model.n_iter_ == 6


def test_without_sklearn_callback_everything_else_works():
    """scikit-learn < 1.9 simulated: sklearn.callback cannot be imported
    while the package loads; it fits, predicts and has no set_callbacks."""
    code = textwrap.dedent(
        """
        import sys, warnings
        import numpy as np
        sys.modules["sklearn.callback"] = None  # import fails
        import sklearn_sigmoidnet
        from sklearn_sigmoidnet import _callbacks
        del sys.modules["sklearn.callback"]  # scikit-learn's fit itself needs it
        from sklearn_sigmoidnet import SigmoidMLPRegressor
        assert not _callbacks.CALLBACKS_AVAILABLE
        assert not hasattr(SigmoidMLPRegressor, "set_callbacks")
        X = np.random.RandomState(0).normal(size=(50, 3))
        y = X @ [1.0, 2.0, 3.0]
        warnings.simplefilter("ignore")
        model = SigmoidMLPRegressor(random_state=0).fit(X, y)
        print(round(model.score(X, y), 3))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) > 0.9


class Interrupts(StopAt):
    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.seen.append(("end", context.task_name, context.task_id))
        if context.task_name == "iteration" and context.task_id == 1:
            raise KeyboardInterrupt
        return False


@pytest.mark.parametrize("solver", SOLVERS)
def test_an_interrupt_in_a_hook_ends_each_task_once(friedman, solver):
    """Ctrl-C while a hook runs: the fit keeps the last completed iteration,
    as for any interrupt, and no task is ended twice."""
    X, y, _, _ = friedman
    interrupts = Interrupts()
    model = _model(solver, max_iter=20).set_callbacks(interrupts)
    with pytest.warns(UserWarning, match="interrupted"):
        model.fit(X, y)
    ended = [hook[1:] for hook in interrupts.seen if hook[0] == "end"]
    assert len(ended) == len(set(ended))
    assert ("iteration", 1) in ended and ("fit", 0) in ended
    assert model.n_iter_ == 2  # the iteration whose hook was interrupted completed
