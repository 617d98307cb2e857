"""Warnings of sklearn_sigmoidnet that callers may want to catch by category."""

__all__ = ["FitInterruptedWarning"]


class FitInterruptedWarning(UserWarning):
    """A fit was interrupted (Ctrl-C, ``KeyboardInterrupt``) and kept the
    weights it had reached.

    ``fit`` then returns normally, as MLPRegressor does: the estimator is
    fitted, with the weights of the last completed iteration (or the best
    restart so far). Catch this category to tell an interrupted fit from a
    finished one, for example to stop a loop of fits.

    Examples
    --------
    >>> import warnings
    >>> from sklearn_sigmoidnet.exceptions import FitInterruptedWarning
    >>> issubclass(FitInterruptedWarning, UserWarning)
    True
    """
