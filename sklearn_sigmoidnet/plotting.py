"""matplotlib, optional: for the command line's plots (the benchmarks, which use
only the public API, have their own in benchmarks/_output.py)."""

import numpy as np

MISSING = (
    "matplotlib is not installed: pip install matplotlib "
    "(or pip install 'sklearn-sigmoidnet[plot]')"
)


def pyplot():
    """``matplotlib.pyplot`` on the file-only Agg backend, or None if missing."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def loss_curve_in_target_units(model):
    """``model.loss_curve_`` of a one-output SigmoidMLPRegressor as a mean
    squared error in y's units (squared), L2 penalty included.

    The loss is half the mean squared error on the network's scale, where y's
    range ``y_max - y_min`` is squeezed into ``high - low`` of
    ``target_range``: times ``2 * ((y_max - y_min) / (high - low))^2``.
    """
    low, high = model.target_range
    span = float(np.ravel(model.target_max_ - model.target_min_)[0])
    return np.asarray(model.loss_curve_) * 2.0 * (span / (high - low)) ** 2


def plot_training(model, path, *, title, target):
    """Training loss of a fitted SigmoidMLPRegressor in the target's units and,
    after early stopping, its validation R^2 on a second axis. Saves the
    figure to ``path`` and returns it (matplotlib must be installed)."""
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator

    curve = loss_curve_in_target_units(model)
    figure, axis = plt.subplots(figsize=(7, 4.5))
    iterations = np.arange(1, len(curve) + 1)
    lines = axis.plot(iterations, curve, color="C0", label="training loss")
    if np.all(curve > 0):
        axis.set_yscale("log")
    axis.set_xlabel("iteration")
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_ylabel(f"mean squared error + L2 penalty, ({target})²")
    axis.grid(True, which="both", alpha=0.3)
    scores = getattr(model, "validation_scores_", None)
    if scores:
        second = figure.axes[0].twinx()
        # one score per iteration, the last at the last (a score of the
        # initial weights, if there is one, at iteration 0)
        steps = np.arange(len(curve) - len(scores) + 1, len(curve) + 1)
        lines += second.plot(
            steps, scores, color="C1", label="validation R² (held-out rows)"
        )
        best = steps[int(np.argmax(scores))]
        lines.append(
            second.axvline(best, color="C1", linestyle=":", label="weights kept")
        )
        second.set_ylabel("validation R²")
    axis.legend(
        lines,
        [line.get_label() for line in lines],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.14),
        ncol=len(lines),
        frameon=False,
    )
    axis.set_title(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    return figure
