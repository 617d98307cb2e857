"""The solvers' per-iteration callback during a fit: progress lines, validation
scores and early stopping (keeping the weights of the best validation score)."""

import time

import numpy as np

__all__ = ["GENERALISATION_LOSS", "TrainingMonitor", "weighted_r2"]

# Early stopping needs the validation error this far (relative) above its
# best, besides n_iter_no_change iterations without an improvement of tol
# (Prechelt's GL_5), and a rise larger than the training progress of the last
# _STRIP iterations (his PQ criterion with strips of 5).
GENERALISATION_LOSS = 0.05
_STRIP = 5


def weighted_r2(Y_true, Y_pred, weights):
    """R^2 averaged over outputs, as sklearn.metrics.r2_score (force_finite)."""
    weights = np.ones(Y_true.shape[0]) if weights is None else weights
    mean = weights @ Y_true / weights.sum()
    residual = weights @ (Y_true - Y_pred) ** 2
    total = weights @ (Y_true - mean) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(total > 0, 1 - residual / total, (residual == 0) * 1.0)
    return float(np.mean(scores))


class TrainingMonitor:
    """``callback(iteration, theta, loss)`` for the solvers; a context manager.

    Parameters
    ----------
    held_out : HeldOut or None
        The rows held out for early stopping, or None: its ``scorer(layout,
        n_threads)`` scores the network on them.
    layout : ParameterLayout
    n_threads : int
    verbose : bool
        Print a line per iteration (every ``max_iter // 100`` beyond 200).
    max_iter : int
    patience : int or float
        Iterations without an improvement of the validation score by at
        least ``tol`` before stopping.
    tol : float
    """

    def __init__(
        self, held_out, layout, n_threads, *, verbose, max_iter, patience, tol
    ):
        self.verbose = verbose
        self.every = 1 if max_iter <= 200 else max_iter // 100
        self.started_at = time.perf_counter()
        self.patience = patience
        self.tol = tol
        self.no_improvement = 0
        self.recent_losses = []  # the training losses of the last _STRIP
        self.validation_scores = []
        self.best_score = -np.inf
        self.best_theta = None
        self.scorer = None
        if held_out is not None:
            self.scorer = held_out.scorer(layout, n_threads)

    def start(self, theta, record=True):
        """Before the first iteration: score the initial weights (on this
        fit's held-out samples), so that a run whose first step fails still
        has a best score and weights. ``record=False`` (a ``warm_start`` fit
        whose scores go on from the last one's): the score is the one to
        beat, not an entry of ``validation_scores``."""
        if self.scorer is None:
            return
        self._score(theta)
        self.no_improvement = 0
        if not record:
            self.validation_scores.pop()

    def _score(self, theta):
        """Validation R^2 at ``theta``; True when patience has run out."""
        score = self.scorer.score(theta)
        self.validation_scores.append(score)
        if not score >= self.best_score + self.tol:  # NaN is no improvement
            self.no_improvement += 1
        else:
            self.no_improvement = 0
        if score > self.best_score:
            self.best_score, self.best_theta = score, theta.copy()
        stop = self.no_improvement >= self.patience and self._overfitting(score)
        return score, stop

    def _overfitting(self, score):
        """Prechelt's (1998) criteria on the validation error ``E = 1 - R^2``:
        its generalisation loss ``GL = 100 (E / E_best - 1)`` (percent) above
        ``100 GENERALISATION_LOSS`` and above the training progress ``P = 1000
        (mean / min - 1)`` of the last ``_STRIP`` training losses (per mille).
        A plateau of L-BFGS or Levenberg-Marquardt (a flat score) does not
        stop the fit, nor does a validation error that rises while training
        still gains more; a rising error while training stalls does. NaN
        counts as risen."""
        best_error = max(1.0 - self.best_score, 1e-12)
        loss = 100.0 * ((1.0 - score) / best_error - 1.0)
        if not loss <= 100.0 * GENERALISATION_LOSS:  # NaN: risen
            return not loss <= self._training_progress()
        return False

    def _training_progress(self):
        losses = self.recent_losses
        if not losses or not min(losses) > 0:
            return 0.0
        return 1000.0 * (sum(losses) / (len(losses) * min(losses)) - 1.0)

    def __call__(self, iteration, theta, loss):
        score, stop = None, False
        self.recent_losses = (self.recent_losses + [float(loss)])[-_STRIP:]
        if self.scorer is not None:
            score, stop = self._score(theta)
        if self.verbose and (iteration % self.every == 0 or iteration == 1 or stop):
            line = f"Iteration {iteration:5d}, loss = {loss:.8g}"
            if score is not None:
                line += f", validation score = {score:.6f}"
            print(f"{line}, time = {time.perf_counter() - self.started_at:.3f}s")
        return stop

    def report(self, n_iter, loss):
        if self.verbose:
            print(
                f"Stopped after {n_iter} iterations, loss = {loss:.8g}, "
                f"time = {time.perf_counter() - self.started_at:.3f}s"
            )

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.scorer is not None:
            self.scorer.close()
