"""A random network problem for the posterior's forms (test_curvature,
test_row_space): inputs, targets inside the sigmoid's range, optional sample
weights, a layout and random weights."""

import numpy as np

from sklearn_sigmoidnet import ParameterLayout


def random_problem(
    n_rows=300, n_features=4, n_hidden=6, n_outputs=1, weights=False, seed=0
):
    """``(X, Y, w, layout, theta)``: ``Y`` on the network's scale, ``w`` None
    without weights."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features))
    Y = 0.5 + 0.2 * np.tanh(X[:, :1] + X[:, -1:] * np.arange(1, n_outputs + 1))
    Y = Y + 0.02 * rng.normal(size=Y.shape)
    w = rng.uniform(0.5, 2.0, size=n_rows) if weights else None
    layout = ParameterLayout(n_features, n_hidden, n_outputs)
    theta = rng.normal(scale=0.5, size=layout.n_parameters)
    return X, Y, w, layout, theta
