"""_monitor: weighted R^2, progress lines and early stopping during a fit."""

import numpy as np
import pytest
from sklearn.metrics import r2_score

from sklearn_sigmoidnet import NetworkKernel, ParameterLayout
from sklearn_sigmoidnet._monitor import TrainingMonitor, weighted_r2
from sklearn_sigmoidnet._problem import HeldOut


# ----------------------------------------------------------------- weighted_r2
@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_weighted_r2_is_sklearns_r2_score(n_outputs, weighted):
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(50, n_outputs))
    Y_pred = Y + rng.normal(scale=0.5, size=Y.shape)
    weights = rng.uniform(0, 2, size=50) if weighted else None
    expected = r2_score(Y, Y_pred, sample_weight=weights)
    assert weighted_r2(Y, Y_pred, weights) == pytest.approx(expected, rel=1e-12)


def test_weighted_r2_constant_targets_as_force_finite():
    Y = np.column_stack([np.full(5, 2.0), np.full(5, 3.0), np.arange(5.0)])
    Y_pred = Y.copy()
    Y_pred[0, 1] = 3.5  # the second output's prediction misses once
    # a constant output: 1 if predicted exactly, else 0 (force_finite)
    expected = r2_score(Y, Y_pred, force_finite=True)
    assert weighted_r2(Y, Y_pred, None) == pytest.approx(expected, rel=1e-15)
    assert weighted_r2(Y, Y_pred, None) == pytest.approx((1 + 0 + 1) / 3)


def test_zero_weights_do_not_count():
    rng = np.random.default_rng(1)
    Y = rng.normal(size=(40, 1))
    Y_pred = Y + rng.normal(scale=0.3, size=Y.shape)
    weights = np.ones(40)
    weights[::2] = 0.0
    spoiled_Y, spoiled_pred = Y.copy(), Y_pred.copy()
    spoiled_Y[::2] = 1e6
    spoiled_pred[::2] = -1e6
    expected = r2_score(Y[1::2], Y_pred[1::2])
    assert weighted_r2(spoiled_Y, spoiled_pred, weights) == pytest.approx(expected)


# ------------------------------------------------------------- TrainingMonitor
def _monitor(held_out=None, layout=None, n_threads=1, **kwargs):
    settings = dict(verbose=False, max_iter=200, patience=3, tol=0.0)
    settings.update(kwargs)
    return TrainingMonitor(held_out, layout, n_threads, **settings)


class _ScriptedScorer:
    """Stands in for the held-out rows' scorer: scores from a script."""

    def __init__(self, scores):
        self.scores = iter(scores)
        self.closed = False

    def score(self, theta):
        return next(self.scores)

    def close(self):
        self.closed = True


def _monitor_with_scores(scores, **settings):
    """A monitor whose validation R^2 follows ``scores``."""
    monitor = _monitor(**settings)
    monitor.scorer = _ScriptedScorer(scores)
    return monitor


def test_patience_counts_iterations_without_improvement():
    scores = [0.1, 0.5, 0.4, 0.45, 0.3, 0.6, 0.2, 0.2]
    monitor = _monitor_with_scores(scores, patience=3)
    stops = []
    for iteration in range(1, len(scores) + 1):
        theta = np.full(2, float(iteration))
        stops.append(monitor(iteration, theta, loss=1.0))
    # 0.5 is best after iteration 2; 3 iterations without improvement stop
    # at iteration 5; 0.6 at iteration 6 would have reset the count.
    assert stops == [False, False, False, False, True, False, False, False]
    np.testing.assert_allclose(monitor.validation_scores, scores, rtol=1e-12)
    assert monitor.best_score == pytest.approx(0.6)
    np.testing.assert_array_equal(monitor.best_theta, [6.0, 6.0])


def test_tol_is_the_improvement_that_counts():
    scores = [0.5, 0.505, 0.509, 0.2]
    monitor = _monitor_with_scores(scores, patience=2, tol=0.01)
    stops = [monitor(i, np.zeros(1), 1.0) for i in range(1, 5)]
    # improvements of less than tol count as none, but a plateau does not
    # stop: the fall at the fourth does
    assert stops == [False, False, False, True]
    # ... and the best weights still follow the best score
    assert monitor.best_score == pytest.approx(0.509)


def test_a_plateau_or_a_rise_while_training_gains_does_not_stop():
    """Prechelt's criteria: a flat score never stops; a validation error 20%
    above its best stops once the training loss gains less than that (per
    mille over the last five iterations) - here after it stops falling."""
    scores = [0.5] + [0.5 - 1e-4] * 30 + [0.4] * 15
    losses = [1.0] * 31 + [0.9**k for k in range(1, 6)] + [0.59] * 10
    monitor = _monitor_with_scores(scores, patience=3)
    stops = [monitor(i, np.zeros(1), loss) for i, loss in enumerate(losses, 1)]
    # the plateau (iterations 2-31) and the fall while the loss still drops
    # by 10% an iteration (32-36) do not stop; once the last five losses
    # gain less than 20 per mille (iteration 40: 0.5905 then 0.59s), it stops
    assert stops.index(True) + 1 == 40
    assert monitor.best_score == pytest.approx(0.5)


def test_the_best_weights_are_a_copy():
    monitor = _monitor_with_scores([0.9, 0.1])
    theta = np.ones(3)
    monitor(1, theta, 1.0)
    theta[...] = 7.0  # a solver that updates its iterate in place
    monitor(2, theta, 1.0)
    np.testing.assert_array_equal(monitor.best_theta, 1.0)


def test_without_validation_it_only_prints(capsys):
    monitor = _monitor(verbose=True)
    assert monitor.scorer is None
    assert monitor(1, np.zeros(2), 0.25) is False
    out = capsys.readouterr().out
    assert out.startswith("Iteration     1, loss = 0.25, time = ")
    assert "validation" not in out
    monitor.report(7, 0.125)
    assert capsys.readouterr().out.startswith(
        "Stopped after 7 iterations, loss = 0.125, time = "
    )


@pytest.mark.parametrize("max_iter, printed", [(200, 200), (1000, 101), (250, 126)])
def test_verbose_prints_every_max_iter_over_100_iterations(capsys, max_iter, printed):
    monitor = _monitor(verbose=True, max_iter=max_iter)
    for iteration in range(1, max_iter + 1):
        monitor(iteration, np.zeros(1), 1.0)
    lines = capsys.readouterr().out.splitlines()
    # every iteration up to 200; beyond, every max_iter // 100 and the first
    assert len(lines) == printed
    assert lines[0].startswith("Iteration     1,")


def test_quiet_monitor_prints_nothing(capsys):
    monitor = _monitor()
    monitor(1, np.zeros(1), 1.0)
    monitor.report(1, 1.0)
    assert capsys.readouterr().out == ""


def test_validation_scores_the_network_on_the_held_out_rows():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 3))
    Y = rng.uniform(0.2, 0.8, size=(60, 2))
    weights = rng.uniform(0.5, 1.5, size=60)
    layout = ParameterLayout(3, 4, 2)
    theta = rng.normal(size=layout.n_parameters)
    with _monitor(HeldOut(X, Y, weights), layout, 2) as monitor:
        assert isinstance(monitor.scorer.kernel, NetworkKernel)
        assert monitor(1, theta, 1.0) is False
        kernel = monitor.scorer.kernel
    assert kernel.runner._executor is None  # closed on exit
    with NetworkKernel(X, layout=layout) as reference:
        expected = r2_score(Y, reference.predict(theta), sample_weight=weights)
    assert monitor.validation_scores[0] == pytest.approx(expected, rel=1e-12)
