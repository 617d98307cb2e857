"""Training curves of a fitted SigmoidMLPRegressor, drawn with matplotlib.

matplotlib is optional (``pip install 'sklearn-sigmoidnet[plot]'``) and
imported only by the functions that draw. Everything is computed from the
fitted model's public attributes: ``target_range``, ``target_min_``,
``target_max_``, ``loss_curve_`` and, after early stopping,
``validation_scores_``.
"""

import numpy as np

__all__ = ["loss_curve_in_target_units", "plot_training", "pyplot"]


def pyplot():
    """``matplotlib.pyplot`` on the file-only Agg backend.

    Returns
    -------
    module or None
        ``matplotlib.pyplot``, or None when matplotlib is not installed.
    """
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def loss_curve_in_target_units(model):
    """The training loss as a mean squared error in y's units, squared.

    The loss of ``loss_curve_`` is half the mean squared error on the
    network's scale (L2 penalty included), where y's range ``y_max - y_min``
    is squeezed into ``high - low`` of ``target_range``: this is it times
    ``2 * ((y_max - y_min) / (high - low))^2``.

    Parameters
    ----------
    model : SigmoidMLPRegressor
        A fitted model; of several outputs, the first one's units.

    Returns
    -------
    ndarray of shape (n_iter,)
        The loss of each iteration in y's units, squared.
    """
    from . import TargetMapping

    mapping = TargetMapping(model.target_min_, model.target_max_, model.target_range)
    units = float(np.ravel(mapping.target_units)[0])  # the map owns its scale
    return np.asarray(model.loss_curve_) * 2.0 * units**2


def plot_training(model, path, *, title, target):
    """Draw the training loss in the target's units, and the validation R^2.

    The loss of :func:`loss_curve_in_target_units` on a log scale (when
    positive) and, after early stopping, ``validation_scores_`` on a second
    axis with a dotted line at the iteration whose weights were kept.

    Parameters
    ----------
    model : SigmoidMLPRegressor
        A fitted model.
    path : str or path-like
        Where the figure is saved; matplotlib's format from the suffix.
    title : str
        The figure's title.
    target : str
        The target's name, for the axis' units.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, saved (close it with ``pyplot().close(figure)``).
    """
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
    _legend_below(axis, lines)
    axis.set_title(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    return figure


def _legend_below(axis, lines):
    axis.legend(
        lines,
        [line.get_label() for line in lines],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.14),
        ncol=len(lines),
        frameon=False,
    )
