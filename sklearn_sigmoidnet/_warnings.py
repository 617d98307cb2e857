"""Warnings issued at the caller's line, wherever in the package they arise."""

import os
import sys
import warnings

import joblib
import sklearn

__all__ = ["warn_caller"]

# Frames in these folders are not the caller's: the package's own, and
# scikit-learn's and joblib's (its fit context, a Pipeline or a search, and
# the parallel loop of a search around the fit).
_INTERNAL = tuple(
    os.path.dirname(os.path.abspath(module.__file__)) + os.sep
    for module in (sys.modules[__package__], sklearn, joblib)
)


def _caller_stacklevel():
    """The ``stacklevel`` of the first frame outside the package and
    scikit-learn (as pandas' ``find_stack_level``)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_INTERNAL):
        frame, level = frame.f_back, level + 1
    return level


def warn_caller(message, category):
    """``warnings.warn`` pointing at the first line outside the package and
    scikit-learn, so that a Pipeline's or a search's user sees their own line."""
    warnings.warn(message, category, stacklevel=_caller_stacklevel())
