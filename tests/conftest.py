"""Fixtures shared by the test files: the Friedman #1 data sets.

The arrays are session-wide and read-only, so that a test that modifies one
by mistake fails at once instead of changing the data of the tests after it.
(This directory is on ``sys.path``, which is how the tests import
``_reference``.)
"""

import pytest
from sklearn.datasets import make_friedman1
from sklearn.preprocessing import StandardScaler


def _read_only(*arrays):
    for array in arrays:
        array.flags.writeable = False
    return arrays


def _scaled_friedman(n_samples, noise):
    X, y = make_friedman1(n_samples=n_samples, noise=noise, random_state=0)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="session")
def friedman():
    """Noise-free Friedman #1, standardised X: 500 training and 100 test rows."""
    X, y = _scaled_friedman(600, noise=0.0)
    return _read_only(X[:500], y[:500], X[500:], y[500:])


@pytest.fixture(scope="session")
def friedman_lm():
    """Noise-free Friedman #1, standardised X: 500 training and 200 test rows."""
    X, y = _scaled_friedman(700, noise=0.0)
    return _read_only(X[:500], y[:500], X[500:], y[500:])


@pytest.fixture(scope="session")
def noisy():
    """Friedman #1 with noise 3, standardised X: 400 rows."""
    return _read_only(*_scaled_friedman(400, noise=3.0))
