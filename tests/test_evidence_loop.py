"""_evidence_loop: the evidence updates between solver chunks."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklearn_sigmoidnet import NetworkKernel, SigmoidMLPRegressor


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2] + 0.1 * rng.normal(size=300)
    return X, y


def _counting(monkeypatch):
    """Count the kernel's loss-and-gradient evaluations (L-BFGS's)."""
    calls = [0]
    original = NetworkKernel.loss_gradient

    def counted(self, theta, gradient=None):
        calls[0] += 1
        return original(self, theta, gradient)

    monkeypatch.setattr(NetworkKernel, "loss_gradient", counted)
    return calls


def test_max_fun_is_one_budget_across_the_chunks(data, monkeypatch):
    """alpha="auto" with L-BFGS trains in chunks of 20 iterations: max_fun
    bounds the loss evaluations of all of them together, not of each (which
    let 40 evaluations run 200 iterations), and the warning names it."""
    X, y = data
    calls = _counting(monkeypatch)
    model = SigmoidMLPRegressor(
        n_hidden=5, solver="lbfgs", max_fun=40, max_iter=200, tol=0, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="max_fun=40 loss evaluations"):
        model.fit(X, y)
    assert 20 < model.n_iter_ < 40  # past the first chunk, within the budget
    # L-BFGS's own evaluations, plus a few of the loop (the final loss)
    assert 40 <= calls[0] <= 45


def test_max_fun_larger_than_needed_changes_nothing(data):
    """A max_fun the chunks never reach leaves the fit as with the default."""
    X, y = data
    fits = []
    for max_fun in (15000, 1000):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = SigmoidMLPRegressor(
                n_hidden=5, solver="lbfgs", max_fun=max_fun, random_state=0
            ).fit(X, y)
        fits.append(model)
    assert fits[0].n_iter_ == fits[1].n_iter_
    np.testing.assert_array_equal(fits[0].coefs_[0], fits[1].coefs_[0])
